//! One typed configuration: defaults that run, then an optional TOML file
//! (`hongcha.toml`, or the path in `HONGCHA_CONFIG`), then `HONGCHA_*`
//! environment variables.
use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://data/hongcha.db` (default) or `postgres://…`.
    pub database_url: String,
    /// Address to listen on.
    pub bind: String,
    /// Where the built site (`pkg/`) lives.
    pub site_root: String,
    /// Directory for the database, uploads and the development outbox log.
    pub data_dir: PathBuf,
    /// The site's public origin, e.g. `https://hongcha.example.org`; when
    /// unset, the request's own Host is the site's origin.
    pub public_origin: Option<String>,
    /// Send cookies with `Secure` and HSTS (serve over HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For`, as written by the
    /// trusted reverse proxies in front of Hongcha (see `trusted_proxies`).
    pub trust_forwarded_for: bool,
    /// How many reverse proxies in front of Hongcha append to
    /// `X-Forwarded-For` (default 1). The client address is the one the
    /// outermost trusted proxy appended — that many entries from the right;
    /// anything further left was written by the client and is ignored.
    pub trusted_proxies: usize,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    pub session_days: i64,
    /// Distinct residents' abuse reports that hide an opinion pending review.
    pub report_hide_threshold: u32,
    /// Days an account (with a verified number) must exist before its
    /// reports count towards hiding (default 7).
    pub report_min_account_days: i64,
    pub limits: LimitsConfig,
    /// Development only: write one-time codes readable into the development
    /// SMS channel's `outbox.log` (automated tests read them there). Off by
    /// default: the log shows codes as `******`.
    pub dev_reveal_codes: bool,
    /// Heat: an opinion's weight halves every this many days (default 7).
    pub heat_half_life_days: f64,
    /// Minutes between full heat recomputations (default 10; 0 = never,
    /// publishing still places each opinion into its topic).
    pub heat_every_minutes: u64,
    /// Key for hashing the contact numbers of hotline imports (at least 16
    /// characters; every instance must share it). Unset: a key file
    /// `resident.key` made in the data directory.
    pub resident_key: Option<String>,
    /// Seconds between SLA sweeps (default 60; 0 = never).
    pub sla_sweep_seconds: u64,
    /// Seconds between the risk job's runs: the machine's disposal steps
    /// that fell due (default 5; 0 = never). Absence and compound models
    /// are checked every twelfth run.
    pub risk_tick_seconds: u64,
    /// 红黄蓝: months ahead a lease end turns red, yellow and blue
    /// (`HONGCHA_LEASE_WARNING_MONTHS=1,2,3`, the default).
    pub lease_warning_months: [u32; 3],
    /// A rated plan reopens when residents' average is below this
    /// (default 3) or at least this share rated 1–2 (default 0.3).
    pub reopen_below: f64,
    pub reopen_dissatisfied: f64,
    /// Ratings needed before staff may close a plan (default 1).
    pub plan_min_ratings: u32,
    /// Run the leased background jobs (outbox, heat, SLA sweeps, snapshots,
    /// runs people ask for) in this process (default true). Set false only
    /// for an extra instance beside one that runs them on the same
    /// PostgreSQL, or for a benchmark that counts one request's SQL
    /// statements. The live meeting rooms run either way.
    pub background_jobs: bool,
    /// An HTTP SMS gateway (`https://…`, or `http://127.0.0.1…` for a local
    /// relay): the outbox POSTs each SMS to it as JSON. Unset: SMS go to the
    /// development log (`outbox.log`) like every other message.
    pub sms_gateway_url: Option<String>,
    /// Bearer token for the SMS gateway.
    pub sms_gateway_token: Option<String>,
    /// The SMS gateway's JSON request body, with `"{{to}}"`, `"{{text}}"`,
    /// `"{{id}}"` and `"{{subject}}"` as values to fill in (default
    /// `{"id": "{{id}}", "to": "{{to}}", "text": "{{text}}"}`).
    pub sms_gateway_template: Option<String>,
    /// An HTTP voice gateway for risk warnings' calls (same rules as the
    /// SMS gateway): the outbox POSTs each call as JSON — by default
    /// `{"id": call id, "to": phone, "text": the script}` — and the
    /// gateway posts the keypad answer back to `/api/v1/risk/voice` with a
    /// voice source's token (`hongcha risk source NAME --voice`). Unset:
    /// calls go to the development log, where a tester answers them.
    pub voice_gateway_url: Option<String>,
    pub voice_gateway_token: Option<String>,
    pub voice_gateway_template: Option<String>,
    /// An SMTP server for e-mail: `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required`, or `smtp://127.0.0.1:25`
    /// (a relay on this machine). Unset: e-mail goes to the development log.
    pub smtp_url: Option<String>,
    /// The sender of e-mail, e.g. `红茶议事会 <noreply@example.org>`.
    pub smtp_from: Option<String>,
}

