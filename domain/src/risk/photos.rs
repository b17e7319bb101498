//! 到场照片 a photo of the scene on a risk case: whoever works on the case
//! (the same people who sign and handle it) adds one with an optional note,
//! as a `photo` step. The photo goes through the checks every photo goes
//! through (`crate::photos`: type by content, decoded within limits,
//! re-encoded so no EXIF or GPS survives, three sizes), counts against the
//! uploader's hourly upload budget, and is shown only to those who may see
//! the case — never public.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::entities::{risk_step, risk_warning};
use crate::error::{DomainError, DomainResult};
use crate::photos::{self, Size};
use crate::{Principal, Services, audit, clock};

/// Photos one case may carry.
pub const CASE_PHOTOS_MAX: u64 = 12;

async fn check<C: sea_orm::ConnectionTrait>(
    s: &Services,
    conn: &C,
    actor: &Principal,
    warning_id: i64,
) -> DomainResult<risk_warning::Model> {
    let models = super::models(s).await?;
    let w = risk_warning::Entity::find_by_id(warning_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !super::dispose::may_work_on(conn, actor, &w, &models).await? {
        return Err(DomainError::NotFound);
    }
    if w.state != "open" {
        return Err(DomainError::Conflict("warning_closed"));
    }
    let count = risk_step::Entity::find()
        .filter(risk_step::Column::WarningId.eq(warning_id))
        .filter(risk_step::Column::Kind.eq("photo"))
        .count(conn)
        .await?;
    if count >= CASE_PHOTOS_MAX {
        return Err(DomainError::Conflict("too_many_case_photos"));
    }
    Ok(w)
}

/// Before any upload is read: `actor` may add a photo to the case now, and
/// one of their uploads is spent.
pub async fn may_add(s: &Services, actor: &Principal, warning_id: i64) -> DomainResult<()> {
    check(s, &s.db, actor, warning_id).await?;
    photos::spend_upload(s, actor).await
}

/// Adds one photo with an optional note (masked) to the case's steps: the
/// files are on disk before the transaction that names them begins, and
/// removed again if it does not commit. Returns the step's id.
pub async fn add(
    s: &Services,
    actor: &Principal,
    warning_id: i64,
    bytes: &[u8],
    note: &str,
) -> DomainResult<i64> {
    let note = crate::opinions::clean(note, "note", 0, super::dispose::NOTE_MAX)?;
    let note = nlp::mask(&note);
    let renditions = photos::clean(bytes).await?;
    let dir = photos::dir(s);
    let file_name = photos::random_name(&format!("risk{warning_id}"));
    let mut written = photos::Written::default();
    let result: DomainResult<i64> = async {
        // On disk (synced) before the transaction, outside SQLite's one
        // writer; removed again if the line naming them does not commit.
        photos::store(&dir, &file_name, renditions, &mut written).await?;
        let (_gate, txn) = s.begin_write().await?;
        // Again after the (slow) re-encoding: the case may have closed.
        check(s, &txn, actor, warning_id).await?;
        let id = super::dispose::step_with_photo(
            &txn,
            warning_id,
            (!note.is_empty()).then(|| note.clone()),
            Some(actor.account_id),
            &file_name,
            clock::now(),
        )
        .await?;
        audit::append(
            &txn,
            Some(actor.account_id),
            "risk.photo",
            &format!("risk_warning:{warning_id}"),
            serde_json::json!({"step": id, "note": note}),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }
    .await;
    photos::kept_if_ok(result, written)
}

/// A case photo in one of its sizes, for whoever may see the case (anyone
/// else: not found).
pub async fn read(
    s: &Services,
    viewer: Option<&Principal>,
    step_id: i64,
    size: Size,
) -> DomainResult<Vec<u8>> {
    let viewer = viewer.ok_or(DomainError::NotFound)?;
    let st = risk_step::Entity::find_by_id(step_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let file = st
        .photo
        .filter(|_| st.kind == "photo")
        .ok_or(DomainError::NotFound)?;
    let models = super::models(s).await?;
    let w = risk_warning::Entity::find_by_id(st.warning_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !super::dispose::may_work_on(&s.db, viewer, &w, &models).await? {
        return Err(DomainError::NotFound);
    }
    photos::read_file(s, &file, size).await
}
