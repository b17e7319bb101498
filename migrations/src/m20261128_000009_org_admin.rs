//! A street office sets itself up: streets, communities and compounds get
//! an administrative code (统计用区划代码, optional) and can be retired —
//! nothing that records point to is ever deleted.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Street {
    Table,
    Code,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Community {
    Table,
    Code,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Compound {
    Table,
    Code,
    RetiredAt,
}

/// (table, code column, retired column) of each level.
fn units() -> [(DynIden, DynIden, DynIden); 3] {
    [
        (
            Street::Table.into_iden(),
            Street::Code.into_iden(),
            Street::RetiredAt.into_iden(),
        ),
        (
            Community::Table.into_iden(),
            Community::Code.into_iden(),
            Community::RetiredAt.into_iden(),
        ),
        (
            Compound::Table.into_iden(),
            Compound::Code.into_iden(),
            Compound::RetiredAt.into_iden(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, code, retired) in units() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table.clone())
                        .add_column(string_len_null(code, 32))
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(timestamp_with_time_zone_null(retired))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, code, retired) in units() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table.clone())
                        .drop_column(retired)
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(Table::alter().table(table).drop_column(code).to_owned())
                .await?;
        }
        Ok(())
    }
}
