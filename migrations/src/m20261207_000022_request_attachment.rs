//! 诉求附件: files on an enterprise's request — photos (cleaned and
//! re-encoded like every photo Hongcha keeps) and PDF documents (checked by
//! their bytes, kept as sent, only ever downloaded). The file's name under
//! the data directory, the name it was sent with (masked), its size.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EntAttachment {
    Table,
    Id,
    RequestId,
    AccountId,
    // photo | pdf
    Kind,
    File,
    Name,
    Size,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EntAttachment::Table)
                    .col(big_pk_auto(EntAttachment::Id))
                    .col(big_integer(EntAttachment::RequestId))
                    .col(big_integer(EntAttachment::AccountId))
                    .col(string_len(EntAttachment::Kind, 8))
                    .col(string_len(EntAttachment::File, 80))
                    .col(string_len(EntAttachment::Name, 100))
                    .col(big_integer(EntAttachment::Size))
                    .col(timestamp_with_time_zone(EntAttachment::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ent_attachment_request")
                    .table(EntAttachment::Table)
                    .col(EntAttachment::RequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EntAttachment::Table).to_owned())
            .await
    }
}
