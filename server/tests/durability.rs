//! Durability: an opinion the server acknowledged survives SIGKILL, exactly
//! once, and the SQLite file passes its integrity check afterwards.
//!
//! Runs the real `hongcha` binary as a child process so it can be killed.
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};

const PASSWORD: &str = "demo-pass-2026";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
}

fn hongcha(dir: &std::path::Path, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hongcha"));
    cmd.env(
        "HONGCHA_DATABASE_URL",
        format!("sqlite://{}/hongcha.db", dir.display()),
    )
    .env("HONGCHA_DATA_DIR", dir)
    .env("HONGCHA_BIND", format!("127.0.0.1:{port}"))
    .env("HONGCHA_SITE_ROOT", dir.join("site"))
    .env("HONGCHA_DEMO_PASSWORD", PASSWORD)
    .env("HONGCHA_LIMIT_LOGIN_PER_IP", "1000")
    .env("HONGCHA_LIMIT_POST_PER_ACCOUNT", "1000000")
    .env("HONGCHA_LOG", "warn")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    cmd
}

async fn start(dir: &std::path::Path) -> Server {
    let port = free_port();
    let child = hongcha(dir, port)
        .arg("serve")
        .spawn()
        .expect("start hongcha");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not start");
}

async fn login(base: &str) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let res = c
        .post(format!("{base}/api/login"))
        .header("Origin", base)
        .header("Accept", "application/json")
        .form(&[
            ("phone", "13800000001"),
            ("password", PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "login: {}",
        res.status()
    );
    c
}

/// Submits one opinion; `Some(id)` only if the server acknowledged it.
async fn submit(c: &reqwest::Client, base: &str, community: &str, key: &str) -> Option<i64> {
    let res = c
        .post(format!("{base}/api/submit_opinion"))
        .header("Origin", base)
        .header("Accept", "application/json")
        .form(&[
            ("community_id", community),
            ("location", ""),
            ("category", "public_service"),
            ("title", "路灯不亮了"),
            ("body", &format!("小区门口的路灯坏了很久，晚上很黑 {key}")),
            ("idempotency_key", key),
        ])
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.json::<i64>().await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_opinions_survive_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = hongcha(dir.path(), free_port())
        .arg("seed-demo")
        .status()
        .unwrap();
    assert!(seeded.success());
    let mut server = start(dir.path()).await;
    let client = login(&server.base).await;
    let db_url = format!("sqlite://{}/hongcha.db", dir.path().display());
    let community = {
        let db = domain::db::connect(&db_url).await.unwrap();
        let services = domain::Services::new(db, domain::Settings::default());
        let id = domain::org::communities(&services).await.unwrap()[0]
            .id
            .to_string();
        services.close().await;
        id
    };

    // 16 writers submit as fast as they can; the server is killed mid-load.
    let acked: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let tried: Arc<Mutex<HashSet<String>>> = Arc::default();
    let stop = Instant::now() + Duration::from_millis(1500);
    let mut tasks = vec![];
    for w in 0..16 {
        let (c, base, community) = (client.clone(), server.base.clone(), community.clone());
        let (acked, tried) = (acked.clone(), tried.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < stop + Duration::from_secs(2) {
                let key = format!("w{w}-{n}");
                n += 1;
                tried.lock().unwrap().insert(key.clone());
                match submit(&c, &base, &community, &key).await {
                    Some(id) => {
                        acked.lock().unwrap().insert(key, id);
                    }
                    None => break, // the server is gone
                }
            }
        }));
    }
    tokio::time::sleep_until(stop.into()).await;
    server.child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
    server.child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let tried = tried.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "load ran before the kill: {} acknowledged",
        acked.len()
    );

    // Restart; every client retries what it never heard back about.
    let server = start(dir.path()).await;
    let client = login(&server.base).await;
    for key in tried.iter().filter(|k| !acked.contains_key(*k)) {
        assert!(
            submit(&client, &server.base, &community, key)
                .await
                .is_some(),
            "retry {key}"
        );
    }
    // A retry of an acknowledged key returns the same opinion, not a new one.
    let (some_key, some_id) = acked.iter().next().unwrap();
    assert_eq!(
        submit(&client, &server.base, &community, some_key).await,
        Some(*some_id)
    );

    let db = domain::db::connect(&db_url).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT idempotency_key, id FROM opinion WHERE idempotency_key NOT LIKE 'demo:%'",
        ))
        .await
        .unwrap();
    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    for r in rows {
        let key: String = r.try_get("", "idempotency_key").unwrap();
        let id: i64 = r.try_get("", "id").unwrap();
        let key = key.split_once(':').map(|(_, k)| k.to_owned()).unwrap();
        seen.entry(key).or_default().push(id);
    }
    for (key, id) in &acked {
        assert_eq!(
            seen.get(key),
            Some(&vec![*id]),
            "acknowledged {key} present exactly once"
        );
    }
    assert_eq!(
        seen.len(),
        tried.len(),
        "every attempted key stored once after retries"
    );
    assert!(seen.values().all(|ids| ids.len() == 1));
    let check = db
        .query_one_raw(Statement::from_string(backend, "PRAGMA integrity_check"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        check.try_get::<String>("", "integrity_check").unwrap(),
        "ok"
    );
    drop(server);
    println!(
        "durability: {} acknowledged before SIGKILL, {} retried after restart",
        acked.len(),
        tried.len() - acked.len()
    );
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
