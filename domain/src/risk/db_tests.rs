//! Risk warning on real databases (a SQLite file, and PostgreSQL when
//! `TEST_DATABASE_URL` is set): ingest refusing bad tokens, malformed
//! readings and unknown subjects whole, duplicates once; a warning's way
//! through SMS, voice call and answer to the machine's re-check that closes
//! it; one whose re-check fails going to people and escalating on time;
//! who sees which cases; people signing, arriving and handling.
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::entities::{risk_reading, risk_step, risk_subject, risk_warning};
use super::*;
use crate::entities::outbox;
use crate::{sla, testdb};

async fn setup(s: &Services) -> (String, String, risk_subject::Model, risk_subject::Model) {
    crate::seed::seed_demo(s, Some("demo-pass-2026"))
        .await
        .unwrap();
    demo::seed(s).await.unwrap();
    demo::seed(s).await.unwrap(); // twice: nothing doubled
    assert_eq!(models(s).await.unwrap().all.len(), 95);
    let (_, token) = create_source(s, None, "物联感知平台", "readings")
        .await
        .unwrap();
    let (_, voice) = create_source(s, None, "语音网关", "voice").await.unwrap();
    // The grid worker's compound, and one in another community.
    let grid = testdb::principal(s, "13800000004").await;
    let mine = grid_compounds(&grid)[0];
    let subjects = risk_subject::Entity::find().all(&s.db).await.unwrap();
    let a = subjects
        .iter()
        .find(|x| x.compound_id == Some(mine))
        .unwrap()
        .clone();
    let b = subjects
        .iter()
        .find(|x| x.community_id != a.community_id)
        .unwrap()
        .clone();
    (token, voice, a, b)
}

fn reading(
    id: &str,
    subject: &str,
    indicator: &str,
    value: f64,
    ago_min: i64,
) -> serde_json::Value {
    json!({
        "id": id,
        "subject": subject,
        "indicator": indicator,
        "value": value,
        "at": (clock::now() - Duration::minutes(ago_min)).to_rfc3339(),
    })
}

/// `t`, or just after quiet hours when it falls in them (the machine does
/// not call at night).
fn daytime(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    crate::outbox::quiet_until(t).map_or(t, |u| u + Duration::minutes(1))
}

async fn sent(s: &Services, channel: &str, to: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Channel.eq(channel))
        .filter(outbox::Column::Recipient.eq(to))
        .all(&s.db)
        .await
        .unwrap()
}

async fn steps(s: &Services, w: i64) -> Vec<String> {
    let mut v: Vec<_> = risk_step::Entity::find()
        .filter(risk_step::Column::WarningId.eq(w))
        .all(&s.db)
        .await
        .unwrap();
    v.sort_by_key(|x| x.id);
    v.into_iter().map(|x| x.kind).collect()
}

