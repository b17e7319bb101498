//! 议题建议 what staff do with the ranking: the suggestions (open topics
//! whose street-wide heat reaches a threshold and that concern their
//! communities, with the evidence), and
//! their decisions — accept onto the council agenda (editing title and
//! summary), reject with a public reason, merge two topics, split an
//! opinion off. Each decision is audited in its transaction; accepting
//! tells every author behind the topic, in the app (the outbox).
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

use super::entities::{agenda_item, topic, topic_community, topic_member};
use super::{TopicCard, card, members_of, status, store_heat};
use crate::entities::opinion;
use crate::error::{DomainError, DomainResult};
use crate::moderation::{require_moderator, staff_communities};
use crate::opinions::clean;
use crate::{Principal, Services, audit, clock};

/// Least heat for a topic to be suggested (staff may lower it on the page).
pub const SUGGEST_MIN_HEAT: f64 = 2.0;
pub const TITLE_MAX: usize = 80;
pub const SUMMARY_MAX: usize = 1000;
pub const REASON_MAX: usize = 300;

/// Communities of a topic (those its opinions come from).
async fn communities_of<C: ConnectionTrait>(conn: &C, topic_id: i64) -> DomainResult<Vec<i64>> {
    Ok(topic_community::Entity::find()
        .select_only()
        .column(topic_community::Column::CommunityId)
        .filter(topic_community::Column::TopicId.eq(topic_id))
        .into_tuple()
        .all(conn)
        .await?)
}

/// Staff may decide on a topic that concerns one of their communities
/// (admins on any).
pub(crate) async fn require_topic_staff_in<C: ConnectionTrait>(
    conn: &C,
    actor: &Principal,
    topic_id: i64,
) -> DomainResult<topic::Model> {
    require_moderator(actor)?;
    let t = topic::Entity::find_by_id(topic_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if let Some(mine) = staff_communities(actor) {
        let theirs = communities_of(conn, topic_id).await?;
        if !theirs.iter().any(|c| mine.contains(c)) {
            return Err(DomainError::Forbidden);
        }
    }
    Ok(t)
}

/// Open topics at or above `min_heat` that concern the actor's communities,
/// hottest first (at most 50): what the 议题建议 page lists.
pub async fn suggestions(
    s: &Services,
    actor: &Principal,
    min_heat: f64,
) -> DomainResult<Vec<TopicCard>> {
    require_moderator(actor)?;
    let min_heat = if min_heat.is_finite() {
        min_heat.max(0.0)
    } else {
        SUGGEST_MIN_HEAT
    };
    let mut q = topic::Entity::find()
        .filter(topic::Column::Status.eq(status::OPEN))
        .filter(topic::Column::Heat.gte(min_heat))
        .order_by_desc(topic::Column::Heat)
        .order_by_asc(topic::Column::Id)
        .limit(50);
    if let Some(mine) = staff_communities(actor) {
        let ids: Vec<i64> = topic_community::Entity::find()
            .select_only()
            .column(topic_community::Column::TopicId)
            .filter(topic_community::Column::CommunityId.is_in(mine))
            .into_tuple()
            .all(&s.db)
            .await?;
        q = q.filter(topic::Column::Id.is_in(ids));
    }
    Ok(q.all(&s.db)
        .await?
        .into_iter()
        .map(|t| card(t, None))
        .collect())
}

/// Writes a decision on an open topic — only if it is still open when the
/// write happens (two staff deciding at once: one wins, the other is told
/// it was decided). The pre-vote closes; its results become the assessment.
async fn decide_open<C: ConnectionTrait>(
    conn: &C,
    t: &topic::Model,
    update: sea_orm::UpdateMany<topic::Entity>,
    actor: &Principal,
    results: &super::prevote::Prevote,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    let mut update = update
        .col_expr(topic::Column::DecidedBy, Some(actor.account_id).into())
        .col_expr(topic::Column::DecidedAt, Some(now).into())
        .col_expr(topic::Column::Assessment, Some(super::json(results)).into())
        .col_expr(topic::Column::UpdatedAt, now.into());
    if t.prevote.is_some() {
        update = update.col_expr(topic::Column::Prevote, Some("closed".to_owned()).into());
    }
    let done = update
        .filter(topic::Column::Id.eq(t.id))
        .filter(topic::Column::Status.eq(status::OPEN))
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DomainError::Conflict("topic_decided"));
    }
    Ok(())
}

