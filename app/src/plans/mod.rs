//! 共治方案 and 跟踪评价 pages: the plans list, a plan's public timeline
//! with its tasks (deadlines from the SLA engine), the staff's task
//! controls, the residents' rating, an opinion's whole path, and the
//! admins' SLA policies and business calendar.
pub mod i18n;
mod pages;

pub use pages::{EmailConfirmPage, Inbox, NewPlan, OpinionPath, PlanList, PlanPage, SlaAdmin};

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::model::AppError;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: i64,
    pub title: String,
    pub party: String,
    pub party_name: String,
    pub deadline: String,
    pub status: String,
    pub progress: i32,
    /// The deadline as the SLA engine counts it (moved by pauses).
    pub due: Option<String>,
    pub overdue: bool,
    pub escalated: i32,
    pub mine: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateView {
    pub id: i64,
    pub task_id: Option<i64>,
    pub kind: String,
    pub body: String,
    pub progress: Option<i32>,
    pub at: String,
    pub photo: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub status: String,
    pub round: i32,
    pub reopen_note: Option<String>,
    pub meeting_id: Option<i64>,
    pub topic_id: Option<i64>,
    pub progress: i32,
    pub tasks: Vec<TaskView>,
    pub timeline: Vec<UpdateView>,
    pub rating_count: u32,
    pub rating_average: f64,
    pub rating_distribution: [u32; 5],
    pub may_manage: bool,
    pub may_rate: bool,
    pub my_rating: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanCard {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub updated: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathStep {
    pub key: String,
    pub done: bool,
    pub at: Option<String>,
    pub label: String,
    pub link: Option<String>,
}

#[server(prefix = "/api", endpoint = "plans", input = GetUrl)]
pub async fn plans(community: Option<i64>) -> Result<Vec<PlanCard>, AppError> {
    let st = state::state()?;
    Ok(domain::plans::list(&st.services, community)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|p| PlanCard {
            id: p.id,
            title: p.title,
            status: p.status,
            updated: domain::clock::china_time(p.updated_at),
        })
        .collect())
}

#[server(prefix = "/api", endpoint = "plan", input = GetUrl)]
pub async fn plan(id: i64) -> Result<PlanView, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    let p = domain::plans::view(&st.services, viewer.as_ref(), id)
        .await
        .map_err(map_err)?;
    let t = domain::clock::china_time;
    let me = viewer.as_ref().map(|v| v.account_id);
    Ok(PlanView {
        id: p.id,
        title: p.title,
        summary: p.summary,
        status: p.status,
        round: p.round,
        reopen_note: p.reopen_note,
        meeting_id: p.meeting_id,
        topic_id: p.topic_id,
        progress: p.progress,
        tasks: p
            .tasks
            .into_iter()
            .map(|x| TaskView {
                id: x.id,
                title: x.title,
                party: x.party,
                party_name: x.party_name,
                deadline: t(x.deadline),
                status: x.status,
                progress: x.progress,
                due: x.case.as_ref().and_then(|c| c.due_at).map(t),
                overdue: x.case.as_ref().is_some_and(|c| c.overdue),
                escalated: x.case.as_ref().map(|c| c.level).unwrap_or(0),
                mine: me.is_some() && x.assignee_id == me,
            })
            .collect(),
        timeline: p
            .timeline
            .into_iter()
            .map(|u| UpdateView {
                id: u.id,
                task_id: u.task_id,
                kind: u.kind,
                body: u.body,
                progress: u.progress,
                at: t(u.at),
                photo: u.photo,
            })
            .collect(),
        rating_count: p.rating.count,
        rating_average: p.rating.average,
        rating_distribution: p.rating.distribution,
        may_manage: p.may_manage,
        may_rate: p.may_rate,
        my_rating: p.my_rating,
    })
}

