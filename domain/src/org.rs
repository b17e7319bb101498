//! 组织 street → community → compound.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::entities::{community, compound, street};
use crate::error::DomainResult;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CommunityInfo {
    pub id: i64,
    pub name: String,
    pub street_id: i64,
    pub street_name: String,
}

/// Every community in service (not retired, nor its street) with its
/// street, for pickers (public information).
pub async fn communities(s: &Services) -> DomainResult<Vec<CommunityInfo>> {
    Ok(crate::refdata::get(s).await?.communities.as_ref().clone())
}

pub(crate) async fn communities_in<C: ConnectionTrait>(
    conn: &C,
) -> DomainResult<Vec<CommunityInfo>> {
    let streets = street::Entity::find()
        .filter(street::Column::RetiredAt.is_null())
        .all(conn)
        .await?;
    let street_ids: Vec<i64> = streets.iter().map(|s| s.id).collect();
    let rows = community::Entity::find()
        .filter(community::Column::RetiredAt.is_null())
        .filter(community::Column::StreetId.is_in(street_ids))
        .order_by_asc(community::Column::StreetId)
        .order_by_asc(community::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| CommunityInfo {
            street_name: streets
                .iter()
                .find(|s| s.id == c.street_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            id: c.id,
            name: c.name,
            street_id: c.street_id,
        })
        .collect())
}

/// A community in service (retired ones take no new records).
pub(crate) async fn community_exists<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<bool> {
    Ok(community::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some_and(|c| c.retired_at.is_none()))
}

pub(crate) async fn street_exists<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<bool> {
    Ok(street::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some_and(|s| s.retired_at.is_none()))
}

pub(crate) async fn compound_exists<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<bool> {
    Ok(compound::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some_and(|c| c.retired_at.is_none()))
}

pub(crate) async fn building_exists<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<bool> {
    Ok(crate::entities::building::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some())
}

pub(crate) async fn find_or_create_street<C: ConnectionTrait>(
    conn: &C,
    name: &str,
) -> DomainResult<i64> {
    if let Some(s) = street::Entity::find()
        .filter(street::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok(s.id);
    }
    let s = street::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(s.id)
}

pub(crate) async fn find_or_create_community<C: ConnectionTrait>(
    conn: &C,
    street_id: i64,
    name: &str,
) -> DomainResult<i64> {
    if let Some(c) = community::Entity::find()
        .filter(community::Column::StreetId.eq(street_id))
        .filter(community::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok(c.id);
    }
    let c = community::ActiveModel {
        street_id: Set(street_id),
        name: Set(name.to_owned()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(c.id)
}

pub(crate) async fn find_or_create_compound<C: ConnectionTrait>(
    conn: &C,
    community_id: i64,
    name: &str,
) -> DomainResult<i64> {
    if let Some(c) = compound::Entity::find()
        .filter(compound::Column::CommunityId.eq(community_id))
        .filter(compound::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok(c.id);
    }
    let c = compound::ActiveModel {
        community_id: Set(community_id),
        name: Set(name.to_owned()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(c.id)
}

/// Something a role can be scoped to, with a readable name.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ScopeOption {
    pub scope: crate::Scope,
    /// e.g. `小河街道 · 长乐社区 · 长乐苑`
    pub label: String,
}

/// Every street, community and compound, for pickers, in that order.
pub(crate) async fn scope_options<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<ScopeOption>> {
    use crate::Scope;
    let streets = street::Entity::find()
        .order_by_asc(street::Column::Id)
        .all(conn)
        .await?;
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(conn)
        .await?;
    let compounds = compound::Entity::find()
        .order_by_asc(compound::Column::Id)
        .all(conn)
        .await?;
    let street_name = |id: i64| {
        streets
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.as_str())
            .unwrap_or("")
    };
    let community_label = |id: i64| {
        communities
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("{} · {}", street_name(c.street_id), c.name))
            .unwrap_or_default()
    };
    let mut out: Vec<ScopeOption> = streets
        .iter()
        .map(|s| ScopeOption {
            scope: Scope::Street(s.id),
            label: s.name.clone(),
        })
        .collect();
    out.extend(communities.iter().map(|c| ScopeOption {
        scope: Scope::Community(c.id),
        label: community_label(c.id),
    }));
    out.extend(compounds.iter().map(|c| ScopeOption {
        scope: Scope::Compound(c.id),
        label: format!("{} · {}", community_label(c.community_id), c.name),
    }));
    let buildings = crate::entities::building::Entity::find()
        .order_by_asc(crate::entities::building::Column::Id)
        .all(conn)
        .await?;
    out.extend(buildings.iter().map(|b| ScopeOption {
        scope: Scope::Building(b.id),
        label: format!("{} · {}", community_label(b.community_id), b.name),
    }));
    Ok(out)
}

/// The scope picker of the admin page (admins only).
pub async fn scopes_for_granting(
    s: &crate::Services,
    actor: &crate::Principal,
) -> DomainResult<Vec<ScopeOption>> {
    actor.require_admin()?;
    scope_options(&s.db).await
}

// ---------------------------------------------------------------------------
// Setting up a street: admins create, rename, code and retire units; a file
// (`hongcha org import`) loads a whole street at once. Nothing referenced is
// ever deleted: a retired unit stays for the records that name it.

use crate::error::DomainError;
use crate::{Principal, Services, audit};
use sea_orm::sea_query::{Expr, ExprTrait};

/// A level of the organisation tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Street,
    Community,
    Compound,
}

