//! `/api/v1`: the public, read-only open-data API. Hot topics with their
//! heat explained; every topic with what became of it, published opinions
//! (masked), announced meetings and plans with their ratings, a page at a
//! time (`cursor`), by community and period, as JSON or CSV. Described by its own OpenAPI 3 document
//! (`/api/v1/openapi.json`, see `openapi.rs`) and a page for people
//! (`/api/v1/docs`); the test command checks every answer against it.
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
    let community = match community_of(&state, q.community.as_deref()).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    match domain::agenda::api_topics(&state.services, community, limit).await {
        Ok(t) => axum::Json(t).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "topics failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

/// A community named by id or by name; none when absent or empty.
async fn community_of(state: &AppState, given: Option<&str>) -> Result<Option<i64>, Response> {
    let Some(c) = given.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if c.chars().count() > 64 {
        return Err(error(StatusCode::BAD_REQUEST, "community"));
    }
    match domain::org::communities(&state.services).await {
        Ok(list) => match list
            .into_iter()
            .find(|x| x.name == c || x.id.to_string() == c)
        {
            Some(x) => Ok(Some(x.id)),
            None => Err(error(StatusCode::NOT_FOUND, "community")),
        },
        Err(e) => {
            tracing::error!(error = %e, "listing communities failed");
            Err(error(StatusCode::INTERNAL_SERVER_ERROR, "internal"))
        }
    }
}

/// `GET /api/v1/communities`: the communities in service.
pub async fn communities(State(state): State<AppState>) -> Response {
    match domain::org::communities(&state.services).await {
        Ok(list) => axum::Json(
            list.into_iter()
                .map(|c| serde_json::json!({ "id": c.id, "name": c.name }))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "listing communities failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    community: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// The list endpoints' query, checked: a filter and whether CSV was asked.
async fn list_query(
    state: &AppState,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<(domain::reports::open::Filter, bool), Response> {
    use domain::reports::Period;
    let bad = |field: &str| error(StatusCode::BAD_REQUEST, field);
    let Ok(Query(q)) = q else {
        return Err(bad("query"));
    };
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let community = community_of(state, q.community.as_deref()).await?;
    // A day (`YYYY-MM-DD`) or a month (`YYYY-MM`): from its start, to its end.
    let from = match given(&q.from) {
        None => None,
        Some(f) => Some(Period::parse(&f, &f).map_err(|_| bad("from"))?.start()),
    };
    let until = match given(&q.to) {
        None => None,
        Some(t) => Some(Period::parse(&t, &t).map_err(|_| bad("to"))?.end()),
    };
    if let (Some(f), Some(u)) = (from, until)
        && u <= f
    {
        return Err(bad("to"));
    }
    let before = match given(&q.cursor) {
        None => None,
        Some(c) => match domain::reports::open::Cursor::parse(&c) {
            Some(c) => Some(c),
            None => return Err(bad("cursor")),
        },
    };
    let limit = match given(&q.limit) {
        None => domain::reports::open::PAGE_DEFAULT,
        Some(l) => match l.parse::<u64>() {
            Ok(n) if (1..=domain::reports::open::PAGE_MAX).contains(&n) => n,
            _ => return Err(bad("limit")),
        },
    };
    let csv = match given(&q.format).as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(bad("format")),
    };
    Ok((
        domain::reports::open::Filter {
            community,
            from,
            until,
            before,
            limit,
        },
        csv,
    ))
}

/// A record as a CSV row.
trait CsvRow {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

impl CsvRow for domain::reports::open::OpenOpinion {
    const HEADER: &'static [&'static str] = &[
        "id",
        "community_id",
        "channel",
        "category",
        "title",
        "body",
        "supports",
        "published_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.community_id.to_string(),
            self.channel.clone(),
            self.category.clone(),
            self.title.clone(),
            self.body.clone(),
            self.supports.to_string(),
            self.published_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for domain::reports::open::OpenMeeting {
    const HEADER: &'static [&'static str] = &[
        "id",
        "community_id",
        "title",
        "mode",
        "status",
        "starts_at",
        "invited",
        "attended_onsite",
        "attended_online",
        "ratings",
        "rating_average",
        "outcome_use",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.community_id.to_string(),
            self.title.clone(),
            self.mode.clone(),
            self.status.clone(),
            self.starts_at.to_rfc3339(),
            self.invited.to_string(),
            self.attended_onsite.to_string(),
            self.attended_online.to_string(),
            self.ratings.iter().sum::<i64>().to_string(),
            average(self.rating_average),
            self.outcome_use.clone().unwrap_or_default(),
        ]
    }
}

/// A rating average as a CSV cell: two decimals, empty when nobody rated.
fn average(a: Option<f64>) -> String {
    a.map(|a| format!("{a:.2}")).unwrap_or_default()
}

impl CsvRow for domain::reports::open::OpenTopic {
    const HEADER: &'static [&'static str] = &[
        "id",
        "title",
        "status",
        "reject_reason",
        "merged_into",
        "heat",
        "residents",
        "posts",
        "first_at",
        "last_at",
        "decided_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.title.clone(),
            self.status.clone(),
            self.reject_reason.clone().unwrap_or_default(),
            self.merged_into.map(|m| m.to_string()).unwrap_or_default(),
            format!("{:.2}", self.heat),
            self.residents.to_string(),
            self.posts.to_string(),
            self.first_at.to_rfc3339(),
            self.last_at.to_rfc3339(),
            self.decided_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ]
    }
}

impl CsvRow for domain::reports::open::OpenPlan {
    const HEADER: &'static [&'static str] = &[
        "id",
        "community_id",
        "title",
        "status",
        "round",
        "created_at",
        "closed_at",
        "tasks",
        "tasks_done",
        "ratings",
        "rating_average",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.community_id.to_string(),
            self.title.clone(),
            self.status.clone(),
            self.round.to_string(),
            self.created_at.to_rfc3339(),
            self.closed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            self.tasks.to_string(),
            self.tasks_done.to_string(),
            self.ratings.iter().sum::<i64>().to_string(),
            average(self.rating_average),
        ]
    }
}

