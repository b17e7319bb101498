//! 热点与议题 heat and agenda: what residents are talking about, how hot each
//! matter is and why.
//!
//! - Publishing an opinion analyses it (keywords, copy fingerprint, who
//!   stands behind it) and places it into the topic it belongs to, updating
//!   that topic's heat ([`after_publish`]) — nothing else is recomputed.
//! - [`recompute`] regroups every published opinion (a background job under
//!   a lease, and `hongcha heat recompute`); topics keep their ids across
//!   runs, and what staff decided (accepted, rejected, merged, split) stays.
//! - [`ranking`] and [`topic`] are the public read side: heat with its
//!   breakdown, the trend, and the opinions behind it (masked as everywhere).
//! - [`lexicon`]: admins add dictionary words, synonyms and stop words at
//!   run time; analysis picks them up without a restart.
//!
//! The text work is `nlp` (pure); this module loads, decides and stores.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::entities::opinion;
use crate::error::{DomainError, DomainResult};
use crate::opinions::status as opinion_status;
use crate::{Services, clock};

#[cfg(test)]
mod db_tests;
pub mod decide;
pub(crate) mod entities;
pub mod lexicon;
pub mod prevote;
mod recompute;
pub mod tell;

use entities::{topic, topic_community, topic_member};
pub use nlp::heat::Params as HeatParams;
pub use recompute::{Recomputed, Stage, recompute};

/// Topic statuses.
pub mod status {
    /// Ranked by heat; staff may take it up.
    pub const OPEN: &str = "open";
    /// On the council agenda (议题).
    pub const ACCEPTED: &str = "accepted";
    /// Not taken up, with a public reason.
    pub const REJECTED: &str = "rejected";
    /// Folded into another topic.
    pub const MERGED: &str = "merged";
    /// What the public ranking shows.
    pub const RANKED: &[&str] = &[OPEN, ACCEPTED];
}

/// How heat is counted and opinions grouped.
#[derive(Clone, Debug)]
pub struct Settings {
    pub heat: nlp::heat::Params,
    pub grouping: nlp::topics::Params,
    /// Weeks in a topic's trend line.
    pub trend_weeks: usize,
    /// Keywords kept per opinion.
    pub keywords_per_opinion: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            heat: nlp::heat::Params::default(),
            grouping: nlp::topics::Params::default(),
            trend_weeks: 8,
            keywords_per_opinion: 8,
        }
    }
}

/// The analyser in use: the shipped lexicon, or one with admins' additions
/// (rebuilt when `ref_version` row 3 moves).
#[derive(Default)]
pub(crate) struct State {
    custom: std::sync::RwLock<Option<(i64, Arc<nlp::Analyzer>)>>,
    /// When (unix seconds) a published opinion first fit no topic since
    /// the last regrouping; 0: none (see [`regroup_asked`]).
    regroup: std::sync::atomic::AtomicI64,
}

/// Whether a published opinion fit no existing topic at least `after` ago
/// and no regrouping has run since: the heat job then regroups soon
/// instead of at its next tick, so a new matter shows up within a minute
/// or two rather than within the job's interval. A burst counts from its
/// first opinion, so it makes one run.
pub fn regroup_asked(s: &Services, after: std::time::Duration) -> bool {
    let since = s.agenda.regroup.load(std::sync::atomic::Ordering::Acquire);
    since > 0 && clock::now().timestamp() - since >= after.as_secs() as i64
}

/// A regrouping starts: what was published so far is in it.
pub fn regroup_taken(s: &Services) {
    s.agenda
        .regroup
        .store(0, std::sync::atomic::Ordering::Release);
}

pub(crate) enum Current {
    Shipped,
    Custom(Arc<nlp::Analyzer>),
}

impl Current {
    pub(crate) fn get(&self) -> &nlp::Analyzer {
        match self {
            Current::Shipped => nlp::Analyzer::shipped(),
            Current::Custom(a) => a,
        }
    }
}

/// The analyser for the lexicon as it is now (one primary-key read; a
/// rebuild, off the async runtime, only after an admin changed the lexicon).
pub(crate) async fn analyzer(s: &Services) -> DomainResult<Current> {
    let version = lexicon::version(&s.db).await?;
    if version == 0 {
        warm_up().await?;
        return Ok(Current::Shipped);
    }
    if let Some((v, a)) = s
        .agenda
        .custom
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        && *v == version
    {
        return Ok(Current::Custom(a.clone()));
    }
    let lex = lexicon::current(&s.db).await?;
    let overrides = lexicon::idf_overrides(&s.db).await?;
    let built = tokio::task::spawn_blocking(move || {
        let idf = if overrides.is_empty() {
            nlp::Idf::shipped()
        } else {
            Arc::new(nlp::Idf::shipped().with(overrides))
        };
        Arc::new(nlp::Analyzer::new(&lex, idf))
    })
    .await
    .map_err(|e| DomainError::Internal(format!("building the analyser: {e}")))?;
    *s.agenda.custom.write().unwrap_or_else(|e| e.into_inner()) = Some((version, built.clone()));
    Ok(Current::Custom(built))
}

