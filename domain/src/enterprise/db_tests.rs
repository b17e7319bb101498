//! 企服通 on real databases (a SQLite file, and PostgreSQL when
//! `TEST_DATABASE_URL` is set): the register's import (bad rows refused
//! whole, a re-import updating by credit code, flagged codes kept for
//! review), matching with its reasons and pushes once per policy version,
//! lease warnings across a month boundary and on a repeated run, requests
//! on the SLA engine, and who sees what.
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::entities::{ent_lease_alert, ent_push, enterprise};
use super::*;
use crate::entities::outbox;
use crate::import::Table;
use crate::testdb;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn table(rows: &[&[&str]]) -> Table {
    Table {
        headers: [
            "统一社会信用代码",
            "企业名称",
            "法定代表人",
            "行业代码",
            "从业人数",
            "年纳税额（万元）",
            "楼宇编号",
            "租期结束",
            "成立日期",
        ]
        .iter()
        .map(|h| (*h).to_owned())
        .collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect(),
        digest: "test".into(),
    }
}

fn valid(n: usize) -> String {
    let first = format!("9133010{:09}A", 100_000_000 + n * 7919);
    let first: String = first.chars().take(17).collect();
    format!("{first}{}", credit::check_character(&first).unwrap())
}

fn policy_input(title: &str, summary: &str, criteria: &str) -> policy::PolicyInput {
    policy::PolicyInput {
        title: title.into(),
        summary: summary.into(),
        criteria: criteria.into(),
        deadline: None,
        active: true,
    }
}

async fn setup(s: &crate::Services) {
    crate::seed::seed_demo(s, Some("demo-pass-2026"))
        .await
        .unwrap();
    demo::seed(s, Some("demo-pass-2026")).await.unwrap();
}

#[tokio::test]
async fn a_register_file_is_checked_whole_and_reimported_by_credit_code() {
    for db in testdb::each().await {
        let s = &db.s;
        setup(s).await;
        let admin = testdb::principal(s, "13800000008").await;
        let resident = testdb::principal(s, "13800000001").await;
        let before = enterprise::Entity::find().count(&s.db).await.unwrap();
        let (a, b) = (valid(1), valid(2));
        let mut wrong = valid(3);
        wrong.pop();
        wrong.push(if valid(3).ends_with('1') { '2' } else { '1' });
        // Bad rows: a missing name, a date that is none, a building nobody
        // knows, the same code twice. Row numbers as a spreadsheet shows.
        let bad = table(&[
            &[
                &a,
                "甲公司",
                "张三",
                "I6513",
                "20",
                "30",
                "GD-01",
                "2027-01-31",
                "2020-01-01",
            ],
            &[&b, "", "", "", "", "", "", "", ""],
            &[&valid(4), "丙公司", "", "", "", "", "", "2027-02-30", ""],
            &[&valid(5), "丁公司", "", "", "", "", "GD-99", "", ""],
            &[&a, "甲公司重复", "", "", "", "", "", "", ""],
            &[&valid(6), "戊公司", "", "ZZ", "很多", "-1", "", "", ""],
        ]);
        let r = register::import(s, Some(&admin), &bad, &HashMap::new(), false)
            .await
            .unwrap();
        let got: Vec<(usize, &str, &str)> = r
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "name", "required"),
                (4, "lease_end", "invalid"),
                (5, "building", "unknown"),
                (6, "credit_code", "duplicate"),
                (7, "industry_code", "invalid"),
                (7, "employees", "invalid"),
                (7, "annual_tax", "invalid"),
            ],
            "{}",
            db.name
        );
        assert_eq!(
            enterprise::Entity::find().count(&s.db).await.unwrap(),
            before
        );
        // Not the street's: refused before reading.
        assert!(matches!(
            register::import(s, Some(&resident), &bad, &HashMap::new(), false).await,
            Err(DomainError::Forbidden)
        ));
        // A good file, one code failing its check: imported, flagged.
        let good = table(&[
            &[
                &a,
                "甲公司",
                "张三",
                "I6513",
                "20",
                "30",
                "GD-01",
                "2027-01-31",
                "2020-01-01",
            ],
            &[
                &b,
                "乙公司",
                "李四",
                "C3911",
                "500",
                "1200",
                "GD-02",
                "",
                "",
            ],
            &[&wrong, "错码公司", "", "", "", "", "", "", ""],
        ]);
        let dry = register::import(s, Some(&admin), &good, &HashMap::new(), true)
            .await
            .unwrap();
        assert_eq!((dry.created, dry.dry_run), (3, true));
        assert_eq!(
            enterprise::Entity::find().count(&s.db).await.unwrap(),
            before
        );
        let r = register::import(s, Some(&admin), &good, &HashMap::new(), false)
            .await
            .unwrap();
        assert_eq!(
            (r.created, r.updated, r.unchanged),
            (3, 0, 0),
            "{}",
            db.name
        );
        assert_eq!(r.flagged.len(), 1);
        assert_eq!(r.flagged[0].credit_code, wrong);
        assert_eq!(r.flagged[0].problem, "check");
        assert_eq!(r.flagged[0].row, 4);
        let flagged = enterprise::Entity::find()
            .filter(enterprise::Column::CreditCode.eq(wrong.clone()))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (flagged.code_state.as_str(), flagged.review_state.as_str()),
            ("flagged", "pending")
        );
        // Tags from the rules.
        let tags = tags_of(&s.db, None).await.unwrap();
        let ent_b = enterprise::Entity::find()
            .filter(enterprise::Column::CreditCode.eq(b.clone()))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert!(
            tags[&ent_b.id].contains(&"规上企业".to_owned()),
            "{:?}",
            tags[&ent_b.id]
        );
        // Reviewed, then re-imported with a change: updated (the field
        // named), back to pending, nothing duplicated.
        register::review(s, &admin, ent_b.id).await.unwrap();
        let changed = table(&[
            &[
                &a,
                "甲公司",
                "张三",
                "I6513",
                "20",
                "30",
                "GD-01",
                "2027-01-31",
                "2020-01-01",
            ],
            &[
                &b,
                "乙公司",
                "李四",
                "C3911",
                "520",
                "1200",
                "GD-02",
                "",
                "",
            ],
        ]);
        let r = register::import(s, Some(&admin), &changed, &HashMap::new(), false)
            .await
            .unwrap();
        assert_eq!(
            (r.created, r.updated, r.unchanged),
            (0, 1, 1),
            "{}",
            db.name
        );
        assert_eq!(r.changes[0].fields, ["employees"]);
        assert_eq!(
            enterprise::Entity::find().count(&s.db).await.unwrap(),
            before + 3
        );
        let again = enterprise::Entity::find_by_id(ent_b.id)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (again.employees, again.review_state.as_str()),
            (Some(520), "pending")
        );
        // A file with fewer columns leaves the others as they are.
        let mut narrow = table(&[&[&b, "乙公司"]]);
        narrow.headers.truncate(2);
        let r = register::import(s, Some(&admin), &narrow, &HashMap::new(), false)
            .await
            .unwrap();
        assert_eq!((r.updated, r.unchanged), (0, 1), "{}", db.name);
        let kept = enterprise::Entity::find_by_id(ent_b.id)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (kept.employees, kept.industry_code.as_deref()),
            (Some(520), Some("C3911"))
        );
        // Views mask the legal representative and the number.
        let (rows, _) = services::list(
            s,
            &admin,
            &services::Filter {
                q: "乙公司".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows[0].legal_rep.as_deref(), Some("李*"));
    }
}

