//! The plans module's tables (migration 000014).

pub mod plan {
    use sea_orm::entity::prelude::*;

    /// 共治方案. Status: `active` (tasks under way), `rating` (every task
    /// done; residents rate), `closed`. A low rating reopens it: `active`
    /// again, `round` + 1, with `reopen_note`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub community_id: i64,
        pub meeting_id: Option<i64>,
        pub agenda_item_id: Option<i64>,
        pub title: String,
        pub summary: String,
        pub status: String,
        pub round: i32,
        pub reopen_note: Option<String>,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub rating_from: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan_task {
    use sea_orm::entity::prelude::*;

    /// A task of a plan, with its SLA case (`case_id`, policy `plan_task`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_task")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_id: i64,
        pub title: String,
        pub party_kind: String,
        pub party_name: String,
        pub assignee_id: Option<i64>,
        pub deadline: DateTimeUtc,
        pub status: String,
        pub progress: i32,
        pub case_id: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub done_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan_update {
    use sea_orm::entity::prelude::*;

    /// One line of a plan's public timeline.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_update")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_id: i64,
        pub task_id: Option<i64>,
        pub kind: String,
        pub body: String,
        pub progress: Option<i32>,
        pub photo: Option<String>,
        pub actor_id: Option<i64>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan_rating {
    use sea_orm::entity::prelude::*;

    /// A resident's rating of a plan's outcome, once per round.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_rating")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub plan_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub round: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: i64,
        pub score: i32,
        pub comment: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
