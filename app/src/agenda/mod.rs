//! 热点与议题 the agenda module's pages and server functions: the public
//! hot-topics ranking with its heat explained, a topic's evidence, what is
//! hot on the home page, and on an opinion the topic it joined.
pub mod i18n;
mod pages;

mod staff;

pub use pages::{HotOnHome, HotTopics, OpinionTopic, TopicPage};
pub use staff::{LexiconAdmin, Suggestions};

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::model::AppError;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

/// A heat figure and its parts (`domain::agenda::Breakdown`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HeatView {
    pub value: f64,
    pub posts: usize,
    pub residents: usize,
    pub decayed_residents: f64,
    pub channels: usize,
    pub communities: usize,
    pub spread: f64,
    pub supports: u32,
    pub support_part: f64,
    pub freshness: f64,
    pub half_life_days: f64,
    pub support_weight: f64,
    pub by_channel: Vec<(String, usize)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicCardView {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub keywords: Vec<String>,
    pub heat: HeatView,
    /// New residents per week, oldest first.
    pub trend: Vec<usize>,
    pub first_at: String,
    pub last_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicOpinionView {
    pub id: i64,
    pub title: String,
    pub channel: String,
    pub community_name: String,
    pub at: String,
    pub supports: i32,
    pub copy: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicDetailView {
    pub card: TopicCardView,
    pub summary: Option<String>,
    pub reject_reason: Option<String>,
    pub merged_into: Option<i64>,
    /// (community, residents, heat there)
    pub communities: Vec<(String, i32, f64)>,
    pub opinions: Vec<TopicOpinionView>,
    pub total_opinions: usize,
    /// What residents keep saying (TextRank over the newest opinions).
    pub phrases: Vec<String>,
}

#[cfg(feature = "ssr")]
use domain::clock::china_day as day;

#[cfg(feature = "ssr")]
fn card_view(c: domain::agenda::TopicCard, support_weight: f64) -> TopicCardView {
    let b = c.breakdown;
    TopicCardView {
        id: c.id,
        title: c.title,
        status: c.status,
        keywords: c.keywords,
        heat: HeatView {
            value: c.heat,
            posts: b.posts,
            residents: b.residents,
            decayed_residents: b.decayed_residents,
            channels: b.channels,
            communities: b.communities,
            spread: b.spread,
            supports: b.supports,
            support_part: b.support_part,
            freshness: b.freshness,
            half_life_days: b.half_life_days,
            support_weight,
            by_channel: b.by_channel,
        },
        trend: c.trend,
        first_at: day(c.first_at),
        last_at: day(c.last_at),
    }
}

/// Most topics one ranking page shows.
pub const TOPICS_PAGE: u32 = 30;

/// Topics by heat: the whole street, or one community (its own heat).
#[server(prefix = "/api", endpoint = "topics", input = GetUrl)]
pub async fn hot_topics(
    community: Option<i64>,
    limit: Option<u32>,
) -> Result<Vec<TopicCardView>, AppError> {
    let st = state::state()?;
    let w = st.services.settings.agenda.heat.support_weight;
    let limit = u64::from(limit.unwrap_or(TOPICS_PAGE).clamp(1, TOPICS_PAGE));
    Ok(domain::agenda::ranking(&st.services, community, limit)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|c| card_view(c, w))
        .collect())
}

/// One topic with the evidence behind it (public text only).
#[server(prefix = "/api", endpoint = "topic", input = GetUrl)]
pub async fn topic_detail(id: i64) -> Result<TopicDetailView, AppError> {
    let st = state::state()?;
    let w = st.services.settings.agenda.heat.support_weight;
    let t = domain::agenda::topic(&st.services, id)
        .await
        .map_err(map_err)?;
    let communities = domain::org::communities(&st.services)
        .await
        .map_err(map_err)?;
    let name = |id: i64| {
        communities
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    Ok(TopicDetailView {
        summary: t.summary,
        reject_reason: t.reject_reason,
        merged_into: t.merged_into,
        communities: t
            .communities
            .iter()
            .map(|(c, r, h)| (name(*c), *r, *h))
            .collect(),
        total_opinions: t.opinions_total,
        phrases: t.phrases,
        opinions: t
            .opinions
            .into_iter()
            .map(|o| TopicOpinionView {
                id: o.id,
                title: o.title,
                channel: o.channel,
                community_name: name(o.community_id),
                at: day(o.at),
                supports: o.supports,
                copy: o.copy_of.is_some(),
            })
            .collect(),
        card: card_view(t.card, w),
    })
}

/// The topic an opinion joined: (id, title, status).
#[server(prefix = "/api", endpoint = "opinion_topic", input = GetUrl)]
pub async fn opinion_topic(id: i64) -> Result<Option<(i64, String, String)>, AppError> {
    let st = state::state()?;
    // Only an opinion the viewer may see says where it went.
    let viewer = state::principal().await?;
    domain::opinions::detail(&st.services, viewer.as_ref(), id)
        .await
        .map_err(map_err)?;
    domain::agenda::topic_of_opinion(&st.services, id)
        .await
        .map_err(map_err)
}

/// Open topics above `min_heat` in the staff member's communities.
#[server(prefix = "/api", endpoint = "agenda_suggestions", input = GetUrl)]
pub async fn agenda_suggestions(min_heat: Option<f64>) -> Result<Vec<TopicCardView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let w = st.services.settings.agenda.heat.support_weight;
    let min = min_heat.unwrap_or(domain::agenda::decide::SUGGEST_MIN_HEAT);
    Ok(
        domain::agenda::decide::suggestions(&st.services, &actor, min)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(|c| card_view(c, w))
            .collect(),
    )
}

/// Accept a topic onto the council agenda; answers the agenda item's id.
#[server(prefix = "/api", endpoint = "accept_topic")]
pub async fn accept_topic(
    id: i64,
    title: String,
    #[server(default)] summary: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::agenda::decide::accept(&st.services, &actor, id, &title, &summary)
        .await
        .map(|a| a.agenda_item)
        .map_err(map_err)
}

/// Reject a topic with a reason everyone sees.
#[server(prefix = "/api", endpoint = "reject_topic")]
pub async fn reject_topic(id: i64, reason: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::agenda::decide::reject(&st.services, &actor, id, &reason)
        .await
        .map_err(map_err)
}

/// Merge topic `id` into topic `into`.
#[server(prefix = "/api", endpoint = "merge_topic")]
pub async fn merge_topic(id: i64, into: i64) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::agenda::decide::merge(&st.services, &actor, id, into)
        .await
        .map_err(map_err)
}

