//! Heat and agenda (issue 10) over HTTP against a real server, on SQLite
//! and PostgreSQL: a hotline export with received-at times, contact numbers
//! and channels, published at once; topics counted by distinct residents;
//! publishing raises a topic's heat on the very next read; hostile input to
//! the topics API.
use std::time::Duration;

use blackbox::{TestApp, backends, spawn_app};
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

async fn approve(app: &TestApp, staff: &Client, id: i64) {
    let res = app
        .call(
            staff,
            "moderate_opinion",
            &[("id", &id.to_string()), ("decision", "approve")],
        )
        .await;
    assert!(res.status().is_success(), "approve {id}");
}

/// Uploads `csv` and imports it (published at once when `publish`), waiting
/// for the import to finish. Returns the preview the page showed.
async fn web_import(app: &TestApp, staff: &Client, csv: &str, publish: bool) -> Value {
    let res = app.upload_import(staff, "12345.csv", csv.as_bytes()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let file = res.json::<Value>().await.unwrap()["file"]
        .as_str()
        .unwrap()
        .to_owned();
    let preview = app
        .get_json(staff, &format!("/api/import_preview?file={file}"))
        .await;
    if preview["errors_total"] != 0 {
        return preview;
    }
    let mut form = vec![("file", file.as_str())];
    if publish {
        form.push(("publish", "true"));
    }
    let res = app.call(staff, "import_start", &form).await;
    assert!(res.status().is_success(), "{}", res.status());
    for _ in 0..200 {
        let p = app
            .get_json(staff, &format!("/api/import_progress?file={file}"))
            .await;
        if p["finished"] == true {
            assert!(p["error"].is_null(), "{p}");
            return preview;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import did not finish");
}

async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    app.db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_hotline_export_is_imported_with_times_numbers_and_channels() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let community = domain::org::communities(&app.services).await.unwrap()[0]
            .name
            .clone();
        let staff = app.logged_in("13800000002").await;

        // Bad numbers, dates and channels are row errors; the preview never
        // shows a contact number.
        let bad = format!(
            "来电时间,来电号码,渠道,事项,诉求内容,社区\n\
             2099-01-01 10:00,13800138000,12345,飞线充电,楼道有人拉线充电,{community}\n\
             2026-11-20 10:00,12345,12345,飞线充电,楼道有人拉线充电,{community}\n\
             2026-11-20 10:00,13800138000,飞鸽传书,飞线充电,楼道有人拉线充电,{community}\n\
             昨天,13800138000,12345,飞线充电,楼道有人拉线充电,{community}\n"
        );
        let preview = web_import(&app, &staff, &bad, true).await;
        let errors: Vec<(i64, String, String)> = preview["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_i64().unwrap(),
                    e["field"].as_str().unwrap().to_owned(),
                    e["rule"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            errors,
            vec![
                (2, "received_at".into(), "in_future".into()),
                (3, "phone".into(), "invalid".into()),
                (4, "channel".into(), "invalid".into()),
                (5, "received_at".into(), "invalid".into()),
            ],
            "{backend:?}"
        );
        assert!(!preview.to_string().contains("13800138000"), "{preview}");

        // Five work orders on one matter from three numbers, written three
        // ways for the same one; published at once.
        let good = format!(
            "来电时间,来电号码,渠道,事项,诉求内容,社区\n\
             2026-11-20 09:15,138 0013 8000,12345,电瓶车飞线充电,来电人反映：3幢楼道有人用电瓶车拉线充电，电线从窗户挂下来，很危险。,{community}\n\
             2026/11/21 10:00,+86-13800138000,12345,楼道充电,来电人称楼道里电动车天天充电，担心起火。,{community}\n\
             2026年11月22日 11:30,13800138000,热线,飞线充电,来电人再次反映楼道飞线充电无人管理。,{community}\n\
             2026-11-23,13900139000,网上,电动车飞线充电,楼下有人私拉电线给电动车充电，太危险了。,{community}\n\
             46349.5,(0571)8765 4321,纸质,小电驴楼道充电,小电驴推进楼道充电，插线板放在地上。,{community}\n"
        );
        let preview = web_import(&app, &staff, &good, true).await;
        assert_eq!(preview["errors_total"], 0, "{preview}");
        assert_eq!(preview["sample"].as_array().unwrap().len(), 5, "{preview}");
        let shown = preview.to_string();
        for number in [
            "13800138000",
            "138 0013 8000",
            "13900139000",
            "8765 4321",
            "87654321",
        ] {
            assert!(!shown.contains(number), "{number} in {shown}");
        }

        let stored = rows(
            &app,
            "SELECT id, channel, status, resident_key, received_at FROM opinion WHERE idempotency_key LIKE 'import:%' ORDER BY id",
        )
        .await;
        assert_eq!(stored.len(), 5, "{backend:?}");
        let keys: Vec<String> = stored
            .iter()
            .map(|r| r.try_get::<String>("", "resident_key").unwrap())
            .collect();
        let channels: Vec<String> = stored
            .iter()
            .map(|r| r.try_get::<String>("", "channel").unwrap())
            .collect();
        assert_eq!(channels, ["hotline", "hotline", "hotline", "web", "paper"]);
        assert!(
            stored
                .iter()
                .all(|r| r.try_get::<String>("", "status").unwrap() == "published")
        );
        // One number written three ways is one resident; numbers are kept
        // only as keyed hashes.
        assert_eq!(keys[0], keys[1]);
        assert_eq!(keys[1], keys[2]);
        assert_ne!(keys[2], keys[3]);
        assert!(
            keys.iter().all(|k| k.len() == 34
                && k.starts_with("p:")
                && k[2..]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())),
            "{keys:?}"
        );
        let received: Vec<chrono::DateTime<chrono::Utc>> = stored
            .iter()
            .map(|r| r.try_get("", "received_at").unwrap())
            .collect();
        assert_eq!(received[0].to_rfc3339(), "2026-11-20T01:15:00+00:00");
        assert_eq!(received[2].to_rfc3339(), "2026-11-22T03:30:00+00:00");
        // Spreadsheet serial 46349.5 = 2026-11-23 12:00 in China.
        assert_eq!(received[4].to_rfc3339(), "2026-11-23T04:00:00+00:00");
        let audit = rows(
            &app,
            "SELECT detail FROM audit_log WHERE action = 'opinion.import' ORDER BY seq DESC",
        )
        .await;
        let detail: String = audit[0].try_get("", "detail").unwrap();
        assert!(detail.contains("\"published\":true"), "{detail}");

        // Grouped into one topic: three residents (one number three times),
        // five opinions.
        domain::agenda::recompute(&app.services, false, |_, _, _| {})
            .await
            .unwrap();
        let topics = app.get_json(&app.client(), "/api/v1/topics").await;
        let list = topics["topics"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{topics}");
        let t = &list[0];
        assert_eq!(t["breakdown"]["residents"], 3, "{t}");
        assert_eq!(t["breakdown"]["posts"], 5, "{t}");
        assert_eq!(t["breakdown"]["channels"], 3, "{t}");
        assert_eq!(t["opinion_ids"].as_array().unwrap().len(), 5);
        let top2: Vec<&str> = t["keywords"].as_array().unwrap()[..2]
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!(
            top2.contains(&"电动自行车") && top2.contains(&"飞线充电"),
            "{t}"
        );
        assert!(
            t["explain"].as_str().unwrap().starts_with("3 位居民"),
            "{t}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn publishing_raises_a_topics_heat_on_the_very_next_read() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let communities = domain::org::communities(&app.services).await.unwrap();
        let (cid, cname) = (communities[0].id.to_string(), communities[0].name.clone());
        let staff = app.logged_in("13800000002").await;
        let csv = format!(
            "来电号码,渠道,事项,诉求内容,社区\n\
             13700000001,12345,南门路灯不亮,南门的路灯坏了两个星期，晚上一片漆黑。,{cname}\n\
             13700000002,12345,路灯坏了,小区里好几处路灯不亮，夜里出门不安全。,{cname}\n"
        );
        web_import(&app, &staff, &csv, true).await;
        domain::agenda::recompute(&app.services, false, |_, _, _| {})
            .await
            .unwrap();
        let anon = app.client();
        let before = app.get_json(&anon, "/api/v1/topics").await;
        let topic = before["topics"][0].clone();
        assert_eq!(topic["breakdown"]["residents"], 2, "{before}");
        // Served from the page cache now.
        let res = anon.get(app.url("/api/v1/topics")).send().await.unwrap();
        assert_eq!(res.headers()["x-hongcha-cache"], "hit");

        // A resident's opinion on the same matter, pending: nothing moves.
        let resident = app.logged_in("13800000001").await;
        let id = app.submit(&resident, &cid, "路灯坏了没人修", "lamp").await;
        let same = app.get_json(&anon, "/api/v1/topics").await;
        assert_eq!(same["topics"][0]["breakdown"]["residents"], 2);
        // Not visible to others while pending: where it went neither.
        let res = anon
            .get(app.url(&format!("/api/opinion_topic?id={id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // Approved: the very next read has three residents and more heat.
        approve(&app, &staff, id).await;
        let after = app.get_json(&anon, "/api/v1/topics").await;
        let t = &after["topics"][0];
        assert_eq!(t["id"], topic["id"]);
        assert_eq!(t["breakdown"]["residents"], 3, "{after}");
        assert!(t["heat"].as_f64().unwrap() > topic["heat"].as_f64().unwrap());
        assert!(
            t["opinion_ids"]
                .as_array()
                .unwrap()
                .contains(&Value::from(id))
        );
        // The author sees where it went; so does the topic's page.
        let placed = app
            .get_json(&resident, &format!("/api/opinion_topic?id={id}"))
            .await;
        assert_eq!(placed[0], topic["id"], "{placed}");
        let page = anon
            .get(app.url(&format!("/topics/{}", topic["id"])))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("路灯坏了没人修"), "{backend:?}");
        assert!(page.contains("3 位居民"), "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn the_topics_api_refuses_hostile_input_plainly() {
    let app = spawn_app(blackbox::Backend::Sqlite).await;
    app.seed_demo().await;
    let c = app.client();
    for (query, status) in [
        ("limit=0", StatusCode::BAD_REQUEST),
        ("limit=101", StatusCode::BAD_REQUEST),
        ("limit=-1", StatusCode::BAD_REQUEST),
        ("limit=1e3", StatusCode::BAD_REQUEST),
        ("community=%27%20OR%201%3D1--", StatusCode::NOT_FOUND),
        ("community=99999999999999999999", StatusCode::NOT_FOUND),
        ("community=%E0%A4%A", StatusCode::NOT_FOUND),
        ("limit=5&community=", StatusCode::OK),
    ] {
        let res = c
            .get(app.url(&format!("/api/v1/topics?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{query}");
        if status != StatusCode::OK {
            assert_eq!(res.headers()["cache-control"], "no-store", "{query}");
            let body: Value = res.json().await.unwrap();
            assert!(body["error"].is_string(), "{query}: {body}");
        }
    }
    let long = "长".repeat(65);
    let res = c
        .get(app.url("/api/v1/topics"))
        .query(&[("community", long.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A topic that does not exist, and ids that are not ids.
    for (path, status) in [
        ("/api/topic?id=424242", StatusCode::NOT_FOUND),
        ("/api/topic?id=abc", StatusCode::BAD_REQUEST),
        (
            "/api/topic?id=99999999999999999999999",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/opinion_topic?id=-1", StatusCode::NOT_FOUND),
        ("/api/opinion?id=abc", StatusCode::BAD_REQUEST),
    ] {
        let res = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn staff_take_a_topic_up_and_residents_pre_vote_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let communities = domain::org::communities(&app.services).await.unwrap();
        let (cid, cname) = (communities[0].id.to_string(), communities[0].name.clone());
        let staff = app.logged_in("13800000002").await;
        let resident = app.logged_in("13800000001").await;
        let csv = format!(
            "来电号码,渠道,事项,诉求内容,社区\n\
             13700000001,12345,楼道飞线充电,楼道里有人用电瓶车拉线充电，很危险。,{cname}\n\
             13700000002,12345,电动车楼道充电,电动车推进楼道充电，插线板放在地上。,{cname}\n\
             13700000003,12345,垃圾分类投放点太臭,垃圾分类投放点就在楼下，夏天很臭。,{cname}\n\
             13700000004,12345,垃圾桶满了,垃圾分类后垃圾桶总是满的，没人清运。,{cname}\n"
        );
        web_import(&app, &staff, &csv, true).await;
        let mine = app
            .submit(&resident, &cid, "楼道电瓶车充电太危险", "ebike")
            .await;
        approve(&app, &staff, mine).await;
        domain::agenda::recompute(&app.services, false, |_, _, _| {})
            .await
            .unwrap();
        let placed = app
            .get_json(&resident, &format!("/api/opinion_topic?id={mine}"))
            .await;
        let topic = placed[0].as_i64().expect("placed into a topic");

        // Residents may not decide; staff see it among the suggestions.
        let res = app
            .call(
                &resident,
                "accept_topic",
                &[("id", &topic.to_string()), ("title", "楼道充电")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let suggestions = app
            .get_json(&staff, "/api/agenda_suggestions?min_heat=0")
            .await;
        let ids: Vec<i64> = suggestions
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        assert!(ids.contains(&topic), "{suggestions}");
        let other = *ids.iter().find(|t| **t != topic).expect("two topics");

        // A pre-vote first: one answer per resident per statement.
        let res = app
            .call(
                &staff,
                "open_prevote",
                &[
                    ("id", &topic.to_string()),
                    ("statements", "车棚应增设充电桩\n楼道一律禁止停放电动车"),
                ],
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let p = app
            .get_json(&resident, &format!("/api/prevote?id={topic}"))
            .await;
        let first = p["statements"][0]["id"].as_i64().unwrap().to_string();
        let res = app
            .call(
                &resident,
                "answer_prevote",
                &[("statement_id", &first), ("choice", "agree")],
            )
            .await;
        assert!(res.status().is_success());
        let res = app
            .call(
                &resident,
                "answer_prevote",
                &[("statement_id", &first), ("choice", "disagree")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let res = app
            .call(
                &resident,
                "answer_prevote",
                &[("statement_id", &first), ("choice", "maybe")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p = app
            .get_json(&resident, &format!("/api/prevote?id={topic}"))
            .await;
        assert_eq!(p["statements"][0]["agree"], 1);
        assert_eq!(p["statements"][0]["mine"], "agree");
        // Another origin may not vote for a resident.
        let res = resident
            .post(app.url("/api/answer_prevote"))
            .header("Origin", "https://evil.example")
            .form(&[("statement_id", first.as_str()), ("choice", "pass")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // Accept: an agenda item; the author sees it and is told.
        let res = app
            .call(
                &staff,
                "accept_topic",
                &[
                    ("id", &topic.to_string()),
                    ("title", "楼道飞线充电整治"),
                    ("summary", "车棚增设充电桩"),
                ],
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let placed = app
            .get_json(&resident, &format!("/api/opinion_topic?id={mine}"))
            .await;
        assert_eq!(placed[1], "楼道飞线充电整治");
        assert_eq!(placed[2], "accepted");
        let rows = rows(
            &app,
            "SELECT body FROM outbox WHERE channel = 'in_app' AND subject = '您的意见已列入议题'",
        )
        .await;
        assert_eq!(rows.len(), 1, "{backend:?}: the one author with an account");
        let audit = rows_where(&app, "topic.accept").await;
        assert_eq!(audit, 1);
        // Decided once; rejecting it now is a conflict.
        let res = app
            .call(
                &staff,
                "reject_topic",
                &[("id", &topic.to_string()), ("reason", "不处理")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        // The other topic is rejected with a public reason.
        let res = app
            .call(
                &staff,
                "reject_topic",
                &[("id", &other.to_string()), ("reason", "已交物业处理")],
            )
            .await;
        assert!(res.status().is_success());
        let detail = app
            .get_json(&app.client(), &format!("/api/topic?id={other}"))
            .await;
        assert_eq!(detail["reject_reason"], "已交物业处理");
        assert_eq!(detail["card"]["status"], "rejected");
        // The ranking keeps the accepted one, not the rejected one.
        let ranking = app.get_json(&app.client(), "/api/v1/topics").await;
        let ranked: Vec<i64> = ranking["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        assert!(
            ranked.contains(&topic) && !ranked.contains(&other),
            "{ranking}"
        );
        app.stop().await;
    }
}

async fn rows_where(app: &TestApp, action: &str) -> usize {
    rows(
        app,
        &format!("SELECT seq FROM audit_log WHERE action = '{action}'"),
    )
    .await
    .len()
}

#[tokio::test]
async fn staff_merge_topics_and_split_an_opinion_off_over_http() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let cname = domain::org::communities(&app.services).await.unwrap()[0]
            .name
            .clone();
        let staff = app.logged_in("13800000002").await;
        let resident = app.logged_in("13800000001").await;
        let csv = format!(
            "来电号码,渠道,事项,诉求内容,社区\n\
             13700000001,12345,楼道飞线充电,楼道里有人用电瓶车拉线充电，很危险。,{cname}\n\
             13700000002,12345,电动车楼道充电,电动车推进楼道充电，插线板放在地上。,{cname}\n\
             13700000003,12345,车棚没有充电桩,车棚里没有充电桩，大家只能拉线给电动车充电。,{cname}\n\
             13700000004,12345,希望增设充电桩,小区电动自行车越来越多，希望增设充电桩。,{cname}\n\
             13700000005,12345,南门路灯不亮,南门的路灯坏了两个星期，晚上一片漆黑。,{cname}\n\
             13700000006,12345,路灯坏了,小区里好几处路灯不亮，夜里出门不安全。,{cname}\n"
        );
        web_import(&app, &staff, &csv, true).await;
        domain::agenda::recompute(&app.services, false, |_, _, _| {})
            .await
            .unwrap();
        let topics = app.get_json(&app.client(), "/api/v1/topics").await;
        let list = topics["topics"].as_array().unwrap();
        assert!(list.len() >= 2, "{topics}");
        let lamp = list
            .iter()
            .find(|t| t["keywords"][0] == "路灯")
            .expect("lamp topic");
        let other = list.iter().find(|t| t["id"] != lamp["id"]).unwrap();
        let (lamp_id, other_id) = (lamp["id"].as_i64().unwrap(), other["id"].as_i64().unwrap());
        let lamp_ids = lamp["opinion_ids"].clone();

        // Residents may not merge or split; nor may staff merge a topic into itself.
        for (who, endpoint, form) in [
            (
                &resident,
                "merge_topic",
                vec![("id", lamp_id.to_string()), ("into", other_id.to_string())],
            ),
            (
                &resident,
                "split_opinion",
                vec![
                    ("id", other_id.to_string()),
                    ("opinion_id", lamp_ids[0].to_string()),
                ],
            ),
        ] {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.call(who, endpoint, &form).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{endpoint}");
        }
        let res = app
            .call(
                &staff,
                "merge_topic",
                &[("id", &lamp_id.to_string()), ("into", &lamp_id.to_string())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Merge the street-light topic into the other: its opinions move,
        // it names where it went, and regrouping keeps that.
        let res = app
            .call(
                &staff,
                "merge_topic",
                &[
                    ("id", &lamp_id.to_string()),
                    ("into", &other_id.to_string()),
                ],
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        domain::agenda::recompute(&app.services, false, |_, _, _| {})
            .await
            .unwrap();
        let merged = app
            .get_json(&app.client(), &format!("/api/topic?id={lamp_id}"))
            .await;
        assert_eq!(merged["card"]["status"], "merged");
        assert_eq!(merged["merged_into"], other_id);
        let into = domain::agenda::member_ids(&app.services, other_id)
            .await
            .unwrap();
        for id in lamp_ids.as_array().unwrap() {
            assert!(into.contains(&id.as_i64().unwrap()), "{backend:?}");
        }

        // Split one street-light opinion off again: a topic of its own, kept
        // there by regrouping; the other topic counts one resident fewer.
        let before = app
            .get_json(&app.client(), &format!("/api/topic?id={other_id}"))
            .await;
        let off = lamp_ids[0].as_i64().unwrap();
        let res = app
            .call(
                &staff,
                "split_opinion",
                &[
                    ("id", &other_id.to_string()),
                    ("opinion_id", &off.to_string()),
                ],
            )
            .await;
        assert!(res.status().is_success());
        let new_topic: i64 = res.json().await.unwrap();
        domain::agenda::recompute(&app.services, false, |_, _, _| {})
            .await
            .unwrap();
        let placed = app
            .get_json(&staff, &format!("/api/opinion_topic?id={off}"))
            .await;
        assert_eq!(placed[0], new_topic);
        let after = app
            .get_json(&app.client(), &format!("/api/topic?id={other_id}"))
            .await;
        assert_eq!(
            after["card"]["heat"]["residents"].as_u64().unwrap() + 1,
            before["card"]["heat"]["residents"].as_u64().unwrap(),
            "{after}"
        );
        // An opinion of another topic cannot be split off this one.
        let res = app
            .call(
                &staff,
                "split_opinion",
                &[
                    ("id", &other_id.to_string()),
                    ("opinion_id", &off.to_string()),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(rows_where(&app, "topic.merge").await, 1);
        assert_eq!(rows_where(&app, "topic.split").await, 1);
        app.stop().await;
    }
}
