//! A fill of a simulated order: what the simulated account produces and the report reads.

use sandtrade_core::{Action, Side};

use super::instruments::SymbolId;

/// A fill of a simulated order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fill {
    /// The id [`Sim::submit`](super::Sim::submit) returned.
    pub signal_id: u64,
    /// The instrument.
    pub symbol: SymbolId,
    /// The action of the signal.
    pub action: Action,
    /// Buy or sell.
    pub side: Side,
    /// Shares.
    pub quantity: u32,
    /// Price per share, slippage included.
    pub price: f64,
    /// Commission charged.
    pub commission: f64,
    /// Start of the bar it filled in.
    pub time_ms: i64,
    /// For a sell, `(price − average cost) × quantity`; 0 for a buy.
    pub realized_pnl: f64,
}
