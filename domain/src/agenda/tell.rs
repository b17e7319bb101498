//! 回应居民 closing the loop: everyone whose public opinion fed a topic is
//! told when it is taken up, discussed, planned, put to their rating and
//! resolved — each author once per step (`loop_notice` is unique per
//! account, topic and step; a plan reopened after its rating asks again,
//! once per round), in the app, and by SMS when they chose it (outside
//! quiet hours: the outbox holds non-urgent SMS until morning).
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, sea_query::OnConflict,
};

use super::entities::{loop_notice, topic_member};
use crate::entities::{account, opinion};
use crate::error::DomainResult;
use crate::{clock, outbox};

/// The steps of the loop an author hears about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// 列入议题
    Accepted,
    /// 议事会已安排
    Meeting,
    /// 议事会已讨论
    Discussed,
    /// 形成共治方案
    Planned,
    /// 请您评价 (round 1), 请您再次评价 (a round after a reopen)
    Rating { round: i32 },
    /// 已办结
    Resolved,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Accepted => "accepted",
            Step::Meeting => "meeting",
            Step::Discussed => "discussed",
            Step::Planned => "planned",
            Step::Rating { .. } => "rating",
            Step::Resolved => "resolved",
        }
    }

    /// What `loop_notice` keeps: the step, and for a rating after a
    /// reopen its round, so each round is asked once.
    fn key(self) -> String {
        match self {
            Step::Rating { round } if round > 1 => format!("rating:{round}"),
            _ => self.as_str().to_owned(),
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Step::Accepted => "您的意见已列入议题",
            Step::Meeting => "您关心的议题将在议事会上讨论",
            Step::Discussed => "议事会已讨论您关心的议题",
            Step::Planned => "议事会已形成共治方案",
            Step::Rating { round } if round > 1 => "共治方案已整改，请再次打分",
            Step::Rating { .. } => "请为共治方案的落实情况打分",
            Step::Resolved => "您关心的议题已办结",
        }
    }
}

/// Authors behind a topic's public opinions, each once.
pub(crate) async fn authors<C: ConnectionTrait>(conn: &C, topic_id: i64) -> DomainResult<Vec<i64>> {
    let ids: Vec<Option<i64>> = super::public_members()
        .select_only()
        .column(opinion::Column::AuthorId)
        .filter(topic_member::Column::TopicId.eq(topic_id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(ids
        .into_iter()
        .flatten()
        .filter(|a| seen.insert(*a))
        .collect())
}

/// Tells every author of `topic_id` about `step` (`text` is the message,
/// `link` the site path where to see it: as it is in the app, after the
/// public origin by SMS), skipping those already told of this step.
/// Returns how many were told now. Call in the transaction of the change.
pub(crate) async fn tell<C: ConnectionTrait>(
    s: &crate::Services,
    conn: &C,
    topic_id: i64,
    step: Step,
    text: &str,
    link: &str,
) -> DomainResult<usize> {
    let now = clock::now();
    let mut told = 0;
    for account_id in authors(conn, topic_id).await? {
        let fresh = loop_notice::Entity::insert(loop_notice::ActiveModel {
            account_id: Set(account_id),
            topic_id: Set(topic_id),
            step: Set(step.key()),
            at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                loop_notice::Column::AccountId,
                loop_notice::Column::TopicId,
                loop_notice::Column::Step,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
        if fresh == 0 {
            continue;
        }
        let Some(a) = account::Entity::find_by_id(account_id).one(conn).await? else {
            continue;
        };
        outbox::to_account(
            conn,
            &a,
            step.subject(),
            &format!("{text} 查看：{link}"),
            &format!("{text} 查看：{}", s.link(link)),
        )
        .await?;
        told += 1;
    }
    Ok(told)
}
