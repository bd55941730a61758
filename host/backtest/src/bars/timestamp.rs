//! Bar times: RFC 3339 with an offset, or integer epoch milliseconds.
//!
//! Parsing is on the hot path of every bar. The fixed-width fields are read directly; the
//! calendar date goes through the `time` crate, once per distinct date (rows of one day share
//! their `YYYY-MM-DD` prefix, so it is cached).

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset};

use super::number::parse_i64;

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
const MS_PER_DAY: i64 = 86_400_000;
/// Smallest epoch-ms value accepted (1973-03-03T09:46:40Z): smaller ones are most likely epoch
/// *seconds* written by mistake.
pub const MIN_EPOCH_MS: i64 = 100_000_000_000;
/// Largest epoch-ms value accepted: 9999-12-31T23:59:59.999Z.
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;

/// What is wrong with a time field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeProblem {
    /// Neither RFC 3339 nor an integer.
    Malformed,
    /// `YYYY-MM-DD` is not a calendar date.
    InvalidDate,
    /// Hour, minute or second out of range.
    InvalidTimeOfDay,
    /// `:60`: leap seconds are not representable in epoch milliseconds.
    LeapSecond,
    /// The UTC offset is missing or out of range.
    InvalidOffset,
    /// An integer below [`MIN_EPOCH_MS`]: probably epoch seconds.
    LooksLikeSeconds,
    /// An integer above [`MAX_EPOCH_MS`].
    TooLate,
}

impl fmt::Display for TimeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => {
                "not a time: expected RFC 3339 with an offset, like 2024-01-02T09:30:00-05:00 \
                 or 2024-01-02T14:30:00Z, or epoch milliseconds, like 1704205800000"
            }
            Self::InvalidDate => "not a calendar date",
            Self::InvalidTimeOfDay => "hour, minute or second out of range",
            Self::LeapSecond => "leap seconds (:60) are not supported",
            Self::InvalidOffset => {
                "missing or invalid UTC offset: end the time with Z or an offset like +08:00"
            }
            Self::LooksLikeSeconds => {
                "epoch milliseconds before 1973: is this epoch seconds? multiply by 1000"
            }
            Self::TooLate => "epoch milliseconds after the year 9999",
        })
    }
}

/// Parses time fields, remembering the last date seen.
#[derive(Debug, Clone, Default)]
pub struct TimeParser {
    /// `YYYY-MM-DD` of the last RFC 3339 time, and its days since the epoch.
    cached: Option<([u8; 10], i64)>,
}

impl TimeParser {
    /// A parser with an empty date cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Milliseconds since the Unix epoch of an RFC 3339 time (`T`, `t` or a space between date
    /// and time; 0–9 fraction digits, truncated to the millisecond; `Z`, `z` or `±HH:MM`) or of
    /// an integer in [`MIN_EPOCH_MS`]`..=`[`MAX_EPOCH_MS`].
    ///
    /// # Errors
    ///
    /// What is wrong with the field.
    pub fn parse(&mut self, field: &[u8]) -> Result<i64, TimeProblem> {
        if is_rfc3339(field) {
            let (ms, len) = self.rfc3339(field)?;
            return if len == field.len() {
                Ok(ms)
            } else {
                Err(TimeProblem::InvalidOffset)
            };
        }
        epoch_ms(parse_i64(field).ok_or(TimeProblem::Malformed)?)
    }

    /// The time at the start of `bytes` (a row from its time field on) and its length, if
    /// `bytes` starts with a valid time; `None` to fall back to [`parse`](Self::parse) on the
    /// field, which says what is wrong. Saves looking for the end of the field first.
    #[inline]
    pub fn parse_prefix(&mut self, bytes: &[u8]) -> Option<(i64, usize)> {
        if is_rfc3339(bytes) {
            return self.rfc3339(bytes).ok();
        }
        let len = bytes
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(bytes.len());
        let ms = epoch_ms(parse_i64(&bytes[..len])?).ok()?;
        Some((ms, len))
    }

