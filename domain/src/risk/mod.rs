//! 风险预警 risk warning: "全域感知、分类归集、多维分析、协同处置、闭环管理".
//!
//! - Catalogue: departments (职能部门), risk modules (消防安全 …) and their
//!   risk points (小切口), each point owned by a department. Admins edit it.
//! - Subjects readings are about (a compound, building, enterprise, place,
//!   or a person only as a salted hash), and sources that send readings
//!   with their own API token (only its SHA-256 kept).
//! - Readings (`ingest`): a batch checked whole — a malformed reading or an
//!   unknown subject refuses the batch with an error per reading, nothing
//!   stored; a reading id a source sent before is a duplicate, not an
//!   error. The readings, the warnings they raise or close and the first
//!   notifications commit together.
//! - Warning models (`model`) are versioned records: live, shadow (replayed
//!   over stored history, never raising anything) or retired.
//! - Disposal (`dispose`): a warning is a case on the one SLA engine
//!   (policies `risk_urgent`, `risk_normal`, `risk_low`). Low-severity
//!   warnings go through the machine first: an SMS to the responsible
//!   party, a voice call, a re-check of the indicator that closes the case
//!   or hands it to people with everything that happened so far.
pub mod demo;
pub mod dispose;
pub(crate) mod entities;
pub mod ingest;
pub mod model;
pub mod party;
pub mod photos;
pub mod portrait;
pub mod signals;

#[cfg(test)]
mod db_tests;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};
use serde::Serialize;

use crate::error::{DomainError, DomainResult};
use crate::{Principal, Role, Scope, Services, audit, clock, secrets};
use entities::{
    risk_department, risk_department_member, risk_model, risk_module, risk_point, risk_source,
    risk_subject,
};

pub use model::{Severity, Spec};

pub const NAME_MAX: usize = 80;

/// Subject kinds.
pub const SUBJECT_KINDS: [&str; 6] = [
    "compound",
    "building",
    "enterprise",
    "place",
    "person",
    "area",
];

/// A catalogue key as admins write it (`fire_safety`, `gas.leak`).
fn key(raw: &str, field: &'static str) -> DomainResult<String> {
    let k = raw.trim();
    if model::key_ok(k) {
        Ok(k.to_owned())
    } else {
        Err(DomainError::validation(field, "invalid"))
    }
}

fn name(raw: &str) -> DomainResult<String> {
    let n = crate::opinions::clean(raw, "name", 1, NAME_MAX)?;
    if n.contains(['\n', '\r', '\t']) {
        return Err(DomainError::validation("name", "invalid"));
    }
    Ok(n)
}

// ---- the model cache -------------------------------------------------------

/// A live model as evaluation uses it.
#[derive(Clone, Debug)]
pub struct Live {
    pub id: i64,
    pub key: String,
    pub version: i32,
    pub point_key: String,
    pub name: String,
    pub spec: Spec,
}

/// Live models, by indicator, checked against `ref_version` row 5.
#[derive(Default)]
pub(crate) struct Cache {
    held: std::sync::RwLock<Option<(i64, Arc<Models>)>>,
}

#[derive(Default, Debug)]
pub struct Models {
    pub all: Vec<Live>,
    /// Single-risk models of each indicator (indexes into `all`).
    pub by_indicator: HashMap<String, Vec<usize>>,
    /// Each point's department.
    pub departments: HashMap<String, Option<String>>,
    /// Each point's name.
    pub points: HashMap<String, String>,
}

impl Models {
    /// How far back the readings of `indicator` are read to check it.
    pub fn lookback(&self, indicator: &str) -> Option<chrono::Duration> {
        self.by_indicator
            .get(indicator)?
            .iter()
            .map(|&i| self.all[i].spec.rule.lookback())
            .max()
    }
}

async fn version<C: ConnectionTrait>(conn: &C) -> DomainResult<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT version FROM ref_version WHERE id = 5".to_owned(),
        ))
        .await?
        .ok_or_else(|| DomainError::Internal("ref_version row 5 missing".into()))?;
    Ok(row.try_get("", "version")?)
}

