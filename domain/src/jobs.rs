//! Background work. Leases: a periodic job runs only while its instance
//! holds the lease row, so several instances on one database run each job
//! once. Runs: work asked for by a person (a web import, "crawl now") is a
//! `job_run` row that any instance's runner claims with a guarded update,
//! runs, and reports progress on — in the database, so the progress reads
//! the same from every instance and survives a restart (a run cut off by a
//! shutdown or crash is marked interrupted; its transaction rolled back).
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Condition, Expr},
};

use crate::entities::{job_lease, job_run};
use crate::error::{DomainError, DomainResult};

/// Takes or renews the lease `name` for `holder` until now + `ttl`.
/// Returns false if another holder's lease is still live.
pub(crate) async fn try_lease_in<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    holder: &str,
    ttl: chrono::Duration,
) -> DomainResult<bool> {
    let now = crate::clock::now();
    let updated = job_lease::Entity::update_many()
        .col_expr(job_lease::Column::Holder, Expr::value(holder))
        .col_expr(job_lease::Column::ExpiresAt, Expr::value(now + ttl))
        .filter(job_lease::Column::Name.eq(name))
        .filter(
            Condition::any()
                .add(job_lease::Column::Holder.eq(holder))
                .add(job_lease::Column::ExpiresAt.lt(now)),
        )
        .exec(conn)
        .await?;
    if updated.rows_affected == 1 {
        return Ok(true);
    }
    let inserted = job_lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(now + ttl),
    }
    .insert(conn)
    .await;
    Ok(inserted.is_ok())
}

/// Gives a lease back early (its holder finished).
pub(crate) async fn release_in<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    holder: &str,
) -> DomainResult<()> {
    job_lease::Entity::delete_many()
        .filter(job_lease::Column::Name.eq(name))
        .filter(job_lease::Column::Holder.eq(holder))
        .exec(conn)
        .await?;
    Ok(())
}

/// Kinds of run.
pub mod kind {
    pub const IMPORT: &str = "import";
    pub const CRAWL: &str = "crawl";
}

/// States of a run.
pub mod state {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    pub const FAILED: &str = "failed";
    pub const INTERRUPTED: &str = "interrupted";
}

/// A run as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    pub id: i64,
    pub kind: String,
    pub target: String,
    pub owner_id: Option<i64>,
    pub params: serde_json::Value,
    pub state: String,
    pub done: i64,
    pub total: i64,
    pub result: Option<serde_json::Value>,
    /// The UI message key of a failure.
    pub error: Option<String>,
}

impl From<job_run::Model> for Run {
    fn from(m: job_run::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            target: m.target,
            owner_id: m.owner_id,
            params: serde_json::from_str(&m.params).unwrap_or_default(),
            state: m.state,
            done: m.done,
            total: m.total,
            result: m.result.and_then(|r| serde_json::from_str(&r).ok()),
            error: m.error,
        }
    }
}

impl Run {
    pub fn finished(&self) -> bool {
        !matches!(self.state.as_str(), state::QUEUED | state::RUNNING)
    }

    /// A count the run's result holds under `key`, if it finished with one.
    pub fn count(&self, key: &str) -> Option<usize> {
        self.result
            .as_ref()
            .and_then(|r| r[key].as_u64())
            .map(|n| n as usize)
    }

    /// The account that queued the run, as it is now (its rights may have
    /// changed since): a run without one, or whose account is gone, is
    /// refused with `err.forbidden`.
    pub async fn owner(&self, s: &crate::Services) -> Result<crate::Principal, String> {
        match self.owner_id {
            Some(id) => crate::accounts::principal_by_id(s, id).await.map_err(|e| {
                tracing::warn!(error = %e, run = self.id, "reading a run's owner failed");
                e.message_key()
            })?,
            None => None,
        }
        .ok_or_else(|| "err.forbidden".to_owned())
    }
}

