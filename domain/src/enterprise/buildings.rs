//! 楼宇 and their units kept up to date: the street office adds and edits
//! buildings (code, name, community, address, owner, property company,
//! floor area, rent guide); the street, the building's community staff and
//! its building manager or property company add units and say which are
//! vacant (what 找场地 lists). Every change is audited; a building's code is
//! unique (register files name buildings by it).
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use crate::entities::{building, building_unit, community};
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock};

/// A building as the street office edits it (`id` None: a new one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildingInput {
    pub id: Option<i64>,
    pub code: String,
    pub name: String,
    pub community_id: i64,
    pub address: String,
    pub floor_area: Option<f64>,
    pub owner: String,
    pub property_company: String,
    pub rent_guide: Option<f64>,
}

/// A unit as its editors change it (`id` None: a new one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitInput {
    pub id: Option<i64>,
    pub building_id: i64,
    pub name: String,
    pub area: Option<f64>,
    pub vacant: bool,
    pub rent_guide: Option<f64>,
    pub note: String,
}

/// A building with its units, for its editors.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BuildingDetail {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub community_id: i64,
    pub community: String,
    pub address: Option<String>,
    pub floor_area: Option<f64>,
    pub owner: Option<String>,
    pub property_company: Option<String>,
    pub rent_guide: Option<f64>,
    pub units: Vec<UnitRow>,
    /// Whether the caller may edit the building itself (the street).
    pub editable: bool,
}

/// A unit of a building.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub area: Option<f64>,
    pub vacant: bool,
    pub rent_guide: Option<f64>,
    pub note: Option<String>,
}

/// A building code: 2–20 ASCII letters, digits or `-`, kept upper-case.
fn code(raw: &str) -> DomainResult<String> {
    let c = raw.trim().to_ascii_uppercase();
    if !(2..=20).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(DomainError::validation("building_code", "invalid"));
    }
    Ok(c)
}

/// Text of at most `max` characters, no control characters; required or not.
fn text(
    field: &'static str,
    raw: &str,
    max: usize,
    required: bool,
) -> DomainResult<Option<String>> {
    // Kept as typed (case, full-width brackets): register files name
    // buildings by it. Runs of white space become one space.
    let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = t.as_str();
    if t.is_empty() {
        return if required {
            Err(DomainError::validation(field, "required"))
        } else {
            Ok(None)
        };
    }
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(DomainError::validation(field, "invalid"));
    }
    Ok(Some(t.to_owned()))
}

/// A unique index refusing a write another request made first: the same
/// conflict as the check before it.
fn taken(what: &'static str) -> impl Fn(sea_orm::DbErr) -> DomainError {
    move |e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(what),
        _ => DomainError::Database(e),
    }
}

/// A figure that is absent or finite, not negative and below a bound.
fn figure(field: &'static str, v: Option<f64>, max: f64) -> DomainResult<Option<f64>> {
    match v {
        Some(x) if !(x.is_finite() && (0.0..max).contains(&x)) => {
            Err(DomainError::validation(field, "invalid"))
        }
        other => Ok(other),
    }
}

