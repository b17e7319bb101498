//! Foundation black-box tests: accounts, sessions, roles × areas, security
//! baseline and the audit chain, over real HTTP on every available backend.
use blackbox::{Backend, DEMO_PASSWORD, Options, backends, six_digits, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn healthz_reports_database() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let body = app.get_json(&app.client(), "/healthz").await;
        assert_eq!(body["database"], true, "{backend:?}");
        assert_eq!(body["status"], "ok");
        let want = if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        };
        assert_eq!(body["backend"], want);
        app.stop().await;
    }
}

#[tokio::test]
async fn register_login_logout() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let c = app.client();

        let res = app.register(&c, "139 1234 5678", "3幢小李").await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{backend:?} register: {}",
            res.status()
        );

        // The same number again: its owner gets a note instead of a code, and
        // the sign-up is refused like any wrong code (it reveals nothing).
        let res = app
            .call(&c, "request_register_code", &[("phone", "13912345678")])
            .await;
        assert!(res.status().is_success());
        let mut noted = false;
        for _ in 0..100 {
            if app.outbox_log().contains("这个号码已经注册过") {
                noted = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(noted, "{backend:?}: the owner is told");
        let community = domain::org::communities(&app.services).await.unwrap()[0]
            .id
            .to_string();
        let res = app
            .call(
                &c,
                "register",
                &[
                    ("phone", "13912345678"),
                    ("code", "000000"),
                    ("password", "correct horse"),
                    ("display_name", "另一个人"),
                    ("community_id", &community),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        assert!(res.text().await.unwrap().contains("sms_code"));

        // Not logged in yet.
        let me = app.get_json(&c, "/api/me").await;
        assert!(me.is_null(), "{backend:?}: {me}");

        // Wrong password: 401, no cookie, still anonymous.
        let res = app.login(&c, "13912345678", "wrong password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
        assert!(res.headers().get("set-cookie").is_none());
        assert!(res.text().await.unwrap().contains("InvalidCredentials"));
        assert!(app.get_json(&c, "/api/me").await.is_null());

        // Right password: an HttpOnly, SameSite=Lax session cookie.
        let res = app.login(&c, "13912345678", "correct horse").await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{backend:?} login: {}",
            res.status()
        );
        let cookie = res
            .headers()
            .get("set-cookie")
            .expect("cookie")
            .to_str()
            .unwrap()
            .to_owned();
        assert!(cookie.starts_with("hongcha_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let me = app.get_json(&c, "/api/me").await;
        assert_eq!(me["display_name"], "3幢小李");
        assert_eq!(me["phone"], "13912345678", "own number in full");
        assert_eq!(me["areas"], serde_json::json!(["me"]));

        // Logout ends the session on the server, not just in the browser.
        let token = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("hongcha_session=")
            .to_owned();
        let res = app.call(&c, "logout", &[]).await;
        assert!(res.status().is_success() || res.status().is_redirection());
        assert!(
            domain::accounts::principal_for_token(&app.services, &token)
                .await
                .unwrap()
                .is_none()
        );
        assert!(app.get_json(&c, "/api/me").await.is_null());
        app.stop().await;
    }
}

#[tokio::test]
async fn registration_validates_input() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let c = app.client();
        let community = domain::org::communities(&app.services).await.unwrap()[0]
            .id
            .to_string();
        let cases: [(&str, &str, &str, &str, &str); 5] = [
            ("12345", "correct horse", "小王", &community, "phone"),
            ("13700000001", "short", "小王", &community, "password"),
            (
                "13700000002",
                "correct horse",
                "   ",
                &community,
                "display_name",
            ),
            ("13700000003", "correct horse", "小王", "99999", "community"),
            // No code was ever sent to this number.
            (
                "13700000004",
                "correct horse",
                "小王",
                &community,
                "sms_code",
            ),
        ];
        for (phone, password, name, community, field) in cases {
            let res = app
                .call(
                    &c,
                    "register",
                    &[
                        ("phone", phone),
                        ("code", "123456"),
                        ("password", password),
                        ("display_name", name),
                        ("community_id", community),
                    ],
                )
                .await;
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend:?} {field}"
            );
            let body = res.text().await.unwrap();
            assert!(
                body.contains(&format!("\"field\":\"{field}\"")),
                "{field}: {body}"
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn login_rate_limit_kicks_in() {
    for backend in backends() {
        let mut opts = Options::default();
        opts.limits.login_per_account = 3;
        let app = spawn_app_with(backend, opts).await;
        app.seed_demo().await;
        let c = app.client();
        for i in 0..3 {
            let res = app.login(&c, "13800000001", "not the password").await;
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "{backend:?} attempt {i}"
            );
        }
        // Budget spent: even the right password is refused for now.
        let res = app.login(&c, "13800000001", DEMO_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry > 0 && retry <= 15 * 60, "{retry}");
        // Another account is not affected.
        let res = app.login(&c, "13800000002", DEMO_PASSWORD).await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{backend:?}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn per_ip_limit_on_code_requests() {
    for backend in backends() {
        let mut opts = Options::default();
        opts.limits.code_per_ip = 2;
        let app = spawn_app_with(backend, opts).await;
        app.seed_demo().await;
        let c = app.client();
        for phone in ["13800000001", "13800000002"] {
            let res = app.call(&c, "request_code", &[("phone", phone)]).await;
            assert!(res.status().is_success(), "{backend:?} {}", res.status());
        }
        let res = app
            .call(&c, "request_code", &[("phone", "13800000003")])
            .await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn sms_code_login_through_outbox() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let c = app.client();
        // Unknown numbers get the same answer and no message.
        let res = app
            .call(&c, "request_code", &[("phone", "13999999999")])
            .await;
        assert!(res.status().is_success());
        let res = app
            .call(&c, "request_code", &[("phone", "13800000001")])
            .await;
        assert!(res.status().is_success(), "{backend:?}: {}", res.status());
        // The development SMS channel writes the message to data/outbox.log.
        let mut code = None;
        for _ in 0..100 {
            let log = app.outbox_log();
            if let Some(line) = log.lines().find(|l| l.contains("13800000001")) {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let body = v["body"].as_str().unwrap().to_owned();
                code = six_digits(&body);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(
            !app.outbox_log().contains("13999999999"),
            "no message for unknown numbers"
        );
        let code = code.expect("code delivered to the outbox log");
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let res = app
            .call(
                &c,
                "login_code",
                &[("phone", "13800000001"), ("code", wrong), ("next", "")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = app
            .call(
                &c,
                "login_code",
                &[("phone", "13800000001"), ("code", &code), ("next", "")],
            )
            .await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{backend:?}: {}",
            res.status()
        );
        assert_eq!(app.get_json(&c, "/api/me").await["display_name"], "王阿姨");
        // A code works once.
        let c2 = app.client();
        let res = app
            .call(
                &c2,
                "login_code",
                &[("phone", "13800000001"), ("code", &code), ("next", "")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn cross_origin_mutations_are_refused() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let c = app.client();
        let form = [
            ("phone", "13800000001"),
            ("password", DEMO_PASSWORD),
            ("next", ""),
        ];
        let url = app.url("/api/login");
        let evil = c
            .post(&url)
            .header("Origin", "http://evil.example")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(evil.status(), StatusCode::FORBIDDEN, "{backend:?}");
        assert!(evil.headers().get("set-cookie").is_none());
        let other_port = c
            .post(&url)
            .header("Origin", "http://127.0.0.1:1")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(other_port.status(), StatusCode::FORBIDDEN);
        let cross_site = c
            .post(&url)
            .header("Sec-Fetch-Site", "cross-site")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
        let bare = c.post(&url).form(&form).send().await.unwrap();
        assert_eq!(
            bare.status(),
            StatusCode::FORBIDDEN,
            "no Origin, no Sec-Fetch-Site"
        );
        let same_site_fetch = c
            .post(&url)
            .header("Sec-Fetch-Site", "same-origin")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(same_site_fetch.status().is_success() || same_site_fetch.status().is_redirection());
        let own = app.login(&c, "13800000001", DEMO_PASSWORD).await;
        assert!(own.status().is_success() || own.status().is_redirection());
        app.stop().await;
    }
}

/// Every role × area cell, written out by hand (not derived from the code under test).
#[tokio::test]
async fn each_role_sees_exactly_its_areas() {
    const AREAS: [&str; 6] = ["/me", "/staff", "/street", "/tasks", "/audit", "/admin"];
    // phone (demo seed order), role, allowed areas
    let table: [(&str, &str, [bool; 6]); 8] = [
        (
            "13800000001",
            "resident",
            [true, false, false, false, false, false],
        ),
        (
            "13800000002",
            "staff",
            [false, true, false, false, false, false],
        ),
        (
            "13800000003",
            "street_officer",
            [false, false, true, false, false, false],
        ),
        (
            "13800000004",
            "grid_worker",
            [false, false, false, true, false, false],
        ),
        (
            "13800000005",
            "department",
            [false, false, false, true, false, false],
        ),
        (
            "13800000006",
            "enterprise",
            [false, false, false, true, false, false],
        ),
        (
            "13800000007",
            "supervisor",
            [false, false, false, false, true, false],
        ),
        (
            "13800000008",
            "admin",
            [false, false, false, false, false, true],
        ),
    ];
    for backend in backends() {
        let app = spawn_app(backend).await;
        let demo = app.seed_demo().await;
        // Anonymous: every area sends you to log in.
        let anon = app.client();
        for area in AREAS {
            let res = anon.get(app.url(area)).send().await.unwrap();
            assert_eq!(
                res.status(),
                StatusCode::SEE_OTHER,
                "{backend:?} anonymous {area}"
            );
            let loc = res.headers()["location"].to_str().unwrap();
            assert_eq!(loc, format!("/login?next={area}"));
        }
        for (phone, role, allowed) in table {
            assert!(
                demo.iter()
                    .any(|d| d.phone == phone && d.role.as_str() == role),
                "seed has {role}"
            );
            let c = app.client();
            let res = app.login(&c, phone, DEMO_PASSWORD).await;
            assert!(
                res.status().is_success() || res.status().is_redirection(),
                "{role} login"
            );
            let me = app.get_json(&c, "/api/me").await;
            let listed: Vec<String> = serde_json::from_value(me["areas"].clone()).unwrap();
            for (area, ok) in AREAS.iter().zip(allowed) {
                let res = c.get(app.url(area)).send().await.unwrap();
                let want = if ok {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(res.status(), want, "{backend:?} {role} {area}");
                assert_eq!(
                    listed.contains(&area[1..].to_owned()),
                    ok,
                    "{role} nav lists {area}"
                );
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn admin_api_is_admin_only_and_audited() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let staff = app.client();
        app.login(&staff, "13800000002", DEMO_PASSWORD).await;
        let res = staff
            .get(app.url("/api/admin_accounts?query="))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");
        let res = app
            .call(
                &staff,
                "grant_role",
                &[("account_id", "1"), ("role", "admin"), ("scope", "global")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        let admin = app.client();
        app.login(&admin, "13800000008", DEMO_PASSWORD).await;
        let rows = app
            .get_json(&admin, "/api/admin_accounts?query=13800000001")
            .await;
        let resident = &rows.as_array().unwrap()[0];
        assert_eq!(
            resident["phone"], "13800000001",
            "admins see numbers in full"
        );
        let resident_id = resident["id"].as_i64().unwrap().to_string();
        let community = domain::org::communities(&app.services).await.unwrap()[1]
            .id
            .to_string();

        let before = domain::audit::verify(&app.services).await.unwrap().entries;
        let res = app
            .call(
                &admin,
                "grant_role",
                &[
                    ("account_id", &resident_id),
                    ("role", "staff"),
                    ("scope", &format!("community:{community}")),
                ],
            )
            .await;
        assert!(
            res.status().is_success(),
            "{backend:?} grant: {}",
            res.status()
        );
        // A wrong kind of scope is refused with a reason.
        let res = app
            .call(
                &admin,
                "grant_role",
                &[
                    ("account_id", &resident_id),
                    ("role", "staff"),
                    ("scope", "global"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // Now the resident is also staff.
        let res = app.login(&app.client(), "13800000001", DEMO_PASSWORD).await;
        assert!(res.status().is_success() || res.status().is_redirection());
        let rows = app
            .get_json(&admin, "/api/admin_accounts?query=13800000001")
            .await;
        let grants = rows[0]["grants"].as_array().unwrap().clone();
        let staff_grant = grants
            .iter()
            .find(|g| g["role"] == "staff")
            .expect("granted");
        let res = app
            .call(
                &admin,
                "revoke_role",
                &[("grant_id", &staff_grant["id"].as_i64().unwrap().to_string())],
            )
            .await;
        assert!(res.status().is_success());
        let after = domain::audit::verify(&app.services).await.unwrap();
        assert!(after.ok());
        assert_eq!(after.entries, before + 2, "grant and revoke audited");
        let recent = domain::audit::recent(
            &app.services,
            &domain::Principal {
                account_id: 0,
                display_name: String::new(),
                phone: String::new(),
                community_id: None,
                grants: vec![domain::accounts::Grant {
                    role: domain::Role::Supervisor,
                    scope: domain::Scope::Global,
                }],
            },
            2,
        )
        .await
        .unwrap();
        assert_eq!(recent[0].action, "role.revoke");
        assert_eq!(recent[1].action, "role.grant");
        app.stop().await;
    }
}

#[tokio::test]
async fn audit_chain_verifies_and_detects_tampering() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await; // provisions 8 accounts: 8 audit entries
        let db = &app.db;
        let check = domain::audit::verify(&app.services).await.unwrap();
        assert!(check.ok(), "{backend:?} {check:?}");
        assert_eq!(check.entries, 8);

        // The supervisor's page shows the verified chain.
        let sup = app.client();
        app.login(&sup, "13800000007", DEMO_PASSWORD).await;
        let view = app.get_json(&sup, "/api/audit").await;
        assert_eq!(view["entries_total"], 8);
        assert!(view["first_bad_seq"].is_null());
        // Residents may not read it.
        let res_client = app.client();
        app.login(&res_client, "13800000001", DEMO_PASSWORD).await;
        let res = res_client.get(app.url("/api/audit")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // The database refuses edits to the log...
        let edit = "UPDATE audit_log SET detail = '{}' WHERE seq = 3";
        assert!(
            db.execute_unprepared(edit).await.is_err(),
            "{backend:?}: append-only trigger"
        );
        assert!(
            db.execute_unprepared("DELETE FROM audit_log WHERE seq = 8")
                .await
                .is_err()
        );
        // ...and someone who bypasses that is caught by the chain.
        let (off, on) = match backend {
            Backend::Sqlite => ("DROP TRIGGER audit_log_no_update", None),
            Backend::Postgres => (
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
                Some("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"),
            ),
        };
        db.execute_unprepared(off).await.unwrap();
        db.execute_unprepared(edit).await.unwrap();
        if let Some(on) = on {
            db.execute_unprepared(on).await.unwrap();
        }
        let check = domain::audit::verify(&app.services).await.unwrap();
        assert_eq!(check.first_bad_seq, Some(3), "{backend:?}");
        let view = app.get_json(&sup, "/api/audit").await;
        assert_eq!(view["first_bad_seq"], 3);
        app.stop().await;
    }
}

#[tokio::test]
async fn pages_carry_security_headers_and_csp_nonce() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let c = app.client();
        // A page rendered for each request (cached public pages name their
        // scripts by hash instead: see read_path.rs).
        let res = c.get(app.url("/login")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        let csp = h["content-security-policy"].to_str().unwrap().to_owned();
        let html = res.text().await.unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .expect("CSP names a nonce");
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "inline scripts carry the CSP nonce"
        );
        assert!(html.contains("<html lang=\"zh-CN\">"), "Chinese by default");
        // The language is named once (a repeated attribute is a parse error).
        let tag = html
            .split("<html")
            .nth(1)
            .and_then(|t| t.split('>').next())
            .unwrap();
        assert_eq!(tag.matches("lang=").count(), 1, "<html{tag}>");
        assert!(html.contains("红茶议事会"));
        // English on request.
        let en = c
            .get(app.url("/login"))
            .header("Cookie", "lang=en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(en.contains("<html lang=\"en\">") && en.contains("Hongcha Council"));
        // Unknown pages are a real 404.
        let res = c.get(app.url("/no-such-page")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app(backends()[0]).await;
    let c = app.client();
    let big = "x".repeat(200 * 1024);
    let res = app
        .call(
            &c,
            "login",
            &[("phone", "13800000001"), ("password", &big), ("next", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}
