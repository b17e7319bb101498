//! 开放数据 the records behind the public API (`/api/v1`): published
//! opinions as the public sees them (phone numbers and ID numbers masked,
//! no author), meetings that were announced, plans with their tasks done
//! and residents' ratings. Public fields only, read by column; a page at a
//! time, newest first, with where the page ended as the cursor to the next:
//! opinions by when they were published (then id), the others by id. Each
//! page reads only its own rows from an index, whatever the filter.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::Services;
use crate::agenda::entities::{topic, topic_community};
use crate::entities::opinion;
use crate::error::{DomainError, DomainResult};
use crate::meetings::entities::{meeting, meeting_participant, meeting_rating};
use crate::plans::entities::{plan, plan_rating, plan_task};

/// Most records in one page.
pub const PAGE_MAX: u64 = 100;
/// Records in a page when the caller does not say.
pub const PAGE_DEFAULT: u64 = 20;

/// What a caller asks for: a community, a period (by when each record
/// happened: published, started, made), and where the last page ended.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter {
    pub community: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    /// The first instant after the period.
    pub until: Option<DateTime<Utc>>,
    /// Where the previous page ended.
    pub before: Option<Cursor>,
    pub limit: u64,
}

/// Where a page ended: the last record's id, and for opinions when it was
/// published. Written `ID` or `NANOS-ID` (nanoseconds since 1970, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub at: Option<DateTime<Utc>>,
    pub id: i64,
}

impl Cursor {
    /// Reads a cursor as [`Cursor::to_string`] writes it; `None` for
    /// anything else.
    pub fn parse(s: &str) -> Option<Cursor> {
        fn number(s: &str, max_len: usize) -> Option<i64> {
            if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        }
        let (at, id) = match s.split_once('-') {
            Some((at, id)) => (Some(DateTime::from_timestamp_nanos(number(at, 19)?)), id),
            None => (None, s),
        };
        let id = number(id, 18).filter(|id| *id > 0)?;
        Some(Cursor { at, id })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at.and_then(|at| at.timestamp_nanos_opt()) {
            Some(nanos) => write!(f, "{nanos}-{}", self.id),
            None => write!(f, "{}", self.id),
        }
    }
}

impl Filter {
    /// Checks the page size (1–[`PAGE_MAX`]) and the cursor.
    pub fn checked(mut self) -> DomainResult<Filter> {
        if self.limit == 0 {
            self.limit = PAGE_DEFAULT;
        }
        if self.limit > PAGE_MAX {
            return Err(DomainError::validation("limit", "invalid"));
        }
        if self.before.is_some_and(|b| b.id <= 0) {
            return Err(DomainError::validation("cursor", "invalid"));
        }
        Ok(self)
    }

    /// The id a page of meetings or plans (ordered by id) starts below; an
    /// opinions' cursor is refused.
    fn before_id(&self) -> DomainResult<Option<i64>> {
        match self.before {
            Some(Cursor { at: Some(_), .. }) => Err(DomainError::validation("cursor", "invalid")),
            other => Ok(other.map(|c| c.id)),
        }
    }
}

/// One page, and the cursor to the next one (none on the last page).
#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn page<T>(mut items: Vec<T>, limit: u64, cursor: impl Fn(&T) -> Cursor) -> Page<T> {
    let more = items.len() as u64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more
        .then(|| items.last().map(|x| cursor(x).to_string()))
        .flatten();
    Page { items, next_cursor }
}

#[derive(Clone, Debug, Serialize)]
pub struct OpenOpinion {
    pub id: i64,
    pub community_id: i64,
    pub channel: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub supports: i32,
    pub published_at: DateTime<Utc>,
}

