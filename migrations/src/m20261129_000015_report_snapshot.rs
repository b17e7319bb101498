//! Monthly report snapshots: a month's figures as they stood when the
//! month was over, so a past report does not change when a record is
//! corrected later (the report lists such corrections beside it).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportSnapshot {
    Table,
    Id,
    /// `2026-10`
    Month,
    /// The community, or 0 for the whole street.
    Scope,
    /// `domain::reports::Report` as JSON.
    Report,
    TakenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportSnapshot::Table)
                    .col(big_pk_auto(ReportSnapshot::Id))
                    .col(string_len(ReportSnapshot::Month, 7))
                    .col(big_integer(ReportSnapshot::Scope))
                    .col(text(ReportSnapshot::Report))
                    .col(timestamp_with_time_zone(ReportSnapshot::TakenAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("report_snapshot_once")
                    .table(ReportSnapshot::Table)
                    .col(ReportSnapshot::Month)
                    .col(ReportSnapshot::Scope)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportSnapshot::Table).to_owned())
            .await
    }
}
