//! Building and emitting signals: the order types a strategy may ask IB for, their time in
//! force, and the protective orders a trader names (`stop_loss`, `take_profit`,
//! `trailing_stop`).

use std::cell::Cell;
use std::fmt;

use crate::{
    Action, CancelOutcome, CancelRefusal, Fill, ModifyOutcome, ModifyRefusal, OrderChange,
    OrderType, Rejection, Signal, StopLimit, TimeInForce, Trail, TrailingStop, WorkingOrder,
};

/// The durable id the host gives an accepted signal; [`Fill::signal_id`](crate::Fill) carries
/// it back.
pub type SignalId = u64;

impl Signal {
    /// A market-order signal with an empty reason. Prefer the named constructors
    /// ([`Signal::open_long`] etc.) and add a [`reason`](Signal::reason).
    pub fn new(action: Action, symbol: impl Into<String>, quantity: u32) -> Self {
        Signal {
            action,
            symbol: symbol.into(),
            quantity,
            order_type: OrderType::Market,
            time_in_force: TimeInForce::Day,
            outside_rth: false,
            reason: String::new(),
        }
    }

    /// Buy `quantity` shares of `symbol` into a flat position.
    pub fn open_long(symbol: impl Into<String>, quantity: u32) -> Self {
        Signal::new(Action::OpenLong, symbol, quantity)
    }

    /// Buy `quantity` more shares of a position already held.
    pub fn add_long(symbol: impl Into<String>, quantity: u32) -> Self {
        Signal::new(Action::AddLong, symbol, quantity)
    }

    /// Sell the whole position in `symbol` (the quantity is 0: the host sells what is held).
    pub fn close_long(symbol: impl Into<String>) -> Self {
        Signal::new(Action::CloseLong, symbol, 0)
    }

    /// Sell `quantity` shares of the position in `symbol`.
    pub fn reduce_long(symbol: impl Into<String>, quantity: u32) -> Self {
        Signal::new(Action::ReduceLong, symbol, quantity)
    }

    /// A stop-loss: sells `quantity` shares of `symbol` at the market once the last price
    /// falls to `trigger`, good till cancelled. It rests at IB, so it protects the position
    /// while the host is down; while it rests, those shares count as already being sold.
    ///
    /// ```
    /// # use sandtrade_guest::prelude::*;
    /// let stop = Signal::stop_loss("AAPL", 100, 180.0).reason("2% under the entry");
    /// assert_eq!(stop.to_string(), "reduce-long 100 AAPL stop 180 gtc");
    /// ```
    pub fn stop_loss(symbol: impl Into<String>, quantity: u32, trigger: f64) -> Self {
        Signal::reduce_long(symbol, quantity).stop(trigger).gtc()
    }

    /// A take-profit: sells `quantity` shares of `symbol` at `price` or better, good till
    /// cancelled.
    pub fn take_profit(symbol: impl Into<String>, quantity: u32, price: f64) -> Self {
        Signal::reduce_long(symbol, quantity).limit(price).gtc()
    }

    /// A trailing stop: sells `quantity` shares of `symbol` once the price falls `trail`
    /// below the highest price seen since it was placed, good till cancelled.
    ///
    /// ```
    /// # use sandtrade_guest::prelude::*;
    /// let trail = Signal::trailing_stop("AAPL", 100, Trail::Percent(3.0));
    /// assert_eq!(trail.to_string(), "reduce-long 100 AAPL trailing-stop 3% gtc");
    /// ```
    pub fn trailing_stop(symbol: impl Into<String>, quantity: u32, trail: Trail) -> Self {
        Signal::reduce_long(symbol, quantity).trailing(trail)
    }

    /// Makes it a limit order at `price` (must be finite and positive, or the host refuses
    /// the signal with `invalid-price`).
    pub fn limit(mut self, price: f64) -> Self {
        self.order_type = OrderType::Limit(price);
        self
    }

    /// Makes it a market order (the default).
    pub fn market(mut self) -> Self {
        self.order_type = OrderType::Market;
        self
    }

