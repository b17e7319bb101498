//! 风险预警 risk warning: the catalogue (departments, risk modules, risk
//! points), subjects readings are about, sources with their API tokens
//! (only SHA-256 kept), readings (idempotent per source and reading id),
//! warning models as versioned records, warnings (one open per model and
//! subject, by a unique `open_key` that is empty once closed) with their
//! disposal steps, the SLA policies risk disposal runs under, and the
//! boundaries the overview map draws. `ref_version` row 5 is the
//! catalogue's and the models' version.
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
fn s(c: &str, len: u32) -> ColumnDef {
    string_len(n(c), len)
}
fn s_null(c: &str, len: u32) -> ColumnDef {
    string_len_null(n(c), len)
}
fn key(c: &str) -> ColumnDef {
    string_len(n(c), 40).primary_key().to_owned()
}
fn txt(c: &str) -> ColumnDef {
    text(n(c))
}
fn ts(c: &str) -> ColumnDef {
    timestamp_with_time_zone(n(c))
}
fn ts_null(c: &str) -> ColumnDef {
    timestamp_with_time_zone_null(n(c))
}
fn flag(c: &str, on: bool) -> ColumnDef {
    boolean(n(c)).default(on).to_owned()
}

/// Risk disposal's policies (协同处置): urgent — sign and assign in 5
/// minutes, on site in 20, done with feedback in 24 hours; non-urgent —
/// sign and assign in 24 hours, done in 7 days; low — the machine's steps
/// (SMS, voice call, re-check) first, then as non-urgent.
const POLICIES: &[(&str, &str, &str)] = &[
    (
        "risk_urgent",
        "紧急风险处置",
        r#"{"stages":[{"key":"sign","name":"签收指派","deadline":"5m","clock":"calendar","escalate":[{"after":"0m","to":"staff"},{"after":"10m","to":"street_officer"}]},{"key":"arrive","name":"到达现场","deadline":"20m","clock":"calendar","escalate":[{"after":"0m","to":"staff"},{"after":"20m","to":"street_officer"}]},{"key":"handle","name":"处置反馈","deadline":"24h","clock":"calendar","escalate":[{"after":"0m","to":"staff"},{"after":"2h","to":"street_officer"}]}]}"#,
    ),
    (
        "risk_normal",
        "一般风险处置",
        r#"{"stages":[{"key":"sign","name":"签收指派","deadline":"24h","clock":"calendar","escalate":[{"after":"0m","to":"staff"},{"after":"1d","to":"street_officer"}]},{"key":"handle","name":"处置反馈","deadline":"7d","clock":"calendar","escalate":[{"after":"0m","to":"staff"},{"after":"1d","to":"street_officer"}]}]}"#,
    ),
    (
        "risk_low",
        "低风险自动处置",
        r#"{"stages":[{"key":"auto","name":"自动处置","deadline":"2h","clock":"calendar","escalate":[{"after":"0m","to":"staff"}]},{"key":"sign","name":"签收指派","deadline":"24h","clock":"calendar","escalate":[{"after":"0m","to":"staff"},{"after":"1d","to":"street_officer"}]},{"key":"handle","name":"处置反馈","deadline":"7d","clock":"calendar","escalate":[{"after":"0m","to":"staff"},{"after":"1d","to":"street_officer"}]}]}"#,
    ),
];