/// Staff draw up a plan from a meeting's agenda item (or an agenda item).
#[server(prefix = "/api", endpoint = "create_plan")]
pub async fn create_plan(
    community_id: i64,
    agenda_item_id: Option<i64>,
    meeting_id: Option<i64>,
    title: String,
    summary: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let id = domain::plans::create(
        &st.services,
        &actor,
        domain::plans::NewPlan {
            community_id,
            agenda_item_id,
            meeting_id,
            title,
            summary,
        },
    )
    .await
    .map_err(map_err)?;
    leptos_axum::redirect(&format!("/plans/{id}"));
    Ok(id)
}

#[cfg(feature = "ssr")]
fn bad(field: &str) -> AppError {
    AppError::Validation {
        field: field.into(),
        rule: "invalid".into(),
    }
}

/// Staff add a task (deadline: a China-time date, due at the end of its
/// office day).
#[server(prefix = "/api", endpoint = "add_task")]
pub async fn add_task(
    plan: i64,
    title: String,
    party: String,
    party_name: String,
    deadline: String,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let party = domain::plans::Party::parse(&party).map_err(map_err)?;
    let deadline = domain::clock::parse_china_day_end(&deadline).ok_or_else(|| bad("deadline"))?;
    domain::plans::add_task(
        &st.services,
        &actor,
        plan,
        domain::plans::NewTask {
            title,
            party,
            party_name,
            assignee_id: None,
            deadline,
        },
    )
    .await
    .map(|_| ())
    .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "update_task")]
pub async fn update_task(
    task: i64,
    status: Option<String>,
    progress: Option<i32>,
    deadline: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let status = match status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(domain::plans::TaskStatus::parse(s).map_err(map_err)?),
        None => None,
    };
    let deadline = match deadline.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(domain::clock::parse_china_day_end(d).ok_or_else(|| bad("deadline"))?),
        None => None,
    };
    domain::plans::update_task(
        &st.services,
        &actor,
        task,
        domain::plans::TaskChange {
            status,
            progress,
            deadline,
            note: note.unwrap_or_default(),
        },
    )
    .await
    .map_err(map_err)
}

/// Staff hand a task that is not done to another party (and, by phone
/// number, the registered person who will update it).
#[server(prefix = "/api", endpoint = "reassign_task")]
pub async fn reassign_task(
    task: i64,
    party: String,
    party_name: String,
    assignee_phone: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let party = domain::plans::Party::parse(&party).map_err(map_err)?;
    domain::plans::reassign_task(
        &st.services,
        &actor,
        task,
        domain::plans::Handover {
            party: Some(party),
            party_name,
            assignee_phone: assignee_phone.unwrap_or_default(),
            note: note.unwrap_or_default(),
        },
    )
    .await
    .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "rate_plan")]
pub async fn rate_plan(plan: i64, score: i32, comment: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::evaluation::rate_plan(&st.services, &actor, plan, score, &comment)
        .await
        .map_err(map_err)
}

/// Staff close a rated plan; the answer says whether it closed (`closed`)
/// or the rule reopened it (the note).
#[server(prefix = "/api", endpoint = "close_plan")]
pub async fn close_plan(plan: i64) -> Result<String, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    Ok(
        match domain::evaluation::close_plan(&st.services, &actor, plan)
            .await
            .map_err(map_err)?
        {
            domain::evaluation::Outcome::Closed(_) => "closed".into(),
            domain::evaluation::Outcome::Reopened { note, .. } => note,
        },
    )
}

/// Where an opinion went, step by step.
#[server(prefix = "/api", endpoint = "opinion_path", input = GetUrl)]
pub async fn opinion_path(id: i64) -> Result<Vec<PathStep>, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    Ok(
        domain::evaluation::opinion_path(&st.services, viewer.as_ref(), id)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(|p| PathStep {
                key: p.key,
                done: p.done,
                at: p.at.map(domain::clock::china_time),
                label: p.label,
                link: p.link,
            })
            .collect(),
    )
}

