//! `hongcha import`: a file with a broken row imports nothing and names the
//! row; the fixed file imports every row; importing it again adds nothing.
use std::process::Command;

fn hongcha(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hongcha"));
    cmd.env(
        "HONGCHA_DATABASE_URL",
        format!("sqlite://{}/hongcha.db", dir.display()),
    )
    .env("HONGCHA_DATA_DIR", dir)
    .env("HONGCHA_DEMO_PASSWORD", "demo-pass-2026")
    .env("HONGCHA_LOG", "warn");
    cmd
}

async fn count(dir: &std::path::Path) -> (usize, usize) {
    let db = domain::db::connect(&format!("sqlite://{}/hongcha.db", dir.display()))
        .await
        .unwrap();
    use sea_orm::{ConnectionTrait, Statement};
    let q = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_owned());
    let all = db
        .query_all_raw(q(
            "SELECT id FROM opinion WHERE idempotency_key LIKE 'import:%'",
        ))
        .await
        .unwrap()
        .len();
    let masked = db
        .query_all_raw(q("SELECT id FROM opinion WHERE body_public LIKE '%139****5678%' AND body LIKE '%13912345678%' AND channel = 'import' AND status = 'pending'"))
        .await
        .unwrap()
        .len();
    db.close().await.unwrap();
    (all, masked)
}

#[tokio::test]
async fn import_is_all_or_nothing_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        hongcha(dir.path())
            .arg("seed-demo")
            .output()
            .unwrap()
            .status
            .success()
    );
    let broken = dir.path().join("hotline.csv");
    std::fs::write(
        &broken,
        "标题,诉求内容,社区,类别\n\
         路灯坏了,小区门口路灯坏了很久 联系13912345678,长乐社区,公共服务\n\
         ,没有标题的一行,长乐社区,公共服务\n\
         垃圾桶满了,垃圾桶没人清理,没有这个社区,公共管理\n",
    )
    .unwrap();
    let out = hongcha(dir.path())
        .arg("import")
        .arg(&broken)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("row 3: title required"), "{text}");
    assert!(text.contains("row 4: community invalid"), "{text}");
    assert_eq!(count(dir.path()).await.0, 0, "nothing half-imported");

    let fixed = dir.path().join("hotline-fixed.csv");
    std::fs::write(
        &fixed,
        "标题,诉求内容,社区,类别\n\
         路灯坏了,小区门口路灯坏了很久 联系13912345678,长乐社区,公共服务\n\
         楼道堆物,楼道里堆满了杂物,长乐社区,公共安全\n\
         垃圾桶满了,垃圾桶没人清理,小河社区,公共管理\n",
    )
    .unwrap();
    let out = hongcha(dir.path())
        .arg("import")
        .arg(&fixed)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        count(dir.path()).await,
        (3, 1),
        "3 rows in, the phone masked in public text"
    );
    let out = hongcha(dir.path())
        .arg("import")
        .arg(&fixed)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("already there: 3"));
    assert_eq!(count(dir.path()).await.0, 3, "re-import adds nothing");
}

/// `hongcha import --publish`, `hongcha heat recompute` and `hongcha topics`
/// on the demo street: published rows join the ranking the topics command
/// prints, as text and as the API's JSON.
#[tokio::test]
async fn published_imports_reach_the_topics_the_cli_prints() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        hongcha(dir.path())
            .arg("seed-demo")
            .output()
            .unwrap()
            .status
            .success()
    );
    let file = dir.path().join("12345.csv");
    std::fs::write(
        &file,
        "来电时间,来电号码,渠道,事项,诉求内容,社区\n\
         2026-11-27 09:00,13700000001,12345,路灯不亮,长乐社区南门路灯坏了，晚上很黑。,长乐社区\n\
         2026-11-27 10:00,13700000002,12345,路灯坏了,小区里的路灯不亮，老人走路怕摔。,长乐社区\n",
    )
    .unwrap();
    let out = hongcha(dir.path())
        .arg("import")
        .arg(&file)
        .arg("--publish")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = hongcha(dir.path())
        .args(["heat", "recompute"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("heat recomputed"),
        "{text}"
    );
    let out = hongcha(dir.path())
        .args(["topics", "--json", "--limit", "50"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let topics = json["topics"].as_array().unwrap();
    assert!(topics.len() >= 5, "{json}");
    // The street-light topic now counts the two hotline callers.
    let db = domain::db::connect(&format!("sqlite://{}/hongcha.db", dir.path().display()))
        .await
        .unwrap();
    use sea_orm::{ConnectionTrait, Statement};
    let imported: Vec<i64> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM opinion WHERE idempotency_key LIKE 'import:%' AND status = 'published'"
                .to_owned(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "id").unwrap())
        .collect();
    assert_eq!(imported.len(), 2);
    let lamp = topics
        .iter()
        .find(|t| t["keywords"][0] == "路灯")
        .expect("a street-light topic");
    for id in &imported {
        assert!(
            lamp["opinion_ids"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!(id)),
            "{lamp}"
        );
    }
    let out = hongcha(dir.path())
        .args(["topics", "--limit", "3"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("位居民") && text.contains(" 1. "), "{text}");
    let out = hongcha(dir.path())
        .args(["topics", "--community", "没有这个社区"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such community"));
}
