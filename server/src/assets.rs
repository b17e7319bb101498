//! Fingerprinted names for the site's files: `/pkg/hongcha.<hash>.wasm`
//! (and `.js`, `.css`) where `<hash>` is taken from the file's content when
//! the server starts. A name that changes whenever the content does can be
//! kept by browsers for a year without asking again (`immutable`); the page
//! itself (`no-cache`) names the current files.
//!
//! The names are worked out here rather than by the build, so any build in
//! any site folder gets them, and two instances serving the same files agree
//! on them. Requests for a fingerprinted name are answered from the plain
//! file (and its precompressed copies); an unknown fingerprint is a 404.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Clone, Debug, Default)]
pub struct Fingerprints {
    /// `hongcha.<hash>.js` → `hongcha.js`, for every file fingerprinted.
    pub files: HashMap<String, String>,
    /// What Leptos' hydration scripts read (`js: …`, `wasm: …`), when the
    /// site has both files.
    pub hash_file: Option<PathBuf>,
    /// The stylesheet's path for the page head.
    pub css: Option<String>,
}

impl Fingerprints {
    /// The plain file a fingerprinted name stands for.
    pub fn resolve(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }
}

/// The loader a split build puts beside the main script.
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

fn hash_of(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(hex::encode(&Sha256::digest(&bytes)[..8]))
}

/// Fingerprints the site's files under `pkg_dir` (`<output>.js`, the wasm as
/// `<output>.wasm` or `<output>_bg.wasm`, `<output>.css`) and writes the
/// hash file Leptos reads into `state_dir`. A site without its files (tests
/// of the server alone) gets none, and the plain names are used.
pub fn fingerprint(pkg_dir: &Path, output: &str, state_dir: &Path) -> Fingerprints {
    let mut out = Fingerprints::default();
    let mut hashes: Vec<(&str, String)> = Vec::new();
    // A split build (`--split`): the lazily loaded parts import the main
    // script by its plain name, so the page must load it by that name too
    // (one module, one wasm instance). It is small and revalidated; the
    // wasm and the stylesheet keep their fingerprints.
    let split = pkg_dir.join(SPLIT_LOADER).exists();
    let candidates = [
        ("js", format!("{output}.js")),
        ("wasm", format!("{output}.wasm")),
        ("wasm", format!("{output}_bg.wasm")),
        ("css", format!("{output}.css")),
    ];
    for (kind, name) in candidates {
        if hashes.iter().any(|(k, _)| *k == kind) || (split && kind == "js") {
            continue;
        }
        let Ok(hash) = hash_of(&pkg_dir.join(&name)) else {
            continue;
        };
        // The hydration script asks for `<output>.<hash>.wasm` whatever the
        // file on disk is called.
        let ext = kind;
        out.files
            .insert(format!("{output}.{hash}.{ext}"), name.clone());
        if kind == "css" {
            out.css = Some(format!("/pkg/{output}.{hash}.css"));
        }
        hashes.push((kind, hash));
    }
    let js = hashes.iter().find(|(k, _)| *k == "js").map(|(_, h)| h);
    let wasm = hashes.iter().find(|(k, _)| *k == "wasm").map(|(_, h)| h);
    let js = match (js, split) {
        (Some(js), false) => Some(js.as_str()),
        (_, true) => Some("plain"),
        (None, false) => None,
    };
    if let (Some(js), Some(wasm)) = (js, wasm) {
        // Named after what it says, and written whole (temporary file, then
        // rename): instances of different builds sharing a data folder
        // (a rolling deploy) never read each other's names.
        let path = state_dir.join(format!("site-hashes-{js}-{wasm}.txt"));
        let tmp = state_dir.join(format!(
            "site-hashes-{js}-{wasm}.{}.tmp",
            std::process::id()
        ));
        let text = if split {
            format!("wasm: {wasm}\n")
        } else {
            format!("js: {js}\nwasm: {wasm}\n")
        };
        let written = std::fs::create_dir_all(state_dir)
            .and_then(|_| std::fs::write(&tmp, text))
            .and_then(|_| std::fs::rename(&tmp, &path))
            .and_then(|_| std::path::absolute(&path));
        match written {
            Ok(abs) => out.hash_file = Some(abs),
            Err(e) => {
                tracing::warn!(error = %e, "the site's file names could not be fingerprinted");
                out.files.retain(|k, _| k.ends_with(".css"));
            }
        }
    } else {
        // Without both, the hydration script uses the plain names.
        out.files.retain(|k, _| k.ends_with(".css"));
    }
    out
}

