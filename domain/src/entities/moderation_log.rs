use sea_orm::entity::prelude::*;

/// One moderation decision, kept per community for the staff's log. The
/// same decision is also in the hash-chained audit log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub actor_id: Option<i64>,
    /// `opinion` or `comment`.
    pub target_kind: String,
    pub target_id: i64,
    /// `approve`, `reject` or `merge`.
    pub action: String,
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
