use sea_orm::entity::prelude::*;

/// A unit of a building: its area, and whether it stands vacant (找场地).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "building_unit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub building_id: i64,
    pub name: String,
    pub area: Option<f64>,
    pub vacant: bool,
    pub rent_guide: Option<f64>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
