//! 风险预警 pages: the overview (一图总览: a map of the street's
//! communities or compounds coloured by risk, with the same figures as a
//! table), portraits by community, compound or industry with their trend,
//! the drill-down to an area's warnings, a warning with why it fired and
//! every step so far, and the case list of the people who dispose of them
//! (a grid worker's phone, a department's desk).
pub mod i18n;
mod pages;

pub use pages::{MyRiskPage, RiskAdmin, RiskCasesPage, RiskOverview, RiskWarningPage};

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::model::AppError;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

/// A case in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseItem {
    pub id: i64,
    pub title: String,
    pub severity: String,
    pub open: bool,
    pub stage_name: String,
    pub due: Option<String>,
    pub overdue: bool,
    pub opened: String,
    pub summary: String,
    /// What the machine does next (`voice`, `recheck`), or `people` / `done`.
    pub machine: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepItem {
    pub word: String,
    pub note: String,
    pub at: String,
    /// A photo's step id (`/media/risk-photos/{id}`).
    pub photo: Option<i64>,
}

/// A warning with why it fired and what happened since.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WarningItem {
    pub case: CaseItem,
    pub subject: String,
    pub contact: Option<String>,
    pub limit: String,
    /// (time, value) of the readings behind it.
    pub readings: Vec<(String, String)>,
    pub steps: Vec<StepItem>,
    pub can_sign: bool,
    pub can_arrive: bool,
    pub can_handle: bool,
}

/// One unit's portrait row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitItem {
    pub key: String,
    pub name: String,
    pub score: f64,
    pub open: u32,
    pub urgent: u32,
    pub weeks: Vec<u32>,
    pub modules: String,
    /// 0 (none) to 3 (highest): the map's colour.
    pub band: u8,
}

/// One shape on the map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub key: String,
    pub name: String,
    pub d: String,
    pub band: u8,
    pub score: f64,
    /// Where its label goes.
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverviewView {
    pub level: String,
    pub rows: Vec<UnitItem>,
    pub street: UnitItem,
    pub week_starts: Vec<String>,
    pub shapes: Vec<Shape>,
    pub width: f64,
    pub height: f64,
    /// The unit drilled into, with its warnings.
    pub unit: Option<String>,
    pub cases: Vec<CaseItem>,
}

#[cfg(feature = "ssr")]
fn case_item(c: domain::risk::dispose::CaseRow) -> CaseItem {
    CaseItem {
        id: c.warning_id,
        title: c.title,
        severity: c.severity,
        open: c.state == "open",
        stage_name: if c.state == "open" {
            c.stage_name.unwrap_or_default()
        } else {
            String::new()
        },
        due: c
            .due_at
            .filter(|_| c.state == "open")
            .map(domain::clock::china_time),
        overdue: c.overdue && c.state == "open",
        opened: domain::clock::china_time(c.opened_at),
        summary: c.summary,
        machine: c.auto_step.unwrap_or_default(),
    }
}

/// The cases the signed-in person answers for, open ones.
#[server(prefix = "/api", endpoint = "risk_cases", input = GetUrl)]
pub async fn risk_cases() -> Result<Vec<CaseItem>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    Ok(
        domain::risk::dispose::cases(&st.services, &actor, true, None)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(case_item)
            .collect(),
    )
}

