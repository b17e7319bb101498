//! 诉求附件: photos and PDF documents on an enterprise's request (a lease
//! contract, a form, a photo of the problem). The enterprise's accounts and
//! the staff who answer it add them while the request is not closed, at
//! most [`MAX_FILES`] a request, each spending one of the uploader's hourly
//! uploads. What a file is comes from its bytes, never its name:
//! - JPEG, PNG and WebP go through the checks every photo goes through
//!   (`crate::photos`: decoded within limits, re-encoded, no EXIF or GPS,
//!   three sizes);
//! - a PDF must start `%PDF-1.`/`%PDF-2.`, end with `%%EOF` and hold at most
//!   [`MAX_PDF_BYTES`]; it is kept as sent and only ever served as a
//!   download (never shown inline in the site's origin);
//! - anything else is refused.
//!
//! The name a file was sent with is cut to its last path part, stripped of
//! control characters, shortened and masked (a file called after a phone
//! number shows it masked). Files are shown to those who may see the
//! request; anyone else gets "not found".
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::entities::{ent_attachment, ent_member, ent_request};
use crate::error::{DomainError, DomainResult};
use crate::photos::{self, Size};
use crate::{Principal, Services, audit, clock};

/// Files one request may carry.
pub const MAX_FILES: u64 = 5;
/// The largest PDF kept.
pub const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;
/// Characters kept of a file's name.
const NAME_MAX: usize = 60;

/// A file on a request, as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttachmentView {
    pub id: i64,
    /// `photo` or `pdf`.
    pub kind: String,
    pub name: String,
    pub size: i64,
}

/// What the bytes are: a photo, a PDF, or neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Photo,
    Pdf,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Photo => "photo",
            Kind::Pdf => "pdf",
        }
    }
}

/// A PDF by its bytes: the header, and the end-of-file marker within the
/// last kilobyte (where a whole file puts it).
fn is_pdf(b: &[u8]) -> bool {
    let header = b.starts_with(b"%PDF-1.") || b.starts_with(b"%PDF-2.");
    let tail = &b[b.len().saturating_sub(1024)..];
    header && tail.windows(5).any(|w| w == b"%%EOF")
}

/// What an upload is, by its bytes (its name plays no part).
pub fn sniff(b: &[u8]) -> Option<Kind> {
    if photos::sniff(b).is_some() {
        Some(Kind::Photo)
    } else if is_pdf(b) {
        Some(Kind::Pdf)
    } else {
        None
    }
}

/// The name shown for a file: its last path part, without control or
/// quoting characters, at most [`NAME_MAX`] characters, masked; `附件` when
/// nothing is left.
pub fn display_name(sent: &str, kind: Kind) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '`'))
        .collect();
    let clean = clean.trim();
    let mut name: String = clean.chars().take(NAME_MAX).collect();
    if name.is_empty() {
        name = "附件".to_owned();
    }
    let name = nlp::mask(&name);
    // A PDF keeps a name its reader's system opens as one.
    if kind == Kind::Pdf && !name.to_ascii_lowercase().ends_with(".pdf") {
        format!("{name}.pdf")
    } else {
        name
    }
}

