//! File uploads and downloads that server functions do not carry well:
//! opinion photos (multipart form, served back with access checks) and the
//! staff's import file. Plain HTML forms post here, so both work without
//! JavaScript; the origin guard covers them like every other mutation.
use app::state::AppState;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};

async fn principal(
    st: &AppState,
    headers: &HeaderMap,
) -> Result<Option<domain::Principal>, Response> {
    app::state::principal_in(&st.services, headers, st.secure_cookies)
        .await
        .map_err(error_response)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

fn status_of(e: &domain::DomainError) -> StatusCode {
    app::state::http_status(e)
}

fn error_response(e: domain::DomainError) -> Response {
    if matches!(
        e,
        domain::DomainError::Database(_) | domain::DomainError::Internal(_)
    ) {
        tracing::error!(error = %e, "upload failed");
    }
    (
        status_of(&e),
        axum::Json(serde_json::json!({ "error": e.message_key() })),
    )
        .into_response()
}

/// Answers an HTML form with a redirect back to the page (carrying the
/// outcome in the query), and an API client with JSON.
fn answer(
    headers: &HeaderMap,
    page: &str,
    result: Result<serde_json::Value, domain::DomainError>,
) -> Response {
    if wants_json(headers) {
        return match result {
            Ok(v) => axum::Json(v).into_response(),
            Err(e) => error_response(e),
        };
    }
    // The outcome goes into the query, before any `#fragment`.
    let (page, fragment) = match page.split_once('#') {
        Some((p, f)) => (p, format!("#{f}")),
        None => (page, String::new()),
    };
    let sep = if page.contains('?') { '&' } else { '?' };
    match result {
        Ok(_) => Redirect::to(&format!("{page}{sep}upload=ok{fragment}")).into_response(),
        Err(e) => {
            if matches!(
                e,
                domain::DomainError::Database(_) | domain::DomainError::Internal(_)
            ) {
                tracing::error!(error = %e, "upload failed");
            }
            Redirect::to(&format!(
                "{page}{sep}upload_error={}{fragment}",
                e.message_key()
            ))
            .into_response()
        }
    }
}

/// Reads every file field called `field` (at most `max_files`; more is
/// `too_many_photos`, or `one_at_a_time` for a form of one file).
async fn files(
    mut form: Multipart,
    field: &str,
    max_files: usize,
) -> Result<Vec<(String, Vec<u8>)>, domain::DomainError> {
    let bad = || domain::DomainError::validation("file", "invalid");
    let mut out = Vec::new();
    while let Some(f) = form.next_field().await.map_err(|_| bad())? {
        if f.name() != Some(field) {
            continue;
        }
        let name = f.file_name().unwrap_or_default().to_owned();
        let bytes = f.bytes().await.map_err(|_| bad())?;
        // An empty file input still sends one part with no name and no bytes.
        if name.is_empty() && bytes.is_empty() {
            continue;
        }
        if out.len() == max_files {
            // A form that takes one file at a time, or the opinion's photos.
            return Err(if max_files == 1 {
                domain::DomainError::validation("file", "one_at_a_time")
            } else {
                domain::DomainError::Conflict("too_many_photos")
            });
        }
        out.push((name, bytes.to_vec()));
    }
    Ok(out)
}

/// One file `photo` (required, one at a time) and a `note` of at most
/// `note_max` characters from a multipart form.
async fn photo_and_note(
    mut form: Multipart,
    note_max: usize,
) -> Result<(Vec<u8>, String), domain::DomainError> {
    let bad = || domain::DomainError::validation("file", "invalid");
    let (mut photo, mut note) = (None, String::new());
    while let Some(f) = form.next_field().await.map_err(|_| bad())? {
        match f.name() {
            Some("photo") if photo.is_none() => {
                let bytes = f.bytes().await.map_err(|_| bad())?;
                if !bytes.is_empty() {
                    photo = Some(bytes.to_vec());
                }
            }
            Some("photo") => {
                return Err(domain::DomainError::validation("photo", "one_at_a_time"));
            }
            Some("note") => {
                let text = f.text().await.map_err(|_| bad())?;
                if text.chars().count() > note_max {
                    return Err(domain::DomainError::validation("note", "too_long"));
                }
                note = text;
            }
            _ => {}
        }
    }
    let photo = photo.ok_or(domain::DomainError::validation("photo", "required"))?;
    Ok((photo, note))
}

/// The one file of field `file` (its name and bytes); none is `empty`.
async fn one_file(form: Multipart) -> Result<(String, Vec<u8>), domain::DomainError> {
    files(form, "file", 1)
        .await?
        .pop()
        .ok_or(domain::DomainError::validation("file", "empty"))
}

/// `POST /opinions/{id}/photos` (multipart, field `photo`, several allowed).
pub async fn upload_photos(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let page = format!("/opinions/{id}");
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&headers, &page, Err(domain::DomainError::Unauthenticated)),
        Err(r) => return r,
    };
    let result = async {
        // Nothing of the upload is read before the author check passes.
        domain::photos::may_attach(&st.services, &actor, id).await?;
        let files = files(form, "photo", domain::photos::MAX_PHOTOS as usize).await?;
        let bytes: Vec<Vec<u8>> = files.into_iter().map(|(_, b)| b).collect();
        let stored = domain::photos::attach(&st.services, &actor, id, &bytes).await?;
        Ok(serde_json::json!({ "photos": stored.iter().map(|p| p.id).collect::<Vec<_>>() }))
    }
    .await;
    answer(&headers, &page, result)
}

