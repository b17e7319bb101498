//! Accounts, scoped role grants, sessions and one-time login codes.
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
    Phone,
    DisplayName,
    PasswordHash,
    CommunityId,
    Disabled,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum RoleGrant {
    Table,
    Id,
    AccountId,
    Role,
    ScopeKind,
    ScopeId,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    AccountId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginCode {
    Table,
    Id,
    Phone,
    CodeHash,
    Attempts,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(big_pk_auto(Account::Id))
                    .col(string_len_uniq(Account::Phone, 20))
                    .col(string_len(Account::DisplayName, 64))
                    .col(string_len_null(Account::PasswordHash, 200))
                    .col(big_integer_null(Account::CommunityId))
                    .col(boolean(Account::Disabled).default(false))
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .col(timestamp_with_time_zone_null(Account::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_community")
                            .from(Account::Table, Account::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleGrant::Table)
                    .col(big_pk_auto(RoleGrant::Id))
                    .col(big_integer(RoleGrant::AccountId))
                    .col(string_len(RoleGrant::Role, 32))
                    .col(string_len(RoleGrant::ScopeKind, 16))
                    .col(big_integer(RoleGrant::ScopeId).default(0))
                    .col(big_integer_null(RoleGrant::GrantedBy))
                    .col(timestamp_with_time_zone(RoleGrant::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grant_account")
                            .from(RoleGrant::Table, RoleGrant::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_role_grant")
                    .table(RoleGrant::Table)
                    .col(RoleGrant::AccountId)
                    .col(RoleGrant::Role)
                    .col(RoleGrant::ScopeKind)
                    .col(RoleGrant::ScopeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    .col(string_len(Session::Id, 64).primary_key())
                    .col(big_integer(Session::AccountId))
                    .col(timestamp_with_time_zone(Session::CreatedAt))
                    .col(timestamp_with_time_zone(Session::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_account")
                            .from(Session::Table, Session::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_session_account")
                    .table(Session::Table)
                    .col(Session::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginCode::Table)
                    .col(big_pk_auto(LoginCode::Id))
                    .col(string_len(LoginCode::Phone, 20))
                    .col(string_len(LoginCode::CodeHash, 64))
                    .col(integer(LoginCode::Attempts).default(0))
                    .col(timestamp_with_time_zone(LoginCode::CreatedAt))
                    .col(timestamp_with_time_zone(LoginCode::ExpiresAt))
                    .col(timestamp_with_time_zone_null(LoginCode::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_login_code_phone")
                    .table(LoginCode::Table)
                    .col(LoginCode::Phone)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LoginCode::Table.into_iden(),
            Session::Table.into_iden(),
            RoleGrant::Table.into_iden(),
            Account::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
