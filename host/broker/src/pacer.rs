//! The one pacer every outgoing IB message goes through: IB allows 50 messages per second
//! for all API clients of a TWS together, and answers more with error 100 (and may disconnect).
//!
//! A token bucket in GCRA form: one "theoretical arrival time" instead of a token count. Each
//! message moves it one interval (`1 s / rate`) later; a message may go once it is within
//! `burst - 1` intervals of now. So at most `burst` messages go at once after a quiet spell,
//! then one per interval, and no one-second window ever holds more than `rate + burst - 1`
//! messages. The defaults (40/s, burst 8) keep every window at or below 47.
//!
//! Orders are taken from the durable queue only as far as the pacer allows
//! ([`Pacer::available`]): an order that must wait stays `queued` (safe to restart), rather
//! than `sending` and stuck behind the pacer. Requests wait with [`Pacer::acquire`].
//! Not thread-safe on purpose: the trading thread owns it.

use std::time::{Duration, Instant};

/// The outgoing-message pacer.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    tolerance: Duration,
    /// When the next message would be "due" at the steady rate; `None` before the first.
    tat: Option<Instant>,
    sent: u64,
}

impl Pacer {
    /// A pacer for `per_second` messages with bursts of `burst` (both at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1);
        Self {
            interval,
            tolerance: interval * (burst.max(1) - 1),
            tat: None,
            sent: 0,
        }
    }

    /// Messages counted so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// How many messages may go at `now` without waiting.
    pub fn available(&self, now: Instant) -> u32 {
        let start = self.tat.map_or(now, |tat| tat.max(now));
        let limit = now + self.tolerance;
        if start > limit {
            return 0;
        }
        let slack = limit - start;
        let extra = slack.as_nanos() / self.interval.as_nanos().max(1);
        u32::try_from(extra + 1).unwrap_or(u32::MAX)
    }

    /// When at least one message may go (`now` if one may go now).
    pub fn next_free(&self, now: Instant) -> Instant {
        match self.tat {
            Some(tat) if tat > now + self.tolerance => tat - self.tolerance,
            _ => now,
        }
    }

    /// Counts one message sent at `now`. Call it for every message, including the ones that
    /// cannot wait (a cancel): the debt delays the next ones instead.
    pub fn record(&mut self, now: Instant) {
        let start = self.tat.map_or(now, |tat| tat.max(now));
        self.tat = Some(start + self.interval);
        self.sent += 1;
    }

    /// Takes a slot if one is free at `now`.
    pub fn try_take(&mut self, now: Instant) -> bool {
        if self.available(now) == 0 {
            return false;
        }
        self.record(now);
        true
    }

    /// Waits until a slot is free and takes it (for requests, which may wait).
    pub async fn acquire(&mut self) {
        let now = Instant::now();
        let at = self.next_free(now);
        if at > now {
            tokio::time::sleep_until(at.into()).await;
        }
        self.record(Instant::now().max(at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate() {
        let t0 = Instant::now();
        let mut p = Pacer::new(40, 8);
        assert_eq!(p.available(t0), 8);
        for _ in 0..8 {
            assert!(p.try_take(t0));
        }
        assert_eq!(p.available(t0), 0);
        assert!(!p.try_take(t0));
        // One interval (25 ms) later, one more.
        assert_eq!(p.next_free(t0), t0 + Duration::from_millis(25));
        assert_eq!(p.available(t0 + Duration::from_millis(24)), 0);
        assert_eq!(p.available(t0 + Duration::from_millis(25)), 1);
        // After a quiet second the whole burst is back, not more.
        assert_eq!(p.available(t0 + Duration::from_secs(2)), 8);
        assert_eq!(p.sent(), 8);
    }

    #[test]
    fn no_one_second_window_exceeds_rate_plus_burst_minus_one() {
        // Send as fast as allowed for 5 s, in 1 ms steps, and count every 1 s window.
        let t0 = Instant::now();
        let mut p = Pacer::new(40, 8);
        let mut times = Vec::new();
        for ms in 0..5_000u64 {
            let now = t0 + Duration::from_millis(ms);
            while p.try_take(now) {
                times.push(ms);
            }
        }
        let most = (0..4_000u64)
            .map(|start| {
                times
                    .iter()
                    .filter(|&&t| t >= start && t < start + 1_000)
                    .count()
            })
            .max()
            .unwrap();
        assert_eq!(most, 40 + 8 - 1);
        assert_eq!(times.len(), 8 + 5_000 / 25 - 1);
    }

    #[test]
    fn recorded_debt_delays_the_next_message() {
        let t0 = Instant::now();
        let mut p = Pacer::new(10, 1);
        p.record(t0);
        p.record(t0); // a cancel that could not wait
        assert_eq!(p.available(t0), 0);
        assert_eq!(p.next_free(t0), t0 + Duration::from_millis(200));
    }
}
