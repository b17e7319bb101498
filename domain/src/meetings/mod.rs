//! 红茶议事会 hybrid council meetings: staff create a meeting from agenda
//! items (on site, online or hybrid), invite residents and parties
//! (property, enterprises, departments, experts, representatives) through
//! the outbox with personal join links, and run it live: check-in on site
//! with a code or the QR, online join, the current agenda item, moderated
//! messages, raised hands, polls and motions (one vote per participant;
//! staff enter on-site votes; quorum and majority per meeting), minutes.
//! Closing freezes minutes and votes. Every change the live room shows
//! raises `meeting.live_seq` in its transaction and is announced after
//! commit — in this process, and on PostgreSQL to every instance
//! (`NOTIFY hongcha_live`, delivered at commit).
pub(crate) mod entities;

#[cfg(test)]
mod db_tests;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    sea_query::{ExprTrait, OnConflict},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::agenda::entities::{agenda_item, topic_community};
use crate::agenda::tell::{self, Step};
use crate::entities::account;
use crate::error::{DomainError, DomainResult};
use crate::opinions::clean;
use crate::secrets::{new_token, token_hash};
use crate::{Principal, Services, audit, clock, outbox};
use entities::{
    meeting, meeting_hand, meeting_item, meeting_message, meeting_motion, meeting_participant,
    meeting_rating, meeting_vote,
};

pub const TITLE_MAX: usize = 80;
pub const SUMMARY_MAX: usize = 2000;
pub const VENUE_MAX: usize = 120;
pub const MINUTES_MAX: usize = 20_000;
pub const MESSAGE_MAX: usize = 500;
pub const MOTION_MAX: usize = 200;
pub const ITEMS_MAX: usize = 10;
pub const PARTICIPANTS_MAX: u64 = 5_000;
/// The PostgreSQL channel live-room changes are announced on.
pub const CHANNEL: &str = "hongcha_live";

pub mod status {
    pub const DRAFT: &str = "draft";
    pub const SCHEDULED: &str = "scheduled";
    pub const LIVE: &str = "live";
    pub const CLOSED: &str = "closed";
    pub const CANCELLED: &str = "cancelled";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Onsite,
    Online,
    Hybrid,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Onsite => "onsite",
            Mode::Online => "online",
            Mode::Hybrid => "hybrid",
        }
    }
}

/// Who an invitee is there as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Resident,
    Representative,
    Property,
    Enterprise,
    Department,
    Expert,
    Staff,
    Facilitator,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Resident => "resident",
            Party::Representative => "representative",
            Party::Property => "property",
            Party::Enterprise => "enterprise",
            Party::Department => "department",
            Party::Expert => "expert",
            Party::Staff => "staff",
            Party::Facilitator => "facilitator",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rsvp {
    Online,
    Onsite,
    Declined,
}

impl Rsvp {
    pub fn as_str(self) -> &'static str {
        match self {
            Rsvp::Online => "online",
            Rsvp::Onsite => "onsite",
            Rsvp::Declined => "declined",
        }
    }
}

/// Who acts in the live room: a signed-in account, or a guest holding a
/// personal join link's token.
#[derive(Clone, Debug)]
pub enum Who<'a> {
    Account(&'a Principal),
    Token(&'a str),
}

fn new_code() -> String {
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// Free text shown to others: length-checked and masked.
fn public_text(raw: &str, field: &'static str, min: usize, max: usize) -> DomainResult<String> {
    Ok(nlp::mask(&clean(raw, field, min, max)?))
}

/// An external video link: https only, a host, no credentials.
fn video_url(raw: &str) -> DomainResult<Option<String>> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || DomainError::validation("video_url", "invalid");
    if t.len() > 500 {
        return Err(bad());
    }
    let u = url::Url::parse(t).map_err(|_| bad())?;
    if u.scheme() != "https"
        || u.host_str().is_none_or(str::is_empty)
        || !u.username().is_empty()
        || u.password().is_some()
    {
        return Err(bad());
    }
    Ok(Some(u.to_string()))
}

/// Raises the live sequence in the caller's transaction and, on
/// PostgreSQL, queues the announcement (sent at commit).
async fn changed<C: ConnectionTrait>(conn: &C, meeting_id: i64) -> DomainResult<()> {
    meeting::Entity::update_many()
        .col_expr(
            meeting::Column::LiveSeq,
            sea_orm::sea_query::Expr::col(meeting::Column::LiveSeq).add(1i64),
        )
        .col_expr(meeting::Column::UpdatedAt, clock::now().into())
        .filter(meeting::Column::Id.eq(meeting_id))
        .exec(conn)
        .await?;
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), meeting_id.to_string().into()],
        ))
        .await?;
    }
    Ok(())
}

