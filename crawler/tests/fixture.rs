//! The crawler against a fixture site served by the test on loopback.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use crawler::{CrawlState, Crawler, Source};

#[derive(Default)]
struct Hits {
    limited: AtomicUsize,
    robots: AtomicUsize,
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn list(Query(q): Query<std::collections::HashMap<String, String>>) -> Response {
    let page = q.get("page").map(String::as_str).unwrap_or("1");
    let (links, next) = match page {
        "1" => (
            vec![
                "/post/1",
                "/post/2",
                "/secret/3",
                "/gbk/4",
                "/redirect/5",
                "/big/6",
                "/broken/7",
            ],
            Some("/list?page=2"),
        ),
        _ => (vec!["/post/8", "/post/1", "/post/9", "/limited/10"], None),
    };
    let items: String = links
        .iter()
        .map(|l| format!("<li class=\"item\"><a href=\"{l}\">{l}</a></li>"))
        .collect();
    let next = next
        .map(|n| format!("<a class=\"next\" href=\"{n}\">下一页</a>"))
        .unwrap_or_default();
    html(format!("<html><body><ul>{items}</ul>{next}</body></html>"))
}

fn post_page(title: &str, body: &str) -> String {
    format!(
        "<html><body><h1 class=\"title\">{title}</h1><div class=\"content\"><p>{body}</p></div><span class=\"date\">2026-11-01</span><span class=\"author\">网友13812345678</span></body></html>"
    )
}

async fn post(Path(n): Path<u32>, headers: HeaderMap) -> Response {
    let etag = format!("\"v{n}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    // Post 9 says the same as post 1 (a repost under another address).
    let (title, body) = match n {
        9 | 1 => ("路灯坏了".to_owned(), "小区门口的路灯坏了很久".to_owned()),
        n => (format!("帖子{n}"), format!("第{n}条的内容")),
    };
    ([(header::ETAG, etag)], html(post_page(&title, &body))).into_response()
}

async fn gbk() -> Response {
    let page = post_page("楼道堆物", "三幢楼道堆满杂物");
    let (bytes, _, _) = encoding_rs::GBK.encode(&page);
    (
        [(header::CONTENT_TYPE, "text/html; charset=GBK")],
        bytes.into_owned(),
    )
        .into_response()
}

async fn redirect() -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, "http://10.0.0.1/internal")],
    )
        .into_response()
}

async fn big() -> Response {
    let mut page = post_page("大页面", "开头就有正文");
    page.push_str(&"<p>填充</p>".repeat(700_000)); // ~7 MB
    html(page)
}

async fn broken() -> Response {
    html("<html><body><h1 class=title>没闭合的标题</h1><div class=content><p>内容也没有闭合<table><tr><td>".into())
}

async fn limited(State(h): State<Arc<Hits>>) -> Response {
    if h.limited.fetch_add(1, Ordering::SeqCst) == 0 {
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response();
    }
    html(post_page("限流后成功", "第二次才拿到"))
}

async fn robots(State(h): State<Arc<Hits>>) -> &'static str {
    h.robots.fetch_add(1, Ordering::SeqCst);
    "User-agent: *\nDisallow: /secret\nCrawl-delay: 0.2\n"
}

async fn serve() -> (String, Arc<Hits>) {
    let hits = Arc::new(Hits::default());
    let app = Router::new()
        .route("/robots.txt", get(robots))
        .route("/list", get(list))
        .route("/post/{n}", get(post))
        .route(
            "/secret/{n}",
            get(|| async { html(post_page("秘密", "不该被抓取")) }),
        )
        .route("/gbk/{n}", get(gbk))
        .route("/redirect/{n}", get(redirect))
        .route("/big/{n}", get(big))
        .route("/broken/{n}", get(broken))
        .route("/limited/{n}", get(limited))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

fn source(base: &str) -> Source {
    toml::from_str(&format!(
        r#"
name = "fixture"
start_urls = ["{base}/list?page=1"]
list_item = "li.item"
next_page = "a.next"
title = "h1.title"
body = "div.content"
date = "span.date"
author = "span.author"
min_delay_ms = 0
allow_addresses = ["127.0.0.1"]
"#
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawls_politely_safely_and_incrementally() {
    let (base, hits) = serve().await;
    let mut state = CrawlState::default();
    let mut crawler = Crawler::new(source(&base)).unwrap();
    let started = Instant::now();
    let mut calls = 0;
    let mut count = |_: &crawler::Summary| calls += 1;
    let (items, summary) = crawler.run(&mut state, &mut count).await;
    let took = started.elapsed();

    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "路灯坏了",
            "帖子2",
            "楼道堆物",
            "大页面",
            "没闭合的标题",
            "帖子8",
            "限流后成功"
        ],
        "{summary:?}"
    );
    assert_eq!(summary.new, 7);
    assert_eq!(summary.duplicates, 1, "post 9 repeats post 1");
    assert_eq!(summary.skipped_robots, 1, "/secret is disallowed");
    assert_eq!(summary.errors, 1, "the redirect to 10.0.0.1 is refused");
    assert_eq!(summary.truncated, 1, "the 7 MB page is cut at 5 MB");
    assert!(calls > 0, "progress reported");
    let gbk = items.iter().find(|i| i.url.ends_with("/gbk/4")).unwrap();
    assert_eq!(gbk.body, "三幢楼道堆满杂物");
    assert_eq!(gbk.date.as_deref(), Some("2026-11-01"));
    assert_eq!(
        hits.limited.load(Ordering::SeqCst),
        2,
        "429 then retried after Retry-After"
    );
    assert_eq!(
        hits.robots.load(Ordering::SeqCst),
        1,
        "robots.txt fetched once per host"
    );
    // Crawl-delay 0.2 s between ~13 requests, plus a 1 s Retry-After.
    assert!(
        took >= Duration::from_millis(1000 + 200 * 10),
        "too fast: {took:?}"
    );

    // A second run over the unchanged site stores nothing new.
    let mut again = Crawler::new(source(&base)).unwrap();
    let (items, summary) = again.run(&mut state, &mut |_: &crawler::Summary| {}).await;
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(summary.new, 0);
    assert!(summary.not_modified >= 4, "ETags honoured: {summary:?}");
}

#[tokio::test]
async fn refuses_private_start_urls_unless_allowed() {
    let (base, _) = serve().await;
    let mut src = source(&base);
    src.allow_addresses.clear();
    let mut crawler = Crawler::new(src).unwrap();
    let (items, summary) = crawler
        .run(&mut CrawlState::default(), &mut |_: &crawler::Summary| {})
        .await;
    assert!(items.is_empty());
    assert_eq!(summary.errors, 1);
    assert_eq!(summary.fetched, 0);
}

#[tokio::test]
async fn localhost_by_name_is_refused_at_resolution() {
    let (base, _) = serve().await;
    let mut src = source(&base.replace("127.0.0.1", "localhost"));
    src.allow_addresses.clear();
    let mut crawler = Crawler::new(src).unwrap();
    let (_, summary) = crawler
        .run(&mut CrawlState::default(), &mut |_: &crawler::Summary| {})
        .await;
    assert_eq!(summary.fetched, 0, "{summary:?}");
    assert_eq!(
        summary.skipped_robots, 1,
        "robots.txt unreachable → disallow all"
    );
}
