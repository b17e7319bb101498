//! A street sets itself up from the admin page: streets, communities and
//! compounds created, renamed, coded and retired — admins only, audited,
//! nothing referenced deleted.
use blackbox::{backends, spawn_app};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::Value;

#[tokio::test]
async fn admins_build_and_retire_the_organisation() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let admin = app.logged_in("13800000008").await;
        let resident = app.logged_in("13800000001").await;
        let save = |c: &reqwest::Client, form: Vec<(&'static str, String)>| {
            let c = c.clone();
            let app = &app;
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.call(&c, "save_org_unit", &form).await
            }
        };
        // Residents may not touch the organisation.
        let res = save(
            &resident,
            vec![("level", "street".into()), ("name", "冒名街道".into())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");

        let res = save(
            &admin,
            vec![
                ("level", "street".into()),
                ("name", "半山街道".into()),
                ("code", "330105010".into()),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let street: i64 = res.json().await.unwrap();
        let res = save(
            &admin,
            vec![
                ("level", "community".into()),
                ("parent_id", street.to_string()),
                ("name", "半山社区".into()),
            ],
        )
        .await;
        let community: i64 = res.json().await.unwrap();
        // Bad input is a clear error per field.
        for (form, field) in [
            (
                vec![
                    ("level", "compound".into()),
                    ("parent_id", community.to_string()),
                    ("name", "  ".into()),
                ],
                "unit_name",
            ),
            (
                vec![
                    ("level", "compound".into()),
                    ("parent_id", community.to_string()),
                    ("name", "苑".into()),
                    ("code", "33 01".into()),
                ],
                "unit_code",
            ),
            (
                vec![
                    ("level", "compound".into()),
                    ("parent_id", "999999".into()),
                    ("name", "苑".into()),
                ],
                "parent",
            ),
            (
                vec![("level", "planet".into()), ("name", "苑".into())],
                "level",
            ),
        ] {
            let res = save(&admin, form).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert!(res.text().await.unwrap().contains(field), "{field}");
        }
        let res = save(
            &admin,
            vec![
                ("level", "compound".into()),
                ("parent_id", community.to_string()),
                ("name", "半山苑".into()),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        // The same name under the same parent is refused.
        let res = save(
            &admin,
            vec![
                ("level", "community".into()),
                ("parent_id", street.to_string()),
                ("name", "半山社区".into()),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        // Rename and code.
        let res = save(
            &admin,
            vec![
                ("level", "community".into()),
                ("id", community.to_string()),
                ("name", "半山新村社区".into()),
                ("code", "330105010001".into()),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let tree = app.get_json(&admin, "/api/org_tree").await;
        let ours = tree
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == street)
            .unwrap();
        assert_eq!(ours["children"][0]["name"], "半山新村社区");
        assert_eq!(ours["children"][0]["code"], "330105010001");
        assert_eq!(ours["children"][0]["children"][0]["name"], "半山苑");
        let public: Value = app.get_json(&app.client(), "/api/communities").await;
        assert!(
            public
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == community)
        );

        // Retired: offered nowhere, kept in the tree, records untouched.
        let res = app
            .call(
                &admin,
                "retire_org_unit",
                &[
                    ("level", "community"),
                    ("id", &community.to_string()),
                    ("retired", "true"),
                ],
            )
            .await;
        assert!(res.status().is_success());
        let public: Value = app.get_json(&app.client(), "/api/communities").await;
        assert!(
            !public
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == community)
        );
        // Another instance, which had the list in memory, sees the change
        // on its next read, both ways.
        let (second, handle) = app.second_instance().await;
        let there = |second: String| async move {
            reqwest::get(format!("{second}/api/communities"))
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        };
        assert_eq!(there(second.clone()).await, public, "{backend:?}");
        let flip = |retired: &'static str| {
            let app = &app;
            let admin = &admin;
            let id = community.to_string();
            async move {
                let res = app
                    .call(
                        admin,
                        "retire_org_unit",
                        &[
                            ("level", "community"),
                            ("id", id.as_str()),
                            ("retired", retired),
                        ],
                    )
                    .await;
                assert!(res.status().is_success());
            }
        };
        flip("false").await;
        let back = there(second.clone()).await;
        assert!(
            back.as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == community),
            "{backend:?}: restored, seen by the other instance at once"
        );
        flip("true").await;
        assert_eq!(there(second).await, public, "{backend:?}");
        handle.abort();
        let _ = handle.await;
        let tree = app.get_json(&admin, "/api/org_tree").await;
        assert!(tree.to_string().contains("\"retired\":true"));
        // New records may not go to a retired community.
        let res = app
            .call(
                &resident,
                "submit_opinion",
                &[
                    ("community_id", &community.to_string()),
                    ("location", ""),
                    ("category", "public_service"),
                    ("title", "路灯坏了"),
                    ("body", "小区门口的路灯坏了好几天"),
                    ("idempotency_key", "org-1"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        // Every change is in the audit log.
        let rows = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT action FROM audit_log WHERE action LIKE 'org.%'".to_owned(),
            ))
            .await
            .unwrap();
        assert!(rows.len() >= 5, "{backend:?}: {}", rows.len());
        app.stop().await;
    }
}
