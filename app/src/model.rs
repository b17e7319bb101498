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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimilarView {
    pub id: i64,
    pub title: String,
    pub supports: i32,
}
