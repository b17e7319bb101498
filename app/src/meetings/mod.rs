//! 红茶议事会 the meetings module's pages and server functions: the list,
//! a meeting's page with its live room (pushed by server-sent events from
//! `/live/meetings/{id}`), the guest entry by personal link, the venue
//! sheet with its QR code, and the staff's controls.
// A meeting form's server function takes one argument per field; the
// `#[server]` macro generates the browser-side copy, which an item-level
// allow does not reach.
#![allow(clippy::too_many_arguments)]
pub mod i18n;
mod pages;

pub use pages::{MeetingEditPage, MeetingList, MeetingPage, NewMeeting, VenueSheet};

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::model::AppError;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

// The shapes of `domain::meetings`' views, as JSON (the live room's events
// carry the same JSON).

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub counts: Vec<u32>,
    pub cast: u32,
    pub present: u32,
    pub quorum: u32,
    pub quorum_met: bool,
    pub passed: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemView {
    pub id: i64,
    pub agenda_item_id: i64,
    pub topic_id: i64,
    pub title: String,
    pub summary: String,
    pub resolution: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MotionView {
    pub id: i64,
    pub item_id: Option<i64>,
    pub text: String,
    pub kind: String,
    pub options: Vec<String>,
    pub open: bool,
    pub tally: Tally,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub status: String,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandView {
    pub participant_id: i64,
    pub name: String,
    pub raised_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub id: i64,
    pub name: String,
    pub party: String,
    pub phone: Option<String>,
    pub rsvp: String,
    pub attend: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RatingSummary {
    pub count: u32,
    pub average: f64,
    pub distribution: [u32; 5],
    pub dissatisfied: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub participant_id: i64,
    pub rsvp: String,
    pub attend: Option<String>,
    pub votes: Vec<(i64, i32)>,
    pub hand_raised: bool,
    pub rated: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingView {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub summary: String,
    pub mode: String,
    pub venue: String,
    pub starts_at: String,
    pub starts_local: String,
    pub minutes_long: i32,
    pub video_url: Option<String>,
    pub status: String,
    pub quorum: i32,
    pub majority_pct: i32,
    pub minutes: String,
    pub items: Vec<ItemView>,
    pub current_item_id: Option<i64>,
    pub motions: Vec<MotionView>,
    pub messages: Vec<MessageView>,
    pub hands: Vec<HandView>,
    pub invited: u32,
    pub onsite: u32,
    pub online: u32,
    pub live_seq: i64,
    pub outcome_use: Option<String>,
    pub rating: RatingSummary,
    pub participants: Vec<ParticipantView>,
    pub checkin_code: Option<String>,
    pub may_manage: bool,
    pub me: Option<Me>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingCard {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub mode: String,
    pub venue: String,
    pub starts_at: String,
    pub starts_local: String,
    pub status: String,
}

/// A domain view in the app's shape (the same JSON).
#[cfg(feature = "ssr")]
fn same<T: Serialize, U: serde::de::DeserializeOwned>(v: T) -> Result<U, AppError> {
    serde_json::to_value(v)
        .and_then(serde_json::from_value)
        .map_err(|_| AppError::Internal)
}

/// Who acts: the join link's token when one is given, else the account.
#[cfg(feature = "ssr")]
async fn who(
    token: &Option<String>,
) -> Result<(Option<String>, Option<domain::Principal>), AppError> {
    match token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok((Some(t.to_owned()), None)),
        None => Ok((None, Some(state::require_principal().await?))),
    }
}

#[cfg(feature = "ssr")]
fn as_who<'a>(
    token: &'a Option<String>,
    principal: &'a Option<domain::Principal>,
) -> domain::meetings::Who<'a> {
    match (token, principal) {
        (Some(t), _) => domain::meetings::Who::Token(t),
        (None, Some(p)) => domain::meetings::Who::Account(p),
        (None, None) => domain::meetings::Who::Token(""),
    }
}

#[server(prefix = "/api", endpoint = "meetings", input = GetUrl)]
pub async fn meetings(community: Option<i64>) -> Result<Vec<MeetingCard>, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    same(
        domain::meetings::list(&st.services, viewer.as_ref(), community)
            .await
            .map_err(map_err)?,
    )
}

/// A meeting as this viewer (or the holder of the join link `t`) sees it.
#[server(prefix = "/api", endpoint = "meeting", input = GetUrl)]
pub async fn meeting(id: i64, t: Option<String>) -> Result<MeetingView, AppError> {
    let st = state::state()?;
    let token = t.filter(|t| !t.trim().is_empty());
    let viewer = state::principal().await?;
    let who = match (&token, &viewer) {
        (Some(t), _) => Some(domain::meetings::Who::Token(t)),
        (None, Some(p)) => Some(domain::meetings::Who::Account(p)),
        _ => None,
    };
    same(
        domain::meetings::view(&st.services, who, id)
            .await
            .map_err(map_err)?,
    )
}

/// Agenda items staff may put before a meeting in their community.
#[server(prefix = "/api", endpoint = "meeting_choices", input = GetUrl)]
pub async fn meeting_choices() -> Result<(i64, Vec<(i64, String)>), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let community = actor
        .grants
        .iter()
        .find_map(|g| match (g.role, g.scope) {
            (domain::Role::Staff, domain::Scope::Community(c)) => Some(c),
            _ => None,
        })
        .or(actor.community_id)
        .ok_or(AppError::Forbidden)?;
    let items = domain::meetings::agenda_choices(&st.services, &actor, community)
        .await
        .map_err(map_err)?;
    Ok((
        community,
        items
            .into_iter()
            .map(|(id, title, _)| (id, title))
            .collect(),
    ))
}

