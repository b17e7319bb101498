//! Time, truncated to microseconds so that it round-trips through every backend.
use chrono::{DateTime, SubsecRound, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Microseconds since the epoch as RFC 3339 (UTC), for display.
pub fn from_micros(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}
pub use chrono::Duration;

/// The calendar day of `at` in China time (UTC+8), `2026-11-29`.
pub fn china_day(at: DateTime<Utc>) -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&china).format("%Y-%m-%d").to_string()
}

/// The calendar date of `at` in China time (UTC+8).
pub fn china_date(at: DateTime<Utc>) -> chrono::NaiveDate {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&china).date_naive()
}

/// Today in China.
pub fn china_today() -> chrono::NaiveDate {
    china_date(now())
}

/// A China-time `YYYY-MM-DDTHH:MM` (an HTML `datetime-local` value) or
/// `YYYY-MM-DD HH:MM` as an instant.
pub fn parse_china_local(s: &str) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let s = s.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .ok()?;
    chrono::FixedOffset::east_opt(8 * 3600)?
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A China-time date (`YYYY-MM-DD`) as the end of its office day (17:30):
/// what "due on that day" means.
pub fn parse_china_day_end(s: &str) -> Option<DateTime<Utc>> {
    parse_china_local(&format!("{} 17:30", s.trim()))
}

/// China time as pages show it: `2026-12-01 19:00`.
pub fn china_time(at: DateTime<Utc>) -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&china)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// An RFC 3339 time (as stored in JSON) as pages show it, China time.
pub fn china_time_of(rfc3339: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| china_time(t.with_timezone(&Utc)))
}
