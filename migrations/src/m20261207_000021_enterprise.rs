//! 企服通 enterprise service. In the organisation: buildings 楼宇 (a
//! community's, with their owner, property company and rent guide) and
//! their units, vacant or let (找场地). In the module: the register 一企一档
//! (one row per unified social credit code, its check recorded, a review
//! state, lease and figures), tags (from rules or by hand), the accounts
//! an enterprise answers through, policies 惠企政策 with criteria as data
//! and versions (each enterprise's match, with its reasons, is worked out
//! when asked), pushes (once per policy version), lease warnings 红黄蓝 (one
//! per lease end), visits 走楼访企, requests 企业诉求 (a case on the SLA
//! engine) and the directory of service providers and funding (找服务 /
//! 找资金). The SLA policy requests run under is data in `sla_policy`.
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
fn num_null(c: &str) -> ColumnDef {
    double_null(n(c))
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
fn day_null(c: &str) -> ColumnDef {
    date_null(n(c))
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

/// Requests 企业诉求: accepted within one working day, answered within
/// five; late ones go to the street.
const POLICY: (&str, &str, &str) = (
    "enterprise_request",
    "企业诉求办理",
    r#"{"stages":[{"key":"accept","name":"受理","deadline":"1d","clock":"working","escalate":[{"after":"0m","to":"street_officer"}]},{"key":"answer","name":"办理答复","deadline":"5d","clock":"working","escalate":[{"after":"0m","to":"street_officer"},{"after":"2d","to":"admin"}]}]}"#,
);

const TABLES: &[&str] = &[
    "ent_provider",
    "ent_request",
    "ent_visit",
    "ent_lease_alert",
    "ent_push",
    "ent_policy",
    "ent_member",
    "ent_tag",
    "enterprise",
    "building_unit",
    "building",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let m = manager;
        table(
            m,
            "building",
            vec![
                id(),
                big("community_id"),
                // The street's own number for it (files name buildings by it).
                s("code", 40),
                s("name", 100),
                s_null("address", 200),
                // Square metres.
                num_null("floor_area"),
                s_null("owner", 100),
                s_null("property_company", 100),
                // 元 per square metre and day.
                num_null("rent_guide"),
                ts("created_at"),
            ],
        )
        .await?;
        index(m, "building_code", "building", &["code"], true).await?;
        table(
            m,
            "building_unit",
            vec![
                id(),
                big("building_id"),
                s("name", 40),
                num_null("area"),
                flag("vacant", false),
                num_null("rent_guide"),
                s_null("note", 200),
            ],
        )
        .await?;
        index(
            m,
            "building_unit_name",
            "building_unit",
            &["building_id", "name"],
            true,
        )
        .await?;
        table(
            m,
            "enterprise",
            vec![
                id(),
                // 18 characters when right; a wrong length is kept (flagged).
                s("credit_code", 40),
                // valid | flagged (the code fails its check: for review)
                s("code_state", 8),
                // length | character | check, when flagged
                s_null("code_problem", 12),
                s("name", 200),
                s_null("legal_rep", 50),
                // GB/T 4754: a section letter and up to four digits.
                s_null("industry_code", 5),
                // 万元
                num_null("registered_capital"),
                int_null("employees"),
                // 万元 a year
                num_null("annual_tax"),
                big_null("building_id"),
                s_null("unit", 40),
                day_null("lease_start"),
                day_null("lease_end"),
                num_null("leased_area"),
                s_null("contact_name", 50),
                s_null("contact_phone", 20),
                day_null("founded_on"),
                // A key enterprise's grade (A | B | C).
                s_null("grade", 2),
                // active | moved_out
                s("status", 12),
                day_null("moved_out_on"),
                // pending | reviewed
                s("review_state", 10),
                big_null("reviewed_by"),
                ts_null("reviewed_at"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .await?;
        index(
            m,
            "enterprise_credit_code",
            "enterprise",
            &["credit_code"],
            true,
        )
        .await?;
        index(
            m,
            "enterprise_building",
            "enterprise",
            &["building_id"],
            false,
        )
        .await?;
        index(
            m,
            "enterprise_lease_end",
            "enterprise",
            &["lease_end"],
            false,
        )
        .await?;
        table(
            m,
            "ent_tag",
            vec![
                id(),
                big("enterprise_id"),
                s("tag", 40),
                // rule | manual
                s("source", 8),
            ],
        )
        .await?;
        index(m, "ent_tag_one", "ent_tag", &["enterprise_id", "tag"], true).await?;
        index(m, "ent_tag_tag", "ent_tag", &["tag"], false).await?;
        table(
            m,
            "ent_member",
            vec![id(), big("account_id"), big("enterprise_id")],
        )
        .await?;
        index(m, "ent_member_account", "ent_member", &["account_id"], true).await?;
        index(
            m,
            "ent_member_enterprise",
            "ent_member",
            &["enterprise_id"],
            false,
        )
        .await?;
        table(
            m,
            "ent_policy",
            vec![
                id(),
                s("title", 200),
                txt("summary"),
                // The criteria as JSON (`enterprise::policy::Criteria`).
                txt("criteria"),
                int("version"),
                day_null("deadline"),
                flag("active", true),
                big_null("updated_by"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .await?;
        table(
            m,
            "ent_push",
            vec![
                id(),
                big("enterprise_id"),
                big("policy_id"),
                int("version"),
                ts("at"),
                // When someone of the enterprise opened it (uptake).
                ts_null("read_at"),
            ],
        )
        .await?;
        index(
            m,
            "ent_push_once",
            "ent_push",
            &["enterprise_id", "policy_id", "version"],
            true,
        )
        .await?;
        table(
            m,
            "ent_lease_alert",
            vec![
                id(),
                big("enterprise_id"),
                big_null("building_id"),
                day_null("lease_end"),
                // red | yellow | blue
                s("level", 8),
                day_null("first_on"),
                day_null("level_on"),
                big_null("ack_by"),
                ts_null("ack_at"),
                // renewed | moving_out | unknown
                s_null("outcome", 12),
                s_null("outcome_note", 500),
                ts_null("outcome_at"),
            ],
        )
        .await?;
        index(
            m,
            "ent_lease_alert_one",
            "ent_lease_alert",
            &["enterprise_id", "lease_end"],
            true,
        )
        .await?;
        index(
            m,
            "ent_lease_alert_building",
            "ent_lease_alert",
            &["building_id"],
            false,
        )
        .await?;
        table(
            m,
            "ent_visit",
            vec![
                id(),
                big("enterprise_id"),
                big("staff_id"),
                day_null("visited_on"),
                txt("note"),
                txt_null("follow_up"),
                flag("follow_up_done", false),
                ts("created_at"),
            ],
        )
        .await?;
        index(
            m,
            "ent_visit_enterprise",
            "ent_visit",
            &["enterprise_id"],
            false,
        )
        .await?;
        table(
            m,
            "ent_request",
            vec![
                id(),
                big("enterprise_id"),
                big("account_id"),
                // space | policy | funding | talent | approval | other
                s("kind", 12),
                s("title", 100),
                txt("description"),
                // The department it is routed to (its name).
                s("department", 40),
                big_null("case_id"),
                // open | answered | closed
                s("state", 10),
                txt_null("answer"),
                big_null("answered_by"),
                ts_null("answered_at"),
                int_null("rating"),
                s_null("rating_note", 500),
                ts("created_at"),
            ],
        )
        .await?;
        index(
            m,
            "ent_request_enterprise",
            "ent_request",
            &["enterprise_id"],
            false,
        )
        .await?;
        index(m, "ent_request_state", "ent_request", &["state"], false).await?;
        table(
            m,
            "ent_provider",
            vec![
                id(),
                // bank | investor | accounting | law | broker | funding
                s("kind", 12),
                s("name", 100),
                // What they offer, searchable.
                txt("services"),
                s_null("contact", 100),
                s_null("url", 200),
                ts("created_at"),
            ],
        )
        .await?;
        index(m, "ent_provider_kind", "ent_provider", &["kind"], false).await?;
        let (key, name, spec) = POLICY;
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO sla_policy (key, name, version, spec) \
                 VALUES ('{key}', '{name}', 1, '{spec}')"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM sla_policy WHERE key = 'enterprise_request'")
            .await?;
        for t in TABLES {
            manager
                .drop_table(Table::drop().table(n(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