pub(crate) async fn bump<C: ConnectionTrait>(conn: &C) -> DomainResult<()> {
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        "UPDATE ref_version SET version = version + 1 WHERE id = 5".to_owned(),
    ))
    .await?;
    Ok(())
}

pub(crate) async fn models_in<C: ConnectionTrait>(
    conn: &C,
    cache: &Cache,
) -> DomainResult<Arc<Models>> {
    let now = version(conn).await?;
    if let Some((v, m)) = cache
        .held
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        && *v == now
    {
        return Ok(m.clone());
    }
    let mut models = Models::default();
    for row in risk_model::Entity::find()
        .filter(risk_model::Column::Mode.eq("live"))
        .order_by_asc(risk_model::Column::Id)
        .all(conn)
        .await?
    {
        let Ok(spec) = Spec::parse(&row.spec) else {
            tracing::error!(model = %row.key, "stored risk model does not parse; skipped");
            continue;
        };
        if let Some(ind) = spec.rule.indicator() {
            models
                .by_indicator
                .entry(ind.to_owned())
                .or_default()
                .push(models.all.len());
        }
        models.all.push(Live {
            id: row.id,
            key: row.key,
            version: row.version,
            point_key: row.point_key,
            name: row.name,
            spec,
        });
    }
    for p in risk_point::Entity::find().all(conn).await? {
        models.departments.insert(p.key.clone(), p.department_key);
        models.points.insert(p.key, p.name);
    }
    let models = Arc::new(models);
    *cache.held.write().unwrap_or_else(|e| e.into_inner()) = Some((now, models.clone()));
    Ok(models)
}

/// The live models now.
pub async fn models(s: &Services) -> DomainResult<Arc<Models>> {
    models_in(&s.db, &s.risk).await
}

// ---- catalogue ---------------------------------------------------------------

#[derive(Clone, Debug, Serialize)]
pub struct PointInfo {
    pub key: String,
    pub name: String,
    pub module_key: String,
    pub department_key: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModuleInfo {
    pub key: String,
    pub name: String,
    pub points: Vec<PointInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Catalogue {
    pub departments: Vec<(String, String)>,
    pub modules: Vec<ModuleInfo>,
}

/// The catalogue, for anyone who works with risk.
pub async fn catalogue(s: &Services) -> DomainResult<Catalogue> {
    let departments = risk_department::Entity::find()
        .order_by_asc(risk_department::Column::Key)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|d| (d.key, d.name))
        .collect();
    let points = risk_point::Entity::find()
        .order_by_asc(risk_point::Column::Key)
        .all(&s.db)
        .await?;
    let modules = risk_module::Entity::find()
        .order_by_asc(risk_module::Column::Sort)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|m| ModuleInfo {
            points: points
                .iter()
                .filter(|p| p.module_key == m.key)
                .map(|p| PointInfo {
                    key: p.key.clone(),
                    name: p.name.clone(),
                    module_key: p.module_key.clone(),
                    department_key: p.department_key.clone(),
                })
                .collect(),
            key: m.key,
            name: m.name,
        })
        .collect();
    Ok(Catalogue {
        departments,
        modules,
    })
}

/// One catalogue change an admin makes.
#[derive(Clone, Debug)]
pub enum Entry {
    Department {
        key: String,
        name: String,
    },
    Module {
        key: String,
        name: String,
        sort: i32,
    },
    Point {
        key: String,
        module: String,
        name: String,
        department: Option<String>,
        /// Lexicon terms whose opinions feed the point (space-separated).
        terms: Option<String>,
    },
    /// An account works for a department (or no longer: `member = false`).
    Member {
        department: String,
        account_id: i64,
        member: bool,
    },
}

/// Adds or renames a catalogue entry (admins; audited). `actor` `None`: the
/// command line and the demo seed.
pub async fn save_entry(s: &Services, actor: Option<&Principal>, entry: Entry) -> DomainResult<()> {
    if let Some(a) = actor {
        a.require_admin()?;
    }
    let (_gate, txn) = s.begin_write().await?;
    save_entry_in(&txn, actor.map(|a| a.account_id), entry).await?;
    txn.commit().await?;
    Ok(())
}

