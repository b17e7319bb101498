//! Crawler throughput: an in-process fixture site with PAGES detail pages
//! (100 per list page), politeness off for that host, every item parsed
//! and stored as an opinion in a fresh SQLite file. Prints pages/s and the
//! process's peak memory (VmHWM).
//!
//!     cargo run --release -p hongcha-server --example bench_crawl -- 10000
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query};
use axum::response::Html;
use axum::routing::get;

const PER_LIST: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let pages: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let lists = pages.div_ceil(PER_LIST);
    let app = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route(
            "/list",
            get(move |Query(q): Query<std::collections::HashMap<String, usize>>| async move {
                let p = q.get("p").copied().unwrap_or(0);
                let items: String = (p * PER_LIST..((p + 1) * PER_LIST).min(pages))
                    .map(|i| format!("<li class=item><a href=/t/{i}>{i}</a></li>"))
                    .collect();
                let next = if p + 1 < lists { format!("<a class=next href=/list?p={}>下一页</a>", p + 1) } else { String::new() };
                Html(format!("<html><body><ul>{items}</ul>{next}</body></html>"))
            }),
        )
        .route(
            "/t/{n}",
            get(|Path(n): Path<usize>| async move {
                Html(format!(
                    "<html><head><title>帖子</title></head><body><div class=nav>首页 &gt; 社区论坛</div>\
                     <h1>第{n}号楼的问题</h1><div class=c><p>楼道里的灯坏了{n}天，晚上很黑，老人上下楼不方便。</p>\
                     <p>希望物业尽快修理，联系电话1391234{:04}。</p></div><span class=a>网友{n}</span></body></html>",
                    n % 10_000
                ))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir()?;
    let db = domain::db::connect(&format!("sqlite://{}/bench.db", dir.path().display())).await?;
    domain::db::migrate(&db).await?;
    let services = domain::Services::new(db, domain::Settings::default());
    domain::seed::seed_demo(&services, Some("bench-pass-2026")).await?;
    let source: domain::crawl::Source = toml::from_str(&format!(
        "name = \"bench\"\nstart_urls = [\"{base}/list?p=0\"]\nlist_item = \"li.item\"\nnext_page = \"a.next\"\n\
         title = \"h1\"\nbody = \"div.c\"\nauthor = \"span.a\"\nmin_delay_ms = 0\nmax_pages = {}\nallow_addresses = [\"127.0.0.1\"]\n",
        pages + lists + 10
    ))?;
    domain::crawl::upsert_source(&services, None, &source).await?;
    let started = Instant::now();
    let summary = domain::crawl::run_source(&services, "bench", "bench", &mut |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .map_err(|_| anyhow::anyhow!("busy"))?;
    let secs = started.elapsed().as_secs_f64();
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_default();
    println!(
        "pages fetched: {} (new items {}), {:.1}s, {:.0} pages/s; peak memory {hwm}",
        summary.fetched,
        summary.new,
        secs,
        summary.fetched as f64 / secs
    );
    Ok(())
}
