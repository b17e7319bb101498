//! The open-data API filters published opinions by when they were
//! published: without an index, a period holding few of them (or none) had
//! the database walk every opinion for each page.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Opinion {
    Table,
    PublishedAt,
}

const NAME: &str = "opinion_published_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Opinion::Table)
                    .col(Opinion::PublishedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Opinion::Table).to_owned())
            .await
    }
}
