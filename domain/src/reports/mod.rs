//! 成果报告 the street office's outcome reports: what residents raised, what
//! was discussed, what was done and how residents rated it, for a chosen
//! period, per community and for the whole street, with a monthly trend.
//!
//! Every figure is counted by the database in a fixed number of grouped
//! queries (one per section, all communities at once), whatever the size
//! of the data; the street's totals are the communities' sums, except
//! topics (one topic may span communities: counted once for the street).
//! Only counts leave `report`: no names, no phone numbers, no text (the
//! drill-down, [`records`], lists the records behind a count, masked).
//!
//! Periods are China calendar days (UTC+8), `from` and `to` included.
use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use serde::{Deserialize, Serialize};

use crate::accounts::{Role, Scope};
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services};

pub mod export;
pub mod open;
pub mod records;
pub mod snapshot;

/// The longest period a report covers (three years).
pub const MAX_DAYS: i64 = 3 * 366;

/// Scores at or below this count as dissatisfied.
pub const DISSATISFIED_AT_MOST: i32 = 2;

/// A report's period: China calendar days, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Midnight China time at the start of `day`, as an instant.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    china()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("a fixed offset has one local time")
        .with_timezone(&Utc)
}

fn first_of_month(y: i32, m: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, 1)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    first_of_month(y, m).expect("the first of a month exists")
}

impl Period {
    /// `YYYY-MM-DD` or `YYYY-MM` (a month: its first day for `from`, its
    /// last for `to`). `to` not before `from`, at most [`MAX_DAYS`].
    pub fn parse(from: &str, to: &str) -> DomainResult<Period> {
        fn day(s: &str, end: bool) -> Option<NaiveDate> {
            let s = s.trim();
            if s.len() > 10 {
                return None;
            }
            if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                return Some(d);
            }
            let (y, m) = s.split_once('-')?;
            if y.len() != 4 || m.is_empty() || m.len() > 2 {
                return None;
            }
            let first = first_of_month(y.parse().ok()?, m.parse().ok()?)?;
            Some(if end {
                next_month(first).pred_opt()?
            } else {
                first
            })
        }
        let from = day(from, false).ok_or(DomainError::validation("from", "invalid"))?;
        let to = day(to, true).ok_or(DomainError::validation("to", "invalid"))?;
        if to < from {
            return Err(DomainError::validation("to", "before_from"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(DomainError::validation("to", "too_long"));
        }
        if from.year() < 2000 || to.year() > 2100 {
            return Err(DomainError::validation("from", "invalid"));
        }
        Ok(Period { from, to })
    }

    /// The period a reader chose (`YYYY-MM-DD` or `YYYY-MM` each), or this
    /// year so far when either end is left empty.
    pub fn chosen(from: &str, to: &str, now: DateTime<Utc>) -> DomainResult<Period> {
        if from.trim().is_empty() || to.trim().is_empty() {
            Ok(Period::this_year(now))
        } else {
            Period::parse(from, to)
        }
    }

    /// What a report shows when no period is chosen: this year so far
    /// (China time).
    pub fn this_year(now: DateTime<Utc>) -> Period {
        let today = now.with_timezone(&china()).date_naive();
        Period {
            from: first_of_month(today.year(), 1).expect("January exists"),
            to: today,
        }
    }

    /// The calendar month `day` falls in.
    pub fn month_of(day: NaiveDate) -> Period {
        let from = first_of_month(day.year(), day.month()).expect("the first of a month exists");
        Period {
            from,
            to: next_month(from).pred_opt().expect("a month has a last day"),
        }
    }

    /// The first instant of the period.
    pub fn start(&self) -> DateTime<Utc> {
        start_of(self.from)
    }

    /// The first instant after the period.
    pub fn end(&self) -> DateTime<Utc> {
        start_of(self.to.succ_opt().unwrap_or(self.to))
    }

    /// The calendar months the period touches, each clipped to it:
    /// (`2026-03`, start, end).
    pub fn months(&self) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
        let mut out = Vec::new();
        let mut first =
            first_of_month(self.from.year(), self.from.month()).expect("the first of a month");
        while first <= self.to {
            let next = next_month(first);
            let from = first.max(self.from);
            let until = next.min(self.to.succ_opt().unwrap_or(next));
            out.push((
                format!("{:04}-{:02}", first.year(), first.month()),
                start_of(from),
                start_of(until),
            ));
            first = next;
        }
        out
    }
}

