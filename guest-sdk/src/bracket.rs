//! Brackets: an entry with its exits attached, sent to IB together.
//!
//! [`bracket`] submits a buy ([`Signal::open_long`] or [`Signal::add_long`]) with a
//! take-profit, a stop-loss or both ([`Exits`]). IB holds the exits with the entry and works
//! them only once the entry has filled; they are one exit of the entry's shares (a fill of one
//! reduces the other by as much, so one filled in full cancels the other), and IB cancels them
//! if the entry ends unfilled. Each of the three is an order of its own otherwise: it has its
//! own signal id ([`BracketIds`]), is listed by [`working_orders`](crate::working_orders)
//! (an exit with [`WorkingOrder::exit_of`](crate::WorkingOrder) set to its entry's id), and
//! can be cancelled or have its prices modified by that id.

use std::fmt;

use crate::{
    BracketIds, Exits, OrderType, Rejection, Signal, StopLimit, TimeInForce, Trail, TrailingStop,
};

impl Exits {
    /// No exit yet, good till cancelled, in regular hours only: name a take-profit, a
    /// stop-loss or both before [`bracket`] sends it (the host refuses a bracket without
    /// one as `invalid-order`).
    ///
    /// Good till cancelled is the default because a protective exit should outlive the day:
    /// it rests at IB, and protects the position while the host, its machine or its network is
    /// down. [`Exits::day`] makes them day orders.
    ///
    /// ```
    /// # use sandtrade_guest::prelude::*;
    /// let exits = Exits::new().take_profit(205.0).stop_loss(184.0);
    /// assert_eq!(exits.to_string(), "take-profit 205 and stop-loss stop 184 gtc");
    /// assert_eq!(exits.stop_loss, Some(OrderType::Stop(184.0)));
    /// ```
    pub fn new() -> Self {
        Exits {
            take_profit: None,
            stop_loss: None,
            time_in_force: TimeInForce::Gtc,
            outside_rth: false,
        }
    }

    /// A take-profit: sell the entry's shares at `price` or better (a limit above the market).
    /// It must be above a fixed stop-loss's trigger (`invalid-price` otherwise).
    pub fn take_profit(mut self, price: f64) -> Self {
        self.take_profit = Some(price);
        self
    }

    /// A stop-loss: sell the entry's shares at the market once the last price falls to
    /// `trigger` (IB `STP`).
    pub fn stop_loss(mut self, trigger: f64) -> Self {
        self.stop_loss = Some(OrderType::Stop(trigger));
        self
    }

    /// A stop-limit stop-loss: once the last price falls to `trigger`, sell the entry's shares
    /// at `limit` or better (IB `STP LMT`).
    pub fn stop_loss_limit(mut self, trigger: f64, limit: f64) -> Self {
        self.stop_loss = Some(OrderType::StopLimit(StopLimit { trigger, limit }));
        self
    }

    /// A trailing stop-loss: its trigger follows a rising price up at `trail` below the highest
    /// price seen since the entry filled, and never moves down (IB `TRAIL`).
    ///
    /// ```
    /// # use sandtrade_guest::prelude::*;
    /// let exits = Exits::new().trailing_stop(Trail::Percent(3.0)).limit_offset(0.1);
    /// assert_eq!(exits.to_string(), "stop-loss trailing-stop 3% offset 0.1 gtc");
    /// ```
    pub fn trailing_stop(mut self, trail: Trail) -> Self {
        self.stop_loss = Some(OrderType::TrailingStop(TrailingStop {
            trail,
            limit_offset: None,
        }));
        self
    }

    /// Makes a trailing stop-loss a trailing stop-limit: once triggered it rests as a limit
    /// `offset` below the trigger. Does nothing to other stop-losses, as
    /// [`Signal::limit_offset`] does nothing to other order types.
    pub fn limit_offset(mut self, offset: f64) -> Self {
        if let Some(OrderType::TrailingStop(trailing)) = &mut self.stop_loss {
            trailing.limit_offset = Some(offset);
        }
        self
    }

    /// Good till cancelled (the default): the exits work across days and gateway restarts.
    pub fn gtc(mut self) -> Self {
        self.time_in_force = TimeInForce::Gtc;
        self
    }