/// Builds the shipped analyser (jieba's dictionary, the IDF: a second or
/// more) off the async runtime, so no request thread ever waits on it. The
/// server calls this at start; every use of the analyser goes through it.
pub async fn warm_up() -> DomainResult<()> {
    if nlp::Analyzer::shipped_ready() {
        return Ok(());
    }
    tokio::task::spawn_blocking(|| {
        nlp::Analyzer::shipped();
    })
    .await
    .map_err(|e| DomainError::Internal(format!("building the analyser: {e}")))
}

/// Keywords as stored: `[[term, weight], …]`, weights to four places.
pub(crate) fn encode_keywords(k: &[nlp::Keyword]) -> String {
    let pairs: Vec<(&str, f64)> = k
        .iter()
        .map(|k| (k.term.as_str(), (k.weight * 10_000.0).round() / 10_000.0))
        .collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn decode_keywords(s: &str) -> Vec<(String, f64)> {
    serde_json::from_str(s).unwrap_or_default()
}

/// What analysis keeps with an opinion, from its public (masked) text.
pub(crate) struct Analysis {
    pub keywords: String,
    pub fingerprint: i64,
}

pub(crate) fn analyse(a: &nlp::Analyzer, title: &str, body: &str, k: usize) -> Analysis {
    let text = format!("{title} {body}");
    Analysis {
        keywords: encode_keywords(&a.keywords(&text, k)),
        fingerprint: nlp::topics::fingerprint(&text) as i64,
    }
}

/// Who stands behind an opinion, for counting distinct residents.
pub(crate) fn voice(id: i64, resident_key: Option<&str>, author_id: Option<i64>) -> String {
    match (resident_key, author_id) {
        (Some(k), _) if !k.is_empty() => k.to_owned(),
        (_, Some(a)) => format!("a:{a}"),
        _ => format!("o:{id}"),
    }
}

/// When an opinion counts from: when it was first received, else published.
pub(crate) fn counted_at(
    received: Option<DateTime<Utc>>,
    published: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
) -> DateTime<Utc> {
    received.or(published).unwrap_or(created)
}

/// A heat figure and the parts it is made of (what `nlp::heat` returns).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub value: f64,
    pub posts: usize,
    pub residents: usize,
    pub decayed_residents: f64,
    pub channels: usize,
    pub communities: usize,
    pub spread: f64,
    pub supports: u32,
    pub support_part: f64,
    pub freshness: f64,
    pub half_life_days: f64,
    /// Channel → residents, for "why is this here".
    #[serde(default)]
    pub by_channel: Vec<(String, usize)>,
}

impl Breakdown {
    /// The figure in words, e.g. "23 位居民（按时间衰减后 18.4）× 扩散 1.30（3 个渠道、2
    /// 个社区）+ 支持 4 × 0.2 × 0.90 = 24.6".
    pub fn explain_zh(&self, support_weight: f64) -> String {
        format!(
            "{} 位居民（按时间衰减后 {:.1}）× 扩散 {:.2}（{} 个渠道、{} 个社区）+ 支持 {} × {} × {:.2} = {:.1}",
            self.residents,
            self.decayed_residents,
            self.spread,
            self.channels,
            self.communities,
            self.supports,
            support_weight,
            self.freshness,
            self.value
        )
    }

    pub fn explain_en(&self, support_weight: f64) -> String {
        format!(
            "{} residents (decayed {:.1}) × spread {:.2} ({} channels, {} communities) + {} supports × {} × {:.2} = {:.1}",
            self.residents,
            self.decayed_residents,
            self.spread,
            self.channels,
            self.communities,
            self.supports,
            support_weight,
            self.freshness,
            self.value
        )
    }
}

/// Topic members joined to their opinions.
pub(crate) fn members_with_opinion() -> sea_orm::Select<topic_member::Entity> {
    topic_member::Entity::find().join(
        sea_orm::JoinType::InnerJoin,
        topic_member::Entity::belongs_to(opinion::Entity)
            .from(topic_member::Column::OpinionId)
            .to(opinion::Column::Id)
            .into(),
    )
}

