//! 评论 comments on published opinions. Moderated the same way as opinions:
//! a new comment waits for staff of the opinion's community; personal data is
//! masked in public; abuse reports from distinct residents hide it.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use serde::Serialize;

use crate::accounts::Principal;
use crate::entities::{account, opinion, opinion_comment};
use crate::error::{DomainError, DomainResult};
use crate::moderation::{self, may_moderate, staff_communities};
use crate::opinions::{Submitted, clean, idempotency_key, status};
use crate::{Services, clock, org};

pub const COMMENT_MAX: usize = 500;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommentView {
    pub id: i64,
    pub opinion_id: i64,
    pub author: Option<String>,
    pub body: String,
    pub status: String,
    pub reject_reason: Option<String>,
    pub hidden: bool,
    pub created_at: String,
    /// Written by the viewer.
    pub own: bool,
}

/// A comment waiting in the staff queue, with the opinion it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueuedComment {
    pub comment: CommentView,
    pub opinion_title: String,
    pub community_name: String,
}

async fn opinion_of<C: sea_orm::ConnectionTrait>(
    conn: &C,
    id: i64,
) -> DomainResult<opinion::Model> {
    opinion::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)
}

fn is_public(o: &opinion::Model) -> bool {
    o.status == status::PUBLISHED && !o.hidden
}

async fn views(
    s: &Services,
    viewer: Option<&Principal>,
    staff: bool,
    rows: Vec<opinion_comment::Model>,
) -> DomainResult<Vec<CommentView>> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.author_id).collect();
    // Names only (account rows hold password hashes), and no query for none.
    let authors: Vec<(i64, String)> = if ids.is_empty() {
        Vec::new()
    } else {
        account::Entity::find()
            .select_only()
            .columns([account::Column::Id, account::Column::DisplayName])
            .filter(account::Column::Id.is_in(ids))
            .into_tuple()
            .all(&s.db)
            .await?
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let own = viewer.is_some_and(|v| Some(v.account_id) == r.author_id);
            CommentView {
                id: r.id,
                opinion_id: r.opinion_id,
                author: r
                    .author_id
                    .and_then(|a| authors.iter().find(|(id, _)| *id == a))
                    .map(|(_, name)| name.clone()),
                body: if staff || own { r.body } else { r.body_public },
                status: r.status,
                reject_reason: if staff || own { r.reject_reason } else { None },
                hidden: r.hidden,
                created_at: r
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                own,
            }
        })
        .collect())
}

