//! 热点与议题 the agenda module's pages and server functions: the public
//! hot-topics ranking with its heat explained, a topic's evidence, what is
//! hot on the home page, and on an opinion the topic it joined.
pub mod i18n;
mod pages;

pub use pages::{HotOnHome, HotTopics, OpinionTopic, TopicPage};

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
        total_opinions: t.member_ids.len(),
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