#[tokio::test]
async fn policies_say_why_and_push_once_per_version() {
    for db in testdb::each().await {
        let s = &db.s;
        setup(s).await;
        let admin = testdb::principal(s, "13800000008").await;
        let ent_user = testdb::principal(s, "13800000010").await;
        let own = services::own_enterprise(s, &ent_user)
            .await
            .unwrap()
            .unwrap();
        // A hand-made policy the demo's software company fits, one it
        // fails on industry, one that needs a figure the register lacks.
        let fits = policy::save_policy(
            s,
            &admin,
            None,
            &policy_input("测试：软件企业补贴", "", r#"{"industries": ["I65"]}"#),
        )
        .await
        .unwrap();
        let fails = policy::save_policy(
            s,
            &admin,
            None,
            &policy_input("测试：制造业技改", "", r#"{"industries": ["C"]}"#),
        )
        .await
        .unwrap();
        let unknown = policy::save_policy(
            s,
            &admin,
            None,
            &policy_input("测试：按营业面积", "", r#"{"min_capital": 1}"#),
        )
        .await
        .unwrap();
        let mine = policy::for_enterprise(s, &ent_user, None).await.unwrap();
        let find = |id: i64| mine.iter().find(|m| m.policy_id == id).unwrap().clone();
        assert_eq!(
            find(fits).verdict.state,
            rules::State::Eligible,
            "{}",
            db.name
        );
        assert!(find(fits).pushed);
        let f = find(fails);
        assert_eq!(f.verdict.state, rules::State::Ineligible);
        assert_eq!(f.verdict.failed[0].criterion, "industries");
        assert!(f.verdict.failed[0].reason.contains("I6513"));
        assert_eq!(find(unknown).verdict.state, rules::State::Eligible);
        // An enterprise whose file leaves registered capital out: unknown,
        // the missing field named (staff looking at it).
        let gap = valid(21);
        register::import(
            s,
            Some(&admin),
            &table(&[&[&gap, "缺资本公司", "", "I6513", "", "", "", "", ""]]),
            &HashMap::new(),
            false,
        )
        .await
        .unwrap();
        let gap_id = enterprise::Entity::find()
            .filter(enterprise::Column::CreditCode.eq(gap))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap()
            .id;
        let theirs = policy::for_enterprise(s, &admin, Some(gap_id))
            .await
            .unwrap();
        let u = theirs.iter().find(|m| m.policy_id == unknown).unwrap();
        assert_eq!(u.verdict.state, rules::State::Unknown);
        assert_eq!(u.verdict.missing, ["registered_capital"]);
        let pushes = |p: i64| async move {
            ent_push::Entity::find()
                .filter(ent_push::Column::PolicyId.eq(p))
                .filter(ent_push::Column::EnterpriseId.eq(own))
                .count(&s.db)
                .await
                .unwrap()
        };
        assert_eq!(pushes(fits).await, 1);
        assert_eq!(pushes(fails).await, 0);
        // Saved again unchanged, re-matched: no second push.
        policy::save_policy(
            s,
            &admin,
            Some(fits),
            &policy_input(
                "测试：软件企业补贴",
                "改了说明",
                r#"{"industries": ["I65"]}"#,
            ),
        )
        .await
        .unwrap();
        policy::rematch(s, Some(&admin)).await.unwrap();
        assert_eq!(pushes(fits).await, 1, "{}", db.name);
        // New criteria, a new version: pushed once more.
        policy::save_policy(
            s,
            &admin,
            Some(fits),
            &policy_input(
                "测试：软件企业补贴",
                "",
                r#"{"industries": ["I65", "I64"]}"#,
            ),
        )
        .await
        .unwrap();
        policy::rematch(s, Some(&admin)).await.unwrap();
        assert_eq!(pushes(fits).await, 2, "{}", db.name);
        let notices = outbox::Entity::find()
            .filter(outbox::Column::Channel.eq("in_app"))
            .filter(outbox::Column::Recipient.eq(ent_user.account_id.to_string()))
            .filter(outbox::Column::Body.contains("测试：软件企业补贴"))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(notices, 2);
        // Bad criteria are refused; a resident may not write policies.
        assert!(matches!(
            policy::save_policy(
                s,
                &admin,
                None,
                &policy_input("坏政策", "", r#"{"min_tax": -3}"#)
            )
            .await,
            Err(DomainError::Validation { .. })
        ));
        let resident = testdb::principal(s, "13800000001").await;
        assert!(matches!(
            policy::save_policy(s, &resident, None, &policy_input("居民的政策", "", "{}")).await,
            Err(DomainError::Forbidden)
        ));
        // Another enterprise's policies: not found for the enterprise user.
        let other = enterprise::Entity::find()
            .filter(enterprise::Column::Id.ne(own))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            policy::for_enterprise(s, &ent_user, Some(other.id)).await,
            Err(DomainError::NotFound)
        ));
    }
}

#[tokio::test]
async fn lease_warnings_change_colour_across_a_month_and_never_double() {
    for db in testdb::each().await {
        let s = &db.s;
        setup(s).await;
        let admin = testdb::principal(s, "13800000008").await;
        let manager = testdb::principal(s, "13800000009").await;
        ent_lease_alert::Entity::delete_many()
            .exec(&s.db)
            .await
            .unwrap();
        let (a, b, c) = (valid(11), valid(12), valid(13));
        let file = table(&[
            &[&a, "一月底到期", "", "", "", "", "GD-01", "2026-02-28", ""],
            &[&b, "三月初到期", "", "", "", "", "GD-01", "2026-03-01", ""],
            &[&c, "别的楼", "", "", "", "", "GD-02", "2026-02-10", ""],
        ]);
        register::import(s, Some(&admin), &file, &HashMap::new(), false)
            .await
            .unwrap();
        let levels = || async {
            let mut v: Vec<(String, String)> = ent_lease_alert::Entity::find()
                .all(&s.db)
                .await
                .unwrap()
                .into_iter()
                .filter(|x| x.lease_end.is_some_and(|e| e <= d("2026-03-01")))
                .map(|x| (x.lease_end.unwrap().to_string(), x.level))
                .collect();
            v.sort();
            v
        };
        let months = rules::DEFAULT_MONTHS;
        lease::run(s, d("2026-01-31"), months).await.unwrap();
        assert_eq!(
            levels().await,
            vec![
                ("2026-02-10".into(), "red".into()),
                ("2026-02-28".into(), "red".into()),
                ("2026-03-01".into(), "yellow".into())
            ],
            "{}",
            db.name
        );
        let rows = ent_lease_alert::Entity::find().count(&s.db).await.unwrap();
        // The same day again: nothing new, nothing changed.
        let again = lease::run(s, d("2026-01-31"), months).await.unwrap();
        assert_eq!((again.opened, again.changed), (0, 0));
        assert_eq!(
            ent_lease_alert::Entity::find().count(&s.db).await.unwrap(),
            rows
        );
        // Across the month boundary: 1 March is now within a month.
        let next = lease::run(s, d("2026-02-01"), months).await.unwrap();
        assert_eq!(next.opened, 0);
        assert!(next.changed >= 1);
        assert!(
            levels()
                .await
                .contains(&("2026-03-01".into(), "red".into()))
        );
        // The building manager sees the first building's only, and records
        // an outcome; the other building's warning is not theirs.
        let seen = lease::alerts(s, &manager).await.unwrap();
        let names: Vec<&str> = seen.iter().map(|x| x.enterprise.as_str()).collect();
        assert!(
            names.contains(&"一月底到期") && !names.contains(&"别的楼"),
            "{names:?}"
        );
        let mine = seen.iter().find(|x| x.enterprise == "一月底到期").unwrap();
        lease::record(
            s,
            &manager,
            mine.id,
            Some("renewed"),
            "已续签三年，联系人13912345678",
        )
        .await
        .unwrap();
        let after = lease::alerts(s, &manager).await.unwrap();
        let rec = after.iter().find(|x| x.id == mine.id).unwrap();
        assert_eq!(rec.outcome.as_deref(), Some("renewed"));
        assert!(!rec.outcome_note.as_deref().unwrap().contains("13912345678"));
        let theirs = lease::alerts(s, &admin)
            .await
            .unwrap()
            .into_iter()
            .find(|x| x.enterprise == "别的楼")
            .unwrap();
        assert!(matches!(
            lease::record(s, &manager, theirs.id, None, "").await,
            Err(DomainError::NotFound)
        ));
        assert!(matches!(
            lease::record(s, &manager, mine.id, Some("bankrupt"), "").await,
            Err(DomainError::Validation { .. })
        ));
        let resident = testdb::principal(s, "13800000001").await;
        assert!(matches!(
            lease::alerts(s, &resident).await,
            Err(DomainError::Forbidden)
        ));
    }
}

#[tokio::test]
async fn a_request_runs_on_the_sla_engine_and_each_sees_only_its_own() {
    for db in testdb::each().await {
        let s = &db.s;
        setup(s).await;
        let ent_user = testdb::principal(s, "13800000010").await;
        let officer = testdb::principal(s, "13800000003").await;
        let resident = testdb::principal(s, "13800000001").await;
        let manager = testdb::principal(s, "13800000009").await;
        assert!(matches!(
            requests::file(s, &resident, "space", "想找场地", "需要 300 平方米办公室").await,
            Err(DomainError::Forbidden)
        ));
        assert!(matches!(
            requests::file(s, &ent_user, "rocket", "标题", "内容内容内容").await,
            Err(DomainError::Validation { .. })
        ));
        let id = requests::file(
            s,
            &ent_user,
            "space",
            "扩租需求",
            "团队扩张，需要再租 300 平方米，联系电话13912345678",
        )
        .await
        .unwrap();
        let mine = requests::mine(s, &ent_user).await.unwrap();
        assert_eq!(mine[0].id, id);
        assert_eq!(mine[0].department, "招商服务中心");
        assert_eq!(mine[0].stage.as_deref(), Some("accept"));
        assert!(!mine[0].description.contains("13912345678"));
        // Late: the sweep escalates it to the street.
        let sweep = crate::sla::sweep(s, crate::clock::now() + chrono::Duration::days(5))
            .await
            .unwrap();
        assert!(sweep.escalated >= 1, "{}", db.name);
        let q = requests::queue(s, &officer).await.unwrap();
        let r = q.iter().find(|r| r.id == id).unwrap();
        assert!(r.overdue);
        // Someone not of the register, or a building manager: no queue,
        // no answering, no reviewing.
        for who in [&resident, &manager] {
            assert!(matches!(
                requests::queue(s, who).await,
                Err(DomainError::Forbidden)
            ));
            assert!(requests::answer(s, who, id, "我来答复一下").await.is_err());
        }
        let own_id = services::own_enterprise(s, &ent_user)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            register::review(s, &manager, own_id).await,
            Err(DomainError::Forbidden)
        ));
        requests::accept(s, &officer, id).await.unwrap();
        assert!(matches!(
            requests::accept(s, &officer, id).await,
            Err(DomainError::Conflict(_))
        ));
        requests::answer(s, &officer, id, "已对接科创大厦 12 楼空置房源，可实地查看")
            .await
            .unwrap();
        assert!(matches!(
            requests::rate(s, &resident, id, 5, "").await,
            Err(DomainError::NotFound)
        ));
        requests::rate(s, &ent_user, id, 5, "很快").await.unwrap();
        let mine = requests::mine(s, &ent_user).await.unwrap();
        assert_eq!(
            (mine[0].state.as_str(), mine[0].rating),
            ("closed", Some(5))
        );
        // The enterprise sees its own file, not another's; the building
        // manager the first building's register only.
        let own = services::own_enterprise(s, &ent_user)
            .await
            .unwrap()
            .unwrap();
        assert!(services::file(s, &ent_user, own).await.is_ok());
        let other = enterprise::Entity::find()
            .filter(enterprise::Column::Id.ne(own))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            services::file(s, &ent_user, other.id).await,
            Err(DomainError::NotFound)
        ));
        let (rows, total) = services::list(s, &manager, &services::Filter::default())
            .await
            .unwrap();
        assert!(
            total > 0
                && rows
                    .iter()
                    .all(|r| r.building.as_deref() == Some("古荡科创大厦"))
        );
        // The dashboard counts it, for the street only.
        let month = crate::reports::Period::month_of(today());
        let dash = dashboard::dashboard(s, &officer, month).await.unwrap();
        assert!(dash.enterprises >= 60 && dash.requests >= 1 && dash.requests_closed >= 1);
        assert!(dash.above_10m >= 1);
        assert_eq!((dash.from, dash.to), (month.from, month.to));
        assert!(!dashboard::xlsx(&dash).unwrap().is_empty());
        // Another period: the same register (stock), none of this month's
        // requests or pushes (flows).
        let old = crate::reports::Period::parse("2021-01", "2021-03").unwrap();
        let then = dashboard::dashboard(s, &officer, old).await.unwrap();
        assert_eq!(then.enterprises, dash.enterprises);
        assert_eq!((then.requests, then.pushes), (0, 0));
        assert!(dash.pushes > 0, "this month's pushes are counted");
        assert!(matches!(
            dashboard::dashboard(s, &manager, month).await,
            Err(DomainError::Forbidden)
        ));
    }
}