async fn open_warning_of(s: &Services, subject: i64, model: &str) -> Option<risk_warning::Model> {
    risk_warning::Entity::find()
        .filter(risk_warning::Column::SubjectId.eq(subject))
        .filter(risk_warning::Column::ModelKey.eq(model))
        .filter(risk_warning::Column::State.eq("open"))
        .one(&s.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn readings_are_checked_whole_and_stored_once() {
    for db in testdb::each().await {
        let s = &db.s;
        let (token, voice, a, _) = setup(s).await;
        let good = reading("r-1", &a.code, "ebike_charging.level", 40.0, 5);
        // A bad token, or the voice gateway's token, is no reading source.
        for t in ["", "hc_wrong", &voice] {
            assert!(
                matches!(
                    ingest::ingest(s, t, std::slice::from_ref(&good)).await,
                    Err(DomainError::Unauthenticated)
                ),
                "{}: {t}",
                db.name
            );
        }
        // One malformed reading, one unknown subject: refused whole, each named.
        let batch = vec![
            good.clone(),
            json!({"id": "r-2", "subject": a.code, "indicator": "ebike_charging.level", "value": "high", "at": clock::now().to_rfc3339()}),
            reading("r-3", "compound-nowhere", "ebike_charging.level", 1.0, 1),
            reading("r-4", &a.code, "Bad Indicator", 1.0, 1),
            reading("r-5", &a.code, "ebike_charging.level", 1.0, -60),
            reading("r-6", &a.code, "ebike_charging.level", 1.0, 60 * 24 * 100),
            json!("not an object"),
        ];
        match ingest::ingest(s, &token, &batch).await.unwrap() {
            ingest::Outcome::Refused { errors } => {
                let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.index, e.error)).collect();
                assert_eq!(
                    got,
                    vec![
                        (1, "value"),
                        (2, "unknown_subject"),
                        (3, "indicator"),
                        (4, "in_future"),
                        (5, "too_old"),
                        (6, "not_an_object")
                    ],
                    "{}",
                    db.name
                );
            }
            other => panic!("{}: {other:?}", db.name),
        }
        assert_eq!(risk_reading::Entity::find().count(&s.db).await.unwrap(), 0);
        // Good ones are stored; the same id again is a duplicate.
        let two = vec![
            good.clone(),
            reading("r-7", &a.code, "ebike_charging.level", 42.0, 4),
        ];
        let ingest::Outcome::Stored(r) = ingest::ingest(s, &token, &two).await.unwrap() else {
            panic!()
        };
        assert_eq!((r.stored, r.duplicates), (2, 0));
        let ingest::Outcome::Stored(r) = ingest::ingest(s, &token, &two).await.unwrap() else {
            panic!()
        };
        assert_eq!(
            (r.stored, r.duplicates, r.warnings_opened),
            (0, 2, 0),
            "{}",
            db.name
        );
        assert_eq!(risk_reading::Entity::find().count(&s.db).await.unwrap(), 2);
        // Half old, half new: the new one stored and counted, the old one
        // a duplicate (judged once, when it was stored).
        let mixed = vec![
            two[1].clone(),
            reading("r-8", &a.code, "ebike_charging.level", 43.0, 3),
        ];
        let ingest::Outcome::Stored(r) = ingest::ingest(s, &token, &mixed).await.unwrap() else {
            panic!()
        };
        assert_eq!((r.stored, r.duplicates), (1, 1), "{}", db.name);
        assert_eq!(risk_reading::Entity::find().count(&s.db).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn the_machine_reminds_calls_and_rechecks_then_closes_or_hands_to_people() {
    for db in testdb::each().await {
        let s = &db.s;
        let (token, voice, a, b) = setup(s).await;
        let phone_a = a.contact_phone.clone().unwrap();
        // Subject a: 飞线充电 level past 80 (a low-severity model).
        let ingest::Outcome::Stored(r) = ingest::ingest(
            s,
            &token,
            &[
                reading("a-1", &a.code, "ebike_charging.level", 50.0, 10),
                reading("a-2", &a.code, "ebike_charging.level", 95.0, 9),
                reading("b-1", &b.code, "ebike_charging.level", 97.0, 9),
            ],
        )
        .await
        .unwrap() else {
            panic!()
        };
        assert_eq!(r.warnings_opened, 2, "{}", db.name);
        let w = open_warning_of(s, a.id, "ebike_charging_level")
            .await
            .unwrap();
        // The SMS was queued with the warning, once.
        assert_eq!(sent(s, "sms", &phone_a).await.len(), 1);
        // Still high: no second warning (one open per model and subject).
        ingest::ingest(
            s,
            &token,
            &[reading("a-3", &a.code, "ebike_charging.level", 96.0, 8)],
        )
        .await
        .unwrap();
        assert_eq!(
            risk_warning::Entity::find()
                .filter(risk_warning::Column::SubjectId.eq(a.id))
                .count(&s.db)
                .await
                .unwrap(),
            1
        );
        // Ten minutes on: the voice call.
        let t1 = daytime(clock::now() + Duration::minutes(11));
        let tick = dispose::tick(s, t1, true).await.unwrap();
        assert_eq!(tick.voice_calls, 2, "{}", db.name);
        let calls = sent(s, "voice", &phone_a).await;
        assert_eq!(calls.len(), 1);
        assert!(calls[0].body.contains("已处理请按1"));
        // A wrong token, an unknown call, a key that means nothing: refused.
        assert!(
            dispose::voice_answer(s, &token, calls[0].id, "1")
                .await
                .is_err()
        );
        assert!(
            dispose::voice_answer(s, &voice, calls[0].id + 1000, "1")
                .await
                .is_err()
        );
        assert!(
            dispose::voice_answer(s, &voice, calls[0].id, "9")
                .await
                .is_err()
        );
        dispose::voice_answer(s, &voice, calls[0].id, "1")
            .await
            .unwrap();
        assert!(matches!(
            dispose::voice_answer(s, &voice, calls[0].id, "1").await,
            Err(DomainError::Conflict(_))
        ));
        // The party fixed it: the level is back down (the reading alone
        // does not close it; the re-check does). The reading comes just
        // before the re-check on the test's clock (at night the machine's
        // steps wait for the morning, t1).
        let t2 = t1 + Duration::minutes(31);
        let mut fixed = reading("a-4", &a.code, "ebike_charging.level", 30.0, 0);
        fixed["at"] = serde_json::json!((t2 - Duration::minutes(1)).to_rfc3339());
        ingest::ingest_at(s, &token, &[fixed], t2 - Duration::minutes(1))
            .await
            .unwrap();
        assert!(
            open_warning_of(s, a.id, "ebike_charging_level")
                .await
                .is_some()
        );
        let tick = dispose::tick(s, t2, true).await.unwrap();
        assert_eq!(
            (tick.rechecks_passed, tick.rechecks_failed),
            (1, 1),
            "{}",
            db.name
        );
        let closed = risk_warning::Entity::find_by_id(w.id)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(closed.state, "closed");
        assert_eq!(closed.closed_how.as_deref(), Some("recheck"));
        assert_eq!(
            steps(s, w.id).await,
            ["fired", "sms", "voice", "answer", "recheck_ok", "closed"],
            "{}",
            db.name
        );
        let case = sla::views_in(&s.db, &[closed.case_id.unwrap()])
            .await
            .unwrap();
        assert_eq!(case[&closed.case_id.unwrap()].state, sla::State::Closed);

        // Subject b never came down: handed to people, signing due in 24 h.
        let wb = open_warning_of(s, b.id, "ebike_charging_level")
            .await
            .unwrap();
        assert_eq!(wb.auto_step.as_deref(), Some("people"));
        assert_eq!(
            steps(s, wb.id).await,
            ["fired", "sms", "voice", "recheck_failed", "handed"]
        );
        let cb = wb.case_id.unwrap();
        let view = &sla::views_in(&s.db, &[cb]).await.unwrap()[&cb];
        assert_eq!(view.stage, "sign");
        // Nobody signs: a day later it is overdue and escalated, once.
        let later = t2 + Duration::hours(25);
        sla::sweep(s, later).await.unwrap();
        sla::sweep(s, later).await.unwrap();
        let view = &sla::views_in(&s.db, &[cb]).await.unwrap()[&cb];
        assert!(view.overdue, "{}", db.name);
        let escalated = crate::sla::entities::sla_event::Entity::find()
            .filter(crate::sla::entities::sla_event::Column::CaseId.eq(cb))
            .filter(crate::sla::entities::sla_event::Column::Kind.eq("escalated"))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(escalated, 1, "{}", db.name);
    }
}

#[tokio::test]
async fn each_party_sees_and_works_only_its_own_cases() {
    for db in testdb::each().await {
        let s = &db.s;
        let (token, _, a, b) = setup(s).await;
        // An urgent gas leak at a (the grid worker's compound), a fire exit
        // blocked at b (fire department's point, another community).
        ingest::ingest(
            s,
            &token,
            &[
                reading("g-1", &a.code, "gas_leak.level", 99.0, 1),
                reading("f-1", &b.code, "fire_exit.level", 99.0, 1),
                reading("e-1", &b.code, "ebike_indoor.level", 99.0, 1),
            ],
        )
        .await
        .unwrap();
        let grid = testdb::principal(s, "13800000004").await;
        let dept = testdb::principal(s, "13800000005").await;
        let staff = testdb::principal(s, "13800000002").await;
        let street = testdb::principal(s, "13800000003").await;
        let resident = testdb::principal(s, "13800000001").await;
        let titles = |rows: Vec<dispose::CaseRow>| -> Vec<String> {
            let mut v: Vec<String> = rows.into_iter().map(|r| r.point).collect();
            v.sort();
            v
        };
        assert_eq!(
            titles(dispose::cases(s, &grid, true, None).await.unwrap()),
            ["燃气泄漏"],
            "{}",
            db.name
        );
        // 城管中队 owns the 电动自行车 points only.
        assert_eq!(
            titles(dispose::cases(s, &dept, true, None).await.unwrap()),
            ["电动车进楼入户"]
        );
        assert_eq!(
            titles(dispose::cases(s, &staff, true, None).await.unwrap()),
            ["燃气泄漏"]
        );
        assert_eq!(
            dispose::cases(s, &street, true, None).await.unwrap().len(),
            3
        );
        assert!(matches!(
            dispose::cases(s, &resident, true, None).await,
            Err(DomainError::Forbidden)
        ));

        // The urgent case went to the grid worker at once, by SMS too.
        let gas = open_warning_of(s, a.id, "gas_leak_level").await.unwrap();
        assert_eq!(sent(s, "sms", &grid.phone).await.len(), 1, "{}", db.name);
        let fire = open_warning_of(s, b.id, "fire_exit_level").await.unwrap();
        // Someone else's case is not found, whatever the step.
        for act in [
            dispose::Act::Sign,
            dispose::Act::Handle {
                feedback: "已处理".into(),
            },
        ] {
            assert!(matches!(
                dispose::act(s, &grid, fire.id, act.clone()).await,
                Err(DomainError::NotFound)
            ));
            assert!(matches!(
                dispose::act(s, &dept, gas.id, act).await,
                Err(DomainError::NotFound)
            ));
        }
        assert!(matches!(
            dispose::warning(s, &grid, fire.id).await,
            Err(DomainError::NotFound)
        ));
        // The sensor reads normal again: the case stays with the grid worker
        // (to close with feedback), who is told once.
        for id in ["g-2", "g-3"] {
            ingest::ingest(
                s,
                &token,
                &[reading(id, &a.code, "gas_leak.level", 10.0, 0)],
            )
            .await
            .unwrap();
        }
        assert!(open_warning_of(s, a.id, "gas_leak_level").await.is_some());
        // Sign, arrive, handle, in that order.
        assert!(matches!(
            dispose::act(
                s,
                &grid,
                gas.id,
                dispose::Act::Handle {
                    feedback: "已关阀".into()
                }
            )
            .await,
            Err(DomainError::Conflict("not_signed"))
        ));
        dispose::act(s, &grid, gas.id, dispose::Act::Sign)
            .await
            .unwrap();
        assert!(matches!(
            dispose::act(
                s,
                &grid,
                gas.id,
                dispose::Act::Handle {
                    feedback: "已关阀".into()
                }
            )
            .await,
            Err(DomainError::Conflict("not_arrived"))
        ));
        dispose::act(
            s,
            &grid,
            gas.id,
            dispose::Act::Arrive {
                note: "已到楼下，联系 13912345678".into(),
                location: "30.3201,120.1502".into(),
            },
        )
        .await
        .unwrap();
        dispose::act(
            s,
            &grid,
            gas.id,
            dispose::Act::Handle {
                feedback: "已关闭总阀并通知燃气公司检修".into(),
            },
        )
        .await
        .unwrap();
        let view = dispose::warning(s, &grid, gas.id).await.unwrap();
        assert_eq!(view.case.state, "closed");
        let kinds: Vec<&str> = view.steps.iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "fired",
                "recovered",
                "signed",
                "arrived",
                "handled",
                "closed"
            ]
        );
        assert!(
            view.steps[3]
                .note
                .as_deref()
                .unwrap()
                .contains("位置：30.3201,120.1502")
        );
        // Personal data in notes is masked.
        assert!(
            view.steps
                .iter()
                .all(|x| !x.note.as_deref().unwrap_or("").contains("13912345678"))
        );
        assert!(view.contact.as_deref().is_some_and(|c| c.contains("****")));
        let audited = crate::entities::audit_log::Entity::find()
            .filter(crate::entities::audit_log::Column::Action.starts_with("risk."))
            .filter(crate::entities::audit_log::Column::ActorId.eq(grid.account_id))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(audited, 3, "{}", db.name);
    }
}

#[tokio::test]
async fn a_model_is_versioned_and_a_shadow_one_raises_nothing() {
    for db in testdb::each().await {
        let s = &db.s;
        let (token, _, a, _) = setup(s).await;
        let admin = testdb::principal(s, "13800000008").await;
        let staff = testdb::principal(s, "13800000002").await;
        let spec = r#"{"rule":{"kind":"threshold","indicator":"care_health.level","op":">","value":10},"severity":"normal"}"#;
        assert!(matches!(
            save_model(
                s,
                Some(&staff),
                "care_health_level",
                "care_health",
                "新版",
                spec,
                "shadow"
            )
            .await,
            Err(DomainError::Forbidden)
        ));
        assert!(
            save_model(
                s,
                Some(&admin),
                "care_health_level",
                "care_health",
                "新版",
                "{bad",
                "shadow"
            )
            .await
            .is_err()
        );
        assert!(
            save_model(
                s,
                Some(&admin),
                "care_health_level",
                "nowhere",
                "新版",
                spec,
                "shadow"
            )
            .await
            .is_err()
        );
        let v2 = save_model(
            s,
            Some(&admin),
            "care_health_level",
            "care_health",
            "新版",
            spec,
            "shadow",
        )
        .await
        .unwrap();
        // 50 is under the live version's 80 and over the shadow's 10.
        ingest::ingest(
            s,
            &token,
            &[reading("c-1", &a.code, "care_health.level", 50.0, 1)],
        )
        .await
        .unwrap();
        assert!(
            open_warning_of(s, a.id, "care_health_level")
                .await
                .is_none()
        );
        // Live: it replaces version 1 and fires on the next reading.
        set_model_mode(s, &admin, v2, "live").await.unwrap();
        let list = model_list(s, &admin).await.unwrap();
        let versions: Vec<(i32, &str)> = list
            .iter()
            .filter(|m| m.key == "care_health_level")
            .map(|m| (m.version, m.mode.as_str()))
            .collect();
        assert_eq!(versions, [(2, "live"), (1, "retired")]);
        ingest::ingest(
            s,
            &token,
            &[reading("c-2", &a.code, "care_health.level", 50.0, 0)],
        )
        .await
        .unwrap();
        assert!(
            open_warning_of(s, a.id, "care_health_level")
                .await
                .is_some(),
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn portraits_rank_areas_and_drill_down_to_their_warnings() {
    for db in testdb::each().await {
        let s = &db.s;
        let (token, _, a, b) = setup(s).await;
        // a: one urgent and one low warning; b: one low.
        ingest::ingest(
            s,
            &token,
            &[
                reading("p-1", &a.code, "gas_leak.level", 99.0, 2),
                reading("p-2", &a.code, "fire_exit.level", 99.0, 2),
                reading("p-3", &b.code, "fire_exit.level", 99.0, 2),
            ],
        )
        .await
        .unwrap();
        let street = testdb::principal(s, "13800000003").await;
        let resident = testdb::principal(s, "13800000001").await;
        use portrait::Level;
        let p = portrait::portrait(s, &street, Level::Community)
            .await
            .unwrap();
        let ca = a.community_id.unwrap().to_string();
        let cb = b.community_id.unwrap().to_string();
        assert_eq!(p.rows[0].key, ca, "{}", db.name);
        assert_eq!(p.rows[0].score, 10.0); // urgent 9 + low 1
        assert_eq!(p.rows[0].open, (1, 0, 1));
        assert_eq!(p.rows[0].weeks.iter().sum::<u32>(), 2);
        assert_eq!(p.rows.iter().find(|r| r.key == cb).unwrap().score, 1.0);
        assert_eq!(p.street.score, 11.0);
        // Every community ranks, those without warnings at 0.
        assert_eq!(
            p.rows.len(),
            crate::org::communities(s).await.unwrap().len()
        );
        let c = portrait::portrait(s, &street, Level::Compound)
            .await
            .unwrap();
        assert_eq!(c.rows[0].key, a.compound_id.unwrap().to_string());
        assert!(matches!(
            portrait::portrait(s, &resident, Level::Community).await,
            Err(DomainError::Forbidden)
        ));
        // Drill-down: the community's warnings only.
        let rows = dispose::cases(s, &street, false, Some((Level::Community, &ca)))
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        let rows = dispose::cases(
            s,
            &street,
            false,
            Some((Level::Compound, &b.compound_id.unwrap().to_string())),
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 1);
        // The demo's outlines, one per community and compound.
        let outlines = portrait::outlines(s).await.unwrap();
        let compounds = crate::entities::compound::Entity::find()
            .count(&s.db)
            .await
            .unwrap() as usize;
        assert_eq!(outlines.len(), p.rows.len() + compounds);
        // Uploads: admins only, checked whole.
        let admin = testdb::principal(s, "13800000008").await;
        let square = |kind: &str, name: &str| {
            json!({"type": "Feature", "properties": {"kind": kind, "name": name},
                   "geometry": {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.0]]]}})
        };
        let cname = crate::org::communities(s).await.unwrap()[0].name.clone();
        let good = json!({"type": "FeatureCollection", "features": [square("community", &cname)]})
            .to_string();
        assert!(matches!(
            portrait::set_outlines(s, Some(&street), &good).await,
            Err(DomainError::Forbidden)
        ));
        for bad in [
            "not json".to_owned(),
            json!({"type": "FeatureCollection", "features": [square("community", "没有这个社区")]}).to_string(),
            json!({"type": "FeatureCollection", "features": [square("planet", &cname)]}).to_string(),
            json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "community", "name": cname},
                   "geometry": {"type": "Polygon", "coordinates": [[[500.0, 30.0], [120.1, 30.0], [120.1, 30.1], [500.0, 30.0]]]}}]}).to_string(),
            json!({"type": "FeatureCollection", "features": []}).to_string(),
        ] {
            assert!(portrait::set_outlines(s, Some(&admin), &bad).await.is_err(), "{bad}");
        }
        assert_eq!(portrait::outlines(s).await.unwrap().len(), outlines.len());
        assert_eq!(
            portrait::set_outlines(s, Some(&admin), &good)
                .await
                .unwrap(),
            1
        );
    }
}

