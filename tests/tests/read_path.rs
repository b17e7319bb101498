//! The read path (issue 9, first steps): compressed answers and a cache
//! policy for the site's files.
use blackbox::{Backend, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn answers_are_compressed_when_the_client_accepts_it() {
    let app = spawn_app(Backend::Sqlite).await;
    app.seed_demo().await;
    let c = app.client();
    for (path, accept, want) in [
        ("/api/communities", "gzip", Some("gzip")),
        ("/api/communities", "br, gzip", Some("br")),
        ("/api/communities", "identity", None),
        ("/", "br", Some("br")),
    ] {
        let res = c
            .get(app.url(path))
            .header("Accept-Encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let got = res
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(got.as_deref(), want, "{path} with {accept}");
    }
    app.stop().await;
}

#[tokio::test]
async fn site_files_are_revalidated_not_downloaded_again() {
    let app = spawn_app(Backend::Sqlite).await;
    let pkg = app.data_dir.path().join("site").join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("hongcha.css"),
        "body { color: #333 }\n".repeat(200),
    )
    .unwrap();
    let c = app.client();
    let res = c.get(app.url("/pkg/hongcha.css")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "public, no-cache");
    let modified = res.headers()["last-modified"].to_str().unwrap().to_owned();
    // The second visit asks; the answer is a 304 without the file.
    let res = c
        .get(app.url("/pkg/hongcha.css"))
        .header("If-Modified-Since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.bytes().await.unwrap().is_empty());
    app.stop().await;
}
