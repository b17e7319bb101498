//! 预警模型 warning models as data, and what they say about a subject's
//! readings. Pure: no database, no clock (callers pass `now`).
//!
//! A model is a versioned record an admin writes in JSON or TOML: one
//! [`Rule`] (single-risk kinds over one indicator of one subject, compound
//! over other warnings, systemic over an area's warnings), a severity, a
//! cool-down, and how the first, automatic steps of disposal go.
//!
//! Every rule answers [`Check::Fires`] (with why), [`Check::Normal`] (the
//! recovery condition holds) or [`Check::Between`] (neither: the band
//! between firing and recovering, where an open warning stays open and a
//! closed one stays closed). [`decide`] adds the rest of the hysteresis:
//! one open warning per model and subject, and no new one within the
//! cool-down after the last closed.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::sla::policy::Amount;

/// One reading as models read it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// A comparison a threshold makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = ">")]
    Above,
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "<=")]
    AtMost,
}

impl Op {
    fn holds(self, v: f64, limit: f64) -> bool {
        match self {
            Op::Above => v > limit,
            Op::AtLeast => v >= limit,
            Op::Below => v < limit,
            Op::AtMost => v <= limit,
        }
    }

    fn upward(self) -> bool {
        matches!(self, Op::Above | Op::AtLeast)
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Above => ">",
            Op::AtLeast => "≥",
            Op::Below => "<",
            Op::AtMost => "≤",
        }
    }
}

/// Which warnings a compound rule needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    All,
    Any,
}

/// The area a systemic rule counts warnings over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    Community,
    Street,
    Industry,
}

impl AreaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaKind::Community => "community",
            AreaKind::Street => "street",
            AreaKind::Industry => "industry",
        }
    }
}

fn one() -> f64 {
    1.0
}
fn five() -> u32 {
    5
}
fn zero() -> f64 {
    0.0
}

/// What a model looks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// The indicator past `value` for at least `hold` (by the readings'
    /// own times); normal again once the latest reading is back past
    /// `recover` (default: `value`).
    Threshold {
        indicator: String,
        op: Op,
        value: f64,
        #[serde(default)]
        hold: Option<Amount>,
        #[serde(default)]
        recover: Option<f64>,
    },
    /// At least `min` readings above `above` within `window` (alarms,
    /// complaints); normal at `recover` or fewer (default `min − 1`).
    Count {
        indicator: String,
        window: Amount,
        min: u32,
        #[serde(default = "zero")]
        above: f64,
        #[serde(default)]
        recover: Option<u32>,
    },
    /// The readings within `window` add up to at least `min` (a rate:
    /// litres an hour, calls a day); normal below `recover` (default `min`).
    Sum {
        indicator: String,
        window: Amount,
        min: f64,
        #[serde(default)]
        recover: Option<f64>,
    },
    /// The latest reading at least `factor` times the mean of the
    /// subject's own readings over `baseline` (with `min_samples` of them);
    /// normal again below the halfway point.
    Spike {
        indicator: String,
        baseline: Amount,
        factor: f64,
        #[serde(default = "five")]
        min_samples: u32,
    },
    /// The mean over the last `window` at least `factor` times the mean
    /// over the window before it.
    Trend {
        indicator: String,
        window: Amount,
        factor: f64,
    },
    /// No reading of the indicator for `after` (a sensor or a report that
    /// went quiet).
    Absence { indicator: String, after: Amount },
    /// A value the subject's readings never had before (within `lookback`,
    /// default 30 days).
    NewValue {
        indicator: String,
        #[serde(default)]
        lookback: Option<Amount>,
    },
    /// Other models' warnings on the same subject opened within `within`:
    /// all of them, or any.
    Compound {
        need: Need,
        models: Vec<String>,
        within: Amount,
    },
    /// An area's (or industry's) warnings of `models` within `window` at
    /// least `min` and `factor` times its average per window over
    /// `baseline`.
    Systemic {
        area: AreaKind,
        models: Vec<String>,
        window: Amount,
        baseline: Amount,
        #[serde(default = "one")]
        factor: f64,
        min: u32,
    },
}

/// How serious a warning is; the SLA policy follows from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Handled by machine first (SMS, voice call, re-check).
    Low,
    /// Non-urgent: sign and assign in 24 h, done in 7 days.
    Normal,
    /// Urgent: sign in 5 min, on site in 20 min, done in 24 h.
    Urgent,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Normal => "normal",
            Severity::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [Severity::Low, Severity::Normal, Severity::Urgent]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// The SLA policy a warning of this severity is handled under.
    pub fn policy(self) -> &'static str {
        match self {
            Severity::Low => "risk_low",
            Severity::Normal => "risk_normal",
            Severity::Urgent => "risk_urgent",
        }
    }

    /// Points a warning of this severity adds to a risk score.
    pub fn weight(self) -> f64 {
        match self {
            Severity::Low => 1.0,
            Severity::Normal => 3.0,
            Severity::Urgent => 9.0,
        }
    }
}

