//! Background jobs. Each run first takes its lease row, so with several
//! instances on one PostgreSQL each job runs once per tick.
use std::time::Duration;

use domain::outbox::{LogFileChannel, deliver_pending};

use crate::sms::{HttpGateway, Outbound};

use crate::Config;

/// How long after an opinion fit no topic the heat job regroups (a burst of
/// publishing makes one run), and how often it looks.
const REGROUP_AFTER: Duration = Duration::from_secs(60);
const REGROUP_POLL: Duration = Duration::from_secs(5);

pub struct Jobs {
    services: domain::Services,
    outbox: Outbound,
    holder: String,
    heat_every: Option<Duration>,
    sla_every: Option<Duration>,
    risk_every: Option<Duration>,
    lease_months: [u32; 3],
    database_url: String,
    pub hub: crate::live::Hub,
}

pub struct Running {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    services: domain::Services,
    holder: String,
}

/// Jobs end with the server that started them, also when the server's
/// task is dropped without a shutdown (an aborted task, a failed start):
/// none is left running on a pool that is closed or a database that is gone.
impl Drop for Running {
    fn drop(&mut self) {
        for h in &self.tasks {
            h.abort();
        }
    }
}

impl Running {
    /// Stops every job; a run this instance had going is marked interrupted
    /// (its transaction is rolled back with the task), so its page says so.
    pub async fn stop(mut self) {
        let tasks = std::mem::take(&mut self.tasks);
        for h in &tasks {
            h.abort();
        }
        for h in tasks {
            let _ = h.await;
        }
        let none = domain::clock::Duration::zero();
        if let Err(e) = domain::jobs::interrupt(&self.services, Some(&self.holder), none).await {
            tracing::warn!(error = %e, "marking interrupted runs failed");
        }
    }
}

impl Jobs {
    /// Fails on a configured SMS gateway that is not one (see
    /// [`crate::sms::check_url`]).
    pub fn new(cfg: &Config, services: domain::Services) -> anyhow::Result<Self> {
        let services_for_hub = services.clone();
        let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
        let sms = match &cfg.sms_gateway_url {
            Some(url) => Some(
                HttpGateway::new(
                    url,
                    cfg.sms_gateway_token.clone(),
                    cfg.sms_gateway_template.as_deref(),
                )
                .map_err(|e| anyhow::anyhow!("sms_gateway_url: {e}"))?,
            ),
            None => None,
        };
        let voice = match &cfg.voice_gateway_url {
            Some(url) => Some(
                HttpGateway::new(
                    url,
                    cfg.voice_gateway_token.clone(),
                    cfg.voice_gateway_template.as_deref(),
                )
                .map_err(|e| anyhow::anyhow!("voice_gateway_url: {e}"))?,
            ),
            None => None,
        };
        let mail = match (&cfg.smtp_url, &cfg.smtp_from) {
            (Some(url), Some(from)) => Some(
                crate::mail::SmtpMail::new(url, from)
                    .map_err(|e| anyhow::anyhow!("smtp_url / smtp_from: {e}"))?,
            ),
            (Some(_), None) => anyhow::bail!("smtp_url is set: set smtp_from (the sender) too"),
            _ => None,
        };
        Ok(Self {
            services,
            outbox: Outbound {
                log: LogFileChannel {
                    path: cfg.outbox_log(),
                    reveal_secrets: cfg.dev_reveal_codes,
                },
                sms,
                voice,
                mail,
            },
            holder,
            heat_every: (cfg.heat_every_minutes > 0)
                .then(|| Duration::from_secs(cfg.heat_every_minutes.saturating_mul(60))),
            sla_every: (cfg.sla_sweep_seconds > 0)
                .then(|| Duration::from_secs(cfg.sla_sweep_seconds)),
            lease_months: cfg.lease_warning_months,
            risk_every: (cfg.risk_tick_seconds > 0)
                .then(|| Duration::from_secs(cfg.risk_tick_seconds)),
            database_url: cfg.database_url.clone(),
            hub: crate::live::Hub::new(services_for_hub),
        })
    }

