//! Comments, bulk moderation and the moderation log, photos, the web
//! import, configurable categories and crawler sources from the admin page —
//! over HTTP against a real server, on SQLite and PostgreSQL.
use std::time::Duration;

use blackbox::{TestApp, backends, jpeg_with_exif, spawn_app};
use reqwest::{Client, StatusCode, multipart};
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

#[tokio::test]
async fn comments_are_moderated_masked_and_hidden_by_reports() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let community = app.first_community().await;
        let resident = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let id = app.submit(&resident, &community, "路灯坏了", "c1").await;

        // No comments on an opinion that is not public yet.
        let neighbour = app.new_resident("13600000011").await;
        let body = "我也看到了，有事打我电话13912345678";
        let form = |key: &'static str| {
            vec![
                ("opinion_id", id.to_string()),
                ("body", body.to_owned()),
                ("idempotency_key", key.to_owned()),
            ]
        };
        let call = |c: &Client, key: &'static str| {
            let f = form(key);
            let c = c.clone();
            let app = &app;
            async move {
                let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.call(&c, "add_comment", &pairs).await
            }
        };
        assert_eq!(call(&neighbour, "k1").await.status(), StatusCode::NOT_FOUND);
        approve(&app, &staff, id).await;

        let res = call(&neighbour, "k1").await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let cid: i64 = res.json().await.unwrap();
        // A retried request creates nothing new.
        let again: i64 = call(&neighbour, "k1").await.json().await.unwrap();
        assert_eq!(again, cid);

        // Pending: invisible to the public, visible with its status to its author.
        let anon = app.client();
        let public = app
            .get_json(&anon, &format!("/api/comments?opinion_id={id}"))
            .await;
        assert_eq!(public.as_array().unwrap().len(), 0, "{backend:?}");
        let own = app
            .get_json(&neighbour, &format!("/api/comments?opinion_id={id}"))
            .await;
        assert_eq!(own[0]["status"], "pending");
        assert_eq!(own[0]["own"], true);

        // In the staff queue; a resident may not see the queue or decide.
        let queue = app.get_json(&staff, "/api/comment_queue").await;
        assert_eq!(queue[0]["comment"]["id"], cid);
        assert_eq!(queue[0]["opinion_title"], "路灯坏了");
        let res = app
            .client()
            .get(app.url("/api/comment_queue"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = app
            .call(
                &resident,
                "moderate_comments",
                &[("ids", &cid.to_string()), ("decision", "approve")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = app
            .call(
                &staff,
                "moderate_comments",
                &[("ids", &cid.to_string()), ("decision", "approve")],
            )
            .await;
        assert!(res.status().is_success());
        let n: usize = res.json().await.unwrap();
        assert_eq!(n, 1);

        // Public, with the phone number masked; staff see the original.
        let public = app
            .get_json(&anon, &format!("/api/comments?opinion_id={id}"))
            .await;
        let shown = public[0]["body"].as_str().unwrap();
        assert!(!shown.contains("13912345678"), "{shown}");
        assert!(shown.contains("139****5678"), "{shown}");
        let staff_view = app
            .get_json(&staff, &format!("/api/comments?opinion_id={id}"))
            .await;
        assert!(
            staff_view[0]["body"]
                .as_str()
                .unwrap()
                .contains("13912345678")
        );

        // Three distinct residents' reports hide it again, pending a moderator.
        for (i, phone) in ["13600000021", "13600000022", "13600000023"]
            .iter()
            .enumerate()
        {
            let c = app.new_resident(phone).await;
            let hidden: bool = app
                .call(
                    &c,
                    "report_comment",
                    &[("id", &cid.to_string()), ("reason", "")],
                )
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(hidden, i == 2, "{backend:?} after {} reports", i + 1);
        }
        let public = app
            .get_json(&anon, &format!("/api/comments?opinion_id={id}"))
            .await;
        assert_eq!(public.as_array().unwrap().len(), 0);
        let queue = app.get_json(&staff, "/api/comment_queue").await;
        assert_eq!(queue[0]["comment"]["hidden"], true);

        // Rejecting needs a reason, which its author then sees.
        let res = app
            .call(
                &staff,
                "moderate_comments",
                &[("ids", &cid.to_string()), ("decision", "reject")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = app
            .call(
                &staff,
                "moderate_comments",
                &[
                    ("ids", &cid.to_string()),
                    ("decision", "reject"),
                    ("reason", "含有个人联系方式"),
                ],
            )
            .await;
        assert!(res.status().is_success());
        let own = app
            .get_json(&neighbour, &format!("/api/comments?opinion_id={id}"))
            .await;
        assert_eq!(own[0]["status"], "rejected");
        assert_eq!(own[0]["reject_reason"], "含有个人联系方式");

        // Input limits.
        let long = "长".repeat(501);
        let res = app
            .call(
                &neighbour,
                "add_comment",
                &[("opinion_id", &id.to_string()), ("body", &long)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        app.stop().await;
    }
}

#[tokio::test]
async fn bulk_moderation_is_all_or_none_and_logged() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let communities = domain::org::communities(&app.services).await.unwrap();
        let (mine, other) = (communities[0].id.to_string(), communities[1].id.to_string());
        let resident = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let a = app.submit(&resident, &mine, "路灯坏了一", "b1").await;
        let b = app.submit(&resident, &mine, "路灯坏了二", "b2").await;
        let c = app.submit(&resident, &mine, "路灯坏了三", "b3").await;
        let elsewhere = app.submit(&resident, &other, "别的社区的事", "b4").await;

        // One id this staff member may not moderate: nothing changes.
        let ids = format!("{a},{b},{elsewhere}");
        let res = app
            .call(
                &staff,
                "moderate_opinions",
                &[("ids", &ids), ("decision", "approve")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");
        let anon = app.client();
        let public = app.get_json(&anon, "/api/opinions").await;
        assert_eq!(public.as_array().unwrap().len(), 0, "nothing half-done");

        let ids = format!("{a},{b}");
        let res = app
            .call(
                &staff,
                "moderate_opinions",
                &[("ids", &ids), ("decision", "approve")],
            )
            .await;
        assert!(res.status().is_success());
        let n: usize = res.json().await.unwrap();
        assert_eq!(n, 2);
        let public = app.get_json(&anon, "/api/opinions").await;
        assert_eq!(public.as_array().unwrap().len(), 2);
        // The status filter lists public statuses only: pending ones stay hidden.
        let published = app.get_json(&anon, "/api/opinions?status=published").await;
        assert_eq!(published.as_array().unwrap().len(), 2);
        for st in ["pending", "rejected", "merged"] {
            let res = anon
                .get(app.url(&format!("/api/opinions?status={st}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{st}");
        }

        // Merge the third into the first, in bulk form.
        let res = app
            .call(
                &staff,
                "moderate_opinions",
                &[
                    ("ids", &c.to_string()),
                    ("decision", "merge"),
                    ("merge_into", &a.to_string()),
                ],
            )
            .await;
        assert!(res.status().is_success());
        // Empty selection and garbage are refused plainly.
        for ids in ["", "1,x"] {
            let res = app
                .call(
                    &staff,
                    "moderate_opinions",
                    &[("ids", ids), ("decision", "approve")],
                )
                .await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{ids:?}");
        }

        // The log: newest first, who did what; residents may not read it.
        let log = app.get_json(&staff, "/api/moderation_log").await;
        let rows = log.as_array().unwrap();
        assert_eq!(rows.len(), 3, "{backend:?}: {log}");
        assert_eq!(rows[0]["action"], "merge");
        assert_eq!(rows[0]["target_id"], c);
        assert_eq!(rows[0]["detail"], format!("#{a}"));
        assert_eq!(rows[0]["actor"], "李社工");
        assert!(rows[1..].iter().all(|r| r["action"] == "approve"));
        let res = resident
            .get(app.url("/api/moderation_log"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // Every decision is in the audit chain too, and the chain holds.
        let audit = domain::audit::verify(&app.services).await.unwrap();
        assert!(audit.ok(), "{audit:?}");
        app.stop().await;
    }
}

async fn upload(
    app: &TestApp,
    c: &Client,
    id: i64,
    files: Vec<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut form = multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            "photo",
            multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    c.post(app.url(&format!("/opinions/{id}/photos")))
        .header("Origin", &app.addr)
        .header("Accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn photos_are_checked_stripped_and_shown_only_with_their_opinion() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let community = app.first_community().await;
        let resident = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let id = app.submit(&resident, &community, "路灯坏了", "p1").await;

        // Checked by content, not by name.
        let res = upload(
            &app,
            &resident,
            id,
            vec![("a.jpg", b"<svg onload=alert(1)>".to_vec())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"], "err.photo.invalid_type");
        let big = {
            let mut b = jpeg_with_exif();
            b.resize(5 * 1024 * 1024 + 1, 0);
            b
        };
        let res = upload(&app, &resident, id, vec![("big.jpg", big)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // Only its author may add photos.
        let other = app.new_resident("13600000031").await;
        let res = upload(&app, &other, id, vec![("a.jpg", jpeg_with_exif())]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // Cross-origin uploads are refused like every mutation.
        let res = resident
            .post(app.url(&format!("/opinions/{id}/photos")))
            .header("Origin", "http://evil.example")
            .multipart(
                multipart::Form::new().part("photo", multipart::Part::bytes(jpeg_with_exif())),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        let res = upload(
            &app,
            &resident,
            id,
            vec![("a.jpg", jpeg_with_exif()), ("b.jpg", jpeg_with_exif())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let stored: Value = res.json().await.unwrap();
        let photo = stored["photos"][0].as_i64().unwrap();
        // Three more would make five: refused, and none of them stored.
        let three = vec![
            ("c.jpg", jpeg_with_exif()),
            ("d.jpg", jpeg_with_exif()),
            ("e.jpg", jpeg_with_exif()),
        ];
        let res = upload(&app, &resident, id, three).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let list = app
            .get_json(&resident, &format!("/api/opinion_photos?opinion_id={id}"))
            .await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        let files = std::fs::read_dir(app.data_dir.path().join("photos"))
            .unwrap()
            .count();
        assert_eq!(
            files, 6,
            "three sizes of each stored photo, none of the refused"
        );

        // Served without its EXIF to the author; hidden from others while pending.
        let res = resident
            .get(app.url(&format!("/media/photos/{photo}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        let bytes = res.bytes().await.unwrap();
        assert!(!bytes.windows(3).any(|w| w == b"GPS"));
        assert!(
            !bytes.windows(6).any(|w| w == b"HIDDEN"),
            "nothing after the image"
        );
        assert!(bytes.ends_with(&[0xFF, 0xD9]));
        // The thumbnail is a smaller picture of the same photo.
        let thumb = resident
            .get(app.url(&format!("/media/photos/{photo}?size=thumb")))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(
            thumb.len() < bytes.len(),
            "{} < {}",
            thumb.len(),
            bytes.len()
        );
        let anon = app.client();
        let res = anon
            .get(app.url(&format!("/media/photos/{photo}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // Published: everyone sees the photos; no more can be added.
        approve(&app, &staff, id).await;
        let res = anon
            .get(app.url(&format!("/media/photos/{photo}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = upload(&app, &resident, id, vec![("a.jpg", jpeg_with_exif())]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);

        // A plain HTML form gets a redirect back to the page with the outcome.
        let id2 = app.submit(&resident, &community, "井盖松动", "p2").await;
        let res = resident
            .post(app.url(&format!("/opinions/{id2}/photos")))
            .header("Origin", &app.addr)
            .multipart(multipart::Form::new().part(
                "photo",
                multipart::Part::bytes(b"GIF89a".to_vec()).file_name("x.gif"),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()["location"],
            &format!("/opinions/{id2}?upload_error=err.photo.invalid_type")
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn web_import_previews_row_errors_then_imports_all_with_progress() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let communities = domain::org::communities(&app.services).await.unwrap();
        let mine = communities[0].name.clone();
        let staff = app.logged_in("13800000002").await;

        // Residents may not upload.
        let resident = app.logged_in("13800000001").await;
        let res = app
            .upload_import(&resident, "a.csv", "标题,内容\n路灯,路灯坏了\n".as_bytes())
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = app.upload_import(&staff, "a.pdf", "%PDF".as_bytes()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Row 3 has no title; row 4 names a community this staff member does not serve.
        let broken = format!(
            "事项,诉求内容,社区,分类\n路灯坏了,小区门口路灯坏了,{mine},公共服务\n,没有标题的一行,{mine},\n井盖松动,井盖松动很危险,{},公共安全\n",
            communities[1].name
        );
        let res = app
            .upload_import(&staff, "hotline.csv", broken.as_bytes())
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let file = res.json::<Value>().await.unwrap()["file"]
            .as_str()
            .unwrap()
            .to_owned();
        let preview = app
            .get_json(&staff, &format!("/api/import_preview?file={file}"))
            .await;
        assert_eq!(preview["rows_total"], 3);
        assert_eq!(preview["rows_ok"], 1);
        assert_eq!(preview["errors"][0]["row"], 3);
        assert_eq!(preview["errors"][0]["field"], "title");
        assert_eq!(preview["errors"][1]["row"], 4);
        assert_eq!(preview["errors"][1]["rule"], "forbidden");
        assert_eq!(preview["mapping"][0], serde_json::json!(["title", "事项"]));
        let res = app.call(&staff, "import_start", &[("file", &file)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // Another staff member cannot use this upload.
        let admin = app.logged_in("13800000008").await;
        let res = admin
            .get(app.url(&format!("/api/import_preview?file={file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // A mapping override picks another column.
        let fixed = format!(
            "编号,事项,诉求内容,社区\n1,路灯坏了,小区门口路灯坏了,{mine}\n2,井盖松动,井盖松动很危险电话13912345678,{mine}\n"
        );
        let res = app
            .upload_import(&staff, "fixed.csv", fixed.as_bytes())
            .await;
        let file = res.json::<Value>().await.unwrap()["file"]
            .as_str()
            .unwrap()
            .to_owned();
        let preview = app
            .get_json(
                &staff,
                &format!("/api/import_preview?file={file}&title=%E4%BA%8B%E9%A1%B9"),
            )
            .await;
        assert_eq!(preview["errors_total"], 0, "{preview}");
        assert_eq!(preview["sample"][1]["title"], "井盖松动");
        // "Not used" ("-") un-maps a guessed column.
        let guessed = app
            .get_json(&staff, &format!("/api/import_preview?file={file}"))
            .await;
        assert!(guessed["mapping"].to_string().contains("社区"), "{guessed}");
        let unmapped = app
            .get_json(
                &staff,
                &format!(
                    "/api/import_preview?file={file}&title=%E4%BA%8B%E9%A1%B9&community_col=-"
                ),
            )
            .await;
        assert!(
            !unmapped["mapping"].to_string().contains("社区"),
            "{unmapped}"
        );
        // Not started yet: nothing to report.
        let none = app
            .get_json(&staff, &format!("/api/import_progress?file={file}"))
            .await;
        assert!(none.is_null(), "{none}");
        let res = app
            .call(
                &staff,
                "import_start",
                &[("file", &file), ("title", "事项")],
            )
            .await;
        assert!(res.status().is_success(), "{backend:?}: {}", res.status());
        let mut last = Value::Null;
        for _ in 0..100 {
            last = app
                .get_json(&staff, &format!("/api/import_progress?file={file}"))
                .await;
            if last["finished"] == true {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(last["finished"], true, "{last}");
        assert_eq!(last["created"], 2);
        assert_eq!(last["done"], 2);
        // Another instance on the same database reports the same progress.
        let (second, handle) = app.second_instance().await;
        let there: Value = staff
            .get(format!("{second}/api/import_progress?file={file}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(there, last, "{backend:?}");
        handle.abort();
        let _ = handle.await;
        let queue = app.get_json(&staff, "/api/moderation_queue").await;
        let titles: Vec<&str> = queue
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["title"].as_str().unwrap())
            .collect();
        assert!(titles.contains(&"井盖松动"), "{titles:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn categories_are_configured_by_the_admin() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let community = app.first_community().await;
        let admin = app.logged_in("13800000008").await;
        let resident = app.logged_in("13800000001").await;
        let save = |c: &Client, active: bool| {
            let c = c.clone();
            let app = &app;
            async move {
                let mut form = vec![
                    ("code", "parking"),
                    ("name_zh", "停车"),
                    ("name_en", "Parking"),
                    ("sort", "15"),
                ];
                if active {
                    form.push(("active", "on"));
                }
                app.call(&c, "save_category", &form).await
            }
        };
        assert_eq!(save(&resident, true).await.status(), StatusCode::FORBIDDEN);
        assert!(
            save(&admin, true).await.status().is_success(),
            "{backend:?}"
        );
        let cats = app.get_json(&app.client(), "/api/categories").await;
        let codes: Vec<&str> = cats
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes[1], "parking", "sorted by order: {codes:?}");

        let form = |cat: &'static str| {
            [
                ("community_id", community.clone()),
                ("location", String::new()),
                ("category", cat.to_owned()),
                ("title", "停车位不够".to_owned()),
                ("body", "晚上回来小区里找不到停车位".to_owned()),
                ("idempotency_key", String::new()),
            ]
        };
        let pairs = |f: &[(&'static str, String); 6]| {
            f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
        };
        let f = pairs(&form("parking"));
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app.call(&resident, "submit_opinion", &f).await;
        assert_eq!(res.status(), StatusCode::OK);
        let id: i64 = res.json().await.unwrap();
        let staff = app.logged_in("13800000002").await;
        approve(&app, &staff, id).await;
        let list = app
            .get_json(&app.client(), "/api/opinions?category=parking")
            .await;
        assert_eq!(list[0]["id"], id);
        assert_eq!(list[0]["category_zh"], "停车");

        // Retired: no longer offered or accepted; old opinions keep it.
        assert!(save(&admin, false).await.status().is_success());
        let res = app.call(&resident, "submit_opinion", &f).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let all = app.get_json(&admin, "/api/categories?all=true").await;
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == "parking" && c["active"] == false)
        );
        let detail = app
            .get_json(&app.client(), &format!("/api/opinion?id={id}"))
            .await;
        assert_eq!(detail["category_en"], "Parking");
        // 其他 cannot be retired; bad codes are refused.
        let res = app
            .call(
                &admin,
                "save_category",
                &[
                    ("code", "other"),
                    ("name_zh", "其他"),
                    ("name_en", "Other"),
                    ("sort", "40"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let res = app
            .call(
                &admin,
                "save_category",
                &[
                    ("code", "Bad Code"),
                    ("name_zh", "坏"),
                    ("name_en", "Bad"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        app.stop().await;
    }
}

/// A two-page site on loopback: a list page linking one detail page.
async fn fixture_site() -> String {
    use axum::{Router, response::Html, routing::get};
    let router = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route(
            "/list",
            get(|| async {
                Html(r#"<html><body><ul><li class="item"><a href="/post/1">路灯</a></li></ul></body></html>"#)
            }),
        )
        .route(
            "/post/1",
            get(|| async {
                Html(r#"<html><body><h1 class="t">长乐苑路灯不亮</h1><div class="b">三幢门口的路灯坏了一周，联系13912345678</div></body></html>"#)
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.ok();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn crawler_sources_are_managed_and_run_from_the_admin_page() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let site = fixture_site().await;
        let admin = app.logged_in("13800000008").await;
        let staff = app.logged_in("13800000002").await;
        let community = domain::org::communities(&app.services).await.unwrap()[0]
            .name
            .clone();
        let start = format!("{site}/list");
        let form = |list_item: &'static str, url: String| {
            vec![
                ("name", "社区论坛".to_owned()),
                ("start_urls", url),
                ("list_item", list_item.to_owned()),
                ("link", "a".to_owned()),
                ("title", "h1.t".to_owned()),
                ("body", "div.b".to_owned()),
                ("max_pages", "10".to_owned()),
                ("min_delay_ms", "0".to_owned()),
                ("user_agent", "HongchaTest/1".to_owned()),
                ("allow_addresses", "127.0.0.1".to_owned()),
                ("community", community.clone()),
                ("every_minutes", "0".to_owned()),
                ("enabled", "on".to_owned()),
            ]
        };
        let send = |c: &Client, f: Vec<(&'static str, String)>| {
            let c = c.clone();
            let app = &app;
            async move {
                let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.call(&c, "save_crawl_source", &pairs).await
            }
        };
        assert_eq!(
            send(&staff, form("li.item", start.clone())).await.status(),
            StatusCode::FORBIDDEN
        );
        let res = send(&admin, form("li[[", start.clone())).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("selector"));
        let res = send(&admin, form("li.item", "file:///etc/passwd".into())).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = send(&admin, form("li.item", start.clone())).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let id: i64 = res.json().await.unwrap();

        let sources = app.get_json(&admin, "/api/crawl_sources").await;
        assert_eq!(sources[0]["name"], "社区论坛");
        assert_eq!(sources[0]["start_urls"][0], start);
        let res = staff
            .get(app.url("/api/crawl_sources"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // Run now: the item arrives in the moderation queue, masked for the public later.
        let res = app
            .call(&admin, "run_crawl_source", &[("id", &id.to_string())])
            .await;
        assert!(res.status().is_success());
        let mut found = Value::Null;
        for _ in 0..100 {
            let queue = app.get_json(&staff, "/api/moderation_queue").await;
            if let Some(o) = queue
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["channel"] == "crawler")
            {
                found = o.clone();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(found["title"], "长乐苑路灯不亮", "{backend:?}");
        let sources = app.get_json(&admin, "/api/crawl_sources").await;
        assert!(sources[0]["last_summary"].as_str().is_some());
        app.stop().await;
    }
}

/// Staff correct an opinion of their community: the public copy is masked
/// again from the corrected text, the change is logged; residents, staff
/// of another community and bad input are refused, and nothing changes.
#[tokio::test]
async fn staff_correct_an_opinion_and_the_public_copy_is_masked_again() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let communities = domain::org::communities(&app.services).await.unwrap();
        let (mine, other) = (communities[0].id.to_string(), communities[1].id.to_string());
        let resident = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let id = app.submit(&resident, &mine, "路灯坏了很多天", "c1").await;
        let elsewhere = app.submit(&resident, &other, "别的社区的事情", "c2").await;
        approve(&app, &staff, id).await;
        let cats = app.get_json(&staff, "/api/categories").await;
        let cat = cats[1]["code"].as_str().unwrap().to_owned();
        let edit = |c: &Client, id: i64, title: &str, body: &str, category: &str| {
            let (app, c) = (&app, c.clone());
            let (id, title, body, category) = (
                id.to_string(),
                title.to_owned(),
                body.to_owned(),
                category.to_owned(),
            );
            async move {
                app.call(
                    &c,
                    "edit_opinion",
                    &[
                        ("id", &id),
                        ("title", &title),
                        ("body", &body),
                        ("category", &category),
                    ],
                )
                .await
                .status()
            }
        };
        // Staff add what a caller said on the phone, landline included.
        let body = "路灯坏了，物业说修但没来，请打我家座机 0571-87654321 联系";
        assert_eq!(
            edit(&resident, id, "路灯坏了很多天", body, &cat).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            edit(&staff, elsewhere, "别的社区的事情", body, &cat).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            edit(&staff, id, "路灯", body, &cat).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "title too short"
        );
        assert_eq!(
            edit(&staff, id, "路灯坏了很多天", body, "no_such").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            edit(&staff, 999_999, "路灯坏了很多天", body, &cat).await,
            StatusCode::NOT_FOUND
        );
        let anon = app.client();
        let before = app.get_json(&anon, &format!("/api/opinion?id={id}")).await;
        assert_eq!(
            before["title"], "路灯坏了很多天",
            "nothing changed by refused corrections"
        );

        assert!(
            edit(&staff, id, "三幢路灯坏了很多天", body, &cat)
                .await
                .is_success()
        );
        let public = app.get_json(&anon, &format!("/api/opinion?id={id}")).await;
        assert_eq!(public["title"], "三幢路灯坏了很多天");
        assert_eq!(public["category"], cat.as_str());
        let text = public["body"].as_str().unwrap();
        assert!(!text.contains("87654321"), "masked again: {text}");
        let original = app.get_json(&staff, &format!("/api/opinion?id={id}")).await;
        assert!(
            original["body"].as_str().unwrap().contains("0571-87654321"),
            "staff keep the original"
        );
        let log = app.get_json(&staff, "/api/moderation_log").await;
        let entry = log
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "edit")
            .expect("the correction is logged");
        assert_eq!(entry["detail"], "title,body,category");
        app.stop().await;
    }
}
