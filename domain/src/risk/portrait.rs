//! 风险画像 · 一图总览: a risk score per compound, community, the street
//! and industry from active and recent warnings (by severity, fading with
//! age), their trend over eight weeks, a ranking, and the overview map's
//! outlines (a GeoJSON an admin uploads; the demo ships fictional ones).
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use super::entities::{risk_boundary, risk_subject, risk_warning};
use super::model::Severity;
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock, entities};

/// Weeks of trend.
pub const WEEKS: usize = 8;
/// A closed warning's weight halves every this many days.
pub const HALF_LIFE_DAYS: f64 = 7.0;

/// Which units a portrait ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Level {
    Community,
    Compound,
    Industry,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "community" => Some(Level::Community),
            "compound" => Some(Level::Compound),
            "industry" => Some(Level::Industry),
            _ => None,
        }
    }
}

/// One unit's portrait.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The unit's id (community, compound), or the industry code.
    pub key: String,
    pub name: String,
    pub score: f64,
    /// Open warnings now, by severity: (low, normal, urgent).
    pub open: (u32, u32, u32),
    /// Warnings opened in each of the last eight weeks, oldest first.
    pub weeks: Vec<u32>,
    /// The risk modules behind the score, most first: (module name, warnings).
    pub modules: Vec<(String, u32)>,
}

/// A portrait of every unit at a level, highest score first, with the
/// street's total.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Portrait {
    pub level: Level,
    pub rows: Vec<Row>,
    pub street: Row,
    /// The Monday (China time) each week starts, oldest first.
    pub week_starts: Vec<String>,
}

/// What one warning adds to a score at `now`: its severity's weight, in
/// full while open, fading by half every week after it closed.
pub fn weight(severity: Severity, closed_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    let w = severity.weight();
    match closed_at {
        None => w,
        Some(c) => {
            let days = (now - c).num_seconds().max(0) as f64 / 86_400.0;
            w * 0.5f64.powf(days / HALF_LIFE_DAYS)
        }
    }
}

fn week_of(at: DateTime<Utc>, now: DateTime<Utc>) -> Option<usize> {
    let ago = (now - at).num_days();
    if ago < 0 || ago >= (WEEKS as i64) * 7 {
        return None;
    }
    Some(WEEKS - 1 - (ago / 7) as usize)
}

struct Acc {
    score: f64,
    open: (u32, u32, u32),
    weeks: Vec<u32>,
    modules: HashMap<String, u32>,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            score: 0.0,
            open: (0, 0, 0),
            weeks: vec![0; WEEKS],
            modules: HashMap::new(),
        }
    }

    fn add(&mut self, w: &risk_warning::Model, module: &str, now: DateTime<Utc>) {
        let sev = Severity::parse(&w.severity).unwrap_or(Severity::Low);
        self.score += weight(sev, w.closed_at, now);
        if w.state == "open" {
            match sev {
                Severity::Low => self.open.0 += 1,
                Severity::Normal => self.open.1 += 1,
                Severity::Urgent => self.open.2 += 1,
            }
        }
        if let Some(i) = week_of(w.opened_at, now) {
            self.weeks[i] += 1;
        }
        *self.modules.entry(module.to_owned()).or_default() += 1;
    }

    fn row(self, key: String, name: String) -> Row {
        let mut modules: Vec<(String, u32)> = self.modules.into_iter().collect();
        modules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Row {
            key,
            name,
            score: (self.score * 10.0).round() / 10.0,
            open: self.open,
            weeks: self.weeks,
            modules,
        }
    }
}

