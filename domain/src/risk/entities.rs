//! The risk module's tables (migration 000019).

pub mod risk_department {
    use sea_orm::entity::prelude::*;

    /// A department that owns risk points (职能部门).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_department")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_department_member {
    use sea_orm::entity::prelude::*;

    /// An account working for a department: it sees that department's risk points' cases.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_department_member")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub department_key: String,
        pub account_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_module {
    use sea_orm::entity::prelude::*;

    /// A risk module (风险模块: 消防安全, 燃气安全 …).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_module")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub name: String,
        pub sort: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_point {
    use sea_orm::entity::prelude::*;

    /// A risk point (小切口) of a module, owned by a department.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_point")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub module_key: String,
        pub name: String,
        pub department_key: Option<String>,
        pub signal_terms: Option<String>,
        pub updated_by: Option<i64>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_subject {
    use sea_orm::entity::prelude::*;

    /// What readings are about: a compound, building, enterprise, place, or a person as a salted hash.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_subject")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub code: String,
        pub kind: String,
        pub name: String,
        pub community_id: Option<i64>,
        pub compound_id: Option<i64>,
        pub industry: Option<String>,
        pub contact_phone: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_source {
    use sea_orm::entity::prelude::*;

    /// An outside system that sends readings (or the voice gateway's answers), with its API token's SHA-256.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_source")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub kind: String,
        pub token_hash: String,
        pub enabled: bool,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
        pub last_seen_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_reading {
    use sea_orm::entity::prelude::*;

    /// One indicator reading, once per source and reading id.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_reading")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub source_id: i64,
        pub reading_key: String,
        pub subject_id: i64,
        pub indicator: String,
        pub value: f64,
        pub at: DateTimeUtc,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_model {
    use sea_orm::entity::prelude::*;

    /// One version of a warning model (`model::Spec` as written).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_model")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub key: String,
        pub version: i32,
        pub point_key: String,
        pub name: String,
        pub mode: String,
        pub spec: String,
        pub updated_by: Option<i64>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_warning {
    use sea_orm::entity::prelude::*;

    /// A warning: one open per model and subject (`open_key`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_warning")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub model_id: i64,
        pub model_key: String,
        pub point_key: String,
        pub subject_id: i64,
        pub community_id: Option<i64>,
        pub compound_id: Option<i64>,
        pub severity: String,
        pub state: String,
        pub open_key: Option<String>,
        pub why: String,
        pub opened_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
        pub closed_how: Option<String>,
        pub case_id: Option<i64>,
        pub auto_step: Option<String>,
        pub next_step_at: Option<DateTimeUtc>,
        pub answer: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_step {
    use sea_orm::entity::prelude::*;

    /// One step of a warning's disposal, machine's or a person's.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_step")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub warning_id: i64,
        pub kind: String,
        pub note: Option<String>,
        pub actor_id: Option<i64>,
        pub at: DateTimeUtc,
        /// A photo's file (`crate::photos`), on a `photo` step.
        pub photo: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod risk_boundary {
    use sea_orm::entity::prelude::*;

    /// A community's or compound's outline for the overview map.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "risk_boundary")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub unit_kind: String,
        pub unit_id: i64,
        /// `[[lon, lat], …]` as JSON.
        pub ring: String,
        pub updated_by: Option<i64>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
