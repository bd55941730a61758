//! What happens to a strategy after it traps: restart with backoff, quarantine after too many.
//!
//! Pure policy over a millisecond clock the caller supplies (the monotonic clock when trading,
//! the replay clock in a backtest), so it is deterministic and unit-tested without waiting.

use std::collections::VecDeque;

/// First restart delay; doubled per consecutive fault, capped at [`MAX_BACKOFF_MS`].
pub const FIRST_BACKOFF_MS: i64 = 1_000;
/// Longest restart delay.
pub const MAX_BACKOFF_MS: i64 = 60_000;

/// The health of one strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Running normally.
    Running,
    /// Trapped; restarts at `until_ms`.
    BackingOff {
        /// When the restart is due.
        until_ms: i64,
    },
    /// Trapped too often; stays stopped until an operator reloads or enables it.
    Quarantined {
        /// Why, for status pages.
        reason: String,
    },
}

/// Strike counting and restart backoff for one strategy.
#[derive(Debug, Clone)]
pub struct Supervisor {
    max_strikes: u32,
    window_ms: i64,
    strikes: VecDeque<i64>,
    consecutive: u32,
    health: Health,
}

impl Supervisor {
    /// Quarantines after `max_strikes` faults within `window_ms`.
    pub fn new(max_strikes: u32, window_ms: i64) -> Self {
        Self {
            max_strikes: max_strikes.max(1),
            window_ms,
            strikes: VecDeque::new(),
            consecutive: 0,
            health: Health::Running,
        }
    }

    /// The current health.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// Faults counted in the current window.
    pub fn strikes(&self) -> usize {
        self.strikes.len()
    }

    /// Records a fault at `now_ms` (described by `what`) and decides what follows.
    pub fn on_fault(&mut self, now_ms: i64, what: &str) -> &Health {
        while self
            .strikes
            .front()
            .is_some_and(|&t| now_ms - t > self.window_ms)
        {
            self.strikes.pop_front();
        }
        self.strikes.push_back(now_ms);
        self.consecutive = self.consecutive.saturating_add(1);
        self.health = if self.strikes.len() >= self.max_strikes as usize {
            Health::Quarantined {
                reason: format!(
                    "{} faults within {} s, the last: {what}",
                    self.strikes.len(),
                    self.window_ms / 1000
                ),
            }
        } else {
            let shift = (self.consecutive - 1).min(16);
            let backoff = (FIRST_BACKOFF_MS << shift).min(MAX_BACKOFF_MS);
            Health::BackingOff {
                until_ms: now_ms + backoff,
            }
        };
        &self.health
    }

    /// Whether a restart is due at `now_ms`.
    pub fn restart_due(&self, now_ms: i64) -> bool {
        matches!(self.health, Health::BackingOff { until_ms } if now_ms >= until_ms)
    }

    /// Records a successful restart.
    pub fn on_restarted(&mut self) {
        self.health = Health::Running;
    }

    /// Records that a call completed normally: the consecutive-fault backoff resets (strikes
    /// in the window still count).
    pub fn on_success(&mut self) {
        self.consecutive = 0;
    }

    /// Clears everything: an operator reloaded or re-enabled the strategy.
    pub fn reset(&mut self) {
        self.strikes.clear();
        self.consecutive = 0;
        self.health = Health::Running;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_quarantines() {
        let mut s = Supervisor::new(3, 600_000);
        assert_eq!(s.on_fault(0, "x"), &Health::BackingOff { until_ms: 1_000 });
        assert!(!s.restart_due(999));
        assert!(s.restart_due(1_000));
        s.on_restarted();
        assert_eq!(
            s.on_fault(1_000, "x"),
            &Health::BackingOff { until_ms: 3_000 }
        );
        s.on_restarted();
        assert_eq!(
            s.on_fault(3_000, "panicked: boom"),
            &Health::Quarantined {
                reason: "3 faults within 600 s, the last: panicked: boom".into()
            }
        );
        assert!(!s.restart_due(i64::MAX));
    }

    #[test]
    fn old_strikes_leave_the_window_and_success_resets_backoff() {
        let mut s = Supervisor::new(2, 10_000);
        s.on_fault(0, "x");
        s.on_restarted();
        s.on_success();
        // Just over 10 s later the first strike has left the window: one strike, first
        // backoff again.
        assert_eq!(
            s.on_fault(10_001, "x"),
            &Health::BackingOff { until_ms: 11_001 }
        );
        assert_eq!(s.strikes(), 1);
        s.reset();
        assert_eq!(s.health(), &Health::Running);
        assert_eq!(s.strikes(), 0);
    }

    #[test]
    fn the_window_includes_its_edge() {
        // Faults exactly one window apart from first to last all count: a strategy that
        // faults every 5 minutes is quarantined at its third fault with a 10-minute window.
        let mut s = Supervisor::new(3, 600_000);
        s.on_fault(0, "x");
        s.on_fault(300_000, "x");
        assert!(matches!(
            s.on_fault(600_000, "x"),
            Health::Quarantined { .. }
        ));
    }

    #[test]
    fn backoff_is_capped() {
        let mut s = Supervisor::new(100, i64::MAX);
        let mut last = Health::Running;
        for i in 0..20 {
            last = s.on_fault(i, "x").clone();
        }
        assert_eq!(
            last,
            Health::BackingOff {
                until_ms: 19 + MAX_BACKOFF_MS
            }
        );
    }
}
