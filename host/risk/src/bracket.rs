//! A bracket, validated as one signal: its entry as any buy, its exits as sells of exactly the
//! shares the entry buys.
//!
//! The exits never count against the rest of the position. The order store books a bracket's
//! exits as one pending sell of what they may still sell beyond what the entry has yet to buy
//! (IB works them only once the entry fills, and reduces one by each fill of the other), so
//! the entry and its exits together leave `held - pending sells` where it was.

use sandtrade_core::{
    Action, BracketRequest, ExitRole, OrderType, RejectCode, Rejection, Side, TimeInForce, Timing,
};

use super::book::Book;
use super::gate::StrategyGate;
use super::sanity;
use super::validator::{ValidatedOrder, Validator};

/// A bracket that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedBracket {
    /// The buy.
    pub entry: ValidatedOrder,
    /// Its exits, take-profit first: each a `reduce-long` of the entry's quantity.
    pub exits: Vec<(ExitRole, ValidatedOrder)>,
}

impl Validator {
    /// Checks `bracket` from the strategy behind `gate`: the entry by every rule of
    /// [`check`](Self::check) (it must be an `open-long` or `add-long`), then its exits: at
    /// least one; a stop-loss that is a stop, stop-limit or trailing stop; `gtc` or `day`;
    /// every price finite and positive; a take-profit above a fixed stop-loss trigger. Counts
    /// as one signal.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] of the first rule that fails.
    pub fn check_bracket(
        &self,
        gate: &mut StrategyGate,
        bracket: &BracketRequest,
        book: &dyn Book,
        now_ms: i64,
    ) -> Result<ValidatedBracket, Rejection> {
        let outcome = self
            .evaluate(gate, &bracket.entry, book, now_ms)
            .and_then(|entry| {
                let exits = exits_of(bracket, &entry)?;
                Ok(ValidatedBracket { entry, exits })
            });
        match &outcome {
            Ok(_) => self.record_accepted(gate),
            Err(rejection) => self.record_rejection(gate, rejection.code),
        }
        outcome
    }
}

/// The exits of a bracket whose entry passed, checked.
fn exits_of(
    bracket: &BracketRequest,
    entry: &ValidatedOrder,
) -> Result<Vec<(ExitRole, ValidatedOrder)>, Rejection> {
    let symbol = &entry.instrument.symbol;
    let refuse =
        |code, why: String| Err(Rejection::new(code, format!("bracket on {symbol}: {why}")));
    if entry.side != Side::Buy {
        return refuse(
            RejectCode::InvalidOrder,
            format!(
                "the entry is a {}; a bracket's entry buys (open-long or add-long)",
                entry.action
            ),
        );
    }
    let exits = &bracket.exits;
    if exits.take_profit.is_none() && exits.stop_loss.is_none() {
        return refuse(
            RejectCode::InvalidOrder,
            "no exit: name a take-profit, a stop-loss or both".to_owned(),
        );
    }
    if !matches!(exits.timing.tif, TimeInForce::Gtc | TimeInForce::Day) {
        return refuse(
            RejectCode::InvalidOrder,
            format!("exits are gtc or day orders, not {}", exits.timing.tif),
        );
    }
    if let Some(stop) = exits.stop_loss
        && !stop.is_triggered()
    {
        return refuse(
            RejectCode::InvalidOrder,
            format!(
                "the stop-loss is a {} order; it must be a stop, stop-limit or trailing stop",
                stop.name()
            ),
        );
    }
    let mut validated = Vec::with_capacity(2);
    for (role, order_type) in exits.legs() {
        sanity::check_prices(order_type, Action::ReduceLong, symbol)?;
        sanity::check_timing(order_type, exits.timing, Action::ReduceLong, symbol)?;
        validated.push((role, exit(entry, order_type, exits.timing, role)));
    }
    if let (Some(take_profit), Some(trigger)) = (
        exits.take_profit,
        exits.stop_loss.and_then(OrderType::trigger_price),
    ) && take_profit <= trigger
    {
        return refuse(
            RejectCode::InvalidPrice,
            format!("the take-profit {take_profit} must be above the stop-loss trigger {trigger}"),
        );
    }
    Ok(validated)
}

