//! 网页采集 crawler: public sources, robots.txt, politeness, fetching and
//! extraction. No database: a run takes a [`Source`] and the [`CrawlState`]
//! of earlier runs, and returns new [`Item`]s; `domain` stores both.
//!
//! Safe by default: only http(s), never loopback/private/link-local
//! addresses (checked at connection time, so every redirect hop and every
//! DNS answer is covered) unless the source allow-lists the address.

pub mod extract;
pub mod guard;
pub mod robots;
mod run;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use run::{Crawler, Progress};

#[derive(Debug, Error)]
pub enum CrawlError {
    /// The admin sees that the address is not allowed (private, loopback, …).
    #[error("address not allowed: {0}")]
    AddressNotAllowed(String),
    /// The admin sees that the URL is not http(s) or cannot be parsed.
    #[error("bad url: {0}")]
    BadUrl(String),
    /// The admin sees that a selector in the source is wrong.
    #[error("bad selector {0}")]
    BadSelector(String),
    /// The admin sees the network error for that page.
    #[error("fetch failed: {0}")]
    Fetch(String),
}

/// A public source, as configured by an admin (UI or TOML).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    pub start_urls: Vec<String>,
    /// Each matching element on a list page is one item.
    pub list_item: String,
    /// Within a list item, the link to the detail page (default: `a`).
    #[serde(default = "default_link")]
    pub link: String,
    /// The "next page" link on a list page.
    #[serde(default)]
    pub next_page: Option<String>,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    /// Force a page encoding (`gbk`, `gb18030`, `utf-8`); otherwise from headers or `<meta>`.
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default = "default_max_pages")]
    pub max_pages: usize,
    /// Minimum gap between two requests to one host.
    #[serde(default = "default_delay_ms")]
    pub min_delay_ms: u64,
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Hosts or IPs that may be private (e.g. `127.0.0.1` for tests). Empty: none.
    #[serde(default)]
    pub allow_addresses: Vec<String>,
    /// Community name the items belong to.
    #[serde(default)]
    pub community: Option<String>,
    /// Publish without moderation (default: false, items go to moderation).
    #[serde(default)]
    pub publish_directly: bool,
    /// Minutes between scheduled runs (0: only on demand).
    #[serde(default)]
    pub every_minutes: u64,
}

fn default_link() -> String {
    "a".into()
}
fn default_max_pages() -> usize {
    200
}
fn default_delay_ms() -> u64 {
    1000
}
fn default_user_agent() -> String {
    "HongchaBot/0.1 (+civic deliberation platform)".into()
}

/// One extracted item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub url: String,
    pub title: String,
    pub body: String,
    pub date: Option<String>,
    pub author: Option<String>,
    /// SHA-256 of title + body, for content dedupe.
    pub content_hash: String,
}

/// What earlier runs saw: validators per URL for conditional requests and
/// content hashes for dedupe. Serialisable so the caller can store it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrawlState {
    pub validators: HashMap<String, Validators>,
    pub hashes: HashSet<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub fetched: usize,
    pub not_modified: usize,
    pub new: usize,
    pub duplicates: usize,
    pub skipped_robots: usize,
    pub errors: usize,
    pub truncated: usize,
}