/// Who may see which report: admins and street officers every community
/// of the street, community staff their own community only.
pub fn may_see(actor: &Principal, community: Option<i64>) -> bool {
    if actor.has_role(Role::Admin) || actor.has_role(Role::StreetOfficer) {
        return true;
    }
    match community {
        Some(c) => actor
            .grants
            .iter()
            .any(|g| g.role == Role::Staff && g.scope == Scope::Community(c)),
        None => false,
    }
}

/// What a reader asked for, as the scope and period of their report: a
/// reader who may not see the whole street and names no community gets
/// their own community's report; an empty `from` or `to` means this year so
/// far. The page and the downloads both ask through here, so they agree.
pub fn resolve(
    actor: &Principal,
    community: Option<i64>,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> DomainResult<(Option<i64>, Period)> {
    let community = community.or_else(|| {
        (!may_see(actor, None))
            .then_some(actor.community_id)
            .flatten()
    });
    Ok((community, Period::chosen(from, to, now)?))
}

/// The figures of one community, or of the street.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Opinions received in the period (by when they reached us).
    pub opinions: i64,
    pub by_channel: BTreeMap<String, i64>,
    pub by_category: BTreeMap<String, i64>,
    /// Of those: where moderation left them.
    pub published: i64,
    pub rejected: i64,
    pub merged: i64,
    pub pending: i64,
    /// Topics first seen in the period; accepted or rejected in it.
    pub topics_proposed: i64,
    pub topics_accepted: i64,
    pub topics_rejected: i64,
    /// Meetings held (closed) that started in the period, and who came.
    pub meetings_held: i64,
    pub invited: i64,
    pub attended_onsite: i64,
    pub attended_online: i64,
    /// Plans made in the period, their tasks and those done.
    pub plans: i64,
    pub tasks: i64,
    pub tasks_done: i64,
    /// Cases of the SLA engine closed in the period, those closed without
    /// going overdue, and those open and overdue now.
    pub cases_closed: i64,
    pub cases_on_time: i64,
    pub overdue_open: i64,
    /// Residents' ratings given in the period: how many gave 1, 2, … 5.
    pub ratings: [i64; 5],
    /// Median days from an opinion to the plan made from its topic (plans
    /// made in the period), and to that plan's closing (closed in it).
    pub median_days_to_plan: Option<f64>,
    pub median_days_to_resolution: Option<f64>,
    /// Shares and averages of the counts above, for pages and files
    /// (filled by [`Figures::finish`]).
    pub derived: Derived,
}

/// Shares (per cent, to a tenth) and the average score of a [`Figures`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    pub task_completion_pct: Option<f64>,
    pub sla_compliance_pct: Option<f64>,
    pub rating_count: i64,
    pub rating_average: Option<f64>,
    pub dissatisfied_pct: Option<f64>,
}

/// The mean of `sum` over `n`, to a tenth; none for nothing.
fn mean(sum: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum as f64 * 10.0 / n as f64).round() / 10.0)
}

