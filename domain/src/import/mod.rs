//! 批量导入 bulk import of opinions from CSV or XLSX (a 12345 hotline
//! export, typed-up paper forms). Every row is checked first; if any row is
//! wrong nothing is imported and each error is listed with its row number.
//! Importing the same file twice adds nothing the second time.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::accounts::Principal;
use crate::entities::opinion;
use crate::error::{DomainError, DomainResult};
use crate::opinions::{BODY_MAX, Channel, LOCATION_MAX, TITLE_MAX};
use crate::{Services, audit, categories, clock, org};

mod sheet;

/// Largest file accepted (bytes) and most rows per import.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
pub const MAX_ROWS: usize = 100_000;

/// The fields an opinion row can fill, and the headers they are guessed from.
pub const FIELDS: &[(&str, &[&str])] = &[
    ("title", &["标题", "主题", "事项", "title"]),
    (
        "body",
        &[
            "内容",
            "正文",
            "诉求内容",
            "诉求",
            "问题描述",
            "body",
            "content",
        ],
    ),
    ("community", &["社区", "所属社区", "community"]),
    ("category", &["类别", "分类", "category"]),
    ("location", &["位置", "地址", "小区", "location", "address"]),
    (
        "received_at",
        &[
            "来电时间",
            "受理时间",
            "反映时间",
            "时间",
            "日期",
            "received_at",
            "date",
        ],
    ),
    (
        "phone",
        &["来电号码", "联系电话", "联系方式", "电话", "手机", "phone"],
    ),
    ("channel", &["渠道", "来源", "来源渠道", "channel"]),
];

