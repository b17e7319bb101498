//! Risk warning's automatic disposal over a generated month (issue 13):
//! a district of SUBJECTS places with a responsible party's number, and
//! every day 720 low-level warnings (a point's level past its threshold,
//! at a random minute between 08:00 and 20:00). Each responsible party
//! behaves as drawn for that warning:
//!   - fixes it within ten minutes of the SMS (before the call),
//!   - answers the call "1 已处理" and fixes it before the re-check,
//!   - answers the call "2 需要帮助",
//!   - answers "1" but does not fix it, or does nothing.
//!
//! The machine's steps run every five simulated minutes
//! (`dispose::tick`), readings arrive through `ingest_at` and answers
//! through `voice_answer_at` with the simulated clock. Printed: warnings
//! raised, the share closed by the machine with a re-check record, how
//! many went to people, and how many were closed by the machine without a
//! re-check record (must be none).
//!
//!   cargo run --release -p domain --example bench_risk_month -- sqlite|postgres [DAYS] [SUBJECTS]
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Statement};

#[derive(Clone, Copy, Debug)]
enum Party {
    FixAfterSms(i64),
    FixAfterCall(i64),
    NeedsHelp,
    SaysFixedButNot,
    Ignores,
}

enum Event {
    Reading {
        subject: String,
        point: String,
        value: f64,
        id: String,
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("sqlite");
    let days: i64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(30);
    let subjects_n: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(600);
    let per_day = 720;
    let dir = tempfile::tempdir()?;
    let (url, drop_pg) = match backend {
        "postgres" => {
            let admin = std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("hongcha_risk_{}", std::process::id());
            let c = domain::db::connect(&admin).await?;
            c.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin.clone());
            (format!("{base}/{name}"), Some((admin, name)))
        }
        _ => (
            format!("sqlite://{}", dir.path().join("risk.db").display()),
            None,
        ),
    };
    let db = domain::db::connect(&url).await?;
    domain::db::migrate(&db).await?;
    let s = domain::Services::new(
        db.clone(),
        domain::Settings {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        },
    );
    domain::seed::seed_demo(&s, Some("bench-pass-2026")).await?;
    domain::risk::demo::seed(&s).await?;
    let communities = domain::org::communities(&s).await?;
    let mut codes = Vec::new();
    for i in 0..subjects_n {
        let code = format!("place-{i:05}");
        domain::risk::save_subject(
            &s,
            None,
            domain::risk::SubjectInput {
                code: code.clone(),
                kind: "place".into(),
                name: format!("经营场所 {i}"),
                community_id: Some(communities[i % communities.len()].id),
                compound_id: None,
                industry: None,
                contact_phone: Some(format!("139{:08}", i)),
            },
        )
        .await?;
        codes.push(code);
    }
    let (_, token) = domain::risk::create_source(&s, None, "模拟感知", "readings").await?;
    let (_, voice) = domain::risk::create_source(&s, None, "模拟语音", "voice").await?;
    // The points whose level models are low severity (machine first).
    let models = domain::risk::models(&s).await?;
    let low_points: Vec<String> = models
        .all
        .iter()
        .filter(|m| m.key.ends_with("_level") && m.spec.severity == domain::risk::Severity::Low)
        .map(|m| m.point_key.clone())
        .collect();
    println!(
        "{backend}: {days} days, {subjects_n} places, {per_day} warnings a day over {} low-severity points",
        low_points.len()
    );

    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let start: DateTime<Utc> = domain::clock::now();
    // China 08:00 of the first simulated day, in UTC.
    let day0 = (start + Duration::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let mut events: BTreeMap<DateTime<Utc>, Vec<Event>> = BTreeMap::new();
    let mut parties: HashMap<(String, String), Party> = HashMap::new();
    let mut n = 0u64;
    // Each warning its own place and point (in a shuffled round over every
    // pair), so each party's behaviour belongs to its own warning.
    let mut pairs: Vec<(usize, usize)> = (0..codes.len())
        .flat_map(|c| (0..low_points.len()).map(move |p| (c, p)))
        .collect();
    for i in (1..pairs.len()).rev() {
        pairs.swap(i, rng.gen_range(0..=i));
    }
    let mut next_pair = 0usize;
    for d in 0..days {
        for _ in 0..per_day {
            let at = day0 + Duration::days(d) + Duration::minutes(rng.gen_range(0..12 * 60));
            let (ci, pi) = pairs[next_pair % pairs.len()];
            next_pair += 1;
            let subject = codes[ci].clone();
            let point = low_points[pi].clone();
            let r: f64 = rng.r#gen();
            let party = if r < 0.45 {
                Party::FixAfterSms(rng.gen_range(2..9))
            } else if r < 0.83 {
                Party::FixAfterCall(rng.gen_range(1..25))
            } else if r < 0.88 {
                Party::NeedsHelp
            } else if r < 0.93 {
                Party::SaysFixedButNot
            } else {
                Party::Ignores
            };
            n += 1;
            events.entry(at).or_default().push(Event::Reading {
                subject: subject.clone(),
                point: point.clone(),
                value: 95.0,
                id: format!("h{n}"),
            });
            if let Party::FixAfterSms(m) = party {
                n += 1;
                events
                    .entry(at + Duration::minutes(m))
                    .or_default()
                    .push(Event::Reading {
                        subject: subject.clone(),
                        point: point.clone(),
                        value: 30.0,
                        id: format!("f{n}"),
                    });
            }
            parties.insert((subject, point), party);
        }
    }
    let b = db.get_database_backend();
    let mut last_call = 0i64;
    let mut pending_fix: BTreeMap<DateTime<Utc>, Vec<(String, String)>> = BTreeMap::new();
    let end = day0 + Duration::days(days + 1);
    let step = Duration::minutes(5);
    let mut now = day0;
    let wall = Instant::now();
    let (mut stored, mut calls, mut answers) = (0usize, 0usize, 0usize);
    while now < end {
        let next = now + step;
        // Readings of this window, in one batch per minute they fall in.
        let due: Vec<DateTime<Utc>> = events.range(now..next).map(|(t, _)| *t).collect();
        for t in due {
            let batch: Vec<serde_json::Value> = events
                .remove(&t)
                .unwrap_or_default()
                .into_iter()
                .map(|Event::Reading { subject, point, value, id }| {
                    serde_json::json!({"id": id, "subject": subject, "indicator": format!("{point}.level"), "value": value, "at": t.to_rfc3339()})
                })
                .collect();
            if let domain::risk::ingest::Outcome::Stored(r) =
                domain::risk::ingest::ingest_at(&s, &token, &batch, t).await?
            {
                stored += r.stored;
            }
        }
        let fixes: Vec<DateTime<Utc>> = pending_fix.range(..next).map(|(t, _)| *t).collect();
        for t in fixes {
            let batch: Vec<serde_json::Value> = pending_fix
                .remove(&t)
                .unwrap_or_default()
                .into_iter()
                .map(|(subject, point)| {
                    n += 1;
                    serde_json::json!({"id": format!("c{n}"), "subject": subject, "indicator": format!("{point}.level"), "value": 30.0, "at": t.to_rfc3339()})
                })
                .collect();
            domain::risk::ingest::ingest_at(&s, &token, &batch, t).await?;
        }
        domain::risk::dispose::tick(&s, next, false).await?;
        // The calls the machine placed: the parties answer.
        let rows = db
            .query_all_raw(Statement::from_string(
                b,
                format!(
                    "SELECT o.id, subj.code, w.point_key FROM outbox o \
                     JOIN risk_warning w ON o.subject = 'risk:' || CAST(w.id AS TEXT) \
                     JOIN risk_subject subj ON subj.id = w.subject_id \
                     WHERE o.channel = 'voice' AND o.id > {last_call} ORDER BY o.id"
                ),
            ))
            .await?;
        for r in rows {
            let (id, subject, point): (i64, String, String) = (
                r.try_get_by_index(0)?,
                r.try_get_by_index(1)?,
                r.try_get_by_index(2)?,
            );
            last_call = last_call.max(id);
            calls += 1;
            let key = match parties.get(&(subject.clone(), point.clone())) {
                Some(Party::FixAfterCall(m)) => {
                    pending_fix
                        .entry(next + Duration::minutes(*m))
                        .or_default()
                        .push((subject, point));
                    Some("1")
                }
                Some(Party::NeedsHelp) => Some("2"),
                Some(Party::SaysFixedButNot) => Some("1"),
                _ => None,
            };
            if let Some(k) = key {
                domain::risk::dispose::voice_answer_at(&s, &voice, id, k, next).await?;
                answers += 1;
            }
        }
        now = next;
    }
    let one = |sql: &str| {
        let db = db.clone();
        let sql = sql.to_owned();
        async move {
            db.query_one_raw(Statement::from_string(b, sql))
                .await
                .map(|r| {
                    r.and_then(|r| r.try_get_by_index::<i64>(0).ok())
                        .unwrap_or(0)
                })
        }
    };
    let raised = one("SELECT COUNT(*) FROM risk_warning WHERE severity = 'low'").await?;
    let by_machine = one(
        "SELECT COUNT(*) FROM risk_warning w WHERE w.severity = 'low' AND w.closed_how = 'recheck' \
         AND EXISTS (SELECT 1 FROM risk_step st WHERE st.warning_id = w.id AND st.kind = 'recheck_ok')",
    )
    .await?;
    let without_record = one(
        "SELECT COUNT(*) FROM risk_warning w WHERE w.severity = 'low' AND w.state = 'closed' \
         AND w.closed_how <> 'people' \
         AND NOT EXISTS (SELECT 1 FROM risk_step st WHERE st.warning_id = w.id AND st.kind = 'recheck_ok')",
    )
    .await?;
    let to_people =
        one("SELECT COUNT(*) FROM risk_warning WHERE severity = 'low' AND auto_step = 'people'")
            .await?;
    let still_machine =
        one("SELECT COUNT(*) FROM risk_warning WHERE auto_step IN ('voice', 'recheck')").await?;
    let drawn_fix = parties
        .values()
        .filter(|p| matches!(p, Party::FixAfterSms(_) | Party::FixAfterCall(_)))
        .count();
    println!(
        "  readings stored {stored}; voice calls {calls}, answered {answers}; simulated in {:.1} s",
        wall.elapsed().as_secs_f64()
    );
    println!(
        "  warnings raised {raised} ({:.0} a day); closed by the machine with a re-check record {by_machine} = {:.1} %",
        raised as f64 / days as f64,
        100.0 * by_machine as f64 / raised.max(1) as f64
    );
    println!(
        "  handed to people {to_people}; still in the machine's steps {still_machine}; closed by the machine without a re-check record {without_record}"
    );
    println!(
        "  parties drawn to fix it (after the SMS or the call): {drawn_fix} of {} = {:.1} %",
        parties.len(),
        100.0 * drawn_fix as f64 / parties.len().max(1) as f64
    );
    s.close().await;
    if let Some((admin, name)) = drop_pg {
        let c = domain::db::connect(&admin).await?;
        c.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    Ok(())
}
