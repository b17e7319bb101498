//! The records behind a report's figure (the drill-down): for the same
//! reader, scope and period as the report, the opinions, topics, meetings,
//! plans, tasks, SLA cases or rated plans it counted, newest first, a page at a time by
//! id. Every record is selected by the same condition as its count (the
//! street: its current communities), so a figure and its list agree.
//! Titles are the public, masked copies, and an unpublished opinion's only
//! for those who moderate it; no author, no phone number, no single
//! resident's rating leaves here. Records are always today's: a past
//! month's report read from its snapshot may differ by the corrections it
//! lists.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Period, Sql, get_i64, get_str, may_see};
use crate::error::{DomainError, DomainResult};
use crate::opinions::status;
use crate::{Principal, Services};

/// Records on one page.
pub const PAGE: usize = 50;

/// Which figure's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// Opinions received (optionally of one channel, category or outcome).
    Opinions,
    /// Meetings held.
    Meetings,
    /// Topics first seen in the period.
    TopicsProposed,
    /// Topics put on the agenda, or not taken up, in the period.
    TopicsAccepted,
    TopicsRejected,
    /// Plans made.
    Plans,
    /// The tasks of the plans made in the period.
    Tasks,
    /// Plans closed (resolved) in the period.
    PlansClosed,
    /// SLA cases closed in the period (on time or late).
    CasesClosed,
    /// SLA cases open and overdue now.
    Overdue,
    /// Plans rated in the period, with how many rated them and the average.
    Ratings,
}

impl Figure {
    pub fn parse(s: &str) -> DomainResult<Figure> {
        Ok(match s {
            "opinions" => Figure::Opinions,
            "meetings" => Figure::Meetings,
            "topics_proposed" => Figure::TopicsProposed,
            "topics_accepted" => Figure::TopicsAccepted,
            "topics_rejected" => Figure::TopicsRejected,
            "plans" => Figure::Plans,
            "tasks" => Figure::Tasks,
            "plans_closed" => Figure::PlansClosed,
            "cases_closed" => Figure::CasesClosed,
            "overdue" => Figure::Overdue,
            "ratings" => Figure::Ratings,
            _ => return Err(DomainError::validation("figure", "invalid")),
        })
    }
}

/// What the reader narrowed the opinions to (each as the report counts it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Narrow {
    pub channel: Option<String>,
    pub category: Option<String>,
    /// `published`, `rejected`, `merged` or `pending` (anything else a
    /// moderator has not decided).
    pub outcome: Option<String>,
    /// Only records changed after the period's snapshot was taken (the
    /// corrections a saved month's report lists): opinions, meetings and
    /// plans of a whole month that has a snapshot.
    pub corrected: bool,
}

/// One record behind a figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: i64,
    /// When it counted: received, held, made, closed, due, last rated.
    pub at: DateTime<Utc>,
    pub community_id: Option<i64>,
    /// The public (masked) title; empty for an opinion the public cannot
    /// see, unless the reader moderates its community.
    pub title: String,
    /// The record's state as a code: an opinion's, a meeting's or a plan's
    /// status; `on_time` / `late` for closed cases; an overdue case's stage.
    pub state: String,
    /// The page that shows it, when the public may open one.
    pub link: Option<String>,
    /// Ratings: how many residents rated the plan in the period, and the
    /// average of their scores.
    pub ratings: Option<i64>,
    pub average: Option<f64>,
}

/// A page of records; `next` is the `before` of the following page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Records {
    pub items: Vec<Record>,
    pub next: Option<i64>,
}

/// A narrowing is a code (channel, category, outcome): the categories'
/// own rule for codes, or nothing.
fn short(field: &'static str, v: Option<String>) -> DomainResult<Option<String>> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if !crate::categories::valid_code(&s) => {
            Err(DomainError::validation(field, "invalid"))
        }
        other => Ok(other),
    }
}