fn default_cooldown() -> Amount {
    Amount {
        value: 1,
        unit: 'h',
    }
}

fn default_voice_after() -> Amount {
    Amount {
        value: 10,
        unit: 'm',
    }
}

fn default_recheck_after() -> Amount {
    Amount {
        value: 30,
        unit: 'm',
    }
}

/// The automatic first steps of disposal (low severity): an SMS to the
/// responsible party at once, a voice call `voice_after` later unless they
/// answered, and a machine re-check `recheck_after` the call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auto {
    #[serde(default = "default_voice_after")]
    pub voice_after: Amount,
    #[serde(default = "default_recheck_after")]
    pub recheck_after: Amount,
}

impl Default for Auto {
    fn default() -> Self {
        Auto {
            voice_after: default_voice_after(),
            recheck_after: default_recheck_after(),
        }
    }
}

/// A model as admins write it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub rule: Rule,
    pub severity: Severity,
    /// After a warning closes, no new one for the same subject within this.
    #[serde(default = "default_cooldown")]
    pub cooldown: Amount,
    /// Automatic disposal; low-severity models have it unless they say
    /// `auto = false`… by leaving it out they get the defaults.
    #[serde(default)]
    pub auto: Option<Auto>,
}

/// Longest window a rule may name (and the history a check reads).
pub const MAX_WINDOW_DAYS: i64 = 90;
/// Models a compound or systemic rule may name.
pub const MAX_REFERENCES: usize = 12;

fn secs(a: Amount) -> Duration {
    let minutes = match a.unit {
        'm' => a.value,
        'h' => a.value * 60,
        _ => a.value * 24 * 60,
    };
    Duration::minutes(minutes)
}

fn indicator_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

