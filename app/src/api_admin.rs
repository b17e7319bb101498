//! Server functions for the admin's configuration pages: categories and
//! crawler sources. Thin wrappers over `domain::categories` and `domain::crawl`.
// A server function takes one argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::model::*;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

/// An admin adds or changes a category.
#[server(prefix = "/api", endpoint = "save_category")]
pub async fn save_category(
    code: String,
    name_zh: String,
    name_en: String,
    #[server(default)] sort: i32,
    #[server(default)] active: Option<String>,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let input = domain::categories::CategoryInput {
        code,
        name_zh,
        name_en,
        sort,
        active: active.is_some_and(|a| a == "on" || a == "true"),
    };
    domain::categories::save(&st.services, &actor, input)
        .await
        .map_err(map_err)
}

#[cfg(feature = "ssr")]
fn unit_view(u: domain::org::Unit) -> OrgUnitView {
    OrgUnitView {
        id: u.id,
        level: u.level.as_str().to_owned(),
        name: u.name,
        code: u.code,
        retired: u.retired,
        children: u.children.into_iter().map(unit_view).collect(),
    }
}

/// The organisation tree, retired units included. Admins only.
#[server(prefix = "/api", endpoint = "org_tree", input = GetUrl)]
pub async fn org_tree() -> Result<Vec<OrgUnitView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let tree = domain::org::tree(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok(tree.into_iter().map(unit_view).collect())
}

/// Adds a street, community or compound, or renames / re-codes one.
#[server(prefix = "/api", endpoint = "save_org_unit")]
pub async fn save_org_unit(
    level: String,
    #[server(default)] id: Option<i64>,
    #[server(default)] parent_id: Option<i64>,
    name: String,
    #[server(default)] code: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let input = domain::org::UnitInput {
        level: domain::org::Level::parse(&level).map_err(map_err)?,
        id,
        parent_id,
        name,
        code,
    };
    domain::org::save_unit(&st.services, &actor, input)
        .await
        .map_err(map_err)
}

/// Retires a unit (`retired=true`) or brings it back.
#[server(prefix = "/api", endpoint = "retire_org_unit")]
pub async fn retire_org_unit(level: String, id: i64, retired: bool) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let level = domain::org::Level::parse(&level).map_err(map_err)?;
    domain::org::set_retired(&st.services, &actor, level, id, retired)
        .await
        .map_err(map_err)
}

#[cfg(feature = "ssr")]
fn lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(feature = "ssr")]
fn opt(raw: String) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Every crawler source with its settings and last run. Admins only.
#[server(prefix = "/api", endpoint = "crawl_sources", input = GetUrl)]
pub async fn crawl_sources() -> Result<Vec<CrawlSourceView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let rows = domain::crawl::source_details(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|d| {
            let s = d.source;
            CrawlSourceView {
                id: d.info.id,
                name: s.name,
                enabled: d.info.enabled,
                start_urls: s.start_urls,
                list_item: s.list_item,
                link: s.link,
                next_page: s.next_page,
                title: s.title,
                body: s.body,
                date: s.date,
                author: s.author,
                encoding: s.encoding,
                max_pages: s.max_pages,
                min_delay_ms: s.min_delay_ms,
                user_agent: s.user_agent,
                allow_addresses: s.allow_addresses,
                community: s.community,
                publish_directly: s.publish_directly,
                every_minutes: s.every_minutes,
                last_run_at: d.info.last_run_at,
                last_summary: d.info.last_summary,
            }
        })
        .collect())
}

/// An admin adds (`id` empty) or changes a crawler source. `start_urls`
/// and `allow_addresses` take one entry per line.
#[server(prefix = "/api", endpoint = "save_crawl_source")]
pub async fn save_crawl_source(
    #[server(default)] id: Option<i64>,
    name: String,
    start_urls: String,
    list_item: String,
    #[server(default)] link: String,
    #[server(default)] next_page: String,
    title: String,
    body: String,
    #[server(default)] date: String,
    #[server(default)] author: String,
    #[server(default)] encoding: String,
    max_pages: usize,
    min_delay_ms: u64,
    user_agent: String,
    #[server(default)] allow_addresses: String,
    #[server(default)] community: String,
    #[server(default)] publish_directly: Option<String>,
    #[server(default)] every_minutes: u64,
    #[server(default)] enabled: Option<String>,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let on = |v: &Option<String>| v.as_deref().is_some_and(|a| a == "on" || a == "true");
    let source = domain::crawl::Source {
        name,
        start_urls: lines(&start_urls),
        list_item: list_item.trim().to_owned(),
        link: opt(link).unwrap_or_else(|| "a".into()),
        next_page: opt(next_page),
        title: title.trim().to_owned(),
        body: body.trim().to_owned(),
        date: opt(date),
        author: opt(author),
        encoding: opt(encoding),
        max_pages,
        min_delay_ms,
        user_agent: user_agent.trim().to_owned(),
        allow_addresses: lines(&allow_addresses),
        community: opt(community),
        publish_directly: on(&publish_directly),
        every_minutes,
    };
    domain::crawl::save_source(&st.services, &actor, id, source, on(&enabled))
        .await
        .map_err(map_err)
}

/// An admin starts a run of a source now; the job runner runs it and its
/// summary shows on the page when done.
#[server(prefix = "/api", endpoint = "run_crawl_source")]
pub async fn run_crawl_source(id: i64) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    // Queued for the server's job runner (any instance), not spawned here.
    domain::crawl::request_run(&st.services, &actor, id)
        .await
        .map_err(map_err)?;
    Ok(())
}