    /// Makes it a stop: a market order once the last price reaches `trigger` (at or below it
    /// for a sell, at or above it for a buy).
    pub fn stop(mut self, trigger: f64) -> Self {
        self.order_type = OrderType::Stop(trigger);
        self
    }

    /// Makes it a stop-limit: a limit order at `limit` once the last price reaches `trigger`.
    pub fn stop_limit(mut self, trigger: f64, limit: f64) -> Self {
        self.order_type = OrderType::StopLimit(StopLimit { trigger, limit });
        self
    }

    /// Makes it a trailing stop, `trail` behind the best price seen, good till cancelled
    /// unless a time in force is set after it.
    pub fn trailing(mut self, trail: Trail) -> Self {
        self.order_type = OrderType::TrailingStop(TrailingStop {
            trail,
            limit_offset: None,
        });
        self.gtc()
    }

    /// Makes a trailing stop a trailing stop-limit: once triggered it rests as a limit
    /// `offset` beyond the trigger. Does nothing to other order types.
    pub fn limit_offset(mut self, offset: f64) -> Self {
        if let OrderType::TrailingStop(trailing) = &mut self.order_type {
            trailing.limit_offset = Some(offset);
        }
        self
    }

    /// Makes it a market-on-close order (a day order, executed in the closing auction).
    pub fn market_on_close(mut self) -> Self {
        self.order_type = OrderType::MarketOnClose;
        self.time_in_force = TimeInForce::Day;
        self
    }

    /// Makes it a limit-on-close order at `price` (a day order, executed in the closing
    /// auction at `price` or better).
    pub fn limit_on_close(mut self, price: f64) -> Self {
        self.order_type = OrderType::LimitOnClose(price);
        self.time_in_force = TimeInForce::Day;
        self
    }

    /// Good till cancelled: it works across days and gateway restarts.
    pub fn gtc(mut self) -> Self {
        self.time_in_force = TimeInForce::Gtc;
        self
    }

    /// A day order (the default for everything but the protective helpers).
    pub fn day(mut self) -> Self {
        self.time_in_force = TimeInForce::Day;
        self
    }

    /// Immediate or cancel: what does not fill at once is cancelled (market and limit only).
    pub fn ioc(mut self) -> Self {
        self.time_in_force = TimeInForce::Ioc;
        self
    }

    /// In the opening auction only (market and limit only).
    pub fn opg(mut self) -> Self {
        self.time_in_force = TimeInForce::Opg;
        self
    }

    /// Lets it trigger and fill outside regular trading hours (IB `outsideRth`); IB takes
    /// only limit-priced orders there, so a market order with it is refused.
    pub fn outside_rth(mut self) -> Self {
        self.outside_rth = true;
        self
    }

    /// Sets the human-readable reason kept with the signal and shown to operators.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    /// Submits the signal: same as [`emit(self)`](crate::emit).
    pub fn emit(self) -> Result<SignalId, Rejection> {
        emit(self)
    }
}

thread_local! {
    /// Signals accepted in this instance so far: `on-bars` stops its batch after a bar that
    /// changed it (see `export_strategy!`).
    static ACCEPTED: Cell<u64> = const { Cell::new(0) };
}

/// How many signals (and brackets) this instance has had accepted.
pub(crate) fn accepted_so_far() -> u64 {
    ACCEPTED.with(Cell::get)
}

/// Counts one more accepted signal or bracket.
pub(crate) fn count_accepted() {
    ACCEPTED.with(|n| n.set(n.get() + 1));
}

/// Submits a signal. The host validates it now: `Ok` carries its durable id (persisted before
/// this returns), `Err` names the rule that refused it.
pub fn emit(signal: Signal) -> Result<SignalId, Rejection> {
    let outcome = crate::sys::emit(&signal);
    if outcome.is_ok() {
        count_accepted();
    }
    outcome
}