impl Spec {
    /// Parses and checks a model as written: JSON when it starts with `{`,
    /// TOML otherwise.
    pub fn parse(text: &str) -> Result<Spec, String> {
        if text.len() > 8 * 1024 {
            return Err("a model is at most 8 KB".into());
        }
        let spec: Spec = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            toml::from_str(text).map_err(|e| e.to_string())?
        };
        spec.check()?;
        Ok(spec)
    }

    fn check(&self) -> Result<(), String> {
        let max = Duration::days(MAX_WINDOW_DAYS);
        let window = |a: &Amount, what: &str| -> Result<(), String> {
            let d = secs(*a);
            if d <= Duration::zero() || d > max {
                return Err(format!(
                    "{what}: more than 0 and at most {MAX_WINDOW_DAYS} days"
                ));
            }
            Ok(())
        };
        let finite = |v: f64, what: &str| -> Result<(), String> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("{what}: a number"))
            }
        };
        let refs = |models: &[String]| -> Result<(), String> {
            if models.is_empty() || models.len() > MAX_REFERENCES {
                return Err(format!("models: 1 to {MAX_REFERENCES}"));
            }
            if models.iter().any(|m| !key_ok(m)) {
                return Err("models: keys of a–z, 0–9, _ (≤ 40)".into());
            }
            Ok(())
        };
        if let Some(ind) = self.rule.indicator()
            && !indicator_ok(ind)
        {
            return Err(format!("indicator `{ind}`: a–z, 0–9, _ and . (≤ 40)"));
        }
        match &self.rule {
            Rule::Threshold {
                value,
                hold,
                recover,
                op,
                ..
            } => {
                finite(*value, "value")?;
                if let Some(h) = hold
                    && secs(*h) > max
                {
                    return Err("hold: at most 90 days".into());
                }
                if let Some(r) = recover {
                    finite(*r, "recover")?;
                    // The recovery point lies on the safe side of the threshold.
                    if (op.upward() && r > value) || (!op.upward() && r < value) {
                        return Err("recover: on the safe side of value".into());
                    }
                }
            }
            Rule::Count {
                window: w,
                min,
                above,
                recover,
                ..
            } => {
                window(w, "window")?;
                finite(*above, "above")?;
                if *min == 0 || *min > 100_000 {
                    return Err("min: 1 to 100000".into());
                }
                if recover.is_some_and(|r| r >= *min) {
                    return Err("recover: below min".into());
                }
            }
            Rule::Sum {
                window: w,
                min,
                recover,
                ..
            } => {
                window(w, "window")?;
                finite(*min, "min")?;
                if let Some(r) = recover {
                    finite(*r, "recover")?;
                    if r > min {
                        return Err("recover: at most min".into());
                    }
                }
            }
            Rule::Spike {
                baseline,
                factor,
                min_samples,
                ..
            } => {
                window(baseline, "baseline")?;
                if !(factor.is_finite() && *factor > 1.0) {
                    return Err("factor: more than 1".into());
                }
                if *min_samples == 0 || *min_samples > 10_000 {
                    return Err("min_samples: 1 to 10000".into());
                }
            }
            Rule::Trend {
                window: w, factor, ..
            } => {
                window(w, "window")?;
                if secs(*w) * 2 > max {
                    return Err("window: at most 45 days".into());
                }
                if !(factor.is_finite() && *factor > 1.0) {
                    return Err("factor: more than 1".into());
                }
            }
            Rule::Absence { after, .. } => window(after, "after")?,
            Rule::NewValue { lookback, .. } => {
                if let Some(l) = lookback {
                    window(l, "lookback")?;
                }
            }
            Rule::Compound { models, within, .. } => {
                refs(models)?;
                window(within, "within")?;
            }
            Rule::Systemic {
                models,
                window: w,
                baseline,
                factor,
                min,
                ..
            } => {
                refs(models)?;
                window(w, "window")?;
                window(baseline, "baseline")?;
                if secs(*baseline) < secs(*w) {
                    return Err("baseline: at least as long as window".into());
                }
                if !(factor.is_finite() && *factor >= 1.0) {
                    return Err("factor: at least 1".into());
                }
                if *min == 0 {
                    return Err("min: at least 1".into());
                }
            }
        }
        window(&self.cooldown, "cooldown").or_else(|e| {
            if self.cooldown.value == 0 {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        if let Some(a) = &self.auto {
            window(&a.voice_after, "voice_after")?;
            window(&a.recheck_after, "recheck_after")?;
        }
        Ok(())
    }

    /// The automatic disposal steps this model's warnings take: low
    /// severity always (with the defaults unless given), others only when
    /// they ask.
    pub fn auto(&self) -> Option<Auto> {
        match (&self.auto, self.severity) {
            (Some(a), _) => Some(a.clone()),
            (None, Severity::Low) => Some(Auto::default()),
            _ => None,
        }
    }

    pub fn cooldown(&self) -> Duration {
        secs(self.cooldown)
    }
}

/// A model key as admins write it.
pub fn key_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Rule {
    /// The indicator a single-risk rule reads.
    pub fn indicator(&self) -> Option<&str> {
        match self {
            Rule::Threshold { indicator, .. }
            | Rule::Count { indicator, .. }
            | Rule::Sum { indicator, .. }
            | Rule::Spike { indicator, .. }
            | Rule::Trend { indicator, .. }
            | Rule::Absence { indicator, .. }
            | Rule::NewValue { indicator, .. } => Some(indicator),
            Rule::Compound { .. } | Rule::Systemic { .. } => None,
        }
    }

    /// How far back a check reads the subject's readings.
    pub fn lookback(&self) -> Duration {
        match self {
            Rule::Threshold { hold, .. } => {
                // The run past the value that the hold needs, and six hours
                // before it: readings up to six hours apart still show a run.
                hold.map(secs).unwrap_or_else(Duration::zero) + Duration::hours(6)
            }
            Rule::Count { window, .. } | Rule::Sum { window, .. } => secs(*window),
            Rule::Spike { baseline, .. } => secs(*baseline),
            Rule::Trend { window, .. } => secs(*window) * 2,
            Rule::Absence { after, .. } => secs(*after),
            Rule::NewValue { lookback, .. } => lookback.map(secs).unwrap_or(Duration::days(30)),
            Rule::Compound { within, .. } => secs(*within),
            Rule::Systemic { baseline, .. } => secs(*baseline),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Threshold { .. } => "threshold",
            Rule::Count { .. } => "count",
            Rule::Sum { .. } => "sum",
            Rule::Spike { .. } => "spike",
            Rule::Trend { .. } => "trend",
            Rule::Absence { .. } => "absence",
            Rule::NewValue { .. } => "new_value",
            Rule::Compound { .. } => "compound",
            Rule::Systemic { .. } => "systemic",
        }
    }
}

/// Why a model fired: in words, with the readings and the limit behind it
/// (a warning's own risk portrait).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Why {
    pub summary: String,
    /// The readings that made it fire (the last few).
    pub readings: Vec<Point>,
    /// The limit it was measured against, as the model states it.
    pub limit: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    Fires(Why),
    Between,
    Normal,
}

