//! Hardening: outbox messages that hold a secret (login and registration
//! codes) are marked so their text is dropped once delivered; an account
//! records when its phone number was verified by SMS code; PostgreSQL
//! refuses `TRUNCATE` of the audit log (row triggers do not see it).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Sensitive,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    PhoneVerifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(boolean(Outbox::Sensitive).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Account::Table)
                    .add_column(timestamp_with_time_zone_null(Account::PhoneVerifiedAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            // A salted code hash is `salt$sha256` (97 characters). SQLite
            // does not enforce lengths.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE login_code ALTER COLUMN code_hash TYPE varchar(128)",
                )
                .await?;
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
                     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Account::Table)
                    .drop_column(Account::PhoneVerifiedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::Sensitive)
                    .to_owned(),
            )
            .await
    }
}
