//! One crawl run over a source: polite, robots-aware, incremental.
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use sha2::{Digest, Sha256};
use url::Url;

use crate::extract::{decode, detail_page, list_page, validate};
use crate::guard::{Allow, check_parsed, resolver};
use crate::robots::Robots;
use crate::{CrawlError, CrawlState, Item, Source, Summary, Validators};

/// Called after every page with the running totals.
pub type Progress<'a> = &'a mut (dyn FnMut(&Summary) + Send);

/// Largest body read; the rest is cut off.
pub const BODY_CAP: usize = 5 * 1024 * 1024;

struct Fetched {
    status: StatusCode,
    body: Vec<u8>,
    content_type: Option<String>,
    validators: Validators,
    truncated: bool,
}

pub struct Crawler {
    source: Source,
    allow: Allow,
    client: reqwest::Client,
    robots: HashMap<String, Robots>,
    last_request: HashMap<String, Instant>,
    body_cap: usize,
    pages: usize,
    /// Longest wait honoured for Retry-After.
    pub max_retry_after: Duration,
}

impl Crawler {
    pub fn new(source: Source) -> Result<Self, CrawlError> {
        validate(&source)?;
        let allow = Allow(source.allow_addresses.clone());
        let hop_allow = allow.clone();
        let client = reqwest::Client::builder()
            .user_agent(source.user_agent.clone())
            // Environment proxies (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) would
            // resolve the target themselves, out of the guard's sight: never
            // use them. Every request goes straight to a checked address.
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(10))
            .dns_resolver(resolver(allow.clone()))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else if let Err(e) = check_parsed(attempt.url(), &hop_allow) {
                    attempt.error(e)
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| CrawlError::Fetch(e.to_string()))?;
        Ok(Self {
            source,
            allow,
            client,
            robots: HashMap::new(),
            last_request: HashMap::new(),
            body_cap: BODY_CAP,
            pages: 0,
            max_retry_after: Duration::from_secs(60),
        })
    }

    pub fn with_body_cap(mut self, cap: usize) -> Self {
        self.body_cap = cap;
        self
    }

    fn origin(url: &Url) -> String {
        url.origin().ascii_serialization()
    }

    async fn polite_wait(&mut self, url: &Url) {
        let origin = Self::origin(url);
        let mut gap = Duration::from_millis(self.source.min_delay_ms);
        if let Some(d) = self
            .robots
            .get(&origin)
            .and_then(|r| r.crawl_delay(&self.source.user_agent))
        {
            gap = gap.max(d);
        }
        if let Some(last) = self.last_request.get(&origin) {
            let wait = gap.saturating_sub(last.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        self.last_request.insert(origin, Instant::now());
    }

    async fn fetch(
        &mut self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Fetched, CrawlError> {
        check_parsed(url, &self.allow)?;
        let mut attempt = 0;
        loop {
            self.polite_wait(url).await;
            self.pages += 1;
            let mut req = self.client.get(url.clone());
            if let Some(v) = validators {
                if let Some(e) = &v.etag {
                    req = req.header(IF_NONE_MATCH, e);
                }
                if let Some(m) = &v.last_modified {
                    req = req.header(IF_MODIFIED_SINCE, m);
                }
            }
            let mut res = req.send().await.map_err(|e| {
                let mut msg = e.to_string();
                let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
                while let Some(s) = src {
                    msg = format!("{msg}: {s}");
                    src = s.source();
                }
                if msg.contains("address not allowed") {
                    CrawlError::AddressNotAllowed(url.to_string())
                } else {
                    CrawlError::Fetch(msg)
                }
            })?;
            let status = res.status();
            if (status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE)
                && attempt < 2
            {
                attempt += 1;
                let wait = res
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(Duration::from_secs(5))
                    .min(self.max_retry_after);
                tracing::info!(url = %url, ?wait, "backing off");
                tokio::time::sleep(wait).await;
                continue;
            }
            let header = |h| {
                res.headers()
                    .get(h)
                    .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                    .map(str::to_owned)
            };
            let content_type = header(CONTENT_TYPE);
            let validators = Validators {
                etag: header(ETAG),
                last_modified: header(LAST_MODIFIED),
            };
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = res
                .chunk()
                .await
                .map_err(|e| CrawlError::Fetch(e.to_string()))?
            {
                let room = self.body_cap - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                status,
                body,
                content_type,
                validators,
                truncated,
            });
        }
    }

    async fn robots_allows(&mut self, url: &Url) -> bool {
        let origin = Self::origin(url);
        if !self.robots.contains_key(&origin) {
            let robots = match url.join("/robots.txt") {
                Ok(r) => match self.fetch(&r, None).await {
                    Ok(f) if f.status.is_success() => Robots::parse_bytes(&f.body),
                    Ok(f) if f.status.is_client_error() => Robots::allow_all(),
                    _ => Robots::disallow_all(),
                },
                Err(_) => Robots::disallow_all(),
            };
            self.robots.insert(origin.clone(), robots);
        }
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        self.robots[&origin].is_allowed(&self.source.user_agent, &path)
    }

    /// Crawls the source once. New items come back; `state` is updated so a
    /// second run over an unchanged site returns nothing.
    pub async fn run(
        &mut self,
        state: &mut CrawlState,
        progress: Progress<'_>,
    ) -> (Vec<Item>, Summary) {
        let mut summary = Summary::default();
        let mut items = Vec::new();
        let mut lists: VecDeque<Url> = VecDeque::new();
        let mut seen: HashSet<Url> = HashSet::new();
        for s in &self.source.start_urls {
            match crate::guard::check_url(s, &self.allow) {
                Ok(u) => lists.push_back(u),
                Err(e) => {
                    tracing::warn!(error = %e, "start url refused");
                    summary.errors += 1;
                }
            }
        }
        let max = self.source.max_pages;
        while let Some(list_url) = lists.pop_front() {
            if self.pages >= max || !seen.insert(list_url.clone()) {
                continue;
            }
            if !self.robots_allows(&list_url).await {
                summary.skipped_robots += 1;
                continue;
            }
            let page = match self.fetch(&list_url, None).await {
                Ok(f) if f.status.is_success() => f,
                Ok(f) => {
                    tracing::warn!(url = %list_url, status = %f.status, "list page failed");
                    summary.errors += 1;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(url = %list_url, error = %e, "list page failed");
                    summary.errors += 1;
                    continue;
                }
            };
            summary.fetched += 1;
            summary.truncated += usize::from(page.truncated);
            let html = decode(
                &page.body,
                page.content_type.as_deref(),
                self.source.encoding.as_deref(),
            );
            let (links, next) = match list_page(&html, &list_url, &self.source) {
                Ok(x) => x,
                Err(_) => {
                    summary.errors += 1;
                    continue;
                }
            };
            if let Some(n) = next {
                lists.push_back(n);
            }
            for link in links {
                if self.pages >= max || !seen.insert(link.clone()) {
                    continue;
                }
                self.detail(&link, state, &mut summary, &mut items).await;
                progress(&summary);
            }
            progress(&summary);
        }
        (items, summary)
    }

    async fn detail(
        &mut self,
        url: &Url,
        state: &mut CrawlState,
        summary: &mut Summary,
        items: &mut Vec<Item>,
    ) {
        if let Err(e) = check_parsed(url, &self.allow) {
            tracing::warn!(error = %e, "link refused");
            summary.errors += 1;
            return;
        }
        if !self.robots_allows(url).await {
            summary.skipped_robots += 1;
            return;
        }
        let key = url.to_string();
        let previous = state.validators.get(&key).cloned();
        let page = match self.fetch(url, previous.as_ref()).await {
            Ok(f) if f.status == StatusCode::NOT_MODIFIED => {
                summary.not_modified += 1;
                return;
            }
            Ok(f) if f.status.is_success() => f,
            Ok(f) => {
                tracing::warn!(url = %url, status = %f.status, "detail page failed");
                summary.errors += 1;
                return;
            }
            Err(e) => {
                tracing::warn!(url = %url, error = %e, "detail page failed");
                summary.errors += 1;
                return;
            }
        };
        summary.fetched += 1;
        summary.truncated += usize::from(page.truncated);
        if page.validators.etag.is_some() || page.validators.last_modified.is_some() {
            state
                .validators
                .insert(key.clone(), page.validators.clone());
        }
        let html = decode(
            &page.body,
            page.content_type.as_deref(),
            self.source.encoding.as_deref(),
        );
        let Ok(Some(crate::extract::Detail {
            title,
            body,
            date,
            author,
        })) = detail_page(&html, &self.source)
        else {
            summary.errors += 1;
            return;
        };
        let hash = hex::encode(Sha256::digest(format!("{title}\n{body}").as_bytes()));
        if !state.hashes.insert(hash.clone()) {
            summary.duplicates += 1;
            return;
        }
        summary.new += 1;
        items.push(Item {
            url: key,
            title,
            body,
            date,
            author,
            content_hash: hash,
        });
    }
}
