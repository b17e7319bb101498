//! The enterprise service's tables (migration 21).

pub mod enterprise {
    use sea_orm::entity::prelude::*;

    /// 一企一档: one enterprise, by its unified social credit code.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "enterprise")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub credit_code: String,
        /// `valid`, or `flagged` (the code fails its check: for review).
        pub code_state: String,
        pub code_problem: Option<String>,
        pub name: String,
        pub legal_rep: Option<String>,
        pub industry_code: Option<String>,
        /// 万元
        pub registered_capital: Option<f64>,
        pub employees: Option<i32>,
        /// 万元 a year
        pub annual_tax: Option<f64>,
        pub building_id: Option<i64>,
        pub unit: Option<String>,
        pub lease_start: Option<Date>,
        pub lease_end: Option<Date>,
        pub leased_area: Option<f64>,
        pub contact_name: Option<String>,
        pub contact_phone: Option<String>,
        pub founded_on: Option<Date>,
        pub grade: Option<String>,
        pub status: String,
        pub moved_out_on: Option<Date>,
        pub review_state: String,
        pub reviewed_by: Option<i64>,
        pub reviewed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_tag")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub enterprise_id: i64,
        pub tag: String,
        /// `rule` (recomputed when data changes) or `manual`.
        pub source: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_member {
    use sea_orm::entity::prelude::*;

    /// An account that acts for an enterprise.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_member")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account_id: i64,
        pub enterprise_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_policy {
    use sea_orm::entity::prelude::*;

    /// 惠企政策 with its criteria as data; `version` grows when they change.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_policy")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub summary: String,
        pub criteria: String,
        pub version: i32,
        pub deadline: Option<Date>,
        pub active: bool,
        pub updated_by: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_push {
    use sea_orm::entity::prelude::*;

    /// A policy version pushed to an enterprise (once).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_push")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub enterprise_id: i64,
        pub policy_id: i64,
        pub version: i32,
        pub at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_lease_alert {
    use sea_orm::entity::prelude::*;

    /// 红黄蓝预警: a lease ending soon, one row per (enterprise, lease end).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_lease_alert")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub enterprise_id: i64,
        pub building_id: Option<i64>,
        pub lease_end: Option<Date>,
        pub level: String,
        pub first_on: Option<Date>,
        pub level_on: Option<Date>,
        pub ack_by: Option<i64>,
        pub ack_at: Option<DateTimeUtc>,
        pub outcome: Option<String>,
        pub outcome_note: Option<String>,
        pub outcome_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_visit {
    use sea_orm::entity::prelude::*;

    /// 走楼访企: a visit and what is to follow.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_visit")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub enterprise_id: i64,
        pub staff_id: i64,
        pub visited_on: Option<Date>,
        pub note: String,
        pub follow_up: Option<String>,
        pub follow_up_done: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_attachment {
    use sea_orm::entity::prelude::*;

    /// 诉求附件: a photo or PDF on a request.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_attachment")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub request_id: i64,
        pub account_id: i64,
        /// `photo` or `pdf`.
        pub kind: String,
        /// Its name under the data directory.
        pub file: String,
        /// The name it was sent with (masked).
        pub name: String,
        pub size: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_request {
    use sea_orm::entity::prelude::*;

    /// 企业诉求: a case on the SLA engine.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_request")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub enterprise_id: i64,
        pub account_id: i64,
        pub kind: String,
        pub title: String,
        pub description: String,
        pub department: String,
        pub case_id: Option<i64>,
        pub state: String,
        pub answer: Option<String>,
        pub answered_by: Option<i64>,
        pub answered_at: Option<DateTimeUtc>,
        pub rating: Option<i32>,
        pub rating_note: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ent_provider {
    use sea_orm::entity::prelude::*;

    /// 找服务 / 找资金: a bank, investor, firm or funding programme.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ent_provider")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub name: String,
        pub services: String,
        pub contact: Option<String>,
        pub url: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
