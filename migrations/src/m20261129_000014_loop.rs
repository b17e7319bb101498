//! The rest of the loop: the one SLA engine (policies, the business
//! calendar admins edit, cases and their events), 红茶议事会 meetings
//! (items, participants, motions and votes, the live room's messages and
//! raised hands, ratings), 共治方案 plans (tasks on the SLA engine,
//! updates, residents' ratings), the once-per-step loop notices, and
//! outbox retries with backoff and quiet hours.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(s: &str) -> Alias {
    Alias::new(s)
}

async fn table(manager: &SchemaManager<'_>, name: &str, cols: Vec<ColumnDef>) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(n(name));
    for mut c in cols {
        t.col(&mut c);
    }
    manager.create_table(t.to_owned()).await
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    tbl: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(n(tbl));
    for c in cols {
        i.col(n(c));
    }
    if unique {
        i.unique();
    }
    manager.create_index(i.to_owned()).await
}

fn id() -> ColumnDef {
    big_pk_auto(n("id"))
}
fn big(c: &str) -> ColumnDef {
    big_integer(n(c))
}
fn big_null(c: &str) -> ColumnDef {
    big_integer_null(n(c))
}
fn int(c: &str) -> ColumnDef {
    integer(n(c))
}
fn int_null(c: &str) -> ColumnDef {
    integer_null(n(c))
}
fn s(c: &str, len: u32) -> ColumnDef {
    string_len(n(c), len)
}
fn s_null(c: &str, len: u32) -> ColumnDef {
    string_len_null(n(c), len)
}
fn txt(c: &str) -> ColumnDef {
    text(n(c))
}
fn txt_null(c: &str) -> ColumnDef {
    text_null(n(c))
}
fn ts(c: &str) -> ColumnDef {
    timestamp_with_time_zone(n(c))
}
fn ts_null(c: &str) -> ColumnDef {
    timestamp_with_time_zone_null(n(c))
}
fn flag(c: &str) -> ColumnDef {
    boolean(n(c)).default(false).to_owned()
}

/// The shipped policies. Plan tasks are due on their own deadline; the
/// community's staff hear of an overdue task at once, the street office a
/// working day later. The other modules' policies ship with them.
const POLICIES: &[(&str, &str, &str)] = &[(
    "plan_task",
    "共治方案任务",
    r#"{"stages":[{"key":"do","name":"办理","deadline":"given","clock":"calendar","escalate":[{"after":"0m","to":"staff"},{"after":"1d","to":"street_officer"}]}]}"#,
)];