#[tokio::test]
async fn buildings_and_units_are_kept_by_those_who_answer_for_them() {
    for db in testdb::each().await {
        let s = &db.s;
        setup(s).await;
        let officer = testdb::principal(s, "13800000003").await;
        let manager = testdb::principal(s, "13800000009").await;
        let resident = testdb::principal(s, "13800000001").await;
        let community = crate::org::communities(s).await.unwrap()[0].id;
        let input = buildings::BuildingInput {
            code: " gd-09 ".into(),
            name: "古荡新楼".into(),
            community_id: community,
            address: "古荡路 9 号".into(),
            floor_area: Some(12000.0),
            property_company: "小河物业".into(),
            rent_guide: Some(3.5),
            ..Default::default()
        };
        // Only the street adds buildings; a bad code or figure is refused.
        for who in [&manager, &resident] {
            assert!(matches!(
                buildings::save_building(s, who, &input).await,
                Err(DomainError::Forbidden)
            ));
        }
        for bad in [
            buildings::BuildingInput {
                code: "x".into(),
                ..input.clone()
            },
            buildings::BuildingInput {
                code: "GD 09;".into(),
                ..input.clone()
            },
            buildings::BuildingInput {
                floor_area: Some(f64::NAN),
                ..input.clone()
            },
            buildings::BuildingInput {
                rent_guide: Some(-1.0),
                ..input.clone()
            },
            buildings::BuildingInput {
                name: " ".into(),
                ..input.clone()
            },
            buildings::BuildingInput {
                community_id: 999_999,
                ..input.clone()
            },
        ] {
            assert!(
                matches!(
                    buildings::save_building(s, &officer, &bad).await,
                    Err(DomainError::Validation { .. })
                ),
                "{bad:?}"
            );
        }
        let id = buildings::save_building(s, &officer, &input).await.unwrap();
        // Codes are unique, kept upper-case.
        assert!(matches!(
            buildings::save_building(
                s,
                &officer,
                &buildings::BuildingInput {
                    name: "另一栋".into(),
                    ..input.clone()
                }
            )
            .await,
            Err(DomainError::Conflict("building_code"))
        ));
        // A name is not another building's name or code either (register
        // files name buildings by either).
        for (code, name) in [("GD-10", "古荡新楼"), ("GD-11", "gd-01")] {
            assert!(matches!(
                buildings::save_building(
                    s,
                    &officer,
                    &buildings::BuildingInput {
                        code: code.into(),
                        name: name.into(),
                        ..input.clone()
                    }
                )
                .await,
                Err(DomainError::Conflict("building_name"))
            ));
        }
        // Names are kept as typed (case, full-width brackets).
        let kept = buildings::save_building(
            s,
            &officer,
            &buildings::BuildingInput {
                code: "GD-12".into(),
                name: "SOHO 大厦（二期）".into(),
                ..input.clone()
            },
        )
        .await
        .unwrap();
        let listed = buildings::list(s, &officer).await.unwrap();
        assert_eq!(
            listed.iter().find(|b| b.id == kept).unwrap().name,
            "SOHO 大厦（二期）"
        );
        let b = listed.iter().find(|b| b.id == id).unwrap();
        assert_eq!((b.code.as_str(), b.editable), ("GD-09", true));
        // A unit, vacant: 找场地 lists it.
        let unit = buildings::UnitInput {
            building_id: id,
            name: "1201".into(),
            area: Some(321.0),
            vacant: true,
            note: "联系王经理 13912345678".into(),
            ..Default::default()
        };
        let uid = buildings::save_unit(s, &officer, &unit).await.unwrap();
        let spaces = services::spaces(s, Some(320.0)).await.unwrap();
        let space = spaces.iter().find(|x| x.building == "古荡新楼").unwrap();
        assert!(
            !space
                .note
                .clone()
                .unwrap_or_default()
                .contains("13912345678")
        );
        assert!(matches!(
            buildings::save_unit(
                s,
                &officer,
                &buildings::UnitInput {
                    id: None,
                    ..unit.clone()
                }
            )
            .await,
            Err(DomainError::Conflict("unit_name"))
        ));
        // The building manager of GD-01 sees and edits only GD-01's units;
        // another building's answers "not found".
        let mine = buildings::list(s, &manager).await.unwrap();
        assert!(!mine.is_empty() && mine.iter().all(|b| b.code == "GD-01" && !b.editable));
        assert!(matches!(
            buildings::save_unit(
                s,
                &manager,
                &buildings::UnitInput {
                    id: Some(uid),
                    vacant: false,
                    ..unit.clone()
                }
            )
            .await,
            Err(DomainError::NotFound)
        ));
        let gd01 = mine[0].id;
        let own = buildings::save_unit(
            s,
            &manager,
            &buildings::UnitInput {
                building_id: gd01,
                name: "0808".into(),
                area: Some(90.0),
                vacant: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // A unit id of another building, named under one's own: not found.
        assert!(matches!(
            buildings::save_unit(
                s,
                &manager,
                &buildings::UnitInput {
                    id: Some(uid),
                    building_id: gd01,
                    name: "x1".into(),
                    ..Default::default()
                }
            )
            .await,
            Err(DomainError::NotFound)
        ));
        buildings::save_unit(
            s,
            &manager,
            &buildings::UnitInput {
                id: Some(own),
                building_id: gd01,
                name: "0808".into(),
                area: Some(90.0),
                vacant: false,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            !services::spaces(s, None)
                .await
                .unwrap()
                .iter()
                .any(|x| x.unit == "0808"),
            "{}",
            db.name
        );
        assert!(matches!(
            buildings::list(s, &resident).await,
            Err(DomainError::Forbidden)
        ));
        let audited = crate::entities::audit_log::Entity::find()
            .filter(crate::entities::audit_log::Column::Action.starts_with("building."))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(audited, 5, "{}", db.name);
        // Search text is matched as written: a wildcard matches only itself.
        for wild in ["%", "_", "!%"] {
            let f = services::Filter {
                q: wild.into(),
                ..Default::default()
            };
            let (rows, total) = services::list(s, &officer, &f).await.unwrap();
            assert_eq!((rows.len(), total), (0, 0), "{wild} on {}", db.name);
        }
        let (_, total) = services::list(
            s,
            &officer,
            &services::Filter {
                q: "有限".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(total > 0, "{}", db.name);
    }
}

#[tokio::test]
async fn request_files_are_judged_by_their_bytes_and_shown_only_to_the_requests_people() {
    use crate::photos::Size;
    for db in testdb::each().await {
        let s = &db.s;
        setup(s).await;
        let ent_user = testdb::principal(s, "13800000010").await;
        let officer = testdb::principal(s, "13800000003").await;
        let resident = testdb::principal(s, "13800000001").await;
        let id = requests::file(
            s,
            &ent_user,
            "approval",
            "办证材料",
            "附上租赁合同和现场照片",
        )
        .await
        .unwrap();
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
        // Someone the request is not for: not found, before any byte is read.
        assert!(matches!(
            attachments::may_add(s, &resident, id).await,
            Err(DomainError::NotFound)
        ));
        attachments::may_add(s, &ent_user, id).await.unwrap();
        let a = attachments::add(s, &ent_user, id, "D:\\合同\\联系人13912345678.pdf", &pdf)
            .await
            .unwrap();
        let photo = crate::photos::tests::jpeg_with_exif(64, 48);
        let p = attachments::add(s, &officer, id, "现场.jpg", &photo)
            .await
            .unwrap();
        // Not a photo or a PDF, whatever it is called; a PDF cut off; a
        // PDF too large: refused, nothing kept.
        for (name, bytes, rule) in [
            (
                "合同.pdf",
                b"<html><script>alert(1)</script></html>".to_vec(),
                "invalid_type",
            ),
            ("setup.pdf", b"MZ\x90\x00\x03%%EOF".to_vec(), "invalid_type"),
            (
                "半截.pdf",
                b"%PDF-1.4\n1 0 obj\n<<".to_vec(),
                "invalid_type",
            ),
            ("空.pdf", Vec::new(), "empty"),
            (
                "大.pdf",
                [
                    b"%PDF-1.4\n".to_vec(),
                    vec![b' '; attachments::MAX_PDF_BYTES],
                    b"%%EOF".to_vec(),
                ]
                .concat(),
                "pdf_too_large",
            ),
        ] {
            match attachments::add(s, &ent_user, id, name, &bytes).await {
                Err(DomainError::Validation { rule: r, .. }) => assert_eq!(r, rule, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        let kept = std::fs::read_dir(s.settings.data_dir.join("attachments"))
            .unwrap()
            .count();
        assert_eq!(kept, 1, "only the one PDF is on disk ({})", db.name);
        // The enterprise and staff see both; the name masked, kept a PDF.
        let mine = requests::mine(s, &ent_user).await.unwrap();
        let files = &mine.iter().find(|r| r.id == id).unwrap().attachments;
        assert_eq!(
            files
                .iter()
                .map(|f| (f.id, f.kind.as_str()))
                .collect::<Vec<_>>(),
            vec![(a, "pdf"), (p, "photo")]
        );
        assert!(!files[0].name.contains("13912345678") && files[0].name.ends_with(".pdf"));
        let q = requests::queue(s, &officer).await.unwrap();
        assert_eq!(q.iter().find(|r| r.id == id).unwrap().attachments.len(), 2);
        let got = attachments::read(s, Some(&ent_user), a, Size::Full)
            .await
            .unwrap();
        assert_eq!(
            (got.bytes, got.content_type, got.attachment),
            (pdf.clone(), "application/pdf", true)
        );
        let thumb = attachments::read(s, Some(&officer), p, Size::Thumb)
            .await
            .unwrap();
        assert!(thumb.bytes.starts_with(&[0xFF, 0xD8]) && !thumb.attachment);
        for who in [None, Some(&resident)] {
            assert!(matches!(
                attachments::read(s, who, a, Size::Full).await,
                Err(DomainError::NotFound)
            ));
        }
        assert!(matches!(
            attachments::read(s, Some(&officer), 999_999, Size::Full).await,
            Err(DomainError::NotFound)
        ));
        // At most five a request.
        for _ in 0..3 {
            attachments::add(s, &ent_user, id, "x.pdf", &pdf)
                .await
                .unwrap();
        }
        assert!(matches!(
            attachments::add(s, &ent_user, id, "x.pdf", &pdf).await,
            Err(DomainError::Conflict("too_many_attachments"))
        ));
        // A closed request takes no more.
        let id2 = requests::file(s, &ent_user, "other", "其他事项", "咨询一下办理流程")
            .await
            .unwrap();
        requests::answer(s, &officer, id2, "已电话答复")
            .await
            .unwrap();
        requests::rate(s, &ent_user, id2, 4, "").await.unwrap();
        assert!(matches!(
            attachments::add(s, &ent_user, id2, "x.pdf", &pdf).await,
            Err(DomainError::Conflict("request_closed"))
        ));
        let audited = crate::entities::audit_log::Entity::find()
            .filter(crate::entities::audit_log::Column::Action.eq("enterprise.request.attach"))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(audited, 5, "{}", db.name);
    }
}

#[tokio::test]
async fn staff_keep_a_file_visits_followed_up_tags_ticked_accounts_linked() {
    for db in testdb::each().await {
        let s = &db.s;
        setup(s).await;
        let officer = testdb::principal(s, "13800000003").await;
        let manager = testdb::principal(s, "13800000009").await;
        let resident = testdb::principal(s, "13800000001").await;
        let e = enterprise::Entity::find()
            .filter(enterprise::Column::BuildingId.is_not_null())
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        // A visit with a follow-up, marked done once; one without has
        // nothing to finish; a resident finds no such visit.
        let v = services::log_visit(s, &officer, e.id, None, "走访了解用工情况", "协调人才公寓")
            .await
            .unwrap();
        let plain = services::log_visit(s, &officer, e.id, None, "例行走访", "")
            .await
            .unwrap();
        assert!(matches!(
            services::finish_follow_up(s, &resident, v).await,
            Err(DomainError::NotFound)
        ));
        assert!(matches!(
            services::finish_follow_up(s, &officer, plain).await,
            Err(DomainError::Conflict("no_follow_up"))
        ));
        services::finish_follow_up(s, &officer, v).await.unwrap();
        assert!(matches!(
            services::finish_follow_up(s, &officer, v).await,
            Err(DomainError::Conflict("follow_up_done"))
        ));
        let f = services::file(s, &officer, e.id).await.unwrap();
        let done: Vec<(i64, bool)> = f.visits.iter().map(|x| (x.id, x.follow_up_done)).collect();
        assert!(done.contains(&(v, true)) && done.contains(&(plain, false)));
        // Ticked certifications only; a made-up tag is refused.
        let cert = rules::MANUAL_TAGS[0].to_owned();
        services::set_tags(s, &officer, e.id, std::slice::from_ref(&cert), Some("A"))
            .await
            .unwrap();
        assert!(
            services::file(s, &officer, e.id)
                .await
                .unwrap()
                .enterprise
                .tags
                .contains(&cert)
        );
        assert!(matches!(
            services::set_tags(s, &officer, e.id, &["自封龙头".to_owned()], None).await,
            Err(DomainError::Validation { .. })
        ));
        // The street links a resident's account: it acts for the
        // enterprise and gets the enterprise role (its way to /tasks).
        assert!(!resident.can_enter(crate::accounts::Area::Tasks));
        assert!(matches!(
            services::link_account(s, &manager, e.id, "13800000001").await,
            Err(DomainError::Forbidden)
        ));
        services::link_account(s, &officer, e.id, "13800000001")
            .await
            .unwrap();
        let linked = testdb::principal(s, "13800000001").await;
        assert!(
            linked.can_enter(crate::accounts::Area::Tasks),
            "{}",
            db.name
        );
        assert_eq!(
            services::own_enterprise(s, &linked).await.unwrap(),
            Some(e.id)
        );
        assert!(matches!(
            services::link_account(s, &officer, e.id, "13800000001").await,
            Err(DomainError::Conflict("account_linked"))
        ));
        // An account that has the role already keeps one grant of it.
        let ent_user = testdb::principal(s, "13800000010").await;
        let grants = ent_user
            .grants
            .iter()
            .filter(|g| g.role == crate::accounts::Role::Enterprise)
            .count();
        assert_eq!(grants, 1);
    }
}

#[tokio::test]
async fn the_street_keeps_the_provider_directory() {
    for db in testdb::each().await {
        let s = &db.s;
        setup(s).await;
        let officer = testdb::principal(s, "13800000003").await;
        let manager = testdb::principal(s, "13800000009").await;
        let input = |url: &str| services::ProviderInput {
            kind: "law".into(),
            name: "古荡知识产权律师事务所".into(),
            services: "商标注册 专利申请 股权设计".into(),
            contact: "0571-88880000".into(),
            url: url.into(),
        };
        assert!(matches!(
            services::save_provider(s, &manager, None, &input("")).await,
            Err(DomainError::Forbidden)
        ));
        // Only plain web addresses: no script, data or file links, no
        // credentials, nothing that is not an address.
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "ftp://example.com/",
            "https://user:pass@example.com/",
            "https://exa mple.com/",
            "https://",
            "www.example.com",
        ] {
            assert!(
                matches!(
                    services::save_provider(s, &officer, None, &input(bad)).await,
                    Err(DomainError::Validation { field: "url", .. })
                ),
                "{bad}"
            );
        }
        let mut wrong_kind = input("");
        wrong_kind.kind = "casino".into();
        assert!(
            services::save_provider(s, &officer, None, &wrong_kind)
                .await
                .is_err()
        );
        let id = services::save_provider(s, &officer, None, &input("https://law.example.cn/ip"))
            .await
            .unwrap();
        let found = services::providers(s, "law", "专利").await.unwrap();
        assert_eq!(found.iter().filter(|p| p.id == id).count(), 1);
        assert_eq!(
            found.iter().find(|p| p.id == id).unwrap().url.as_deref(),
            Some("https://law.example.cn/ip")
        );
        let mut changed = input("");
        changed.services = "跨境电商合规".into();
        services::save_provider(s, &officer, Some(id), &changed)
            .await
            .unwrap();
        assert!(
            services::providers(s, "", "专利")
                .await
                .unwrap()
                .iter()
                .all(|p| p.id != id)
        );
        assert!(
            services::providers(s, "", "跨境")
                .await
                .unwrap()
                .iter()
                .any(|p| p.id == id)
        );
        assert!(matches!(
            services::save_provider(s, &officer, Some(999_999), &changed).await,
            Err(DomainError::NotFound)
        ));
        assert!(matches!(
            services::remove_provider(s, &manager, id).await,
            Err(DomainError::Forbidden)
        ));
        services::remove_provider(s, &officer, id).await.unwrap();
        assert!(
            services::providers(s, "", "跨境")
                .await
                .unwrap()
                .iter()
                .all(|p| p.id != id)
        );
        let audited = crate::entities::audit_log::Entity::find()
            .filter(crate::entities::audit_log::Column::Action.starts_with("enterprise.provider."))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(audited, 3, "{}", db.name);
    }
}
