//! The pure rules of 企服通, with their unit tests: tags from an
//! enterprise's figures, a policy's criteria judged against an enterprise
//! (eligible, not eligible naming the failed criteria, or unknown listing
//! the missing fields — never a bare yes or no), and a lease's warning
//! level on China dates.
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// What the rules read of an enterprise.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    pub industry_code: Option<String>,
    /// 万元
    pub registered_capital: Option<f64>,
    pub employees: Option<i32>,
    /// 万元 a year
    pub annual_tax: Option<f64>,
    pub founded_on: Option<NaiveDate>,
    pub lease_start: Option<NaiveDate>,
    pub building_code: Option<String>,
    pub community_id: Option<i64>,
    pub grade: Option<String>,
    pub tags: Vec<String>,
}

// ---- tags ----------------------------------------------------------------

/// Tags the rules give (recomputed whenever an enterprise's data changes);
/// the others (高新技术, 专精特新 …) are certifications staff set by hand.
pub const RULE_TAGS: &[&str] = &[
    "规上企业",
    "小微企业",
    "科技型",
    "纳税百万",
    "今年新入驻",
    "重点企业",
];

/// Tags staff may set by hand.
pub const MANUAL_TAGS: &[&str] = &["高新技术", "专精特新", "上市企业", "总部企业", "外资企业"];

/// Industry code prefixes counted as 科技型 (GB/T 4754: software and IT
/// services, research and development, technical services).
const TECH: &[&str] = &["I63", "I64", "I65", "M73", "M74", "M75"];

/// The rule tags of an enterprise as of `today`.
pub fn rule_tags(f: &Facts, today: NaiveDate) -> Vec<&'static str> {
    let mut out = Vec::new();
    let big = f.employees.is_some_and(|e| e >= 300) || f.annual_tax.is_some_and(|t| t >= 1000.0);
    if big {
        out.push("规上企业");
    }
    if !big
        && f.employees.is_some_and(|e| e < 100)
        && f.registered_capital.is_none_or(|c| c < 1000.0)
    {
        out.push("小微企业");
    }
    if f.industry_code
        .as_deref()
        .is_some_and(|c| TECH.iter().any(|p| c.starts_with(p)))
    {
        out.push("科技型");
    }
    if f.annual_tax.is_some_and(|t| t >= 100.0) {
        out.push("纳税百万");
    }
    if f.lease_start
        .is_some_and(|d| d.year() == today.year() && d <= today)
    {
        out.push("今年新入驻");
    }
    if f.grade.is_some() {
        out.push("重点企业");
    }
    out
}

// ---- policies ------------------------------------------------------------

/// A policy's criteria as admins write them (JSON); every one left out
/// holds for everybody.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Criteria {
    /// GB/T 4754 code prefixes (`I`, `I65`, `C39`); any one matches.
    pub industries: Vec<String>,
    pub min_employees: Option<i32>,
    pub max_employees: Option<i32>,
    /// 万元 a year
    pub min_tax: Option<f64>,
    pub max_tax: Option<f64>,
    /// 万元
    pub min_capital: Option<f64>,
    pub max_capital: Option<f64>,
    /// Years since founding.
    pub min_age_years: Option<u32>,
    pub max_age_years: Option<u32>,
    /// Every one of these tags.
    pub tags_all: Vec<String>,
    /// At least one of these tags.
    pub tags_any: Vec<String>,
    /// In one of these buildings (their codes).
    pub buildings: Vec<String>,
    /// In one of these communities (their ids).
    pub communities: Vec<i64>,
}

