//! Rate-limit windows shared by every instance on one PostgreSQL (SQLite
//! runs one process and keeps them in memory).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateLimit {
    Table,
    Bucket,
    Key,
    WindowStart,
    Hits,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimit::Table)
                    .col(string_len(RateLimit::Bucket, 32))
                    .col(string_len(RateLimit::Key, 200))
                    // Unix milliseconds: compared as numbers on every backend.
                    .col(big_integer(RateLimit::WindowStart))
                    .col(integer(RateLimit::Hits))
                    .primary_key(Index::create().col(RateLimit::Bucket).col(RateLimit::Key))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimit::Table).to_owned())
            .await
    }
}
