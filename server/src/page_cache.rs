//! 页面缓存 the public pages many read and few change (home, the opinion
//! list and details, and the JSON behind them), kept rendered and
//! compressed in memory for anonymous visitors.
//!
//! Freshness: every entry is stored under the page version
//! (`Services::page_version`) read *before* its page was rendered, and is
//! served only while that version is still current. The version goes up in
//! the very transaction of any change a public page shows (database
//! triggers, migration 000012), and is read again on every request, so a
//! read after a write's answer — here, on another instance or after a
//! command-line import — never gets the page from before the write.
//!
//! Anonymous only: a request carrying any cookie but the language one is
//! passed through untouched, so a signed-in view is never stored or served
//! to someone else. The language is part of the key.
//!
//! A cached page keeps the script nonce it was rendered with; its CSP names
//! the page's inline scripts by their SHA-256 instead, which allows exactly
//! those scripts and nothing injected beside them.
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use sha2::{Digest, Sha256};

/// Most pages held; the query string is the visitor's to choose.
const MAX_ENTRIES: usize = 4096;
/// Most bytes held (all encodings together).
const MAX_BYTES: usize = 128 * 1024 * 1024;
/// Larger answers are sent but not kept.
const MAX_PAGE: usize = 2 * 1024 * 1024;

/// Whether the answer was served from the cache (`hit`), rendered and kept
/// (`miss`) or rendered for this visitor alone (`bypass`).
pub const CACHE_HEADER: &str = "x-hongcha-cache";

/// The public pages and the public JSON they read.
pub fn cacheable(path: &str) -> bool {
    match path {
        "/" | "/opinions" | "/api/opinions" | "/api/opinion" | "/api/comments" | "/topics"
        | "/api/topics" | "/api/topic" | "/api/opinion_topic" | "/api/v1/topics" => true,
        _ => ["/opinions/", "/topics/"].iter().any(|prefix| {
            path.strip_prefix(prefix).is_some_and(|id| {
                !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit())
            })
        }),
    }
}

/// The query parameters the public pages read. A request with any other
/// is answered but not kept: made-up parameters must not fill the cache or
/// push out the pages people read.
const KNOWN_PARAMS: &[&str] = &[
    "community",
    "category",
    "channel",
    "status",
    "before",
    "id",
    "opinion_id",
    "upload",
    "upload_error",
    "limit",
];

fn known_query(query: Option<&str>) -> bool {
    query.is_none_or(|q| {
        q.len() <= 256
            && q.split('&')
                .filter(|p| !p.is_empty())
                .all(|p| KNOWN_PARAMS.contains(&p.split('=').next().unwrap_or("")))
    })
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    target: String,
    lang: &'static str,
}

struct Entry {
    content_type: HeaderValue,
    csp: Option<HeaderValue>,
    etag: HeaderValue,
    identity: Bytes,
    br: Bytes,
    gzip: Bytes,
}

impl Entry {
    fn size(&self, key: &Key) -> usize {
        // The key is held twice (map and order).
        self.identity.len() + self.br.len() + self.gzip.len() + 2 * key.target.len() + 256
    }
}

#[derive(Default)]
struct Held {
    /// The page version every held entry was rendered at.
    version: i64,
    entries: HashMap<Key, Arc<Entry>>,
    order: VecDeque<Key>,
    bytes: usize,
}

pub struct PageCache {
    services: domain::Services,
    store: Store,
    versions: Arc<VersionReads>,
    renders: Arc<Renders>,
}

impl PageCache {
    pub fn new(services: domain::Services) -> Self {
        Self {
            services,
            store: Store::default(),
            versions: Arc::default(),
            renders: Arc::default(),
        }
    }
}

/// One render per page and version: the visitors who miss a page while it
/// is being rendered wait for that render instead of each rendering it
/// again (after a write, a popular page would otherwise be rendered by
/// everyone reading it at that moment).
#[derive(Default)]
struct Renders {
    waiting: Mutex<HashMap<(i64, Key), Vec<Waiter>>>,
}

/// Where a waiting visitor gets the entry rendered for them.
type Waiter = tokio::sync::oneshot::Sender<Arc<Entry>>;

enum Turn {
    /// Render it; the guard hands the result to those who wait.
    Render(Rendering),
    /// Someone is rendering it: wait for their entry.
    Wait(tokio::sync::oneshot::Receiver<Arc<Entry>>),
}