/// Queues a run; refused with `Conflict(already_running)` while one for the
/// same target is queued or running.
pub(crate) async fn enqueue_in<C: ConnectionTrait>(
    conn: &C,
    kind: &str,
    target: &str,
    owner_id: Option<i64>,
    params: serde_json::Value,
    total: i64,
) -> DomainResult<i64> {
    let busy = job_run::Entity::find()
        .filter(job_run::Column::Kind.eq(kind))
        .filter(job_run::Column::Target.eq(target))
        .filter(job_run::Column::State.is_in([state::QUEUED, state::RUNNING]))
        .one(conn)
        .await?;
    if busy.is_some() {
        return Err(DomainError::Conflict("already_running"));
    }
    let now = crate::clock::now();
    let row = job_run::ActiveModel {
        kind: Set(kind.to_owned()),
        target: Set(target.to_owned()),
        owner_id: Set(owner_id),
        params: Set(params.to_string()),
        state: Set(state::QUEUED.to_owned()),
        done: Set(0),
        total: Set(total),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| match e.sql_err() {
        // Someone else queued it between our check and our insert.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::Conflict("already_running")
        }
        _ => DomainError::Database(e),
    })?;
    Ok(row.id)
}

/// The newest run for a target.
pub(crate) async fn latest_in<C: ConnectionTrait>(
    conn: &C,
    kind: &str,
    target: &str,
) -> DomainResult<Option<Run>> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Kind.eq(kind))
        .filter(job_run::Column::Target.eq(target))
        .order_by_desc(job_run::Column::Id)
        .one(conn)
        .await?
        .map(Run::from))
}

/// Takes the oldest queued run for `holder`, if any (a guarded update, so
/// two instances never take the same one).
pub(crate) async fn claim_in<C: ConnectionTrait>(
    conn: &C,
    holder: &str,
) -> DomainResult<Option<Run>> {
    let queued = job_run::Entity::find()
        .filter(job_run::Column::State.eq(state::QUEUED))
        .order_by_asc(job_run::Column::Id)
        .one(conn)
        .await?;
    let Some(row) = queued else {
        return Ok(None);
    };
    let taken = job_run::Entity::update_many()
        .col_expr(job_run::Column::State, Expr::value(state::RUNNING))
        .col_expr(job_run::Column::Holder, Expr::value(holder))
        .col_expr(job_run::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(job_run::Column::Id.eq(row.id))
        .filter(job_run::Column::State.eq(state::QUEUED))
        .exec(conn)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(None);
    }
    Ok(Some(Run {
        state: state::RUNNING.to_owned(),
        ..Run::from(row)
    }))
}

