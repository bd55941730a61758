//! A change of a working order (its quantity, its prices), validated as a new order in its
//! place would be: the same rules, against the account as if the order were not there, so
//! that a modify can never do what a cancel and a fresh signal could not.

use sandtrade_core::{
    Action, Instrument, OrderChange, OrderType, RejectCode, Rejection, SignalRequest, Timing,
};

use super::book::{Book, WithoutOrder};
use super::gate::StrategyGate;
use super::sanity;
use super::validator::{ValidatedOrder, Validator};

/// A working order as a change of it is checked: what it is now.
#[derive(Debug, Clone, Copy)]
pub struct WorkingTerms<'a> {
    /// Its contract.
    pub instrument: &'a Instrument,
    /// What its signal asked for.
    pub action: Action,
    /// Shares ordered in all.
    pub quantity: u32,
    /// Shares already filled.
    pub filled: u32,
    /// How it is priced now.
    pub order_type: OrderType,
    /// Its time in force (a change keeps it).
    pub timing: Timing,
    /// Whether it is an exit of a bracket: it sells its entry's shares, so it keeps its
    /// quantity and only its prices are checked.
    pub bracket_exit: bool,
}

impl Validator {
    /// Checks `change` of the working order `working` of the strategy behind `gate`, against
    /// `book` without that order, at `now_ms`. The order keeps its type (`invalid-order`
    /// otherwise) and must still ask for more than is filled (`invalid-quantity`). The
    /// answer's quantity is what remains to trade; the order's new total is `filled` plus it.
    /// Counts as a signal, in the rate window and the counters.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] a signal with the new terms would get.
    pub fn check_change(
        &self,
        gate: &mut StrategyGate,
        working: &WorkingTerms<'_>,
        change: &OrderChange,
        book: &dyn Book,
        now_ms: i64,
    ) -> Result<ValidatedOrder, Rejection> {
        let order_type = change.order_type.unwrap_or(working.order_type);
        if !order_type.same_kind(working.order_type) {
            let refused = Rejection::new(
                RejectCode::InvalidOrder,
                format!(
                    "a change keeps the order's type: this {} order cannot become {}",
                    working.order_type.name(),
                    order_type
                ),
            );
            self.record_rejection(gate, refused.code);
            return Err(refused);
        }
        if working.bracket_exit {
            return self.check_exit_change(gate, working, change, order_type, now_ms);
        }
        let quantity = change.quantity.unwrap_or(working.quantity);
        if quantity <= working.filled {
            let refused = Rejection::new(
                RejectCode::InvalidQuantity,
                format!(
                    "the new quantity {quantity} must be more than the {} shares already filled",
                    working.filled
                ),
            );
            self.record_rejection(gate, refused.code);
            return Err(refused);
        }
        let side = working.action.side();
        let remaining_now = working.quantity.saturating_sub(working.filled);
        let price = working
            .order_type
            .expected_price()
            .or_else(|| book.reference_price(working.instrument))
            .unwrap_or(0.0);
        let without = WithoutOrder::new(
            book,
            working.instrument,
            side,
            remaining_now,
            f64::from(remaining_now) * price,
        );
        // A `close-long` sold the whole position when it was accepted; changed, it sells the
        // shares it now names.
        let action = match working.action {
            Action::CloseLong => Action::ReduceLong,
            action => action,
        };
        let signal = SignalRequest {
            action,
            symbol: gate
                .declared_as(working.instrument)
                .unwrap_or(&working.instrument.symbol)
                .to_owned(),
            quantity: quantity - working.filled,
            order_type,
            timing: working.timing,
            reason: String::new(),
        };
        let mut validated = self.check(gate, &signal, &without, now_ms)?;
        validated.action = working.action;
        debug_assert_eq!(validated.side, side);
        Ok(validated)
    }