    /// The RFC 3339 time at the start of `f` (which has at least 19 bytes) and its length.
    fn rfc3339(&mut self, f: &[u8]) -> Result<(i64, usize), TimeProblem> {
        use TimeProblem::{InvalidOffset, InvalidTimeOfDay, LeapSecond, Malformed};
        if f[7] != b'-' || !matches!(f[10], b'T' | b't' | b' ') || f[13] != b':' || f[16] != b':' {
            return Err(Malformed);
        }
        let days = self.days(&f[..10])?;
        let (hour, minute, second) = (
            two_digits(&f[11..13])?,
            two_digits(&f[14..16])?,
            two_digits(&f[17..19])?,
        );
        if second == 60 {
            return Err(LeapSecond);
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(InvalidTimeOfDay);
        }
        let mut len = 19;
        let mut millis = 0;
        if f.get(19) == Some(&b'.') {
            let n = f[20..].iter().take_while(|b| b.is_ascii_digit()).count();
            if !(1..=9).contains(&n) {
                return Err(Malformed);
            }
            for (i, &b) in f[20..20 + n.min(3)].iter().enumerate() {
                millis += i64::from(b - b'0') * [100, 10, 1][i];
            }
            len = 20 + n;
        }
        let (offset_minutes, offset_len) = match &f[len..] {
            [b'Z' | b'z', ..] => (0, 1),
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2, ..] => {
                let (h, m) = (two_digits(&[*h1, *h2])?, two_digits(&[*m1, *m2])?);
                if h > 23 || m > 59 {
                    return Err(InvalidOffset);
                }
                let minutes = h * 60 + m;
                (if *sign == b'-' { -minutes } else { minutes }, 6)
            }
            _ => return Err(InvalidOffset),
        };
        let seconds_of_day = hour * 3600 + minute * 60 + second - offset_minutes * 60;
        Ok((
            days * MS_PER_DAY + seconds_of_day * 1000 + millis,
            len + offset_len,
        ))
    }

    /// Days since 1970-01-01 of `YYYY-MM-DD`.
    fn days(&mut self, date: &[u8]) -> Result<i64, TimeProblem> {
        if let Some((key, days)) = &self.cached
            && key.as_slice() == date
        {
            return Ok(*days);
        }
        if date[4] != b'-' || date[7] != b'-' {
            return Err(TimeProblem::Malformed);
        }
        let year = two_digits(&date[0..2])? * 100 + two_digits(&date[2..4])?;
        let month = two_digits(&date[5..7])?;
        let day = two_digits(&date[8..10])?;
        let month = u8::try_from(month)
            .ok()
            .and_then(|m| Month::try_from(m).ok());
        let date_value = month
            .and_then(|m| Date::from_calendar_date(year as i32, m, day as u8).ok())
            .ok_or(TimeProblem::InvalidDate)?;
        let days = i64::from(date_value.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY;
        let mut key = [0u8; 10];
        key.copy_from_slice(date);
        self.cached = Some((key, days));
        Ok(days)
    }
}

/// Whether a time field (or a row starting with one) is in the RFC 3339 form.
fn is_rfc3339(bytes: &[u8]) -> bool {
    bytes.len() >= 19 && bytes[4] == b'-'
}

/// `ms` if it is in the accepted epoch range.
fn epoch_ms(ms: i64) -> Result<i64, TimeProblem> {
    if ms < MIN_EPOCH_MS {
        Err(TimeProblem::LooksLikeSeconds)
    } else if ms > MAX_EPOCH_MS {
        Err(TimeProblem::TooLate)
    } else {
        Ok(ms)
    }
}

fn two_digits(b: &[u8]) -> Result<i64, TimeProblem> {
    let (d1, d2) = (b[0].wrapping_sub(b'0'), b[1].wrapping_sub(b'0'));
    if d1 > 9 || d2 > 9 {
        return Err(TimeProblem::Malformed);
    }
    Ok(i64::from(d1 * 10 + d2))
}

/// `ms` as RFC 3339 at a UTC offset of `offset_minutes` (`2024-01-02T09:30:00-05:00`; `Z` for
/// offset 0; fraction digits only when the time has milliseconds). Falls back to the integer
/// `ms` (which bar files also accept) for a time outside the years 0–9999.
pub fn format_time(ms: i64, offset_minutes: i32) -> String {
    let formatted = UtcOffset::from_whole_seconds(offset_minutes * 60)
        .ok()
        .and_then(|offset| {
            let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
            utc.checked_to_offset(offset)?.format(&Rfc3339).ok()
        });
    formatted.unwrap_or_else(|| ms.to_string())
}

