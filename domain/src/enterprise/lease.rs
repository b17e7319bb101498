//! 红黄蓝预警: leases ending within one, two or three months (configurable),
//! worked out on China dates by a daily job under its lease. One warning
//! per (enterprise, lease end): a run repeated the same day changes
//! nothing; a lease moving into a nearer window changes its colour (and
//! the day it did). Building managers see their buildings' warnings and
//! acknowledge them or record the outcome (renewed, moving out, unknown).
use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use super::entities::{ent_lease_alert, enterprise};
use super::rules::{self, Level};
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock};

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Run {
    pub opened: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// The daily run as of `today` (China date), with the red / yellow / blue
/// windows in months.
pub async fn run(s: &Services, today: NaiveDate, months: [u32; 3]) -> DomainResult<Run> {
    let horizon = today
        .checked_add_months(Months::new(months[2]))
        .ok_or(DomainError::validation("months", "invalid"))?;
    let (_gate, txn) = s.begin_write().await?;
    let ents = enterprise::Entity::find()
        .filter(enterprise::Column::Status.eq("active"))
        .filter(enterprise::Column::LeaseEnd.lte(horizon))
        .all(&txn)
        .await?;
    let mut known: HashMap<(i64, Option<NaiveDate>), ent_lease_alert::Model> = HashMap::new();
    let ids: Vec<i64> = ents.iter().map(|e| e.id).collect();
    for chunk in ids.chunks(1000) {
        for a in ent_lease_alert::Entity::find()
            .filter(ent_lease_alert::Column::EnterpriseId.is_in(chunk.to_vec()))
            .all(&txn)
            .await?
        {
            known.insert((a.enterprise_id, a.lease_end), a);
        }
    }
    let mut out = Run::default();
    let mut new = Vec::new();
    for e in &ents {
        let Some(end) = e.lease_end else { continue };
        let Some(level) = rules::lease_level(end, today, months) else {
            continue;
        };
        match known.get(&(e.id, Some(end))) {
            None => {
                out.opened += 1;
                new.push(ent_lease_alert::ActiveModel {
                    enterprise_id: Set(e.id),
                    building_id: Set(e.building_id),
                    lease_end: Set(Some(end)),
                    level: Set(level.as_str().to_owned()),
                    first_on: Set(Some(today)),
                    level_on: Set(Some(today)),
                    ack_by: Set(None),
                    ack_at: Set(None),
                    outcome: Set(None),
                    outcome_note: Set(None),
                    outcome_at: Set(None),
                    ..Default::default()
                });
            }
            Some(a) if a.level != level.as_str() || a.building_id != e.building_id => {
                out.changed += 1;
                ent_lease_alert::Entity::update_many()
                    .col_expr(ent_lease_alert::Column::Level, level.as_str().into())
                    .col_expr(ent_lease_alert::Column::LevelOn, Some(today).into())
                    .col_expr(ent_lease_alert::Column::BuildingId, e.building_id.into())
                    .filter(ent_lease_alert::Column::Id.eq(a.id))
                    .exec(&txn)
                    .await?;
            }
            Some(_) => out.unchanged += 1,
        }
    }
    for chunk in new.chunks(500) {
        ent_lease_alert::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    ent_lease_alert::Column::EnterpriseId,
                    ent_lease_alert::Column::LeaseEnd,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(out)
}

/// A warning as a building manager sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub building: String,
    pub unit: Option<String>,
    pub lease_end: Option<NaiveDate>,
    pub level: String,
    /// Days left (negative once ended).
    pub days_left: Option<i64>,
    pub acknowledged: bool,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
}

/// The warnings of the buildings `actor` reaches (a building manager or
/// property company theirs; community staff their communities'; the street
/// all), red first, soonest first. Only a lease still current: a warning
/// for an end date since changed (renewed in the register) drops out.
pub async fn alerts(s: &Services, actor: &Principal) -> DomainResult<Vec<AlertView>> {
    let reach = super::reader_reach(&s.db, actor).await?;
    let buildings = super::buildings_by_id(&s.db).await?;
    let mut q = ent_lease_alert::Entity::find();
    let mine = reach.building_ids(&buildings);
    if !reach.all {
        // By where the enterprise is now (a re-import may have moved it
        // since the job last ran).
        q = q.filter(
            ent_lease_alert::Column::EnterpriseId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(enterprise::Column::Id)
                    .from(enterprise::Entity)
                    .and_where(enterprise::Column::BuildingId.is_in(mine.clone()))
                    .to_owned(),
            ),
        );
    }
    let rows = q
        .order_by_asc(ent_lease_alert::Column::LeaseEnd)
        .all(&s.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|a| a.enterprise_id).collect();
    let mut ents: HashMap<i64, enterprise::Model> = HashMap::new();
    for chunk in ids.chunks(1000) {
        ents.extend(
            enterprise::Entity::find()
                .filter(enterprise::Column::Id.is_in(chunk.to_vec()))
                .all(&s.db)
                .await?
                .into_iter()
                .map(|e| (e.id, e)),
        );
    }
    let today = super::today();
    let mut out: Vec<AlertView> = rows
        .into_iter()
        .filter_map(|a| {
            let e = ents.get(&a.enterprise_id)?;
            if e.lease_end != a.lease_end || e.status != "active" {
                return None;
            }
            if !reach.all && !e.building_id.is_some_and(|b| mine.contains(&b)) {
                return None;
            }
            Some(AlertView {
                id: a.id,
                enterprise_id: e.id,
                enterprise: e.name.clone(),
                building: e
                    .building_id
                    .and_then(|b| buildings.get(&b))
                    .map(|b| b.name.clone())
                    .unwrap_or_default(),
                unit: e.unit.clone(),
                lease_end: a.lease_end,
                days_left: a.lease_end.map(|d| (d - today).num_days()),
                level: a.level,
                acknowledged: a.ack_at.is_some(),
                outcome: a.outcome,
                outcome_note: a.outcome_note,
            })
        })
        .collect();
    out.sort_by_key(|a| {
        (
            Level::parse(&a.level).unwrap_or(Level::Blue),
            a.outcome.is_some(),
            a.lease_end,
        )
    });
    Ok(out)
}

