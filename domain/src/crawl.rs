//! 网页采集 crawler sources: stored configuration and state, runs that take
//! a lease first (one run per source at a time, across instances), and
//! crawled items stored as opinions with their provenance.
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use crate::accounts::Principal;
use crate::entities::{crawl_source, opinion};
use crate::error::{DomainError, DomainResult};
use crate::opinions::Channel;
use crate::{Services, audit, clock, jobs, org};

pub use crawler::{Source, Summary};

/// Sources from a TOML file: `[[source]]` tables.
#[derive(serde::Deserialize)]
struct SourcesFile {
    #[serde(default)]
    source: Vec<Source>,
}

pub fn parse_sources_toml(text: &str) -> DomainResult<Vec<Source>> {
    let file: SourcesFile = toml::from_str(text).map_err(|e| {
        tracing::warn!(error = %e, "bad sources file");
        DomainError::validation("sources", "invalid")
    })?;
    for s in &file.source {
        crawler::Crawler::new(s.clone())
            .map_err(|_| DomainError::validation("sources", "bad_selector"))?;
    }
    Ok(file.source)
}

/// The one write path of a source row: updates `id` (its crawl state is
/// kept; `enabled` unchanged when `None`) or inserts a new one.
async fn write_source<C: sea_orm::ConnectionTrait>(
    conn: &C,
    id: Option<i64>,
    name: &str,
    config: String,
    enabled: Option<bool>,
) -> DomainResult<i64> {
    match id {
        Some(id) => {
            let row = crawl_source::Entity::find_by_id(id)
                .one(conn)
                .await?
                .ok_or(DomainError::NotFound)?;
            let mut am: crawl_source::ActiveModel = row.into();
            am.name = Set(name.to_owned());
            am.config = Set(config);
            if let Some(e) = enabled {
                am.enabled = Set(e);
            }
            am.update(conn).await?;
            Ok(id)
        }
        None => Ok(crawl_source::ActiveModel {
            name: Set(name.to_owned()),
            config: Set(config),
            state: Set("{}".into()),
            enabled: Set(enabled.unwrap_or(true)),
            created_at: Set(clock::now()),
            ..Default::default()
        }
        .insert(conn)
        .await?
        .id),
    }
}

/// Creates or updates a source by name (its state is kept). Audited.
pub async fn upsert_source(s: &Services, actor: Option<i64>, source: &Source) -> DomainResult<i64> {
    let config = serde_json::to_string(source).map_err(|e| DomainError::Internal(e.to_string()))?;
    let (_gate, txn) = s.begin_write().await?;
    let existing = crawl_source::Entity::find()
        .filter(crawl_source::Column::Name.eq(&source.name))
        .one(&txn)
        .await?
        .map(|r| r.id);
    let id = write_source(&txn, existing, &source.name, config, None).await?;
    audit::append(
        &txn,
        actor,
        "crawl.source.save",
        &format!("crawl_source:{id}"),
        serde_json::json!({ "name": source.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceInfo {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub every_minutes: u64,
    pub last_run_at: Option<String>,
    pub last_summary: Option<String>,
}

pub async fn list_sources(s: &Services) -> DomainResult<Vec<SourceInfo>> {
    let rows = crawl_source::Entity::find()
        .order_by_asc(crawl_source::Column::Name)
        .all(&s.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| SourceInfo {
            every_minutes: serde_json::from_str::<Source>(&r.config)
                .map(|c| c.every_minutes)
                .unwrap_or(0),
            id: r.id,
            name: r.name,
            enabled: r.enabled,
            last_run_at: r.last_run_at.map(|t| t.to_rfc3339()),
            last_summary: r.last_summary,
        })
        .collect())
}

/// Checks a source an admin typed in: names, addresses, selectors, limits.
pub fn validate_source(src: &Source) -> DomainResult<()> {
    let bad = |field: &'static str| Err(DomainError::validation(field, "invalid"));
    let n = src.name.trim().chars().count();
    if n == 0 || n > 64 || src.name.chars().any(char::is_control) {
        return bad("name");
    }
    if src.start_urls.is_empty()
        || src.start_urls.len() > 20
        || src.start_urls.iter().any(|u| {
            u.len() > 2000
                || !(u.starts_with("http://") || u.starts_with("https://"))
                || url::Url::parse(u).is_err()
        })
    {
        return bad("start_urls");
    }
    if !(1..=10_000).contains(&src.max_pages) {
        return bad("max_pages");
    }
    if src.min_delay_ms > 60_000 {
        return bad("min_delay_ms");
    }
    let ua = src.user_agent.trim();
    if ua.is_empty() || ua.len() > 200 || !ua.is_ascii() || ua.chars().any(|c| c.is_control()) {
        return bad("user_agent");
    }
    if src.every_minutes > 7 * 24 * 60 {
        return bad("every_minutes");
    }
    if let Some(e) = &src.encoding
        && !["utf-8", "gbk", "gb18030", "gb2312", "big5"].contains(&e.to_ascii_lowercase().as_str())
    {
        return bad("encoding");
    }
    if src.allow_addresses.len() > 20 {
        return bad("allow_addresses");
    }
    crawler::Crawler::new(src.clone())
        .map(|_| ())
        .map_err(|_| DomainError::validation("selector", "invalid"))
}

/// A stored source with its configuration, for the admin page.
#[derive(Clone, Debug, Serialize)]
pub struct SourceDetail {
    pub info: SourceInfo,
    pub source: Source,
}

/// Every source with its configuration. Admins only.
pub async fn source_details(s: &Services, actor: &Principal) -> DomainResult<Vec<SourceDetail>> {
    actor.require_admin()?;
    let rows = crawl_source::Entity::find()
        .order_by_asc(crawl_source::Column::Name)
        .all(&s.db)
        .await?;
    let infos = list_sources(s).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let source = serde_json::from_str::<Source>(&r.config).ok()?;
            let info = infos.iter().find(|i| i.id == r.id)?.clone();
            Some(SourceDetail { info, source })
        })
        .collect())
}