pub(crate) async fn save_entry_in<C: ConnectionTrait>(
    conn: &C,
    actor: Option<i64>,
    entry: Entry,
) -> DomainResult<()> {
    let now = clock::now();
    let (action, target, detail) = match entry {
        Entry::Department { key: k, name: n } => {
            let (k, n) = (key(&k, "key")?, name(&n)?);
            let row = risk_department::ActiveModel {
                key: Set(k.clone()),
                name: Set(n.clone()),
            };
            match risk_department::Entity::find_by_id(k.clone())
                .one(conn)
                .await?
            {
                Some(_) => row.update(conn).await.map(|_| ())?,
                None => row.insert(conn).await.map(|_| ())?,
            }
            (
                "risk.department",
                format!("department:{k}"),
                serde_json::json!({"name": n}),
            )
        }
        Entry::Module {
            key: k,
            name: n,
            sort,
        } => {
            let (k, n) = (key(&k, "key")?, name(&n)?);
            let row = risk_module::ActiveModel {
                key: Set(k.clone()),
                name: Set(n.clone()),
                sort: Set(sort),
            };
            match risk_module::Entity::find_by_id(k.clone()).one(conn).await? {
                Some(_) => row.update(conn).await.map(|_| ())?,
                None => row.insert(conn).await.map(|_| ())?,
            }
            (
                "risk.module",
                format!("module:{k}"),
                serde_json::json!({"name": n, "sort": sort}),
            )
        }
        Entry::Point {
            key: k,
            module,
            name: n,
            department,
            terms,
        } => {
            let terms = match terms.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                None => None,
                Some(t) => {
                    let words: Vec<String> = t
                        .split_whitespace()
                        .map(nlp::lexicon::check_term)
                        .collect::<Result<_, _>>()
                        .map_err(|_| DomainError::validation("terms", "invalid"))?;
                    let joined = words.join(" ");
                    if words.len() > 12 || joined.chars().count() > 200 {
                        return Err(DomainError::validation("terms", "too_long"));
                    }
                    Some(joined)
                }
            };
            let (k, n, module) = (key(&k, "key")?, name(&n)?, key(&module, "module")?);
            if risk_module::Entity::find_by_id(module.clone())
                .one(conn)
                .await?
                .is_none()
            {
                return Err(DomainError::validation("module", "unknown"));
            }
            let department = match department
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                None => None,
                Some(d) => {
                    let d = key(d, "department")?;
                    if risk_department::Entity::find_by_id(d.clone())
                        .one(conn)
                        .await?
                        .is_none()
                    {
                        return Err(DomainError::validation("department", "unknown"));
                    }
                    Some(d)
                }
            };
            let row = risk_point::ActiveModel {
                key: Set(k.clone()),
                module_key: Set(module.clone()),
                name: Set(n.clone()),
                department_key: Set(department.clone()),
                signal_terms: Set(terms.clone()),
                updated_by: Set(actor),
                updated_at: Set(now),
            };
            match risk_point::Entity::find_by_id(k.clone()).one(conn).await? {
                Some(_) => row.update(conn).await.map(|_| ())?,
                None => row.insert(conn).await.map(|_| ())?,
            }
            (
                "risk.point",
                format!("point:{k}"),
                serde_json::json!({"name": n, "module": module, "department": department, "terms": terms}),
            )
        }
        Entry::Member {
            department,
            account_id,
            member,
        } => {
            let department = key(&department, "department")?;
            if risk_department::Entity::find_by_id(department.clone())
                .one(conn)
                .await?
                .is_none()
            {
                return Err(DomainError::validation("department", "unknown"));
            }
            if crate::entities::account::Entity::find_by_id(account_id)
                .one(conn)
                .await?
                .is_none()
            {
                return Err(DomainError::validation("account", "unknown"));
            }
            risk_department_member::Entity::delete_many()
                .filter(risk_department_member::Column::AccountId.eq(account_id))
                .filter(risk_department_member::Column::DepartmentKey.eq(department.clone()))
                .exec(conn)
                .await?;
            if member {
                risk_department_member::ActiveModel {
                    department_key: Set(department.clone()),
                    account_id: Set(account_id),
                    ..Default::default()
                }
                .insert(conn)
                .await?;
            }
            (
                "risk.member",
                format!("account:{account_id}"),
                serde_json::json!({"department": department, "member": member}),
            )
        }
    };
    bump(conn).await?;
    audit::append(conn, actor, action, &target, detail).await?;
    Ok(())
}