/// The request, for the accounts of its enterprise and the staff who reach
/// it; for anyone else "not found".
pub(crate) async fn seen_by(
    s: &Services,
    actor: &Principal,
    request_id: i64,
) -> DomainResult<ent_request::Model> {
    let r = ent_request::Entity::find_by_id(request_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let own = ent_member::Entity::find()
        .filter(ent_member::Column::AccountId.eq(actor.account_id))
        .one(&s.db)
        .await?
        .is_some_and(|m| m.enterprise_id == r.enterprise_id);
    if own {
        return Ok(r);
    }
    match super::requests::staff_request(s, actor, request_id).await {
        Ok(r) => Ok(r),
        Err(DomainError::Forbidden) => Err(DomainError::NotFound),
        Err(e) => Err(e),
    }
}

async fn check<C: ConnectionTrait>(
    s: &Services,
    conn: &C,
    actor: &Principal,
    request_id: i64,
) -> DomainResult<()> {
    seen_by(s, actor, request_id).await?;
    // Read again on `conn` (the writing transaction, when there is one),
    // the row locked on PostgreSQL: two uploads at once count one after
    // the other, and the request cannot close between count and insert.
    // (SQLite's writers already run one at a time.)
    let r = ent_request::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if r.state == "closed" {
        return Err(DomainError::Conflict("request_closed"));
    }
    let count = ent_attachment::Entity::find()
        .filter(ent_attachment::Column::RequestId.eq(request_id))
        .count(conn)
        .await?;
    if count >= MAX_FILES {
        return Err(DomainError::Conflict("too_many_attachments"));
    }
    Ok(())
}

/// Before any upload is read: `actor` may add a file to the request now,
/// and one of their uploads is spent.
pub async fn may_add(s: &Services, actor: &Principal, request_id: i64) -> DomainResult<()> {
    check(s, &s.db, actor, request_id).await?;
    photos::spend_upload(s, actor).await
}

/// Adds one file sent as `sent_name` to the request: checked by its bytes,
/// written to disk before the transaction that names it begins (outside
/// SQLite's one writer), and removed again if it does not commit. Audited.
/// Returns its id.
pub async fn add(
    s: &Services,
    actor: &Principal,
    request_id: i64,
    sent_name: &str,
    bytes: &[u8],
) -> DomainResult<i64> {
    if bytes.is_empty() {
        return Err(DomainError::validation("file", "empty"));
    }
    let kind = sniff(bytes).ok_or(DomainError::validation("file", "invalid_type"))?;
    let name = display_name(sent_name, kind);
    let mut written = photos::Written::default();
    let result: DomainResult<i64> = async {
        // The (slow) photo re-encoding happens before the transaction.
        let (file, content) = match kind {
            Kind::Photo => (
                photos::random_name(&format!("req{request_id}")),
                Some(photos::clean(bytes).await?),
            ),
            Kind::Pdf => {
                if bytes.len() > MAX_PDF_BYTES {
                    return Err(DomainError::validation("file", "pdf_too_large"));
                }
                let jpg = photos::random_name(&format!("req{request_id}"));
                (jpg.replace(".jpg", ".pdf"), None)
            }
        };
        // On disk (synced) before the transaction: a 10 MB sync must not
        // hold SQLite's one writer. Removed again if the row does not commit.
        let size = match content {
            Some(renditions) => {
                photos::store(&photos::dir(s), &file, renditions, &mut written).await?
            }
            None => {
                let dir = dir(s);
                let path = dir.join(&file);
                written.push(path.clone());
                photos::write_synced(dir, path, bytes.to_vec()).await?;
                bytes.len() as i64
            }
        };
        let (_gate, txn) = s.begin_write().await?;
        check(s, &txn, actor, request_id).await?;
        let row = ent_attachment::ActiveModel {
            request_id: sea_orm::Set(request_id),
            account_id: sea_orm::Set(actor.account_id),
            kind: sea_orm::Set(kind.as_str().to_owned()),
            file: sea_orm::Set(file.clone()),
            name: sea_orm::Set(name.clone()),
            size: sea_orm::Set(size),
            created_at: sea_orm::Set(clock::now()),
            ..Default::default()
        };
        let id = ent_attachment::Entity::insert(row)
            .exec(&txn)
            .await?
            .last_insert_id;
        audit::append(
            &txn,
            Some(actor.account_id),
            "enterprise.request.attach",
            &format!("ent_request:{request_id}"),
            serde_json::json!({"attachment": id, "kind": kind.as_str(), "name": name, "size": size}),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }
    .await;
    photos::kept_if_ok(result, written)
}

/// Where PDFs are kept.
fn dir(s: &Services) -> std::path::PathBuf {
    s.settings.data_dir.join("attachments")
}

/// A file to send: its bytes, content type and the name to save it as.
#[derive(Debug)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub name: String,
    /// A PDF: always a download, never shown in the page.
    pub attachment: bool,
}

/// One file (a photo in one of its sizes), for whoever may see its request.
pub async fn read(
    s: &Services,
    viewer: Option<&Principal>,
    id: i64,
    size: Size,
) -> DomainResult<Download> {
    let viewer = viewer.ok_or(DomainError::NotFound)?;
    let a = ent_attachment::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    seen_by(s, viewer, a.request_id).await?;
    if a.kind == "pdf" {
        let bytes = tokio::fs::read(dir(s).join(&a.file))
            .await
            .map_err(|e| DomainError::Internal(format!("attachment read: {e}")))?;
        return Ok(Download {
            bytes,
            content_type: "application/pdf",
            name: a.name,
            attachment: true,
        });
    }
    Ok(Download {
        bytes: photos::read_file(s, &a.file, size).await?,
        content_type: "image/jpeg",
        name: a.name,
        attachment: false,
    })
}

/// The files of each of `requests` (one query), oldest first.
pub(crate) async fn of_requests<C: ConnectionTrait>(
    conn: &C,
    requests: &[i64],
) -> DomainResult<HashMap<i64, Vec<AttachmentView>>> {
    let mut out: HashMap<i64, Vec<AttachmentView>> = HashMap::new();
    if requests.is_empty() {
        return Ok(out);
    }
    for a in ent_attachment::Entity::find()
        .filter(ent_attachment::Column::RequestId.is_in(requests.to_vec()))
        .order_by_asc(ent_attachment::Column::Id)
        .all(conn)
        .await?
    {
        out.entry(a.request_id).or_default().push(AttachmentView {
            id: a.id,
            kind: a.kind,
            name: a.name,
            size: a.size,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_what_their_bytes_say() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
        assert_eq!(sniff(&pdf), Some(Kind::Pdf));
        assert_eq!(sniff(b"%PDF-2.0\n%%EOF"), Some(Kind::Pdf));
        // A header and no end: a cut-off upload, refused.
        assert_eq!(sniff(b"%PDF-1.4\n1 0 obj"), None);
        // An end and no header, HTML, a script, an executable: refused.
        assert_eq!(sniff(b"<html>%%EOF"), None);
        assert_eq!(sniff(b"<script>alert(1)</script>%PDF-1.4 %%EOF"), None);
        assert_eq!(sniff(b"MZ\x90\x00%%EOF"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Kind::Photo));
    }

    #[test]
    fn sent_names_are_cut_cleaned_and_masked() {
        assert_eq!(
            display_name("C:\\合同\\租赁合同.pdf", Kind::Pdf),
            "租赁合同.pdf"
        );
        assert_eq!(display_name("../../etc/passwd", Kind::Pdf), "passwd.pdf");
        assert_eq!(display_name("a\"<b>\n.pdf", Kind::Pdf), "ab.pdf");
        assert_eq!(display_name("", Kind::Photo), "附件");
        let masked = display_name("联系人13812345678.pdf", Kind::Pdf);
        assert!(!masked.contains("13812345678"), "{masked}");
        assert!(display_name(&"长".repeat(500), Kind::Photo).chars().count() <= NAME_MAX);
    }
}
