//! 全域感知 readings in: a batch from a source is checked whole, stored
//! once per (source, reading id), and the live models of the indicators it
//! touched are checked for each subject it touched — warnings opened or
//! closed, cases opened and the first notifications queued in the same
//! transaction as the readings.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::Serialize;

use super::entities::{risk_reading, risk_source, risk_subject, risk_warning};
use super::model::{self, Action, Point};
use super::{Live, Models, dispose};
use crate::error::{DomainError, DomainResult};
use crate::{Services, clock};

/// Readings per request.
pub const MAX_BATCH: usize = 1000;
/// How far back a reading may be dated (older history is imported, not sent).
pub const MAX_AGE_DAYS: i64 = 90;
/// How far ahead of the server's clock a reading may be dated.
pub const MAX_AHEAD_MINUTES: i64 = 5;

/// Why one reading was refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReadingError {
    /// Its place in the batch, from 0.
    pub index: usize,
    /// Its id, when it had a readable one.
    pub id: Option<String>,
    /// `id`, `subject`, `unknown_subject`, `indicator`, `value`, `at`,
    /// `too_old`, `in_future`, `not_an_object`, `conflict` (the id given
    /// twice in one batch with different contents).
    pub error: &'static str,
}

/// What a batch did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub stored: usize,
    /// Readings whose id this source sent before (not stored again).
    pub duplicates: usize,
    pub warnings_opened: usize,
}

/// A batch's outcome: stored, or refused with an error per bad reading.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    Stored(Report),
    Refused { errors: Vec<ReadingError> },
}

#[derive(Clone, Debug)]
struct Parsed {
    index: usize,
    id: String,
    subject: String,
    indicator: String,
    value: f64,
    at: DateTime<Utc>,
}

fn parse_one(
    v: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Parsed, (&'static str, Option<String>)> {
    let Some(o) = v.as_object() else {
        return Err(("not_an_object", None));
    };
    let id = o
        .get("id")
        .and_then(|x| x.as_str())
        .map(str::to_owned)
        .filter(|i| !i.is_empty() && i.len() <= 80 && i.chars().all(|c| c.is_ascii_graphic()));
    let Some(id) = id else {
        return Err(("id", None));
    };
    let err = |e: &'static str| (e, Some(id.clone()));
    let subject = o
        .get("subject")
        .and_then(|x| x.as_str())
        .filter(|s| !s.is_empty() && s.len() <= 80)
        .ok_or_else(|| err("subject"))?;
    let indicator = o
        .get("indicator")
        .and_then(|x| x.as_str())
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 40
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        })
        .ok_or_else(|| err("indicator"))?;
    let value = o
        .get("value")
        .and_then(|x| x.as_f64())
        .filter(|v| v.is_finite())
        .ok_or_else(|| err("value"))?;
    let at = o
        .get("at")
        .and_then(|x| x.as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| err("at"))?;
    if at < now - Duration::days(MAX_AGE_DAYS) {
        return Err(err("too_old"));
    }
    if at > now + Duration::minutes(MAX_AHEAD_MINUTES) {
        return Err(err("in_future"));
    }
    Ok(Parsed {
        index: 0,
        id,
        subject: subject.to_owned(),
        indicator: indicator.to_owned(),
        value,
        at,
    })
}

/// Takes a batch of readings from the source a token belongs to (kind
/// `readings`). A bad token: `Unauthenticated`. A batch with any bad
/// reading is refused whole, each bad reading named.
pub async fn ingest(
    s: &Services,
    token: &str,
    batch: &[serde_json::Value],
) -> DomainResult<Outcome> {
    ingest_at(s, token, batch, clock::now()).await
}

/// [`ingest`] as if the server's clock said `now` (a simulated month;
/// readings are still refused when far from `now`).
pub async fn ingest_at(
    s: &Services,
    token: &str,
    batch: &[serde_json::Value],
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    if batch.is_empty() {
        return Err(DomainError::validation("readings", "required"));
    }
    if batch.len() > MAX_BATCH {
        return Err(DomainError::validation("readings", "too_many"));
    }
    let source = super::source_for(&s.db, token, "readings").await?;
    ingest_from(s, &source, batch, now).await
}

type Checked = (Vec<Parsed>, HashMap<String, risk_subject::Model>);

