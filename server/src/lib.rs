#![recursion_limit = "256"]
//! The `hongcha` server: configuration, router, middleware and background jobs.

pub mod api_v1;
pub mod assets;
pub mod config;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod media;
pub mod middleware;
mod openapi;
pub mod page_cache;
pub mod precompress;
pub mod risk_api;
pub mod sms;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use app::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;

/// The largest reading batch a source may send (1,000 readings at well
/// under 512 bytes each).
pub const RISK_BODY_LIMIT: usize = 512 * 1024;

pub use config::Config;

/// Opens (and creates) the database and applies migrations.
pub async fn open_database(cfg: &Config) -> anyhow::Result<domain::DatabaseConnection> {
    let db = domain::db::connect(&cfg.database_url)
        .await
        .with_context(|| format!("connecting to {}", redact(&cfg.database_url)))?;
    domain::db::migrate(&db)
        .await
        .context("migrating the database")?;
    Ok(db)
}

/// A database URL with any password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***{}", &url[..s], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub services: domain::Services,
    jobs: jobs::Jobs,
    background_jobs: bool,
    site_root: String,
}

impl Application {
    /// Connects, migrates, binds (port 0 picks a free port) and builds the router.
    pub async fn build(cfg: Config) -> anyhow::Result<Self> {
        let db = open_database(&cfg).await?;
        let services = domain::Services::new(db, cfg.settings());
        let listener = TcpListener::bind(&cfg.bind)
            .await
            .with_context(|| format!("binding {}", cfg.bind))?;
        let addr = listener.local_addr()?;
        let jobs = jobs::Jobs::new(&cfg, services.clone())?;
        let router = router(&cfg, services.clone(), addr, jobs.hub.clone());
        Ok(Self {
            listener,
            router,
            services,
            jobs,
            background_jobs: cfg.background_jobs,
            site_root: cfg.site_root.clone(),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until Ctrl-C / SIGTERM, with background jobs running.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        // The site's compressed copies are made before the first visitor
        // comes (once per build: a few seconds for a release bundle), so
        // nobody gets the bundle compressed on the fly at a lower setting.
        let pkg = std::path::Path::new(&self.site_root).join("pkg");
        match tokio::task::spawn_blocking(move || precompress::site(&pkg)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(files = n, "site files precompressed"),
            Ok(Err(e)) => tracing::warn!(error = %e, "precompressing the site failed"),
            Err(e) => tracing::warn!(error = %e, "precompressing the site failed"),
        }
        let hub = self.jobs.hub.clone();
        if !self.background_jobs {
            tracing::warn!(
                "leased background jobs are off in this instance (HONGCHA_BACKGROUND_JOBS)"
            );
        }
        let jobs = self.jobs.spawn(self.background_jobs);
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // Small writes (a streamed page's chunks) go out at once instead of
        // waiting for the peer's delayed ACK (Nagle): 22 ms → under 1 ms.
        use axum::serve::ListenerExt;
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                hub.close();
            })
            .await?;
        jobs.stop().await;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The whole HTTP surface: health check, Leptos pages and server functions,
/// static files, and the security middleware around them.
pub fn router(
    cfg: &Config,
    services: domain::Services,
    addr: SocketAddr,
    hub: live::Hub,
) -> Router {
    use tower_http::compression::Predicate;
    let pkg_dir = std::path::Path::new(&cfg.site_root).join("pkg");
    let prints = Arc::new(assets::fingerprint(&pkg_dir, "hongcha", &cfg.data_dir));
    let mut leptos_options = LeptosOptions::builder()
        .output_name("hongcha")
        .site_root(cfg.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    if let Some(hashes) = &prints.hash_file {
        leptos_options.hash_files = true;
        leptos_options.hash_file = hashes.display().to_string().into();
    }
    let site = app::SiteAssets {
        css: prints
            .css
            .clone()
            .unwrap_or_else(|| "/pkg/hongcha.css".into()),
    };
    let state = AppState {
        leptos_options,
        services: services.clone(),
        secure_cookies: cfg.secure_cookies,
        public_origin: cfg.public_origin.clone(),
    };
    // Once per process. Leptos marks the whole process as "listing routes"
    // while it runs the app to list them, and a page render that starts a
    // data load meanwhile (another instance in the same process: the
    // black-box tests) would wait forever (leptos-rs/leptos#4773).
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(app::App)).clone();
    let shell = {
        let opts = state.leptos_options.clone();
        move || app::shell(opts.clone())
    };
    let guard = Arc::new(middleware::Guard::from_config(cfg, services.clone()));
    // Uploads get their own, larger body limit; everything else the configured one.
    let photo_limit = domain::photos::MAX_BYTES * domain::photos::MAX_PHOTOS as usize + 64 * 1024;
    let import_limit = domain::import::MAX_BYTES + 64 * 1024;
    let state_for_machines = state.clone();
    let uploads = Router::new()
        .route(
            "/opinions/{id}/photos",
            post(media::upload_photos).layer(DefaultBodyLimit::max(photo_limit)),
        )
        .route(
            "/staff/import/upload",
            post(media::upload_import).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route(
            "/plans/tasks/{id}/photos",
            post(media::upload_task_photo)
                .layer(DefaultBodyLimit::max(domain::photos::MAX_BYTES + 64 * 1024)),
        )
        .route(
            "/enterprise/register/upload",
            post(media::upload_register).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route(
            "/admin/risk/readings",
            post(media::upload_risk_readings).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route(
            "/admin/risk/outlines",
            post(media::upload_risk_outlines).layer(DefaultBodyLimit::max(
                domain::risk::portrait::GEOJSON_MAX_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/risk/warnings/{id}/photos",
            post(media::upload_risk_photo)
                .layer(DefaultBodyLimit::max(domain::photos::MAX_BYTES + 64 * 1024)),
        )
        .route(
            "/enterprise/requests/{id}/attachments",
            post(media::upload_request_attachment).layer(DefaultBodyLimit::max(
                domain::enterprise::attachments::MAX_PDF_BYTES + 64 * 1024,
            )),
        )
        .with_state(state.clone());
    let pages = Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/topics", get(api_v1::topics))
        .route("/api/v1/topics/all", get(api_v1::all_topics))
        .route("/api/v1/communities", get(api_v1::communities))
        .route("/api/v1/opinions", get(api_v1::opinions))
        .route("/api/v1/meetings", get(api_v1::meetings))
        .route("/api/v1/plans", get(api_v1::plans))
        .route("/api/v1/openapi.json", get(api_v1::openapi))
        .route("/api/v1/docs", get(api_v1::docs))
        .route("/live/meetings/{id}", get(live::events).with_state(hub))
        .route("/media/photos/{id}", get(media::photo))
        .route("/media/task-photos/{id}", get(media::task_photo))
        .route("/media/risk-photos/{id}", get(media::risk_photo))
        .route(
            "/media/ent-attachments/{id}",
            get(media::request_attachment),
        )
        .route("/reports/export", get(media::report_file))
        .route("/enterprise/dashboard/export", get(media::dashboard_file))
        // The site's files: conditional requests answered with 304, and a
        // `.br` / `.gz` file next to one is sent instead when accepted.
        .route(
            "/pkg/{*file}",
            get(assets::site_file).with_state(Arc::new(assets::SiteFiles::new(&pkg_dir, prints))),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            middleware::page_context(site.clone()),
            shell,
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(middleware::page_context(site), app::shell))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(page_cache::PageCache::new(services.clone())),
            page_cache::serve,
        ))
        .layer(DefaultBodyLimit::max(cfg.body_limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            cfg.body_limit,
        ));
    // Machine-to-machine: a source's bearer token, never a cookie, so the
    // cross-origin guard (which protects sessions) is not in front of it.
    let machines = Router::new()
        .route("/api/v1/risk/readings", post(risk_api::readings))
        .route("/api/v1/risk/voice", post(risk_api::voice))
        .with_state(state_for_machines)
        .layer(DefaultBodyLimit::max(RISK_BODY_LIMIT));
    uploads
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            middleware::area_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            middleware::origin_guard,
        ))
        .merge(machines)
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            middleware::client_ip,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard,
            middleware::security_headers,
        ))
        // Pages, JSON and the site's files (wasm, js, css) travel compressed
        // when the client accepts it: brotli, else gzip. Photos are already
        // compressed JPEGs and are left alone.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .br(true)
                .gzip(true)
                .compress_when(
                    tower_http::compression::predicate::DefaultPredicate::new().and(
                        tower_http::compression::predicate::NotForContentType::new("image/"),
                    ),
                ),
        )
}

async fn healthz(State(state): State<AppState>) -> axum::Json<serde_json::Value> {
    let up = state.services.ping().await;
    axum::Json(serde_json::json!({
        "status": if up { "ok" } else { "degraded" },
        "database": up,
        "backend": state.services.backend_name(),
        // SQL statements run so far (this answer's ping included).
        "statements": state.services.statements(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
