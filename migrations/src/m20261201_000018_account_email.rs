//! Residents choose how notices reach them: in the app always, by SMS
//! (migration 14), and now by e-mail to an address they give and confirm
//! (a link sent to it; only the link's SHA-256 is kept, with when it was
//! sent). Until confirmed the address waits in `email_pending`.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Account {
    Table,
    Email,
    NotifyEmail,
    EmailPending,
    EmailToken,
    EmailTokenAt,
}

fn columns() -> [(Account, ColumnDef); 5] {
    use Account::*;
    [
        (Email, string_len_null(Email, 254)),
        (NotifyEmail, boolean(NotifyEmail).default(false).to_owned()),
        (EmailPending, string_len_null(EmailPending, 254)),
        (EmailToken, string_len_null(EmailToken, 64)),
        (EmailTokenAt, timestamp_with_time_zone_null(EmailTokenAt)),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for (_, mut column) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Account::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Account::Table)
                        .drop_column(name)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
