//! 审核 what opinions and comments share: who may moderate where, how one
//! decision is recorded (moderation log + audit chain, in the deciding
//! transaction), and the moderation log staff read.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;

use crate::accounts::{Principal, Role, Scope};
use crate::entities::{account, moderation_log, opinion, opinion_comment, role_grant};
use crate::error::{DomainError, DomainResult};
use crate::{Services, audit, clock, org};

/// Most items one bulk action may touch.
pub const BULK_MAX: usize = 200;

/// The communities whose content this actor moderates; `None` means all (admin).
pub fn staff_communities(actor: &Principal) -> Option<Vec<i64>> {
    if actor.has_role(Role::Admin) {
        return None;
    }
    Some(
        actor
            .grants
            .iter()
            .filter(|g| g.role == Role::Staff)
            .filter_map(|g| match g.scope {
                Scope::Community(c) => Some(c),
                _ => None,
            })
            .collect(),
    )
}

/// Staff of the community (or an admin).
pub fn may_moderate(actor: &Principal, community_id: i64) -> bool {
    match staff_communities(actor) {
        None => true,
        Some(cs) => cs.contains(&community_id),
    }
}

/// Staff or admin, else `Forbidden`.
pub fn require_moderator(actor: &Principal) -> DomainResult<()> {
    actor
        .require(crate::Area::Staff)
        .or_else(|_| actor.require_admin())
}

/// Ids for a bulk action: at least one, at most [`BULK_MAX`], no repeats.
pub fn bulk_ids(ids: &[i64]) -> DomainResult<Vec<i64>> {
    let mut out: Vec<i64> = Vec::with_capacity(ids.len());
    for &id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() || out.len() > BULK_MAX {
        return Err(DomainError::validation("ids", "invalid"));
    }
    Ok(out)
}

/// Records one decision in the moderation log and the audit chain. Call it
/// inside the transaction that makes the change.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    actor: &Principal,
    community_id: i64,
    kind: &'static str,
    target_id: i64,
    action: &'static str,
    detail: Option<String>,
) -> DomainResult<()> {
    moderation_log::ActiveModel {
        community_id: Set(community_id),
        actor_id: Set(Some(actor.account_id)),
        target_kind: Set(kind.to_owned()),
        target_id: Set(target_id),
        action: Set(action.to_owned()),
        detail: Set(detail.clone()),
        created_at: Set(clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    audit::append(
        conn,
        Some(actor.account_id),
        &format!("{kind}.{action}"),
        &format!("{kind}:{target_id}"),
        serde_json::json!({ "community": community_id, "detail": detail }),
    )
    .await?;
    Ok(())
}

/// What a resident reports as abusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportTarget {
    Opinion(i64),
    Comment(i64),
}

impl ReportTarget {
    fn kind_and_id(self) -> (&'static str, i64) {
        match self {
            ReportTarget::Opinion(id) => ("opinion", id),
            ReportTarget::Comment(id) => ("comment", id),
        }
    }

    /// (reports table, its column naming the target, the target's table)
    fn tables(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ReportTarget::Opinion(_) => ("opinion_report", "opinion_id", "opinion"),
            ReportTarget::Comment(_) => ("comment_report", "comment_id", "opinion_comment"),
        }
    }
}

/// A resident reports an opinion or a comment — the one path for both.
///
/// Only what the reporter can see may be reported: published and not
/// hidden (for a comment, its opinion too); anything else is `NotFound`,
/// exactly like an id that does not exist. Every distinct reporter is
/// recorded, but only reports from accounts whose phone number was verified
/// and that are older than `report_min_account_age` count towards hiding
/// it pending a moderator, so a few fresh accounts cannot hide what they
/// dislike. When the reports reach the threshold the community's staff are
/// told (in-app), whether or not it was hidden. Returns whether it is hidden.
pub async fn report(
    s: &Services,
    actor: &Principal,
    target: ReportTarget,
    reason: &str,
) -> DomainResult<bool> {
    let reason = crate::opinions::clean(reason, "reason", 0, 200)?;
    let threshold = Ord::max(s.settings.report_hide_threshold, 1) as usize;
    let published = |st: &str| st == crate::opinions::status::PUBLISHED;
    let (_gate, txn) = s.begin_write().await?;
    let visible_opinion = |o: Option<opinion::Model>| {
        o.filter(|o| published(&o.status) && !o.hidden)
            .ok_or(DomainError::NotFound)
    };
    let now = clock::now();
    // Visible to the reporter, or as if it did not exist.
    let community_id = match target {
        ReportTarget::Opinion(id) => {
            visible_opinion(opinion::Entity::find_by_id(id).one(&txn).await?)?.community_id
        }
        ReportTarget::Comment(id) => {
            let c = opinion_comment::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .filter(|c| published(&c.status) && !c.hidden)
                .ok_or(DomainError::NotFound)?;
            visible_opinion(opinion::Entity::find_by_id(c.opinion_id).one(&txn).await?)?
                .community_id
        }
    };
    let (kind, id) = target.kind_and_id();
    let (table, column, reported_table) = target.tables();
    // One report per reporter (the primary key), then everyone who reported.
    {
        use sea_orm::sea_query::{Alias, OnConflict, Query};
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(table))
            .columns([
                Alias::new(column),
                Alias::new("account_id"),
                Alias::new("reason"),
                Alias::new("created_at"),
            ])
            .values_panic([
                id.into(),
                actor.account_id.into(),
                reason.into(),
                now.into(),
            ])
            .on_conflict(
                OnConflict::columns([Alias::new(column), Alias::new("account_id")])
                    .do_nothing()
                    .to_owned(),
            );
        let backend = txn.get_database_backend();
        if txn
            .execute_raw(backend.build(&insert))
            .await?
            .rows_affected()
            == 0
        {
            // The same person again: nothing changes (it is not hidden,
            // or the visibility check above would have refused).
            txn.commit().await?;
            return Ok(false);
        }
    }
    let reporters: Vec<i64> = {
        use sea_orm::sea_query::{Alias, Query};
        let select = Query::select()
            .column(Alias::new("account_id"))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new(column)).eq(id))
            .to_owned();
        let backend = txn.get_database_backend();
        txn.query_all_raw(backend.build(&select))
            .await?
            .iter()
            .map(|r| r.try_get::<i64>("", "account_id"))
            .collect::<Result<_, _>>()?
    };
    let established = now - s.settings.report_min_account_age;
    let trusted = account::Entity::find()
        .filter(account::Column::Id.is_in(reporters.clone()))
        .filter(account::Column::PhoneVerifiedAt.is_not_null())
        .filter(account::Column::CreatedAt.lte(established))
        .filter(account::Column::Disabled.eq(false))
        .all(&txn)
        .await?
        .len();
    let hide = trusted >= threshold;
    {
        use sea_orm::sea_query::{Alias, Query};
        let update = Query::update()
            .table(Alias::new(reported_table))
            .value(Alias::new("reports"), reporters.len() as i32)
            .value(Alias::new("hidden"), hide)
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .to_owned();
        let backend = txn.get_database_backend();
        txn.execute_raw(backend.build(&update)).await?;
    }
    if hide || reporters.len() == threshold {
        tell_staff(&txn, community_id, kind, id, reporters.len(), hide).await?;
    }
    txn.commit().await?;
    drop(_gate);
    // A hidden opinion no longer counts in its topic.
    if hide
        && kind == "opinion"
        && let Err(e) = crate::agenda::after_unpublish(s, &[id]).await
    {
        tracing::warn!(error = %e, "updating the topic of a hidden opinion failed");
    }
    Ok(hide)
}