/// A resident comments on a published opinion. The comment waits for a moderator.
pub async fn add(
    s: &Services,
    actor: &Principal,
    opinion_id: i64,
    body: &str,
    key: &str,
) -> DomainResult<Submitted> {
    let body = clean(body, "comment", 2, COMMENT_MAX)?;
    let key = idempotency_key(actor, key)?.map(|k| format!("c:{k}"));
    let op = opinion_of(&s.db, opinion_id).await?;
    if !is_public(&op) {
        return Err(DomainError::NotFound);
    }
    crate::opinions::count_post(s, actor).await?;
    let now = clock::now();
    let row = opinion_comment::ActiveModel {
        opinion_id: Set(opinion_id),
        author_id: Set(Some(actor.account_id)),
        body_public: Set(nlp::mask(&body)),
        body: Set(body),
        status: Set(status::PENDING.to_owned()),
        reject_reason: Set(None),
        reports: Set(0),
        hidden: Set(false),
        idempotency_key: Set(key.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    // No lookup of the key first: the unique index answers a retry (even
    // one racing the first request) with the row that has the key.
    let gate = s.write_gate().await;
    let inserted = row.insert(&s.db).await;
    drop(gate);
    let outcome = match inserted {
        Ok(m) => Ok(Submitted {
            id: m.id,
            created: true,
        }),
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            opinion_comment::Entity::find()
                .filter(opinion_comment::Column::IdempotencyKey.eq(key))
                .one(&s.db)
                .await
                .map_err(DomainError::from)
                .and_then(|c| c.ok_or(DomainError::Internal("idempotency race".into())))
                .map(|c| Submitted {
                    id: c.id,
                    created: false,
                })
        }
        Err(e) => Err(e.into()),
    };
    crate::opinions::settle_post(s, actor, outcome).await
}

/// The comments under an opinion as this viewer may see them: published,
/// visible ones for everybody, plus the viewer's own whatever their status.
pub async fn list(
    s: &Services,
    viewer: Option<&Principal>,
    opinion_id: i64,
) -> DomainResult<Vec<CommentView>> {
    // Same visibility as the opinion itself.
    let op = crate::opinions::detail(s, viewer, opinion_id).await?;
    let staff = op.original;
    let mut visible = Condition::all()
        .add(opinion_comment::Column::Status.eq(status::PUBLISHED))
        .add(opinion_comment::Column::Hidden.eq(false));
    if let Some(v) = viewer {
        visible = Condition::any()
            .add(visible)
            .add(opinion_comment::Column::AuthorId.eq(v.account_id));
    }
    let mut q = opinion_comment::Entity::find();
    if viewer.is_none() {
        // The public never gets the unmasked text: it is not even read.
        use opinion_comment::Column as C;
        q = q
            .select_only()
            .columns([
                C::Id,
                C::OpinionId,
                C::AuthorId,
                C::BodyPublic,
                C::Status,
                C::RejectReason,
                C::Reports,
                C::Hidden,
                C::IdempotencyKey,
                C::CreatedAt,
                C::UpdatedAt,
            ])
            .expr_as(sea_orm::sea_query::Expr::val(""), "body");
    }
    let rows = q
        .filter(opinion_comment::Column::OpinionId.eq(opinion_id))
        .filter(visible)
        .order_by_asc(opinion_comment::Column::Id)
        .limit(200)
        .all(&s.db)
        .await?;
    views(s, viewer, staff, rows).await
}

/// Pending and auto-hidden comments in the staff member's communities, oldest first.
pub async fn queue(
    s: &Services,
    actor: &Principal,
    limit: u64,
) -> DomainResult<Vec<QueuedComment>> {
    moderation::require_moderator(actor)?;
    let mut q = opinion_comment::Entity::find()
        .filter(
            Condition::any()
                .add(opinion_comment::Column::Status.eq(status::PENDING))
                .add(opinion_comment::Column::Hidden.eq(true)),
        )
        .order_by_asc(opinion_comment::Column::Id)
        .limit(limit.clamp(1, 200));
    if let Some(cs) = staff_communities(actor) {
        let ops = opinion::Entity::find()
            .select_only()
            .column(opinion::Column::Id)
            .filter(opinion::Column::CommunityId.is_in(cs))
            .into_query();
        q = q.filter(opinion_comment::Column::OpinionId.in_subquery(ops));
    }
    let rows = q.all(&s.db).await?;
    let op_ids: Vec<i64> = rows.iter().map(|r| r.opinion_id).collect();
    let ops = opinion::Entity::find()
        .filter(opinion::Column::Id.is_in(op_ids))
        .all(&s.db)
        .await?;
    let communities = org::communities(s).await?;
    let comments = views(s, Some(actor), true, rows).await?;
    Ok(comments
        .into_iter()
        .map(|c| {
            let op = ops.iter().find(|o| o.id == c.opinion_id);
            QueuedComment {
                opinion_title: op.map(|o| o.title.clone()).unwrap_or_default(),
                community_name: op
                    .and_then(|o| communities.iter().find(|x| x.id == o.community_id))
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
                comment: c,
            }
        })
        .collect())
}

#[derive(Clone, Debug)]
pub enum CommentDecision {
    Approve,
    Reject { reason: String },
}

impl CommentDecision {
    /// From a form: `approve` or `reject` (with `reason`).
    pub fn parse(kind: &str, reason: String) -> DomainResult<Self> {
        match kind {
            "approve" => Ok(CommentDecision::Approve),
            "reject" => Ok(CommentDecision::Reject { reason }),
            _ => Err(DomainError::validation("decision", "invalid")),
        }
    }
}

/// Staff approve or reject (with a reason its author sees) one or more
/// comments: all of them or none. Logged and audited.
pub async fn moderate_many(
    s: &Services,
    actor: &Principal,
    ids: &[i64],
    decision: CommentDecision,
) -> DomainResult<usize> {
    moderation::require_moderator(actor)?;
    let ids = moderation::bulk_ids(ids)?;
    let decision = match decision {
        CommentDecision::Reject { reason } => CommentDecision::Reject {
            reason: clean(&reason, "reason", 2, 200)?,
        },
        d => d,
    };
    let (_gate, txn) = s.begin_write().await?;
    // Two reads for the whole batch, not two per comment.
    let rows = opinion_comment::Entity::find()
        .filter(opinion_comment::Column::Id.is_in(ids.clone()))
        .all(&txn)
        .await?;
    let ops = opinion::Entity::find()
        .filter(opinion::Column::Id.is_in(rows.iter().map(|r| r.opinion_id)))
        .all(&txn)
        .await?;
    for &id in &ids {
        let row = rows
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or(DomainError::NotFound)?;
        let op = ops
            .iter()
            .find(|o| o.id == row.opinion_id)
            .ok_or(DomainError::NotFound)?;
        if !may_moderate(actor, op.community_id) {
            return Err(DomainError::Forbidden);
        }
        let mut am: opinion_comment::ActiveModel = row.clone().into();
        am.updated_at = Set(clock::now());
        let (action, detail) = match &decision {
            CommentDecision::Approve => {
                if row.status != status::PENDING && !row.hidden {
                    return Err(DomainError::Conflict("not_pending"));
                }
                am.status = Set(status::PUBLISHED.to_owned());
                am.hidden = Set(false);
                if row.hidden {
                    am.reports = Set(0);
                    moderation::clear_reports(&txn, moderation::ReportTarget::Comment(row.id))
                        .await?;
                }
                ("approve", None)
            }
            CommentDecision::Reject { reason } => {
                am.status = Set(status::REJECTED.to_owned());
                am.reject_reason = Set(Some(reason.clone()));
                ("reject", Some(reason.clone()))
            }
        };
        am.update(&txn).await?;
        moderation::record(&txn, actor, op.community_id, "comment", id, action, detail).await?;
    }
    txn.commit().await?;
    Ok(ids.len())
}
