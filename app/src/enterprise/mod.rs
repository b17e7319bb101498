//! 企服通 pages: an enterprise's home (its file, the policies judged for it
//! with their reasons, its requests and a form to file one), 找场地 and
//! 找服务 / 找资金, the register for street and community staff (filters,
//! review, the import with its preview, one enterprise's file and visits),
//! the request queue, lease warnings red / yellow / blue for building
//! managers, policies, and the economic dashboard.
// A server function takes one argument per form field.
#![allow(clippy::too_many_arguments)]
pub mod i18n;
mod pages;

pub use pages::{
    BuildingsPage, DashboardPage, EnterpriseFilePage, EnterpriseHome, LeasesPage, PoliciesPage,
    QueuePage, RegisterPage, ServicesPage, SpacePage,
};

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::model::AppError;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntItem {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub flagged: bool,
    pub code_problem: String,
    pub legal_rep: String,
    pub industry: String,
    pub employees: String,
    pub tax: String,
    pub building: String,
    pub unit: String,
    pub lease_end: String,
    pub contact: String,
    pub grade: String,
    pub reviewed: bool,
    pub tags: Vec<String>,
}

#[cfg(feature = "ssr")]
fn ent_item(e: domain::enterprise::EnterpriseView) -> EntItem {
    let num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
    EntItem {
        id: e.id,
        name: e.name,
        flagged: e.code_state == "flagged",
        credit_code: e.credit_code,
        code_problem: e.code_problem.unwrap_or_default(),
        legal_rep: e.legal_rep.unwrap_or_default(),
        industry: e.industry_code.unwrap_or_default(),
        employees: e.employees.map(|v| v.to_string()).unwrap_or_default(),
        tax: num(e.annual_tax),
        building: e.building.unwrap_or_default(),
        unit: e.unit.unwrap_or_default(),
        lease_end: e.lease_end.map(|d| d.to_string()).unwrap_or_default(),
        contact: e.contact_phone.unwrap_or_default(),
        grade: e.grade.unwrap_or_default(),
        reviewed: e.review_state == "reviewed",
        tags: e.tags,
    }
}

/// A policy judged for one enterprise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyMatch {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub deadline: String,
    /// `eligible`, `ineligible` or `unknown`.
    pub state: String,
    /// Why (met criteria, failed ones, or the missing fields).
    pub reasons: Vec<String>,
    pub missing: Vec<String>,
    pub pushed: bool,
}

