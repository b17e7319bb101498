//! SLA policies as data, and the fold that derives a case's state and due
//! times from its recorded events. Pure: no database.
//!
//! A policy is a list of stages (签收 → 到场 → 办结 …). Each stage has a
//! deadline — a fixed amount on a clock, or `given` by whoever opens the
//! stage (a plan task's own deadline) — and escalation steps after it:
//! step 0 marks the work overdue, step *k* escalates to the *k*-th target
//! `after` the deadline. The sweeper writes one event per case and sweep
//! for the highest step reached, so after downtime work that fell due is
//! escalated once, to where it should be by now.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, Clock};

/// Longest deadline or escalation delay a policy may name.
const MAX_MINUTES: i64 = 366 * 24 * 60;

/// An amount of time as a policy writes it: `90m`, `24h`, `7d`. On the
/// working clock a day is one working day of office hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    pub value: i64,
    pub unit: char,
}

impl Amount {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let unit = s.chars().last().ok_or("empty amount")?;
        if !matches!(unit, 'm' | 'h' | 'd') {
            return Err(format!("`{s}`: the unit must be m, h or d"));
        }
        let value: i64 = s[..s.len() - 1]
            .parse()
            .map_err(|_| format!("`{s}`: not a whole number"))?;
        let a = Amount { value, unit };
        if value < 0 || a.minutes_per_unit(24 * 60) * value > MAX_MINUTES {
            return Err(format!("`{s}`: between 0 and a year"));
        }
        Ok(a)
    }

    fn minutes_per_unit(&self, day_minutes: i64) -> i64 {
        match self.unit {
            'm' => 1,
            'h' => 60,
            _ => day_minutes,
        }
    }

    pub fn duration(&self, clock: Clock, cal: &Calendar) -> Duration {
        let day = match clock {
            Clock::Calendar => 24 * 60,
            Clock::Working => cal.day_minutes(),
        };
        Duration::minutes(self.value * self.minutes_per_unit(day))
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.value, self.unit)
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Amount::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Who an escalation step notifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The person the work is assigned to.
    Assignee,
    /// Staff of the case's community.
    Staff,
    /// The street office.
    StreetOfficer,
    Admin,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Assignee => "assignee",
            Target::Staff => "staff",
            Target::StreetOfficer => "street_officer",
            Target::Admin => "admin",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub after: Amount,
    pub to: Target,
}

/// A stage's deadline: a fixed amount, or given when the stage is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    Fixed(Amount),
    Given,
}

impl Serialize for Deadline {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Deadline::Fixed(a) => a.serialize(s),
            Deadline::Given => s.serialize_str("given"),
        }
    }
}

impl<'de> Deserialize<'de> for Deadline {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "given" {
            return Ok(Deadline::Given);
        }
        Amount::parse(&s)
            .map(Deadline::Fixed)
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub key: String,
    pub name: String,
    pub deadline: Deadline,
    pub clock: Clock,
    #[serde(default)]
    pub escalate: Vec<Escalation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub stages: Vec<Stage>,
}

impl Spec {
    /// Parses and checks a policy as admins write it (JSON).
    pub fn parse(json: &str) -> Result<Spec, String> {
        if json.len() > 16 * 1024 {
            return Err("a policy is at most 16 KB".into());
        }
        let spec: Spec = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if spec.stages.is_empty() || spec.stages.len() > 12 {
            return Err("a policy has 1 to 12 stages".into());
        }
        let mut keys = std::collections::HashSet::new();
        for st in &spec.stages {
            let key_ok = !st.key.is_empty()
                && st.key.len() <= 24
                && st
                    .key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !key_ok {
                return Err(format!("stage key `{}`: a–z, 0–9, _ (≤ 24)", st.key));
            }
            if !keys.insert(st.key.as_str()) {
                return Err(format!("stage key `{}` twice", st.key));
            }
            if st.name.trim().is_empty() || st.name.chars().count() > 20 {
                return Err(format!("stage `{}`: a name of 1–20 characters", st.key));
            }
            if st.escalate.len() > 5 {
                return Err(format!("stage `{}`: at most 5 escalation steps", st.key));
            }
            if st.escalate.windows(2).any(|w| {
                let (a, b) = (w[0].after, w[1].after);
                a.value * a.minutes_per_unit(24 * 60) > b.value * b.minutes_per_unit(24 * 60)
            }) {
                return Err(format!(
                    "stage `{}`: escalation steps in time order",
                    st.key
                ));
            }
        }
        Ok(spec)
    }