/// On PostgreSQL: listens on [`CHANNEL`] and announces in this process
/// what any instance changed (`Services::announce`), so live rooms follow
/// changes made through other instances. Reconnects after a lost
/// connection and then announces `-1` (everything may have changed).
pub async fn listen_postgres(url: String, services: Services) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        match PgListener::connect(&url).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => {
                    services.announce(-1);
                    loop {
                        match l.recv().await {
                            Ok(n) => {
                                if let Ok(id) = n.payload().parse::<i64>() {
                                    services.announce(id);
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "live channel lost");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
            },
            Err(e) => tracing::warn!(error = %e, "live channel connect failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
}

/// The end of a staff action on a meeting: the live room's sequence
/// raised, the action audited, committed, and the live room told.
async fn audited(
    s: &Services,
    txn: sea_orm::DatabaseTransaction,
    actor: &Principal,
    id: i64,
    action: &str,
    detail: serde_json::Value,
) -> DomainResult<()> {
    changed(&txn, id).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        action,
        &format!("meeting:{id}"),
        detail,
    )
    .await?;
    commit(s, txn, id).await
}

/// Commits and tells this process's live room.
async fn commit(
    s: &Services,
    txn: sea_orm::DatabaseTransaction,
    meeting_id: i64,
) -> DomainResult<()> {
    txn.commit().await?;
    s.announce(meeting_id);
    Ok(())
}

async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<meeting::Model> {
    meeting::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The meeting, its row locked until the transaction ends (PostgreSQL;
/// SQLite's write transaction holds the whole database already): every
/// write to a meeting takes it first, so the checks and writes of
/// concurrent requests — two votes, a vote and the close — do not
/// interleave.
async fn lock<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<meeting::Model> {
    meeting::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)
}

async fn for_staff<C: ConnectionTrait>(
    conn: &C,
    actor: &Principal,
    id: i64,
) -> DomainResult<meeting::Model> {
    let m = lock(conn, id).await?;
    if !actor.is_staff_of(Some(m.community_id)) {
        return Err(DomainError::Forbidden);
    }
    Ok(m)
}

/// Whether a meeting with this id exists (whatever its state).
pub async fn exists(s: &Services, id: i64) -> bool {
    find(&s.db, id).await.is_ok()
}

/// For other modules: the meeting exists and belongs to `community`.
pub(crate) async fn require_in_community<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    community: i64,
) -> DomainResult<()> {
    let m = find(conn, id)
        .await
        .map_err(|_| DomainError::validation("meeting", "invalid"))?;
    if m.community_id != community {
        return Err(DomainError::validation("meeting", "invalid"));
    }
    Ok(())
}

fn require_status(m: &meeting::Model, allowed: &[&str]) -> DomainResult<()> {
    if allowed.contains(&m.status.as_str()) {
        Ok(())
    } else {
        Err(DomainError::Conflict(match m.status.as_str() {
            status::CLOSED => "meeting_closed",
            status::CANCELLED => "meeting_cancelled",
            status::LIVE => "meeting_live",
            _ => "meeting_not_live",
        }))
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct MeetingInput {
    pub community_id: i64,
    pub title: String,
    pub summary: String,
    pub mode: Mode,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub minutes_long: i32,
    pub video_url: String,
    pub agenda_items: Vec<i64>,
    pub quorum: i32,
    pub majority_pct: i32,
}

struct Checked {
    title: String,
    summary: String,
    venue: String,
    video: Option<String>,
    items: Vec<i64>,
}

fn check(input: &MeetingInput) -> DomainResult<Checked> {
    let title = public_text(&input.title, "title", 4, TITLE_MAX)?;
    let summary = if input.summary.trim().is_empty() {
        String::new()
    } else {
        public_text(&input.summary, "summary", 1, SUMMARY_MAX)?
    };
    let venue = if input.mode == Mode::Online && input.venue.trim().is_empty() {
        String::new()
    } else {
        public_text(&input.venue, "venue", 2, VENUE_MAX)?
    };
    let video = video_url(&input.video_url)?;
    let now = clock::now();
    if input.starts_at < now - chrono::Duration::hours(1)
        || input.starts_at > now + chrono::Duration::days(366)
    {
        return Err(DomainError::validation("starts_at", "range"));
    }
    if !(15..=480).contains(&input.minutes_long) {
        return Err(DomainError::validation("minutes_long", "range"));
    }
    if !(0..=1000).contains(&input.quorum) {
        return Err(DomainError::validation("quorum", "range"));
    }
    if !(50..=100).contains(&input.majority_pct) {
        return Err(DomainError::validation("majority_pct", "range"));
    }
    let mut items = Vec::new();
    for i in &input.agenda_items {
        if !items.contains(i) {
            items.push(*i);
        }
    }
    if items.is_empty() || items.len() > ITEMS_MAX {
        return Err(DomainError::validation("agenda_items", "count"));
    }
    Ok(Checked {
        title,
        summary,
        venue,
        video,
        items,
    })
}

/// Agenda items staff of `community` may put before a meeting: accepted
/// topics that concern the community, not yet resolved.
async fn check_items<C: ConnectionTrait>(
    conn: &C,
    community: i64,
    items: &[i64],
) -> DomainResult<Vec<agenda_item::Model>> {
    let found = agenda_item::Entity::find()
        .filter(agenda_item::Column::Id.is_in(items.iter().copied()))
        .all(conn)
        .await?;
    if found.len() != items.len() || found.iter().any(|i| i.status == "resolved") {
        return Err(DomainError::validation("agenda_items", "invalid"));
    }
    let concerned: Vec<i64> = topic_community::Entity::find()
        .select_only()
        .column(topic_community::Column::TopicId)
        .filter(topic_community::Column::CommunityId.eq(community))
        .filter(topic_community::Column::TopicId.is_in(found.iter().map(|i| i.topic_id)))
        .into_tuple()
        .all(conn)
        .await?;
    if found.iter().any(|i| !concerned.contains(&i.topic_id)) {
        return Err(DomainError::validation("agenda_items", "invalid"));
    }
    // In the order staff gave.
    let mut by_id: HashMap<i64, agenda_item::Model> =
        found.into_iter().map(|i| (i.id, i)).collect();
    Ok(items.iter().filter_map(|i| by_id.remove(i)).collect())
}

/// Staff create a meeting (a draft) from agenda items.
pub async fn create(s: &Services, actor: &Principal, input: MeetingInput) -> DomainResult<i64> {
    if !actor.is_staff_of(Some(input.community_id)) {
        return Err(DomainError::Forbidden);
    }
    let c = check(&input)?;
    let (_gate, txn) = s.begin_write().await?;
    let items = check_items(&txn, input.community_id, &c.items).await?;
    let now = clock::now();
    let m = meeting::ActiveModel {
        community_id: Set(input.community_id),
        title: Set(c.title.clone()),
        summary: Set(c.summary),
        mode: Set(input.mode.as_str().to_owned()),
        venue: Set(c.venue),
        starts_at: Set(input.starts_at),
        minutes_long: Set(input.minutes_long),
        video_url: Set(c.video),
        status: Set(status::DRAFT.into()),
        checkin_code: Set(new_code()),
        quorum: Set(input.quorum),
        majority_pct: Set(input.majority_pct),
        minutes: Set(String::new()),
        current_item_id: Set(None),
        live_seq: Set(0),
        outcome_use: Set(None),
        outcome_by: Set(None),
        outcome_at: Set(None),
        created_by: Set(Some(actor.account_id)),
        created_at: Set(now),
        updated_at: Set(now),
        closed_by: Set(None),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (pos, item) in items.iter().enumerate() {
        meeting_item::ActiveModel {
            meeting_id: Set(m.id),
            agenda_item_id: Set(item.id),
            position: Set(pos as i32),
            resolution: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        "meeting.create",
        &format!("meeting:{}", m.id),
        serde_json::json!({"title": c.title, "items": c.items, "mode": input.mode.as_str()}),
    )
    .await?;
    txn.commit().await?;
    Ok(m.id)
}

/// Staff edit a draft or scheduled meeting. Invitees of a scheduled one
/// are told what changed.
pub async fn edit(
    s: &Services,
    actor: &Principal,
    id: i64,
    input: MeetingInput,
) -> DomainResult<()> {
    let c = check(&input)?;
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::DRAFT, status::SCHEDULED])?;
    if input.community_id != m.community_id {
        return Err(DomainError::validation("community", "invalid"));
    }
    let items = check_items(&txn, m.community_id, &c.items).await?;
    let moved =
        m.starts_at != input.starts_at || m.venue != c.venue || m.mode != input.mode.as_str();
    let mut row: meeting::ActiveModel = m.clone().into();
    row.title = Set(c.title.clone());
    row.summary = Set(c.summary);
    row.mode = Set(input.mode.as_str().to_owned());
    row.venue = Set(c.venue.clone());
    row.starts_at = Set(input.starts_at);
    row.minutes_long = Set(input.minutes_long);
    row.video_url = Set(c.video);
    row.quorum = Set(input.quorum);
    row.majority_pct = Set(input.majority_pct);
    row.update(&txn).await?;
    meeting_item::Entity::delete_many()
        .filter(meeting_item::Column::MeetingId.eq(id))
        .exec(&txn)
        .await?;
    for (pos, item) in items.iter().enumerate() {
        meeting_item::ActiveModel {
            meeting_id: Set(id),
            agenda_item_id: Set(item.id),
            position: Set(pos as i32),
            resolution: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let mut told = 0;
    if m.status == status::SCHEDULED && moved {
        let when = local(input.starts_at);
        let text = format!(
            "议事会「{}」有变更：{when}，{}。",
            c.title,
            if c.venue.is_empty() {
                "线上"
            } else {
                &c.venue
            }
        );
        for p in with_accounts(&txn, participants_of(&txn, id).await?).await? {
            notify(&txn, &p, "议事会安排有变", &text).await?;
            told += 1;
        }
    }
    audited(
        s,
        txn,
        actor,
        id,
        "meeting.edit",
        serde_json::json!({"title": c.title, "moved": moved, "told": told}),
    )
    .await
}

use crate::clock::china_time;

fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&crate::sla::calendar::china())
        .format("%m月%d日 %H:%M")
        .to_string()
}

async fn participants_of<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> DomainResult<Vec<meeting_participant::Model>> {
    Ok(meeting_participant::Entity::find()
        .filter(meeting_participant::Column::MeetingId.eq(id))
        .order_by_asc(meeting_participant::Column::Id)
        .all(conn)
        .await?)
}

/// The participants, each with their account if they have one: two
/// queries, however many there are.
async fn with_accounts<C: ConnectionTrait>(
    conn: &C,
    participants: Vec<meeting_participant::Model>,
) -> DomainResult<Vec<(meeting_participant::Model, Option<account::Model>)>> {
    let ids: Vec<i64> = participants.iter().filter_map(|p| p.account_id).collect();
    let mut accounts: HashMap<i64, account::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        account::Entity::find()
            .filter(account::Column::Id.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    };
    Ok(participants
        .into_iter()
        .map(|p| {
            let acc = p.account_id.and_then(|a| accounts.remove(&a));
            (p, acc)
        })
        .collect())
}

/// A message to one participant: to an account on the channels it chose
/// (in the app always), by SMS to a guest's phone.
async fn notify<C: ConnectionTrait>(
    conn: &C,
    (p, acc): &(meeting_participant::Model, Option<account::Model>),
    subject: &str,
    body: &str,
) -> DomainResult<()> {
    if p.account_id.is_some() {
        if let Some(acc) = acc {
            outbox::to_account(conn, acc, subject, body, body).await?;
        }
    } else if let Some(phone) = &p.phone {
        outbox::enqueue(conn, outbox::Channel::Sms, phone, subject, body).await?;
    }
    Ok(())
}

/// Sends a participant their invitation: an account on the channels it
/// chose (it signs in to take part); a guest by SMS with a fresh personal link (only its
/// hash is kept, and the SMS text is dropped once delivered).
async fn send_invitation<C: ConnectionTrait>(
    conn: &C,
    origin: Option<&str>,
    m: &meeting::Model,
    (p, acc): &(meeting_participant::Model, Option<account::Model>),
) -> DomainResult<()> {
    let place = if m.venue.is_empty() {
        "线上".to_owned()
    } else {
        m.venue.clone()
    };
    let text = format!(
        "邀请您参加红茶议事会「{}」：{}，{place}。可到场或线上参加，请回复是否出席。",
        m.title,
        local(m.starts_at)
    );
    match (p.account_id, &p.phone) {
        (Some(_), _) => {
            if let Some(acc) = acc {
                outbox::to_account(
                    conn,
                    acc,
                    "议事会邀请",
                    &format!("{text} 查看：/meetings/{}", m.id),
                    &format!("{text} 查看：{}/meetings/{}", origin.unwrap_or(""), m.id),
                )
                .await?;
            }
        }
        (None, Some(phone)) => {
            let token = new_token();
            meeting_participant::Entity::update_many()
                .col_expr(
                    meeting_participant::Column::TokenHash,
                    token_hash(&token).into(),
                )
                .filter(meeting_participant::Column::Id.eq(p.id))
                .exec(conn)
                .await?;
            let link = format!("{}/meetings/{}/join?t={token}", origin.unwrap_or(""), m.id);
            let body = format!("{text} 您的个人参会链接（请勿转发）：{link}");
            outbox::enqueue_private(conn, outbox::Channel::Sms, phone, "议事会邀请", &body).await?;
        }
        _ => {}
    }
    Ok(())
}

/// An invitee: an account, or a party by name and phone.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Invitee {
    pub account_id: Option<i64>,
    pub name: String,
    pub party: Party,
    pub phone: String,
}

/// Staff invite people. Invitations go out now if the meeting is
/// scheduled, else when it is. An account is invited once.
pub async fn invite(
    s: &Services,
    actor: &Principal,
    id: i64,
    who: Vec<Invitee>,
) -> DomainResult<Vec<i64>> {
    if who.is_empty() || who.len() > 500 {
        return Err(DomainError::validation("invitees", "count"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::DRAFT, status::SCHEDULED, status::LIVE])?;
    let count = meeting_participant::Entity::find()
        .filter(meeting_participant::Column::MeetingId.eq(id))
        .count(&txn)
        .await?;
    if count + who.len() as u64 > PARTICIPANTS_MAX {
        return Err(DomainError::validation("invitees", "too_many"));
    }
    let now = clock::now();
    let mut ids = Vec::new();
    for w in who {
        let (account_id, name, phone) = match w.account_id {
            Some(a) => {
                let acc = crate::entities::account::Entity::find_by_id(a)
                    .one(&txn)
                    .await?
                    .filter(|a| !a.disabled)
                    .ok_or(DomainError::validation("account", "invalid"))?;
                let dup = meeting_participant::Entity::find()
                    .filter(meeting_participant::Column::MeetingId.eq(id))
                    .filter(meeting_participant::Column::AccountId.eq(a))
                    .one(&txn)
                    .await?;
                if let Some(d) = dup {
                    ids.push(d.id);
                    continue;
                }
                (Some(a), acc.display_name, None)
            }
            None => {
                let phone = crate::accounts::PhoneNumber::parse(&w.phone)?;
                let known = crate::entities::account::Entity::find()
                    .filter(crate::entities::account::Column::Phone.eq(phone.as_str()))
                    .filter(crate::entities::account::Column::Disabled.eq(false))
                    .one(&txn)
                    .await?;
                match known {
                    // A number with an account is invited as that account.
                    Some(acc) => {
                        let dup = meeting_participant::Entity::find()
                            .filter(meeting_participant::Column::MeetingId.eq(id))
                            .filter(meeting_participant::Column::AccountId.eq(acc.id))
                            .one(&txn)
                            .await?;
                        if let Some(d) = dup {
                            ids.push(d.id);
                            continue;
                        }
                        (Some(acc.id), acc.display_name, None)
                    }
                    None => {
                        let dup = meeting_participant::Entity::find()
                            .filter(meeting_participant::Column::MeetingId.eq(id))
                            .filter(meeting_participant::Column::Phone.eq(phone.as_str()))
                            .one(&txn)
                            .await?;
                        if let Some(d) = dup {
                            ids.push(d.id);
                            continue;
                        }
                        let name = public_text(&w.name, "name", 1, 40)?;
                        (None, name, Some(phone.as_str().to_owned()))
                    }
                }
            }
        };
        let p = meeting_participant::ActiveModel {
            meeting_id: Set(id),
            account_id: Set(account_id),
            name: Set(name),
            party: Set(w.party.as_str().to_owned()),
            phone: Set(phone),
            token_hash: Set(token_hash(&new_token())),
            rsvp: Set("none".into()),
            attend: Set(None),
            checked_in_at: Set(None),
            invited_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        ids.push(p.id);
        if m.status != status::DRAFT {
            for p in with_accounts(&txn, vec![p]).await? {
                send_invitation(&txn, s.settings.public_origin.as_deref(), &m, &p).await?;
            }
        }
    }
    audited(
        s,
        txn,
        actor,
        id,
        "meeting.invite",
        serde_json::json!({"participants": ids}),
    )
    .await?;
    Ok(ids)
}

/// Staff invite every author behind the meeting's agenda items (the
/// residents who raised the matter).
pub async fn invite_authors(s: &Services, actor: &Principal, id: i64) -> DomainResult<Vec<i64>> {
    let items = items_of(&s.db, id).await?;
    let mut people = Vec::new();
    for it in items {
        if let Some(a) = agenda_item::Entity::find_by_id(it.agenda_item_id)
            .one(&s.db)
            .await?
        {
            for acc in tell::authors(&s.db, a.topic_id).await? {
                if !people.contains(&acc) {
                    people.push(acc);
                }
            }
        }
    }
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let who = people
        .into_iter()
        .take(500)
        .map(|a| Invitee {
            account_id: Some(a),
            name: String::new(),
            party: Party::Resident,
            phone: String::new(),
        })
        .collect();
    invite(s, actor, id, who).await
}

/// Agenda items staff may put before a meeting: (id, title, topic).
pub async fn agenda_choices(
    s: &Services,
    actor: &Principal,
    community: i64,
) -> DomainResult<Vec<(i64, String, i64)>> {
    if !actor.is_staff_of(Some(community)) {
        return Err(DomainError::Forbidden);
    }
    let topics: Vec<i64> = topic_community::Entity::find()
        .select_only()
        .column(topic_community::Column::TopicId)
        .filter(topic_community::Column::CommunityId.eq(community))
        .into_tuple()
        .all(&s.db)
        .await?;
    Ok(agenda_item::Entity::find()
        .filter(agenda_item::Column::TopicId.is_in(topics))
        .filter(agenda_item::Column::Status.ne("resolved"))
        .order_by_desc(agenda_item::Column::Id)
        .limit(100)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.title, i.topic_id))
        .collect())
}

/// Staff schedule a draft: invitations go out, the agenda items are
/// scheduled, and the authors behind their topics are told.
pub async fn schedule(s: &Services, actor: &Principal, id: i64) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::DRAFT])?;
    let done = meeting::Entity::update_many()
        .col_expr(meeting::Column::Status, status::SCHEDULED.into())
        .filter(meeting::Column::Id.eq(id))
        .filter(meeting::Column::Status.eq(status::DRAFT))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DomainError::Conflict("meeting_not_draft"));
    }
    for p in with_accounts(&txn, participants_of(&txn, id).await?).await? {
        send_invitation(&txn, s.settings.public_origin.as_deref(), &m, &p).await?;
    }
    for it in items_of(&txn, id).await? {
        agenda_item::Entity::update_many()
            .col_expr(agenda_item::Column::Status, "scheduled".into())
            .filter(agenda_item::Column::Id.eq(it.agenda_item_id))
            .filter(agenda_item::Column::Status.eq("proposed"))
            .exec(&txn)
            .await?;
        if let Some(a) = agenda_item::Entity::find_by_id(it.agenda_item_id)
            .one(&txn)
            .await?
        {
            tell::tell(
                s,
                &txn,
                a.topic_id,
                Step::Meeting,
                &format!(
                    "您关心的议题「{}」将在{}的红茶议事会上讨论，欢迎到场或线上参加。",
                    a.title,
                    local(m.starts_at)
                ),
                &format!("/meetings/{id}"),
            )
            .await?;
        }
    }
    audited(s, txn, actor, id, "meeting.schedule", serde_json::json!({})).await
}

