//! 责任方 the responsible party's own view: the resident, enterprise or
//! property company whose phone is a subject's contact (the number the
//! SMS and the voice call go to) sees the warnings on their subjects, what
//! the platform did so far, and reports back "已整改" with a note. A report
//! made while the machine still means to call replaces the call: the
//! re-check follows as after a call. Every account's phone was proven (an
//! SMS code at registration, or an admin provisioning it), so the phone is
//! the link; nobody else's warnings are ever shown.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::entities::{risk_step, risk_subject, risk_warning};
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock, sla};

/// One step as the party sees it: what and when (staff notes stay inside).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartyStep {
    pub kind: String,
    pub word: String,
    pub at: DateTime<Utc>,
}

/// A warning on one of the party's subjects.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartyCase {
    pub warning_id: i64,
    pub subject: String,
    pub point: String,
    pub severity: String,
    pub state: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub summary: String,
    pub steps: Vec<PartyStep>,
    /// Whether the party already reported back on it.
    pub reported: bool,
}

/// Most cases listed.
const LIST_MAX: u64 = 100;

async fn subjects_of(s: &Services, actor: &Principal) -> DomainResult<Vec<risk_subject::Model>> {
    if actor.phone.is_empty() {
        return Ok(Vec::new());
    }
    Ok(risk_subject::Entity::find()
        .filter(risk_subject::Column::ContactPhone.eq(actor.phone.clone()))
        .all(&s.db)
        .await?)
}

/// The warnings on subjects whose contact is `actor`'s phone, open first,
/// newest first.
pub async fn my_cases(s: &Services, actor: &Principal) -> DomainResult<Vec<PartyCase>> {
    let subjects = subjects_of(s, actor).await?;
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    let models = super::models(s).await?;
    let names: std::collections::HashMap<i64, String> =
        subjects.iter().map(|x| (x.id, x.name.clone())).collect();
    let rows = risk_warning::Entity::find()
        .filter(risk_warning::Column::SubjectId.is_in(names.keys().copied().collect::<Vec<_>>()))
        .order_by_desc(risk_warning::Column::OpenedAt)
        .order_by_desc(risk_warning::Column::Id)
        .limit(LIST_MAX)
        .all(&s.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|w| w.id).collect();
    let mut steps: std::collections::HashMap<i64, Vec<PartyStep>> = Default::default();
    for chunk in ids.chunks(500) {
        for st in risk_step::Entity::find()
            .filter(risk_step::Column::WarningId.is_in(chunk.to_vec()))
            .order_by_asc(risk_step::Column::Id)
            .all(&s.db)
            .await?
        {
            steps.entry(st.warning_id).or_default().push(PartyStep {
                word: super::dispose::step_word(&st.kind).to_owned(),
                kind: st.kind,
                at: st.at,
            });
        }
    }
    let mut out: Vec<PartyCase> = rows
        .into_iter()
        .map(|w| {
            let why: serde_json::Value = serde_json::from_str(&w.why).unwrap_or_default();
            let steps = steps.remove(&w.id).unwrap_or_default();
            PartyCase {
                warning_id: w.id,
                subject: names.get(&w.subject_id).cloned().unwrap_or_default(),
                point: models
                    .points
                    .get(&w.point_key)
                    .cloned()
                    .unwrap_or_else(|| w.point_key.clone()),
                severity: w.severity,
                state: w.state,
                opened_at: w.opened_at,
                closed_at: w.closed_at,
                summary: why["summary"].as_str().unwrap_or_default().to_owned(),
                reported: steps.iter().any(|st| st.kind == "party_report"),
                steps,
            }
        })
        .collect();
    out.sort_by_key(|c| c.state != "open");
    Ok(out)
}

/// The party reports back on an open warning: "已整改" and what they did
/// (2–500 characters, masked). Once per warning. While the machine still
/// means to call, the call is dropped and the re-check follows as after a
/// call. A warning on someone else's subject: not found.
pub async fn report(
    s: &Services,
    actor: &Principal,
    warning_id: i64,
    note: &str,
) -> DomainResult<()> {
    let note = crate::opinions::clean(note, "note", 2, super::dispose::NOTE_MAX)?;
    let note = nlp::mask(&note);
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let w = risk_warning::Entity::find_by_id(warning_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let subject = risk_subject::Entity::find_by_id(w.subject_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if actor.phone.is_empty() || subject.contact_phone.as_deref() != Some(actor.phone.as_str()) {
        return Err(DomainError::NotFound);
    }
    if w.state != "open" {
        return Err(DomainError::Conflict("warning_closed"));
    }
    let already = risk_step::Entity::find()
        .filter(risk_step::Column::WarningId.eq(warning_id))
        .filter(risk_step::Column::Kind.eq("party_report"))
        .one(&txn)
        .await?
        .is_some();
    if already {
        return Err(DomainError::Conflict("already_reported"));
    }
    super::dispose::step(
        &txn,
        warning_id,
        "party_report",
        Some(note.clone()),
        Some(actor.account_id),
        now,
    )
    .await?;
    if w.auto_step.as_deref() == Some("voice") {
        let (_, spec) = super::dispose::spec_of(&txn, &w).await?;
        let cal = sla::calendar_in(&txn, &s.sla).await?;
        let after = spec
            .auto()
            .unwrap_or_default()
            .recheck_after
            .duration(sla::Clock::Calendar, &cal);
        risk_warning::Entity::update_many()
            .col_expr(
                risk_warning::Column::AutoStep,
                Some("recheck".to_owned()).into(),
            )
            .col_expr(risk_warning::Column::NextStepAt, Some(now + after).into())
            .filter(risk_warning::Column::Id.eq(warning_id))
            .exec(&txn)
            .await?;
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        "risk.party_report",
        &format!("risk_warning:{warning_id}"),
        serde_json::json!({"note": note}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
