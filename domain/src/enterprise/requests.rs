//! 企业诉求: an enterprise's account files a request (kind, title,
//! description); it is routed to the department its kind belongs to and
//! tracked as a case on the one SLA engine (policy `enterprise_request`:
//! accepted within a working day, answered within five, late ones going to
//! the street office). Staff accept and answer; the enterprise rates the
//! answer. The street sees totals and closure times.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

use super::entities::{ent_member, ent_request, enterprise};
use crate::entities::account;
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock, outbox, sla};

/// Kinds of request, their names and the department each goes to.
pub const KINDS: &[(&str, &str, &str)] = &[
    ("space", "场地需求", "招商服务中心"),
    ("policy", "政策咨询", "经济发展办"),
    ("funding", "融资需求", "经济发展办"),
    ("talent", "人才招聘", "社会事务办"),
    ("approval", "审批办事", "便民服务中心"),
    ("other", "其他", "企业服务专班"),
];

/// Requests an account may file per day.
const PER_DAY: u64 = 10;

/// A request as its enterprise and staff see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestView {
    pub id: i64,
    pub enterprise: String,
    pub kind: String,
    pub kind_name: String,
    pub title: String,
    pub description: String,
    pub department: String,
    pub state: String,
    pub stage: Option<String>,
    pub stage_name: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub rating: Option<i32>,
    pub created_at: DateTime<Utc>,
    /// Its photos and documents, oldest first.
    pub attachments: Vec<super::attachments::AttachmentView>,
}

fn kind_name(k: &str) -> String {
    KINDS
        .iter()
        .find(|(key, _, _)| *key == k)
        .map(|(_, n, _)| (*n).to_owned())
        .unwrap_or_else(|| k.to_owned())
}

async fn views(s: &Services, rows: Vec<ent_request::Model>) -> DomainResult<Vec<RequestView>> {
    let cases: Vec<i64> = rows.iter().filter_map(|r| r.case_id).collect();
    let v = sla::views_in(&s.db, &cases).await?;
    let request_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut files = super::attachments::of_requests(&s.db, &request_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.enterprise_id).collect();
    let names: std::collections::HashMap<i64, String> = enterprise::Entity::find()
        .filter(enterprise::Column::Id.is_in(ids))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let c = r.case_id.and_then(|c| v.get(&c));
            RequestView {
                id: r.id,
                enterprise: names.get(&r.enterprise_id).cloned().unwrap_or_default(),
                kind_name: kind_name(&r.kind),
                kind: r.kind,
                title: r.title,
                description: r.description,
                department: r.department,
                state: r.state,
                stage: c.filter(|c| c.closed_at.is_none()).map(|c| c.stage.clone()),
                stage_name: c
                    .filter(|c| c.closed_at.is_none())
                    .map(|c| c.stage_name.clone()),
                due_at: c.and_then(|c| c.due_at),
                overdue: c.is_some_and(|c| c.overdue),
                answer: r.answer,
                answered_at: r.answered_at,
                rating: r.rating,
                created_at: r.created_at,
                attachments: files.remove(&r.id).unwrap_or_default(),
            }
        })
        .collect())
}

