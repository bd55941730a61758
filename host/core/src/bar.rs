//! The one bar: what a strategy is fed, whether it came from IB (live or history) or from a
//! backtest's bar file.

/// One OHLCV bar of one instrument (which instrument is the carrier's business).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Start, ms since the Unix epoch.
    pub start_ms: i64,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Volume.
    pub volume: f64,
}