/// The meeting form's fields as the domain takes them.
#[cfg(feature = "ssr")]
#[allow(clippy::too_many_arguments)]
fn meeting_input(
    community_id: i64,
    title: String,
    summary: String,
    mode: &str,
    venue: String,
    starts_at: &str,
    minutes_long: i32,
    video_url: String,
    items: Vec<i64>,
    quorum: i32,
    majority_pct: i32,
) -> Result<domain::meetings::MeetingInput, AppError> {
    use domain::meetings::Mode;
    let invalid = |field: &str| AppError::Validation {
        field: field.into(),
        rule: "invalid".into(),
    };
    let mode = match mode {
        "onsite" => Mode::Onsite,
        "online" => Mode::Online,
        "hybrid" => Mode::Hybrid,
        _ => return Err(invalid("mode")),
    };
    let starts_at =
        domain::clock::parse_china_local(starts_at).ok_or_else(|| invalid("starts_at"))?;
    Ok(domain::meetings::MeetingInput {
        community_id,
        title,
        summary,
        mode,
        venue,
        starts_at,
        minutes_long,
        video_url,
        agenda_items: items,
        quorum,
        majority_pct,
    })
}

#[server(prefix = "/api", endpoint = "create_meeting")]
pub async fn create_meeting(
    community_id: i64,
    title: String,
    summary: String,
    mode: String,
    venue: String,
    starts_at: String,
    minutes_long: i32,
    video_url: String,
    items: Vec<i64>,
    quorum: i32,
    majority_pct: i32,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let input = meeting_input(
        community_id,
        title,
        summary,
        &mode,
        venue,
        &starts_at,
        minutes_long,
        video_url,
        items,
        quorum,
        majority_pct,
    )?;
    let id = domain::meetings::create(&st.services, &actor, input)
        .await
        .map_err(map_err)?;
    leptos_axum::redirect(&format!("/meetings/{id}"));
    Ok(id)
}

/// Staff change a draft or scheduled meeting; invitees of a scheduled one
/// are told when its time, place or mode moved.
#[server(prefix = "/api", endpoint = "edit_meeting")]
pub async fn edit_meeting(
    id: i64,
    community_id: i64,
    title: String,
    summary: String,
    mode: String,
    venue: String,
    starts_at: String,
    minutes_long: i32,
    video_url: String,
    items: Vec<i64>,
    quorum: i32,
    majority_pct: i32,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let input = meeting_input(
        community_id,
        title,
        summary,
        &mode,
        venue,
        &starts_at,
        minutes_long,
        video_url,
        items,
        quorum,
        majority_pct,
    )?;
    domain::meetings::edit(&st.services, &actor, id, input)
        .await
        .map_err(map_err)?;
    leptos_axum::redirect(&format!("/meetings/{id}"));
    Ok(())
}

