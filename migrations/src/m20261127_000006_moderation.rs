//! Comments on opinions (moderated like opinions), their abuse reports,
//! photos on opinions, the moderation log, and configurable categories.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Opinion {
    Table,
    Id,
    Category,
    Channel,
    Status,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OpinionComment {
    Table,
    Id,
    OpinionId,
    AuthorId,
    Body,
    BodyPublic,
    Status,
    RejectReason,
    Reports,
    Hidden,
    IdempotencyKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommentReport {
    Table,
    CommentId,
    AccountId,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpinionPhoto {
    Table,
    Id,
    OpinionId,
    FileName,
    ContentType,
    Size,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ModerationLog {
    Table,
    Id,
    CommunityId,
    ActorId,
    TargetKind,
    TargetId,
    Action,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Category {
    Table,
    Code,
    NameZh,
    NameEn,
    Sort,
    Active,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The public list filters by category or channel and pages by id:
        // without these, a rare category scans every published opinion.
        for (name, col) in [
            ("ix_opinion_category_status_id", Opinion::Category),
            ("ix_opinion_channel_status_id", Opinion::Channel),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Opinion::Table)
                        .col(col)
                        .col(Opinion::Status)
                        .col(Opinion::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OpinionComment::Table)
                    .col(big_pk_auto(OpinionComment::Id))
                    .col(big_integer(OpinionComment::OpinionId))
                    .col(big_integer_null(OpinionComment::AuthorId))
                    .col(text(OpinionComment::Body))
                    .col(text(OpinionComment::BodyPublic))
                    .col(string_len(OpinionComment::Status, 16))
                    .col(text_null(OpinionComment::RejectReason))
                    .col(integer(OpinionComment::Reports).default(0))
                    .col(boolean(OpinionComment::Hidden).default(false))
                    .col(string_len_null(OpinionComment::IdempotencyKey, 96).unique_key())
                    .col(timestamp_with_time_zone(OpinionComment::CreatedAt))
                    .col(timestamp_with_time_zone(OpinionComment::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_comment_opinion")
                            .from(OpinionComment::Table, OpinionComment::OpinionId)
                            .to(Opinion::Table, Opinion::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_comment_author")
                            .from(OpinionComment::Table, OpinionComment::AuthorId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_comment_opinion_status_id")
                    .table(OpinionComment::Table)
                    .col(OpinionComment::OpinionId)
                    .col(OpinionComment::Status)
                    .col(OpinionComment::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_comment_status_id")
                    .table(OpinionComment::Table)
                    .col(OpinionComment::Status)
                    .col(OpinionComment::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommentReport::Table)
                    .col(big_integer(CommentReport::CommentId))
                    .col(big_integer(CommentReport::AccountId))
                    .col(string_len(CommentReport::Reason, 200))
                    .col(timestamp_with_time_zone(CommentReport::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CommentReport::CommentId)
                            .col(CommentReport::AccountId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_comment_report_comment")
                            .from(CommentReport::Table, CommentReport::CommentId)
                            .to(OpinionComment::Table, OpinionComment::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpinionPhoto::Table)
                    .col(big_pk_auto(OpinionPhoto::Id))
                    .col(big_integer(OpinionPhoto::OpinionId))
                    .col(string_len(OpinionPhoto::FileName, 96))
                    .col(string_len(OpinionPhoto::ContentType, 32))
                    .col(big_integer(OpinionPhoto::Size))
                    .col(timestamp_with_time_zone(OpinionPhoto::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_photo_opinion")
                            .from(OpinionPhoto::Table, OpinionPhoto::OpinionId)
                            .to(Opinion::Table, Opinion::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_photo_opinion")
                    .table(OpinionPhoto::Table)
                    .col(OpinionPhoto::OpinionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModerationLog::Table)
                    .col(big_pk_auto(ModerationLog::Id))
                    .col(big_integer(ModerationLog::CommunityId))
                    .col(big_integer_null(ModerationLog::ActorId))
                    .col(string_len(ModerationLog::TargetKind, 16))
                    .col(big_integer(ModerationLog::TargetId))
                    .col(string_len(ModerationLog::Action, 16))
                    .col(text_null(ModerationLog::Detail))
                    .col(timestamp_with_time_zone(ModerationLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_moderation_log_community_id")
                    .table(ModerationLog::Table)
                    .col(ModerationLog::CommunityId)
                    .col(ModerationLog::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Category::Table)
                    .col(string_len(Category::Code, 32).primary_key())
                    .col(string_len(Category::NameZh, 32))
                    .col(string_len(Category::NameEn, 64))
                    .col(integer(Category::Sort).default(0))
                    .col(boolean(Category::Active).default(true))
                    .to_owned(),
            )
            .await?;
        // The four categories of the 红茶议事会 intake form.
        let mut insert = Query::insert();
        insert.into_table(Category::Table).columns([
            Category::Code,
            Category::NameZh,
            Category::NameEn,
            Category::Sort,
            Category::Active,
        ]);
        for (i, (code, zh, en)) in [
            ("public_service", "公共服务", "Public services"),
            ("public_management", "公共管理", "Public management"),
            ("public_safety", "公共安全", "Public safety"),
            ("other", "其他", "Other"),
        ]
        .into_iter()
        .enumerate()
        {
            insert.values_panic([
                code.into(),
                zh.into(),
                en.into(),
                ((i as i32 + 1) * 10).into(),
                true.into(),
            ]);
        }
        manager.exec_stmt(insert.to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "ix_opinion_category_status_id",
            "ix_opinion_channel_status_id",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Opinion::Table).to_owned())
                .await?;
        }
        for t in [
            Category::Table.into_iden(),
            ModerationLog::Table.into_iden(),
            OpinionPhoto::Table.into_iden(),
            CommentReport::Table.into_iden(),
            OpinionComment::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
