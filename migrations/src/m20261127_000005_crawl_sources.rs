//! Crawler sources and their incremental state; crawled opinions name their source.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CrawlSource {
    Table,
    Id,
    Name,
    Config,
    State,
    Enabled,
    LastRunAt,
    LastSummary,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Opinion {
    Table,
    SourceId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CrawlSource::Table)
                    .col(big_pk_auto(CrawlSource::Id))
                    .col(string_len_uniq(CrawlSource::Name, 64))
                    .col(text(CrawlSource::Config))
                    .col(text(CrawlSource::State))
                    .col(boolean(CrawlSource::Enabled).default(true))
                    .col(timestamp_with_time_zone_null(CrawlSource::LastRunAt))
                    .col(text_null(CrawlSource::LastSummary))
                    .col(timestamp_with_time_zone(CrawlSource::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Opinion::Table)
                    .add_column(big_integer_null(Opinion::SourceId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Opinion::Table)
                    .drop_column(Opinion::SourceId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CrawlSource::Table).to_owned())
            .await
    }
}
