//! 一企一档 imported: a CSV/XLSX through the import machinery (the same
//! column guessing and overrides, per-row errors by spreadsheet row, all or
//! nothing). Re-importing updates by credit code and reports what changed;
//! nothing is duplicated. A credit code that fails its check is imported
//! *flagged* for review (listed in the report), never dropped or corrected.
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter, Set};
use serde::Serialize;

use super::credit;
use super::entities::enterprise;
use crate::entities::building;
use crate::error::{DomainError, DomainResult};
use crate::import::{RowError, Table};
use crate::{Principal, Services, audit, clock};

/// The fields a register row fills, and the headers they are guessed from.
pub const FIELDS: &[(&str, &[&str])] = &[
    (
        "credit_code",
        &[
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "credit_code",
        ],
    ),
    ("name", &["企业名称", "名称", "单位名称", "name"]),
    (
        "legal_rep",
        &["法定代表人", "法人代表", "法人", "legal_rep"],
    ),
    (
        "industry_code",
        &["行业代码", "国民经济行业代码", "行业", "industry_code"],
    ),
    (
        "registered_capital",
        &[
            "注册资本（万元）",
            "注册资本(万元)",
            "注册资本",
            "registered_capital",
        ],
    ),
    ("employees", &["从业人数", "员工人数", "人数", "employees"]),
    (
        "annual_tax",
        &[
            "年纳税额（万元）",
            "年纳税额(万元)",
            "年纳税额",
            "纳税额",
            "annual_tax",
        ],
    ),
    ("building", &["楼宇编号", "楼宇", "所在楼宇", "building"]),
    ("unit", &["房号", "室号", "单元", "unit"]),
    (
        "lease_start",
        &["租期开始", "租赁开始", "起租日期", "lease_start"],
    ),
    (
        "lease_end",
        &["租期结束", "租赁结束", "租约到期", "到期日期", "lease_end"],
    ),
    (
        "leased_area",
        &[
            "租赁面积（㎡）",
            "租赁面积(㎡)",
            "租赁面积",
            "面积",
            "leased_area",
        ],
    ),
    ("contact_name", &["联系人", "contact_name"]),
    (
        "contact_phone",
        &["联系电话", "手机", "电话", "contact_phone"],
    ),
    ("founded_on", &["成立日期", "成立时间", "founded_on"]),
    ("grade", &["重点企业等级", "企业等级", "等级", "grade"]),
];

/// The register's own values, checked, of one row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub row: usize,
    pub credit_code: String,
    pub check: credit::Check,
    pub name: String,
    pub legal_rep: Option<String>,
    pub industry_code: Option<String>,
    pub registered_capital: Option<f64>,
    pub employees: Option<i32>,
    pub annual_tax: Option<f64>,
    pub building_id: Option<i64>,
    pub unit: Option<String>,
    pub lease_start: Option<NaiveDate>,
    pub lease_end: Option<NaiveDate>,
    pub leased_area: Option<f64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub grade: Option<String>,
}

/// A code that failed its check: imported, for review.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Flagged {
    pub row: usize,
    pub credit_code: String,
    pub name: String,
    /// `length`, `character` or `check`.
    pub problem: &'static str,
    /// What the check character should be (a wrong check character).
    pub expected: Option<char>,
}

/// What changed on an enterprise already in the register.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Changed {
    pub row: usize,
    pub credit_code: String,
    pub name: String,
    pub fields: Vec<&'static str>,
}

/// What an import did (or, dry, would do).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub flagged: Vec<Flagged>,
    pub changes: Vec<Changed>,
    /// Any error refuses the whole file (nothing stored).
    pub errors: Vec<RowError>,
    pub dry_run: bool,
}

fn text(cell: &str, max: usize) -> Result<Option<String>, &'static str> {
    let t = nlp::text::normalise(cell.trim());
    let t = t.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max {
        return Err("too_long");
    }
    if t.chars().any(|c| c.is_control()) {
        return Err("invalid");
    }
    Ok(Some(t.to_owned()))
}

/// A figure: `1234.5`, `1,234.5`, `1234.5万`; zero or more.
fn number(cell: &str) -> Result<Option<f64>, &'static str> {
    let t: String = nlp::text::normalise(cell.trim())
        .chars()
        .filter(|c| !matches!(c, ',' | ' '))
        .collect();
    let t = t.trim_end_matches("万元").trim_end_matches('万');
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..1e12).contains(&v) => Ok(Some(v)),
        _ => Err("invalid"),
    }
}

