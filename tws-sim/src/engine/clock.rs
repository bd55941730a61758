//! Simulated time: where the clock stands, exchange hours, and the time formats TWS writes.

use time::macros::format_description;
use time::{OffsetDateTime, Time, Weekday};
use time_tz::{OffsetDateTimeExt, Tz, timezones};

use crate::config::Market;

/// Seconds per market tick: every tick moves every price once.
pub const TICK_SECONDS: i64 = 1;
/// Seconds per real-time bar, as IB sends them.
pub const BAR_SECONDS: i64 = 5;

/// The zone name TWS uses for a market, and the zone itself.
pub fn market_zone(market: Market) -> (&'static str, &'static Tz) {
    match market {
        Market::Us => ("US/Eastern", timezones::db::america::NEW_YORK),
        Market::Hk => ("Asia/Hong_Kong", timezones::db::asia::HONG_KONG),
    }
}

/// Regular trading sessions of a market, in local time.
fn sessions(market: Market) -> &'static [(Time, Time)] {
    use time::macros::time;
    const US: [(Time, Time); 1] = [(time!(09:30), time!(16:00))];
    const HK: [(Time, Time); 2] = [(time!(09:30), time!(12:00)), (time!(13:00), time!(16:00))];
    match market {
        Market::Us => &US,
        Market::Hk => &HK,
    }
}

/// Whether `market` trades at `at` (weekdays, regular hours; holidays are not modelled).
pub fn is_open(market: Market, at: OffsetDateTime) -> bool {
    let local = at.to_timezone(market_zone(market).1);
    if matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return false;
    }
    let t = local.time();
    sessions(market)
        .iter()
        .any(|(open, close)| t >= *open && t < *close)
}

/// The end of the trading day `at` falls in: the close of the market's last session that day,
/// or of the next weekday's once that close has passed (or on a weekend).
pub fn day_close(market: Market, at: OffsetDateTime) -> OffsetDateTime {
    let last = sessions(market)
        .last()
        .map_or(Time::MIDNIGHT, |(_, close)| *close);
    next_local(market, at, last, |t| t > at)
}

/// The first opening of the market's day at or after `at` (the morning session's start).
pub fn next_open(market: Market, at: OffsetDateTime) -> OffsetDateTime {
    let first = sessions(market)
        .first()
        .map_or(Time::MIDNIGHT, |(open, _)| *open);
    next_local(market, at, first, |t| t >= at)
}

/// The first weekday from `at`'s local date on whose local time `time` `wanted` holds.
fn next_local(
    market: Market,
    at: OffsetDateTime,
    time: Time,
    wanted: impl Fn(OffsetDateTime) -> bool,
) -> OffsetDateTime {
    use time_tz::PrimitiveDateTimeExt;
    let tz = market_zone(market).1;
    let mut date = at.to_timezone(tz).date();
    loop {
        if !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && let Some(t) = time::PrimitiveDateTime::new(date, time)
                .assume_timezone(tz)
                .take_first()
            && wanted(t)
        {
            return t;
        }
        date = date.next_day().unwrap_or(date);
    }
}

/// IB's `tradingHours`/`liquidHours` string for the seven days from `from`:
/// `20250106:0930-20250106:1600;20250107:…`, `CLOSED` on weekends.
pub fn trading_hours(market: Market, from: OffsetDateTime) -> String {
    let tz = market_zone(market).1;
    let fmt = format_description!("[year][month][day]");
    let hm = format_description!("[hour][minute]");
    let mut days = Vec::new();
    for offset in 0..7 {
        let day = (from + time::Duration::days(offset)).to_timezone(tz).date();
        let date = day.format(&fmt).unwrap_or_default();
        if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            days.push(format!("{date}:CLOSED"));
            continue;
        }
        for (open, close) in sessions(market) {
            days.push(format!(
                "{date}:{}-{date}:{}",
                open.format(&hm).unwrap_or_default(),
                close.format(&hm).unwrap_or_default()
            ));
        }
    }
    days.join(";")
}