#[cfg(feature = "ssr")]
fn matches_of(list: Vec<domain::enterprise::policy::ForMe>) -> Vec<PolicyMatch> {
    use domain::enterprise::rules::State;
    list.into_iter()
        .map(|m| PolicyMatch {
            id: m.policy_id,
            title: m.title,
            summary: m.summary,
            deadline: m.deadline.map(|d| d.to_string()).unwrap_or_default(),
            state: match m.verdict.state {
                State::Eligible => "eligible",
                State::Ineligible => "ineligible",
                State::Unknown => "unknown",
            }
            .to_owned(),
            reasons: if m.verdict.failed.is_empty() {
                m.verdict.met
            } else {
                m.verdict.failed.into_iter().map(|f| f.reason).collect()
            },
            missing: m.verdict.missing,
            pushed: m.pushed,
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestItem {
    pub id: i64,
    pub enterprise: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub department: String,
    pub state: String,
    pub stage: String,
    pub stage_name: String,
    pub due: String,
    pub overdue: bool,
    pub answer: String,
    pub rating: Option<i32>,
    pub created: String,
    /// (id, `photo` or `pdf`, name)
    pub attachments: Vec<(i64, String, String)>,
}

#[cfg(feature = "ssr")]
fn request_items(list: Vec<domain::enterprise::requests::RequestView>) -> Vec<RequestItem> {
    list.into_iter()
        .map(|r| RequestItem {
            id: r.id,
            enterprise: r.enterprise,
            kind: r.kind_name,
            title: r.title,
            description: r.description,
            department: r.department,
            state: r.state,
            stage: r.stage.unwrap_or_default(),
            stage_name: r.stage_name.unwrap_or_default(),
            due: r.due_at.map(domain::clock::china_time).unwrap_or_default(),
            overdue: r.overdue,
            answer: r.answer.unwrap_or_default(),
            rating: r.rating,
            created: domain::clock::china_time(r.created_at),
            attachments: r
                .attachments
                .into_iter()
                .map(|a| (a.id, a.kind, a.name))
                .collect(),
        })
        .collect()
}

/// An enterprise account's home.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeView {
    pub enterprise: Option<EntItem>,
    pub policies: Vec<PolicyMatch>,
    pub requests: Vec<RequestItem>,
    /// (key, name) of request kinds.
    pub kinds: Vec<(String, String)>,
}

#[server(prefix = "/api", endpoint = "ent_home", input = GetUrl)]
pub async fn ent_home() -> Result<HomeView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let s = &st.services;
    let kinds = domain::enterprise::requests::KINDS
        .iter()
        .map(|(k, n, _)| ((*k).to_owned(), (*n).to_owned()))
        .collect();
    let Some(own) = domain::enterprise::services::own_enterprise(s, &actor)
        .await
        .map_err(map_err)?
    else {
        return Ok(HomeView {
            enterprise: None,
            policies: Vec::new(),
            requests: Vec::new(),
            kinds,
        });
    };
    let file = domain::enterprise::services::file(s, &actor, own)
        .await
        .map_err(map_err)?;
    let policies = domain::enterprise::policy::for_enterprise(s, &actor, None)
        .await
        .map_err(map_err)?;
    let requests = domain::enterprise::requests::mine(s, &actor)
        .await
        .map_err(map_err)?;
    Ok(HomeView {
        enterprise: Some(ent_item(file.enterprise)),
        policies: matches_of(policies),
        requests: request_items(requests),
        kinds,
    })
}

/// Files a request for the signed-in enterprise account.
#[server(prefix = "/api", endpoint = "ent_file_request")]
pub async fn ent_file_request(
    kind: String,
    title: String,
    description: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::requests::file(&st.services, &actor, &kind, &title, &description)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "ent_rate")]
pub async fn ent_rate(
    id: i64,
    rating: i32,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::requests::rate(&st.services, &actor, id, rating, &note)
        .await
        .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpaceItem {
    pub building: String,
    pub address: String,
    pub unit: String,
    pub area: String,
    pub rent: String,
    pub note: String,
    pub property: String,
}

/// 找场地: vacant units.
#[server(prefix = "/api", endpoint = "ent_spaces", input = GetUrl)]
pub async fn ent_spaces(#[server(default)] min_area: String) -> Result<Vec<SpaceItem>, AppError> {
    let st = state::state()?;
    state::require_principal().await?;
    let min = min_area.trim().parse::<f64>().ok();
    let list = domain::enterprise::services::spaces(&st.services, min)
        .await
        .map_err(map_err)?;
    Ok(list
        .into_iter()
        .map(|x| SpaceItem {
            building: x.building,
            address: x.address.unwrap_or_default(),
            unit: x.unit,
            area: x.area.map(|a| format!("{a}")).unwrap_or_default(),
            rent: x.rent_guide.map(|a| format!("{a}")).unwrap_or_default(),
            note: x.note.unwrap_or_default(),
            property: x.property_company.unwrap_or_default(),
        })
        .collect())
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProviderItem {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub services: String,
    pub contact: String,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProvidersView {
    pub list: Vec<ProviderItem>,
    /// The street office: may add, change and remove providers.
    pub street: bool,
}

/// 找服务 / 找资金: providers and funding by kind and need.
#[server(prefix = "/api", endpoint = "ent_providers", input = GetUrl)]
pub async fn ent_providers(
    #[server(default)] kind: String,
    #[server(default)] q: String,
) -> Result<ProvidersView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let list = domain::enterprise::services::providers(&st.services, &kind, &q)
        .await
        .map_err(map_err)?;
    Ok(ProvidersView {
        list: list
            .into_iter()
            .map(|p| ProviderItem {
                id: p.id,
                kind: p.kind,
                name: p.name,
                services: p.services,
                contact: p.contact.unwrap_or_default(),
                url: p.url.unwrap_or_default(),
            })
            .collect(),
        street: domain::enterprise::sees_all(&actor),
    })
}

/// The street office adds (`id` empty) or changes a provider.
#[server(prefix = "/api", endpoint = "ent_save_provider")]
pub async fn ent_save_provider(
    #[server(default)] id: String,
    kind: String,
    name: String,
    services: String,
    #[server(default)] contact: String,
    #[server(default)] url: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let id = match id.trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| map_err(domain::DomainError::NotFound))?,
        ),
    };
    let input = domain::enterprise::services::ProviderInput {
        kind,
        name,
        services,
        contact,
        url,
    };
    domain::enterprise::services::save_provider(&st.services, &actor, id, &input)
        .await
        .map_err(map_err)
}