/// A date: `2026-03-01`, `2026/3/1`, `2026.03.01`, `2026年3月1日`,
/// `20260301`, or a spreadsheet serial (`46082`). Between 1949 and 2100.
pub fn day(cell: &str) -> Result<Option<NaiveDate>, &'static str> {
    let t = nlp::text::normalise(cell.trim());
    let t = t.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let d = if let Ok(serial) = t.parse::<f64>()
        && t.len() <= 8
        && !t.contains('.')
        && (10_000.0..80_000.0).contains(&serial)
    {
        // Spreadsheet serial (1900 date system): day 1 is 1900-01-01 and
        // the phantom 1900-02-29 is counted, so day 0 is 1899-12-30.
        NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|base| base.checked_add_days(chrono::Days::new(serial as u64)))
    } else {
        let t = t
            .replace(['年', '月', '/', '.'], "-")
            .replace('日', "")
            .trim()
            .to_owned();
        let t = t.split_whitespace().next().unwrap_or_default().to_owned();
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(&t, "%Y%m%d"))
            .ok()
    };
    match d {
        Some(d) if (1949..=2100).contains(&chrono::Datelike::year(&d)) => Ok(Some(d)),
        _ => Err("invalid"),
    }
}

/// The GB/T 4754-2017 section a two-digit division belongs to.
fn section_of(division: u32) -> Option<char> {
    Some(match division {
        1..=5 => 'A',
        6..=12 => 'B',
        13..=43 => 'C',
        44..=46 => 'D',
        47..=50 => 'E',
        51..=52 => 'F',
        53..=60 => 'G',
        61..=62 => 'H',
        63..=65 => 'I',
        66..=69 => 'J',
        70 => 'K',
        71..=72 => 'L',
        73..=75 => 'M',
        76..=79 => 'N',
        80..=82 => 'O',
        83 => 'P',
        84..=85 => 'Q',
        86..=90 => 'R',
        91..=96 => 'S',
        97 => 'T',
        _ => return None,
    })
}

/// An industry code: a section letter and up to four digits (`I6513`,
/// `I65`, `I`), or the digits alone (`6513`), given their section letter.
/// The letter must be the digits' own section.
fn industry(cell: &str) -> Result<Option<String>, &'static str> {
    let t: String = nlp::text::normalise(cell.trim())
        .trim()
        .to_ascii_uppercase();
    if t.is_empty() {
        return Ok(None);
    }
    let (letter, digits) = match t.chars().next() {
        Some(c) if c.is_ascii_uppercase() => (Some(c), &t[1..]),
        _ => (None, t.as_str()),
    };
    if digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("invalid");
    }
    let from_digits = match digits.get(..2) {
        Some(d) => Some(section_of(d.parse().map_err(|_| "invalid")?).ok_or("invalid")?),
        None if digits.is_empty() => None,
        None => return Err("invalid"),
    };
    let section = match (letter, from_digits) {
        (Some(l), Some(d)) if l != d => return Err("invalid"),
        (Some(l), _) if !('A'..='T').contains(&l) => return Err("invalid"),
        (Some(l), _) => l,
        (None, Some(d)) => d,
        (None, None) => return Err("invalid"),
    };
    Ok(Some(format!("{section}{digits}")))
}

