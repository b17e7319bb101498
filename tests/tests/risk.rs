//! Risk warning over real HTTP (SQLite and PostgreSQL): outside systems
//! send readings with their source's token; bad tokens, malformed readings
//! and unknown subjects are refused whole, duplicates stored once; a
//! low-level warning goes SMS → voice call → keypad answer (the voice
//! gateway's token) → machine re-check that closes its case; another whose
//! re-check fails goes to people and escalates on time. The machine's
//! steps are driven by the test (`dispose::tick` with a clock ahead), so
//! nothing waits on real minutes.
use blackbox::{Options, backends, spawn_app_with};
use domain::clock::{Duration, now};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

async fn rows(app: &blackbox::TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    app.db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
}

async fn count(app: &blackbox::TestApp, sql: &str) -> i64 {
    rows(app, sql).await[0].try_get_by_index::<i64>(0).unwrap()
}

/// `t`, or just after quiet hours when it falls in them (the machine does
/// not call at night).
fn daytime(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    domain::outbox::quiet_until(t).map_or(t, |u| u + Duration::minutes(1))
}

fn reading(id: &str, subject: &str, value: f64, ago_min: i64) -> Value {
    json!({
        "id": id,
        "subject": subject,
        "indicator": "ebike_charging.level",
        "value": value,
        "at": (now() - Duration::minutes(ago_min)).to_rfc3339(),
    })
}

