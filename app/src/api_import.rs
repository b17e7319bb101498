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

/// The mapping overrides the form sent: field → header (empty = guess).
#[cfg(feature = "ssr")]
fn overrides(
    title: String,
    body: String,
    community_col: String,
    category: String,
    location: String,
    received_at: String,
    phone: String,
    channel: String,
) -> std::collections::HashMap<String, String> {
    [
        ("title", title),
        ("body", body),
        ("community", community_col),
        ("category", category),
        ("location", location),
        ("received_at", received_at),
        ("phone", phone),
        ("channel", channel),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
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
    #[server(default)] received_at: String,
    #[server(default)] phone: String,
    #[server(default)] channel: String,
    #[server(default)] community: Option<i64>,
) -> Result<ImportPreviewView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let over = overrides(
        title,
        body,
        community_col,
        category,
        location,
        received_at,
        phone,
        channel,
    );
    let p = domain::import::prepare(&st.services, &actor, &file, &over, community)
        .await
        .map_err(map_err)?;
    let communities = domain::org::communities(&st.services)
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

/// Starts the import (all rows or none) on the server's job runner; poll
/// [`import_progress`] with the same `file`.
#[server(prefix = "/api", endpoint = "import_start")]
pub async fn import_start(
    file: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
    #[server(default)] community_col: String,
    #[server(default)] category: String,
    #[server(default)] location: String,
    #[server(default)] received_at: String,
    #[server(default)] phone: String,
    #[server(default)] channel: String,
    #[server(default)] community: Option<i64>,
    /// Publish at once (a vetted file); unchecked boxes send nothing.
    #[server(default)]
    publish: Option<String>,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let over = overrides(
        title,
        body,
        community_col,
        category,
        location,
        received_at,
        phone,
        channel,
    );
    let publish = publish.is_some_and(|v| !v.is_empty() && v != "false");
    domain::import::start(&st.services, &actor, &file, over, community, publish)
        .await
        .map_err(map_err)
}

/// How far the import of `file` has got (the same from every instance).
#[server(prefix = "/api", endpoint = "import_progress", input = GetUrl)]
pub async fn import_progress(file: String) -> Result<Option<ImportProgressView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let p = domain::import::progress(&st.services, &actor, &file)
        .await
        .map_err(map_err)?;
    Ok(p.map(|p| ImportProgressView {
        done: p.done,
        total: p.total,
        finished: p.finished,
        created: p.created,
        skipped: p.skipped,
        error: p.error,
    }))
}