/// This strategy's orders that have not ended (queued, on their way, working at IB, or being
/// cancelled), oldest first. The exits of a [`bracket`](crate::bracket) are listed with
/// [`WorkingOrder::exit_of`] set to their entry's signal id.
pub fn working_orders() -> Vec<WorkingOrder> {
    crate::sys::working_orders()
}

/// Changes the quantity or prices of the working order of signal `signal_id`: raising a stop
/// behind a rising price, say. The host validates it as a new order in its place (it cannot
/// sell more than is held, break a limit, or change the order's type), and records it before
/// sending it, like a cancel. While IB has not acknowledged the order, an earlier change or a
/// cancel, it answers [`ModifyRefusal::Pending`]: try again on a later bar.
///
/// ```
/// # use sandtrade_guest::prelude::*;
/// # use sandtrade_guest::testing::MockHost;
/// # MockHost::reset();
/// let stop = stop_loss("AAPL", 100, 180.0).unwrap();
/// assert_eq!(modify(stop, OrderChange::to(OrderType::Stop(185.0))), Ok(ModifyOutcome::Changed));
/// assert_eq!(working_orders()[0].order_type, OrderType::Stop(185.0));
/// ```
pub fn modify(signal_id: SignalId, change: OrderChange) -> Result<ModifyOutcome, ModifyRefusal> {
    crate::sys::modify(signal_id, &change)
}

impl OrderChange {
    /// New prices: `order_type` is the order's own type with other numbers.
    pub fn to(order_type: OrderType) -> Self {
        OrderChange {
            quantity: None,
            order_type: Some(order_type),
        }
    }

    /// A new quantity: shares ordered in all, those already filled included.
    pub fn to_quantity(quantity: u32) -> Self {
        OrderChange {
            quantity: Some(quantity),
            order_type: None,
        }
    }

    /// Also changes the quantity.
    pub fn quantity(mut self, quantity: u32) -> Self {
        self.quantity = Some(quantity);
        self
    }
}

impl ModifyRefusal {
    /// The refusal as the WIT spells it: `unknown-order`, `already-ended`, `pending`,
    /// `refused`, `unavailable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ModifyRefusal::UnknownOrder => "unknown-order",
            ModifyRefusal::AlreadyEnded => "already-ended",
            ModifyRefusal::Pending => "pending",
            ModifyRefusal::Refused(_) => "refused",
            ModifyRefusal::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for ModifyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModifyOutcome::Changed => "changed",
            ModifyOutcome::Requested => "requested",
        })
    }
}

/// Cancels the order of the signal `signal_id`. The host records the cancel before sending
/// it: one asked while the host is disconnected is sent once it is connected again. An order
/// may still fill before the cancel reaches IB; its fills arrive through `on_fill` as usual.
pub fn cancel(signal_id: SignalId) -> Result<CancelOutcome, CancelRefusal> {
    crate::sys::cancel(signal_id)
}

/// Submits a signal like [`emit`] and writes the outcome to the host log: at info level
/// `open-long 100 AAPL: accepted as signal 7 (reason)`, at warn level
/// `open-long 100 AAPL: refused, position-limit: (message)`.
pub fn emit_logged(signal: Signal) -> Result<SignalId, Rejection> {
    let what = signal.to_string();
    let reason = signal.reason.clone();
    let outcome = emit(signal);
    match &outcome {
        Ok(id) if reason.is_empty() => crate::info!("{what}: accepted as signal {id}"),
        Ok(id) => crate::info!("{what}: accepted as signal {id} ({reason})"),
        Err(rejection) => {
            crate::warn!("{what}: refused, {}: {}", rejection.code, rejection.message)
        }
    }
    outcome
}

/// `open-long 100 AAPL`, `reduce-long 40 MSFT limit 187.5`, `close-long AAPL`,
/// `reduce-long 100 AAPL stop 180 gtc outside-rth` (the reason is left out; a market day
/// order in regular hours shows neither).
impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            Action::CloseLong => write!(f, "{} {}", self.action, self.symbol)?,
            _ => write!(f, "{} {} {}", self.action, self.quantity, self.symbol)?,
        }
        if self.order_type != OrderType::Market {
            write!(f, " {}", self.order_type)?;
        }
        if self.time_in_force != TimeInForce::Day {
            write!(f, " {}", self.time_in_force)?;
        }
        if self.outside_rth {
            f.write_str(" outside-rth")?;
        }
        Ok(())
    }
}