async fn items_of<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<Vec<meeting_item::Model>> {
    Ok(meeting_item::Entity::find()
        .filter(meeting_item::Column::MeetingId.eq(id))
        .order_by_asc(meeting_item::Column::Position)
        .all(conn)
        .await?)
}

/// Staff cancel a meeting that has not gone live; invitees are told.
pub async fn cancel(s: &Services, actor: &Principal, id: i64, reason: &str) -> DomainResult<()> {
    let reason = public_text(reason, "reason", 2, 300)?;
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::DRAFT, status::SCHEDULED])?;
    meeting::Entity::update_many()
        .col_expr(meeting::Column::Status, status::CANCELLED.into())
        .filter(meeting::Column::Id.eq(id))
        .filter(meeting::Column::Status.eq(m.status.clone()))
        .exec(&txn)
        .await?;
    // Its items go back to the agenda; the authors were told of the
    // meeting, so they hear it is off.
    for it in items_of(&txn, id).await? {
        agenda_item::Entity::update_many()
            .col_expr(agenda_item::Column::Status, "proposed".into())
            .filter(agenda_item::Column::Id.eq(it.agenda_item_id))
            .filter(agenda_item::Column::Status.eq("scheduled"))
            .exec(&txn)
            .await?;
    }
    if m.status == status::SCHEDULED {
        for p in with_accounts(&txn, participants_of(&txn, id).await?).await? {
            notify(
                &txn,
                &p,
                "议事会取消",
                &format!("议事会「{}」已取消：{reason}", m.title),
            )
            .await?;
        }
    }
    audited(
        s,
        txn,
        actor,
        id,
        "meeting.cancel",
        serde_json::json!({"reason": reason}),
    )
    .await
}

