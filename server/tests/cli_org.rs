//! `hongcha org import`: a real street sets itself up from a file — errors
//! by line and nothing changed, then all of it, then nothing new the
//! second time; codes given later update the stored ones.
use std::process::Command;

fn hongcha(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hongcha"));
    cmd.env(
        "HONGCHA_DATABASE_URL",
        format!("sqlite://{}/hongcha.db", dir.display()),
    )
    .env("HONGCHA_DATA_DIR", dir)
    .env("HONGCHA_LOG", "warn");
    cmd
}

async fn units(dir: &std::path::Path) -> Vec<(String, Option<String>)> {
    let db = domain::db::connect(&format!("sqlite://{}/hongcha.db", dir.display()))
        .await
        .unwrap();
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name, code FROM street UNION ALL SELECT name, code FROM community \
             UNION ALL SELECT name, code FROM compound ORDER BY name"
                .to_owned(),
        ))
        .await
        .unwrap();
    let out = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "name").unwrap(),
                r.try_get("", "code").unwrap(),
            )
        })
        .collect();
    db.close().await.unwrap();
    out
}

const GOOD: &str = r#"
[[street]]
name = "半山街道"
code = "330105010"

  [[street.community]]
  name = "半山社区"
  compounds = ["半山苑", "桃源小区"]

  [[street.community]]
  name = "田园社区"
  code = "330105010002"
  compounds = ["田园一区"]
"#;

#[tokio::test]
async fn org_import_is_all_or_nothing_idempotent_and_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("street.toml");
    // Line 9: a name of 40 characters; line 13: a code with a space.
    let bad = GOOD
        .replace("\"田园社区\"", &format!("\"{}\"", "长".repeat(40)))
        .replace("\"330105010002\"", "\"3301 05\"");
    std::fs::write(&file, &bad).unwrap();
    let out = hongcha(dir.path())
        .args(["org", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("第 11 行"), "{err}");
    assert!(units(dir.path()).await.is_empty(), "nothing half-saved");

    std::fs::write(&file, GOOD).unwrap();
    let out = hongcha(dir.path())
        .args(["org", "import"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("created 6"), "{text}");
    let first = units(dir.path()).await;
    assert_eq!(first.len(), 6);
    assert!(first.contains(&("田园社区".to_owned(), Some("330105010002".to_owned()))));

    // Again: nothing new.
    let out = hongcha(dir.path())
        .args(["org", "import"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("created 0, updated 0"), "{text}");
    assert_eq!(units(dir.path()).await, first);

    // A CSV for the same street adds a compound and a code.
    let csv = dir.path().join("more.csv");
    std::fs::write(
        &csv,
        "街道,社区,小区,社区代码\n半山街道,半山社区,新苑,330105010001\n半山街道,田园社区,,\n",
    )
    .unwrap();
    let out = hongcha(dir.path())
        .args(["org", "import"])
        .arg(&csv)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("created 1, updated 1"), "{text}");
    assert!(
        units(dir.path())
            .await
            .contains(&("半山社区".to_owned(), Some("330105010001".to_owned())))
    );
    // A compound without its community is refused with its line.
    std::fs::write(&csv, "街道,社区,小区\n半山街道,,孤儿小区\n").unwrap();
    let out = hongcha(dir.path())
        .args(["org", "import"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("第 2 行"));
}
