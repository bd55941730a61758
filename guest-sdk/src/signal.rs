//! Building and emitting signals.

use crate::{Action, OrderType, Rejection, Signal};

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
