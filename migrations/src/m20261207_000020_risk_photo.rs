//! A photo on a risk case's step (到达现场 with a photo of the scene): the
//! file's name under the data directory, cleaned and re-encoded like every
//! photo Hongcha keeps.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RiskStep {
    Table,
    Photo,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RiskStep::Table)
                    .add_column(string_len_null(RiskStep::Photo, 80))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RiskStep::Table)
                    .drop_column(RiskStep::Photo)
                    .to_owned(),
            )
            .await
    }
}
