//! 综合评估 the residents' pre-vote on a topic, as Pol.is does it: staff
//! write short statements; each resident of the topic's communities
//! answers agree, disagree or pass once per statement; the results are
//! shares per statement, with which statements have broad consensus and
//! which divide. When staff decide on the topic, the results are kept with
//! it as the assessment.
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};

use super::entities::{prevote_statement, prevote_vote, topic, topic_community};
use super::status;
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock};

pub const STATEMENT_MAX: usize = 140;
pub const STATEMENTS_MAX: usize = 12;
/// Answers a statement needs before it is called consensual or divisive.
pub const MIN_VOTES: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    Agree,
    Disagree,
    Pass,
}

impl Choice {
    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "agree" => Some(Choice::Agree),
            "disagree" => Some(Choice::Disagree),
            "pass" => Some(Choice::Pass),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Agree => "agree",
            Choice::Disagree => "disagree",
            Choice::Pass => "pass",
        }
    }
}

/// Where a statement stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Three in four of those who took a side agreed.
    Consensus,
    /// Three in four of those who took a side disagreed.
    Rejected,
    /// Both sides have at least a third.
    Divisive,
    /// Neither, or too few answers yet.
    Unclear,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Consensus => "consensus",
            Verdict::Rejected => "rejected",
            Verdict::Divisive => "divisive",
            Verdict::Unclear => "unclear",
        }
    }
}

/// One statement's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementResult {
    pub id: i64,
    pub text: String,
    pub agree: usize,
    pub disagree: usize,
    pub pass: usize,
    /// Shares of all answers, 0–1.
    pub agree_share: f64,
    pub disagree_share: f64,
    pub pass_share: f64,
    pub verdict: Verdict,
    /// The viewer's own answer, if any.
    pub mine: Option<Choice>,
}

/// Where a tally stands (see [`Verdict`]).
pub fn verdict(agree: usize, disagree: usize) -> Verdict {
    let sided = agree + disagree;
    if sided < MIN_VOTES {
        return Verdict::Unclear;
    }
    let (a, d) = (agree as f64 / sided as f64, disagree as f64 / sided as f64);
    if a >= 0.75 {
        Verdict::Consensus
    } else if d >= 0.75 {
        Verdict::Rejected
    } else if a.min(d) >= 1.0 / 3.0 {
        Verdict::Divisive
    } else {
        Verdict::Unclear
    }
}

/// A topic's pre-vote: whether it is open, and each statement's results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Prevote {
    /// `open`, `closed`, or none (no pre-vote).
    pub state: Option<String>,
    pub statements: Vec<StatementResult>,
    /// Residents who answered at least one statement.
    pub residents: usize,
}

/// Results without a viewer (the assessment kept with a decision).
pub(crate) async fn results_in<C: ConnectionTrait>(
    conn: &C,
    topic_id: i64,
) -> DomainResult<Prevote> {
    results_for(conn, topic_id, None).await
}

