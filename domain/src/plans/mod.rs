//! 共治方案 co-governance plans: what a council resolved, as tasks with a
//! responsible party (a person or an organisation), a deadline on the SLA
//! engine (policy `plan_task`), a status and progress, and updates. Every
//! change is a line on the plan's public timeline and an audit entry.
//! When every task is done the plan waits for residents' ratings
//! (`evaluation`), which close it or reopen it.
pub(crate) mod entities;
pub mod photos;

#[cfg(test)]
mod db_tests;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::agenda::entities::agenda_item;
use crate::agenda::tell::{self, Step};
use crate::error::{DomainError, DomainResult};
use crate::opinions::clean;
use crate::{Principal, Services, audit, clock, sla};
use entities::{plan, plan_rating, plan_task, plan_update};

pub const TITLE_MAX: usize = 80;
pub const SUMMARY_MAX: usize = 2000;
pub const TASK_TITLE_MAX: usize = 120;
pub const PARTY_MAX: usize = 80;
pub const NOTE_MAX: usize = 1000;
/// Tasks per plan.
pub const TASKS_MAX: usize = 50;

pub mod status {
    pub const ACTIVE: &str = "active";
    pub const RATING: &str = "rating";
    pub const CLOSED: &str = "closed";
}

/// Who is responsible for a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// 社区
    Community,
    /// 物业
    Property,
    /// 企业
    Enterprise,
    /// 职能部门
    Department,
    /// 居民小组
    Residents,
    /// 个人
    Person,
}

