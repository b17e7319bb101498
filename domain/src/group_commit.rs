//! Group commit for web submissions.
//!
//! A submission is acknowledged only once it is committed, and on SQLite
//! (`synchronous=FULL`, see [`crate::db::connect`]) every commit waits for
//! an fsync. So submissions are not committed one by one: each request
//! hands its checked row to one writer task per process and waits. The
//! writer takes everything that queued up while the previous commit was
//! flushing (at most [`MAX_BATCH`]), checks the batch's communities and
//! categories, inserts the rows in one statement, commits once, and only
//! then answers every waiting request. Under load one fsync serves many
//! submissions; alone, a submission is written at once (no waiting for
//! company). If a batch fails as a whole it is written again row by row,
//! so one bad row cannot fail its neighbours.
//!
//! Idempotency keys are answered by the unique index (`ON CONFLICT DO
//! NOTHING`): a retried key, even twice in one batch, stores one row and
//! both requests get its id.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait,
};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::entities::{category, community, opinion};
use crate::error::{DomainError, DomainResult};
use crate::opinions::Submitted;

/// The most rows one commit carries (23 columns each: well under the
/// bind-parameter limits of SQLite and PostgreSQL).
pub const MAX_BATCH: usize = 128;
/// Submissions waiting for the writer before new ones wait to be queued.
const QUEUE: usize = 4096;

/// One checked submission, as the request hands it to the writer.
pub(crate) struct Submission {
    pub row: opinion::ActiveModel,
    pub community_id: i64,
    pub category: String,
    /// The account-scoped idempotency key, if the client sent one.
    pub key: Option<String>,
}

/// A submission waiting for its commit, and where its answer goes.
struct Pending {
    row: opinion::ActiveModel,
    community_id: i64,
    category: String,
    key: Option<String>,
    reply: oneshot::Sender<DomainResult<Submitted>>,
}

/// The handle requests use to reach the writer task (started on first use).
#[derive(Clone, Default)]
pub(crate) struct Writer {
    queue: Arc<OnceLock<mpsc::Sender<Pending>>>,
}

impl Writer {
    /// Queues `sub` and waits until it is committed (or refused).
    pub(crate) async fn write(
        &self,
        db: &DatabaseConnection,
        gate: &Arc<Mutex<()>>,
        sub: Submission,
    ) -> DomainResult<Submitted> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            // The task holds no sender: it ends when the last `Services` goes.
            tokio::spawn(run(db.clone(), gate.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let p = Pending {
            row: sub.row,
            community_id: sub.community_id,
            category: sub.category,
            key: sub.key,
            reply,
        };
        queue
            .send(p)
            .await
            .map_err(|_| DomainError::Internal("submission writer stopped".into()))?;
        answer
            .await
            .map_err(|_| DomainError::Internal("submission writer stopped".into()))?
    }
}

async fn run(db: DatabaseConnection, gate: Arc<Mutex<()>>, mut rx: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        match write_batch(&db, &gate, &jobs).await {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = job.reply.send(answer);
                }
            }
            Err(e) if jobs.len() == 1 => {
                tracing::warn!(error = %e, "submission not stored");
                for job in jobs {
                    let _ = job.reply.send(Err(e.clone().into()));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, rows = jobs.len(), "batch failed; writing row by row");
                for job in jobs {
                    let answer = match write_batch(&db, &gate, std::slice::from_ref(&job)).await {
                        Ok(mut a) => a.pop().unwrap_or(Err(DomainError::Internal(
                            "no answer for submission".into(),
                        ))),
                        Err(e) => Err(e.into()),
                    };
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

/// Writes `jobs` in one transaction; answers each in order. `Err` only when
/// the transaction as a whole failed (nothing of it is stored).
async fn write_batch(
    db: &DatabaseConnection,
    gate: &Mutex<()>,
    jobs: &[Pending],
) -> Result<Vec<DomainResult<Submitted>>, DbErr> {
    let backend = db.get_database_backend();
    let _gate = match backend {
        DbBackend::Sqlite => Some(gate.lock().await),
        _ => None,
    };
    let txn = crate::db::begin_write(db).await?;

    let ids: HashSet<i64> = jobs.iter().map(|j| j.community_id).collect();
    let codes: HashSet<&str> = jobs.iter().map(|j| j.category.as_str()).collect();
    let communities: HashSet<i64> = community::Entity::find()
        .select_only()
        .column(community::Column::Id)
        .filter(community::Column::Id.is_in(ids))
        .filter(community::Column::RetiredAt.is_null())
        .into_tuple::<i64>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let categories: HashSet<String> = category::Entity::find()
        .select_only()
        .column(category::Column::Code)
        .filter(category::Column::Code.is_in(codes))
        .filter(category::Column::Active.eq(true))
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();

    let mut answers: Vec<Option<DomainResult<Submitted>>> = jobs.iter().map(|_| None).collect();
    let mut keyed = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        if !communities.contains(&job.community_id) {
            answers[i] = Some(Err(DomainError::validation("community", "invalid")));
        } else if !categories.contains(&job.category) {
            answers[i] = Some(Err(DomainError::validation("category", "invalid")));
        } else if job.key.is_some() {
            keyed.push(i);
        } else {
            // Without a key the returned rows could not be told apart: one
            // statement each (still in this one commit).
            let id = opinion::Entity::insert(job.row.clone())
                .exec(&txn)
                .await?
                .last_insert_id;
            answers[i] = Some(Ok(Submitted { id, created: true }));
        }
    }

    if !keyed.is_empty() {
        let mut insert =
            opinion::Entity::insert_many(keyed.iter().map(|&i| jobs[i].row.clone())).into_query();
        insert
            .on_conflict(
                OnConflict::column(opinion::Column::IdempotencyKey)
                    .do_nothing()
                    .to_owned(),
            )
            .returning(
                Query::returning().columns([opinion::Column::Id, opinion::Column::IdempotencyKey]),
            );
        let mut made = HashMap::new();
        for row in txn.query_all_raw(backend.build(&insert)).await? {
            let id: i64 = row.try_get("", "id")?;
            let key: String = row.try_get("", "idempotency_key")?;
            made.insert(key, id);
        }
        // Keys already taken before this batch: answer the stored row's id.
        let taken: Vec<&str> = keyed
            .iter()
            .filter_map(|&i| jobs[i].key.as_deref())
            .filter(|k| !made.contains_key(*k))
            .collect();
        let earlier: HashMap<String, i64> = if taken.is_empty() {
            HashMap::new()
        } else {
            opinion::Entity::find()
                .select_only()
                .column(opinion::Column::IdempotencyKey)
                .column(opinion::Column::Id)
                .filter(opinion::Column::IdempotencyKey.is_in(taken))
                .into_tuple::<(String, i64)>()
                .all(&txn)
                .await?
                .into_iter()
                .collect()
        };
        let mut claimed = HashSet::new();
        for &i in &keyed {
            let key = jobs[i].key.as_deref().unwrap_or_default();
            answers[i] = Some(match made.get(key) {
                // The first request with a new key created it; a second
                // one in the same batch is a retry of it.
                Some(&id) => Ok(Submitted {
                    id,
                    created: claimed.insert(key),
                }),
                None => earlier
                    .get(key)
                    .map(|&id| Submitted { id, created: false })
                    .ok_or(DomainError::Internal("idempotency key vanished".into())),
            });
        }
    }
    txn.commit().await?;
    Ok(answers
        .into_iter()
        .map(|a| a.unwrap_or(Err(DomainError::Internal("unanswered submission".into()))))
        .collect())
}