/// The handler for `/pkg/…`: a fingerprinted name is the plain file, kept
/// for a year; a plain name must be revalidated each time (`no-cache`,
/// answered with a 304 while it is unchanged). A `.br` / `.gz` copy next to
/// the file is sent when the browser accepts it (see `precompress`).
pub struct SiteFiles {
    dir: tower_http::services::ServeDir,
    prints: std::sync::Arc<Fingerprints>,
}

impl SiteFiles {
    pub fn new(pkg_dir: &Path, prints: std::sync::Arc<Fingerprints>) -> Self {
        Self {
            dir: tower_http::services::ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
            prints,
        }
    }
}

pub async fn site_file(
    axum::extract::State(files): axum::extract::State<std::sync::Arc<SiteFiles>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    mut req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http::{HeaderValue, header};
    use tower::ServiceExt;
    let (real, immutable) = match files.prints.resolve(&name) {
        Some(real) => (real.to_owned(), true),
        None => (name, false),
    };
    // ServeDir checks the path (no `..`, no absolute paths) itself.
    let Ok(uri) = format!("/{}", crate::middleware::encode_path(&real)).parse() else {
        return http::StatusCode::NOT_FOUND.into_response();
    };
    *req.uri_mut() = uri;
    let mut res = match files.dir.clone().oneshot(req).await {
        Ok(res) => res.into_response(),
        Err(never) => match never {},
    };
    if res.status().is_success() || res.status() == http::StatusCode::NOT_MODIFIED {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "public, no-cache"
            }),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_follow_the_content() {
        let site = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let pkg = site.path();
        std::fs::write(pkg.join("hongcha.js"), "export function hydrate(){}").unwrap();
        std::fs::write(pkg.join("hongcha.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(pkg.join("hongcha.css"), "body{}").unwrap();
        let first = super::fingerprint(pkg, "hongcha", state.path());
        assert_eq!(first.files.len(), 3);
        let wasm = first
            .files
            .iter()
            .find(|(_, v)| *v == "hongcha.wasm")
            .unwrap()
            .0
            .clone();
        assert!(
            wasm.starts_with("hongcha.") && wasm.ends_with(".wasm") && wasm.len() == 8 + 16 + 5
        );
        let hashes = std::fs::read_to_string(first.hash_file.as_ref().unwrap()).unwrap();
        assert!(
            hashes.contains(&format!("wasm: {}", &wasm[8..24])),
            "{hashes}"
        );
        assert_eq!(first.resolve(&wasm), Some("hongcha.wasm"));
        assert_eq!(first.resolve("hongcha.0000000000000000.wasm"), None);

        std::fs::write(pkg.join("hongcha.css"), "body{color:red}").unwrap();
        let second = super::fingerprint(pkg, "hongcha", state.path());
        assert_ne!(first.css, second.css, "a changed file gets a new name");
        assert!(
            second.resolve(&wasm).is_some(),
            "an unchanged one keeps its name"
        );
    }

    /// The lazily loaded parts of a split build import `./hongcha.js`: the
    /// page names the main script the same way, or the browser would run
    /// it twice, with two wasm instances.
    #[test]
    fn a_split_build_keeps_the_main_script_name() {
        let site = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let pkg = site.path();
        std::fs::write(pkg.join("hongcha.js"), "export function hydrate(){}").unwrap();
        std::fs::write(pkg.join("hongcha.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(pkg.join(super::SPLIT_LOADER), "import './hongcha.js'").unwrap();
        let prints = super::fingerprint(pkg, "hongcha", state.path());
        let names: Vec<&str> = prints.files.values().map(String::as_str).collect();
        assert_eq!(names, ["hongcha.wasm"], "only the wasm is renamed");
        let hashes = std::fs::read_to_string(prints.hash_file.unwrap()).unwrap();
        assert!(
            hashes.starts_with("wasm: ") && !hashes.contains("js:"),
            "{hashes}"
        );
    }

    #[test]
    fn a_site_without_its_files_keeps_plain_names() {
        let site = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let none = super::fingerprint(&site.path().join("pkg"), "hongcha", state.path());
        assert!(none.files.is_empty() && none.hash_file.is_none() && none.css.is_none());
    }
}
