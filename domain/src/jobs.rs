//! Job leases: a background job runs only while its instance holds the
//! lease row, so several instances on one database run each job once.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Condition, Expr},
};

use crate::entities::job_lease;
use crate::error::DomainResult;

/// Takes or renews the lease `name` for `holder` until now + `ttl`.
/// Returns false if another holder's lease is still live.
pub async fn try_lease<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    holder: &str,
    ttl: chrono::Duration,
) -> DomainResult<bool> {
    let now = crate::clock::now();
    let updated = job_lease::Entity::update_many()
        .col_expr(job_lease::Column::Holder, Expr::value(holder))
        .col_expr(job_lease::Column::ExpiresAt, Expr::value(now + ttl))
        .filter(job_lease::Column::Name.eq(name))
        .filter(
            Condition::any()
                .add(job_lease::Column::Holder.eq(holder))
                .add(job_lease::Column::ExpiresAt.lt(now)),
        )
        .exec(conn)
        .await?;
    if updated.rows_affected == 1 {
        return Ok(true);
    }
    let inserted = job_lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(now + ttl),
    }
    .insert(conn)
    .await;
    Ok(inserted.is_ok())
}

/// Gives a lease back early (its holder finished).
pub async fn release<C: ConnectionTrait>(conn: &C, name: &str, holder: &str) -> DomainResult<()> {
    job_lease::Entity::delete_many()
        .filter(job_lease::Column::Name.eq(name))
        .filter(job_lease::Column::Holder.eq(holder))
        .exec(conn)
        .await?;
    Ok(())
}
