//! Real databases for `domain`'s own tests: a fresh SQLite file always,
//! and a fresh PostgreSQL database when `TEST_DATABASE_URL` is set
//! (dropped when the guard goes).
use sea_orm::ConnectionTrait;

use crate::{Services, Settings, db};

pub(crate) struct Db {
    pub s: Services,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Best effort, on a thread of its own (no runtime in Drop).
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let c = db::connect(&admin).await.ok()?;
                    c.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

/// One migrated database per backend available here.
pub(crate) async fn each() -> Vec<Db> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let conn = db::connect(&url).await.expect("sqlite");
    db::migrate(&conn).await.expect("migrate sqlite");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    out.push(Db {
        s: Services::new(conn, settings),
        name: "sqlite",
        _dir: Some(dir),
        pg: None,
    });
    if let Ok(admin) = std::env::var("TEST_DATABASE_URL")
        && !admin.is_empty()
    {
        let name = format!("hongcha_unit_{:016x}", rand::random::<u64>());
        let c = db::connect(&admin).await.expect("connect to PostgreSQL");
        c.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        c.close().await.ok();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let conn = db::connect(&format!("{base}/{name}")).await.expect("pg");
        db::migrate(&conn).await.expect("migrate pg");
        out.push(Db {
            s: Services::new(conn, Settings::default()),
            name: "postgres",
            _dir: None,
            pg: Some((admin.clone(), name)),
        });
    }
    out
}
