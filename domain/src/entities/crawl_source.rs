use sea_orm::entity::prelude::*;

/// A configured public source. `config` is the crawler's `Source` as JSON;
/// `state` its `CrawlState` (validators, content hashes) as JSON.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crawl_source")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub config: String,
    pub state: String,
    pub enabled: bool,
    pub last_run_at: Option<DateTimeUtc>,
    pub last_summary: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