/// A received-at cell: `2026-11-20 14:30[:05]`, `2026/11/20`, `2026年11月20日
/// 14:30`, `2026.11.20`, or a spreadsheet date serial (`46346.6`), read as
/// China time (UTC+8). Not before 2000, not in the future. Serials are read
/// in the 1900 date system (Excel and WPS on Windows; a 1904-system file is
/// off by four years and needs its dates exported as text).
pub fn parse_received_at(
    raw: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, &'static str> {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let t = raw.trim();
    let naive = if let Ok(serial) = t.parse::<f64>() {
        // Spreadsheet serial days since 1899-12-30 (1900 date system).
        if !(36_526.0..=80_000.0).contains(&serial) {
            return Err("invalid");
        }
        let base = NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or("invalid")?;
        base + chrono::Duration::seconds((serial * 86_400.0).round() as i64)
    } else {
        let t: String = t
            .replace(['年', '月', '/', '.'], "-")
            .replace(['日', 'T'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let (date, time) = t.split_once(' ').unwrap_or((&t, ""));
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| "invalid")?;
        let time = match time {
            "" => NaiveTime::from_hms_opt(0, 0, 0).ok_or("invalid")?,
            t => NaiveTime::parse_from_str(t, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
                .map_err(|_| "invalid")?,
        };
        NaiveDateTime::new(date, time)
    };
    use chrono::Datelike;
    if naive.year() < 2000 {
        return Err("invalid");
    }
    let at = china
        .from_local_datetime(&naive)
        .single()
        .ok_or("invalid")?
        .with_timezone(&chrono::Utc);
    if at > now + chrono::Duration::hours(1) {
        return Err("in_future");
    }
    Ok(at)
}

/// A contact number as hotline exports write it (`138 0013 8000`,
/// `+86-13800138000`, `0571-87654321`, `(0571)8765 4321`): its digits, or
/// `None` if it is no phone number.
pub fn parse_contact_phone(raw: &str) -> Option<String> {
    let t = nlp::text::normalise(raw);
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'))
    {
        return None;
    }
    let mut digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if t.starts_with('+') || digits.starts_with("0086") {
        digits = digits
            .strip_prefix("0086")
            .or_else(|| digits.strip_prefix("86"))
            .map(str::to_owned)?;
    }
    let mobile = digits.len() == 11 && digits.starts_with('1');
    let landline = (digits.starts_with('0') && (10..=12).contains(&digits.len()))
        || (!digits.starts_with('0')
            && !digits.starts_with('1')
            && (7..=8).contains(&digits.len()));
    (mobile || landline).then_some(digits)
}

/// A table read from a file: the header row and the data rows, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// SHA-256 of the file, so a re-import is recognised.
    pub digest: String,
}

/// The file kinds an import reads, by extension.
pub const EXTENSIONS: &[&str] = &["csv", "txt", "xlsx", "xlsm"];

/// Reads CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it on a
/// Chinese Windows) or XLSX (first sheet, within [`sheet::Limits`]). Old
/// `.xls` and `.ods` are refused with `unsupported` (save as .xlsx).
/// CPU work: call it from a blocking thread ([`read_table_off_runtime`]).
pub fn read_table(file_name: &str, bytes: &[u8]) -> DomainResult<Table> {
    if bytes.len() > MAX_BYTES {
        return Err(DomainError::validation("file", "too_large"));
    }
    let digest = hex::encode(Sha256::digest(bytes));
    let lower = file_name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let mut all: Vec<Vec<String>> = match ext {
        "csv" | "txt" => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => std::borrow::Cow::Borrowed(t),
                Err(_) => {
                    let (t, _, malformed) = encoding_rs::GB18030.decode(bytes);
                    if malformed {
                        return Err(DomainError::validation("file", "not_utf8"));
                    }
                    t
                }
            };
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            let mut out = Vec::new();
            for rec in rdr.records() {
                let rec = rec.map_err(|_| DomainError::validation("file", "bad_csv"))?;
                if rec.len() > sheet::Limits::default().columns {
                    return Err(DomainError::validation("file", "too_many_columns"));
                }
                out.push(rec.iter().map(|c| c.trim().to_owned()).collect());
                if out.len() > MAX_ROWS + 1 {
                    return Err(DomainError::validation("file", "too_many_rows"));
                }
            }
            out
        }
        "xlsx" | "xlsm" => sheet::read_xlsx(bytes, sheet::Limits::default())?,
        _ => return Err(DomainError::validation("file", "unsupported")),
    };
    all.retain(|r| r.iter().any(|c| !c.is_empty()));
    if all.is_empty() {
        return Err(DomainError::validation("file", "empty"));
    }
    let headers = all.remove(0);
    Ok(Table {
        headers,
        rows: all,
        digest,
    })
}

/// [`read_table`] on a blocking thread, so a large or hostile file never
/// holds up the server's async workers.
pub async fn read_table_off_runtime(file_name: String, bytes: Vec<u8>) -> DomainResult<Table> {
    tokio::task::spawn_blocking(move || read_table(&file_name, &bytes))
        .await
        .map_err(|e| DomainError::Internal(format!("reading a table: {e}")))?
}

/// The override that leaves a field unmapped (the mapping form's "not used").
pub const UNMAPPED: &str = "-";

/// field → column index. Guessed from the headers; `overrides` (field →
/// header text, or [`UNMAPPED`]) win.
pub fn mapping(
    table: &Table,
    overrides: &HashMap<String, String>,
) -> DomainResult<HashMap<String, usize>> {
    map_columns(
        FIELDS,
        &[("title", "no_title"), ("body", "no_body")],
        table,
        overrides,
    )
}

