//! Connecting to SQLite (default, embedded) or PostgreSQL, and migrating.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// Opens the database named by `url`.
///
/// SQLite files are created if missing and opened in WAL mode with
/// `synchronous=FULL` (an acknowledged write survives power loss, at a small
/// cost per commit), foreign keys on, and a 5 s busy timeout so concurrent
/// writers wait instead of failing. PostgreSQL plans every statement for
/// its own parameters (`plan_cache_mode = force_custom_plan`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    // `HONGCHA_SQL_LOG=1` logs every statement (at debug, target `sqlx`).
    opts.sqlx_logging(std::env::var_os("HONGCHA_SQL_LOG").is_some())
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        if let Some(parent) = sqlite_path(url)
            .and_then(|p| p.parent().map(|d| d.to_owned()))
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(&parent)
                .map_err(|e| DbErr::Custom(format!("cannot create {parent:?}: {e}")))?;
        }
        let in_memory = url.contains(":memory:");
        opts.max_connections(if in_memory { 1 } else { 8 })
            .min_connections(1);
        opts.map_sqlx_sqlite_opts(move |o| {
            let o = o
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            if in_memory {
                o
            } else {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
            }
        });
    } else {
        opts.max_connections(16).min_connections(1);
        // Every statement planned for its own parameters. sqlx prepares
        // and reuses statements; after five runs PostgreSQL may switch one
        // to a generic plan, blind to the values — for `key IN ($1 … $500)`
        // that plan took 2–3.7 s a run instead of milliseconds (the risk
        // ingest's duplicate check, seen with `log_min_duration_statement`
        // under scripts/bench-risk.sh).
        opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
    }
    Database::connect(opts).await
}

/// The file behind a `sqlite:` URL, if it names one.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        None
    } else {
        Some(std::path::PathBuf::from(path))
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`,
/// taking the write lock up front: a deferred transaction that reads first
/// would fail with "database is locked" instead of waiting if another
/// connection wrote in between. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// `text` with `%`, `_` and `!` escaped for `LIKE … ESCAPE '!'`.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

fn like<C>(column: C, pattern: String) -> sea_orm::sea_query::SimpleExpr
where
    C: sea_orm::sea_query::IntoColumnRef,
{
    use sea_orm::sea_query::ExprTrait;
    sea_orm::sea_query::Expr::col(column)
        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('!'))
}

/// `column` contains `text` as it is written: `%`, `_` and `!` in `text`
/// match only themselves (`LIKE '%…%' ESCAPE '!'`), on SQLite and
/// PostgreSQL alike. Callers put the text in the case the column keeps
/// (SQLite's LIKE ignores ASCII case, PostgreSQL's does not).
pub fn contains<C>(column: C, text: &str) -> sea_orm::sea_query::SimpleExpr
where
    C: sea_orm::sea_query::IntoColumnRef,
{
    like(column, format!("%{}%", like_literal(text)))
}

/// `column` starts with `text` as it is written (see [`contains`]).
pub fn starts_with<C>(column: C, text: &str) -> sea_orm::sea_query::SimpleExpr
where
    C: sea_orm::sea_query::IntoColumnRef,
{
    like(column, format!("{}%", like_literal(text)))
}