// ---- subjects ------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
pub struct SubjectInput {
    pub code: String,
    pub kind: String,
    pub name: String,
    pub community_id: Option<i64>,
    pub compound_id: Option<i64>,
    pub industry: Option<String>,
    pub contact_phone: Option<String>,
}

/// A person is a subject only as a salted hash: 64 hexadecimal digits.
fn person_code_ok(code: &str) -> bool {
    code.len() == 64 && code.chars().all(|c| c.is_ascii_hexdigit())
}

/// Registers or updates a subject by its code (admins and the street
/// office; staff for their own community). Returns its id.
pub async fn save_subject(
    s: &Services,
    actor: Option<&Principal>,
    input: SubjectInput,
) -> DomainResult<i64> {
    if let Some(a) = actor
        && !(a.has_role(Role::Admin)
            || a.has_role(Role::StreetOfficer)
            || (input.community_id.is_some() && a.is_staff_of(input.community_id)))
    {
        return Err(DomainError::Forbidden);
    }
    let (_gate, txn) = s.begin_write().await?;
    // Staff may change only their own community's subjects: one that exists
    // under this code elsewhere is not theirs to move.
    if let Some(a) = actor
        && !(a.has_role(Role::Admin) || a.has_role(Role::StreetOfficer))
        && let Some(existing) = risk_subject::Entity::find()
            .filter(risk_subject::Column::Code.eq(input.code.trim()))
            .one(&txn)
            .await?
        && !a.is_staff_of(existing.community_id)
    {
        return Err(DomainError::Forbidden);
    }
    let id = save_subject_in(&txn, actor.map(|a| a.account_id), input).await?;
    txn.commit().await?;
    Ok(id)
}

pub(crate) async fn save_subject_in<C: ConnectionTrait>(
    conn: &C,
    actor: Option<i64>,
    input: SubjectInput,
) -> DomainResult<i64> {
    let code = input.code.trim().to_owned();
    if code.is_empty() || code.len() > 80 || !code.chars().all(|c| c.is_ascii_graphic()) {
        return Err(DomainError::validation("code", "invalid"));
    }
    let kind = input.kind.trim();
    if !SUBJECT_KINDS.contains(&kind) {
        return Err(DomainError::validation("kind", "invalid"));
    }
    let subject_name = if kind == "person" {
        if !person_code_ok(&code) {
            return Err(DomainError::validation("code", "not_hashed"));
        }
        // Nothing that names a person is kept.
        "（个人）".to_owned()
    } else {
        name(&input.name)?
    };
    if let Some(c) = input.community_id
        && !crate::org::community_exists(conn, c).await?
    {
        return Err(DomainError::validation("community", "unknown"));
    }
    if let Some(c) = input.compound_id {
        // The compound lies in the subject's community.
        let compound = crate::entities::compound::Entity::find_by_id(c)
            .one(conn)
            .await?
            .ok_or(DomainError::validation("compound", "unknown"))?;
        if input
            .community_id
            .is_some_and(|x| x != compound.community_id)
        {
            return Err(DomainError::validation("compound", "elsewhere"));
        }
    }
    let industry = match input
        .industry
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        None => None,
        Some(i) if i.len() <= 8 && i.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Some(i.to_ascii_uppercase())
        }
        Some(_) => return Err(DomainError::validation("industry", "invalid")),
    };
    let phone = match input
        .contact_phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        // A person is only a hash: no number beside it.
        Some(_) if kind == "person" => {
            return Err(DomainError::validation("contact_phone", "person"));
        }
        Some(p) => Some(crate::accounts::PhoneNumber::parse(p)?.as_str().to_owned()),
    };
    let existing = risk_subject::Entity::find()
        .filter(risk_subject::Column::Code.eq(code.clone()))
        .one(conn)
        .await?;
    let id = match existing {
        Some(row) => {
            let mut a: risk_subject::ActiveModel = row.into();
            a.kind = Set(kind.to_owned());
            a.name = Set(subject_name.clone());
            a.community_id = Set(input.community_id);
            a.compound_id = Set(input.compound_id);
            a.industry = Set(industry);
            a.contact_phone = Set(phone);
            a.update(conn).await?.id
        }
        None => {
            risk_subject::ActiveModel {
                code: Set(code.clone()),
                kind: Set(kind.to_owned()),
                name: Set(subject_name.clone()),
                community_id: Set(input.community_id),
                compound_id: Set(input.compound_id),
                industry: Set(industry),
                contact_phone: Set(phone),
                created_at: Set(clock::now()),
                ..Default::default()
            }
            .insert(conn)
            .await?
            .id
        }
    };
    if actor.is_some() {
        audit::append(
            conn,
            actor,
            "risk.subject",
            &format!("risk_subject:{id}"),
            serde_json::json!({"code": code, "kind": kind}),
        )
        .await?;
    }
    Ok(id)
}