/// Staff steps on a meeting: `schedule`, `live`, `close`, `invite_authors`.
#[server(prefix = "/api", endpoint = "meeting_step")]
pub async fn meeting_step(id: i64, step: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let s = &st.services;
    match step.as_str() {
        "schedule" => domain::meetings::schedule(s, &actor, id).await,
        "live" => domain::meetings::go_live(s, &actor, id).await,
        "close" => domain::meetings::close(s, &actor, id).await,
        "invite_authors" => domain::meetings::invite_authors(s, &actor, id)
            .await
            .map(|_| ()),
        _ => Err(domain::DomainError::validation("step", "invalid")),
    }
    .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "cancel_meeting")]
pub async fn cancel_meeting(id: i64, reason: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::meetings::cancel(&st.services, &actor, id, &reason)
        .await
        .map_err(map_err)
}

/// Staff invite a party by name and phone (a number with an account is
/// invited as that account).
#[server(prefix = "/api", endpoint = "invite_guest")]
pub async fn invite_guest(
    id: i64,
    name: String,
    party: String,
    phone: String,
) -> Result<(), AppError> {
    use domain::meetings::Party;
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let party = match party.as_str() {
        "resident" => Party::Resident,
        "representative" => Party::Representative,
        "property" => Party::Property,
        "enterprise" => Party::Enterprise,
        "department" => Party::Department,
        "expert" => Party::Expert,
        "staff" => Party::Staff,
        "facilitator" => Party::Facilitator,
        _ => {
            return Err(AppError::Validation {
                field: "party".into(),
                rule: "invalid".into(),
            });
        }
    };
    domain::meetings::invite(
        &st.services,
        &actor,
        id,
        vec![domain::meetings::Invitee {
            account_id: None,
            name,
            party,
            phone,
        }],
    )
    .await
    .map(|_| ())
    .map_err(map_err)
}

/// An invitee's answer (`online`, `onsite`, `declined`).
#[server(prefix = "/api", endpoint = "meeting_rsvp")]
pub async fn meeting_rsvp(id: i64, answer: String, t: Option<String>) -> Result<(), AppError> {
    use domain::meetings::Rsvp;
    let st = state::state()?;
    let (token, principal) = who(&t).await?;
    let answer = match answer.as_str() {
        "online" => Rsvp::Online,
        "onsite" => Rsvp::Onsite,
        "declined" => Rsvp::Declined,
        _ => {
            return Err(AppError::Validation {
                field: "answer".into(),
                rule: "invalid".into(),
            });
        }
    };
    domain::meetings::rsvp(&st.services, as_who(&token, &principal), id, answer)
        .await
        .map_err(map_err)
}

/// On site with the venue's code, or online.
#[server(prefix = "/api", endpoint = "meeting_attend")]
pub async fn meeting_attend(
    id: i64,
    code: Option<String>,
    t: Option<String>,
) -> Result<(), AppError> {
    let st = state::state()?;
    let (token, principal) = who(&t).await?;
    let w = as_who(&token, &principal);
    match code {
        Some(c) => domain::meetings::check_in(&st.services, w, id, &c).await,
        None => domain::meetings::join_online(&st.services, w, id)
            .await
            .map(|_| ()),
    }
    .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "meeting_vote")]
pub async fn meeting_vote(motion: i64, choice: i32, t: Option<String>) -> Result<(), AppError> {
    let st = state::state()?;
    let (token, principal) = who(&t).await?;
    domain::meetings::vote(&st.services, as_who(&token, &principal), motion, choice)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "meeting_say")]