    pub fn stage(&self, key: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.key == key)
    }

    pub fn first(&self) -> &Stage {
        &self.stages[0]
    }
}

/// What can happen to a case. Stored as `sla_event.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Opened,
    /// Moved on to another stage (with its own deadline).
    Stage,
    /// A new deadline for the current stage (a given deadline moved).
    Rescheduled,
    Paused,
    Resumed,
    Reassigned,
    /// The sweeper's step: level 0 marks overdue, level k escalates.
    Escalated,
    Closed,
    Reopened,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Opened,
        Kind::Stage,
        Kind::Rescheduled,
        Kind::Paused,
        Kind::Resumed,
        Kind::Reassigned,
        Kind::Escalated,
        Kind::Closed,
        Kind::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Opened => "opened",
            Kind::Stage => "stage",
            Kind::Rescheduled => "rescheduled",
            Kind::Paused => "paused",
            Kind::Resumed => "resumed",
            Kind::Reassigned => "reassigned",
            Kind::Escalated => "escalated",
            Kind::Closed => "closed",
            Kind::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One recorded event, as the fold reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub kind: Kind,
    pub at: DateTime<Utc>,
    pub stage: Option<String>,
    pub due: Option<DateTime<Utc>>,
    pub level: Option<i32>,
    pub assignee: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Open,
    Paused,
    Closed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Paused => "paused",
            State::Closed => "closed",
        }
    }
}

/// A case as its events make it.
#[derive(Clone, Debug, PartialEq)]
pub struct Derived {
    pub state: State,
    pub stage: String,
    /// The event that started the current stage's clock (its deadline's
    /// origin): escalations are unique per (case, this, level).
    pub stage_seq: i64,
    pub assignee: Option<i64>,
    /// Sweeper steps done in this stage (0: none; 1: marked overdue; k+1:
    /// escalated to step k).
    pub level: i32,
    /// When the current stage is due (none while paused or closed).
    pub due_at: Option<DateTime<Utc>>,
    /// When the sweeper next has something to do.
    pub next_at: Option<DateTime<Utc>>,
    /// Whether the current stage went past its deadline.
    pub overdue: bool,
}

/// Time the stage's deadline needs, on its clock.
fn allowance(
    stage: &Stage,
    origin: DateTime<Utc>,
    given: Option<DateTime<Utc>>,
    cal: &Calendar,
) -> Duration {
    match stage.deadline {
        Deadline::Fixed(a) => a.duration(stage.clock, cal),
        Deadline::Given => given
            .map(|g| cal.between(stage.clock, origin, g))
            .unwrap_or_else(Duration::zero),
    }
}

/// When the stage falls due: its allowance counted from `origin` on its
/// clock, leaving out the paused intervals. `None` while paused.
fn due_with_pauses(
    stage: &Stage,
    origin: DateTime<Utc>,
    given: Option<DateTime<Utc>>,
    pauses: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    cal: &Calendar,
) -> Option<DateTime<Utc>> {
    let mut left = allowance(stage, origin, given, cal);
    let mut cursor = origin;
    for (p, r) in pauses {
        let used = cal.between(stage.clock, cursor, *p);
        if used >= left {
            return cal.add(stage.clock, cursor, left);
        }
        left -= used;
        cursor = (*r)?.max(cursor);
    }
    cal.add(stage.clock, cursor, left)
}

/// The times of the sweeper's steps for a stage due at `due`: step 0 at
/// the deadline, step k `after` it.
pub fn step_times(stage: &Stage, due: DateTime<Utc>, cal: &Calendar) -> Vec<DateTime<Utc>> {
    std::iter::once(due)
        .chain(stage.escalate.iter().map(|e| {
            cal.add(stage.clock, due, e.after.duration(stage.clock, cal))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        }))
        .collect()
}