#[tokio::test]
async fn a_readings_file_is_checked_whole_and_imported_once() {
    for db in testdb::each().await {
        let s = &db.s;
        let (_, _, a, _) = setup(s).await;
        let staff = testdb::principal(s, "13800000002").await;
        let street = testdb::principal(s, "13800000003").await;
        let now = crate::clock::china_time(clock::now() - Duration::minutes(5));
        let bad = format!(
            "对象,指标,数值,时间\n{},ebike_charging.level,95,{now}\n{},ebike_charging.level,很高,{now}\ncompound-x,ebike_charging.level,1,{now}\n",
            a.code, a.code
        );
        assert!(matches!(
            ingest::import_file(s, Some(&staff), "r.csv", bad.clone().into_bytes()).await,
            Err(DomainError::Forbidden)
        ));
        match ingest::import_file(s, Some(&street), "r.csv", bad.into_bytes())
            .await
            .unwrap()
        {
            ingest::Outcome::Refused { errors } => {
                let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.index, e.error)).collect();
                assert_eq!(got, [(3, "value"), (4, "unknown_subject")], "{}", db.name);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(risk_reading::Entity::find().count(&s.db).await.unwrap(), 0);
        assert!(
            ingest::import_file(s, Some(&street), "r.csv", "名称,数值\n甲,1\n".into())
                .await
                .is_err()
        );
        let good = format!(
            "对象,指标,数值,时间\n{},ebike_charging.level,95,{now}\n{},ebike_charging.level,50,{now}\n",
            a.code, a.code
        );
        let ingest::Outcome::Stored(r) =
            ingest::import_file(s, Some(&street), "r.csv", good.clone().into_bytes())
                .await
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(r.stored, 2, "{}", db.name);
        let ingest::Outcome::Stored(r) = ingest::import_file(s, None, "r.csv", good.into_bytes())
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!((r.stored, r.duplicates), (0, 2));
    }
}

