//! Opinions in: submit → moderate → publish, reject, merge, support, abuse
//! auto-hide, idempotency and similar-opinion hints, over HTTP.
use blackbox::{DEMO_PASSWORD, Options, TestApp, backends, spawn_app, spawn_app_with};
use reqwest::{Client, StatusCode};
use serde_json::Value;

async fn community_ids(app: &TestApp) -> Vec<String> {
    domain::org::communities(&app.services)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect()
}

async fn submit(
    app: &TestApp,
    c: &Client,
    community: &str,
    title: &str,
    body: &str,
    key: &str,
) -> reqwest::Response {
    app.call(
        c,
        "submit_opinion",
        &[
            ("community_id", community),
            ("location", "长乐苑 3 幢"),
            ("category", "public_safety"),
            ("title", title),
            ("body", body),
            ("anonymous", "on"),
            ("idempotency_key", key),
        ],
    )
    .await
}

async fn moderate(app: &TestApp, c: &Client, id: i64, form: &[(&str, &str)]) -> reqwest::Response {
    let id = id.to_string();
    let mut all = vec![("id", id.as_str())];
    all.extend_from_slice(form);
    app.call(c, "moderate_opinion", &all).await
}

#[tokio::test]
async fn submit_moderate_publish_with_masking() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let communities = community_ids(&app).await;
        let resident = app.logged_in("13800000001").await;
        let body = "楼道里有人飞线充电给电瓶车充电，太危险了，联系我13912345678";
        let res = submit(
            &app,
            &resident,
            &communities[0],
            "楼道飞线充电很危险",
            body,
            "k-1",
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let id: i64 = res.json().await.unwrap();
        // A retried request with the same key creates nothing new.
        let again: i64 = submit(
            &app,
            &resident,
            &communities[0],
            "楼道飞线充电很危险",
            body,
            "k-1",
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(again, id);

        // Pending: not public, but its author sees it, with its status.
        let anon = app.client();
        let list = app.get_json(&anon, "/api/opinions").await;
        assert_eq!(list.as_array().unwrap().len(), 0, "{backend:?}");
        let mine = app.get_json(&resident, "/api/my_opinions").await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["status"], "pending");

        // Staff of another community may not moderate it; the right staff may.
        let admin = app.logged_in("13800000008").await;
        let other = {
            let res = app.register(&app.client(), "13700000009", "别的社工").await;
            assert!(res.status().is_success() || res.status().is_redirection());
            let rows = app
                .get_json(&admin, "/api/admin_accounts?query=13700000009")
                .await;
            let acct = rows[0]["id"].as_i64().unwrap().to_string();
            let scope = format!("community:{}", communities[1]);
            let r = app
                .call(
                    &admin,
                    "grant_role",
                    &[("account_id", &acct), ("role", "staff"), ("scope", &scope)],
                )
                .await;
            assert!(r.status().is_success());
            let c = app.client();
            app.call(
                &c,
                "login",
                &[
                    ("phone", "13700000009"),
                    ("password", "correct horse"),
                    ("next", ""),
                ],
            )
            .await;
            c
        };
        let queue = app.get_json(&other, "/api/moderation_queue").await;
        assert_eq!(
            queue.as_array().unwrap().len(),
            0,
            "other community's queue is empty"
        );
        let res = moderate(&app, &other, id, &[("decision", "approve")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");

        let staff = app.logged_in("13800000002").await;
        let queue = app.get_json(&staff, "/api/moderation_queue").await;
        assert_eq!(queue[0]["id"], id);
        assert!(
            queue[0]["body"].as_str().unwrap().contains("13912345678"),
            "staff see the original"
        );
        let res = moderate(&app, &staff, id, &[("decision", "approve")]).await;
        assert!(res.status().is_success(), "{backend:?}: {}", res.status());
        let res = moderate(&app, &staff, id, &[("decision", "approve")]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "approving twice");

        // Public: masked number, anonymous author.
        let list = app.get_json(&anon, "/api/opinions").await;
        let o = &list[0];
        assert_eq!(o["id"], id);
        let text = o["body"].as_str().unwrap();
        assert!(
            text.contains("139****5678") && !text.contains("13912345678"),
            "{text}"
        );
        assert_eq!(o["author"], "anonymous");
        let detail = app.get_json(&anon, &format!("/api/opinion?id={id}")).await;
        assert!(!detail.to_string().contains("13912345678"));
        // The author still sees it as theirs, with the new status.
        assert_eq!(
            app.get_json(&resident, "/api/my_opinions").await[0]["status"],
            "published"
        );
        // The moderation is audited.
        let recent = domain::audit::verify(&app.services).await.unwrap();
        assert!(recent.ok());
        app.stop().await;
    }
}

#[tokio::test]
async fn reject_with_reason_and_merge_duplicates() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let communities = community_ids(&app).await;
        let resident = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let a: i64 = submit(
            &app,
            &resident,
            &communities[0],
            "建议加装电梯",
            "我们楼住了很多老人，希望加装电梯",
            "a",
        )
        .await
        .json()
        .await
        .unwrap();
        let b: i64 = submit(
            &app,
            &resident,
            &communities[0],
            "老楼装电梯",
            "老楼没有电梯，老人上下楼很困难",
            "b",
        )
        .await
        .json()
        .await
        .unwrap();
        let c: i64 = submit(
            &app,
            &resident,
            &communities[0],
            "广告内容测试",
            "这是一条和社区无关的广告内容",
            "c",
        )
        .await
        .json()
        .await
        .unwrap();

        assert!(
            moderate(&app, &staff, a, &[("decision", "approve")])
                .await
                .status()
                .is_success()
        );
        // A reason is required to reject.
        let res = moderate(&app, &staff, c, &[("decision", "reject"), ("reason", "")]).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        let res = moderate(
            &app,
            &staff,
            c,
            &[("decision", "reject"), ("reason", "与社区事务无关")],
        )
        .await;
        assert!(res.status().is_success());
        // Merging into itself or an unpublished one is refused.
        let res = moderate(
            &app,
            &staff,
            b,
            &[("decision", "merge"), ("merge_into", &b.to_string())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = moderate(
            &app,
            &staff,
            b,
            &[("decision", "merge"), ("merge_into", &a.to_string())],
        )
        .await;
        assert!(res.status().is_success(), "{backend:?}: {}", res.status());

        let mine = app.get_json(&resident, "/api/my_opinions").await;
        let by_id = |id: i64| {
            mine.as_array()
                .unwrap()
                .iter()
                .find(|o| o["id"] == id)
                .unwrap()
                .clone()
        };
        assert_eq!(by_id(c)["status"], "rejected");
        assert_eq!(by_id(c)["reject_reason"], "与社区事务无关");
        assert_eq!(by_id(b)["status"], "merged");
        assert_eq!(by_id(b)["merged_into"], a);
        assert_eq!(by_id(a)["status"], "published");
        // Only the published one is public.
        let list = app.get_json(&app.client(), "/api/opinions").await;
        let ids: Vec<i64> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![a]);
        app.stop().await;
    }
}

