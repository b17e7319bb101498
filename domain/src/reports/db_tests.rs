//! Report figures on real databases (a SQLite file, and PostgreSQL when
//! `TEST_DATABASE_URL` is set), checked against values worked out by hand
//! from a fixed dataset: March–April 2025 in two communities, with records
//! just outside the period on both sides. The demo's organisation and
//! accounts only: nothing else is in those months.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::*;
use crate::agenda::entities::{agenda_item, topic, topic_community, topic_member};
use crate::entities::opinion;
use crate::meetings::entities::{meeting, meeting_participant};
use crate::plans::entities::{plan, plan_rating, plan_task};
use crate::sla::entities::sla_case;
use crate::testdb;

fn at(s: &str) -> DateTime<Utc> {
    crate::clock::parse_china_local(s).unwrap()
}

struct Op<'a> {
    community: i64,
    channel: &'a str,
    category: &'a str,
    status: &'a str,
    created: &'a str,
    received: Option<&'a str>,
}

async fn opinion(s: &Services, o: Op<'_>) -> i64 {
    let t = at(o.created);
    opinion::ActiveModel {
        community_id: Set(o.community),
        location: Set(None),
        author_id: Set(None),
        anonymous: Set(false),
        channel: Set(o.channel.into()),
        category: Set(o.category.into()),
        title: Set("楼道灯坏了".into()),
        body: Set("请尽快修理，联系 13912345678".into()),
        title_public: Set("楼道灯坏了".into()),
        body_public: Set("请尽快修理，联系 139****5678".into()),
        status: Set(o.status.into()),
        reject_reason: Set(None),
        merged_into: Set(None),
        idempotency_key: Set(None),
        supports: Set(0),
        reports: Set(0),
        hidden: Set(false),
        source_url: Set(None),
        source_id: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        published_at: Set((o.status == "published").then_some(t)),
        keywords: Set("[]".into()),
        fingerprint: Set(0),
        resident_key: Set(None),
        received_at: Set(o.received.map(at)),
        ..Default::default()
    }
    .insert(&s.db)
    .await
    .unwrap()
    .id
}

async fn topic_row(
    s: &Services,
    communities: &[i64],
    status: &str,
    first: &str,
    decided: Option<&str>,
) -> i64 {
    let t = at(first);
    let id = topic::ActiveModel {
        title: Set(None),
        summary: Set(None),
        label: Set("飞线充电".into()),
        keywords: Set("[]".into()),
        status: Set(status.into()),
        reject_reason: Set(None),
        merged_into: Set(None),
        heat: Set(1.0),
        breakdown: Set("{}".into()),
        residents: Set(1),
        posts: Set(1),
        trend: Set("[]".into()),
        first_at: Set(t),
        last_at: Set(t),
        decided_by: Set(None),
        decided_at: Set(decided.map(at)),
        prevote: Set(None),
        assessment: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&s.db)
    .await
    .unwrap()
    .id;
    for c in communities {
        topic_community::ActiveModel {
            topic_id: Set(id),
            community_id: Set(*c),
            heat: Set(1.0),
            residents: Set(1),
            posts: Set(1),
            breakdown: Set("{}".into()),
        }
        .insert(&s.db)
        .await
        .unwrap();
    }
    id
}

async fn meeting_row(
    s: &Services,
    community: i64,
    status: &str,
    starts: &str,
    attend: &[Option<&str>],
) {
    let t = at(starts);
    let id = meeting::ActiveModel {
        community_id: Set(community),
        title: Set("议事会".into()),
        summary: Set(String::new()),
        mode: Set("hybrid".into()),
        venue: Set("活动室".into()),
        starts_at: Set(t),
        minutes_long: Set(60),
        video_url: Set(None),
        status: Set(status.into()),
        checkin_code: Set("123456".into()),
        quorum: Set(1),
        majority_pct: Set(50),
        minutes: Set(String::new()),
        current_item_id: Set(None),
        live_seq: Set(0),
        outcome_use: Set(None),
        outcome_by: Set(None),
        outcome_at: Set(None),
        created_by: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        closed_by: Set(None),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&s.db)
    .await
    .unwrap()
    .id;
    for (i, a) in attend.iter().enumerate() {
        meeting_participant::ActiveModel {
            meeting_id: Set(id),
            account_id: Set(None),
            name: Set(format!("参会人{i}")),
            party: Set("resident".into()),
            phone: Set(None),
            token_hash: Set(format!("{id:08}{i:056}")),
            rsvp: Set("none".into()),
            attend: Set(a.map(str::to_owned)),
            checked_in_at: Set(None),
            invited_at: Set(t),
            ..Default::default()
        }
        .insert(&s.db)
        .await
        .unwrap();
    }
}