impl Level {
    pub fn parse(s: &str) -> DomainResult<Self> {
        match s {
            "street" => Ok(Self::Street),
            "community" => Ok(Self::Community),
            "compound" => Ok(Self::Compound),
            _ => Err(DomainError::validation("level", "invalid")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Street => "street",
            Self::Community => "community",
            Self::Compound => "compound",
        }
    }
}

/// One unit of the tree as the admin page shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub level: Level,
    pub name: String,
    pub code: Option<String>,
    pub retired: bool,
    pub children: Vec<Unit>,
}

/// A unit's name: trimmed, 1–32 characters, no control characters.
pub fn parse_unit_name(raw: &str) -> DomainResult<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::validation("unit_name", "required"));
    }
    if name.chars().count() > 32 || name.chars().any(char::is_control) {
        return Err(DomainError::validation("unit_name", "invalid"));
    }
    Ok(name.to_owned())
}

/// An administrative code: empty for none, else 2–20 ASCII letters or digits.
pub fn parse_unit_code(raw: &str) -> DomainResult<Option<String>> {
    let code = raw.trim();
    if code.is_empty() {
        return Ok(None);
    }
    if !(2..=20).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(DomainError::validation("unit_code", "invalid"));
    }
    Ok(Some(code.to_owned()))
}

/// The whole tree, retired units included (admins only).
pub async fn tree(s: &Services, actor: &Principal) -> DomainResult<Vec<Unit>> {
    actor.require_admin()?;
    let streets = street::Entity::find()
        .order_by_asc(street::Column::Id)
        .all(&s.db)
        .await?;
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(&s.db)
        .await?;
    let compounds = compound::Entity::find()
        .order_by_asc(compound::Column::Id)
        .all(&s.db)
        .await?;
    Ok(streets
        .into_iter()
        .map(|st| Unit {
            children: communities
                .iter()
                .filter(|c| c.street_id == st.id)
                .map(|c| Unit {
                    children: compounds
                        .iter()
                        .filter(|x| x.community_id == c.id)
                        .map(|x| Unit {
                            id: x.id,
                            level: Level::Compound,
                            name: x.name.clone(),
                            code: x.code.clone(),
                            retired: x.retired_at.is_some(),
                            children: vec![],
                        })
                        .collect(),
                    id: c.id,
                    level: Level::Community,
                    name: c.name.clone(),
                    code: c.code.clone(),
                    retired: c.retired_at.is_some(),
                })
                .collect(),
            id: st.id,
            level: Level::Street,
            name: st.name,
            code: st.code,
            retired: st.retired_at.is_some(),
        })
        .collect())
}

/// What the admin form sends: a new unit (no `id`; a `parent_id` for
/// communities and compounds) or a rename / new code for an existing one.
#[derive(Clone, Debug)]
pub struct UnitInput {
    pub level: Level,
    pub id: Option<i64>,
    pub parent_id: Option<i64>,
    pub name: String,
    pub code: String,
}