/// The portrait at `level` for those who work with risk (street-wide: the
/// map is the street's). One read of the warnings that count (open, or
/// opened within eight weeks).
pub async fn portrait(s: &Services, actor: &Principal, level: Level) -> DomainResult<Portrait> {
    if !super::works_with_risk(actor) {
        return Err(DomainError::Forbidden);
    }
    let now = clock::now();
    let since = now - Duration::weeks(WEEKS as i64);
    let warnings = risk_warning::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(risk_warning::Column::State.eq("open"))
                .add(risk_warning::Column::OpenedAt.gte(since)),
        )
        .all(&s.db)
        .await?;
    let models = super::models(s).await?;
    let catalogue = super::catalogue(s).await?;
    let module_of: HashMap<&str, &str> = catalogue
        .modules
        .iter()
        .flat_map(|m| {
            m.points
                .iter()
                .map(move |p| (p.key.as_str(), m.name.as_str()))
        })
        .collect();
    let _ = models;
    let names: HashMap<String, String> = match level {
        Level::Community => entities::community::Entity::find()
            .all(&s.db)
            .await?
            .into_iter()
            .map(|c| (c.id.to_string(), c.name))
            .collect(),
        Level::Compound => entities::compound::Entity::find()
            .all(&s.db)
            .await?
            .into_iter()
            .map(|c| (c.id.to_string(), c.name))
            .collect(),
        Level::Industry => HashMap::new(),
    };
    let industries: HashMap<i64, Option<String>> = if level == Level::Industry {
        risk_subject::Entity::find()
            .all(&s.db)
            .await?
            .into_iter()
            .map(|x| (x.id, x.industry))
            .collect()
    } else {
        HashMap::new()
    };
    let mut by: HashMap<String, Acc> = HashMap::new();
    let mut street = Acc::new();
    for w in &warnings {
        let module = module_of
            .get(w.point_key.as_str())
            .copied()
            .unwrap_or("其他");
        street.add(w, module, now);
        let key = match level {
            Level::Community => w.community_id.map(|c| c.to_string()),
            Level::Compound => w.compound_id.map(|c| c.to_string()),
            Level::Industry => industries.get(&w.subject_id).cloned().flatten(),
        };
        if let Some(k) = key {
            by.entry(k).or_insert_with(Acc::new).add(w, module, now);
        }
    }
    // Units without warnings rank too (at 0), so the map colours them.
    for k in names.keys() {
        by.entry(k.clone()).or_insert_with(Acc::new);
    }
    let mut rows: Vec<Row> = by
        .into_iter()
        .map(|(k, acc)| {
            let name = names.get(&k).cloned().unwrap_or_else(|| k.clone());
            acc.row(k, name)
        })
        .collect();
    rows.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.name.cmp(&b.name)));
    let week_starts = (0..WEEKS)
        .map(|i| clock::china_day(now - Duration::weeks((WEEKS - 1 - i) as i64)))
        .collect();
    Ok(Portrait {
        level,
        rows,
        street: street.row("street".into(), "全街道".into()),
        week_starts,
    })
}

/// One outline on the map.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outline {
    pub kind: String,
    pub unit_id: i64,
    pub ring: Vec<(f64, f64)>,
}

/// Every uploaded outline.
pub async fn outlines(s: &Services) -> DomainResult<Vec<Outline>> {
    Ok(risk_boundary::Entity::find()
        .all(&s.db)
        .await?
        .into_iter()
        .filter_map(|b| {
            Some(Outline {
                ring: serde_json::from_str(&b.ring).ok()?,
                kind: b.unit_kind,
                unit_id: b.unit_id,
            })
        })
        .collect())
}

/// Largest boundary file, features, and points per outline.
pub const GEOJSON_MAX_BYTES: usize = 1024 * 1024;
pub const FEATURES_MAX: usize = 500;
pub const POINTS_MAX: usize = 5000;

