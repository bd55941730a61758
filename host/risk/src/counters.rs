//! Outcome counters: accepted signals and rejections per code, shared with metrics and the API.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sandtrade_core::RejectCode;

/// Live counters of signal outcomes. Cheap to clone: clones share the counts, so the API reads
/// what the strategy workers write. Counting is one relaxed atomic add.
#[derive(Debug, Clone, Default)]
pub struct SignalCounters {
    inner: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    accepted: AtomicU64,
    rejected: [AtomicU64; RejectCode::COUNT],
}

impl SignalCounters {
    /// All zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts an accepted signal.
    pub fn record_accepted(&self) {
        self.inner.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a rejection.
    pub fn record_rejected(&self, code: RejectCode) {
        self.inner.rejected[code.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Accepted signals so far.
    pub fn accepted(&self) -> u64 {
        self.inner.accepted.load(Ordering::Relaxed)
    }

    /// Rejections with `code` so far.
    pub fn rejected(&self, code: RejectCode) -> u64 {
        self.inner.rejected[code.index()].load(Ordering::Relaxed)
    }

    /// A copy of every count (each read on its own: a count may move while others are read).
    pub fn snapshot(&self) -> SignalCounts {
        SignalCounts {
            accepted: self.accepted(),
            rejected: RejectCode::ALL.map(|code| self.rejected(code)),
        }
    }
}

/// A snapshot of [`SignalCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignalCounts {
    /// Accepted signals.
    pub accepted: u64,
    /// Rejections, indexed by [`RejectCode::index`].
    pub rejected: [u64; RejectCode::COUNT],
}

impl SignalCounts {
    /// Rejections with `code`.
    pub fn rejected(&self, code: RejectCode) -> u64 {
        self.rejected[code.index()]
    }

    /// All rejections.
    pub fn total_rejected(&self) -> u64 {
        self.rejected.iter().sum()
    }

    /// The codes with at least one rejection and their counts, in WIT order.
    pub fn nonzero_rejections(&self) -> impl Iterator<Item = (RejectCode, u64)> + '_ {
        RejectCode::ALL
            .into_iter()
            .map(|c| (c, self.rejected(c)))
            .filter(|&(_, n)| n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_counts() {
        let counters = SignalCounters::new();
        let reader = counters.clone();
        counters.record_accepted();
        counters.record_rejected(RejectCode::RateLimit);
        counters.record_rejected(RejectCode::RateLimit);
        counters.record_rejected(RejectCode::LotSize);
        let snap = reader.snapshot();
        assert_eq!(snap.accepted, 1);
        assert_eq!(snap.total_rejected(), 3);
        assert_eq!(
            snap.nonzero_rejections().collect::<Vec<_>>(),
            [(RejectCode::LotSize, 1), (RejectCode::RateLimit, 2)]
        );
        assert_eq!(reader.rejected(RejectCode::ShortNotAllowed), 0);
    }
}