/// The average score of a distribution (how many gave 1, 2, … 5).
pub fn average_of(ratings: &[i64; 5]) -> Option<f64> {
    let sum = ratings
        .iter()
        .enumerate()
        .map(|(i, c)| (i as i64 + 1) * c)
        .sum();
    mean(sum, ratings.iter().sum())
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

impl Figures {
    pub fn task_completion_pct(&self) -> Option<f64> {
        ratio(self.tasks_done, self.tasks)
    }

    pub fn sla_compliance_pct(&self) -> Option<f64> {
        ratio(self.cases_on_time, self.cases_closed)
    }

    pub fn rating_count(&self) -> i64 {
        self.ratings.iter().sum()
    }

    pub fn rating_average(&self) -> Option<f64> {
        average_of(&self.ratings)
    }

    pub fn dissatisfied_pct(&self) -> Option<f64> {
        let low: i64 = self.ratings[..DISSATISFIED_AT_MOST as usize].iter().sum();
        ratio(low, self.rating_count())
    }

    /// Works out [`Figures::derived`] from the counts.
    pub fn finish(&mut self) {
        self.derived = Derived {
            task_completion_pct: self.task_completion_pct(),
            sla_compliance_pct: self.sla_compliance_pct(),
            rating_count: self.rating_count(),
            rating_average: self.rating_average(),
            dissatisfied_pct: self.dissatisfied_pct(),
        };
    }

    /// Adds a community's counts into the street's (medians are not sums:
    /// the caller computes them over all durations).
    fn add(&mut self, o: &Figures) {
        self.opinions += o.opinions;
        for (k, v) in &o.by_channel {
            *self.by_channel.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.by_category {
            *self.by_category.entry(k.clone()).or_default() += v;
        }
        self.published += o.published;
        self.rejected += o.rejected;
        self.merged += o.merged;
        self.pending += o.pending;
        self.meetings_held += o.meetings_held;
        self.invited += o.invited;
        self.attended_onsite += o.attended_onsite;
        self.attended_online += o.attended_online;
        self.plans += o.plans;
        self.tasks += o.tasks;
        self.tasks_done += o.tasks_done;
        self.cases_closed += o.cases_closed;
        self.cases_on_time += o.cases_on_time;
        self.overdue_open += o.overdue_open;
        for (a, b) in self.ratings.iter_mut().zip(o.ratings) {
            *a += b;
        }
    }
}

/// One month of the trend.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Month {
    /// `2026-03`
    pub month: String,
    pub opinions: i64,
    pub meetings_held: i64,
    pub plans: i64,
    pub ratings: i64,
    pub rating_average: Option<f64>,
}

/// A community's row in the side-by-side comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommunityFigures {
    pub community_id: i64,
    pub name: String,
    pub figures: Figures,
}

/// A report: the figures of the chosen community (or the street), each
/// community beside the others, and the monthly trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub period: Period,
    /// None: the whole street.
    pub community_id: Option<i64>,
    pub title: String,
    pub figures: Figures,
    pub communities: Vec<CommunityFigures>,
    pub monthly: Vec<Month>,
    /// When these are a month's figures as saved after the month: when.
    #[serde(default)]
    pub snapshot_at: Option<DateTime<Utc>>,
    /// Records of the period changed after the snapshot was taken.
    #[serde(default)]
    pub corrections: Corrections,
}

/// How many records of a snapshot's period were changed after it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Corrections {
    pub opinions: i64,
    pub meetings: i64,
    pub plans: i64,
}

/// A statement with its values, written once for both backends
/// (`$1` on PostgreSQL, `?` on SQLite).
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// `column IN (ids…)`, or `column IN (NULL)` (nothing) for no ids.
    fn any_of(&mut self, column: &str, ids: &[i64]) -> &mut Self {
        self.push(column).push(" IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*id);
        }
        if ids.is_empty() {
            self.push("NULL");
        }
        self.push(")")
    }

    /// `column >= start AND column < end`
    fn within(&mut self, column: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> &mut Self {
        self.push(column).push(" >= ").bind(start);
        self.push(" AND ").push(column).push(" < ").bind(end)
    }

    async fn rows<C: ConnectionTrait>(self, conn: &C) -> DomainResult<Vec<sea_orm::QueryResult>> {
        Ok(conn
            .query_all_raw(Statement::from_sql_and_values(
                self.backend,
                self.text,
                self.values,
            ))
            .await?)
    }
}

fn get_i64(row: &sea_orm::QueryResult, col: &str) -> DomainResult<i64> {
    Ok(row.try_get::<Option<i64>>("", col)?.unwrap_or(0))
}