impl Criteria {
    pub fn parse(json: &str) -> Result<Self, String> {
        if !json.trim_start().starts_with('{') {
            return Err("criteria are a JSON object".into());
        }
        let mut c: Criteria = serde_json::from_str(json).map_err(|e| e.to_string())?;
        for i in &mut c.industries {
            *i = i.trim().to_ascii_uppercase();
        }
        let bad_range = |lo: Option<f64>, hi: Option<f64>| lo.zip(hi).is_some_and(|(l, h)| l > h);
        if bad_range(c.min_tax, c.max_tax)
            || bad_range(c.min_capital, c.max_capital)
            || bad_range(
                c.min_employees.map(f64::from),
                c.max_employees.map(f64::from),
            )
            || bad_range(
                c.min_age_years.map(f64::from),
                c.max_age_years.map(f64::from),
            )
        {
            return Err("a minimum is above its maximum".into());
        }
        if [c.min_tax, c.max_tax, c.min_capital, c.max_capital]
            .into_iter()
            .flatten()
            .any(|v| !v.is_finite() || v < 0.0)
            || c.min_employees.is_some_and(|v| v < 0)
            || c.max_employees.is_some_and(|v| v < 0)
        {
            return Err("figures are zero or more".into());
        }
        if c.industries.len() > 50
            || c.tags_all.len() + c.tags_any.len() > 20
            || c.buildings.len() > 200
            || c.communities.len() > 200
        {
            return Err("too many values".into());
        }
        if c.industries
            .iter()
            .any(|i| i.is_empty() || i.len() > 5 || !i.chars().all(|ch| ch.is_ascii_alphanumeric()))
        {
            return Err("industry codes are like I, I65 or C3911".into());
        }
        Ok(c)
    }
}

/// Eligible, not eligible, or unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Eligible,
    Ineligible,
    Unknown,
}

/// A criterion that failed, in words (zh) with the values behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failed {
    /// The criterion's name (`industries`, `min_tax` …).
    pub criterion: String,
    pub reason: String,
}

/// A policy judged against one enterprise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub state: State,
    /// Why not (when not eligible), every failed criterion.
    pub failed: Vec<Failed>,
    /// What the register lacks to decide (when unknown, and also listed
    /// when another criterion failed).
    pub missing: Vec<String>,
    /// The criteria that held, in words.
    pub met: Vec<String>,
}

fn years_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut y = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        y -= 1;
    }
    y.max(0) as u32
}

/// Judges `c` against `f` as of `today`: any criterion that fails on the
/// data the register has makes it not eligible (every failed one named);
/// otherwise a criterion the register lacks data for makes it unknown
/// (the missing fields listed); otherwise eligible.
pub fn judge(c: &Criteria, f: &Facts, today: NaiveDate) -> Verdict {
    let mut failed = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut met = Vec::new();
    let mut fail = |criterion: &str, reason: String| {
        failed.push(Failed {
            criterion: criterion.to_owned(),
            reason,
        })
    };
    if !c.industries.is_empty() {
        match &f.industry_code {
            None => missing.push("industry_code".into()),
            Some(code) => {
                if c.industries.iter().any(|p| code.starts_with(p.as_str())) {
                    met.push(format!("行业 {code} 属于 {}", c.industries.join("、")));
                } else {
                    fail(
                        "industries",
                        format!("行业 {code} 不属于 {}", c.industries.join("、")),
                    );
                }
            }
        }
    }
    let mut range = |name_min: &str,
                     name_max: &str,
                     field: &str,
                     label: &str,
                     unit: &str,
                     value: Option<f64>,
                     lo: Option<f64>,
                     hi: Option<f64>| {
        if lo.is_none() && hi.is_none() {
            return;
        }
        let Some(v) = value else {
            missing.push(field.to_owned());
            return;
        };
        if let Some(lo) = lo
            && v < lo
        {
            fail(name_min, format!("{label} {v}{unit}，低于 {lo}{unit}"));
            return;
        }
        if let Some(hi) = hi
            && v > hi
        {
            fail(name_max, format!("{label} {v}{unit}，高于 {hi}{unit}"));
            return;
        }
        met.push(format!("{label} {v}{unit}"));
    };
    range(
        "min_employees",
        "max_employees",
        "employees",
        "从业人数",
        "人",
        f.employees.map(f64::from),
        c.min_employees.map(f64::from),
        c.max_employees.map(f64::from),
    );
    range(
        "min_tax",
        "max_tax",
        "annual_tax",
        "年纳税",
        "万元",
        f.annual_tax,
        c.min_tax,
        c.max_tax,
    );
    range(
        "min_capital",
        "max_capital",
        "registered_capital",
        "注册资本",
        "万元",
        f.registered_capital,
        c.min_capital,
        c.max_capital,
    );
    range(
        "min_age_years",
        "max_age_years",
        "founded_on",
        "成立年数",
        "年",
        f.founded_on.map(|d| f64::from(years_between(d, today))),
        c.min_age_years.map(f64::from),
        c.max_age_years.map(f64::from),
    );
    for t in &c.tags_all {
        if f.tags.contains(t) {
            met.push(format!("有“{t}”标签"));
        } else {
            fail("tags_all", format!("没有“{t}”标签"));
        }
    }
    if !c.tags_any.is_empty() {
        if let Some(t) = c.tags_any.iter().find(|t| f.tags.contains(t)) {
            met.push(format!("有“{t}”标签"));
        } else {
            fail(
                "tags_any",
                format!("没有 {} 中任一标签", c.tags_any.join("、")),
            );
        }
    }
    if !c.buildings.is_empty() {
        match &f.building_code {
            None => missing.push("building".into()),
            Some(b) if c.buildings.contains(b) => met.push(format!("在指定楼宇 {b}")),
            Some(b) => fail("buildings", format!("所在楼宇 {b} 不在指定范围")),
        }
    }
    if !c.communities.is_empty() {
        match f.community_id {
            None => missing.push("building".into()),
            Some(id) if c.communities.contains(&id) => met.push("在指定社区".into()),
            Some(_) => fail("communities", "所在社区不在指定范围".into()),
        }
    }
    missing.dedup();
    let state = if !failed.is_empty() {
        State::Ineligible
    } else if !missing.is_empty() {
        State::Unknown
    } else {
        State::Eligible
    };
    Verdict {
        state,
        failed,
        missing,
        met,
    }
}

