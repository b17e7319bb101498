use sea_orm::entity::prelude::*;

/// Work queued for the server's job runner, with its progress.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub target: String,
    pub owner_id: Option<i64>,
    pub params: String,
    pub state: String,
    pub done: i64,
    pub total: i64,
    pub result: Option<String>,
    pub error: Option<String>,
    pub holder: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
