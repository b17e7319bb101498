//! Hongcha's rules: entities, services, permission checks. No Leptos, no HTTP.
//!
//! Every bounded context is a module (`accounts`, `org`, `audit`, `outbox`,
//! ...). Services take a [`Services`] handle and the acting [`Principal`]
//! and check permissions themselves, so no caller can forget to.

pub mod accounts;
pub mod agenda;
pub mod audit;
pub mod categories;
pub mod clock;
pub mod comments;
pub mod crawl;
pub mod db;
pub mod enterprise;
pub(crate) mod entities;
pub mod error;
pub mod evaluation;
mod group_commit;
pub mod import;
pub mod jobs;
pub mod meetings;
pub mod moderation;
pub mod opinions;
pub mod org;
pub mod outbox;
pub mod photos;
pub mod plans;
pub mod ratelimit;
mod refdata;
pub mod reports;
pub mod risk;
mod secrets;
pub mod seed;
pub mod sla;

#[cfg(test)]
mod infrastructure_tests;
#[cfg(test)]
mod testdb;

use std::sync::Arc;

pub use accounts::{Area, Principal, Role, Scope};
pub use error::{DomainError, DomainResult};
pub use sea_orm::DatabaseConnection;

/// Tunables the rules depend on. The server fills it from its config.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How long a login session lasts.
    pub session_ttl: chrono::Duration,
    /// How long a one-time SMS code is valid.
    pub code_ttl: chrono::Duration,
    pub limits: ratelimit::Limits,
    /// Distinct residents' abuse reports that hide an opinion pending a moderator.
    pub report_hide_threshold: u32,
    /// How old an account (with a verified number) must be before its
    /// abuse reports count towards hiding.
    pub report_min_account_age: chrono::Duration,
    /// Where files live: opinion photos in `photos/`, uploaded import files in `imports/`.
    pub data_dir: std::path::PathBuf,
    /// Heat and grouping (half-life, thresholds).
    pub agenda: agenda::Settings,
    /// The key for hashing residents' phone numbers (see `secrets`); when
    /// unset, a key file in `data_dir`.
    pub resident_key: Option<String>,
    /// When a rated plan closes or reopens.
    pub evaluation: evaluation::Rule,
    /// The site's public origin (`https://…`): links in SMS start with it.
    pub public_origin: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl: chrono::Duration::days(14),
            code_ttl: chrono::Duration::minutes(5),
            limits: ratelimit::Limits::default(),
            report_hide_threshold: 3,
            report_min_account_age: chrono::Duration::days(7),
            data_dir: std::path::PathBuf::from("data"),
            agenda: agenda::Settings::default(),
            resident_key: None,
            evaluation: evaluation::Rule::default(),
            public_origin: None,
        }
    }
}

/// The handle every service call takes: database, settings, rate limiter.
#[derive(Clone)]
pub struct Services {
    /// The database: private to `domain`, so no page or job can skip the rules.
    pub(crate) db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub limiter: Arc<ratelimit::RateLimiter>,
    write_gate: Arc<tokio::sync::Mutex<()>>,
    submissions: group_commit::Writer,
    /// Reference data kept in memory (see `refdata`).
    refdata: Arc<refdata::Cache>,
    /// Progress of runs in this process (SQLite: one process).
    run_progress: Arc<std::sync::Mutex<std::collections::HashMap<i64, (i64, i64)>>>,
    /// SQL statements run through this handle since it was made.
    statements: Arc<std::sync::atomic::AtomicU64>,
    /// The analyser with admins' lexicon additions (see `agenda`).
    agenda: Arc<agenda::State>,
    /// The business calendar (see `sla`).
    sla: Arc<sla::Cache>,
    /// Live warning models (see `risk`).
    risk: Arc<risk::Cache>,
    /// Meetings whose live room changed (see `meetings`).
    live: tokio::sync::broadcast::Sender<i64>,
}