/// Attempts allowed per window (minutes).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub login_per_ip: u32,
    pub login_per_account: u32,
    pub register_per_ip: u32,
    pub code_per_ip: u32,
    pub code_per_phone: u32,
    /// Opinions and comments per resident per hour.
    pub post_per_account: u32,
    /// Photo upload requests per account per hour.
    pub upload_per_account: u32,
    /// Similar-opinion lookups per address per minute.
    pub similar_per_ip: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let d = domain::ratelimit::Limits::default();
        Self {
            login_per_ip: d.login_per_ip.max,
            login_per_account: d.login_per_account.max,
            register_per_ip: d.register_per_ip.max,
            code_per_ip: d.code_per_ip.max,
            code_per_phone: d.code_per_phone.max,
            post_per_account: d.post_per_account.max,
            upload_per_account: d.upload_per_account.max,
            similar_per_ip: d.similar_per_ip.max,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/hongcha.db".into(),
            bind: "127.0.0.1:3000".into(),
            site_root: "target/site".into(),
            data_dir: PathBuf::from("data"),
            public_origin: None,
            secure_cookies: false,
            trust_forwarded_for: false,
            trusted_proxies: 1,
            body_limit: 2 * 1024 * 1024,
            session_days: 14,
            report_hide_threshold: 3,
            report_min_account_days: 7,
            limits: LimitsConfig::default(),
            dev_reveal_codes: false,
            heat_half_life_days: 7.0,
            heat_every_minutes: 10,
            resident_key: None,
            sla_sweep_seconds: 60,
            risk_tick_seconds: 5,
            lease_warning_months: domain::enterprise::rules::DEFAULT_MONTHS,
            reopen_below: 3.0,
            reopen_dissatisfied: 0.3,
            plan_min_ratings: 1,
            background_jobs: true,
            sms_gateway_url: None,
            sms_gateway_token: None,
            sms_gateway_template: None,
            voice_gateway_url: None,
            voice_gateway_token: None,
            voice_gateway_template: None,
            smtp_url: None,
            smtp_from: None,
        }
    }
}