async fn case_row(
    s: &Services,
    community: i64,
    state: &str,
    overdue: bool,
    closed: Option<&str>,
) -> i64 {
    let t = at("2025-03-01 09:00");
    let n = sla_case::Entity::find().count(&s.db).await.unwrap();
    sla_case::ActiveModel {
        kind: Set("plan_task".into()),
        subject: Set(format!("plan_task:{n}")),
        title: Set("任务".into()),
        link: Set("/plans/0".into()),
        community_id: Set(Some(community)),
        policy_key: Set("plan_task".into()),
        policy_version: Set(1),
        spec: Set("{}".into()),
        stage: Set("do".into()),
        stage_seq: Set(0),
        state: Set(state.into()),
        assignee_id: Set(None),
        level: Set(i32::from(overdue)),
        overdue: Set(overdue),
        due_at: Set(None),
        next_at: Set(None),
        opened_at: Set(t),
        closed_at: Set(closed.map(at)),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&s.db)
    .await
    .unwrap()
    .id
}

async fn plan_row(
    s: &Services,
    community: i64,
    item: Option<i64>,
    created: &str,
    closed: Option<&str>,
    tasks: &[(&str, i64)],
) -> i64 {
    let t = at(created);
    let id = plan::ActiveModel {
        community_id: Set(community),
        meeting_id: Set(None),
        agenda_item_id: Set(item),
        title: Set("方案".into()),
        summary: Set(String::new()),
        status: Set(if closed.is_some() { "closed" } else { "active" }.into()),
        round: Set(1),
        reopen_note: Set(None),
        created_by: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        rating_from: Set(None),
        closed_at: Set(closed.map(at)),
        ..Default::default()
    }
    .insert(&s.db)
    .await
    .unwrap()
    .id;
    for (status, case) in tasks {
        plan_task::ActiveModel {
            plan_id: Set(id),
            title: Set("任务".into()),
            party_kind: Set("community".into()),
            party_name: Set("社区".into()),
            assignee_id: Set(None),
            deadline: Set(t),
            status: Set((*status).into()),
            progress: Set(0),
            case_id: Set(*case),
            created_at: Set(t),
            updated_at: Set(t),
            done_at: Set(None),
            ..Default::default()
        }
        .insert(&s.db)
        .await
        .unwrap();
    }
    id
}

async fn rating(s: &Services, plan: i64, account: i64, score: i32, when: &str) {
    plan_rating::ActiveModel {
        plan_id: Set(plan),
        round: Set(1),
        account_id: Set(account),
        score: Set(score),
        comment: Set(String::new()),
        at: Set(at(when)),
    }
    .insert(&s.db)
    .await
    .unwrap();
}

