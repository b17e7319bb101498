//! Public list pagination at scale: fills a fresh database with N published
//! opinions (default 100,000) and times `GET /api/opinions` over HTTP for
//! the first page, a page deep in the list (keyset `before`), and filtered
//! pages, on SQLite — and on PostgreSQL when `TEST_DATABASE_URL` is set.
//!
//!     cargo run --release -p hongcha-server --example bench_list -- 100000
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Query};

const ROUNDS: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let mut targets = vec![(
        "SQLite".to_owned(),
        format!("sqlite://{}/bench.db", dir.path().display()),
        None,
    )];
    if let Ok(pg) = std::env::var("TEST_DATABASE_URL") {
        let name = format!("hongcha_bench_{}", std::process::id());
        let admin = domain::db::connect(&pg).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let (base, _) = pg.rsplit_once('/').unwrap_or((&pg, ""));
        targets.push((
            "PostgreSQL".to_owned(),
            format!("{base}/{name}"),
            Some((pg.clone(), name)),
        ));
    }
    for (label, url, drop) in targets {
        run(&label, &url, n, dir.path()).await?;
        if let Some((admin_url, name)) = drop {
            let admin = domain::db::connect(&admin_url).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
        }
    }
    Ok(())
}

async fn run(label: &str, url: &str, n: usize, data: &std::path::Path) -> anyhow::Result<()> {
    let cfg = hongcha_server::Config {
        database_url: url.to_owned(),
        bind: "127.0.0.1:0".into(),
        data_dir: data.to_path_buf(),
        site_root: data.join("site").display().to_string(),
        ..Default::default()
    };
    let app = hongcha_server::Application::build(cfg).await?;
    let services = app.services.clone();
    domain::seed::seed_demo(&services, Some("bench-pass-2026")).await?;
    let communities = domain::org::communities(&services).await?;
    // Rows go in through a connection of the bench's own (the server's is
    // private to `domain`), in the same column encoding SeaORM uses.
    let db = domain::db::connect(url).await?;
    let cats = [
        "public_service",
        "public_management",
        "public_safety",
        "other",
    ];
    let started = Instant::now();
    let now = domain::clock::now();
    let mut batch: Vec<Vec<sea_orm::Value>> = Vec::with_capacity(1000);
    for i in 0..n {
        let title = format!("第{i}号楼的路灯不亮");
        let body = format!("楼道里的灯坏了{}天，晚上很黑，老人上下楼不方便。", i % 30);
        let community = communities[i % communities.len()].id;
        let channel = if i % 3 == 0 { "import" } else { "web" };
        // 其他 is rare (1 in 1,000): the worst case for a filtered list.
        let category = if i % 1000 == 0 {
            "other"
        } else {
            cats[(i / 7) % cats.len()]
        };
        // One in ten is still pending: the list must skip them.
        let status = if i % 10 == 0 { "pending" } else { "published" };
        batch.push(vec![
            community.into(),
            false.into(),
            channel.into(),
            category.into(),
            title.clone().into(),
            body.clone().into(),
            title.into(),
            body.into(),
            status.into(),
            0i32.into(),
            0i32.into(),
            false.into(),
            now.into(),
            now.into(),
            Some(now).into(),
        ]);
        if batch.len() == 1000 || i + 1 == n {
            let mut q = Query::insert();
            q.into_table(Alias::new("opinion")).columns(
                [
                    "community_id",
                    "anonymous",
                    "channel",
                    "category",
                    "title_public",
                    "body_public",
                    "title",
                    "body",
                    "status",
                    "supports",
                    "reports",
                    "hidden",
                    "created_at",
                    "updated_at",
                    "published_at",
                ]
                .map(Alias::new),
            );
            for row in std::mem::take(&mut batch) {
                q.values_panic(row.into_iter().map(sea_orm::sea_query::SimpleExpr::from));
            }
            db.execute_raw(db.get_database_backend().build(&q)).await?;
        }
    }
    println!(
        "{label}: {n} opinions stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let c0 = communities[0].id;
    let cases = [
        ("first page", "/api/opinions".to_owned()),
        (
            "page near the end (before=500)",
            "/api/opinions?before=500".to_owned(),
        ),
        ("middle page", format!("/api/opinions?before={}", n / 2)),
        (
            "community + category, deep",
            format!(
                "/api/opinions?community={c0}&category=public_safety&before={}",
                n / 10
            ),
        ),
        ("channel filter", "/api/opinions?channel=import".to_owned()),
        (
            "rare category (1 in 1,000)",
            "/api/opinions?category=other".to_owned(),
        ),
        (
            "rare category, deep",
            format!("/api/opinions?category=other&before={}", n / 2),
        ),
    ];
    for (name, path) in cases {
        let mut times = Vec::with_capacity(ROUNDS);
        let mut rows = 0;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let res = client.get(format!("{base}{path}")).send().await?;
            anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
            let list: Vec<serde_json::Value> = res.json().await?;
            times.push(t.elapsed());
            rows = list.len();
        }
        times.sort();
        let p50 = times[ROUNDS / 2];
        let p99 = times[ROUNDS * 99 / 100];
        println!(
            "{label}: {name:<34} {rows:>3} rows  p50 {:>6.2} ms  p99 {:>6.2} ms",
            ms(p50),
            ms(p99)
        );
    }
    server.abort();
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