/// The street office takes a provider off the directory.
#[server(prefix = "/api", endpoint = "ent_remove_provider")]
pub async fn ent_remove_provider(id: i64) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::services::remove_provider(&st.services, &actor, id)
        .await
        .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisterView {
    pub rows: Vec<EntItem>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    /// (id, name)
    pub buildings: Vec<(i64, String)>,
    /// Whether the viewer may import and write policies (the street).
    pub street: bool,
}

#[server(prefix = "/api", endpoint = "ent_register", input = GetUrl)]
pub async fn ent_register(
    #[server(default)] q: String,
    #[server(default)] building: String,
    #[server(default)] industry: String,
    #[server(default)] tag: String,
    #[server(default)] review: String,
    #[server(default)] page: String,
) -> Result<RegisterView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let page = page.parse::<u64>().unwrap_or(0);
    let f = domain::enterprise::services::Filter {
        q,
        building: building.parse::<i64>().ok(),
        industry,
        tag,
        review,
        page,
    };
    let (rows, total) = domain::enterprise::services::list(&st.services, &actor, &f)
        .await
        .map_err(map_err)?;
    let buildings = domain::enterprise::services::buildings(&st.services)
        .await
        .map_err(map_err)?;
    Ok(RegisterView {
        rows: rows.into_iter().map(ent_item).collect(),
        total,
        page,
        pages: total.div_ceil(domain::enterprise::services::PAGE),
        buildings: buildings.into_iter().map(|b| (b.id, b.name)).collect(),
        street: domain::enterprise::sees_all(&actor),
    })
}

/// A register import as it runs on the job runner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntImportState {
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub created: Option<usize>,
    pub updated: Option<usize>,
    pub flagged: Option<usize>,
    /// A message key when the import failed (nothing was imported).
    pub error: Option<String>,
}

/// Queues the import of a checked register file (all rows or none);
/// returns its rows. [`ent_import_progress`] follows it.
#[server(prefix = "/api", endpoint = "ent_import_start")]
pub async fn ent_import_start(file: String) -> Result<usize, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::register::start(&st.services, &actor, &file)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "ent_import_progress", input = GetUrl)]
pub async fn ent_import_progress(file: String) -> Result<Option<EntImportState>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let p = domain::enterprise::register::progress(&st.services, &actor, &file)
        .await
        .map_err(map_err)?;
    Ok(p.map(|p| EntImportState {
        done: p.done,
        total: p.total,
        finished: p.finished,
        created: p.created,
        updated: p.updated,
        flagged: p.flagged,
        error: p.error,
    }))
}

#[server(prefix = "/api", endpoint = "ent_review")]
pub async fn ent_review(id: i64) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::register::review(&st.services, &actor, id)
        .await
        .map_err(map_err)
}

/// What an import did or would do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportItem {
    pub dry_run: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// (row, code, problem, expected)
    pub flagged: Vec<(usize, String, String, String)>,
    /// (row, name, fields)
    pub changes: Vec<(usize, String, String)>,
    /// (row, field, rule)
    pub errors: Vec<(usize, String, String)>,
}

