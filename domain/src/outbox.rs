//! 通知 notification outbox. Messages are written in the same transaction
//! as the change that causes them, then delivered by a channel adapter.
use std::io::Write;
use std::path::PathBuf;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};

use crate::entities::outbox;
use crate::error::{DomainError, DomainResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Sms,
    InApp,
    Email,
    /// A voice call: the body is the script a voice gateway reads out, the
    /// answer comes back to the risk module (`risk::dispose::voice_answer`).
    Voice,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::InApp => "in_app",
            Channel::Email => "email",
            Channel::Voice => "voice",
        }
    }
}

pub(crate) async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
) -> DomainResult<i64> {
    insert(conn, channel, recipient, subject, body, false, false).await
}

/// A message the recipient is waiting for now (the answer to something
/// they just asked for): sent even in quiet hours.
pub(crate) async fn enqueue_urgent<C: ConnectionTrait>(
    conn: &C,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
) -> DomainResult<i64> {
    insert(conn, channel, recipient, subject, body, false, true).await
}

/// Many urgent messages at once (an SLA sweep's batch): one statement per
/// 1,000 rows. `(channel, recipient, subject, body)`.
pub(crate) async fn enqueue_urgent_many<C: ConnectionTrait>(
    conn: &C,
    messages: Vec<(Channel, String, String, String)>,
) -> DomainResult<()> {
    let now = crate::clock::now();
    let mut rows = messages
        .into_iter()
        .map(|(channel, recipient, subject, body)| outbox::ActiveModel {
            sensitive: Set(false),
            urgent: Set(true),
            next_attempt_at: Set(None),
            channel: Set(channel.as_str().to_owned()),
            recipient: Set(recipient),
            subject: Set(subject),
            body: Set(body),
            status: Set("pending".to_owned()),
            attempts: Set(0),
            created_at: Set(now),
            ..Default::default()
        });
    loop {
        let chunk: Vec<_> = rows.by_ref().take(1000).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        outbox::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
}

/// A message whose body holds a personal link (a guest's meeting
/// invitation): dropped once delivered like a code, but not urgent — an
/// SMS waits for the end of quiet hours.
pub(crate) async fn enqueue_private<C: ConnectionTrait>(
    conn: &C,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
) -> DomainResult<i64> {
    insert(conn, channel, recipient, subject, body, true, false).await
}

/// What a secret message's body becomes once delivered or expired.
pub const REDACTED: &str = "（内容含验证码，已发送，不再保留）";

/// A message whose body holds a secret (a one-time code): the body is
/// replaced by [`REDACTED`] as soon as it is delivered (or gives up), and
/// by housekeeping once the code has expired, so no copy outlives delivery.
pub(crate) async fn enqueue_secret<C: ConnectionTrait>(
    conn: &C,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
) -> DomainResult<i64> {
    insert(conn, channel, recipient, subject, body, true, true).await
}

async fn insert<C: ConnectionTrait>(
    conn: &C,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
    sensitive: bool,
    urgent: bool,
) -> DomainResult<i64> {
    let row = outbox::ActiveModel {
        sensitive: Set(sensitive),
        urgent: Set(urgent),
        next_attempt_at: Set(None),
        channel: Set(channel.as_str().to_owned()),
        recipient: Set(recipient.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// A message as a channel adapter sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// The body holds a secret (a one-time code).
    pub sensitive: bool,
}

impl From<&outbox::Model> for Message {
    fn from(m: &outbox::Model) -> Self {
        Self {
            id: m.id,
            channel: m.channel.clone(),
            recipient: m.recipient.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            sensitive: m.sensitive,
        }
    }
}

/// A delivery under way: done (`Ok`) or why not (`Err`, tried again later).
pub type Delivery<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// Where a message goes: the development log, or in production an SMS
/// gateway (the server's `sms::HttpGateway`). Delivery is asynchronous, so
/// a slow gateway holds up no request thread.
pub trait Deliver: Send + Sync {
    fn deliver<'a>(&'a self, msg: &'a Message) -> Delivery<'a>;
}

/// The development channel: appends each message to a log file a tester can
/// read (`data/outbox.log`), one line per message. Secret messages (codes)
/// are written with their digits hidden unless `reveal_secrets` is set
/// (automated tests, which must read the code, set it).
pub struct LogFileChannel {
    pub path: PathBuf,
    pub reveal_secrets: bool,
}

impl Deliver for LogFileChannel {
    fn deliver<'a>(&'a self, msg: &'a Message) -> Delivery<'a> {
        Box::pin(std::future::ready(self.append(msg)))
    }
}

impl LogFileChannel {
    fn append(&self, msg: &Message) -> Result<(), String> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| e.to_string())?;
        let line = serde_json::json!({
            "id": msg.id,
            "channel": msg.channel,
            "to": msg.recipient,
            "subject": msg.subject,
            "body": if msg.sensitive && !self.reveal_secrets {
                msg.body.chars().map(|c| if c.is_ascii_digit() { '*' } else { c }).collect()
            } else {
                msg.body.clone()
            },
            "at": crate::clock::now().to_rfc3339(),
        });
        writeln!(f, "{line}").map_err(|e| e.to_string())
    }
}

/// Quiet hours for SMS that is not urgent: 22:00–07:00 China time.
pub fn quiet_until(at: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{Duration, TimeZone, Timelike};
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    let local = at.with_timezone(&china);
    let hour = local.hour();
    if (7..22).contains(&hour) {
        return None;
    }
    let day = if hour >= 22 {
        local.date_naive() + Duration::days(1)
    } else {
        local.date_naive()
    };
    let seven = day.and_hms_opt(7, 0, 0).expect("07:00 is a time");
    china
        .from_local_datetime(&seven)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// How long to wait before the next try after `attempts` failures: 30 s,
/// doubling, at most an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 30i64.saturating_mul(1 << attempts.clamp(0, 10));
    chrono::Duration::seconds(std::cmp::min(secs, 3600))
}

/// How long a claimed message may stay `sending`: if its sender stopped
/// (a crash or a restart during a gateway call), it is claimed again after
/// this, counting as one more attempt; the gateway can drop a repeat by the
/// outbox id it is given.
pub const CLAIM_TTL_SECONDS: i64 = 300;

/// How long one batch may take: the rest waits for the next tick (the
/// outbox lease lasts 30 s, and a slow gateway must not hold up the codes
/// and notices behind it for longer).
const BATCH_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Delivers up to `batch` pending messages whose time has come. Each is
/// claimed with a guarded update first, so two server instances never send
/// the same message. A failure is tried again after [`backoff`], five
/// times in all; SMS that is not urgent waits for the end of quiet hours.
pub(crate) async fn deliver_pending_in<C: ConnectionTrait>(
    conn: &C,
    channel: &dyn Deliver,
    batch: u64,
) -> DomainResult<usize> {
    deliver_pending_at(conn, channel, batch, crate::clock::now()).await
}

/// [`deliver_pending_in`] as if the batch started at `start`: each message's
/// own time is `start` plus the time the batch has taken so far, so a slow
/// gateway does not put retries or quiet hours in the past.
pub(crate) async fn deliver_pending_at<C: ConnectionTrait>(
    conn: &C,
    channel: &dyn Deliver,
    batch: u64,
    start: chrono::DateTime<chrono::Utc>,
) -> DomainResult<usize> {
    let began = std::time::Instant::now();
    let now = || {
        start
            + chrono::Duration::from_std(began.elapsed())
                .unwrap_or_else(|_| chrono::Duration::zero())
    };
    // Pending and due, or claimed by a sender that never finished.
    let due = |at: chrono::DateTime<chrono::Utc>| {
        sea_orm::Condition::any()
            .add(
                sea_orm::Condition::all()
                    .add(outbox::Column::Status.eq("pending"))
                    .add(
                        sea_orm::Condition::any()
                            .add(outbox::Column::NextAttemptAt.is_null())
                            .add(outbox::Column::NextAttemptAt.lte(at)),
                    ),
            )
            .add(
                sea_orm::Condition::all()
                    .add(outbox::Column::Status.eq("sending"))
                    .add(outbox::Column::NextAttemptAt.lte(at)),
            )
    };
    let pending = outbox::Entity::find()
        .filter(due(start))
        .order_by_asc(outbox::Column::Id)
        .limit(batch)
        .all(conn)
        .await?;
    let mut sent = 0;
    for msg in pending {
        if began.elapsed() > BATCH_BUDGET {
            break;
        }
        let at = now();
        if (msg.channel == Channel::Sms.as_str() || msg.channel == Channel::Voice.as_str())
            && !msg.urgent
            && msg.status == "pending"
            && let Some(until) = quiet_until(at)
        {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::NextAttemptAt, Expr::value(Some(until)))
                .filter(outbox::Column::Id.eq(msg.id))
                .filter(outbox::Column::Status.eq("pending"))
                .exec(conn)
                .await?;
            continue;
        }
        // Claimed for CLAIM_TTL_SECONDS; the guard makes one claimant win.
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("sending"))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .col_expr(
                outbox::Column::NextAttemptAt,
                Expr::value(Some(at + chrono::Duration::seconds(CLAIM_TTL_SECONDS))),
            )
            .filter(outbox::Column::Id.eq(msg.id))
            .filter(outbox::Column::Status.eq(msg.status.as_str()))
            .filter(outbox::Column::Attempts.eq(msg.attempts))
            .filter(due(at))
            .exec(conn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let (status, error) = match channel.deliver(&Message::from(&msg)).await {
            Ok(()) => ("sent", None),
            Err(e) if msg.attempts + 1 >= 5 => ("failed", Some(e)),
            Err(e) => ("pending", Some(e)),
        };
        if let Some(e) = &error {
            tracing::warn!(id = msg.id, error = %e, "outbox delivery failed");
        } else {
            sent += 1;
        }
        let retry_at = (status == "pending").then(|| now() + backoff(msg.attempts));
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(status))
            .col_expr(outbox::Column::LastError, Expr::value(error))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(retry_at))
            .col_expr(
                outbox::Column::SentAt,
                Expr::value((status == "sent").then(crate::clock::now)),
            )
            .col_expr(
                outbox::Column::Body,
                Expr::value(if msg.sensitive && status != "pending" {
                    REDACTED.to_owned()
                } else {
                    msg.body.clone()
                }),
            )
            .filter(outbox::Column::Id.eq(msg.id))
            .exec(conn)
            .await
            .map_err(DomainError::from)?;
    }
    Ok(sent)
}