/// Folds a case's events (in `seq` order) into its state. Unknown stages
/// (a policy edited after the case opened keeps the case's own copy, so
/// this does not happen in practice) fall back to the first stage.
pub fn derive(spec: &Spec, events: &[Event], cal: &Calendar) -> Derived {
    let mut state = State::Open;
    let mut stage = spec.first().key.clone();
    let mut origin = events
        .first()
        .map(|e| e.at)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut stage_seq = events.first().map(|e| e.seq).unwrap_or(0);
    let mut given = None;
    let mut pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
    let mut assignee = None;
    let mut level = 0;
    for e in events {
        match e.kind {
            Kind::Opened | Kind::Stage | Kind::Reopened => {
                if let Some(s) = e.stage.as_deref().filter(|s| spec.stage(s).is_some()) {
                    stage = s.to_owned();
                }
                origin = e.at;
                stage_seq = e.seq;
                given = e.due;
                pauses.clear();
                level = 0;
                state = State::Open;
                if e.assignee.is_some() {
                    assignee = e.assignee;
                }
            }
            Kind::Rescheduled => {
                // The new deadline is counted from now, as staff set it:
                // earlier pauses are behind it.
                given = e.due;
                origin = e.at;
                pauses.clear();
                if state == State::Paused {
                    pauses.push((e.at, None));
                }
                stage_seq = e.seq;
                level = 0;
            }
            Kind::Paused => {
                if state == State::Open {
                    pauses.push((e.at, None));
                    state = State::Paused;
                }
            }
            Kind::Resumed => {
                if state == State::Paused {
                    if let Some(last) = pauses.last_mut() {
                        last.1 = Some(e.at);
                    }
                    state = State::Open;
                }
            }
            Kind::Reassigned => assignee = e.assignee,
            Kind::Escalated => level = level.max(e.level.unwrap_or(0) + 1),
            Kind::Closed => state = State::Closed,
        }
    }
    let st = spec.stage(&stage).unwrap_or_else(|| spec.first());
    let due = due_with_pauses(st, origin, given, &pauses, cal);
    let (due_at, next_at) = match (state, due) {
        (State::Open, Some(due)) => {
            let steps = step_times(st, due, cal);
            (Some(due), steps.get(level as usize).copied())
        }
        _ => (None, None),
    };
    Derived {
        state,
        stage,
        stage_seq,
        assignee,
        level,
        due_at,
        next_at,
        overdue: level > 0,
    }
}

