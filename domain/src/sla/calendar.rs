//! 工作日历 the business calendar working-time deadlines count in: Chinese
//! public holidays and 调休 make-up workdays (the yearly file
//! `domain/data/calendar/cn.txt`, overridden day by day by admins), and the
//! office hours of a working day, in China time.
//!
//! Pure: no database. [`Calendar::add`] and [`Calendar::between`] are the
//! only arithmetic the SLA engine uses, so calendar and working time behave
//! the same everywhere.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The shipped calendar file.
pub const SHIPPED: &str = include_str!("../../data/calendar/cn.txt");

/// How far [`Calendar::add`] looks ahead before it gives up (a calendar
/// edited into having no working day at all must not loop for ever).
const MAX_DAYS: i64 = 3 * 366;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 法定节假日: a day off even on a weekday.
    Holiday,
    /// 调休上班: a working day even on a weekend.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "holiday" | "休" => Some(DayKind::Holiday),
            "workday" | "班" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// Whether a deadline counts every minute or only office hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// 自然时间
    Calendar,
    /// 工作时间: office hours on working days.
    Working,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, (DayKind, String)>,
    years: BTreeSet<i32>,
    /// Office hours, in order, not overlapping.
    hours: Vec<(NaiveTime, NaiveTime)>,
}

pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

fn parse_hours(spec: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let (a, b) = spec
        .split_once('-')
        .ok_or_else(|| format!("office hours `{spec}`: expected HH:MM-HH:MM"))?;
    let t = |s: &str| {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map_err(|_| format!("office hours `{spec}`: `{s}` is not HH:MM"))
    };
    let (a, b) = (t(a)?, t(b)?);
    if a >= b {
        return Err(format!("office hours `{spec}`: start must be before end"));
    }
    Ok((a, b))
}

