//! Meetings, plans and evaluation (issue 11) over HTTP against a real
//! server, on SQLite and PostgreSQL: a topic residents raised goes to a
//! hybrid meeting, a participant sees a poll pushed to the live room and
//! votes once, the plan's task is done, the resident rates it, and the
//! opinion's path shows the whole way. On PostgreSQL, a poll opened
//! through one instance reaches a participant connected to another. The
//! SLA sweeper escalates overdue work once, across instances.
use std::time::{Duration, Instant};

use blackbox::{Options, TestApp, backends, spawn_app, spawn_app_with};
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Statement};

async fn ok(app: &TestApp, c: &Client, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let res = app.call(c, endpoint, form).await;
    let status = res.status();
    assert!(
        status.is_success() || status.is_redirection(),
        "{endpoint} {form:?}: {status}"
    );
    res
}

/// A topic two residents raised, accepted onto the agenda:
/// (staff, resident, opinion, agenda item).
async fn accepted(app: &TestApp) -> (Client, Client, i64, i64) {
    app.seed_demo().await;
    let community = app.first_community().await;
    let resident = app.logged_in("13800000001").await;
    let other = app.new_resident("13900001111").await;
    let staff = app.logged_in("13800000002").await;
    let mine = app
        .submit(&resident, &community, "南门路灯坏了", "m1")
        .await;
    let theirs = app.submit(&other, &community, "门口路灯不亮", "m2").await;
    for id in [mine, theirs] {
        ok(
            app,
            &staff,
            "moderate_opinion",
            &[("id", &id.to_string()), ("decision", "approve")],
        )
        .await;
    }
    domain::agenda::recompute(&app.services, false, |_, _, _| {})
        .await
        .unwrap();
    let topic = app
        .get_json(&resident, &format!("/api/opinion_topic?id={mine}"))
        .await;
    let topic_id = topic[0].as_i64().expect("the opinion joined a topic");
    let item: i64 = ok(
        app,
        &staff,
        "accept_topic",
        &[("id", &topic_id.to_string()), ("title", "南门路灯维修")],
    )
    .await
    .json()
    .await
    .unwrap();
    (staff, resident, mine, item)
}

/// Reads server-sent events until one contains `needle`; the time it took.
async fn wait_for_event(res: &mut reqwest::Response, needle: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    let mut seen = String::new();
    while start.elapsed() < limit {
        match tokio::time::timeout(limit - start.elapsed(), res.chunk()).await {
            Ok(Ok(Some(bytes))) => {
                seen.push_str(&String::from_utf8_lossy(&bytes));
                if seen.contains(needle) {
                    return start.elapsed();
                }
            }
            _ => break,
        }
    }
    panic!(
        "no event with {needle} within {limit:?}; got {}",
        &seen[seen.len().saturating_sub(400)..]
    );
}

async fn create_meeting(app: &TestApp, staff: &Client, item: i64) -> i64 {
    let community = app.first_community().await;
    let starts = domain::clock::china_time(domain::clock::now() + domain::clock::Duration::days(1))
        .replace(' ', "T");
    let res = app
        .call(
            staff,
            "create_meeting",
            &[
                ("community_id", community.as_str()),
                ("title", "南门路灯议事会"),
                ("summary", ""),
                ("mode", "hybrid"),
                ("venue", "社区会议室"),
                ("starts_at", starts.as_str()),
                ("minutes_long", "60"),
                ("video_url", ""),
                // As the page's checkboxes send it.
                ("items[0]", item.to_string().as_str()),
                ("quorum", "1"),
                ("majority_pct", "50"),
            ],
        )
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    res.json().await.expect("meeting id")
}

/// A plan on the agenda item (from the meeting, if given) with one task,
/// due in five days, as staff make it on the plan page.
async fn plan_with_task(app: &TestApp, staff: &Client, item: i64, meeting: Option<i64>) -> i64 {
    let community = app.first_community().await;
    let item = item.to_string();
    let meeting = meeting.map(|m| m.to_string());
    let mut form = vec![
        ("community_id", community.as_str()),
        ("agenda_item_id", item.as_str()),
        ("title", "南门路灯改造"),
        ("summary", ""),
    ];
    if let Some(m) = &meeting {
        form.push(("meeting_id", m.as_str()));
    }
    let plan: i64 = ok(app, staff, "create_plan", &form)
        .await
        .json()
        .await
        .unwrap();
    let due = domain::clock::china_time(domain::clock::now() + domain::clock::Duration::days(5))
        [..10]
        .to_owned();
    let plan_id = plan.to_string();
    let task = [
        ("plan", plan_id.as_str()),
        ("title", "更换路灯"),
        ("party", "property"),
        ("party_name", "小河物业"),
        ("deadline", due.as_str()),
    ];
    ok(app, staff, "add_task", &task).await;
    plan
}