/// Acknowledges a warning, optionally recording its outcome (`renewed`,
/// `moving_out`, `unknown`) with a note (masked). Whoever sees it; audited.
pub async fn record(
    s: &Services,
    actor: &Principal,
    id: i64,
    outcome: Option<&str>,
    note: &str,
) -> DomainResult<()> {
    let outcome = match outcome.map(str::trim).filter(|o| !o.is_empty()) {
        None => None,
        Some(o @ ("renewed" | "moving_out" | "unknown")) => Some(o.to_owned()),
        Some(_) => return Err(DomainError::validation("outcome", "invalid")),
    };
    let note = crate::opinions::clean(note, "note", 0, 500)?;
    let note = nlp::mask(&note);
    if !alerts(s, actor).await?.iter().any(|a| a.id == id) {
        return Err(DomainError::NotFound);
    }
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let mut u = ent_lease_alert::Entity::update_many()
        .col_expr(
            ent_lease_alert::Column::AckBy,
            Some(actor.account_id).into(),
        )
        .col_expr(ent_lease_alert::Column::AckAt, Some(now).into());
    if let Some(o) = &outcome {
        u = u
            .col_expr(ent_lease_alert::Column::Outcome, Some(o.clone()).into())
            .col_expr(
                ent_lease_alert::Column::OutcomeNote,
                (!note.is_empty()).then(|| note.clone()).into(),
            )
            .col_expr(ent_lease_alert::Column::OutcomeAt, Some(now).into());
    }
    u.filter(ent_lease_alert::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.lease.record",
        &format!("ent_lease_alert:{id}"),
        serde_json::json!({"outcome": outcome, "note": note}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
