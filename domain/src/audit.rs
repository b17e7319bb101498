//! 审计日志 append-only, hash-chained audit log of every staff action.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, so
//! changing, removing or reordering any row breaks the chain from there on.
//! The single `audit_head` row is updated first in the writing transaction,
//! which serialises writers on both SQLite and PostgreSQL.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::entities::{audit_head, audit_log};
use crate::error::{DomainError, DomainResult};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Appends one entry. Call inside the transaction that makes the change, so
/// the change and its record commit together or not at all. An entry with
/// no acting account was made by the system (the command line, a job) and
/// says so in its detail (`"by": "system"`), unless the caller said who.
pub(crate) async fn append<C: ConnectionTrait>(
    conn: &C,
    actor_id: Option<i64>,
    action: &str,
    target: &str,
    mut detail: serde_json::Value,
) -> DomainResult<i64> {
    if actor_id.is_none()
        && let Some(obj) = detail.as_object_mut()
    {
        obj.entry("by").or_insert_with(|| "system".into());
    }
    // Write first: takes the write lock (SQLite) / row lock (PostgreSQL).
    audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::Seq,
            Expr::col(audit_head::Column::Seq).add(1),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(conn)
        .await?;
    let head = audit_head::Entity::find_by_id(1)
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::Internal("audit head missing".into()))?;
    let created_at = crate::clock::now().timestamp_micros();
    let detail = detail.to_string();
    let hash = entry_hash(
        head.seq, actor_id, action, target, &detail, created_at, &head.hash,
    );
    audit_log::ActiveModel {
        seq: Set(head.seq),
        actor_id: Set(actor_id),
        action: Set(action.to_owned()),
        target: Set(target.to_owned()),
        detail: Set(detail),
        created_at: Set(created_at),
        prev_hash: Set(head.hash.clone()),
        hash: Set(hash.clone()),
    }
    .insert(conn)
    .await?;
    audit_head::ActiveModel {
        id: Set(1),
        seq: Set(head.seq),
        hash: Set(hash),
    }
    .update(conn)
    .await?;
    Ok(head.seq)
}

pub fn entry_hash(
    seq: i64,
    actor_id: Option<i64>,
    action: &str,
    target: &str,
    detail: &str,
    created_at: i64,
    prev_hash: &str,
) -> String {
    let canonical =
        serde_json::json!([seq, actor_id, action, target, detail, created_at, prev_hash]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: u64,
    /// The first entry whose hash or link does not match, if any.
    pub first_bad_seq: Option<i64>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.first_bad_seq.is_none()
    }
}

/// Walks the whole chain in pages and checks every link and hash, and that
/// the head matches the last entry.
/// Walks the whole chain (see [`verify_in`]).
pub async fn verify(s: &crate::Services) -> DomainResult<Verification> {
    verify_in(&s.db).await
}

pub(crate) async fn verify_in<C: ConnectionTrait>(conn: &C) -> DomainResult<Verification> {
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    let mut pages = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .paginate(conn, 1000);
    let mut entries = 0u64;
    while let Some(rows) = pages.fetch_and_next().await? {
        for row in rows {
            entries += 1;
            let want = entry_hash(
                row.seq,
                row.actor_id,
                &row.action,
                &row.target,
                &row.detail,
                row.created_at,
                &row.prev_hash,
            );
            if row.seq != expected_seq || row.prev_hash != prev || row.hash != want {
                return Ok(Verification {
                    entries,
                    first_bad_seq: Some(row.seq),
                });
            }
            prev = row.hash;
            expected_seq += 1;
        }
    }
    let head = audit_head::Entity::find_by_id(1).one(conn).await?;
    let head_ok = head.is_some_and(|h| h.hash == prev && h.seq == expected_seq - 1);
    Ok(Verification {
        entries,
        first_bad_seq: if head_ok { None } else { Some(expected_seq) },
    })
}

/// One audit entry as staff and supervisors see it.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub created_at: i64,
    pub hash: String,
}

/// The most recent entries, newest first (admins and supervisors only).
pub async fn recent(
    services: &crate::Services,
    actor: &crate::Principal,
    limit: u64,
) -> DomainResult<Vec<Entry>> {
    if !(actor.has_role(crate::Role::Admin) || actor.has_role(crate::Role::Supervisor)) {
        return Err(DomainError::Forbidden);
    }
    use sea_orm::QuerySelect;
    let rows = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .limit(Ord::min(limit, 500))
        .all(&services.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            seq: r.seq,
            actor_id: r.actor_id,
            action: r.action,
            target: r.target,
            detail: r.detail,
            created_at: r.created_at,
            hash: r.hash,
        })
        .collect())
}