    /// A change of an exit of a bracket: new prices for the same shares. It stays one exit of
    /// what the entry bought, so only its prices and timing are checked (and the rate).
    fn check_exit_change(
        &self,
        gate: &mut StrategyGate,
        working: &WorkingTerms<'_>,
        change: &OrderChange,
        order_type: OrderType,
        now_ms: i64,
    ) -> Result<ValidatedOrder, Rejection> {
        let symbol = &working.instrument.symbol;
        let outcome = gate.acquire_rate(now_ms).and_then(|()| {
            self.switch().check()?;
            if change
                .quantity
                .is_some_and(|quantity| quantity != working.quantity)
            {
                return Err(Rejection::new(
                    RejectCode::InvalidOrder,
                    format!(
                        "an exit of a bracket keeps its entry's quantity ({}); change its \
                         prices, or cancel it",
                        working.quantity
                    ),
                ));
            }
            sanity::check_prices(order_type, working.action, symbol)?;
            sanity::check_timing(order_type, working.timing, working.action, symbol)?;
            let instrument = gate.resolve(symbol)?;
            Ok(ValidatedOrder {
                instrument: instrument.clone(),
                action: working.action,
                side: working.action.side(),
                quantity: working.quantity.saturating_sub(working.filled),
                order_type,
                timing: working.timing,
                reason: String::new(),
            })
        });
        match &outcome {
            Ok(_) => self.record_accepted(gate),
            Err(rejection) => self.record_rejection(gate, rejection.code),
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use sandtrade_core::{Exposure, LotTable, Market, TimeInForce};

    use super::*;
    use crate::{Limits, TradingSwitch};

    /// 100 AAPL held, a 100-share stop-loss resting (a pending sell), AAPL last at 10.
    struct Protected;

    impl Book for Protected {
        fn exposure(&self, _: &Instrument) -> Exposure {
            Exposure {
                held: 100,
                pending_buys: 0,
                pending_sells: 100,
            }
        }
        fn reference_price(&self, _: &Instrument) -> Option<f64> {
            Some(10.0)
        }
        fn account_gross_notional(&self, _: Market) -> Option<f64> {
            None
        }
    }

    fn world() -> (Validator, StrategyGate, Instrument) {
        let gate = StrategyGate::new("guard", &["AAPL"], &Limits::default()).unwrap();
        let aapl = sandtrade_core::normalize("AAPL").unwrap();
        (
            Validator::new(LotTable::builtin(), TradingSwitch::new()),
            gate,
            aapl,
        )
    }

    fn stop(instrument: &Instrument, filled: u32) -> WorkingTerms<'_> {
        WorkingTerms {
            instrument,
            action: Action::ReduceLong,
            quantity: 100,
            filled,
            order_type: OrderType::Stop(9.5),
            timing: Timing {
                tif: TimeInForce::Gtc,
                outside_rth: false,
            },
            bracket_exit: false,
        }
    }

    fn change(quantity: Option<u32>, order_type: Option<OrderType>) -> OrderChange {
        OrderChange {
            quantity,
            order_type,
        }
    }

    #[test]
    fn a_stop_raised_over_the_whole_position_is_a_new_stop_in_its_place() {
        let (validator, mut gate, aapl) = world();
        let raised = validator
            .check_change(
                &mut gate,
                &stop(&aapl, 0),
                &change(None, Some(OrderType::Stop(9.8))),
                &Protected,
                0,
            )
            .unwrap();
        assert_eq!(
            (raised.action, raised.quantity, raised.order_type),
            (Action::ReduceLong, 100, OrderType::Stop(9.8))
        );
        assert_eq!(
            raised.timing.tif,
            TimeInForce::Gtc,
            "the time in force stays"
        );
    }

    #[test]
    fn a_change_can_never_sell_more_than_is_held() {
        let (validator, mut gate, aapl) = world();
        let refused = validator
            .check_change(
                &mut gate,
                &stop(&aapl, 0),
                &change(Some(101), None),
                &Protected,
                0,
            )
            .unwrap_err();
        assert_eq!(
            refused.code,
            RejectCode::ShortNotAllowed,
            "{}",
            refused.message
        );
    }

    #[test]
    fn a_change_keeps_the_type_and_asks_for_more_than_is_filled() {
        let (validator, mut gate, aapl) = world();
        let to_limit = validator
            .check_change(
                &mut gate,
                &stop(&aapl, 0),
                &change(None, Some(OrderType::Limit(9.8))),
                &Protected,
                0,
            )
            .unwrap_err();
        assert_eq!(to_limit.code, RejectCode::InvalidOrder);
        assert_eq!(
            to_limit.message,
            "a change keeps the order's type: this stop order cannot become limit 9.8"
        );
        let below_filled = validator
            .check_change(
                &mut gate,
                &stop(&aapl, 40),
                &change(Some(40), None),
                &Protected,
                0,
            )
            .unwrap_err();
        assert_eq!(below_filled.code, RejectCode::InvalidQuantity);
        // 40 filled of 100: the rest, 60, may become 50 (a total of 90).
        let smaller = validator
            .check_change(
                &mut gate,
                &stop(&aapl, 40),
                &change(Some(90), None),
                &Protected,
                0,
            )
            .unwrap();
        assert_eq!(smaller.quantity, 50);
        let bad_price = validator
            .check_change(
                &mut gate,
                &stop(&aapl, 0),
                &change(None, Some(OrderType::Stop(f64::NAN))),
                &Protected,
                0,
            )
            .unwrap_err();
        assert_eq!(bad_price.code, RejectCode::InvalidPrice);
    }

    /// Nothing held yet: the bracket's entry has not filled.
    struct EntryWorking;

    impl Book for EntryWorking {
        fn exposure(&self, _: &Instrument) -> Exposure {
            Exposure {
                held: 0,
                pending_buys: 100,
                pending_sells: 0,
            }
        }
        fn reference_price(&self, _: &Instrument) -> Option<f64> {
            Some(10.0)
        }
        fn account_gross_notional(&self, _: Market) -> Option<f64> {
            None
        }
    }

    #[test]
    fn an_exit_of_a_bracket_changes_its_prices_never_its_quantity() {
        let (validator, mut gate, aapl) = world();
        let exit = WorkingTerms {
            bracket_exit: true,
            ..stop(&aapl, 0)
        };
        // Its entry has not filled: a lone stop of 100 could not be moved, the exit can.
        let moved = validator
            .check_change(
                &mut gate,
                &exit,
                &change(None, Some(OrderType::Stop(9.2))),
                &EntryWorking,
                0,
            )
            .unwrap();
        assert_eq!(
            (moved.quantity, moved.order_type),
            (100, OrderType::Stop(9.2))
        );
        let resized = validator
            .check_change(&mut gate, &exit, &change(Some(50), None), &EntryWorking, 0)
            .unwrap_err();
        assert_eq!(resized.code, RejectCode::InvalidOrder);
        assert_eq!(
            resized.message,
            "an exit of a bracket keeps its entry's quantity (100); change its prices, or cancel it"
        );
        let nan = validator
            .check_change(
                &mut gate,
                &exit,
                &change(None, Some(OrderType::Stop(f64::NAN))),
                &EntryWorking,
                0,
            )
            .unwrap_err();
        assert_eq!(nan.code, RejectCode::InvalidPrice);
    }
}
