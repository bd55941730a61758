//! Per-strategy signal rate: at most N signals in any 60 s of the strategy's clock.
//!
//! The clock is the `now_ms` the caller passes: wall time live, replay time in a backtest, so a
//! backtest is deterministic. **Every attempt that reaches this check counts**, whether a later
//! rule refuses it or not, so a strategy that floods `emit` (say a million calls in one bar) is
//! cut off after N, and each further call costs a comparison. Attempts this check refuses do not
//! count: the strategy may emit again as soon as its oldest counted attempt is 60 s old.
//!
//! A sliding window kept as a ring of the last N attempt times: O(1) per attempt, no
//! allocation after construction, exact ("N in any 60 s", unlike a token bucket, which also lets
//! a burst of N through right after a steady stream).

use sandtrade_core::{RejectCode, Rejection};

/// The rate when neither the config nor the strategy sets `max_signals_per_minute`.
pub const DEFAULT_SIGNALS_PER_MINUTE: u32 = 60;

/// Highest `max_signals_per_minute` accepted: 100 a second, twice what IB accepts for the whole
/// account (50 messages a second), so no real strategy needs more.
pub const MAX_SIGNALS_PER_MINUTE: u32 = 6_000;

/// Length of the window.
pub const WINDOW_MS: i64 = 60_000;

/// The last N attempt times of one strategy.
#[derive(Debug, Clone)]
pub struct RateWindow {
    /// Ring of attempt times; `times[next]` is the oldest once the ring is full.
    times: Box<[i64]>,
    next: usize,
    filled: usize,
}

impl RateWindow {
    /// A window allowing `max_per_minute` attempts in any 60 s, clamped to
    /// `1..=`[`MAX_SIGNALS_PER_MINUTE`] (the config is validated before it gets here).
    pub fn new(max_per_minute: u32) -> Self {
        let n = max_per_minute.clamp(1, MAX_SIGNALS_PER_MINUTE) as usize;
        Self {
            times: vec![i64::MIN; n].into_boxed_slice(),
            next: 0,
            filled: 0,
        }
    }

    /// Attempts allowed in any 60 s.
    pub fn max_per_minute(&self) -> u32 {
        // At most MAX_SIGNALS_PER_MINUTE, so it fits.
        self.times.len() as u32
    }

    /// Counts an attempt at `now_ms` if the window has room.
    ///
    /// # Errors
    ///
    /// `rate-limit` when N attempts were counted in the 60 s up to `now_ms`, saying when the
    /// next one is allowed. A clock that goes backwards only makes this stricter.
    pub fn try_acquire(&mut self, now_ms: i64) -> Result<(), Rejection> {
        let oldest = self.times[self.next];
        let full = self.filled == self.times.len();
        if full && now_ms.saturating_sub(oldest) < WINDOW_MS {
            let n = self.times.len();
            return Err(Rejection::new(
                RejectCode::RateLimit,
                format!(
                    "{n} signals already counted in the last 60 s (max_signals_per_minute {n}); \
                     the next is allowed in {} ms",
                    oldest.saturating_add(WINDOW_MS).saturating_sub(now_ms)
                ),
            ));
        }
        self.times[self.next] = now_ms;
        self.next = (self.next + 1) % self.times.len();
        self.filled = (self.filled + 1).min(self.times.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn n_attempts_then_refused_until_the_oldest_is_60s_old() {
        let mut w = RateWindow::new(3);
        assert_eq!(w.try_acquire(1_000), Ok(()));
        assert_eq!(w.try_acquire(2_000), Ok(()));
        assert_eq!(w.try_acquire(2_000), Ok(()));
        assert_eq!(
            w.try_acquire(60_999),
            Err(Rejection::new(
                RejectCode::RateLimit,
                "3 signals already counted in the last 60 s (max_signals_per_minute 3); the next \
                 is allowed in 1 ms"
            ))
        );
        assert_eq!(w.try_acquire(61_000), Ok(()));
        assert_eq!(
            w.try_acquire(61_000).unwrap_err().code,
            RejectCode::RateLimit
        );
        assert_eq!(w.try_acquire(62_000), Ok(()));
        assert_eq!(w.try_acquire(62_000), Ok(()));
        assert_eq!(
            w.try_acquire(62_000).unwrap_err().code,
            RejectCode::RateLimit
        );
    }

    #[test]
    fn a_million_attempts_in_one_instant_pass_n() {
        let mut w = RateWindow::new(DEFAULT_SIGNALS_PER_MINUTE);
        let passed = (0..1_000_000).filter(|_| w.try_acquire(5).is_ok()).count();
        assert_eq!(passed, 60);
    }

    #[test]
    fn rate_is_clamped() {
        assert_eq!(RateWindow::new(0).max_per_minute(), 1);
        assert_eq!(
            RateWindow::new(u32::MAX).max_per_minute(),
            MAX_SIGNALS_PER_MINUTE
        );
    }

    #[test]
    fn extreme_clocks_do_not_overflow() {
        let mut w = RateWindow::new(1);
        assert_eq!(w.try_acquire(i64::MIN), Ok(()));
        assert_eq!(w.try_acquire(i64::MAX), Ok(()));
        assert_eq!(
            w.try_acquire(i64::MIN).unwrap_err().code,
            RejectCode::RateLimit
        );
    }

    proptest! {
        /// Whatever the attempt times (non-decreasing), no 60 s window holds more than N accepted.
        #[test]
        fn never_more_than_n_in_any_window(n in 1u32..8, steps in proptest::collection::vec(0i64..30_000, 1..200)) {
            let mut w = RateWindow::new(n);
            let mut now = 0;
            let mut accepted = Vec::new();
            for step in steps {
                now += step;
                if w.try_acquire(now).is_ok() { accepted.push(now); }
            }
            for (i, &t) in accepted.iter().enumerate() {
                let in_window = accepted[i..].iter().take_while(|&&u| u < t + WINDOW_MS).count();
                prop_assert!(in_window <= n as usize, "{} accepted within 60 s of {}", in_window, t);
            }
        }
    }
}
