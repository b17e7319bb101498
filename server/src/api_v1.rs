//! `/api/v1`: the public, read-only JSON API (open data). For now the hot
//! topics; the reports issue adds the rest with its OpenAPI document.
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;

#[derive(Deserialize)]
pub struct TopicsQuery {
    /// A community's id or name; the whole street when absent or empty.
    community: Option<String>,
    /// How many topics (1–100, default 20).
    limit: Option<String>,
}

fn error(status: StatusCode, code: &str) -> Response {
    let mut res = (status, axum::Json(serde_json::json!({ "error": code }))).into_response();
    // Never kept by the page cache or a browser.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /api/v1/topics?community=&limit=`: the ranking with each heat
/// figure's breakdown, keywords and member opinion ids.
pub async fn topics(
    State(state): State<AppState>,
    q: Result<Query<TopicsQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return error(StatusCode::BAD_REQUEST, "query");
    };
    let limit = match q.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => 20,
        Some(l) => match l.parse::<u64>() {
            Ok(n) if (1..=domain::agenda::RANKING_MAX).contains(&n) => n,
            _ => return error(StatusCode::BAD_REQUEST, "limit"),
        },
    };
    let community = match q
        .community
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) => {
            if c.chars().count() > 64 {
                return error(StatusCode::BAD_REQUEST, "community");
            }
            match domain::org::communities(&state.services).await {
                Ok(list) => match list
                    .into_iter()
                    .find(|x| x.name == c || x.id.to_string() == c)
                {
                    Some(x) => Some(x.id),
                    None => return error(StatusCode::NOT_FOUND, "community"),
                },
                Err(e) => {
                    tracing::error!(error = %e, "listing communities failed");
                    return error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
                }
            }
        }
    };
    match domain::agenda::api_topics(&state.services, community, limit).await {
        Ok(t) => axum::Json(t).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "topics failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}
