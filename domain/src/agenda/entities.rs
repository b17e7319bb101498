//! The agenda module's tables (migration 000013).

pub mod topic {
    use sea_orm::entity::prelude::*;

    /// A matter residents raise: opinions grouped by `nlp::topics`, with
    /// heat. Status: `open` (ranked, may be suggested), `accepted` (on the
    /// agenda: 议题), `rejected` (with a public reason), `merged` (into
    /// `merged_into`).
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "topic")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// A staff-written title (accepted topics); else the label is shown.
        pub title: Option<String>,
        pub summary: Option<String>,
        /// The strongest keywords, joined with "·".
        pub label: String,
        /// Centroid terms, JSON `[[term, weight], …]`.
        pub keywords: String,
        pub status: String,
        pub reject_reason: Option<String>,
        pub merged_into: Option<i64>,
        pub heat: f64,
        /// `nlp::heat::Heat` as JSON.
        pub breakdown: String,
        pub residents: i32,
        pub posts: i32,
        /// New residents per week, oldest first, JSON.
        pub trend: String,
        pub first_at: DateTimeUtc,
        pub last_at: DateTimeUtc,
        pub decided_by: Option<i64>,
        pub decided_at: Option<DateTimeUtc>,
        /// The resident pre-vote: `open`, `closed`, or none.
        pub prevote: Option<String>,
        /// What staff assessed: the pre-vote's results when the topic was
        /// decided, as JSON.
        pub assessment: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod topic_member {
    use sea_orm::entity::prelude::*;

    /// An opinion in a topic (at most one). `copy_of`: the opinion it is a
    /// near-identical copy of (one voice). `pinned`: placed by staff (merge
    /// or split), so recomputation leaves it where it is.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "topic_member")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub opinion_id: i64,
        pub topic_id: i64,
        pub copy_of: Option<i64>,
        pub pinned: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod topic_community {
    use sea_orm::entity::prelude::*;

    /// A topic's heat counted over one community's opinions.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "topic_community")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub topic_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub community_id: i64,
        pub heat: f64,
        pub residents: i32,
        pub posts: i32,
        /// `nlp::heat::Heat` over this community's opinions, as JSON.
        pub breakdown: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::topic::Entity",
            from = "Column::TopicId",
            to = "super::topic::Column::Id"
        )]
        Topic,
    }

    impl Related<super::topic::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Topic.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod nlp_term {
    use sea_orm::entity::prelude::*;

    /// A lexicon entry an admin added (`kind`: word, synonym, stop).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "nlp_term")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub term: String,
        pub canonical: Option<String>,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agenda_item {
    use sea_orm::entity::prelude::*;

    /// 议题: an accepted topic on the council agenda, for meetings to take
    /// up. `status`: `proposed` until a meeting schedules it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agenda_item")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub topic_id: i64,
        pub title: String,
        pub summary: String,
        pub status: String,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod prevote_statement {
    use sea_orm::entity::prelude::*;

    /// A short statement residents answer in a pre-vote (综合评估).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "prevote_statement")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub topic_id: i64,
        pub text: String,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod prevote_vote {
    use sea_orm::entity::prelude::*;

    /// One resident's answer to one statement: agree, disagree or pass.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "prevote_vote")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub statement_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: i64,
        pub choice: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod nlp_idf {
    use sea_orm::entity::prelude::*;

    /// An IDF value refreshed from the community's own corpus, replacing
    /// the shipped one for this term.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "nlp_idf")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub term: String,
        pub idf: f64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod loop_notice {
    use sea_orm::entity::prelude::*;

    /// An author told of one step of a topic's way (migration 000014).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "loop_notice")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub topic_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub step: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
