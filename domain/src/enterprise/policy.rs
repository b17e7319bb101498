//! 惠企政策 and 信息找人: policies with their criteria as data (versioned,
//! audited), judged against each enterprise with the reasons; a policy's
//! version is pushed to each eligible enterprise's accounts once (in the
//! app, and by SMS and e-mail as each account chose), and an enterprise
//! sees "policies for me" with why each fits, does not, or cannot be told.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use super::entities::{ent_member, ent_policy, ent_push, enterprise};
use super::rules::{self, Criteria, State, Verdict};
use crate::entities::account;
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock, outbox};

/// Policies open now: active and not past their deadline.
async fn open_policies<C: ConnectionTrait>(
    conn: &C,
    today: NaiveDate,
) -> DomainResult<Vec<(ent_policy::Model, Criteria)>> {
    Ok(ent_policy::Entity::find()
        .filter(ent_policy::Column::Active.eq(true))
        .order_by_asc(ent_policy::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .filter(|p| p.deadline.is_none_or(|d| d >= today))
        .filter_map(|p| {
            let c = Criteria::parse(&p.criteria).ok()?;
            Some((p, c))
        })
        .collect())
}

/// Pushes every open policy's current version to each eligible enterprise
/// (among `ids`, or all) that has accounts and has not had that version:
/// one `ent_push` row (unique per enterprise, policy and version) and a
/// notice to each of its accounts, in the caller's transaction. Returns
/// how many pushes were made.
pub(crate) async fn push_due<C: ConnectionTrait>(
    conn: &C,
    ids: Option<&[i64]>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<usize> {
    let policies = open_policies(conn, today).await?;
    if policies.is_empty() {
        return Ok(0);
    }
    // Only enterprises someone can be told about.
    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    let q = ent_member::Entity::find();
    let rows = match ids {
        Some(ids) => {
            let mut rows = Vec::new();
            for chunk in ids.chunks(1000) {
                rows.extend(
                    q.clone()
                        .filter(ent_member::Column::EnterpriseId.is_in(chunk.to_vec()))
                        .all(conn)
                        .await?,
                );
            }
            rows
        }
        None => q.all(conn).await?,
    };
    for m in rows {
        members
            .entry(m.enterprise_id)
            .or_default()
            .push(m.account_id);
    }
    if members.is_empty() {
        return Ok(0);
    }
    let ent_ids: Vec<i64> = members.keys().copied().collect();
    let mut ents = Vec::new();
    for chunk in ent_ids.chunks(1000) {
        ents.extend(
            enterprise::Entity::find()
                .filter(enterprise::Column::Id.is_in(chunk.to_vec()))
                .filter(enterprise::Column::Status.eq("active"))
                .all(conn)
                .await?,
        );
    }
    let buildings = super::buildings_by_id(conn).await?;
    let tags = super::tags_of(conn, Some(&ent_ids)).await?;
    let mut done: HashSet<(i64, i64, i32)> = HashSet::new();
    for chunk in ent_ids.chunks(1000) {
        for p in ent_push::Entity::find()
            .filter(ent_push::Column::EnterpriseId.is_in(chunk.to_vec()))
            .all(conn)
            .await?
        {
            done.insert((p.enterprise_id, p.policy_id, p.version));
        }
    }
    let account_ids: Vec<i64> = members.values().flatten().copied().collect();
    let mut accounts: HashMap<i64, account::Model> = HashMap::new();
    for chunk in account_ids.chunks(1000) {
        accounts.extend(
            account::Entity::find()
                .filter(account::Column::Id.is_in(chunk.to_vec()))
                .all(conn)
                .await?
                .into_iter()
                .map(|a| (a.id, a)),
        );
    }
    let mut pushed = 0;
    for e in &ents {
        let facts = super::facts_of(e, &buildings, tags.get(&e.id).cloned().unwrap_or_default());
        for (p, c) in &policies {
            if done.contains(&(e.id, p.id, p.version)) {
                continue;
            }
            if rules::judge(c, &facts, today).state != State::Eligible {
                continue;
            }
            let inserted = ent_push::Entity::insert(ent_push::ActiveModel {
                enterprise_id: Set(e.id),
                policy_id: Set(p.id),
                version: Set(p.version),
                at: Set(now),
                read_at: Set(None),
                ..Default::default()
            })
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    ent_push::Column::EnterpriseId,
                    ent_push::Column::PolicyId,
                    ent_push::Column::Version,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
            if inserted == 0 {
                continue;
            }
            pushed += 1;
            for a in members.get(&e.id).into_iter().flatten() {
                if let Some(acct) = accounts.get(a) {
                    outbox::to_account(
                        conn,
                        acct,
                        "惠企政策推送",
                        &format!(
                            "{}符合“{}”的条件，请到“为我推荐的政策”查看。",
                            e.name, p.title
                        ),
                        &format!(
                            "【企服通】{}符合“{}”的申报条件，详情请登录企服通查看。",
                            e.name, p.title
                        ),
                    )
                    .await?;
                }
            }
        }
    }
    Ok(pushed)
}

/// What a re-match of every policy against every enterprise found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rematch {
    pub policies: usize,
    pub enterprises: usize,
    pub eligible: usize,
    pub ineligible: usize,
    pub unknown: usize,
    pub pushed: usize,
}

/// Judges every open policy against every active enterprise (counting
/// each outcome) and pushes what became due, in one transaction.
pub async fn rematch(s: &Services, actor: Option<&Principal>) -> DomainResult<Rematch> {
    if let Some(a) = actor {
        super::require_street(a)?;
    }
    let today = super::today();
    let (_gate, txn) = s.begin_write().await?;
    let policies = open_policies(&txn, today).await?;
    let ents = enterprise::Entity::find()
        .filter(enterprise::Column::Status.eq("active"))
        .all(&txn)
        .await?;
    let buildings = super::buildings_by_id(&txn).await?;
    // Rule tags first: some follow the calendar (今年新入驻).
    super::retag(&txn, &ents, &buildings, today).await?;
    let mut tags = super::tags_of(&txn, None).await?;
    let mut out = Rematch {
        policies: policies.len(),
        enterprises: ents.len(),
        ..Default::default()
    };
    for e in &ents {
        let facts = super::facts_of(e, &buildings, tags.remove(&e.id).unwrap_or_default());
        for (_, c) in &policies {
            match rules::judge(c, &facts, today).state {
                State::Eligible => out.eligible += 1,
                State::Ineligible => out.ineligible += 1,
                State::Unknown => out.unknown += 1,
            }
        }
    }
    out.pushed = push_due(&txn, None, today, clock::now()).await?;
    txn.commit().await?;
    Ok(out)
}

/// A policy as admins edit it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyInfo {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub criteria: String,
    pub version: i32,
    pub deadline: Option<NaiveDate>,
    pub active: bool,
    pub pushes: u64,
    pub read: u64,
}

