//! Work the server's job runner does on request (a web import, a crawl run
//! an admin asked for), with its progress — in the database, so it survives
//! a restart and reads the same from any instance.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobRun {
    Table,
    Id,
    Kind,
    Target,
    OwnerId,
    Params,
    State,
    Done,
    Total,
    Result,
    Error,
    Holder,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobRun::Table)
                    .col(big_pk_auto(JobRun::Id))
                    .col(string_len(JobRun::Kind, 16))
                    .col(string_len(JobRun::Target, 200))
                    .col(big_integer_null(JobRun::OwnerId))
                    .col(text(JobRun::Params))
                    .col(string_len(JobRun::State, 16))
                    .col(big_integer(JobRun::Done).default(0))
                    .col(big_integer(JobRun::Total).default(0))
                    .col(text_null(JobRun::Result))
                    .col(string_len_null(JobRun::Error, 100))
                    .col(string_len_null(JobRun::Holder, 64))
                    .col(timestamp_with_time_zone(JobRun::CreatedAt))
                    .col(timestamp_with_time_zone(JobRun::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_run_target")
                    .table(JobRun::Table)
                    .col(JobRun::Kind)
                    .col(JobRun::Target)
                    .to_owned(),
            )
            .await?;
        // One queued or running run per target, even with two instances
        // asking at once (SQLite and PostgreSQL both have partial indexes).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_job_run_active ON job_run (kind, target) \
                 WHERE state IN ('queued', 'running')",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_run_state")
                    .table(JobRun::Table)
                    .col(JobRun::State)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobRun::Table).to_owned())
            .await
    }
}