impl Services {
    pub fn new(mut db: DatabaseConnection, settings: Settings) -> Self {
        let limiter = Arc::new(ratelimit::RateLimiter::new(settings.limits.clone()));
        let statements = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        Self {
            statements,
            db,
            settings: Arc::new(settings),
            limiter,
            write_gate: Arc::default(),
            submissions: group_commit::Writer::default(),
            run_progress: Arc::default(),
            refdata: Arc::default(),
            agenda: Arc::default(),
            sla: Arc::default(),
            risk: Arc::default(),
            live: tokio::sync::broadcast::channel(1024).0,
        }
    }

    /// A link for a message that leaves the site (SMS): the public origin
    /// in front of `path` when one is configured.
    pub fn link(&self, path: &str) -> String {
        match &self.settings.public_origin {
            Some(o) => format!("{o}{path}"),
            None => path.to_owned(),
        }
    }

    /// Tells this process's live rooms that a meeting changed (after the
    /// commit). The server also forwards PostgreSQL's announcements from
    /// other instances here.
    pub fn announce(&self, meeting_id: i64) {
        let _ = self.live.send(meeting_id);
    }

    /// Meetings whose live room changed, as they change.
    pub fn live_changes(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.live.subscribe()
    }

    /// Starts a write transaction, queued behind [`Services::write_gate`] on
    /// SQLite. Keep the returned gate alive until the transaction commits:
    /// `let (_gate, txn) = s.begin_write().await?;`
    pub async fn begin_write(
        &self,
    ) -> Result<
        (
            Option<tokio::sync::MutexGuard<'_, ()>>,
            sea_orm::DatabaseTransaction,
        ),
        sea_orm::DbErr,
    > {
        let gate = self.write_gate().await;
        let txn = db::begin_write(&self.db).await?;
        Ok((gate, txn))
    }

    pub(crate) fn set_progress_in_memory(&self, run: i64, p: Option<(i64, i64)>) {
        let mut m = self.run_progress.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            Some(p) => m.insert(run, p),
            None => m.remove(&run),
        };
    }

    pub(crate) fn progress_in_memory(&self, run: i64) -> Option<(i64, i64)> {
        let m = self.run_progress.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&run).copied()
    }

    /// Whether the database answers (health check).
    pub async fn ping(&self) -> bool {
        db::ping(&self.db).await
    }

    /// What the public pages show, as one number that goes up with every
    /// change to it (reference data, or an opinion, comment, photo or author
    /// name that is or was public): a page cached under an older number is
    /// stale. Read fresh on each call (one small primary-key read), so a
    /// read after a write's answer — on any instance — sees the new number.
    pub async fn page_version(&self) -> DomainResult<i64> {
        refdata::page_version(&self.db).await
    }

    /// How many SQL statements this process has run (benchmarks read it
    /// before and after a page to show its queries per request).
    pub fn statements(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        db::backend_name(&self.db)
    }

    /// Closes the database pool (tests and shutdown).
    pub async fn close(&self) {
        self.db.clone().close().await.ok();
    }

    /// Counts one attempt against a rate limit; refuses it once the
    /// window's budget is spent. Shared by every instance on PostgreSQL.
    pub async fn hit(&self, bucket: ratelimit::Bucket, key: &str) -> DomainResult<()> {
        match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                ratelimit::hit_shared(&self.db, self.limiter.rule(bucket), bucket, key).await
            }
            _ => self.limiter.hit(bucket, key),
        }
    }

    /// Gives back an attempt that turned out not to count.
    pub async fn refund(&self, bucket: ratelimit::Bucket, key: &str) {
        match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                if let Err(e) = ratelimit::refund_shared(&self.db, bucket, key).await {
                    tracing::warn!(error = %e, "rate limit refund failed");
                }
            }
            _ => self.limiter.refund(bucket, key),
        }
    }

    /// On SQLite, one writer at a time inside this process: writers queue
    /// here (fair, no sleeping) instead of in SQLite's busy handler, which
    /// backs off in sleeps of up to 100 ms and makes tail latency jump.
    /// PostgreSQL has row locks and needs no gate (`None`).
    pub async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.db.get_database_backend() {
            sea_orm::DbBackend::Sqlite => Some(self.write_gate.lock().await),
            _ => None,
        }
    }
}