/// One warning, for someone who answers for it.
#[server(prefix = "/api", endpoint = "risk_warning", input = GetUrl)]
pub async fn risk_warning(id: i64) -> Result<WarningItem, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let w = domain::risk::dispose::warning(&st.services, &actor, id)
        .await
        .map_err(map_err)?;
    let stage = w.case.stage.clone().unwrap_or_default();
    let open = w.case.state == "open";
    let readings = w.why["readings"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|p| {
                    let at = domain::clock::china_time_of(p["at"].as_str()?)?;
                    Some((at, p["value"].as_f64().map(|v| format!("{v}"))?))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(WarningItem {
        limit: w.why["limit"].as_str().unwrap_or_default().to_owned(),
        readings,
        steps: w
            .steps
            .into_iter()
            .map(|s| StepItem {
                word: s.word,
                note: s.note.unwrap_or_default(),
                at: domain::clock::china_time(s.at),
                photo: s.photo,
            })
            .collect(),
        subject: w.subject,
        contact: w.contact,
        can_sign: open && matches!(stage.as_str(), "sign" | "auto"),
        can_arrive: open && !matches!(stage.as_str(), "sign" | "auto"),
        can_handle: open && stage == "handle",
        case: case_item(w.case),
    })
}

/// A step on a case: `sign`, `arrive` (with an optional note) or `handle`
/// (with feedback).
#[server(prefix = "/api", endpoint = "risk_act")]
pub async fn risk_act(
    warning: i64,
    step: String,
    #[server(default)] note: String,
    #[server(default)] location: String,
) -> Result<(), AppError> {
    use domain::risk::dispose::Act;
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let act = match step.as_str() {
        "sign" => Act::Sign,
        "arrive" => Act::Arrive { note, location },
        "handle" => Act::Handle { feedback: note },
        _ => {
            return Err(AppError::Validation {
                field: "step".into(),
                rule: "invalid".into(),
            });
        }
    };
    domain::risk::dispose::act(&st.services, &actor, warning, act)
        .await
        .map_err(map_err)
}

#[cfg(feature = "ssr")]
fn band(score: f64, max: f64) -> u8 {
    if score <= 0.0 {
        0
    } else if score < max / 3.0 {
        1
    } else if score < max * 2.0 / 3.0 {
        2
    } else {
        3
    }
}

#[cfg(feature = "ssr")]
fn unit_item(r: domain::risk::portrait::Row, max: f64) -> UnitItem {
    UnitItem {
        band: band(r.score, max),
        open: r.open.0 + r.open.1 + r.open.2,
        urgent: r.open.2,
        modules: r
            .modules
            .iter()
            .take(3)
            .map(|(m, n)| format!("{m} {n}"))
            .collect::<Vec<_>>()
            .join("、"),
        key: r.key,
        name: r.name,
        score: r.score,
        weeks: r.weeks,
    }
}

/// The overview at `level` (`community`, `compound`, `industry`), and
/// with `unit` that unit's warnings.
#[server(prefix = "/api", endpoint = "risk_overview", input = GetUrl)]
pub async fn risk_overview(level: String, unit: String) -> Result<OverviewView, AppError> {
    use domain::risk::portrait::{self, Level};
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let lv = Level::parse(&level).unwrap_or(Level::Community);
    let p = portrait::portrait(&st.services, &actor, lv)
        .await
        .map_err(map_err)?;
    let max = p.rows.iter().map(|r| r.score).fold(0.0_f64, f64::max);
    let rows: Vec<UnitItem> = p.rows.into_iter().map(|r| unit_item(r, max)).collect();
    // The map: outlines of this level, projected onto a 600-wide box.
    let kind = match lv {
        Level::Community => "community",
        Level::Compound => "compound",
        Level::Industry => "",
    };
    let outlines: Vec<_> = portrait::outlines(&st.services)
        .await
        .map_err(map_err)?
        .into_iter()
        .filter(|o| o.kind == kind)
        .collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (lon, lat) in outlines.iter().flat_map(|o| o.ring.iter()) {
        x0 = x0.min(*lon);
        x1 = x1.max(*lon);
        y0 = y0.min(*lat);
        y1 = y1.max(*lat);
    }
    let width = 600.0;
    let (mut height, mut shapes) = (0.0, Vec::new());
    if !outlines.is_empty() && x1 > x0 && y1 > y0 {
        let k = ((y0 + y1) / 2.0).to_radians().cos();
        let scale = (width - 20.0) / ((x1 - x0) * k);
        height = (y1 - y0) * scale + 20.0;
        let px = |lon: f64| 10.0 + (lon - x0) * k * scale;
        let py = |lat: f64| 10.0 + (y1 - lat) * scale;
        for o in outlines {
            let key = o.unit_id.to_string();
            let Some(row) = rows.iter().find(|r| r.key == key) else {
                continue;
            };
            let mut d = String::new();
            for (i, (lon, lat)) in o.ring.iter().enumerate() {
                d.push_str(&format!(
                    "{}{:.1} {:.1} ",
                    if i == 0 { "M" } else { "L" },
                    px(*lon),
                    py(*lat)
                ));
            }
            d.push('Z');
            let n = o.ring.len().max(1) as f64;
            let (cx, cy) = o.ring.iter().fold((0.0, 0.0), |(a, b), (lon, lat)| {
                (a + px(*lon), b + py(*lat))
            });
            shapes.push(Shape {
                key,
                name: row.name.clone(),
                d,
                band: row.band,
                score: row.score,
                x: cx / n,
                y: cy / n,
            });
        }
    }
    let (unit_name, cases) = match rows.iter().find(|r| !unit.is_empty() && r.key == unit) {
        Some(r) => (
            Some(r.name.clone()),
            domain::risk::dispose::cases(&st.services, &actor, false, Some((lv, &r.key)))
                .await
                .map_err(map_err)?
                .into_iter()
                .map(case_item)
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    Ok(OverviewView {
        level: match lv {
            Level::Community => "community",
            Level::Compound => "compound",
            Level::Industry => "industry",
        }
        .into(),
        street: unit_item(p.street, f64::MAX),
        rows,
        week_starts: p.week_starts,
        shapes,
        width,
        height,
        unit: unit_name,
        cases,
    })
}

// ---- administration ------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointRow {
    pub key: String,
    pub name: String,
    pub module: String,
    pub department: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    pub id: i64,
    pub key: String,
    pub version: i32,
    pub point: String,
    pub name: String,
    pub mode: String,
    pub kind: String,
    pub severity: String,
    pub spec: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    pub last_seen: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskAdminView {
    /// (key, name)
    pub departments: Vec<(String, String)>,
    /// (key, name)
    pub modules: Vec<(String, String)>,
    pub points: Vec<PointRow>,
    pub models: Vec<ModelRow>,
    pub sources: Vec<SourceRow>,
}

/// The catalogue, every model version and the sources (admins).
#[server(prefix = "/api", endpoint = "risk_admin", input = GetUrl)]
pub async fn risk_admin() -> Result<RiskAdminView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    actor.require_admin().map_err(map_err)?;
    let cat = domain::risk::catalogue(&st.services)
        .await
        .map_err(map_err)?;
    let models = domain::risk::model_list(&st.services, &actor)
        .await
        .map_err(map_err)?;
    let sources = domain::risk::sources(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok(RiskAdminView {
        departments: cat.departments,
        points: cat
            .modules
            .iter()
            .flat_map(|m| {
                m.points.iter().map(move |p| PointRow {
                    key: p.key.clone(),
                    name: p.name.clone(),
                    module: m.name.clone(),
                    department: p.department_key.clone().unwrap_or_default(),
                })
            })
            .collect(),
        modules: cat.modules.into_iter().map(|m| (m.key, m.name)).collect(),
        models: models
            .into_iter()
            .map(|m| ModelRow {
                id: m.id,
                key: m.key,
                version: m.version,
                point: m.point_key,
                name: m.name,
                mode: m.mode,
                kind: m.kind,
                severity: m.severity,
                spec: m.spec,
            })
            .collect(),
        sources: sources
            .into_iter()
            .map(|x| SourceRow {
                id: x.id,
                name: x.name,
                kind: x.kind,
                enabled: x.enabled,
                last_seen: x.last_seen_at.map(domain::clock::china_time),
            })
            .collect(),
    })
}

/// Adds or renames a department, module or point (admins; audited).
#[server(prefix = "/api", endpoint = "risk_save_entry")]
pub async fn risk_save_entry(
    kind: String,
    key: String,
    name: String,
    #[server(default)] module: String,
    #[server(default)] department: String,
    #[server(default)] terms: String,
    #[server(default)] sort: String,
) -> Result<(), AppError> {
    use domain::risk::Entry;
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let entry = match kind.as_str() {
        "department" => Entry::Department { key, name },
        "module" => Entry::Module {
            key,
            name,
            sort: sort.trim().parse().unwrap_or(0),
        },
        "point" => Entry::Point {
            key,
            module,
            name,
            department: Some(department),
            terms: Some(terms),
        },
        _ => {
            return Err(AppError::Validation {
                field: "kind".into(),
                rule: "invalid".into(),
            });
        }
    };
    domain::risk::save_entry(&st.services, Some(&actor), entry)
        .await
        .map_err(map_err)
}

/// Saves a new version of a model (admins; audited).
#[server(prefix = "/api", endpoint = "risk_save_model")]
pub async fn risk_save_model(
    key: String,
    point: String,
    name: String,
    spec: String,
    mode: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::risk::save_model(
        &st.services,
        Some(&actor),
        &key,
        &point,
        &name,
        &spec,
        &mode,
    )
    .await
    .map_err(map_err)
}

/// Puts a model version live, back to shadow, or retires it.
#[server(prefix = "/api", endpoint = "risk_model_mode")]
pub async fn risk_model_mode(id: i64, mode: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::risk::set_model_mode(&st.services, &actor, id, &mode)
        .await
        .map_err(map_err)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayView {
    pub model: String,
    pub version: i32,
    pub days: i64,
    pub subjects: usize,
    pub readings: usize,
    pub raised: usize,
    pub still_open: usize,
    pub suppressed: u32,
    /// (subject, opened, closed, why)
    pub examples: Vec<(String, String, String, String)>,
}

/// What a model version would have raised over the stored readings.
#[server(prefix = "/api", endpoint = "risk_replay")]
pub async fn risk_replay(id: i64, days: i64) -> Result<ReplayView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let r = domain::risk::replay_model(&st.services, Some(&actor), id, days)
        .await
        .map_err(map_err)?;
    Ok(ReplayView {
        model: r.model,
        version: r.version,
        days: r.days,
        subjects: r.subjects,
        readings: r.readings,
        raised: r.raised,
        still_open: r.still_open,
        suppressed: r.suppressed,
        examples: r
            .examples
            .into_iter()
            .take(20)
            .map(|e| {
                (
                    e.subject,
                    domain::clock::china_time(e.opened_at),
                    e.closed_at
                        .map(domain::clock::china_time)
                        .unwrap_or_default(),
                    e.summary,
                )
            })
            .collect(),
    })
}

/// Registers a source and returns its token, shown this once.
#[server(prefix = "/api", endpoint = "risk_new_source")]
pub async fn risk_new_source(name: String, kind: String) -> Result<String, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::risk::create_source(&st.services, Some(&actor), &name, &kind)
        .await
        .map(|(_, token)| token)
        .map_err(map_err)
}

/// Turns a source off (its token stops working) or on.
#[server(prefix = "/api", endpoint = "risk_source_enabled")]
pub async fn risk_source_enabled(id: i64, enabled: bool) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::risk::set_source_enabled(&st.services, &actor, id, enabled)
        .await
        .map_err(map_err)
}

/// Saves the map's outlines from a GeoJSON FeatureCollection.
#[server(prefix = "/api", endpoint = "risk_outlines")]
pub async fn risk_outlines(geojson: String) -> Result<usize, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::risk::portrait::set_outlines(&st.services, Some(&actor), &geojson)
        .await
        .map_err(map_err)
}