/// `POST /plans/tasks/{id}/photos` (multipart: one file `photo`, and a
/// `note`): a photo of the task's progress on the plan's timeline.
pub async fn upload_task_photo(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let page = match domain::plans::plan_of_task(&st.services, id).await {
        Ok(plan) => format!("/plans/{plan}"),
        Err(e) => return answer(&headers, "/plans", Err(e)),
    };
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&headers, &page, Err(domain::DomainError::Unauthenticated)),
        Err(r) => return r,
    };
    let result = async {
        // Nothing of the upload is read before the permission check passes.
        domain::plans::photos::may_add(&st.services, &actor, id).await?;
        let (photo, note) = photo_and_note(form, domain::plans::NOTE_MAX).await?;
        let line = domain::plans::photos::add(&st.services, &actor, id, &photo, &note).await?;
        Ok(serde_json::json!({ "update": line }))
    }
    .await;
    answer(&headers, &page, result)
}

/// `POST /risk/warnings/{id}/photos` (multipart: one file `photo`, and a
/// `note`): a photo of the scene on a risk case, for those who work on it.
pub async fn upload_risk_photo(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let page = format!("/risk/warnings/{id}");
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&headers, &page, Err(domain::DomainError::Unauthenticated)),
        Err(r) => return r,
    };
    let result = async {
        // Nothing of the upload is read before the permission check passes.
        domain::risk::photos::may_add(&st.services, &actor, id).await?;
        let (photo, note) = photo_and_note(form, domain::risk::dispose::NOTE_MAX).await?;
        let step = domain::risk::photos::add(&st.services, &actor, id, &photo, &note).await?;
        Ok(serde_json::json!({ "step": step }))
    }
    .await;
    answer(&headers, &page, result)
}

/// `GET /media/risk-photos/{id}[?size=phone|thumb]`: a risk case's photo,
/// for whoever may see the case.
pub async fn risk_photo(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let size = size_of(&q);
    let viewer = match principal(&st, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let read = domain::risk::photos::read(&st.services, viewer.as_ref(), id, size).await;
    file_answer(read.map(|b| ("image/jpeg", b)), "private, max-age=3600")
}

/// `POST /enterprise/requests/{id}/attachments` (multipart: one file
/// `file`, a photo or a PDF): a file on an enterprise's request, from its
/// accounts or the staff who answer it; back to the page it came from.
pub async fn upload_request_attachment(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    // Only the two pages that carry the form are places to go back to.
    // (`for` tells the page which request's card shows the outcome.)
    let page = match q.get("from").map(String::as_str) {
        Some("queue") => format!("/enterprise/requests?for={id}#request-{id}"),
        _ => format!("/enterprise?for={id}#ent-request-{id}"),
    };
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&headers, &page, Err(domain::DomainError::Unauthenticated)),
        Err(r) => return r,
    };
    let result = async {
        // Nothing of the upload is read before the permission check passes.
        domain::enterprise::attachments::may_add(&st.services, &actor, id).await?;
        let (name, bytes) = one_file(form).await?;
        let file =
            domain::enterprise::attachments::add(&st.services, &actor, id, &name, &bytes).await?;
        Ok(serde_json::json!({ "attachment": file }))
    }
    .await;
    answer(&headers, &page, result)
}