impl Renders {
    fn turn(self: &Arc<Self>, version: i64, key: &Key) -> Turn {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let id = (version, key.clone());
        match waiting.get_mut(&id) {
            Some(list) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                list.push(tx);
                Turn::Wait(rx)
            }
            None => {
                waiting.insert(id.clone(), Vec::new());
                Turn::Render(Rendering {
                    renders: self.clone(),
                    id: Some(id),
                })
            }
        }
    }
}

/// The renderer's place in [`Renders`]. Finishing hands the entry to every
/// waiter; dropping it unfinished (the page was not kept, or the visitor
/// went away) lets the waiters render for themselves.
struct Rendering {
    renders: Arc<Renders>,
    id: Option<(i64, Key)>,
}

impl Rendering {
    fn finish(mut self, entry: &Arc<Entry>) {
        for w in self.take() {
            let _ = w.send(entry.clone());
        }
    }

    fn take(&mut self) -> Vec<Waiter> {
        let Some(id) = self.id.take() else {
            return Vec::new();
        };
        let mut waiting = self
            .renders
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        waiting.remove(&id).unwrap_or_default()
    }
}

impl Drop for Rendering {
    fn drop(&mut self) {
        // Dropped senders wake the waiters with an error: they render.
        drop(self.take());
    }
}

/// The page version, read for many requests at once: at most one read is
/// running per instance, and every request that arrives meanwhile waits for
/// the *next* read, which starts after it arrived — so it still sees every
/// write answered before it came, while 64 waiting readers cost one query.
#[derive(Default)]
struct VersionReads {
    state: Mutex<VersionState>,
}

#[derive(Default)]
struct VersionState {
    running: bool,
    waiting: Vec<tokio::sync::oneshot::Sender<Option<i64>>>,
}

impl VersionReads {
    async fn current(self: &Arc<Self>, services: &domain::Services) -> Option<i64> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let start = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            st.waiting.push(tx);
            !std::mem::replace(&mut st.running, true)
        };
        if start {
            // Its own task: a visitor who goes away does not stop the reads
            // others wait for.
            let (reads, services) = (self.clone(), services.clone());
            tokio::spawn(async move {
                // However this task ends, nobody is left waiting for it.
                struct Done(Option<Arc<VersionReads>>);
                impl Drop for Done {
                    fn drop(&mut self) {
                        if let Some(reads) = self.0.take() {
                            let mut st = reads.state.lock().unwrap_or_else(|e| e.into_inner());
                            st.running = false;
                            st.waiting.clear();
                        }
                    }
                }
                let mut done = Done(Some(reads.clone()));
                loop {
                    let batch = {
                        let mut st = reads.state.lock().unwrap_or_else(|e| e.into_inner());
                        if st.waiting.is_empty() {
                            st.running = false;
                            done.0 = None;
                            break;
                        }
                        std::mem::take(&mut st.waiting)
                    };
                    let version = services.page_version().await.ok();
                    for w in batch {
                        let _ = w.send(version);
                    }
                }
            });
        }
        rx.await.ok().flatten()
    }
}

#[derive(Default)]
struct Store {
    held: Mutex<Held>,
}

impl Store {
    fn get(&self, version: i64, key: &Key) -> Option<Arc<Entry>> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        (held.version == version)
            .then(|| held.entries.get(key).cloned())
            .flatten()
    }

    fn put(&self, version: i64, key: Key, entry: Arc<Entry>) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if version < held.version {
            return; // rendered from data older than what is held now
        }
        if version > held.version {
            // The version only goes up: everything held is stale.
            *held = Held {
                version,
                ..Held::default()
            };
        }
        let size = entry.size(&key);
        if let Some(old) = held.entries.insert(key.clone(), entry) {
            held.bytes -= old.size(&key);
        } else {
            held.order.push_back(key);
        }
        held.bytes += size;
        while held.entries.len() > MAX_ENTRIES || held.bytes > MAX_BYTES {
            let Some(oldest) = held.order.pop_front() else {
                break;
            };
            if let Some(gone) = held.entries.remove(&oldest) {
                held.bytes -= gone.size(&oldest);
            }
        }
    }
}

/// Whether a request may share answers with other anonymous visitors: no
/// cookie but `lang`.
fn anonymous(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().or(Some("?")))
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .all(|c| c.starts_with("lang="))
}

