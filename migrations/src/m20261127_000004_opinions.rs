//! 民意 opinions, with supports and abuse reports.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Community {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Opinion {
    Table,
    Id,
    CommunityId,
    Location,
    AuthorId,
    Anonymous,
    Channel,
    Category,
    Title,
    Body,
    TitlePublic,
    BodyPublic,
    Status,
    RejectReason,
    MergedInto,
    IdempotencyKey,
    Supports,
    Reports,
    Hidden,
    SourceUrl,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum OpinionSupport {
    Table,
    OpinionId,
    AccountId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpinionReport {
    Table,
    OpinionId,
    AccountId,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Opinion::Table)
                    .col(big_pk_auto(Opinion::Id))
                    .col(big_integer(Opinion::CommunityId))
                    .col(string_len_null(Opinion::Location, 64))
                    .col(big_integer_null(Opinion::AuthorId))
                    .col(boolean(Opinion::Anonymous).default(false))
                    .col(string_len(Opinion::Channel, 16))
                    .col(string_len(Opinion::Category, 32))
                    .col(string_len(Opinion::Title, 200))
                    .col(text(Opinion::Body))
                    .col(string_len(Opinion::TitlePublic, 400))
                    .col(text(Opinion::BodyPublic))
                    .col(string_len(Opinion::Status, 16))
                    .col(text_null(Opinion::RejectReason))
                    .col(big_integer_null(Opinion::MergedInto))
                    .col(string_len_null(Opinion::IdempotencyKey, 64).unique_key())
                    .col(integer(Opinion::Supports).default(0))
                    .col(integer(Opinion::Reports).default(0))
                    .col(boolean(Opinion::Hidden).default(false))
                    .col(text_null(Opinion::SourceUrl))
                    .col(timestamp_with_time_zone(Opinion::CreatedAt))
                    .col(timestamp_with_time_zone(Opinion::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Opinion::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opinion_community")
                            .from(Opinion::Table, Opinion::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opinion_author")
                            .from(Opinion::Table, Opinion::AuthorId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_opinion_status_id", vec![Opinion::Status, Opinion::Id]),
            (
                "ix_opinion_community_status_id",
                vec![Opinion::CommunityId, Opinion::Status, Opinion::Id],
            ),
            ("ix_opinion_author", vec![Opinion::AuthorId, Opinion::Id]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Opinion::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OpinionSupport::Table)
                    .col(big_integer(OpinionSupport::OpinionId))
                    .col(big_integer(OpinionSupport::AccountId))
                    .col(timestamp_with_time_zone(OpinionSupport::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(OpinionSupport::OpinionId)
                            .col(OpinionSupport::AccountId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_support_opinion")
                            .from(OpinionSupport::Table, OpinionSupport::OpinionId)
                            .to(Opinion::Table, Opinion::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpinionReport::Table)
                    .col(big_integer(OpinionReport::OpinionId))
                    .col(big_integer(OpinionReport::AccountId))
                    .col(string_len(OpinionReport::Reason, 200))
                    .col(timestamp_with_time_zone(OpinionReport::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(OpinionReport::OpinionId)
                            .col(OpinionReport::AccountId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_opinion")
                            .from(OpinionReport::Table, OpinionReport::OpinionId)
                            .to(Opinion::Table, Opinion::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            OpinionReport::Table.into_iden(),
            OpinionSupport::Table.into_iden(),
            Opinion::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