/// `GET /media/ent-attachments/{id}[?size=phone|thumb]`: a request's photo
/// (shown) or PDF (downloaded, never shown in the page), for whoever may
/// see the request.
pub async fn request_attachment(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let size = size_of(&q);
    let viewer = match principal(&st, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match domain::enterprise::attachments::read(&st.services, viewer.as_ref(), id, size).await {
        Ok(d) if d.attachment => {
            let mut res = image_response(d.bytes, d.content_type, "private, no-store");
            // RFC 6266: an ASCII fallback and the real name, percent-encoded.
            let disposition = format!(
                "attachment; filename=\"attachment-{id}.pdf\"; filename*=UTF-8''{}",
                percent_encode(&d.name)
            );
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            // Opened anyway (a browser's viewer): no script, no site access.
            res.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            );
            res
        }
        // Not kept by the browser: access ends when the request's does.
        read => file_answer(read.map(|d| (d.content_type, d.bytes)), "private, no-store"),
    }
}

/// Every byte outside RFC 5987's `attr-char` as `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /media/task-photos/{id}[?size=phone|thumb]`: a task's photo (plans
/// are public).
pub async fn task_photo(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let size = size_of(&q);
    let read = domain::plans::photos::read(&st.services, id, size).await;
    file_answer(read.map(|b| ("image/jpeg", b)), "public, max-age=3600")
}

/// The size a photo is asked for in (`?size=phone|thumb`; else the full one).
fn size_of(q: &std::collections::HashMap<String, String>) -> domain::photos::Size {
    domain::photos::Size::parse(q.get("size").map(String::as_str).unwrap_or(""))
}

/// A stored file read for a viewer: shown inline under `cache`, or the
/// error's status (a file the viewer may not see is "not found").
fn file_answer<T: AsRef<str>>(
    read: Result<(T, Vec<u8>), domain::DomainError>,
    cache: &'static str,
) -> Response {
    match read {
        Ok((content_type, bytes)) => image_response(bytes, content_type.as_ref(), cache),
        Err(e) => (status_of(&e), e.message_key()).into_response(),
    }
}

fn image_response(bytes: Vec<u8>, content_type: &str, cache: &'static str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    res
}

/// `GET /media/photos/{id}[?size=phone|thumb]`: the photo, for whoever may
/// see its opinion.
pub async fn photo(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let size = size_of(&q);
    let viewer = match principal(&st, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let read = domain::photos::read(&st.services, viewer.as_ref(), id, size).await;
    file_answer(read, "private, max-age=3600")
}

/// `POST /staff/import/upload` (multipart, field `file`): keeps the file and
/// sends the staff member on to the column mapping and preview.
pub async fn upload_import(
    State(st): State<AppState>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let page = "/staff/import";
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&headers, page, Err(domain::DomainError::Unauthenticated)),
        Err(r) => return r,
    };
    let result = async {
        let (name, bytes) = one_file(form).await?;
        domain::import::stash(&st.services, &actor, &name, bytes).await
    }
    .await;
    match result {
        Ok(token) if !wants_json(&headers) => {
            Redirect::to(&format!("{page}?file={token}")).into_response()
        }
        Ok(token) => axum::Json(serde_json::json!({ "file": token })).into_response(),
        Err(e) => answer(&headers, page, Err(e)),
    }
}

/// `POST /admin/risk/readings` (multipart, field `file`: CSV or XLSX):
/// readings imported, checked whole first. The form comes back to the
/// admin page with what was stored, or the file's refused lines.
pub async fn upload_risk_readings(
    State(st): State<AppState>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let page = "/admin/risk#risk-admin-sources";
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&headers, page, Err(domain::DomainError::Unauthenticated)),
        Err(r) => return r,
    };
    let result = async {
        // (Who may import is decided in `domain`; it reads no file first.)
        domain::risk::ingest::may_import(&actor)?;
        let (name, bytes) = one_file(form).await?;
        domain::risk::ingest::import_file(&st.services, Some(&actor), &name, bytes).await
    }
    .await;
    use domain::risk::ingest::Outcome;
    match result {
        Ok(outcome) if wants_json(&headers) => {
            let status = match outcome {
                Outcome::Stored(_) => StatusCode::OK,
                Outcome::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            };
            (status, axum::Json(outcome)).into_response()
        }
        Ok(Outcome::Stored(r)) => Redirect::to(&format!(
            "/admin/risk?readings={}-{}-{}#risk-admin-sources",
            r.stored, r.duplicates, r.warnings_opened
        ))
        .into_response(),
        Ok(Outcome::Refused { errors }) => {
            // The first lines refused (the page names each one's fault).
            let rows: Vec<String> = errors
                .iter()
                .take(20)
                .map(|e| format!("{}:{}", e.index, e.error))
                .collect();
            Redirect::to(&format!(
                "/admin/risk?readings_rows={}#risk-admin-sources",
                rows.join(",")
            ))
            .into_response()
        }
        Err(e) => answer(&headers, page, Err(e)),
    }
}

