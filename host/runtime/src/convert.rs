//! Conversions between the host's own types and the ones `bindgen!` generates from the WIT.
//!
//! The rest of the host speaks `risk::types`; only the runtime touches the generated types, and
//! only through these.

use super::bindings;
use sandtrade_core::{Action, Market, OrderType, RejectCode, Rejection, SignalRequest, Timing};

impl From<Market> for bindings::Market {
    fn from(market: Market) -> Self {
        match market {
            Market::UsStock => Self::UsStock,
            Market::HkStock => Self::HkStock,
        }
    }
}

impl From<Action> for bindings::Action {
    fn from(action: Action) -> Self {
        match action {
            Action::OpenLong => Self::OpenLong,
            Action::AddLong => Self::AddLong,
            Action::CloseLong => Self::CloseLong,
            Action::ReduceLong => Self::ReduceLong,
        }
    }
}

impl From<bindings::Action> for Action {
    fn from(action: bindings::Action) -> Self {
        match action {
            bindings::Action::OpenLong => Self::OpenLong,
            bindings::Action::AddLong => Self::AddLong,
            bindings::Action::CloseLong => Self::CloseLong,
            bindings::Action::ReduceLong => Self::ReduceLong,
        }
    }
}

impl From<bindings::Signal> for SignalRequest {
    fn from(signal: bindings::Signal) -> Self {
        Self {
            action: signal.action.into(),
            symbol: signal.symbol,
            quantity: signal.quantity,
            order_type: match signal.order_type {
                bindings::OrderType::Market => OrderType::Market,
                bindings::OrderType::Limit(price) => OrderType::Limit(price),
            },
            // 0.1.0 has no time in force: every order is a day order in regular hours.
            timing: Timing::DAY,
            reason: signal.reason,
        }
    }
}

impl From<Rejection> for bindings::Rejection {
    fn from(rejection: Rejection) -> Self {
        use bindings::RejectCode as G;
        let code = match rejection.code {
            RejectCode::ShortNotAllowed => G::ShortNotAllowed,
            RejectCode::PositionLimit => G::PositionLimit,
            RejectCode::OrderLimit => G::OrderLimit,
            RejectCode::LotSize => G::LotSize,
            RejectCode::RateLimit => G::RateLimit,
            RejectCode::UnknownSymbol => G::UnknownSymbol,
            RejectCode::InvalidQuantity => G::InvalidQuantity,
            RejectCode::InvalidPrice => G::InvalidPrice,
            RejectCode::NotSubscribed => G::NotSubscribed,
            // Only an order type or time in force 0.1.0 cannot express is refused this way;
            // the nearest 0.1.0 code keeps the message, which names the combination.
            RejectCode::InvalidOrder => G::InvalidPrice,
            RejectCode::TradingHalted => G::TradingHalted,
            RejectCode::Unavailable => G::Unavailable,
        };
        Self {
            code,
            message: rejection.message,
        }
    }
}

impl bindings::Bar {
    /// A bar of `symbol` (as the strategy spells it) with every number zero: one is kept per
    /// subscription and refilled with [`bindings::Bar::set`] for each new bar, so delivering a
    /// bar allocates nothing.
    pub fn blank(symbol: impl Into<String>, market: Market) -> Self {
        Self {
            symbol: symbol.into(),
            market: market.into(),
            start_ms: 0,
            open: 0.0,
            high: 0.0,
            low: 0.0,
            close: 0.0,
            volume: 0.0,
        }
    }

    /// Sets the time and prices, keeping the symbol.
    pub fn set(&mut self, start_ms: i64, [open, high, low, close, volume]: [f64; 5]) {
        self.start_ms = start_ms;
        self.open = open;
        self.high = high;
        self.low = low;
        self.close = close;
        self.volume = volume;
    }
}