/// Split an opinion off topic `id`; answers the new topic's id.
#[server(prefix = "/api", endpoint = "split_opinion")]
pub async fn split_opinion(id: i64, opinion_id: i64) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::agenda::decide::split(&st.services, &actor, id, opinion_id)
        .await
        .map_err(map_err)
}

/// Open a pre-vote: one statement per line.
#[server(prefix = "/api", endpoint = "open_prevote")]
pub async fn open_prevote(id: i64, statements: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    if statements.len() > 8 * 1024 {
        return Err(map_err(domain::DomainError::validation(
            "statements",
            "too_long",
        )));
    }
    let lines: Vec<String> = statements.lines().map(str::to_owned).collect();
    domain::agenda::prevote::open(&st.services, &actor, id, &lines)
        .await
        .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementView {
    pub id: i64,
    pub text: String,
    pub agree: usize,
    pub disagree: usize,
    pub pass: usize,
    pub agree_share: f64,
    pub disagree_share: f64,
    pub pass_share: f64,
    pub verdict: String,
    pub mine: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrevoteView {
    pub state: Option<String>,
    pub statements: Vec<StatementView>,
    pub residents: usize,
}

/// A topic's pre-vote, the viewer's own answers marked.
#[server(prefix = "/api", endpoint = "prevote", input = GetUrl)]
pub async fn prevote(id: i64) -> Result<PrevoteView, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    let p = domain::agenda::prevote::results(&st.services, viewer.as_ref(), id)
        .await
        .map_err(map_err)?;
    Ok(PrevoteView {
        state: p.state,
        residents: p.residents,
        statements: p
            .statements
            .into_iter()
            .map(|s| StatementView {
                id: s.id,
                text: s.text,
                agree: s.agree,
                disagree: s.disagree,
                pass: s.pass,
                agree_share: s.agree_share,
                disagree_share: s.disagree_share,
                pass_share: s.pass_share,
                verdict: s.verdict.as_str().to_owned(),
                mine: s.mine.map(|m| m.as_str().to_owned()),
            })
            .collect(),
    })
}

/// A resident answers one statement: agree, disagree or pass.
#[server(prefix = "/api", endpoint = "answer_prevote")]
pub async fn answer_prevote(statement_id: i64, choice: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let choice = domain::agenda::prevote::Choice::parse(&choice)
        .ok_or_else(|| map_err(domain::DomainError::validation("choice", "invalid")))?;
    domain::agenda::prevote::answer(&st.services, &actor, statement_id, choice)
        .await
        .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermView {
    pub id: i64,
    pub kind: String,
    pub term: String,
    pub canonical: Option<String>,
    pub created_at: String,
}

/// The lexicon entries admins added.
#[server(prefix = "/api", endpoint = "lexicon_terms", input = GetUrl)]
pub async fn lexicon_terms() -> Result<Vec<TermView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    Ok(domain::agenda::lexicon::terms(&st.services, &actor)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|t| TermView {
            id: t.id,
            kind: t.kind,
            term: t.term,
            canonical: t.canonical,
            created_at: day(t.created_at),
        })
        .collect())
}

/// An admin adds a word, synonym or stop word.
#[server(prefix = "/api", endpoint = "lexicon_add")]
pub async fn lexicon_add(
    kind: String,
    term: String,
    #[server(default)] canonical: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let canonical = (!canonical.trim().is_empty()).then_some(canonical);
    domain::agenda::lexicon::add_term(&st.services, &actor, &kind, &term, canonical.as_deref())
        .await
        .map_err(map_err)
}

/// An admin removes an entry they added.
#[server(prefix = "/api", endpoint = "lexicon_remove")]
pub async fn lexicon_remove(id: i64) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::agenda::lexicon::remove_term(&st.services, &actor, id)
        .await
        .map_err(map_err)
}

/// How the current lexicon reads a text (admins try a change out).
#[server(prefix = "/api", endpoint = "lexicon_preview", input = GetUrl)]
pub async fn lexicon_preview(text: String) -> Result<Vec<String>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::agenda::lexicon::preview(&st.services, &actor, &text)
        .await
        .map_err(map_err)
}
