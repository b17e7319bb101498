//! Server functions for the staff's web import: preview with column
//! mapping and per-row errors, then the import itself in the background
//! with progress the page polls. The upload is `POST /staff/import/upload`.
// A server function takes one argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::model::*;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

/// Progress of running and finished web imports, by file token, with when
/// it last changed. Kept in this process: the page polls the instance that
/// runs the import. Finished entries go after [`KEEP_FINISHED`].
#[cfg(feature = "ssr")]
type Registry = std::collections::HashMap<String, (std::time::Instant, ImportProgressView)>;

/// As long as the uploaded file itself is kept (housekeeping purges it after a day).
#[cfg(feature = "ssr")]
const KEEP_FINISHED: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

#[cfg(feature = "ssr")]
fn registry() -> &'static std::sync::Mutex<Registry> {
    static R: std::sync::OnceLock<std::sync::Mutex<Registry>> = std::sync::OnceLock::new();
    R.get_or_init(Default::default)
}

#[cfg(feature = "ssr")]
fn progress_of(file: &str) -> Option<ImportProgressView> {
    registry()
        .lock()
        .ok()
        .and_then(|r| r.get(file).map(|(_, p)| p.clone()))
}

#[cfg(feature = "ssr")]
fn set_progress(file: &str, p: ImportProgressView) {
    if let Ok(mut r) = registry().lock() {
        let now = std::time::Instant::now();
        r.retain(|_, (at, old)| !old.finished || now.duration_since(*at) < KEEP_FINISHED);
        r.insert(file.to_owned(), (now, p));
    }
}

/// The mapping overrides the form sent: field → header (empty = guess).
#[cfg(feature = "ssr")]
fn overrides(
    title: String,
    body: String,
    community_col: String,
    category: String,
    location: String,
) -> std::collections::HashMap<String, String> {
    [
        ("title", title),
        ("body", body),
        ("community", community_col),
        ("category", category),
        ("location", location),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[cfg(feature = "ssr")]
struct Prepared {
    actor: domain::Principal,
    table: domain::import::Table,
    map: std::collections::HashMap<String, usize>,
    checked: domain::import::Checked,
}

#[cfg(feature = "ssr")]
async fn prepare(
    file: &str,
    title: String,
    body: String,
    community_col: String,
    category: String,
    location: String,
    community: Option<i64>,
) -> Result<(domain::Services, Prepared), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let table = domain::import::stashed(&st.services, &actor, file)
        .await
        .map_err(map_err)?;
    let over = overrides(title, body, community_col, category, location);
    let map = domain::import::mapping(&table, &over).map_err(map_err)?;
    let checked = domain::import::check_for(&st.services, &actor, &table, &map, community)
        .await
        .map_err(map_err)?;
    Ok((
        st.services,
        Prepared {
            actor,
            table,
            map,
            checked,
        },
    ))
}

/// Checks the uploaded file with this mapping: counts, the first per-row
/// errors (with row numbers) and a sample of what would be imported.
#[server(prefix = "/api", endpoint = "import_preview", input = GetUrl)]
pub async fn import_preview(
    file: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
    #[server(default)] community_col: String,
    #[server(default)] category: String,
    #[server(default)] location: String,
    #[server(default)] community: Option<i64>,
) -> Result<ImportPreviewView, AppError> {
    let (services, p) = prepare(
        &file,
        title,
        body,
        community_col,
        category,
        location,
        community,
    )
    .await?;
    let communities = domain::org::communities(&services.db)
        .await
        .map_err(map_err)?;
    let header_of = |field: &str| {
        p.map
            .get(field)
            .and_then(|i| p.table.headers.get(*i))
            .cloned()
    };
    Ok(ImportPreviewView {
        headers: p.table.headers.clone(),
        mapping: domain::import::FIELDS
            .iter()
            .map(|(f, _)| ((*f).to_owned(), header_of(f)))
            .collect(),
        rows_total: p.table.rows.len(),
        rows_ok: p.checked.rows.len(),
        errors_total: p.checked.errors.len(),
        errors: p
            .checked
            .errors
            .iter()
            .take(200)
            .map(|e| ImportRowError {
                row: e.row,
                field: e.field.clone(),
                rule: e.rule.clone(),
            })
            .collect(),
        sample: p
            .checked
            .rows
            .iter()
            .take(5)
            .map(|r| ImportSampleRow {
                row: r.row,
                community_name: communities
                    .iter()
                    .find(|c| c.id == r.community_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                category: r.category.clone(),
                title: r.title.clone(),
                body: r.body.chars().take(80).collect(),
            })
            .collect(),
    })
}

/// Starts the import (all rows or none) in the background; poll
/// [`import_progress`] with the same `file`.
#[server(prefix = "/api", endpoint = "import_start")]
pub async fn import_start(
    file: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
    #[server(default)] community_col: String,
    #[server(default)] category: String,
    #[server(default)] location: String,
    #[server(default)] community: Option<i64>,
) -> Result<(), AppError> {
    let (services, p) = prepare(
        &file,
        title,
        body,
        community_col,
        category,
        location,
        community,
    )
    .await?;
    if !p.checked.errors.is_empty() {
        return Err(map_err(domain::DomainError::validation(
            "file",
            "has_errors",
        )));
    }
    let running = progress_of(&file).is_some_and(|x| !x.finished);
    if running {
        return Err(map_err(domain::DomainError::Conflict("import_running")));
    }
    let total = p.checked.rows.len();
    set_progress(
        &file,
        ImportProgressView {
            done: 0,
            total,
            finished: false,
            created: None,
            skipped: None,
            error: None,
        },
    );
    leptos::task::spawn(async move {
        let key = file.clone();
        let result = domain::import::import(
            &services,
            Some(&p.actor),
            &p.table,
            &p.checked,
            |done, total| {
                set_progress(
                    &key,
                    ImportProgressView {
                        done,
                        total,
                        finished: false,
                        created: None,
                        skipped: None,
                        error: None,
                    },
                )
            },
        )
        .await;
        let finished = match result {
            Ok(done) => ImportProgressView {
                done: total,
                total,
                finished: true,
                created: Some(done.created),
                skipped: Some(done.skipped),
                error: None,
            },
            Err(e) => {
                tracing::warn!(error = %e, "web import failed");
                ImportProgressView {
                    done: 0,
                    total,
                    finished: true,
                    created: None,
                    skipped: None,
                    error: Some(crate::state::map_err(e).message_key()),
                }
            }
        };
        set_progress(&file, finished);
    });
    Ok(())
}

/// How far the import of `file` has got.
#[server(prefix = "/api", endpoint = "import_progress", input = GetUrl)]
pub async fn import_progress(file: String) -> Result<Option<ImportProgressView>, AppError> {
    let actor = state::require_principal().await?;
    // Only the uploader may look (the token names its owner); the file
    // itself is not read again.
    domain::import::check_stash_owner(&actor, &file).map_err(map_err)?;
    // Started (the page only asks then) but unknown here: this process
    // restarted, and the import's transaction was rolled back with it.
    Ok(Some(progress_of(&file).unwrap_or(ImportProgressView {
        done: 0,
        total: 0,
        finished: true,
        created: None,
        skipped: None,
        error: Some("import.interrupted".into()),
    })))
}
