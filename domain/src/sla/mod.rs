//! 时限 the one SLA engine: anything with deadlines and escalation — plan
//! tasks now, risk disposal and enterprise requests later — is a *case*
//! under a *policy* (data: stages, each with a deadline on the calendar or
//! working clock and escalation steps; `policy`), counted on the business
//! calendar (`calendar`).
//!
//! A case's state is derived from its recorded events (`sla_event`): the
//! row in `sla_case` holds the fold's result so the sweeper can find due
//! work by index, and is rewritten from the events with every change, so
//! due times survive restarts and calendar edits re-derive them. The
//! sweeper ([`sweep`], run under a lease) writes one `escalated` event per
//! case and sweep for the highest step reached; the event is unique per
//! (case, stage start, level), so a step is written — and notified — once,
//! whoever runs the sweep and however long the server was down.
//!
//! A kernel: it never imports a module. Modules open cases with a kind,
//! a subject of their own, a title and a link for the notifications.
pub mod calendar;
pub(crate) mod entities;
pub mod policy;

#[cfg(test)]
mod db_tests;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, sea_query::OnConflict,
};
use serde::Serialize;

pub use calendar::{Calendar, Clock, DayKind};
use entities::{sla_calendar_day, sla_case, sla_event, sla_policy};
pub use policy::{Kind, Spec, State, Target};

use crate::entities::role_grant;
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock, outbox};

/// The calendar (shipped file plus admins' days) kept per process and
/// checked against `ref_version` row 4 before use.
#[derive(Default)]
pub(crate) struct Cache {
    held: std::sync::RwLock<Option<(i64, Arc<Calendar>)>>,
}

async fn version<C: ConnectionTrait>(conn: &C) -> DomainResult<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT version FROM ref_version WHERE id = 4".to_owned(),
        ))
        .await?
        .ok_or_else(|| DomainError::Internal("ref_version row 4 missing".into()))?;
    Ok(row.try_get("", "version")?)
}

async fn bump<C: ConnectionTrait>(conn: &C) -> DomainResult<()> {
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        "UPDATE ref_version SET version = version + 1 WHERE id = 4".to_owned(),
    ))
    .await?;
    Ok(())
}

async fn load_calendar<C: ConnectionTrait>(conn: &C) -> DomainResult<Calendar> {
    let mut cal = Calendar::shipped().clone();
    for d in sla_calendar_day::Entity::find().all(conn).await? {
        let Ok(day) = NaiveDate::parse_from_str(&d.day, "%Y-%m-%d") else {
            continue;
        };
        cal.set_day(day, DayKind::parse(&d.kind).map(|k| (k, d.name.clone())));
    }
    Ok(cal)
}

/// The business calendar as admins left it.
pub(crate) async fn calendar_in<C: ConnectionTrait>(
    conn: &C,
    cache: &Cache,
) -> DomainResult<Arc<Calendar>> {
    let now = version(conn).await?;
    if let Some((v, cal)) = cache
        .held
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        && *v == now
    {
        return Ok(cal.clone());
    }
    let cal = Arc::new(load_calendar(conn).await?);
    *cache.held.write().unwrap_or_else(|e| e.into_inner()) = Some((now, cal.clone()));
    Ok(cal)
}

pub async fn calendar(s: &Services) -> DomainResult<Arc<Calendar>> {
    calendar_in(&s.db, &s.sla).await
}

/// What a module opens.
#[derive(Clone, Debug)]
pub struct NewCase {
    /// The module's name for this kind of work (`plan_task`, `risk` …).
    pub kind: &'static str,
    /// The module's own id for it; (kind, subject) is unique.
    pub subject: String,
    pub title: String,
    pub link: String,
    pub community_id: Option<i64>,
    pub policy: &'static str,
    pub assignee: Option<i64>,
    /// The first stage's deadline when the policy says `given`.
    pub due: Option<DateTime<Utc>>,
}

/// A change a person (or a module on their behalf) makes to a case.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// On to another stage of the policy (with its deadline when given).
    Stage {
        stage: String,
        due: Option<DateTime<Utc>>,
    },
    /// A new deadline for the current stage.
    Reschedule {
        due: DateTime<Utc>,
    },
    Pause,
    Resume,
    Reassign {
        to: Option<i64>,
    },
    Close,
    Reopen {
        due: Option<DateTime<Utc>>,
    },
}