/// The highest sweeper step reached at `now` beyond what was done, if any.
pub fn reached(stage: &Stage, d: &Derived, now: DateTime<Utc>, cal: &Calendar) -> Option<i32> {
    let due = d.due_at?;
    if d.state != State::Open {
        return None;
    }
    let steps = step_times(stage, due, cal);
    let top = steps.iter().rposition(|t| *t <= now)? as i32;
    (top >= d.level).then_some(top)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        super::super::calendar::china()
            .from_local_datetime(&naive)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn spec() -> Spec {
        Spec::parse(
            r#"{"stages":[
              {"key":"sign","name":"签收","deadline":"24h","clock":"working",
               "escalate":[{"after":"0m","to":"staff"},{"after":"1d","to":"street_officer"}]},
              {"key":"done","name":"办结","deadline":"given","clock":"calendar"}]}"#,
        )
        .unwrap()
    }

    fn ev(seq: i64, kind: Kind, when: &str) -> Event {
        Event {
            seq,
            kind,
            at: at(when),
            stage: None,
            due: None,
            level: None,
            assignee: None,
        }
    }

    #[test]
    fn policies_are_checked_as_admins_write_them() {
        assert!(Spec::parse(r#"{"stages":[]}"#).is_err());
        assert!(
            Spec::parse(
                r#"{"stages":[{"key":"A","name":"x","deadline":"1h","clock":"calendar"}]}"#
            )
            .is_err()
        );
        assert!(
            Spec::parse(
                r#"{"stages":[{"key":"a","name":"x","deadline":"1w","clock":"calendar"}]}"#
            )
            .is_err()
        );
        assert!(
            Spec::parse(
                r#"{"stages":[{"key":"a","name":"x","deadline":"-1h","clock":"calendar"}]}"#
            )
            .is_err()
        );
        assert!(
            Spec::parse(
                r#"{"stages":[{"key":"a","name":"x","deadline":"400d","clock":"calendar"}]}"#
            )
            .is_err()
        );
        assert!(
            Spec::parse(r#"{"stages":[{"key":"a","name":"x","deadline":"1h","clock":"moon"}]}"#)
                .is_err()
        );
        assert!(Spec::parse(r#"{"stages":[{"key":"a","name":"x","deadline":"1h","clock":"calendar","extra":1}]}"#).is_err());
        assert!(Spec::parse(r#"{"stages":[{"key":"a","name":"x","deadline":"1h","clock":"calendar","escalate":[{"after":"2h","to":"staff"},{"after":"1h","to":"admin"}]}]}"#).is_err());
        let s = spec();
        assert_eq!(s.stages.len(), 2);
        // Written back, it reads the same.
        assert_eq!(Spec::parse(&serde_json::to_string(&s).unwrap()).unwrap(), s);
    }

    #[test]
    fn a_pause_moves_the_deadline_by_the_working_time_it_took() {
        let cal = Calendar::shipped();
        let s = spec();
        // Opened Monday 09:00: 24 working hours = 7 + 7 + 7 + 3, so
        // Thursday 09:00 plus three hours: noon.
        let opened = ev(1, Kind::Opened, "2026-11-23 09:00");
        let d = derive(&s, std::slice::from_ref(&opened), cal);
        assert_eq!(d.due_at, Some(at("2026-11-26 12:00")));
        // Paused Monday 10:00 (1 h used), resumed Tuesday 10:00: Monday's
        // remaining 6 h and Tuesday's first hour do not count.
        let events = vec![
            opened.clone(),
            ev(2, Kind::Paused, "2026-11-23 10:00"),
            ev(3, Kind::Resumed, "2026-11-24 10:00"),
        ];
        let d = derive(&s, &events, cal);
        assert_eq!(d.due_at, Some(at("2026-11-27 12:00")));
        // While paused there is no deadline and nothing for the sweeper.
        let d = derive(&s, &events[..2], cal);
        assert_eq!((d.state, d.due_at, d.next_at), (State::Paused, None, None));
    }

    #[test]
    fn sweeper_steps_after_downtime_jump_to_the_highest_reached_once() {
        let cal = Calendar::shipped();
        let s = spec();
        let events = vec![ev(1, Kind::Opened, "2026-11-23 09:00")];
        let d = derive(&s, &events, cal);
        let st = s.stage(&d.stage).unwrap();
        // Before the deadline: nothing.
        assert_eq!(reached(st, &d, at("2026-11-26 11:59"), cal), None);
        // At the deadline, step 1 (staff, after 0m) coincides with step 0:
        // the highest is taken.
        assert_eq!(reached(st, &d, at("2026-11-26 12:00"), cal), Some(1));
        // Down for a week: one step, the last.
        assert_eq!(reached(st, &d, at("2026-12-04 09:00"), cal), Some(2));
        // Once it is recorded there is nothing more to do.
        let mut done = events.clone();
        done.push(Event {
            level: Some(2),
            ..ev(2, Kind::Escalated, "2026-12-04 09:00")
        });
        let d2 = derive(&s, &done, cal);
        assert_eq!((d2.level, d2.next_at, d2.overdue), (3, None, true));
        assert_eq!(reached(st, &d2, at("2027-01-01 09:00"), cal), None);
    }

    #[test]
    fn a_new_stage_or_deadline_starts_the_steps_again() {
        let cal = Calendar::shipped();
        let s = spec();
        let mut events = vec![
            ev(1, Kind::Opened, "2026-11-23 09:00"),
            Event {
                level: Some(1),
                ..ev(2, Kind::Escalated, "2026-11-26 14:00")
            },
        ];
        assert_eq!(derive(&s, &events, cal).level, 2);
        events.push(Event {
            stage: Some("done".into()),
            due: Some(at("2026-12-01 18:00")),
            ..ev(3, Kind::Stage, "2026-11-27 09:00")
        });
        let d = derive(&s, &events, cal);
        assert_eq!((d.stage.as_str(), d.level, d.stage_seq), ("done", 0, 3));
        assert_eq!(d.due_at, Some(at("2026-12-01 18:00")));
        events.push(Event {
            due: Some(at("2026-12-08 18:00")),
            ..ev(4, Kind::Rescheduled, "2026-11-30 09:00")
        });
        let d = derive(&s, &events, cal);
        assert_eq!((d.due_at, d.stage_seq), (Some(at("2026-12-08 18:00")), 4));
        events.push(ev(5, Kind::Closed, "2026-12-02 09:00"));
        let d = derive(&s, &events, cal);
        assert_eq!((d.state, d.next_at), (State::Closed, None));
    }
}