/// What staff may make a plan from: (community, [(agenda item, title)]),
/// with the meeting's own items first when one is given.
#[server(prefix = "/api", endpoint = "plan_choices", input = GetUrl)]
pub async fn plan_choices(meeting: Option<i64>) -> Result<(i64, Vec<(i64, String)>), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    if let Some(m) = meeting {
        let v = domain::meetings::view(
            &st.services,
            Some(domain::meetings::Who::Account(&actor)),
            m,
        )
        .await
        .map_err(map_err)?;
        if !v.may_manage {
            return Err(AppError::Forbidden);
        }
        return Ok((
            v.community_id,
            v.items
                .into_iter()
                .map(|i| (i.agenda_item_id, i.title))
                .collect(),
        ));
    }
    super::meetings::meeting_choices().await
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyView {
    pub key: String,
    pub name: String,
    pub version: i32,
    pub spec: String,
}

#[server(prefix = "/api", endpoint = "sla_admin", input = GetUrl)]
pub async fn sla_admin(
    year: Option<i32>,
) -> Result<(Vec<PolicyView>, bool, Vec<(String, String, String)>), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let policies = domain::sla::policies(&st.services, &actor)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|p| PolicyView {
            key: p.key,
            name: p.name,
            version: p.version,
            spec: p.spec,
        })
        .collect();
    let year = year.unwrap_or(2026).clamp(2000, 2100);
    let (covered, days) = domain::sla::calendar_year(&st.services, year)
        .await
        .map_err(map_err)?;
    Ok((
        policies,
        covered,
        days.into_iter()
            .map(|d| (d.day.to_string(), d.kind.as_str().to_owned(), d.name))
            .collect(),
    ))
}

#[server(prefix = "/api", endpoint = "set_sla_policy")]
pub async fn set_sla_policy(key: String, spec: String) -> Result<i32, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::sla::set_policy(&st.services, &actor, &key, &spec)
        .await
        .map_err(map_err)
}

/// Admins set a day: `holiday`, `workday`, or `normal` (the weekend rule).
#[server(prefix = "/api", endpoint = "set_calendar_day")]
pub async fn set_calendar_day(day: String, kind: String, name: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let date = domain::sla::parse_day(&day).ok_or_else(|| bad("day"))?;
    let kind = match kind.as_str() {
        "normal" => None,
        k => Some(domain::sla::DayKind::parse(k).ok_or_else(|| bad("kind"))?),
    };
    domain::sla::set_calendar_day(&st.services, &actor, date, kind, &name)
        .await
        .map(|_| ())
        .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub subject: String,
    pub body: String,
    pub at: String,
}

/// How notices reach the signed-in person besides the app.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Channels {
    pub sms: bool,
    pub email: String,
    pub email_on: bool,
    /// An address given, its confirmation link not opened yet.
    pub pending: Option<String>,
}

/// The signed-in person's notices, and how they also get them.
#[server(prefix = "/api", endpoint = "inbox", input = GetUrl)]
pub async fn inbox() -> Result<(Channels, Vec<InboxItem>), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let p = domain::outbox::preferences(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok((
        Channels {
            sms: p.sms,
            email: p.email.unwrap_or_default(),
            email_on: p.email_on,
            pending: p.pending,
        },
        domain::outbox::inbox(&st.services, &actor)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(|m| InboxItem {
                subject: m.subject,
                body: m.body,
                at: domain::clock::china_time(m.at),
            })
            .collect(),
    ))
}

/// The owner of an address confirms it (the link in the mail sent to it).
#[server(prefix = "/api", endpoint = "confirm_email")]
pub async fn confirm_email(t: String) -> Result<(), AppError> {
    let st = state::state()?;
    domain::outbox::confirm_email(&st.services, &t)
        .await
        .map_err(map_err)
}

/// The person chooses SMS and e-mail (with the address) for notices.
#[server(prefix = "/api", endpoint = "set_notify")]
pub async fn set_notify(
    sms: Option<String>,
    #[server(default)] email: String,
    email_on: Option<String>,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::outbox::set_preferences(
        &st.services,
        &actor,
        sms.is_some(),
        &email,
        email_on.is_some(),
    )
    .await
    .map(|_| ())
    .map_err(map_err)
}
