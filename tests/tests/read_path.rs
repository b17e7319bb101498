//! The read path (issue 9): compressed answers, fingerprinted site files
//! kept for a year, and public pages served from a cache that a write
//! invalidates before its answer is given — on every instance.
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
    assert_not_modified(
        &c,
        &app.url("/pkg/hongcha.css"),
        "If-Modified-Since",
        &modified,
    )
    .await;
    app.stop().await;
}

/// A reader must never see a stale page after a write has answered:
/// published → on the very next read of the list, the JSON list and the
/// detail page; corrected by staff → the new wording there and the old one
/// gone; rejected → gone from all three. Read through this instance and a
/// second one on the same database, each with the pages cached beforehand.
#[tokio::test]
async fn a_moderation_decision_shows_on_the_very_next_read() {
    for backend in blackbox::backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let (other, other_handle) = app.second_instance().await;
        let community = app.first_community().await;
        let resident = app.logged_in("13800000001").await;
        let staff = app.logged_in("13800000002").await;
        let anon = app.client();
        let title = "三幢楼道灯坏了很多天";
        let fixed = "三幢楼道灯已坏两周";
        let id = app.submit(&resident, &community, title, "raw-1").await;
        let seen = |base: &str, c: &reqwest::Client, text: &'static str| {
            let (list, json, detail) = (
                format!("{base}/opinions"),
                format!("{base}/api/opinions"),
                format!("{base}/opinions/{id}"),
            );
            let c = c.clone();
            async move {
                let ok = |res: reqwest::Response| async move {
                    assert_eq!(res.status(), StatusCode::OK, "{}", res.url());
                    assert!(
                        ["hit", "miss"].contains(&cache_state(&res).as_str()),
                        "anonymous reads go through the cache"
                    );
                    res.text().await.unwrap()
                };
                let list = ok(c.get(list).send().await.unwrap()).await;
                let json = ok(c.get(json).send().await.unwrap()).await;
                let detail = c.get(detail).send().await.unwrap();
                let detail_ok = detail.status() == StatusCode::OK
                    && detail.text().await.unwrap().contains(text);
                (list.contains(text), json.contains(text), detail_ok)
            }
        };
        let bases = [app.addr.clone(), other.clone()];
        // Read twice before, so the cache holds every page.
        for base in &bases {
            for _ in 0..2 {
                assert_eq!(
                    seen(base, &anon, title).await,
                    (false, false, false),
                    "{backend:?}"
                );
            }
        }
        let act = |endpoint: &'static str, form: Vec<(&'static str, String)>| {
            let (app, staff) = (&app, &staff);
            async move {
                let mut f = vec![("id", id.to_string())];
                f.extend(form);
                let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let res = app.call(staff, endpoint, &f).await;
                assert!(res.status().is_success(), "{endpoint}: {}", res.status());
            }
        };
        act("moderate_opinion", vec![("decision", "approve".into())]).await;
        for base in &bases {
            assert_eq!(
                seen(base, &anon, title).await,
                (true, true, true),
                "{backend:?} {base}: published"
            );
        }
        let category = app.get_json(&staff, "/api/categories").await[0]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        act(
            "edit_opinion",
            vec![
                ("title", fixed.into()),
                ("body", "灯坏了两周，晚上上下楼很危险，请尽快修理。".into()),
                ("category", category),
            ],
        )
        .await;
        for base in &bases {
            assert_eq!(
                seen(base, &anon, fixed).await,
                (true, true, true),
                "{backend:?} {base}: corrected"
            );
            assert_eq!(
                seen(base, &anon, title).await,
                (false, false, false),
                "{backend:?} {base}: old wording"
            );
        }
        act(
            "moderate_opinion",
            vec![("decision", "reject".into()), ("reason", "重复反映".into())],
        )
        .await;
        for base in &bases {
            assert_eq!(
                seen(base, &anon, fixed).await,
                (false, false, false),
                "{backend:?} {base}: rejected"
            );
        }
        other_handle.abort();
        let _ = other_handle.await;
        app.stop().await;
    }
}

/// A conditional GET is answered with a 304 and no body.
async fn assert_not_modified(c: &reqwest::Client, url: &str, header: &str, value: &str) {
    let res = c.get(url).header(header, value).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{url}");
    assert!(res.bytes().await.unwrap().is_empty(), "{url}");
}

