//! What the validator needs to know about the account: the seam between risk and whoever
//! holds the positions (the backtest simulator, or the live order book).

use sandtrade_core::{Exposure, Instrument};

/// The account as the validator sees it, for one strategy.
///
/// Implemented by the backtest simulator and by the live order book. Both calls are on the
/// hot path of every signal: they should not allocate.
pub trait Book {
    /// This strategy's exposure in `instrument` (all zero if it never traded it).
    fn exposure(&self, instrument: &Instrument) -> Exposure;

    /// The last known price of `instrument`, used to value market orders against notional
    /// limits. `None` if no price is known yet.
    fn reference_price(&self, instrument: &Instrument) -> Option<f64>;
}
