//! SLA sweep at scale (issue 11): CASES open cases on a fresh database,
//! every one fallen due two days ago (both escalation steps reached, as
//! after downtime), then:
//!   - one sweep, timed: each case escalated once, to the last step;
//!   - a second sweep: nothing escalated again;
//!   - a sweep with nothing due (the common minute), timed.
//!
//!   cargo run --release -p hongcha-server --example bench_sla -- sqlite|postgres [CASES]
use std::time::Instant;

use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, Statement};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("sqlite");
    let cases: i64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let (url, drop_pg) = match backend {
        "postgres" => {
            let admin = std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("hongcha_sla_{}", std::process::id());
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
            format!("sqlite://{}", dir.path().join("sla.db").display()),
            None,
        ),
    };
    let db = domain::db::connect(&url).await?;
    domain::db::migrate(&db).await?;
    let services = domain::Services::new(
        db.clone(),
        domain::Settings {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        },
    );
    domain::seed::seed_demo(&services, Some("bench-pass-2026")).await?;
    let b = db.get_database_backend();
    let community: i64 = db
        .query_one_raw(Statement::from_string(
            b,
            "SELECT id FROM community ORDER BY id LIMIT 1".to_owned(),
        ))
        .await?
        .expect("a community")
        .try_get("", "id")?;
    let spec: String = db
        .query_one_raw(Statement::from_string(
            b,
            "SELECT spec FROM sla_policy WHERE key = 'plan_task'".to_owned(),
        ))
        .await?
        .expect("the plan_task policy")
        .try_get("", "spec")?;
    let now = domain::clock::now();
    let opened = now - domain::clock::Duration::days(5);
    let due = now - domain::clock::Duration::days(2);
    let t = Instant::now();
    let (gate, txn) = services.begin_write().await?;
    for start in (1..=cases).step_by(500) {
        let end = (start + 499).min(cases);
        let mut q = Query::insert();
        q.into_table(Alias::new("sla_case")).columns(
            [
                "id",
                "kind",
                "subject",
                "title",
                "link",
                "community_id",
                "policy_key",
                "policy_version",
                "spec",
                "stage",
                "stage_seq",
                "state",
                "level",
                "overdue",
                "due_at",
                "next_at",
                "opened_at",
                "updated_at",
            ]
            .map(Alias::new),
        );
        let mut e = Query::insert();
        e.into_table(Alias::new("sla_event"))
            .columns(["id", "case_id", "kind", "stage", "due_at", "at"].map(Alias::new));
        for id in start..=end {
            q.values_panic([
                id.into(),
                "bench".into(),
                id.to_string().into(),
                format!("压测任务 {id}").into(),
                format!("/plans/1#task-{id}").into(),
                community.into(),
                "plan_task".into(),
                1.into(),
                spec.clone().into(),
                "do".into(),
                id.into(),
                "open".into(),
                0.into(),
                false.into(),
                due.into(),
                due.into(),
                opened.into(),
                opened.into(),
            ]);
            e.values_panic([
                id.into(),
                id.into(),
                "opened".into(),
                "do".into(),
                due.into(),
                opened.into(),
            ]);
        }
        txn.execute(&q).await?;
        txn.execute(&e).await?;
    }
    txn.commit().await?;
    // The write gate (SQLite) goes with the transaction, or the sweep
    // below would wait for it for ever.
    drop(gate);
    if backend == "postgres" {
        for (t, c) in [("sla_case", "id"), ("sla_event", "id")] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', '{c}'), {cases})"
            ))
            .await?;
        }
        // A running street's tables are analysed as they grow (autovacuum);
        // a bulk load the moment before is not, and PostgreSQL would plan
        // the sweep's statements for empty tables.
        db.execute_unprepared("ANALYZE").await?;
    }
    println!(
        "{cases} open cases written in {:.1} s ({backend})",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let first = domain::sla::sweep(&services, now).await?;
    let took = t.elapsed();
    println!(
        "sweep after downtime: {:.2} s — {} due, {} escalated, {} notifications queued",
        took.as_secs_f64(),
        first.due,
        first.escalated,
        first.notified
    );
    let t = Instant::now();
    let again = domain::sla::sweep(&services, now + domain::clock::Duration::minutes(1)).await?;
    println!(
        "second sweep: {:.3} s — {} escalated (must be 0)",
        t.elapsed().as_secs_f64(),
        again.escalated
    );
    let row = db
        .query_one_raw(Statement::from_string(
            b,
            "SELECT COUNT(*) AS n, COUNT(DISTINCT case_id) AS d, MIN(level) AS lo, MAX(level) AS hi \
             FROM sla_event WHERE kind = 'escalated'"
                .to_owned(),
        ))
        .await?
        .expect("a row");
    let (n, d): (i64, i64) = (row.try_get("", "n")?, row.try_get("", "d")?);
    let (lo, hi): (i32, i32) = (row.try_get("", "lo")?, row.try_get("", "hi")?);
    println!(
        "escalation events: {n} for {d} cases, levels {lo}..{hi} (each case once, at the last step)"
    );
    // The common case: a sweep with nothing due.
    let t = Instant::now();
    let idle = domain::sla::sweep(&services, now + domain::clock::Duration::minutes(2)).await?;
    println!(
        "idle sweep (nothing due): {:.4} s, {} due",
        t.elapsed().as_secs_f64(),
        idle.due
    );
    assert_eq!(
        (n, d, again.escalated),
        (cases, cases, 0),
        "escalated exactly once"
    );
    services.close().await;
    if let Some((admin, name)) = drop_pg {
        let c = domain::db::connect(&admin).await?;
        c.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    Ok(())
}