/// A moderator restored a hidden item: the reports that hid it are dealt
/// with (the decision is in the moderation log), so hiding it again takes
/// new reports.
pub(crate) async fn clear_reports<C: ConnectionTrait>(
    conn: &C,
    target: ReportTarget,
) -> DomainResult<()> {
    use sea_orm::sea_query::{Alias, Query};
    let (_, id) = target.kind_and_id();
    let (table, column, _) = target.tables();
    let delete = Query::delete()
        .from_table(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).eq(id))
        .to_owned();
    conn.execute_raw(conn.get_database_backend().build(&delete))
        .await?;
    Ok(())
}

/// An in-app notice to every staff member of the community about reports.
async fn tell_staff<C: ConnectionTrait>(
    conn: &C,
    community_id: i64,
    kind: &str,
    id: i64,
    reports: usize,
    hidden: bool,
) -> DomainResult<()> {
    let staff = role_grant::Entity::find()
        .filter(role_grant::Column::Role.eq(Role::Staff.as_str()))
        .filter(role_grant::Column::ScopeKind.eq("community"))
        .filter(role_grant::Column::ScopeId.eq(community_id))
        .all(conn)
        .await?;
    let what = if kind == "opinion" {
        "意见"
    } else {
        "评论"
    };
    let body = if hidden {
        format!("{what} #{id} 收到 {reports} 次举报，已暂时隐藏，请尽快审核。")
    } else {
        format!("{what} #{id} 收到 {reports} 次举报（举报账号较新或未验证，未自动隐藏），请查看。")
    };
    for g in staff {
        crate::outbox::enqueue(
            conn,
            crate::outbox::Channel::InApp,
            &g.account_id.to_string(),
            "举报提醒",
            &body,
        )
        .await?;
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub id: i64,
    pub at: String,
    pub actor: Option<String>,
    pub community_name: String,
    pub target_kind: String,
    pub target_id: i64,
    pub action: String,
    pub detail: Option<String>,
}

/// The moderation log of the actor's communities, newest first; `before`
/// pages on (keyset).
pub async fn log(
    s: &Services,
    actor: &Principal,
    before: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<LogEntry>> {
    require_moderator(actor)?;
    let mut q = moderation_log::Entity::find();
    if let Some(cs) = staff_communities(actor) {
        q = q.filter(moderation_log::Column::CommunityId.is_in(cs));
    }
    if let Some(b) = before {
        q = q.filter(moderation_log::Column::Id.lt(b));
    }
    let rows = q
        .order_by_desc(moderation_log::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(&s.db)
        .await?;
    let communities = org::communities(s).await?;
    let actor_ids: Vec<i64> = rows.iter().filter_map(|r| r.actor_id).collect();
    let actors = account::Entity::find()
        .filter(account::Column::Id.is_in(actor_ids))
        .all(&s.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| LogEntry {
            id: r.id,
            at: r
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            actor: r
                .actor_id
                .and_then(|a| actors.iter().find(|x| x.id == a))
                .map(|a| a.display_name.clone()),
            community_name: communities
                .iter()
                .find(|c| c.id == r.community_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            target_kind: r.target_kind,
            target_id: r.target_id,
            action: r.action,
            detail: r.detail,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_ids_dedupes_and_bounds() {
        assert_eq!(bulk_ids(&[3, 1, 3, 2]).unwrap(), vec![3, 1, 2]);
        assert!(bulk_ids(&[]).is_err());
        let many: Vec<i64> = (1..=(BULK_MAX as i64 + 1)).collect();
        assert!(bulk_ids(&many).is_err());
        assert_eq!(bulk_ids(&many[..BULK_MAX]).unwrap().len(), BULK_MAX);
    }
}
