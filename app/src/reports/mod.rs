//! 成果报告 the outcome report page (`/reports`): what residents raised,
//! what was discussed, what was done and how residents rated it, for the
//! street or one community over a chosen period, with charts (SVG drawn
//! here, each with its table), the communities side by side, the monthly
//! trend, and the same report as XLSX or CSV (`/reports/export`).
pub mod i18n;
mod pages;

pub use pages::{RecordsPage, ReportPage};

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
    let (community, period) =
        domain::reports::resolve(&actor, community, &from, &to, domain::clock::now())
            .map_err(map_err)?;
    let r = domain::reports::report(&st.services, &actor, community, period)
        .await
        .map_err(map_err)?;
    let categories = category_names(&st.services).await?;
    let value = serde_json::to_value(&r).map_err(|_| AppError::Internal)?;
    let mut view: ReportView = serde_json::from_value(value).map_err(|_| AppError::Internal)?;
    view.categories = categories;
    view.street_wide = domain::reports::may_see(&actor, None);
    view.snapshot_at = r.snapshot_at.map(domain::clock::china_time);
    Ok(view)
}

/// One record behind a figure (mirrors `domain::reports::records::Record`;
/// `at` as a China-time day).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordView {
    pub id: i64,
    pub day: String,
    pub community: String,
    pub title: String,
    pub state: String,
    pub link: Option<String>,
    pub ratings: Option<i64>,
    pub average: Option<f64>,
}

/// A page of the records behind a figure, with what they are behind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordsView {
    pub scope: String,
    pub community_id: Option<i64>,
    pub period: Period,
    pub items: Vec<RecordView>,
    /// `before` for the next page.
    pub next: Option<i64>,
    /// Category code → its name in the reader's language.
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
}

/// The records behind one of the report's figures (`figure`: opinions,
/// meetings, plans, cases_closed, overdue, ratings; opinions narrowed `by`
/// `channel:CODE`, `category:CODE` or `outcome:published|rejected|merged|pending`;
/// opinions, meetings or plans `by` `corrected:snapshot`: those changed after
/// the saved month's snapshot), for the same reader, scope and period as the
/// report.
#[server(prefix = "/api", endpoint = "report_records", input = GetUrl)]
pub async fn report_records(
    #[server(default)] community: Option<i64>,
    #[server(default)] from: String,
    #[server(default)] to: String,
    figure: String,
    #[server(default)] by: Option<String>,
    #[server(default)] before: Option<i64>,
) -> Result<RecordsView, AppError> {
    use domain::reports::records;
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let (community, period) =
        domain::reports::resolve(&actor, community, &from, &to, domain::clock::now())
            .map_err(map_err)?;
    let figure = records::Figure::parse(&figure).map_err(map_err)?;
    let mut narrow = records::Narrow::default();
    if let Some(by) = by.filter(|b| !b.is_empty()) {
        let (what, value) = by.split_once(':').unwrap_or((by.as_str(), ""));
        if value.is_empty() {
            return Err(map_err(domain::DomainError::validation("by", "invalid")));
        }
        let value = Some(value.to_owned());
        match what {
            // The corrections listed beside a saved month's report.
            "corrected" if value.as_deref() == Some("snapshot") => narrow.corrected = true,
            "channel" => narrow.channel = value,
            "category" => narrow.category = value,
            "outcome" => narrow.outcome = value,
            _ => return Err(map_err(domain::DomainError::validation("by", "invalid"))),
        }
    }
    let page = records::records(
        &st.services,
        &actor,
        community,
        period,
        figure,
        narrow,
        before,
    )
    .await
    .map_err(map_err)?;
    let communities = domain::org::communities(&st.services)
        .await
        .map_err(map_err)?;
    let name_of = |id: Option<i64>| {
        communities
            .iter()
            .find(|c| Some(c.id) == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let scope = match community {
        Some(_) => name_of(community),
        None => communities
            .first()
            .map(|c| c.street_name.clone())
            .unwrap_or_default(),
    };
    Ok(RecordsView {
        scope,
        community_id: community,
        period: Period {
            from: period.from.to_string(),
            to: period.to.to_string(),
        },
        items: page
            .items
            .into_iter()
            .map(|r| RecordView {
                id: r.id,
                day: domain::clock::china_time(r.at)
                    .get(..10)
                    .unwrap_or_default()
                    .to_owned(),
                community: name_of(r.community_id),
                title: r.title,
                state: r.state,
                link: r.link,
                ratings: r.ratings,
                average: r.average,
            })
            .collect(),
        next: page.next,
        categories: category_names(&st.services).await?,
    })
}

/// Category code → its name in the reader's language.
#[cfg(feature = "ssr")]
async fn category_names(s: &domain::Services) -> Result<BTreeMap<String, String>, AppError> {
    let en = crate::i18n::initial_lang() == crate::i18n::Lang::En;
    Ok(domain::categories::list(s, true)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|c| (c.code, if en { c.name_en } else { c.name_zh }))
        .collect())
}