    /// Starts the live rooms' hub (and on PostgreSQL the listener for other
    /// instances' announcements) and, when `leased` (the default; see
    /// `Config::background_jobs`), the jobs that take leases: outbox,
    /// housekeeping, crawls, runs, heat, SLA sweeps and report snapshots.
    pub fn spawn(self, leased: bool) -> Running {
        let self_services = self.services.clone();
        let self_holder = self.holder.clone();
        // The meetings' live rooms, and on PostgreSQL the other instances'
        // announcements.
        let hub = tokio::spawn(self.hub.clone().run());
        let listen = {
            let services = self.services.clone();
            let url = self.database_url.clone();
            tokio::spawn(async move {
                if services.backend_name() == "postgres" {
                    domain::meetings::listen_postgres(url, services).await;
                }
            })
        };
        let warm_up = tokio::spawn(async {
            if let Err(e) = domain::agenda::warm_up().await {
                tracing::warn!(error = %e, "loading the text analyser failed");
            }
        });
        if !leased {
            return Running {
                tasks: vec![hub, listen, warm_up],
                services: self_services,
                holder: self_holder,
            };
        }
        let housekeeping = {
            let services = self.services.clone();
            let holder = self.holder.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(600));
                loop {
                    tick.tick().await;
                    let ttl = domain::clock::Duration::seconds(300);
                    match domain::jobs::try_lease(&services, "housekeeping", &holder, ttl).await {
                        Ok(true) => {
                            match domain::outbox::redact_stale_secrets(
                                &services,
                                services.settings.code_ttl,
                            )
                            .await
                            {
                                Ok(n) if n > 0 => {
                                    tracing::info!(
                                        rows = n,
                                        "expired codes dropped from the outbox"
                                    )
                                }
                                Ok(_) => {}
                                Err(e) => tracing::error!(error = %e, "outbox redaction failed"),
                            }
                            if let Err(e) = domain::ratelimit::purge_shared(&services).await {
                                tracing::error!(error = %e, "rate limit cleanup failed");
                            }
                            match domain::accounts::purge_expired(&services).await {
                                Ok(n) if n > 0 => {
                                    tracing::info!(rows = n, "expired sessions and codes removed")
                                }
                                Ok(_) => {}
                                Err(e) => tracing::error!(error = %e, "housekeeping failed"),
                            }
                            // Uploaded import files are kept a day for preview and import.
                            let day = Duration::from_secs(24 * 3600);
                            match domain::import::purge_stash(&services, day).await {
                                Ok(n) if n > 0 => {
                                    tracing::info!(files = n, "old import uploads removed")
                                }
                                Ok(_) => {}
                                Err(e) => {
                                    tracing::error!(error = %e, "import upload cleanup failed")
                                }
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = %e, "housekeeping lease failed"),
                    }
                }
            })
        };
        let crawls = {
            let services = self.services.clone();
            let holder = self.holder.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    let due = match domain::crawl::due_sources(&services).await {
                        Ok(d) => d,
                        Err(e) => {
                            tracing::error!(error = %e, "crawl schedule failed");
                            continue;
                        }
                    };
                    for name in due {
                        match domain::crawl::run_source(&services, &name, &holder, &mut |_| {})
                            .await
                        {
                            Ok(Ok(s)) => {
                                tracing::info!(source = %name, new = s.new, errors = s.errors, "crawl finished")
                            }
                            Ok(Err(_)) => {}
                            Err(e) => tracing::error!(source = %name, error = %e, "crawl failed"),
                        }
                    }
                }
            })
        };
        // Work people asked for (web imports, "crawl now"): one at a time
        // per instance, claimed from the database so any instance may run it.
        let work = {
            let services = self.services.clone();
            let holder = self.holder.clone();
            tokio::spawn(async move {
                // Runs whose instance died: on SQLite (one process) every run
                // still "running" is from before this start; on PostgreSQL,
                // those with no progress for ten minutes.
                let stale = if services.backend_name() == "sqlite" {
                    domain::clock::Duration::zero()
                } else {
                    domain::clock::Duration::minutes(10)
                };
                if let Err(e) = domain::jobs::interrupt(&services, None, stale).await {
                    tracing::error!(error = %e, "marking stale runs failed");
                }
                let mut tick = tokio::time::interval(Duration::from_millis(300));
                loop {
                    tick.tick().await;
                    let run = match domain::jobs::claim(&services, &holder).await {
                        Ok(Some(run)) => run,
                        Ok(None) => continue,
                        Err(e) => {
                            tracing::error!(error = %e, "claiming a run failed");
                            continue;
                        }
                    };
                    let outcome = match run.kind.as_str() {
                        domain::jobs::kind::IMPORT => {
                            domain::import::run_job(&services, &run).await
                        }
                        domain::jobs::kind::CRAWL => {
                            domain::crawl::run_job(&services, &run, &holder).await
                        }
                        domain::enterprise::register::JOB => {
                            domain::enterprise::register::run_job(&services, &run).await
                        }
                        other => Err(format!("unknown run kind {other}")),
                    };
                    if let Err(e) = domain::jobs::finish(&services, run.id, outcome).await {
                        tracing::error!(error = %e, run = run.id, "recording a run failed");
                    }
                }
            })
        };
        // Heat: every published opinion regrouped, every topic's heat
        // counted again (ages move even when nothing is published). Once at
        // start, then every `heat_every_minutes`.
        let heat = {
            let services = self.services.clone();
            let holder = self.holder.clone();
            let every = self.heat_every;
            tokio::spawn(async move {
                let Some(every) = every else { return };
                // Every `every`, or soon after an opinion fit no topic.
                let mut poll = tokio::time::interval(REGROUP_POLL.min(every));
                let mut last: Option<tokio::time::Instant> = None;
                loop {
                    poll.tick().await;
                    let due = last.is_none_or(|t| t.elapsed() >= every);
                    if !due && !domain::agenda::regroup_asked(&services, REGROUP_AFTER) {
                        continue;
                    }
                    last = Some(tokio::time::Instant::now());
                    // What was published so far is in this run.
                    domain::agenda::regroup_taken(&services);
                    let ttl = domain::clock::Duration::seconds(every.as_secs().max(60) as i64);
                    match domain::jobs::try_lease(&services, "heat", &holder, ttl).await {
                        Ok(true) => {
                            match domain::agenda::recompute(&services, false, |_, _, _| {}).await {
                                Ok(r) => tracing::info!(
                                    opinions = r.opinions,
                                    topics = r.topics,
                                    millis = r.millis as u64,
                                    read_millis = r.read_millis as u64,
                                    group_millis = r.group_millis as u64,
                                    store_millis = r.store_millis as u64,
                                    "heat recomputed"
                                ),
                                Err(e) => tracing::error!(error = %e, "heat recomputation failed"),
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = %e, "heat lease failed"),
                    }
                }
            })
        };
        // Jieba's dictionary and the IDF load off the runtime as the server
        // starts, not on a first reader's request.
        // SLA: overdue work marked and escalated, once per step, by one
        // instance at a time.
        let sla = {
            let services = self.services.clone();
            let holder = self.holder.clone();
            let every = self.sla_every;
            tokio::spawn(async move {
                let Some(every) = every else { return };
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    let ttl = domain::clock::Duration::seconds(every.as_secs().max(60) as i64 * 2);
                    match domain::jobs::try_lease(&services, "sla", &holder, ttl).await {
                        Ok(true) => {
                            if let Err(e) =
                                domain::sla::sweep(&services, domain::clock::now()).await
                            {
                                tracing::error!(error = %e, "SLA sweep failed");
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = %e, "SLA lease failed"),
                    }
                }
            })
        };
        // Risk: the machine's disposal steps that fell due (voice calls,
        // re-checks) each run; models no reading triggers (absence of data,
        // compound risks) every twelfth.
        let risk = {
            let services = self.services.clone();
            let holder = self.holder.clone();
            let every = self.risk_every;
            tokio::spawn(async move {
                let Some(every) = every else { return };
                let mut tick = tokio::time::interval(every);
                let mut runs: u64 = 0;
                loop {
                    tick.tick().await;
                    let ttl = domain::clock::Duration::seconds(every.as_secs().max(30) as i64 * 2);
                    match domain::jobs::try_lease(&services, "risk", &holder, ttl).await {
                        Ok(true) => {
                            let all = runs.is_multiple_of(12);
                            runs += 1;
                            match domain::risk::dispose::tick(&services, domain::clock::now(), all)
                                .await
                            {
                                Ok(t) if t != Default::default() => {
                                    tracing::info!(?t, "risk job")
                                }
                                Ok(_) => {}
                                Err(e) => tracing::error!(error = %e, "risk job failed"),
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = %e, "risk lease failed"),
                    }
                }
            })
        };
        // Monthly report snapshots: once a month is over, its reports are
        // saved (checked hourly, by one instance).
        let snapshots = {
            let services = self.services.clone();
            let holder = self.holder.clone();
            let lease_months = self.lease_months;
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(3600));
                loop {
                    tick.tick().await;
                    let ttl = domain::clock::Duration::minutes(30);
                    match domain::jobs::try_lease(&services, "reports", &holder, ttl).await {
                        Ok(true) => {
                            match domain::reports::snapshot::due(&services, domain::clock::now())
                                .await
                            {
                                Ok(0) => {}
                                Ok(n) => tracing::info!(reports = n, "monthly reports saved"),
                                Err(e) => {
                                    tracing::error!(error = %e, "saving monthly reports failed")
                                }
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = %e, "reports lease failed"),
                    }
                    // 红黄蓝 lease warnings, as of today in China: the run is
                    // idempotent, so an hourly one keeps the day's colours.
                    match domain::jobs::try_lease(&services, "leases", &holder, ttl).await {
                        Ok(true) => {
                            match domain::enterprise::lease::run(
                                &services,
                                domain::clock::china_today(),
                                lease_months,
                            )
                            .await
                            {
                                Ok(r) if r.opened + r.changed > 0 => {
                                    tracing::info!(?r, "lease warnings")
                                }
                                Ok(_) => {}
                                Err(e) => tracing::error!(error = %e, "lease warnings failed"),
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = %e, "leases lease failed"),
                    }
                }
            })
        };
        let outbox = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                let lease = domain::jobs::try_lease(
                    &self.services,
                    "outbox",
                    &self.holder,
                    domain::clock::Duration::seconds(30),
                )
                .await;
                match lease {
                    Ok(true) => {
                        if let Err(e) = deliver_pending(&self.services, &self.outbox, 100).await {
                            tracing::error!(error = %e, "outbox delivery failed");
                        }
                    }
                    Ok(false) => {}
                    Err(e) => tracing::error!(error = %e, "outbox lease failed"),
                }
            }
        });
        Running {
            tasks: vec![
                outbox,
                housekeeping,
                crawls,
                work,
                heat,
                sla,
                risk,
                snapshots,
                hub,
                listen,
                warm_up,
            ],
            services: self_services,
            holder: self_holder,
        }
    }
}
