//! 企服通 enterprise service (Gudang): the register 一企一档 imported and
//! checked (unified social credit codes validated, flagged ones reviewed),
//! buildings and their vacant units (找场地), tags from rules and by hand,
//! policies with criteria as data matched with their reasons and pushed
//! once per version (信息找人), lease warnings red / yellow / blue for
//! building managers, requests 企业诉求 on the one SLA engine, visits
//! 走楼访企, the directory of providers and funding (找服务 / 找资金), and
//! the economic dashboard.
//!
//! Who sees what is decided here: admins and the street office the whole
//! register; community staff their communities' buildings; a building
//! manager or property company (`building_manager@building`,
//! `property@building`) their buildings; an enterprise account only its own
//! enterprise (`ent_member`). Anything else is "not found".
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::entities::building;
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Role, Scope};

pub mod attachments;
pub mod buildings;
pub mod credit;
pub mod dashboard;
pub mod demo;
pub mod entities;
pub mod lease;
pub mod policy;
pub mod register;
pub mod requests;
pub mod rules;
pub mod services;

#[cfg(test)]
mod db_tests;

use entities::{ent_member, ent_tag, enterprise};

/// What part of the register someone reaches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reach {
    /// The whole register (admins, the street office).
    pub all: bool,
    /// Enterprises in these communities' buildings (community staff).
    pub communities: Vec<i64>,
    /// Enterprises in these buildings (building managers, property).
    pub buildings: Vec<i64>,
    /// One's own enterprise (an enterprise account).
    pub own: Option<i64>,
}

impl Reach {
    /// Whether this works on the register as government staff do (the
    /// street, or a community's staff): review, tags, visits, requests.
    pub fn is_staff(&self) -> bool {
        self.all || !self.communities.is_empty()
    }

    /// Whether this reads part of the register beyond one's own (staff, and
    /// building managers and property companies their buildings').
    pub fn is_reader(&self) -> bool {
        self.is_staff() || !self.buildings.is_empty()
    }

    /// The buildings this reaches, when not all (its own and its
    /// communities').
    pub fn building_ids(&self, buildings: &HashMap<i64, building::Model>) -> Vec<i64> {
        let mut mine = self.buildings.clone();
        mine.extend(
            buildings
                .values()
                .filter(|b| self.communities.contains(&b.community_id))
                .map(|b| b.id),
        );
        mine
    }

    pub fn reaches(&self, e: &enterprise::Model, community: Option<i64>) -> bool {
        self.all
            || self.own == Some(e.id)
            || e.building_id.is_some_and(|b| self.buildings.contains(&b))
            || community.is_some_and(|c| self.communities.contains(&c))
    }
}

/// Buildings `actor` manages or looks after (`building_manager@building`,
/// `property@building`).
pub fn managed_buildings(actor: &Principal) -> Vec<i64> {
    actor
        .grants
        .iter()
        .filter_map(|g| match (g.role, g.scope) {
            (Role::BuildingManager | Role::Property, Scope::Building(b)) => Some(b),
            _ => None,
        })
        .collect()
}

/// Whether `actor` works on the whole register (admins, the street office).
pub fn sees_all(actor: &Principal) -> bool {
    actor.has_role(Role::Admin) || actor.has_role(Role::StreetOfficer)
}

/// What `actor` reaches.
pub async fn reach_of<C: ConnectionTrait>(conn: &C, actor: &Principal) -> DomainResult<Reach> {
    let own = ent_member::Entity::find()
        .filter(ent_member::Column::AccountId.eq(actor.account_id))
        .one(conn)
        .await?
        .map(|m| m.enterprise_id);
    Ok(Reach {
        all: sees_all(actor),
        communities: actor
            .grants
            .iter()
            .filter_map(|g| match (g.role, g.scope) {
                (Role::Staff, Scope::Community(c)) => Some(c),
                _ => None,
            })
            .collect(),
        buildings: managed_buildings(actor),
        own,
    })
}

/// Government staff of the register (the street, community staff); else
/// forbidden.
pub(crate) async fn staff_reach<C: ConnectionTrait>(
    conn: &C,
    actor: &Principal,
) -> DomainResult<Reach> {
    let r = reach_of(conn, actor).await?;
    if r.is_staff() {
        Ok(r)
    } else {
        Err(DomainError::Forbidden)
    }
}

/// Readers of part of the register: staff, and building managers and
/// property companies (their buildings'); else forbidden.
pub(crate) async fn reader_reach<C: ConnectionTrait>(
    conn: &C,
    actor: &Principal,
) -> DomainResult<Reach> {
    let r = reach_of(conn, actor).await?;
    if r.is_reader() {
        Ok(r)
    } else {
        Err(DomainError::Forbidden)
    }
}

/// A contact number shown with only its last four digits.
pub fn mask_number(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    let keep = digits.len().min(4);
    let cut = digits.len() - keep;
    format!(
        "{}{}",
        "*".repeat(cut.max(3)),
        digits[cut..].iter().collect::<String>()
    )
}

