//! Historical bars for warm-up, and IB's historical-data pacing.
//!
//! IB answers a historical request that breaks its pacing rules with error 162 ("pacing
//! violation"), and repeated violations get the connection's historical data blocked. The
//! rules (IB's "historical data limitations"): at most 60 requests in any 10 minutes, no
//! identical request within 15 seconds, at most 6 requests for the same contract within 2
//! seconds. [`HistoryPacer`] keeps under each with a margin (50, 15 s, 5).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use ibapi::market_data::historical::BarSize;

/// Requests allowed in [`WINDOW`].
pub const MAX_REQUESTS: usize = 50;
/// IB's long window.
pub const WINDOW: Duration = Duration::from_secs(600);
/// Requests allowed for one contract in [`CONTRACT_WINDOW`].
pub const MAX_PER_CONTRACT: usize = 5;
/// IB's per-contract window.
pub const CONTRACT_WINDOW: Duration = Duration::from_secs(2);
/// No identical request within this.
pub const IDENTICAL_GAP: Duration = Duration::from_secs(15);

/// One historical request, as pacing tells requests apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistoryKey {
    /// IB contract symbol.
    pub symbol: String,
    /// Bar size in seconds.
    pub bar_seconds: u32,
    /// Duration asked for, in seconds.
    pub duration_seconds: u64,
}

/// When the next historical request may go.
#[derive(Debug, Default)]
pub struct HistoryPacer {
    sent: VecDeque<Instant>,
    per_contract: HashMap<String, VecDeque<Instant>>,
    identical: HashMap<HistoryKey, Instant>,
}

impl HistoryPacer {
    /// A pacer that has sent nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The earliest time `key` may be requested, given what was sent (`now` if at once).
    pub fn ready_at(&self, key: &HistoryKey, now: Instant) -> Instant {
        let mut at = now;
        if self.sent.len() >= MAX_REQUESTS
            && let Some(oldest) = self.sent.get(self.sent.len() - MAX_REQUESTS)
        {
            at = at.max(*oldest + WINDOW);
        }
        if let Some(times) = self.per_contract.get(&key.symbol)
            && times.len() >= MAX_PER_CONTRACT
            && let Some(oldest) = times.get(times.len() - MAX_PER_CONTRACT)
        {
            at = at.max(*oldest + CONTRACT_WINDOW);
        }
        if let Some(last) = self.identical.get(key) {
            at = at.max(*last + IDENTICAL_GAP);
        }
        at
    }

    /// Records that `key` was requested at `now`.
    pub fn record(&mut self, key: &HistoryKey, now: Instant) {
        self.sent.push_back(now);
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.sent.pop_front();
        }
        let times = self.per_contract.entry(key.symbol.clone()).or_default();
        times.push_back(now);
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= CONTRACT_WINDOW)
        {
            times.pop_front();
        }
        self.identical
            .retain(|_, t| now.duration_since(*t) < IDENTICAL_GAP);
        self.identical.insert(key.clone(), now);
    }
}

/// The IB bar sizes, with their length in seconds, smallest first.
const BAR_SIZES: [(BarSize, u32); 20] = [
    (BarSize::Sec, 1),
    (BarSize::Sec5, 5),
    (BarSize::Sec10, 10),
    (BarSize::Sec15, 15),
    (BarSize::Sec30, 30),
    (BarSize::Min, 60),
    (BarSize::Min2, 120),
    (BarSize::Min3, 180),
    (BarSize::Min4, 240),
    (BarSize::Min5, 300),
    (BarSize::Min10, 600),
    (BarSize::Min15, 900),
    (BarSize::Min20, 1200),
    (BarSize::Min30, 1800),
    (BarSize::Hour, 3600),
    (BarSize::Hour2, 7200),
    (BarSize::Hour3, 10800),
    (BarSize::Hour4, 14400),
    (BarSize::Hour8, 28800),
    (BarSize::Day, 86400),
];

/// The largest IB bar size, at least five seconds, that divides `bar_seconds`: history is
/// fetched in it and aggregated. `None` if `bar_seconds` is not a multiple of 5 (then live
/// five-second bars cannot make it either).
pub fn source_bar_size(bar_seconds: u32) -> Option<(BarSize, u32)> {
    if bar_seconds == 0 || !bar_seconds.is_multiple_of(5) {
        return None;
    }
    BAR_SIZES
        .iter()
        .rev()
        .find(|(_, s)| *s >= 5 && bar_seconds.is_multiple_of(*s))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(symbol: &str, duration: u64) -> HistoryKey {
        HistoryKey {
            symbol: symbol.into(),
            bar_seconds: 60,
            duration_seconds: duration,
        }
    }

    #[test]
    fn per_contract_and_identical_limits() {
        let t0 = Instant::now();
        let mut p = HistoryPacer::new();
        for d in 0..5 {
            assert_eq!(p.ready_at(&key("AAPL", d), t0), t0);
            p.record(&key("AAPL", d), t0);
        }
        // A sixth AAPL request waits for the 2 s window; MSFT does not.
        assert_eq!(p.ready_at(&key("AAPL", 9), t0), t0 + CONTRACT_WINDOW);
        assert_eq!(p.ready_at(&key("MSFT", 9), t0), t0);
        // The same request again waits 15 s.
        assert_eq!(p.ready_at(&key("AAPL", 0), t0), t0 + IDENTICAL_GAP);
    }

    #[test]
    fn fifty_requests_per_ten_minutes() {
        let t0 = Instant::now();
        let mut p = HistoryPacer::new();
        for i in 0..MAX_REQUESTS as u64 {
            let at = t0 + Duration::from_secs(i);
            p.record(&key(&format!("S{i}"), 1), at);
        }
        let next = key("NEW", 1);
        assert_eq!(p.ready_at(&next, t0 + Duration::from_secs(60)), t0 + WINDOW);
    }

    #[test]
    fn source_sizes() {
        assert_eq!(source_bar_size(5).map(|s| s.1), Some(5));
        assert_eq!(source_bar_size(60).map(|s| s.1), Some(60));
        assert_eq!(source_bar_size(90).map(|s| s.1), Some(30));
        assert_eq!(source_bar_size(300).map(|s| s.1), Some(300));
        assert_eq!(source_bar_size(86_400).map(|s| s.1), Some(86_400));
        assert_eq!(source_bar_size(7), None);
    }
}
