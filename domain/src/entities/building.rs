use sea_orm::entity::prelude::*;

/// A building 楼宇 of a community: offices and shops let to enterprises.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "building")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    /// The street's own number for it (files name buildings by it).
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    /// Square metres.
    pub floor_area: Option<f64>,
    pub owner: Option<String>,
    pub property_company: Option<String>,
    /// 元 per square metre and day.
    pub rent_guide: Option<f64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