/// Drops the text of secret messages older than `max_age` that are still
/// undelivered (their code has expired). Returns how many.
pub(crate) async fn redact_stale_secrets_in<C: ConnectionTrait>(
    conn: &C,
    max_age: chrono::Duration,
) -> DomainResult<u64> {
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::Body, Expr::value(REDACTED))
        // Still undelivered when its code expired: never send it any more.
        .col_expr(
            outbox::Column::Status,
            Expr::cust("CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END"),
        )
        .filter(outbox::Column::Sensitive.eq(true))
        .filter(outbox::Column::Body.ne(REDACTED))
        .filter(outbox::Column::CreatedAt.lt(crate::clock::now() - max_age))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Delivers up to `batch` pending messages (see [`deliver_pending_in`]).
pub async fn deliver_pending(
    s: &crate::Services,
    channel: &dyn Deliver,
    batch: u64,
) -> DomainResult<usize> {
    deliver_pending_in(&s.db, channel, batch).await
}

/// See [`redact_stale_secrets_in`].
pub async fn redact_stale_secrets(
    s: &crate::Services,
    max_age: chrono::Duration,
) -> DomainResult<u64> {
    redact_stale_secrets_in(&s.db, max_age).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn china(s: &str) -> chrono::DateTime<chrono::Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .from_local_datetime(&naive)
            .single()
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn e_mail_addresses_are_checked_as_people_type_them() {
        for (given, kept) in [
            ("  wang.fang@Example.COM ", Some("wang.fang@example.com")),
            ("a+notices@mail.hz.gov.cn", Some("a+notices@mail.hz.gov.cn")),
            ("", None),
            ("   ", None),
        ] {
            assert_eq!(email_address(given).unwrap().as_deref(), kept, "{given}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "no-at-sign",
            "two@@example.com",
            "a@b@example.com",
            "@example.com",
            "name@",
            "name@localhost",
            "name@example.",
            "name@-example.com",
            "name@example..com",
            ".name@example.com",
            "na..me@example.com",
            "name with space@example.com",
            "name@example.com\r\nBcc: x@evil.example",
            "name@example.com\nX: y",
            "\"quoted\"@example.com",
            "name@[127.0.0.1]",
            "name@127.0.0.1",
            "名字@example.com",
            "li@例子.中国",
            "li@ｅｘａｍｐｌｅ.com",
            long.as_str(),
        ] {
            assert!(email_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quiet_hours_run_from_ten_at_night_to_seven_in_the_morning_china_time() {
        assert_eq!(quiet_until(china("2026-11-29 21:59")), None);
        assert_eq!(
            quiet_until(china("2026-11-29 22:00")),
            Some(china("2026-11-30 07:00"))
        );
        assert_eq!(
            quiet_until(china("2026-11-30 03:10")),
            Some(china("2026-11-30 07:00"))
        );
        assert_eq!(quiet_until(china("2026-11-30 07:00")), None);
    }

    #[test]
    fn retries_back_off_to_at_most_an_hour() {
        assert_eq!(backoff(0), chrono::Duration::seconds(30));
        assert_eq!(backoff(1), chrono::Duration::seconds(60));
        assert_eq!(backoff(3), chrono::Duration::seconds(240));
        assert_eq!(backoff(9), chrono::Duration::hours(1));
        assert_eq!(backoff(i32::MAX), chrono::Duration::hours(1));
    }
}

/// A message in someone's in-app inbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InboxItem {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The actor's in-app messages, newest first (at most 50).
pub async fn inbox(s: &crate::Services, actor: &crate::Principal) -> DomainResult<Vec<InboxItem>> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Channel.eq(Channel::InApp.as_str()))
        .filter(outbox::Column::Recipient.eq(actor.account_id.to_string()))
        .order_by_desc(outbox::Column::Id)
        .limit(50)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|m| InboxItem {
            id: m.id,
            subject: m.subject,
            body: m.body,
            at: m.created_at,
        })
        .collect())
}