const TABLES: &[&str] = &[
    "loop_notice",
    "plan_rating",
    "plan_update",
    "plan_task",
    "plan",
    "meeting_rating",
    "meeting_hand",
    "meeting_message",
    "meeting_vote",
    "meeting_motion",
    "meeting_participant",
    "meeting_item",
    "meeting",
    "sla_event",
    "sla_case",
    "sla_calendar_day",
    "sla_policy",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let m = manager;
        // ---- SLA engine ----
        table(
            m,
            "sla_policy",
            vec![
                string_len(n("key"), 40).primary_key().to_owned(),
                s("name", 80),
                int("version"),
                txt("spec"),
                // Both empty: as shipped.
                big_null("updated_by"),
                ts_null("updated_at"),
            ],
        )
        .await?;
        table(
            m,
            "sla_calendar_day",
            vec![
                string_len(n("day"), 10).primary_key().to_owned(),
                // holiday | workday | normal (back to the weekend rule)
                s("kind", 8),
                s("name", 40),
                big_null("updated_by"),
                ts("updated_at"),
            ],
        )
        .await?;
        table(
            m,
            "sla_case",
            vec![
                id(),
                s("kind", 24),
                s("subject", 64),
                // What notifications call it, and where the work is seen.
                s("title", 120),
                s("link", 200),
                big_null("community_id"),
                s("policy_key", 40),
                int("policy_version"),
                txt("spec"),
                s("stage", 24),
                big("stage_seq"),
                s("state", 12),
                big_null("assignee_id"),
                int("level"),
                flag("overdue"),
                ts_null("due_at"),
                ts_null("next_at"),
                ts("opened_at"),
                ts_null("closed_at"),
                ts("updated_at"),
            ],
        )
        .await?;
        index(
            m,
            "sla_case_subject",
            "sla_case",
            &["kind", "subject"],
            true,
        )
        .await?;
        index(m, "sla_case_next", "sla_case", &["state", "next_at"], false).await?;
        index(
            m,
            "sla_case_community",
            "sla_case",
            &["community_id", "state"],
            false,
        )
        .await?;
        table(
            m,
            "sla_event",
            vec![
                id(),
                big("case_id"),
                s("kind", 16),
                s_null("stage", 24),
                int_null("level"),
                big_null("actor_id"),
                big_null("assignee_id"),
                ts_null("due_at"),
                s_null("note", 500),
                // Escalations: `<stage_seq>:<level>`, unique per case, so a
                // step is written once whatever runs the sweep.
                s_null("dedupe", 64),
                ts("at"),
            ],
        )
        .await?;
        index(m, "sla_event_case", "sla_event", &["case_id", "id"], false).await?;
        index(
            m,
            "sla_event_dedupe",
            "sla_event",
            &["case_id", "dedupe"],
            true,
        )
        .await?;

        // ---- Meetings 红茶议事会 ----
        table(
            m,
            "meeting",
            vec![
                id(),
                big("community_id"),
                s("title", 80),
                txt("summary"),
                // onsite | online | hybrid
                s("mode", 8),
                s("venue", 120),
                ts("starts_at"),
                int("minutes_long"),
                s_null("video_url", 500),
                // draft | scheduled | live | closed | cancelled
                s("status", 12),
                s("checkin_code", 8),
                int("quorum"),
                int("majority_pct"),
                txt("minutes"),
                big_null("current_item_id"),
                // Raised by every change the live room shows.
                big("live_seq"),
                txt_null("outcome_use"),
                big_null("outcome_by"),
                ts_null("outcome_at"),
                big_null("created_by"),
                ts("created_at"),
                ts("updated_at"),
                big_null("closed_by"),
                ts_null("closed_at"),
            ],
        )
        .await?;
        index(
            m,
            "meeting_community",
            "meeting",
            &["community_id", "starts_at"],
            false,
        )
        .await?;
        table(
            m,
            "meeting_item",
            vec![
                id(),
                big("meeting_id"),
                big("agenda_item_id"),
                int("position"),
                txt_null("resolution"),
            ],
        )
        .await?;
        index(
            m,
            "meeting_item_unique",
            "meeting_item",
            &["meeting_id", "agenda_item_id"],
            true,
        )
        .await?;
        table(
            m,
            "meeting_participant",
            vec![
                id(),
                big("meeting_id"),
                big_null("account_id"),
                s("name", 40),
                // resident | representative | property | enterprise |
                // department | expert | staff | facilitator
                s("party", 16),
                s_null("phone", 32),
                // SHA-256 of the personal join token.
                s("token_hash", 64),
                // none | online | onsite | declined
                s("rsvp", 12),
                s_null("attend", 8),
                ts_null("checked_in_at"),
                ts("invited_at"),
            ],
        )
        .await?;
        index(
            m,
            "meeting_participant_token",
            "meeting_participant",
            &["token_hash"],
            true,
        )
        .await?;
        // One participant per account and per guest phone in a meeting
        // (NULLs do not collide: guests have no account, accounts no phone).
        index(
            m,
            "meeting_participant_account",
            "meeting_participant",
            &["meeting_id", "account_id"],
            true,
        )
        .await?;
        index(
            m,
            "meeting_participant_phone",
            "meeting_participant",
            &["meeting_id", "phone"],
            true,
        )
        .await?;
        table(
            m,
            "meeting_motion",
            vec![
                id(),
                big("meeting_id"),
                big_null("item_id"),
                s("text", 200),
                // poll (a show of opinion) | motion (decides; quorum applies)
                s("kind", 8),
                txt("options"),
                s("status", 8),
                big_null("opened_by"),
                ts("opened_at"),
                ts_null("closed_at"),
                txt_null("result"),
            ],
        )
        .await?;
        index(
            m,
            "meeting_motion_meeting",
            "meeting_motion",
            &["meeting_id"],
            false,
        )
        .await?;
        table(
            m,
            "meeting_vote",
            vec![
                big("motion_id"),
                big("participant_id"),
                int("choice"),
                big_null("entered_by"),
                ts("at"),
            ],
        )
        .await?;
        index(
            m,
            "meeting_vote_once",
            "meeting_vote",
            &["motion_id", "participant_id"],
            true,
        )
        .await?;
        table(
            m,
            "meeting_message",
            vec![
                id(),
                big("meeting_id"),
                big("participant_id"),
                s("body", 500),
                // pending | shown | hidden
                s("status", 8),
                ts("at"),
            ],
        )
        .await?;
        index(
            m,
            "meeting_message_meeting",
            "meeting_message",
            &["meeting_id", "id"],
            false,
        )
        .await?;
        table(
            m,
            "meeting_hand",
            vec![
                id(),
                big("meeting_id"),
                big("participant_id"),
                ts("raised_at"),
                ts_null("lowered_at"),
            ],
        )
        .await?;
        index(
            m,
            "meeting_hand_meeting",
            "meeting_hand",
            &["meeting_id", "participant_id"],
            false,
        )
        .await?;
        table(
            m,
            "meeting_rating",
            vec![
                big("meeting_id"),
                big("participant_id"),
                int("score"),
                s("comment", 500),
                ts("at"),
            ],
        )
        .await?;
        index(
            m,
            "meeting_rating_once",
            "meeting_rating",
            &["meeting_id", "participant_id"],
            true,
        )
        .await?;

        // ---- Plans 共治方案 ----
        table(
            m,
            "plan",
            vec![
                id(),
                big("community_id"),
                big_null("meeting_id"),
                big_null("agenda_item_id"),
                s("title", 80),
                txt("summary"),
                // active | rating | closed
                s("status", 12),
                int("round"),
                txt_null("reopen_note"),
                big_null("created_by"),
                ts("created_at"),
                ts("updated_at"),
                ts_null("rating_from"),
                ts_null("closed_at"),
            ],
        )
        .await?;
        index(
            m,
            "plan_community",
            "plan",
            &["community_id", "status"],
            false,
        )
        .await?;
        table(
            m,
            "plan_task",
            vec![
                id(),
                big("plan_id"),
                s("title", 120),
                // community | property | enterprise | department | residents | person
                s("party_kind", 16),
                s("party_name", 80),
                big_null("assignee_id"),
                ts("deadline"),
                // todo | doing | paused | done
                s("status", 8),
                int("progress"),
                big("case_id"),
                ts("created_at"),
                ts("updated_at"),
                ts_null("done_at"),
            ],
        )
        .await?;
        index(m, "plan_task_plan", "plan_task", &["plan_id"], false).await?;
        table(
            m,
            "plan_update",
            vec![
                id(),
                big("plan_id"),
                big_null("task_id"),
                // created | note | progress | status | photo | rating | reopened | closed
                s("kind", 12),
                txt("body"),
                int_null("progress"),
                s_null("photo", 80),
                big_null("actor_id"),
                ts("at"),
            ],
        )
        .await?;
        index(
            m,
            "plan_update_plan",
            "plan_update",
            &["plan_id", "id"],
            false,
        )
        .await?;
        table(
            m,
            "plan_rating",
            vec![
                big("plan_id"),
                int("round"),
                big("account_id"),
                int("score"),
                s("comment", 500),
                ts("at"),
            ],
        )
        .await?;
        index(
            m,
            "plan_rating_once",
            "plan_rating",
            &["plan_id", "round", "account_id"],
            true,
        )
        .await?;

        // ---- Closing the loop ----
        // One row per author, topic and step: each is told once.
        table(
            m,
            "loop_notice",
            vec![big("account_id"), big("topic_id"), s("step", 16), ts("at")],
        )
        .await?;
        index(
            m,
            "loop_notice_once",
            "loop_notice",
            &["account_id", "topic_id", "step"],
            true,
        )
        .await?;

        // ---- Outbox: retries with backoff, urgent work, quiet hours ----
        for col in [ts_null("next_attempt_at"), flag("urgent")] {
            let mut col = col;
            m.alter_table(
                Table::alter()
                    .table(n("outbox"))
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        // Residents choose SMS for loop notices (off by default).
        let mut col = flag("notify_sms");
        m.alter_table(
            Table::alter()
                .table(n("account"))
                .add_column(&mut col)
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        for (key, name, spec) in POLICIES {
            db.execute_unprepared(&format!(
                "INSERT INTO sla_policy (key, name, version, spec) \
                 VALUES ('{key}', '{name}', 1, '{spec}')"
            ))
            .await?;
        }
        // An opinion's page shows its path (topic → meeting → plan → rating):
        // the steps' changes raise the page version (row 2) like opinion
        // changes do (migration 000012). A vote or a message does not.
        const WATCHED: &[(&str, &str, &str)] = &[
            (
                "agenda_item",
                "INSERT OR UPDATE OF status, title",
                "agenda_item_page",
            ),
            (
                "meeting",
                "UPDATE OF status, title, starts_at",
                "meeting_page",
            ),
            (
                "plan",
                "INSERT OR UPDATE OF status, round, title",
                "plan_page",
            ),
            ("plan_task", "INSERT OR UPDATE OF status", "plan_task_page"),
            ("plan_rating", "INSERT", "plan_rating_page"),
        ];
        for (table, events, name) in WATCHED {
            match m.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    db.execute_unprepared(&format!(
                        "CREATE CONSTRAINT TRIGGER {name} AFTER {events} ON {table} \
                         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
                         EXECUTE FUNCTION page_version_bump()"
                    ))
                    .await?;
                }
                _ => {
                    for (i, event) in events.split(" OR ").enumerate() {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {name}_{i} AFTER {event} ON {table} BEGIN \
                             UPDATE ref_version SET version = version + 1 WHERE id = 2; END"
                        ))
                        .await?;
                    }
                }
            }
        }
        // The calendar and policies are reference data (row 4).
        db.execute_unprepared("INSERT INTO ref_version (id, version) VALUES (4, 0)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM ref_version WHERE id = 4")
            .await?;
        for t in TABLES {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {t}"))
                .await?;
        }
        for (t, c) in [
            ("outbox", "next_attempt_at"),
            ("outbox", "urgent"),
            ("account", "notify_sms"),
        ] {
            db.execute_unprepared(&format!("ALTER TABLE {t} DROP COLUMN {c}"))
                .await?;
        }
        Ok(())
    }
}
