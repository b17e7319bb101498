//! 跟踪评价 follow-up evaluation, in Xiaohe's three stages: participants
//! rate the meeting (线上会议评价); staff record how its outcomes were used
//! (成果运用); when a plan's tasks are done, residents of its community
//! rate it, once each per round (评估反馈). A plan closes only after
//! residents have rated it; a rule (average below a bar, or too large a
//! share dissatisfied) reopens it with a note instead.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::OnConflict};
use serde::{Deserialize, Serialize};

use crate::agenda::tell::{self, Step};
use crate::error::{DomainError, DomainResult};
use crate::opinions::clean;
use crate::plans::entities::{plan, plan_rating};
use crate::plans::{line, status};
use crate::{Principal, Services, audit, clock};

pub const COMMENT_MAX: usize = 500;

/// When a rated plan closes and when it reopens (configuration).
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Ratings needed before staff may close a plan.
    pub min_ratings: u32,
    /// Reopen when the average is below this.
    pub reopen_below: f64,
    /// Reopen when at least this share (0–1) rated 1 or 2.
    pub reopen_dissatisfied: f64,
}

impl Default for Rule {
    fn default() -> Self {
        Self {
            min_ratings: 1,
            reopen_below: 3.0,
            reopen_dissatisfied: 0.3,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RatingSummary {
    pub count: u32,
    /// Mean score, one decimal; 0 without ratings.
    pub average: f64,
    /// How many gave 1, 2, 3, 4, 5.
    pub distribution: [u32; 5],
    /// Share that gave 1 or 2 (0–1).
    pub dissatisfied: f64,
}

impl RatingSummary {
    pub fn of(scores: &[i32]) -> Self {
        let mut distribution = [0u32; 5];
        for s in scores {
            if (1..=5).contains(s) {
                distribution[*s as usize - 1] += 1;
            }
        }
        let count = distribution.iter().sum::<u32>();
        if count == 0 {
            return Self::default();
        }
        let sum: u32 = distribution
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u32 + 1) * n)
            .sum();
        Self {
            count,
            average: (sum as f64 / count as f64 * 10.0).round() / 10.0,
            distribution,
            dissatisfied: (distribution[0] + distribution[1]) as f64 / count as f64,
        }
    }
}

impl Rule {
    /// Why the plan must reopen, or `None` when it may close.
    pub fn reopen_because(&self, r: &RatingSummary) -> Option<String> {
        if r.average < self.reopen_below {
            return Some(format!(
                "居民评分平均 {:.1} 分，低于 {:.1} 分，方案重新打开继续整改。",
                r.average, self.reopen_below
            ));
        }
        if r.dissatisfied >= self.reopen_dissatisfied {
            return Some(format!(
                "{:.0}% 的居民不满意（1–2 分），达到 {:.0}%，方案重新打开继续整改。",
                r.dissatisfied * 100.0,
                self.reopen_dissatisfied * 100.0
            ));
        }
        None
    }
}

pub(crate) async fn summary_in<C: ConnectionTrait>(
    conn: &C,
    plan_id: i64,
    round: i32,
) -> DomainResult<RatingSummary> {
    let scores: Vec<i32> = plan_rating::Entity::find()
        .filter(plan_rating::Column::PlanId.eq(plan_id))
        .filter(plan_rating::Column::Round.eq(round))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.score)
        .collect();
    Ok(RatingSummary::of(&scores))
}

/// Residents of the plan's community rate it while it waits for ratings.
pub(crate) fn may_rate_plan(actor: &Principal, p: &plan::Model) -> bool {
    p.status == status::RATING
        && actor.community_id == Some(p.community_id)
        && actor.has_role(crate::Role::Resident)
}

fn score_ok(score: i32) -> DomainResult<()> {
    if !(1..=5).contains(&score) {
        return Err(DomainError::validation("score", "range"));
    }
    Ok(())
}

fn comment(raw: &str) -> DomainResult<String> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    Ok(nlp::mask(&clean(raw, "comment", 1, COMMENT_MAX)?))
}

