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

/// SQLite: (trigger name, event and condition).
const SQLITE: &[(&str, &str)] = &[
    (
        "opinion_page_ins",
        "AFTER INSERT ON opinion WHEN NEW.status <> 'pending'",
    ),
    ("opinion_page_upd", "AFTER UPDATE ON opinion"),
    ("opinion_page_del", "AFTER DELETE ON opinion"),
    (
        "comment_page_ins",
        "AFTER INSERT ON opinion_comment WHEN NEW.status <> 'pending'",
    ),
    ("comment_page_upd", "AFTER UPDATE ON opinion_comment"),
    ("comment_page_del", "AFTER DELETE ON opinion_comment"),
    ("photo_page_ins", "AFTER INSERT ON opinion_photo"),
    ("photo_page_upd", "AFTER UPDATE ON opinion_photo"),
    ("photo_page_del", "AFTER DELETE ON opinion_photo"),
    (
        "account_page_upd",
        "AFTER UPDATE OF display_name ON account",
    ),
];

/// PostgreSQL: (trigger name, table, event, condition).
const POSTGRES: &[(&str, &str, &str, &str)] = &[
    (
        "opinion_page_ins",
        "opinion",
        "INSERT",
        "WHEN (NEW.status <> 'pending')",
    ),
    ("opinion_page_chg", "opinion", "UPDATE OR DELETE", ""),
    (
        "comment_page_ins",
        "opinion_comment",
        "INSERT",
        "WHEN (NEW.status <> 'pending')",
    ),
    (
        "comment_page_chg",
        "opinion_comment",
        "UPDATE OR DELETE",
        "",
    ),
    (
        "photo_page_chg",
        "opinion_photo",
        "INSERT OR UPDATE OR DELETE",
        "",
    ),
    ("account_page_upd", "account", "UPDATE OF display_name", ""),
];

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
                for (name, table, event, when) in POSTGRES {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when} \
                         EXECUTE FUNCTION page_version_bump()"
                    ))
                    .await?;
                }
            }
            _ => {
                for (name, event) in SQLITE {
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
                for (name, table, _, _) in POSTGRES {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name} ON {table}"))
                        .await?;
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS page_version_bump()")
                    .await?;
            }
            _ => {
                for (name, _) in SQLITE {
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