/// The id of the unit at `level` called `name` under `parent`, if any.
async fn unit_named<C: ConnectionTrait>(
    conn: &C,
    level: Level,
    parent: Option<i64>,
    name: &str,
) -> DomainResult<Option<i64>> {
    Ok(match level {
        Level::Street => street::Entity::find()
            .filter(street::Column::Name.eq(name))
            .one(conn)
            .await?
            .map(|u| u.id),
        Level::Community => community::Entity::find()
            .filter(community::Column::StreetId.eq(parent.unwrap_or(0)))
            .filter(community::Column::Name.eq(name))
            .one(conn)
            .await?
            .map(|u| u.id),
        Level::Compound => compound::Entity::find()
            .filter(compound::Column::CommunityId.eq(parent.unwrap_or(0)))
            .filter(compound::Column::Name.eq(name))
            .one(conn)
            .await?
            .map(|u| u.id),
    })
}

/// The parent of an existing unit (`None` for a street), or `NotFound`.
async fn parent_of<C: ConnectionTrait>(
    conn: &C,
    level: Level,
    id: i64,
) -> DomainResult<Option<i64>> {
    match level {
        Level::Street => street::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|_| None)
            .ok_or(DomainError::NotFound),
        Level::Community => community::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|u| Some(u.street_id))
            .ok_or(DomainError::NotFound),
        Level::Compound => compound::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|u| Some(u.community_id))
            .ok_or(DomainError::NotFound),
    }
}

/// Creates a unit or renames / re-codes one (admins only, audited).
pub async fn save_unit(s: &Services, actor: &Principal, input: UnitInput) -> DomainResult<i64> {
    actor.require_admin()?;
    let name = parse_unit_name(&input.name)?;
    let code = parse_unit_code(&input.code)?;
    let (_gate, txn) = s.begin_write().await?;
    let id = write_unit(
        &txn,
        input.level,
        input.id,
        input.parent_id,
        &name,
        code.as_deref(),
    )
    .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        if input.id.is_some() {
            "org.unit_saved"
        } else {
            "org.unit_created"
        },
        &format!("{}:{id}", input.level.as_str()),
        serde_json::json!({ "name": name, "code": code }),
    )
    .await?;
    crate::refdata::changed(&txn).await?;
    txn.commit().await?;
    Ok(id)
}

/// The one write path for a unit (admin form and file import): checks the
/// parent exists, keeps names unique under one parent, and writes.
async fn write_unit<C: ConnectionTrait>(
    conn: &C,
    level: Level,
    id: Option<i64>,
    parent_id: Option<i64>,
    name: &str,
    code: Option<&str>,
) -> DomainResult<i64> {
    let parent = match id {
        Some(id) => parent_of(conn, level, id).await?,
        None => {
            let ok = match (level, parent_id) {
                (Level::Street, _) => true,
                (Level::Community, Some(p)) => street_exists(conn, p).await?,
                (Level::Compound, Some(p)) => community_exists(conn, p).await?,
                _ => false,
            };
            if !ok {
                return Err(DomainError::validation("parent", "invalid"));
            }
            parent_id.filter(|_| level != Level::Street)
        }
    };
    if let Some(other) = unit_named(conn, level, parent, name).await?
        && Some(other) != id
    {
        return Err(DomainError::Conflict("name_taken"));
    }
    let now = crate::clock::now();
    let code = code.map(str::to_owned);
    Ok(match (level, id) {
        (level, None) => {
            use sea_orm::sea_query::{Alias, Query};
            let mut cols = vec![
                Alias::new("name"),
                Alias::new("code"),
                Alias::new("created_at"),
            ];
            let mut vals: Vec<sea_orm::sea_query::SimpleExpr> =
                vec![name.into(), code.into(), now.into()];
            if let (Some(p), Some(col)) = (parent, level.parent_column()) {
                cols.push(Alias::new(col));
                vals.push(p.into());
            }
            let mut q = Query::insert();
            q.into_table(Alias::new(level.table()))
                .columns(cols)
                .values_panic(vals)
                .returning_col(Alias::new("id"));
            let row = conn
                .query_one_raw(conn.get_database_backend().build(&q))
                .await?
                .ok_or_else(|| DomainError::Internal("insert returned no id".into()))?;
            row.try_get::<i64>("", "id")?
        }
        (level, Some(id)) => {
            set_columns(
                conn,
                level,
                id,
                [("name", name.into()), ("code", code.into())],
            )
            .await?;
            id
        }
    })
}

impl Level {
    fn table(self) -> &'static str {
        // The tables are named after the levels.
        self.as_str()
    }

    /// The column naming the parent unit (none for a street).
    fn parent_column(self) -> Option<&'static str> {
        match self {
            Level::Street => None,
            Level::Community => Some("street_id"),
            Level::Compound => Some("community_id"),
        }
    }
}