fn get_str(row: &sea_orm::QueryResult, col: &str) -> DomainResult<String> {
    Ok(row.try_get::<Option<String>>("", col)?.unwrap_or_default())
}

/// Builds the report for `community` (None: the street) over `period`.
/// A whole calendar month that is over is read from its snapshot when
/// there is one (with the corrections made since listed beside it).
pub async fn report(
    s: &Services,
    actor: &Principal,
    community: Option<i64>,
    period: Period,
) -> DomainResult<Report> {
    if !may_see(actor, community) {
        return Err(DomainError::Forbidden);
    }
    let communities = crate::org::communities(s).await?;
    if let Some(c) = community
        && !communities.iter().any(|x| x.id == c)
    {
        return Err(DomainError::NotFound);
    }
    let mut r = match snapshot::of(s, community, period).await? {
        Some(r) => r,
        None => compute(s, &communities, community, period).await?,
    };
    // Beside it, only the communities the reader may see.
    r.communities
        .retain(|c| may_see(actor, None) || Some(c.community_id) == community);
    Ok(r)
}

/// The figures as the records say now, every community beside the others.
pub(crate) async fn compute(
    s: &Services,
    communities: &[crate::org::CommunityInfo],
    community: Option<i64>,
    period: Period,
) -> DomainResult<Report> {
    let mut per: BTreeMap<i64, Figures> = communities
        .iter()
        .map(|c| (c.id, Figures::default()))
        .collect();
    let db = &s.db;
    let (start, end) = (period.start(), period.end());
    let backend = db.get_database_backend();

    // Opinions received: by community, channel, category and status, a
    // column per month, in one pass over the period's opinions (the monthly
    // trend reads its column from here rather than scanning them again).
    // Grouped by exactly the leading columns of the `opinion_figures` index,
    // which holds every column read here: the database walks that index in
    // order, with no sort and no visit to the opinions themselves.
    let months = period.months();
    let mut opinion_months: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    const RECEIVED: &str = "COALESCE(received_at, created_at)";
    let mut q = Sql::new(backend);
    // Months are counted cumulatively (received before the end of month i;
    // the last month ends with the period, so its count is every row): one
    // comparison per month and row, the months' own counts are differences.
    q.push("SELECT community_id, channel, category, status, COUNT(*) AS total");
    for (i, (_, _, end)) in months
        .iter()
        .enumerate()
        .take(months.len().saturating_sub(1))
    {
        q.push(", COUNT(*) FILTER (WHERE ")
            .push(RECEIVED)
            .push(" < ")
            .bind(*end)
            .push(&format!(") AS c{i}"));
    }
    q.push(" FROM opinion WHERE ")
        .within(RECEIVED, start, end)
        .push(" GROUP BY community_id, channel, category, status");
    let opinions = q;

    // The other sections run while the database scans the opinions (the
    // largest part by far): each is small, and they need nothing from it.
    let others = async {
        // Topics, per community they touch, and once each for the street.
        let topic_counts = |per_community: bool| {
            let mut q = Sql::new(backend);
            let (select, from, group) = if per_community {
                (
                    "SELECT tc.community_id AS community_id, ",
                    " FROM topic t JOIN topic_community tc ON tc.topic_id = t.id",
                    " GROUP BY tc.community_id",
                )
            } else {
                (
                    "SELECT CAST(0 AS BIGINT) AS community_id, ",
                    " FROM topic t",
                    "",
                )
            };
            q.push(select);
            q.push("SUM(CASE WHEN ")
                .within("t.first_at", start, end)
                .push(" THEN 1 ELSE 0 END) AS proposed, SUM(CASE WHEN t.status = 'accepted' AND ")
                .within("t.decided_at", start, end)
                .push(" THEN 1 ELSE 0 END) AS accepted, SUM(CASE WHEN t.status = 'rejected' AND ")
                .within("t.decided_at", start, end)
                .push(" THEN 1 ELSE 0 END) AS rejected");
            q.push(from).push(group);
            q
        };
        for r in topic_counts(true).rows(db).await? {
            if let Some(f) = per.get_mut(&get_i64(&r, "community_id")?) {
                f.topics_proposed = get_i64(&r, "proposed")?;
                f.topics_accepted = get_i64(&r, "accepted")?;
                f.topics_rejected = get_i64(&r, "rejected")?;
            }
        }
        let street_topics = topic_counts(false).rows(db).await?;

        // Meetings held, with invitations and attendance.
        let mut q = Sql::new(backend);
        q.push(
            "SELECT m.community_id AS community_id, COUNT(DISTINCT m.id) AS held, \
         COUNT(p.id) AS invited, \
         SUM(CASE WHEN p.attend = 'onsite' THEN 1 ELSE 0 END) AS onsite, \
         SUM(CASE WHEN p.attend = 'online' THEN 1 ELSE 0 END) AS online \
         FROM meeting m LEFT JOIN meeting_participant p ON p.meeting_id = m.id \
         WHERE m.status = 'closed' AND ",
        )
        .within("m.starts_at", start, end)
        .push(" GROUP BY m.community_id");
        for r in q.rows(db).await? {
            if let Some(f) = per.get_mut(&get_i64(&r, "community_id")?) {
                f.meetings_held = get_i64(&r, "held")?;
                f.invited = get_i64(&r, "invited")?;
                f.attended_onsite = get_i64(&r, "onsite")?;
                f.attended_online = get_i64(&r, "online")?;
            }
        }

        // Plans made in the period and their tasks.
        let mut q = Sql::new(backend);
        q.push(
            "SELECT p.community_id AS community_id, COUNT(DISTINCT p.id) AS plans, \
         COUNT(t.id) AS tasks, SUM(CASE WHEN t.status = 'done' THEN 1 ELSE 0 END) AS done \
         FROM plan p LEFT JOIN plan_task t ON t.plan_id = p.id WHERE ",
        )
        .within("p.created_at", start, end)
        .push(" GROUP BY p.community_id");
        for r in q.rows(db).await? {
            if let Some(f) = per.get_mut(&get_i64(&r, "community_id")?) {
                f.plans = get_i64(&r, "plans")?;
                f.tasks = get_i64(&r, "tasks")?;
                f.tasks_done = get_i64(&r, "done")?;
            }
        }

        // SLA: closed in the period (on time or not), open and overdue now.
        let mut q = Sql::new(backend);
        q.push("SELECT community_id, SUM(CASE WHEN state = 'closed' AND ")
            .within("closed_at", start, end)
            .push(" THEN 1 ELSE 0 END) AS closed, SUM(CASE WHEN state = 'closed' AND overdue = ")
            .bind(false)
            .push(" AND ")
            .within("closed_at", start, end)
            .push(" THEN 1 ELSE 0 END) AS on_time, SUM(CASE WHEN state <> 'closed' AND overdue = ")
            .bind(true)
            .push(" THEN 1 ELSE 0 END) AS overdue_open FROM sla_case GROUP BY community_id");
        for r in q.rows(db).await? {
            if let Some(f) = per.get_mut(&get_i64(&r, "community_id")?) {
                f.cases_closed = get_i64(&r, "closed")?;
                f.cases_on_time = get_i64(&r, "on_time")?;
                f.overdue_open = get_i64(&r, "overdue_open")?;
            }
        }

        // Residents' ratings of plans, by score.
        let mut q = Sql::new(backend);
        q.push(
        "SELECT p.community_id AS community_id, CAST(r.score AS BIGINT) AS score, COUNT(*) AS n \
         FROM plan_rating r JOIN plan p ON p.id = r.plan_id WHERE ",
    )
    .within("r.at", start, end)
    .push(" GROUP BY p.community_id, r.score");
        for r in q.rows(db).await? {
            let score = get_i64(&r, "score")?;
            if let (Some(f), 1..=5) = (per.get_mut(&get_i64(&r, "community_id")?), score) {
                f.ratings[score as usize - 1] += get_i64(&r, "n")?;
            }
        }

        // Days from each public opinion of a plan's topic to the plan, and to
        // its closing: plans made (closed) in the period.
        let mut q = Sql::new(backend);
        q.push(
        "SELECT p.community_id AS community_id, p.created_at AS planned, p.closed_at AS closed, \
         COALESCE(o.received_at, o.created_at) AS raised \
         FROM plan p JOIN agenda_item a ON a.id = p.agenda_item_id \
         JOIN topic_member tm ON tm.topic_id = a.topic_id \
         JOIN opinion o ON o.id = tm.opinion_id \
         WHERE o.status = 'published' AND ((",
    )
    .within("p.created_at", start, end)
    .push(") OR (")
    .within("p.closed_at", start, end)
    .push("))");
        let mut to_plan: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        let mut to_close: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for r in q.rows(db).await? {
            let c = get_i64(&r, "community_id")?;
            let raised: DateTime<Utc> = r.try_get("", "raised")?;
            let planned: DateTime<Utc> = r.try_get("", "planned")?;
            let closed: Option<DateTime<Utc>> = r.try_get("", "closed")?;
            let days = |t: DateTime<Utc>| (t - raised).num_seconds().max(0) as f64 / 86_400.0;
            if planned >= start && planned < end {
                to_plan.entry(c).or_default().push(days(planned));
            }
            if let Some(cl) = closed.filter(|cl| *cl >= start && *cl < end) {
                to_close.entry(c).or_default().push(days(cl));
            }
        }
        Ok::<_, DomainError>((street_topics, to_plan, to_close))
    };
    let (opinion_rows, (street_topics, to_plan, to_close)) =
        tokio::try_join!(opinions.rows(db), others)?;
    for r in opinion_rows {
        let c = get_i64(&r, "community_id")?;
        let Some(f) = per.get_mut(&c) else {
            continue;
        };
        let mut by_month = Vec::with_capacity(months.len());
        let mut before = 0;
        for i in 0..months.len() {
            let upto = if i + 1 == months.len() {
                get_i64(&r, "total")?
            } else {
                get_i64(&r, &format!("c{i}"))?
            };
            by_month.push(upto - before);
            before = upto;
        }
        let n: i64 = by_month.iter().sum();
        f.opinions += n;
        *f.by_channel.entry(get_str(&r, "channel")?).or_default() += n;
        *f.by_category.entry(get_str(&r, "category")?).or_default() += n;
        match get_str(&r, "status")?.as_str() {
            crate::opinions::status::PUBLISHED => f.published += n,
            crate::opinions::status::REJECTED => f.rejected += n,
            crate::opinions::status::MERGED => f.merged += n,
            _ => f.pending += n,
        }
        let slots = opinion_months
            .entry(c)
            .or_insert_with(|| vec![0; months.len()]);
        for (slot, m) in slots.iter_mut().zip(by_month) {
            *slot += m;
        }
    }

    for (c, f) in per.iter_mut() {
        f.median_days_to_plan = to_plan.get(c).and_then(|v| median(v.clone()));
        f.median_days_to_resolution = to_close.get(c).and_then(|v| median(v.clone()));
    }

    // The street: the communities' sums, topics counted once.
    let mut street = Figures::default();
    for f in per.values() {
        street.add(f);
    }
    if let Some(r) = street_topics.first() {
        street.topics_proposed = get_i64(r, "proposed")?;
        street.topics_accepted = get_i64(r, "accepted")?;
        street.topics_rejected = get_i64(r, "rejected")?;
    }
    street.median_days_to_plan = median(to_plan.values().flatten().copied().collect());
    street.median_days_to_resolution = median(to_close.values().flatten().copied().collect());
    street.finish();
    for f in per.values_mut() {
        f.finish();
    }

    let mut opinions_by_month = vec![0; months.len()];
    for (c, v) in &opinion_months {
        if community.is_none_or(|x| x == *c) {
            for (total, n) in opinions_by_month.iter_mut().zip(v) {
                *total += n;
            }
        }
    }
    let monthly = monthly(s, community, &period, &opinions_by_month).await?;
    let beside: Vec<CommunityFigures> = communities
        .iter()
        .map(|c| CommunityFigures {
            community_id: c.id,
            name: c.name.clone(),
            figures: per.get(&c.id).cloned().unwrap_or_default(),
        })
        .collect();
    let (title, figures) = match community {
        Some(c) => (
            communities
                .iter()
                .find(|x| x.id == c)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            per.remove(&c).unwrap_or_default(),
        ),
        None => (
            communities
                .first()
                .map(|c| c.street_name.clone())
                .unwrap_or_default(),
            street,
        ),
    };
    Ok(Report {
        period,
        community_id: community,
        title,
        figures,
        communities: beside,
        monthly,
        snapshot_at: None,
        corrections: Corrections::default(),
    })
}