const TABLES: &[&str] = &[
    "risk_boundary",
    "risk_step",
    "risk_warning",
    "risk_model",
    "risk_reading",
    "risk_source",
    "risk_subject",
    "risk_point",
    "risk_module",
    "risk_department_member",
    "risk_department",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let m = manager;
        table(m, "risk_department", vec![key("key"), s("name", 80)]).await?;
        table(
            m,
            "risk_department_member",
            vec![id(), s("department_key", 40), big("account_id")],
        )
        .await?;
        index(
            m,
            "risk_department_member_one",
            "risk_department_member",
            &["account_id", "department_key"],
            true,
        )
        .await?;
        table(
            m,
            "risk_module",
            vec![key("key"), s("name", 80), int("sort")],
        )
        .await?;
        table(
            m,
            "risk_point",
            vec![
                key("key"),
                s("module_key", 40),
                s("name", 80),
                s_null("department_key", 40),
                // Lexicon terms whose opinions feed this point (Hongcha's
                // own signal `opinion.<point>`), space-separated.
                s_null("signal_terms", 200),
                big_null("updated_by"),
                ts("updated_at"),
            ],
        )
        .await?;
        table(
            m,
            "risk_subject",
            vec![
                id(),
                // What sources call it: a compound's or an enterprise's code,
                // a building's number, or a person's salted hash.
                s("code", 80),
                // compound | building | enterprise | place | person
                s("kind", 12),
                s("name", 80),
                big_null("community_id"),
                big_null("compound_id"),
                // GB/T 4754 industry code, for portraits by industry.
                s_null("industry", 8),
                // Who the machine's SMS and voice call go to.
                s_null("contact_phone", 20),
                ts("created_at"),
            ],
        )
        .await?;
        index(m, "risk_subject_code", "risk_subject", &["code"], true).await?;
        index(
            m,
            "risk_subject_community",
            "risk_subject",
            &["community_id"],
            false,
        )
        .await?;
        table(
            m,
            "risk_source",
            vec![
                id(),
                s("name", 80),
                // readings | voice (the voice gateway's answers) | import (files)
                s("kind", 12),
                s("token_hash", 64),
                flag("enabled", true),
                big_null("created_by"),
                ts("created_at"),
                ts_null("last_seen_at"),
            ],
        )
        .await?;
        index(m, "risk_source_token", "risk_source", &["token_hash"], true).await?;
        table(
            m,
            "risk_reading",
            vec![
                id(),
                big("source_id"),
                s("reading_key", 80),
                big("subject_id"),
                s("indicator", 40),
                double(n("value")),
                ts("at"),
                ts("received_at"),
            ],
        )
        .await?;
        index(
            m,
            "risk_reading_once",
            "risk_reading",
            &["source_id", "reading_key"],
            true,
        )
        .await?;
        index(
            m,
            "risk_reading_series",
            "risk_reading",
            &["subject_id", "indicator", "at"],
            false,
        )
        .await?;
        index(
            m,
            "risk_reading_indicator",
            "risk_reading",
            &["indicator", "at"],
            false,
        )
        .await?;
        table(
            m,
            "risk_model",
            vec![
                id(),
                s("key", 40),
                int("version"),
                s("point_key", 40),
                s("name", 80),
                // live | shadow | retired
                s("mode", 8),
                txt("spec"),
                big_null("updated_by"),
                ts("updated_at"),
            ],
        )
        .await?;
        index(
            m,
            "risk_model_version",
            "risk_model",
            &["key", "version"],
            true,
        )
        .await?;
        table(
            m,
            "risk_warning",
            vec![
                id(),
                big("model_id"),
                s("model_key", 40),
                s("point_key", 40),
                big("subject_id"),
                big_null("community_id"),
                big_null("compound_id"),
                s("severity", 8),
                // open | closed
                s("state", 8),
                // `<model key>:<subject id>` while open, empty once closed:
                // one open warning per model and subject.
                s_null("open_key", 100),
                // model::Why as JSON: the readings and the limit.
                txt("why"),
                ts("opened_at"),
                ts_null("closed_at"),
                // recovered | recheck | people | retired
                s_null("closed_how", 12),
                big_null("case_id"),
                // sms | voice | recheck | people | done
                s_null("auto_step", 12),
                ts_null("next_step_at"),
                // The voice call's keypad answer.
                s_null("answer", 12),
            ],
        )
        .await?;
        index(m, "risk_warning_open", "risk_warning", &["open_key"], true).await?;
        index(
            m,
            "risk_warning_next",
            "risk_warning",
            &["auto_step", "next_step_at"],
            false,
        )
        .await?;
        index(
            m,
            "risk_warning_subject",
            "risk_warning",
            &["subject_id", "model_key", "closed_at"],
            false,
        )
        .await?;
        index(
            m,
            "risk_warning_community",
            "risk_warning",
            &["community_id", "opened_at"],
            false,
        )
        .await?;
        table(
            m,
            "risk_step",
            vec![
                id(),
                big("warning_id"),
                // fired | sms | voice | answer | recheck_ok | recheck_failed
                // | handed | signed | arrived | handled | closed
                s("kind", 16),
                s_null("note", 500),
                big_null("actor_id"),
                ts("at"),
            ],
        )
        .await?;
        index(m, "risk_step_warning", "risk_step", &["warning_id"], false).await?;
        // A voice answer finds its call (`note` = `call:<outbox id>`).
        index(m, "risk_step_call", "risk_step", &["kind", "note"], false).await?;
        table(
            m,
            "risk_boundary",
            vec![
                id(),
                // community | compound
                s("unit_kind", 12),
                big("unit_id"),
                // The outline as [[lon, lat], …] (from an uploaded GeoJSON).
                txt("ring"),
                big_null("updated_by"),
                ts("updated_at"),
            ],
        )
        .await?;
        index(
            m,
            "risk_boundary_unit",
            "risk_boundary",
            &["unit_kind", "unit_id"],
            true,
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
        db.execute_unprepared("INSERT INTO ref_version (id, version) VALUES (5, 0)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM ref_version WHERE id = 5")
            .await?;
        db.execute_unprepared(
            "DELETE FROM sla_policy WHERE key IN ('risk_urgent', 'risk_normal', 'risk_low')",
        )
        .await?;
        for t in TABLES {
            manager
                .drop_table(Table::drop().table(n(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