pub(crate) async fn set_progress_in<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    done: i64,
    total: i64,
) -> DomainResult<()> {
    job_run::Entity::update_many()
        .col_expr(job_run::Column::Done, Expr::value(done))
        .col_expr(job_run::Column::Total, Expr::value(total))
        .col_expr(job_run::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(job_run::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records how a run ended: a result, or the message key of its failure.
pub(crate) async fn finish_in<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    outcome: Result<serde_json::Value, String>,
) -> DomainResult<()> {
    let (st, result, error) = match outcome {
        Ok(v) => (state::DONE, Some(v.to_string()), None),
        Err(e) => (
            state::FAILED,
            None,
            Some(e.chars().take(100).collect::<String>()),
        ),
    };
    let mut q = job_run::Entity::update_many();
    if st == state::DONE {
        // All of it done (the last report may not have reached the row).
        q = q.col_expr(job_run::Column::Done, Expr::col(job_run::Column::Total));
    }
    q.col_expr(job_run::Column::State, Expr::value(st))
        .col_expr(job_run::Column::Result, Expr::value(result))
        .col_expr(job_run::Column::Error, Expr::value(error))
        .col_expr(job_run::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(job_run::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks as interrupted the runs `holder` had going (it is shutting down),
/// or, with `holder = None`, every run nobody has touched for `stale`
/// (its instance died). Returns how many.
pub(crate) async fn interrupt_in<C: ConnectionTrait>(
    conn: &C,
    holder: Option<&str>,
    stale: chrono::Duration,
) -> DomainResult<u64> {
    let mut q = job_run::Entity::update_many()
        .col_expr(job_run::Column::State, Expr::value(state::INTERRUPTED))
        .col_expr(job_run::Column::Error, Expr::value("import.interrupted"))
        .filter(job_run::Column::State.eq(state::RUNNING));
    q = match holder {
        Some(h) => q.filter(job_run::Column::Holder.eq(h)),
        None => q.filter(job_run::Column::UpdatedAt.lt(crate::clock::now() - stale)),
    };
    Ok(q.exec(conn).await?.rows_affected)
}

// The public entry points take the services (the database handle stays
// inside `domain`); the `_in` forms run inside a caller's transaction.

/// See [`try_lease_in`].
pub async fn try_lease(
    s: &crate::Services,
    name: &str,
    holder: &str,
    ttl: chrono::Duration,
) -> DomainResult<bool> {
    try_lease_in(&s.db, name, holder, ttl).await
}

/// See [`release_in`].
pub async fn release(s: &crate::Services, name: &str, holder: &str) -> DomainResult<()> {
    release_in(&s.db, name, holder).await
}

/// See [`enqueue_in`].
pub async fn enqueue(
    s: &crate::Services,
    kind: &str,
    target: &str,
    owner_id: Option<i64>,
    params: serde_json::Value,
    total: i64,
) -> DomainResult<i64> {
    enqueue_in(&s.db, kind, target, owner_id, params, total).await
}

/// See [`latest_in`]; a running run's progress as last reported.
pub async fn latest(s: &crate::Services, kind: &str, target: &str) -> DomainResult<Option<Run>> {
    let mut run = latest_in(&s.db, kind, target).await?;
    if let Some(r) = run.as_mut()
        && r.state == state::RUNNING
        && let Some((done, total)) = s.progress_in_memory(r.id)
    {
        r.done = done;
        r.total = total;
    }
    Ok(run)
}

/// A progress reporter for a run: a sink the (synchronous) work can push
/// `(done, total)` into, and a side task that records it — in the run's row
/// on PostgreSQL (which also keeps the run from looking dead), in memory on
/// SQLite (the database is busy with the work's own write transaction).
/// Drop the sender, then await the task.
pub fn reporter(
    s: &crate::Services,
    run_id: i64,
    total: usize,
) -> (
    tokio::sync::watch::Sender<(usize, usize)>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, mut rx) = tokio::sync::watch::channel((0usize, total));
    let s = s.clone();
    let task = tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let (done, total) = *rx.borrow_and_update();
            let _ = set_progress(&s, run_id, done as i64, total as i64).await;
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    (tx, task)
}

/// See [`claim_in`].
pub async fn claim(s: &crate::Services, holder: &str) -> DomainResult<Option<Run>> {
    claim_in(&s.db, holder).await
}

/// Records a run's progress (see [`reporter`]).
pub async fn set_progress(s: &crate::Services, id: i64, done: i64, total: i64) -> DomainResult<()> {
    if s.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        s.set_progress_in_memory(id, Some((done, total)));
        return Ok(());
    }
    set_progress_in(&s.db, id, done, total).await
}

/// See [`finish_in`].
pub async fn finish(
    s: &crate::Services,
    id: i64,
    outcome: Result<serde_json::Value, String>,
) -> DomainResult<()> {
    s.set_progress_in_memory(id, None);
    finish_in(&s.db, id, outcome).await
}

/// See [`interrupt_in`].
pub async fn interrupt(
    s: &crate::Services,
    holder: Option<&str>,
    stale: chrono::Duration,
) -> DomainResult<u64> {
    interrupt_in(&s.db, holder, stale).await
}