/// `limit 187.5`, `stop 180`, `stop-limit 180/179.5`, `trailing-stop 2.5`,
/// `trailing-stop 3% offset 0.1`, `market-on-close`, `limit-on-close 190`.
impl fmt::Display for OrderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderType::Market => f.write_str("market"),
            OrderType::Limit(price) => write!(f, "limit {price}"),
            OrderType::Stop(trigger) => write!(f, "stop {trigger}"),
            OrderType::StopLimit(StopLimit { trigger, limit }) => {
                write!(f, "stop-limit {trigger}/{limit}")
            }
            OrderType::TrailingStop(TrailingStop {
                trail,
                limit_offset,
            }) => {
                match trail {
                    Trail::Amount(amount) => write!(f, "trailing-stop {amount}")?,
                    Trail::Percent(percent) => write!(f, "trailing-stop {percent}%")?,
                }
                match limit_offset {
                    Some(offset) => write!(f, " offset {offset}"),
                    None => Ok(()),
                }
            }
            OrderType::MarketOnClose => f.write_str("market-on-close"),
            OrderType::LimitOnClose(price) => write!(f, "limit-on-close {price}"),
        }
    }
}

/// `day`, `gtc`, `ioc`, `opg`.
impl fmt::Display for TimeInForce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeInForce::Day => "day",
            TimeInForce::Gtc => "gtc",
            TimeInForce::Ioc => "ioc",
            TimeInForce::Opg => "opg",
        })
    }
}

/// Buys `quantity` shares of `symbol` at the market into a flat position.
pub fn open_long(symbol: &str, quantity: u32) -> Result<SignalId, Rejection> {
    emit(Signal::open_long(symbol, quantity))
}

/// Buys `quantity` more shares of `symbol` at the market.
pub fn add_long(symbol: &str, quantity: u32) -> Result<SignalId, Rejection> {
    emit(Signal::add_long(symbol, quantity))
}

/// Sells the whole position in `symbol` at the market.
pub fn close_long(symbol: &str) -> Result<SignalId, Rejection> {
    emit(Signal::close_long(symbol))
}

/// Sells `quantity` shares of the position in `symbol` at the market.
pub fn reduce_long(symbol: &str, quantity: u32) -> Result<SignalId, Rejection> {
    emit(Signal::reduce_long(symbol, quantity))
}

/// Buys `quantity` shares of `symbol` into a flat position, at `price` or better.
pub fn open_long_limit(symbol: &str, quantity: u32, price: f64) -> Result<SignalId, Rejection> {
    emit(Signal::open_long(symbol, quantity).limit(price))
}

/// Buys `quantity` more shares of `symbol`, at `price` or better.
pub fn add_long_limit(symbol: &str, quantity: u32, price: f64) -> Result<SignalId, Rejection> {
    emit(Signal::add_long(symbol, quantity).limit(price))
}

/// Sells the whole position in `symbol`, at `price` or better.
pub fn close_long_limit(symbol: &str, price: f64) -> Result<SignalId, Rejection> {
    emit(Signal::close_long(symbol).limit(price))
}

/// Sells `quantity` shares of the position in `symbol`, at `price` or better.
pub fn reduce_long_limit(symbol: &str, quantity: u32, price: f64) -> Result<SignalId, Rejection> {
    emit(Signal::reduce_long(symbol, quantity).limit(price))
}

/// Places a good-till-cancelled stop-loss: sells `quantity` shares of `symbol` at the market
/// once the last price falls to `trigger`. See [`Signal::stop_loss`].
pub fn stop_loss(symbol: &str, quantity: u32, trigger: f64) -> Result<SignalId, Rejection> {
    emit(Signal::stop_loss(symbol, quantity, trigger))
}

