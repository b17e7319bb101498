//! 任务照片 photos of a task's progress: whoever may update the task (staff
//! of the plan's community, or its assignee) adds a photo with a short
//! note, as a line of the plan's public timeline. Each photo goes through
//! the same checks as residents' photos (`crate::photos`: type by content,
//! decoded within limits, re-encoded so no EXIF or GPS survives, three
//! sizes), counts against the uploader's hourly upload budget, and is
//! public like the plan.
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::entities::{plan_task, plan_update};
use super::{NOTE_MAX, public_text, status, task_under_lock, touch};
use crate::error::{DomainError, DomainResult};
use crate::photos::{self, Size};
use crate::{Principal, Services, audit, clock};

/// Photos one task may carry.
pub const TASK_PHOTOS_MAX: u64 = 20;

/// The kind of timeline line a photo is.
pub const PHOTO: &str = "photo";

async fn check<C: sea_orm::ConnectionTrait>(
    conn: &C,
    actor: &Principal,
    task_id: i64,
) -> DomainResult<plan_task::Model> {
    let (p, task) = task_under_lock(conn, task_id).await?;
    if !actor.is_staff_of(Some(p.community_id)) && task.assignee_id != Some(actor.account_id) {
        return Err(DomainError::Forbidden);
    }
    if p.status == status::CLOSED {
        return Err(DomainError::Conflict("plan_closed"));
    }
    let count = plan_update::Entity::find()
        .filter(plan_update::Column::TaskId.eq(task_id))
        .filter(plan_update::Column::Kind.eq(PHOTO))
        .count(conn)
        .await?;
    if count >= TASK_PHOTOS_MAX {
        return Err(DomainError::Conflict("too_many_task_photos"));
    }
    Ok(task)
}

/// Before any upload is read: `actor` may add a photo to the task now, and
/// one of their uploads is spent.
pub async fn may_add(s: &Services, actor: &Principal, task_id: i64) -> DomainResult<()> {
    check(&s.db, actor, task_id).await?;
    photos::spend_upload(s, actor).await
}

/// Adds one photo, with an optional note, to the task's timeline: the
/// files are on disk before the transaction that names them begins, and
/// removed again if it does not commit. Returns the timeline line's id.
pub async fn add(
    s: &Services,
    actor: &Principal,
    task_id: i64,
    bytes: &[u8],
    note: &str,
) -> DomainResult<i64> {
    let note = if note.trim().is_empty() {
        String::new()
    } else {
        public_text(note, "note", 1, NOTE_MAX)?
    };
    let renditions = photos::clean(bytes).await?;
    let dir = photos::dir(s);
    let file_name = photos::random_name(&format!("task{task_id}"));
    let mut written = photos::Written::default();
    let result: DomainResult<i64> = async {
        // On disk (synced) before the transaction, outside SQLite's one
        // writer; removed again if the line naming them does not commit.
        photos::store(&dir, &file_name, renditions, &mut written).await?;
        let (_gate, txn) = s.begin_write().await?;
        // Again after the (slow) re-encoding: the plan may have closed.
        let task = check(&txn, actor, task_id).await?;
        let line = plan_update::ActiveModel {
            plan_id: Set(task.plan_id),
            task_id: Set(Some(task_id)),
            kind: Set(PHOTO.to_owned()),
            body: Set(note.clone()),
            progress: Set(Some(task.progress)),
            photo: Set(Some(file_name.clone())),
            actor_id: Set(Some(actor.account_id)),
            at: Set(clock::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        touch(&txn, task.plan_id).await?;
        audit::append(
            &txn,
            Some(actor.account_id),
            "plan.task.photo",
            &format!("plan_task:{task_id}"),
            serde_json::json!({"update": line.id, "note": note}),
        )
        .await?;
        txn.commit().await?;
        Ok(line.id)
    }
    .await;
    photos::kept_if_ok(result, written)
}

/// A task photo in one of its sizes (plans are public).
pub async fn read(s: &Services, update_id: i64, size: Size) -> DomainResult<Vec<u8>> {
    let line = plan_update::Entity::find_by_id(update_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let file = line
        .photo
        .filter(|_| line.kind == PHOTO)
        .ok_or(DomainError::NotFound)?;
    photos::read_file(s, &file, size).await
}