#[tokio::test]
async fn residents_opinions_feed_the_risk_points_they_name() {
    for db in testdb::each().await {
        let s = &db.s;
        // The demo street's opinions (飞线充电 among them), grouped into topics.
        crate::seed::seed_demo(s, Some("demo-pass-2026"))
            .await
            .unwrap();
        crate::seed::seed_demo_street(s).await.unwrap();
        demo::seed(s).await.unwrap();
        let now = clock::now();
        let models = models(s).await.unwrap();
        let sent = signals::send(s, &models, now).await.unwrap();
        let communities = crate::org::communities(s).await.unwrap().len();
        assert_eq!(
            sent, communities,
            "one reading per community for 飞线充电 ({})",
            db.name
        );
        // Again within the hour: nothing new.
        assert_eq!(signals::send(s, &models, now).await.unwrap(), 0);
        let readings: Vec<(i64, f64)> = risk_reading::Entity::find()
            .filter(risk_reading::Column::Indicator.eq("opinion.ebike_charging"))
            .all(&s.db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.subject_id, r.value))
            .collect();
        assert!(readings.iter().any(|(_, v)| *v > 0.0), "{readings:?}");
        // A warning where the heat reached the model's 5, nowhere else.
        for (subject, value) in readings {
            let open = open_warning_of(s, subject, "ebike_opinion").await.is_some();
            assert_eq!(
                open,
                value >= 5.0,
                "{}: subject {subject} at {value}",
                db.name
            );
        }
    }
}