/// Topic members whose opinions the public sees (published, not hidden):
/// what heat, pages, notices and the API count.
pub(crate) fn public_members() -> sea_orm::Select<topic_member::Entity> {
    members_with_opinion()
        .filter(opinion::Column::Status.eq(opinion_status::PUBLISHED))
        .filter(opinion::Column::Hidden.eq(false))
}

/// One member opinion as heat and the trend see it.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub voice: String,
    pub channel: String,
    pub community: i64,
    pub at: i64,
    pub supports: u32,
}

/// Members as `nlp::heat` reads them.
fn posts(members: &[Member]) -> Vec<nlp::heat::Post<'_>> {
    members
        .iter()
        .map(|m| nlp::heat::Post {
            resident: &m.voice,
            channel: &m.channel,
            community: m.community,
            at: m.at,
            supports: m.supports,
        })
        .collect()
}

pub(crate) fn breakdown(members: &[Member], now: i64, p: &nlp::heat::Params) -> Breakdown {
    let h = nlp::heat::heat(&posts(members), now, p);
    let mut by_channel: HashMap<&str, HashSet<&str>> = HashMap::new();
    for m in members {
        by_channel.entry(&m.channel).or_default().insert(&m.voice);
    }
    let mut by_channel: Vec<(String, usize)> = by_channel
        .into_iter()
        .map(|(c, v)| (c.to_owned(), v.len()))
        .collect();
    by_channel.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Breakdown {
        value: h.value,
        posts: h.posts,
        residents: h.residents,
        decayed_residents: h.decayed_residents,
        channels: h.channels,
        communities: h.communities,
        spread: h.spread,
        supports: h.supports,
        support_part: h.support_part,
        freshness: h.freshness,
        half_life_days: p.half_life_days,
        by_channel,
    }
}

pub(crate) fn trend(members: &[Member], now: i64, weeks: usize) -> Vec<usize> {
    nlp::heat::weekly_new_residents(&posts(members), now, weeks)
}

/// The label of a topic: its strongest terms.
pub(crate) fn label_of(centroid: &[(String, f64)]) -> String {
    let mut out = String::new();
    for (t, _) in centroid.iter().take(3) {
        if out.chars().count() + t.chars().count() + 1 > 100 {
            break;
        }
        if !out.is_empty() {
            out.push('·');
        }
        out.push_str(t);
    }
    out
}

#[derive(FromQueryResult)]
pub(crate) struct MemberRow {
    pub id: i64,
    pub community_id: i64,
    pub channel: String,
    pub resident_key: Option<String>,
    pub author_id: Option<i64>,
    pub received_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub supports: i32,
    pub copy_of: Option<i64>,
}

impl MemberRow {
    /// As heat sees it; a copy speaks with the voice of what it copies.
    pub(crate) fn member(&self, voices: &HashMap<i64, String>) -> Member {
        let own = voice(self.id, self.resident_key.as_deref(), self.author_id);
        let voice = self
            .copy_of
            .and_then(|c| voices.get(&c).cloned())
            .unwrap_or(own);
        Member {
            voice,
            channel: self.channel.clone(),
            community: self.community_id,
            at: counted_at(self.received_at, self.published_at, self.created_at).timestamp(),
            supports: self.supports.max(0) as u32,
        }
    }
}

/// The public members of some topics (published, not hidden), by topic.
pub(crate) async fn members_of<C: ConnectionTrait>(
    conn: &C,
    topics: &[i64],
) -> DomainResult<HashMap<i64, Vec<Member>>> {
    let mut out: HashMap<i64, Vec<Member>> = HashMap::new();
    for chunk in topics.chunks(500) {
        let rows: Vec<(i64, MemberRow)> = public_members()
            .select_only()
            .column(topic_member::Column::TopicId)
            .column(topic_member::Column::CopyOf)
            .column_as(opinion::Column::Id, "id")
            .column(opinion::Column::CommunityId)
            .column(opinion::Column::Channel)
            .column(opinion::Column::ResidentKey)
            .column(opinion::Column::AuthorId)
            .column(opinion::Column::ReceivedAt)
            .column(opinion::Column::PublishedAt)
            .column(opinion::Column::CreatedAt)
            .column(opinion::Column::Supports)
            .filter(topic_member::Column::TopicId.is_in(chunk.iter().copied()))
            .into_model::<TopicMemberRow>()
            .all(conn)
            .await?
            .into_iter()
            .map(|r| (r.topic_id, r.row))
            .collect();
        let voices: HashMap<i64, String> = rows
            .iter()
            .map(|(_, r)| (r.id, voice(r.id, r.resident_key.as_deref(), r.author_id)))
            .collect();
        for (t, r) in rows {
            out.entry(t).or_default().push(r.member(&voices));
        }
    }
    Ok(out)
}

pub(crate) struct TopicMemberRow {
    topic_id: i64,
    row: MemberRow,
}