/// Readings shown with a warning.
const SHOWN: usize = 10;

fn last(series: &[Point]) -> Vec<Point> {
    series[series.len().saturating_sub(SHOWN)..].to_vec()
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// A single-risk rule over one subject's readings of its indicator
/// (oldest first, any time up to `now`; older than the lookback ignored).
/// Compound and systemic rules are [`Check::Between`] here: see
/// [`check_compound`] and [`check_systemic`].
pub fn check(rule: &Rule, series: &[Point], now: DateTime<Utc>) -> Check {
    let from = now - rule.lookback();
    // A window of `w` ending at `now` is (now − w, now].
    let start = series.partition_point(|p| p.at <= from);
    let end = series.partition_point(|p| p.at <= now);
    let s = &series[start..end.max(start)];
    match rule {
        Rule::Threshold {
            op,
            value,
            hold,
            recover,
            ..
        } => {
            let Some(latest) = s.last() else {
                return Check::Between;
            };
            let run_start = s
                .iter()
                .rposition(|p| !op.holds(p.value, *value))
                .map_or(0, |i| i + 1);
            let run = &s[run_start..];
            let held = hold.map(secs).unwrap_or_else(Duration::zero);
            if let Some(first) = run.first()
                && latest.at - first.at >= held
            {
                let mut summary = format!("{} {} {}", fmt(latest.value), op.as_str(), fmt(*value));
                if held > Duration::zero() {
                    summary.push_str(&format!(
                        "，持续 {}",
                        hold.map(|h| h.to_string()).unwrap_or_default()
                    ));
                }
                return Check::Fires(Why {
                    summary,
                    readings: last(run),
                    limit: format!("{} {}", op.as_str(), fmt(*value)),
                });
            }
            let back = recover.unwrap_or(*value);
            let normal = if op.upward() {
                latest.value <= back
            } else {
                latest.value >= back
            };
            if normal {
                Check::Normal
            } else {
                Check::Between
            }
        }
        Rule::Count {
            min,
            above,
            recover,
            window,
            ..
        } => {
            let hits: Vec<Point> = s.iter().filter(|p| p.value > *above).copied().collect();
            let n = hits.len() as u32;
            if n >= *min {
                Check::Fires(Why {
                    summary: format!("{window} 内 {n} 次（≥ {min}）"),
                    readings: last(&hits),
                    limit: format!("{window} 内 ≥ {min} 次"),
                })
            } else if n <= recover.unwrap_or(min - 1) {
                Check::Normal
            } else {
                Check::Between
            }
        }
        Rule::Sum {
            min,
            recover,
            window,
            ..
        } => {
            let total: f64 = s.iter().map(|p| p.value).sum();
            if !s.is_empty() && total >= *min {
                Check::Fires(Why {
                    summary: format!("{window} 内合计 {}（≥ {}）", fmt(total), fmt(*min)),
                    readings: last(s),
                    limit: format!("{window} 内合计 ≥ {}", fmt(*min)),
                })
            } else if total < recover.unwrap_or(*min) {
                Check::Normal
            } else {
                Check::Between
            }
        }
        Rule::Spike {
            factor,
            min_samples,
            baseline,
            ..
        } => {
            let Some((latest, before)) = s.split_last() else {
                return Check::Between;
            };
            if (before.len() as u32) < *min_samples {
                return Check::Between;
            }
            let mean = before.iter().map(|p| p.value).sum::<f64>() / before.len() as f64;
            // A ratio says nothing about a baseline at or below zero
            // (temperatures): use a threshold for those.
            if mean <= 0.0 {
                return Check::Between;
            }
            if latest.value >= mean * factor && latest.value > mean {
                Check::Fires(Why {
                    summary: format!(
                        "{} 为近 {baseline} 均值 {} 的 {:.1} 倍",
                        fmt(latest.value),
                        fmt(mean),
                        if mean > 0.0 {
                            latest.value / mean
                        } else {
                            f64::INFINITY
                        }
                    ),
                    readings: last(s),
                    limit: format!("≥ 均值 × {}", fmt(*factor)),
                })
            } else if latest.value < mean * (1.0 + factor) / 2.0 {
                Check::Normal
            } else {
                Check::Between
            }
        }
        Rule::Trend { window, factor, .. } => {
            let mid = now - secs(*window);
            let (old, new): (Vec<&Point>, Vec<&Point>) = s.iter().partition(|p| p.at <= mid);
            if old.is_empty() || new.is_empty() {
                return Check::Between;
            }
            let mean = |v: &[&Point]| v.iter().map(|p| p.value).sum::<f64>() / v.len() as f64;
            let (a, b) = (mean(&old), mean(&new));
            if a <= 0.0 {
                return Check::Between;
            }
            if b >= a * factor && b > a {
                Check::Fires(Why {
                    summary: format!("近 {window} 均值 {} ，此前 {}", fmt(b), fmt(a)),
                    readings: last(s),
                    limit: format!("≥ 前期 × {}", fmt(*factor)),
                })
            } else if b < a * (1.0 + factor) / 2.0 {
                Check::Normal
            } else {
                Check::Between
            }
        }
        Rule::Absence { after, .. } => {
            // `series` reaches further back than the window: the last
            // reading ever seen says when the indicator went quiet.
            let seen = series[..end].last();
            match seen {
                None => Check::Between,
                Some(p) if now - p.at >= secs(*after) => Check::Fires(Why {
                    summary: format!(
                        "{after} 无数据（最后一次 {}）",
                        p.at.format("%Y-%m-%d %H:%M")
                    ),
                    readings: vec![*p],
                    limit: format!("{after} 内至少一次"),
                }),
                Some(_) => Check::Normal,
            }
        }
        Rule::NewValue { .. } => {
            let Some((latest, before)) = s.split_last() else {
                return Check::Between;
            };
            if before.is_empty() {
                return Check::Between;
            }
            if before.iter().all(|p| p.value != latest.value) {
                Check::Fires(Why {
                    summary: format!("出现从未有过的值 {}", fmt(latest.value)),
                    readings: vec![*latest],
                    limit: "此前出现过的值".into(),
                })
            } else {
                Check::Normal
            }
        }
        Rule::Compound { .. } | Rule::Systemic { .. } => Check::Between,
    }
}

/// A compound rule over the models of the warnings open on the subject,
/// each with when it opened.
pub fn check_compound(rule: &Rule, open: &[(String, DateTime<Utc>)], now: DateTime<Utc>) -> Check {
    let Rule::Compound {
        need,
        models,
        within,
    } = rule
    else {
        return Check::Between;
    };
    let from = now - secs(*within);
    let present: Vec<&String> = models
        .iter()
        .filter(|m| {
            open.iter()
                .any(|(k, at)| k == *m && *at >= from && *at <= now)
        })
        .collect();
    let fires = match need {
        Need::All => present.len() == models.len(),
        Need::Any => !present.is_empty(),
    };
    if fires {
        Check::Fires(Why {
            summary: format!(
                "{within} 内同时出现：{}",
                present
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            readings: Vec::new(),
            limit: format!(
                "{}：{}",
                if *need == Need::All {
                    "全部"
                } else {
                    "任一"
                },
                models.join("、")
            ),
        })
    } else {
        Check::Normal
    }
}

/// A systemic rule: `recent` warnings of its models in the area within its
/// window, `earlier` within the baseline before that.
pub fn check_systemic(rule: &Rule, recent: u32, earlier: u32) -> Check {
    let Rule::Systemic {
        window,
        baseline,
        factor,
        min,
        ..
    } = rule
    else {
        return Check::Between;
    };
    let windows =
        (secs(*baseline).num_minutes() as f64 / secs(*window).num_minutes() as f64).max(1.0);
    let usual = f64::from(earlier) / windows;
    if recent >= *min && f64::from(recent) >= usual * factor {
        Check::Fires(Why {
            summary: format!("{window} 内 {recent} 条预警，常态约 {usual:.1} 条"),
            readings: Vec::new(),
            limit: format!("≥ {min} 且 ≥ 常态 × {}", fmt(*factor)),
        })
    } else if f64::from(recent) < f64::from(*min) {
        Check::Normal
    } else {
        Check::Between
    }
}

/// What to do about one model × subject.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Open(Why),
    /// The open warning recovered.
    Close,
    /// Fired, but within the cool-down after the last warning closed.
    Suppressed,
    Nothing,
}

/// The warning lifecycle: one open warning at a time; a new one only after
/// the cool-down since the last closed.
pub fn decide(
    check: Check,
    open: bool,
    last_closed: Option<DateTime<Utc>>,
    cooldown: Duration,
    now: DateTime<Utc>,
) -> Action {
    match (check, open) {
        (Check::Fires(why), false) => {
            if last_closed.is_some_and(|c| now - c < cooldown) {
                Action::Suppressed
            } else {
                Action::Open(why)
            }
        }
        (Check::Normal, true) => Action::Close,
        _ => Action::Nothing,
    }
}

/// One warning a replay raised.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replayed {
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub summary: String,
}

