//! A signal and its refusal: what a strategy asks for, and why the host may say no.
//!
//! These mirror the WIT types of `sandtrade:strategy` but are owned by the host: the runtime
//! converts the `bindgen!` output into them, so nothing below the runtime depends on wasmtime.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{OrderType, Timing};

/// What a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Buy into a flat position.
    OpenLong,
    /// Buy more of a position already held (or already being bought).
    AddLong,
    /// Sell the whole sellable position; the signal's quantity is ignored.
    CloseLong,
    /// Sell part of the position.
    ReduceLong,
}

impl Action {
    /// Every action, in WIT order.
    pub const ALL: [Self; 4] = [
        Self::OpenLong,
        Self::AddLong,
        Self::CloseLong,
        Self::ReduceLong,
    ];

    /// The kebab-case WIT name (`open-long`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OpenLong => "open-long",
            Self::AddLong => "add-long",
            Self::CloseLong => "close-long",
            Self::ReduceLong => "reduce-long",
        }
    }

    /// The side of the order this action becomes: buys for `open-long`/`add-long`, sells for
    /// `close-long`/`reduce-long`.
    pub const fn side(self) -> Side {
        match self {
            Self::OpenLong | Self::AddLong => Side::Buy,
            Self::CloseLong | Self::ReduceLong => Side::Sell,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The side of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Buy shares.
    Buy,
    /// Sell shares already held.
    Sell,
}

impl Side {
    /// `buy` or `sell`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "buy",
            Self::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest symbol a signal may carry, in bytes: every accepted form is far shorter
/// (`0700.HK`, `BRK.B`); the cap keeps a hostile strategy's string out of logs and storage.
pub const SYMBOL_MAX_BYTES: usize = 32;

/// The longest reason a signal may carry, in bytes: it is stored with the signal and shown to
/// operators, so it is a sentence, not a payload.
pub const REASON_MAX_BYTES: usize = 1024;

/// A signal as a strategy emitted it, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRequest {
    /// What the signal asks for.
    pub action: Action,
    /// The symbol as the strategy wrote it (any accepted form, e.g. `0700.HK` or `700`).
    pub symbol: String,
    /// Whole shares. Ignored for `close-long`.
    pub quantity: u32,
    /// How the order is priced.
    pub order_type: OrderType,
    /// How long the order works, and whether outside regular hours.
    pub timing: Timing,
    /// Free text kept with the signal and shown to operators; at most [`REASON_MAX_BYTES`].
    pub reason: String,
}

/// Why the host refused a signal: exactly the WIT `reject-code` variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectCode {
    /// The sell is larger than the position minus pending sells.
    ShortNotAllowed,
    /// The position would exceed its share or notional limit, or `open-long`/`add-long` does
    /// not match whether a position is held.
    PositionLimit,
    /// The order exceeds its share or notional limit.
    OrderLimit,
    /// An HK quantity that is not a multiple of the board lot, or no lot is configured.
    LotSize,
    /// Too many signals in the rate window.
    RateLimit,
    /// The symbol is neither a US ticker nor an HK code.
    UnknownSymbol,
    /// Zero shares, or more than the absolute cap.
    InvalidQuantity,
    /// A limit price that is NaN, infinite, zero or negative, or no reference price is known.
    InvalidPrice,
    /// The symbol is not among those the strategy declared.
    NotSubscribed,
    /// An order type with a time in force or session IB does not take for it (an on-close
    /// order that is not a day order, a stop in the opening auction).
    InvalidOrder,
    /// Trading is halted by the operator.
    TradingHalted,
    /// A host-side fault (e.g. the durable write failed). Not the strategy's fault; never
    /// produced by the checks in this module, but counted by the risk layer's signal counters.
    Unavailable,
}

impl RejectCode {
    /// Number of codes.
    pub const COUNT: usize = 12;

    /// Every code, in WIT order; `ALL[code.index()] == code`.
    pub const ALL: [Self; Self::COUNT] = [
        Self::ShortNotAllowed,
        Self::PositionLimit,
        Self::OrderLimit,
        Self::LotSize,
        Self::RateLimit,
        Self::UnknownSymbol,
        Self::InvalidQuantity,
        Self::InvalidPrice,
        Self::NotSubscribed,
        Self::InvalidOrder,
        Self::TradingHalted,
        Self::Unavailable,
    ];

    /// The kebab-case WIT name, e.g. `short-not-allowed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ShortNotAllowed => "short-not-allowed",
            Self::PositionLimit => "position-limit",
            Self::OrderLimit => "order-limit",
            Self::LotSize => "lot-size",
            Self::RateLimit => "rate-limit",
            Self::UnknownSymbol => "unknown-symbol",
            Self::InvalidQuantity => "invalid-quantity",
            Self::InvalidPrice => "invalid-price",
            Self::NotSubscribed => "not-subscribed",
            Self::InvalidOrder => "invalid-order",
            Self::TradingHalted => "trading-halted",
            Self::Unavailable => "unavailable",
        }
    }

    /// Position of this code in [`RejectCode::ALL`] (WIT order).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether the strategy caused this refusal. `false` for `trading-halted` (the operator's
    /// decision) and `unavailable` (a host fault): the runtime should not count those as strikes
    /// against the strategy.
    pub const fn is_strategy_fault(self) -> bool {
        !matches!(self, Self::TradingHalted | Self::Unavailable)
    }
}

impl fmt::Display for RejectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused signal: which rule refused it, and a message naming the rule and the values
/// involved (e.g. `sell of 150 AAPL exceeds held 100 - pending sells 0 = 100`).
///
/// A rejection is an outcome returned to the strategy, not a host error. Its `Display` is
/// `"<code>: <message>"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Rejection {
    /// The rule that refused the signal.
    pub code: RejectCode,
    /// What was wrong, with the values involved.
    pub message: String,
}

impl Rejection {
    /// A rejection with this code and message.
    pub fn new(code: RejectCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_code_names_match_wit() {
        let names: Vec<&str> = RejectCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "short-not-allowed",
                "position-limit",
                "order-limit",
                "lot-size",
                "rate-limit",
                "unknown-symbol",
                "invalid-quantity",
                "invalid-price",
                "not-subscribed",
                "invalid-order",
                "trading-halted",
                "unavailable",
            ]
        );
    }

    #[test]
    fn reject_code_index_matches_all() {
        for (i, code) in RejectCode::ALL.iter().enumerate() {
            assert_eq!(code.index(), i);
        }
    }

    #[test]
    fn reject_code_serde_uses_wit_names() {
        for code in RejectCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn strategy_fault_excludes_halt_and_host_fault() {
        let not_fault: Vec<RejectCode> = RejectCode::ALL
            .into_iter()
            .filter(|c| !c.is_strategy_fault())
            .collect();
        assert_eq!(
            not_fault,
            [RejectCode::TradingHalted, RejectCode::Unavailable]
        );
    }

    #[test]
    fn rejection_display_is_code_then_message() {
        let r = Rejection::new(RejectCode::LotSize, "quantity 150 of 700 is not a multiple");
        assert_eq!(
            r.to_string(),
            "lot-size: quantity 150 of 700 is not a multiple"
        );
    }

    #[test]
    fn action_sides() {
        assert_eq!(Action::OpenLong.side(), Side::Buy);
        assert_eq!(Action::AddLong.side(), Side::Buy);
        assert_eq!(Action::CloseLong.side(), Side::Sell);
        assert_eq!(Action::ReduceLong.side(), Side::Sell);
    }
}