pub async fn meeting_say(id: i64, body: String, t: Option<String>) -> Result<(), AppError> {
    let st = state::state()?;
    let (token, principal) = who(&t).await?;
    domain::meetings::post_message(&st.services, as_who(&token, &principal), id, &body)
        .await
        .map(|_| ())
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "meeting_hand")]
pub async fn meeting_hand(id: i64, raise: bool, t: Option<String>) -> Result<(), AppError> {
    let st = state::state()?;
    let (token, principal) = who(&t).await?;
    domain::meetings::hand(&st.services, as_who(&token, &principal), id, raise)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "meeting_rate")]
pub async fn meeting_rate(
    id: i64,
    score: i32,
    comment: String,
    t: Option<String>,
) -> Result<(), AppError> {
    let st = state::state()?;
    let (token, principal) = who(&t).await?;
    domain::meetings::rate(
        &st.services,
        as_who(&token, &principal),
        id,
        score,
        &comment,
    )
    .await
    .map_err(map_err)
}

/// The facilitator's controls in the live room.
#[server(prefix = "/api", endpoint = "meeting_chair")]
pub async fn meeting_chair(
    id: i64,
    action: String,
    target: Option<i64>,
    text: Option<String>,
    choice: Option<i32>,
) -> Result<(), AppError> {
    use domain::meetings as m;
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let s = &st.services;
    let need = |t: Option<i64>| t.ok_or(domain::DomainError::validation("target", "invalid"));
    let text = text.unwrap_or_default();
    let r = match action.as_str() {
        "item" => m::set_current_item(s, &actor, id, need(target).map_err(map_err)?).await,
        "poll" | "motion" => {
            let kind = if action == "poll" {
                m::MotionKind::Poll
            } else {
                m::MotionKind::Motion
            };
            let (question, options) = match text.split_once('\n') {
                Some((q, rest)) => (q.to_owned(), rest.lines().map(str::to_owned).collect()),
                None => (text.clone(), Vec::new()),
            };
            m::open_motion(s, &actor, id, &question, kind, options)
                .await
                .map(|_| ())
        }
        "close_motion" => m::close_motion(s, &actor, need(target).map_err(map_err)?)
            .await
            .map(|_| ()),
        "enter_vote" => {
            // `target` is the motion; `text` names the participant id.
            let pid: i64 = text.trim().parse().map_err(|_| AppError::Validation {
                field: "participant".into(),
                rule: "invalid".into(),
            })?;
            m::enter_vote(
                s,
                &actor,
                need(target).map_err(map_err)?,
                pid,
                choice.unwrap_or(-1),
            )
            .await
        }
        "show" | "hide" => {
            m::moderate_message(s, &actor, need(target).map_err(map_err)?, action == "show").await
        }
        "call_on" => m::call_on(s, &actor, id, need(target).map_err(map_err)?).await,
        "check_in" => m::staff_check_in(s, &actor, id, need(target).map_err(map_err)?).await,
        "minutes" => m::save_minutes(s, &actor, id, Some(&text), Vec::new()).await,
        "resolution" => {
            m::save_minutes(
                s,
                &actor,
                id,
                None,
                vec![(need(target).map_err(map_err)?, text)],
            )
            .await
        }
        "outcome" => m::record_outcome_use(s, &actor, id, &text).await,
        _ => Err(domain::DomainError::validation("action", "invalid")),
    };
    r.map_err(map_err)
}

/// The venue sheet: the check-in code, the URL and its QR code (SVG).
#[server(prefix = "/api", endpoint = "venue_sheet", input = GetUrl)]
pub async fn venue_sheet(id: i64) -> Result<(MeetingView, String, String), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let v = domain::meetings::view(
        &st.services,
        Some(domain::meetings::Who::Account(&actor)),
        id,
    )
    .await
    .map_err(map_err)?;
    if !v.may_manage {
        return Err(AppError::Forbidden);
    }
    let code = v.checkin_code.clone().unwrap_or_default();
    // A phone's camera opens what the QR holds: a whole address.
    let path = format!("{}/meetings/{id}?code={code}", state::site_origin());
    let svg = qrcode::QrCode::new(path.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .build()
        })
        .map_err(|_| AppError::Internal)?;
    Ok((same(v)?, path, svg))
}