/// Published, visible opinions, newest published first, masked as the
/// public sees them. Ordered by (published, id), which the
/// `opinion_published` and `opinion_community_published` indexes hold: a
/// page reads its own rows, however few of the community's opinions fall in
/// the period.
pub async fn opinions(s: &Services, f: Filter) -> DomainResult<Page<OpenOpinion>> {
    let f = f.checked()?;
    let before = match f.before {
        None => None,
        Some(Cursor { at: Some(at), id }) => Some((at, id)),
        Some(_) => return Err(DomainError::validation("cursor", "invalid")),
    };
    let mut q = opinion::Entity::find()
        .select_only()
        .columns([
            opinion::Column::Id,
            opinion::Column::CommunityId,
            opinion::Column::Channel,
            opinion::Column::Category,
            opinion::Column::TitlePublic,
            opinion::Column::BodyPublic,
            opinion::Column::Supports,
            opinion::Column::PublishedAt,
        ])
        .filter(opinion::Column::Status.eq(crate::opinions::status::PUBLISHED))
        .filter(opinion::Column::Hidden.eq(false))
        .filter(opinion::Column::PublishedAt.is_not_null());
    if let Some(c) = f.community {
        q = q.filter(opinion::Column::CommunityId.eq(c));
    }
    if let Some(t) = f.from {
        q = q.filter(opinion::Column::PublishedAt.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(opinion::Column::PublishedAt.lt(t));
    }
    if let Some((at, id)) = before {
        use sea_orm::sea_query::{Expr, ExprTrait};
        q = q.filter(
            Expr::tuple([
                Expr::col(opinion::Column::PublishedAt),
                Expr::col(opinion::Column::Id),
            ])
            .lt(Expr::tuple([Expr::value(at), Expr::value(id)])),
        );
    }
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        i32,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = q
        .order_by_desc(opinion::Column::PublishedAt)
        .order_by_desc(opinion::Column::Id)
        .limit(f.limit + 1)
        .into_tuple()
        .all(&s.db)
        .await?;
    let items = rows
        .into_iter()
        .map(
            |(id, community_id, channel, category, title, body, supports, at)| OpenOpinion {
                id,
                community_id,
                channel,
                category,
                title,
                body,
                supports,
                published_at: at.unwrap_or_default(),
            },
        )
        .collect();
    Ok(page(items, f.limit, |o: &OpenOpinion| Cursor {
        at: Some(o.published_at),
        id: o.id,
    }))
}

#[derive(Clone, Debug, Serialize)]
pub struct OpenMeeting {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub mode: String,
    pub status: String,
    pub starts_at: DateTime<Utc>,
    pub invited: i64,
    pub attended_onsite: i64,
    pub attended_online: i64,
    /// Participants' ratings of the meeting (跟踪评价): how many gave 1 … 5.
    pub ratings: [i64; 5],
    pub rating_average: Option<f64>,
    /// How staff used its outcomes (成果运用), once recorded.
    pub outcome_use: Option<String>,
}

/// Meetings that were announced (not drafts), newest first, with how many
/// were invited and came.
pub async fn meetings(s: &Services, f: Filter) -> DomainResult<Page<OpenMeeting>> {
    use crate::meetings::status;
    let f = f.checked()?;
    let mut q = meeting::Entity::find()
        .select_only()
        .columns([
            meeting::Column::Id,
            meeting::Column::CommunityId,
            meeting::Column::Title,
            meeting::Column::Mode,
            meeting::Column::Status,
            meeting::Column::StartsAt,
            meeting::Column::OutcomeUse,
        ])
        .filter(meeting::Column::Status.ne(status::DRAFT));
    if let Some(c) = f.community {
        q = q.filter(meeting::Column::CommunityId.eq(c));
    }
    if let Some(t) = f.from {
        q = q.filter(meeting::Column::StartsAt.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(meeting::Column::StartsAt.lt(t));
    }
    if let Some(b) = f.before_id()? {
        q = q.filter(meeting::Column::Id.lt(b));
    }
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        DateTime<Utc>,
        Option<String>,
    );
    let rows: Vec<Row> = q
        .order_by_desc(meeting::Column::Id)
        .limit(f.limit + 1)
        .into_tuple()
        .all(&s.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    // Invitations and attendance of the page's meetings, and their
    // ratings: one query each.
    let mut people: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    let mut ratings: HashMap<i64, [i64; 5]> = HashMap::new();
    if !ids.is_empty() {
        let scored: Vec<(i64, i32, i64)> = meeting_rating::Entity::find()
            .select_only()
            .column(meeting_rating::Column::MeetingId)
            .column(meeting_rating::Column::Score)
            .column_as(meeting_rating::Column::ParticipantId.count(), "n")
            .filter(meeting_rating::Column::MeetingId.is_in(ids.clone()))
            .group_by(meeting_rating::Column::MeetingId)
            .group_by(meeting_rating::Column::Score)
            .into_tuple()
            .all(&s.db)
            .await?;
        tally(&mut ratings, scored);
        let counted: Vec<(i64, Option<String>, i64)> = meeting_participant::Entity::find()
            .select_only()
            .column(meeting_participant::Column::MeetingId)
            .column(meeting_participant::Column::Attend)
            .column_as(meeting_participant::Column::Id.count(), "n")
            .filter(meeting_participant::Column::MeetingId.is_in(ids))
            .group_by(meeting_participant::Column::MeetingId)
            .group_by(meeting_participant::Column::Attend)
            .into_tuple()
            .all(&s.db)
            .await?;
        for (m, attend, n) in counted {
            let e = people.entry(m).or_default();
            e.0 += n;
            match attend.as_deref() {
                Some("onsite") => e.1 += n,
                Some("online") => e.2 += n,
                _ => {}
            }
        }
    }
    let items = rows
        .into_iter()
        .map(
            |(id, community_id, title, mode, status, starts_at, outcome_use)| {
                let (invited, attended_onsite, attended_online) =
                    people.get(&id).copied().unwrap_or_default();
                let r = ratings.get(&id).copied().unwrap_or_default();
                OpenMeeting {
                    id,
                    community_id,
                    title,
                    mode,
                    status,
                    starts_at,
                    invited,
                    attended_onsite,
                    attended_online,
                    ratings: r,
                    rating_average: super::average_of(&r),
                    outcome_use,
                }
            },
        )
        .collect();
    Ok(page(items, f.limit, |m: &OpenMeeting| Cursor {
        at: None,
        id: m.id,
    }))
}

#[derive(Clone, Debug, Serialize)]
pub struct OpenPlan {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub status: String,
    pub round: i32,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub tasks: i64,
    pub tasks_done: i64,
    /// Residents' ratings of every round: how many gave 1, 2, … 5.
    pub ratings: [i64; 5],
    pub rating_average: Option<f64>,
}

/// Plans, newest first, with their tasks done and residents' ratings.
pub async fn plans(s: &Services, f: Filter) -> DomainResult<Page<OpenPlan>> {
    let f = f.checked()?;
    let mut q = plan::Entity::find().select_only().columns([
        plan::Column::Id,
        plan::Column::CommunityId,
        plan::Column::Title,
        plan::Column::Status,
        plan::Column::Round,
        plan::Column::CreatedAt,
        plan::Column::ClosedAt,
    ]);
    if let Some(c) = f.community {
        q = q.filter(plan::Column::CommunityId.eq(c));
    }
    if let Some(t) = f.from {
        q = q.filter(plan::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(plan::Column::CreatedAt.lt(t));
    }
    if let Some(b) = f.before_id()? {
        q = q.filter(plan::Column::Id.lt(b));
    }
    type Row = (
        i64,
        i64,
        String,
        String,
        i32,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = q
        .order_by_desc(plan::Column::Id)
        .limit(f.limit + 1)
        .into_tuple()
        .all(&s.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut tasks: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut ratings: HashMap<i64, [i64; 5]> = HashMap::new();
    if !ids.is_empty() {
        let counted: Vec<(i64, String, i64)> = plan_task::Entity::find()
            .select_only()
            .column(plan_task::Column::PlanId)
            .column(plan_task::Column::Status)
            .column_as(plan_task::Column::Id.count(), "n")
            .filter(plan_task::Column::PlanId.is_in(ids.clone()))
            .group_by(plan_task::Column::PlanId)
            .group_by(plan_task::Column::Status)
            .into_tuple()
            .all(&s.db)
            .await?;
        for (p, status, n) in counted {
            let e = tasks.entry(p).or_default();
            e.0 += n;
            if status == "done" {
                e.1 += n;
            }
        }
        let scored: Vec<(i64, i32, i64)> = plan_rating::Entity::find()
            .select_only()
            .column(plan_rating::Column::PlanId)
            .column(plan_rating::Column::Score)
            .column_as(plan_rating::Column::AccountId.count(), "n")
            .filter(plan_rating::Column::PlanId.is_in(ids))
            .group_by(plan_rating::Column::PlanId)
            .group_by(plan_rating::Column::Score)
            .into_tuple()
            .all(&s.db)
            .await?;
        tally(&mut ratings, scored);
    }
    let items = rows
        .into_iter()
        .map(
            |(id, community_id, title, status, round, created_at, closed_at)| {
                let (t, done) = tasks.get(&id).copied().unwrap_or_default();
                let r = ratings.get(&id).copied().unwrap_or_default();
                OpenPlan {
                    id,
                    community_id,
                    title,
                    status,
                    round,
                    created_at,
                    closed_at,
                    tasks: t,
                    tasks_done: done,
                    ratings: r,
                    rating_average: super::average_of(&r),
                }
            },
        )
        .collect();
    Ok(page(items, f.limit, |p: &OpenPlan| Cursor {
        at: None,
        id: p.id,
    }))
}

/// Counts of (record, score 1–5, how many) into five columns per record.
fn tally(into: &mut HashMap<i64, [i64; 5]>, scored: Vec<(i64, i32, i64)>) {
    for (id, score, n) in scored {
        if (1..=5).contains(&score) {
            into.entry(id).or_default()[score as usize - 1] += n;
        }
    }
}

/// Topics a community's opinions are in.
fn of_community(c: i64) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::Query;
    topic::Column::Id.in_subquery(
        Query::select()
            .column(topic_community::Column::TopicId)
            .from(topic_community::Entity)
            .and_where(topic_community::Column::CommunityId.eq(c))
            .to_owned(),
    )
}

#[derive(Clone, Debug, Serialize)]
pub struct OpenTopic {
    pub id: i64,
    pub title: String,
    /// `open`, `accepted` (on the council agenda), `rejected` or `merged`.
    pub status: String,
    /// Why staff did not take it up (rejected topics).
    pub reject_reason: Option<String>,
    /// The topic it was folded into (merged topics).
    pub merged_into: Option<i64>,
    /// Its heat now: the street's, or the community's when one is asked.
    pub heat: f64,
    /// Distinct residents and posts behind it (the street's).
    pub residents: i32,
    pub posts: i32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Every topic, newest first, whatever became of it: the record beside the
/// live ranking of `/api/v1/topics`. A community's are the topics its
/// opinions are in; a period's those whose span (first to last opinion)
/// overlaps it.
pub async fn topics(s: &Services, f: Filter) -> DomainResult<Page<OpenTopic>> {
    let f = f.checked()?;
    let mut q = topic::Entity::find().select_only().columns([
        topic::Column::Id,
        topic::Column::Title,
        topic::Column::Label,
        topic::Column::Status,
        topic::Column::RejectReason,
        topic::Column::MergedInto,
        topic::Column::Heat,
        topic::Column::Residents,
        topic::Column::Posts,
        topic::Column::FirstAt,
        topic::Column::LastAt,
        topic::Column::DecidedAt,
    ]);
    if let Some(c) = f.community {
        q = q.filter(of_community(c));
    }
    if let Some(t) = f.from {
        q = q.filter(topic::Column::LastAt.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(topic::Column::FirstAt.lt(t));
    }
    if let Some(b) = f.before_id()? {
        q = q.filter(topic::Column::Id.lt(b));
    }
    type Row = (
        i64,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<i64>,
        f64,
        i32,
        i32,
        DateTime<Utc>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = q
        .order_by_desc(topic::Column::Id)
        .limit(f.limit + 1)
        .into_tuple()
        .all(&s.db)
        .await?;
    // A community's own heat of the page's topics: one query.
    let mut scoped: HashMap<i64, f64> = HashMap::new();
    if let Some(c) = f.community
        && !rows.is_empty()
    {
        let heats: Vec<(i64, f64)> = topic_community::Entity::find()
            .select_only()
            .column(topic_community::Column::TopicId)
            .column(topic_community::Column::Heat)
            .filter(topic_community::Column::CommunityId.eq(c))
            .filter(topic_community::Column::TopicId.is_in(rows.iter().map(|r| r.0)))
            .into_tuple()
            .all(&s.db)
            .await?;
        scoped.extend(heats);
    }
    let items = rows
        .into_iter()
        .map(
            |(
                id,
                title,
                label,
                status,
                reject_reason,
                merged_into,
                heat,
                residents,
                posts,
                first_at,
                last_at,
                decided_at,
            )| OpenTopic {
                id,
                title: title.unwrap_or(label),
                status,
                reject_reason,
                merged_into,
                heat: match f.community {
                    Some(_) => scoped.get(&id).copied().unwrap_or(0.0),
                    None => heat,
                },
                residents,
                posts,
                first_at,
                last_at,
                decided_at,
            },
        )
        .collect();
    Ok(page(items, f.limit, |t: &OpenTopic| Cursor {
        at: None,
        id: t.id,
    }))
}

/// Something that happened lately, as the home page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Activity {
    /// `opinion` (published), `topic` (put on the council agenda),
    /// `meeting` or `plan` (with its status in `state`).
    pub kind: String,
    pub state: String,
    /// The public title, masked.
    pub title: String,
    pub at: DateTime<Utc>,
    pub link: String,
}

/// Most items of [`latest`].
pub const LATEST_MAX: u64 = 20;

/// The latest public activity of a community (or the street), newest
/// first: opinions published, topics put on the agenda, meetings announced
/// or held, plans made or moved on. Four queries of at most `n` rows each:
/// the opinions' from the published-order indexes, the others from tables
/// of a street's few hundred meetings, plans and decided topics.
pub async fn latest(s: &Services, community: Option<i64>, n: u64) -> DomainResult<Vec<Activity>> {
    let n = n.clamp(1, LATEST_MAX);
    let mut out: Vec<Activity> = Vec::new();
    let item = |kind: &str, state: &str, id: i64, title: &str, at: DateTime<Utc>| Activity {
        kind: kind.to_owned(),
        state: state.to_owned(),
        title: nlp::mask(title),
        at,
        link: format!("/{kind}s/{id}"),
    };

    let mut q = opinion::Entity::find()
        .select_only()
        .columns([
            opinion::Column::Id,
            opinion::Column::TitlePublic,
            opinion::Column::PublishedAt,
        ])
        .filter(opinion::Column::Status.eq(crate::opinions::status::PUBLISHED))
        .filter(opinion::Column::Hidden.eq(false))
        .filter(opinion::Column::PublishedAt.is_not_null());
    if let Some(c) = community {
        q = q.filter(opinion::Column::CommunityId.eq(c));
    }
    let rows: Vec<(i64, String, Option<DateTime<Utc>>)> = q
        .order_by_desc(opinion::Column::PublishedAt)
        .order_by_desc(opinion::Column::Id)
        .limit(n)
        .into_tuple()
        .all(&s.db)
        .await?;
    out.extend(
        rows.into_iter().filter_map(|(id, title, at)| {
            at.map(|at| item("opinion", "published", id, &title, at))
        }),
    );

    let mut q = topic::Entity::find()
        .select_only()
        .columns([
            topic::Column::Id,
            topic::Column::Title,
            topic::Column::Label,
            topic::Column::DecidedAt,
        ])
        .filter(topic::Column::Status.eq(crate::agenda::status::ACCEPTED))
        .filter(topic::Column::DecidedAt.is_not_null());
    if let Some(c) = community {
        q = q.filter(of_community(c));
    }
    type TopicRow = (i64, Option<String>, String, Option<DateTime<Utc>>);
    let rows: Vec<TopicRow> = q
        .order_by_desc(topic::Column::DecidedAt)
        .limit(n)
        .into_tuple()
        .all(&s.db)
        .await?;
    out.extend(rows.into_iter().filter_map(|(id, title, label, at)| {
        at.map(|at| item("topic", "accepted", id, &title.unwrap_or(label), at))
    }));

    let mut q = meeting::Entity::find()
        .select_only()
        .columns([
            meeting::Column::Id,
            meeting::Column::Status,
            meeting::Column::Title,
            meeting::Column::UpdatedAt,
        ])
        .filter(meeting::Column::Status.ne(crate::meetings::status::DRAFT));
    if let Some(c) = community {
        q = q.filter(meeting::Column::CommunityId.eq(c));
    }
    let rows: Vec<(i64, String, String, DateTime<Utc>)> = q
        .order_by_desc(meeting::Column::UpdatedAt)
        .limit(n)
        .into_tuple()
        .all(&s.db)
        .await?;
    out.extend(
        rows.into_iter()
            .map(|(id, state, title, at)| item("meeting", &state, id, &title, at)),
    );

    let mut q = plan::Entity::find().select_only().columns([
        plan::Column::Id,
        plan::Column::Status,
        plan::Column::Title,
        plan::Column::UpdatedAt,
    ]);
    if let Some(c) = community {
        q = q.filter(plan::Column::CommunityId.eq(c));
    }
    let rows: Vec<(i64, String, String, DateTime<Utc>)> = q
        .order_by_desc(plan::Column::UpdatedAt)
        .limit(n)
        .into_tuple()
        .all(&s.db)
        .await?;
    out.extend(
        rows.into_iter()
            .map(|(id, state, title, at)| item("plan", &state, id, &title, at)),
    );

    // Stable: each kind keeps its own order among equal times.
    out.sort_by_key(|a| std::cmp::Reverse(a.at));
    out.truncate(n as usize);
    Ok(out)
}