fn exit(
    entry: &ValidatedOrder,
    order_type: OrderType,
    timing: Timing,
    role: ExitRole,
) -> ValidatedOrder {
    ValidatedOrder {
        instrument: entry.instrument.clone(),
        action: Action::ReduceLong,
        side: Side::Sell,
        quantity: entry.quantity,
        order_type,
        timing,
        reason: format!("{} of a bracket", role.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use sandtrade_core::{
        Exits, Exposure, Instrument, LotTable, Market, SignalRequest, TimeInForce,
    };

    use super::*;
    use crate::{Limits, TradingSwitch};

    struct Flat;

    impl Book for Flat {
        fn exposure(&self, _: &Instrument) -> Exposure {
            Exposure::default()
        }
        fn reference_price(&self, _: &Instrument) -> Option<f64> {
            Some(100.0)
        }
        fn account_gross_notional(&self, _: Market) -> Option<f64> {
            None
        }
    }

    const GTC: Timing = Timing {
        tif: TimeInForce::Gtc,
        outside_rth: false,
    };

    fn bracket(take_profit: Option<f64>, stop_loss: Option<OrderType>) -> BracketRequest {
        BracketRequest {
            entry: SignalRequest {
                action: Action::OpenLong,
                symbol: "AAPL".into(),
                quantity: 100,
                order_type: OrderType::Limit(100.0),
                timing: Timing::DAY,
                reason: "pullback".into(),
            },
            exits: Exits {
                take_profit,
                stop_loss,
                timing: GTC,
            },
        }
    }

    fn check(bracket: &BracketRequest) -> Result<ValidatedBracket, Rejection> {
        let validator = Validator::new(LotTable::builtin(), TradingSwitch::new());
        let mut gate = StrategyGate::new("b", &["AAPL"], &Limits::default()).unwrap();
        validator.check_bracket(&mut gate, bracket, &Flat, 0)
    }

    fn refused(bracket: &BracketRequest) -> (RejectCode, String) {
        let rejection = check(bracket).unwrap_err();
        (rejection.code, rejection.message)
    }

    #[test]
    fn the_exits_sell_what_the_entry_buys() {
        let ok = check(&bracket(Some(110.0), Some(OrderType::Stop(95.0)))).unwrap();
        assert_eq!((ok.entry.side, ok.entry.quantity), (Side::Buy, 100));
        let exits: Vec<_> = ok
            .exits
            .iter()
            .map(|(role, o)| (*role, o.action, o.quantity, o.order_type, o.timing))
            .collect();
        assert_eq!(
            exits,
            [
                (
                    ExitRole::TakeProfit,
                    Action::ReduceLong,
                    100,
                    OrderType::Limit(110.0),
                    GTC
                ),
                (
                    ExitRole::StopLoss,
                    Action::ReduceLong,
                    100,
                    OrderType::Stop(95.0),
                    GTC
                ),
            ]
        );
        // One exit is enough.
        assert_eq!(
            check(&bracket(None, Some(OrderType::Stop(95.0))))
                .unwrap()
                .exits
                .len(),
            1
        );
    }

    #[test]
    fn a_bracket_that_is_not_one_is_refused_with_the_rule() {
        let mut sell = bracket(Some(110.0), None);
        sell.entry.action = Action::ReduceLong;
        // A sell entry fails the long-only rules first (nothing is held).
        assert_eq!(refused(&sell).0, RejectCode::ShortNotAllowed);
        assert_eq!(
            refused(&bracket(None, None)),
            (
                RejectCode::InvalidOrder,
                "bracket on AAPL: no exit: name a take-profit, a stop-loss or both".into()
            )
        );
        assert_eq!(
            refused(&bracket(None, Some(OrderType::Limit(95.0)))),
            (
                RejectCode::InvalidOrder,
                "bracket on AAPL: the stop-loss is a limit order; it must be a stop, stop-limit \
                 or trailing stop"
                    .into()
            )
        );
        let mut ioc = bracket(Some(110.0), None);
        ioc.exits.timing.tif = TimeInForce::Ioc;
        assert_eq!(refused(&ioc).0, RejectCode::InvalidOrder);
        assert_eq!(
            refused(&bracket(Some(95.0), Some(OrderType::Stop(95.0)))),
            (
                RejectCode::InvalidPrice,
                "bracket on AAPL: the take-profit 95 must be above the stop-loss trigger 95".into()
            )
        );
        assert_eq!(
            refused(&bracket(Some(f64::NAN), None)).0,
            RejectCode::InvalidPrice
        );
    }
}
