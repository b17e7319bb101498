//! 企服通 at scale (issue 14): on a fresh database (SQLite file, or a
//! PostgreSQL database dropped afterwards) with the demo street, import a
//! register file of ENTERPRISES rows (read from CSV and imported, timed),
//! import it again unchanged and with a tenth of the rows changed,
//! re-match POLICIES policies against every enterprise, and time the
//! dashboard (median and p95 of 20) counting its SQL statements at the
//! demo's size and at full size (they must be the same).
//!
//!   cargo run --release -p domain --example bench_enterprise -- sqlite|postgres [ENTERPRISES] [POLICIES]
use std::time::Instant;

use sea_orm::ConnectionTrait;

fn code(i: usize) -> String {
    let first = format!("91330106MB{:07}", 1_000_000 + i);
    let first: String = format!("{first}Q").chars().take(17).collect();
    let c = domain::enterprise::credit::check_character(&first).expect("valid first 17");
    format!("{first}{c}")
}

fn csv(n: usize, changed_every: Option<usize>) -> String {
    let mut out = String::from(
        "统一社会信用代码,企业名称,法定代表人,行业代码,注册资本（万元）,从业人数,年纳税额（万元）,楼宇编号,房号,租期开始,租期结束,租赁面积（㎡）,联系人,联系电话,成立日期\n",
    );
    let industries = [
        "I6513", "C3911", "L7241", "M7340", "F5191", "H6210", "R8710",
    ];
    for i in 0..n {
        let employees = if changed_every.is_some_and(|k| i % k == 0) {
            11 + i % 500
        } else {
            10 + i % 500
        };
        out.push_str(&format!(
            "{},压测企业{i:05}有限公司,张{},{},{},{employees},{},GD-0{},{}室,2024-0{}-01,2027-{:02}-{:02},{},李经理,137{:08},20{:02}-0{}-15\n",
            code(i),
            i % 100,
            industries[i % industries.len()],
            100 + i % 3000,
            (i % 2000) as f64 * 1.5,
            1 + i % 4,
            100 + i % 900,
            1 + i % 9,
            1 + i % 12,
            1 + i % 28,
            50 + i % 400,
            i,
            10 + i % 16,
            1 + i % 9,
        ));
    }
    out
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("sqlite");
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let policies: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(50);
    let dir = tempfile::tempdir()?;
    let (url, drop_pg) = match backend {
        "postgres" => {
            let admin = std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("hongcha_ent_{}", std::process::id());
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
            format!("sqlite://{}", dir.path().join("ent.db").display()),
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
    domain::enterprise::demo::seed(&s, Some("bench-pass-2026")).await?;
    let who = |phone: &'static str| {
        let s = s.clone();
        let db = db.clone();
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT id FROM account WHERE phone = '{phone}'"),
                ))
                .await?
                .expect("demo account");
            let id: i64 = row.try_get_by_index(0)?;
            Ok::<domain::Principal, Box<dyn std::error::Error>>(
                domain::accounts::principal_by_id(&s, id)
                    .await?
                    .expect("demo account"),
            )
        }
    };
    let officer = who("13800000003").await?;
    let year = domain::reports::Period::this_year(domain::clock::now());
    let dash_statements = |label: &str| {
        let label = label.to_owned();
        let s = s.clone();
        let officer = officer.clone();
        async move {
            // The services count every statement they run.
            let before = s.statements();
            domain::enterprise::dashboard::dashboard(&s, &officer, year).await?;
            let n = s.statements() - before;
            println!("  dashboard SQL statements at {label}: {n}");
            Ok::<u64, Box<dyn std::error::Error>>(n)
        }
    };
    println!("enterprise service at scale ({backend}), {n} enterprises, {policies} policies");
    let small = dash_statements("the demo's 60 enterprises").await?;
    // Policies: the demo's six, and more with varied criteria.
    let shapes = [
        r#"{"industries": ["I65"], "max_employees": 300}"#,
        r#"{"min_tax": 500}"#,
        r#"{"tags_any": ["小微企业"], "min_tax": 20}"#,
        r#"{"buildings": ["GD-01", "GD-02"], "min_tax": 100}"#,
        r#"{"max_age_years": 5, "tags_all": ["科技型"]}"#,
        r#"{"industries": ["C", "F"], "min_employees": 50, "max_employees": 400}"#,
        r#"{"min_capital": 1000, "communities": [1, 2]}"#,
    ];
    let admin = who("13800000008").await?;
    let existing = domain::enterprise::policy::policies(&s, &admin)
        .await?
        .len();
    for i in existing..policies {
        domain::enterprise::policy::save_policy(
            &s,
            &admin,
            None,
            &domain::enterprise::policy::PolicyInput {
                title: format!("压测政策 {i}"),
                summary: String::new(),
                criteria: shapes[i % shapes.len()].to_owned(),
                deadline: None,
                active: true,
            },
        )
        .await?;
    }
    // The import: the CSV read and imported.
    let file = csv(n, None).into_bytes();
    let bytes = file.len();
    let t = Instant::now();
    let table = domain::import::read_table_off_runtime("register.csv".into(), file).await?;
    let read = t.elapsed();
    let t2 = Instant::now();
    let r =
        domain::enterprise::register::import(&s, None, &table, &Default::default(), false).await?;
    let import = t2.elapsed();
    assert!(
        r.errors.is_empty(),
        "{:?}",
        &r.errors[..r.errors.len().min(5)]
    );
    println!(
        "  import {n} rows ({} KiB CSV): read {:.0} ms + import {:.0} ms = {:.2} s (goal ≤ 2 s); created {}, flagged {}",
        bytes / 1024,
        read.as_secs_f64() * 1e3,
        import.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64(),
        r.created,
        r.flagged.len()
    );
    let t = Instant::now();
    let again =
        domain::enterprise::register::import(&s, None, &table, &Default::default(), false).await?;
    println!(
        "  re-import unchanged: {:.0} ms (unchanged {}, updated {}, created {})",
        t.elapsed().as_secs_f64() * 1e3,
        again.unchanged,
        again.updated,
        again.created
    );
    let changed = domain::import::read_table_off_runtime(
        "register.csv".into(),
        csv(n, Some(10)).into_bytes(),
    )
    .await?;
    let t = Instant::now();
    let upd = domain::enterprise::register::import(&s, None, &changed, &Default::default(), false)
        .await?;
    println!(
        "  re-import with a tenth changed: {:.0} ms (updated {}, unchanged {}, created {})",
        t.elapsed().as_secs_f64() * 1e3,
        upd.updated,
        upd.unchanged,
        upd.created
    );
    // Re-match.
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        last = Some(domain::enterprise::policy::rematch(&s, None).await?);
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let m = last.expect("ran");
    println!(
        "  re-match {} policies × {} enterprises: median {:.0} ms of 3 (goal ≤ 1 s); eligible {}, not eligible {}, unknown {}",
        m.policies,
        m.enterprises,
        times[1] * 1e3,
        m.eligible,
        m.ineligible,
        m.unknown
    );
    // The dashboard.
    let large = dash_statements(&format!("{} enterprises", n + 60)).await?;
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        domain::enterprise::dashboard::dashboard(&s, &officer, year).await?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  dashboard: median {:.1} ms, p95 {:.1} ms of 20 (goal ≤ 50 ms); statements {small} → {large} ({})",
        times[10],
        times[18],
        if small == large {
            "constant"
        } else {
            "NOT constant"
        }
    );
    drop(s);
    db.close().await.ok();
    if let Some((admin, name)) = drop_pg {
        let c = domain::db::connect(&admin).await?;
        c.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    Ok(())
}
