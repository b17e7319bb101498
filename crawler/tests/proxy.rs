//! Environment proxies must not carry a request past the address guard.
//! Its own test binary: it sets process-wide environment variables.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crawler::{CrawlState, Crawler, Source};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn environment_proxy_is_ignored() {
    // A "proxy" on loopback that counts the connections it gets and answers
    // every request with a page that would be crawled.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = "<html><h1>internal</h1><div class=c>secret</div></html>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(answer.as_bytes()).await;
        }
    });
    // SAFETY: this test binary has one test; nothing else reads the
    // environment concurrently.
    unsafe {
        for k in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
        ] {
            std::env::set_var(k, &proxy);
        }
    }
    let src: Source = toml::from_str(
        r#"
name = "internal"
start_urls = ["http://intranet.internal.invalid/list", "http://127.0.0.1:9/list"]
list_item = "li"
title = "h1"
body = "div.c"
min_delay_ms = 0
"#,
    )
    .unwrap();
    let mut crawler = Crawler::new(src).unwrap();
    let (items, summary) = crawler
        .run(&mut CrawlState::default(), &mut |_: &crawler::Summary| {})
        .await;
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(summary.fetched, 0, "{summary:?}");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "a request went to the environment's proxy"
    );
}