#[tokio::test]
async fn support_once_report_hides_and_similar_hints() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let communities = community_ids(&app).await;
        let resident = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let id: i64 = submit(
            &app,
            &resident,
            &communities[0],
            "电瓶车楼道飞线充电",
            "很多人在楼道里给电瓶车飞线充电，存在火灾隐患",
            "s",
        )
        .await
        .json()
        .await
        .unwrap();
        moderate(&app, &staff, id, &[("decision", "approve")]).await;

        // Someone about to post the same matter is shown it (Chinese word similarity).
        let hint = app
            .get_json(
                &app.client(),
                &format!(
                    "/api/similar_opinions?community_id={}&text={}",
                    communities[0], "电动自行车飞线充电太危险"
                ),
            )
            .await;
        assert_eq!(hint[0]["id"], id, "{backend:?}: {hint}");
        let none = app
            .get_json(
                &app.client(),
                &format!(
                    "/api/similar_opinions?community_id={}&text={}",
                    communities[0], "小区绿化带需要修剪"
                ),
            )
            .await;
        assert_eq!(none, Value::Array(vec![]));

        // +1 once per resident.
        for _ in 0..2 {
            let n: i32 = app
                .call(&resident, "support_opinion", &[("id", &id.to_string())])
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(n, 1, "{backend:?}");
        }
        let anon = app.client();
        let res = app
            .call(&anon, "support_opinion", &[("id", &id.to_string())])
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

        // Three distinct residents' reports hide it until a moderator looks.
        let mut reporters = vec![];
        for (i, phone) in ["13600000001", "13600000002", "13600000003"]
            .iter()
            .enumerate()
        {
            let c = app.client();
            app.register(&c, phone, &format!("居民{i}")).await;
            app.call(
                &c,
                "login",
                &[
                    ("phone", phone),
                    ("password", "correct horse"),
                    ("next", ""),
                ],
            )
            .await;
            reporters.push(c);
        }
        for (i, c) in reporters.iter().enumerate() {
            let hidden: bool = app
                .call(
                    c,
                    "report_opinion",
                    &[("id", &id.to_string()), ("reason", "广告")],
                )
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(hidden, i == 2, "{backend:?} after {} reports", i + 1);
        }
        // The same resident reporting twice does not count twice (checked above by i == 2 only).
        let list = app.get_json(&anon, "/api/opinions").await;
        assert_eq!(list.as_array().unwrap().len(), 0, "hidden from the public");
        let queue = app.get_json(&staff, "/api/moderation_queue").await;
        assert_eq!(queue[0]["id"], id);
        assert_eq!(queue[0]["hidden"], true);
        // The moderator restores it.
        assert!(
            moderate(&app, &staff, id, &[("decision", "approve")])
                .await
                .status()
                .is_success()
        );
        assert_eq!(
            app.get_json(&anon, "/api/opinions")
                .await
                .as_array()
                .unwrap()
                .len(),
            1
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn submission_input_is_validated() {
    let app = spawn_app(backends()[0]).await;
    app.seed_demo().await;
    let communities = community_ids(&app).await;
    let resident = app.logged_in("13800000001").await;
    let long = "很".repeat(2001);
    let cases: [(&str, &str, &str, &str); 4] = [
        ("短", "这是足够长的正文内容啊", &communities[0], "title"),
        ("合适的标题", "太短", &communities[0], "body"),
        ("合适的标题", &long, &communities[0], "body"),
        (
            "合适的标题",
            "这是足够长的正文内容啊",
            "999999",
            "community",
        ),
    ];
    for (title, body, community, field) in cases {
        let res = submit(&app, &resident, community, title, body, "").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains(&format!("\"field\":\"{field}\""))
        );
    }
    // Not logged in.
    let res = submit(
        &app,
        &app.client(),
        &communities[0],
        "合适的标题",
        "这是足够长的正文内容啊",
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

/// Submissions that arrive together are committed together (one
/// transaction, one fsync): a key retried inside the same batch stores one
/// row, a bad community or category fails only its own submission, and
/// submissions without a key are stored too. Also: a session resolves (in
/// one joined query) to the same principal that logging in returned.
#[tokio::test]
async fn submissions_committed_together_are_answered_one_by_one() {
    use domain::DomainError;
    use domain::opinions::{SubmitInput, submit};
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let s = app.services.clone();
        let (token, resident) =
            domain::accounts::login_password(&s, "127.0.0.1", "13800000001", DEMO_PASSWORD)
                .await
                .unwrap();
        let again = domain::accounts::principal_for_token(&s, &token)
            .await
            .unwrap();
        assert_eq!(again.as_ref(), Some(&resident), "{backend:?}");
        let (admin_token, admin) =
            domain::accounts::login_password(&s, "127.0.0.1", "13800000008", DEMO_PASSWORD)
                .await
                .unwrap();
        assert!(!admin.grants.is_empty());
        let admin_again = domain::accounts::principal_for_token(&s, &admin_token)
            .await
            .unwrap();
        assert_eq!(admin_again.as_ref(), Some(&admin), "{backend:?}");
        domain::accounts::logout(&s, &token).await.unwrap();
        assert_eq!(
            domain::accounts::principal_for_token(&s, &token)
                .await
                .unwrap(),
            None
        );

        let community: i64 = community_ids(&app).await[0].parse().unwrap();
        let input = |key: &str, community_id: i64, category: &str| SubmitInput {
            community_id,
            location: String::new(),
            category: category.to_owned(),
            title: format!("路灯不亮 {key}"),
            body: format!("小区门口的路灯坏了很久，晚上很黑 {key}"),
            anonymous: false,
            idempotency_key: key.to_owned(),
        };
        let mut inputs = Vec::new();
        for i in 0..20 {
            inputs.push(input(&format!("g-{i}"), community, "public_service"));
        }
        for i in 0..5 {
            inputs.push(input(&format!("g-{i}"), community, "public_service"));
        }
        inputs.push(input("g-bad-community", 999_999, "public_service"));
        inputs.push(input("g-bad-category", community, "no_such_category"));
        inputs.push(input("", community, "public_safety"));
        inputs.push(input("", community, "other"));
        // Spawned together on this (current-thread) runtime, they all queue
        // before the writer runs: one batch.
        let mut set = tokio::task::JoinSet::new();
        for (i, input) in inputs.into_iter().enumerate() {
            let (s, who) = (s.clone(), resident.clone());
            set.spawn(async move { (i, submit(&s, &who, input).await) });
        }
        let mut answers: Vec<_> = set.join_all().await;
        answers.sort_by_key(|(i, _)| *i);
        let answers: Vec<_> = answers.into_iter().map(|(_, a)| a).collect();

        // On PostgreSQL each submission first counts against the shared post
        // budget (a database round trip), so a key and its retry may reach
        // the writer in either order: exactly one of the two creates the
        // row, and both get its id.
        let mut ids = std::collections::HashSet::new();
        for i in 0..20 {
            let first = answers[i].as_ref().expect("stored");
            if i < 5 {
                let retry = answers[20 + i].as_ref().expect("answered");
                assert_ne!(first.created, retry.created, "{backend:?}: one row per key");
                assert_eq!(retry.id, first.id, "{backend:?}");
            } else {
                assert!(first.created, "{backend:?}");
            }
            assert!(ids.insert(first.id), "distinct ids");
        }
        assert!(matches!(
            &answers[25],
            Err(DomainError::Validation { field, .. }) if *field == "community"
        ));
        assert!(matches!(
            &answers[26],
            Err(DomainError::Validation { field, .. }) if *field == "category"
        ));
        for a in &answers[27..] {
            let a = a.as_ref().expect("stored without a key");
            assert!(a.created && ids.insert(a.id));
        }
        use sea_orm::ConnectionTrait;
        let stored: i64 = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM opinion".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        assert_eq!(stored, 22, "{backend:?}: 20 keyed + 2 without a key");

        // A later retry (another batch) gets the stored row's id.
        let later = submit(&s, &resident, input("g-3", community, "public_service"))
            .await
            .unwrap();
        assert_eq!(later.id, answers[3].as_ref().unwrap().id);
        assert!(!later.created);
        app.stop().await;
    }
}

/// A resident may post only so many opinions and comments per hour
/// (`post_per_account`); other residents and staff are not held back by it.
#[tokio::test]
async fn a_residents_posts_are_limited_per_hour() {
    // One backend is enough here; the shared (PostgreSQL) windows are
    // covered by `two_instances_share_one_budget`.
    let mut opts = Options::default();
    opts.limits.post_per_account = 3;
    let app = spawn_app_with(backends()[0], opts).await;
    app.seed_demo().await;
    let communities = community_ids(&app).await;
    let resident = app.logged_in("13800000001").await;
    let staff = app.logged_in("13800000002").await;
    let title = "小区路灯坏了";
    let body = "小区门口的路灯坏了很久，晚上很黑";
    // A retried key and a refused post give their count back.
    let res = submit(&app, &resident, &communities[0], title, body, "lim-0").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = submit(&app, &resident, "999999", title, body, "lim-bad").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut first = None;
    for i in 0..3 {
        let res = submit(
            &app,
            &resident,
            &communities[0],
            title,
            body,
            &format!("lim-{i}"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "post {i}");
        let id: i64 = res.json().await.unwrap();
        first.get_or_insert(id);
    }
    let res = submit(&app, &resident, &communities[0], title, body, "lim-3").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());

    // Comments draw on the same budget.
    let id = first.unwrap().to_string();
    let res = moderate(&app, &staff, first.unwrap(), &[("decision", "approve")]).await;
    assert!(res.status().is_success());
    let res = app
        .call(
            &resident,
            "add_comment",
            &[
                ("opinion_id", id.as_str()),
                ("body", "我也看到了，很危险"),
                ("idempotency_key", "lim-c"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // Staff entering what residents told them are not limited.
    for i in 0..4 {
        let res = submit(
            &app,
            &staff,
            &communities[0],
            title,
            body,
            &format!("staff-{i}"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "staff post {i}");
    }
    app.stop().await;
}