/// The records behind `figure` for `community` (None: the street) over
/// `period`, for a reader who may see that report; ids below `before`.
pub async fn records(
    s: &Services,
    actor: &Principal,
    community: Option<i64>,
    period: Period,
    figure: Figure,
    narrow: Narrow,
    before: Option<i64>,
) -> DomainResult<Records> {
    if !may_see(actor, community) {
        return Err(DomainError::Forbidden);
    }
    // The report counts the street's current communities only.
    let communities: Vec<i64> = crate::org::communities(s)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if community.is_some_and(|c| !communities.contains(&c)) {
        return Err(DomainError::NotFound);
    }
    let channel = short("channel", narrow.channel)?;
    let category = short("category", narrow.category)?;
    let outcome = match short("outcome", narrow.outcome)? {
        Some(o)
            if [
                status::PUBLISHED,
                status::REJECTED,
                status::MERGED,
                "pending",
            ]
            .contains(&o.as_str()) =>
        {
            Some(o)
        }
        Some(_) => return Err(DomainError::validation("outcome", "invalid")),
        None => None,
    };
    if figure != Figure::Opinions && (channel.is_some() || category.is_some() || outcome.is_some())
    {
        return Err(DomainError::validation("figure", "invalid"));
    }
    let corrected_since = if narrow.corrected {
        if !matches!(figure, Figure::Opinions | Figure::Meetings | Figure::Plans) {
            return Err(DomainError::validation("figure", "invalid"));
        }
        match super::snapshot::taken_at(s, community, &period).await? {
            Some(at) => Some(at),
            // No snapshot: nothing of this period was saved to correct.
            None => return Err(DomainError::validation("by", "invalid")),
        }
    } else {
        None
    };
    let (start, end) = (period.start(), period.end());
    let db = &s.db;
    let mut q = Sql::new(db.get_database_backend());
    // Each arm: SELECT id, at, community_id, title, state, public, n, total
    // FROM … WHERE <the figure's own condition>, and names its id column
    // and the column its community is in.
    let (key, scope_column) = match figure {
        Figure::Opinions => {
            q.push(
                "SELECT id, COALESCE(received_at, created_at) AS at, community_id, \
                 title_public AS title, status AS state, \
                 CAST(CASE WHEN status = 'published' AND hidden = ",
            )
            .bind(false)
            .push(
                " THEN 1 ELSE 0 END AS BIGINT) AS public, CAST(NULL AS BIGINT) AS n, \
                 CAST(NULL AS BIGINT) AS total FROM opinion WHERE ",
            )
            .within("COALESCE(received_at, created_at)", start, end);
            if let Some(c) = &channel {
                q.push(" AND channel = ").bind(c.clone());
            }
            if let Some(c) = &category {
                q.push(" AND category = ").bind(c.clone());
            }
            match outcome.as_deref() {
                Some("pending") => {
                    q.push(" AND status NOT IN ('published', 'rejected', 'merged')");
                }
                Some(o) => {
                    q.push(" AND status = ").bind(o.to_owned());
                }
                None => {}
            }
            ("id", "community_id")
        }
        Figure::Meetings => {
            q.push(
                "SELECT id, starts_at AS at, community_id, title, status AS state, \
                 CAST(1 AS BIGINT) AS public, CAST(NULL AS BIGINT) AS n, CAST(NULL AS BIGINT) AS total \
                 FROM meeting WHERE status = 'closed' AND ",
            )
            .within("starts_at", start, end);
            ("id", "community_id")
        }
        Figure::Plans => {
            q.push(
                "SELECT id, created_at AS at, community_id, title, status AS state, \
                 CAST(1 AS BIGINT) AS public, CAST(NULL AS BIGINT) AS n, CAST(NULL AS BIGINT) AS total \
                 FROM plan WHERE ",
            )
            .within("created_at", start, end);
            ("id", "community_id")
        }
        Figure::PlansClosed => {
            q.push(
                "SELECT id, closed_at AS at, community_id, title, status AS state, \
                 CAST(1 AS BIGINT) AS public, CAST(NULL AS BIGINT) AS n, \
                 CAST(NULL AS BIGINT) AS total FROM plan WHERE ",
            )
            .within("closed_at", start, end);
            ("id", "community_id")
        }
        Figure::TopicsProposed | Figure::TopicsAccepted | Figure::TopicsRejected => {
            let (column, condition) = match figure {
                Figure::TopicsProposed => ("t.first_at", ""),
                Figure::TopicsAccepted => ("t.decided_at", "t.status = 'accepted' AND "),
                _ => ("t.decided_at", "t.status = 'rejected' AND "),
            };
            // A topic may span communities: the street lists it once.
            q.push(&format!("SELECT t.id AS id, {column} AS at, "));
            q.push(if community.is_some() {
                "tc.community_id AS community_id, "
            } else {
                "CAST(NULL AS BIGINT) AS community_id, "
            });
            q.push(
                "COALESCE(t.title, t.label) AS title, t.status AS state, \
                 CAST(1 AS BIGINT) AS public, CAST(NULL AS BIGINT) AS n, \
                 CAST(NULL AS BIGINT) AS total FROM topic t",
            );
            if community.is_some() {
                q.push(" JOIN topic_community tc ON tc.topic_id = t.id");
            }
            q.push(" WHERE ").push(condition).within(column, start, end);
            ("t.id", "tc.community_id")
        }
        Figure::Tasks => {
            q.push(
                "SELECT t.id AS id, t.deadline AS at, p.community_id AS community_id, \
                 t.title AS title, t.status AS state, CAST(1 AS BIGINT) AS public, \
                 CAST(NULL AS BIGINT) AS n, CAST(NULL AS BIGINT) AS total, \
                 CAST(t.plan_id AS BIGINT) AS plan \
                 FROM plan_task t JOIN plan p ON p.id = t.plan_id WHERE ",
            )
            .within("p.created_at", start, end);
            ("t.id", "p.community_id")
        }
        Figure::CasesClosed => {
            q.push(
                "SELECT id, closed_at AS at, community_id, title, link, \
                 CASE WHEN overdue = ",
            )
            .bind(true)
            .push(
                " THEN 'late' ELSE 'on_time' END AS state, CAST(1 AS BIGINT) AS public, \
                 CAST(NULL AS BIGINT) AS n, CAST(NULL AS BIGINT) AS total \
                 FROM sla_case WHERE state = 'closed' AND ",
            )
            .within("closed_at", start, end);
            ("id", "community_id")
        }
        Figure::Overdue => {
            q.push(
                "SELECT id, COALESCE(due_at, opened_at) AS at, community_id, title, link, \
                 stage AS state, CAST(1 AS BIGINT) AS public, CAST(NULL AS BIGINT) AS n, \
                 CAST(NULL AS BIGINT) AS total FROM sla_case \
                 WHERE state <> 'closed' AND overdue = ",
            )
            .bind(true);
            ("id", "community_id")
        }
        Figure::Ratings => {
            q.push(
                "SELECT p.id AS id, MAX(r.at) AS at, p.community_id AS community_id, \
                 p.title AS title, p.status AS state, CAST(1 AS BIGINT) AS public, COUNT(*) AS n, \
                 CAST(SUM(r.score) AS BIGINT) AS total \
                 FROM plan p JOIN plan_rating r ON r.plan_id = p.id WHERE ",
            )
            .within("r.at", start, end);
            ("p.id", "p.community_id")
        }
    };
    match community {
        Some(c) => {
            q.push(" AND ").push(scope_column).push(" = ").bind(c);
        }
        // A topic may span communities: the street counts every one of them.
        None if matches!(
            figure,
            Figure::TopicsProposed | Figure::TopicsAccepted | Figure::TopicsRejected
        ) => {}
        None => {
            q.push(" AND ").any_of(scope_column, &communities);
        }
    }
    if let Some(since) = corrected_since {
        q.push(" AND updated_at > ").bind(since);
    }
    if let Some(b) = before {
        q.push(" AND ").push(key).push(" < ").bind(b);
    }
    if figure == Figure::Ratings {
        q.push(" GROUP BY p.id, p.community_id, p.title, p.status");
    }
    q.push(" ORDER BY ")
        .push(key)
        .push(&format!(" DESC LIMIT {}", PAGE + 1));
    let rows = q.rows(db).await?;
    let more = rows.len() > PAGE;
    let mut items = Vec::with_capacity(rows.len().min(PAGE));
    for r in rows.iter().take(PAGE) {
        let id = get_i64(r, "id")?;
        let public = get_i64(r, "public")? == 1;
        let link = match figure {
            _ if !public => None,
            Figure::Opinions => Some(format!("/opinions/{id}")),
            Figure::Meetings => Some(format!("/meetings/{id}")),
            Figure::Plans | Figure::PlansClosed | Figure::Ratings => Some(format!("/plans/{id}")),
            Figure::TopicsProposed | Figure::TopicsAccepted | Figure::TopicsRejected => {
                Some(format!("/topics/{id}"))
            }
            Figure::Tasks => Some(format!("/plans/{}", get_i64(r, "plan")?)),
            // A case names its own page (a plan's task, a meeting …).
            Figure::CasesClosed | Figure::Overdue => r.try_get("", "link")?,
        };
        let n: Option<i64> = r.try_get("", "n")?;
        let total: Option<i64> = r.try_get("", "total")?;
        let community_id: Option<i64> = r.try_get("", "community_id")?;
        // An opinion the public cannot see keeps its words from readers who
        // do not moderate its community (street officers see that it was
        // rejected or waits, not what it said).
        let hidden_words = figure == Figure::Opinions
            && !public
            && !community_id.is_some_and(|c| crate::moderation::may_moderate(actor, c));
        items.push(Record {
            id,
            at: r.try_get("", "at")?,
            community_id,
            title: if hidden_words {
                String::new()
            } else {
                nlp::mask(&get_str(r, "title")?)
            },
            state: get_str(r, "state")?,
            link: link.filter(|l| l.starts_with('/')),
            ratings: n,
            average: n
                .and_then(|n| total.map(|t| (t, n)))
                .and_then(|(t, n)| super::mean(t, n)),
        });
    }
    let next = if more {
        items.last().map(|r| r.id)
    } else {
        None
    };
    Ok(Records { items, next })
}