impl FromQueryResult for TopicMemberRow {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(TopicMemberRow {
            topic_id: res.try_get(pre, "topic_id")?,
            row: MemberRow::from_query_result(res, pre)?,
        })
    }
}

/// Heat, counts and trend of one topic from its members, and its rows per
/// community, written in the caller's transaction.
pub(crate) async fn store_heat<C: ConnectionTrait>(
    conn: &C,
    settings: &Settings,
    topic_id: i64,
    members: &[Member],
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let t = now.timestamp();
    let b = breakdown(members, t, &settings.heat);
    let first = members.iter().map(|m| m.at).min().unwrap_or(t);
    let last = members.iter().map(|m| m.at).max().unwrap_or(t);
    let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(now);
    // The centroid follows the public members (a hidden or corrected
    // opinion's words leave the label).
    let keywords: Vec<String> = public_members()
        .select_only()
        .column(opinion::Column::Keywords)
        .filter(topic_member::Column::TopicId.eq(topic_id))
        .into_tuple()
        .all(conn)
        .await?;
    let vectors: Vec<Vec<(String, f64)>> = keywords.iter().map(|k| decode_keywords(k)).collect();
    let centroid = nlp::topics::centroid_of(vectors.iter().map(Vec::as_slice), 12);
    let mut update = topic::Entity::update_many();
    if !centroid.is_empty() {
        update = update
            .col_expr(topic::Column::Label, label_of(&centroid).into())
            .col_expr(topic::Column::Keywords, json(&centroid).into());
    }
    if !members.is_empty() {
        update = update
            .col_expr(topic::Column::FirstAt, at(first).into())
            .col_expr(topic::Column::LastAt, at(last).into());
    }
    update
        .col_expr(topic::Column::Heat, b.value.into())
        .col_expr(topic::Column::Breakdown, json(&b).into())
        .col_expr(topic::Column::Residents, (b.residents as i32).into())
        .col_expr(topic::Column::Posts, (b.posts as i32).into())
        .col_expr(
            topic::Column::Trend,
            json(&trend(members, t, settings.trend_weeks)).into(),
        )
        .col_expr(topic::Column::UpdatedAt, now.into())
        .filter(topic::Column::Id.eq(topic_id))
        .exec(conn)
        .await?;
    topic_community::Entity::delete_many()
        .filter(topic_community::Column::TopicId.eq(topic_id))
        .exec(conn)
        .await?;
    let rows = community_rows(settings, topic_id, members, t);
    if !rows.is_empty() {
        topic_community::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

pub(crate) fn community_rows(
    settings: &Settings,
    topic_id: i64,
    members: &[Member],
    now: i64,
) -> Vec<topic_community::ActiveModel> {
    let mut by: HashMap<i64, Vec<Member>> = HashMap::new();
    for m in members {
        by.entry(m.community).or_default().push(m.clone());
    }
    let mut rows: Vec<_> = by
        .into_iter()
        .map(|(c, ms)| {
            let b = breakdown(&ms, now, &settings.heat);
            topic_community::ActiveModel {
                topic_id: Set(topic_id),
                community_id: Set(c),
                heat: Set(b.value),
                residents: Set(b.residents as i32),
                posts: Set(b.posts as i32),
                breakdown: Set(json(&b)),
            }
        })
        .collect();
    rows.sort_by_key(|r| *r.community_id.as_ref());
    rows
}

pub(crate) fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// After opinions were published (moderation, an import published at once)
/// or corrected: analyse them, and place each into the topic it belongs to
/// (an open or accepted one whose centroid is close enough), updating that
/// topic's heat. Opinions that fit no topic wait for the next
/// recomputation, which may start a new topic from them; the heat job is
/// told ([`regroup_asked`]) so that it comes soon. Runs after the
/// publishing transaction; if it fails, the next recomputation repairs it.
pub async fn after_publish(s: &Services, ids: &[i64]) -> DomainResult<()> {
    place(s, ids, true).await
}

/// [`after_publish`]; `ask_regroup`: tell the heat job when an opinion fit
/// no topic (not from a regrouping's own late pass, which would only ask
/// for itself again).
pub(crate) async fn place(s: &Services, ids: &[i64], ask_regroup: bool) -> DomainResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let current = analyzer(s).await?;
    let a = current.get();
    let settings = &s.settings.agenda;
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let rows = opinion::Entity::find()
        .filter(opinion::Column::Id.is_in(ids.iter().copied()))
        .filter(opinion::Column::Status.eq(opinion_status::PUBLISHED))
        .filter(opinion::Column::Hidden.eq(false))
        .all(&txn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let placed: HashMap<i64, i64> = topic_member::Entity::find()
        .filter(topic_member::Column::OpinionId.is_in(rows.iter().map(|r| r.id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| (m.opinion_id, m.topic_id))
        .collect();
    // Candidate topics: open or accepted, active in the last 90 days.
    let since = now - chrono::Duration::days(90);
    let candidates: Vec<(i64, nlp::topics::Centroid)> = topic::Entity::find()
        .select_only()
        .column(topic::Column::Id)
        .column(topic::Column::Keywords)
        .filter(topic::Column::Status.is_in(status::RANKED.iter().copied()))
        .filter(
            sea_orm::Condition::any()
                .add(topic::Column::LastAt.gte(since))
                .add(topic::Column::Status.eq(status::ACCEPTED)),
        )
        .into_tuple::<(i64, String)>()
        .all(&txn)
        .await?
        .into_iter()
        .map(|(id, k)| (id, nlp::topics::Centroid::from_terms(&decode_keywords(&k))))
        .collect();
    let mut touched: HashSet<i64> = HashSet::new();
    let mut unplaced = false;
    let mut prints: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for row in rows {
        let analysis = analyse(
            a,
            &row.title_public,
            &row.body_public,
            settings.keywords_per_opinion,
        );
        let keywords = decode_keywords(&analysis.keywords);
        let resident = voice(row.id, row.resident_key.as_deref(), row.author_id);
        let mut am: opinion::ActiveModel = row.clone().into();
        am.keywords = Set(analysis.keywords);
        am.fingerprint = Set(analysis.fingerprint);
        if row.resident_key.is_none() {
            am.resident_key = Set(Some(resident));
        }
        am.update(&txn).await?;
        if let Some(t) = placed.get(&row.id) {
            touched.insert(*t);
            continue;
        }
        let Some((topic_id, _)) = nlp::topics::best_topic(
            &keywords,
            candidates.iter().map(|(id, c)| (*id, c)),
            &settings.grouping,
        ) else {
            unplaced = true;
            continue;
        };
        // A near-identical copy of a member speaks with its voice. Each
        // topic's fingerprints are read once per call.
        if let std::collections::hash_map::Entry::Vacant(slot) = prints.entry(topic_id) {
            let found: Vec<(i64, i64)> = members_with_opinion()
                .select_only()
                .column(opinion::Column::Id)
                .column(opinion::Column::Fingerprint)
                .filter(topic_member::Column::TopicId.eq(topic_id))
                .filter(topic_member::Column::CopyOf.is_null())
                .into_tuple()
                .all(&txn)
                .await?;
            slot.insert(found);
        }
        let known = prints.entry(topic_id).or_default();
        let copy_of = known
            .iter()
            .find(|(_, f)| {
                *f != 0 && nlp::topics::near_copies(*f as u64, analysis.fingerprint as u64)
            })
            .map(|(id, _)| *id);
        if copy_of.is_none() {
            known.push((row.id, analysis.fingerprint));
        }
        topic_member::ActiveModel {
            opinion_id: Set(row.id),
            topic_id: Set(topic_id),
            copy_of: Set(copy_of),
            pinned: Set(false),
        }
        .insert(&txn)
        .await?;
        touched.insert(topic_id);
    }
    let touched: Vec<i64> = touched.into_iter().collect();
    let members = members_of(&txn, &touched).await?;
    for t in touched {
        store_heat(
            &txn,
            settings,
            t,
            members.get(&t).map_or(&[][..], Vec::as_slice),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    if unplaced && ask_regroup {
        // The first since the last regrouping sets the time.
        let _ = s.agenda.regroup.compare_exchange(
            0,
            now.timestamp(),
            std::sync::atomic::Ordering::AcqRel,
            std::sync::atomic::Ordering::Acquire,
        );
    }
    Ok(())
}

/// After opinions left the public pages (rejected, merged, hidden by
/// reports) or changed: the heat, communities and centroid of the topics
/// they were in are counted again from their public members at once.
pub async fn after_unpublish(s: &Services, ids: &[i64]) -> DomainResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let mut touched: Vec<i64> = topic_member::Entity::find()
        .select_only()
        .column(topic_member::Column::TopicId)
        .filter(topic_member::Column::OpinionId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(&txn)
        .await?;
    touched.sort_unstable();
    touched.dedup();
    let members = members_of(&txn, &touched).await?;
    for t in touched {
        store_heat(
            &txn,
            &s.settings.agenda,
            t,
            members.get(&t).map_or(&[][..], Vec::as_slice),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// [`after_publish`] for opinions named by their idempotency keys (rows
/// inserted in bulk without returning ids: imports, crawls). Failures are
/// logged: the opinions are stored, and the next recomputation places them.
pub async fn after_publish_keys(s: &Services, keys: &[String]) {
    let mut ids = Vec::new();
    for chunk in keys.chunks(500) {
        match opinion::Entity::find()
            .select_only()
            .column(opinion::Column::Id)
            .filter(opinion::Column::IdempotencyKey.is_in(chunk.iter().cloned()))
            .filter(opinion::Column::Status.eq(opinion_status::PUBLISHED))
            .into_tuple::<i64>()
            .all(&s.db)
            .await
        {
            Ok(found) => ids.extend(found),
            Err(e) => {
                tracing::warn!(error = %e, "finding published opinions failed");
                return;
            }
        }
    }
    for chunk in ids.chunks(2_000) {
        if let Err(e) = after_publish(s, chunk).await {
            tracing::warn!(error = %e, "placing published opinions into topics failed");
            return;
        }
    }
}

/// Public opinion ids of one community (newest first, at most `limit`) in
/// the open or accepted topics whose centroid a draft with these keywords
/// would join: the similar-opinion hint's index.
pub(crate) async fn members_like(
    s: &Services,
    keywords: &[(String, f64)],
    community_id: i64,
    limit: u64,
) -> DomainResult<Vec<i64>> {
    let since = clock::now() - chrono::Duration::days(180);
    let topics: Vec<(i64, String)> = topic::Entity::find()
        .select_only()
        .column(topic::Column::Id)
        .column(topic::Column::Keywords)
        .filter(topic::Column::Status.is_in(status::RANKED.iter().copied()))
        .filter(topic::Column::LastAt.gte(since))
        .into_tuple()
        .all(&s.db)
        .await?;
    let mut scored: Vec<(i64, f64)> = topics
        .iter()
        .map(|(id, k)| (*id, nlp::topics::cosine(keywords, &decode_keywords(k))))
        .filter(|(_, c)| *c >= s.settings.agenda.grouping.threshold)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.truncate(2);
    if scored.is_empty() {
        return Ok(vec![]);
    }
    Ok(public_members()
        .select_only()
        .column(topic_member::Column::OpinionId)
        .filter(topic_member::Column::TopicId.is_in(scored.iter().map(|(t, _)| *t)))
        .filter(opinion::Column::CommunityId.eq(community_id))
        .order_by_desc(topic_member::Column::OpinionId)
        .limit(limit)
        .into_tuple()
        .all(&s.db)
        .await?)
}

/// One topic as the ranking shows it.
#[derive(Clone, Debug, Serialize)]
pub struct TopicCard {
    pub id: i64,
    /// The staff title, else the label.
    pub title: String,
    pub label: String,
    pub status: String,
    pub keywords: Vec<String>,
    /// Heat in the ranking's scope (the street, or one community).
    pub heat: f64,
    pub breakdown: Breakdown,
    pub trend: Vec<usize>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

pub(crate) fn card(t: topic::Model, scoped: Option<(f64, String)>) -> TopicCard {
    let centroid = decode_keywords(&t.keywords);
    let (heat, breakdown) = match scoped {
        Some((h, b)) => (h, b),
        None => (t.heat, t.breakdown),
    };
    TopicCard {
        id: t.id,
        title: t.title.clone().unwrap_or_else(|| t.label.clone()),
        label: t.label,
        status: t.status,
        keywords: centroid.into_iter().take(6).map(|(k, _)| k).collect(),
        heat,
        breakdown: serde_json::from_str(&breakdown).unwrap_or_default(),
        trend: serde_json::from_str(&t.trend).unwrap_or_default(),
        first_at: t.first_at,
        last_at: t.last_at,
    }
}

/// Most topics a ranking returns.
pub const RANKING_MAX: u64 = 100;

/// Topics by heat, for the street or one community (its own heat there).
/// Open and accepted topics only. One query.
pub async fn ranking(
    s: &Services,
    community: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<TopicCard>> {
    let limit = limit.clamp(1, RANKING_MAX);
    let ranked = status::RANKED.iter().copied();
    match community {
        None => Ok(topic::Entity::find()
            .filter(topic::Column::Status.is_in(ranked))
            .filter(topic::Column::Heat.gt(0.0))
            .order_by_desc(topic::Column::Heat)
            .order_by_asc(topic::Column::Id)
            .limit(limit)
            .all(&s.db)
            .await?
            .into_iter()
            .map(|t| card(t, None))
            .collect()),
        Some(c) => {
            let rows = topic_community::Entity::find()
                .find_also_related(topic::Entity)
                .filter(topic_community::Column::CommunityId.eq(c))
                .filter(topic_community::Column::Heat.gt(0.0))
                .filter(topic::Column::Status.is_in(ranked))
                .order_by_desc(topic_community::Column::Heat)
                .order_by_asc(topic_community::Column::TopicId)
                .limit(limit)
                .all(&s.db)
                .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(tc, t)| t.map(|t| card(t, Some((tc.heat, tc.breakdown)))))
                .collect())
        }
    }
}

/// `GET /api/v1/topics` and `hongcha topics --json`.
#[derive(Clone, Debug, Serialize)]
pub struct ApiTopics {
    pub community: Option<i64>,
    pub half_life_days: f64,
    pub topics: Vec<ApiTopic>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ApiTopic {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub heat: f64,
    /// The heat figure in words (Chinese), and in English.
    pub explain: String,
    pub explain_en: String,
    pub breakdown: Breakdown,
    pub keywords: Vec<String>,
    /// New residents per week, oldest first.
    pub trend: Vec<usize>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// Public member opinions (in the community, for a community ranking),
    /// the newest [`API_MEMBERS_MAX`].
    pub opinion_ids: Vec<i64>,
    /// How many there are in all.
    pub opinions_total: usize,
}

/// Most member ids one topic lists in the API.
pub const API_MEMBERS_MAX: usize = 200;

/// The ranking with breakdowns and member opinion ids: two queries.
pub async fn api_topics(
    s: &Services,
    community: Option<i64>,
    limit: u64,
) -> DomainResult<ApiTopics> {
    let cards = ranking(s, community, limit).await?;
    let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
    // The newest API_MEMBERS_MAX public members of each topic, and how
    // many there are: one statement, however large the topics.
    let mut members: HashMap<i64, (usize, Vec<i64>)> = HashMap::new();
    if !ids.is_empty() {
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let community_filter = community
            .map(|c| format!(" AND o.community_id = {c}"))
            .unwrap_or_default();
        let sql = format!(
            "SELECT topic_id, opinion_id, total FROM (\
               SELECT tm.topic_id AS topic_id, tm.opinion_id AS opinion_id, \
                 ROW_NUMBER() OVER (PARTITION BY tm.topic_id ORDER BY tm.opinion_id DESC) AS rn, \
                 COUNT(*) OVER (PARTITION BY tm.topic_id) AS total \
               FROM topic_member tm JOIN opinion o ON o.id = tm.opinion_id \
               WHERE tm.topic_id IN ({list}) AND o.status = 'published' AND o.hidden = FALSE{community_filter}\
             ) ranked WHERE rn <= {API_MEMBERS_MAX} ORDER BY topic_id, opinion_id DESC"
        );
        let rows =
            s.db.query_all_raw(sea_orm::Statement::from_string(
                s.db.get_database_backend(),
                sql,
            ))
            .await?;
        for r in rows {
            let t: i64 = r.try_get("", "topic_id")?;
            let o: i64 = r.try_get("", "opinion_id")?;
            let total: i64 = r.try_get("", "total")?;
            let e = members.entry(t).or_default();
            e.0 = total.max(0) as usize;
            e.1.push(o);
        }
    }
    let w = s.settings.agenda.heat.support_weight;
    Ok(ApiTopics {
        community,
        half_life_days: s.settings.agenda.heat.half_life_days,
        topics: cards
            .into_iter()
            .map(|c| {
                let (opinions_total, opinion_ids) = members.remove(&c.id).unwrap_or_default();
                ApiTopic {
                    id: c.id,
                    explain: c.breakdown.explain_zh(w),
                    explain_en: c.breakdown.explain_en(w),
                    title: c.title,
                    status: c.status,
                    heat: c.heat,
                    breakdown: c.breakdown,
                    keywords: c.keywords,
                    trend: c.trend,
                    first_at: c.first_at,
                    last_at: c.last_at,
                    opinion_ids,
                    opinions_total,
                }
            })
            .collect(),
    })
}

/// A member opinion as a topic's page lists it (public text only).
#[derive(Clone, Debug, Serialize)]
pub struct TopicOpinion {
    pub id: i64,
    pub title: String,
    pub channel: String,
    pub community_id: i64,
    pub at: DateTime<Utc>,
    pub supports: i32,
    /// A near-identical copy of another member (counted once).
    pub copy_of: Option<i64>,
}

/// A topic with the evidence behind it: "why is this here".
#[derive(Clone, Debug, Serialize)]
pub struct TopicDetail {
    pub card: TopicCard,
    pub summary: Option<String>,
    pub reject_reason: Option<String>,
    pub merged_into: Option<i64>,
    /// Community id → (residents, heat there).
    pub communities: Vec<(i64, i32, f64)>,
    /// The newest public member opinions (at most 50).
    pub opinions: Vec<TopicOpinion>,
    /// How many public member opinions it has.
    pub opinions_total: usize,
    /// What residents keep saying in those opinions: jieba's TextRank over
    /// the newest ones (copies once), synonyms folded.
    pub phrases: Vec<String>,
}

/// Words [`TopicDetail::phrases`] names.
pub const TOPIC_PHRASES: usize = 8;

/// Every public member opinion's id, ascending (tests and tools).
pub async fn member_ids(s: &Services, topic_id: i64) -> DomainResult<Vec<i64>> {
    let mut ids: Vec<i64> = public_members()
        .select_only()
        .column(topic_member::Column::OpinionId)
        .filter(topic_member::Column::TopicId.eq(topic_id))
        .into_tuple()
        .all(&s.db)
        .await?;
    ids.sort_unstable();
    Ok(ids)
}

/// One topic, as anyone may see it. Merged topics name where they went.
pub async fn topic(s: &Services, id: i64) -> DomainResult<TopicDetail> {
    let t = topic::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let communities: Vec<(i64, i32, f64)> = topic_community::Entity::find()
        .filter(topic_community::Column::TopicId.eq(id))
        .order_by_desc(topic_community::Column::Heat)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|c| (c.community_id, c.residents, c.heat))
        .collect();
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        title_public: String,
        body_public: String,
        channel: String,
        community_id: i64,
        received_at: Option<DateTime<Utc>>,
        published_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        supports: i32,
        copy_of: Option<i64>,
    }
    let rows: Vec<Row> = public_members()
        .select_only()
        .column(topic_member::Column::CopyOf)
        .column_as(opinion::Column::Id, "id")
        .column(opinion::Column::TitlePublic)
        .column(opinion::Column::BodyPublic)
        .column(opinion::Column::Channel)
        .column(opinion::Column::CommunityId)
        .column(opinion::Column::ReceivedAt)
        .column(opinion::Column::PublishedAt)
        .column(opinion::Column::CreatedAt)
        .column(opinion::Column::Supports)
        .filter(topic_member::Column::TopicId.eq(id))
        .order_by_desc(opinion::Column::Id)
        .limit(50)
        .into_model::<Row>()
        .all(&s.db)
        .await?;
    let opinions_total = public_members()
        .filter(topic_member::Column::TopicId.eq(id))
        .count(&s.db)
        .await? as usize;
    let texts: Vec<String> = rows
        .iter()
        .filter(|r| r.copy_of.is_none())
        .map(|r| format!("{}\n{}", r.title_public, r.body_public))
        .collect();
    let phrases = if texts.is_empty() {
        Vec::new()
    } else {
        analyzer(s)
            .await?
            .get()
            .phrases(texts.iter().map(String::as_str), TOPIC_PHRASES)
    };
    let mut opinions: Vec<TopicOpinion> = rows
        .into_iter()
        .map(|r| TopicOpinion {
            id: r.id,
            title: r.title_public,
            channel: r.channel,
            community_id: r.community_id,
            at: counted_at(r.received_at, r.published_at, r.created_at),
            supports: r.supports,
            copy_of: r.copy_of,
        })
        .collect();
    opinions.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    Ok(TopicDetail {
        summary: t.summary.clone(),
        reject_reason: t.reject_reason.clone(),
        merged_into: t.merged_into,
        card: card(t, None),
        communities,
        opinions,
        opinions_total,
        phrases,
    })
}

/// The topic an opinion was placed in, if any: (id, title, status).
pub async fn topic_of_opinion(
    s: &Services,
    opinion_id: i64,
) -> DomainResult<Option<(i64, String, String)>> {
    let Some(m) = topic_member::Entity::find_by_id(opinion_id)
        .one(&s.db)
        .await?
    else {
        return Ok(None);
    };
    Ok(topic::Entity::find_by_id(m.topic_id)
        .one(&s.db)
        .await?
        .map(|t| (t.id, t.title.unwrap_or(t.label), t.status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_round_trip_and_voices() {
        let a = nlp::Analyzer::shipped();
        let an = analyse(
            a,
            "楼道电瓶车拉线充电",
            "晚上有人在楼道里拉线充电，很危险",
            8,
        );
        let k = decode_keywords(&an.keywords);
        assert_eq!(k[0].0, "飞线充电", "{k:?}");
        assert!(an.fingerprint != 0);
        assert_eq!(decode_keywords("not json"), vec![]);
        assert_eq!(voice(7, Some("p:abc"), Some(3)), "p:abc");
        assert_eq!(voice(7, None, Some(3)), "a:3");
        assert_eq!(voice(7, None, None), "o:7");
        assert_eq!(label_of(&[("a".into(), 1.0), ("b".into(), 0.5)]), "a·b");
    }
}