/// An admin adds a source (`id` None) or changes one, from the web page.
/// The crawl state of a changed source is kept. Audited.
pub async fn save_source(
    s: &Services,
    actor: &Principal,
    id: Option<i64>,
    mut source: Source,
    enabled: bool,
) -> DomainResult<i64> {
    actor.require_admin()?;
    source.name = source.name.trim().to_owned();
    validate_source(&source)?;
    if let Some(c) = &source.community
        && !org::communities(s).await?.iter().any(|x| &x.name == c)
    {
        return Err(DomainError::validation("community", "invalid"));
    }
    let config =
        serde_json::to_string(&source).map_err(|e| DomainError::Internal(e.to_string()))?;
    let (_gate, txn) = s.begin_write().await?;
    let same_name = crawl_source::Entity::find()
        .filter(crawl_source::Column::Name.eq(&source.name))
        .one(&txn)
        .await?;
    if same_name.as_ref().is_some_and(|r| Some(r.id) != id) {
        return Err(DomainError::Conflict("source_name"));
    }
    let id = write_source(&txn, id, &source.name, config, Some(enabled)).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "crawl.source.save",
        &format!("crawl_source:{id}"),
        serde_json::json!({ "name": source.name, "enabled": enabled }),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// An admin asks for a run now. Checks and audits; the caller runs
/// [`run_source`] in the background (it can take minutes at polite speed).
pub async fn request_run(s: &Services, actor: &Principal, id: i64) -> DomainResult<String> {
    actor.require_admin()?;
    let row = crawl_source::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let (_gate, txn) = s.begin_write().await?;
    crate::jobs::enqueue_in(
        &txn,
        crate::jobs::kind::CRAWL,
        &row.name,
        Some(actor.account_id),
        serde_json::json!({}),
        0,
    )
    .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "crawl.source.run",
        &format!("crawl_source:{id}"),
        serde_json::json!({ "name": row.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.name)
}

/// Runs a crawl an admin asked for, for the job runner.
pub async fn run_job(
    s: &Services,
    run: &crate::jobs::Run,
    holder: &str,
) -> Result<serde_json::Value, String> {
    // Pages fetched so far: shows on the admin page and keeps the run from
    // looking dead to a restarting instance.
    let (tx, writer) = crate::jobs::reporter(s, run.id, 0);
    let outcome = run_source(s, &run.target, holder, &mut |sum: &Summary| {
        let _ = tx.send((sum.fetched, 0));
    })
    .await;
    drop(tx);
    let _ = writer.await;
    match outcome {
        Ok(Ok(summary)) => Ok(serde_json::json!({ "new": summary.new, "errors": summary.errors })),
        Ok(Err(_)) => Err("err.conflict.already_running".into()),
        Err(e) => {
            tracing::warn!(source = %run.target, error = %e, "crawl run failed");
            Err("err.internal".into())
        }
    }
}

/// Why a run did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// Another instance (or run) holds this source's lease.
    Busy,
}

/// Runs one source now: takes its lease, crawls, stores new items as
/// opinions (moderated unless the source publishes directly) and the new
/// state, all in one transaction.
pub async fn run_source(
    s: &Services,
    name: &str,
    holder: &str,
    progress: &mut (dyn FnMut(&Summary) + Send),
) -> DomainResult<Result<Summary, Skipped>> {
    let row = crawl_source::Entity::find()
        .filter(crawl_source::Column::Name.eq(name))
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let lease = format!("crawl:{}", row.id);
    if !jobs::try_lease(s, &lease, holder, chrono::Duration::minutes(30)).await? {
        return Ok(Err(Skipped::Busy));
    }
    let result = run_locked(s, row, progress).await;
    jobs::release(s, &lease, holder).await?;
    result.map(Ok)
}

async fn run_locked(
    s: &Services,
    row: crawl_source::Model,
    progress: &mut (dyn FnMut(&Summary) + Send),
) -> DomainResult<Summary> {
    let source: Source =
        serde_json::from_str(&row.config).map_err(|e| DomainError::Internal(e.to_string()))?;
    let mut state: crawler::CrawlState = serde_json::from_str(&row.state).unwrap_or_default();
    let communities = org::communities(s).await?;
    let community = match &source.community {
        Some(name) => communities.iter().find(|c| &c.name == name),
        None => communities.first(),
    }
    .ok_or(DomainError::validation("community", "invalid"))?
    .id;
    let mut crawler =
        crawler::Crawler::new(source.clone()).map_err(|e| DomainError::Internal(e.to_string()))?;
    let (items, summary) = crawler.run(&mut state, progress).await;
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let rows: Vec<opinion::ActiveModel> = items
        .into_iter()
        .map(|item| {
            let title: String = item
                .title
                .chars()
                .take(crate::opinions::TITLE_MAX)
                .collect();
            let mut body: String = item.body.chars().take(crate::opinions::BODY_MAX).collect();
            if let Some(a) = &item.author {
                body.push_str(&format!("\n（原帖作者：{a}）"));
            }
            crate::opinions::NewOpinion {
                community_id: community,
                location: None,
                author_id: None,
                anonymous: false,
                channel: Channel::Crawler,
                category: crate::categories::FALLBACK.to_owned(),
                title,
                body,
                published: source.publish_directly,
                idempotency_key: Some(format!("crawl:{}:{}", row.id, &item.content_hash[..40])),
                source: Some((row.id, item.url)),
                received_at: None,
                resident_key: None,
            }
            .into_row(now)
        })
        .collect();
    let keys: Vec<String> = rows
        .iter()
        .filter_map(|r| r.idempotency_key.clone().unwrap())
        .collect();
    for chunk in rows.chunks(500) {
        opinion::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let mut am: crawl_source::ActiveModel = row.clone().into();
    am.state =
        Set(serde_json::to_string(&state).map_err(|e| DomainError::Internal(e.to_string()))?);
    am.last_run_at = Set(Some(now));
    am.last_summary = Set(serde_json::to_string(&summary).ok());
    am.update(&txn).await?;
    txn.commit().await?;
    drop(_gate);
    if source.publish_directly && !keys.is_empty() {
        crate::agenda::after_publish_keys(s, &keys).await;
    }
    Ok(summary)
}

/// Names of enabled sources whose schedule says they are due.
pub async fn due_sources(s: &Services) -> DomainResult<Vec<String>> {
    let now = clock::now();
    let rows = crawl_source::Entity::find()
        .filter(crawl_source::Column::Enabled.eq(true))
        .all(&s.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            let every = serde_json::from_str::<Source>(&r.config)
                .map(|c| c.every_minutes)
                .unwrap_or(0);
            every > 0
                && r.last_run_at
                    .is_none_or(|t| t + chrono::Duration::minutes(every as i64) <= now)
        })
        .map(|r| r.name)
        .collect())
}