#[tokio::test]
async fn a_resident_sees_a_poll_pushed_votes_once_and_follows_the_outcome_to_the_rating() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (staff, resident, opinion, item) = accepted(&app).await;
        let id = create_meeting(&app, &staff, item).await;
        let sid = id.to_string();
        // A mutation from another origin is refused.
        let res = staff
            .post(app.url("/api/meeting_step"))
            .header("Origin", "https://evil.example")
            .form(&[("id", sid.as_str()), ("step", "schedule")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // Residents cannot run a meeting.
        assert_eq!(
            app.call(
                &resident,
                "meeting_step",
                &[("id", &sid), ("step", "schedule")]
            )
            .await
            .status(),
            StatusCode::FORBIDDEN
        );
        // A draft's live room says nothing yet (its staff page watches it
        // from the start); a meeting that does not exist has none.
        let mut draft = app
            .client()
            .get(app.url(&format!("/live/meetings/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(draft.status(), StatusCode::OK);
        wait_for_event(&mut draft, "event: gone", Duration::from_secs(10)).await;
        drop(draft);
        assert_eq!(
            app.client()
                .get(app.url("/live/meetings/999999"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
        ok(
            &app,
            &staff,
            "meeting_step",
            &[("id", &sid), ("step", "invite_authors")],
        )
        .await;
        ok(
            &app,
            &staff,
            "meeting_step",
            &[("id", &sid), ("step", "schedule")],
        )
        .await;
        ok(
            &app,
            &staff,
            "meeting_step",
            &[("id", &sid), ("step", "live")],
        )
        .await;
        ok(&app, &resident, "meeting_attend", &[("id", &sid)]).await;
        // The resident's live room.
        let mut live = resident
            .get(app.url(&format!("/live/meetings/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(live.status(), StatusCode::OK);
        assert_eq!(live.headers()["content-type"], "text/event-stream");
        wait_for_event(&mut live, "南门路灯议事会", Duration::from_secs(10)).await;
        ok(
            &app,
            &staff,
            "meeting_chair",
            &[
                ("id", &sid),
                ("action", "poll"),
                ("text", "路灯改成太阳能的吗\n同意\n不同意"),
            ],
        )
        .await;
        let took = wait_for_event(&mut live, "路灯改成太阳能的吗", Duration::from_secs(10)).await;
        assert!(took < Duration::from_secs(5), "{took:?}");
        let view = app
            .get_json(&resident, &format!("/api/meeting?id={id}"))
            .await;
        let motion = view["motions"][0]["id"].as_i64().unwrap().to_string();
        ok(
            &app,
            &resident,
            "meeting_vote",
            &[("motion", &motion), ("choice", "0")],
        )
        .await;
        assert_eq!(
            app.call(
                &resident,
                "meeting_vote",
                &[("motion", &motion), ("choice", "1")]
            )
            .await
            .status(),
            StatusCode::CONFLICT
        );
        let view = app.get_json(&staff, &format!("/api/meeting?id={id}")).await;
        assert_eq!(
            view["motions"][0]["tally"]["counts"],
            serde_json::json!([1, 0]),
            "the staff screen shows the vote"
        );
        ok(
            &app,
            &staff,
            "meeting_chair",
            &[
                ("id", &sid),
                ("action", "minutes"),
                ("text", "同意改为太阳能路灯。"),
            ],
        )
        .await;
        ok(
            &app,
            &staff,
            "meeting_step",
            &[("id", &sid), ("step", "close")],
        )
        .await;
        assert_eq!(
            app.call(
                &staff,
                "meeting_chair",
                &[("id", &sid), ("action", "minutes"), ("text", "改")]
            )
            .await
            .status(),
            StatusCode::CONFLICT,
            "closed minutes are frozen"
        );
        // The plan, its task done, the resident's rating, closed.
        let plan = plan_with_task(&app, &staff, item, Some(id)).await;
        let p = app
            .get_json(&resident, &format!("/api/plan?id={plan}"))
            .await;
        let task = p["tasks"][0]["id"].as_i64().unwrap().to_string();
        assert_eq!(
            app.call(
                &resident,
                "update_task",
                &[("task", &task), ("status", "done")]
            )
            .await
            .status(),
            StatusCode::FORBIDDEN
        );
        ok(
            &app,
            &staff,
            "update_task",
            &[("task", &task), ("status", "done"), ("note", "已更换")],
        )
        .await;
        ok(
            &app,
            &resident,
            "rate_plan",
            &[
                ("plan", &plan.to_string()),
                ("score", "4"),
                ("comment", "亮了"),
            ],
        )
        .await;
        assert_eq!(
            app.call(
                &resident,
                "rate_plan",
                &[("plan", &plan.to_string()), ("score", "5"), ("comment", "")]
            )
            .await
            .status(),
            StatusCode::CONFLICT
        );
        let out: String = ok(&app, &staff, "close_plan", &[("plan", &plan.to_string())])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(out, "closed");
        let path = app
            .get_json(&resident, &format!("/api/opinion_path?id={opinion}"))
            .await;
        let done: Vec<(String, bool)> = path
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["key"].as_str().unwrap().to_owned(),
                    s["done"].as_bool().unwrap(),
                )
            })
            .collect();
        assert!(done.iter().all(|(_, d)| *d), "{path}");
        assert_eq!(done.last().unwrap().0, "closed");
        // The resident's inbox holds the notices; they may ask for SMS too.
        let inbox = app.get_json(&resident, "/api/inbox").await;
        assert_eq!(inbox[0]["sms"], false);
        let subjects: Vec<&str> = inbox[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["subject"].as_str().unwrap())
            .collect();
        assert!(subjects.contains(&"您关心的议题已办结"), "{subjects:?}");
        ok(&app, &resident, "set_notify", &[("sms", "1")]).await;
        assert_eq!(app.get_json(&resident, "/api/inbox").await[0]["sms"], true);
        let anon = app
            .client()
            .get(app.url("/api/inbox"))
            .send()
            .await
            .unwrap();
        assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
        // The author was told at each step once.
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT step, COUNT(*) AS n FROM loop_notice GROUP BY step ORDER BY step"
                    .to_owned(),
            ))
            .await
            .unwrap();
        let steps: Vec<(String, i64)> = rows
            .iter()
            .map(|r| (r.try_get("", "step").unwrap(), r.try_get("", "n").unwrap()))
            .collect();
        for step in [
            "accepted",
            "meeting",
            "discussed",
            "planned",
            "rating",
            "resolved",
        ] {
            assert!(
                steps.iter().any(|(s, n)| s == step && *n == 2),
                "{step} told to both authors once: {steps:?}"
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_poll_opened_through_one_instance_reaches_a_participant_on_another() {
    let Some(backend) = backends()
        .into_iter()
        .find(|b| matches!(b, blackbox::Backend::Postgres))
    else {
        eprintln!("PostgreSQL not configured (TEST_DATABASE_URL): skipped");
        return;
    };
    let app = spawn_app(backend).await;
    let (staff, resident, _, item) = accepted(&app).await;
    let id = create_meeting(&app, &staff, item).await;
    let sid = id.to_string();
    ok(
        &app,
        &staff,
        "meeting_step",
        &[("id", &sid), ("step", "invite_authors")],
    )
    .await;
    ok(
        &app,
        &staff,
        "meeting_step",
        &[("id", &sid), ("step", "schedule")],
    )
    .await;
    ok(
        &app,
        &staff,
        "meeting_step",
        &[("id", &sid), ("step", "live")],
    )
    .await;
    // A web node that runs no leased jobs still serves live rooms.
    let (other, handle) = app.web_only_instance().await;
    let mut live = resident
        .get(format!("{other}/live/meetings/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    wait_for_event(&mut live, "南门路灯议事会", Duration::from_secs(10)).await;
    // Give the second instance's listener a moment to subscribe.
    tokio::time::sleep(Duration::from_millis(500)).await;
    ok(
        &app,
        &staff,
        "meeting_chair",
        &[
            ("id", &sid),
            ("action", "poll"),
            ("text", "另一台服务器能看到吗"),
        ],
    )
    .await;
    let took = wait_for_event(&mut live, "另一台服务器能看到吗", Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    handle.abort();
    let _ = handle.await;
    app.stop().await;
}

#[tokio::test]
async fn the_sweeper_escalates_overdue_work_once_across_instances() {
    for backend in backends() {
        let app = spawn_app_with(
            backend,
            Options {
                sla_sweep_seconds: 1,
                ..Options::default()
            },
        )
        .await;
        let (staff, _resident, _, item) = accepted(&app).await;
        let plan = plan_with_task(&app, &staff, item, None).await;
        // A second instance runs beside it (its own sweeper).
        let (_other, handle) = app.second_instance().await;
        // Time passes (the server was down): the task fell due long ago.
        let b = app.db.get_database_backend();
        let past = domain::clock::now() - domain::clock::Duration::days(10);
        use sea_orm::sea_query::{Alias, Query};
        let opened = past - domain::clock::Duration::days(1);
        let events = Query::update()
            .table(Alias::new("sla_event"))
            .value(Alias::new("due_at"), past)
            .value(Alias::new("at"), opened)
            .to_owned();
        app.db.execute(&events).await.unwrap();
        let cases = Query::update()
            .table(Alias::new("sla_case"))
            .value(Alias::new("due_at"), past)
            .value(Alias::new("next_at"), past)
            .to_owned();
        app.db.execute(&cases).await.unwrap();
        let count = || async {
            let r = app
                .db
                .query_one_raw(Statement::from_string(
                    b,
                    "SELECT COUNT(*) AS n FROM sla_event WHERE kind = 'escalated'".to_owned(),
                ))
                .await
                .unwrap()
                .unwrap();
            r.try_get::<i64>("", "n").unwrap()
        };
        let start = Instant::now();
        while count().await == 0 && start.elapsed() < Duration::from_secs(15) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Several sweeps later, on two instances: one step, to the last level.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(count().await, 1, "{backend:?}");
        let level = app
            .db
            .query_one_raw(Statement::from_string(
                b,
                "SELECT level FROM sla_event WHERE kind = 'escalated'".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i32>("", "level")
            .unwrap();
        assert_eq!(level, 2, "straight to the street office after ten days");
        let p = app.get_json(&staff, &format!("/api/plan?id={plan}")).await;
        assert_eq!(p["tasks"][0]["overdue"], true);
        for _ in 0..50 {
            if app
                .outbox_log()
                .lines()
                .filter(|l| l.contains("逾期升级"))
                .count()
                >= 2
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let log = app.outbox_log();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("逾期升级")).collect();
        // Both steps that fell due while down — the community's staff and
        // the street office — each told once, in the app and by SMS.
        assert_eq!(lines.len(), 4, "{log}");
        for phone in ["13800000002", "13800000003"] {
            assert_eq!(
                lines
                    .iter()
                    .filter(|l| l.contains(&format!("\"to\":\"{phone}\"")))
                    .count(),
                1,
                "{phone}: {log}"
            );
        }
        handle.abort();
        let _ = handle.await;
        app.stop().await;
    }
}

/// The body of a mail as the stand-in SMTP server received it: headers,
/// an empty line, then base64 (as `mail::SmtpMail` writes it).
fn mail_text(data: &str) -> String {
    let (_, body) = data.split_once("\n\n").expect("headers, then the body");
    let body: String = body.lines().collect();
    String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body.trim()).unwrap(),
    )
    .unwrap()
}

/// E-mail, a channel residents choose: a bad address (a line break that
/// would add a header, or none at all with e-mail on) is refused and
/// nothing changes; a good one is kept with its domain in lower case and
/// used once the link mailed to it is opened; then the meeting's
/// invitation reaches the SMTP server once, readable, with the meeting's
/// link. A server that refuses the recipient is a failure
/// that names the SMTP answer, never the text.
#[tokio::test]
async fn a_resident_who_chose_e_mail_gets_the_invitation_over_smtp_once() {
    for backend in backends() {
        let (port, mut mails) = blackbox::smtp_stand_in(false).await;
        let app = spawn_app_with(
            backend,
            Options {
                smtp: Some((
                    format!("smtp://127.0.0.1:{port}"),
                    "红茶议事会 <noreply@hongcha.example>".into(),
                )),
                ..Options::default()
            },
        )
        .await;
        let (staff, resident, _, item) = accepted(&app).await;
        for form in [
            [
                ("email", "li@example.org\r\nBcc: x@evil.example"),
                ("email_on", "1"),
            ],
            [("email", ""), ("email_on", "1")],
            [("email", "li@[127.0.0.1]"), ("email_on", "1")],
        ] {
            let res = app.call(&resident, "set_notify", &form).await;
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend:?} {form:?}"
            );
        }
        let (channels, _): (serde_json::Value, serde_json::Value) =
            serde_json::from_value(app.get_json(&resident, "/api/inbox").await).unwrap();
        assert_eq!(channels["email"], "", "{backend:?}: nothing kept");
        ok(
            &app,
            &resident,
            "set_notify",
            &[("email", " Li.Wei@Example.ORG "), ("email_on", "1")],
        )
        .await;
        let (channels, _): (serde_json::Value, serde_json::Value) =
            serde_json::from_value(app.get_json(&resident, "/api/inbox").await).unwrap();
        assert_eq!(
            channels["email"], "",
            "{backend:?}: not before it is confirmed"
        );
        assert_eq!(channels["pending"], "Li.Wei@example.org");
        assert_eq!(channels["email_on"], true);
        assert_eq!(channels["sms"], false);
        // The confirmation link goes to the address; opened (by anyone who
        // holds it: no sign-in needed), the address is in use.
        let (envelope, data) = tokio::time::timeout(Duration::from_secs(30), mails.recv())
            .await
            .expect("the confirmation within 30 s")
            .unwrap();
        assert!(envelope[1].contains("<Li.Wei@example.org>"), "{envelope:?}");
        let text = mail_text(&data);
        let token = text
            .rsplit("/email/confirm?t=")
            .next()
            .filter(|t| t.len() == 48)
            .unwrap_or_else(|| panic!("a link in {text}"))
            .to_owned();
        let anyone = app.client();
        for bad in ["0".repeat(48), format!("{token}x")] {
            let res = app
                .call(&anyone, "confirm_email", &[("t", bad.as_str())])
                .await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        ok(&app, &anyone, "confirm_email", &[("t", token.as_str())]).await;
        let (channels, _): (serde_json::Value, serde_json::Value) =
            serde_json::from_value(app.get_json(&resident, "/api/inbox").await).unwrap();
        assert_eq!(channels["email"], "Li.Wei@example.org");
        assert!(channels["pending"].is_null());

        let id = create_meeting(&app, &staff, item).await;
        let sid = id.to_string();
        for step in ["invite_authors", "schedule"] {
            ok(
                &app,
                &staff,
                "meeting_step",
                &[("id", &sid), ("step", step)],
            )
            .await;
        }
        // Two mails: the invitation, and the loop's notice that the topic
        // the resident raised is on a meeting's agenda — each once.
        let mut texts = Vec::new();
        for _ in 0..2 {
            let (envelope, data) = tokio::time::timeout(Duration::from_secs(30), mails.recv())
                .await
                .expect("a mail within 30 s")
                .unwrap();
            assert!(
                envelope[0].contains("<noreply@hongcha.example>")
                    && envelope[1].contains("<Li.Wei@example.org>"),
                "{backend:?}: {envelope:?}"
            );
            assert!(
                data.contains("Subject: =?utf-8?")
                    && data.contains("Content-Type: text/plain; charset=utf-8")
                    && data.contains("Content-Transfer-Encoding: base64"),
                "{data}"
            );
            texts.push(mail_text(&data));
        }
        texts.sort();
        let link = format!("/meetings/{id}");
        assert!(
            texts.iter().all(|t| t.contains(&link)),
            "{backend:?}: {texts:?}"
        );
        assert_eq!(
            texts
                .iter()
                .filter(|t| t.contains("邀请您参加红茶议事会「南门路灯议事会」"))
                .count(),
            1,
            "{backend:?}: {texts:?}"
        );
        assert_eq!(
            texts
                .iter()
                .filter(|t| t.contains("您关心的议题「南门路灯维修」"))
                .count(),
            1,
            "{backend:?}: {texts:?}"
        );
        assert!(
            tokio::time::timeout(Duration::from_secs(3), mails.recv())
                .await
                .is_err(),
            "{backend:?}: a third mail"
        );
        // Nothing went to the development log instead.
        assert!(!app.outbox_log().contains("\"channel\":\"email\""));
        app.stop().await;
    }

    // A server that refuses the recipient: the delivery fails with its
    // answer, and the text does not leak into the reason.
    let (port, _mails) = blackbox::smtp_stand_in(true).await;
    let refused = hongcha_server::mail::SmtpMail::new(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@hongcha.example",
    )
    .unwrap();
    let message = |to: &str| domain::outbox::Message {
        id: 7,
        channel: "email".into(),
        recipient: to.into(),
        subject: "议事会安排有变".into(),
        body: "议事会「南门路灯」改在长乐社区文化家园。".into(),
        sensitive: false,
    };
    use domain::outbox::Deliver;
    let err = refused
        .deliver(&message("wang@example.com"))
        .await
        .unwrap_err();
    assert!(
        err.starts_with("smtp:") && !err.contains("文化家园"),
        "{err}"
    );
    assert!(refused.deliver(&message("not an address")).await.is_err());
}