/// The encoding to send: brotli, else gzip, else none.
fn preferred_encoding(headers: &HeaderMap) -> Option<&'static str> {
    let mut best: Option<(&'static str, f32)> = None;
    for v in headers.get_all(header::ACCEPT_ENCODING) {
        for item in v.to_str().unwrap_or("").split(',') {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let enc = match name.to_ascii_lowercase().as_str() {
                "br" => "br",
                "gzip" => "gzip",
                _ => continue,
            };
            // Equal weights: brotli (smaller) wins.
            let better = best.is_none_or(|(b, bq)| q > bq || (q == bq && enc == "br" && b != "br"));
            if q > 0.0 && better {
                best = Some((enc, q));
            }
        }
    }
    best.map(|(e, _)| e)
}

/// `script-src` entries for the inline scripts of `html` that carry the
/// render's `nonce` (Leptos puts it on each of its own): one SHA-256 each.
/// A script without it — nothing Leptos wrote — stays blocked.
fn script_hashes(html: &[u8], nonce: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(html);
    // ASCII lower-casing keeps byte offsets, so tags are found in any case.
    let lower = text.to_ascii_lowercase();
    let marker = format!("nonce=\"{nonce}\"");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| at + i) {
        let Some(open_end) = lower[start..].find('>').map(|i| start + i) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|i| open_end + i) else {
            break;
        };
        let attrs = &text[start..open_end];
        let body = &text[open_end + 1..close];
        at = close + 8;
        if nonce.is_empty() || !attrs.contains(&marker) || lower[start..open_end].contains("src=") {
            continue;
        }
        let digest = Sha256::digest(body.as_bytes());
        out.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
    }
    out.sort();
    out.dedup();
    out
}

/// The CSP of a cached page: the rendered one with its nonce replaced by
/// the hashes of the page's own inline scripts.
fn cached_csp(rendered: Option<&HeaderValue>, html: &[u8]) -> Option<HeaderValue> {
    let csp = rendered?.to_str().ok()?;
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or("");
    let hashes = script_hashes(html, nonce).join(" ");
    let out: Vec<String> = csp
        .split(';')
        .map(|directive| {
            let d = directive.trim();
            if d.starts_with("script-src") {
                d.split_whitespace()
                    .filter(|t| !t.starts_with("'nonce-"))
                    .chain(std::iter::once(hashes.as_str()).filter(|h| !h.is_empty()))
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                d.to_owned()
            }
        })
        .collect();
    HeaderValue::from_str(&out.join("; ")).ok()
}

fn compress(raw: &[u8]) -> std::io::Result<(Bytes, Bytes)> {
    let mut br = Vec::with_capacity(raw.len() / 4);
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 32 * 1024, 6, 22);
        w.write_all(raw)?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(raw)?;
    Ok((Bytes::from(br), Bytes::from(gz.finish()?)))
}

fn respond(entry: &Entry, req_headers: &HeaderMap, state: &'static str) -> Response {
    let not_modified = req_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == entry.etag.to_str().unwrap_or(""))
        });
    let encoding = preferred_encoding(req_headers);
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = match encoding {
            Some("br") => entry.br.clone(),
            Some(_) => entry.gzip.clone(),
            None => entry.identity.clone(),
        };
        Response::new(Body::from(body))
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, entry.content_type.clone());
    if let Some(enc) = encoding.filter(|_| !not_modified) {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, accept-language, cookie"),
    );
    h.insert(header::ETAG, entry.etag.clone());
    // Any cache may keep it, but must ask again before each use.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(csp) = &entry.csp {
        h.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    }
    h.insert(CACHE_HEADER, HeaderValue::from_static(state));
    res
}

/// The whole body when it is at most `limit` bytes; otherwise a body that
/// gives what was read followed by the rest, to be sent without keeping.
async fn collect_up_to(mut body: Body, limit: usize) -> Result<Bytes, Body> {
    use http_body_util::BodyExt;
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(Body::from(buf.freeze()));
        };
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
        }
        if buf.len() > limit {
            let head =
                futures_util::stream::once(std::future::ready(Ok::<_, axum::Error>(buf.freeze())));
            return Err(Body::from_stream(futures_util::StreamExt::chain(
                head,
                body.into_data_stream(),
            )));
        }
    }
    Ok(buf.freeze())
}

