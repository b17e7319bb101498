//! The meetings module's tables (migration 000014).

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod meeting {
    use sea_orm::entity::prelude::*;

    /// 红茶议事会. Status: `draft` → `scheduled` → `live` → `closed`
    /// (or `cancelled` before it goes live). `live_seq` rises with every
    /// change the live room shows.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub community_id: i64,
        pub title: String,
        pub summary: String,
        pub mode: String,
        pub venue: String,
        pub starts_at: DateTimeUtc,
        pub minutes_long: i32,
        pub video_url: Option<String>,
        pub status: String,
        pub checkin_code: String,
        pub quorum: i32,
        pub majority_pct: i32,
        pub minutes: String,
        pub current_item_id: Option<i64>,
        pub live_seq: i64,
        pub outcome_use: Option<String>,
        pub outcome_by: Option<i64>,
        pub outcome_at: Option<DateTimeUtc>,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub closed_by: Option<i64>,
        pub closed_at: Option<DateTimeUtc>,
    }

    no_relations!();
}

pub mod meeting_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_item")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub meeting_id: i64,
        pub agenda_item_id: i64,
        pub position: i32,
        pub resolution: Option<String>,
    }

    no_relations!();
}

pub mod meeting_participant {
    use sea_orm::entity::prelude::*;

    /// An invitee: a resident's account, or a party by name and phone.
    /// Joins with a personal link (`token_hash`: SHA-256 of its token).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_participant")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub meeting_id: i64,
        pub account_id: Option<i64>,
        pub name: String,
        pub party: String,
        pub phone: Option<String>,
        pub token_hash: String,
        pub rsvp: String,
        pub attend: Option<String>,
        pub checked_in_at: Option<DateTimeUtc>,
        pub invited_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod meeting_motion {
    use sea_orm::entity::prelude::*;

    /// A poll or motion put to the meeting. `options`: JSON list of labels;
    /// `result`: JSON tallies when closed.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_motion")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub meeting_id: i64,
        pub item_id: Option<i64>,
        pub text: String,
        pub kind: String,
        pub options: String,
        pub status: String,
        pub opened_by: Option<i64>,
        pub opened_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
        pub result: Option<String>,
    }

    no_relations!();
}

pub mod meeting_vote {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_vote")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub motion_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub participant_id: i64,
        pub choice: i32,
        /// Staff who entered an on-site participant's vote.
        pub entered_by: Option<i64>,
        pub at: DateTimeUtc,
    }

    no_relations!();
}

pub mod meeting_message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_message")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub meeting_id: i64,
        pub participant_id: i64,
        pub body: String,
        pub status: String,
        pub at: DateTimeUtc,
    }

    no_relations!();
}

pub mod meeting_hand {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_hand")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub meeting_id: i64,
        pub participant_id: i64,
        pub raised_at: DateTimeUtc,
        pub lowered_at: Option<DateTimeUtc>,
    }

    no_relations!();
}

pub mod meeting_rating {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_rating")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub meeting_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub participant_id: i64,
        pub score: i32,
        pub comment: String,
        pub at: DateTimeUtc,
    }

    no_relations!();
}