async fn results_for<C: ConnectionTrait>(
    conn: &C,
    topic_id: i64,
    viewer: Option<i64>,
) -> DomainResult<Prevote> {
    let t = topic::Entity::find_by_id(topic_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let statements = prevote_statement::Entity::find()
        .filter(prevote_statement::Column::TopicId.eq(topic_id))
        .order_by_asc(prevote_statement::Column::Id)
        .all(conn)
        .await?;
    let votes = prevote_vote::Entity::find()
        .filter(prevote_vote::Column::StatementId.is_in(statements.iter().map(|s| s.id)))
        .all(conn)
        .await?;
    let mut tally: HashMap<i64, [usize; 3]> = HashMap::new();
    let mut mine: HashMap<i64, Choice> = HashMap::new();
    let mut voters = std::collections::HashSet::new();
    for v in &votes {
        let Some(c) = Choice::parse(&v.choice) else {
            continue;
        };
        let e = tally.entry(v.statement_id).or_default();
        e[c as usize] += 1;
        voters.insert(v.account_id);
        if Some(v.account_id) == viewer {
            mine.insert(v.statement_id, c);
        }
    }
    let statements = statements
        .into_iter()
        .map(|st| {
            let [agree, disagree, pass] = tally.get(&st.id).copied().unwrap_or_default();
            let all = (agree + disagree + pass).max(1) as f64;
            StatementResult {
                id: st.id,
                text: st.text,
                agree,
                disagree,
                pass,
                agree_share: agree as f64 / all,
                disagree_share: disagree as f64 / all,
                pass_share: pass as f64 / all,
                verdict: verdict(agree, disagree),
                mine: mine.get(&st.id).copied(),
            }
        })
        .collect();
    Ok(Prevote {
        state: t.prevote,
        statements,
        residents: voters.len(),
    })
}

/// A topic's pre-vote as `viewer` sees it (their own answers marked).
pub async fn results(
    s: &Services,
    viewer: Option<&Principal>,
    topic_id: i64,
) -> DomainResult<Prevote> {
    results_for(&s.db, topic_id, viewer.map(|v| v.account_id)).await
}

/// Staff open a pre-vote on an open topic with its statements (one per
/// line, 2–12 of them). Audited.
pub async fn open(
    s: &Services,
    actor: &Principal,
    topic_id: i64,
    statements: &[String],
) -> DomainResult<()> {
    let texts: Vec<String> = statements
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if texts.len() < 2 || texts.len() > STATEMENTS_MAX {
        return Err(DomainError::validation("statements", "count"));
    }
    for t in &texts {
        if t.chars().count() > STATEMENT_MAX || t.chars().any(char::is_control) {
            return Err(DomainError::validation("statements", "too_long"));
        }
    }
    let (_gate, txn) = s.begin_write().await?;
    let t = super::decide::require_topic_staff_in(&txn, actor, topic_id).await?;
    if t.status != status::OPEN {
        return Err(DomainError::Conflict("topic_decided"));
    }
    if t.prevote.is_some() {
        return Err(DomainError::Conflict("prevote_exists"));
    }
    write_open(&txn, Some(actor.account_id), t, &texts).await?;
    txn.commit().await?;
    Ok(())
}

/// Stores the statements and opens the vote, audited (no actor: the system).
async fn write_open<C: ConnectionTrait>(
    conn: &C,
    actor: Option<i64>,
    t: topic::Model,
    texts: &[String],
) -> DomainResult<()> {
    let now = clock::now();
    let topic_id = t.id;
    for text in texts {
        prevote_statement::ActiveModel {
            topic_id: Set(topic_id),
            text: Set(nlp::mask(text)),
            created_by: Set(actor),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    // Opened once, on a topic still open when written.
    let done = topic::Entity::update_many()
        .col_expr(topic::Column::Prevote, Some("open".to_owned()).into())
        .col_expr(topic::Column::UpdatedAt, now.into())
        .filter(topic::Column::Id.eq(topic_id))
        .filter(topic::Column::Status.eq(status::OPEN))
        .filter(topic::Column::Prevote.is_null())
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DomainError::Conflict("prevote_exists"));
    }
    audit::append(
        conn,
        actor,
        "prevote.open",
        &format!("topic:{topic_id}"),
        serde_json::json!({ "statements": texts.len() }),
    )
    .await?;
    Ok(())
}

/// The demo's pre-vote: opened on the hottest open topic, unless one is
/// open already.
pub(crate) async fn seed_demo(s: &Services, texts: &[&str]) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    if topic::Entity::find()
        .filter(topic::Column::Prevote.is_not_null())
        .one(&txn)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let Some(t) = topic::Entity::find()
        .filter(topic::Column::Status.eq(status::OPEN))
        .order_by_desc(topic::Column::Heat)
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    let texts: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
    write_open(&txn, None, t, &texts).await?;
    txn.commit().await?;
    Ok(())
}

/// A resident answers one statement of an open pre-vote: once. Only
/// residents of the topic's communities take part.
pub async fn answer(
    s: &Services,
    actor: &Principal,
    statement_id: i64,
    choice: Choice,
) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let st = prevote_statement::Entity::find_by_id(statement_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let t = topic::Entity::find_by_id(st.topic_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if t.prevote.as_deref() != Some("open") {
        return Err(DomainError::Conflict("prevote_closed"));
    }
    let home = actor.community_id.ok_or(DomainError::Forbidden)?;
    let concerned = topic_community::Entity::find()
        .filter(topic_community::Column::TopicId.eq(t.id))
        .filter(topic_community::Column::CommunityId.eq(home))
        .one(&txn)
        .await?
        .is_some();
    if !concerned {
        return Err(DomainError::Forbidden);
    }
    let inserted = prevote_vote::Entity::insert(prevote_vote::ActiveModel {
        statement_id: Set(statement_id),
        account_id: Set(actor.account_id),
        choice: Set(choice.as_str().to_owned()),
        created_at: Set(clock::now()),
    })
    .on_conflict(
        OnConflict::columns([
            prevote_vote::Column::StatementId,
            prevote_vote::Column::AccountId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        return Err(DomainError::Conflict("already_answered"));
    }
    // The topic's page shows the tallies: it changed.
    topic::Entity::update_many()
        .col_expr(topic::Column::UpdatedAt, clock::now().into())
        .filter(topic::Column::Id.eq(t.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(verdict(1, 0), Verdict::Unclear);
        assert_eq!(verdict(9, 1), Verdict::Consensus);
        assert_eq!(verdict(1, 3), Verdict::Rejected);
        assert_eq!(verdict(5, 5), Verdict::Divisive);
        assert_eq!(verdict(6, 3), Verdict::Divisive);
        assert_eq!(verdict(7, 3), Verdict::Unclear);
        assert_eq!(Choice::parse("maybe"), None);
    }
}