/// Checks every row; buildings are named by their code (or name).
pub async fn check_rows<C: ConnectionTrait>(
    conn: &C,
    table: &Table,
    map: &HashMap<String, usize>,
) -> DomainResult<(Vec<Row>, Vec<RowError>)> {
    let buildings = building::Entity::find().all(conn).await?;
    let building_of = |cell: &str| -> Option<i64> {
        let t = cell.trim();
        buildings
            .iter()
            .find(|b| b.code.eq_ignore_ascii_case(t) || b.name == t)
            .map(|b| b.id)
    };
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut errors = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, cells) in table.rows.iter().enumerate() {
        let row = i + 2;
        let cell = |f: &str| {
            map.get(f)
                .and_then(|&c| cells.get(c))
                .map(String::as_str)
                .unwrap_or("")
        };
        let before = errors.len();
        let mut err = |field: &str, rule: &str| {
            errors.push(RowError {
                row,
                field: field.to_owned(),
                rule: rule.to_owned(),
            })
        };
        let code = credit::normalise(cell("credit_code"));
        if code.is_empty() {
            err("credit_code", "required");
        } else if code.chars().count() > 18 * 2 {
            err("credit_code", "too_long");
        } else if seen.contains(&code) {
            err("credit_code", "duplicate");
        }
        let name = match text(cell("name"), 200) {
            Ok(Some(n)) => n,
            Ok(None) => {
                err("name", "required");
                String::new()
            }
            Err(r) => {
                err("name", r);
                String::new()
            }
        };
        macro_rules! field {
            ($f:expr, $e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(r) => {
                        err($f, r);
                        None
                    }
                }
            };
        }
        let legal_rep = field!("legal_rep", text(cell("legal_rep"), 50));
        let industry_code = field!("industry_code", industry(cell("industry_code")));
        let registered_capital = field!("registered_capital", number(cell("registered_capital")));
        let employees = field!(
            "employees",
            number(cell("employees")).and_then(|v| match v {
                Some(v) if v.fract() == 0.0 && v <= 10_000_000.0 => Ok(Some(v as i32)),
                Some(_) => Err("invalid"),
                None => Ok(None),
            })
        );
        let annual_tax = field!("annual_tax", number(cell("annual_tax")));
        let building_id = match cell("building").trim() {
            "" => None,
            b => {
                let found = building_of(b);
                if found.is_none() {
                    err("building", "unknown");
                }
                found
            }
        };
        let unit = field!("unit", text(cell("unit"), 40));
        let lease_start = field!("lease_start", day(cell("lease_start")));
        let lease_end = field!("lease_end", day(cell("lease_end")));
        if let (Some(a), Some(b)) = (lease_start, lease_end)
            && b < a
        {
            err("lease_end", "before_start");
        }
        let leased_area = field!("leased_area", number(cell("leased_area")));
        let contact_name = field!("contact_name", text(cell("contact_name"), 50));
        let contact_phone = match cell("contact_phone").trim() {
            "" => None,
            p => {
                let parsed = crate::import::parse_contact_phone(p);
                if parsed.is_none() {
                    err("contact_phone", "invalid");
                }
                parsed
            }
        };
        let founded_on = field!("founded_on", day(cell("founded_on")));
        let grade = match cell("grade").trim().to_ascii_uppercase().as_str() {
            "" => None,
            g @ ("A" | "B" | "C") => Some(g.to_owned()),
            _ => {
                err("grade", "invalid");
                None
            }
        };
        if errors.len() == before {
            seen.insert(code.clone());
            rows.push(Row {
                row,
                check: credit::check(&code),
                credit_code: code,
                name,
                legal_rep,
                industry_code,
                registered_capital,
                employees,
                annual_tax,
                building_id,
                unit,
                lease_start,
                lease_end,
                leased_area,
                contact_name,
                contact_phone,
                founded_on,
                grade,
            });
        }
    }
    Ok((rows, errors))
}

/// The fields of `row` that differ from `e`, among those the file has
/// (`mapped`); a column the file lacks changes nothing.
fn differences(
    row: &Row,
    e: &enterprise::Model,
    mapped: &HashMap<String, usize>,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut cmp = |name: &'static str, same: bool| {
        if !same && mapped.contains_key(name) {
            out.push(name);
        }
    };
    let f = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    };
    cmp("name", row.name == e.name);
    cmp("legal_rep", row.legal_rep == e.legal_rep);
    cmp("industry_code", row.industry_code == e.industry_code);
    cmp(
        "registered_capital",
        f(row.registered_capital, e.registered_capital),
    );
    cmp("employees", row.employees == e.employees);
    cmp("annual_tax", f(row.annual_tax, e.annual_tax));
    cmp("building", row.building_id == e.building_id);
    cmp("unit", row.unit == e.unit);
    cmp("lease_start", row.lease_start == e.lease_start);
    cmp("lease_end", row.lease_end == e.lease_end);
    cmp("leased_area", f(row.leased_area, e.leased_area));
    cmp("contact_name", row.contact_name == e.contact_name);
    cmp("contact_phone", row.contact_phone == e.contact_phone);
    cmp("founded_on", row.founded_on == e.founded_on);
    cmp("grade", row.grade == e.grade);
    out
}