/// The dataset; returns (community A, community B).
async fn fixture(s: &Services) -> (i64, i64) {
    crate::seed::seed_demo(s, Some("demo-pass-2026"))
        .await
        .unwrap();
    let cs = crate::org::communities(s).await.unwrap();
    let (a, b) = (cs[0].id, cs[1].id);
    let op = |community, channel, category, status, created| Op {
        community,
        channel,
        category,
        status,
        created,
        received: None,
    };
    let o1 = opinion(
        s,
        op(a, "web", "public_safety", "published", "2025-03-05 10:00"),
    )
    .await;
    let o2 = opinion(
        s,
        op(a, "web", "public_safety", "published", "2025-03-20 10:00"),
    )
    .await;
    let o3 = opinion(
        s,
        op(
            a,
            "hotline",
            "public_service",
            "rejected",
            "2025-04-02 10:00",
        ),
    )
    .await;
    opinion(
        s,
        op(a, "import", "public_service", "merged", "2025-04-10 10:00"),
    )
    .await;
    opinion(
        s,
        op(a, "web", "public_safety", "pending", "2025-04-30 23:00"),
    )
    .await;
    // Just outside, on both sides.
    opinion(
        s,
        op(a, "web", "public_safety", "published", "2025-05-01 00:30"),
    )
    .await;
    opinion(
        s,
        op(a, "web", "public_safety", "published", "2025-02-28 23:59"),
    )
    .await;
    let o8 = opinion(
        s,
        op(
            b,
            "hotline",
            "public_safety",
            "published",
            "2025-03-15 10:00",
        ),
    )
    .await;
    opinion(
        s,
        op(b, "web", "public_service", "published", "2025-04-20 10:00"),
    )
    .await;
    // Imported in May, but it reached the hotline in April.
    opinion(
        s,
        Op {
            received: Some("2025-04-25 09:00"),
            ..op(
                b,
                "import",
                "public_safety",
                "published",
                "2025-05-03 10:00",
            )
        },
    )
    .await;

    let t1 = topic_row(
        s,
        &[a, b],
        "accepted",
        "2025-03-03 10:00",
        Some("2025-03-10 10:00"),
    )
    .await;
    topic_row(
        s,
        &[a],
        "rejected",
        "2025-04-05 10:00",
        Some("2025-04-08 10:00"),
    )
    .await;
    topic_row(
        s,
        &[b],
        "accepted",
        "2025-02-01 10:00",
        Some("2025-03-12 10:00"),
    )
    .await;
    topic_row(s, &[b], "open", "2025-04-28 10:00", None).await;
    for (o, copy) in [(o1, None), (o8, None), (o2, None), (o3, None)] {
        topic_member::ActiveModel {
            opinion_id: Set(o),
            topic_id: Set(t1),
            copy_of: Set(copy),
            pinned: Set(false),
        }
        .insert(&s.db)
        .await
        .unwrap();
    }
    let item = agenda_item::ActiveModel {
        topic_id: Set(t1),
        title: Set("楼道飞线充电整治".into()),
        summary: Set(String::new()),
        status: Set("planned".into()),
        created_by: Set(None),
        created_at: Set(at("2025-03-10 10:00")),
        ..Default::default()
    }
    .insert(&s.db)
    .await
    .unwrap()
    .id;

    meeting_row(
        s,
        a,
        "closed",
        "2025-03-18 19:00",
        &[Some("onsite"), Some("online"), None],
    )
    .await;
    meeting_row(s, a, "cancelled", "2025-03-25 19:00", &[Some("onsite")]).await;
    meeting_row(
        s,
        b,
        "closed",
        "2025-04-12 19:00",
        &[Some("onsite"), Some("onsite")],
    )
    .await;
    meeting_row(s, a, "closed", "2025-05-02 19:00", &[Some("onsite")]).await;

    let c1 = case_row(s, a, "closed", false, Some("2025-03-28 10:00")).await;
    let c2 = case_row(s, a, "closed", true, Some("2025-04-05 10:00")).await;
    let c3 = case_row(s, a, "open", true, None).await;
    case_row(s, b, "closed", false, Some("2025-05-05 10:00")).await;
    let c5 = case_row(s, b, "paused", true, None).await;

    let p1 = plan_row(
        s,
        a,
        Some(item),
        "2025-03-25 10:00",
        Some("2025-04-24 10:00"),
        &[("done", c1), ("done", c2), ("todo", c3)],
    )
    .await;
    let p2 = plan_row(s, b, None, "2025-04-15 10:00", None, &[("done", c5)]).await;
    plan_row(s, a, None, "2025-02-10 10:00", None, &[("done", c1); 5]).await;

    rating(s, p1, 1, 5, "2025-04-25 10:00").await;
    rating(s, p1, 2, 4, "2025-04-25 11:00").await;
    rating(s, p1, 3, 2, "2025-04-26 10:00").await;
    rating(s, p1, 4, 1, "2025-05-02 10:00").await;
    rating(s, p2, 5, 3, "2025-04-20 10:00").await;
    (a, b)
}