/// `ms` as [`format_time`] writes it at UTC (`2024-01-02T14:30:00Z`), without allocating:
/// directly for the whole seconds of the years 0–9999 (every fill of a bar file's bars), through
/// [`format_time`] otherwise. A backtest writes one per fill into `trades.csv`.
#[derive(Debug, Clone, Copy)]
pub struct Utc(pub i64);

/// 0000-01-01T00:00:00Z in epoch milliseconds.
const YEAR_0_MS: i64 = -62_167_219_200_000;

impl Utc {
    /// Appends the text to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        let ms = self.0;
        if ms % 1000 == 0 && (YEAR_0_MS..=MAX_EPOCH_MS).contains(&ms) {
            let days = ms.div_euclid(MS_PER_DAY);
            let seconds = ms.rem_euclid(MS_PER_DAY) / 1000;
            let julian = i32::try_from(days + UNIX_EPOCH_JULIAN_DAY).ok();
            if let Some(date) = julian.and_then(|day| Date::from_julian_day(day).ok()) {
                let (year, month, day) = date.to_calendar_date();
                let mut text = *b"0000-00-00T00:00:00Z";
                let mut put = |at: usize, value: u32, width: usize| {
                    let mut value = value;
                    for i in (at..at + width).rev() {
                        text[i] = b'0' + (value % 10) as u8;
                        value /= 10;
                    }
                };
                // Years 0–9999 only: four digits, never a sign.
                put(0, year.unsigned_abs(), 4);
                put(5, u32::from(u8::from(month)), 2);
                put(8, u32::from(day), 2);
                put(11, (seconds / 3600) as u32, 2);
                put(14, (seconds / 60 % 60) as u32, 2);
                put(17, (seconds % 60) as u32, 2);
                out.extend_from_slice(&text);
                return;
            }
        }
        out.extend_from_slice(format_time(ms, 0).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse(s: &str) -> Result<i64, TimeProblem> {
        TimeParser::new().parse(s.as_bytes())
    }

    #[test]
    fn rfc3339_with_offsets() {
        assert_eq!(parse("2024-01-02T14:30:00Z"), Ok(1_704_205_800_000));
        assert_eq!(parse("2024-01-02T09:30:00-05:00"), Ok(1_704_205_800_000));
        assert_eq!(parse("2024-01-02T22:30:00+08:00"), Ok(1_704_205_800_000));
        assert_eq!(parse("2024-01-02 14:30:00z"), Ok(1_704_205_800_000));
        assert_eq!(parse("2024-01-02t14:30:00.250Z"), Ok(1_704_205_800_250));
        assert_eq!(parse("2024-01-02T14:30:00.2Z"), Ok(1_704_205_800_200));
        assert_eq!(
            parse("2024-01-02T14:30:00.123456789Z"),
            Ok(1_704_205_800_123)
        );
        assert_eq!(parse("1969-12-31T23:59:59Z"), Ok(-1000));
        assert_eq!(parse("2024-02-29T00:00:00+00:00"), Ok(1_709_164_800_000));
    }

    #[test]
    fn epoch_milliseconds() {
        assert_eq!(parse("1704205800000"), Ok(1_704_205_800_000));
        assert_eq!(parse("1704205800"), Err(TimeProblem::LooksLikeSeconds));
        assert_eq!(parse("-5"), Err(TimeProblem::LooksLikeSeconds));
        assert_eq!(parse("253402300800000"), Err(TimeProblem::TooLate));
    }

    #[test]
    fn problems_are_named() {
        for (input, problem) in [
            ("", TimeProblem::Malformed),
            ("yesterday", TimeProblem::Malformed),
            ("2024-01-02", TimeProblem::Malformed),
            ("2024-01-02T14:30:00", TimeProblem::InvalidOffset),
            ("2024-01-02X14:30:00Z", TimeProblem::Malformed),
            ("2024-01-02T14:30:00.Z", TimeProblem::Malformed),
            ("2024-01-02T14:30:00.1234567890Z", TimeProblem::Malformed),
            ("2024-02-30T14:30:00Z", TimeProblem::InvalidDate),
            ("2023-02-29T14:30:00Z", TimeProblem::InvalidDate),
            ("2024-13-01T14:30:00Z", TimeProblem::InvalidDate),
            ("2024-00-01T14:30:00Z", TimeProblem::InvalidDate),
            ("2024-01-02T24:00:00Z", TimeProblem::InvalidTimeOfDay),
            ("2024-01-02T14:60:00Z", TimeProblem::InvalidTimeOfDay),
            ("2016-12-31T23:59:60Z", TimeProblem::LeapSecond),
            ("2024-01-02T14:30:00+0800", TimeProblem::InvalidOffset),
            ("2024-01-02T14:30:00+24:00", TimeProblem::InvalidOffset),
            ("2024-01-02T14:30:00ZZ", TimeProblem::InvalidOffset),
            ("2024-01-02T14:30:00 ", TimeProblem::InvalidOffset),
        ] {
            assert_eq!(parse(input), Err(problem), "{input:?}");
        }
    }

    #[test]
    fn prefixes_end_where_the_time_does() {
        let mut p = TimeParser::new();
        assert_eq!(
            p.parse_prefix(b"2024-01-02T09:30:00-05:00,AAPL"),
            Some((1_704_205_800_000, 25))
        );
        assert_eq!(
            p.parse_prefix(b"2024-01-02T14:30:00.5Z,AAPL"),
            Some((1_704_205_800_500, 22))
        );
        assert_eq!(
            p.parse_prefix(b"1704205800000,AAPL"),
            Some((1_704_205_800_000, 13))
        );
        assert_eq!(p.parse_prefix(b"1704205800,AAPL"), None);
        assert_eq!(p.parse_prefix(b"2024-01-02T14:30:00,AAPL"), None);
    }

    #[test]
    fn the_date_cache_does_not_leak_between_dates() {
        let mut p = TimeParser::new();
        assert_eq!(p.parse(b"2024-01-02T00:00:00Z"), Ok(1_704_153_600_000));
        assert_eq!(p.parse(b"2024-01-02T00:01:00Z"), Ok(1_704_153_660_000));
        assert_eq!(p.parse(b"2024-01-03T00:00:00Z"), Ok(1_704_240_000_000));
        assert_eq!(
            p.parse(b"2024-02-30T00:00:00Z"),
            Err(TimeProblem::InvalidDate)
        );
        assert_eq!(p.parse(b"2024-01-03T00:00:00Z"), Ok(1_704_240_000_000));
    }

    #[test]
    fn formatting() {
        assert_eq!(format_time(1_704_205_800_000, 0), "2024-01-02T14:30:00Z");
        assert_eq!(
            format_time(1_704_205_800_000, -300),
            "2024-01-02T09:30:00-05:00"
        );
        assert_eq!(
            format_time(1_704_205_800_000, 480),
            "2024-01-02T22:30:00+08:00"
        );
        assert_eq!(format_time(1_704_205_800_250, 0), "2024-01-02T14:30:00.25Z");
        assert_eq!(format_time(i64::MAX, 0), i64::MAX.to_string());
    }

    fn utc(ms: i64) -> String {
        let mut out = Vec::new();
        Utc(ms).write_to(&mut out);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn utc_writes_what_format_time_writes() {
        for ms in [
            0,
            1_704_205_800_000,
            1_704_205_800_250,
            -1000,
            -1,
            1_709_164_800_000,
            YEAR_0_MS,
            YEAR_0_MS - 1000,
            MAX_EPOCH_MS,
            MAX_EPOCH_MS - 999,
            MAX_EPOCH_MS + 1,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(utc(ms), format_time(ms, 0), "{ms}");
        }
    }

    proptest! {
        #[test]
        fn utc_writes_what_format_time_writes_anywhere(seconds in YEAR_0_MS / 1000..=MAX_EPOCH_MS / 1000, millis in 0i64..1000) {
            for ms in [seconds * 1000, seconds * 1000 + millis] {
                prop_assert_eq!(utc(ms), format_time(ms, 0));
            }
        }

        #[test]
        fn format_then_parse_round_trips(ms in MIN_EPOCH_MS..4_102_444_800_000i64, offset in -23*60i32..=23*60) {
            let text = format_time(ms, offset);
            prop_assert_eq!(parse(&text), Ok(ms), "{}", text);
        }
    }
}
