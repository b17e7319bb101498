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
