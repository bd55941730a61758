//! How many of a strategy's refusals are written to the signal log: a strategy that is refused
//! over and over (halted, a bug that emits a bad symbol every bar) must not grow the database
//! without bound. Its rate limit already caps its signals per minute; of those, at most
//! [`STORED_PER_MINUTE`] refusals are stored, and the rest are counted (in the strategy's
//! counters and `/metrics`, as every refusal is) and summed into the next stored one's message.

use sandtrade_risk::rate::RateWindow;

/// Refusals of one strategy stored in any 60 s.
pub(crate) const STORED_PER_MINUTE: u32 = 10;

/// One strategy's allowance of stored refusals.
#[derive(Debug)]
pub(crate) struct RefusalBudget {
    window: RateWindow,
    /// Refusals counted but not stored since the last stored one.
    unstored: u64,
}

impl RefusalBudget {
    pub(crate) fn new() -> Self {
        Self {
            window: RateWindow::new(STORED_PER_MINUTE),
            unstored: 0,
        }
    }

    /// Whether a refusal at `now_ms` may be stored; if so, the message to store it with
    /// (`message`, plus how many were left out since the last one stored).
    pub(crate) fn admit(&mut self, now_ms: i64, message: &str) -> Option<String> {
        if self.window.try_acquire(now_ms).is_err() {
            self.unstored = self.unstored.saturating_add(1);
            return None;
        }
        let left_out = std::mem::take(&mut self.unstored);
        Some(if left_out == 0 {
            message.to_owned()
        } else {
            format!(
                "{message} ({left_out} earlier refusals of this strategy were counted, not \
                 stored: at most {STORED_PER_MINUTE} a minute are)"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_ten_a_minute_are_stored_and_the_rest_are_summed() {
        let mut budget = RefusalBudget::new();
        for i in 0..10 {
            assert_eq!(budget.admit(i, "halted").as_deref(), Some("halted"));
        }
        for i in 10..1_000 {
            assert_eq!(budget.admit(i, "halted"), None);
        }
        assert_eq!(
            budget.admit(60_000, "halted").as_deref(),
            Some(
                "halted (990 earlier refusals of this strategy were counted, not stored: at \
                 most 10 a minute are)"
            )
        );
        assert_eq!(budget.admit(60_001, "halted").as_deref(), Some("halted"));
    }
}
