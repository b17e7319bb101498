//! A second number in `ref_version` (row 2) that goes up whenever something
//! a public page shows changes: an opinion that is or was public, its
//! comments and photos, an author's display name. Database triggers raise it
//! inside the changing transaction, so every write path — present and
//! future, the command line included — invalidates the page cache without
//! having to remember to; a pending submission (the hot write path) does not.
use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const BUMP: &str = "UPDATE ref_version SET version = version + 1 WHERE id = 2";

/// What a change must touch to be seen on a public page (a report count,
/// for example, is not shown, so reports alone do not invalidate pages).
const OPINION_SHOWN: &[&str] = &[
    "community_id",
    "location",
    "author_id",
    "anonymous",
    "channel",
    "category",
    "title_public",
    "body_public",
    "status",
    "reject_reason",
    "merged_into",
    "supports",
    "hidden",
];
const COMMENT_SHOWN: &[&str] = &["author_id", "body_public", "status", "hidden"];

/// `OLD.a IS DISTINCT FROM NEW.a OR …` (SQLite spells it `IS NOT`).
fn changed(columns: &[&str], distinct: &str) -> String {
    columns
        .iter()
        .map(|c| format!("OLD.{c} {distinct} NEW.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// SQLite: (trigger name, event and condition). One writer at a time, so
/// the bump needs no care about lock order.
fn sqlite() -> Vec<(&'static str, String)> {
    let d = "IS NOT";
    vec![
        (
            "opinion_page_ins",
            "AFTER INSERT ON opinion WHEN NEW.status <> 'pending'".into(),
        ),
        (
            "opinion_page_upd",
            format!("AFTER UPDATE ON opinion WHEN {}", changed(OPINION_SHOWN, d)),
        ),
        ("opinion_page_del", "AFTER DELETE ON opinion".into()),
        (
            "comment_page_ins",
            "AFTER INSERT ON opinion_comment WHEN NEW.status <> 'pending'".into(),
        ),
        (
            "comment_page_upd",
            format!(
                "AFTER UPDATE ON opinion_comment WHEN {}",
                changed(COMMENT_SHOWN, d)
            ),
        ),
        ("comment_page_del", "AFTER DELETE ON opinion_comment".into()),
        ("photo_page_ins", "AFTER INSERT ON opinion_photo".into()),
        ("photo_page_upd", "AFTER UPDATE ON opinion_photo".into()),
        ("photo_page_del", "AFTER DELETE ON opinion_photo".into()),
        (
            "account_page_upd",
            "AFTER UPDATE OF display_name ON account".into(),
        ),
    ]
}

/// PostgreSQL: (trigger name, table, event, condition). Constraint triggers
/// deferred to commit: the version row is locked only for the moment of the
/// commit, never while a transaction still takes other row locks (no
/// deadlock against a bulk moderation, no import holding it for minutes).
fn postgres() -> Vec<(&'static str, &'static str, &'static str, String)> {
    let d = "IS DISTINCT FROM";
    vec![
        (
            "opinion_page_ins",
            "opinion",
            "INSERT",
            "WHEN (NEW.status <> 'pending')".into(),
        ),
        (
            "opinion_page_upd",
            "opinion",
            "UPDATE",
            format!("WHEN ({})", changed(OPINION_SHOWN, d)),
        ),
        ("opinion_page_del", "opinion", "DELETE", String::new()),
        (
            "comment_page_ins",
            "opinion_comment",
            "INSERT",
            "WHEN (NEW.status <> 'pending')".into(),
        ),
        (
            "comment_page_upd",
            "opinion_comment",
            "UPDATE",
            format!("WHEN ({})", changed(COMMENT_SHOWN, d)),
        ),
        (
            "comment_page_del",
            "opinion_comment",
            "DELETE",
            String::new(),
        ),
        (
            "photo_page_chg",
            "opinion_photo",
            "INSERT OR UPDATE OR DELETE",
            String::new(),
        ),
        (
            "account_page_upd",
            "account",
            "UPDATE",
            "WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)".into(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO ref_version (id, version) VALUES (2, 0)")
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION page_version_bump() RETURNS trigger AS $$ \
                     BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
                ))
                .await?;
                for (name, table, event, when) in postgres() {
                    db.execute_unprepared(&format!(
                        "CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} \
                         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when} \
                         EXECUTE FUNCTION page_version_bump()"
                    ))
                    .await?;
                }
            }
            _ => {
                for (name, event) in sqlite() {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} {event} BEGIN {BUMP}; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for (name, table, _, _) in postgres() {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name} ON {table}"))
                        .await?;
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS page_version_bump()")
                    .await?;
            }
            _ => {
                for (name, _) in sqlite() {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                        .await?;
                }
            }
        }
        db.execute_unprepared("DELETE FROM ref_version WHERE id = 2")
            .await?;
        Ok(())
    }
}