/// The middle value (the mean of the two middle ones for an even count),
/// to a tenth of a day.
fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((m * 10.0).round() / 10.0)
}

/// The monthly trend: one grouped query per figure, a column per month
/// (the opinions' counts come from the report's own pass over them).
async fn monthly(
    s: &Services,
    community: Option<i64>,
    period: &Period,
    opinions: &[i64],
) -> DomainResult<Vec<Month>> {
    let db = &s.db;
    let backend = db.get_database_backend();
    let months = period.months();
    let mut out: Vec<Month> = months
        .iter()
        .map(|(m, _, _)| Month {
            month: m.clone(),
            ..Month::default()
        })
        .collect();
    // SUM(CASE WHEN <t> in month i THEN <what> ELSE 0 END) AS m<first + i>, …
    let columns = |q: &mut Sql, t: &str, what: &str, first: usize| {
        for (i, (_, a, b)) in months.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("SUM(CASE WHEN ")
                .within(t, *a, *b)
                .push(&format!(" THEN {what} ELSE 0 END) AS m{}", first + i));
        }
    };
    let scope = |q: &mut Sql, column: &str| {
        if let Some(c) = community {
            q.push(" AND ").push(column).push(" = ").bind(c);
        }
    };
    let (start, end) = (period.start(), period.end());
    let read = |rows: &[sea_orm::QueryResult], i: usize| -> DomainResult<i64> {
        rows.first().map_or(Ok(0), |r| get_i64(r, &format!("m{i}")))
    };

    let mut q = Sql::new(backend);
    q.push("SELECT ");
    columns(&mut q, "starts_at", "1", 0);
    q.push(" FROM meeting WHERE status = 'closed' AND ")
        .within("starts_at", start, end);
    scope(&mut q, "community_id");
    let meetings = q.rows(db).await?;

    let mut q = Sql::new(backend);
    q.push("SELECT ");
    columns(&mut q, "created_at", "1", 0);
    q.push(" FROM plan WHERE ").within("created_at", start, end);
    scope(&mut q, "community_id");
    let plans = q.rows(db).await?;

    let mut q = Sql::new(backend);
    q.push("SELECT ");
    columns(&mut q, "r.at", "1", 0);
    q.push(", ");
    columns(&mut q, "r.at", "r.score", months.len());
    q.push(" FROM plan_rating r JOIN plan p ON p.id = r.plan_id WHERE ")
        .within("r.at", start, end);
    scope(&mut q, "p.community_id");
    let ratings = q.rows(db).await?;

    let n = months.len();
    for (i, m) in out.iter_mut().enumerate() {
        m.opinions = opinions.get(i).copied().unwrap_or(0);
        m.meetings_held = read(&meetings, i)?;
        m.plans = read(&plans, i)?;
        m.ratings = read(&ratings, i)?;
        // The score sums are the second set of columns.
        let sum = read(&ratings, n + i)?;
        m.rating_average = mean(sum, m.ratings);
    }
    Ok(out)
}

#[cfg(test)]
mod db_tests;
#[cfg(test)]
mod tests;
