//! Monthly snapshots (月度快照): once a month is over, its report for the
//! street and for each community is saved as it stands (a job under the
//! `reports` lease, [`due`]). A report of that whole month is then read
//! from the snapshot, so it does not change when a record is corrected
//! later; the corrections since are counted beside it.
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::OnConflict};

use super::{Corrections, Period, Report, Sql, compute, get_i64};
use crate::Services;
use crate::error::{DomainError, DomainResult};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_snapshot")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `2026-10`
        pub month: String,
        /// The community, or 0 for the street.
        pub scope: i64,
        /// The report as JSON.
        pub report: String,
        pub taken_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn month_key(p: &Period) -> String {
    format!("{:04}-{:02}", p.from.year(), p.from.month())
}

/// Whether `p` is one whole calendar month.
fn whole_month(p: &Period) -> bool {
    Period::month_of(p.from) == *p
}

/// Saves `month`'s reports (the street's and each community's) that are
/// not saved yet. Returns how many were saved now.
pub async fn take(s: &Services, month: Period, now: DateTime<Utc>) -> DomainResult<usize> {
    if !whole_month(&month) || month.end() > now {
        return Err(DomainError::validation("month", "invalid"));
    }
    let key = month_key(&month);
    let have: Vec<i64> = entity::Entity::find()
        .filter(entity::Column::Month.eq(key.as_str()))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|m| m.scope)
        .collect();
    let communities = crate::org::communities(s).await?;
    let mut scopes = vec![None];
    scopes.extend(communities.iter().map(|c| Some(c.id)));
    let mut saved = 0;
    for scope in scopes {
        let id = scope.unwrap_or(0);
        if have.contains(&id) {
            continue;
        }
        let r = compute(s, &communities, scope, month).await?;
        let json = serde_json::to_string(&r)
            .map_err(|e| DomainError::Internal(format!("saving a report: {e}")))?;
        let done = entity::Entity::insert(entity::ActiveModel {
            month: Set(key.clone()),
            scope: Set(id),
            report: Set(json),
            taken_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([entity::Column::Month, entity::Column::Scope])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&s.db)
        .await?;
        saved += done as usize;
    }
    Ok(saved)
}

/// The job: last month's snapshots (China time), when not taken yet.
pub async fn due(s: &Services, now: DateTime<Utc>) -> DomainResult<usize> {
    let today = now
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .date_naive();
    let Some(last_day) = Period::month_of(today).from.pred_opt() else {
        return Ok(0);
    };
    take(s, Period::month_of(last_day), now).await
}

/// When the snapshot of `period` for `community` was taken, if `period` is
/// a whole month that has one.
pub(crate) async fn taken_at(
    s: &Services,
    community: Option<i64>,
    period: &Period,
) -> DomainResult<Option<DateTime<Utc>>> {
    if !whole_month(period) {
        return Ok(None);
    }
    Ok(entity::Entity::find()
        .filter(entity::Column::Month.eq(month_key(period)))
        .filter(entity::Column::Scope.eq(community.unwrap_or(0)))
        .one(&s.db)
        .await?
        .map(|row| row.taken_at))
}

/// The saved report of `period` for `community`, when `period` is a whole
/// month that has a snapshot, with the corrections made since.
pub(crate) async fn of(
    s: &Services,
    community: Option<i64>,
    period: Period,
) -> DomainResult<Option<Report>> {
    if !whole_month(&period) {
        return Ok(None);
    }
    let Some(row) = entity::Entity::find()
        .filter(entity::Column::Month.eq(month_key(&period)))
        .filter(entity::Column::Scope.eq(community.unwrap_or(0)))
        .one(&s.db)
        .await?
    else {
        return Ok(None);
    };
    let mut r: Report = serde_json::from_str(&row.report)
        .map_err(|e| DomainError::Internal(format!("reading a saved report: {e}")))?;
    r.snapshot_at = Some(row.taken_at);
    r.corrections = corrections(s, community, &period, row.taken_at).await?;
    Ok(Some(r))
}

/// Records of the period changed after `since`, each counted by the same
/// condition as the records page lists them (`by=corrected:snapshot`):
/// one query.
async fn corrections(
    s: &Services,
    community: Option<i64>,
    period: &Period,
    since: DateTime<Utc>,
) -> DomainResult<Corrections> {
    let (start, end) = (period.start(), period.end());
    // The street: its current communities, as the report and the list.
    let current: Vec<i64> = match community {
        Some(_) => Vec::new(),
        None => crate::org::communities(s)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect(),
    };
    let mut q = Sql::new(s.db.get_database_backend());
    let part = |q: &mut Sql, alias: &str, table: &str, when: &str, first: bool| {
        q.push(if first { "SELECT " } else { ", " });
        q.push("(SELECT COUNT(*) FROM ").push(table).push(" WHERE ");
        // Meetings count when held (as the report's figure does).
        if table == "meeting" {
            q.push("status = 'closed' AND ");
        }
        q.within(when, start, end)
            .push(" AND updated_at > ")
            .bind(since);
        match community {
            Some(c) => {
                q.push(" AND community_id = ").bind(c);
            }
            None => {
                q.push(" AND ").any_of("community_id", &current);
            }
        }
        q.push(") AS ").push(alias);
    };
    part(
        &mut q,
        "opinions",
        "opinion",
        "COALESCE(received_at, created_at)",
        true,
    );
    part(&mut q, "meetings", "meeting", "starts_at", false);
    part(&mut q, "plans", "plan", "created_at", false);
    let rows = q.rows(&s.db).await?;
    let Some(r) = rows.first() else {
        return Ok(Corrections::default());
    };
    Ok(Corrections {
        opinions: get_i64(r, "opinions")?,
        meetings: get_i64(r, "meetings")?,
        plans: get_i64(r, "plans")?,
    })
}