impl Config {
    /// Defaults, then the config file if there is one, then the environment.
    pub fn load() -> anyhow::Result<Self> {
        let path = std::env::var("HONGCHA_CONFIG").ok();
        let mut cfg = match &path {
            Some(p) => Self::from_file(p)?,
            None if std::path::Path::new("hongcha.toml").exists() => {
                Self::from_file("hongcha.toml")?
            }
            None => Self::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    pub fn from_file(path: &str) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        toml::from_str(&text).with_context(|| format!("parsing {path}"))
    }

    /// Applies `HONGCHA_*` overrides read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(key: &str, v: String) -> anyhow::Result<T>
        where
            T::Err: std::fmt::Display,
        {
            v.parse::<T>().map_err(|e| anyhow::anyhow!("{key}: {e}"))
        }
        if let Some(v) = get("HONGCHA_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("HONGCHA_BIND") {
            self.bind = v;
        }
        if let Some(v) = get("HONGCHA_SITE_ROOT") {
            self.site_root = v;
        }
        if let Some(v) = get("HONGCHA_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("HONGCHA_PUBLIC_ORIGIN") {
            self.public_origin = Some(v.trim_end_matches('/').to_owned()).filter(|s| !s.is_empty());
        }
        if let Some(v) = get("HONGCHA_SECURE_COOKIES") {
            self.secure_cookies = parse("HONGCHA_SECURE_COOKIES", v)?;
        }
        if let Some(v) = get("HONGCHA_TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = parse("HONGCHA_TRUST_FORWARDED_FOR", v)?;
        }
        if let Some(v) = get("HONGCHA_TRUSTED_PROXIES") {
            self.trusted_proxies = parse("HONGCHA_TRUSTED_PROXIES", v)?;
        }
        if let Some(v) = get("HONGCHA_BACKGROUND_JOBS") {
            self.background_jobs = parse("HONGCHA_BACKGROUND_JOBS", v)?;
        }
        if let Some(v) = get("HONGCHA_DEV_REVEAL_CODES") {
            self.dev_reveal_codes = parse("HONGCHA_DEV_REVEAL_CODES", v)?;
        }
        if let Some(v) = get("HONGCHA_BODY_LIMIT") {
            self.body_limit = parse("HONGCHA_BODY_LIMIT", v)?;
        }
        if let Some(v) = get("HONGCHA_SESSION_DAYS") {
            self.session_days = parse("HONGCHA_SESSION_DAYS", v)?;
        }
        if let Some(v) = get("HONGCHA_REPORT_MIN_ACCOUNT_DAYS") {
            self.report_min_account_days = parse("HONGCHA_REPORT_MIN_ACCOUNT_DAYS", v)?;
        }
        if let Some(v) = get("HONGCHA_HEAT_HALF_LIFE_DAYS") {
            self.heat_half_life_days = parse("HONGCHA_HEAT_HALF_LIFE_DAYS", v)?;
        }
        if let Some(v) = get("HONGCHA_RESIDENT_KEY") {
            self.resident_key = Some(v);
        }
        if let Some(v) = get("HONGCHA_SLA_SWEEP_SECONDS") {
            self.sla_sweep_seconds = parse("HONGCHA_SLA_SWEEP_SECONDS", v)?;
        }
        if let Some(v) = get("HONGCHA_RISK_TICK_SECONDS") {
            self.risk_tick_seconds = parse("HONGCHA_RISK_TICK_SECONDS", v)?;
        }
        if let Some(v) = get("HONGCHA_LEASE_WARNING_MONTHS") {
            let m: Vec<u32> = v
                .split(',')
                .map(|x| x.trim().parse::<u32>())
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow::anyhow!("HONGCHA_LEASE_WARNING_MONTHS: {e}"))?;
            match m[..] {
                [r, y, b] if 0 < r && r < y && y < b && b <= 24 => {
                    self.lease_warning_months = [r, y, b]
                }
                _ => anyhow::bail!(
                    "HONGCHA_LEASE_WARNING_MONTHS: three rising month counts up to 24, like 1,2,3"
                ),
            }
        }
        if let Some(v) = get("HONGCHA_HEAT_EVERY_MINUTES") {
            self.heat_every_minutes = parse("HONGCHA_HEAT_EVERY_MINUTES", v)?;
        }
        if let Some(v) = get("HONGCHA_SMS_GATEWAY_URL") {
            self.sms_gateway_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = get("HONGCHA_SMS_GATEWAY_TOKEN") {
            self.sms_gateway_token = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("HONGCHA_SMS_GATEWAY_TEMPLATE") {
            self.sms_gateway_template = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = get("HONGCHA_VOICE_GATEWAY_URL") {
            self.voice_gateway_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = get("HONGCHA_VOICE_GATEWAY_TOKEN") {
            self.voice_gateway_token = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("HONGCHA_VOICE_GATEWAY_TEMPLATE") {
            self.voice_gateway_template = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = get("HONGCHA_SMTP_URL") {
            self.smtp_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = get("HONGCHA_SMTP_FROM") {
            self.smtp_from = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = get("HONGCHA_REPORT_HIDE_THRESHOLD") {
            self.report_hide_threshold = parse("HONGCHA_REPORT_HIDE_THRESHOLD", v)?;
        }
        let l = &mut self.limits;
        for (key, slot) in [
            ("HONGCHA_LIMIT_LOGIN_PER_IP", &mut l.login_per_ip),
            ("HONGCHA_LIMIT_LOGIN_PER_ACCOUNT", &mut l.login_per_account),
            ("HONGCHA_LIMIT_REGISTER_PER_IP", &mut l.register_per_ip),
            ("HONGCHA_LIMIT_CODE_PER_IP", &mut l.code_per_ip),
            ("HONGCHA_LIMIT_CODE_PER_PHONE", &mut l.code_per_phone),
            ("HONGCHA_LIMIT_POST_PER_ACCOUNT", &mut l.post_per_account),
            (
                "HONGCHA_LIMIT_UPLOAD_PER_ACCOUNT",
                &mut l.upload_per_account,
            ),
            ("HONGCHA_LIMIT_SIMILAR_PER_IP", &mut l.similar_per_ip),
        ] {
            if let Some(v) = get(key) {
                *slot = parse(key, v)?;
            }
        }
        Ok(())
    }

    pub fn outbox_log(&self) -> PathBuf {
        self.data_dir.join("outbox.log")
    }

    /// What the domain needs from the configuration.
    pub fn settings(&self) -> domain::Settings {
        use domain::ratelimit::{Limits, Rule};
        let d = Limits::default();
        let l = &self.limits;
        domain::Settings {
            session_ttl: chrono_days(self.session_days),
            report_hide_threshold: self.report_hide_threshold.max(1),
            report_min_account_age: domain::clock::Duration::days(
                self.report_min_account_days.clamp(0, 365),
            ),
            data_dir: self.data_dir.clone(),
            resident_key: self.resident_key.clone(),
            public_origin: self.public_origin.clone(),
            evaluation: domain::evaluation::Rule {
                min_ratings: self.plan_min_ratings.clamp(1, 10_000),
                reopen_below: if self.reopen_below.is_finite() {
                    self.reopen_below.clamp(1.0, 5.0)
                } else {
                    3.0
                },
                reopen_dissatisfied: if self.reopen_dissatisfied.is_finite() {
                    self.reopen_dissatisfied.clamp(0.0, 1.0)
                } else {
                    0.3
                },
            },
            agenda: domain::agenda::Settings {
                heat: domain::agenda::HeatParams {
                    half_life_days: if self.heat_half_life_days.is_finite() {
                        self.heat_half_life_days.clamp(0.5, 365.0)
                    } else {
                        7.0
                    },
                    ..Default::default()
                },
                ..Default::default()
            },
            limits: Limits {
                login_per_ip: Rule {
                    max: l.login_per_ip,
                    ..d.login_per_ip
                },
                login_per_account: Rule {
                    max: l.login_per_account,
                    ..d.login_per_account
                },
                register_per_ip: Rule {
                    max: l.register_per_ip,
                    ..d.register_per_ip
                },
                code_per_ip: Rule {
                    max: l.code_per_ip,
                    ..d.code_per_ip
                },
                code_per_phone: Rule {
                    max: l.code_per_phone,
                    ..d.code_per_phone
                },
                post_per_account: Rule {
                    max: l.post_per_account,
                    ..d.post_per_account
                },
                upload_per_account: Rule {
                    max: l.upload_per_account,
                    ..d.upload_per_account
                },
                similar_per_ip: Rule {
                    max: l.similar_per_ip,
                    ..d.similar_per_ip
                },
            },
            ..domain::Settings::default()
        }
    }
}

fn chrono_days(days: i64) -> domain::clock::Duration {
    domain::clock::Duration::days(days.clamp(1, 365))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_locally() {
        let c = Config::default();
        assert_eq!(c.bind, "127.0.0.1:3000");
        assert!(c.database_url.starts_with("sqlite://data/"));
    }

    #[test]
    fn env_overrides_file() {
        let mut c: Config =
            toml::from_str("bind = \"0.0.0.0:8080\"\n[limits]\nlogin_per_ip = 3\n").unwrap();
        assert_eq!(c.bind, "0.0.0.0:8080");
        assert_eq!(c.limits.login_per_ip, 3);
        c.apply_env(|k| match k {
            "HONGCHA_BIND" => Some("127.0.0.1:0".into()),
            "HONGCHA_LIMIT_LOGIN_PER_IP" => Some("7".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.bind, "127.0.0.1:0");
        assert_eq!(c.limits.login_per_ip, 7);
        assert!(
            c.apply_env(|k| (k == "HONGCHA_BODY_LIMIT").then(|| "lots".into()))
                .is_err()
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<Config>("bnd = \"x\"").is_err());
    }
}
