//! The host's wall clock, and durations as messages show them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; 0 if the system clock is before 1970.
pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A duration as a message shows it to people: `250 µs`, `100 ms`, `1.5 s`, `15 s` (the unit
/// that keeps the number readable, to a thousandth of it at most), where `Duration`'s `Debug`
/// would print `1.500123456s`.
///
/// ```
/// use std::time::Duration;
/// use sandtrade_core::clock::DurationText;
///
/// assert_eq!(DurationText(Duration::from_millis(100)).to_string(), "100 ms");
/// assert_eq!(DurationText(Duration::from_millis(1500)).to_string(), "1.5 s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationText(pub Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0.as_micros();
        let (whole, thousandths, unit) = if micros < 1_000 {
            (micros, 0, "µs")
        } else if micros < 1_000_000 {
            (micros / 1_000, micros % 1_000, "ms")
        } else {
            (micros / 1_000_000, micros % 1_000_000 / 1_000, "s")
        };
        if thousandths == 0 {
            write!(f, "{whole} {unit}")
        } else {
            let fraction = format!("{thousandths:03}");
            write!(f, "{whole}.{} {unit}", fraction.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        let text = |d: Duration| DurationText(d).to_string();
        assert_eq!(text(Duration::ZERO), "0 µs");
        assert_eq!(text(Duration::from_micros(250)), "250 µs");
        assert_eq!(text(Duration::from_millis(100)), "100 ms");
        assert_eq!(text(Duration::from_micros(1_500)), "1.5 ms");
        assert_eq!(text(Duration::from_secs(15)), "15 s");
        assert_eq!(text(Duration::from_millis(1_250)), "1.25 s");
        assert_eq!(text(Duration::from_nanos(10_000_123_456)), "10 s");
        assert_eq!(text(Duration::from_nanos(10_020_999_999)), "10.02 s");
    }
}