fn parse_spec(json: &str) -> DomainResult<Spec> {
    Spec::parse(json).map_err(|e| DomainError::Internal(format!("stored SLA policy: {e}")))
}

/// An event as the fold reads it (`None`: a kind this version does not
/// know, left out rather than misread).
fn event_of(e: &sla_event::Model) -> Option<policy::Event> {
    Some(policy::Event {
        seq: e.id,
        kind: Kind::parse(&e.kind)?,
        at: e.at,
        stage: e.stage.clone(),
        due: e.due_at,
        level: e.level,
        assignee: e.assignee_id,
    })
}

async fn events_of<C: ConnectionTrait>(
    conn: &C,
    case_id: i64,
) -> DomainResult<Vec<sla_event::Model>> {
    Ok(sla_event::Entity::find()
        .filter(sla_event::Column::CaseId.eq(case_id))
        .order_by_asc(sla_event::Column::Id)
        .all(conn)
        .await?)
}

/// Rewrites a case's derived columns from its events.
async fn refresh<C: ConnectionTrait>(
    conn: &C,
    cal: &Calendar,
    case: &sla_case::Model,
    at: DateTime<Utc>,
) -> DomainResult<policy::Derived> {
    let spec = parse_spec(&case.spec)?;
    let events: Vec<_> = events_of(conn, case.id)
        .await?
        .iter()
        .filter_map(event_of)
        .collect();
    let d = policy::derive(&spec, &events, cal);
    let mut row: sla_case::ActiveModel = case.clone().into();
    row.stage = Set(d.stage.clone());
    row.stage_seq = Set(d.stage_seq);
    row.state = Set(d.state.as_str().to_owned());
    row.assignee_id = Set(d.assignee);
    row.level = Set(d.level);
    row.overdue = Set(d.overdue);
    row.due_at = Set(d.due_at);
    row.next_at = Set(d.next_at);
    row.closed_at = Set((d.state == State::Closed).then_some(case.closed_at.unwrap_or(at)));
    row.updated_at = Set(at);
    row.update(conn).await?;
    Ok(d)
}

