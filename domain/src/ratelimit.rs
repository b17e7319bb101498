//! Fixed-window rate limits on login, registration, code requests,
//! residents' posts (opinions and comments), uploads and similar-opinion
//! lookups, per client address and per account.
//!
//! Call them through [`crate::Services::hit`] / [`crate::Services::refund`]:
//! on SQLite (one process) the windows live in memory here; on PostgreSQL
//! they live in the `rate_limit` table, so several instances behind one
//! load balancer share one budget ([`hit_shared`]).
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{DomainError, DomainResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub max: u32,
    pub window: Duration,
}

impl Rule {
    pub const fn per_minutes(max: u32, minutes: u64) -> Self {
        Self {
            max,
            window: Duration::from_secs(minutes * 60),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Limits {
    pub login_per_ip: Rule,
    pub login_per_account: Rule,
    pub register_per_ip: Rule,
    pub code_per_ip: Rule,
    pub code_per_phone: Rule,
    /// Opinions and comments one resident may post (staff are not limited).
    pub post_per_account: Rule,
    /// Photo uploads (requests) per account.
    pub upload_per_account: Rule,
    /// Similar-opinion lookups per client address (each one searches).
    pub similar_per_ip: Rule,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            login_per_ip: Rule::per_minutes(30, 1),
            login_per_account: Rule::per_minutes(10, 15),
            register_per_ip: Rule::per_minutes(20, 60),
            code_per_ip: Rule::per_minutes(10, 60),
            code_per_phone: Rule::per_minutes(3, 10),
            post_per_account: Rule::per_minutes(30, 60),
            upload_per_account: Rule::per_minutes(20, 60),
            similar_per_ip: Rule::per_minutes(60, 1),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    LoginIp,
    LoginAccount,
    RegisterIp,
    CodeIp,
    CodePhone,
    PostAccount,
    UploadAccount,
    SimilarIp,
}

pub struct RateLimiter {
    limits: Limits,
    windows: Mutex<HashMap<(Bucket, String), (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn rule(&self, bucket: Bucket) -> Rule {
        match bucket {
            Bucket::LoginIp => self.limits.login_per_ip,
            Bucket::LoginAccount => self.limits.login_per_account,
            Bucket::RegisterIp => self.limits.register_per_ip,
            Bucket::CodeIp => self.limits.code_per_ip,
            Bucket::CodePhone => self.limits.code_per_phone,
            Bucket::PostAccount => self.limits.post_per_account,
            Bucket::UploadAccount => self.limits.upload_per_account,
            Bucket::SimilarIp => self.limits.similar_per_ip,
        }
    }

    /// Counts one attempt; refuses it once the window's budget is spent.
    pub fn hit(&self, bucket: Bucket, key: &str) -> DomainResult<()> {
        self.hit_at(bucket, key, Instant::now())
    }

    /// Gives back one attempt counted by [`RateLimiter::hit`] that turned
    /// out not to count (a retried request, a refused post).
    pub fn refund(&self, bucket: Bucket, key: &str) {
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = map.get_mut(&(bucket, key.to_owned())) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    fn hit_at(&self, bucket: Bucket, key: &str, now: Instant) -> DomainResult<()> {
        let rule = self.rule(bucket);
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|(b, _), (start, _)| now.duration_since(*start) < self.rule(*b).window);
        }
        let entry = map.entry((bucket, key.to_owned())).or_insert((now, 0));
        if now.duration_since(entry.0) >= rule.window {
            *entry = (now, 0);
        }
        if entry.1 >= rule.max {
            let left = rule.window.saturating_sub(now.duration_since(entry.0));
            return Err(DomainError::RateLimited {
                retry_after_secs: left.as_secs().max(1),
            });
        }
        entry.1 += 1;
        Ok(())
    }
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::LoginIp => "login_ip",
            Bucket::LoginAccount => "login_account",
            Bucket::RegisterIp => "register_ip",
            Bucket::CodeIp => "code_ip",
            Bucket::CodePhone => "code_phone",
            Bucket::PostAccount => "post_account",
            Bucket::UploadAccount => "upload_account",
            Bucket::SimilarIp => "similar_ip",
        }
    }
}

fn now_ms() -> i64 {
    crate::clock::now().timestamp_millis()
}

/// One attempt against the window shared in the database: a single upsert
/// that starts a new window when the old one has passed, else counts on.
pub(crate) async fn hit_shared<C: sea_orm::ConnectionTrait>(
    conn: &C,
    rule: Rule,
    bucket: Bucket,
    key: &str,
) -> DomainResult<()> {
    use sea_orm::{DbBackend, Statement};
    let now = now_ms();
    let window = rule.window.as_millis() as i64;
    let key: String = key.chars().take(200).collect();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO rate_limit (bucket, key, window_start, hits) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (bucket, key) DO UPDATE SET \
               hits = CASE WHEN rate_limit.window_start <= $3 - $4 THEN 1 ELSE rate_limit.hits + 1 END, \
               window_start = CASE WHEN rate_limit.window_start <= $3 - $4 THEN $3 ELSE rate_limit.window_start END \
             RETURNING hits, window_start",
            [bucket.name().into(), key.into(), now.into(), window.into()],
        ))
        .await?
        .ok_or_else(|| DomainError::Internal("rate limit upsert returned nothing".into()))?;
    let hits: i32 = row.try_get("", "hits")?;
    let start: i64 = row.try_get("", "window_start")?;
    if hits as u32 > rule.max {
        let left_ms = (start + window - now).max(1000);
        return Err(DomainError::RateLimited {
            retry_after_secs: (left_ms as u64).div_ceil(1000),
        });
    }
    Ok(())
}

/// Gives one attempt back in the shared window.
pub(crate) async fn refund_shared<C: sea_orm::ConnectionTrait>(
    conn: &C,
    bucket: Bucket,
    key: &str,
) -> DomainResult<()> {
    use sea_orm::{DbBackend, Statement};
    let key: String = key.chars().take(200).collect();
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE rate_limit SET hits = GREATEST(hits - 1, 0) WHERE bucket = $1 AND key = $2",
        [bucket.name().into(), key.into()],
    ))
    .await?;
    Ok(())
}

/// Drops shared windows older than a day (housekeeping).
pub async fn purge_shared(s: &crate::Services) -> DomainResult<u64> {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = &s.db;
    if conn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(0);
    }
    let res = conn
        .execute_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "DELETE FROM rate_limit WHERE window_start < $1",
            [(now_ms() - 24 * 3600 * 1000).into()],
        ))
        .await?;
    Ok(res.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_budget_and_resets_after_window() {
        let limits = Limits {
            login_per_ip: Rule {
                max: 2,
                window: Duration::from_secs(10),
            },
            ..Limits::default()
        };
        let rl = RateLimiter::new(limits);
        let t0 = Instant::now();
        assert!(rl.hit_at(Bucket::LoginIp, "a", t0).is_ok());
        assert!(rl.hit_at(Bucket::LoginIp, "a", t0).is_ok());
        let err = rl.hit_at(Bucket::LoginIp, "a", t0).unwrap_err();
        assert!(matches!(
            err,
            DomainError::RateLimited {
                retry_after_secs: 10
            }
        ));
        assert!(
            rl.hit_at(Bucket::LoginIp, "b", t0).is_ok(),
            "keys are separate"
        );
        assert!(
            rl.hit_at(Bucket::LoginIp, "a", t0 + Duration::from_secs(11))
                .is_ok()
        );
    }
}