/// The participant `who` is in meeting `id`.
async fn participant<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    who: &Who<'_>,
) -> DomainResult<meeting_participant::Model> {
    let q =
        meeting_participant::Entity::find().filter(meeting_participant::Column::MeetingId.eq(id));
    let q = match who {
        Who::Account(p) => q.filter(meeting_participant::Column::AccountId.eq(p.account_id)),
        Who::Token(t) => {
            if t.len() != 48 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(DomainError::Forbidden);
            }
            q.filter(meeting_participant::Column::TokenHash.eq(token_hash(t)))
        }
    };
    q.one(conn).await?.ok_or(DomainError::Forbidden)
}

/// An invitee answers: online, on site, or cannot come.
pub async fn rsvp(s: &Services, who: Who<'_>, id: i64, answer: Rsvp) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let m = lock(&txn, id).await?;
    let p = participant(&txn, id, &who).await?;
    require_status(&m, &[status::DRAFT, status::SCHEDULED, status::LIVE])?;
    meeting_participant::Entity::update_many()
        .col_expr(meeting_participant::Column::Rsvp, answer.as_str().into())
        .filter(meeting_participant::Column::Id.eq(p.id))
        .exec(&txn)
        .await?;
    changed(&txn, id).await?;
    commit(s, txn, id).await
}

async fn mark_attend<C: ConnectionTrait>(
    conn: &C,
    p: &meeting_participant::Model,
    how: &str,
) -> DomainResult<()> {
    meeting_participant::Entity::update_many()
        .col_expr(
            meeting_participant::Column::Attend,
            Some(how.to_owned()).into(),
        )
        .col_expr(
            meeting_participant::Column::CheckedInAt,
            Some(p.checked_in_at.unwrap_or_else(clock::now)).into(),
        )
        .filter(meeting_participant::Column::Id.eq(p.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// On-site check-in with the code shown at the venue (or in its QR).
/// Wrong codes cost a rate-limit try.
pub async fn check_in(s: &Services, who: Who<'_>, id: i64, code: &str) -> DomainResult<()> {
    let key = format!(
        "checkin:{id}:{}",
        match &who {
            Who::Account(p) => p.account_id.to_string(),
            Who::Token(t) => token_hash(t),
        }
    );
    s.hit(crate::ratelimit::Bucket::LoginAccount, &key).await?;
    let (_gate, txn) = s.begin_write().await?;
    let m = lock(&txn, id).await?;
    let p = participant(&txn, id, &who).await?;
    require_status(&m, &[status::SCHEDULED, status::LIVE])?;
    let code = code.trim();
    let same: bool = code.len() == m.checkin_code.len()
        && code
            .bytes()
            .zip(m.checkin_code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(DomainError::validation("code", "invalid"));
    }
    mark_attend(&txn, &p, "onsite").await?;
    changed(&txn, id).await?;
    commit(s, txn, id).await
}

/// Staff mark a participant present on site (at the door, by name).
pub async fn staff_check_in(
    s: &Services,
    actor: &Principal,
    id: i64,
    participant_id: i64,
) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::SCHEDULED, status::LIVE])?;
    let p = meeting_participant::Entity::find_by_id(participant_id)
        .one(&txn)
        .await?
        .filter(|p| p.meeting_id == id)
        .ok_or(DomainError::NotFound)?;
    mark_attend(&txn, &p, "onsite").await?;
    audited(
        s,
        txn,
        actor,
        id,
        "meeting.checkin",
        serde_json::json!({"participant": participant_id}),
    )
    .await
}

