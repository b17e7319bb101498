//! Regression tests for the hardening issue (#8), from outside over HTTP on
//! both backends: each failed on the code before the fix.
use std::io::Write;

use blackbox::{Backend, DEMO_PASSWORD, Options, TestApp, backends, spawn_app, spawn_app_with};
use reqwest::{Client, StatusCode, multipart};
use sea_orm::ConnectionTrait;
use serde_json::Value;

/// A 1.6 KB XLSX whose two cells sit at A1 and XFD1048576.
fn far_cell_xlsx() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let opt = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("[Content_Types].xml", opt).unwrap();
    z.write_all(
        br#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
    )
    .unwrap();
    z.start_file("xl/workbook.xml", opt).unwrap();
    z.write_all(br#"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#).unwrap();
    z.start_file("xl/_rels/workbook.xml.rels", opt).unwrap();
    z.write_all(br#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#).unwrap();
    z.start_file("xl/worksheets/sheet1.xml", opt).unwrap();
    z.write_all(br#"<worksheet><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row></sheetData></worksheet>"#).unwrap();
    z.finish().unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_hostile_spreadsheet_is_a_clear_error_and_the_server_lives() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let staff = app.logged_in("13800000002").await;
        let file = far_cell_xlsx();
        assert!(file.len() < 2048, "{}", file.len());
        let res = app.upload_import(&staff, "hotline.xlsx", file).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        let err: Value = res.json().await.unwrap();
        let key = err["error"].as_str().unwrap();
        assert!(
            key == "err.file.too_many_rows" || key == "err.file.too_many_columns",
            "{key}"
        );
        // Still serving, for everyone.
        let health = app.get_json(&app.client(), "/healthz").await;
        assert_eq!(health["database"], true, "{health}");
        // A GBK CSV from Excel on a Chinese Windows is read.
        let (gbk, _, _) = encoding_rs::GB18030.encode("标题,内容\n路灯,三幢路灯不亮\n");
        let res = app
            .upload_import(&staff, "热线.csv", gbk.into_owned())
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        // Old .xls is refused with a plain message, not half-read.
        let res = app
            .upload_import(&staff, "old.xls", b"\xD0\xCF\x11\xE0".to_vec())
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        app.stop().await;
    }
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    let app = spawn_app(Backend::Sqlite).await;
    app.seed_demo().await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "\\/evil.example",
        "/%2F/evil.example",
        "//evil.example",
        "https://evil.example/",
    ] {
        let c = app.client();
        let res = app
            .call(
                &c,
                "login",
                &[
                    ("phone", "13800000001"),
                    ("password", DEMO_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        // Server functions answer API calls with the target in a header.
        let target = res
            .headers()
            .get("location")
            .or_else(|| res.headers().get("serverfnredirect"))
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(target.as_deref(), Some("/me"), "{next:?}");
    }
    app.stop().await;
}

/// The latest login code row for a phone: (hash, attempts).
async fn code_row(app: &TestApp, phone: &str) -> (String, i64) {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!(
                "SELECT code_hash, CAST(attempts AS BIGINT) AS attempts FROM login_code \
                 WHERE phone = '{phone}' ORDER BY id DESC LIMIT 1"
            ),
        ))
        .await
        .unwrap()
        .expect("a code row");
    (
        row.try_get("", "code_hash").unwrap(),
        row.try_get("", "attempts").unwrap(),
    )
}

#[tokio::test]
async fn sms_codes_are_hashed_counted_atomically_and_not_kept() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let phone = "13800000001";
        let c = app.client();
        let code = app
            .sms_code(phone, || async {
                let res = app.call(&c, "request_code", &[("phone", phone)]).await;
                assert!(res.status().is_success());
            })
            .await;
        let (hash, _) = code_row(&app, phone).await;
        assert!(!hash.contains(&code), "{backend:?}: the code is not stored");
        let (salt, digest) = hash.split_once('$').expect("salt$hash");
        assert_eq!(salt.len(), 32);
        assert_eq!(digest.len(), 64);
        // Delivered: its text is gone from the outbox table (the row is
        // marked sent just after the message left, so wait for that).
        let mut kept = Vec::new();
        for _ in 0..100 {
            let rows = app
                .db
                .query_all_raw(sea_orm::Statement::from_string(
                    app.db.get_database_backend(),
                    "SELECT body FROM outbox".to_owned(),
                ))
                .await
                .unwrap();
            kept = rows
                .iter()
                .map(|r| r.try_get::<String>("", "body").unwrap())
                .filter(|body| body.contains(&code))
                .collect();
            if kept.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(kept.is_empty(), "{backend:?}: {kept:?}");
        // Twenty parallel wrong guesses: exactly five are counted, and then
        // even the right code is refused.
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let guesses = (0..20).map(|_| {
            let c = app.client();
            let app = &app;
            async move {
                app.call(
                    &c,
                    "login_code",
                    &[("phone", phone), ("code", wrong), ("next", "")],
                )
                .await
                .status()
            }
        });
        for status in futures::future::join_all(guesses).await {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (_, attempts) = code_row(&app, phone).await;
        assert_eq!(attempts, 5, "{backend:?}");
        let res = app
            .call(
                &app.client(),
                "login_code",
                &[("phone", phone), ("code", &code), ("next", "")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn codes_stay_out_of_the_development_log_unless_asked_for() {
    // A server configured as shipped (no dev_reveal_codes).
    let opts = Options {
        dev_reveal_codes: false,
        ..Options::default()
    };
    let app = spawn_app_with(Backend::Sqlite, opts).await;
    app.seed_demo().await;
    let res = app
        .call(&app.client(), "request_code", &[("phone", "13800000001")])
        .await;
    assert!(res.status().is_success());
    let log_path = app.data_dir.path().join("outbox.log");
    let mut line = String::new();
    for _ in 0..100 {
        line = std::fs::read_to_string(&log_path).unwrap_or_default();
        if !line.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let v: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let body = v["body"].as_str().unwrap();
    assert!(body.contains("******"), "{body}");
    assert!(!body.chars().any(|c| c.is_ascii_digit()), "{body}");
    app.stop().await;
}

fn forwarded_opts() -> Options {
    let mut o = Options {
        trust_forwarded_for: true,
        ..Options::default()
    };
    o.limits.login_per_ip = 3;
    o.limits.login_per_account = 3;
    o
}

async fn login_from(app: &TestApp, xff: &str, password: &str) -> StatusCode {
    app.client()
        .post(app.url("/api/login"))
        .header("Origin", &app.addr)
        .header("Accept", "application/json")
        .header("X-Forwarded-For", xff)
        .form(&[
            ("phone", "13800000001"),
            ("password", password),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_client_cannot_choose_its_address_and_cannot_lock_others_out() {
    let app = spawn_app_with(Backend::Sqlite, forwarded_opts()).await;
    app.seed_demo().await;
    // The attacker writes a new address first each time; the proxy appends
    // the real one, which is what counts.
    for i in 0..3 {
        let s = login_from(&app, &format!("10.9.9.{i}, 203.0.113.66"), "wrong password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let s = login_from(&app, "10.9.9.200, 203.0.113.66", "wrong password").await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "the rightmost address is limited"
    );
    // The owner, from their own address, still logs in with the password.
    let s = login_from(&app, "198.51.100.7", DEMO_PASSWORD).await;
    assert!(s.is_success() || s.is_redirection(), "{s}");
    app.stop().await;
}

#[tokio::test]
async fn reports_need_visibility_and_trusted_reporters() {
    for backend in backends() {
        // Shipped default: accounts must be a week old to hide content.
        let opts = Options {
            report_min_account_days: 7,
            ..Options::default()
        };
        let app = spawn_app_with(backend, opts).await;
        app.seed_demo().await;
        let community = app.first_community().await;
        let author = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let pending = app
            .submit(&author, &community, "还在审核的意见", "r-pending")
            .await;
        let published = app
            .submit(&author, &community, "已公开的意见", "r-published")
            .await;
        let res = app
            .call(
                &staff,
                "moderate_opinion",
                &[("id", &published.to_string()), ("decision", "approve")],
            )
            .await;
        assert!(res.status().is_success());

        let fresh = [
            app.new_resident("13600000051").await,
            app.new_resident("13600000052").await,
            app.new_resident("13600000053").await,
        ];
        // A pending opinion cannot be reported: same answer as no opinion.
        for id in [pending, 999_999] {
            let res = app
                .call(&fresh[0], "report_opinion", &[("id", &id.to_string())])
                .await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?} {id}");
        }
        // Reports it; answers whether it is hidden now.
        let report = |c: &Client| {
            let c = c.clone();
            let app = &app;
            let id = published.to_string();
            async move {
                app.call(
                    &c,
                    "report_opinion",
                    &[("id", id.as_str()), ("reason", "广告")],
                )
                .await
                .json::<bool>()
                .await
                .unwrap()
            }
        };
        // Three brand-new accounts report: recorded, staff told, not hidden.
        for c in &fresh {
            let hidden = report(c).await;
            assert!(!hidden, "{backend:?}");
        }
        let list = app.get_json(&app.client(), "/api/opinions").await;
        assert_eq!(list.as_array().unwrap().len(), 1, "still public");
        let notices = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT body FROM outbox WHERE channel = 'in_app' AND subject = '举报提醒'"
                    .to_owned(),
            ))
            .await
            .unwrap();
        assert!(!notices.is_empty(), "{backend:?}: staff are told");
        // The same reports from established, verified accounts hide it.
        app.db
            .execute_unprepared(
                "UPDATE account SET created_at = created_at - INTERVAL '30 days' \
                 WHERE phone LIKE '1360000005%'",
            )
            .await
            .or(app
                .db
                .execute_unprepared(
                    "UPDATE account SET created_at = datetime(created_at, '-30 days') \
                     WHERE phone LIKE '1360000005%'",
                )
                .await)
            .unwrap();
        // The same person reporting again changes nothing.
        let hidden = report(&fresh[0]).await;
        assert!(!hidden, "{backend:?}");
        // The next report counts them again: three established reporters hide it.
        let fourth = app.new_resident("13600000054").await;
        let hidden = report(&fourth).await;
        assert!(hidden, "{backend:?}");
        // A moderator restores it: those reports are dealt with, and one old
        // reporter cannot hide it again on their own.
        let res = app
            .call(
                &staff,
                "moderate_opinion",
                &[("id", &published.to_string()), ("decision", "approve")],
            )
            .await;
        assert!(res.status().is_success(), "{backend:?}");
        let hidden = report(&fresh[1]).await;
        assert!(!hidden, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn registration_proves_the_phone_number() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let community = app.first_community().await;
        let c = app.client();
        // Without a code sent to that number, no account.
        let res = app
            .call(
                &c,
                "register",
                &[
                    ("phone", "13600000061"),
                    ("code", "123456"),
                    ("password", "correct horse"),
                    ("display_name", "冒名"),
                    ("community_id", &community),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        // A code for logging in does not register.
        let res = app.register(&c, "13600000061", "本人").await;
        assert!(res.status().is_success() || res.status().is_redirection());
        let verified = app.db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT phone_verified_at IS NOT NULL AS v FROM account WHERE phone = '13600000061'"
                    .to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        assert!(verified.try_get::<bool>("", "v").unwrap(), "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn similar_lookups_and_photo_uploads_are_limited() {
    let mut opts = Options::default();
    opts.limits.similar_per_ip = 3;
    opts.limits.upload_per_account = 1;
    let app = spawn_app_with(Backend::Sqlite, opts).await;
    app.seed_demo().await;
    let community = app.first_community().await;
    let c = app.client();
    for i in 0..4 {
        let res = c
            .get(app.url(&format!(
                "/api/similar_opinions?community_id={community}&text=%E8%B7%AF%E7%81%AF%E5%9D%8F%E4%BA%86"
            )))
            .send()
            .await
            .unwrap();
        let want = if i < 3 {
            StatusCode::OK
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(res.status(), want, "lookup {i}");
    }
    // A stranger's upload is refused before its body is read; the author's
    // upload budget is counted per request.
    let author = app.logged_in("13800000001").await;
    let id = app.submit(&author, &community, "路灯坏了", "ph-1").await;
    let stranger = app.new_resident("13600000071").await;
    let send = |c: &Client| {
        c.post(app.url(&format!("/opinions/{id}/photos")))
            .header("Origin", &app.addr)
            .header("Accept", "application/json")
            .multipart(multipart::Form::new().part(
                "photo",
                multipart::Part::bytes(b"not an image".to_vec()).file_name("a.jpg"),
            ))
            .send()
    };
    assert_eq!(
        send(&stranger).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&author).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        send(&author).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.stop().await;
}

#[tokio::test]
async fn postgres_refuses_truncating_the_audit_log() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    app.seed_demo().await;
    let res = app.db.execute_unprepared("TRUNCATE audit_log").await;
    assert!(res.is_err(), "TRUNCATE must be refused");
    app.stop().await;
}

#[tokio::test]
async fn https_deployments_get_hsts_and_host_prefixed_cookies() {
    let opts = Options {
        https_origin: Some("https://hongcha.example".into()),
        ..Options::default()
    };
    let app = spawn_app_with(Backend::Sqlite, opts).await;
    app.seed_demo().await;
    let c = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = c.get(app.url("/healthz")).send().await.unwrap();
    let hsts = res.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.contains("max-age=31536000"), "{hsts}");
    let res = c
        .post(app.url("/api/login"))
        .header("Origin", "https://hongcha.example")
        .header("Accept", "application/json")
        .form(&[
            ("phone", "13800000001"),
            ("password", DEMO_PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-hongcha_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    app.stop().await;
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let phone = "13800000001";
        let laptop = app.logged_in(phone).await;
        let phone_app = app.logged_in(phone).await;
        // Changing it needs the current password.
        let res = app
            .call(
                &laptop,
                "change_password",
                &[
                    ("current_password", "wrong one!"),
                    ("password", "new horse battery"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        let res = app
            .call(
                &laptop,
                "change_password",
                &[
                    ("current_password", DEMO_PASSWORD),
                    ("password", "new horse battery"),
                ],
            )
            .await;
        assert!(res.status().is_success(), "{backend:?}: {}", res.status());
        assert!(
            !app.get_json(&laptop, "/api/me").await.is_null(),
            "this session stays"
        );
        assert!(
            app.get_json(&phone_app, "/api/me").await.is_null(),
            "the other ends"
        );
        assert_eq!(
            app.login(&app.client(), phone, DEMO_PASSWORD)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        // Forgot it: a code login with a new password resets it and ends
        // every other session.
        let c = app.client();
        let code = app
            .sms_code(phone, || async {
                app.call(&c, "request_code", &[("phone", phone)]).await;
            })
            .await;
        let res = app
            .call(
                &c,
                "login_code",
                &[
                    ("phone", phone),
                    ("code", &code),
                    ("next", ""),
                    ("new_password", "third horse here"),
                ],
            )
            .await;
        assert!(res.status().is_success() || res.status().is_redirection());
        assert!(
            app.get_json(&laptop, "/api/me").await.is_null(),
            "{backend:?}"
        );
        assert!(!app.get_json(&c, "/api/me").await.is_null());
        let res = app.login(&app.client(), phone, "third horse here").await;
        assert!(res.status().is_success() || res.status().is_redirection());
        app.stop().await;
    }
}

#[tokio::test]
async fn two_instances_share_one_budget() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let mut opts = Options::default();
    opts.limits.login_per_account = 3;
    let app = spawn_app_with(Backend::Postgres, opts).await;
    app.seed_demo().await;
    let (second, handle) = app.second_instance().await;
    let wrong = |base: String| async move {
        Client::new()
            .post(format!("{base}/api/login"))
            .header("Origin", &base)
            .header("Accept", "application/json")
            .form(&[
                ("phone", "13800000001"),
                ("password", "not it at all"),
                ("next", ""),
            ])
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(wrong(app.addr.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong(second.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong(app.addr.clone()).await, StatusCode::UNAUTHORIZED);
    // The fourth try is refused on either node: the budget is shared.
    assert_eq!(wrong(second.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(wrong(app.addr.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    handle.abort();
    let _ = handle.await;
    app.stop().await;
}