/// Every policy with its pushes and how many were opened (street staff).
pub async fn policies(s: &Services, actor: &Principal) -> DomainResult<Vec<PolicyInfo>> {
    super::staff_reach(&s.db, actor).await?;
    let pushes = ent_push::Entity::find().all(&s.db).await?;
    let mut counts: HashMap<i64, (u64, u64)> = HashMap::new();
    for p in pushes {
        let c = counts.entry(p.policy_id).or_default();
        c.0 += 1;
        if p.read_at.is_some() {
            c.1 += 1;
        }
    }
    Ok(ent_policy::Entity::find()
        .order_by_asc(ent_policy::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|p| {
            let (pushes, read) = counts.get(&p.id).copied().unwrap_or_default();
            PolicyInfo {
                id: p.id,
                title: p.title,
                summary: p.summary,
                criteria: p.criteria,
                version: p.version,
                deadline: p.deadline,
                active: p.active,
                pushes,
                read,
            }
        })
        .collect())
}

/// A policy as an admin writes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyInput {
    pub title: String,
    pub summary: String,
    /// JSON ([`Criteria`]).
    pub criteria: String,
    pub deadline: Option<NaiveDate>,
    pub active: bool,
}

/// A new policy (`id` None) or a change; a change of criteria makes a new
/// version (pushed afresh to whoever it fits). Admins and the street
/// office; audited. Returns the policy's id.
pub async fn save_policy(
    s: &Services,
    actor: &Principal,
    id: Option<i64>,
    input: &PolicyInput,
) -> DomainResult<i64> {
    let PolicyInput {
        title,
        summary,
        criteria,
        deadline,
        active,
    } = input;
    let (deadline, active) = (*deadline, *active);
    super::require_street(actor)?;
    let title = crate::opinions::clean(title, "title", 2, 200)?;
    let summary = crate::opinions::clean(summary, "summary", 0, 4000)?;
    if criteria.len() > 16 * 1024 {
        return Err(DomainError::validation("criteria", "too_long"));
    }
    let parsed =
        Criteria::parse(criteria).map_err(|_| DomainError::validation("criteria", "invalid"))?;
    let canonical = serde_json::to_string(&parsed)
        .map_err(|e| DomainError::Internal(format!("criteria: {e}")))?;
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let saved = match id {
        None => {
            ent_policy::ActiveModel {
                title: Set(title.clone()),
                summary: Set(summary),
                criteria: Set(canonical.clone()),
                version: Set(1),
                deadline: Set(deadline),
                active: Set(active),
                updated_by: Set(Some(actor.account_id)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
        Some(id) => {
            let old = ent_policy::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(DomainError::NotFound)?;
            let version = if old.criteria != canonical {
                old.version + 1
            } else {
                old.version
            };
            let mut a: ent_policy::ActiveModel = old.into();
            a.title = Set(title.clone());
            a.summary = Set(summary);
            a.criteria = Set(canonical.clone());
            a.version = Set(version);
            a.deadline = Set(deadline);
            a.active = Set(active);
            a.updated_by = Set(Some(actor.account_id));
            a.updated_at = Set(now);
            a.update(&txn).await?
        }
    };
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.policy.save",
        &format!("ent_policy:{}", saved.id),
        serde_json::json!({"title": title, "version": saved.version, "criteria": canonical, "active": active}),
    )
    .await?;
    push_due(&txn, None, super::today(), now).await?;
    txn.commit().await?;
    Ok(saved.id)
}

/// One policy judged for one enterprise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForMe {
    pub policy_id: i64,
    pub title: String,
    pub summary: String,
    pub deadline: Option<NaiveDate>,
    pub verdict: Verdict,
    /// Whether it was pushed to this enterprise.
    pub pushed: bool,
}

/// Every open policy judged for `enterprise_id`, eligible first (the
/// enterprise's own accounts, and staff who reach it). Opening them as
/// the enterprise counts as reading its pushes (uptake).
pub async fn for_enterprise(
    s: &Services,
    actor: &Principal,
    enterprise_id: Option<i64>,
) -> DomainResult<Vec<ForMe>> {
    let reach = super::reach_of(&s.db, actor).await?;
    let id = enterprise_id.or(reach.own).ok_or(DomainError::NotFound)?;
    let e = enterprise::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let buildings = super::buildings_by_id(&s.db).await?;
    let community = e
        .building_id
        .and_then(|b| buildings.get(&b))
        .map(|b| b.community_id);
    if !reach.reaches(&e, community) {
        return Err(DomainError::NotFound);
    }
    let today = super::today();
    let tags = super::tags_of(&s.db, Some(&[id])).await?;
    let facts = super::facts_of(&e, &buildings, tags.get(&id).cloned().unwrap_or_default());
    let pushes: HashSet<(i64, i32)> = ent_push::Entity::find()
        .filter(ent_push::Column::EnterpriseId.eq(id))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|p| (p.policy_id, p.version))
        .collect();
    let mut out: Vec<ForMe> = open_policies(&s.db, today)
        .await?
        .into_iter()
        .map(|(p, c)| ForMe {
            pushed: pushes.contains(&(p.id, p.version)),
            policy_id: p.id,
            title: p.title,
            summary: p.summary,
            deadline: p.deadline,
            verdict: rules::judge(&c, &facts, today),
        })
        .collect();
    let rank = |v: &Verdict| match v.state {
        State::Eligible => 0,
        State::Unknown => 1,
        State::Ineligible => 2,
    };
    out.sort_by_key(|f| rank(&f.verdict));
    if reach.own == Some(id) && !pushes.is_empty() {
        let (_gate, txn) = s.begin_write().await?;
        ent_push::Entity::update_many()
            .col_expr(ent_push::Column::ReadAt, Some(clock::now()).into())
            .filter(ent_push::Column::EnterpriseId.eq(id))
            .filter(ent_push::Column::ReadAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(out)
}
