//! The SLA engine's tables (migration 000014).

pub mod sla_policy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_policy")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub name: String,
        pub version: i32,
        /// `policy::Spec` as JSON.
        pub spec: String,
        pub updated_by: Option<i64>,
        pub updated_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sla_calendar_day {
    use sea_orm::entity::prelude::*;

    /// An admin's change to one day of the shipped calendar.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_calendar_day")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        /// `holiday`, `workday`, or `normal` (the weekend rule).
        pub kind: String,
        pub name: String,
        pub updated_by: Option<i64>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sla_case {
    use sea_orm::entity::prelude::*;

    /// A piece of work with deadlines. Everything from `stage` to
    /// `next_at` is derived from the case's events (`policy::derive`) and
    /// rewritten with each event; `spec` is the policy as it was when the
    /// case opened.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_case")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub subject: String,
        pub title: String,
        pub link: String,
        pub community_id: Option<i64>,
        pub policy_key: String,
        pub policy_version: i32,
        pub spec: String,
        pub stage: String,
        pub stage_seq: i64,
        pub state: String,
        pub assignee_id: Option<i64>,
        pub level: i32,
        pub overdue: bool,
        pub due_at: Option<DateTimeUtc>,
        pub next_at: Option<DateTimeUtc>,
        pub opened_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sla_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub kind: String,
        pub stage: Option<String>,
        pub level: Option<i32>,
        pub actor_id: Option<i64>,
        pub assignee_id: Option<i64>,
        pub due_at: Option<DateTimeUtc>,
        pub note: Option<String>,
        pub dedupe: Option<String>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