fn counts(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[tokio::test]
async fn figures_match_the_hand_counted_dataset() {
    for db in testdb::each().await {
        let s = &db.s;
        let (a, b) = fixture(s).await;
        let officer = testdb::principal(s, "13800000003").await;
        let period = Period::parse("2025-03", "2025-04").unwrap();
        let r = report(s, &officer, None, period).await.unwrap();
        let name = db.name;

        let fa = &r
            .communities
            .iter()
            .find(|c| c.community_id == a)
            .unwrap()
            .figures;
        let fb = &r
            .communities
            .iter()
            .find(|c| c.community_id == b)
            .unwrap()
            .figures;
        let st = &r.figures;
        // Opinions: A has five in the period (two outside), B three (one
        // imported in May but received in April).
        assert_eq!(fa.opinions, 5, "{name}");
        assert_eq!(
            fa.by_channel,
            counts(&[("hotline", 1), ("import", 1), ("web", 3)])
        );
        assert_eq!(
            fa.by_category,
            counts(&[("public_safety", 3), ("public_service", 2)])
        );
        assert_eq!(
            (fa.published, fa.rejected, fa.merged, fa.pending),
            (2, 1, 1, 1),
            "{name}"
        );
        assert_eq!((fb.opinions, fb.published), (3, 3), "{name}");
        assert_eq!(st.opinions, 8, "{name}");
        assert_eq!(
            st.by_channel,
            counts(&[("hotline", 2), ("import", 2), ("web", 4)])
        );
        // Topics: one spans both communities, so the street counts it once.
        assert_eq!(
            (fa.topics_proposed, fa.topics_accepted, fa.topics_rejected),
            (2, 1, 1),
            "{name}"
        );
        assert_eq!(
            (fb.topics_proposed, fb.topics_accepted, fb.topics_rejected),
            (2, 2, 0),
            "{name}"
        );
        assert_eq!(
            (st.topics_proposed, st.topics_accepted, st.topics_rejected),
            (3, 2, 1),
            "{name}"
        );
        // Meetings held (the cancelled one and May's are not).
        assert_eq!(
            (
                fa.meetings_held,
                fa.invited,
                fa.attended_onsite,
                fa.attended_online
            ),
            (1, 3, 1, 1),
            "{name}"
        );
        assert_eq!(
            (
                fb.meetings_held,
                fb.invited,
                fb.attended_onsite,
                fb.attended_online
            ),
            (1, 2, 2, 0),
            "{name}"
        );
        // Plans made in the period and their tasks (February's is not).
        assert_eq!((fa.plans, fa.tasks, fa.tasks_done), (1, 3, 2), "{name}");
        assert_eq!(fa.task_completion_pct(), Some(66.7));
        assert_eq!((st.plans, st.tasks, st.tasks_done), (2, 4, 3), "{name}");
        // SLA: A closed two in the period, one on time; one open overdue.
        // B closed one in May (outside) and has a paused overdue one.
        assert_eq!(
            (fa.cases_closed, fa.cases_on_time, fa.overdue_open),
            (2, 1, 1),
            "{name}"
        );
        assert_eq!(
            (fb.cases_closed, fb.cases_on_time, fb.overdue_open),
            (0, 0, 1),
            "{name}"
        );
        assert_eq!(fa.sla_compliance_pct(), Some(50.0));
        assert_eq!(fb.sla_compliance_pct(), None);
        // Ratings in the period: A 5, 4, 2 (May's 1 is outside), B 3.
        assert_eq!(fa.ratings, [0, 1, 0, 1, 1], "{name}");
        assert_eq!(
            (fa.rating_average(), fa.dissatisfied_pct()),
            (Some(3.7), Some(33.3))
        );
        assert_eq!(st.ratings, [0, 1, 1, 1, 1], "{name}");
        assert_eq!(
            (st.rating_average(), st.dissatisfied_pct()),
            (Some(3.5), Some(25.0))
        );
        // Days from the topic's published opinions (20, 10 and 5 days
        // before the plan; the rejected one does not count) to the plan,
        // and to its closing 30 days later.
        assert_eq!(
            (fa.median_days_to_plan, fa.median_days_to_resolution),
            (Some(10.0), Some(40.0)),
            "{name}"
        );
        assert_eq!(fb.median_days_to_plan, None, "{name}");
        assert_eq!(
            (st.median_days_to_plan, st.median_days_to_resolution),
            (Some(10.0), Some(40.0)),
            "{name}"
        );
        // The monthly trend of the street.
        let months: Vec<_> = r
            .monthly
            .iter()
            .map(|m| {
                (
                    m.month.as_str(),
                    m.opinions,
                    m.meetings_held,
                    m.plans,
                    m.ratings,
                    m.rating_average,
                )
            })
            .collect();
        assert_eq!(
            months,
            vec![
                ("2025-03", 3, 1, 1, 0, None),
                ("2025-04", 5, 1, 1, 4, Some(3.5))
            ],
            "{name}"
        );
        // One community's report: its own figures and trend.
        let ra = report(s, &officer, Some(a), period).await.unwrap();
        assert_eq!(ra.figures, fa.clone(), "{name}");
        assert_eq!(
            ra.monthly.iter().map(|m| m.opinions).collect::<Vec<_>>(),
            [2, 3],
            "{name}"
        );
    }
}

#[tokio::test]
async fn staff_see_their_own_community_and_residents_see_no_report() {
    for db in testdb::each().await {
        let s = &db.s;
        let (a, b) = fixture(s).await;
        let period = Period::parse("2025-03", "2025-04").unwrap();
        let staff = testdb::principal(s, "13800000002").await;
        let resident = testdb::principal(s, "13800000001").await;
        let mine = report(s, &staff, Some(a), period).await.unwrap();
        assert_eq!(
            mine.communities
                .iter()
                .map(|c| c.community_id)
                .collect::<Vec<_>>(),
            [a],
            "{}: no other community beside it",
            db.name
        );
        for (who, community) in [
            (&staff, Some(b)),
            (&staff, None),
            (&resident, Some(a)),
            (&resident, None),
        ] {
            assert!(
                matches!(
                    report(s, who, community, period).await,
                    Err(DomainError::Forbidden)
                ),
                "{}",
                db.name
            );
        }
        let admin = testdb::principal(s, "13800000008").await;
        assert!(matches!(
            report(s, &admin, Some(999_999), period).await,
            Err(DomainError::NotFound)
        ));
    }
}

#[tokio::test]
async fn exports_read_back_as_the_report_says() {
    use sea_orm::{ColumnTrait, QueryFilter};
    // Both databases: the same figures, the same files.
    for db in testdb::each().await {
        let s = &db.s;
        let (_, b) = fixture(s).await;
        // A hostile name, as an admin could type it.
        crate::entities::community::Entity::update_many()
            .col_expr(
                crate::entities::community::Column::Name,
                sea_orm::sea_query::Expr::value("=HYPERLINK(\"http://x\",\"点我\")"),
            )
            .filter(crate::entities::community::Column::Id.eq(b))
            .exec(&s.db)
            .await
            .unwrap();
        crate::refdata::changed(&s.db).await.unwrap();
        let officer = testdb::principal(s, "13800000003").await;
        let period = Period::parse("2025-03", "2025-04").unwrap();
        let r = report(s, &officer, None, period).await.unwrap();
        let names = export::Names::default();
        let sections = export::sections(&r, &names);

        // CSV: a byte-order mark, then every section's rows as written.
        let bytes = export::csv(&r, &names).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let mut rd = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&bytes[3..]);
        let rows: Vec<Vec<String>> = rd
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        let find = |label: &str| rows.iter().find(|r| r[0] == label).unwrap().clone();
        assert_eq!(find("收到意见")[1], "8");
        assert_eq!(find("平均满意度（1–5）")[1], "3.5");
        assert_eq!(find("开始日期")[1], "2025-03-01");
        let hostile = rows
            .iter()
            .find(|r| r[0].contains("HYPERLINK"))
            .expect("the community's row");
        assert!(hostile[0].starts_with("'="), "{:?}", hostile[0]);
        assert!(
            rows.iter().all(|r| r.iter().all(|c| !c.starts_with('='))),
            "no cell starts a formula"
        );

        // XLSX: a sheet per section, numbers as numbers, days as dates, the
        // hostile name a plain string.
        use calamine::{Data, Reader};
        let bytes = export::xlsx(&r, &names).unwrap();
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            book.sheet_names(),
            sections
                .iter()
                .map(|s| s.name.to_owned())
                .collect::<Vec<_>>()
        );
        for section in &sections {
            let range = book.worksheet_range(section.name).unwrap();
            assert_eq!(range.height(), section.rows.len() + 1, "{}", section.name);
            for (i, row) in section.rows.iter().enumerate() {
                for (j, cell) in row.iter().enumerate() {
                    let got = range.get((i + 1, j)).cloned().unwrap_or(Data::Empty);
                    match (cell, &got) {
                        (export::Cell::Text(t), Data::String(g)) => assert_eq!(t, g),
                        (export::Cell::Number(n), Data::Float(g)) => assert_eq!(n, g),
                        (export::Cell::Number(n), Data::Int(g)) => assert_eq!(*n, *g as f64),
                        (export::Cell::Day(d), Data::DateTime(g)) => {
                            assert_eq!(g.as_datetime().unwrap().date(), *d)
                        }
                        (export::Cell::Empty, Data::Empty) => {}
                        (want, got) => {
                            panic!("{} ({i}, {j}): {want:?} written as {got:?}", section.name)
                        }
                    }
                }
            }
        }
    }
}

