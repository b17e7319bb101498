//! A warning and its first notification are one: the real `hongcha` binary
//! takes batches of readings that raise warnings, is killed with SIGKILL
//! in the middle, restarted, and the source sends every batch again (as a
//! source does after a failed request). Each warning has exactly one SMS,
//! and no SMS is without its warning. On a SQLite file, and on PostgreSQL
//! when `TEST_DATABASE_URL` is set (a fresh database, dropped after).
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn hongcha(dir: &std::path::Path, db_url: &str, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hongcha"));
    cmd.env("HONGCHA_DATABASE_URL", db_url)
        .env("HONGCHA_DATA_DIR", dir)
        .env("HONGCHA_BIND", format!("127.0.0.1:{port}"))
        .env("HONGCHA_SITE_ROOT", dir.join("site"))
        .env("HONGCHA_DEMO_PASSWORD", "demo-pass-2026")
        .env("HONGCHA_LOG", "warn")
        // The machine's later steps stay out of the count.
        .env("HONGCHA_RISK_TICK_SECONDS", "0")
        .stderr(Stdio::null());
    cmd
}

// The caller kills and waits for the child.
#[allow(clippy::zombie_processes)]
async fn start(dir: &std::path::Path, db_url: &str) -> (Child, String) {
    let port = free_port();
    let child = hongcha(dir, db_url, port)
        .arg("serve")
        .stdout(Stdio::null())
        .spawn()
        .expect("start hongcha");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return (child, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not start");
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_warning_and_its_notification_survive_sigkill_together_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/hongcha.db", dir.path().display());
    survives_sigkill(dir.path(), &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_warning_and_its_notification_survive_sigkill_together_postgres() {
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("TEST_DATABASE_URL unset: the PostgreSQL run is skipped");
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("hongcha_test_kill_{}_{nanos}", std::process::id());
    let admin = domain::db::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(&admin_url);
    let dir = tempfile::tempdir().unwrap();
    survives_sigkill(dir.path(), &format!("{base}/{name}")).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .ok();
}

async fn survives_sigkill(dir: &std::path::Path, db_url: &str) {
    assert!(
        hongcha(dir, db_url, free_port())
            .arg("seed-demo")
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    );
    let out = hongcha(dir, db_url, free_port())
        .args(["risk", "source", "测试来源"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.rsplit_once(": ").map(|(_, t)| t.trim().to_owned()))
        .filter(|t| t.starts_with("hc_"))
        .expect("token printed");
    let subjects: Vec<String> = {
        let db = domain::db::connect(db_url).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT code FROM risk_subject ORDER BY id".to_owned(),
            ))
            .await
            .unwrap();
        db.close().await.ok();
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect()
    };
    // Every point's level past its threshold at every subject, a batch per
    // point: 44 batches, each opening a warning per subject.
    let points: Vec<&str> = domain::risk::demo::MODULES
        .iter()
        .flat_map(|(_, _, _, p)| p.iter().map(|(k, _)| *k))
        .collect();
    let at = (domain::clock::now() - domain::clock::Duration::minutes(1)).to_rfc3339();
    let batches: Vec<serde_json::Value> = points
        .iter()
        .map(|p| {
            serde_json::json!({"readings": subjects.iter().map(|s| serde_json::json!({
                "id": format!("{p}-{s}"), "subject": s, "indicator": format!("{p}.level"), "value": 99.0, "at": at,
            })).collect::<Vec<_>>()})
        })
        .collect();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let send = move |base: String, body: serde_json::Value| {
        let c = client.clone();
        let t = token.clone();
        async move {
            c.post(format!("{base}/api/v1/risk/readings"))
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .ok()
                .map(|r| r.status().as_u16())
        }
    };
    let (mut child, base) = start(dir, db_url).await;
    // Send in the background and kill the server once the first batch is
    // acknowledged, with the next ones on the way.
    let (first, acked) = tokio::sync::oneshot::channel::<()>();
    let sender = {
        let base = base.clone();
        let batches = batches.clone();
        let send = send.clone();
        tokio::spawn(async move {
            let mut ok = 0;
            let mut first = Some(first);
            for b in batches {
                if send(base.clone(), b).await == Some(200) {
                    ok += 1;
                    if let Some(f) = first.take() {
                        let _ = f.send(());
                    }
                }
            }
            ok
        })
    };
    acked.await.unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let acknowledged = sender.await.unwrap();
    assert!(acknowledged < batches.len(), "killed too late to matter");
    // Restart; the source sends everything again.
    let (mut child, base) = start(dir, db_url).await;
    for b in &batches {
        assert_eq!(send(base.clone(), b.clone()).await, Some(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let db = domain::db::connect(db_url).await.unwrap();
    let warnings = count(&db, "SELECT COUNT(*) FROM risk_warning").await;
    let auto = count(
        &db,
        "SELECT COUNT(*) FROM risk_warning w JOIN risk_subject s ON s.id = w.subject_id \
         WHERE w.severity = 'low' AND s.contact_phone IS NOT NULL",
    )
    .await;
    let sms = count(
        &db,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND subject = '风险提醒'",
    )
    .await;
    assert_eq!(
        warnings,
        (points.len() * subjects.len()) as i64,
        "one warning per point and subject"
    );
    assert!(auto > 0);
    assert_eq!(sms, auto, "exactly one SMS per machine-handled warning");
    // And each of those SMS steps belongs to a warning that exists.
    let orphan_steps = count(
        &db,
        "SELECT COUNT(*) FROM risk_step st LEFT JOIN risk_warning w ON w.id = st.warning_id WHERE w.id IS NULL",
    )
    .await;
    assert_eq!(orphan_steps, 0);
    // (seed-demo's own few readings aside)
    let readings = count(
        &db,
        "SELECT COUNT(*) FROM risk_reading WHERE reading_key NOT LIKE 'demo-%'",
    )
    .await;
    assert_eq!(readings, (points.len() * subjects.len()) as i64);
}
