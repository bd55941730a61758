//! Reconnect delays: exponential, capped, with jitter.
//!
//! The `n`-th attempt after a loss waits a random time in `[d/2, d]`, where
//! `d = min(initial × 2ⁿ, max)` ("equal jitter"): never less than half the step, so a dead
//! gateway is not hammered, and spread, so several hosts restarting together do not reconnect
//! in lockstep (gateway restarts happen nightly, to everyone at once).

use std::time::Duration;

/// The delay sequence of one outage. [`Backoff::reset`] after a connection that held.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// Delays from `initial` doubling up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            attempt: 0,
        }
    }

    /// Attempts made since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The step before jitter of the next attempt: `min(initial × 2ⁿ, max)`.
    pub fn step(&self) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(31));
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The next delay, with `jitter` a random number in `[0, 1)`; counts the attempt.
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let step = self.step();
        self.attempt = self.attempt.saturating_add(1);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        step / 2 + step.mul_f64(jitter / 2.0)
    }

    /// Back to the first step (after a connection that came up).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_within_half_and_whole_step() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let lows: Vec<u128> = (0..6).map(|_| b.next_delay(0.0).as_millis()).collect();
        assert_eq!(lows, [250, 500, 1000, 2000, 2000, 2000]);
        b.reset();
        let highs: Vec<u128> = (0..6)
            .map(|_| b.next_delay(0.999_999).as_millis())
            .collect();
        assert_eq!(highs, [499, 999, 1999, 3999, 3999, 3999]);
        assert_eq!(b.attempts(), 6);
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        for _ in 0..1000 {
            b.next_delay(0.5);
        }
        assert_eq!(b.step(), Duration::from_secs(30));
    }
}