#[allow(clippy::too_many_arguments)]
async fn insert_event<C: ConnectionTrait>(
    conn: &C,
    case_id: i64,
    kind: Kind,
    stage: Option<String>,
    due: Option<DateTime<Utc>>,
    assignee: Option<i64>,
    actor: Option<i64>,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> DomainResult<()> {
    sla_event::ActiveModel {
        case_id: Set(case_id),
        kind: Set(kind.as_str().to_owned()),
        stage: Set(stage),
        level: Set(None),
        actor_id: Set(actor),
        assignee_id: Set(assignee),
        due_at: Set(due),
        note: Set(note.map(|n| n.chars().take(500).collect())),
        dedupe: Set(None),
        at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Opens a case in the caller's transaction. Returns its id.
pub(crate) async fn open_in<C: ConnectionTrait>(
    conn: &C,
    cal: &Calendar,
    new: NewCase,
    actor: Option<i64>,
    at: DateTime<Utc>,
) -> DomainResult<i64> {
    let p = sla_policy::Entity::find_by_id(new.policy)
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::Internal(format!("no SLA policy `{}`", new.policy)))?;
    let spec = parse_spec(&p.spec)?;
    let first = spec.first().clone();
    if first.deadline == policy::Deadline::Given && new.due.is_none() {
        return Err(DomainError::validation("deadline", "required"));
    }
    let case = sla_case::ActiveModel {
        kind: Set(new.kind.to_owned()),
        subject: Set(new.subject),
        title: Set(new.title.chars().take(120).collect()),
        link: Set(new.link.chars().take(200).collect()),
        community_id: Set(new.community_id),
        policy_key: Set(p.key.clone()),
        policy_version: Set(p.version),
        spec: Set(p.spec.clone()),
        stage: Set(first.key.clone()),
        stage_seq: Set(0),
        state: Set(State::Open.as_str().to_owned()),
        assignee_id: Set(new.assignee),
        level: Set(0),
        overdue: Set(false),
        due_at: Set(None),
        next_at: Set(None),
        opened_at: Set(at),
        closed_at: Set(None),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    insert_event(
        conn,
        case.id,
        Kind::Opened,
        Some(first.key),
        new.due,
        new.assignee,
        actor,
        None,
        at,
    )
    .await?;
    refresh(conn, cal, &case, at).await?;
    Ok(case.id)
}

/// Records a change in the caller's transaction, refusing what the case's
/// state does not allow (pausing a paused case, closing a closed one …).
pub(crate) async fn change_in<C: ConnectionTrait>(
    conn: &C,
    cal: &Calendar,
    case_id: i64,
    change: Change,
    actor: Option<i64>,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> DomainResult<policy::Derived> {
    // Locked (PostgreSQL) until the caller's transaction ends: a sweep's
    // guarded update waits, then sees the new stage and leaves it alone.
    let case = sla_case::Entity::find_by_id(case_id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let spec = parse_spec(&case.spec)?;
    let state = case.state.as_str();
    let refuse = |why: &'static str| Err(DomainError::Conflict(why));
    let (kind, stage, due, assignee) = match change {
        Change::Stage { stage, due } => {
            let Some(st) = spec.stage(&stage) else {
                return Err(DomainError::validation("stage", "invalid"));
            };
            if state == "closed" {
                return refuse("case_closed");
            }
            if st.deadline == policy::Deadline::Given && due.is_none() {
                return Err(DomainError::validation("deadline", "required"));
            }
            (Kind::Stage, Some(stage), due, None)
        }
        Change::Reschedule { due } => {
            if state == "closed" {
                return refuse("case_closed");
            }
            (Kind::Rescheduled, None, Some(due), None)
        }
        Change::Pause => {
            if state != "open" {
                return refuse("case_not_open");
            }
            (Kind::Paused, None, None, None)
        }
        Change::Resume => {
            if state != "paused" {
                return refuse("case_not_paused");
            }
            (Kind::Resumed, None, None, None)
        }
        Change::Reassign { to } => {
            if state == "closed" {
                return refuse("case_closed");
            }
            (Kind::Reassigned, None, None, to)
        }
        Change::Close => {
            if state == "closed" {
                return refuse("case_closed");
            }
            (Kind::Closed, None, None, None)
        }
        Change::Reopen { due } => {
            if state != "closed" {
                return refuse("case_not_closed");
            }
            (Kind::Reopened, Some(case.stage.clone()), due, None)
        }
    };
    insert_event(conn, case_id, kind, stage, due, assignee, actor, note, at).await?;
    let d = refresh(conn, cal, &case, at).await?;
    if d.state != State::Closed {
        // Reopened: the closing time goes.
        if case.closed_at.is_some() {
            sla_case::Entity::update_many()
                .col_expr(
                    sla_case::Column::ClosedAt,
                    Option::<DateTime<Utc>>::None.into(),
                )
                .filter(sla_case::Column::Id.eq(case_id))
                .exec(conn)
                .await?;
        }
    }
    Ok(d)
}

/// A case as a module shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseView {
    pub id: i64,
    pub stage: String,
    pub stage_name: String,
    pub state: State,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// Escalation steps taken in this stage.
    pub level: i32,
    pub closed_at: Option<DateTime<Utc>>,
    /// The policy's stages in order (their keys), as the case holds it.
    pub stages: Vec<String>,
}

fn view(c: &sla_case::Model) -> CaseView {
    let spec = Spec::parse(&c.spec).ok();
    let stage_name = spec
        .as_ref()
        .and_then(|s| s.stage(&c.stage).map(|st| st.name.clone()))
        .unwrap_or_else(|| c.stage.clone());
    let stages = spec
        .map(|s| s.stages.into_iter().map(|st| st.key).collect())
        .unwrap_or_default();
    CaseView {
        id: c.id,
        stage: c.stage.clone(),
        stage_name,
        state: match c.state.as_str() {
            "paused" => State::Paused,
            "closed" => State::Closed,
            _ => State::Open,
        },
        due_at: c.due_at,
        overdue: c.overdue,
        level: (c.level - 1).max(0),
        closed_at: c.closed_at,
        stages,
    }
}

pub(crate) async fn views_in<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> DomainResult<HashMap<i64, CaseView>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(sla_case::Entity::find()
        .filter(sla_case::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .iter()
        .map(|c| (c.id, view(c)))
        .collect())
}

/// One line of a case's timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub kind: Kind,
    pub stage: Option<String>,
    /// Escalation level (0: marked overdue).
    pub level: Option<i32>,
    pub actor_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// Every state change of a case, oldest first.
pub(crate) async fn timeline_in<C: ConnectionTrait>(
    conn: &C,
    case_id: i64,
) -> DomainResult<Vec<Step>> {
    Ok(events_of(conn, case_id)
        .await?
        .into_iter()
        .filter_map(|e| {
            Some(Step {
                kind: Kind::parse(&e.kind)?,
                stage: e.stage,
                level: e.level,
                actor_id: e.actor_id,
                assignee_id: e.assignee_id,
                due_at: e.due_at,
                note: e.note,
                at: e.at,
            })
        })
        .collect())
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sweep {
    /// Cases whose next step had come.
    pub due: u64,
    /// Steps written (marked overdue or escalated).
    pub escalated: u64,
    /// Notifications queued.
    pub notified: u64,
}

/// Accounts (with phone numbers) by target and community (the assignee: by
/// the assignee's account), found once per sweep.
type Recipients = HashMap<(Target, Option<i64>), Vec<(i64, String)>>;

/// Accounts a target names for a case, with their phone numbers.
async fn recipients<C: ConnectionTrait>(
    conn: &C,
    target: Target,
    case: &sla_case::Model,
    memo: &mut Recipients,
) -> DomainResult<Vec<(i64, String)>> {
    let key = match target {
        Target::Assignee => (target, case.assignee_id),
        _ => (target, case.community_id),
    };
    if let Some(ids) = memo.get(&key) {
        return Ok(ids.clone());
    }
    let ids = match target {
        Target::Assignee => case.assignee_id.into_iter().collect(),
        _ => grantees(conn, target, case).await?,
    };
    let found: Vec<(i64, String)> = if ids.is_empty() {
        Vec::new()
    } else {
        crate::entities::account::Entity::find()
            .select_only()
            .column(crate::entities::account::Column::Id)
            .column(crate::entities::account::Column::Phone)
            .filter(crate::entities::account::Column::Id.is_in(ids))
            .filter(crate::entities::account::Column::Disabled.eq(false))
            .into_tuple()
            .all(conn)
            .await?
    };
    memo.insert(key, found.clone());
    Ok(found)
}

async fn grantees<C: ConnectionTrait>(
    conn: &C,
    target: Target,
    case: &sla_case::Model,
) -> DomainResult<Vec<i64>> {
    let mut q = role_grant::Entity::find()
        .select_only()
        .column(role_grant::Column::AccountId)
        .distinct();
    q = match target {
        Target::Staff => q
            .filter(role_grant::Column::Role.eq("staff"))
            .filter(role_grant::Column::ScopeId.eq(case.community_id.unwrap_or(-1))),
        Target::StreetOfficer => {
            let street: Option<i64> = match case.community_id {
                Some(c) => crate::entities::community::Entity::find_by_id(c)
                    .one(conn)
                    .await?
                    .map(|c| c.street_id),
                None => None,
            };
            q.filter(role_grant::Column::Role.eq("street_officer"))
                .filter(role_grant::Column::ScopeKind.eq("street"))
                .filter(role_grant::Column::ScopeId.eq(street.unwrap_or(-1)))
        }
        _ => q.filter(role_grant::Column::Role.eq("admin")),
    };
    Ok(q.into_tuple().all(conn).await?)
}

const SWEEP_BATCH: usize = 500;

/// Marks work that fell due as overdue and escalates it: one step per
/// case (the highest reached at `now`), each written once — the
/// `escalated` event is unique per (case, stage start, level) and the case
/// row is updated only from the level it was read at. Notifications go
/// through the outbox in the same transaction (in the app, and by SMS as
/// urgent work). Run under the `sla` lease.
pub async fn sweep(s: &Services, now: DateTime<Utc>) -> DomainResult<Sweep> {
    let cal = calendar(s).await?;
    let mut out = Sweep::default();
    let mut memo = HashMap::new();
    let mut specs: HashMap<(String, i32), Spec> = HashMap::new();
    // What fell due, once, from the (state, next step) index; then a batch
    // at a time by id. (Walking the index again for each batch read every
    // remaining due case per batch: quadratic in a large backlog.)
    let due: Vec<i64> = sla_case::Entity::find()
        .select_only()
        .column(sla_case::Column::Id)
        .filter(sla_case::Column::State.eq(State::Open.as_str()))
        .filter(sla_case::Column::NextAt.lte(now))
        .order_by_asc(sla_case::Column::Id)
        .into_tuple()
        .all(&s.db)
        .await?;
    for batch in due.chunks(SWEEP_BATCH) {
        let (_gate, txn) = s.begin_write().await?;
        // Read under lock (PostgreSQL): a change made meanwhile (a new
        // deadline, a pause) is seen, and none can slip in until commit.
        let locked = sla_case::Entity::find()
            .filter(sla_case::Column::Id.is_in(batch.iter().copied()))
            .filter(sla_case::Column::State.eq(State::Open.as_str()))
            .order_by_asc(sla_case::Column::Id)
            .lock_exclusive()
            .all(&txn)
            .await?;
        out.due += batch.len() as u64;
        // The step each case has reached, decided in memory.
        let mut claims: Vec<(&sla_case::Model, i32)> = Vec::new();
        for case in &locked {
            let key = (case.policy_key.clone(), case.policy_version);
            if !specs.contains_key(&key) {
                specs.insert(key.clone(), parse_spec(&case.spec)?);
            }
            let Some(stage) = specs[&key].stage(&case.stage) else {
                continue;
            };
            let d = policy::Derived {
                state: State::Open,
                stage: case.stage.clone(),
                stage_seq: case.stage_seq,
                assignee: case.assignee_id,
                level: case.level,
                due_at: case.due_at,
                next_at: case.next_at,
                overdue: case.overdue,
            };
            if let Some(level) = policy::reached(stage, &d, now, &cal) {
                claims.push((case, level));
            }
        }
        // Steps already written (a row behind its events): the row is
        // rebuilt from its events and nobody is told twice.
        let written: std::collections::HashSet<(i64, String)> = if claims.is_empty() {
            Default::default()
        } else {
            sla_event::Entity::find()
                .select_only()
                .column(sla_event::Column::CaseId)
                .column(sla_event::Column::Dedupe)
                .filter(sla_event::Column::CaseId.is_in(claims.iter().map(|(c, _)| c.id)))
                .filter(sla_event::Column::Kind.eq(Kind::Escalated.as_str()))
                .into_tuple::<(i64, Option<String>)>()
                .all(&txn)
                .await?
                .into_iter()
                .filter_map(|(c, d)| d.map(|d| (c, d)))
                .collect()
        };
        let mut events = Vec::new();
        let mut messages = Vec::new();
        // The new level and next step of each claim; the rows are written
        // grouped by (level read, level reached, next step), a handful of
        // statements per batch instead of one per case.
        let mut moves: Vec<(&sla_case::Model, i32, policy::Stage)> = Vec::new();
        // (stage start, level read, level reached, next step) → cases
        type Group = (i64, i32, i32, Option<DateTime<Utc>>);
        let mut groups: HashMap<Group, Vec<i64>> = HashMap::new();
        for (case, level) in claims {
            let dedupe = format!("{}:{level}", case.stage_seq);
            if written.contains(&(case.id, dedupe)) {
                refresh(&txn, &cal, case, now).await?;
                continue;
            }
            let stage = specs[&(case.policy_key.clone(), case.policy_version)]
                .stage(&case.stage)
                .cloned()
                .expect("checked above");
            let steps = policy::step_times(&stage, case.due_at.unwrap_or(now), &cal);
            let next = steps.get(level as usize + 1).copied();
            groups
                .entry((case.stage_seq, case.level, level, next))
                .or_default()
                .push(case.id);
            moves.push((case, level, stage));
        }
        let mut moved_all = true;
        for ((stage_seq, from, level, next), ids) in groups {
            // The rows are locked (read above in this transaction), so each
            // one moves; anything else rolls the batch back (the next sweep
            // looks at it again) rather than write events for rows that did
            // not move.
            let moved = sla_case::Entity::update_many()
                .col_expr(sla_case::Column::Level, (level + 1).into())
                .col_expr(sla_case::Column::Overdue, true.into())
                .col_expr(sla_case::Column::NextAt, next.into())
                .col_expr(sla_case::Column::UpdatedAt, now.into())
                .filter(sla_case::Column::Id.is_in(ids.iter().copied()))
                .filter(sla_case::Column::Level.eq(from))
                .filter(sla_case::Column::StageSeq.eq(stage_seq))
                .exec(&txn)
                .await?;
            if moved.rows_affected != ids.len() as u64 {
                moved_all = false;
                break;
            }
        }
        if !moved_all {
            tracing::warn!(
                first_id = batch[0],
                "SLA sweep: a batch changed under it, left for the next sweep"
            );
            drop(txn);
            continue;
        }
        for (case, level, stage) in moves {
            let dedupe = format!("{}:{level}", case.stage_seq);
            events.push(sla_event::ActiveModel {
                case_id: Set(case.id),
                kind: Set(Kind::Escalated.as_str().to_owned()),
                stage: Set(Some(case.stage.clone())),
                level: Set(Some(level)),
                actor_id: Set(None),
                assignee_id: Set(None),
                due_at: Set(case.due_at),
                note: Set(None),
                dedupe: Set(Some(dedupe)),
                at: Set(now),
                ..Default::default()
            });
            out.escalated += 1;
            // Everyone whose step came since the last sweep: level 0 the
            // assignee, step k the k-th target (after downtime, all of the
            // skipped ones too — each once).
            let targets: Vec<Target> = (case.level..=level)
                .map(|k| match k {
                    0 => Target::Assignee,
                    k => stage.escalate[k as usize - 1].to,
                })
                .collect();
            let due = case
                .due_at
                .map(|d| {
                    d.with_timezone(&calendar::china())
                        .format("%m月%d日 %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            let (subject, body) = if level == 0 {
                (
                    "工作已逾期".to_owned(),
                    format!(
                        "「{}」（{}）已超过办理时限 {due}，请尽快处理：{}",
                        case.title, stage.name, case.link
                    ),
                )
            } else {
                (
                    format!("逾期升级（第 {level} 级）"),
                    format!(
                        "「{}」（{}）已超过办理时限 {due}，按规定升级至您处督办：{}",
                        case.title, stage.name, case.link
                    ),
                )
            };
            let mut people: Vec<(i64, String)> = Vec::new();
            for t in targets {
                for r in recipients(&txn, t, case, &mut memo).await? {
                    if !people.contains(&r) {
                        people.push(r);
                    }
                }
            }
            for (account, phone) in people {
                messages.push((
                    outbox::Channel::InApp,
                    account.to_string(),
                    subject.clone(),
                    body.clone(),
                ));
                messages.push((outbox::Channel::Sms, phone, subject.clone(), body.clone()));
            }
        }
        // One statement for the batch's events, a few for its messages.
        if !events.is_empty() {
            sla_event::Entity::insert_many(events)
                .on_conflict(
                    OnConflict::columns([sla_event::Column::CaseId, sla_event::Column::Dedupe])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        out.notified += messages.len() as u64;
        outbox::enqueue_urgent_many(&txn, messages).await?;
        txn.commit().await?;
    }
    if out.escalated > 0 {
        tracing::info!(due = out.due, escalated = out.escalated, "SLA sweep");
    }
    Ok(out)
}

// ---- Admin: policies and the calendar ----

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyInfo {
    pub key: String,
    pub name: String,
    pub version: i32,
    pub spec: String,
    pub updated_by: Option<i64>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn policies(s: &Services, actor: &Principal) -> DomainResult<Vec<PolicyInfo>> {
    actor.require_admin()?;
    Ok(sla_policy::Entity::find()
        .order_by_asc(sla_policy::Column::Key)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|p| PolicyInfo {
            key: p.key,
            name: p.name,
            version: p.version,
            spec: p.spec,
            updated_by: p.updated_by,
            updated_at: p.updated_at,
        })
        .collect())
}

/// Replaces a policy (admins). Cases already open keep the version they
/// opened under; new cases use this one. Audited with both versions.
pub async fn set_policy(
    s: &Services,
    actor: &Principal,
    key: &str,
    spec: &str,
) -> DomainResult<i32> {
    actor.require_admin()?;
    let parsed = Spec::parse(spec).map_err(|_| DomainError::validation("spec", "invalid"))?;
    let json = serde_json::to_string(&parsed).map_err(|e| DomainError::Internal(e.to_string()))?;
    let (_gate, txn) = s.begin_write().await?;
    let p = sla_policy::Entity::find_by_id(key.to_owned())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let version = p.version + 1;
    let old = p.spec.clone();
    let mut row: sla_policy::ActiveModel = p.into();
    row.spec = Set(json.clone());
    row.version = Set(version);
    row.updated_by = Set(Some(actor.account_id));
    row.updated_at = Set(Some(clock::now()));
    row.update(&txn).await?;
    bump(&txn).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "sla.policy",
        &format!("sla_policy:{key}"),
        serde_json::json!({"version": version, "before": old, "after": json}),
    )
    .await?;
    txn.commit().await?;
    Ok(version)
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalendarDay {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// A year's holidays and make-up workdays, and whether the year is covered.
pub async fn calendar_year(s: &Services, year: i32) -> DomainResult<(bool, Vec<CalendarDay>)> {
    let cal = calendar(s).await?;
    Ok((
        cal.covers(year),
        cal.days_of(year)
            .into_iter()
            .map(|(day, kind, name)| CalendarDay { day, kind, name })
            .collect(),
    ))
}

/// Sets one day (admins): a holiday, a make-up workday, or back to the
/// weekend rule (`None`). Open cases on the working clock are re-derived
/// from their events in the same transaction, so their due times follow.
pub async fn set_calendar_day(
    s: &Services,
    actor: &Principal,
    day: NaiveDate,
    kind: Option<DayKind>,
    name: &str,
) -> DomainResult<u64> {
    actor.require_admin()?;
    let name = name.trim();
    if kind.is_some() && (name.is_empty() || name.chars().count() > 40) {
        return Err(DomainError::validation("name", "length"));
    }
    if !(2000..=2100).contains(&chrono::Datelike::year(&day)) {
        return Err(DomainError::validation("day", "invalid"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let now = clock::now();
    sla_calendar_day::Entity::insert(sla_calendar_day::ActiveModel {
        day: Set(day.format("%Y-%m-%d").to_string()),
        kind: Set(kind.map(|k| k.as_str()).unwrap_or("normal").to_owned()),
        name: Set(name.to_owned()),
        updated_by: Set(Some(actor.account_id)),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(sla_calendar_day::Column::Day)
            .update_columns([
                sla_calendar_day::Column::Kind,
                sla_calendar_day::Column::Name,
                sla_calendar_day::Column::UpdatedBy,
                sla_calendar_day::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    bump(&txn).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "sla.calendar",
        &format!("day:{day}"),
        serde_json::json!({"kind": kind.map(|k| k.as_str()), "name": name}),
    )
    .await?;
    let cal = load_calendar(&txn).await?;
    // Only cases the day can move: not closed, opened by the end of that
    // day, and not yet due before it (or paused).
    let day_start = crate::clock::parse_china_local(&format!("{day} 00:00"));
    let day_end = day_start.map(|d| d + chrono::Duration::days(1));
    let mut q = sla_case::Entity::find().filter(sla_case::Column::State.ne(State::Closed.as_str()));
    if let (Some(a), Some(b)) = (day_start, day_end) {
        q = q.filter(sla_case::Column::OpenedAt.lt(b)).filter(
            sea_orm::Condition::any()
                .add(sla_case::Column::DueAt.is_null())
                .add(sla_case::Column::DueAt.gte(a)),
        );
    }
    let open = q.all(&txn).await?;
    let mut moved = 0;
    for case in open {
        if case.spec.contains("\"working\"") {
            refresh(&txn, &cal, &case, case.updated_at).await?;
            moved += 1;
        }
    }
    txn.commit().await?;
    Ok(moved)
}

/// A `YYYY-MM-DD` date, as forms send it.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}