/// Admins and the street office only.
pub(crate) fn require_street(actor: &Principal) -> DomainResult<()> {
    if sees_all(actor) {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// Every building by id.
pub(crate) async fn buildings_by_id<C: ConnectionTrait>(
    conn: &C,
) -> DomainResult<HashMap<i64, building::Model>> {
    Ok(building::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect())
}

/// Tags of these enterprises (all, chunked).
pub(crate) async fn tags_of<C: ConnectionTrait>(
    conn: &C,
    ids: Option<&[i64]>,
) -> DomainResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    let rows = match ids {
        None => ent_tag::Entity::find().all(conn).await?,
        Some(ids) => {
            let mut rows = Vec::new();
            for chunk in ids.chunks(1000) {
                rows.extend(
                    ent_tag::Entity::find()
                        .filter(ent_tag::Column::EnterpriseId.is_in(chunk.to_vec()))
                        .all(conn)
                        .await?,
                );
            }
            rows
        }
    };
    for t in rows {
        out.entry(t.enterprise_id).or_default().push(t.tag);
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

/// What the rules read of an enterprise.
pub(crate) fn facts_of(
    e: &enterprise::Model,
    buildings: &HashMap<i64, building::Model>,
    tags: Vec<String>,
) -> rules::Facts {
    let b = e.building_id.and_then(|b| buildings.get(&b));
    rules::Facts {
        industry_code: e.industry_code.clone(),
        registered_capital: e.registered_capital,
        employees: e.employees,
        annual_tax: e.annual_tax,
        founded_on: e.founded_on,
        lease_start: e.lease_start,
        building_code: b.map(|b| b.code.clone()),
        community_id: b.map(|b| b.community_id),
        grade: e.grade.clone(),
        tags,
    }
}

/// Recomputes the rule tags of these enterprises (manual tags stay).
pub(crate) async fn retag<C: ConnectionTrait>(
    conn: &C,
    rows: &[enterprise::Model],
    buildings: &HashMap<i64, building::Model>,
    today: NaiveDate,
) -> DomainResult<()> {
    use sea_orm::Set;
    // Two hundred enterprises a statement: on PostgreSQL, chunks of 500
    // took 1.4–1.9 s for 10,000 enterprises' tags and chunks of 200 0.3 s
    // (bench_enterprise).
    for chunk in rows.chunks(200) {
        let ids: Vec<i64> = chunk.iter().map(|e| e.id).collect();
        ent_tag::Entity::delete_many()
            .filter(ent_tag::Column::EnterpriseId.is_in(ids))
            .filter(ent_tag::Column::Source.eq("rule"))
            .exec(conn)
            .await?;
        let mut new = Vec::new();
        for e in chunk {
            for t in rules::rule_tags(&facts_of(e, buildings, Vec::new()), today) {
                new.push(ent_tag::ActiveModel {
                    enterprise_id: Set(e.id),
                    tag: Set(t.to_owned()),
                    source: Set("rule".to_owned()),
                    ..Default::default()
                });
            }
        }
        if !new.is_empty() {
            // A manual tag of the same name stays as it is.
            ent_tag::Entity::insert_many(new)
                .on_conflict(
                    sea_orm::sea_query::OnConflict::columns([
                        ent_tag::Column::EnterpriseId,
                        ent_tag::Column::Tag,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(conn)
                .await?;
        }
    }
    Ok(())
}

/// An enterprise as a register row shows it (legal representative and
/// contact number masked).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnterpriseView {
    pub id: i64,
    pub credit_code: String,
    pub code_state: String,
    pub code_problem: Option<String>,
    pub name: String,
    pub legal_rep: Option<String>,
    pub industry_code: Option<String>,
    pub registered_capital: Option<f64>,
    pub employees: Option<i32>,
    pub annual_tax: Option<f64>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub lease_start: Option<NaiveDate>,
    pub lease_end: Option<NaiveDate>,
    pub leased_area: Option<f64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub grade: Option<String>,
    pub status: String,
    pub review_state: String,
    pub tags: Vec<String>,
}

/// A name shown masked: its first character, then stars (张** / 欧阳**).
pub fn mask_name(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(first) => format!("{first}{}", "*".repeat(c.count().clamp(1, 3))),
        None => String::new(),
    }
}

pub(crate) fn view_of(
    e: enterprise::Model,
    buildings: &HashMap<i64, building::Model>,
    tags: Vec<String>,
) -> EnterpriseView {
    EnterpriseView {
        id: e.id,
        credit_code: e.credit_code,
        code_state: e.code_state,
        code_problem: e.code_problem,
        name: e.name,
        legal_rep: e.legal_rep.as_deref().map(mask_name),
        industry_code: e.industry_code,
        registered_capital: e.registered_capital,
        employees: e.employees,
        annual_tax: e.annual_tax,
        building: e
            .building_id
            .and_then(|b| buildings.get(&b))
            .map(|b| b.name.clone()),
        unit: e.unit,
        lease_start: e.lease_start,
        lease_end: e.lease_end,
        leased_area: e.leased_area,
        contact_name: e.contact_name.as_deref().map(mask_name),
        contact_phone: e.contact_phone.as_deref().map(mask_number),
        founded_on: e.founded_on,
        grade: e.grade,
        status: e.status,
        review_state: e.review_state,
        tags,
    }
}

/// Today in China.
pub(crate) fn today() -> NaiveDate {
    crate::clock::china_today()
}
