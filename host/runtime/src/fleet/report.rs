//! What the fleet tells operators about one strategy: its counters since it was installed and
//! its state, as the API, the status page and `/metrics` show them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::host::CallStats;
use crate::metadata::StrategyMetadata;

/// Counters of one strategy since it was installed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StrategyCounters {
    /// Bars delivered.
    pub bars: u64,
    /// Guest calls that delivered them: one per bar with `on-bar`, fewer where several were
    /// due at once (a warm-up, a backfill) and went in `on-bars` batches.
    pub bar_calls: u64,
    /// `on-fill` calls made.
    pub fills: u64,
    /// `emit` calls.
    pub signals: u64,
    /// Of those, refused.
    pub rejected: u64,
    /// Faults, by kind label (`deadline`, `panic`, ...).
    pub faults: BTreeMap<&'static str, u64>,
    /// Restarts after faults.
    pub restarts: u64,
    /// Total time in guest calls, ns.
    pub call_ns_total: u64,
    /// Longest guest call, ns.
    pub call_ns_max: u64,
}

/// A strategy's state for operators.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyStatus {
    /// Name in the host.
    pub name: String,
    /// The file it was loaded from.
    pub file: String,
    /// SHA-256 of the running build.
    pub wasm_sha256: String,
    /// What it declared.
    pub metadata: StrategyMetadata,
    /// `running`, `backing-off`, `quarantined` or `disabled`.
    pub state: &'static str,
    /// Why it is not running, or the last fault.
    pub last_error: Option<String>,
    /// Faults in the current strike window.
    pub strikes: usize,
    /// Counters.
    pub counters: StrategyCounters,
}

impl StrategyCounters {
    /// Adds one guest call's wall time.
    pub(super) fn count_call_time(&mut self, took: Duration) {
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.call_ns_total = self.call_ns_total.saturating_add(ns);
        self.call_ns_max = self.call_ns_max.max(ns);
    }

    /// Adds the signals one guest call emitted, and how many of them were refused.
    pub(super) fn count_signals(&mut self, stats: CallStats) {
        self.signals += u64::from(stats.emits);
        self.rejected += u64::from(stats.rejections);
    }
}