/// Every building with its units that `actor` may edit units of (the
/// street: all; community staff: their communities'; building managers and
/// property companies: theirs).
pub async fn list(s: &Services, actor: &Principal) -> DomainResult<Vec<BuildingDetail>> {
    let reach = super::reader_reach(&s.db, actor).await?;
    let all = super::buildings_by_id(&s.db).await?;
    let mine = reach.building_ids(&all);
    let communities: std::collections::HashMap<i64, String> = community::Entity::find()
        .all(&s.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut units: std::collections::HashMap<i64, Vec<UnitRow>> = std::collections::HashMap::new();
    for u in building_unit::Entity::find()
        .order_by_asc(building_unit::Column::Name)
        .all(&s.db)
        .await?
    {
        units.entry(u.building_id).or_default().push(UnitRow {
            id: u.id,
            name: u.name,
            area: u.area,
            vacant: u.vacant,
            rent_guide: u.rent_guide,
            note: u.note,
        });
    }
    let mut out: Vec<BuildingDetail> = all
        .into_values()
        .filter(|b| reach.all || mine.contains(&b.id))
        .map(|b| BuildingDetail {
            community: communities
                .get(&b.community_id)
                .cloned()
                .unwrap_or_default(),
            units: units.remove(&b.id).unwrap_or_default(),
            editable: reach.all,
            id: b.id,
            code: b.code,
            name: b.name,
            community_id: b.community_id,
            address: b.address,
            floor_area: b.floor_area,
            owner: b.owner,
            property_company: b.property_company,
            rent_guide: b.rent_guide,
        })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// Adds or edits a building (the street office and admins), audited.
pub async fn save_building(
    s: &Services,
    actor: &Principal,
    input: &BuildingInput,
) -> DomainResult<i64> {
    super::require_street(actor)?;
    let code = code(&input.code)?;
    let name = text("building_name", &input.name, 64, true)?.unwrap_or_default();
    let address = text("address", &input.address, 120, false)?;
    let owner = text("owner", &input.owner, 64, false)?;
    let property_company = text("property_company", &input.property_company, 64, false)?;
    let floor_area = figure("floor_area", input.floor_area, 1e8)?;
    let rent_guide = figure("rent_guide", input.rent_guide, 1e5)?;
    let (_gate, txn) = s.begin_write().await?;
    let c = community::Entity::find_by_id(input.community_id)
        .one(&txn)
        .await?
        .filter(|c| c.retired_at.is_none())
        .ok_or(DomainError::validation("community", "unknown"))?;
    // Register files name a building by its code or its name: neither may
    // be another building's code or name.
    let others: Vec<building::Model> = building::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .filter(|b| Some(b.id) != input.id)
        .collect();
    if others
        .iter()
        .any(|b| b.code.eq_ignore_ascii_case(&code) || b.name == code)
    {
        return Err(DomainError::Conflict("building_code"));
    }
    if others
        .iter()
        .any(|b| b.name == name || b.code.eq_ignore_ascii_case(&name))
    {
        return Err(DomainError::Conflict("building_name"));
    }
    let moved = match input.id {
        Some(id) => building::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .is_some_and(|b| b.community_id != c.id),
        None => false,
    };
    let id = match input.id {
        Some(id) => {
            let b = building::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(DomainError::NotFound)?;
            let mut m: building::ActiveModel = b.into();
            m.code = Set(code.clone());
            m.name = Set(name.clone());
            m.community_id = Set(c.id);
            m.address = Set(address);
            m.floor_area = Set(floor_area);
            m.owner = Set(owner);
            m.property_company = Set(property_company);
            m.rent_guide = Set(rent_guide);
            m.update(&txn).await.map_err(taken("building_code"))?;
            id
        }
        None => {
            building::ActiveModel {
                code: Set(code.clone()),
                name: Set(name.clone()),
                community_id: Set(c.id),
                address: Set(address),
                floor_area: Set(floor_area),
                owner: Set(owner),
                property_company: Set(property_company),
                rent_guide: Set(rent_guide),
                created_at: Set(clock::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(taken("building_code"))?
            .id
        }
    };
    if moved {
        // Criteria can name communities: its enterprises may fit new ones.
        let ids: Vec<i64> = super::entities::enterprise::Entity::find()
            .filter(super::entities::enterprise::Column::BuildingId.eq(id))
            .all(&txn)
            .await?
            .iter()
            .map(|e| e.id)
            .collect();
        super::policy::push_due(&txn, Some(&ids), super::today(), clock::now()).await?;
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        if input.id.is_some() {
            "building.update"
        } else {
            "building.create"
        },
        &format!("building:{id}"),
        serde_json::json!({"code": code, "name": name, "community": c.id}),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Adds or edits a unit of a building `actor` reaches (the street, the
/// community's staff, the building's manager or property company; anyone
/// else: not found), audited. A unit's name is unique in its building.
pub async fn save_unit(s: &Services, actor: &Principal, input: &UnitInput) -> DomainResult<i64> {
    let reach = super::reader_reach(&s.db, actor).await?;
    let name = text("unit", &input.name, 40, true)?.unwrap_or_default();
    let note = text("note", &input.note, 200, false)?.map(|n| nlp::mask(&n));
    let area = figure("area", input.area, 1e7)?;
    let rent_guide = figure("rent_guide", input.rent_guide, 1e5)?;
    let (_gate, txn) = s.begin_write().await?;
    let all = super::buildings_by_id(&txn).await?;
    if !all.contains_key(&input.building_id)
        || !(reach.all || reach.building_ids(&all).contains(&input.building_id))
    {
        return Err(DomainError::NotFound);
    }
    let clash = building_unit::Entity::find()
        .filter(building_unit::Column::BuildingId.eq(input.building_id))
        .filter(building_unit::Column::Name.eq(name.as_str()))
        .one(&txn)
        .await?
        .is_some_and(|u| Some(u.id) != input.id);
    if clash {
        return Err(DomainError::Conflict("unit_name"));
    }
    let id = match input.id {
        Some(id) => {
            let u = building_unit::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .filter(|u| u.building_id == input.building_id)
                .ok_or(DomainError::NotFound)?;
            let mut m: building_unit::ActiveModel = u.into();
            m.name = Set(name.clone());
            m.area = Set(area);
            m.vacant = Set(input.vacant);
            m.rent_guide = Set(rent_guide);
            m.note = Set(note);
            m.update(&txn).await.map_err(taken("unit_name"))?;
            id
        }
        None => {
            building_unit::ActiveModel {
                building_id: Set(input.building_id),
                name: Set(name.clone()),
                area: Set(area),
                vacant: Set(input.vacant),
                rent_guide: Set(rent_guide),
                note: Set(note),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(taken("unit_name"))?
            .id
        }
    };
    audit::append(
        &txn,
        Some(actor.account_id),
        if input.id.is_some() {
            "building.unit_update"
        } else {
            "building.unit_create"
        },
        &format!("building:{}", input.building_id),
        serde_json::json!({"unit": id, "name": name, "vacant": input.vacant, "area": area}),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}