/// A month that is over keeps the figures it had when its snapshot was
/// taken; a correction made later is counted beside them, and any other
/// period shows the records as they are now.
#[tokio::test]
async fn a_past_month_reads_from_its_snapshot_and_lists_later_corrections() {
    use sea_orm::{ColumnTrait, QueryFilter};
    for db in testdb::each().await {
        let s = &db.s;
        let (a, _) = fixture(s).await;
        let officer = testdb::principal(s, "13800000003").await;
        let march = Period::parse("2025-03", "2025-03").unwrap();
        let live = report(s, &officer, None, march).await.unwrap();
        assert_eq!(live.snapshot_at, None);
        // A month not over cannot be saved.
        let now = crate::clock::now();
        let this_month = Period::month_of(Period::this_year(now).to);
        assert!(snapshot::take(s, this_month, now).await.is_err());
        // The street and each community, once however often it runs.
        let communities = crate::org::communities(s).await.unwrap().len();
        assert_eq!(
            snapshot::take(s, march, now).await.unwrap(),
            communities + 1
        );
        assert_eq!(snapshot::take(s, march, now).await.unwrap(), 0);

        let saved = report(s, &officer, None, march).await.unwrap();
        assert!(saved.snapshot_at.is_some(), "{}", db.name);
        assert_eq!(saved.figures, live.figures, "{}", db.name);
        assert_eq!(saved.corrections, Corrections::default());

        // A March opinion is rejected after the snapshot.
        let later = now + chrono::Duration::seconds(5);
        opinion::Entity::update_many()
            .col_expr(opinion::Column::Status, "rejected".into())
            .col_expr(opinion::Column::UpdatedAt, later.into())
            .filter(opinion::Column::CommunityId.eq(a))
            .filter(opinion::Column::Status.eq("published"))
            .filter(opinion::Column::CreatedAt.lt(at("2025-03-10 00:00")))
            .filter(opinion::Column::CreatedAt.gte(at("2025-03-01 00:00")))
            .exec(&s.db)
            .await
            .unwrap();
        let after = report(s, &officer, None, march).await.unwrap();
        assert_eq!(
            after.figures.published, live.figures.published,
            "{}",
            db.name
        );
        assert_eq!(
            after.corrections,
            Corrections {
                opinions: 1,
                meetings: 0,
                plans: 0
            },
            "{}",
            db.name
        );
        let mine = report(s, &officer, Some(a), march).await.unwrap();
        assert_eq!(mine.corrections.opinions, 1, "{}", db.name);
        // The corrections are listed: the one rejected opinion, for the
        // street and for its community; none for meetings.
        let corrected = records::Narrow {
            corrected: true,
            ..records::Narrow::default()
        };
        for scope in [None, Some(a)] {
            let listed = all_records(
                s,
                &officer,
                scope,
                march,
                records::Figure::Opinions,
                corrected.clone(),
            )
            .await;
            assert_eq!(listed.len(), 1, "{}: {listed:?}", db.name);
            assert_eq!(listed[0].state, "rejected");
            assert_eq!(listed[0].community_id, Some(a));
        }
        let meetings = all_records(
            s,
            &officer,
            None,
            march,
            records::Figure::Meetings,
            corrected.clone(),
        )
        .await;
        assert!(meetings.is_empty(), "{}", db.name);
        // Nothing saved to correct (no snapshot), or a figure corrections
        // are not counted for: refused.
        for (period, figure) in [
            (
                Period::parse("2025-04", "2025-04").unwrap(),
                records::Figure::Opinions,
            ),
            (march, records::Figure::Tasks),
        ] {
            let r =
                records::records(s, &officer, None, period, figure, corrected.clone(), None).await;
            assert!(
                matches!(r, Err(DomainError::Validation { .. })),
                "{}: {figure:?} {r:?}",
                db.name
            );
        }
        // Two months: counted now, the correction in it.
        let spring = Period::parse("2025-03", "2025-04").unwrap();
        let now_counted = report(s, &officer, None, spring).await.unwrap();
        assert_eq!(now_counted.snapshot_at, None);
        assert_eq!(now_counted.figures.published, 5 - 1, "{}", db.name);
        // The job takes last month's once it is over.
        assert_eq!(snapshot::due(s, now).await.unwrap(), communities + 1);
        assert_eq!(snapshot::due(s, now).await.unwrap(), 0);
    }
}

