//! Security middleware: client address, same-origin check for every
//! mutation, area access (rules from `domain`), and security headers with a
//! per-response CSP nonce for Leptos' inline scripts.
use std::net::SocketAddr;
use std::sync::Arc;

use app::state::{ClientIp, principal_in};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderValue, Method, StatusCode, header};
use leptos::prelude::*;

use crate::Config;

pub struct Guard {
    public_origin: Option<String>,
    trust_forwarded_for: bool,
    trusted_proxies: usize,
    secure: bool,
    services: domain::Services,
}

impl Guard {
    pub fn from_config(cfg: &Config, services: domain::Services) -> Self {
        Self {
            public_origin: cfg.public_origin.clone(),
            trust_forwarded_for: cfg.trust_forwarded_for,
            trusted_proxies: cfg.trusted_proxies.max(1),
            secure: cfg.secure_cookies,
            services,
        }
    }

    /// Whether `origin` is this site's own origin.
    fn is_own_origin(&self, origin: &str, host: Option<&str>) -> bool {
        match (&self.public_origin, host) {
            (Some(own), _) => origin == own,
            (None, Some(host)) => {
                let scheme = if self.secure { "https" } else { "http" };
                origin == format!("{scheme}://{host}")
            }
            (None, None) => false,
        }
    }
}

pub async fn client_ip(State(g): State<Arc<Guard>>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = if g.trust_forwarded_for {
        forwarded_client(req.headers(), g.trusted_proxies)
    } else {
        None
    };
    let ip = forwarded
        .or(peer)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into());
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// The client address behind `proxies` trusted reverse proxies: each
/// appends the address it received the request from, so the one the
/// outermost proxy saw is `proxies` entries from the right of all
/// `X-Forwarded-For` values taken together. Entries further left were
/// written by the client. `None` (use the peer address) when the header is
/// missing, too short or not an address.
pub fn forwarded_client(headers: &http::HeaderMap, proxies: usize) -> Option<std::net::IpAddr> {
    let mut entries: Vec<&str> = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        entries.extend(v.to_str().ok()?.split(',').map(str::trim));
    }
    let i = entries.len().checked_sub(proxies)?;
    parse_forwarded_addr(entries[i])
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:4711` (load balancers write all of these).
fn parse_forwarded_addr(raw: &str) -> Option<std::net::IpAddr> {
    if let Ok(ip) = raw.parse() {
        return Some(ip);
    }
    if let Ok(sock) = raw.parse::<std::net::SocketAddr>() {
        return Some(sock.ip());
    }
    raw.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// Refuses every non-GET/HEAD/OPTIONS request whose `Origin` (or, lacking
/// it, `Sec-Fetch-Site`) is not this site — server functions included.
pub async fn origin_guard(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let allowed = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => g.is_own_origin(origin, host),
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|s| s == "same-origin"),
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), path = req.uri().path(), "cross-origin request refused");
        (StatusCode::FORBIDDEN, "cross-origin request refused").into_response()
    }
}

/// Area pages (`/me`, `/staff`, `/street`, `/tasks`, `/audit`, `/admin`):
/// anonymous visitors are sent to log in; logged-in people without the role
/// get 403 (the page then explains it).
pub async fn area_guard(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let Some(area) = domain::Area::for_path(req.uri().path()) else {
        return next.run(req).await;
    };
    let principal = principal_in(&g.services, req.headers(), g.secure).await;
    match principal {
        Ok(Some(p)) if p.can_enter(area) => next.run(req).await,
        Ok(Some(_)) => {
            let mut res = next.run(req).await;
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        }
        Ok(None) => {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Redirect::to(&format!("/login?next={}", encode_path(target))).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `path` with every byte but letters, digits and `/-_.` percent-encoded:
/// safe inside a query value and as a URI path.
pub fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs inside every Leptos render: tells the page head which stylesheet
/// to name, and puts the CSP with this response's nonce on the response.
pub fn page_context(site: app::SiteAssets) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(site.clone());
        let Some(nonce) = use_nonce() else { return };
        let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        let csp = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
             font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
             frame-ancestors 'none'"
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            res.insert_header(header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// Headers on every response; a strict CSP where the page did not set one.
pub async fn security_headers(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if g.secure {
        // Served over HTTPS: browsers must never fall back to plain HTTP.
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(self)"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; object-src 'none'; frame-ancestors 'none'",
            ),
        );
    }
    res
}

#[cfg(test)]
mod forwarded_tests {
    use super::forwarded_client;

    fn headers(values: &[&str]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_cannot_choose_its_address() {
        // The client wrote 1.2.3.4; the proxy appended what it saw.
        let h = headers(&["1.2.3.4, 203.0.113.7"]);
        assert_eq!(
            forwarded_client(&h, 1),
            Some("203.0.113.7".parse().unwrap())
        );
        let h = headers(&["1.2.3.4", "203.0.113.7"]);
        assert_eq!(
            forwarded_client(&h, 1),
            Some("203.0.113.7".parse().unwrap())
        );
        // Two proxies: CDN then nginx.
        let h = headers(&["1.2.3.4, 198.51.100.9, 10.0.0.2"]);
        assert_eq!(
            forwarded_client(&h, 2),
            Some("198.51.100.9".parse().unwrap())
        );
        // Too short, garbage or missing: the peer address is used.
        assert_eq!(forwarded_client(&headers(&["203.0.113.7"]), 2), None);
        assert_eq!(forwarded_client(&headers(&["1.2.3.4, evil"]), 1), None);
        assert_eq!(forwarded_client(&http::HeaderMap::new(), 1), None);
        // With ports and brackets.
        let h = headers(&["1.2.3.4, 203.0.113.7:4711"]);
        assert_eq!(
            forwarded_client(&h, 1),
            Some("203.0.113.7".parse().unwrap())
        );
        let h = headers(&["[2001:db8::9]:443"]);
        assert_eq!(
            forwarded_client(&h, 1),
            Some("2001:db8::9".parse().unwrap())
        );
        let h = headers(&["[2001:db8::9]"]);
        assert_eq!(
            forwarded_client(&h, 1),
            Some("2001:db8::9".parse().unwrap())
        );
    }
}