/// The columns a re-import writes over: the code's state, the name, each
/// field the file has, and the review state; never a column the file
/// lacks, nor whether the enterprise moved out.
fn update_columns(map: &HashMap<String, usize>) -> Vec<enterprise::Column> {
    use enterprise::Column as C;
    let mut cols = vec![C::CodeState, C::CodeProblem, C::Name];
    for (field, col) in [
        ("legal_rep", C::LegalRep),
        ("industry_code", C::IndustryCode),
        ("registered_capital", C::RegisteredCapital),
        ("employees", C::Employees),
        ("annual_tax", C::AnnualTax),
        ("building", C::BuildingId),
        ("unit", C::Unit),
        ("lease_start", C::LeaseStart),
        ("lease_end", C::LeaseEnd),
        ("leased_area", C::LeasedArea),
        ("contact_name", C::ContactName),
        ("contact_phone", C::ContactPhone),
        ("founded_on", C::FoundedOn),
        ("grade", C::Grade),
    ] {
        if map.contains_key(field) {
            cols.push(col);
        }
    }
    cols.extend([C::ReviewState, C::ReviewedBy, C::ReviewedAt, C::UpdatedAt]);
    cols
}

/// Who may import the register: admins and the street office.
pub fn may_import(actor: &Principal) -> DomainResult<()> {
    super::require_street(actor)
}

/// Imports a register file (or, `dry_run`, says what it would do). Any
/// row error refuses the whole file; flagged credit codes are imported for
/// review and listed. Rule tags are recomputed for every enterprise
/// written, and matched policies pushed to their accounts, in the same
/// transaction. `actor` None: the command line.
pub async fn import(
    s: &Services,
    actor: Option<&Principal>,
    table: &Table,
    overrides: &HashMap<String, String>,
    dry_run: bool,
) -> DomainResult<Report> {
    import_with(s, actor, table, overrides, dry_run, |_, _| {}).await
}