/// Sets columns of one unit, whatever its level (the three tables share
/// `name`, `code` and `retired_at`).
async fn set_columns<C: ConnectionTrait, const N: usize>(
    conn: &C,
    level: Level,
    id: i64,
    values: [(&'static str, sea_orm::Value); N],
) -> DomainResult<()> {
    use sea_orm::sea_query::{Alias, Query};
    let mut q = Query::update();
    q.table(Alias::new(level.table()));
    for (col, v) in values {
        q.value(Alias::new(col), v);
    }
    q.and_where(Expr::col(Alias::new("id")).eq(id));
    let stmt = conn.get_database_backend().build(&q);
    conn.execute_raw(stmt).await?;
    Ok(())
}

/// Retires a unit (or brings it back). Retired units are offered in no
/// picker and take no new records; everything that names them stays.
pub async fn set_retired(
    s: &Services,
    actor: &Principal,
    level: Level,
    id: i64,
    retired: bool,
) -> DomainResult<()> {
    actor.require_admin()?;
    let (_gate, txn) = s.begin_write().await?;
    parent_of(&txn, level, id).await?;
    let at = retired.then(crate::clock::now);
    set_columns(&txn, level, id, [("retired_at", at.into())]).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        if retired {
            "org.unit_retired"
        } else {
            "org.unit_restored"
        },
        &format!("{}:{id}", level.as_str()),
        serde_json::json!({}),
    )
    .await?;
    crate::refdata::changed(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// One problem in an organisation file, by line (1-based).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// What an organisation import did (or, with errors, would not do).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OrgImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<LineError>,
}

/// One row of an organisation file: a street, a community or a compound,
/// with the line it came from.
#[derive(Clone, Debug)]
struct OrgRow {
    line: usize,
    street: (String, Option<String>),
    community: Option<(String, Option<String>)>,
    compound: Option<(String, Option<String>)>,
}

#[derive(serde::Deserialize)]
struct OrgFile {
    #[serde(default)]
    street: Vec<StreetEntry>,
}

#[derive(serde::Deserialize)]
struct StreetEntry {
    name: toml::Spanned<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    community: Vec<CommunityEntry>,
}

#[derive(serde::Deserialize)]
struct CommunityEntry {
    name: toml::Spanned<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    compounds: Vec<toml::Spanned<String>>,
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

/// Reads an organisation file: TOML (`[[street]]` → `[[street.community]]`
/// with `compounds = [...]`) or CSV with the columns 街道, 社区, 小区 and,
/// optionally, 街道代码, 社区代码, 小区代码.
fn read_org_file(file_name: &str, text: &str) -> Result<Vec<OrgRow>, Vec<LineError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let err = |line: usize, message: String| vec![LineError { line, message }];
    if file_name.to_ascii_lowercase().ends_with(".toml") {
        let file: OrgFile = toml::from_str(text).map_err(|e| {
            err(
                e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
                e.message().to_owned(),
            )
        })?;
        let mut rows = Vec::new();
        for st in file.street {
            let street = (st.name.get_ref().clone(), st.code.clone());
            rows.push(OrgRow {
                line: line_of(text, st.name.span().start),
                street: street.clone(),
                community: None,
                compound: None,
            });
            for c in st.community {
                let community = (c.name.get_ref().clone(), c.code.clone());
                rows.push(OrgRow {
                    line: line_of(text, c.name.span().start),
                    street: street.clone(),
                    community: Some(community.clone()),
                    compound: None,
                });
                for x in c.compounds {
                    rows.push(OrgRow {
                        line: line_of(text, x.span().start),
                        street: street.clone(),
                        community: Some(community.clone()),
                        compound: Some((x.get_ref().clone(), None)),
                    });
                }
            }
        }
        return Ok(rows);
    }
    if !file_name.to_ascii_lowercase().ends_with(".csv") {
        return Err(err(1, "只支持 .toml 或 .csv 文件".into()));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| err(1, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(s_col), c_col, x_col) = (
        col(&["街道", "street"]),
        col(&["社区", "community"]),
        col(&["小区", "compound"]),
    ) else {
        return Err(err(1, "缺少“街道”列".into()));
    };
    let (sc, cc, xc) = (
        col(&["街道代码", "street_code"]),
        col(&["社区代码", "community_code"]),
        col(&["小区代码", "compound_code"]),
    );
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let cell = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(street) = cell(Some(s_col)) else {
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            return Err(err(line, "街道名称为空".into()));
        };
        let community = cell(c_col).map(|n| (n, cell(cc)));
        let compound = cell(x_col).map(|n| (n, cell(xc)));
        if compound.is_some() && community.is_none() {
            return Err(err(line, "填写小区时必须填写社区".into()));
        }
        rows.push(OrgRow {
            line,
            street: (street, cell(sc)),
            community,
            compound,
        });
    }
    Ok(rows)
}

/// Imports an organisation file: idempotent (names are matched under their
/// parent; a code given in the file updates the stored one), all or nothing
/// (one transaction; any error leaves the database as it was), errors by
/// line. `actor` is an admin, or `None` for the command line (audited as
/// the system).
pub async fn import_file(
    s: &Services,
    actor: Option<&Principal>,
    file_name: &str,
    text: &str,
    dry_run: bool,
) -> DomainResult<OrgImport> {
    if let Some(a) = actor {
        a.require_admin()?;
    }
    let rows = match read_org_file(file_name, text) {
        Ok(rows) => rows,
        Err(errors) => {
            return Ok(OrgImport {
                errors,
                ..OrgImport::default()
            });
        }
    };
    let mut report = OrgImport::default();
    for r in &rows {
        for (name, code) in [Some(&r.street), r.community.as_ref(), r.compound.as_ref()]
            .into_iter()
            .flatten()
        {
            let bad = parse_unit_name(name)
                .err()
                .map(|_| format!("名称“{name}”不对（1–32 个字）"))
                .or_else(|| {
                    parse_unit_code(code.as_deref().unwrap_or(""))
                        .err()
                        .map(|_| {
                            format!(
                                "代码“{}”不对（2–20 位字母或数字）",
                                code.as_deref().unwrap_or("")
                            )
                        })
                });
            if let Some(message) = bad {
                report.errors.push(LineError {
                    line: r.line,
                    message,
                });
            }
        }
    }
    if !report.errors.is_empty() {
        return Ok(report);
    }
    let (_gate, txn) = s.begin_write().await?;
    let mut seen = std::collections::HashSet::new();
    for r in &rows {
        let mut parent = None;
        for (level, unit) in [
            (Level::Street, Some(&r.street)),
            (Level::Community, r.community.as_ref()),
            (Level::Compound, r.compound.as_ref()),
        ] {
            let Some((name, code)) = unit else { break };
            let name = parse_unit_name(name)?;
            let code = parse_unit_code(code.as_deref().unwrap_or(""))?;
            let existing = unit_named(&txn, level, parent, &name).await?;
            let first_time = seen.insert((level, parent, name.clone()));
            let id = match existing {
                Some(id) => {
                    let stored = stored_code(&txn, level, id).await?;
                    if code.is_some() && code != stored {
                        write_unit(&txn, level, Some(id), None, &name, code.as_deref()).await?;
                        report.updated += 1;
                    } else if first_time {
                        report.unchanged += 1;
                    }
                    id
                }
                None => match write_unit(&txn, level, None, parent, &name, code.as_deref()).await {
                    Ok(id) => {
                        report.created += 1;
                        id
                    }
                    // A retired parent: this line's error, nothing saved.
                    Err(DomainError::Validation { .. }) => {
                        txn.rollback().await?;
                        report.errors.push(LineError {
                            line: r.line,
                            message: format!("“{name}”的上级单位已停用"),
                        });
                        return Ok(report);
                    }
                    Err(e) => return Err(e),
                },
            };
            parent = Some(id);
        }
    }
    if dry_run {
        txn.rollback().await?;
        return Ok(report);
    }
    audit::append(
        &txn,
        actor.map(|a| a.account_id),
        "org.imported",
        &format!("file:{file_name}"),
        serde_json::json!({
            "by": if actor.is_some() { "admin" } else { "system:cli" },
            "created": report.created,
            "updated": report.updated,
        }),
    )
    .await?;
    crate::refdata::changed(&txn).await?;
    txn.commit().await?;
    Ok(report)
}

async fn stored_code<C: ConnectionTrait>(
    conn: &C,
    level: Level,
    id: i64,
) -> DomainResult<Option<String>> {
    Ok(match level {
        Level::Street => street::Entity::find_by_id(id)
            .one(conn)
            .await?
            .and_then(|u| u.code),
        Level::Community => community::Entity::find_by_id(id)
            .one(conn)
            .await?
            .and_then(|u| u.code),
        Level::Compound => compound::Entity::find_by_id(id)
            .one(conn)
            .await?
            .and_then(|u| u.code),
    })
}