/// A page as JSON, or as CSV (UTF-8 with a byte-order mark; formula-looking
/// cells neutralised; the next page's cursor in `X-Next-Cursor`).
fn answer<T: serde::Serialize + CsvRow>(
    page: domain::DomainResult<domain::reports::open::Page<T>>,
    csv: bool,
) -> Response {
    let page = match page {
        Ok(p) => p,
        Err(domain::DomainError::Validation { field, .. }) => {
            return error(StatusCode::BAD_REQUEST, field);
        }
        Err(e) => {
            tracing::error!(error = %e, "open data failed");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
        }
    };
    if !csv {
        return axum::Json(page).into_response();
    }
    let mut out = Vec::from(b"\xEF\xBB\xBF".as_slice());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let mut rows = vec![T::HEADER.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
        rows.extend(page.items.iter().map(|r| {
            r.cells()
                .iter()
                .map(|c| domain::reports::export::neutralise(c))
                .collect()
        }));
        for row in rows {
            if w.write_record(&row).is_err() {
                return error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
            }
        }
        if w.flush().is_err() {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
        }
    }
    let mut res = out.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Some(next) = page
        .next_cursor
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        h.insert("x-next-cursor", next);
    }
    res
}

/// `GET /api/v1/topics/all`: every topic, newest first, with what became of it.
pub async fn all_topics(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    match list_query(&state, q).await {
        Ok((f, csv)) => answer(domain::reports::open::topics(&state.services, f).await, csv),
        Err(res) => res,
    }
}

/// `GET /api/v1/opinions`: published opinions, masked, newest first.
pub async fn opinions(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    match list_query(&state, q).await {
        Ok((f, csv)) => answer(
            domain::reports::open::opinions(&state.services, f).await,
            csv,
        ),
        Err(res) => res,
    }
}

/// `GET /api/v1/meetings`: announced meetings with attendance.
pub async fn meetings(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    match list_query(&state, q).await {
        Ok((f, csv)) => answer(
            domain::reports::open::meetings(&state.services, f).await,
            csv,
        ),
        Err(res) => res,
    }
}

/// `GET /api/v1/plans`: plans with tasks done and residents' ratings.
pub async fn plans(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    match list_query(&state, q).await {
        Ok((f, csv)) => answer(domain::reports::open::plans(&state.services, f).await, csv),
        Err(res) => res,
    }
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> Response {
    axum::Json(crate::openapi::document()).into_response()
}

/// `GET /api/v1/docs`: the API described for people, from the same document.
pub async fn docs() -> Response {
    axum::response::Html(crate::openapi::page()).into_response()
}