#[tokio::test]
async fn readings_warnings_and_the_machines_closed_loop_over_http() {
    for backend in backends() {
        let app = spawn_app_with(
            backend,
            Options {
                risk_tick_seconds: 0,
                sla_sweep_seconds: 0,
                ..Options::default()
            },
        )
        .await;
        app.seed_demo().await;
        domain::risk::demo::seed(&app.services).await.unwrap();
        let s = &app.services;
        let (_, token) = domain::risk::create_source(s, None, "物联感知平台", "readings")
            .await
            .unwrap();
        let (_, voice) = domain::risk::create_source(s, None, "语音网关", "voice")
            .await
            .unwrap();
        let subjects = rows(
            &app,
            "SELECT code, contact_phone FROM risk_subject ORDER BY id",
        )
        .await;
        let code = |i: usize| subjects[i].try_get::<String>("", "code").unwrap();
        let phone = |i: usize| subjects[i].try_get::<String>("", "contact_phone").unwrap();
        let (a, b) = (code(0), code(1));
        let client = reqwest::Client::new();
        let post = |path: &str, bearer: Option<&str>, body: Value| {
            let mut req = client.post(app.url(path)).json(&body);
            if let Some(t) = bearer {
                req = req.bearer_auth(t);
            }
            req.send()
        };

        // No token, a wrong one, the voice gateway's: 401, nothing stored.
        let one = json!({"readings": [reading("r-1", &a, 40.0, 5)]});
        for t in [None, Some("hc_nope"), Some(voice.as_str())] {
            let res = post("/api/v1/risk/readings", t, one.clone()).await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{backend:?} {t:?}");
        }
        // Not JSON, or no readings: 400 / 422.
        let res = client
            .post(app.url("/api/v1/risk/readings"))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = post(
            "/api/v1/risk/readings",
            Some(&token),
            json!({"readings": []}),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let many: Vec<Value> = (0..1001)
            .map(|i| reading(&format!("m-{i}"), &a, 1.0, 1))
            .collect();
        let res = post(
            "/api/v1/risk/readings",
            Some(&token),
            json!({"readings": many}),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // A malformed reading and an unknown subject: 422, each named, none stored.
        let res = post(
            "/api/v1/risk/readings",
            Some(&token),
            json!({"readings": [
                reading("r-1", &a, 40.0, 5),
                {"id": "r-2", "subject": a, "indicator": "ebike_charging.level", "value": 1, "at": "yesterday"},
                reading("r-3", "compound-0", 1.0, 1),
            ]}),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["index"], 1);
        assert_eq!(body["errors"][0]["error"], "at");
        assert_eq!(body["errors"][1]["error"], "unknown_subject");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM risk_reading").await, 0);

        // Both subjects' 飞线充电 level goes past 80: two warnings, an SMS each.
        let batch = json!({"readings": [
            reading("a-1", &a, 50.0, 10),
            reading("a-2", &a, 95.0, 9),
            reading("b-1", &b, 97.0, 9),
        ]});
        let res = post("/api/v1/risk/readings", Some(&token), batch.clone())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let r: Value = res.json().await.unwrap();
        assert_eq!(
            (r["stored"].as_i64(), r["warnings_opened"].as_i64()),
            (Some(3), Some(2))
        );
        // Sent again (a retry): duplicates, nothing new.
        let r: Value = post("/api/v1/risk/readings", Some(&token), batch)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            (
                r["stored"].as_i64(),
                r["duplicates"].as_i64(),
                r["warnings_opened"].as_i64()
            ),
            (Some(0), Some(3), Some(0))
        );
        let sms = |p: String| {
            format!("SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND recipient = '{p}'")
        };
        assert_eq!(count(&app, &sms(phone(0))).await, 1);
        assert_eq!(count(&app, &sms(phone(1))).await, 1);

        // Ten minutes on, the voice calls; the gateway reports a's answer.
        let t1 = daytime(now() + Duration::minutes(11));
        let tick = domain::risk::dispose::tick(s, t1, true).await.unwrap();
        assert_eq!(tick.voice_calls, 2, "{backend:?}");
        let call = rows(
            &app,
            &format!(
                "SELECT id FROM outbox WHERE channel = 'voice' AND recipient = '{}'",
                phone(0)
            ),
        )
        .await[0]
            .try_get_by_index::<i64>(0)
            .unwrap();
        let res = post(
            "/api/v1/risk/voice",
            Some(&token),
            json!({"call": call, "key": "1"}),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = post(
            "/api/v1/risk/voice",
            Some(&voice),
            json!({"call": call, "key": "7"}),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = post(
            "/api/v1/risk/voice",
            Some(&voice),
            json!({"call": call, "key": "1"}),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = post(
            "/api/v1/risk/voice",
            Some(&voice),
            json!({"call": call, "key": "1"}),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::CONFLICT);
        // a's level came down; b's did not. The reading comes just before
        // the re-check, on the test's clock: when the test runs at night the
        // machine's steps wait for the morning (t1), and a reading taken
        // now would be hours old by then.
        let t2 = t1 + Duration::minutes(31);
        let fixed = json!({
            "id": "a-3",
            "subject": a,
            "indicator": "ebike_charging.level",
            "value": 30.0,
            "at": (t2 - Duration::minutes(1)).to_rfc3339(),
        });
        let r = domain::risk::ingest::ingest_at(s, &token, &[fixed], t2 - Duration::minutes(1))
            .await
            .unwrap();
        assert!(
            matches!(r, domain::risk::ingest::Outcome::Stored(ref x) if x.stored == 1),
            "{backend:?}: {r:?}"
        );
        // The re-check: a closes with its record, b goes to people.
        let tick = domain::risk::dispose::tick(s, t2, true).await.unwrap();
        assert_eq!(
            (tick.rechecks_passed, tick.rechecks_failed),
            (1, 1),
            "{backend:?}"
        );
        let state = |code: String| {
            format!(
                "SELECT w.state, w.closed_how, c.state, c.stage FROM risk_warning w \
                 JOIN risk_subject s ON s.id = w.subject_id JOIN sla_case c ON c.id = w.case_id \
                 WHERE s.code = '{code}'"
            )
        };
        let ra = &rows(&app, &state(a.clone())).await[0];
        assert_eq!(ra.try_get_by_index::<String>(0).unwrap(), "closed");
        assert_eq!(
            ra.try_get_by_index::<Option<String>>(1).unwrap().as_deref(),
            Some("recheck")
        );
        assert_eq!(ra.try_get_by_index::<String>(2).unwrap(), "closed");
        let steps = |code: String| {
            format!(
                "SELECT st.kind FROM risk_step st JOIN risk_warning w ON w.id = st.warning_id \
                 JOIN risk_subject s ON s.id = w.subject_id WHERE s.code = '{code}' ORDER BY st.id"
            )
        };
        let kinds = |r: Vec<sea_orm::QueryResult>| -> Vec<String> {
            r.iter()
                .map(|x| x.try_get_by_index::<String>(0).unwrap())
                .collect()
        };
        assert_eq!(
            kinds(rows(&app, &steps(a.clone())).await),
            ["fired", "sms", "voice", "answer", "recheck_ok", "closed"]
        );
        let rb = &rows(&app, &state(b.clone())).await[0];
        assert_eq!(rb.try_get_by_index::<String>(0).unwrap(), "open");
        assert_eq!(rb.try_get_by_index::<String>(3).unwrap(), "sign");
        assert_eq!(
            kinds(rows(&app, &steps(b.clone())).await),
            ["fired", "sms", "voice", "recheck_failed", "handed"]
        );
        // Nobody signs within 24 hours: overdue, escalated once to staff.
        let escalated = |code: String| {
            format!(
                "SELECT COUNT(*) FROM sla_event e JOIN risk_warning w ON w.case_id = e.case_id \
                 JOIN risk_subject s ON s.id = w.subject_id WHERE s.code = '{code}' AND e.kind = 'escalated'"
            )
        };
        domain::sla::sweep(s, t2 + Duration::hours(23))
            .await
            .unwrap();
        assert_eq!(count(&app, &escalated(b.clone())).await, 0);
        domain::sla::sweep(s, t2 + Duration::hours(25))
            .await
            .unwrap();
        domain::sla::sweep(s, t2 + Duration::hours(25))
            .await
            .unwrap();
        assert_eq!(count(&app, &escalated(b.clone())).await, 1, "{backend:?}");
        app.stop().await;
    }
}

/// A call the gateway was asked to place: its Authorization header and body.
type Call = (Option<String>, Value);

/// The voice gateway stand-in: records each call it is asked to place.
#[derive(Clone, Default)]
struct VoiceGateway {
    calls: std::sync::Arc<std::sync::Mutex<Vec<Call>>>,
}

async fn place_call(
    axum::extract::State(g): axum::extract::State<VoiceGateway>,
    headers: axum::http::HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> StatusCode {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    g.calls.lock().unwrap().push((auth, body));
    StatusCode::OK
}

#[tokio::test]
async fn calls_go_to_the_voice_gateway_and_its_answer_comes_back() {
    for backend in backends() {
        let gateway = VoiceGateway::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/call", listener.local_addr().unwrap());
        let router = axum::Router::new()
            .route("/call", axum::routing::post(place_call))
            .with_state(gateway.clone());
        let stand_in = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let app = spawn_app_with(
            backend,
            Options {
                risk_tick_seconds: 0,
                voice_gateway: Some((url, Some("voice-gw-token".into()))),
                ..Options::default()
            },
        )
        .await;
        app.seed_demo().await;
        domain::risk::demo::seed(&app.services).await.unwrap();
        let s = &app.services;
        let (_, token) = domain::risk::create_source(s, None, "物联", "readings")
            .await
            .unwrap();
        let (_, voice) = domain::risk::create_source(s, None, "语音网关", "voice")
            .await
            .unwrap();
        let code = rows(&app, "SELECT code FROM risk_subject ORDER BY id").await[0]
            .try_get::<String>("", "code")
            .unwrap();
        let client = reqwest::Client::new();
        let res = client
            .post(app.url("/api/v1/risk/readings"))
            .bearer_auth(&token)
            .json(&json!({"readings": [reading("v-1", &code, 99.0, 1)]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        domain::risk::dispose::tick(s, daytime(now() + Duration::minutes(11)), false)
            .await
            .unwrap();
        // At night the outbox holds machine calls until 07:00 (its own tests
        // cover that); this test is about the gateway, so when it runs at
        // night the call is marked urgent and goes at once.
        if domain::outbox::quiet_until(now()).is_some()
            || domain::outbox::quiet_until(now() + Duration::minutes(1)).is_some()
        {
            app.db
                .execute_unprepared("UPDATE outbox SET urgent = TRUE, next_attempt_at = NULL WHERE channel = 'voice'")
                .await
                .unwrap();
        }
        // The outbox job (every half second) places the call through the
        // gateway (waited for up to 30 s: a loaded machine is slow).
        for _ in 0..300 {
            if !gateway.calls.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let calls = gateway.calls.lock().unwrap().clone();
        assert_eq!(calls.len(), 1, "{backend:?}: {calls:?}");
        let (auth, body) = &calls[0];
        assert_eq!(auth.as_deref(), Some("Bearer voice-gw-token"));
        assert!(
            body["text"].as_str().unwrap().contains("已处理请按1"),
            "{body}"
        );
        // The gateway reports the keypad answer with the call's id.
        let res = client
            .post(app.url("/api/v1/risk/voice"))
            .bearer_auth(&voice)
            .json(&json!({"call": body["id"], "key": "2"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        // "需要帮助": the case goes to people at once.
        let stage = rows(
            &app,
            "SELECT c.stage FROM risk_warning w JOIN sla_case c ON c.id = w.case_id",
        )
        .await[0]
            .try_get_by_index::<String>(0)
            .unwrap();
        assert_eq!(stage, "sign");
        stand_in.abort();
        app.stop().await;
    }
}

fn file_form(field: &str, name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        field.to_owned(),
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    )
}

/// The admin page's uploads (a readings file, the map's outlines) and a
/// case's photo, over real HTTP: who may, what a bad file gets back, and
/// that the photo is shown only to those on the case; the responsible
/// party reports back on its own warning and on nobody else's.
#[tokio::test]
async fn uploads_photos_and_the_partys_report_over_http() {
    for backend in backends() {
        let app = spawn_app_with(
            backend,
            Options {
                risk_tick_seconds: 0,
                ..Options::default()
            },
        )
        .await;
        app.seed_demo().await;
        domain::risk::demo::seed(&app.services).await.unwrap();
        let subjects = rows(&app, "SELECT code FROM risk_subject ORDER BY id").await;
        let code = |i: usize| subjects[i].try_get::<String>("", "code").unwrap();
        let admin = app.logged_in("13800000008").await;
        let resident = app.logged_in("13800000001").await;
        let upload =
            |c: &reqwest::Client, path: &str, form: reqwest::multipart::Form, json: bool| {
                let mut req = c
                    .post(app.url(path))
                    .header("Origin", &app.addr)
                    .multipart(form);
                if json {
                    req = req.header("Accept", "application/json");
                }
                req.send()
            };
        let at = (now() - Duration::minutes(2)).to_rfc3339();
        // A file with a bad line: refused whole, its lines named (the form
        // comes back to the page with them).
        let bad = format!(
            "对象编码,指标,数值,时间\n{a},gas_leak.level,96,{at}\n{a},gas_leak.level,高,{at}\nnowhere,gas_leak.level,1,{at}\n",
            a = code(0)
        );
        let res = upload(
            &admin,
            "/admin/risk/readings",
            file_form("file", "r.csv", bad.into_bytes()),
            false,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            to.contains("readings_rows=3:value,4:unknown_subject"),
            "{to}"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM risk_reading WHERE value = 96").await,
            0
        );
        // A good one: stored, its warning opened; again: duplicates.
        let good = format!(
            "对象编码,指标,数值,时间\n{},gas_leak.level,96,{at}\n",
            code(0)
        );
        for (stored, dup) in [(1, 0), (0, 1)] {
            let res = upload(
                &admin,
                "/admin/risk/readings",
                file_form("file", "r.csv", good.clone().into_bytes()),
                true,
            )
            .await
            .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let v: Value = res.json().await.unwrap();
            assert_eq!(
                (v["stored"].as_i64(), v["duplicates"].as_i64()),
                (Some(stored), Some(dup)),
                "{v}"
            );
        }
        // A resident may not import, nor upload outlines; an outlines file
        // that is not GeoJSON is refused by name.
        let res = upload(
            &resident,
            "/admin/risk/readings",
            file_form("file", "r.csv", good.clone().into_bytes()),
            true,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = upload(
            &resident,
            "/admin/risk/outlines",
            file_form("file", "o.geojson", b"{}".to_vec()),
            true,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = upload(
            &admin,
            "/admin/risk/outlines",
            file_form("file", "o.geojson", b"\xff\xfe not text".to_vec()),
            true,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = upload(
            &admin,
            "/admin/risk/outlines",
            file_form(
                "file",
                "o.geojson",
                br#"{"type":"FeatureCollection","features":[]}"#.to_vec(),
            ),
            true,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // The map's outlines from a file: the demo's own, saved again.
        let geojson = domain::risk::portrait::demo_outlines(&app.db)
            .await
            .unwrap();
        let res = upload(
            &admin,
            "/admin/risk/outlines",
            file_form("file", "o.geojson", geojson.into_bytes()),
            false,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .contains("outlines=")
        );

        // The gas leak's case: the grid worker adds a photo; the street sees
        // it, a resident does not.
        let w = count(
            &app,
            "SELECT MAX(id) FROM risk_warning WHERE point_key = 'gas_leak'",
        )
        .await;
        let grid = app.logged_in("13800000004").await;
        let photo = |c: &reqwest::Client, bytes: Vec<u8>| {
            let form = file_form("photo", "scene.jpg", bytes).text("note", "阀门已关闭");
            upload(c, &format!("/risk/warnings/{w}/photos"), form, true)
        };
        assert_eq!(
            photo(&resident, blackbox::jpeg_with_exif())
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
        let res = photo(&grid, b"GIF89a not a photo".to_vec()).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = photo(&grid, blackbox::jpeg_with_exif()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let step = res.json::<Value>().await.unwrap()["step"].as_i64().unwrap();
        let officer = app.logged_in("13800000003").await;
        let res = officer
            .get(app.url(&format!("/media/risk-photos/{step}?size=thumb")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("private")
        );
        for c in [&resident, &app.client()] {
            let res = c
                .get(app.url(&format!("/media/risk-photos/{step}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND);
        }
        // The party (the first compound's property company) reports back;
        // a resident cannot, on its warning or any.
        let party = app.logged_in("13800000006").await;
        let mine = app.get_json(&party, "/api/risk_mine").await;
        let ids: Vec<i64> = mine
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert!(ids.contains(&w), "{mine}");
        assert_eq!(app.get_json(&resident, "/api/risk_mine").await, json!([]));
        let id = w.to_string();
        let res = app
            .call(
                &resident,
                "risk_party_report",
                &[("id", &id), ("note", "已处理")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = app
            .call(
                &party,
                "risk_party_report",
                &[("id", &id), ("note", "已关闭总阀并报修")],
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let res = app
            .call(
                &party,
                "risk_party_report",
                &[("id", &id), ("note", "再报一次")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        app.stop().await;
    }
}