    /// Day orders: IB cancels the exits that have not filled at the end of the trading day,
    /// leaving the position unprotected.
    pub fn day(mut self) -> Self {
        self.time_in_force = TimeInForce::Day;
        self
    }

    /// Lets the exits trigger and fill outside regular trading hours (IB `outsideRth`).
    pub fn outside_rth(mut self) -> Self {
        self.outside_rth = true;
        self
    }
}

impl Default for Exits {
    /// [`Exits::new`]: no exit, good till cancelled.
    fn default() -> Self {
        Exits::new()
    }
}

/// `take-profit 205 and stop-loss stop 184 gtc`, `stop-loss trailing-stop 3% gtc`,
/// `take-profit 205 day outside-rth`: the exits as operators read them, with their time in
/// force always shown (the default is `gtc`, not a signal's `day`).
impl fmt::Display for Exits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.take_profit, self.stop_loss) {
            (Some(price), Some(stop)) => write!(f, "take-profit {price} and stop-loss {stop}")?,
            (Some(price), None) => write!(f, "take-profit {price}")?,
            (None, Some(stop)) => write!(f, "stop-loss {stop}")?,
            (None, None) => f.write_str("no exit")?,
        }
        write!(f, " {}", self.time_in_force)?;
        if self.outside_rth {
            f.write_str(" outside-rth")?;
        }
        Ok(())
    }
}

impl BracketIds {
    /// The exits' ids, take-profit first: those that were asked for.
    pub fn exits(&self) -> impl Iterator<Item = u64> + use<> {
        self.take_profit.into_iter().chain(self.stop_loss)
    }
}

impl Signal {
    /// Submits this signal as the entry of a bracket with `exits` attached: same as
    /// [`bracket(self, exits)`](crate::bracket).
    pub fn bracket(self, exits: Exits) -> Result<BracketIds, Rejection> {
        bracket(self, exits)
    }
}

/// Submits a bracket: `entry` (an `open-long` or `add-long`) with `exits` attached, which sell
/// the shares it buys. The host validates the three orders together and sends them to IB
/// together: `Ok` carries their durable ids (entry, then take-profit, then stop-loss, those
/// asked for), `Err` names the rule that refused the bracket (none of it is sent).
///
/// IB works the exits only once the entry has filled, reduces one by each fill of the other,
/// and cancels them if the entry ends unfilled: cancelling an unfilled entry is cancelling the
/// bracket. The exits sell only what the entry bought, so they never count against the rest
/// of the position. An exit's prices can be moved with [`modify`](crate::modify), never its
/// quantity (it is the entry's). Like an accepted [`emit`](crate::emit), an accepted bracket
/// ends an `on-bars` batch after its bar, so that the entry can fill before the next bar.
///
/// ```
/// # use sandtrade_guest::prelude::*;
/// # use sandtrade_guest::testing::MockHost;
/// # MockHost::reset();
/// let ids = bracket(
///     Signal::open_long("AAPL", 100).limit(190.0).reason("pullback"),
///     Exits::new().take_profit(205.0).stop_loss(184.0),
/// )
/// .unwrap();
/// assert_eq!((ids.entry, ids.take_profit, ids.stop_loss), (1, Some(2), Some(3)));
/// let exits: Vec<_> = working_orders().iter().map(|o| (o.signal_id, o.exit_of)).collect();
/// assert_eq!(exits, [(1, None), (2, Some(1)), (3, Some(1))]);
/// ```
pub fn bracket(entry: Signal, exits: Exits) -> Result<BracketIds, Rejection> {
    let outcome = crate::sys::emit_bracket(&entry, &exits);
    if outcome.is_ok() {
        crate::signal::count_accepted();
    }
    outcome
}

