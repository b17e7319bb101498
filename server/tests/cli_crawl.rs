//! `hongcha crawl`: sources from a TOML file, items stored as pending
//! opinions with provenance, masked public text, and nothing new on a second run.
use std::process::Command;

use axum::Router;
use axum::routing::get;
use sea_orm::{ConnectionTrait, Statement};

async fn fixture() -> String {
    let app = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route(
            "/list",
            get(|| async {
                axum::response::Html(
                    "<ul><li class=item><a href=/t/1>1</a></li><li class=item><a href=/t/2>2</a></li></ul>",
                )
            }),
        )
        .route(
            "/t/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<u32>| async move {
                axum::response::Html(format!(
                    "<h1>小区停车难 {n}</h1><div class=c>晚上车位不够，联系13912345678</div><span class=a>网友{n}</span>"
                ))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_stores_new_items_once_with_provenance() {
    let base = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        format!(
            r#"
[[source]]
name = "forum"
start_urls = ["{base}/list"]
list_item = "li.item"
title = "h1"
body = "div.c"
author = "span.a"
min_delay_ms = 0
allow_addresses = ["127.0.0.1"]
community = "小河社区"
"#
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hongcha"))
            .args(args)
            .env(
                "HONGCHA_DATABASE_URL",
                format!("sqlite://{}/hongcha.db", dir.path().display()),
            )
            .env("HONGCHA_DATA_DIR", dir.path())
            .env("HONGCHA_DEMO_PASSWORD", "demo-pass-2026")
            .env("HONGCHA_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["seed-demo"]);
    // Blocking here is fine: the fixture runs on the runtime's worker threads.
    let first = run(&["crawl", "--sources", sources.to_str().unwrap()]);
    assert!(first.contains("new 2"), "{first}");
    let second = run(&["crawl", "forum"]);
    assert!(second.contains("new 0"), "{second}");

    let db = domain::db::connect(&format!("sqlite://{}/hongcha.db", dir.path().display()))
        .await
        .unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT o.status, o.channel, o.source_url, o.body, o.body_public, c.name AS community \
             FROM opinion o JOIN community c ON c.id = o.community_id \
             WHERE o.source_url IS NOT NULL ORDER BY o.id",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_eq!(r.try_get::<String>("", "status").unwrap(), "pending");
        assert_eq!(r.try_get::<String>("", "channel").unwrap(), "crawler");
        assert!(
            r.try_get::<String>("", "source_url")
                .unwrap()
                .starts_with(&base)
        );
        assert_eq!(r.try_get::<String>("", "community").unwrap(), "小河社区");
        assert!(
            r.try_get::<String>("", "body")
                .unwrap()
                .contains("13912345678")
        );
        let public = r.try_get::<String>("", "body_public").unwrap();
        assert!(
            public.contains("139****5678") && public.contains("原帖作者"),
            "{public}"
        );
    }
}