/// How notices reach a person besides the app: by SMS to their phone, by
/// e-mail to an address they gave and confirmed (`pending`: given, its
/// confirmation link sent, not opened yet).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Preferences {
    pub sms: bool,
    pub email: Option<String>,
    pub email_on: bool,
    pub pending: Option<String>,
}

/// How long an e-mail confirmation link works.
pub const EMAIL_CONFIRM_HOURS: i64 = 24;
/// Least time between two confirmation mails of one account.
pub const EMAIL_CONFIRM_GAP_SECONDS: i64 = 60;

/// The actor's own choices.
pub async fn preferences(
    s: &crate::Services,
    actor: &crate::Principal,
) -> DomainResult<Preferences> {
    Ok(
        crate::entities::account::Entity::find_by_id(actor.account_id)
            .one(&s.db)
            .await?
            .map(|a| Preferences {
                sms: a.notify_sms,
                email: a.email,
                email_on: a.notify_email,
                pending: a.email_pending,
            })
            .unwrap_or_default(),
    )
}

/// An e-mail address as a person types it: trimmed, at most 254
/// characters, one `@`, a plain local part and a domain of at least two
/// ASCII labels (a mail server without SMTPUTF8 refuses any other); the
/// domain is kept in lower case. Empty: none. Anything else — spaces, line breaks (header
/// injection), quotes, comments, IP literals — is refused.
pub fn email_address(given: &str) -> DomainResult<Option<String>> {
    let bad = || DomainError::validation("email", "invalid");
    let t = given.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > 254 {
        return Err(DomainError::validation("email", "too_long"));
    }
    let (local, domain) = t.split_once('@').ok_or_else(bad)?;
    const LOCAL_SPECIAL: &str = ".!#$%&'*+/=?^_`{|}~-";
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIAL.contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().count() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c == '-' || c.is_ascii_alphanumeric())
        })
        // A top-level label of digits only is an address, not a name.
        && !labels
            .last()
            .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()));
    if !local_ok || !domain_ok {
        return Err(bad());
    }
    Ok(Some(format!("{local}@{}", domain.to_lowercase())))
}