/// Places a good-till-cancelled take-profit: sells `quantity` shares of `symbol` at `price` or
/// better. See [`Signal::take_profit`].
pub fn take_profit(symbol: &str, quantity: u32, price: f64) -> Result<SignalId, Rejection> {
    emit(Signal::take_profit(symbol, quantity, price))
}

/// Places a good-till-cancelled trailing stop on `quantity` shares of `symbol`. See
/// [`Signal::trailing_stop`].
pub fn trailing_stop(symbol: &str, quantity: u32, trail: Trail) -> Result<SignalId, Rejection> {
    emit(Signal::trailing_stop(symbol, quantity, trail))
}

impl fmt::Display for CancelOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CancelOutcome::Cancelled => "cancelled",
            CancelOutcome::Requested => "requested",
        })
    }
}

impl CancelRefusal {
    /// The refusal as the WIT spells it, e.g. `already-ended`.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelRefusal::UnknownOrder => "unknown-order",
            CancelRefusal::AlreadyEnded => "already-ended",
            CancelRefusal::Unavailable => "unavailable",
        }
    }
}

/// `signal 7: open-long 100 AAPL filled at 187.5`.
impl fmt::Display for Fill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "signal {}: {} {} {} filled at {}",
            self.signal_id, self.action, self.quantity, self.symbol, self.price
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MockHost;
    use crate::{Level, RejectCode};

    #[test]
    fn signals_display_as_operators_read_them() {
        assert_eq!(
            Signal::open_long("AAPL", 100).to_string(),
            "open-long 100 AAPL"
        );
        assert_eq!(
            Signal::reduce_long("MSFT", 40).limit(187.5).to_string(),
            "reduce-long 40 MSFT limit 187.5"
        );
        assert_eq!(
            Signal::close_long("0700.HK").reason("exit").to_string(),
            "close-long 0700.HK"
        );
    }

    #[test]
    fn fills_display_as_operators_read_them() {
        let fill = Fill {
            signal_id: 7,
            symbol: "AAPL".into(),
            action: Action::OpenLong,
            quantity: 100,
            price: 187.5,
            time_ms: 0,
        };
        assert_eq!(
            fill.to_string(),
            "signal 7: open-long 100 AAPL filled at 187.5"
        );
    }

    #[test]
    fn emit_logged_writes_the_outcome() {
        MockHost::reset();
        assert_eq!(
            emit_logged(Signal::add_long("AAPL", 5).reason("dip")),
            Ok(1)
        );
        assert_eq!(emit_logged(Signal::add_long("AAPL", 6)), Ok(2));
        MockHost::reject_next(RejectCode::PositionLimit, "max_position_shares=10");
        let refused = emit_logged(Signal::add_long("AAPL", 7));
        assert_eq!(refused.map_err(|r| r.code), Err(RejectCode::PositionLimit));
        assert_eq!(
            MockHost::logs(),
            [
                (
                    Level::Info,
                    "add-long 5 AAPL: accepted as signal 1 (dip)".to_string()
                ),
                (
                    Level::Info,
                    "add-long 6 AAPL: accepted as signal 2".to_string()
                ),
                (
                    Level::Warn,
                    "add-long 7 AAPL: refused, position-limit: max_position_shares=10".to_string()
                ),
            ]
        );
    }

    #[test]
    fn protective_orders_read_as_a_trader_says_them() {
        let shown = |s: Signal| s.to_string();
        assert_eq!(
            shown(Signal::take_profit("AAPL", 100, 195.0)),
            "reduce-long 100 AAPL limit 195 gtc"
        );
        assert_eq!(
            shown(Signal::trailing_stop("AAPL", 10, Trail::Amount(2.5)).limit_offset(0.1)),
            "reduce-long 10 AAPL trailing-stop 2.5 offset 0.1 gtc"
        );
        assert_eq!(
            shown(
                Signal::reduce_long("AAPL", 5)
                    .stop_limit(180.0, 179.5)
                    .outside_rth()
            ),
            "reduce-long 5 AAPL stop-limit 180/179.5 outside-rth"
        );
        assert_eq!(
            shown(Signal::close_long("AAPL").gtc().market_on_close()),
            "close-long AAPL market-on-close"
        );
        assert_eq!(
            shown(Signal::open_long("AAPL", 1).limit(190.0).opg()),
            "open-long 1 AAPL limit 190 opg"
        );
        // A time in force set after `trailing` wins over its gtc default.
        let day_trail = Signal::reduce_long("A", 1)
            .trailing(Trail::Percent(1.0))
            .day();
        assert_eq!(day_trail.time_in_force, TimeInForce::Day);
        // A limit offset means nothing to a plain stop.
        let stop = Signal::reduce_long("A", 1).stop(9.0).limit_offset(0.5);
        assert_eq!(stop.order_type, OrderType::Stop(9.0));
    }

    /// Buys on the bar whose close is above 10; the only host call it makes is that emit.
    struct BuyAbove10;

    impl crate::Strategy for BuyAbove10 {
        fn describe() -> crate::Metadata {
            crate::Metadata::new("buy-above-10", "1.0.0", ["AAPL"], 60)
        }
        fn init(_: &crate::Params) -> Result<Self, String> {
            Ok(BuyAbove10)
        }
        fn on_bar(&mut self, bar: &crate::Bar) {
            if bar.close > 10.0 {
                let _ = open_long(&bar.symbol, 1);
            }
        }
    }

    #[test]
    fn a_batch_stops_after_the_bar_of_an_accepted_signal_and_tells_the_host_that_bar() {
        use crate::testing::{bars, on_bars};
        MockHost::reset();
        let mut strategy = BuyAbove10;
        let batch = bars("AAPL", &[9.0, 9.5, 11.0, 12.0, 13.0]);
        assert_eq!(on_bars(&mut strategy, &batch), 3);
        assert_eq!(MockHost::handled_bars(), [2]);
        // The rest, as the host sends it again: the first bar is the host's cursor already.
        assert_eq!(on_bars(&mut strategy, &batch[3..]), 1);
        assert_eq!(MockHost::handled_bars(), [2]);
        // A refused signal does not end the batch.
        MockHost::reject_next(RejectCode::PositionLimit, "max_position_shares=1");
        assert_eq!(on_bars(&mut strategy, &batch[2..]), 2);
        assert_eq!(MockHost::handled_bars(), [2, 1]);
    }

    #[test]
    fn working_orders_and_cancel_reach_the_host() {
        MockHost::reset();
        MockHost::set_position("AAPL", 100, 187.5);
        let stop = stop_loss("AAPL", 100, 180.0).unwrap();
        let working = working_orders();
        assert_eq!(working.len(), 1);
        assert_eq!(working[0].signal_id, stop);
        assert_eq!(working[0].order_type, OrderType::Stop(180.0));
        assert_eq!(working[0].time_in_force, TimeInForce::Gtc);
        assert_eq!(cancel(stop), Ok(CancelOutcome::Cancelled));
        assert!(working_orders().is_empty());
        assert_eq!(cancel(stop), Err(CancelRefusal::AlreadyEnded));
        assert_eq!(cancel(99), Err(CancelRefusal::UnknownOrder));
        assert_eq!(MockHost::cancels(), [stop, stop, 99]);
    }

    #[test]
    fn helpers_build_the_signals_they_name() {
        MockHost::reset();
        open_long_limit("A", 1, 2.5).unwrap();
        close_long_limit("A", 3.0).unwrap();
        reduce_long_limit("A", 4, 5.0).unwrap();
        add_long("A", 6).unwrap();
        let got: Vec<String> = MockHost::signals().iter().map(Signal::to_string).collect();
        assert_eq!(
            got,
            [
                "open-long 1 A limit 2.5",
                "close-long A limit 3",
                "reduce-long 4 A limit 5",
                "add-long 6 A"
            ]
        );
    }
}
