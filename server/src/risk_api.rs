//! `/api/v1/risk`: the machine-to-machine side of risk warning. Outside
//! systems send indicator readings (`POST /api/v1/risk/readings`), the
//! voice gateway sends keypad answers (`POST /api/v1/risk/voice`), each
//! with its own source's token (`Authorization: Bearer …`). No cookies are
//! read here, so these routes sit outside the cross-origin guard that
//! protects the browser's session.
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn error(status: StatusCode, code: &str) -> Response {
    let mut res = answer(status, serde_json::json!({ "error": code }));
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn domain_error(e: domain::DomainError) -> Response {
    use domain::DomainError as E;
    match e {
        E::Unauthenticated => error(StatusCode::UNAUTHORIZED, "token"),
        E::Validation { field, rule } => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({"error": "validation", "field": field, "rule": rule}),
        ),
        E::NotFound => error(StatusCode::NOT_FOUND, "not_found"),
        E::Conflict(what) => error(StatusCode::CONFLICT, what),
        other => {
            tracing::error!(error = %other, "risk API failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

#[derive(Deserialize)]
pub struct Readings {
    readings: Vec<serde_json::Value>,
}

/// `POST /api/v1/risk/readings` `{"readings": [{"id", "subject",
/// "indicator", "value", "at"}, …]}` (at most 1,000): 200 with what was
/// stored, duplicates and warnings opened and closed; 422 with an error per
/// bad reading when any is bad (nothing stored); 401 for a bad token.
pub async fn readings(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(token) = bearer(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "token");
    };
    // The token first: a stranger's body is not even parsed.
    match domain::risk::source_known(&state.services, token, "readings").await {
        Ok(true) => {}
        Ok(false) => return error(StatusCode::UNAUTHORIZED, "token"),
        Err(e) => return domain_error(e),
    }
    let Ok(body) = serde_json::from_slice::<Readings>(&body) else {
        return error(StatusCode::BAD_REQUEST, "json");
    };
    match domain::risk::ingest::ingest(&state.services, token, &body.readings).await {
        Ok(domain::risk::ingest::Outcome::Stored(r)) => {
            answer(StatusCode::OK, serde_json::to_value(r).unwrap_or_default())
        }
        Ok(domain::risk::ingest::Outcome::Refused { errors }) => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({"error": "readings", "errors": errors}),
        ),
        Err(e) => domain_error(e),
    }
}

#[derive(Deserialize)]
pub struct VoiceAnswer {
    call: i64,
    key: String,
}

/// `POST /api/v1/risk/voice` `{"call": <call id>, "key": "1" | "2"}`: the
/// voice gateway's keypad answer (1 已处理, 2 需要帮助).
pub async fn voice(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<axum::Json<VoiceAnswer>, JsonRejection>,
) -> Response {
    let Some(token) = bearer(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "token");
    };
    let Ok(axum::Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "json");
    };
    match domain::risk::dispose::voice_answer(&state.services, token, body.call, &body.key).await {
        Ok(()) => answer(StatusCode::OK, serde_json::json!({"ok": true})),
        Err(e) => domain_error(e),
    }
}
