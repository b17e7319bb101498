//! The one error type of the domain. Each variant has a stable `code()` that
//! the UI translates; database details are logged, never shown.
use thiserror::Error;

pub type DomainResult<T> = Result<T, DomainError>;

#[derive(Debug, Error)]
pub enum DomainError {
    /// The user sees which field is wrong and why (`field` + `rule` are
    /// translation keys, e.g. `phone` + `invalid`).
    #[error("invalid {field}: {rule}")]
    Validation {
        field: &'static str,
        rule: &'static str,
    },
    /// The user sees "please log in".
    #[error("not logged in")]
    Unauthenticated,
    /// The user sees "you do not have permission for this".
    #[error("forbidden")]
    Forbidden,
    /// The user sees "not found".
    #[error("not found")]
    NotFound,
    /// The user sees which thing already exists (translation key).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The user sees "wrong phone number or password" (never which one).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The user sees "too many attempts, try again in N seconds".
    #[error("rate limited, retry after {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// The user sees "the system is busy, try again later"; details are logged.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// The user sees "the system is busy, try again later"; details are logged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    /// A stable code the UI can translate.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Validation { .. } => "validation",
            DomainError::Unauthenticated => "unauthenticated",
            DomainError::Forbidden => "forbidden",
            DomainError::NotFound => "not_found",
            DomainError::Conflict(_) => "conflict",
            DomainError::InvalidCredentials => "invalid_credentials",
            DomainError::RateLimited { .. } => "rate_limited",
            DomainError::Database(_) | DomainError::Internal(_) => "internal",
        }
    }

    /// The UI's message key (`err.photo.too_large`, `err.conflict.not_pending`,
    /// `err.forbidden`, …): the same wherever an error is shown.
    pub fn message_key(&self) -> String {
        match self {
            DomainError::Validation { field, rule } => format!("err.{field}.{rule}"),
            DomainError::Conflict(what) => format!("err.conflict.{what}"),
            other => format!("err.{}", other.code()),
        }
    }

    pub fn validation(field: &'static str, rule: &'static str) -> Self {
        DomainError::Validation { field, rule }
    }
}
