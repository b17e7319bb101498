//! 网页采集 crawler: public sources, robots.txt, politeness, fetching and
//! extraction. No database; `domain` stores what it returns.
//!
//! The opinions issue fills this crate; for now it holds the error type.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CrawlError {
    /// The admin sees that the address is not allowed (private, loopback, …).
    #[error("address not allowed: {0}")]
    AddressNotAllowed(String),
}