/// Submits a bracket like [`bracket`] and writes the outcome to the host log: at info level
/// `open-long 100 AAPL limit 190 with take-profit 205 and stop-loss stop 184 gtc: accepted as
/// signals 7, 8, 9 (reason)`, at warn level `...: refused, invalid-price: (message)`.
pub fn bracket_logged(entry: Signal, exits: Exits) -> Result<BracketIds, Rejection> {
    let what = format!("{entry} with {exits}");
    let reason = entry.reason.clone();
    let outcome = bracket(entry, exits);
    match &outcome {
        Ok(ids) => {
            let ids: Vec<String> = std::iter::once(ids.entry)
                .chain(ids.exits())
                .map(|id| id.to_string())
                .collect();
            let ids = ids.join(", ");
            if reason.is_empty() {
                crate::info!("{what}: accepted as signals {ids}");
            } else {
                crate::info!("{what}: accepted as signals {ids} ({reason})");
            }
        }
        Err(rejection) => {
            crate::warn!("{what}: refused, {}: {}", rejection.code, rejection.message)
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MockHost, bars, on_bars};
    use crate::{
        Action, CancelOutcome, CancelRefusal, Level, ModifyOutcome, ModifyRefusal, OrderChange,
        RejectCode, held, working_orders,
    };

    fn aapl() -> Signal {
        Signal::open_long("AAPL", 100).limit(190.0)
    }

    #[test]
    fn exits_read_as_a_trader_says_them() {
        let shown = |e: Exits| e.to_string();
        assert_eq!(
            shown(Exits::new().take_profit(205.0)),
            "take-profit 205 gtc"
        );
        assert_eq!(
            shown(Exits::new().stop_loss_limit(184.0, 183.5).day()),
            "stop-loss stop-limit 184/183.5 day"
        );
        assert_eq!(
            shown(
                Exits::new()
                    .take_profit(205.5)
                    .trailing_stop(Trail::Amount(2.5))
                    .outside_rth()
            ),
            "take-profit 205.5 and stop-loss trailing-stop 2.5 gtc outside-rth"
        );
        assert_eq!(shown(Exits::default()), "no exit gtc");
        // A limit offset means nothing to a fixed stop; the last stop-loss named wins.
        let stop = Exits::new().stop_loss(9.0).limit_offset(0.5);
        assert_eq!(stop.stop_loss, Some(OrderType::Stop(9.0)));
        let trailing = Exits::new()
            .stop_loss(9.0)
            .trailing_stop(Trail::Percent(2.0));
        assert!(matches!(
            trailing.stop_loss,
            Some(OrderType::TrailingStop(_))
        ));
        assert_eq!(Exits::new().day().gtc().time_in_force, TimeInForce::Gtc);
    }

    #[test]
    fn a_bracket_gets_consecutive_ids_and_lists_its_legs() {
        MockHost::reset();
        assert_eq!(open_long_first(), 1);
        let ids = bracket(aapl(), Exits::new().take_profit(205.0).stop_loss(184.0)).unwrap();
        assert_eq!(
            ids,
            BracketIds {
                entry: 2,
                take_profit: Some(3),
                stop_loss: Some(4)
            }
        );
        assert_eq!(ids.exits().collect::<Vec<_>>(), [3, 4]);
        let legs: Vec<_> = working_orders()
            .into_iter()
            .map(|o| (o.signal_id, o.action, o.quantity, o.order_type, o.exit_of))
            .collect();
        assert_eq!(
            legs,
            [
                (1, Action::OpenLong, 5, OrderType::Market, None),
                (2, Action::OpenLong, 100, OrderType::Limit(190.0), None),
                (3, Action::ReduceLong, 100, OrderType::Limit(205.0), Some(2)),
                (4, Action::ReduceLong, 100, OrderType::Stop(184.0), Some(2)),
            ]
        );
        assert_eq!(working_orders()[2].time_in_force, TimeInForce::Gtc);
        // Only the stop-loss: the next id is the stop-loss's.
        let only_stop = aapl().bracket(Exits::new().stop_loss(184.0)).unwrap();
        assert_eq!(
            (only_stop.entry, only_stop.take_profit, only_stop.stop_loss),
            (5, None, Some(6))
        );
        let recorded = MockHost::brackets();
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[0].ids, ids);
        assert_eq!(
            recorded[0].entry.to_string(),
            "open-long 100 AAPL limit 190"
        );
        assert_eq!(
            recorded[0].exits.to_string(),
            "take-profit 205 and stop-loss stop 184 gtc"
        );
        // `signals()` lists what `emit` sent, not brackets.
        assert_eq!(MockHost::signals().len(), 1);
    }

    fn open_long_first() -> u64 {
        crate::open_long("MSFT", 5).unwrap()
    }

    #[test]
    fn the_exits_work_once_the_entry_has_filled_and_one_full_fill_cancels_the_other() {
        MockHost::reset();
        let ids = bracket(aapl(), Exits::new().take_profit(205.0).stop_loss(184.0)).unwrap();
        // Not before the entry has filled.
        let (take_profit, stop_loss) = (ids.take_profit.unwrap(), ids.stop_loss.unwrap());
        assert_eq!(MockHost::fill_one(take_profit, 205.0), None);
        // `fill_accepted` fills the entry, never the exits: they fill when the test says.
        let fills = MockHost::fill_accepted(190.0);
        assert_eq!(fills.len(), 1);
        assert_eq!((fills[0].signal_id, fills[0].quantity), (ids.entry, 100));
        assert_eq!(held("AAPL"), 100);
        assert_eq!(working_orders().len(), 2);
        let stop = MockHost::fill_one(stop_loss, 183.9).expect("working");
        assert_eq!((stop.action, stop.quantity), (Action::ReduceLong, 100));
        assert_eq!(held("AAPL"), 0);
        // The take-profit was cancelled with it.
        assert!(working_orders().is_empty());
        assert_eq!(crate::cancel(take_profit), Err(CancelRefusal::AlreadyEnded));
    }

    #[test]
    fn cancelling_an_unfilled_entry_cancels_its_exits() {
        MockHost::reset();
        let ids = bracket(aapl(), Exits::new().take_profit(205.0).stop_loss(184.0)).unwrap();
        assert_eq!(crate::cancel(ids.entry), Ok(CancelOutcome::Cancelled));
        assert!(working_orders().is_empty());
        assert_eq!(MockHost::fill_accepted(190.0), []);
        // An exit alone can be cancelled, once its entry has filled too.
        let ids = bracket(aapl(), Exits::new().take_profit(205.0).stop_loss(184.0)).unwrap();
        MockHost::fill_accepted(190.0);
        assert_eq!(crate::cancel(ids.entry), Err(CancelRefusal::AlreadyEnded));
        assert_eq!(
            crate::cancel(ids.take_profit.unwrap()),
            Ok(CancelOutcome::Cancelled)
        );
        let left: Vec<_> = working_orders().iter().map(|o| o.signal_id).collect();
        assert_eq!(left, [ids.stop_loss.unwrap()]);
    }

    #[test]
    fn an_exit_changes_its_prices_never_its_quantity() {
        MockHost::reset();
        let ids = bracket(aapl(), Exits::new().stop_loss(184.0)).unwrap();
        let stop = ids.stop_loss.unwrap();
        let raised = crate::modify(stop, OrderChange::to(OrderType::Stop(186.0)));
        assert_eq!(raised, Ok(ModifyOutcome::Changed));
        assert_eq!(working_orders()[1].order_type, OrderType::Stop(186.0));
        // Its own quantity again is no change.
        assert_eq!(
            crate::modify(stop, OrderChange::to_quantity(100)),
            Ok(ModifyOutcome::Changed)
        );
        let refused = crate::modify(stop, OrderChange::to_quantity(50)).unwrap_err();
        let ModifyRefusal::Refused(rejection) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(rejection.code, RejectCode::InvalidOrder);
        assert_eq!(
            rejection.message,
            "an exit of a bracket keeps its entry's quantity (100); change its prices, or cancel it"
        );
    }

    #[test]
    fn the_mock_checks_a_brackets_shape_as_the_host_does() {
        MockHost::reset();
        let refused = |entry: Signal, exits: Exits| {
            let rejection = bracket(entry, exits).unwrap_err();
            (rejection.code, rejection.message)
        };
        let tp = Exits::new().take_profit(205.0);
        assert_eq!(
            refused(Signal::reduce_long("AAPL", 5), tp),
            (
                RejectCode::InvalidOrder,
                "bracket on AAPL: the entry is a reduce-long; a bracket's entry buys (open-long \
                 or add-long)"
                    .into()
            )
        );
        assert_eq!(
            refused(aapl(), Exits::new()),
            (
                RejectCode::InvalidOrder,
                "bracket on AAPL: no exit: name a take-profit, a stop-loss or both".into()
            )
        );
        let ioc = Exits {
            time_in_force: TimeInForce::Ioc,
            ..tp
        };
        assert_eq!(
            refused(aapl(), ioc),
            (
                RejectCode::InvalidOrder,
                "bracket on AAPL: exits are gtc or day orders, not ioc".into()
            )
        );
        let limit_stop = Exits {
            stop_loss: Some(OrderType::Limit(184.0)),
            ..Exits::new()
        };
        assert_eq!(
            refused(aapl(), limit_stop),
            (
                RejectCode::InvalidOrder,
                "bracket on AAPL: the stop-loss is a limit order; it must be a stop, stop-limit \
                 or trailing stop"
                    .into()
            )
        );
        assert_eq!(
            refused(
                aapl(),
                Exits::new()
                    .take_profit(180.0)
                    .stop_loss_limit(184.0, 183.0)
            ),
            (
                RejectCode::InvalidPrice,
                "bracket on AAPL: the take-profit 180 must be above the stop-loss trigger 184"
                    .into()
            )
        );
        // A trailing stop has no fixed trigger to compare with.
        let trailing = Exits::new()
            .take_profit(1.0)
            .trailing_stop(Trail::Amount(2.0));
        assert!(bracket(Signal::add_long("AAPL", 5), trailing).is_ok());
        // A queued rejection comes first, as for `emit`.
        MockHost::reject_next(RejectCode::PositionLimit, "max_position_shares=10");
        let queued = bracket(aapl(), Exits::new().take_profit(205.0)).unwrap_err();
        assert_eq!(queued.code, RejectCode::PositionLimit);
        // Refused brackets take no ids and are not recorded.
        assert_eq!(MockHost::brackets().len(), 1);
        assert_eq!(MockHost::brackets()[0].ids.entry, 1);
    }

    #[test]
    fn bracket_logged_writes_the_outcome() {
        MockHost::reset();
        let entry = aapl().reason("pullback");
        let exits = Exits::new().take_profit(205.0).stop_loss(184.0);
        assert!(bracket_logged(entry, exits).is_ok());
        MockHost::reject_next(RejectCode::TradingHalted, "halted");
        assert!(bracket_logged(aapl(), Exits::new().stop_loss(184.0)).is_err());
        assert_eq!(
            MockHost::logs(),
            [
                (
                    Level::Info,
                    "open-long 100 AAPL limit 190 with take-profit 205 and stop-loss stop 184 \
                     gtc: accepted as signals 1, 2, 3 (pullback)"
                        .to_string()
                ),
                (
                    Level::Warn,
                    "open-long 100 AAPL limit 190 with stop-loss stop 184 gtc: refused, \
                     trading-halted: halted"
                        .to_string()
                ),
            ]
        );
    }

    /// Enters with a bracket on the bar whose close is above 10.
    struct BracketAbove10;

    impl crate::Strategy for BracketAbove10 {
        fn describe() -> crate::Metadata {
            crate::Metadata::new("bracket-above-10", "1.0.0", ["AAPL"], 60)
        }
        fn init(_: &crate::Params) -> Result<Self, String> {
            Ok(BracketAbove10)
        }
        fn on_bar(&mut self, bar: &crate::Bar) {
            if bar.close > 10.0 {
                let exits = Exits::new().take_profit(bar.close * 1.1);
                let _ = bracket(Signal::open_long(&bar.symbol, 1).limit(bar.close), exits);
            }
        }
    }

    #[test]
    fn an_accepted_bracket_ends_a_batch_like_an_accepted_signal() {
        MockHost::reset();
        let mut strategy = BracketAbove10;
        let batch = bars("AAPL", &[9.0, 9.5, 11.0, 12.0]);
        assert_eq!(on_bars(&mut strategy, &batch), 3);
        assert_eq!(MockHost::handled_bars(), [2]);
        // A refused bracket does not end it.
        MockHost::reject_next(RejectCode::RateLimit, "too many");
        assert_eq!(on_bars(&mut strategy, &batch[2..]), 2);
    }
}
