//! The open-data API over real HTTP: pages that follow on by cursor without
//! gaps or repeats, filters by community and period, CSV dumps, masked
//! text, and plain refusals of bad input. (Every answer is also checked
//! against the OpenAPI document by schemathesis in the test command.)
use blackbox::{Backend, Options, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn opinions_page_by_cursor_and_filter_by_community_and_period() {
    for backend in blackbox::backends() {
        // No heat job regrouping topics while they are compared with the
        // database.
        let app = spawn_app_with(
            backend,
            Options {
                background_jobs: false,
                ..Options::default()
            },
        )
        .await;
        app.seed_demo().await;
        domain::seed::seed_demo_street(&app.services).await.unwrap();
        domain::seed::seed_demo_loop(&app.services).await.unwrap();
        let c = app.client();
        let get = |path: String| {
            let c = c.clone();
            let url = app.url(&path);
            async move { c.get(url).send().await.unwrap() }
        };

        // Every published opinion once, newest published first, across pages.
        let mut seen: Vec<(String, i64)> = Vec::new();
        let mut cursor = String::new();
        loop {
            let res = get(format!("/api/v1/opinions?limit=100&cursor={cursor}")).await;
            assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
            let page: serde_json::Value = res.json().await.unwrap();
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 100);
            seen.extend(items.iter().map(|o| {
                (
                    o["published_at"].as_str().unwrap().to_owned(),
                    o["id"].as_i64().unwrap(),
                )
            }));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        let published = domain::reports::open::opinions(
            &app.services,
            domain::reports::open::Filter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            seen.len() > 100,
            "{backend:?}: several pages ({})",
            seen.len()
        );
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        assert!(
            seen.windows(2)
                .all(|w| (at(&w[0].0), w[0].1) > (at(&w[1].0), w[1].1)),
            "newest published first, no repeats"
        );
        assert_eq!(Some(seen[0].1), published.items.first().map(|o| o.id));
        // The same opinions in the same order as the database itself sorts
        // the public ones: none left out, none twice.
        let db = &app.db;
        let expected: Vec<i64> = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT id FROM opinion WHERE status = 'published' AND hidden = FALSE \
                 AND published_at IS NOT NULL ORDER BY published_at DESC, id DESC",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<i64>("", "id").unwrap())
            .collect();
        let ids: Vec<i64> = seen.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids, expected, "{backend:?}");
        // An opinions' cursor names when its page ended; an id alone (a
        // meetings' or plans' cursor) is refused, and the other way round.
        let first = get("/api/v1/opinions?limit=1".into()).await;
        let next = first.json::<serde_json::Value>().await.unwrap()["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(next.contains('-'), "{next}");
        for (list, c) in [
            ("opinions", "12"),
            ("meetings", next.as_str()),
            ("plans", next.as_str()),
            ("topics/all", next.as_str()),
        ] {
            let res = get(format!("/api/v1/{list}?cursor={c}")).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{list}?cursor={c}");
        }

        // One community: only its opinions; a period: only its days.
        let community = app.first_community().await;
        let page: serde_json::Value =
            get(format!("/api/v1/opinions?community={community}&limit=100"))
                .await
                .json()
                .await
                .unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(
            items
                .iter()
                .all(|o| o["community_id"].as_i64() == community.parse().ok())
        );
        let today = domain::clock::china_day(domain::clock::now());
        let page: serde_json::Value = get(format!(
            "/api/v1/opinions?from={today}&to={today}&limit=100"
        ))
        .await
        .json()
        .await
        .unwrap();
        for o in page["items"].as_array().unwrap() {
            let at =
                chrono::DateTime::parse_from_rfc3339(o["published_at"].as_str().unwrap()).unwrap();
            assert_eq!(domain::clock::china_day(at.into()), today);
        }
        let page: serde_json::Value = get("/api/v1/opinions?from=2001-01&to=2001-02".into())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 0);
        assert!(page["next_cursor"].is_null());

        // Meetings and plans of the demo's loop.
        let meetings: serde_json::Value =
            get("/api/v1/meetings".into()).await.json().await.unwrap();
        assert!(
            !meetings["items"].as_array().unwrap().is_empty(),
            "{backend:?}"
        );
        assert!(
            meetings["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["status"] != "draft")
        );
        // The demo's closed meeting carries its evaluation: a participant's
        // 5 and how its outcomes were used.
        let rated = meetings["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["status"] == "closed")
            .expect("a closed meeting");
        assert_eq!(rated["ratings"][4].as_i64(), Some(1), "{rated}");
        assert_eq!(rated["rating_average"].as_f64(), Some(5.0));
        assert!(
            rated["outcome_use"]
                .as_str()
                .is_some_and(|t| t.contains("民生实事")),
            "{rated}"
        );

        // Every topic once by cursor, newest first, as the database holds
        // them; a community's are exactly those its opinions are in.
        let every = |q: String| {
            let get = &get;
            async move {
                let mut ids: Vec<i64> = Vec::new();
                let mut cursor = String::new();
                loop {
                    let res = get(format!("/api/v1/topics/all?limit=7{q}&cursor={cursor}")).await;
                    assert_eq!(res.status(), StatusCode::OK);
                    let page: serde_json::Value = res.json().await.unwrap();
                    ids.extend(
                        page["items"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|t| t["id"].as_i64().unwrap()),
                    );
                    match page["next_cursor"].as_str() {
                        Some(next) => cursor = next.to_owned(),
                        None => break ids,
                    }
                }
            }
        };
        let ids_of = |sql: String| {
            let db = &app.db;
            async move {
                db.query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    sql,
                ))
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get::<i64>("", "id").unwrap())
                .collect::<Vec<i64>>()
            }
        };
        let all = every(String::new()).await;
        assert!(all.len() > 7, "{backend:?}: several pages ({})", all.len());
        assert_eq!(
            all,
            ids_of("SELECT id FROM topic ORDER BY id DESC".into()).await
        );
        let theirs = ids_of(format!(
            "SELECT t.id FROM topic t WHERE EXISTS (SELECT 1 FROM topic_community tc \
             WHERE tc.topic_id = t.id AND tc.community_id = {community}) ORDER BY t.id DESC"
        ))
        .await;
        assert!(
            !theirs.is_empty() && theirs.len() < all.len(),
            "{backend:?}"
        );
        assert_eq!(
            every(format!("&community={community}")).await,
            theirs,
            "{backend:?}"
        );
        let old: serde_json::Value = get("/api/v1/topics/all?to=2001-01".into())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(old["items"].as_array().unwrap().len(), 0);

        // The home page's latest activity: newest first, public pages only;
        // its opinions are the community's newest published ones, in order.
        let latest = domain::reports::open::latest(&app.services, community.parse().ok(), 20)
            .await
            .unwrap();
        assert!(!latest.is_empty() && latest.len() <= 20);
        assert!(latest.windows(2).all(|w| w[0].at >= w[1].at), "{latest:?}");
        let kinds = ["opinion", "topic", "meeting", "plan"];
        assert!(
            latest
                .iter()
                .all(|a| kinds.contains(&a.kind.as_str()) && a.link.starts_with('/')),
            "{latest:?}"
        );
        let listed: Vec<i64> = latest
            .iter()
            .filter(|a| a.kind == "opinion")
            .map(|a| a.link.rsplit('/').next().unwrap().parse().unwrap())
            .collect();
        let newest = ids_of(format!(
            "SELECT id FROM opinion WHERE status = 'published' AND hidden = FALSE \
             AND published_at IS NOT NULL AND community_id = {community} \
             ORDER BY published_at DESC, id DESC LIMIT {}",
            listed.len()
        ))
        .await;
        assert_eq!(listed, newest, "{backend:?}");
        let res = get(format!("/api/latest_activity?community={community}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let lines: serde_json::Value = res.json().await.unwrap();
        assert!(!lines.as_array().unwrap().is_empty());

        let plans: serde_json::Value = get("/api/v1/plans".into()).await.json().await.unwrap();
        let plan = &plans["items"][0];
        assert_eq!(plan["ratings"].as_array().unwrap().len(), 5);
        assert!(plan["tasks"].as_i64().unwrap() >= plan["tasks_done"].as_i64().unwrap());

        // Bad input: a 400 naming the parameter, or a 404 for a community
        // that does not exist; never a server error.
        for (q, status, field) in [
            ("limit=0", 400, "limit"),
            ("limit=101", 400, "limit"),
            ("limit=abc", 400, "limit"),
            ("cursor=-5", 400, "cursor"),
            ("cursor=1e3", 400, "cursor"),
            ("cursor=99999999999999999999999", 400, "cursor"),
            ("cursor=99999999999999999999-5", 400, "cursor"),
            ("cursor=1-0", 400, "cursor"),
            ("cursor=-", 400, "cursor"),
            ("cursor=1--5", 400, "cursor"),
            ("from=2025-13", 400, "from"),
            ("from=2025-05&to=2025-01", 400, "to"),
            ("format=xml", 400, "format"),
            ("community=没有这个社区", 404, "community"),
        ] {
            for list in ["opinions", "meetings", "plans", "topics/all"] {
                let res = get(format!("/api/v1/{list}?{q}")).await;
                assert_eq!(res.status().as_u16(), status, "{list}?{q}");
                let body: serde_json::Value = res.json().await.unwrap();
                assert_eq!(body["error"], field, "{list}?{q}");
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn csv_dumps_mask_phone_numbers_and_neutralise_formulas() {
    let app = spawn_app(Backend::Sqlite).await;
    app.seed_demo().await;
    let community = app.first_community().await;
    let resident = app.logged_in("13800000001").await;
    let staff = app.logged_in("13800000002").await;
    let id = app
        .submit(
            &resident,
            &community,
            "=HYPERLINK(\"http://evil\") 楼道灯坏了，电话13912345678",
            "open-csv-1",
        )
        .await;
    app.publish(&staff, id).await;
    let res = app
        .client()
        .get(app.url("/api/v1/opinions?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("id,community_id,channel,category,title,body"),
        "{text}"
    );
    assert!(!text.contains("13912345678"), "masked: {text}");
    let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let titles: Vec<String> = rd.records().map(|r| r.unwrap()[4].to_owned()).collect();
    assert!(
        titles.iter().any(|t| t.starts_with("'=HYPERLINK")),
        "{titles:?}"
    );
    assert!(titles.iter().all(|t| !t.starts_with('=')));

    // Topics as CSV: the same header as the JSON's fields, one row each.
    let res = app
        .client()
        .get(app.url("/api/v1/topics/all?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("id,title,status,reject_reason,merged_into,heat"),
        "{text}"
    );

    // The document and the page for people.
    let doc: serde_json::Value = app.get_json(&app.client(), "/api/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/api/v1/opinions",
        "/api/v1/meetings",
        "/api/v1/plans",
        "/api/v1/topics",
        "/api/v1/topics/all",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    let page = app
        .client()
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("GET /api/v1/opinions") && page.contains("cursor"));
    app.stop().await;
}