#[tokio::test]
async fn warnings_massing_in_one_community_raise_a_systemic_one() {
    for db in testdb::each().await {
        let s = &db.s;
        let (token, _, a, b) = setup(s).await;
        let community = a.community_id.unwrap();
        let mut batch = Vec::new();
        for i in 0..3 {
            save_subject(
                s,
                None,
                SubjectInput {
                    code: format!("shop-{i}"),
                    kind: "place".into(),
                    name: format!("商铺 {i}"),
                    community_id: Some(community),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            batch.push(reading(
                &format!("s-{i}"),
                &format!("shop-{i}"),
                "ebike_charging.level",
                95.0,
                1,
            ));
        }
        // One elsewhere does not count for this community.
        batch.push(reading("s-b", &b.code, "ebike_charging.level", 95.0, 1));
        ingest::ingest(s, &token, &batch).await.unwrap();
        let t = dispose::tick(s, clock::now(), true).await.unwrap();
        assert_eq!(t.opened, 1, "{}: {t:?}", db.name);
        let area = risk_subject::Entity::find()
            .filter(risk_subject::Column::Code.eq(format!("community-{community}")))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        let w = open_warning_of(s, area.id, "ebike_systemic").await.unwrap();
        assert!(w.why.contains("7d 内 3 条预警"), "{}", w.why);
        // Once: the next run finds it open.
        assert_eq!(
            dispose::tick(s, clock::now(), true).await.unwrap().opened,
            0
        );
    }
}

#[tokio::test]
async fn the_responsible_party_sees_its_own_warnings_and_reports_back() {
    for db in testdb::each().await {
        let s = &db.s;
        let (token, _, a, b) = setup(s).await;
        // The demo's first compound answers through its property company.
        let party = testdb::principal(s, "13800000006").await;
        assert_eq!(a.contact_phone.as_deref(), Some(party.phone.as_str()));
        let resident = testdb::principal(s, "13800000001").await;
        ingest::ingest(
            s,
            &token,
            &[
                reading("p-1", &a.code, "ebike_charging.level", 95.0, 2),
                reading("p-2", &b.code, "ebike_charging.level", 95.0, 2),
            ],
        )
        .await
        .unwrap();
        let w = open_warning_of(s, a.id, "ebike_charging_level")
            .await
            .unwrap();
        let other = open_warning_of(s, b.id, "ebike_charging_level")
            .await
            .unwrap();
        // The party sees its own subject's warning only; a resident none.
        let mine = party::my_cases(s, &party).await.unwrap();
        assert_eq!(
            mine.iter().map(|c| c.warning_id).collect::<Vec<_>>(),
            vec![w.id],
            "{}",
            db.name
        );
        assert_eq!(mine[0].state, "open");
        let kinds: Vec<&str> = mine[0].steps.iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(kinds, ["fired", "sms"], "{}", db.name);
        assert!(!mine[0].reported);
        assert!(party::my_cases(s, &resident).await.unwrap().is_empty());
        // Another's warning, or someone not its party: not found.
        for (who, id) in [(&party, other.id), (&resident, w.id), (&party, 999_999)] {
            assert!(
                matches!(
                    party::report(s, who, id, "已经清理了").await,
                    Err(DomainError::NotFound)
                ),
                "{}: {id}",
                db.name
            );
        }
        assert!(matches!(
            party::report(s, &party, w.id, " ").await,
            Err(DomainError::Validation { .. })
        ));
        // The report, its phone number masked; it replaces the call.
        party::report(s, &party, w.id, "已拆除飞线，电话13912345678")
            .await
            .unwrap();
        let note = risk_step::Entity::find()
            .filter(risk_step::Column::WarningId.eq(w.id))
            .filter(risk_step::Column::Kind.eq("party_report"))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap()
            .note
            .unwrap();
        assert!(
            note.contains("已拆除飞线") && !note.contains("13912345678"),
            "{note}"
        );
        let after = risk_warning::Entity::find_by_id(w.id)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.auto_step.as_deref(), Some("recheck"), "{}", db.name);
        assert!(matches!(
            party::report(s, &party, w.id, "再说一次").await,
            Err(DomainError::Conflict("already_reported"))
        ));
        assert!(party::my_cases(s, &party).await.unwrap()[0].reported);
        // The call falls due for the other subject only.
        let t1 = daytime(clock::now() + Duration::minutes(11));
        dispose::tick(s, t1, false).await.unwrap();
        assert!(
            sent(s, "voice", &party.phone).await.is_empty(),
            "{}",
            db.name
        );
        assert_eq!(
            sent(s, "voice", b.contact_phone.as_deref().unwrap())
                .await
                .len(),
            1
        );
        let audited = crate::entities::audit_log::Entity::find()
            .filter(crate::entities::audit_log::Column::Action.eq("risk.party_report"))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(audited, 1);
    }
}

#[tokio::test]
async fn a_case_photo_is_cleaned_and_shown_only_to_those_on_the_case() {
    for db in testdb::each().await {
        let s = &db.s;
        let (token, _, a, _) = setup(s).await;
        let grid = testdb::principal(s, "13800000004").await;
        let resident = testdb::principal(s, "13800000001").await;
        let officer = testdb::principal(s, "13800000003").await;
        ingest::ingest(
            s,
            &token,
            &[reading("g-1", &a.code, "gas_leak.level", 96.0, 1)],
        )
        .await
        .unwrap();
        let w = open_warning_of(s, a.id, "gas_leak_level").await.unwrap();
        let jpeg = crate::photos::tests::jpeg_with_exif(64, 48);
        // Not on the case: not found, before any byte is read.
        assert!(matches!(
            photos::may_add(s, &resident, w.id).await,
            Err(DomainError::NotFound)
        ));
        photos::may_add(s, &grid, w.id).await.unwrap();
        // Not a picture: refused, nothing stored.
        assert!(
            photos::add(s, &grid, w.id, b"%PDF-1.7 not a photo", "")
                .await
                .is_err()
        );
        let id = photos::add(s, &grid, w.id, &jpeg, "燃气阀门处，电话13912345678")
            .await
            .unwrap();
        let view = dispose::warning(s, &grid, w.id).await.unwrap();
        let st = view.steps.iter().find(|x| x.kind == "photo").unwrap();
        assert_eq!(st.photo, Some(id));
        assert!(!st.note.as_deref().unwrap().contains("13912345678"));
        assert_eq!(
            view.steps.iter().filter(|x| x.photo.is_some()).count(),
            1,
            "{}",
            db.name
        );
        // The grid worker and the street see it, cleaned of EXIF and the
        // trailer; a resident and nobody at all do not.
        for who in [&grid, &officer] {
            let bytes = photos::read(s, Some(who), id, crate::photos::Size::Full)
                .await
                .unwrap();
            assert_eq!(
                crate::photos::sniff(&bytes),
                Some(crate::photos::Kind::Jpeg)
            );
            assert!(!bytes.windows(4).any(|x| x == b"Exif"));
            assert!(!bytes.windows(14).any(|x| x == b"HIDDEN-TRAILER"));
        }
        for who in [Some(&resident), None] {
            assert!(matches!(
                photos::read(s, who, id, crate::photos::Size::Thumb).await,
                Err(DomainError::NotFound)
            ));
        }
        // A step that is no photo is no photo.
        let fired = risk_step::Entity::find()
            .filter(risk_step::Column::WarningId.eq(w.id))
            .filter(risk_step::Column::Kind.eq("fired"))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            photos::read(s, Some(&grid), fired.id, crate::photos::Size::Full).await,
            Err(DomainError::NotFound)
        ));
    }
}