/// The middleware: answers anonymous GETs of public pages from the cache,
/// or renders, keeps and answers them.
pub async fn serve(State(cache): State<Arc<PageCache>>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET || !cacheable(req.uri().path()) {
        return next.run(req).await;
    }
    if !anonymous(req.headers()) || !known_query(req.uri().query()) {
        let mut res = next.run(req).await;
        let h = res.headers_mut();
        h.insert(CACHE_HEADER, HeaderValue::from_static("bypass"));
        // A personal page: no shared cache may keep it or give it to others.
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("private, no-cache"));
        h.append(header::VARY, HeaderValue::from_static("cookie"));
        return res;
    }
    // Read before rendering: a page is never stored under a version newer
    // than the data it was rendered from.
    let Some(version) = cache.versions.current(&cache.services).await else {
        return next.run(req).await;
    };
    let key = Key {
        target: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        lang: app::i18n::lang_from_headers(req.headers()).code(),
    };
    if let Some(entry) = cache.store.get(version, &key) {
        return respond(&entry, req.headers(), "hit");
    }
    let rendering = match cache.renders.turn(version, &key) {
        Turn::Render(r) => Some(r),
        Turn::Wait(rx) => {
            // Rendered for someone else a moment ago, at this version: as
            // fresh as a render of our own would be.
            if let Ok(entry) = rx.await {
                return respond(&entry, req.headers(), "hit");
            }
            None
        }
    };
    let req_headers = req.headers().clone();
    let res = next.run(req).await;
    let content_type = res.headers().get(header::CONTENT_TYPE).cloned();
    let personal = res
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store") || v.contains("private"));
    let storable = res.status() == StatusCode::OK
        && !personal
        && !res.headers().contains_key(header::SET_COOKIE)
        && !res.headers().contains_key(header::CONTENT_ENCODING)
        && content_type.as_ref().is_some_and(|t| {
            let t = t.to_str().unwrap_or("");
            t.starts_with("text/html") || t.starts_with("application/json")
        });
    let Some(content_type) = content_type.filter(|_| storable) else {
        return res;
    };
    let (parts, body) = res.into_parts();
    let raw = match collect_up_to(body, MAX_PAGE).await {
        Ok(raw) => raw,
        Err(body) => return Response::from_parts(parts, body),
    };
    let is_html = content_type
        .to_str()
        .is_ok_and(|t| t.starts_with("text/html"));
    let csp = if is_html {
        cached_csp(parts.headers.get(header::CONTENT_SECURITY_POLICY), &raw)
    } else {
        parts.headers.get(header::CONTENT_SECURITY_POLICY).cloned()
    };
    let built = tokio::task::spawn_blocking(move || {
        let (br, gzip) = compress(&raw)?;
        let tag = hex::encode(&Sha256::digest(&raw)[..12]);
        let etag = HeaderValue::from_str(&format!("W/\"{tag}\"")).map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(Entry {
            content_type,
            csp,
            etag,
            identity: raw,
            br,
            gzip,
        })
    })
    .await;
    match built {
        Ok(Ok(entry)) => {
            let entry = Arc::new(entry);
            cache.store.put(version, key, entry.clone());
            if let Some(r) = rendering {
                r.finish(&entry);
            }
            respond(&entry, &req_headers, "miss")
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_query_parameters_are_kept() {
        assert!(known_query(None));
        assert!(known_query(Some("community=3&before=500")));
        assert!(known_query(Some("id=7")));
        assert!(!known_query(Some("community=3&x=1")));
        assert!(!known_query(Some(&"before=1&".repeat(100))));
    }

    #[test]
    fn only_public_paths_are_cached() {
        for p in [
            "/",
            "/opinions",
            "/opinions/42",
            "/api/opinions",
            "/api/opinion",
        ] {
            assert!(cacheable(p), "{p}");
        }
        for p in [
            "/opinions/new",
            "/opinions/",
            "/opinions/4x",
            "/me",
            "/staff",
            "/login",
            "/api/me",
        ] {
            assert!(!cacheable(p), "{p}");
        }
    }

    #[test]
    fn any_cookie_but_the_language_makes_a_request_personal() {
        let mut h = HeaderMap::new();
        assert!(anonymous(&h));
        h.insert(header::COOKIE, HeaderValue::from_static("lang=en"));
        assert!(anonymous(&h));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("hongcha_session=abc"),
        );
        assert!(!anonymous(&h));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("lang=zh; other=1"));
        assert!(!anonymous(&h));
    }

    #[test]
    fn encodings_follow_the_clients_weights() {
        let pick = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            preferred_encoding(&h)
        };
        assert_eq!(pick("gzip, deflate, br"), Some("br"));
        assert_eq!(pick("gzip"), Some("gzip"));
        assert_eq!(pick("br;q=0, gzip"), Some("gzip"));
        assert_eq!(pick("br;q=0.5, gzip;q=0.9"), Some("gzip"));
        assert_eq!(pick("identity"), None);
        assert_eq!(preferred_encoding(&HeaderMap::new()), None);
    }

    #[test]
    fn a_cached_pages_csp_allows_exactly_its_inline_scripts() {
        let html = br#"<html><script type="module" nonce="abc">init()</script>
            <script src="/pkg/x.js"></script><script nonce="abc">__R=1</script>
            <script>stolen()</script><SCRIPT nonce="zzz">other()</SCRIPT></html>"#;
        let csp = HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'; object-src 'none'",
        );
        let out = cached_csp(Some(&csp), html).unwrap();
        let out = out.to_str().unwrap();
        assert!(!out.contains("nonce-"), "{out}");
        let h = |s: &str| {
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
            )
        };
        assert!(out.contains(&h("init()")), "{out}");
        assert!(out.contains(&h("__R=1")), "{out}");
        // Only the render's own scripts: none without its nonce.
        assert!(!out.contains(&h("stolen()")), "{out}");
        assert!(!out.contains(&h("other()")), "{out}");
        assert_eq!(out.matches("'sha256-").count(), 2, "{out}");
        assert!(out.contains("'wasm-unsafe-eval'") && out.contains("object-src 'none'"));
    }

    #[test]
    fn a_newer_version_drops_everything_and_an_older_render_is_not_kept() {
        let cache = Store::default();
        let key = |t: &str| Key {
            target: t.into(),
            lang: "zh-CN",
        };
        let entry = || {
            Arc::new(Entry {
                content_type: HeaderValue::from_static("text/html"),
                csp: None,
                etag: HeaderValue::from_static("W/\"x\""),
                identity: Bytes::from_static(b"x"),
                br: Bytes::new(),
                gzip: Bytes::new(),
            })
        };
        cache.put(5, key("/"), entry());
        assert!(cache.get(5, &key("/")).is_some());
        assert!(cache.get(6, &key("/")).is_none(), "a newer version misses");
        cache.put(6, key("/opinions"), entry());
        assert!(
            cache.get(6, &key("/")).is_none(),
            "older entries are dropped"
        );
        cache.put(5, key("/"), entry());
        assert!(
            cache.get(5, &key("/")).is_none(),
            "a render from older data is not kept"
        );
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(6, key(&format!("/opinions?p={i}")), entry());
        }
        let held = cache.held.lock().unwrap();
        assert!(held.entries.len() <= MAX_ENTRIES);
        assert_eq!(held.entries.len(), held.order.len());
    }

    #[tokio::test]
    async fn visitors_who_miss_a_page_being_rendered_wait_for_that_render() {
        let renders = Arc::new(Renders::default());
        let key = |t: &str| Key {
            target: t.into(),
            lang: "zh-CN",
        };
        let entry = Arc::new(Entry {
            content_type: HeaderValue::from_static("text/html"),
            csp: None,
            etag: HeaderValue::from_static("W/\"r\""),
            identity: Bytes::from_static(b"rendered once"),
            br: Bytes::new(),
            gzip: Bytes::new(),
        });
        let Turn::Render(first) = renders.turn(7, &key("/")) else {
            panic!("the first visitor renders");
        };
        let waiters: Vec<_> = (0..3)
            .map(|_| match renders.turn(7, &key("/")) {
                Turn::Wait(rx) => rx,
                Turn::Render(_) => panic!("a second render of the same page"),
            })
            .collect();
        // Another page, or the same page at another version, is its own render.
        assert!(matches!(
            renders.turn(7, &key("/opinions")),
            Turn::Render(_)
        ));
        assert!(matches!(renders.turn(8, &key("/")), Turn::Render(_)));
        first.finish(&entry);
        for rx in waiters {
            assert_eq!(rx.await.unwrap().identity, entry.identity);
        }
        // Done: the next miss renders again.
        let Turn::Render(again) = renders.turn(7, &key("/")) else {
            panic!("nobody is rendering any more");
        };
        let Turn::Wait(rx) = renders.turn(7, &key("/")) else {
            panic!("wait for the render under way");
        };
        // A render that is not kept (an error, a visitor gone) lets the
        // waiters render for themselves instead of waiting forever.
        drop(again);
        assert!(rx.await.is_err());
        assert!(matches!(renders.turn(7, &key("/")), Turn::Render(_)));
    }
}
