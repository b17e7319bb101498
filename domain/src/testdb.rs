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

/// The public origin the test services put in front of SMS links.
pub(crate) const ORIGIN: &str = "https://hongcha.example";

/// One migrated database per backend available here.
pub(crate) async fn each() -> Vec<Db> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let conn = db::connect(&url).await.expect("sqlite");
    db::migrate(&conn).await.expect("migrate sqlite");
    // Messages that leave the site (SMS) carry whole links.
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        public_origin: Some(ORIGIN.into()),
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
        // Files (photos, imports) go to a directory of its own too.
        let dir = tempfile::tempdir().expect("tempdir");
        out.push(Db {
            s: Services::new(
                conn,
                Settings {
                    data_dir: dir.path().to_path_buf(),
                    public_origin: Some(ORIGIN.into()),
                    ..Settings::default()
                },
            ),
            name: "postgres",
            _dir: Some(dir),
            pg: Some((admin.clone(), name)),
        });
    }
    out
}

/// A demo street with one accepted topic that residents wrote about:
/// (staff, resident author, agenda item, topic, the author's opinion).
pub(crate) async fn accepted_topic(
    s: &Services,
) -> (crate::Principal, crate::Principal, i64, i64, i64) {
    crate::seed::seed_demo(s, Some("demo-pass-2026"))
        .await
        .unwrap();
    crate::seed::seed_demo_street(s).await.unwrap();
    let staff = principal(s, "13800000002").await;
    let resident = principal(s, "13800000001").await;
    let mine = crate::opinions::submit(
        s,
        &resident,
        crate::opinions::SubmitInput {
            community_id: resident.community_id.unwrap(),
            location: String::new(),
            category: "public_safety".into(),
            title: "楼道里电瓶车充电".into(),
            body: "楼道里有人给电瓶车拉线充电，电线从窗户挂下来，太危险了。".into(),
            anonymous: false,
            idempotency_key: "loop-ebike".into(),
        },
    )
    .await
    .unwrap();
    crate::opinions::moderate(s, &staff, mine.id, crate::opinions::Decision::Approve)
        .await
        .unwrap();
    let (topic, _, _) = crate::agenda::topic_of_opinion(s, mine.id)
        .await
        .unwrap()
        .unwrap();
    let accepted =
        crate::agenda::decide::accept(s, &staff, topic, "楼道飞线充电整治", "增设充电桩")
            .await
            .unwrap();
    (staff, resident, accepted.agenda_item, topic, mine.id)
}

/// The principal of the account with this phone number.
pub(crate) async fn principal(s: &Services, phone: &str) -> crate::Principal {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let a = crate::entities::account::Entity::find()
        .filter(crate::entities::account::Column::Phone.eq(phone))
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    crate::accounts::principal_by_id(s, a.id)
        .await
        .unwrap()
        .unwrap()
}