/// [`import`], telling `progress(done, total)` as rows are written (total:
/// the file's rows; unchanged rows count as done at once).
pub async fn import_with(
    s: &Services,
    actor: Option<&Principal>,
    table: &Table,
    overrides: &HashMap<String, String>,
    dry_run: bool,
    progress: impl Fn(usize, usize),
) -> DomainResult<Report> {
    if let Some(a) = actor {
        may_import(a)?;
    }
    let map = crate::import::map_columns(
        FIELDS,
        &[("credit_code", "no_credit_code"), ("name", "no_name")],
        table,
        overrides,
    )?;
    if table.rows.is_empty() {
        return Err(DomainError::validation("file", "empty"));
    }
    let (rows, errors) = check_rows(&s.db, table, &map).await?;
    let mut report = Report {
        rows: table.rows.len(),
        dry_run,
        ..Default::default()
    };
    if !errors.is_empty() {
        report.errors = errors;
        return Ok(report);
    }
    let (_gate, txn) = if dry_run {
        (None, None)
    } else {
        let (g, t) = s.begin_write().await?;
        (g, Some(t))
    };
    // The whole register read once and matched here: a text `IN` list of
    // a thousand codes costs PostgreSQL half a second a chunk (each row
    // compared under the collation), the whole table a few milliseconds.
    let existing: HashMap<String, enterprise::Model> = {
        let wanted: HashSet<&str> = rows.iter().map(|r| r.credit_code.as_str()).collect();
        let all = match &txn {
            Some(t) => enterprise::Entity::find().all(t).await?,
            None => enterprise::Entity::find().all(&s.db).await?,
        };
        all.into_iter()
            .filter(|e| wanted.contains(e.credit_code.as_str()))
            .map(|e| (e.credit_code.clone(), e))
            .collect()
    };
    let now = clock::now();
    let mut writes = Vec::new();
    for r in &rows {
        if let Some(problem) = r.check.problem() {
            report.flagged.push(Flagged {
                row: r.row,
                credit_code: r.credit_code.clone(),
                name: r.name.clone(),
                problem,
                expected: match r.check {
                    credit::Check::WrongCheck { expected } => Some(expected),
                    _ => None,
                },
            });
        }
        match existing.get(&r.credit_code) {
            None => {
                report.created += 1;
                writes.push(r);
            }
            Some(e) => {
                let fields = differences(r, e, &map);
                if fields.is_empty() {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    report.changes.push(Changed {
                        row: r.row,
                        credit_code: r.credit_code.clone(),
                        name: r.name.clone(),
                        fields,
                    });
                    writes.push(r);
                }
            }
        }
    }
    let Some(txn) = txn else {
        return Ok(report);
    };
    let total = rows.len();
    let mut done = total - writes.len();
    progress(done, total);
    // About 30,000 values a statement (within SQLite's 32,766 and
    // PostgreSQL's 65,535): measured on PostgreSQL, 300 rows a statement
    // took 2.1 s for 10,000 rows and 1,000 took 0.7 s (bench_enterprise).
    let per_statement = 30_000 / (enterprise::Column::iter().count().max(1));
    for chunk in writes.chunks(per_statement) {
        let models = chunk.iter().map(|r| enterprise::ActiveModel {
            credit_code: Set(r.credit_code.clone()),
            code_state: Set(if r.check.is_valid() {
                "valid"
            } else {
                "flagged"
            }
            .to_owned()),
            code_problem: Set(r.check.problem().map(str::to_owned)),
            name: Set(r.name.clone()),
            legal_rep: Set(r.legal_rep.clone()),
            industry_code: Set(r.industry_code.clone()),
            registered_capital: Set(r.registered_capital),
            employees: Set(r.employees),
            annual_tax: Set(r.annual_tax),
            building_id: Set(r.building_id),
            unit: Set(r.unit.clone()),
            lease_start: Set(r.lease_start),
            lease_end: Set(r.lease_end),
            leased_area: Set(r.leased_area),
            contact_name: Set(r.contact_name.clone()),
            contact_phone: Set(r.contact_phone.clone()),
            founded_on: Set(r.founded_on),
            grade: Set(r.grade.clone()),
            status: Set("active".to_owned()),
            moved_out_on: Set(None),
            // New or changed: someone reviews it.
            review_state: Set("pending".to_owned()),
            reviewed_by: Set(None),
            reviewed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        enterprise::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(enterprise::Column::CreditCode)
                    .update_columns(update_columns(&map))
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        done += chunk.len();
        progress(done, total);
    }
    // Tags and pushes for every enterprise written.
    let written: HashSet<&str> = writes.iter().map(|r| r.credit_code.as_str()).collect();
    let models: Vec<enterprise::Model> = if written.is_empty() {
        Vec::new()
    } else {
        enterprise::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .filter(|e| written.contains(e.credit_code.as_str()))
            .collect()
    };
    let buildings = super::buildings_by_id(&txn).await?;
    super::retag(&txn, &models, &buildings, super::today()).await?;
    let ids: Vec<i64> = models.iter().map(|e| e.id).collect();
    super::policy::push_due(&txn, Some(&ids), super::today(), now).await?;
    audit::append(
        &txn,
        actor.map(|a| a.account_id),
        "enterprise.import",
        "enterprise",
        serde_json::json!({
            "file": table.digest,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "flagged": report.flagged.len(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}

/// Keeps an uploaded register file for its preview and import (the street
/// office; the file is read once now, so a broken one is refused at once).
pub async fn stash(
    s: &Services,
    actor: &Principal,
    file_name: &str,
    bytes: Vec<u8>,
) -> DomainResult<String> {
    may_import(actor)?;
    crate::import::stash_for(s, actor, file_name, bytes).await
}

/// Imports (or, `dry_run`, previews) a file [`stash`] kept for `actor`.
pub async fn import_stashed(
    s: &Services,
    actor: &Principal,
    token: &str,
    dry_run: bool,
) -> DomainResult<Report> {
    may_import(actor)?;
    let table = crate::import::stashed_for(s, actor, token).await?;
    import(s, Some(actor), &table, &HashMap::new(), dry_run).await
}

/// The job runner's kind for a register import started from the web
/// (at most 16 characters, as `job_run.kind` holds).
pub const JOB: &str = "ent_import";

/// Checks a file [`stash`] kept for `actor` and queues its import on the job
/// runner (refused if any row has an error, or while the same file is
/// importing); [`progress`] follows it.
pub async fn start(s: &Services, actor: &Principal, token: &str) -> DomainResult<usize> {
    let dry = import_stashed(s, actor, token, true).await?;
    if !dry.errors.is_empty() {
        return Err(DomainError::validation("file", "has_errors"));
    }
    crate::jobs::enqueue(
        s,
        JOB,
        token,
        Some(actor.account_id),
        serde_json::json!({}),
        dry.rows as i64,
    )
    .await
    .map_err(|e| match e {
        DomainError::Conflict(_) => DomainError::Conflict("import_running"),
        other => other,
    })?;
    Ok(dry.rows)
}

/// Runs a queued register import for the job runner: the file read again
/// and imported as its owner (rights checked again), progress on the run's
/// row; the result is the report's counts.
pub async fn run_job(s: &Services, run: &crate::jobs::Run) -> Result<serde_json::Value, String> {
    let key = |e: DomainError| {
        if matches!(e, DomainError::Database(_) | DomainError::Internal(_)) {
            tracing::warn!(error = %e, "register import failed");
        }
        e.message_key()
    };
    let owner = run.owner(s).await?;
    may_import(&owner).map_err(key)?;
    let table = crate::import::stashed_for(s, &owner, &run.target)
        .await
        .map_err(key)?;
    let (tx, writer) = crate::jobs::reporter(s, run.id, table.rows.len());
    let result = import_with(s, Some(&owner), &table, &HashMap::new(), false, |d, t| {
        let _ = tx.send((d, t));
    })
    .await;
    drop(tx);
    let _ = writer.await;
    let r = result.map_err(key)?;
    if !r.errors.is_empty() {
        // The file was checked when queued; its rows can still fail now
        // (a building retired since): nothing was stored.
        return Err("err.file.has_errors".to_owned());
    }
    Ok(serde_json::json!({
        "created": r.created,
        "updated": r.updated,
        "unchanged": r.unchanged,
        "flagged": r.flagged.len(),
    }))
}

/// How a queued register import is doing, for its uploader.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub created: Option<usize>,
    pub updated: Option<usize>,
    pub unchanged: Option<usize>,
    pub flagged: Option<usize>,
    /// The UI message key of a failure.
    pub error: Option<String>,
}

/// The progress of the newest import of `token` (its uploader only);
/// `None` if it was never started.
pub async fn progress(
    s: &Services,
    actor: &Principal,
    token: &str,
) -> DomainResult<Option<Progress>> {
    may_import(actor)?;
    // A token is its uploader's: anyone else's is not found.
    crate::import::stash_owner(actor, token)?;
    let Some(run) = crate::jobs::latest(s, JOB, token).await? else {
        return Ok(None);
    };
    Ok(Some(Progress {
        done: run.done as usize,
        total: run.total as usize,
        finished: run.finished(),
        created: run.count("created"),
        updated: run.count("updated"),
        unchanged: run.count("unchanged"),
        flagged: run.count("flagged"),
        error: run.error.clone(),
    }))
}

/// Marks an enterprise reviewed (its credit code and figures checked by a
/// person), audited. Staff who reach it.
pub async fn review(s: &Services, actor: &Principal, id: i64) -> DomainResult<()> {
    let reach = super::staff_reach(&s.db, actor).await?;
    let (_gate, txn) = s.begin_write().await?;
    let e = enterprise::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let buildings = super::buildings_by_id(&txn).await?;
    let community = e
        .building_id
        .and_then(|b| buildings.get(&b))
        .map(|b| b.community_id);
    if !reach.reaches(&e, community) {
        return Err(DomainError::NotFound);
    }
    let now = clock::now();
    enterprise::Entity::update_many()
        .col_expr(enterprise::Column::ReviewState, "reviewed".into())
        .col_expr(
            enterprise::Column::ReviewedBy,
            Some(actor.account_id).into(),
        )
        .col_expr(enterprise::Column::ReviewedAt, Some(now).into())
        .filter(enterprise::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.review",
        &format!("enterprise:{id}"),
        serde_json::json!({"credit_code": e.credit_code, "code_state": e.code_state}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_read_as_people_type_them() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        for (cell, want) in [
            ("2026-03-01", d("2026-03-01")),
            ("2026/3/1", d("2026-03-01")),
            ("2026.03.01", d("2026-03-01")),
            ("2026年3月1日", d("2026-03-01")),
            ("20260301", d("2026-03-01")),
            ("46082", d("2026-03-01")),
            ("2026-03-01 00:00:00", d("2026-03-01")),
        ] {
            assert_eq!(day(cell), Ok(Some(want)), "{cell}");
        }
        assert_eq!(day(""), Ok(None));
        for bad in ["2026-02-30", "明年", "1800-01-01", "3.5"] {
            assert!(day(bad).is_err(), "{bad}");
        }
        assert_eq!(number("1,234.5"), Ok(Some(1234.5)));
        assert_eq!(number("300万元"), Ok(Some(300.0)));
        assert!(number("-5").is_err() && number("很多").is_err() && number("NaN").is_err());
        assert_eq!(industry("i6513"), Ok(Some("I6513".into())));
        // Digits alone get their section letter; a letter must match them.
        assert_eq!(industry("6513"), Ok(Some("I6513".into())));
        assert_eq!(industry("3911"), Ok(Some("C3911".into())));
        assert_eq!(industry("M"), Ok(Some("M".into())));
        for bad in ["Z999", "I65131", "C6513", "9", "99", "I6X"] {
            assert!(industry(bad).is_err(), "{bad}");
        }
    }
}