// ---- leases --------------------------------------------------------------

/// How soon a lease ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Within the first window (one month by default) or already past.
    Red,
    Yellow,
    Blue,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Red => "red",
            Level::Yellow => "yellow",
            Level::Blue => "blue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "red" => Some(Level::Red),
            "yellow" => Some(Level::Yellow),
            "blue" => Some(Level::Blue),
            _ => None,
        }
    }
}

/// Months ahead for red, yellow and blue (1, 2, 3 unless configured).
pub const DEFAULT_MONTHS: [u32; 3] = [1, 2, 3];

/// The level of a lease ending on `end`, seen on `today` (China dates):
/// ending on or before `today` + 1 month is red (past ends too, until an
/// outcome is recorded), + 2 months yellow, + 3 months blue; later, none.
/// "A month" is a calendar month: from 31 January it reaches 28 (or 29)
/// February.
pub fn lease_level(end: NaiveDate, today: NaiveDate, months: [u32; 3]) -> Option<Level> {
    let within = |m: u32| {
        today
            .checked_add_months(Months::new(m))
            .is_some_and(|limit| end <= limit)
    };
    if within(months[0]) {
        Some(Level::Red)
    } else if within(months[1]) {
        Some(Level::Yellow)
    } else if within(months[2]) {
        Some(Level::Blue)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn lease_levels_follow_calendar_months_across_month_ends() {
        let m = DEFAULT_MONTHS;
        let today = d("2026-01-31");
        // One month from 31 January is 28 February (2026 is no leap year).
        assert_eq!(lease_level(d("2026-02-28"), today, m), Some(Level::Red));
        assert_eq!(lease_level(d("2026-03-01"), today, m), Some(Level::Yellow));
        assert_eq!(lease_level(d("2026-03-31"), today, m), Some(Level::Yellow));
        assert_eq!(lease_level(d("2026-04-01"), today, m), Some(Level::Blue));
        assert_eq!(lease_level(d("2026-04-30"), today, m), Some(Level::Blue));
        assert_eq!(lease_level(d("2026-05-01"), today, m), None);
        // Already ended: red until someone records what happened.
        assert_eq!(lease_level(d("2026-01-15"), today, m), Some(Level::Red));
        // The next day, across the month boundary: 1 February + 1 month.
        let next = d("2026-02-01");
        assert_eq!(lease_level(d("2026-03-01"), next, m), Some(Level::Red));
        assert_eq!(lease_level(d("2026-03-02"), next, m), Some(Level::Yellow));
        // A leap year's February.
        assert_eq!(
            lease_level(d("2028-02-29"), d("2028-01-31"), m),
            Some(Level::Red)
        );
        // Configured windows.
        assert_eq!(
            lease_level(d("2026-03-15"), d("2026-01-01"), [3, 6, 9]),
            Some(Level::Red)
        );
    }

    fn facts() -> Facts {
        Facts {
            industry_code: Some("I6513".into()),
            registered_capital: Some(500.0),
            employees: Some(40),
            annual_tax: Some(120.0),
            founded_on: Some(d("2021-06-01")),
            lease_start: Some(d("2026-03-01")),
            building_code: Some("GD-01".into()),
            community_id: Some(1),
            grade: None,
            tags: vec![],
        }
    }

    #[test]
    fn rule_tags_come_from_the_figures() {
        let today = d("2026-12-07");
        let f = facts();
        assert_eq!(
            rule_tags(&f, today),
            vec!["小微企业", "科技型", "纳税百万", "今年新入驻"]
        );
        let big = Facts {
            employees: Some(350),
            industry_code: Some("C3911".into()),
            annual_tax: Some(20.0),
            lease_start: Some(d("2019-01-01")),
            grade: Some("A".into()),
            ..facts()
        };
        assert_eq!(rule_tags(&big, today), vec!["规上企业", "重点企业"]);
        // Nothing known, nothing claimed.
        assert!(rule_tags(&Facts::default(), today).is_empty());
    }

    #[test]
    fn a_policy_says_eligible_or_why_not_or_what_is_missing() {
        let today = d("2026-12-07");
        let c = Criteria::parse(
            r#"{"industries": ["I65", "M73"], "max_employees": 100, "min_tax": 50, "max_age_years": 8, "tags_any": ["科技型", "高新技术"]}"#,
        )
        .unwrap();
        let mut f = facts();
        f.tags = vec!["科技型".into()];
        let v = judge(&c, &f, today);
        assert_eq!(v.state, State::Eligible, "{v:?}");
        assert!(v.failed.is_empty() && v.missing.is_empty());
        assert!(v.met.iter().any(|m| m.contains("I6513")));
        // The wrong industry and too little tax: both named.
        let g = Facts {
            industry_code: Some("C3911".into()),
            annual_tax: Some(20.0),
            ..f.clone()
        };
        let v = judge(&c, &g, today);
        assert_eq!(v.state, State::Ineligible);
        let failed: Vec<&str> = v.failed.iter().map(|x| x.criterion.as_str()).collect();
        assert_eq!(failed, ["industries", "min_tax"]);
        assert!(v.failed[1].reason.contains("20万元"), "{:?}", v.failed);
        // No tax figure and no founding date: unknown, both listed.
        let h = Facts {
            annual_tax: None,
            founded_on: None,
            ..f.clone()
        };
        let v = judge(&c, &h, today);
        assert_eq!(v.state, State::Unknown);
        assert_eq!(v.missing, ["annual_tax", "founded_on"]);
        // A failure wins over a gap: not eligible, the gap still listed.
        let i = Facts {
            annual_tax: None,
            employees: Some(500),
            ..f.clone()
        };
        let v = judge(&c, &i, today);
        assert_eq!(v.state, State::Ineligible);
        assert_eq!(v.failed[0].criterion, "max_employees");
        assert_eq!(v.missing, ["annual_tax"]);
        // No criteria: everyone.
        assert_eq!(
            judge(&Criteria::default(), &Facts::default(), today).state,
            State::Eligible
        );
        // Age is whole years to the day.
        let age = Criteria::parse(r#"{"min_age_years": 5}"#).unwrap();
        let young = Facts {
            founded_on: Some(d("2021-12-08")),
            ..facts()
        };
        assert_eq!(judge(&age, &young, today).state, State::Ineligible);
        let old = Facts {
            founded_on: Some(d("2021-12-07")),
            ..facts()
        };
        assert_eq!(judge(&age, &old, today).state, State::Eligible);
    }

    #[test]
    fn bad_criteria_are_refused() {
        for bad in [
            r#"{"min_tax": 100, "max_tax": 10}"#,
            r#"{"min_tax": -1}"#,
            r#"{"industries": ["I 65"]}"#,
            r#"{"shoe_size": 42}"#,
            r#"[]"#,
        ] {
            assert!(Criteria::parse(bad).is_err(), "{bad}");
        }
    }
}
