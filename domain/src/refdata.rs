//! 参考数据 reference data: the organisation and the categories, read on
//! almost every page, changed a few times a year. Each instance keeps them
//! in memory and checks one number (`ref_version`, a primary-key read)
//! before using them; every write to them raises that number in its own
//! transaction ([`changed`]), so a read after the write's answer — in this
//! process, another instance, or after a command-line import — sees it.
use std::sync::Arc;

use sea_orm::{ConnectionTrait, Statement};

use crate::categories::CategoryInfo;
use crate::error::{DomainError, DomainResult};
use crate::org::CommunityInfo;

/// What is kept: communities in service, and every category (retired too).
#[derive(Clone)]
pub(crate) struct RefData {
    pub communities: Arc<Vec<CommunityInfo>>,
    pub categories: Arc<Vec<CategoryInfo>>,
}

#[derive(Default)]
pub(crate) struct Cache {
    held: std::sync::RwLock<Option<(i64, RefData)>>,
}

async fn version<C: ConnectionTrait>(conn: &C) -> DomainResult<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT version FROM ref_version WHERE id = 1".to_owned(),
        ))
        .await?
        .ok_or_else(|| DomainError::Internal("ref_version row missing".into()))?;
    Ok(row.try_get("", "version")?)
}

/// Row 1 (reference data) plus row 2 (public content, raised by database
/// triggers; migration 000012): both only ever go up, so their sum does too.
pub(crate) async fn page_version<C: ConnectionTrait>(conn: &C) -> DomainResult<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT CAST(SUM(version) AS BIGINT) AS version FROM ref_version WHERE id IN (1, 2)"
                .to_owned(),
        ))
        .await?
        .ok_or_else(|| DomainError::Internal("ref_version rows missing".into()))?;
    Ok(row.try_get("", "version")?)
}

/// Raises the version: call inside the transaction that changes reference data.
pub(crate) async fn changed<C: ConnectionTrait>(conn: &C) -> DomainResult<()> {
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        "UPDATE ref_version SET version = version + 1 WHERE id = 1".to_owned(),
    ))
    .await?;
    Ok(())
}

/// The reference data, from memory unless it changed since it was loaded.
pub(crate) async fn get(s: &crate::Services) -> DomainResult<RefData> {
    let now = version(&s.db).await?;
    if let Some((v, data)) = s
        .refdata
        .held
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        && *v == now
    {
        return Ok(data.clone());
    }
    let data = RefData {
        communities: Arc::new(crate::org::communities_in(&s.db).await?),
        categories: Arc::new(crate::categories::list_in(&s.db, true).await?),
    };
    *s.refdata.held.write().unwrap_or_else(|e| e.into_inner()) = Some((now, data.clone()));
    Ok(data)
}
