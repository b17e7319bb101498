//! Server-side state and request helpers for server functions (ssr only).
use axum::extract::FromRef;
use leptos::prelude::*;

use crate::model::AppError;

/// What every server function can reach through context.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: domain::Services,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
    /// The site's public origin (`https://hongcha.example.gov.cn`), for
    /// links that leave the page: QR codes, SMS.
    pub public_origin: Option<String>,
}

/// The client's address, put into request extensions by the server.
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

/// The session cookie's name over plain HTTP (development, tests).
pub const SESSION_COOKIE: &str = "hongcha_session";
/// Its name over HTTPS: the `__Host-` prefix makes browsers refuse it unless
/// it is `Secure`, has `Path=/` and no `Domain`, so a sibling subdomain
/// cannot plant or shadow a session.
pub const SECURE_SESSION_COOKIE: &str = "__Host-hongcha_session";

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session token in a request's cookies.
pub fn session_token_in(headers: &http::HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, session_cookie_name(secure))
}

/// The one principal lookup: the signed-in person behind a request's
/// session cookie (server functions, the area guard and the upload and
/// download handlers all ask this).
pub async fn principal_in(
    services: &domain::Services,
    headers: &http::HeaderMap,
    secure: bool,
) -> domain::DomainResult<Option<domain::Principal>> {
    match session_token_in(headers, secure) {
        Some(t) => domain::accounts::principal_for_token(services, &t).await,
        None => Ok(None),
    }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or(AppError::Internal)
}

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The origin links that leave the site start with: the configured public
/// origin, else the one this request came to (its Host header; https when
/// cookies are marked secure).
pub fn site_origin() -> String {
    let st = state().ok();
    if let Some(o) = st.as_ref().and_then(|s| s.public_origin.clone()) {
        return o;
    }
    let secure = st.is_some_and(|s| s.secure_cookies);
    let host = parts()
        .and_then(|p| {
            p.headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .filter(|h| {
            h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    format!("{}://{host}", if secure { "https" } else { "http" })
}

pub fn client_ip() -> String {
    parts()
        .and_then(|p| p.extensions.get::<ClientIp>().map(|c| c.0.clone()))
        .unwrap_or_else(|| "unknown".into())
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> Option<String> {
    let secure = state().is_ok_and(|s| s.secure_cookies);
    session_token_in(&parts()?.headers, secure)
}

pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// The logged-in principal, or `None`.
pub async fn principal() -> Result<Option<domain::Principal>, AppError> {
    let st = state()?;
    let Some(parts) = parts() else {
        return Ok(None);
    };
    principal_in(&st.services, &parts.headers, st.secure_cookies)
        .await
        .map_err(map_err)
}

/// The logged-in principal, or `Unauthenticated`.
pub async fn require_principal() -> Result<domain::Principal, AppError> {
    principal().await?.ok_or_else(|| {
        set_status(http::StatusCode::UNAUTHORIZED);
        AppError::Unauthenticated
    })
}

fn set_status(code: http::StatusCode) {
    // A plain HTML form post (no JavaScript) is answered with a redirect back;
    // a status would break it, so only set one for API-style calls.
    let html_form = parts()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|a| a.contains("text/html"))
        })
        .unwrap_or(false);
    if !html_form && let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(code);
    }
}

/// Maps a domain error to what the user sees, logging internals, and sets
/// the HTTP status.
pub fn map_err(e: domain::DomainError) -> AppError {
    use domain::DomainError as D;
    let status = http_status(&e);
    // Whatever shows this error — a page rendered around it, or the
    // answer itself — is for this request only: never kept by a cache
    // (the page cache stores no `no-store` answer).
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
    let err = match e {
        D::Validation { field, rule } => AppError::Validation {
            field: field.into(),
            rule: rule.into(),
        },
        D::Unauthenticated => AppError::Unauthenticated,
        D::Forbidden => AppError::Forbidden,
        D::NotFound => AppError::NotFound,
        D::Conflict(what) => AppError::Conflict(what.into()),
        D::InvalidCredentials => AppError::InvalidCredentials,
        D::RateLimited { retry_after_secs } => {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>()
                && let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string())
            {
                res.insert_header(http::header::RETRY_AFTER, v);
            }
            AppError::RateLimited { retry_after_secs }
        }
        D::Database(db) => {
            tracing::error!(error = %db, "database error");
            AppError::Internal
        }
        D::Internal(msg) => {
            tracing::error!(error = %msg, "internal error");
            AppError::Internal
        }
    };
    set_status(status);
    err
}

/// The one mapping from a domain error to an HTTP status, for server
/// functions and for the upload and download handlers alike.
pub fn http_status(e: &domain::DomainError) -> http::StatusCode {
    use domain::DomainError as D;
    use http::StatusCode as S;
    match e {
        D::Validation { .. } => S::UNPROCESSABLE_ENTITY,
        D::Unauthenticated | D::InvalidCredentials => S::UNAUTHORIZED,
        D::Forbidden => S::FORBIDDEN,
        D::NotFound => S::NOT_FOUND,
        D::Conflict(_) => S::CONFLICT,
        D::RateLimited { .. } => S::TOO_MANY_REQUESTS,
        D::Database(_) | D::Internal(_) => S::INTERNAL_SERVER_ERROR,
    }
}

/// Sets the session cookie (HttpOnly, SameSite=Lax, Secure when configured).
pub fn set_session_cookie(token: &str, max_age_secs: i64) {
    let Ok(st) = state() else { return };
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    let name = session_cookie_name(st.secure_cookies);
    let cookie =
        format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie),
    ) {
        res.append_header(http::header::SET_COOKIE, v);
    }
}