/// Any kind of row's field → column index: each field's column guessed
/// from its header names (`fields`), `overrides` (field → header text, or
/// [`UNMAPPED`]) winning; a `required` field without a column is refused
/// with its rule (`mapping`, e.g. `no_title`).
pub fn map_columns(
    fields: &[(&str, &[&str])],
    required: &[(&str, &'static str)],
    table: &Table,
    overrides: &HashMap<String, String>,
) -> DomainResult<HashMap<String, usize>> {
    let mut map = HashMap::new();
    for (field, guesses) in fields {
        let wanted: Vec<String> = match overrides.get(*field).map(|h| h.trim()) {
            Some(UNMAPPED) => continue,
            Some(h) => vec![h.to_lowercase()],
            None => guesses.iter().map(|g| g.to_lowercase()).collect(),
        };
        if let Some(i) = table
            .headers
            .iter()
            .position(|h| wanted.contains(&h.trim().to_lowercase()))
        {
            map.insert((*field).to_owned(), i);
        } else if overrides.contains_key(*field) {
            return Err(DomainError::validation("mapping", "unknown_column"));
        }
    }
    for (field, rule) in required {
        if !map.contains_key(*field) {
            return Err(DomainError::validation("mapping", rule));
        }
    }
    Ok(map)
}

/// One row's problem: its number as a spreadsheet shows it (header = row 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub rule: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Prepared {
    /// The row number as a spreadsheet shows it (header = row 1).
    pub row: usize,
    pub community_id: i64,
    pub category: String,
    pub title: String,
    pub body: String,
    pub location: Option<String>,
    pub channel: String,
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The contact number's digits: only ever stored as a keyed hash, to
    /// count distinct residents; never shown, not even in the preview.
    #[serde(skip)]
    pub phone: Option<String>,
}

/// A category cell: a code or a name as typed on paper forms and hotline
/// exports; blank means 其他.
fn category_of(active: &[categories::CategoryInfo], raw: &str) -> Option<String> {
    if raw.trim().is_empty() {
        return Some(categories::FALLBACK.to_owned());
    }
    categories::resolve(active, raw)
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Checked {
    pub rows: Vec<Prepared>,
    pub errors: Vec<RowError>,
}

/// Checks every row. `default_community` fills rows without a community column.
pub async fn check(
    s: &Services,
    table: &Table,
    map: &HashMap<String, usize>,
    default_community: Option<i64>,
) -> DomainResult<Checked> {
    let communities = org::communities(s).await?;
    let active = categories::list(s, false).await?;
    let now = clock::now();
    let mut out = Checked::default();
    let cell = |r: &Vec<String>, f: &str| {
        map.get(f)
            .and_then(|i| r.get(*i))
            .cloned()
            .unwrap_or_default()
    };
    for (i, r) in table.rows.iter().enumerate() {
        let row = i + 2;
        let mut err = |field: &str, rule: &str| {
            out.errors.push(RowError {
                row,
                field: field.into(),
                rule: rule.into(),
            });
        };
        let title = cell(r, "title");
        let body = cell(r, "body");
        let tn = title.chars().count();
        let bn = body.chars().count();
        if tn == 0 {
            err("title", "required");
        } else if tn > TITLE_MAX {
            err("title", "too_long");
        }
        if bn == 0 {
            err("body", "required");
        } else if bn > BODY_MAX {
            err("body", "too_long");
        }
        let location = cell(r, "location");
        if location.chars().count() > LOCATION_MAX {
            err("location", "too_long");
        }
        let category = category_of(&active, &cell(r, "category"));
        if category.is_none() {
            err("category", "invalid");
        }
        let channel = crate::opinions::Channel::from_label(&cell(r, "channel"));
        if channel.is_none() {
            err("channel", "invalid");
        }
        let received = cell(r, "received_at");
        let received_at = if received.trim().is_empty() {
            None
        } else {
            match parse_received_at(&received, now) {
                Ok(at) => Some(at),
                Err(rule) => {
                    err("received_at", rule);
                    None
                }
            }
        };
        let phone_cell = cell(r, "phone");
        let phone = if phone_cell.trim().is_empty() {
            None
        } else {
            let p = parse_contact_phone(&phone_cell);
            if p.is_none() {
                err("phone", "invalid");
            }
            p
        };
        let cname = cell(r, "community");
        let community = if cname.is_empty() {
            default_community
        } else {
            communities
                .iter()
                .find(|c| c.name == cname || c.id.to_string() == cname)
                .map(|c| c.id)
        };
        if community.is_none() {
            err("community", "invalid");
        }
        let row_ok = channel.is_some()
            && (received.trim().is_empty() || received_at.is_some())
            && (phone_cell.trim().is_empty() || phone.is_some());
        if let (Some(community_id), Some(category), Some(channel)) = (community, category, channel)
            && row_ok
            && tn > 0
            && tn <= TITLE_MAX
            && bn > 0
            && bn <= BODY_MAX
        {
            out.rows.push(Prepared {
                row,
                community_id,
                category,
                title,
                body,
                location: (!location.is_empty()).then_some(location),
                channel: channel.as_str().to_owned(),
                received_at,
                phone,
            });
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub created: usize,
    /// Rows already imported from the same file before.
    pub skipped: usize,
}

/// Imports checked rows in one transaction (all or nothing): pending
/// moderation, or published at once when `publish` (a vetted file; the
/// audit entry says so), each with the channel, received-at time and keyed
/// hash of the contact number its row gave. `actor` is `None` for the CLI;
/// a staff member may import only into their own communities. Published
/// rows are then analysed and placed into topics.
pub async fn import(
    s: &Services,
    actor: Option<&Principal>,
    table: &Table,
    checked: &Checked,
    publish: bool,
    mut progress: impl FnMut(usize, usize),
) -> DomainResult<Imported> {
    if !checked.errors.is_empty() {
        return Err(DomainError::validation("file", "has_errors"));
    }
    if let Some(a) = actor
        && !checked
            .rows
            .iter()
            .all(|r| crate::moderation::may_moderate(a, r.community_id))
    {
        return Err(DomainError::Forbidden);
    }
    let total = checked.rows.len();
    let prefix = format!("import:{}:", &table.digest[..32]);
    let existing = existing_keys(&s.db, &prefix).await?;
    let secret = if checked.rows.iter().any(|r| r.phone.is_some()) {
        Some(crate::secrets::resident_key(s)?)
    } else {
        None
    };
    let (gate, txn) = s.begin_write().await?;
    let now = clock::now();
    let mut created = 0;
    let mut published_keys = Vec::new();
    let mut batch = Vec::with_capacity(500);
    for (i, r) in checked.rows.iter().enumerate() {
        let key = format!("{prefix}{i}");
        if !existing.contains(&key) {
            if publish {
                published_keys.push(key.clone());
            }
            batch.push(
                crate::opinions::NewOpinion {
                    community_id: r.community_id,
                    location: r.location.clone(),
                    author_id: None,
                    anonymous: false,
                    channel: Channel::from_label(&r.channel).unwrap_or(Channel::Import),
                    category: r.category.clone(),
                    title: r.title.clone(),
                    body: r.body.clone(),
                    published: publish,
                    idempotency_key: Some(key),
                    source: None,
                    received_at: r.received_at,
                    resident_key: match (&r.phone, &secret) {
                        (Some(p), Some(secret)) => {
                            Some(format!("p:{}", crate::secrets::keyed_hash(secret, p)))
                        }
                        _ => None,
                    },
                }
                .into_row(now),
            );
        }
        if batch.len() == 500 || (i + 1 == total && !batch.is_empty()) {
            created += batch.len();
            opinion::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(&txn)
                .await?;
        }
        if (i + 1) % 500 == 0 || i + 1 == total {
            progress(i + 1, total);
        }
    }
    audit::append(
        &txn,
        actor.map(|a| a.account_id),
        "opinion.import",
        &format!("file:{}", &table.digest[..16]),
        serde_json::json!({ "rows": total, "created": created, "published": publish }),
    )
    .await?;
    txn.commit().await?;
    drop(gate);
    if !published_keys.is_empty() {
        crate::agenda::after_publish_keys(s, &published_keys).await;
    }
    Ok(Imported {
        created,
        skipped: total - created,
    })
}

/// Keeps an uploaded file for the web import (preview, then import) under
/// `<data dir>/imports/`. Returns a token naming it; only its uploader can use it.
pub async fn stash(
    s: &Services,
    actor: &Principal,
    file_name: &str,
    bytes: Vec<u8>,
) -> DomainResult<String> {
    crate::moderation::require_moderator(actor)?;
    stash_for(s, actor, file_name, bytes).await
}

/// [`stash`] for a module that checked who may upload itself.
pub(crate) async fn stash_for(
    s: &Services,
    actor: &Principal,
    file_name: &str,
    bytes: Vec<u8>,
) -> DomainResult<String> {
    let lower = file_name.to_ascii_lowercase();
    let ext = EXTENSIONS
        .iter()
        .find(|e| lower.ends_with(&format!(".{e}")))
        .ok_or(DomainError::validation("file", "unsupported"))?;
    if bytes.is_empty() {
        return Err(DomainError::validation("file", "empty"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(DomainError::validation("file", "too_large"));
    }
    // Read it once now, so a broken file is refused at upload.
    let (name, bytes) = (file_name.to_owned(), bytes);
    let bytes = tokio::task::spawn_blocking(move || read_table(&name, &bytes).map(|_| bytes))
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))??;
    let mut rnd = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut rnd);
    let token = format!("{}-{}.{ext}", actor.account_id, hex::encode(rnd));
    let dir = s.settings.data_dir.join("imports");
    let path = dir.join(&token);
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&path, bytes)
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?
    .map_err(|e| DomainError::Internal(format!("import stash: {e}")))?;
    Ok(token)
}

/// Checks that `token` names a stashed upload of `actor`'s, without reading
/// it (a progress poll asks this).
pub fn check_stash_owner(actor: &Principal, token: &str) -> DomainResult<()> {
    crate::moderation::require_moderator(actor)?;
    stash_owner(actor, token)
}

/// Whether `token` names an upload of `actor`'s (a well-formed name).
pub(crate) fn stash_owner(actor: &Principal, token: &str) -> DomainResult<()> {
    let (owner, rest) = token.split_once('-').ok_or(DomainError::NotFound)?;
    let (hexpart, ext) = rest.split_once('.').ok_or(DomainError::NotFound)?;
    let well_formed = owner.parse::<i64>().is_ok()
        && hexpart.len() == 32
        && hexpart.bytes().all(|b| b.is_ascii_hexdigit())
        && EXTENSIONS.contains(&ext);
    if !well_formed || owner != actor.account_id.to_string() {
        return Err(DomainError::NotFound);
    }
    Ok(())
}

/// The table of a stashed upload, for its uploader only.
pub async fn stashed(s: &Services, actor: &Principal, token: &str) -> DomainResult<Table> {
    check_stash_owner(actor, token)?;
    stashed_for(s, actor, token).await
}

/// [`stashed`] for a module that checked who may import itself.
pub(crate) async fn stashed_for(
    s: &Services,
    actor: &Principal,
    token: &str,
) -> DomainResult<Table> {
    stash_owner(actor, token)?;
    let bytes = tokio::fs::read(s.settings.data_dir.join("imports").join(token))
        .await
        .map_err(|_| DomainError::NotFound)?;
    read_table_off_runtime(token.to_owned(), bytes).await
}

/// Removes uploaded import files older than `max_age` (housekeeping).
/// Returns how many were removed.
pub async fn purge_stash(s: &Services, max_age: std::time::Duration) -> DomainResult<usize> {
    let dir = s.settings.data_dir.join("imports");
    tokio::task::spawn_blocking(move || {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return 0;
        };
        entries
            .flatten()
            .filter(|e| {
                e.metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > max_age)
            })
            .filter(|e| std::fs::remove_file(e.path()).is_ok())
            .count()
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))
}