impl Party {
    pub const ALL: [Party; 6] = [
        Party::Community,
        Party::Property,
        Party::Enterprise,
        Party::Department,
        Party::Residents,
        Party::Person,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Party::Community => "community",
            Party::Property => "property",
            Party::Enterprise => "enterprise",
            Party::Department => "department",
            Party::Residents => "residents",
            Party::Person => "person",
        }
    }

    pub fn parse(s: &str) -> DomainResult<Self> {
        Party::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(DomainError::validation("party", "invalid"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    Doing,
    /// Waiting on someone else (the deadline's clock stops).
    Paused,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::Doing => "doing",
            TaskStatus::Paused => "paused",
            TaskStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> DomainResult<Self> {
        [
            TaskStatus::Todo,
            TaskStatus::Doing,
            TaskStatus::Paused,
            TaskStatus::Done,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or(DomainError::validation("status", "invalid"))
    }
}

/// Free text that staff type and the public reads: checked for length and
/// masked (phone numbers, ID numbers … in every form residents write them).
fn public_text(raw: &str, field: &'static str, min: usize, max: usize) -> DomainResult<String> {
    Ok(nlp::mask(&clean(raw, field, min, max)?))
}

/// The plan, its row locked until the transaction ends (PostgreSQL;
/// SQLite's write transaction holds the database already), so concurrent
/// task updates, ratings and closing see each other's writes.
pub(crate) async fn lock_plan<C: ConnectionTrait>(
    conn: &C,
    plan_id: i64,
) -> DomainResult<plan::Model> {
    use sea_orm::QuerySelect;
    plan::Entity::find_by_id(plan_id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)
}

async fn plan_for_staff<C: ConnectionTrait>(
    conn: &C,
    actor: &Principal,
    plan_id: i64,
) -> DomainResult<plan::Model> {
    let p = lock_plan(conn, plan_id).await?;
    if !actor.is_staff_of(Some(p.community_id)) {
        return Err(DomainError::Forbidden);
    }
    Ok(p)
}

pub(crate) async fn line<C: ConnectionTrait>(
    conn: &C,
    plan_id: i64,
    task_id: Option<i64>,
    kind: &str,
    body: &str,
    progress: Option<i32>,
    actor: Option<i64>,
) -> DomainResult<()> {
    plan_update::ActiveModel {
        plan_id: Set(plan_id),
        task_id: Set(task_id),
        kind: Set(kind.to_owned()),
        body: Set(body.to_owned()),
        progress: Set(progress),
        photo: Set(None),
        actor_id: Set(actor),
        at: Set(clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The topic behind an agenda item.
async fn topic_of_item<C: ConnectionTrait>(
    conn: &C,
    item: Option<i64>,
) -> DomainResult<Option<i64>> {
    let Some(id) = item else { return Ok(None) };
    Ok(agenda_item::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|i| i.topic_id))
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct NewPlan {
    pub community_id: i64,
    pub agenda_item_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub title: String,
    pub summary: String,
}

/// Staff of the community draw up a plan, from an agenda item (and the
/// meeting that resolved it) or on their own. The topic's authors are told.
pub async fn create(s: &Services, actor: &Principal, new: NewPlan) -> DomainResult<i64> {
    if !actor.is_staff_of(Some(new.community_id)) {
        return Err(DomainError::Forbidden);
    }
    let title = public_text(&new.title, "title", 4, TITLE_MAX)?;
    let summary = public_text(&new.summary, "summary", 0, SUMMARY_MAX)?;
    let (_gate, txn) = s.begin_write().await?;
    if let Some(item) = new.agenda_item_id {
        // An item of this community's agenda (its topic concerns the
        // community), not already resolved.
        use crate::agenda::entities::topic_community as tc;
        let it = agenda_item::Entity::find_by_id(item)
            .one(&txn)
            .await?
            .filter(|i| i.status != "resolved")
            .ok_or(DomainError::validation("agenda_item", "invalid"))?;
        let concerned = tc::Entity::find()
            .filter(tc::Column::TopicId.eq(it.topic_id))
            .filter(tc::Column::CommunityId.eq(new.community_id))
            .one(&txn)
            .await?
            .is_some();
        if !concerned {
            return Err(DomainError::validation("agenda_item", "invalid"));
        }
    }
    if let Some(m) = new.meeting_id {
        crate::meetings::require_in_community(&txn, m, new.community_id).await?;
    }
    let now = clock::now();
    let p = plan::ActiveModel {
        community_id: Set(new.community_id),
        meeting_id: Set(new.meeting_id),
        agenda_item_id: Set(new.agenda_item_id),
        title: Set(title.clone()),
        summary: Set(summary),
        status: Set(status::ACTIVE.into()),
        round: Set(1),
        reopen_note: Set(None),
        created_by: Set(Some(actor.account_id)),
        created_at: Set(now),
        updated_at: Set(now),
        rating_from: Set(None),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    line(
        &txn,
        p.id,
        None,
        "created",
        &title,
        None,
        Some(actor.account_id),
    )
    .await?;
    if let Some(item) = new.agenda_item_id {
        agenda_item::Entity::update_many()
            .col_expr(agenda_item::Column::Status, "planned".into())
            .filter(agenda_item::Column::Id.eq(item))
            .filter(agenda_item::Column::Status.is_in(["proposed", "scheduled", "discussed"]))
            .exec(&txn)
            .await?;
    }
    if let Some(topic) = topic_of_item(&txn, new.agenda_item_id).await? {
        tell::tell(
            s,
            &txn,
            topic,
            Step::Planned,
            &format!("议事会已形成共治方案「{title}」，您可以随时查看进展。"),
            &format!("/plans/{}", p.id),
        )
        .await?;
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        "plan.create",
        &format!("plan:{}", p.id),
        serde_json::json!({"title": title, "agenda_item": new.agenda_item_id, "meeting": new.meeting_id}),
    )
    .await?;
    txn.commit().await?;
    Ok(p.id)
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct NewTask {
    pub title: String,
    pub party: Party,
    pub party_name: String,
    /// An account responsible in person (it may update the task).
    pub assignee_id: Option<i64>,
    pub deadline: DateTime<Utc>,
}

fn check_deadline(deadline: DateTime<Utc>) -> DomainResult<()> {
    let now = clock::now();
    if deadline <= now {
        return Err(DomainError::validation("deadline", "past"));
    }
    if deadline > now + chrono::Duration::days(2 * 366) {
        return Err(DomainError::validation("deadline", "too_far"));
    }
    Ok(())
}

/// Adds a task to an active plan, with its SLA case.
pub async fn add_task(
    s: &Services,
    actor: &Principal,
    plan_id: i64,
    new: NewTask,
) -> DomainResult<i64> {
    let title = public_text(&new.title, "title", 2, TASK_TITLE_MAX)?;
    let party_name = public_text(&new.party_name, "party_name", 2, PARTY_MAX)?;
    check_deadline(new.deadline)?;
    let cal = sla::calendar(s).await?;
    let (_gate, txn) = s.begin_write().await?;
    let p = plan_for_staff(&txn, actor, plan_id).await?;
    if p.status != status::ACTIVE {
        return Err(DomainError::Conflict("plan_not_active"));
    }
    let count = plan_task::Entity::find()
        .filter(plan_task::Column::PlanId.eq(plan_id))
        .all(&txn)
        .await?
        .len();
    if count >= TASKS_MAX {
        return Err(DomainError::validation("tasks", "too_many"));
    }
    if let Some(a) = new.assignee_id {
        crate::entities::account::Entity::find_by_id(a)
            .one(&txn)
            .await?
            .filter(|a| !a.disabled)
            .ok_or(DomainError::validation("assignee", "invalid"))?;
    }
    let now = clock::now();
    let task = plan_task::ActiveModel {
        plan_id: Set(plan_id),
        title: Set(title.clone()),
        party_kind: Set(new.party.as_str().to_owned()),
        party_name: Set(party_name.clone()),
        assignee_id: Set(new.assignee_id),
        deadline: Set(new.deadline),
        status: Set(TaskStatus::Todo.as_str().to_owned()),
        progress: Set(0),
        case_id: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        done_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let case = sla::open_in(
        &txn,
        &cal,
        sla::NewCase {
            kind: "plan_task",
            subject: task.id.to_string(),
            title: title.clone(),
            link: format!("/plans/{plan_id}#task-{}", task.id),
            community_id: Some(p.community_id),
            policy: "plan_task",
            assignee: new.assignee_id,
            due: Some(new.deadline),
        },
        Some(actor.account_id),
        now,
    )
    .await?;
    plan_task::Entity::update_many()
        .col_expr(plan_task::Column::CaseId, case.into())
        .filter(plan_task::Column::Id.eq(task.id))
        .exec(&txn)
        .await?;
    line(
        &txn,
        plan_id,
        Some(task.id),
        "task",
        &format!("{title}（{party_name}）"),
        Some(0),
        Some(actor.account_id),
    )
    .await?;
    touch(&txn, plan_id).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "plan.task.add",
        &format!("plan_task:{}", task.id),
        serde_json::json!({"plan": plan_id, "title": title, "party": new.party.as_str(), "deadline": new.deadline}),
    )
    .await?;
    txn.commit().await?;
    Ok(task.id)
}

async fn touch<C: ConnectionTrait>(conn: &C, plan_id: i64) -> DomainResult<()> {
    plan::Entity::update_many()
        .col_expr(plan::Column::UpdatedAt, clock::now().into())
        .filter(plan::Column::Id.eq(plan_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A task and its plan, the plan's row locked (see [`lock_plan`]); the task
/// is read after the lock, so it is what concurrent changes left.
async fn task_under_lock<C: ConnectionTrait>(
    conn: &C,
    task_id: i64,
) -> DomainResult<(plan::Model, plan_task::Model)> {
    let plan_id = plan_task::Entity::find_by_id(task_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?
        .plan_id;
    let p = lock_plan(conn, plan_id).await?;
    let task = plan_task::Entity::find_by_id(task_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok((p, task))
}

/// The plan a task belongs to (uploads redirect back to it).
pub async fn plan_of_task(s: &Services, task_id: i64) -> DomainResult<i64> {
    Ok(plan_task::Entity::find_by_id(task_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?
        .plan_id)
}

/// A change to a task: a new status, progress, a new deadline, and a note
/// (any of them; at least one).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct TaskChange {
    pub status: Option<TaskStatus>,
    pub progress: Option<i32>,
    pub deadline: Option<DateTime<Utc>>,
    pub note: String,
}

/// Staff of the community, or the task's assignee, update a task. Status
/// moves drive its SLA case: paused stops the clock, done closes it, and
/// reopening a done task reopens it. When the last task is done, the plan
/// waits for residents' ratings and its topic's authors are asked.
pub async fn update_task(
    s: &Services,
    actor: &Principal,
    task_id: i64,
    change: TaskChange,
) -> DomainResult<()> {
    let note = if change.note.trim().is_empty() {
        String::new()
    } else {
        public_text(&change.note, "note", 1, NOTE_MAX)?
    };
    if let Some(p) = change.progress
        && !(0..=100).contains(&p)
    {
        return Err(DomainError::validation("progress", "range"));
    }
    if let Some(d) = change.deadline {
        check_deadline(d)?;
    }
    if change.status.is_none()
        && change.progress.is_none()
        && change.deadline.is_none()
        && note.is_empty()
    {
        return Err(DomainError::validation("change", "required"));
    }
    let cal = sla::calendar(s).await?;
    let (_gate, txn) = s.begin_write().await?;
    let (p, task) = task_under_lock(&txn, task_id).await?;
    let assignee = task.assignee_id == Some(actor.account_id);
    if !actor.is_staff_of(Some(p.community_id)) && !assignee {
        return Err(DomainError::Forbidden);
    }
    if p.status == status::CLOSED {
        return Err(DomainError::Conflict("plan_closed"));
    }
    // Deadlines are the staff's to move, not the assignee's.
    if change.deadline.is_some() && !actor.is_staff_of(Some(p.community_id)) {
        return Err(DomainError::Forbidden);
    }
    let now = clock::now();
    let from = TaskStatus::parse(&task.status)?;
    let to = change.status.unwrap_or(from);
    let by = Some(actor.account_id);
    let why = (!note.is_empty()).then_some(note.as_str());
    let reopening = from == TaskStatus::Done && to != TaskStatus::Done;
    if reopening {
        // A reopened task needs a deadline ahead of it: the new one, or
        // the old one if it still lies ahead.
        let due = change.deadline.unwrap_or(task.deadline);
        if due <= now {
            return Err(DomainError::validation("deadline", "past"));
        }
        let reopen = sla::Change::Reopen { due: Some(due) };
        sla::change_in(&txn, &cal, task.case_id, reopen, by, why, now).await?;
        if to == TaskStatus::Paused {
            sla::change_in(&txn, &cal, task.case_id, sla::Change::Pause, by, why, now).await?;
        }
    } else {
        if let Some(d) = change.deadline {
            if from == TaskStatus::Done {
                return Err(DomainError::Conflict("case_closed"));
            }
            let moved = sla::Change::Reschedule { due: d };
            sla::change_in(&txn, &cal, task.case_id, moved, by, why, now).await?;
        }
        let c = match (from, to) {
            _ if from == to => None,
            (_, TaskStatus::Done) => Some(sla::Change::Close),
            (_, TaskStatus::Paused) => Some(sla::Change::Pause),
            (TaskStatus::Paused, _) => Some(sla::Change::Resume),
            _ => None,
        };
        if let Some(c) = c {
            sla::change_in(&txn, &cal, task.case_id, c, by, why, now).await?;
        }
    }
    let progress = match (to, change.progress) {
        (TaskStatus::Done, _) => 100,
        (_, Some(p)) => p,
        _ => task.progress,
    };
    let mut row: plan_task::ActiveModel = task.clone().into();
    row.status = Set(to.as_str().to_owned());
    row.progress = Set(progress);
    row.updated_at = Set(now);
    row.done_at = Set((to == TaskStatus::Done).then_some(task.done_at.unwrap_or(now)));
    if let Some(d) = change.deadline {
        row.deadline = Set(d);
    }
    row.update(&txn).await?;
    let kind = if to != from {
        "status"
    } else if change.progress.is_some() {
        "progress"
    } else {
        "note"
    };
    let mut body = String::new();
    if to != from {
        body.push_str(to.as_str());
    }
    if let Some(d) = change.deadline {
        body.push_str(&format!(" → {}", clock::china_time(d)));
    }
    if !note.is_empty() {
        if !body.is_empty() {
            body.push_str(" — ");
        }
        body.push_str(&note);
    }
    line(
        &txn,
        p.id,
        Some(task_id),
        kind,
        body.trim(),
        Some(progress),
        by,
    )
    .await?;
    // Every task done: residents rate the outcome.
    if to == TaskStatus::Done && from != TaskStatus::Done && p.status == status::ACTIVE {
        let open = plan_task::Entity::find()
            .filter(plan_task::Column::PlanId.eq(p.id))
            .filter(plan_task::Column::Status.ne(TaskStatus::Done.as_str()))
            .all(&txn)
            .await?;
        if open.is_empty() {
            to_rating(s, &txn, &p, by).await?;
        }
    } else if reopening && p.status == status::RATING {
        // A task reopened before the rating ended: back to work, and the
        // next rating is a new round (residents rate the new outcome).
        plan::Entity::update_many()
            .col_expr(plan::Column::Status, status::ACTIVE.into())
            .col_expr(plan::Column::Round, (p.round + 1).into())
            .col_expr(
                plan::Column::RatingFrom,
                Option::<DateTime<Utc>>::None.into(),
            )
            .filter(plan::Column::Id.eq(p.id))
            .exec(&txn)
            .await?;
    }
    touch(&txn, p.id).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "plan.task.update",
        &format!("plan_task:{task_id}"),
        serde_json::json!({"from": from.as_str(), "to": to.as_str(), "progress": progress, "deadline": change.deadline, "note": note}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Who takes a task over: the kind of party, its name as the public reads
/// it, and optionally the account of the person who will update it (by
/// phone number: someone registered), and why.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Handover {
    pub party: Option<Party>,
    pub party_name: String,
    /// Empty: no account updates it (staff do).
    pub assignee_phone: String,
    pub note: String,
}

/// Staff of the community hand a task that is not done to another party:
/// the task's SLA case records the reassignment (its deadline runs on), the
/// public timeline says who is responsible now, the new assignee (if any)
/// is told in the app, and the change is audited.
pub async fn reassign_task(
    s: &Services,
    actor: &Principal,
    task_id: i64,
    to: Handover,
) -> DomainResult<()> {
    let party = to
        .party
        .ok_or(DomainError::validation("party", "required"))?;
    let party_name = public_text(&to.party_name, "party_name", 2, PARTY_MAX)?;
    let note = if to.note.trim().is_empty() {
        String::new()
    } else {
        public_text(&to.note, "note", 1, NOTE_MAX)?
    };
    let phone = match to.assignee_phone.trim() {
        "" => None,
        p => Some(
            crate::accounts::PhoneNumber::parse(p)
                .map_err(|_| DomainError::validation("assignee", "invalid"))?,
        ),
    };
    let cal = sla::calendar(s).await?;
    let (_gate, txn) = s.begin_write().await?;
    let (p, task) = task_under_lock(&txn, task_id).await?;
    if !actor.is_staff_of(Some(p.community_id)) {
        return Err(DomainError::Forbidden);
    }
    if p.status == status::CLOSED {
        return Err(DomainError::Conflict("plan_closed"));
    }
    if task.status == TaskStatus::Done.as_str() {
        return Err(DomainError::Conflict("task_done"));
    }
    let assignee = match &phone {
        None => None,
        Some(phone) => Some(
            crate::entities::account::Entity::find()
                .filter(crate::entities::account::Column::Phone.eq(phone.as_str()))
                .filter(crate::entities::account::Column::Disabled.eq(false))
                .one(&txn)
                .await?
                .ok_or(DomainError::validation("assignee", "unknown"))?,
        ),
    };
    let assignee_id = assignee.as_ref().map(|a| a.id);
    if party.as_str() == task.party_kind
        && party_name == task.party_name
        && assignee_id == task.assignee_id
    {
        return Err(DomainError::validation("party_name", "unchanged"));
    }
    let now = clock::now();
    let by = Some(actor.account_id);
    let why = (!note.is_empty()).then_some(note.as_str());
    sla::change_in(
        &txn,
        &cal,
        task.case_id,
        sla::Change::Reassign { to: assignee_id },
        by,
        why,
        now,
    )
    .await?;
    let mut row: plan_task::ActiveModel = task.clone().into();
    row.party_kind = Set(party.as_str().to_owned());
    row.party_name = Set(party_name.clone());
    row.assignee_id = Set(assignee_id);
    row.updated_at = Set(now);
    row.update(&txn).await?;
    let mut body = if party_name == task.party_name {
        format!("{party_name}：负责人变更")
    } else {
        format!("{} → {party_name}", task.party_name)
    };
    if !note.is_empty() {
        body.push_str(" — ");
        body.push_str(&note);
    }
    line(
        &txn,
        p.id,
        Some(task_id),
        "reassign",
        &body,
        Some(task.progress),
        by,
    )
    .await?;
    if assignee_id != task.assignee_id {
        // The deadline as the SLA engine counts it (pauses move it).
        let due = sla::views_in(&txn, &[task.case_id])
            .await?
            .get(&task.case_id)
            .and_then(|c| c.due_at)
            .unwrap_or(task.deadline);
        let link = format!("/plans/{}#task-{task_id}", p.id);
        if let Some(a) = &assignee {
            crate::outbox::enqueue(
                &txn,
                crate::outbox::Channel::InApp,
                &a.id.to_string(),
                "任务已交给您",
                &format!(
                    "共治方案「{}」的任务「{}」现由您负责，截止 {}。查看：{link}",
                    p.title,
                    task.title,
                    clock::china_time(due)
                ),
            )
            .await?;
        }
        if let Some(before) = task.assignee_id {
            crate::outbox::enqueue(
                &txn,
                crate::outbox::Channel::InApp,
                &before.to_string(),
                "任务已转交",
                &format!(
                    "共治方案「{}」的任务「{}」已转交{party_name}，不再由您负责。查看：{link}",
                    p.title, task.title
                ),
            )
            .await?;
        }
    }
    touch(&txn, p.id).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "plan.task.reassign",
        &format!("plan_task:{task_id}"),
        serde_json::json!({
            "from": {"party": task.party_kind, "name": task.party_name, "assignee": task.assignee_id},
            "to": {"party": party.as_str(), "name": party_name, "assignee": assignee_id},
            "note": note,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn to_rating<C: ConnectionTrait>(
    s: &Services,
    conn: &C,
    p: &plan::Model,
    by: Option<i64>,
) -> DomainResult<()> {
    plan::Entity::update_many()
        .col_expr(plan::Column::Status, status::RATING.into())
        .col_expr(plan::Column::RatingFrom, Some(clock::now()).into())
        .filter(plan::Column::Id.eq(p.id))
        .exec(conn)
        .await?;
    line(conn, p.id, None, "rating", "", None, by).await?;
    if let Some(topic) = topic_of_item(conn, p.agenda_item_id).await? {
        tell::tell(
            s,
            conn,
            topic,
            Step::Rating { round: p.round },
            &if p.round > 1 {
                format!(
                    "共治方案「{}」已按大家的评价整改完成，请您再次为落实情况打分。",
                    p.title
                )
            } else {
                format!(
                    "共治方案「{}」的任务已全部完成，请您为落实情况打分。",
                    p.title
                )
            },
            &format!("/plans/{}", p.id),
        )
        .await?;
    }
    Ok(())
}

/// A task as the plan page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskView {
    pub id: i64,
    pub title: String,
    pub party: String,
    pub party_name: String,
    pub assignee_id: Option<i64>,
    pub deadline: DateTime<Utc>,
    pub status: String,
    pub progress: i32,
    pub done_at: Option<DateTime<Utc>>,
    /// The task's SLA case: due time (moved by pauses), overdue, level.
    pub case: Option<sla::CaseView>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpdateView {
    pub id: i64,
    pub task_id: Option<i64>,
    pub kind: String,
    pub body: String,
    pub progress: Option<i32>,
    pub at: DateTime<Utc>,
    /// A photo line: its picture is `/media/task-photos/{id}`.
    pub photo: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanView {
    pub id: i64,
    pub community_id: i64,
    pub meeting_id: Option<i64>,
    pub agenda_item_id: Option<i64>,
    pub topic_id: Option<i64>,
    pub title: String,
    pub summary: String,
    pub status: String,
    pub round: i32,
    pub reopen_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub tasks: Vec<TaskView>,
    /// The public timeline, oldest first.
    pub timeline: Vec<UpdateView>,
    /// Overall progress: the mean of the tasks'.
    pub progress: i32,
    pub rating: crate::evaluation::RatingSummary,
    /// What the viewer may do.
    pub may_manage: bool,
    pub may_rate: bool,
    pub my_rating: Option<i32>,
}

/// A plan as anyone sees it (plans are public); `viewer` adds what they
/// may do.
pub async fn view(
    s: &Services,
    viewer: Option<&Principal>,
    plan_id: i64,
) -> DomainResult<PlanView> {
    let p = plan::Entity::find_by_id(plan_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let tasks = plan_task::Entity::find()
        .filter(plan_task::Column::PlanId.eq(plan_id))
        .order_by_asc(plan_task::Column::Id)
        .all(&s.db)
        .await?;
    let cases = sla::views_in(&s.db, &tasks.iter().map(|t| t.case_id).collect::<Vec<_>>()).await?;
    let timeline = plan_update::Entity::find()
        .filter(plan_update::Column::PlanId.eq(plan_id))
        .order_by_asc(plan_update::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|u| UpdateView {
            id: u.id,
            photo: u.kind == photos::PHOTO && u.photo.is_some(),
            task_id: u.task_id,
            kind: u.kind,
            body: u.body,
            progress: u.progress,
            at: u.at,
        })
        .collect();
    let progress = if tasks.is_empty() {
        0
    } else {
        tasks.iter().map(|t| t.progress).sum::<i32>() / tasks.len() as i32
    };
    let rating = crate::evaluation::summary_in(&s.db, plan_id, p.round).await?;
    let my_rating = match viewer {
        Some(v) => plan_rating::Entity::find()
            .filter(plan_rating::Column::PlanId.eq(plan_id))
            .filter(plan_rating::Column::Round.eq(p.round))
            .filter(plan_rating::Column::AccountId.eq(v.account_id))
            .one(&s.db)
            .await?
            .map(|r| r.score),
        None => None,
    };
    let topic_id = topic_of_item(&s.db, p.agenda_item_id).await?;
    Ok(PlanView {
        may_manage: viewer.is_some_and(|v| v.is_staff_of(Some(p.community_id))),
        may_rate: viewer
            .is_some_and(|v| crate::evaluation::may_rate_plan(v, &p) && my_rating.is_none()),
        my_rating,
        id: p.id,
        community_id: p.community_id,
        meeting_id: p.meeting_id,
        agenda_item_id: p.agenda_item_id,
        topic_id,
        title: p.title,
        summary: p.summary,
        status: p.status,
        round: p.round,
        reopen_note: p.reopen_note,
        created_at: p.created_at,
        closed_at: p.closed_at,
        tasks: tasks
            .into_iter()
            .map(|t| TaskView {
                case: cases.get(&t.case_id).cloned(),
                id: t.id,
                title: t.title,
                party: t.party_kind,
                party_name: t.party_name,
                assignee_id: t.assignee_id,
                deadline: t.deadline,
                status: t.status,
                progress: t.progress,
                done_at: t.done_at,
            })
            .collect(),
        timeline,
        progress,
        rating,
    })
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanCard {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub status: String,
    pub updated_at: DateTime<Utc>,
}

/// Plans, newest first (at most 100), of one community or all.
pub async fn list(s: &Services, community: Option<i64>) -> DomainResult<Vec<PlanCard>> {
    let mut q = plan::Entity::find().order_by_desc(plan::Column::Id);
    if let Some(c) = community {
        q = q.filter(plan::Column::CommunityId.eq(c));
    }
    use sea_orm::QuerySelect;
    Ok(q.limit(100)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|p| PlanCard {
            id: p.id,
            community_id: p.community_id,
            title: p.title,
            status: p.status,
            updated_at: p.updated_at,
        })
        .collect())
}

/// Plans that grew out of a topic (through its agenda item), for the
/// opinion's path.
pub(crate) async fn of_topic<C: ConnectionTrait>(
    conn: &C,
    topic_id: i64,
) -> DomainResult<Vec<plan::Model>> {
    let items: Vec<i64> = agenda_item::Entity::find()
        .filter(agenda_item::Column::TopicId.eq(topic_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    if items.is_empty() {
        return Ok(Vec::new());
    }
    Ok(plan::Entity::find()
        .filter(plan::Column::AgendaItemId.is_in(items))
        .order_by_asc(plan::Column::Id)
        .all(conn)
        .await?)
}

/// Every state change of a task's deadline (opened, paused, resumed,
/// rescheduled, marked overdue, escalated, closed), oldest first.
/// Staff of the plan's community only (it names who acted).
pub async fn task_timeline(
    s: &Services,
    actor: &Principal,
    task_id: i64,
) -> DomainResult<Vec<sla::Step>> {
    let t = plan_task::Entity::find_by_id(task_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let p = plan::Entity::find_by_id(t.plan_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !actor.is_staff_of(Some(p.community_id)) {
        return Err(DomainError::Forbidden);
    }
    sla::timeline_in(&s.db, t.case_id).await
}