/// A resident rates a plan (1–5 and an optional comment), once per round.
pub async fn rate_plan(
    s: &Services,
    actor: &Principal,
    plan_id: i64,
    score: i32,
    text: &str,
) -> DomainResult<()> {
    score_ok(score)?;
    let text = comment(text)?;
    let (_gate, txn) = s.begin_write().await?;
    let p = crate::plans::lock_plan(&txn, plan_id).await?;
    if p.status != status::RATING {
        return Err(DomainError::Conflict("plan_not_rating"));
    }
    if !may_rate_plan(actor, &p) {
        return Err(DomainError::Forbidden);
    }
    let written = plan_rating::Entity::insert(plan_rating::ActiveModel {
        plan_id: Set(plan_id),
        round: Set(p.round),
        account_id: Set(actor.account_id),
        score: Set(score),
        comment: Set(text.clone()),
        at: Set(clock::now()),
    })
    .on_conflict(
        OnConflict::columns([
            plan_rating::Column::PlanId,
            plan_rating::Column::Round,
            plan_rating::Column::AccountId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if written == 0 {
        return Err(DomainError::Conflict("already_rated"));
    }
    // The timeline shows the score and comment, not who gave them.
    line(&txn, plan_id, None, "rated", &text, Some(score), None).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Outcome {
    Closed(RatingSummary),
    Reopened {
        summary: RatingSummary,
        note: String,
    },
}

/// Staff close a rated plan. The rule decides: closed (the topic's authors
/// are told it is resolved), or reopened with a note (round + 1).
pub async fn close_plan(s: &Services, actor: &Principal, plan_id: i64) -> DomainResult<Outcome> {
    let rule = s.settings.evaluation.clone();
    let (_gate, txn) = s.begin_write().await?;
    let p = crate::plans::lock_plan(&txn, plan_id).await?;
    if !actor.is_staff_of(Some(p.community_id)) {
        return Err(DomainError::Forbidden);
    }
    if p.status != status::RATING {
        return Err(DomainError::Conflict("plan_not_rating"));
    }
    let summary = summary_in(&txn, plan_id, p.round).await?;
    if summary.count < rule.min_ratings {
        return Err(DomainError::Conflict("not_rated_yet"));
    }
    let now = clock::now();
    let outcome = match rule.reopen_because(&summary) {
        Some(note) => {
            let done = plan::Entity::update_many()
                .col_expr(plan::Column::Status, status::ACTIVE.into())
                .col_expr(plan::Column::Round, (p.round + 1).into())
                .col_expr(plan::Column::ReopenNote, Some(note.clone()).into())
                .col_expr(
                    plan::Column::RatingFrom,
                    Option::<DateTime<Utc>>::None.into(),
                )
                .col_expr(plan::Column::UpdatedAt, now.into())
                .filter(plan::Column::Id.eq(plan_id))
                .filter(plan::Column::Status.eq(status::RATING))
                .exec(&txn)
                .await?;
            if done.rows_affected != 1 {
                return Err(DomainError::Conflict("plan_not_rating"));
            }
            line(
                &txn,
                plan_id,
                None,
                "reopened",
                &note,
                None,
                Some(actor.account_id),
            )
            .await?;
            Outcome::Reopened { summary, note }
        }
        None => {
            let done = plan::Entity::update_many()
                .col_expr(plan::Column::Status, status::CLOSED.into())
                .col_expr(plan::Column::ClosedAt, Some(now).into())
                .col_expr(plan::Column::UpdatedAt, now.into())
                .filter(plan::Column::Id.eq(plan_id))
                .filter(plan::Column::Status.eq(status::RATING))
                .exec(&txn)
                .await?;
            if done.rows_affected != 1 {
                return Err(DomainError::Conflict("plan_not_rating"));
            }
            line(
                &txn,
                plan_id,
                None,
                "closed",
                &format!("平均 {:.1} 分（{} 人评价）", summary.average, summary.count),
                None,
                Some(actor.account_id),
            )
            .await?;
            if let Some(item) = p.agenda_item_id {
                use crate::agenda::entities::agenda_item;
                agenda_item::Entity::update_many()
                    .col_expr(agenda_item::Column::Status, "resolved".into())
                    .filter(agenda_item::Column::Id.eq(item))
                    .exec(&txn)
                    .await?;
                if let Some(it) = agenda_item::Entity::find_by_id(item).one(&txn).await? {
                    tell::tell(
                        s,
                        &txn,
                        it.topic_id,
                        Step::Resolved,
                        &format!(
                            "共治方案「{}」已办结，居民评分平均 {:.1} 分。感谢您的参与。",
                            p.title, summary.average
                        ),
                        &format!("/plans/{plan_id}"),
                    )
                    .await?;
                }
            }
            Outcome::Closed(summary)
        }
    };
    audit::append(
        &txn,
        Some(actor.account_id),
        "plan.close",
        &format!("plan:{plan_id}"),
        serde_json::json!({"round": p.round, "outcome": match &outcome { Outcome::Closed(_) => "closed", Outcome::Reopened { .. } => "reopened" }}),
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_reopens_on_a_low_average_or_too_many_unhappy_residents() {
        let rule = Rule::default();
        let r = RatingSummary::of(&[5, 4, 4, 5]);
        assert_eq!(
            (r.count, r.average, r.distribution),
            (4, 4.5, [0, 0, 0, 2, 2])
        );
        assert_eq!(rule.reopen_because(&r), None);
        let low = RatingSummary::of(&[2, 3, 2, 3]);
        assert_eq!(low.average, 2.5);
        assert!(rule.reopen_because(&low).unwrap().contains("2.5"));
        // Average 3.4 but 40 % gave 1 or 2.
        let split = RatingSummary::of(&[1, 2, 5, 5, 4]);
        assert!(split.average >= 3.0);
        assert!((split.dissatisfied - 0.4).abs() < 1e-9);
        assert!(rule.reopen_because(&split).unwrap().contains("40%"));
        // Scores outside 1–5 are not counted.
        assert_eq!(RatingSummary::of(&[0, 6, -1]).count, 0);
    }
}

/// One step of an opinion's way: 收到 → 公开 → 话题 → 议题 → 议事会 →
/// 方案 → 任务 → 评价 → 办结.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathStep {
    /// `received`, `published`, `topic`, `accepted`, `meeting`,
    /// `discussed`, `plan`, `tasks`, `rating`, `closed`.
    pub key: String,
    pub done: bool,
    pub at: Option<DateTime<Utc>>,
    /// What it is (a topic's, meeting's or plan's title; "3/4" tasks; the
    /// average rating).
    pub label: String,
    pub link: Option<String>,
}

fn step(
    key: &str,
    done: bool,
    at: Option<DateTime<Utc>>,
    label: impl Into<String>,
    link: Option<String>,
) -> PathStep {
    PathStep {
        key: key.to_owned(),
        done,
        at,
        label: label.into(),
        link,
    }
}

/// The whole path of an opinion the viewer may see (the same rule as the
/// opinion's page): what became of it, step by step, up to where it is now.
pub async fn opinion_path(
    s: &Services,
    viewer: Option<&Principal>,
    opinion_id: i64,
) -> DomainResult<Vec<PathStep>> {
    use crate::agenda::entities::{agenda_item, topic, topic_member};
    use crate::entities::opinion;
    use crate::plans::entities::plan_task;
    use sea_orm::QueryOrder;
    let view = crate::opinions::detail(s, viewer, opinion_id).await?;
    let o = opinion::Entity::find_by_id(opinion_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let mut path = vec![step(
        "received",
        true,
        Some(o.received_at.unwrap_or(o.created_at)),
        view.channel.clone(),
        None,
    )];
    let published = o.published_at.is_some() && o.status == crate::opinions::status::PUBLISHED;
    path.push(step(
        "published",
        published,
        o.published_at,
        String::new(),
        None,
    ));
    if !published {
        return Ok(path);
    }
    let member = topic_member::Entity::find_by_id(opinion_id)
        .one(&s.db)
        .await?;
    let t = match member {
        Some(m) => topic::Entity::find_by_id(m.topic_id).one(&s.db).await?,
        None => None,
    };
    let Some(t) = t else {
        path.push(step("topic", false, None, String::new(), None));
        return Ok(path);
    };
    let title = t.title.clone().unwrap_or_else(|| t.label.clone());
    path.push(step(
        "topic",
        true,
        Some(t.created_at),
        title.clone(),
        Some(format!("/topics/{}", t.id)),
    ));
    let item = agenda_item::Entity::find()
        .filter(agenda_item::Column::TopicId.eq(t.id))
        .one(&s.db)
        .await?;
    let Some(item) = item else {
        let label = match t.status.as_str() {
            crate::agenda::status::REJECTED => t.reject_reason.clone().unwrap_or_default(),
            _ => String::new(),
        };
        path.push(step("accepted", false, t.decided_at, label, None));
        return Ok(path);
    };
    path.push(step(
        "accepted",
        true,
        Some(item.created_at),
        item.title.clone(),
        Some(format!("/topics/{}", t.id)),
    ));
    let meetings = crate::meetings::of_topic(&s.db, t.id).await?;
    match meetings.last() {
        Some(m) => {
            path.push(step(
                "meeting",
                true,
                Some(m.starts_at),
                m.title.clone(),
                Some(format!("/meetings/{}", m.id)),
            ));
            path.push(step(
                "discussed",
                m.status == crate::meetings::status::CLOSED,
                m.closed_at,
                String::new(),
                Some(format!("/meetings/{}", m.id)),
            ));
        }
        None => path.push(step("meeting", false, None, String::new(), None)),
    }
    let plans = crate::plans::of_topic(&s.db, t.id).await?;
    let Some(p) = plans.last() else {
        path.push(step("plan", false, None, String::new(), None));
        return Ok(path);
    };
    let link = Some(format!("/plans/{}", p.id));
    path.push(step(
        "plan",
        true,
        Some(p.created_at),
        p.title.clone(),
        link.clone(),
    ));
    let tasks = plan_task::Entity::find()
        .filter(plan_task::Column::PlanId.eq(p.id))
        .order_by_asc(plan_task::Column::Id)
        .all(&s.db)
        .await?;
    let done = tasks.iter().filter(|t| t.status == "done").count();
    let last_done = tasks.iter().filter_map(|t| t.done_at).max();
    path.push(step(
        "tasks",
        !tasks.is_empty() && done == tasks.len(),
        (done == tasks.len()).then_some(last_done).flatten(),
        format!("{done}/{}", tasks.len()),
        link.clone(),
    ));
    let r = summary_in(&s.db, p.id, p.round).await?;
    let rated = p.status == status::CLOSED || r.count > 0;
    path.push(step(
        "rating",
        rated,
        p.rating_from,
        if r.count > 0 {
            format!("{:.1}", r.average)
        } else {
            String::new()
        },
        link.clone(),
    ));
    path.push(step(
        "closed",
        p.status == status::CLOSED,
        p.closed_at,
        String::new(),
        link,
    ));
    Ok(path)
}
