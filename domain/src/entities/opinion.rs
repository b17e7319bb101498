use sea_orm::entity::prelude::*;

/// An opinion. `title`/`body` are the originals (staff only); the `_public`
/// columns hold the same text with personal data masked.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opinion")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub location: Option<String>,
    pub author_id: Option<i64>,
    pub anonymous: bool,
    pub channel: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub title_public: String,
    pub body_public: String,
    pub status: String,
    pub reject_reason: Option<String>,
    pub merged_into: Option<i64>,
    pub idempotency_key: Option<String>,
    pub supports: i32,
    pub reports: i32,
    pub hidden: bool,
    pub source_url: Option<String>,
    pub source_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    /// TF-IDF keywords of the public text, JSON `[[term, weight], …]`;
    /// empty until the opinion is published (see `agenda`).
    pub keywords: String,
    /// SimHash of the text: copies have near fingerprints.
    pub fingerprint: i64,
    /// Who stands behind it, for counting distinct residents: `a:<account>`,
    /// `p:<keyed hash of a phone number>` (hotline imports), or none.
    pub resident_key: Option<String>,
    /// When the original was received, if before it reached Hongcha
    /// (a hotline work order's 来电时间).
    pub received_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AuthorId",
        to = "super::account::Column::Id"
    )]
    Author,
}

impl ActiveModelBehavior for ActiveModel {}
