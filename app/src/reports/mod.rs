//! 成果报告 the outcome report page (`/reports`): what residents raised,
//! what was discussed, what was done and how residents rated it, for the
//! street or one community over a chosen period, with charts (SVG drawn
//! here, each with its table), the communities side by side, the monthly
//! trend, and the same report as XLSX or CSV (`/reports/export`).
pub mod i18n;
mod pages;

pub use pages::ReportPage;

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::model::AppError;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

/// Mirrors `domain::reports::Derived`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    pub task_completion_pct: Option<f64>,
    pub sla_compliance_pct: Option<f64>,
    pub rating_count: i64,
    pub rating_average: Option<f64>,
    pub dissatisfied_pct: Option<f64>,
}

/// Mirrors `domain::reports::Figures` (the browser build has no `domain`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub opinions: i64,
    pub by_channel: BTreeMap<String, i64>,
    pub by_category: BTreeMap<String, i64>,
    pub published: i64,
    pub rejected: i64,
    pub merged: i64,
    pub pending: i64,
    pub topics_proposed: i64,
    pub topics_accepted: i64,
    pub topics_rejected: i64,
    pub meetings_held: i64,
    pub invited: i64,
    pub attended_onsite: i64,
    pub attended_online: i64,
    pub plans: i64,
    pub tasks: i64,
    pub tasks_done: i64,
    pub cases_closed: i64,
    pub cases_on_time: i64,
    pub overdue_open: i64,
    pub ratings: [i64; 5],
    pub median_days_to_plan: Option<f64>,
    pub median_days_to_resolution: Option<f64>,
    pub derived: Derived,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Period {
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Month {
    pub month: String,
    pub opinions: i64,
    pub meetings_held: i64,
    pub plans: i64,
    pub ratings: i64,
    pub rating_average: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommunityFigures {
    pub community_id: i64,
    pub name: String,
    pub figures: Figures,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub period: Period,
    pub community_id: Option<i64>,
    pub title: String,
    pub figures: Figures,
    pub communities: Vec<CommunityFigures>,
    pub monthly: Vec<Month>,
    /// Category code → its name in the reader's language.
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    /// Whether the reader may choose the whole street (street officers,
    /// admins) or only their community.
    #[serde(default)]
    pub street_wide: bool,
    /// When the figures are a past month's snapshot: when it was saved
    /// (China time), and what was corrected since.
    #[serde(default)]
    pub snapshot_at: Option<String>,
    #[serde(default)]
    pub corrections: Corrections,
}

/// Mirrors `domain::reports::Corrections`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Corrections {
    pub opinions: i64,
    pub meetings: i64,
    pub plans: i64,
}

/// The report for the street (no community) or one community; months as
/// `YYYY-MM` or days as `YYYY-MM-DD`; no period: this year so far.
#[server(prefix = "/api", endpoint = "report", input = GetUrl)]
pub async fn report(
    #[server(default)] community: Option<i64>,
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<ReportView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    // Community staff see their own community's report by default.
    let community = community.or_else(|| {
        (!domain::reports::may_see(&actor, None))
            .then_some(actor.community_id)
            .flatten()
    });
    let period = if from.trim().is_empty() || to.trim().is_empty() {
        domain::reports::Period::this_year(domain::clock::now())
    } else {
        domain::reports::Period::parse(&from, &to).map_err(map_err)?
    };
    let r = domain::reports::report(&st.services, &actor, community, period)
        .await
        .map_err(map_err)?;
    let en = crate::i18n::initial_lang() == crate::i18n::Lang::En;
    let categories = domain::categories::list(&st.services, true)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|c| (c.code, if en { c.name_en } else { c.name_zh }))
        .collect();
    let value = serde_json::to_value(&r).map_err(|_| AppError::Internal)?;
    let mut view: ReportView = serde_json::from_value(value).map_err(|_| AppError::Internal)?;
    view.categories = categories;
    view.street_wide = domain::reports::may_see(&actor, None);
    view.snapshot_at = r.snapshot_at.map(domain::clock::china_time);
    Ok(view)
}