/// What a register file uploaded before would do (nothing stored); the
/// import itself is [`ent_import_start`].
#[server(prefix = "/api", endpoint = "ent_import", input = GetUrl)]
pub async fn ent_import(file: String) -> Result<ImportItem, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let r = domain::enterprise::register::import_stashed(&st.services, &actor, &file, true)
        .await
        .map_err(map_err)?;
    Ok(ImportItem {
        dry_run: r.dry_run,
        rows: r.rows,
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        flagged: r
            .flagged
            .into_iter()
            .map(|f| {
                (
                    f.row,
                    f.credit_code,
                    f.problem.to_owned(),
                    f.expected.map(String::from).unwrap_or_default(),
                )
            })
            .collect(),
        changes: r
            .changes
            .into_iter()
            .map(|c| (c.row, c.name, c.fields.join("、")))
            .collect(),
        errors: r
            .errors
            .into_iter()
            .map(|e| (e.row, e.field, e.rule))
            .collect(),
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisitItem {
    pub id: i64,
    pub on: String,
    pub note: String,
    pub follow_up: String,
    pub follow_up_done: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileView {
    pub enterprise: EntItem,
    pub visits: Vec<VisitItem>,
    pub policies: Vec<PolicyMatch>,
    pub staff: bool,
    /// The street office: may link accounts to the enterprise.
    pub street: bool,
    /// Tags staff give by hand (certifications), those it has first.
    pub manual_tags: Vec<(String, bool)>,
}

#[server(prefix = "/api", endpoint = "ent_file", input = GetUrl)]
pub async fn ent_file(id: i64) -> Result<FileView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let f = domain::enterprise::services::file(&st.services, &actor, id)
        .await
        .map_err(map_err)?;
    let policies = domain::enterprise::policy::for_enterprise(&st.services, &actor, Some(id))
        .await
        .map_err(map_err)?;
    let manual_tags = domain::enterprise::rules::MANUAL_TAGS
        .iter()
        .map(|t| ((*t).to_owned(), f.enterprise.tags.iter().any(|x| x == t)))
        .collect();
    Ok(FileView {
        enterprise: ent_item(f.enterprise),
        visits: f
            .visits
            .into_iter()
            .map(|v| VisitItem {
                id: v.id,
                follow_up_done: v.follow_up_done,
                on: v.visited_on.map(|d| d.to_string()).unwrap_or_default(),
                note: v.note,
                follow_up: v.follow_up.unwrap_or_default(),
            })
            .collect(),
        manual_tags,
        policies: matches_of(policies),
        staff: f.staff,
        street: domain::enterprise::sees_all(&actor),
    })
}

/// Certification tags (the ticked ones, `tags[i]`; none unticks them all)
/// and the key-enterprise grade, set by staff.
#[server(prefix = "/api", endpoint = "ent_set_tags")]
pub async fn ent_set_tags(
    id: i64,
    #[server(default)] tags: Vec<String>,
    #[server(default)] grade: String,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    if tags.len() > domain::enterprise::rules::MANUAL_TAGS.len() {
        return Err(map_err(domain::DomainError::validation("tags", "invalid")));
    }
    domain::enterprise::services::set_tags(&st.services, &actor, id, &tags, Some(&grade))
        .await
        .map_err(map_err)
}

/// Links a registered account (by its phone) to an enterprise, so it sees
/// its file, policies for it and its requests (the street office).
#[server(prefix = "/api", endpoint = "ent_link_account")]
pub async fn ent_link_account(id: i64, phone: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::services::link_account(&st.services, &actor, id, &phone)
        .await
        .map_err(map_err)
}

/// Staff mark a visit's follow-up done.
#[server(prefix = "/api", endpoint = "ent_follow_up_done")]
pub async fn ent_follow_up_done(visit: i64) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::services::finish_follow_up(&st.services, &actor, visit)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "ent_visit")]
pub async fn ent_visit(
    id: i64,
    #[server(default)] visited_on: String,
    note: String,
    #[server(default)] follow_up: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let on = domain::enterprise::register::day(&visited_on)
        .map_err(|_| map_err(domain::DomainError::validation("visited_on", "invalid")))?;
    domain::enterprise::services::log_visit(&st.services, &actor, id, on, &note, &follow_up)
        .await
        .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertItem {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub building: String,
    pub unit: String,
    pub lease_end: String,
    pub level: String,
    pub days_left: i64,
    pub acknowledged: bool,
    pub outcome: String,
    pub note: String,
}

/// 红黄蓝: the lease warnings of the viewer's buildings.
#[server(prefix = "/api", endpoint = "ent_leases", input = GetUrl)]
pub async fn ent_leases() -> Result<Vec<AlertItem>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let list = domain::enterprise::lease::alerts(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok(list
        .into_iter()
        .map(|a| AlertItem {
            id: a.id,
            enterprise_id: a.enterprise_id,
            enterprise: a.enterprise,
            building: a.building,
            unit: a.unit.unwrap_or_default(),
            lease_end: a.lease_end.map(|d| d.to_string()).unwrap_or_default(),
            level: a.level,
            days_left: a.days_left.unwrap_or_default(),
            acknowledged: a.acknowledged,
            outcome: a.outcome.unwrap_or_default(),
            note: a.outcome_note.unwrap_or_default(),
        })
        .collect())
}

#[server(prefix = "/api", endpoint = "ent_lease_record")]
pub async fn ent_lease_record(
    id: i64,
    #[server(default)] outcome: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let outcome = (!outcome.is_empty()).then_some(outcome.as_str());
    domain::enterprise::lease::record(&st.services, &actor, id, outcome, &note)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "ent_queue", input = GetUrl)]
