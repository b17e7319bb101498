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
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::InApp => "in_app",
            Channel::Email => "email",
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
    insert(conn, channel, recipient, subject, body, false).await
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
    insert(conn, channel, recipient, subject, body, true).await
}

async fn insert<C: ConnectionTrait>(
    conn: &C,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
    sensitive: bool,
) -> DomainResult<i64> {
    let row = outbox::ActiveModel {
        sensitive: Set(sensitive),
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

/// Where a message goes. Production adapters speak to an SMS gateway or SMTP.
pub trait Deliver: Send + Sync {
    fn deliver(&self, msg: &Message) -> Result<(), String>;
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
    fn deliver(&self, msg: &Message) -> Result<(), String> {
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

/// Delivers up to `batch` pending messages. Each is claimed with a guarded
/// update first, so two server instances never send the same message.
pub(crate) async fn deliver_pending_in<C: ConnectionTrait>(
    conn: &C,
    channel: &dyn Deliver,
    batch: u64,
) -> DomainResult<usize> {
    let pending = outbox::Entity::find()
        .filter(outbox::Column::Status.eq("pending"))
        .order_by_asc(outbox::Column::Id)
        .limit(batch)
        .all(conn)
        .await?;
    let mut sent = 0;
    for msg in pending {
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("sending"))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .filter(outbox::Column::Id.eq(msg.id))
            .filter(outbox::Column::Status.eq("pending"))
            .exec(conn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let (status, error) = match channel.deliver(&Message::from(&msg)) {
            Ok(()) => ("sent", None),
            Err(e) if msg.attempts + 1 >= 5 => ("failed", Some(e)),
            Err(e) => ("pending", Some(e)),
        };
        if let Some(e) = &error {
            tracing::warn!(id = msg.id, error = %e, "outbox delivery failed");
        } else {
            sent += 1;
        }
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(status))
            .col_expr(outbox::Column::LastError, Expr::value(error))
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
            Expr::cust("CASE WHEN status = 'pending' THEN 'failed' ELSE status END"),
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
