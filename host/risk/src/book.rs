//! What the validator needs to know about the account: the seam between risk and whoever
//! holds the positions (the backtest simulator, or the live order book).

use sandtrade_core::{Exposure, Instrument, Market};

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

    /// The whole account's exposure in `instrument`, over every ledger, for the `[account]`
    /// caps. `None` (the default) where the book knows one ledger only (a backtest).
    fn account_exposure(&self, instrument: &Instrument) -> Option<Exposure> {
        let _ = instrument;
        None
    }

    /// The value of every position held and every buy working in `market`, over every
    /// ledger, in the market's currency, for the `[account]` gross caps. `None` (the default)
    /// where the book knows one ledger only.
    fn account_gross_notional(&self, market: Market) -> Option<f64> {
        let _ = market;
        None
    }
}
