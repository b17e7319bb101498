//! One row whose number goes up whenever reference data (the organisation,
//! categories) changes, in the changing transaction: every instance keeps
//! that data in memory and reloads it when the number moved.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefVersion {
    Table,
    Id,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RefVersion::Table)
                    .col(integer(RefVersion::Id).primary_key())
                    .col(big_integer(RefVersion::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(RefVersion::Table)
                    .columns([RefVersion::Id, RefVersion::Version])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefVersion::Table).to_owned())
            .await
    }
}
