//! 街道 → 社区 → 小区: street → community → compound.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Street {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Community {
    Table,
    Id,
    StreetId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Compound {
    Table,
    Id,
    CommunityId,
    Name,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Street::Table)
                    .col(big_pk_auto(Street::Id))
                    .col(string_len_uniq(Street::Name, 64))
                    .col(timestamp_with_time_zone(Street::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Community::Table)
                    .col(big_pk_auto(Community::Id))
                    .col(big_integer(Community::StreetId))
                    .col(string_len(Community::Name, 64))
                    .col(timestamp_with_time_zone(Community::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_community_street")
                            .from(Community::Table, Community::StreetId)
                            .to(Street::Table, Street::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_community_street_name")
                    .table(Community::Table)
                    .col(Community::StreetId)
                    .col(Community::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Compound::Table)
                    .col(big_pk_auto(Compound::Id))
                    .col(big_integer(Compound::CommunityId))
                    .col(string_len(Compound::Name, 64))
                    .col(timestamp_with_time_zone(Compound::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_compound_community")
                            .from(Compound::Table, Compound::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_compound_community_name")
                    .table(Compound::Table)
                    .col(Compound::CommunityId)
                    .col(Compound::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Compound::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Community::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Street::Table).to_owned())
            .await
    }
}