// ---- sources -------------------------------------------------------------------

/// What a source sends.
pub const SOURCE_KINDS: [&str; 2] = ["readings", "voice"];

/// Registers a source and returns its API token, shown this once (only its
/// SHA-256 is kept). Admins; audited.
pub async fn create_source(
    s: &Services,
    actor: Option<&Principal>,
    source_name: &str,
    kind: &str,
) -> DomainResult<(i64, String)> {
    if let Some(a) = actor {
        a.require_admin()?;
    }
    let source_name = name(source_name)?;
    if !SOURCE_KINDS.contains(&kind) {
        return Err(DomainError::validation("kind", "invalid"));
    }
    let token = format!("hc_{}", secrets::new_token());
    let (_gate, txn) = s.begin_write().await?;
    let row = risk_source::ActiveModel {
        name: Set(source_name.clone()),
        kind: Set(kind.to_owned()),
        token_hash: Set(secrets::token_hash(&token)),
        enabled: Set(true),
        created_by: Set(actor.map(|a| a.account_id)),
        created_at: Set(clock::now()),
        last_seen_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        actor.map(|a| a.account_id),
        "risk.source",
        &format!("risk_source:{}", row.id),
        serde_json::json!({"name": source_name, "kind": kind}),
    )
    .await?;
    txn.commit().await?;
    Ok((row.id, token))
}

