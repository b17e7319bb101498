//! Hongcha's own signals: residents' opinions feed risk points. For each
//! point with lexicon terms (`risk_point.signal_terms`) and a live model on
//! `opinion.<point>`, every community's reading is the heat of its topics
//! whose keywords name one of the terms — a rising topic about 飞线充电 in
//! one community lifts that community's 电动自行车 risk. One reading per
//! point, community and hour (idempotent), through the same ingest path.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::entities::{risk_point, risk_subject};
use super::{Models, SubjectInput};
use crate::agenda::entities::{topic, topic_community};
use crate::error::DomainResult;
use crate::{Services, clock};

const SOURCE: &str = "红茶民意信号";

/// The community's area subject (made when first needed).
async fn area_subject(s: &Services, community: i64) -> DomainResult<String> {
    let code = format!("community-{community}");
    if risk_subject::Entity::find()
        .filter(risk_subject::Column::Code.eq(code.clone()))
        .one(&s.db)
        .await?
        .is_none()
    {
        let name = crate::org::communities(s)
            .await?
            .into_iter()
            .find(|c| c.id == community)
            .map(|c| c.name)
            .unwrap_or_else(|| code.clone());
        super::save_subject(
            s,
            None,
            SubjectInput {
                code: code.clone(),
                kind: "area".into(),
                name,
                community_id: Some(community),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(code)
}

/// Sends this hour's opinion signals; returns how many readings.
pub async fn send(s: &Services, models: &Models, now: DateTime<Utc>) -> DomainResult<usize> {
    let points: Vec<(String, Vec<String>)> = risk_point::Entity::find()
        .filter(risk_point::Column::SignalTerms.is_not_null())
        .all(&s.db)
        .await?
        .into_iter()
        .filter(|p| {
            models
                .by_indicator
                .contains_key(&format!("opinion.{}", p.key))
        })
        .filter_map(|p| {
            let terms: Vec<String> = p
                .signal_terms?
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            (!terms.is_empty()).then_some((p.key, terms))
        })
        .collect();
    if points.is_empty() {
        return Ok(0);
    }
    // The topics residents are raising now, by community.
    let topics: HashMap<i64, String> = topic::Entity::find()
        .filter(topic::Column::Status.is_in(["open", "accepted"]))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|t| (t.id, format!("{} {}", t.label, t.keywords)))
        .collect();
    let mut heat: HashMap<(String, i64), f64> = HashMap::new();
    for tc in topic_community::Entity::find()
        .filter(topic_community::Column::TopicId.is_in(topics.keys().copied().collect::<Vec<_>>()))
        .all(&s.db)
        .await?
    {
        let Some(words) = topics.get(&tc.topic_id) else {
            continue;
        };
        for (point, terms) in &points {
            if terms.iter().any(|t| words.contains(t.as_str())) {
                *heat.entry((point.clone(), tc.community_id)).or_default() += tc.heat;
            }
        }
    }
    // Every community with a reading for every point, zero included, so a
    // cooled-down matter recovers.
    let communities: Vec<i64> = crate::org::communities(s)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let hour = clock::china_time(now).replace([' ', ':', '-'], "");
    let hour = &hour[..hour.len().min(10)];
    let mut batch = Vec::new();
    for c in &communities {
        let subject = area_subject(s, *c).await?;
        for (point, _) in &points {
            let v = heat.get(&(point.clone(), *c)).copied().unwrap_or(0.0);
            batch.push(serde_json::json!({
                "id": format!("opinion:{point}:{c}:{hour}"),
                "subject": subject,
                "indicator": format!("opinion.{point}"),
                "value": (v * 100.0).round() / 100.0,
                "at": now.to_rfc3339(),
            }));
        }
    }
    let source = super::ingest::own_source(s, SOURCE, "internal", None).await?;
    let mut sent = 0;
    for chunk in batch.chunks(super::ingest::MAX_BATCH) {
        if let super::ingest::Outcome::Stored(r) =
            super::ingest::ingest_from(s, &source, chunk, now).await?
        {
            sent += r.stored;
        }
    }
    Ok(sent)
}