/// Saves outlines from a GeoJSON FeatureCollection whose features are
/// Polygons with `properties.kind` (`community` | `compound`) and
/// `properties.name` (the unit's name) or `properties.id`. All or nothing;
/// admins; audited. Returns how many were saved.
pub async fn set_outlines(
    s: &Services,
    actor: Option<&Principal>,
    geojson: &str,
) -> DomainResult<usize> {
    if let Some(a) = actor {
        a.require_admin()?;
    }
    if geojson.len() > GEOJSON_MAX_BYTES {
        return Err(DomainError::validation("geojson", "too_large"));
    }
    let v: serde_json::Value =
        serde_json::from_str(geojson).map_err(|_| DomainError::validation("geojson", "invalid"))?;
    let features = v["features"]
        .as_array()
        .ok_or(DomainError::validation("geojson", "invalid"))?;
    if features.is_empty() || features.len() > FEATURES_MAX {
        return Err(DomainError::validation("geojson", "features"));
    }
    let communities: HashMap<String, i64> = entities::community::Entity::find()
        .all(&s.db)
        .await?
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    let compounds: HashMap<String, i64> = entities::compound::Entity::find()
        .all(&s.db)
        .await?
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    let mut parsed = Vec::new();
    for f in features {
        let kind = f["properties"]["kind"].as_str().unwrap_or_default();
        let table = match kind {
            "community" => &communities,
            "compound" => &compounds,
            _ => return Err(DomainError::validation("geojson", "kind")),
        };
        let id = match (&f["properties"]["id"], f["properties"]["name"].as_str()) {
            (serde_json::Value::Number(n), _) => n
                .as_i64()
                .filter(|id| table.values().any(|x| x == id))
                .ok_or(DomainError::validation("geojson", "unknown_unit"))?,
            (_, Some(name)) => *table
                .get(name)
                .ok_or(DomainError::validation("geojson", "unknown_unit"))?,
            _ => return Err(DomainError::validation("geojson", "unknown_unit")),
        };
        if f["geometry"]["type"].as_str() != Some("Polygon") {
            return Err(DomainError::validation("geojson", "polygon"));
        }
        let ring = f["geometry"]["coordinates"][0]
            .as_array()
            .ok_or(DomainError::validation("geojson", "polygon"))?;
        if ring.len() < 4 || ring.len() > POINTS_MAX {
            return Err(DomainError::validation("geojson", "polygon"));
        }
        let mut pts = Vec::with_capacity(ring.len());
        for p in ring {
            let (Some(lon), Some(lat)) = (p[0].as_f64(), p[1].as_f64()) else {
                return Err(DomainError::validation("geojson", "polygon"));
            };
            if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                return Err(DomainError::validation("geojson", "polygon"));
            }
            pts.push((lon, lat));
        }
        parsed.push((kind.to_owned(), id, pts));
    }
    let now = clock::now();
    let by = actor.map(|a| a.account_id);
    let (_gate, txn) = s.begin_write().await?;
    for (kind, id, pts) in &parsed {
        risk_boundary::Entity::delete_many()
            .filter(risk_boundary::Column::UnitKind.eq(kind.clone()))
            .filter(risk_boundary::Column::UnitId.eq(*id))
            .exec(&txn)
            .await?;
        risk_boundary::ActiveModel {
            unit_kind: Set(kind.clone()),
            unit_id: Set(*id),
            ring: Set(serde_json::to_string(pts).unwrap_or_default()),
            updated_by: Set(by),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::append(
        &txn,
        by,
        "risk.outlines",
        "risk_boundary",
        serde_json::json!({"features": parsed.len()}),
    )
    .await?;
    txn.commit().await?;
    Ok(parsed.len())
}

/// Fictional outlines for the demo: the communities side by side, each
/// compound a block inside its community. Only when none are stored.
pub async fn demo_outlines<C: ConnectionTrait>(conn: &C) -> DomainResult<String> {
    let communities = entities::community::Entity::find().all(conn).await?;
    let compounds = entities::compound::Entity::find().all(conn).await?;
    let (x0, y0, w, h) = (120.150, 30.320, 0.012, 0.016);
    let mut features = Vec::new();
    let rect = |x: f64, y: f64, w: f64, h: f64| {
        vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]
    };
    for (i, c) in communities.iter().enumerate() {
        let (cx, cy) = (x0 + (i % 3) as f64 * w, y0 - (i / 3) as f64 * h);
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {"kind": "community", "name": c.name},
            "geometry": {"type": "Polygon", "coordinates": [rect(cx, cy, w, h)]},
        }));
        let mine: Vec<_> = compounds
            .iter()
            .filter(|x| x.community_id == c.id)
            .collect();
        for (j, k) in mine.iter().enumerate() {
            let (kx, ky) = (
                cx + 0.001 + (j % 2) as f64 * (w / 2.0),
                cy + 0.001 + (j / 2) as f64 * (h / 3.0),
            );
            features.push(serde_json::json!({
                "type": "Feature",
                "properties": {"kind": "compound", "id": k.id},
                "geometry": {"type": "Polygon", "coordinates": [rect(kx, ky, w / 2.0 - 0.002, h / 3.0 - 0.002)]},
            }));
        }
    }
    Ok(serde_json::json!({"type": "FeatureCollection", "features": features}).to_string())
}