pub async fn ent_queue() -> Result<Vec<RequestItem>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::requests::queue(&st.services, &actor)
        .await
        .map(request_items)
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "ent_accept")]
pub async fn ent_accept(id: i64) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::requests::accept(&st.services, &actor, id)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "ent_answer")]
pub async fn ent_answer(id: i64, answer: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::enterprise::requests::answer(&st.services, &actor, id, &answer)
        .await
        .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub criteria: String,
    pub version: i32,
    pub deadline: String,
    pub active: bool,
    pub pushes: u64,
    pub read: u64,
}

#[server(prefix = "/api", endpoint = "ent_policies", input = GetUrl)]
pub async fn ent_policies() -> Result<Vec<PolicyRow>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let list = domain::enterprise::policy::policies(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok(list
        .into_iter()
        .map(|p| PolicyRow {
            id: p.id,
            title: p.title,
            summary: p.summary,
            criteria: p.criteria,
            version: p.version,
            deadline: p.deadline.map(|d| d.to_string()).unwrap_or_default(),
            active: p.active,
            pushes: p.pushes,
            read: p.read,
        })
        .collect())
}

/// A new policy (`id` empty) or a change (street staff; audited).
#[server(prefix = "/api", endpoint = "ent_save_policy")]
pub async fn ent_save_policy(
    #[server(default)] id: String,
    title: String,
    #[server(default)] summary: String,
    criteria: String,
    #[server(default)] deadline: String,
    #[server(default)] active: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let deadline = domain::enterprise::register::day(&deadline)
        .map_err(|_| map_err(domain::DomainError::validation("deadline", "invalid")))?;
    domain::enterprise::policy::save_policy(
        &st.services,
        &actor,
        id.parse::<i64>().ok(),
        &domain::enterprise::policy::PolicyInput {
            title,
            summary,
            criteria,
            deadline,
            active: active == "on" || active == "true",
        },
    )
    .await
    .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuildingBar {
    pub id: i64,
    pub name: String,
    pub enterprises: i64,
    pub tax: f64,
    pub leased: f64,
    pub vacant: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashView {
    /// The period shown, as `YYYY-MM-DD` (both included).
    pub from: String,
    pub to: String,
    pub enterprises: i64,
    pub new: i64,
    pub moved_out: i64,
    pub tax: f64,
    pub above_10m: usize,
    pub above_100m: usize,
    pub leased: f64,
    pub vacant: f64,
    pub buildings: Vec<BuildingBar>,
    /// (letter, name, enterprises)
    pub industries: Vec<(String, String, i64)>,
    pub requests: i64,
    pub requests_closed: i64,
    pub answer_hours: String,
    pub pushes: i64,
    pub pushes_read: i64,
}

#[server(prefix = "/api", endpoint = "ent_dashboard", input = GetUrl)]
pub async fn ent_dashboard(
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<DashView, AppError> {
    use domain::enterprise::dashboard;
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let period =
        domain::reports::Period::chosen(&from, &to, domain::clock::now()).map_err(map_err)?;
    let d = dashboard::dashboard(&st.services, &actor, period)
        .await
        .map_err(map_err)?;
    Ok(DashView {
        from: d.from.to_string(),
        to: d.to.to_string(),
        enterprises: d.enterprises,
        new: d.new,
        moved_out: d.moved_out,
        tax: d.tax,
        above_10m: d.above_10m,
        above_100m: d.above_100m,
        leased: d.leased_area,
        vacant: d.vacant_area,
        buildings: d
            .buildings
            .into_iter()
            .map(|b| BuildingBar {
                id: b.id,
                name: b.name,
                enterprises: b.enterprises,
                tax: b.tax,
                leased: b.leased_area,
                vacant: b.vacant_area,
            })
            .collect(),
        industries: d
            .industries
            .into_iter()
            .map(|(k, n)| {
                let name = dashboard::section_name(&k).to_owned();
                (k, name, n)
            })
            .collect(),
        requests: d.requests,
        requests_closed: d.requests_closed,
        answer_hours: d
            .answer_hours
            .map(|h| format!("{h:.1}"))
            .unwrap_or_default(),
        pushes: d.pushes,
        pushes_read: d.pushes_read,
    })
}

/// A unit of a building, for its editors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitItem {
    pub id: i64,
    pub name: String,
    pub area: String,
    pub vacant: bool,
    pub rent_guide: String,
    pub note: String,
}

/// A building with its units, for its editors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuildingItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub community_id: i64,
    pub community: String,
    pub address: String,
    pub floor_area: String,
    pub owner: String,
    pub property_company: String,
    pub rent_guide: String,
    pub editable: bool,
    pub units: Vec<UnitItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuildingsView {
    pub buildings: Vec<BuildingItem>,
    /// (id, name) of the communities a new building can belong to; empty
    /// for those who cannot add one.
    pub communities: Vec<(i64, String)>,
}

#[cfg(feature = "ssr")]
fn figure_text(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

/// An optional figure from a form field: empty for none.
#[cfg(feature = "ssr")]
fn figure_field(field: &'static str, raw: &str) -> Result<Option<f64>, AppError> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>()
        .map(Some)
        .map_err(|_| map_err(domain::DomainError::validation(field, "invalid")))
}

/// 楼宇管理: the buildings the caller keeps, with their units.
#[server(prefix = "/api", endpoint = "ent_buildings", input = GetUrl)]
pub async fn ent_buildings() -> Result<BuildingsView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let list = domain::enterprise::buildings::list(&st.services, &actor)
        .await
        .map_err(map_err)?;
    let communities = if domain::enterprise::sees_all(&actor) {
        domain::org::communities(&st.services)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(BuildingsView {
        buildings: list
            .into_iter()
            .map(|b| BuildingItem {
                id: b.id,
                code: b.code,
                name: b.name,
                community_id: b.community_id,
                community: b.community,
                address: b.address.unwrap_or_default(),
                floor_area: figure_text(b.floor_area),
                owner: b.owner.unwrap_or_default(),
                property_company: b.property_company.unwrap_or_default(),
                rent_guide: figure_text(b.rent_guide),
                editable: b.editable,
                units: b
                    .units
                    .into_iter()
                    .map(|u| UnitItem {
                        id: u.id,
                        name: u.name,
                        area: figure_text(u.area),
                        vacant: u.vacant,
                        rent_guide: figure_text(u.rent_guide),
                        note: u.note.unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect(),
        communities,
    })
}

#[server(prefix = "/api", endpoint = "ent_save_building")]
pub async fn ent_save_building(
    #[server(default)] id: Option<i64>,
    code: String,
    name: String,
    community_id: i64,
    #[server(default)] address: String,
    #[server(default)] floor_area: String,
    #[server(default)] owner: String,
    #[server(default)] property_company: String,
    #[server(default)] rent_guide: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let input = domain::enterprise::buildings::BuildingInput {
        id,
        code,
        name,
        community_id,
        address,
        floor_area: figure_field("floor_area", &floor_area)?,
        owner,
        property_company,
        rent_guide: figure_field("rent_guide", &rent_guide)?,
    };
    domain::enterprise::buildings::save_building(&st.services, &actor, &input)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "ent_save_unit")]
pub async fn ent_save_unit(
    #[server(default)] id: Option<i64>,
    building_id: i64,
    name: String,
    #[server(default)] area: String,
    #[server(default)] vacant: Option<String>,
    #[server(default)] rent_guide: String,
    #[server(default)] note: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let input = domain::enterprise::buildings::UnitInput {
        id,
        building_id,
        name,
        area: figure_field("area", &area)?,
        vacant: vacant.is_some(),
        rent_guide: figure_field("rent_guide", &rent_guide)?,
        note,
    };
    domain::enterprise::buildings::save_unit(&st.services, &actor, &input)
        .await
        .map_err(map_err)
}