/// Execution time: `yyyyMMdd-HH:mm:ss` in UTC.
pub fn exec_time(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year][month][day]-[hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

/// `yyyyMMdd HH:mm:ss <zone>` in the given zone (handshake, historical dates).
pub fn zoned_time(at: OffsetDateTime, zone_name: &str, tz: &Tz) -> String {
    let local = at.to_timezone(tz);
    let text = local
        .format(format_description!(
            "[year][month][day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    format!("{text} {zone_name}")
}

/// `yyyyMMdd` in the given zone (daily historical bars).
pub fn zoned_date(at: OffsetDateTime, tz: &Tz) -> String {
    at.to_timezone(tz)
        .format(format_description!("[year][month][day]"))
        .unwrap_or_default()
}

/// `HH:mm` in New York time (account update time).
pub fn account_time(at: OffsetDateTime) -> String {
    at.to_timezone(timezones::db::america::NEW_YORK)
        .format(format_description!("[hour]:[minute]"))
        .unwrap_or_default()
}

/// Parses an execution-filter or historical end time: `yyyyMMdd-HH:mm:ss` (UTC),
/// `yyyyMMdd HH:mm:ss` (UTC), or `yyyyMMdd HH:mm:ss <zone>` with an IANA zone or `UTC`.
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (stamp, zone) = if let Some((date, rest)) = text.split_once('-') {
        (format!("{date} {rest}"), None)
    } else {
        let mut parts = text.splitn(3, ' ');
        let date = parts.next()?;
        let time_part = parts.next().unwrap_or("00:00:00");
        (format!("{date} {time_part}"), parts.next())
    };
    let primitive = time::PrimitiveDateTime::parse(
        &stamp,
        format_description!("[year][month][day] [hour]:[minute]:[second]"),
    )
    .ok()?;
    match zone {
        None | Some("UTC") | Some("GMT") => Some(primitive.assume_utc()),
        Some(name) => {
            use time_tz::PrimitiveDateTimeExt;
            let tz = timezones::get_by_name(name)?;
            primitive.assume_timezone(tz).take_first()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn day_close_and_next_open() {
        use time::macros::datetime;
        // Monday 6 January 2025, 09:30 in New York.
        let monday = datetime!(2025-01-06 14:30 UTC);
        assert_eq!(
            day_close(Market::Us, monday),
            datetime!(2025-01-06 21:00 UTC)
        );
        assert_eq!(next_open(Market::Us, monday), monday);
        // After Friday's close: Monday's session.
        let friday_evening = datetime!(2025-01-10 22:00 UTC);
        assert_eq!(
            day_close(Market::Us, friday_evening),
            datetime!(2025-01-13 21:00 UTC)
        );
        assert_eq!(
            next_open(Market::Us, friday_evening),
            datetime!(2025-01-13 14:30 UTC)
        );
        // Hong Kong's day ends with its afternoon session, at 16:00 local (08:00 UTC).
        assert_eq!(
            day_close(Market::Hk, monday),
            datetime!(2025-01-07 08:00 UTC)
        );
    }

    #[test]
    fn us_and_hk_hours() {
        // 2025-01-06 is a Monday. 14:30 UTC = 09:30 New York.
        assert!(is_open(Market::Us, datetime!(2025-01-06 14:30:00 UTC)));
        assert!(!is_open(Market::Us, datetime!(2025-01-06 14:29:59 UTC)));
        assert!(!is_open(Market::Us, datetime!(2025-01-06 21:00:00 UTC)));
        // HK lunch break: 12:00-13:00 local = 04:00-05:00 UTC.
        assert!(is_open(Market::Hk, datetime!(2025-01-06 03:59:59 UTC)));
        assert!(!is_open(Market::Hk, datetime!(2025-01-06 04:30:00 UTC)));
        assert!(is_open(Market::Hk, datetime!(2025-01-06 05:00:00 UTC)));
        // Saturday.
        assert!(!is_open(Market::Us, datetime!(2025-01-11 15:00:00 UTC)));
    }

    #[test]
    fn formats() {
        let t = datetime!(2025-01-06 14:30:05 UTC);
        assert_eq!(exec_time(t), "20250106-14:30:05");
        let (name, tz) = market_zone(Market::Us);
        assert_eq!(zoned_time(t, name, tz), "20250106 09:30:05 US/Eastern");
        assert_eq!(account_time(t), "09:30");
        assert!(
            trading_hours(Market::Hk, t)
                .starts_with("20250106:0930-20250106:1200;20250106:1300-20250106:1600;")
        );
        assert!(trading_hours(Market::Us, t).contains("20250111:CLOSED"));
    }

    #[test]
    fn parses_the_forms_clients_send() {
        let t = datetime!(2025-01-06 14:30:05 UTC);
        assert_eq!(parse_time("20250106-14:30:05"), Some(t));
        assert_eq!(parse_time("20250106 14:30:05 UTC"), Some(t));
        assert_eq!(parse_time("20250106 09:30:05 US/Eastern"), Some(t));
        assert_eq!(parse_time("20250106 14:30:05"), Some(t));
        assert_eq!(parse_time("garbage"), None);
    }
}
