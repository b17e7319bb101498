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

/// Whatever is cached later, a reader must never see a stale page after a
/// write has answered: published → on the very next read of the list, the
/// JSON list and the detail page; rejected → gone from all three.
#[tokio::test]
async fn a_moderation_decision_shows_on_the_very_next_read() {
    for backend in blackbox::backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let community = app.first_community().await;
        let resident = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let anon = app.client();
        let title = "三幢楼道灯坏了很多天";
        let id = app.submit(&resident, &community, title, "raw-1").await;
        let seen = |app: &blackbox::TestApp, c: &reqwest::Client| {
            let (list, json, detail) = (
                app.url("/opinions"),
                app.url("/api/opinions"),
                app.url(&format!("/opinions/{id}")),
            );
            let c = c.clone();
            async move {
                let list = c.get(list).send().await.unwrap().text().await.unwrap();
                let json = c.get(json).send().await.unwrap().text().await.unwrap();
                let detail = c.get(detail).send().await.unwrap();
                let detail_ok = detail.status() == StatusCode::OK
                    && detail.text().await.unwrap().contains(title);
                (list.contains(title), json.contains(title), detail_ok)
            }
        };
        // Read before, so anything that caches has it cached.
        assert_eq!(
            seen(&app, &anon).await,
            (false, false, false),
            "{backend:?}"
        );
        let decide = |form: &'static [(&'static str, &'static str)]| {
            let (app, staff) = (&app, &staff);
            async move {
                let mut f = vec![("id", id.to_string())];
                f.extend(form.iter().map(|(k, v)| (*k, v.to_string())));
                let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let res = app.call(staff, "moderate_opinion", &f).await;
                assert!(res.status().is_success(), "{}", res.status());
            }
        };
        decide(&[("decision", "approve")]).await;
        assert_eq!(
            seen(&app, &anon).await,
            (true, true, true),
            "{backend:?}: published"
        );
        decide(&[("decision", "reject"), ("reason", "重复反映")]).await;
        assert_eq!(
            seen(&app, &anon).await,
            (false, false, false),
            "{backend:?}: rejected"
        );
        app.stop().await;
    }
}