/// Checks a table for a staff member: like [`check`], and the default
/// community must be one they moderate.
pub async fn check_for(
    s: &Services,
    actor: &Principal,
    table: &Table,
    map: &HashMap<String, usize>,
    default_community: Option<i64>,
) -> DomainResult<Checked> {
    crate::moderation::require_moderator(actor)?;
    if let Some(c) = default_community
        && !crate::moderation::may_moderate(actor, c)
    {
        return Err(DomainError::validation("community", "invalid"));
    }
    let mut checked = check(s, table, map, default_community).await?;
    // Rows naming a community the actor does not moderate are row errors,
    // not a refusal of the whole file after the preview looked fine.
    let mut keep = Vec::with_capacity(checked.rows.len());
    for r in std::mem::take(&mut checked.rows) {
        if crate::moderation::may_moderate(actor, r.community_id) {
            keep.push(r);
        } else {
            checked.errors.push(RowError {
                row: r.row,
                field: "community".into(),
                rule: "forbidden".into(),
            });
        }
    }
    checked.rows = keep;
    checked.errors.sort_by_key(|e| e.row);
    Ok(checked)
}

/// The idempotency keys already stored that start with `prefix`.
async fn existing_keys(
    db: &sea_orm::DatabaseConnection,
    prefix: &str,
) -> DomainResult<std::collections::HashSet<String>> {
    use sea_orm::QuerySelect;
    let keys: Vec<Option<String>> = opinion::Entity::find()
        .filter(opinion::Column::IdempotencyKey.starts_with(prefix))
        .select_only()
        .column(opinion::Column::IdempotencyKey)
        .into_tuple()
        .all(db)
        .await?;
    Ok(keys.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_with_bom_and_guesses_columns() {
        let csv = "\u{feff}标题,诉求内容,社区\n路灯坏了,小区门口路灯坏了,长乐社区\n,,\n";
        let t = read_table("hotline.csv", csv.as_bytes()).unwrap();
        assert_eq!(t.headers, vec!["标题", "诉求内容", "社区"]);
        assert_eq!(t.rows.len(), 1, "blank rows dropped");
        let m = mapping(&t, &HashMap::new()).unwrap();
        assert_eq!(m["title"], 0);
        assert_eq!(m["body"], 1);
        assert_eq!(m["community"], 2);
    }

    #[test]
    fn refuses_unknown_formats_and_missing_columns() {
        assert!(read_table("x.pdf", b"%PDF").is_err());
        let t = read_table("x.csv", "名字,电话\n张三,1\n".as_bytes()).unwrap();
        assert!(matches!(
            mapping(&t, &HashMap::new()),
            Err(DomainError::Validation {
                rule: "no_title",
                ..
            })
        ));
        let over: HashMap<String, String> = [
            ("title".to_owned(), "名字".to_owned()),
            ("body".to_owned(), "电话".to_owned()),
        ]
        .into();
        assert!(mapping(&t, &over).is_ok());
    }

    #[test]
    fn a_guessed_column_can_be_left_unmapped() {
        let t = read_table(
            "x.csv",
            "标题,内容,地址\n路灯,路灯坏了很久,3 幢\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(mapping(&t, &HashMap::new()).unwrap()["location"], 2);
        let over: HashMap<String, String> = [("location".to_owned(), UNMAPPED.to_owned())].into();
        let m = mapping(&t, &over).unwrap();
        assert!(!m.contains_key("location"), "not used means not used");
        assert_eq!(m["title"], 0);
        let over: HashMap<String, String> = [("title".to_owned(), UNMAPPED.to_owned())].into();
        assert!(matches!(
            mapping(&t, &over),
            Err(DomainError::Validation {
                rule: "no_title",
                ..
            })
        ));
    }
}

// ---------------------------------------------------------------------------
// The web import as a job of the server's runner: `start` checks and queues
// it, the runner calls `run_job`, the page polls `progress` — from any
// instance, across restarts.

/// How far a web import has got, as its uploader sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub created: Option<usize>,
    pub skipped: Option<usize>,
    /// A message key when it failed or was interrupted (nothing imported).
    pub error: Option<String>,
}

/// A stashed upload read and checked with a mapping: what the preview
/// shows and what an import stores.
pub struct Upload {
    pub table: Table,
    pub map: HashMap<String, usize>,
    pub checked: Checked,
}

/// Reads a stashed upload (its uploader only), maps its columns and checks
/// every row as `actor`.
pub async fn prepare(
    s: &Services,
    actor: &Principal,
    token: &str,
    overrides: &HashMap<String, String>,
    default_community: Option<i64>,
) -> DomainResult<Upload> {
    let table = stashed(s, actor, token).await?;
    let map = mapping(&table, overrides)?;
    let checked = check_for(s, actor, &table, &map, default_community).await?;
    Ok(Upload {
        table,
        map,
        checked,
    })
}

/// Checks a stashed upload with the given mapping and queues its import
/// (all rows or none; published at once when `publish`). Refused while the
/// same file is importing.
pub async fn start(
    s: &Services,
    actor: &Principal,
    token: &str,
    overrides: HashMap<String, String>,
    default_community: Option<i64>,
    publish: bool,
) -> DomainResult<()> {
    let p = prepare(s, actor, token, &overrides, default_community).await?;
    if !p.checked.errors.is_empty() {
        return Err(DomainError::validation("file", "has_errors"));
    }
    let params = serde_json::json!({
        "overrides": overrides,
        "community": default_community,
        "publish": publish,
    });
    crate::jobs::enqueue(
        s,
        crate::jobs::kind::IMPORT,
        token,
        Some(actor.account_id),
        params,
        p.checked.rows.len() as i64,
    )
    .await
    .map_err(|e| match e {
        DomainError::Conflict(_) => DomainError::Conflict("import_running"),
        other => other,
    })?;
    Ok(())
}

/// Runs a queued import for the job runner: reads the file again, checks it
/// again as its owner (rights may have changed since), imports it in one
/// transaction, and reports progress on the run row as it goes.
pub async fn run_job(s: &Services, run: &crate::jobs::Run) -> Result<serde_json::Value, String> {
    let key = |e: DomainError| {
        if matches!(e, DomainError::Database(_) | DomainError::Internal(_)) {
            tracing::warn!(error = %e, "web import failed");
        }
        e.message_key()
    };
    let owner = run.owner(s).await?;
    let overrides: HashMap<String, String> =
        serde_json::from_value(run.params["overrides"].clone()).unwrap_or_default();
    let community = run.params["community"].as_i64();
    // Checked again as its owner: rights may have changed since it was queued.
    let Upload { table, checked, .. } = prepare(s, &owner, &run.target, &overrides, community)
        .await
        .map_err(key)?;
    // Progress is recorded from a side task, so the import never waits on it.
    let (tx, writer) = crate::jobs::reporter(s, run.id, checked.rows.len());
    let publish = run.params["publish"].as_bool().unwrap_or(false);
    let result = import(s, Some(&owner), &table, &checked, publish, |done, total| {
        let _ = tx.send((done, total));
    })
    .await;
    drop(tx);
    let _ = writer.await;
    let done = result.map_err(key)?;
    Ok(serde_json::json!({ "created": done.created, "skipped": done.skipped }))
}

/// The progress of the newest import of `token`, for its uploader; `None`
/// if it was never started.
pub async fn progress(
    s: &Services,
    actor: &Principal,
    token: &str,
) -> DomainResult<Option<Progress>> {
    check_stash_owner(actor, token)?;
    let Some(run) = crate::jobs::latest(s, crate::jobs::kind::IMPORT, token).await? else {
        return Ok(None);
    };
    Ok(Some(Progress {
        done: run.done as usize,
        total: run.total as usize,
        finished: run.finished(),
        created: run.count("created"),
        skipped: run.count("skipped"),
        error: run.error.clone(),
    }))
}