/// Every reading of a batch parsed and its subject found (one query), or
/// the errors, each naming its reading.
async fn check_batch(
    s: &Services,
    batch: &[serde_json::Value],
    now: DateTime<Utc>,
) -> DomainResult<Result<Checked, Vec<ReadingError>>> {
    let mut errors = Vec::new();
    let mut parsed: Vec<Parsed> = Vec::with_capacity(batch.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, v) in batch.iter().enumerate() {
        match parse_one(v, now) {
            Ok(mut p) => {
                p.index = index;
                if let Some(&first) = seen.get(&p.id) {
                    let f = &parsed[first];
                    if f.subject != p.subject
                        || f.indicator != p.indicator
                        || f.value != p.value
                        || f.at != p.at
                    {
                        errors.push(ReadingError {
                            index,
                            id: Some(p.id),
                            error: "conflict",
                        });
                    }
                    // The same reading twice: once.
                    continue;
                }
                seen.insert(p.id.clone(), parsed.len());
                parsed.push(p);
            }
            Err((error, id)) => errors.push(ReadingError { index, id, error }),
        }
    }
    let codes: Vec<String> = parsed
        .iter()
        .map(|p| p.subject.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut subjects: HashMap<String, risk_subject::Model> = HashMap::new();
    for chunk in codes.chunks(1000) {
        subjects.extend(
            risk_subject::Entity::find()
                .filter(risk_subject::Column::Code.is_in(chunk.to_vec()))
                .all(&s.db)
                .await?
                .into_iter()
                .map(|m| (m.code.clone(), m)),
        );
    }
    for p in &parsed {
        if !subjects.contains_key(&p.subject) {
            errors.push(ReadingError {
                index: p.index,
                id: Some(p.id.clone()),
                error: "unknown_subject",
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.index);
        return Ok(Err(errors));
    }
    Ok(Ok((parsed, subjects)))
}

/// A batch from a known source (the API's, a file import's, Hongcha's own).
pub(crate) async fn ingest_from(
    s: &Services,
    source: &risk_source::Model,
    batch: &[serde_json::Value],
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let (parsed, subjects) = match check_batch(s, batch, now).await? {
        Ok(c) => c,
        Err(errors) => return Ok(Outcome::Refused { errors }),
    };
    let models = super::models(s).await?;
    let (_gate, txn) = s.begin_write().await?;
    // Stored once per (source, reading id): what this source sent before,
    // or a concurrent batch stored meanwhile, is skipped by the insert
    // itself, and the rows it wrote are the ones stored — no look-up first
    // (as an `IN` list of ids it was the slowest statement on PostgreSQL)
    // and no rows sent back (`RETURNING` cost SQLite a tenth of its rate).
    // Only a chunk that skipped some asks which of its ids this batch
    // wrote (stamped with this batch's `received_at`): only readings
    // stored are judged, so a repeated batch changes nothing.
    let mut fresh: Vec<&Parsed> = Vec::with_capacity(parsed.len());
    for chunk in parsed.chunks(500) {
        let rows = chunk.iter().map(|p| risk_reading::ActiveModel {
            source_id: Set(source.id),
            reading_key: Set(p.id.clone()),
            subject_id: Set(subjects[&p.subject].id),
            indicator: Set(p.indicator.clone()),
            value: Set(p.value),
            at: Set(p.at),
            received_at: Set(now),
            ..Default::default()
        });
        let written = risk_reading::Entity::insert_many(rows)
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    risk_reading::Column::SourceId,
                    risk_reading::Column::ReadingKey,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await? as usize;
        if written == chunk.len() {
            fresh.extend(chunk.iter());
        } else if written > 0 {
            let ours: HashSet<String> = risk_reading::Entity::find()
                .select_only()
                .column(risk_reading::Column::ReadingKey)
                .filter(risk_reading::Column::SourceId.eq(source.id))
                .filter(risk_reading::Column::ReceivedAt.eq(now))
                .filter(
                    risk_reading::Column::ReadingKey
                        .is_in(chunk.iter().map(|p| p.id.clone()).collect::<Vec<_>>()),
                )
                .into_tuple::<String>()
                .all(&txn)
                .await?
                .into_iter()
                .collect();
            fresh.extend(chunk.iter().filter(|p| ours.contains(&p.id)));
        }
    }
    let mut report = Report {
        stored: fresh.len(),
        duplicates: parsed.len() - fresh.len(),
        ..Default::default()
    };
    // Each subject and indicator touched, with its latest reading time.
    let mut touched: HashMap<(i64, String), DateTime<Utc>> = HashMap::new();
    for p in &fresh {
        if models.by_indicator.contains_key(&p.indicator) {
            let k = (subjects[&p.subject].id, p.indicator.clone());
            let t = touched.entry(k).or_insert(p.at);
            *t = (*t).max(p.at);
        }
    }
    if !touched.is_empty() {
        let by_id: HashMap<i64, &risk_subject::Model> =
            subjects.values().map(|m| (m.id, m)).collect();
        report.warnings_opened = evaluate(s, &txn, &models, &touched, &by_id, now).await?;
    }
    txn.commit().await?;
    // When the source was last heard from: outside the batch's transaction
    // (every batch of a source would otherwise queue on its one row), and
    // written at most once a minute.
    if source
        .last_seen_at
        .is_none_or(|t| now - t >= Duration::minutes(1))
    {
        risk_source::Entity::update_many()
            .col_expr(risk_source::Column::LastSeenAt, Some(now).into())
            .filter(risk_source::Column::Id.eq(source.id))
            .filter(
                sea_orm::Condition::any()
                    .add(risk_source::Column::LastSeenAt.is_null())
                    .add(risk_source::Column::LastSeenAt.lt(now - Duration::minutes(1))),
            )
            .exec(&s.db)
            .await?;
    }
    Ok(Outcome::Stored(report))
}

/// Each touched subject's series of each touched indicator, from the
/// furthest lookback its models need: one query.
pub(crate) async fn series_of<C: ConnectionTrait>(
    conn: &C,
    models: &Models,
    touched: &HashMap<(i64, String), DateTime<Utc>>,
) -> DomainResult<HashMap<(i64, String), Vec<Point>>> {
    // Only the touched (subject, indicator) pairs, each from its own
    // lookback, by the series index.
    let backend = conn.get_database_backend();
    let mark = |i: usize| match backend {
        sea_orm::DbBackend::Postgres => format!("${i}"),
        _ => "?".to_owned(),
    };
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut sql = String::from(
        "SELECT r.subject_id, r.indicator, r.at, r.value FROM risk_reading r JOIN (VALUES ",
    );
    let mut pairs: Vec<(&(i64, String), &DateTime<Utc>)> = touched.iter().collect();
    pairs.sort();
    for (i, ((subject, indicator), latest)) in pairs.into_iter().enumerate() {
        let from = *latest - models.lookback(indicator).unwrap_or_else(Duration::zero);
        if i > 0 {
            sql.push_str(", ");
        }
        values.push((*subject).into());
        let a = mark(values.len());
        values.push(indicator.clone().into());
        let b = mark(values.len());
        values.push(from.into());
        let c = mark(values.len());
        sql.push_str(&format!("({a}, {b}, {c})"));
    }
    sql.push_str(
        ") AS v ON r.subject_id = v.column1 AND r.indicator = v.column2 AND r.at >= v.column3 \
         ORDER BY r.at",
    );
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?;
    let mut out: HashMap<(i64, String), Vec<Point>> = HashMap::new();
    for r in rows {
        let k: (i64, String) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        let p = Point {
            at: r.try_get_by_index(2)?,
            value: r.try_get_by_index(3)?,
        };
        out.entry(k).or_default().push(p);
    }
    Ok(out)
}

/// The open warning of each (model, subject) among `pairs`, and when each
/// pair's last warning closed.
pub(crate) async fn warnings_of<C: ConnectionTrait>(
    conn: &C,
    subjects: &[i64],
    model_keys: &[String],
    now: DateTime<Utc>,
) -> DomainResult<(
    HashMap<(String, i64), risk_warning::Model>,
    HashMap<(String, i64), DateTime<Utc>>,
)> {
    let rows = risk_warning::Entity::find()
        .filter(risk_warning::Column::SubjectId.is_in(subjects.to_vec()))
        .filter(risk_warning::Column::ModelKey.is_in(model_keys.to_vec()))
        .filter(
            sea_orm::Condition::any()
                .add(risk_warning::Column::State.eq("open"))
                .add(
                    risk_warning::Column::ClosedAt
                        .gte(now - Duration::days(model::MAX_WINDOW_DAYS)),
                ),
        )
        .all(conn)
        .await?;
    let mut open = HashMap::new();
    let mut closed: HashMap<(String, i64), DateTime<Utc>> = HashMap::new();
    for w in rows {
        let k = (w.model_key.clone(), w.subject_id);
        if w.state == "open" {
            open.insert(k, w);
        } else if let Some(c) = w.closed_at {
            let e = closed.entry(k).or_insert(c);
            *e = (*e).max(c);
        }
    }
    Ok((open, closed))
}

async fn evaluate<C: ConnectionTrait>(
    s: &Services,
    conn: &C,
    models: &Models,
    touched: &HashMap<(i64, String), DateTime<Utc>>,
    subjects: &HashMap<i64, &risk_subject::Model>,
    now: DateTime<Utc>,
) -> DomainResult<usize> {
    let series = series_of(conn, models, touched).await?;
    let mut subject_ids: Vec<i64> = touched.keys().map(|(s, _)| *s).collect();
    subject_ids.sort_unstable();
    subject_ids.dedup();
    let mut keys: Vec<String> = touched
        .keys()
        .flat_map(|(_, ind)| {
            models.by_indicator[ind]
                .iter()
                .map(|&i| models.all[i].key.clone())
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let (open, closed) = warnings_of(conn, &subject_ids, &keys, now).await?;
    let mut opened = 0;
    let empty = Vec::new();
    let mut order: Vec<(&(i64, String), &DateTime<Utc>)> = touched.iter().collect();
    order.sort();
    for ((subject_id, indicator), latest) in order {
        let pts = series
            .get(&(*subject_id, indicator.clone()))
            .unwrap_or(&empty);
        for &i in &models.by_indicator[indicator] {
            let m: &Live = &models.all[i];
            let k = (m.key.clone(), *subject_id);
            let is_open = open.get(&k);
            // Judged at the newest reading stored, not this batch's newest:
            // a late, older reading must not close (or open) on old news.
            let at = pts.last().map_or(*latest, |p| p.at.max(*latest));
            let verdict = model::check(&m.spec.rule, pts, at);
            match model::decide(
                verdict,
                is_open.is_some(),
                closed.get(&k).copied(),
                m.spec.cooldown(),
                now,
            ) {
                // History (an import of last month) opens nothing: replay it.
                Action::Open(_) if now - at > Duration::days(1) => {}
                Action::Open(why) => {
                    if dispose::open_warning(s, conn, models, m, subjects[subject_id], why, now)
                        .await?
                        .is_some()
                    {
                        opened += 1;
                    }
                }
                Action::Close => {
                    // The indicator is back. Under the machine's steps the
                    // re-check closes it (and records that it did); a case
                    // in people's hands is theirs to close with feedback —
                    // they are told, once.
                    if let Some(w) = is_open {
                        dispose::recovered(conn, w, now).await?;
                    }
                }
                Action::Suppressed | Action::Nothing => {}
            }
        }
    }
    Ok(opened)
}

/// A readings file's columns: the field, and the headers that name it.
const COLUMNS: [(&str, &[&str]); 5] = [
    ("id", &["编号", "读数编号", "id"]),
    ("subject", &["对象", "对象编码", "subject"]),
    ("indicator", &["指标", "indicator"]),
    ("value", &["数值", "读数", "value"]),
    ("at", &["时间", "采集时间", "at", "time"]),
];

/// The source file imports are recorded under.
const IMPORT_SOURCE: &str = "文件导入";

/// Readings from a CSV or XLSX file (read by the import machinery, within
/// its limits): columns 对象, 指标, 数值, 时间 (RFC 3339, or China time
/// `2026-12-07 09:30`) and optionally 编号. Every row is checked before
/// anything is stored — errors by row (`index` is the file's line) — then
/// stored a batch at a time; a file without 编号 gets ids from its digest
/// and line, so importing it again stores nothing twice. Admins and the
/// street office, or the command line; audited.
pub async fn import_file(
    s: &Services,
    actor: Option<&crate::Principal>,
    file_name: &str,
    bytes: Vec<u8>,
) -> DomainResult<Outcome> {
    if let Some(a) = actor {
        may_import(a)?;
    }
    let table = crate::import::read_table_off_runtime(file_name.to_owned(), bytes).await?;
    let col = |field: &str| -> Option<usize> {
        let names = COLUMNS.iter().find(|(f, _)| *f == field)?.1;
        table
            .headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (Some(cs), Some(ci), Some(cv), Some(ca)) =
        (col("subject"), col("indicator"), col("value"), col("at"))
    else {
        return Err(DomainError::validation("file", "columns"));
    };
    let cid = col("id");
    let now = clock::now();
    let cell =
        |row: &[String], i: usize| row.get(i).map(|c| c.trim().to_owned()).unwrap_or_default();
    let batch: Vec<serde_json::Value> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let raw_at = cell(row, ca);
            let at = DateTime::parse_from_rfc3339(&raw_at)
                .map(|t| t.with_timezone(&Utc).to_rfc3339())
                .ok()
                .or_else(|| clock::parse_china_local(&raw_at).map(|t| t.to_rfc3339()))
                .unwrap_or(raw_at);
            let raw_value = cell(row, cv);
            let value = raw_value
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::String(raw_value));
            // Another supplier's file may number its rows the same way: a
            // given 编号 is kept under the file's name.
            let id = cid
                .map(|c| cell(row, c))
                .filter(|x| !x.is_empty())
                .map(|x| format!("{}:{x}", file_name.chars().take(40).collect::<String>()))
                .unwrap_or_else(|| format!("file:{}:{}", &table.digest[..16], i + 2));
            serde_json::json!({
                "id": id,
                "subject": cell(row, cs),
                "indicator": cell(row, ci),
                "value": value,
                "at": at,
            })
        })
        .collect();
    if batch.is_empty() {
        return Err(DomainError::validation("file", "empty"));
    }
    if let Err(mut errors) = check_batch(s, &batch, now).await? {
        // Lines of the file: the header is line 1.
        for e in &mut errors {
            e.index += 2;
        }
        return Ok(Outcome::Refused { errors });
    }
    let source = own_source(s, IMPORT_SOURCE, "import", actor.map(|a| a.account_id)).await?;
    let mut total = Report::default();
    for chunk in batch.chunks(MAX_BATCH) {
        match ingest_from(s, &source, chunk, now).await? {
            Outcome::Stored(r) => {
                total.stored += r.stored;
                total.duplicates += r.duplicates;
                total.warnings_opened += r.warnings_opened;
            }
            refused => return Ok(refused),
        }
    }
    if let Some(a) = actor {
        let (_gate, txn) = s.begin_write().await?;
        crate::audit::append(
            &txn,
            Some(a.account_id),
            "risk.import",
            &format!("risk_source:{}", source.id),
            serde_json::json!({"file": table.digest, "rows": batch.len(), "stored": total.stored}),
        )
        .await?;
        txn.commit().await?;
    }
    Ok(Outcome::Stored(total))
}

/// Whether `actor` may import readings files (admins and the street office).
pub fn may_import(actor: &crate::Principal) -> DomainResult<()> {
    if super::sees_all(actor) {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// A source of Hongcha's own (file imports, opinion signals): found by name
/// and kind, or made with a token nobody holds.
pub(crate) async fn own_source(
    s: &Services,
    name: &str,
    kind: &str,
    actor: Option<i64>,
) -> DomainResult<risk_source::Model> {
    use sea_orm::ActiveModelTrait;
    if let Some(src) = risk_source::Entity::find()
        .filter(risk_source::Column::Name.eq(name))
        .filter(risk_source::Column::Kind.eq(kind))
        .one(&s.db)
        .await?
    {
        return Ok(src);
    }
    Ok(risk_source::ActiveModel {
        name: Set(name.to_owned()),
        kind: Set(kind.to_owned()),
        // No token reaches this source: the hash of a secret thrown away.
        token_hash: Set(crate::secrets::token_hash(&crate::secrets::new_token())),
        enabled: Set(true),
        created_by: Set(actor),
        created_at: Set(clock::now()),
        last_seen_at: Set(None),
        ..Default::default()
    }
    .insert(&s.db)
    .await?)
}