/// What a single-risk model would have raised over a subject's stored
/// history (oldest first), checked at each reading and, for absence,
/// every `tick` between them: shadow mode's replay.
pub fn replay(spec: &Spec, series: &[Point], tick: Duration) -> (Vec<Replayed>, u32) {
    let mut out: Vec<Replayed> = Vec::new();
    let mut suppressed = 0;
    let mut last_closed = None;
    let mut times: Vec<DateTime<Utc>> = series.iter().map(|p| p.at).collect();
    if matches!(spec.rule, Rule::Absence { .. })
        && let (Some(a), Some(b)) = (series.first(), series.last())
        && tick > Duration::zero()
    {
        let mut t = a.at;
        while t < b.at + spec.rule.lookback() + tick {
            times.push(t);
            t += tick;
        }
        times.sort();
        times.dedup();
    }
    for now in times {
        let open = out.last().is_some_and(|w| w.closed_at.is_none());
        match decide(
            check(&spec.rule, series, now),
            open,
            last_closed,
            spec.cooldown(),
            now,
        ) {
            Action::Open(why) => out.push(Replayed {
                opened_at: now,
                closed_at: None,
                summary: why.summary,
            }),
            Action::Close => {
                if let Some(w) = out.last_mut() {
                    w.closed_at = Some(now);
                }
                last_closed = Some(now);
            }
            Action::Suppressed => suppressed += 1,
            Action::Nothing => {}
        }
    }
    (out, suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn series(points: &[(i64, f64)]) -> Vec<Point> {
        points
            .iter()
            .map(|&(m, value)| Point { at: t(m), value })
            .collect()
    }

    fn spec(text: &str) -> Spec {
        Spec::parse(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    fn fires(c: &Check) -> bool {
        matches!(c, Check::Fires(_))
    }

    #[test]
    fn models_parse_from_json_and_toml_and_bad_ones_are_refused() {
        let j = spec(
            r#"{"rule":{"kind":"threshold","indicator":"gas_ppm","op":">","value":50,"hold":"10m","recover":30},"severity":"urgent"}"#,
        );
        let toml = spec(
            "severity = \"urgent\"\n[rule]\nkind = \"threshold\"\nindicator = \"gas_ppm\"\nop = \">\"\nvalue = 50.0\nhold = \"10m\"\nrecover = 30.0\n",
        );
        assert_eq!(j, toml);
        assert_eq!(j.cooldown(), Duration::hours(1));
        assert!(j.auto().is_none());
        let low = spec(
            r#"{"rule":{"kind":"count","indicator":"alarm","window":"1h","min":3},"severity":"low"}"#,
        );
        assert_eq!(low.auto(), Some(Auto::default()));
        for bad in [
            r#"{"rule":{"kind":"threshold","indicator":"gas_ppm","op":">","value":50,"recover":60},"severity":"urgent"}"#,
            r#"{"rule":{"kind":"threshold","indicator":"Gas PPM","op":">","value":50},"severity":"urgent"}"#,
            r#"{"rule":{"kind":"count","indicator":"a","window":"0m","min":3},"severity":"low"}"#,
            r#"{"rule":{"kind":"count","indicator":"a","window":"100d","min":3},"severity":"low"}"#,
            r#"{"rule":{"kind":"spike","indicator":"a","baseline":"7d","factor":0.5},"severity":"low"}"#,
            r#"{"rule":{"kind":"compound","need":"all","models":[],"within":"1d"},"severity":"low"}"#,
            r#"{"rule":{"kind":"threshold","indicator":"a","op":"=","value":1},"severity":"low"}"#,
            r#"{"rule":{"kind":"threshold","indicator":"a","op":">","value":1},"severity":"severe"}"#,
            r#"{"rule":{"kind":"threshold","indicator":"a","op":">","value":1},"severity":"low","extra":1}"#,
            "not toml at all = = =",
        ] {
            assert!(Spec::parse(bad).is_err(), "{bad}");
        }
        assert!(Spec::parse(&"x".repeat(9000)).is_err());
    }

    #[test]
    fn threshold_fires_only_when_held_and_recovers_past_its_band() {
        let s = spec(
            r#"{"rule":{"kind":"threshold","indicator":"gas","op":">","value":50,"hold":"10m","recover":30},"severity":"urgent"}"#,
        );
        // Above for 5 minutes only: not yet.
        let a = series(&[(0, 10.0), (1, 60.0), (6, 70.0)]);
        assert_eq!(check(&s.rule, &a, t(6)), Check::Between);
        // Held for 10 minutes: fires, with the run behind it.
        let b = series(&[(0, 10.0), (1, 60.0), (6, 70.0), (11, 65.0)]);
        match check(&s.rule, &b, t(11)) {
            Check::Fires(why) => {
                assert_eq!(why.readings.len(), 3);
                assert!(why.summary.contains("65 > 50"), "{}", why.summary);
            }
            other => panic!("{other:?}"),
        }
        // Back to 40: between the bands, an open warning stays open.
        let c = series(&[(0, 10.0), (1, 60.0), (11, 65.0), (12, 40.0)]);
        assert_eq!(check(&s.rule, &c, t(12)), Check::Between);
        // 25: recovered.
        let d = series(&[(0, 10.0), (1, 60.0), (11, 65.0), (12, 25.0)]);
        assert_eq!(check(&s.rule, &d, t(12)), Check::Normal);
        // Without a hold, one reading is enough; a falling threshold works too.
        let low = spec(
            r#"{"rule":{"kind":"threshold","indicator":"pressure","op":"<","value":0.2},"severity":"normal"}"#,
        );
        assert!(fires(&check(
            &low.rule,
            &series(&[(0, 0.3), (1, 0.1)]),
            t(1)
        )));
        assert_eq!(
            check(&low.rule, &series(&[(0, 0.1), (1, 0.3)]), t(1)),
            Check::Normal
        );
    }

    #[test]
    fn count_and_sum_in_a_window() {
        let c = spec(
            r#"{"rule":{"kind":"count","indicator":"smoke","window":"1h","min":3},"severity":"low"}"#,
        );
        let two = series(&[(0, 1.0), (10, 0.0), (20, 1.0)]);
        assert_eq!(check(&c.rule, &two, t(20)), Check::Normal);
        // With a band (recover at 1), two is between.
        let banded = spec(
            r#"{"rule":{"kind":"count","indicator":"smoke","window":"1h","min":3,"recover":1},"severity":"low"}"#,
        );
        assert_eq!(check(&banded.rule, &two, t(20)), Check::Between);
        let three = series(&[(0, 1.0), (10, 1.0), (20, 1.0)]);
        assert!(fires(&check(&c.rule, &three, t(20))));
        // An hour later the window holds none of them.
        assert_eq!(check(&c.rule, &three, t(90)), Check::Normal);
        let s = spec(
            r#"{"rule":{"kind":"sum","indicator":"water_l","window":"1h","min":100},"severity":"low"}"#,
        );
        assert!(fires(&check(
            &s.rule,
            &series(&[(0, 60.0), (30, 50.0)]),
            t(30)
        )));
        assert_eq!(
            check(&s.rule, &series(&[(0, 60.0), (30, 30.0)]), t(30)),
            Check::Normal
        );
    }

    #[test]
    fn spike_and_trend_against_the_subjects_own_baseline() {
        let s = spec(
            r#"{"rule":{"kind":"spike","indicator":"power","baseline":"7d","factor":3,"min_samples":5},"severity":"normal"}"#,
        );
        let mut pts: Vec<(i64, f64)> = (0..10).map(|i| (i * 600, 10.0 + (i % 2) as f64)).collect();
        pts.push((6001, 40.0));
        let spiky = series(&pts);
        assert!(fires(&check(&s.rule, &spiky, t(6001))));
        // Too little history: no verdict.
        assert_eq!(
            check(&s.rule, &series(&[(0, 10.0), (1, 100.0)]), t(1)),
            Check::Between
        );
        // The same level as always: normal.
        pts.pop();
        pts.push((6001, 11.0));
        assert_eq!(check(&s.rule, &series(&pts), t(6001)), Check::Normal);

        let tr = spec(
            r#"{"rule":{"kind":"trend","indicator":"complaints","window":"7d","factor":2},"severity":"normal"}"#,
        );
        let day = 24 * 60;
        let rising = series(&[(0, 2.0), (3 * day, 2.0), (8 * day, 5.0), (10 * day, 6.0)]);
        assert!(fires(&check(&tr.rule, &rising, t(10 * day))));
        let flat = series(&[(0, 2.0), (3 * day, 2.0), (8 * day, 2.0), (10 * day, 2.0)]);
        assert_eq!(check(&tr.rule, &flat, t(10 * day)), Check::Normal);
    }

    #[test]
    fn absence_is_detected_and_ends_with_the_next_reading() {
        let s = spec(
            r#"{"rule":{"kind":"absence","indicator":"heartbeat","after":"2h"},"severity":"low"}"#,
        );
        let pts = series(&[(0, 1.0), (30, 1.0)]);
        assert_eq!(check(&s.rule, &pts, t(60)), Check::Normal);
        match check(&s.rule, &pts, t(30 + 120)) {
            Check::Fires(why) => assert_eq!(why.readings, vec![pts[1]]),
            other => panic!("{other:?}"),
        }
        // Never seen: nothing to miss.
        assert_eq!(check(&s.rule, &[], t(500)), Check::Between);
        let back = series(&[(0, 1.0), (30, 1.0), (400, 1.0)]);
        assert_eq!(check(&s.rule, &back, t(401)), Check::Normal);
    }

    #[test]
    fn a_value_never_seen_before() {
        let s = spec(
            r#"{"rule":{"kind":"new_value","indicator":"occupants_class"},"severity":"normal"}"#,
        );
        assert!(fires(&check(
            &s.rule,
            &series(&[(0, 1.0), (1, 2.0), (2, 1.0), (3, 5.0)]),
            t(3)
        )));
        assert_eq!(
            check(&s.rule, &series(&[(0, 1.0), (1, 2.0), (2, 1.0)]), t(2)),
            Check::Normal
        );
        assert_eq!(check(&s.rule, &series(&[(0, 7.0)]), t(0)), Check::Between);
    }

    #[test]
    fn compound_and_systemic() {
        let all = spec(
            r#"{"rule":{"kind":"compound","need":"all","models":["gas_leak","crowding"],"within":"1d"},"severity":"urgent"}"#,
        );
        let open = vec![
            ("gas_leak".to_owned(), t(0)),
            ("crowding".to_owned(), t(60)),
        ];
        assert!(fires(&check_compound(&all.rule, &open, t(120))));
        assert_eq!(check_compound(&all.rule, &open[..1], t(120)), Check::Normal);
        // Two days later the first is outside the window.
        assert_eq!(
            check_compound(&all.rule, &open, t(60 + 24 * 60)),
            Check::Normal
        );
        let any = spec(
            r#"{"rule":{"kind":"compound","need":"any","models":["gas_leak","crowding"],"within":"1d"},"severity":"normal"}"#,
        );
        assert!(fires(&check_compound(&any.rule, &open[1..], t(120))));

        let sys = spec(
            r#"{"rule":{"kind":"systemic","area":"community","models":["ebike_charging"],"window":"7d","baseline":"28d","factor":2,"min":5},"severity":"normal"}"#,
        );
        // Usually 2 a week (8 in four weeks); 6 this week: fires.
        assert!(fires(&check_systemic(&sys.rule, 6, 8)));
        // 4 this week: below the minimum.
        assert_eq!(check_systemic(&sys.rule, 4, 0), Check::Normal);
        // 6 where 5 a week is usual: not unusual.
        assert_eq!(check_systemic(&sys.rule, 6, 20), Check::Between);
    }

    #[test]
    fn flapping_is_suppressed_by_the_band_and_the_cooldown() {
        let s = spec(
            r#"{"rule":{"kind":"threshold","indicator":"gas","op":">","value":50,"recover":30},"severity":"low","cooldown":"1h"}"#,
        );
        // Oscillates 55 / 45 every minute for an hour: one warning, never
        // closed (45 is inside the band).
        let pts: Vec<(i64, f64)> = (0..60)
            .map(|i| (i, if i % 2 == 0 { 55.0 } else { 45.0 }))
            .collect();
        let (raised, _) = replay(&s, &series(&pts), Duration::zero());
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].closed_at, None);
        // Oscillates 55 / 20: it closes each time, and the cool-down keeps
        // it from opening again for an hour.
        let pts: Vec<(i64, f64)> = (0..120)
            .map(|i| (i, if i % 2 == 0 { 55.0 } else { 20.0 }))
            .collect();
        let (raised, suppressed) = replay(&s, &series(&pts), Duration::zero());
        assert_eq!(raised.len(), 2, "{raised:?}");
        assert_eq!(raised[0].opened_at, t(0));
        assert_eq!(raised[0].closed_at, Some(t(1)));
        assert!(raised[1].opened_at >= t(61));
        assert!(suppressed > 0);
    }

    #[test]
    fn replay_shows_what_a_shadow_model_would_have_raised() {
        let s = spec(
            r#"{"rule":{"kind":"absence","indicator":"heartbeat","after":"2h"},"severity":"low","cooldown":"0m"}"#,
        );
        let pts = series(&[(0, 1.0), (60, 1.0), (400, 1.0), (420, 1.0)]);
        let (raised, _) = replay(&s, &pts, Duration::minutes(10));
        // Quiet from 60 to 400: fired at 180, closed by the reading at 400;
        // quiet again after 420 until the replay's end.
        assert_eq!(raised.len(), 2, "{raised:?}");
        assert_eq!(raised[0].opened_at, t(180));
        assert_eq!(raised[0].closed_at, Some(t(400)));
        assert_eq!(raised[1].opened_at, t(540));
    }
}
