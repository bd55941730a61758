//! Building and emitting signals.

use std::fmt;

use crate::{Action, Fill, OrderType, Rejection, Signal};

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

/// Submits a signal. The host validates it now: `Ok` carries its durable id (persisted before
/// this returns), `Err` names the rule that refused it.
pub fn emit(signal: Signal) -> Result<SignalId, Rejection> {
    crate::sys::emit(&signal)
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

/// `open-long 100 AAPL`, `reduce-long 40 MSFT limit 187.5`, `close-long AAPL` (the reason is
/// left out).
impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            Action::CloseLong => write!(f, "{} {}", self.action, self.symbol)?,
            _ => write!(f, "{} {} {}", self.action, self.quantity, self.symbol)?,
        }
        match self.order_type {
            OrderType::Market => Ok(()),
            OrderType::Limit(price) => write!(f, " limit {price}"),
        }
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