/// Turns a source off (its token stops working) or on again.
pub async fn set_source_enabled(
    s: &Services,
    actor: &Principal,
    id: i64,
    enabled: bool,
) -> DomainResult<()> {
    actor.require_admin()?;
    let (_gate, txn) = s.begin_write().await?;
    let row = risk_source::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let mut a: risk_source::ActiveModel = row.into();
    a.enabled = Set(enabled);
    a.update(&txn).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "risk.source_enabled",
        &format!("risk_source:{id}"),
        serde_json::json!({"enabled": enabled}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether a token belongs to an enabled source of `kind` (the machine API
/// asks before it reads a request's body).
pub async fn source_known(s: &Services, token: &str, kind: &str) -> DomainResult<bool> {
    match source_for(&s.db, token, kind).await {
        Ok(_) => Ok(true),
        Err(DomainError::Unauthenticated) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The enabled source of `kind` a token belongs to.
pub(crate) async fn source_for<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    kind: &str,
) -> DomainResult<risk_source::Model> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(DomainError::Unauthenticated);
    }
    risk_source::Entity::find()
        .filter(risk_source::Column::TokenHash.eq(secrets::token_hash(token)))
        .filter(risk_source::Column::Enabled.eq(true))
        .filter(risk_source::Column::Kind.eq(kind))
        .one(conn)
        .await?
        .ok_or(DomainError::Unauthenticated)
}

// ---- models --------------------------------------------------------------------

/// Model modes.
pub const MODES: [&str; 3] = ["live", "shadow", "retired"];

#[derive(Clone, Debug, Serialize)]
pub struct ModelInfo {
    pub id: i64,
    pub key: String,
    pub version: i32,
    pub point_key: String,
    pub name: String,
    pub mode: String,
    pub kind: String,
    pub severity: String,
    pub spec: String,
    pub updated_at: DateTime<Utc>,
}

/// Saves a new version of a model (admins; audited). A new version of a
/// live model starts in `mode` (usually shadow, replayed before it goes
/// live); making one version live retires the key's other live version.
pub async fn save_model(
    s: &Services,
    actor: Option<&Principal>,
    model_key: &str,
    point_key: &str,
    model_name: &str,
    spec_text: &str,
    mode: &str,
) -> DomainResult<i64> {
    if let Some(a) = actor {
        a.require_admin()?;
    }
    let (_gate, txn) = s.begin_write().await?;
    let id = save_model_in(
        &txn,
        actor.map(|a| a.account_id),
        model_key,
        point_key,
        model_name,
        spec_text,
        mode,
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

pub(crate) async fn save_model_in<C: ConnectionTrait>(
    conn: &C,
    actor: Option<i64>,
    model_key: &str,
    point_key: &str,
    model_name: &str,
    spec_text: &str,
    mode: &str,
) -> DomainResult<i64> {
    let k = key(model_key, "key")?;
    let point = key(point_key, "point")?;
    let n = name(model_name)?;
    if !MODES.contains(&mode) {
        return Err(DomainError::validation("model_mode", "invalid"));
    }
    let spec = Spec::parse(spec_text).map_err(|e| {
        tracing::info!(model = %k, error = %e, "model refused");
        DomainError::validation("model_spec", "invalid")
    })?;
    if risk_point::Entity::find_by_id(point.clone())
        .one(conn)
        .await?
        .is_none()
    {
        return Err(DomainError::validation("point", "unknown"));
    }
    let latest = risk_model::Entity::find()
        .filter(risk_model::Column::Key.eq(k.clone()))
        .order_by_desc(risk_model::Column::Version)
        .one(conn)
        .await?;
    let version = latest.map_or(1, |m| m.version + 1);
    if mode == "live" {
        risk_model::Entity::update_many()
            .col_expr(risk_model::Column::Mode, "retired".into())
            .filter(risk_model::Column::Key.eq(k.clone()))
            .filter(risk_model::Column::Mode.eq("live"))
            .exec(conn)
            .await?;
    }
    let row = risk_model::ActiveModel {
        key: Set(k.clone()),
        version: Set(version),
        point_key: Set(point.clone()),
        name: Set(n.clone()),
        mode: Set(mode.to_owned()),
        spec: Set(spec_text.to_owned()),
        updated_by: Set(actor),
        updated_at: Set(clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    bump(conn).await?;
    audit::append(
        conn,
        actor,
        "risk.model",
        &format!("risk_model:{}", row.id),
        serde_json::json!({"key": k, "version": version, "point": point, "mode": mode, "kind": spec.rule.kind()}),
    )
    .await?;
    Ok(row.id)
}

/// Puts one version of a model live (retiring the key's other live
/// version), back to shadow, or retires it. Admins; audited.
pub async fn set_model_mode(
    s: &Services,
    actor: &Principal,
    id: i64,
    mode: &str,
) -> DomainResult<()> {
    actor.require_admin()?;
    if !MODES.contains(&mode) {
        return Err(DomainError::validation("model_mode", "invalid"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let row = risk_model::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if mode == "live" {
        risk_model::Entity::update_many()
            .col_expr(risk_model::Column::Mode, "retired".into())
            .filter(risk_model::Column::Key.eq(row.key.clone()))
            .filter(risk_model::Column::Mode.eq("live"))
            .exec(&txn)
            .await?;
    }
    let key = row.key.clone();
    let was_live = row.mode == "live";
    let mut a: risk_model::ActiveModel = row.into();
    a.mode = Set(mode.to_owned());
    a.updated_by = Set(Some(actor.account_id));
    a.updated_at = Set(clock::now());
    a.update(&txn).await?;
    bump(&txn).await?;
    // No live version left: its open warnings would never close; they
    // close now, saying why.
    if was_live && mode != "live" {
        let now = clock::now();
        for w in entities::risk_warning::Entity::find()
            .filter(entities::risk_warning::Column::ModelKey.eq(key.clone()))
            .filter(entities::risk_warning::Column::State.eq("open"))
            .all(&txn)
            .await?
        {
            dispose::close_warning(
                s,
                &txn,
                &w,
                "retired",
                "预警模型已停用",
                Some(actor.account_id),
                now,
            )
            .await?;
        }
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        "risk.model_mode",
        &format!("risk_model:{id}"),
        serde_json::json!({"key": key, "mode": mode}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Every version of every model, newest first per key (staff who work with
/// risk, and admins).
pub async fn model_list(s: &Services, actor: &Principal) -> DomainResult<Vec<ModelInfo>> {
    if !works_with_risk(actor) {
        return Err(DomainError::Forbidden);
    }
    Ok(risk_model::Entity::find()
        .order_by_asc(risk_model::Column::Key)
        .order_by_desc(risk_model::Column::Version)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|m| {
            let spec = Spec::parse(&m.spec).ok();
            ModelInfo {
                id: m.id,
                kind: spec.as_ref().map_or("?", |s| s.rule.kind()).to_owned(),
                severity: spec
                    .as_ref()
                    .map_or("?", |s| s.severity.as_str())
                    .to_owned(),
                key: m.key,
                version: m.version,
                point_key: m.point_key,
                name: m.name,
                mode: m.mode,
                spec: m.spec,
                updated_at: m.updated_at,
            }
        })
        .collect())
}

/// Whether someone has any part in risk work.
pub fn works_with_risk(p: &Principal) -> bool {
    p.grants.iter().any(|g| {
        matches!(
            g.role,
            Role::Admin | Role::StreetOfficer | Role::Staff | Role::GridWorker | Role::Department
        )
    })
}

/// Compounds a grid worker answers for.
pub(crate) fn grid_compounds(p: &Principal) -> Vec<i64> {
    p.grants
        .iter()
        .filter_map(|g| match (g.role, g.scope) {
            (Role::GridWorker, Scope::Compound(c)) => Some(c),
            _ => None,
        })
        .collect()
}

/// Communities a staff member works for.
pub(crate) fn staff_communities(p: &Principal) -> Vec<i64> {
    p.grants
        .iter()
        .filter_map(|g| match (g.role, g.scope) {
            (Role::Staff, Scope::Community(c)) => Some(c),
            _ => None,
        })
        .collect()
}

/// Whether someone sees every risk case (admins, the street office).
pub(crate) fn sees_all(p: &Principal) -> bool {
    p.has_role(Role::Admin) || p.has_role(Role::StreetOfficer)
}

/// The departments an account works for.
pub(crate) async fn departments_of<C: ConnectionTrait>(
    conn: &C,
    account_id: i64,
) -> DomainResult<Vec<String>> {
    Ok(risk_department_member::Entity::find()
        .filter(risk_department_member::Column::AccountId.eq(account_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.department_key)
        .collect())
}

// ---- shadow replay ---------------------------------------------------------------

/// One warning a replay would have raised.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayedWarning {
    pub subject: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub summary: String,
}

/// What a model version would have raised over stored readings.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayReport {
    pub model: String,
    pub version: i32,
    pub mode: String,
    pub days: i64,
    pub subjects: usize,
    pub readings: usize,
    /// Warnings it would have opened.
    pub raised: usize,
    /// Of those, still open at the end.
    pub still_open: usize,
    /// Firings the cool-down held back.
    pub suppressed: u32,
    /// The first 50, oldest first.
    pub examples: Vec<ReplayedWarning>,
}

/// Replays a model version (any mode: a shadow one before it goes live)
/// over the stored readings of the last `days` days, raising nothing.
/// Single-risk models only. Admins (or the command line).
pub async fn replay_model(
    s: &Services,
    actor: Option<&Principal>,
    model_id: i64,
    days: i64,
) -> DomainResult<ReplayReport> {
    if let Some(a) = actor {
        a.require_admin()?;
    }
    if !(1..=model::MAX_WINDOW_DAYS).contains(&days) {
        return Err(DomainError::validation("days", "invalid"));
    }
    let m = risk_model::Entity::find_by_id(model_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let spec =
        Spec::parse(&m.spec).map_err(|_| DomainError::validation("model_spec", "invalid"))?;
    let Some(indicator) = spec.rule.indicator() else {
        return Err(DomainError::validation("kind", "not_replayable"));
    };
    let now = clock::now();
    let from = now - chrono::Duration::days(days);
    let rows: Vec<(i64, DateTime<Utc>, f64)> = entities::risk_reading::Entity::find()
        .select_only()
        .column(entities::risk_reading::Column::SubjectId)
        .column(entities::risk_reading::Column::At)
        .column(entities::risk_reading::Column::Value)
        .filter(entities::risk_reading::Column::Indicator.eq(indicator))
        .filter(entities::risk_reading::Column::At.gte(from - spec.rule.lookback()))
        .filter(entities::risk_reading::Column::At.lte(now))
        .order_by_asc(entities::risk_reading::Column::SubjectId)
        .order_by_asc(entities::risk_reading::Column::At)
        .into_tuple()
        .all(&s.db)
        .await?;
    let readings = rows.len();
    let mut by_subject: Vec<(i64, Vec<model::Point>)> = Vec::new();
    for (subject, at, value) in rows {
        match by_subject.last_mut() {
            Some((s_id, pts)) if *s_id == subject => pts.push(model::Point { at, value }),
            _ => by_subject.push((subject, vec![model::Point { at, value }])),
        }
    }
    let names: HashMap<i64, String> = risk_subject::Entity::find()
        .filter(
            risk_subject::Column::Id
                .is_in(by_subject.iter().map(|(id, _)| *id).collect::<Vec<_>>()),
        )
        .all(&s.db)
        .await?
        .into_iter()
        .map(|x| (x.id, x.name))
        .collect();
    let mut all: Vec<ReplayedWarning> = Vec::new();
    let mut suppressed = 0;
    for (subject, pts) in &by_subject {
        let (raised, held) = model::replay(&spec, pts, chrono::Duration::minutes(10));
        suppressed += held;
        all.extend(
            raised
                .into_iter()
                .filter(|r| r.opened_at >= from && r.opened_at <= now)
                .map(|r| ReplayedWarning {
                    subject: names.get(subject).cloned().unwrap_or_default(),
                    opened_at: r.opened_at,
                    closed_at: r.closed_at,
                    summary: r.summary,
                }),
        );
    }
    all.sort_by_key(|r| r.opened_at);
    Ok(ReplayReport {
        model: m.key,
        version: m.version,
        mode: m.mode,
        days,
        subjects: by_subject.len(),
        readings,
        raised: all.len(),
        still_open: all.iter().filter(|r| r.closed_at.is_none()).count(),
        suppressed,
        examples: all.into_iter().take(50).collect(),
    })
}

/// A source as admins see it (never its token).
#[derive(Clone, Debug, Serialize)]
pub struct SourceInfo {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// Every source (admins).
pub async fn sources(s: &Services, actor: &Principal) -> DomainResult<Vec<SourceInfo>> {
    actor.require_admin()?;
    Ok(risk_source::Entity::find()
        .order_by_asc(risk_source::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|x| SourceInfo {
            id: x.id,
            name: x.name,
            kind: x.kind,
            enabled: x.enabled,
            created_at: x.created_at,
            last_seen_at: x.last_seen_at,
        })
        .collect())
}
