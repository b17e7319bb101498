//! View types shared by server and browser (serde). Separate from the
//! database entities; conversions from `domain` types are `ssr`-only.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The one error server functions return. The UI shows `message_key()` translated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    Validation { field: String, rule: String },
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict(String),
    InvalidCredentials,
    RateLimited { retry_after_secs: u64 },
    Internal,
    Transport(String),
}

impl AppError {
    pub fn message_key(&self) -> String {
        match self {
            AppError::Validation { field, rule } => format!("err.{field}.{rule}"),
            AppError::Unauthenticated => "err.unauthenticated".into(),
            AppError::Forbidden => "err.forbidden".into(),
            AppError::NotFound => "err.not_found".into(),
            AppError::Conflict(what) => format!("err.conflict.{what}"),
            AppError::InvalidCredentials => "err.invalid_credentials".into(),
            AppError::RateLimited { .. } => "err.rate_limited".into(),
            AppError::Internal => "err.internal".into(),
            AppError::Transport(_) => "err.transport".into(),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_key())
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(e) | ServerFnErrorErr::Response(e) => AppError::Transport(e),
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                // Arguments that do not parse (an id that is no number) are
                // the caller's mistake: 400, not the 500 server_fn answers.
                #[cfg(feature = "ssr")]
                if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    res.set_status(http::StatusCode::BAD_REQUEST);
                    res.insert_header(
                        http::header::CACHE_CONTROL,
                        http::HeaderValue::from_static("no-store"),
                    );
                }
                AppError::Validation {
                    field: "request".into(),
                    rule: "invalid".into(),
                }
            }
            _ => AppError::Internal,
        }
    }
}

/// The logged-in person, as the header and "my page" show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeView {
    pub account_id: i64,
    pub display_name: String,
    /// Their own number: shown in full to themselves only.
    pub phone: String,
    /// The community from their profile (the form's default).
    pub community_id: Option<i64>,
    pub roles: Vec<String>,
    /// Area slugs (`resident`, `staff`, ...), in display order.
    pub areas: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityView {
    pub id: i64,
    pub name: String,
    pub street_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub id: i64,
    pub role: String,
    pub scope_kind: String,
    pub scope_id: i64,
    pub scope_label: String,
}

/// A scope to pick when granting a role: `value` is `kind:id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeView {
    pub kind: String,
    pub value: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: i64,
    pub display_name: String,
    /// Masked unless the viewer may see it.
    pub phone: String,
    pub community: Option<String>,
    pub disabled: bool,
    pub grants: Vec<GrantView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub seq: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: String,
    /// RFC 3339, UTC.
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub entries_total: u64,
    pub first_bad_seq: Option<i64>,
    pub recent: Vec<AuditEntryView>,
}

/// An opinion as shown on list and detail pages (masked unless `original`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpinionView {
    pub id: i64,
    pub community_name: String,
    pub location: Option<String>,
    pub category: String,
    pub category_zh: String,
    pub category_en: String,
    pub channel: String,
    pub title: String,
    pub body: String,
    /// `None` for imported/crawled items; `"anonymous"` when hidden from this viewer.
    pub author: Option<String>,
    pub status: String,
    pub reject_reason: Option<String>,
    pub merged_into: Option<i64>,
    pub supports: i32,
    pub hidden: bool,
    pub created_at: String,
    pub original: bool,
    pub own: bool,
}

impl OpinionView {
    pub fn category_name(&self, lang: crate::i18n::Lang) -> String {
        match lang {
            crate::i18n::Lang::Zh => self.category_zh.clone(),
            crate::i18n::Lang::En => self.category_en.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimilarView {
    pub id: i64,
    pub title: String,
    pub supports: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentView {
    pub id: i64,
    pub opinion_id: i64,
    pub author: Option<String>,
    pub body: String,
    pub status: String,
    pub reject_reason: Option<String>,
    pub hidden: bool,
    pub created_at: String,
    pub own: bool,
}

/// A comment in the staff queue, with the opinion it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedCommentView {
    pub comment: CommentView,
    pub opinion_title: String,
    pub community_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationEntryView {
    pub id: i64,
    pub at: String,
    pub actor: Option<String>,
    pub community_name: String,
    pub target_kind: String,
    pub target_id: i64,
    pub action: String,
    pub detail: Option<String>,
}

/// One street, community or compound on the admin page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnitView {
    pub id: i64,
    /// `street`, `community` or `compound`.
    pub level: String,
    pub name: String,
    pub code: Option<String>,
    pub retired: bool,
    pub children: Vec<OrgUnitView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sort: i32,
    pub active: bool,
}

impl CategoryView {
    /// The name in the interface language.
    pub fn name(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Zh => &self.name_zh,
            crate::i18n::Lang::En => &self.name_en,
        }
    }
}

/// A crawler source as the admin page lists and edits it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrawlSourceView {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub start_urls: Vec<String>,
    pub list_item: String,
    pub link: String,
    pub next_page: Option<String>,
    pub title: String,
    pub body: String,
    pub date: Option<String>,
    pub author: Option<String>,
    pub encoding: Option<String>,
    pub max_pages: usize,
    pub min_delay_ms: u64,
    pub user_agent: String,
    pub allow_addresses: Vec<String>,
    pub community: Option<String>,
    pub publish_directly: bool,
    pub every_minutes: u64,
    pub last_run_at: Option<String>,
    pub last_summary: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowError {
    pub row: usize,
    pub field: String,
    pub rule: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSampleRow {
    pub row: usize,
    pub community_name: String,
    pub category: String,
    pub title: String,
    pub body: String,
}

/// What the import page shows before importing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreviewView {
    pub headers: Vec<String>,
    /// field → chosen header (None: not mapped).
    pub mapping: Vec<(String, Option<String>)>,
    pub rows_total: usize,
    pub rows_ok: usize,
    pub errors_total: usize,
    /// The first errors, by row.
    pub errors: Vec<ImportRowError>,
    pub sample: Vec<ImportSampleRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgressView {
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub created: Option<usize>,
    pub skipped: Option<usize>,
    /// A message key when the import failed (nothing was imported).
    pub error: Option<String>,
}
