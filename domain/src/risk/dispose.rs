//! 协同处置 · 闭环管理: a warning is a case on the one SLA engine. Low
//! severity goes through the machine first — an SMS to the responsible
//! party when the warning opens (same transaction), a voice call
//! `voice_after` later, a re-check of the indicator `recheck_after` the
//! call: back to normal closes the case with the re-check's record; not,
//! or a "需要帮助" answer, hands it to people with everything so far.
//! People sign (签收), record arrival (到场), and handle it with feedback
//! (办结反馈); each sees only their own cases.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::ExprTrait,
};
use serde::Serialize;

use super::entities::{risk_model, risk_reading, risk_step, risk_subject, risk_warning};
use super::model::{self, Check, Point, Rule, Why};
use super::{Live, Models};
use crate::entities::role_grant;
use crate::error::{DomainError, DomainResult};
use crate::outbox::{self, Channel};
use crate::{Principal, Services, audit, clock, sla};

/// The case kind risk warnings open on the SLA engine.
pub const CASE_KIND: &str = "risk";
/// Feedback and notes people write.
pub const NOTE_MAX: usize = 500;

fn open_key(model_key: &str, subject_id: i64) -> String {
    format!("{model_key}:{subject_id}")
}

pub(crate) async fn step<C: ConnectionTrait>(
    conn: &C,
    warning_id: i64,
    kind: &str,
    note: Option<String>,
    actor: Option<i64>,
    at: DateTime<Utc>,
) -> DomainResult<()> {
    risk_step::ActiveModel {
        warning_id: Set(warning_id),
        kind: Set(kind.to_owned()),
        note: Set(note.map(|n| n.chars().take(NOTE_MAX).collect())),
        actor_id: Set(actor),
        at: Set(at),
        photo: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A `photo` step naming its file; returns the step's id.
pub(crate) async fn step_with_photo<C: ConnectionTrait>(
    conn: &C,
    warning_id: i64,
    note: Option<String>,
    actor: Option<i64>,
    file: &str,
    at: DateTime<Utc>,
) -> DomainResult<i64> {
    let row = risk_step::ActiveModel {
        warning_id: Set(warning_id),
        kind: Set("photo".to_owned()),
        note: Set(note.map(|n| n.chars().take(NOTE_MAX).collect())),
        actor_id: Set(actor),
        at: Set(at),
        photo: Set(Some(file.to_owned())),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// Accounts that answer for a subject's place: its compound's grid
/// workers, else its community's staff.
async fn responders<C: ConnectionTrait>(
    conn: &C,
    compound: Option<i64>,
    community: Option<i64>,
) -> DomainResult<Vec<i64>> {
    if let Some(c) = compound {
        let grid: Vec<i64> = role_grant::Entity::find()
            .filter(role_grant::Column::Role.eq("grid_worker"))
            .filter(role_grant::Column::ScopeKind.eq("compound"))
            .filter(role_grant::Column::ScopeId.eq(c))
            .order_by_asc(role_grant::Column::Id)
            .all(conn)
            .await?
            .into_iter()
            .map(|g| g.account_id)
            .collect();
        if !grid.is_empty() {
            return Ok(grid);
        }
    }
    let Some(c) = community else {
        return Ok(Vec::new());
    };
    Ok(role_grant::Entity::find()
        .filter(role_grant::Column::Role.eq("staff"))
        .filter(role_grant::Column::ScopeKind.eq("community"))
        .filter(role_grant::Column::ScopeId.eq(c))
        .order_by_asc(role_grant::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|g| g.account_id)
        .collect())
}

/// Tells the people who answer for a warning: in the app, and by SMS at
/// once when it is urgent.
async fn tell_people<C: ConnectionTrait>(
    conn: &C,
    people: &[i64],
    subject: &str,
    text: &str,
    urgent: bool,
) -> DomainResult<()> {
    for &p in people {
        outbox::enqueue(conn, Channel::InApp, &p.to_string(), subject, text).await?;
        if urgent
            && let Some(a) = crate::entities::account::Entity::find_by_id(p)
                .one(conn)
                .await?
            && !a.disabled
        {
            outbox::enqueue_urgent(conn, Channel::Sms, &a.phone, subject, text).await?;
        }
    }
    Ok(())
}

/// Opens a warning for a model and subject, its SLA case, and its first
/// notifications, in the caller's transaction. Returns its id, or `None`
/// when one is open already (another instance opened it meanwhile: the
/// unique `open_key` decides, and this batch goes on).
pub(crate) async fn open_warning<C: ConnectionTrait>(
    s: &Services,
    conn: &C,
    models: &Models,
    m: &Live,
    subject: &risk_subject::Model,
    why: Why,
    now: DateTime<Utc>,
) -> DomainResult<Option<i64>> {
    let auto = m.spec.auto();
    let point_name = models
        .points
        .get(&m.point_key)
        .cloned()
        .unwrap_or_else(|| m.point_key.clone());
    let w = risk_warning::ActiveModel {
        model_id: Set(m.id),
        model_key: Set(m.key.clone()),
        point_key: Set(m.point_key.clone()),
        subject_id: Set(subject.id),
        community_id: Set(subject.community_id),
        compound_id: Set(subject.compound_id),
        severity: Set(m.spec.severity.as_str().to_owned()),
        state: Set("open".to_owned()),
        open_key: Set(Some(open_key(&m.key, subject.id))),
        why: Set(serde_json::to_string(&why).unwrap_or_default()),
        opened_at: Set(now),
        closed_at: Set(None),
        closed_how: Set(None),
        case_id: Set(None),
        auto_step: Set(None),
        next_step_at: Set(None),
        answer: Set(None),
        ..Default::default()
    };
    let inserted = risk_warning::Entity::insert(w)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(risk_warning::Column::OpenKey)
                .do_nothing()
                .to_owned(),
        )
        .exec(conn)
        .await;
    let id = match inserted {
        Ok(r) => r.last_insert_id,
        Err(sea_orm::DbErr::RecordNotInserted) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let w = risk_warning::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    step(
        conn,
        w.id,
        "fired",
        Some(format!("{}：{}", m.name, why.summary)),
        None,
        now,
    )
    .await?;
    let title = format!("{point_name}｜{}", subject.name);
    let people = if auto.is_some() {
        Vec::new()
    } else {
        responders(conn, subject.compound_id, subject.community_id).await?
    };
    let cal = sla::calendar_in(conn, &s.sla).await?;
    let case_id = sla::open_in(
        conn,
        &cal,
        sla::NewCase {
            kind: CASE_KIND,
            subject: w.id.to_string(),
            title: title.clone(),
            link: format!("/risk/warnings/{}", w.id),
            community_id: subject.community_id,
            policy: m.spec.severity.policy(),
            assignee: people.first().copied(),
            due: None,
        },
        None,
        now,
    )
    .await?;
    let mut row: risk_warning::ActiveModel = w.clone().into();
    row.case_id = Set(Some(case_id));
    match auto {
        Some(a) => {
            let phone = subject.contact_phone.clone();
            match phone {
                Some(phone) => {
                    outbox::enqueue(
                        conn,
                        Channel::Sms,
                        &phone,
                        "风险提醒",
                        &format!(
                            "【风险提醒】{title}：{}。请尽快排查处理，稍后将有语音回访。",
                            why.summary
                        ),
                    )
                    .await?;
                    step(conn, w.id, "sms", None, None, now).await?;
                    row.auto_step = Set(Some("voice".into()));
                    row.next_step_at = Set(Some(
                        now + a.voice_after.duration(sla::Clock::Calendar, &cal),
                    ));
                }
                None => {
                    // Nobody to remind: the machine only re-checks.
                    row.auto_step = Set(Some("recheck".into()));
                    row.next_step_at = Set(Some(
                        now + a.voice_after.duration(sla::Clock::Calendar, &cal)
                            + a.recheck_after.duration(sla::Clock::Calendar, &cal),
                    ));
                }
            }
        }
        None => {
            row.auto_step = Set(Some("people".into()));
            tell_people(
                conn,
                &people,
                "风险预警",
                &format!(
                    "【{}】{title}：{}（/risk/warnings/{}）",
                    severity_word(m.spec.severity),
                    why.summary,
                    w.id
                ),
                m.spec.severity == model::Severity::Urgent,
            )
            .await?;
        }
    }
    row.update(conn).await?;
    Ok(Some(w.id))
}

fn severity_word(s: model::Severity) -> &'static str {
    match s {
        model::Severity::Low => "低风险",
        model::Severity::Normal => "一般风险",
        model::Severity::Urgent => "紧急风险",
    }
}

/// Closes a warning and its case in the caller's transaction.
pub(crate) async fn close_warning<C: ConnectionTrait>(
    s: &Services,
    conn: &C,
    w: &risk_warning::Model,
    how: &str,
    note: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let done = risk_warning::Entity::update_many()
        .col_expr(risk_warning::Column::State, "closed".into())
        .col_expr(risk_warning::Column::OpenKey, Option::<String>::None.into())
        .col_expr(risk_warning::Column::ClosedAt, Some(now).into())
        .col_expr(risk_warning::Column::ClosedHow, Some(how.to_owned()).into())
        .col_expr(
            risk_warning::Column::AutoStep,
            Some("done".to_owned()).into(),
        )
        .col_expr(
            risk_warning::Column::NextStepAt,
            Option::<DateTime<Utc>>::None.into(),
        )
        .filter(risk_warning::Column::Id.eq(w.id))
        .filter(risk_warning::Column::State.eq("open"))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::Conflict("warning_closed"));
    }
    step(conn, w.id, "closed", Some(note.to_owned()), actor, now).await?;
    if let Some(case) = w.case_id {
        let cal = sla::calendar_in(conn, &s.sla).await?;
        match sla::change_in(conn, &cal, case, sla::Change::Close, actor, Some(note), now).await {
            Ok(_) | Err(DomainError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A reading shows the indicator back to normal on an open warning: the
/// people who hold its case see it (a step, once per warning) and close it
/// with their feedback; the machine's own re-check closes the others.
pub(crate) async fn recovered<C: ConnectionTrait>(
    conn: &C,
    w: &risk_warning::Model,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    if w.auto_step.as_deref() != Some("people") {
        return Ok(());
    }
    let told = risk_step::Entity::find()
        .filter(risk_step::Column::WarningId.eq(w.id))
        .filter(risk_step::Column::Kind.eq("recovered"))
        .one(conn)
        .await?
        .is_some();
    if !told {
        step(
            conn,
            w.id,
            "recovered",
            Some("读数已恢复正常，请核实后办结".into()),
            None,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Hands a warning the machine could not close to people: its case moves
/// on to 签收指派, assigned to the compound's grid worker (or the
/// community's staff), who are told what happened so far.
async fn hand_to_people<C: ConnectionTrait>(
    s: &Services,
    conn: &C,
    w: &risk_warning::Model,
    why: &str,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let people = responders(conn, w.compound_id, w.community_id).await?;
    step(conn, w.id, "handed", Some(why.to_owned()), None, now).await?;
    if let Some(case) = w.case_id {
        let cal = sla::calendar_in(conn, &s.sla).await?;
        sla::change_in(
            conn,
            &cal,
            case,
            sla::Change::Stage {
                stage: "sign".into(),
                due: None,
            },
            None,
            Some(why),
            now,
        )
        .await?;
        if let Some(&first) = people.first() {
            sla::change_in(
                conn,
                &cal,
                case,
                sla::Change::Reassign { to: Some(first) },
                None,
                None,
                now,
            )
            .await?;
        }
    }
    risk_warning::Entity::update_many()
        .col_expr(
            risk_warning::Column::AutoStep,
            Some("people".to_owned()).into(),
        )
        .col_expr(
            risk_warning::Column::NextStepAt,
            Option::<DateTime<Utc>>::None.into(),
        )
        .filter(risk_warning::Column::Id.eq(w.id))
        .exec(conn)
        .await?;
    let history = risk_step::Entity::find()
        .filter(risk_step::Column::WarningId.eq(w.id))
        .order_by_asc(risk_step::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|st| step_word(&st.kind))
        .collect::<Vec<_>>()
        .join(" → ");
    tell_people(
        conn,
        &people,
        "风险预警转人工",
        &format!(
            "预警 #{} 需人工处置：{why}。已做：{history}（/risk/warnings/{}）",
            w.id, w.id
        ),
        false,
    )
    .await
}

/// A step in plain words.
pub fn step_word(kind: &str) -> &'static str {
    match kind {
        "fired" => "触发预警",
        "sms" => "短信提醒",
        "voice" => "语音外呼",
        "answer" => "语音应答",
        "recheck_ok" => "机器复核通过",
        "recheck_failed" => "机器复核未通过",
        "recovered" => "读数恢复正常",
        "handed" => "转人工",
        "signed" => "签收",
        "arrived" => "到达现场",
        "handled" => "处置反馈",
        "closed" => "关闭",
        "photo" => "现场照片",
        "party_report" => "责任方反馈",
        _ => "其他",
    }
}

/// What a tick of the risk job did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tick {
    pub voice_calls: usize,
    pub rechecks_passed: usize,
    pub rechecks_failed: usize,
    pub opened: usize,
    pub closed: usize,
    /// Hongcha's own readings sent (opinion signals).
    pub signals: usize,
}

/// Steps due per tick (the rest wait for the next).
const TICK_BATCH: u64 = 500;

/// The risk job (under the `risk` lease): the machine's disposal steps
/// that fell due, and with `unprompted` the models no reading triggers —
/// absence of data and compound risks.
pub async fn tick(s: &Services, now: DateTime<Utc>, unprompted_too: bool) -> DomainResult<Tick> {
    let mut t = Tick::default();
    let due: Vec<i64> = risk_warning::Entity::find()
        .select_only()
        .column(risk_warning::Column::Id)
        .filter(risk_warning::Column::AutoStep.is_in(["voice", "recheck"]))
        .filter(risk_warning::Column::NextStepAt.lte(now))
        .order_by_asc(risk_warning::Column::NextStepAt)
        .limit(TICK_BATCH)
        .into_tuple()
        .all(&s.db)
        .await?;
    for id in due {
        // One warning's trouble (a model gone, a conflict) holds up no other.
        match machine_step(s, id, now).await {
            Ok(Some(Done::Called)) => t.voice_calls += 1,
            Ok(Some(Done::Passed)) => t.rechecks_passed += 1,
            Ok(Some(Done::Failed)) => t.rechecks_failed += 1,
            Ok(None) => {}
            Err(e) => tracing::error!(warning = id, error = %e, "risk step failed"),
        }
    }
    if unprompted_too {
        let models = super::models(s).await?;
        t.signals = super::signals::send(s, &models, now).await?;
        let (o, c) = unprompted(s, &models, now).await?;
        t.opened += o;
        t.closed += c;
    }
    Ok(t)
}

enum Done {
    Called,
    Passed,
    Failed,
}

/// The machine's next step on one warning, in its own transaction.
async fn machine_step(s: &Services, id: i64, now: DateTime<Utc>) -> DomainResult<Option<Done>> {
    let (_gate, txn) = s.begin_write().await?;
    let Some(w) = risk_warning::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    if w.state != "open" || w.next_step_at.is_none_or(|n| n > now) {
        return Ok(None);
    }
    let cal = sla::calendar_in(&txn, &s.sla).await?;
    let done = match w.auto_step.as_deref() {
        Some("voice") => {
            if let Some(until) = outbox::quiet_until(now) {
                // No machine calls at night: the call waits for 07:00, and
                // the case's clock stops meanwhile (nobody is late for it).
                risk_warning::Entity::update_many()
                    .col_expr(risk_warning::Column::NextStepAt, Some(until).into())
                    .filter(risk_warning::Column::Id.eq(w.id))
                    .exec(&txn)
                    .await?;
                if let Some(case) = w.case_id {
                    match sla::change_in(
                        &txn,
                        &cal,
                        case,
                        sla::Change::Pause,
                        None,
                        Some("夜间不外呼"),
                        now,
                    )
                    .await
                    {
                        Ok(_) | Err(DomainError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                None
            } else {
                if let Some(case) = w.case_id {
                    match sla::change_in(&txn, &cal, case, sla::Change::Resume, None, None, now)
                        .await
                    {
                        Ok(_) | Err(DomainError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                // Fixed since the SMS: no call; the re-check closes it.
                if verdict_now(&txn, &w, now).await? == Check::Normal {
                    recheck(s, &txn, &w, now).await?;
                    Some(Done::Passed)
                } else {
                    call(s, &txn, &w, now).await?;
                    Some(Done::Called)
                }
            }
        }
        Some("recheck") => Some(if recheck(s, &txn, &w, now).await? {
            Done::Passed
        } else {
            Done::Failed
        }),
        _ => None,
    };
    txn.commit().await?;
    Ok(done)
}

/// The model version a warning was raised under.
pub(crate) async fn spec_of<C: ConnectionTrait>(
    conn: &C,
    w: &risk_warning::Model,
) -> DomainResult<(risk_model::Model, model::Spec)> {
    let m = risk_model::Entity::find_by_id(w.model_id)
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::Internal(format!("risk model {} missing", w.model_id)))?;
    let spec = model::Spec::parse(&m.spec)
        .map_err(|e| DomainError::Internal(format!("stored risk model {}: {e}", m.key)))?;
    Ok((m, spec))
}

/// The voice call: a script read by the gateway, answered on the keypad
/// (1 = 已处理, 2 = 需要帮助); the re-check follows `recheck_after` later.
async fn call<C: ConnectionTrait>(
    s: &Services,
    conn: &C,
    w: &risk_warning::Model,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let (m, spec) = spec_of(conn, w).await?;
    let subject = risk_subject::Entity::find_by_id(w.subject_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let auto = spec.auto().unwrap_or_default();
    let cal = sla::calendar_in(conn, &s.sla).await?;
    let next = now + auto.recheck_after.duration(sla::Clock::Calendar, &cal);
    if let Some(phone) = &subject.contact_phone {
        let script = format!(
            "您好，这里是街道风险预警平台。{}的{}出现预警，请尽快排查处理。已处理请按1，需要帮助请按2。",
            subject.name, m.name
        );
        let call_id = outbox::enqueue(
            conn,
            Channel::Voice,
            phone,
            &format!("risk:{}", w.id),
            &script,
        )
        .await?;
        step(
            conn,
            w.id,
            "voice",
            Some(format!("call:{call_id}")),
            None,
            now,
        )
        .await?;
    }
    risk_warning::Entity::update_many()
        .col_expr(
            risk_warning::Column::AutoStep,
            Some("recheck".to_owned()).into(),
        )
        .col_expr(risk_warning::Column::NextStepAt, Some(next).into())
        .filter(risk_warning::Column::Id.eq(w.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The machine re-check: the model asked again about the subject's
/// readings now. Normal: the warning and its case close with the
/// re-check's record. Not: to people.
/// What the warning's model says about the subject's readings now.
async fn verdict_now<C: ConnectionTrait>(
    conn: &C,
    w: &risk_warning::Model,
    now: DateTime<Utc>,
) -> DomainResult<Check> {
    let (_, spec) = spec_of(conn, w).await?;
    Ok(match spec.rule.indicator() {
        Some(ind) => {
            let pts = readings(conn, w.subject_id, ind, now - spec.rule.lookback(), now).await?;
            let pts = if matches!(spec.rule, Rule::Absence { .. }) && pts.is_empty() {
                last_reading(conn, w.subject_id, ind, now)
                    .await?
                    .into_iter()
                    .collect()
            } else {
                pts
            };
            model::check(&spec.rule, &pts, now)
        }
        // Area risks are for people to judge.
        None => Check::Between,
    })
}

async fn recheck<C: ConnectionTrait>(
    s: &Services,
    conn: &C,
    w: &risk_warning::Model,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let verdict = verdict_now(conn, w, now).await?;
    let latest = match &verdict {
        Check::Fires(why) => why.summary.clone(),
        _ => String::new(),
    };
    if verdict == Check::Normal {
        step(
            conn,
            w.id,
            "recheck_ok",
            Some("指标已恢复正常".into()),
            None,
            now,
        )
        .await?;
        close_warning(s, conn, w, "recheck", "机器复核通过，自动办结", None, now).await?;
        Ok(true)
    } else {
        let why = if latest.is_empty() {
            "机器复核：指标尚未恢复".to_owned()
        } else {
            format!("机器复核：{latest}")
        };
        step(conn, w.id, "recheck_failed", Some(why.clone()), None, now).await?;
        hand_to_people(s, conn, w, &why, now).await?;
        Ok(false)
    }
}

async fn readings<C: ConnectionTrait>(
    conn: &C,
    subject: i64,
    indicator: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DomainResult<Vec<Point>> {
    Ok(risk_reading::Entity::find()
        .select_only()
        .column(risk_reading::Column::At)
        .column(risk_reading::Column::Value)
        .filter(risk_reading::Column::SubjectId.eq(subject))
        .filter(risk_reading::Column::Indicator.eq(indicator))
        .filter(risk_reading::Column::At.gte(from))
        .filter(risk_reading::Column::At.lte(to))
        .order_by_asc(risk_reading::Column::At)
        .into_tuple::<(DateTime<Utc>, f64)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(at, value)| Point { at, value })
        .collect())
}

async fn last_reading<C: ConnectionTrait>(
    conn: &C,
    subject: i64,
    indicator: &str,
    to: DateTime<Utc>,
) -> DomainResult<Option<Point>> {
    Ok(risk_reading::Entity::find()
        .select_only()
        .column(risk_reading::Column::At)
        .column(risk_reading::Column::Value)
        .filter(risk_reading::Column::SubjectId.eq(subject))
        .filter(risk_reading::Column::Indicator.eq(indicator))
        .filter(risk_reading::Column::At.lte(to))
        .order_by_desc(risk_reading::Column::At)
        .into_tuple::<(DateTime<Utc>, f64)>()
        .one(conn)
        .await?
        .map(|(at, value)| Point { at, value }))
}

/// Subjects by id, a thousand ids a query.
async fn subjects_by_id<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> DomainResult<std::collections::HashMap<i64, risk_subject::Model>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(1000) {
        out.extend(
            risk_subject::Entity::find()
                .filter(risk_subject::Column::Id.is_in(chunk.to_vec()))
                .all(conn)
                .await?
                .into_iter()
                .map(|x| (x.id, x)),
        );
    }
    Ok(out)
}

/// Absence and compound models: checked by the job, not by a reading.
async fn unprompted(
    s: &Services,
    models: &Models,
    now: DateTime<Utc>,
) -> DomainResult<(usize, usize)> {
    let (mut opened, mut closed) = (0, 0);
    for m in &models.all {
        match &m.spec.rule {
            Rule::Absence { indicator, after } => {
                let quiet_since =
                    now - after.duration(sla::Clock::Calendar, &*sla::calendar(s).await?);
                // Subjects whose last reading is older than `after` (and
                // not older than the longest window: gone, not quiet).
                let quiet: Vec<(i64, DateTime<Utc>)> = risk_reading::Entity::find()
                    .select_only()
                    .column(risk_reading::Column::SubjectId)
                    .column_as(risk_reading::Column::At.max(), "last")
                    .filter(risk_reading::Column::Indicator.eq(indicator.clone()))
                    .filter(
                        risk_reading::Column::At.gte(now - Duration::days(model::MAX_WINDOW_DAYS)),
                    )
                    .group_by(risk_reading::Column::SubjectId)
                    .having(risk_reading::Column::At.max().lte(quiet_since))
                    .into_tuple()
                    .all(&s.db)
                    .await?;
                if quiet.is_empty() {
                    continue;
                }
                let ids: Vec<i64> = quiet.iter().map(|(id, _)| *id).collect();
                let (_gate, txn) = s.begin_write().await?;
                let (open, last_closed) =
                    super::ingest::warnings_of(&txn, &ids, std::slice::from_ref(&m.key), now)
                        .await?;
                let subjects = subjects_by_id(&txn, &ids).await?;
                for (id, last) in quiet {
                    let k = (m.key.clone(), id);
                    let verdict = model::check(
                        &m.spec.rule,
                        &[Point {
                            at: last,
                            value: 0.0,
                        }],
                        now,
                    );
                    if let model::Action::Open(why) = model::decide(
                        verdict,
                        open.contains_key(&k),
                        last_closed.get(&k).copied(),
                        m.spec.cooldown(),
                        now,
                    ) && let Some(subject) = subjects.get(&id)
                        && open_warning(s, &txn, models, m, subject, why, now)
                            .await?
                            .is_some()
                    {
                        opened += 1;
                    }
                }
                txn.commit().await?;
            }
            Rule::Compound {
                models: keys,
                within,
                ..
            } => {
                let from = now - within.duration(sla::Clock::Calendar, &*sla::calendar(s).await?);
                let rows: Vec<(i64, String, DateTime<Utc>)> = risk_warning::Entity::find()
                    .select_only()
                    .column(risk_warning::Column::SubjectId)
                    .column(risk_warning::Column::ModelKey)
                    .column(risk_warning::Column::OpenedAt)
                    .filter(risk_warning::Column::ModelKey.is_in(keys.clone()))
                    .filter(risk_warning::Column::State.eq("open"))
                    .filter(risk_warning::Column::OpenedAt.gte(from))
                    .into_tuple()
                    .all(&s.db)
                    .await?;
                let mut by_subject: std::collections::BTreeMap<i64, Vec<(String, DateTime<Utc>)>> =
                    Default::default();
                for (sub, k, at) in rows {
                    by_subject.entry(sub).or_default().push((k, at));
                }
                let (_gate, txn) = s.begin_write().await?;
                let open_now: Vec<risk_warning::Model> = risk_warning::Entity::find()
                    .filter(risk_warning::Column::ModelKey.eq(m.key.clone()))
                    .filter(risk_warning::Column::State.eq("open"))
                    .all(&txn)
                    .await?;
                let mut ids: Vec<i64> = by_subject.keys().copied().collect();
                ids.extend(open_now.iter().map(|w| w.subject_id));
                ids.sort_unstable();
                ids.dedup();
                let (_, last_closed) =
                    super::ingest::warnings_of(&txn, &ids, std::slice::from_ref(&m.key), now)
                        .await?;
                let subjects = subjects_by_id(&txn, &ids).await?;
                let empty = Vec::new();
                for id in ids {
                    let present = by_subject.get(&id).unwrap_or(&empty);
                    let open = open_now.iter().find(|w| w.subject_id == id);
                    let verdict = model::check_compound(&m.spec.rule, present, now);
                    match model::decide(
                        verdict,
                        open.is_some(),
                        last_closed.get(&(m.key.clone(), id)).copied(),
                        m.spec.cooldown(),
                        now,
                    ) {
                        model::Action::Open(why) => {
                            if let Some(subject) = subjects.get(&id)
                                && open_warning(s, &txn, models, m, subject, why, now)
                                    .await?
                                    .is_some()
                            {
                                opened += 1;
                            }
                        }
                        model::Action::Close => {
                            if let Some(w) = open {
                                close_warning(
                                    s,
                                    &txn,
                                    w,
                                    "recovered",
                                    "组合风险条件已消除",
                                    None,
                                    now,
                                )
                                .await?;
                                closed += 1;
                            }
                        }
                        _ => {}
                    }
                }
                txn.commit().await?;
            }
            Rule::Systemic { .. } => {
                let (o, c) = systemic(s, models, m, now).await?;
                opened += o;
                closed += c;
            }
            _ => {}
        }
    }
    Ok((opened, closed))
}

/// The voice gateway's answer to a call (the source kind `voice`): `1` 已处理
/// (the re-check follows as planned), `2` 需要帮助 (to people now).
pub async fn voice_answer(s: &Services, token: &str, call_id: i64, key: &str) -> DomainResult<()> {
    voice_answer_at(s, token, call_id, key, clock::now()).await
}

/// [`voice_answer`] as if the clock said `now` (a simulated month).
pub async fn voice_answer_at(
    s: &Services,
    token: &str,
    call_id: i64,
    key: &str,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    super::source_for(&s.db, token, "voice").await?;
    let key = key.trim();
    if !matches!(key, "1" | "2") {
        return Err(DomainError::validation("key", "invalid"));
    }

    let (_gate, txn) = s.begin_write().await?;
    let st = risk_step::Entity::find()
        .filter(risk_step::Column::Kind.eq("voice"))
        .filter(risk_step::Column::Note.eq(format!("call:{call_id}")))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let w = risk_warning::Entity::find_by_id(st.warning_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if w.answer.is_some() {
        return Err(DomainError::Conflict("already_answered"));
    }
    risk_warning::Entity::update_many()
        .col_expr(risk_warning::Column::Answer, Some(key.to_owned()).into())
        .filter(risk_warning::Column::Id.eq(w.id))
        .exec(&txn)
        .await?;
    let word = if key == "1" {
        "1 已处理"
    } else {
        "2 需要帮助"
    };
    step(&txn, w.id, "answer", Some(word.into()), None, now).await?;
    if key == "2" && w.state == "open" && w.auto_step.as_deref() == Some("recheck") {
        hand_to_people(s, &txn, &w, "语音应答：需要帮助", now).await?;
    }
    txn.commit().await?;
    Ok(())
}

// ---- people's part -------------------------------------------------------------

/// Whether `actor` answers for (sees and works on) this warning: admins and
/// the street office all; staff their community's; grid workers their
/// compounds'; a department its risk points'.
pub(crate) async fn may_work_on<C: ConnectionTrait>(
    conn: &C,
    actor: &Principal,
    w: &risk_warning::Model,
    models: &Models,
) -> DomainResult<bool> {
    if super::sees_all(actor) {
        return Ok(true);
    }
    if w.community_id
        .is_some_and(|c| super::staff_communities(actor).contains(&c))
    {
        return Ok(true);
    }
    if w.compound_id
        .is_some_and(|c| super::grid_compounds(actor).contains(&c))
    {
        return Ok(true);
    }
    if actor.has_role(crate::Role::Department)
        && let Some(Some(d)) = models.departments.get(&w.point_key)
    {
        return Ok(super::departments_of(conn, actor.account_id)
            .await?
            .contains(d));
    }
    Ok(false)
}

/// A risk case as the people who work on it see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseRow {
    pub warning_id: i64,
    pub title: String,
    pub point: String,
    pub severity: String,
    pub state: String,
    pub stage: Option<String>,
    pub stage_name: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub opened_at: DateTime<Utc>,
    pub summary: String,
    /// What the machine is doing next (`voice`, `recheck`), `people`, or `done`.
    pub auto_step: Option<String>,
}

/// Cases `actor` answers for, open first, newest first (at most 200).
pub async fn cases(
    s: &Services,
    actor: &Principal,
    open_only: bool,
    unit: Option<(super::portrait::Level, &str)>,
) -> DomainResult<Vec<CaseRow>> {
    if !super::works_with_risk(actor) {
        return Err(DomainError::Forbidden);
    }
    let models = super::models(s).await?;
    let mut q = risk_warning::Entity::find();
    if !super::sees_all(actor) {
        let mut any = sea_orm::Condition::any();
        let communities = super::staff_communities(actor);
        if !communities.is_empty() {
            any = any.add(risk_warning::Column::CommunityId.is_in(communities));
        }
        let compounds = super::grid_compounds(actor);
        if !compounds.is_empty() {
            any = any.add(risk_warning::Column::CompoundId.is_in(compounds));
        }
        if actor.has_role(crate::Role::Department) {
            let mine = super::departments_of(&s.db, actor.account_id).await?;
            let points: Vec<String> = models
                .departments
                .iter()
                .filter(|(_, d)| d.as_ref().is_some_and(|d| mine.contains(d)))
                .map(|(p, _)| p.clone())
                .collect();
            if !points.is_empty() {
                any = any.add(risk_warning::Column::PointKey.is_in(points));
            }
        }
        if any.is_empty() {
            return Ok(Vec::new());
        }
        q = q.filter(any);
    }
    if open_only {
        q = q.filter(risk_warning::Column::State.eq("open"));
    }
    // A portrait's drill-down: one unit's warnings.
    if let Some((level, key)) = unit {
        use super::portrait::Level;
        q = match level {
            Level::Community => {
                q.filter(risk_warning::Column::CommunityId.eq(key.parse::<i64>().unwrap_or(-1)))
            }
            Level::Compound => {
                q.filter(risk_warning::Column::CompoundId.eq(key.parse::<i64>().unwrap_or(-1)))
            }
            Level::Industry => q.filter(
                risk_warning::Column::SubjectId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(risk_subject::Column::Id)
                        .from(risk_subject::Entity)
                        .and_where(risk_subject::Column::Industry.eq(key))
                        .to_owned(),
                ),
            ),
        };
    }
    let rows = q
        .order_by_desc(risk_warning::Column::OpenedAt)
        .order_by_desc(risk_warning::Column::Id)
        .limit(200)
        .all(&s.db)
        .await?;
    let case_ids: Vec<i64> = rows.iter().filter_map(|w| w.case_id).collect();
    let views = sla::views_in(&s.db, &case_ids).await?;
    let subjects: std::collections::HashMap<i64, String> = risk_subject::Entity::find()
        .filter(
            risk_subject::Column::Id.is_in(rows.iter().map(|w| w.subject_id).collect::<Vec<_>>()),
        )
        .all(&s.db)
        .await?
        .into_iter()
        .map(|x| (x.id, x.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|w| {
            let v = w.case_id.and_then(|c| views.get(&c));
            let why: serde_json::Value = serde_json::from_str(&w.why).unwrap_or_default();
            let point = models
                .points
                .get(&w.point_key)
                .cloned()
                .unwrap_or_else(|| w.point_key.clone());
            CaseRow {
                title: format!(
                    "{point}｜{}",
                    subjects.get(&w.subject_id).cloned().unwrap_or_default()
                ),
                point,
                warning_id: w.id,
                severity: w.severity,
                state: w.state,
                stage: v.map(|v| v.stage.clone()),
                stage_name: v.map(|v| v.stage_name.clone()),
                due_at: v.and_then(|v| v.due_at),
                overdue: v.is_some_and(|v| v.overdue),
                opened_at: w.opened_at,
                summary: why["summary"].as_str().unwrap_or_default().to_owned(),
                auto_step: w.auto_step,
            }
        })
        .collect())
}

/// One step as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepView {
    pub kind: String,
    pub word: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
    /// The step's id when it carries a photo (`/media/risk-photos/{id}`).
    pub photo: Option<i64>,
}

/// A warning with why it fired and every step so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WarningView {
    pub case: CaseRow,
    pub why: serde_json::Value,
    pub steps: Vec<StepView>,
    pub subject: String,
    /// The responsible party's number, masked.
    pub contact: Option<String>,
}

/// A warning for someone who answers for it (others: not found).
pub async fn warning(s: &Services, actor: &Principal, id: i64) -> DomainResult<WarningView> {
    let models = super::models(s).await?;
    let w = risk_warning::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !may_work_on(&s.db, actor, &w, &models).await? {
        return Err(DomainError::NotFound);
    }
    let subject = risk_subject::Entity::find_by_id(w.subject_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let steps = risk_step::Entity::find()
        .filter(risk_step::Column::WarningId.eq(id))
        .order_by_asc(risk_step::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|st| StepView {
            word: step_word(&st.kind).to_owned(),
            kind: st.kind,
            // Call ids are the gateway's business.
            note: st.note.filter(|n| !n.starts_with("call:")),
            at: st.at,
            photo: st.photo.is_some().then_some(st.id),
        })
        .collect();
    let views = sla::views_in(&s.db, &w.case_id.into_iter().collect::<Vec<_>>()).await?;
    let v = w.case_id.and_then(|c| views.get(&c));
    let why: serde_json::Value = serde_json::from_str(&w.why).unwrap_or_default();
    let point = models
        .points
        .get(&w.point_key)
        .cloned()
        .unwrap_or_else(|| w.point_key.clone());
    Ok(WarningView {
        case: CaseRow {
            title: format!("{point}｜{}", subject.name),
            point,
            warning_id: w.id,
            severity: w.severity.clone(),
            state: w.state.clone(),
            stage: v.map(|v| v.stage.clone()),
            stage_name: v.map(|v| v.stage_name.clone()),
            due_at: v.and_then(|v| v.due_at),
            overdue: v.is_some_and(|v| v.overdue),
            opened_at: w.opened_at,
            summary: why["summary"].as_str().unwrap_or_default().to_owned(),
            auto_step: w.auto_step.clone(),
        },
        why,
        steps,
        subject: subject.name,
        contact: subject
            .contact_phone
            .as_deref()
            .map(crate::accounts::mask_phone),
    })
}

/// What a person does on a case.
#[derive(Clone, Debug, PartialEq)]
pub enum Act {
    /// 签收: the case is theirs, on to the next stage.
    Sign,
    /// 到场: arrival, with an optional note (place, what they found).
    Arrive { note: String, location: String },
    /// 办结反馈: handled, with feedback; closes the warning and the case.
    Handle { feedback: String },
}

/// A person's step on a case they answer for. Audited.
pub async fn act(s: &Services, actor: &Principal, id: i64, what: Act) -> DomainResult<()> {
    let models = super::models(s).await?;
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let w = risk_warning::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !may_work_on(&txn, actor, &w, &models).await? {
        return Err(DomainError::NotFound);
    }
    if w.state != "open" {
        return Err(DomainError::Conflict("warning_closed"));
    }
    let case = w.case_id.ok_or(DomainError::Conflict("no_case"))?;
    let views = sla::views_in(&txn, &[case]).await?;
    let view = views.get(&case).ok_or(DomainError::NotFound)?;
    let next_after = |stage: &str| -> Option<String> {
        let i = view.stages.iter().position(|st| st == stage)?;
        view.stages.get(i + 1).cloned()
    };
    let cal = sla::calendar_in(&txn, &s.sla).await?;
    let me = Some(actor.account_id);
    let action = match what {
        Act::Sign => {
            if !matches!(view.stage.as_str(), "sign" | "auto") {
                return Err(DomainError::Conflict("already_signed"));
            }
            // From the machine's stage too: signing takes it over.
            let next = next_after("sign").ok_or(DomainError::Conflict("no_stage"))?;
            sla::change_in(
                &txn,
                &cal,
                case,
                sla::Change::Reassign { to: me },
                me,
                None,
                now,
            )
            .await?;
            sla::change_in(
                &txn,
                &cal,
                case,
                sla::Change::Stage {
                    stage: next,
                    due: None,
                },
                me,
                Some("签收"),
                now,
            )
            .await?;
            risk_warning::Entity::update_many()
                .col_expr(
                    risk_warning::Column::AutoStep,
                    Some("people".to_owned()).into(),
                )
                .col_expr(
                    risk_warning::Column::NextStepAt,
                    Option::<DateTime<Utc>>::None.into(),
                )
                .filter(risk_warning::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            step(&txn, id, "signed", None, me, now).await?;
            ("risk.sign", serde_json::json!({}))
        }
        Act::Arrive { note, location } => {
            let note = crate::opinions::clean(&note, "note", 0, NOTE_MAX)?;
            let location = crate::opinions::clean(&location, "location", 0, 100)?;
            let note = match (note.is_empty(), location.is_empty()) {
                (_, true) => note,
                (true, false) => format!("位置：{location}"),
                (false, false) => format!("{note}（位置：{location}）"),
            };
            let note = nlp::mask(&note);
            if matches!(view.stage.as_str(), "sign" | "auto") {
                return Err(DomainError::Conflict("not_signed"));
            }
            if view.stage == "arrive"
                && let Some(next) = next_after("arrive")
            {
                sla::change_in(
                    &txn,
                    &cal,
                    case,
                    sla::Change::Stage {
                        stage: next,
                        due: None,
                    },
                    me,
                    Some("到场"),
                    now,
                )
                .await?;
            }
            step(
                &txn,
                id,
                "arrived",
                (!note.is_empty()).then_some(note),
                me,
                now,
            )
            .await?;
            ("risk.arrive", serde_json::json!({}))
        }
        Act::Handle { feedback } => {
            let feedback = crate::opinions::clean(&feedback, "feedback", 2, NOTE_MAX)?;
            let feedback = nlp::mask(&feedback);
            if matches!(view.stage.as_str(), "sign" | "auto") {
                return Err(DomainError::Conflict("not_signed"));
            }
            if view.stage == "arrive" {
                return Err(DomainError::Conflict("not_arrived"));
            }
            step(&txn, id, "handled", Some(feedback.clone()), me, now).await?;
            close_warning(s, &txn, &w, "people", &feedback, me, now).await?;
            (
                "risk.handle",
                serde_json::json!({"feedback_chars": feedback.chars().count()}),
            )
        }
    };
    audit::append(&txn, me, action.0, &format!("risk_warning:{id}"), action.1).await?;
    txn.commit().await?;
    Ok(())
}

/// A systemic model: its models' warnings per area (community, the
/// street, or industry) in the window against the area's usual count per
/// window over the baseline before it. The warning is on the area's own
/// subject (`community-<id>`, `street`, `industry-<code>`).
async fn systemic(
    s: &Services,
    models: &Models,
    m: &super::Live,
    now: DateTime<Utc>,
) -> DomainResult<(usize, usize)> {
    let Rule::Systemic {
        area,
        models: keys,
        window,
        baseline,
        ..
    } = &m.spec.rule
    else {
        return Ok((0, 0));
    };
    let cal = sla::calendar(s).await?;
    let window_start = now - window.duration(sla::Clock::Calendar, &cal);
    let baseline_start = window_start - baseline.duration(sla::Clock::Calendar, &cal);
    let rows: Vec<(Option<i64>, i64, DateTime<Utc>)> = risk_warning::Entity::find()
        .select_only()
        .column(risk_warning::Column::CommunityId)
        .column(risk_warning::Column::SubjectId)
        .column(risk_warning::Column::OpenedAt)
        .filter(risk_warning::Column::ModelKey.is_in(keys.clone()))
        .filter(risk_warning::Column::OpenedAt.gte(baseline_start))
        .filter(risk_warning::Column::OpenedAt.lte(now))
        .into_tuple()
        .all(&s.db)
        .await?;
    let industries: std::collections::HashMap<i64, Option<String>> =
        if *area == model::AreaKind::Industry {
            risk_subject::Entity::find()
                .all(&s.db)
                .await?
                .into_iter()
                .map(|x| (x.id, x.industry))
                .collect()
        } else {
            Default::default()
        };
    // (recent, earlier) per area code.
    let mut counts: std::collections::BTreeMap<String, (u32, u32, Option<i64>, Option<String>)> =
        Default::default();
    for (community, subject, at) in rows {
        let (code, c, ind) = match area {
            model::AreaKind::Community => match community {
                Some(c) => (format!("community-{c}"), Some(c), None),
                None => continue,
            },
            model::AreaKind::Street => ("street".to_owned(), None, None),
            model::AreaKind::Industry => match industries.get(&subject).cloned().flatten() {
                Some(i) => (format!("industry-{i}"), None, Some(i)),
                None => continue,
            },
        };
        let e = counts.entry(code).or_insert((0, 0, c, ind));
        if at >= window_start {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let (_gate, txn) = s.begin_write().await?;
    let open_now: Vec<risk_warning::Model> = risk_warning::Entity::find()
        .filter(risk_warning::Column::ModelKey.eq(m.key.clone()))
        .filter(risk_warning::Column::State.eq("open"))
        .all(&txn)
        .await?;
    let open_codes: std::collections::HashMap<i64, &risk_warning::Model> =
        open_now.iter().map(|w| (w.subject_id, w)).collect();
    // Areas with warnings now, and areas with an open systemic warning.
    let mut codes: Vec<String> = counts.keys().cloned().collect();
    for w in &open_now {
        if let Some(x) = risk_subject::Entity::find_by_id(w.subject_id)
            .one(&txn)
            .await?
        {
            codes.push(x.code);
        }
    }
    codes.sort();
    codes.dedup();
    let (mut opened, mut closed) = (0, 0);
    for code in codes {
        let (recent, earlier, community, industry) =
            counts.get(&code).cloned().unwrap_or((0, 0, None, None));
        let subject = match risk_subject::Entity::find()
            .filter(risk_subject::Column::Code.eq(code.clone()))
            .one(&txn)
            .await?
        {
            Some(x) => x,
            None => {
                if recent == 0 {
                    continue;
                }
                let id = super::save_subject_in(
                    &txn,
                    None,
                    super::SubjectInput {
                        name: match (&community, &industry) {
                            (Some(c), _) => crate::org::communities_in(&txn)
                                .await?
                                .into_iter()
                                .find(|x| x.id == *c)
                                .map(|x| x.name)
                                .unwrap_or_else(|| code.clone()),
                            (_, Some(i)) => format!("行业 {i}"),
                            _ => "全街道".to_owned(),
                        },
                        code: code.clone(),
                        kind: "area".into(),
                        community_id: community,
                        industry: industry.clone(),
                        ..Default::default()
                    },
                )
                .await?;
                risk_subject::Entity::find_by_id(id)
                    .one(&txn)
                    .await?
                    .ok_or(DomainError::NotFound)?
            }
        };
        let open = open_codes.get(&subject.id).copied();
        let (_, last_closed) =
            super::ingest::warnings_of(&txn, &[subject.id], std::slice::from_ref(&m.key), now)
                .await?;
        let verdict = model::check_systemic(&m.spec.rule, recent, earlier);
        match model::decide(
            verdict,
            open.is_some(),
            last_closed.get(&(m.key.clone(), subject.id)).copied(),
            m.spec.cooldown(),
            now,
        ) {
            model::Action::Open(why) => {
                opened += usize::from(
                    open_warning(s, &txn, models, m, &subject, why, now)
                        .await?
                        .is_some(),
                );
            }
            model::Action::Close => {
                if let Some(w) = open {
                    close_warning(s, &txn, w, "recovered", "区域预警密度已回落", None, now).await?;
                    closed += 1;
                }
            }
            _ => {}
        }
    }
    txn.commit().await?;
    Ok((opened, closed))
}