/// A warning on one of the party's own subjects (责任方).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartyItem {
    pub id: i64,
    pub subject: String,
    pub point: String,
    pub severity: String,
    pub open: bool,
    pub opened: String,
    pub closed: Option<String>,
    pub summary: String,
    /// (what, when) of every step so far.
    pub steps: Vec<(String, String)>,
    pub reported: bool,
}

/// The warnings on the signed-in account's own subjects (its phone is their
/// contact).
#[server(prefix = "/api", endpoint = "risk_mine", input = GetUrl)]
pub async fn risk_mine() -> Result<Vec<PartyItem>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let cases = domain::risk::party::my_cases(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok(cases
        .into_iter()
        .map(|c| PartyItem {
            id: c.warning_id,
            subject: c.subject,
            point: c.point,
            severity: c.severity,
            open: c.state == "open",
            opened: domain::clock::china_time(c.opened_at),
            closed: c.closed_at.map(domain::clock::china_time),
            summary: c.summary,
            steps: c
                .steps
                .into_iter()
                .map(|x| (x.word, domain::clock::china_time(x.at)))
                .collect(),
            reported: c.reported,
        })
        .collect())
}

/// The responsible party reports that they fixed it, with what they did.
#[server(prefix = "/api", endpoint = "risk_party_report")]
pub async fn risk_party_report(id: i64, note: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::risk::party::report(&st.services, &actor, id, &note)
        .await
        .map_err(map_err)
}