fn cache_state(res: &reqwest::Response) -> String {
    res.headers()
        .get("x-hongcha-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Anonymous readers share one rendered copy per page and language;
/// anyone with a session gets their own, never stored, never served to
/// others. A cached page's CSP allows exactly its own inline scripts.
#[tokio::test]
async fn anonymous_pages_come_from_the_cache_and_personal_ones_never_do() {
    use base64::Engine;
    use sha2::Digest;
    for backend in blackbox::backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        let anon = app.client();
        let resident = app.logged_in("13800000001").await;
        for path in ["/", "/opinions", "/api/opinions"] {
            let first = anon.get(app.url(path)).send().await.unwrap();
            assert_eq!(cache_state(&first), "miss", "{backend:?} {path}");
            let first = first.text().await.unwrap();
            let second = anon.get(app.url(path)).send().await.unwrap();
            assert_eq!(cache_state(&second), "hit", "{backend:?} {path}");
            let csp = second.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            let second = second.text().await.unwrap();
            assert_eq!(first, second, "{path}");
            if path != "/api/opinions" {
                assert!(!csp.contains("'nonce-"), "{csp}");
                // Every inline script of the page is named by its hash.
                let mut rest = second.as_str();
                let mut scripts = 0;
                while let Some(i) = rest.find("<script") {
                    rest = &rest[i..];
                    let open = rest.find('>').unwrap();
                    let close = rest.find("</script>").unwrap();
                    if !rest[..open].contains("src=") {
                        let h = base64::engine::general_purpose::STANDARD
                            .encode(sha2::Sha256::digest(&rest.as_bytes()[open + 1..close]));
                        assert!(csp.contains(&format!("'sha256-{h}'")), "{path}: {csp}");
                        scripts += 1;
                    }
                    rest = &rest[close..];
                }
                assert!(scripts > 0, "{path} has its hydration script");
            }
            // Signed in: rendered for this person, never from the cache.
            let mine = resident.get(app.url(path)).send().await.unwrap();
            assert_eq!(cache_state(&mine), "bypass", "{path}");
            let mine = mine.text().await.unwrap();
            if path == "/" {
                assert!(
                    first.contains("href=\"/register\""),
                    "the anonymous home invites to register"
                );
                assert!(
                    !mine.contains("href=\"/register\""),
                    "a resident's home does not"
                );
                assert!(
                    mine.contains("data-area=") && !first.contains("data-area="),
                    "a resident's header links their areas"
                );
            }
            let again = anon.get(app.url(path)).send().await.unwrap();
            assert_eq!(cache_state(&again), "hit");
            assert_eq!(
                again.text().await.unwrap(),
                first,
                "no personal view leaks to the cache"
            );
        }
        // A language is a page of its own.
        let en = anon
            .get(app.url("/opinions"))
            .header("Accept-Language", "en-GB,en;q=0.9")
            .send()
            .await
            .unwrap();
        assert_eq!(cache_state(&en), "miss");
        let en = en.text().await.unwrap();
        assert!(en.contains("lang=\"en\""), "English page");
        let zh = anon
            .get(app.url("/opinions"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(zh.contains("lang=\"zh-CN\""), "Chinese page");
        // An unknown cookie makes the request personal, too.
        let odd = anon
            .get(app.url("/opinions"))
            .header("Cookie", "something=1")
            .send()
            .await
            .unwrap();
        assert_eq!(cache_state(&odd), "bypass");
        // Revalidation: the ETag answers a second visit with a 304.
        let res = anon.get(app.url("/opinions")).send().await.unwrap();
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        assert_not_modified(&anon, &app.url("/opinions"), "If-None-Match", &etag).await;
        app.stop().await;
    }
}

/// The site's files get names from their content: pages name them, they
/// are kept for a year, the plain names are still revalidated, and a name
/// with a fingerprint of no current file is a 404.
#[tokio::test]
async fn site_files_are_named_by_their_content_and_kept_a_year() {
    let app = spawn_app(Backend::Sqlite).await;
    let pkg = app.data_dir.path().join("site").join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let js = "export default function init(){}\nexport function hydrate(){}\n".repeat(50);
    std::fs::write(pkg.join("hongcha.js"), &js).unwrap();
    std::fs::write(pkg.join("hongcha.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(pkg.join("hongcha.css"), "main { margin: 0 }\n").unwrap();
    // The names are worked out when a server starts.
    let (base, handle) = app.second_instance().await;
    let c = app.client();
    let page = c
        .get(format!("{base}/opinions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let named = |ext: &str| -> String {
        let end = page
            .find(&format!(".{ext}\""))
            .unwrap_or_else(|| panic!("{ext} named: {page}"));
        let start = page[..end].rfind("/pkg/hongcha.").unwrap();
        page[start..end + 1 + ext.len()].to_owned()
    };
    let (js_url, wasm_url, css_url) = (named("js"), named("wasm"), named("css"));
    for (url, body) in [
        (&js_url, js.as_bytes()),
        (&css_url, b"main { margin: 0 }\n".as_slice()),
    ] {
        let hash = url
            .trim_start_matches("/pkg/hongcha.")
            .split('.')
            .next()
            .unwrap();
        assert_eq!(hash.len(), 16, "{url}");
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{url}");
        let res = c.get(format!("{base}{url}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(res.bytes().await.unwrap(), body, "{url}");
    }
    let res = c.get(format!("{base}{wasm_url}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/wasm");
    let res = c
        .get(format!("{base}/pkg/hongcha.0123456789abcdef.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = c
        .get(format!("{base}/pkg/hongcha.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "public, no-cache");
    for hostile in [
        "/pkg/..%2F..%2Fhongcha.db",
        "/pkg/%2e%2e/%2e%2e/hongcha.db",
        "/pkg/../hongcha.db",
    ] {
        let res = c.get(format!("{base}{hostile}")).send().await.unwrap();
        assert!(
            res.status().is_client_error(),
            "{hostile}: {}",
            res.status()
        );
    }
    handle.abort();
    let _ = handle.await;
    app.stop().await;
}