/// People choose how notices reach them: SMS on or off; e-mail on or off
/// with the address to use (required when on). A new address is used once
/// its owner opens the link sent to it ([`confirm_email`]): nobody can
/// have notices sent to somebody else's mailbox. One confirmation mail a
/// minute at most. Audited without the address (the log keeps whether one
/// was given and whether a link went out).
pub async fn set_preferences(
    s: &crate::Services,
    actor: &crate::Principal,
    sms: bool,
    email: &str,
    email_on: bool,
) -> DomainResult<Preferences> {
    use crate::entities::account;
    use crate::secrets::{new_token, token_hash};
    let given = email_address(email)?;
    if email_on && given.is_none() {
        return Err(DomainError::validation("email", "required"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let acc = account::Entity::find_by_id(actor.account_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let now = crate::clock::now();
    let since_sent = acc.email_token_at.map(|at| (now - at).num_seconds());
    let recent = since_sent.is_some_and(|n| n < EMAIL_CONFIRM_GAP_SECONDS);
    let mut am: account::ActiveModel = acc.clone().into();
    am.notify_sms = Set(sms);
    am.notify_email = Set(email_on);
    let mut send: Option<(String, String)> = None;
    match &given {
        None => {
            am.email = Set(None);
            am.email_pending = Set(None);
            am.email_token = Set(None);
            am.email_token_at = Set(None);
        }
        // The confirmed address: nothing waits any more.
        Some(a) if acc.email.as_deref() == Some(a.as_str()) => {
            am.email_pending = Set(None);
            am.email_token = Set(None);
        }
        // Waiting already, its link just sent.
        Some(a) if acc.email_pending.as_deref() == Some(a.as_str()) && recent => {}
        Some(_) if recent => {
            return Err(DomainError::RateLimited {
                retry_after_secs: Ord::max(EMAIL_CONFIRM_GAP_SECONDS - since_sent.unwrap_or(0), 1)
                    as u64,
            });
        }
        Some(a) => {
            let token = new_token();
            am.email_pending = Set(Some(a.clone()));
            am.email_token = Set(Some(token_hash(&token)));
            am.email_token_at = Set(Some(now));
            send = Some((a.clone(), token));
        }
    }
    let saved = am.update(&txn).await?;
    if let Some((address, token)) = &send {
        let link = s.link(&format!("/email/confirm?t={token}"));
        enqueue_private(
            &txn,
            Channel::Email,
            address,
            "请确认您的电子邮箱",
            &format!(
                "您在红茶议事会填写了这个电子邮箱，用来接收通知。请在 {EMAIL_CONFIRM_HOURS} 小时内打开下面的链接确认；如果不是您本人填写的，请忽略这封邮件。{link}"
            ),
        )
        .await?;
    }
    crate::audit::append(
        &txn,
        Some(actor.account_id),
        "account.notify",
        &format!("account:{}", actor.account_id),
        serde_json::json!({
            "sms": sms,
            // Whether an address was given, never the address.
            "email_given": given.is_some(),
            "email_on": email_on,
            "confirmation_sent": send.is_some(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(Preferences {
        sms: saved.notify_sms,
        email: saved.email,
        email_on: saved.notify_email,
        pending: saved.email_pending,
    })
}

/// The owner of an address opened its confirmation link: notices go there
/// from now on. A link works once, for [`EMAIL_CONFIRM_HOURS`]; anything
/// else is refused without saying whose it was.
pub async fn confirm_email(s: &crate::Services, token: &str) -> DomainResult<()> {
    use crate::entities::account;
    use crate::secrets::token_hash;
    let token = token.trim();
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DomainError::validation("token", "invalid"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let acc = account::Entity::find()
        .filter(account::Column::EmailToken.eq(token_hash(&token.to_ascii_lowercase())))
        .one(&txn)
        .await?
        .ok_or(DomainError::validation("token", "invalid"))?;
    let fresh = acc
        .email_token_at
        .is_some_and(|at| crate::clock::now() - at < chrono::Duration::hours(EMAIL_CONFIRM_HOURS));
    let Some(address) = acc.email_pending.clone().filter(|_| fresh) else {
        return Err(DomainError::validation("token", "expired"));
    };
    let id = acc.id;
    let mut am: account::ActiveModel = acc.into();
    am.email = Set(Some(address));
    am.email_pending = Set(None);
    am.email_token = Set(None);
    am.email_token_at = Set(None);
    am.update(&txn).await?;
    crate::audit::append(
        &txn,
        Some(id),
        "account.email_confirmed",
        &format!("account:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A notice to an account on the channels it chose: in the app always
/// (`in_app` text, with a link inside the app), and by SMS and e-mail
/// (`outside` text, with full links) when it asked for them. A disabled
/// account gets nothing outside the app.
pub(crate) async fn to_account<C: ConnectionTrait>(
    conn: &C,
    account: &crate::entities::account::Model,
    subject: &str,
    in_app: &str,
    outside: &str,
) -> DomainResult<()> {
    enqueue(
        conn,
        Channel::InApp,
        &account.id.to_string(),
        subject,
        in_app,
    )
    .await?;
    if account.disabled {
        return Ok(());
    }
    if account.notify_sms {
        enqueue(conn, Channel::Sms, &account.phone, subject, outside).await?;
    }
    if let (true, Some(email)) = (account.notify_email, &account.email) {
        enqueue(conn, Channel::Email, email, subject, outside).await?;
    }
    Ok(())
}
