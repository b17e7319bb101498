use sea_orm::entity::prelude::*;

/// A comment on an opinion. `body` is the original (staff only);
/// `body_public` has personal data masked. Moderated like opinions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opinion_comment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub opinion_id: i64,
    pub author_id: Option<i64>,
    pub body: String,
    pub body_public: String,
    pub status: String,
    pub reject_reason: Option<String>,
    pub reports: i32,
    pub hidden: bool,
    pub idempotency_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