/// A participant joins online (unless already checked in on site).
pub async fn join_online(s: &Services, who: Who<'_>, id: i64) -> DomainResult<i64> {
    let (_gate, txn) = s.begin_write().await?;
    let m = lock(&txn, id).await?;
    let p = participant(&txn, id, &who).await?;
    require_status(&m, &[status::SCHEDULED, status::LIVE])?;
    if p.attend.is_none() {
        mark_attend(&txn, &p, "online").await?;
        changed(&txn, id).await?;
    }
    commit(s, txn, id).await?;
    Ok(p.id)
}

/// Staff open the meeting: it goes live on its first agenda item.
pub async fn go_live(s: &Services, actor: &Principal, id: i64) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::SCHEDULED])?;
    let first = items_of(&txn, id).await?.first().map(|i| i.id);
    meeting::Entity::update_many()
        .col_expr(meeting::Column::Status, status::LIVE.into())
        .col_expr(meeting::Column::CurrentItemId, first.into())
        .filter(meeting::Column::Id.eq(id))
        .filter(meeting::Column::Status.eq(status::SCHEDULED))
        .exec(&txn)
        .await?;
    audited(s, txn, actor, id, "meeting.live", serde_json::json!({})).await
}

/// The facilitator moves on to another agenda item.
pub async fn set_current_item(
    s: &Services,
    actor: &Principal,
    id: i64,
    item_id: i64,
) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::LIVE])?;
    if !items_of(&txn, id).await?.iter().any(|i| i.id == item_id) {
        return Err(DomainError::validation("item", "invalid"));
    }
    meeting::Entity::update_many()
        .col_expr(meeting::Column::CurrentItemId, Some(item_id).into())
        .filter(meeting::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    changed(&txn, id).await?;
    commit(s, txn, id).await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MotionKind {
    /// A show of opinion.
    Poll,
    /// A decision: quorum and majority apply; the result goes in the minutes.
    Motion,
}

/// The facilitator opens a poll or a motion on the current item. Without
/// options it is 同意 / 反对 / 弃权.
pub async fn open_motion(
    s: &Services,
    actor: &Principal,
    id: i64,
    text: &str,
    kind: MotionKind,
    options: Vec<String>,
) -> DomainResult<i64> {
    let text = public_text(text, "text", 2, MOTION_MAX)?;
    let options: Vec<String> = if options.iter().all(|o| o.trim().is_empty()) {
        vec!["同意".into(), "反对".into(), "弃权".into()]
    } else {
        options
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| public_text(o, "option", 1, 40))
            .collect::<DomainResult<_>>()?
    };
    if !(2..=10).contains(&options.len()) {
        return Err(DomainError::validation("options", "count"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::LIVE])?;
    let mo = meeting_motion::ActiveModel {
        meeting_id: Set(id),
        item_id: Set(m.current_item_id),
        text: Set(text.clone()),
        kind: Set(match kind {
            MotionKind::Poll => "poll",
            MotionKind::Motion => "motion",
        }
        .into()),
        options: Set(serde_json::to_string(&options).unwrap_or_default()),
        status: Set("open".into()),
        opened_by: Set(Some(actor.account_id)),
        opened_at: Set(clock::now()),
        closed_at: Set(None),
        result: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audited(
        s,
        txn,
        actor,
        id,
        "meeting.motion.open",
        serde_json::json!({"motion": mo.id, "text": text}),
    )
    .await?;
    Ok(mo.id)
}

async fn open_motion_of<C: ConnectionTrait>(
    conn: &C,
    motion_id: i64,
) -> DomainResult<(meeting_motion::Model, meeting::Model)> {
    let mo = meeting_motion::Entity::find_by_id(motion_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let m = find(conn, mo.meeting_id).await?;
    Ok((mo, m))
}

async fn cast<C: ConnectionTrait>(
    conn: &C,
    mo: &meeting_motion::Model,
    p: &meeting_participant::Model,
    choice: i32,
    entered_by: Option<i64>,
) -> DomainResult<()> {
    if mo.status != "open" {
        return Err(DomainError::Conflict("motion_closed"));
    }
    let n: Vec<String> = serde_json::from_str(&mo.options).unwrap_or_default();
    if choice < 0 || choice as usize >= n.len() {
        return Err(DomainError::validation("choice", "invalid"));
    }
    if p.attend.is_none() {
        return Err(DomainError::Conflict("not_present"));
    }
    let written = meeting_vote::Entity::insert(meeting_vote::ActiveModel {
        motion_id: Set(mo.id),
        participant_id: Set(p.id),
        choice: Set(choice),
        entered_by: Set(entered_by),
        at: Set(clock::now()),
    })
    .on_conflict(
        OnConflict::columns([
            meeting_vote::Column::MotionId,
            meeting_vote::Column::ParticipantId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if written == 0 {
        return Err(DomainError::Conflict("already_voted"));
    }
    Ok(())
}

/// A present participant votes, once.
pub async fn vote(s: &Services, who: Who<'_>, motion_id: i64, choice: i32) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let (mo, m) = open_motion_of(&txn, motion_id).await?;
    require_status(&m, &[status::LIVE])?;
    let p = participant(&txn, m.id, &who).await?;
    cast(&txn, &mo, &p, choice, None).await?;
    changed(&txn, m.id).await?;
    commit(s, txn, m.id).await
}

/// Staff enter the vote of a participant present on site (a show of hands).
pub async fn enter_vote(
    s: &Services,
    actor: &Principal,
    motion_id: i64,
    participant_id: i64,
    choice: i32,
) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let (mo, m) = open_motion_of(&txn, motion_id).await?;
    for_staff(&txn, actor, m.id).await?;
    require_status(&m, &[status::LIVE])?;
    let p = meeting_participant::Entity::find_by_id(participant_id)
        .one(&txn)
        .await?
        .filter(|p| p.meeting_id == m.id)
        .ok_or(DomainError::NotFound)?;
    if p.attend.as_deref() != Some("onsite") {
        return Err(DomainError::Conflict("not_onsite"));
    }
    cast(&txn, &mo, &p, choice, Some(actor.account_id)).await?;
    audited(
        s,
        txn,
        actor,
        m.id,
        "meeting.vote.enter",
        serde_json::json!({"motion": motion_id, "participant": participant_id, "choice": choice}),
    )
    .await
}

/// A motion's tallies and, for motions, whether it carried.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub counts: Vec<u32>,
    pub cast: u32,
    pub present: u32,
    pub quorum: u32,
    pub quorum_met: bool,
    /// Motions: the first option (同意) won more than the majority share of
    /// the votes cast, with the quorum present.
    pub passed: Option<bool>,
}

/// Participants present (on site or online): what the quorum counts.
async fn present<C: ConnectionTrait>(conn: &C, meeting_id: i64) -> DomainResult<u32> {
    Ok(meeting_participant::Entity::find()
        .filter(meeting_participant::Column::MeetingId.eq(meeting_id))
        .filter(meeting_participant::Column::Attend.is_not_null())
        .count(conn)
        .await? as u32)
}

/// A motion's votes counted, with `present` participants in the room.
async fn tally<C: ConnectionTrait>(
    conn: &C,
    mo: &meeting_motion::Model,
    m: &meeting::Model,
    present: u32,
) -> DomainResult<Tally> {
    let n = serde_json::from_str::<Vec<String>>(&mo.options)
        .unwrap_or_default()
        .len();
    let mut counts = vec![0u32; n];
    let choices: Vec<i32> = meeting_vote::Entity::find()
        .select_only()
        .column(meeting_vote::Column::Choice)
        .filter(meeting_vote::Column::MotionId.eq(mo.id))
        .into_tuple()
        .all(conn)
        .await?;
    for c in &choices {
        if let Some(x) = counts.get_mut(*c as usize) {
            *x += 1;
        }
    }
    let cast = choices.len() as u32;
    let quorum = std::cmp::max(m.quorum, 0) as u32;
    let quorum_met = present >= quorum;
    // More than `majority_pct` of the votes cast; at 100 %, all of them.
    let yes = u64::from(counts.first().copied().unwrap_or(0));
    let pct = m.majority_pct.clamp(50, 100) as u64;
    let carried = if pct >= 100 {
        yes == u64::from(cast)
    } else {
        yes * 100 > u64::from(cast) * pct
    };
    let passed = (mo.kind == "motion").then_some(quorum_met && cast > 0 && carried);
    Ok(Tally {
        counts,
        cast,
        present,
        quorum,
        quorum_met,
        passed,
    })
}

/// The facilitator closes a poll or motion: its tallies are frozen.
pub async fn close_motion(s: &Services, actor: &Principal, motion_id: i64) -> DomainResult<Tally> {
    let (_gate, txn) = s.begin_write().await?;
    let (mo, m) = open_motion_of(&txn, motion_id).await?;
    for_staff(&txn, actor, m.id).await?;
    if mo.status != "open" {
        return Err(DomainError::Conflict("motion_closed"));
    }
    let t = freeze(&txn, &mo, &m).await?;
    audited(
        s,
        txn,
        actor,
        m.id,
        "meeting.motion.close",
        serde_json::json!({"motion": motion_id, "tally": t}),
    )
    .await?;
    Ok(t)
}

/// Closes a motion, then counts it: no vote can land after the count.
async fn freeze<C: ConnectionTrait>(
    conn: &C,
    mo: &meeting_motion::Model,
    m: &meeting::Model,
) -> DomainResult<Tally> {
    let closed = meeting_motion::Entity::update_many()
        .col_expr(meeting_motion::Column::Status, "closed".into())
        .col_expr(meeting_motion::Column::ClosedAt, Some(clock::now()).into())
        .filter(meeting_motion::Column::Id.eq(mo.id))
        .filter(meeting_motion::Column::Status.eq("open"))
        .exec(conn)
        .await?;
    if closed.rows_affected != 1 {
        return Err(DomainError::Conflict("motion_closed"));
    }
    let t = tally(conn, mo, m, present(conn, m.id).await?).await?;
    meeting_motion::Entity::update_many()
        .col_expr(
            meeting_motion::Column::Result,
            Some(serde_json::to_string(&t).unwrap_or_default()).into(),
        )
        .filter(meeting_motion::Column::Id.eq(mo.id))
        .exec(conn)
        .await?;
    Ok(t)
}

/// A present participant posts to the discussion; staff show or hide it.
pub async fn post_message(s: &Services, who: Who<'_>, id: i64, body: &str) -> DomainResult<i64> {
    let body = public_text(body, "body", 1, MESSAGE_MAX)?;
    let (_gate, txn) = s.begin_write().await?;
    let m = lock(&txn, id).await?;
    let p = participant(&txn, id, &who).await?;
    require_status(&m, &[status::LIVE])?;
    if p.attend.is_none() {
        return Err(DomainError::Conflict("not_present"));
    }
    let staff = matches!(who, Who::Account(a) if a.is_staff_of(Some(m.community_id)));
    let msg = meeting_message::ActiveModel {
        meeting_id: Set(id),
        participant_id: Set(p.id),
        body: Set(body),
        status: Set(if staff { "shown" } else { "pending" }.into()),
        at: Set(clock::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    changed(&txn, id).await?;
    commit(s, txn, id).await?;
    Ok(msg.id)
}

pub async fn moderate_message(
    s: &Services,
    actor: &Principal,
    message_id: i64,
    show: bool,
) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let msg = meeting_message::Entity::find_by_id(message_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    for_staff(&txn, actor, msg.meeting_id).await?;
    meeting_message::Entity::update_many()
        .col_expr(
            meeting_message::Column::Status,
            if show { "shown" } else { "hidden" }.into(),
        )
        .filter(meeting_message::Column::Id.eq(message_id))
        .exec(&txn)
        .await?;
    audited(
        s,
        txn,
        actor,
        msg.meeting_id,
        "meeting.message",
        serde_json::json!({"message": message_id, "show": show}),
    )
    .await
}

/// A present participant raises (or lowers) a hand.
pub async fn hand(s: &Services, who: Who<'_>, id: i64, raise: bool) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let m = lock(&txn, id).await?;
    let p = participant(&txn, id, &who).await?;
    require_status(&m, &[status::LIVE])?;
    if p.attend.is_none() {
        return Err(DomainError::Conflict("not_present"));
    }
    lower(&txn, id, p.id).await?;
    if raise {
        meeting_hand::ActiveModel {
            meeting_id: Set(id),
            participant_id: Set(p.id),
            raised_at: Set(clock::now()),
            lowered_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    changed(&txn, id).await?;
    commit(s, txn, id).await
}

async fn lower<C: ConnectionTrait>(conn: &C, id: i64, participant_id: i64) -> DomainResult<()> {
    meeting_hand::Entity::update_many()
        .col_expr(meeting_hand::Column::LoweredAt, Some(clock::now()).into())
        .filter(meeting_hand::Column::MeetingId.eq(id))
        .filter(meeting_hand::Column::ParticipantId.eq(participant_id))
        .filter(meeting_hand::Column::LoweredAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// The facilitator gives the floor to a raised hand (it goes down).
pub async fn call_on(
    s: &Services,
    actor: &Principal,
    id: i64,
    participant_id: i64,
) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    for_staff(&txn, actor, id).await?;
    lower(&txn, id, participant_id).await?;
    changed(&txn, id).await?;
    commit(s, txn, id).await
}

/// Staff write the minutes (until the meeting closes), and each item's
/// resolution.
pub async fn save_minutes(
    s: &Services,
    actor: &Principal,
    id: i64,
    minutes: Option<&str>,
    resolutions: Vec<(i64, String)>,
) -> DomainResult<()> {
    let minutes = match minutes {
        Some(m) if m.trim().is_empty() => Some(String::new()),
        Some(m) => Some(public_text(m, "minutes", 1, MINUTES_MAX)?),
        None => None,
    };
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::SCHEDULED, status::LIVE])?;
    let items = items_of(&txn, id).await?;
    for (item, text) in resolutions {
        if !items.iter().any(|i| i.id == item) {
            return Err(DomainError::validation("item", "invalid"));
        }
        let text = if text.trim().is_empty() {
            None
        } else {
            Some(public_text(&text, "resolution", 1, 2000)?)
        };
        meeting_item::Entity::update_many()
            .col_expr(meeting_item::Column::Resolution, text.into())
            .filter(meeting_item::Column::Id.eq(item))
            .exec(&txn)
            .await?;
    }
    if let Some(minutes) = &minutes {
        meeting::Entity::update_many()
            .col_expr(meeting::Column::Minutes, minutes.clone().into())
            .filter(meeting::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    audited(
        s,
        txn,
        actor,
        id,
        "meeting.minutes",
        serde_json::json!({"chars": minutes.map(|m| m.chars().count())}),
    )
    .await
}

/// Staff close a live meeting: open motions are closed with their
/// tallies, minutes and votes freeze, agenda items become discussed, and
/// the authors behind them are told. Audited.
pub async fn close(s: &Services, actor: &Principal, id: i64) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::LIVE])?;
    let open = meeting_motion::Entity::find()
        .filter(meeting_motion::Column::MeetingId.eq(id))
        .filter(meeting_motion::Column::Status.eq("open"))
        .all(&txn)
        .await?;
    for mo in &open {
        freeze(&txn, mo, &m).await?;
    }
    let now = clock::now();
    let done = meeting::Entity::update_many()
        .col_expr(meeting::Column::Status, status::CLOSED.into())
        .col_expr(meeting::Column::ClosedAt, Some(now).into())
        .col_expr(meeting::Column::ClosedBy, Some(actor.account_id).into())
        .filter(meeting::Column::Id.eq(id))
        .filter(meeting::Column::Status.eq(status::LIVE))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DomainError::Conflict("meeting_not_live"));
    }
    for it in items_of(&txn, id).await? {
        agenda_item::Entity::update_many()
            .col_expr(agenda_item::Column::Status, "discussed".into())
            .filter(agenda_item::Column::Id.eq(it.agenda_item_id))
            .filter(agenda_item::Column::Status.is_in(["proposed", "scheduled"]))
            .exec(&txn)
            .await?;
        if let Some(a) = agenda_item::Entity::find_by_id(it.agenda_item_id)
            .one(&txn)
            .await?
        {
            let what = it
                .resolution
                .clone()
                .unwrap_or_else(|| "已讨论，纪要已公开".into());
            tell::tell(
                s,
                &txn,
                a.topic_id,
                Step::Discussed,
                &format!("议事会已讨论议题「{}」：{what}", a.title),
                &format!("/meetings/{id}"),
            )
            .await?;
        }
    }
    audited(s, txn, actor, id, "meeting.close", serde_json::json!({"minutes_sha256": hex::encode(Sha256::digest(m.minutes.as_bytes())), "motions_closed": open.len()})).await
}

// ---- Views ----

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
    /// Live tallies while open; the frozen result once closed.
    pub tally: Tally,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub status: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandView {
    pub participant_id: i64,
    pub name: String,
    pub raised_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub id: i64,
    pub name: String,
    pub party: String,
    /// Masked unless the viewer is staff of the community.
    pub phone: Option<String>,
    pub rsvp: String,
    pub attend: Option<String>,
}

/// A meeting as its page shows it; `live` parts change while it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingView {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub summary: String,
    pub mode: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    /// China time, `2026-12-01 19:00`.
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
    /// Shown messages (all of them for staff, pending ones marked).
    pub messages: Vec<MessageView>,
    pub hands: Vec<HandView>,
    pub invited: u32,
    pub onsite: u32,
    pub online: u32,
    pub live_seq: i64,
    pub outcome_use: Option<String>,
    pub rating: crate::evaluation::RatingSummary,
    /// Staff only: the participants and the check-in code.
    pub participants: Vec<ParticipantView>,
    pub checkin_code: Option<String>,
    /// The viewer.
    pub may_manage: bool,
    pub me: Option<Me>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub participant_id: i64,
    pub rsvp: String,
    pub attend: Option<String>,
    /// Motion id → the viewer's choice.
    pub votes: Vec<(i64, i32)>,
    pub hand_raised: bool,
    pub rated: bool,
}

/// The meeting as `who` sees it (anyone may see a scheduled, live or
/// closed meeting; drafts only staff). One call gives the whole live state.
pub async fn view(s: &Services, who: Option<Who<'_>>, id: i64) -> DomainResult<MeetingView> {
    let m = find(&s.db, id).await?;
    let staff = matches!(&who, Some(Who::Account(a)) if a.is_staff_of(Some(m.community_id)));
    if m.status == status::DRAFT && !staff {
        return Err(DomainError::NotFound);
    }
    let items = items_of(&s.db, id).await?;
    let agenda: HashMap<i64, agenda_item::Model> = agenda_item::Entity::find()
        .filter(agenda_item::Column::Id.is_in(items.iter().map(|i| i.agenda_item_id)))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let people = participants_of(&s.db, id).await?;
    let here = people.iter().filter(|p| p.attend.is_some()).count() as u32;
    let names: HashMap<i64, String> = people.iter().map(|p| (p.id, p.name.clone())).collect();
    let mut motions = Vec::new();
    for mo in meeting_motion::Entity::find()
        .filter(meeting_motion::Column::MeetingId.eq(id))
        .order_by_asc(meeting_motion::Column::Id)
        .all(&s.db)
        .await?
    {
        let t = match &mo.result {
            Some(r) => serde_json::from_str(r).unwrap_or_default(),
            None => tally(&s.db, &mo, &m, here).await?,
        };
        motions.push(MotionView {
            id: mo.id,
            item_id: mo.item_id,
            text: mo.text.clone(),
            kind: mo.kind.clone(),
            options: serde_json::from_str(&mo.options).unwrap_or_default(),
            open: mo.status == "open",
            tally: t,
        });
    }
    let mut mq = meeting_message::Entity::find()
        .filter(meeting_message::Column::MeetingId.eq(id))
        .order_by_desc(meeting_message::Column::Id)
        .limit(100);
    if !staff {
        mq = mq.filter(meeting_message::Column::Status.eq("shown"));
    } else {
        mq = mq.filter(meeting_message::Column::Status.ne("hidden"));
    }
    let mut messages: Vec<MessageView> = mq
        .all(&s.db)
        .await?
        .into_iter()
        .map(|x| MessageView {
            id: x.id,
            name: names.get(&x.participant_id).cloned().unwrap_or_default(),
            body: x.body,
            status: x.status,
            at: x.at,
        })
        .collect();
    messages.reverse();
    let hands = meeting_hand::Entity::find()
        .filter(meeting_hand::Column::MeetingId.eq(id))
        .filter(meeting_hand::Column::LoweredAt.is_null())
        .order_by_asc(meeting_hand::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|h| HandView {
            participant_id: h.participant_id,
            name: names.get(&h.participant_id).cloned().unwrap_or_default(),
            raised_at: h.raised_at,
        })
        .collect();
    let me = match &who {
        Some(w) => match participant(&s.db, id, w).await {
            Ok(p) => {
                let votes: Vec<(i64, i32)> = meeting_vote::Entity::find()
                    .filter(meeting_vote::Column::ParticipantId.eq(p.id))
                    .all(&s.db)
                    .await?
                    .into_iter()
                    .map(|v| (v.motion_id, v.choice))
                    .collect();
                let hand_raised = meeting_hand::Entity::find()
                    .filter(meeting_hand::Column::ParticipantId.eq(p.id))
                    .filter(meeting_hand::Column::LoweredAt.is_null())
                    .one(&s.db)
                    .await?
                    .is_some();
                let rated = meeting_rating::Entity::find()
                    .filter(meeting_rating::Column::MeetingId.eq(id))
                    .filter(meeting_rating::Column::ParticipantId.eq(p.id))
                    .one(&s.db)
                    .await?
                    .is_some();
                Some(Me {
                    participant_id: p.id,
                    rsvp: p.rsvp.clone(),
                    attend: p.attend.clone(),
                    votes,
                    hand_raised,
                    rated,
                })
            }
            Err(_) => None,
        },
        None => None,
    };
    let scores: Vec<i32> = meeting_rating::Entity::find()
        .filter(meeting_rating::Column::MeetingId.eq(id))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|r| r.score)
        .collect();
    Ok(MeetingView {
        id,
        community_id: m.community_id,
        title: m.title.clone(),
        summary: m.summary.clone(),
        mode: m.mode.clone(),
        venue: m.venue.clone(),
        starts_at: m.starts_at,
        starts_local: china_time(m.starts_at),
        minutes_long: m.minutes_long,
        video_url: m.video_url.clone(),
        status: m.status.clone(),
        quorum: m.quorum,
        majority_pct: m.majority_pct,
        minutes: m.minutes.clone(),
        items: items
            .iter()
            .map(|i| {
                let a = agenda.get(&i.agenda_item_id);
                ItemView {
                    id: i.id,
                    agenda_item_id: i.agenda_item_id,
                    topic_id: a.map(|a| a.topic_id).unwrap_or_default(),
                    title: a.map(|a| a.title.clone()).unwrap_or_default(),
                    summary: a.map(|a| a.summary.clone()).unwrap_or_default(),
                    resolution: i.resolution.clone(),
                }
            })
            .collect(),
        current_item_id: m.current_item_id,
        motions,
        messages,
        hands,
        invited: people.len() as u32,
        onsite: people
            .iter()
            .filter(|p| p.attend.as_deref() == Some("onsite"))
            .count() as u32,
        online: people
            .iter()
            .filter(|p| p.attend.as_deref() == Some("online"))
            .count() as u32,
        live_seq: m.live_seq,
        outcome_use: m.outcome_use.clone(),
        rating: crate::evaluation::RatingSummary::of(&scores),
        participants: if staff {
            people
                .iter()
                .map(|p| ParticipantView {
                    id: p.id,
                    name: p.name.clone(),
                    party: p.party.clone(),
                    phone: p.phone.clone(),
                    rsvp: p.rsvp.clone(),
                    attend: p.attend.clone(),
                })
                .collect()
        } else {
            Vec::new()
        },
        checkin_code: staff.then(|| m.checkin_code.clone()),
        may_manage: staff,
        me,
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingCard {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub mode: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub starts_local: String,
    pub status: String,
}

/// Meetings, soonest upcoming first then the most recent (at most 100);
/// drafts only for staff of their community.
pub async fn list(
    s: &Services,
    viewer: Option<&Principal>,
    community: Option<i64>,
) -> DomainResult<Vec<MeetingCard>> {
    let mut q = meeting::Entity::find()
        .order_by_desc(meeting::Column::StartsAt)
        .limit(100);
    if let Some(c) = community {
        q = q.filter(meeting::Column::CommunityId.eq(c));
    }
    Ok(q.all(&s.db)
        .await?
        .into_iter()
        .filter(|m| {
            m.status != status::DRAFT || viewer.is_some_and(|v| v.is_staff_of(Some(m.community_id)))
        })
        .map(|m| MeetingCard {
            id: m.id,
            community_id: m.community_id,
            title: m.title,
            mode: m.mode,
            venue: m.venue,
            starts_local: china_time(m.starts_at),
            starts_at: m.starts_at,
            status: m.status,
        })
        .collect())
}

/// Meetings that took up a topic, for an opinion's path.
pub(crate) async fn of_topic<C: ConnectionTrait>(
    conn: &C,
    topic_id: i64,
) -> DomainResult<Vec<meeting::Model>> {
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
    let ids: Vec<i64> = meeting_item::Entity::find()
        .select_only()
        .column(meeting_item::Column::MeetingId)
        .filter(meeting_item::Column::AgendaItemId.is_in(items))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(meeting::Entity::find()
        .filter(meeting::Column::Id.is_in(ids))
        .filter(meeting::Column::Status.is_in([status::SCHEDULED, status::LIVE, status::CLOSED]))
        .order_by_asc(meeting::Column::StartsAt)
        .all(conn)
        .await?)
}

// ---- Evaluation of the meeting (跟踪评价, stages one and two) ----

/// A participant who was there rates a closed meeting, once.
pub async fn rate(
    s: &Services,
    who: Who<'_>,
    id: i64,
    score: i32,
    comment: &str,
) -> DomainResult<()> {
    if !(1..=5).contains(&score) {
        return Err(DomainError::validation("score", "range"));
    }
    let comment = if comment.trim().is_empty() {
        String::new()
    } else {
        public_text(comment, "comment", 1, 500)?
    };
    let (_gate, txn) = s.begin_write().await?;
    let m = lock(&txn, id).await?;
    let p = participant(&txn, id, &who).await?;
    if m.status != status::CLOSED {
        return Err(DomainError::Conflict("meeting_not_closed"));
    }
    if p.attend.is_none() {
        return Err(DomainError::Conflict("not_present"));
    }
    let written = meeting_rating::Entity::insert(meeting_rating::ActiveModel {
        meeting_id: Set(id),
        participant_id: Set(p.id),
        score: Set(score),
        comment: Set(comment),
        at: Set(clock::now()),
    })
    .on_conflict(
        OnConflict::columns([
            meeting_rating::Column::MeetingId,
            meeting_rating::Column::ParticipantId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if written == 0 {
        return Err(DomainError::Conflict("already_rated"));
    }
    changed(&txn, id).await?;
    commit(s, txn, id).await
}

/// Staff record how a closed meeting's outcomes were used (成果运用).
pub async fn record_outcome_use(
    s: &Services,
    actor: &Principal,
    id: i64,
    text: &str,
) -> DomainResult<()> {
    let text = public_text(text, "outcome_use", 2, 2000)?;
    let (_gate, txn) = s.begin_write().await?;
    let m = for_staff(&txn, actor, id).await?;
    require_status(&m, &[status::CLOSED])?;
    meeting::Entity::update_many()
        .col_expr(meeting::Column::OutcomeUse, Some(text.clone()).into())
        .col_expr(meeting::Column::OutcomeBy, Some(actor.account_id).into())
        .col_expr(meeting::Column::OutcomeAt, Some(clock::now()).into())
        .filter(meeting::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audited(
        s,
        txn,
        actor,
        id,
        "meeting.outcome_use",
        serde_json::json!({"text": text}),
    )
    .await
}
