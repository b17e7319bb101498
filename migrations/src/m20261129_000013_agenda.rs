//! 热点与议题 heat and agenda: what analysis keeps with each opinion
//! (keywords, a copy fingerprint, who stands behind it, when it was really
//! received), topics with their heat and members, the lexicon admins add
//! to, and IDF values refreshed from the community's corpus.
//!
//! A topic change raises the page version (row 2 of `ref_version`) like an
//! opinion change does: every topic write — recomputation, a new member,
//! a staff decision — touches its `topic` row in the same transaction.
use sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Opinion {
    Table,
    Keywords,
    Fingerprint,
    ResidentKey,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Topic {
    Table,
    Id,
    Title,
    Summary,
    Label,
    Keywords,
    Status,
    RejectReason,
    MergedInto,
    Heat,
    Breakdown,
    Residents,
    Posts,
    Trend,
    FirstAt,
    LastAt,
    DecidedBy,
    DecidedAt,
    Prevote,
    Assessment,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AgendaItem {
    Table,
    Id,
    TopicId,
    Title,
    Summary,
    Status,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PrevoteStatement {
    Table,
    Id,
    TopicId,
    Text,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PrevoteVote {
    Table,
    StatementId,
    AccountId,
    Choice,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TopicMember {
    Table,
    OpinionId,
    TopicId,
    CopyOf,
    Pinned,
}

#[derive(DeriveIden)]
enum TopicCommunity {
    Table,
    TopicId,
    CommunityId,
    Heat,
    Residents,
    Posts,
    Breakdown,
}

#[derive(DeriveIden)]
enum NlpTerm {
    Table,
    Id,
    Kind,
    Term,
    Canonical,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NlpIdf {
    Table,
    Term,
    Idf,
}

const BUMP: &str = "UPDATE ref_version SET version = version + 1 WHERE id = 2";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for col in [
            text(Opinion::Keywords).default("").to_owned(),
            big_integer(Opinion::Fingerprint).default(0).to_owned(),
            string_len_null(Opinion::ResidentKey, 80).to_owned(),
            timestamp_with_time_zone_null(Opinion::ReceivedAt).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Opinion::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Topic::Table)
                    .col(big_pk_auto(Topic::Id))
                    .col(string_len_null(Topic::Title, 80))
                    .col(text_null(Topic::Summary))
                    .col(string_len(Topic::Label, 120))
                    .col(text(Topic::Keywords))
                    .col(string_len(Topic::Status, 16))
                    .col(text_null(Topic::RejectReason))
                    .col(big_integer_null(Topic::MergedInto))
                    .col(double(Topic::Heat).default(0.0))
                    .col(text(Topic::Breakdown))
                    .col(integer(Topic::Residents).default(0))
                    .col(integer(Topic::Posts).default(0))
                    .col(text(Topic::Trend))
                    .col(timestamp_with_time_zone(Topic::FirstAt))
                    .col(timestamp_with_time_zone(Topic::LastAt))
                    .col(big_integer_null(Topic::DecidedBy))
                    .col(timestamp_with_time_zone_null(Topic::DecidedAt))
                    .col(string_len_null(Topic::Prevote, 16))
                    .col(text_null(Topic::Assessment))
                    .col(timestamp_with_time_zone(Topic::CreatedAt))
                    .col(timestamp_with_time_zone(Topic::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("topic_status_heat")
                    .table(Topic::Table)
                    .col(Topic::Status)
                    .col(Topic::Heat)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TopicMember::Table)
                    .col(big_integer(TopicMember::OpinionId).primary_key())
                    .col(big_integer(TopicMember::TopicId))
                    .col(big_integer_null(TopicMember::CopyOf))
                    .col(boolean(TopicMember::Pinned).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("topic_member_topic")
                    .table(TopicMember::Table)
                    .col(TopicMember::TopicId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TopicCommunity::Table)
                    .col(big_integer(TopicCommunity::TopicId))
                    .col(big_integer(TopicCommunity::CommunityId))
                    .col(double(TopicCommunity::Heat).default(0.0))
                    .col(integer(TopicCommunity::Residents).default(0))
                    .col(integer(TopicCommunity::Posts).default(0))
                    .col(text(TopicCommunity::Breakdown))
                    .primary_key(
                        Index::create()
                            .col(TopicCommunity::TopicId)
                            .col(TopicCommunity::CommunityId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("topic_community_rank")
                    .table(TopicCommunity::Table)
                    .col(TopicCommunity::CommunityId)
                    .col(TopicCommunity::Heat)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgendaItem::Table)
                    .col(big_pk_auto(AgendaItem::Id))
                    .col(big_integer(AgendaItem::TopicId).unique_key())
                    .col(string_len(AgendaItem::Title, 80))
                    .col(text(AgendaItem::Summary))
                    .col(string_len(AgendaItem::Status, 16))
                    .col(big_integer_null(AgendaItem::CreatedBy))
                    .col(timestamp_with_time_zone(AgendaItem::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PrevoteStatement::Table)
                    .col(big_pk_auto(PrevoteStatement::Id))
                    .col(big_integer(PrevoteStatement::TopicId))
                    .col(string_len(PrevoteStatement::Text, 200))
                    .col(big_integer_null(PrevoteStatement::CreatedBy))
                    .col(timestamp_with_time_zone(PrevoteStatement::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("prevote_statement_topic")
                    .table(PrevoteStatement::Table)
                    .col(PrevoteStatement::TopicId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PrevoteVote::Table)
                    .col(big_integer(PrevoteVote::StatementId))
                    .col(big_integer(PrevoteVote::AccountId))
                    .col(string_len(PrevoteVote::Choice, 16))
                    .col(timestamp_with_time_zone(PrevoteVote::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(PrevoteVote::StatementId)
                            .col(PrevoteVote::AccountId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NlpTerm::Table)
                    .col(big_pk_auto(NlpTerm::Id))
                    .col(string_len(NlpTerm::Kind, 16))
                    .col(string_len(NlpTerm::Term, 64))
                    .col(string_len_null(NlpTerm::Canonical, 64))
                    .col(big_integer_null(NlpTerm::CreatedBy))
                    .col(timestamp_with_time_zone(NlpTerm::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("nlp_term_unique")
                    .table(NlpTerm::Table)
                    .col(NlpTerm::Kind)
                    .col(NlpTerm::Term)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NlpIdf::Table)
                    .col(string_len(NlpIdf::Term, 64).primary_key())
                    .col(double(NlpIdf::Idf))
                    .to_owned(),
            )
            .await?;
        // The lexicon is reference data: ref_version row 3 moves with it.
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO ref_version (id, version) VALUES (3, 0)")
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE CONSTRAINT TRIGGER topic_page_chg AFTER INSERT OR UPDATE OR DELETE \
                     ON topic DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
                     EXECUTE FUNCTION page_version_bump()",
                )
                .await?;
            }
            _ => {
                for (name, event) in [
                    ("topic_page_ins", "AFTER INSERT ON topic"),
                    ("topic_page_upd", "AFTER UPDATE ON topic"),
                    ("topic_page_del", "AFTER DELETE ON topic"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} {event} BEGIN {BUMP}; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM ref_version WHERE id = 3")
            .await?;
        for t in [
            "nlp_idf",
            "nlp_term",
            "topic_community",
            "topic_member",
            "topic",
        ] {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {t}"))
                .await?;
        }
        for c in ["keywords", "fingerprint", "resident_key", "received_at"] {
            db.execute_unprepared(&format!("ALTER TABLE opinion DROP COLUMN {c}"))
                .await?;
        }
        Ok(())
    }
}