impl Calendar {
    /// The shipped file, parsed once per process.
    pub fn shipped() -> &'static Calendar {
        static CAL: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        CAL.get_or_init(|| Calendar::parse(SHIPPED).expect("the shipped calendar parses"))
    }

    /// Parses the calendar file format (see the shipped file's header).
    /// Errors name the line.
    pub fn parse(text: &str) -> Result<Calendar, String> {
        let mut cal = Calendar {
            days: BTreeMap::new(),
            years: BTreeSet::new(),
            hours: Vec::new(),
        };
        for (no, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |m: String| format!("line {}: {m}", no + 1);
            let mut parts = line.split_whitespace();
            match parts.next() {
                Some("hours") => {
                    let mut hours = Vec::new();
                    for spec in parts {
                        hours.push(parse_hours(spec).map_err(err)?);
                    }
                    cal.set_hours(hours).map_err(err)?;
                }
                Some("year") => {
                    let y: i32 = parts
                        .next()
                        .and_then(|y| y.parse().ok())
                        .filter(|y| (2000..=2100).contains(y))
                        .ok_or_else(|| err("`year` needs a year between 2000 and 2100".into()))?;
                    cal.years.insert(y);
                }
                Some(day) => {
                    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                        .map_err(|_| err(format!("`{day}` is not a date (YYYY-MM-DD)")))?;
                    let kind = parts
                        .next()
                        .and_then(DayKind::parse)
                        .ok_or_else(|| err("expected `holiday` or `workday`".into()))?;
                    let name = parts.collect::<Vec<_>>().join(" ");
                    cal.days.insert(date, (kind, name));
                }
                None => {}
            }
        }
        if cal.hours.is_empty() {
            return Err("no `hours` line".into());
        }
        Ok(cal)
    }

    fn set_hours(&mut self, mut hours: Vec<(NaiveTime, NaiveTime)>) -> Result<(), String> {
        hours.sort();
        if hours.is_empty() {
            return Err("office hours: at least one span".into());
        }
        if hours.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err("office hours overlap".into());
        }
        self.hours = hours;
        Ok(())
    }

    /// Applies an admin's change to one day: `Some(kind)` sets it, `None`
    /// returns it to the rule (weekends off). Marks its year as covered.
    pub fn set_day(&mut self, day: NaiveDate, kind: Option<(DayKind, String)>) {
        match kind {
            Some(k) => {
                self.days.insert(day, k);
            }
            None => {
                self.days.remove(&day);
            }
        }
        self.years.insert(day.year());
    }

    /// Marks a year as covered (its holidays are entered).
    pub fn cover_year(&mut self, year: i32) {
        self.years.insert(year);
    }

    /// Whether the holidays of `year` are known.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// The holidays and make-up workdays of one year, in date order.
    pub fn days_of(&self, year: i32) -> Vec<(NaiveDate, DayKind, String)> {
        let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date");
        let to = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid date");
        self.days
            .range(from..=to)
            .map(|(d, (k, n))| (*d, *k, n.clone()))
            .collect()
    }

    pub fn hours(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.hours
    }

    /// Office minutes in one working day.
    pub fn day_minutes(&self) -> i64 {
        self.hours
            .iter()
            .map(|(a, b)| (*b - *a).num_minutes())
            .sum()
    }

    pub fn is_workday(&self, day: NaiveDate) -> bool {
        match self.days.get(&day) {
            Some((DayKind::Holiday, _)) => false,
            Some((DayKind::Workday, _)) => true,
            None => day.weekday().number_from_monday() <= 5,
        }
    }

    /// The office spans of `day` as instants (empty on a day off).
    fn spans(&self, day: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_workday(day) {
            return Vec::new();
        }
        let tz = china();
        self.hours
            .iter()
            .filter_map(|(a, b)| {
                let a = tz.from_local_datetime(&day.and_time(*a)).single()?;
                let b = tz.from_local_datetime(&day.and_time(*b)).single()?;
                Some((a.with_timezone(&Utc), b.with_timezone(&Utc)))
            })
            .collect()
    }

    /// `start` plus `d` on `clock`. In working time, the result is the
    /// instant at which `d` of office time has passed since `start` (a
    /// start outside office hours counts from the next opening). `None` only
    /// when no working day lies within three years.
    pub fn add(&self, clock: Clock, start: DateTime<Utc>, d: Duration) -> Option<DateTime<Utc>> {
        if clock == Clock::Calendar {
            return start.checked_add_signed(d);
        }
        let mut left = d.max(Duration::zero());
        let mut day = start.with_timezone(&china()).date_naive();
        for _ in 0..MAX_DAYS {
            for (a, b) in self.spans(day) {
                let from = a.max(start);
                // Nothing left at closing time ends there; anything more
                // waits for the next opening.
                if from > b || (from == b && left > Duration::zero()) {
                    continue;
                }
                let room = b - from;
                // An amount that ends exactly at closing time ends there,
                // not at the next opening.
                if left <= room {
                    return Some(from + left);
                }
                left -= room;
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// Time on `clock` from `a` to `b` (zero when `b` is not after `a`).
    pub fn between(&self, clock: Clock, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        if clock == Clock::Calendar {
            return b - a;
        }
        let tz = china();
        let mut total = Duration::zero();
        let mut day = a.with_timezone(&tz).date_naive();
        let last = b.with_timezone(&tz).date_naive();
        while day <= last {
            for (s, e) in self.spans(day) {
                let (s, e) = (s.max(a), e.min(b));
                if s < e {
                    total += e - s;
                }
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// China time `YYYY-MM-DD HH:MM` as an instant.
    fn at(s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        china()
            .from_local_datetime(&naive)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn cal() -> &'static Calendar {
        Calendar::shipped()
    }

    #[test]
    fn the_shipped_file_knows_2026_holidays_and_make_up_days() {
        let c = cal();
        assert!(c.covers(2026) && c.covers(2025) && !c.covers(2027));
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // National Day on a Thursday is off; the make-up Saturday is on.
        assert!(!c.is_workday(d("2026-10-01")));
        assert!(c.is_workday(d("2026-10-10")));
        assert!(c.is_workday(d("2026-09-20"))); // a Sunday, 调休
        assert!(c.is_workday(d("2026-02-14"))); // a Saturday, 调休
        assert!(!c.is_workday(d("2026-02-16"))); // 春节 Monday
        // Ordinary weekends and weekdays follow the rule.
        assert!(!c.is_workday(d("2026-11-28")));
        assert!(c.is_workday(d("2026-11-27")));
        assert_eq!(c.day_minutes(), 7 * 60);
    }

    #[test]
    fn working_time_skips_the_national_day_week_and_counts_the_make_up_saturday() {
        let c = cal();
        // Wednesday 30 September 10:00, two working days (14 office hours):
        // 6 h left that day, 1–7 October off, Thursday 8th gives 7 h, and
        // the last hour is Friday the 9th 09:00–10:00.
        let due = c
            .add(Clock::Working, at("2026-09-30 10:00"), Duration::hours(14))
            .unwrap();
        assert_eq!(due, at("2026-10-09 10:00"));
        // Friday the 9th 16:30 plus two office hours: one hour that day,
        // then Saturday the 10th is a make-up workday.
        let due = c
            .add(Clock::Working, at("2026-10-09 16:30"), Duration::hours(2))
            .unwrap();
        assert_eq!(due, at("2026-10-10 10:00"));
        // And the same on an ordinary Friday runs to Monday.
        let due = c
            .add(Clock::Working, at("2026-11-27 16:30"), Duration::hours(2))
            .unwrap();
        assert_eq!(due, at("2026-11-30 10:00"));
        // Calendar time ignores all of it.
        let due = c
            .add(Clock::Calendar, at("2026-09-30 10:00"), Duration::hours(14))
            .unwrap();
        assert_eq!(due, at("2026-10-01 00:00"));
    }

    #[test]
    fn working_time_starts_at_the_next_opening_and_skips_lunch() {
        let c = cal();
        // Started at 20:00: counts from 09:00 the next morning.
        assert_eq!(
            c.add(Clock::Working, at("2026-11-24 20:00"), Duration::hours(1)),
            Some(at("2026-11-25 10:00"))
        );
        // 11:30 plus one hour: half an hour before lunch, half after.
        assert_eq!(
            c.add(Clock::Working, at("2026-11-24 11:30"), Duration::hours(1)),
            Some(at("2026-11-24 14:00"))
        );
        // Exactly to closing time ends at closing time.
        assert_eq!(
            c.add(
                Clock::Working,
                at("2026-11-24 17:00"),
                Duration::minutes(30)
            ),
            Some(at("2026-11-24 17:30"))
        );
        // Zero from outside office hours is the start itself… moved to the
        // next opening (work cannot be due while the office is closed).
        assert_eq!(
            c.add(Clock::Working, at("2026-11-28 12:00"), Duration::zero()),
            Some(at("2026-11-30 09:00"))
        );
    }

    #[test]
    fn between_is_the_inverse_of_add() {
        let c = cal();
        let starts = [
            "2026-09-30 10:00",
            "2026-02-13 16:00",
            "2026-12-31 11:59",
            "2026-05-08 09:00",
        ];
        for s in starts {
            for h in [0i64, 1, 5, 7, 13, 35, 70] {
                let d = Duration::minutes(h * 60 + 17);
                let end = c.add(Clock::Working, at(s), d).unwrap();
                assert_eq!(c.between(Clock::Working, at(s), end), d, "{s} + {h}h");
            }
        }
        assert_eq!(
            c.between(
                Clock::Working,
                at("2026-10-01 00:00"),
                at("2026-10-07 23:00")
            ),
            Duration::zero()
        );
    }

    #[test]
    fn a_calendar_without_working_days_gives_up_instead_of_looping() {
        let mut c = cal().clone();
        // Every day of the next three years off.
        let mut d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        for _ in 0..(3 * 366 + 2) {
            c.set_day(d, Some((DayKind::Holiday, "x".into())));
            d = d.succ_opt().unwrap();
        }
        assert_eq!(
            c.add(Clock::Working, at("2027-01-01 09:00"), Duration::hours(1)),
            None
        );
    }

    #[test]
    fn malformed_files_are_refused_with_the_line() {
        let e = Calendar::parse("hours 09:00-12:00\n2026-13-01 holiday x\n").unwrap_err();
        assert!(e.starts_with("line 2"), "{e}");
        let e = Calendar::parse("hours 09:00-12:00\n2026-10-01 party\n").unwrap_err();
        assert!(e.contains("holiday"), "{e}");
        assert!(Calendar::parse("2026-10-01 holiday x\n").is_err());
        assert!(Calendar::parse("hours 12:00-09:00\n").is_err());
        assert!(Calendar::parse("hours 09:00-12:00 11:00-13:00\n").is_err());
        assert!(Calendar::parse("hours 09:00-12:00\nyear 99999\n").is_err());
    }
}
