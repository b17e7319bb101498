//! Fixed-window rate limits on login, registration, code requests and
//! residents' posts (opinions and comments), per client address and per
//! account. In memory, per server instance.
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

    fn rule(&self, bucket: Bucket) -> Rule {
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