/// `POST /admin/risk/outlines` (multipart, field `file`: GeoJSON): the
/// overview map's outlines, checked whole like the pasted ones.
pub async fn upload_risk_outlines(
    State(st): State<AppState>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let page = "/admin/risk#risk-admin-map";
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&headers, page, Err(domain::DomainError::Unauthenticated)),
        Err(r) => return r,
    };
    let result = async {
        actor.require_admin()?;
        let (_, bytes) = one_file(form).await?;
        let text = String::from_utf8(bytes)
            .map_err(|_| domain::DomainError::validation("file", "not_utf8"))?;
        // A byte-order mark some editors write.
        let text = text.trim_start_matches('\u{feff}');
        domain::risk::portrait::set_outlines(&st.services, Some(&actor), text).await
    }
    .await;
    match result {
        Ok(n) if !wants_json(&headers) => {
            Redirect::to(&format!("/admin/risk?outlines={n}#risk-admin-map")).into_response()
        }
        other => answer(
            &headers,
            page,
            other.map(|n| serde_json::json!({ "outlines": n })),
        ),
    }
}

/// `POST /enterprise/register/upload` (multipart, field `file`: CSV or
/// XLSX): keeps the register file and sends the street office on to its
/// preview.
pub async fn upload_register(
    State(st): State<AppState>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let page = "/enterprise/register";
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&headers, page, Err(domain::DomainError::Unauthenticated)),
        Err(r) => return r,
    };
    let result = async {
        // (Who may import is decided in `domain`; it reads no file first.)
        domain::enterprise::register::may_import(&actor)?;
        let (name, bytes) = one_file(form).await?;
        domain::enterprise::register::stash(&st.services, &actor, &name, bytes).await
    }
    .await;
    match result {
        Ok(token) if !wants_json(&headers) => {
            Redirect::to(&format!("{page}?file={token}#ent-import-preview")).into_response()
        }
        Ok(token) => axum::Json(serde_json::json!({ "file": token })).into_response(),
        Err(e) => answer(&headers, page, Err(e)),
    }
}

/// `GET /enterprise/dashboard/export?from=&to=`: the economic dashboard as
/// XLSX, for the street office.
pub async fn dashboard_file(
    State(st): State<AppState>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return error_response(domain::DomainError::Unauthenticated),
        Err(r) => return r,
    };
    let arg = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let result = async {
        let period = domain::reports::Period::chosen(arg("from"), arg("to"), domain::clock::now())?;
        let d = domain::enterprise::dashboard::dashboard(&st.services, &actor, period).await?;
        Ok::<_, domain::DomainError>((domain::enterprise::dashboard::xlsx(&d)?, period))
    }
    .await;
    match result {
        Ok((bytes, period)) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            );
            if let Ok(v) = HeaderValue::from_str(&format!(
                "attachment; filename=\"economy-{}-{}.xlsx\"",
                period.from, period.to
            )) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => error_response(e),
    }
}

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
    community: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /reports/export?format=xlsx|csv&community=&from=&to=`: the outcome
/// report as a file, for whoever may see that report (street officers and
/// admins any, community staff their own). No period: this year so far.
pub async fn report_file(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let bad = |field| error_response(domain::DomainError::validation(field, "invalid"));
    let Ok(Query(q)) = q else {
        return bad("query");
    };
    let actor = match principal(&st, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return error_response(domain::DomainError::Unauthenticated),
        Err(r) => return r,
    };
    let community = match q
        .community
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) => match c.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return bad("community"),
        },
    };
    let (community, period) = match domain::reports::resolve(
        &actor,
        community,
        q.from.as_deref().unwrap_or_default(),
        q.to.as_deref().unwrap_or_default(),
        domain::clock::now(),
    ) {
        Ok(asked) => asked,
        Err(e) => return error_response(e),
    };
    let report = match domain::reports::report(&st.services, &actor, community, period).await {
        Ok(r) => r,
        Err(e) => return error_response(e),
    };
    let names = domain::reports::export::Names {
        categories: match domain::categories::list(&st.services, true).await {
            Ok(list) => list.into_iter().map(|c| (c.code, c.name_zh)).collect(),
            Err(e) => return error_response(e),
        },
    };
    let (made, mime, ext) = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => (
            domain::reports::export::xlsx(&report, &names),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "csv" => (
            domain::reports::export::csv(&report, &names),
            "text/csv; charset=utf-8",
            "csv",
        ),
        _ => return bad("format"),
    };
    let bytes = match made {
        Ok(b) => b,
        Err(e) => return error_response(e),
    };
    let name = format!(
        "hongcha-report-{}-{}-{}.{ext}",
        community.map_or_else(|| "street".to_owned(), |c| c.to_string()),
        report.period.from,
        report.period.to
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}