/// Every record behind `figure` for `community`, page by page.
async fn all_records(
    s: &Services,
    who: &Principal,
    community: Option<i64>,
    period: Period,
    figure: records::Figure,
    narrow: records::Narrow,
) -> Vec<records::Record> {
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let page = records::records(s, who, community, period, figure, narrow.clone(), before)
            .await
            .unwrap();
        assert!(page.items.len() <= records::PAGE);
        out.extend(page.items);
        match page.next {
            Some(n) => before = Some(n),
            None => return out,
        }
    }
}

#[tokio::test]
async fn every_figure_drills_down_to_the_records_it_counted() {
    use records::{Figure, Narrow};
    for db in testdb::each().await {
        let s = &db.s;
        let name = db.name;
        let (a, _) = fixture(s).await;
        // Enough opinions in A for more than one page (March, web, pending).
        for _ in 0..records::PAGE + 5 {
            opinion(
                s,
                Op {
                    community: a,
                    channel: "paper",
                    category: "public_service",
                    status: "pending",
                    created: "2025-03-20 09:00",
                    received: None,
                },
            )
            .await;
        }
        // A title written before masking existed (kept as written), and a
        // rejected opinion: what it said is for its moderators only.
        let legacy = opinion(
            s,
            Op {
                community: a,
                channel: "web",
                category: "public_service",
                status: "published",
                created: "2025-03-21 09:00",
                received: None,
            },
        )
        .await;
        let rejected = opinion(
            s,
            Op {
                community: a,
                channel: "web",
                category: "public_service",
                status: "rejected",
                created: "2025-03-22 09:00",
                received: None,
            },
        )
        .await;
        for (id, title) in [(legacy, "请联系13912345678"), (rejected, "骂人的话")] {
            let mut o: opinion::ActiveModel = opinion::Entity::find_by_id(id)
                .one(&s.db)
                .await
                .unwrap()
                .unwrap()
                .into();
            o.title_public = Set(title.into());
            o.update(&s.db).await.unwrap();
        }
        // A retired community's records are not the street's: the report
        // does not count them, so its list does not show them.
        let street_id = crate::entities::community::Entity::find_by_id(a)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap()
            .street_id;
        let gone = crate::entities::community::ActiveModel {
            street_id: Set(street_id),
            name: Set("已撤销社区".into()),
            created_at: Set(at("2024-01-01 00:00")),
            code: Set(None),
            retired_at: Set(Some(at("2025-01-01 00:00"))),
            ..Default::default()
        }
        .insert(&s.db)
        .await
        .unwrap()
        .id;
        let stray = opinion(
            s,
            Op {
                community: gone,
                channel: "web",
                category: "public_service",
                status: "published",
                created: "2025-03-23 09:00",
                received: None,
            },
        )
        .await;
        let officer = testdb::principal(s, "13800000003").await;
        let period = Period::parse("2025-03", "2025-04").unwrap();
        assert!(matches!(
            records::records(
                s,
                &officer,
                Some(gone),
                period,
                Figure::Opinions,
                Narrow::default(),
                None
            )
            .await,
            Err(DomainError::NotFound)
        ));
        for community in [None, Some(a)] {
            let r = report(s, &officer, community, period).await.unwrap();
            let f = &r.figures;
            let list = |figure, narrow| all_records(s, &officer, community, period, figure, narrow);
            let ids = |v: &[records::Record]| {
                let mut ids: Vec<i64> = v.iter().map(|r| r.id).collect();
                ids.dedup();
                ids.len()
            };
            let opinions = list(Figure::Opinions, Narrow::default()).await;
            assert_eq!(opinions.len() as i64, f.opinions, "{name} {community:?}");
            assert_eq!(ids(&opinions), opinions.len(), "{name}: no record twice");
            assert!(
                opinions.windows(2).all(|w| w[0].id > w[1].id),
                "{name}: newest first"
            );
            for (channel, n) in &f.by_channel {
                let narrow = Narrow {
                    channel: Some(channel.clone()),
                    ..Narrow::default()
                };
                let v = list(Figure::Opinions, narrow).await;
                assert_eq!(v.len() as i64, *n, "{name} channel {channel}");
            }
            for (category, n) in &f.by_category {
                let narrow = Narrow {
                    category: Some(category.clone()),
                    ..Narrow::default()
                };
                let v = list(Figure::Opinions, narrow).await;
                assert_eq!(v.len() as i64, *n, "{name} category {category}");
            }
            for (outcome, n) in [
                ("published", f.published),
                ("rejected", f.rejected),
                ("merged", f.merged),
                ("pending", f.pending),
            ] {
                let narrow = Narrow {
                    outcome: Some(outcome.into()),
                    ..Narrow::default()
                };
                let v = list(Figure::Opinions, narrow).await;
                assert_eq!(v.len() as i64, n, "{name} {outcome}");
                // Only a published opinion links to its public page.
                assert!(
                    v.iter()
                        .all(|r| r.link.is_some() == (outcome == "published")),
                    "{name} {outcome}"
                );
            }
            for (figure, n) in [
                (Figure::TopicsProposed, f.topics_proposed),
                (Figure::TopicsAccepted, f.topics_accepted),
                (Figure::TopicsRejected, f.topics_rejected),
            ] {
                let v = list(figure, Narrow::default()).await;
                assert_eq!(v.len() as i64, n, "{name} {figure:?} {community:?}");
            }
            let tasks = list(Figure::Tasks, Narrow::default()).await;
            assert_eq!(tasks.len() as i64, f.tasks, "{name}");
            assert_eq!(
                tasks.iter().filter(|t| t.state == "done").count() as i64,
                f.tasks_done,
                "{name}"
            );
            assert!(
                tasks
                    .iter()
                    .all(|t| t.link.as_deref().is_some_and(|l| l.starts_with("/plans/")))
            );
            let meetings = list(Figure::Meetings, Narrow::default()).await;
            assert_eq!(meetings.len() as i64, f.meetings_held, "{name}");
            let plans = list(Figure::Plans, Narrow::default()).await;
            assert_eq!(plans.len() as i64, f.plans, "{name}");
            let resolved = list(Figure::PlansClosed, Narrow::default()).await;
            let mut q = plan::Entity::find()
                .filter(plan::Column::ClosedAt.gte(period.start()))
                .filter(plan::Column::ClosedAt.lt(period.end()));
            if let Some(c) = community {
                q = q.filter(plan::Column::CommunityId.eq(c));
            }
            assert_eq!(
                resolved.len() as u64,
                q.count(&s.db).await.unwrap(),
                "{name}"
            );
            let closed = list(Figure::CasesClosed, Narrow::default()).await;
            assert_eq!(closed.len() as i64, f.cases_closed, "{name}");
            assert_eq!(
                closed.iter().filter(|r| r.state == "on_time").count() as i64,
                f.cases_on_time,
                "{name}"
            );
            let overdue = list(Figure::Overdue, Narrow::default()).await;
            assert_eq!(overdue.len() as i64, f.overdue_open, "{name}");
            let rated = list(Figure::Ratings, Narrow::default()).await;
            assert_eq!(
                rated.iter().filter_map(|r| r.ratings).sum::<i64>(),
                f.rating_count(),
                "{name}"
            );
            let weighted: f64 = rated
                .iter()
                .map(|r| r.average.unwrap() * r.ratings.unwrap() as f64)
                .sum::<f64>()
                / f.rating_count().max(1) as f64;
            if let Some(avg) = f.rating_average() {
                assert!((weighted - avg).abs() < 0.11, "{name}: {weighted} vs {avg}");
            }
            assert_eq!(
                ids(&rated),
                rated.len(),
                "{name}: a rated plan once, however many rated it"
            );
            for r in opinions
                .iter()
                .chain(&meetings)
                .chain(&plans)
                .chain(&tasks)
                .chain(&closed)
                .chain(&overdue)
                .chain(&rated)
            {
                assert!(
                    community.is_none_or(|c| r.community_id == Some(c)),
                    "{name}: a record of another community"
                );
            }
            assert!(
                opinions.iter().all(|r| r.id != stray),
                "{name}: retired community"
            );
            let title = |id| opinions.iter().find(|r| r.id == id).unwrap().title.clone();
            assert_eq!(title(legacy), "请联系139****5678", "{name}: masked");
            assert_eq!(title(rejected), "", "{name}: an officer does not read it");
        }

        // Staff: their own community by default, never another one; a
        // resident none; bad narrowing is refused, not ignored.
        let staff = testdb::principal(s, "13800000002").await;
        assert_eq!(staff.community_id, Some(a));
        let mine = all_records(
            s,
            &staff,
            Some(a),
            period,
            Figure::Opinions,
            Narrow::default(),
        )
        .await;
        let seen = mine.iter().find(|r| r.id == rejected).unwrap();
        assert_eq!(seen.title, "骂人的话", "{name}: its moderators read it");
        assert_eq!(seen.link, None, "{name}: no public page");
        let (own, _) = resolve(&staff, None, "2025-03", "2025-04", crate::clock::now()).unwrap();
        assert_eq!(own, staff.community_id, "{name}");
        let other = crate::org::communities(s)
            .await
            .unwrap()
            .into_iter()
            .find(|c| Some(c.id) != staff.community_id)
            .unwrap()
            .id;
        let resident = testdb::principal(s, "13800000001").await;
        for (who, c) in [(&staff, Some(other)), (&staff, None), (&resident, own)] {
            assert!(
                matches!(
                    records::records(s, who, c, period, Figure::Opinions, Narrow::default(), None)
                        .await,
                    Err(DomainError::Forbidden)
                ),
                "{name}"
            );
        }
        for narrow in [
            Narrow {
                channel: Some("web' OR 1=1 --".into()),
                ..Narrow::default()
            },
            Narrow {
                category: Some("x".repeat(40)),
                ..Narrow::default()
            },
            Narrow {
                outcome: Some("deleted".into()),
                ..Narrow::default()
            },
        ] {
            assert!(
                matches!(
                    records::records(s, &officer, None, period, Figure::Opinions, narrow, None)
                        .await,
                    Err(DomainError::Validation { .. })
                ),
                "{name}"
            );
        }
        let narrow = Narrow {
            channel: Some("web".into()),
            ..Narrow::default()
        };
        assert!(matches!(
            records::records(s, &officer, None, period, Figure::Meetings, narrow, None).await,
            Err(DomainError::Validation { .. })
        ));
        assert!(records::Figure::parse("everything").is_err());
    }
}