/// Files a request for the enterprise `actor` acts for. Returns its id.
pub async fn file(
    s: &Services,
    actor: &Principal,
    kind: &str,
    title: &str,
    description: &str,
) -> DomainResult<i64> {
    let member = ent_member::Entity::find()
        .filter(ent_member::Column::AccountId.eq(actor.account_id))
        .one(&s.db)
        .await?
        .ok_or(DomainError::Forbidden)?;
    let (_, _, department) = KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .ok_or(DomainError::validation("kind", "invalid"))?;
    let title = nlp::mask(&crate::opinions::clean(title, "title", 2, 100)?);
    let description = nlp::mask(&crate::opinions::clean(
        description,
        "description",
        5,
        2000,
    )?);
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    // Counted in the transaction that adds one (a burst cannot slip past).
    let recent = ent_request::Entity::find()
        .filter(ent_request::Column::AccountId.eq(actor.account_id))
        .filter(ent_request::Column::CreatedAt.gte(now - chrono::Duration::days(1)))
        .count(&txn)
        .await?;
    if recent >= PER_DAY {
        return Err(DomainError::Conflict("too_many_requests"));
    }
    let e = enterprise::Entity::find_by_id(member.enterprise_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let community = match e.building_id {
        Some(b) => crate::entities::building::Entity::find_by_id(b)
            .one(&txn)
            .await?
            .map(|b| b.community_id),
        None => None,
    };
    let row = ent_request::ActiveModel {
        enterprise_id: Set(e.id),
        account_id: Set(actor.account_id),
        kind: Set(kind.to_owned()),
        title: Set(title.clone()),
        description: Set(description),
        department: Set((*department).to_owned()),
        case_id: Set(None),
        state: Set("open".to_owned()),
        answer: Set(None),
        answered_by: Set(None),
        answered_at: Set(None),
        rating: Set(None),
        rating_note: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let cal = sla::calendar_in(&txn, &s.sla).await?;
    let case = sla::open_in(
        &txn,
        &cal,
        sla::NewCase {
            kind: "enterprise_request",
            subject: row.id.to_string(),
            title: format!("{}：{title}", e.name),
            link: format!("/staff/enterprises/requests#request-{}", row.id),
            community_id: community,
            policy: "enterprise_request",
            assignee: None,
            due: None,
        },
        Some(actor.account_id),
        now,
    )
    .await?;
    ent_request::Entity::update_many()
        .col_expr(ent_request::Column::CaseId, Some(case).into())
        .filter(ent_request::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.request.file",
        &format!("ent_request:{}", row.id),
        serde_json::json!({"enterprise": e.id, "kind": kind, "department": department}),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// The requests of the enterprise `actor` acts for, newest first.
pub async fn mine(s: &Services, actor: &Principal) -> DomainResult<Vec<RequestView>> {
    let Some(member) = ent_member::Entity::find()
        .filter(ent_member::Column::AccountId.eq(actor.account_id))
        .one(&s.db)
        .await?
    else {
        return Ok(Vec::new());
    };
    let rows = ent_request::Entity::find()
        .filter(ent_request::Column::EnterpriseId.eq(member.enterprise_id))
        .order_by_desc(ent_request::Column::Id)
        .limit(100)
        .all(&s.db)
        .await?;
    views(s, rows).await
}

/// Staff's queue: requests of the enterprises they reach, open first.
pub async fn queue(s: &Services, actor: &Principal) -> DomainResult<Vec<RequestView>> {
    let reach = super::staff_reach(&s.db, actor).await?;
    let mut q = ent_request::Entity::find();
    if !reach.all {
        let buildings = super::buildings_by_id(&s.db).await?;
        let mine = reach.building_ids(&buildings);
        q = q.filter(
            ent_request::Column::EnterpriseId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(enterprise::Column::Id)
                    .from(enterprise::Entity)
                    .and_where(enterprise::Column::BuildingId.is_in(mine))
                    .to_owned(),
            ),
        );
    }
    let rows = q
        .order_by_desc(ent_request::Column::Id)
        .limit(300)
        .all(&s.db)
        .await?;
    let mut out = views(s, rows).await?;
    out.sort_by_key(|r| r.state != "open");
    Ok(out)
}

pub(crate) async fn staff_request(
    s: &Services,
    actor: &Principal,
    id: i64,
) -> DomainResult<ent_request::Model> {
    let reach = super::staff_reach(&s.db, actor).await?;
    let r = ent_request::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let e = enterprise::Entity::find_by_id(r.enterprise_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let community = match e.building_id {
        Some(b) => crate::entities::building::Entity::find_by_id(b)
            .one(&s.db)
            .await?
            .map(|b| b.community_id),
        None => None,
    };
    if !reach.reaches(&e, community) {
        return Err(DomainError::NotFound);
    }
    Ok(r)
}

/// Staff accept a request (its case moves on to 办理答复).
pub async fn accept(s: &Services, actor: &Principal, id: i64) -> DomainResult<()> {
    let r = staff_request(s, actor, id).await?;
    if r.state != "open" {
        return Err(DomainError::Conflict("request_answered"));
    }
    let case = r.case_id.ok_or(DomainError::Conflict("no_case"))?;
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let views = sla::views_in(&txn, &[case]).await?;
    if views.get(&case).is_some_and(|v| v.stage != "accept") {
        return Err(DomainError::Conflict("already_accepted"));
    }
    let cal = sla::calendar_in(&txn, &s.sla).await?;
    sla::change_in(
        &txn,
        &cal,
        case,
        sla::Change::Stage {
            stage: "answer".into(),
            due: None,
        },
        Some(actor.account_id),
        Some("受理"),
        now,
    )
    .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.request.accept",
        &format!("ent_request:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Staff answer a request (2–2,000 characters, masked): its case closes
/// and the enterprise's accounts are told.
pub async fn answer(s: &Services, actor: &Principal, id: i64, text: &str) -> DomainResult<()> {
    let text = nlp::mask(&crate::opinions::clean(text, "answer", 2, 2000)?);
    let r = staff_request(s, actor, id).await?;
    if r.state != "open" {
        return Err(DomainError::Conflict("request_answered"));
    }
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    let done = ent_request::Entity::update_many()
        .col_expr(ent_request::Column::State, "answered".into())
        .col_expr(ent_request::Column::Answer, Some(text.clone()).into())
        .col_expr(
            ent_request::Column::AnsweredBy,
            Some(actor.account_id).into(),
        )
        .col_expr(ent_request::Column::AnsweredAt, Some(now).into())
        .filter(ent_request::Column::Id.eq(id))
        .filter(ent_request::Column::State.eq("open"))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::Conflict("request_answered"));
    }
    if let Some(case) = r.case_id {
        let cal = sla::calendar_in(&txn, &s.sla).await?;
        sla::change_in(
            &txn,
            &cal,
            case,
            sla::Change::Close,
            Some(actor.account_id),
            Some("已答复"),
            now,
        )
        .await?;
    }
    let members: Vec<i64> = ent_member::Entity::find()
        .filter(ent_member::Column::EnterpriseId.eq(r.enterprise_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    for a in account::Entity::find()
        .filter(account::Column::Id.is_in(members))
        .all(&txn)
        .await?
    {
        outbox::to_account(
            &txn,
            &a,
            "企业诉求已答复",
            &format!("您的诉求“{}”已答复，请到企服通查看并评价。", r.title),
            &format!("【企服通】您的诉求“{}”已答复，请登录查看并评价。", r.title),
        )
        .await?;
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.request.answer",
        &format!("ent_request:{id}"),
        serde_json::json!({"answer": text}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The enterprise rates an answered request (1–5, with a note).
pub async fn rate(
    s: &Services,
    actor: &Principal,
    id: i64,
    rating: i32,
    note: &str,
) -> DomainResult<()> {
    if !(1..=5).contains(&rating) {
        return Err(DomainError::validation("rating", "invalid"));
    }
    let note = nlp::mask(&crate::opinions::clean(note, "note", 0, 500)?);
    let member = ent_member::Entity::find()
        .filter(ent_member::Column::AccountId.eq(actor.account_id))
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let (_gate, txn) = s.begin_write().await?;
    let r = ent_request::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|r| r.enterprise_id == member.enterprise_id)
        .ok_or(DomainError::NotFound)?;
    if r.state != "answered" {
        return Err(DomainError::Conflict("not_answered"));
    }
    let done = ent_request::Entity::update_many()
        .col_expr(ent_request::Column::State, "closed".into())
        .col_expr(ent_request::Column::Rating, Some(rating).into())
        .col_expr(
            ent_request::Column::RatingNote,
            (!note.is_empty()).then_some(note.clone()).into(),
        )
        .filter(ent_request::Column::Id.eq(id))
        .filter(ent_request::Column::State.eq("answered"))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::Conflict("not_answered"));
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.request.rate",
        &format!("ent_request:{id}"),
        serde_json::json!({"rating": rating, "note": note}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