/// What an accepted topic became.
#[derive(Clone, Debug, Serialize)]
pub struct Accepted {
    pub agenda_item: i64,
    pub notified: usize,
}

/// Staff accept an open topic onto the council agenda with a title and a
/// summary: the topic becomes an agenda item (议题) meetings will take up,
/// its members stay with it, the pre-vote's results (if any) are kept as
/// the assessment, and every author behind it is told in the app.
pub async fn accept(
    s: &Services,
    actor: &Principal,
    topic_id: i64,
    title: &str,
    summary: &str,
) -> DomainResult<Accepted> {
    let title = clean(title, "title", 4, TITLE_MAX)?;
    let summary = clean(summary, "summary", 0, SUMMARY_MAX)?;
    let results = super::prevote::results_in(&s.db, topic_id).await?;
    let (_gate, txn) = s.begin_write().await?;
    let t = require_topic_staff_in(&txn, actor, topic_id).await?;
    if t.status != status::OPEN {
        return Err(DomainError::Conflict("topic_decided"));
    }
    let now = clock::now();
    decide_open(
        &txn,
        &t,
        topic::Entity::update_many()
            .col_expr(topic::Column::Status, status::ACCEPTED.into())
            .col_expr(topic::Column::Title, Some(title.clone()).into())
            .col_expr(
                topic::Column::Summary,
                (!summary.is_empty()).then(|| summary.clone()).into(),
            ),
        actor,
        &results,
        now,
    )
    .await?;
    let item = agenda_item::ActiveModel {
        topic_id: Set(topic_id),
        title: Set(title.clone()),
        summary: Set(summary.clone()),
        status: Set("proposed".into()),
        created_by: Set(Some(actor.account_id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let notified = super::tell::tell(
        s,
        &txn,
        topic_id,
        super::tell::Step::Accepted,
        &format!(
            "您提出的意见所属的话题已列入社区议事会议题：「{title}」。议事会召开前会再通知您。"
        ),
        &format!("/topics/{topic_id}"),
    )
    .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "topic.accept",
        &format!("topic:{topic_id}"),
        serde_json::json!({ "title": title, "agenda_item": item.id, "notified": notified }),
    )
    .await?;
    txn.commit().await?;
    Ok(Accepted {
        agenda_item: item.id,
        notified,
    })
}

/// Staff reject an open topic with a reason everyone sees.
pub async fn reject(
    s: &Services,
    actor: &Principal,
    topic_id: i64,
    reason: &str,
) -> DomainResult<()> {
    let reason = clean(reason, "reason", 2, REASON_MAX)?;
    let results = super::prevote::results_in(&s.db, topic_id).await?;
    let (_gate, txn) = s.begin_write().await?;
    let t = require_topic_staff_in(&txn, actor, topic_id).await?;
    if t.status != status::OPEN {
        return Err(DomainError::Conflict("topic_decided"));
    }
    let now = clock::now();
    decide_open(
        &txn,
        &t,
        topic::Entity::update_many()
            .col_expr(topic::Column::Status, status::REJECTED.into())
            .col_expr(topic::Column::RejectReason, Some(reason.clone()).into()),
        actor,
        &results,
        now,
    )
    .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "topic.reject",
        &format!("topic:{topic_id}"),
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Staff merge topic `from` into `into` (both open, or `into` accepted):
/// `from`'s opinions move over and stay there (pinned), `from` names where
/// it went. Heat of `into` is counted again.
pub async fn merge(s: &Services, actor: &Principal, from: i64, into: i64) -> DomainResult<()> {
    if from == into {
        return Err(DomainError::validation("into", "invalid"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let source = require_topic_staff_in(&txn, actor, from).await?;
    let target = require_topic_staff_in(&txn, actor, into)
        .await
        .map_err(|e| match e {
            DomainError::NotFound => DomainError::validation("into", "invalid"),
            e => e,
        })?;
    if source.status != status::OPEN || !status::RANKED.contains(&target.status.as_str()) {
        return Err(DomainError::Conflict("topic_decided"));
    }
    let now = clock::now();
    // Both still as read when written: the source open, the target ranked.
    let target_ok = topic::Entity::update_many()
        .col_expr(topic::Column::UpdatedAt, now.into())
        .filter(topic::Column::Id.eq(into))
        .filter(topic::Column::Status.is_in(status::RANKED.iter().copied()))
        .exec(&txn)
        .await?;
    let mut source_update = topic::Entity::update_many()
        .col_expr(topic::Column::Status, status::MERGED.into())
        .col_expr(topic::Column::MergedInto, Some(into).into())
        .col_expr(topic::Column::DecidedBy, Some(actor.account_id).into())
        .col_expr(topic::Column::DecidedAt, Some(now).into())
        .col_expr(topic::Column::Heat, 0.0.into())
        .col_expr(topic::Column::UpdatedAt, now.into());
    if source.prevote.is_some() {
        source_update =
            source_update.col_expr(topic::Column::Prevote, Some("closed".to_owned()).into());
    }
    let source_ok = source_update
        .filter(topic::Column::Id.eq(from))
        .filter(topic::Column::Status.eq(status::OPEN))
        .exec(&txn)
        .await?;
    if target_ok.rows_affected != 1 || source_ok.rows_affected != 1 {
        return Err(DomainError::Conflict("topic_decided"));
    }
    topic_member::Entity::update_many()
        .col_expr(topic_member::Column::TopicId, into.into())
        .col_expr(topic_member::Column::Pinned, true.into())
        .filter(topic_member::Column::TopicId.eq(from))
        .exec(&txn)
        .await?;
    topic_community::Entity::delete_many()
        .filter(topic_community::Column::TopicId.eq(from))
        .exec(&txn)
        .await?;
    let members = members_of(&txn, &[into]).await?;
    store_heat(
        &txn,
        &s.settings.agenda,
        into,
        members.get(&into).map_or(&[][..], Vec::as_slice),
        now,
    )
    .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "topic.merge",
        &format!("topic:{from}"),
        serde_json::json!({ "into": into }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Staff split an opinion off a topic: it is not about this matter. It
/// becomes a topic of its own (pinned there, so regrouping leaves it), and
/// both topics' heat is counted again. Returns the new topic's id.
pub async fn split(
    s: &Services,
    actor: &Principal,
    topic_id: i64,
    opinion_id: i64,
) -> DomainResult<i64> {
    let (_gate, txn) = s.begin_write().await?;
    let t = require_topic_staff_in(&txn, actor, topic_id).await?;
    if !status::RANKED.contains(&t.status.as_str()) {
        return Err(DomainError::Conflict("topic_decided"));
    }
    let member = topic_member::Entity::find_by_id(opinion_id)
        .one(&txn)
        .await?
        .filter(|m| m.topic_id == topic_id)
        .ok_or(DomainError::validation("opinion", "invalid"))?;
    let row = opinion::Entity::find_by_id(opinion_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let now = clock::now();
    let still = topic::Entity::update_many()
        .col_expr(topic::Column::UpdatedAt, now.into())
        .filter(topic::Column::Id.eq(topic_id))
        .filter(topic::Column::Status.is_in(status::RANKED.iter().copied()))
        .exec(&txn)
        .await?;
    if still.rows_affected != 1 {
        return Err(DomainError::Conflict("topic_decided"));
    }
    let keywords = super::decode_keywords(&row.keywords);
    let created = topic::ActiveModel {
        title: Set(None),
        summary: Set(None),
        label: Set(super::label_of(&keywords)),
        keywords: Set(row.keywords.clone()),
        status: Set(status::OPEN.to_owned()),
        heat: Set(0.0),
        breakdown: Set("{}".into()),
        residents: Set(0),
        posts: Set(0),
        trend: Set("[]".into()),
        first_at: Set(now),
        last_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut am: topic_member::ActiveModel = member.into();
    am.topic_id = Set(created.id);
    am.pinned = Set(true);
    am.copy_of = Set(None);
    am.update(&txn).await?;
    // Copies of the split opinion go with it.
    topic_member::Entity::update_many()
        .col_expr(topic_member::Column::TopicId, created.id.into())
        .col_expr(topic_member::Column::Pinned, true.into())
        .filter(topic_member::Column::CopyOf.eq(opinion_id))
        .exec(&txn)
        .await?;
    let members = members_of(&txn, &[topic_id, created.id]).await?;
    for t in [topic_id, created.id] {
        store_heat(
            &txn,
            &s.settings.agenda,
            t,
            members.get(&t).map_or(&[][..], Vec::as_slice),
            now,
        )
        .await?;
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        "topic.split",
        &format!("topic:{topic_id}"),
        serde_json::json!({ "opinion": opinion_id, "new_topic": created.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}
