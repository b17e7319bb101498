//! `hongcha` — serve, migrate, seed-demo, create-admin.
use anyhow::Context;
use clap::{Parser, Subcommand};
use hongcha_server::{Application, Config, open_database, redact};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "hongcha",
    version,
    about = "红茶议事会 civic deliberation platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (default). Migrates the database first.
    Serve,
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Load the demo street, communities and one account per role.
    SeedDemo {
        /// Only when the database has no organisation data yet.
        #[arg(long)]
        if_empty: bool,
    },
    /// Import opinions from a CSV or XLSX file (all rows or none), pending
    /// moderation unless --publish.
    Import {
        /// The .csv / .xlsx file.
        file: std::path::PathBuf,
        /// Community (name or id) for rows without a community column.
        #[arg(long)]
        community: Option<String>,
        /// Which column fills a field, e.g. `--map title=事项 --map body=诉求描述`.
        #[arg(long = "map", value_parser = parse_map)]
        map: Vec<(String, String)>,
        /// Check every row and report, but import nothing.
        #[arg(long)]
        dry_run: bool,
        /// Publish the rows at once (a vetted file, e.g. a hotline export
        /// already handled by staff); audited. Default: pending moderation.
        #[arg(long)]
        publish: bool,
    },
    /// Heat: regroup every published opinion into topics and count heat again.
    Heat {
        #[command(subcommand)]
        command: HeatCommand,
    },
    /// Print the hot topics (the same ranking as the 热点 page and
    /// `/api/v1/topics`).
    Topics {
        /// A community's own ranking (name or id); the whole street when omitted.
        #[arg(long)]
        community: Option<String>,
        /// How many topics.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        /// JSON, as `/api/v1/topics` answers.
        #[arg(long)]
        json: bool,
    },
    /// Crawl configured public sources now (all enabled ones, or SOURCE).
    Crawl {
        /// The source's name; all enabled sources when omitted.
        source: Option<String>,
        /// A TOML file of `[[source]]` tables to save before crawling
        /// (default: `sources.toml` in the working directory, if present).
        #[arg(long)]
        sources: Option<std::path::PathBuf>,
    },
    /// The organisation: streets, communities and compounds.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Risk warning: sources and their tokens, replaying a model.
    Risk {
        #[command(subcommand)]
        command: RiskCommand,
    },
    /// Enterprise service: import the register, re-match policies, run the
    /// lease warnings.
    Enterprise {
        #[command(subcommand)]
        command: EnterpriseCommand,
    },
    /// Create an administrator (or reset one's password). The password is
    /// read from HONGCHA_ADMIN_PASSWORD, else generated and printed.
    CreateAdmin {
        #[arg(long)]
        phone: String,
        #[arg(long, default_value = "管理员")]
        name: String,
    },
}

#[derive(Subcommand)]
enum HeatCommand {
    /// Recompute every topic now (the background job does this regularly).
    Recompute {
        /// Extract every opinion's keywords again first (after a lexicon change).
        #[arg(long)]
        reanalyse: bool,
    },
}

#[derive(Subcommand)]
enum RiskCommand {
    /// Register a source of readings (or, with --voice, the voice gateway)
    /// and print its API token: shown this once, only its hash is kept.
    Source {
        name: String,
        #[arg(long)]
        voice: bool,
    },
    /// Import readings from a CSV or XLSX file (columns 对象, 指标, 数值,
    /// 时间, optionally 编号): every row checked first, errors by line.
    Import { file: std::path::PathBuf },
    /// What a model version (live or shadow) would have raised over the
    /// stored readings of the last DAYS days.
    Replay {
        /// The model's id (`risk_model.id`).
        model: i64,
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
}

#[derive(Subcommand)]
enum EnterpriseCommand {
    /// Import enterprises from a CSV or XLSX file (统一社会信用代码, 企业名称,
    /// … as the web import guesses them): every row checked first, errors by
    /// row; re-importing updates by credit code. Prints the per-row report,
    /// flagged credit codes included.
    Import {
        file: std::path::PathBuf,
        /// Check and report only; store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Judge every open policy against every enterprise and push what fits
    /// (once per policy version).
    Rematch,
    /// The lease warnings (red / yellow / blue) as of today, China time.
    Leases,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Load streets → communities → compounds from a TOML or CSV file:
    /// idempotent, all or nothing, errors by line.
    Import {
        /// `.toml` (`[[street]]`, `[[street.community]]`, `compounds = [...]`)
        /// or `.csv` (columns 街道, 社区, 小区, and optionally 街道代码, 社区代码, 小区代码).
        file: std::path::PathBuf,
        /// Check and report, but change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("HONGCHA_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    let cfg = Config::load()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(cfg.clone()).await?;
            tracing::info!(
                "红茶议事会 listening on http://{} (database {})",
                cfg.bind.replace(":0", &format!(":{}", app.port())),
                redact(&cfg.database_url)
            );
            app.run_until_stopped().await
        }
        Command::Migrate => {
            open_database(&cfg).await?;
            println!(
                "数据库已是最新 database up to date: {}",
                redact(&cfg.database_url)
            );
            Ok(())
        }
        Command::SeedDemo { if_empty } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            if if_empty && !domain::seed::is_empty(&services).await? {
                println!("已有数据，跳过演示数据 (database not empty, demo data skipped)");
                return Ok(());
            }
            let fixed = std::env::var("HONGCHA_DEMO_PASSWORD").ok();
            let accounts = domain::seed::seed_demo(&services, fixed.as_deref())
                .await
                .context("loading demo data")?;
            domain::risk::demo::seed(&services)
                .await
                .context("loading the demo risk catalogue")?;
            domain::risk::demo::seed_warnings(&services)
                .await
                .context("loading the demo risk warnings")?;
            let more = domain::enterprise::demo::seed(&services, fixed.as_deref())
                .await
                .context("loading the demo enterprise service")?;
            let opinions = domain::seed::seed_demo_street(&services)
                .await
                .context("loading demo opinions")?;
            if opinions > 0 {
                domain::seed::seed_demo_loop(&services)
                    .await
                    .context("loading the demo meeting and plan")?;
            }
            println!(
                "演示数据已载入 demo data loaded: {} ({opinions} 条演示意见 demo opinions added)",
                domain::seed::STREET
            );
            println!("演示账号（仅供演示）demo accounts (demo only):");
            for a in accounts.into_iter().chain(more) {
                println!(
                    "  {:<15} {:<10} 手机 {}  密码 {}",
                    a.role.as_str(),
                    a.display_name,
                    a.phone,
                    a.password
                );
            }
            Ok(())
        }
        Command::Import {
            file,
            community,
            map,
            dry_run,
            publish,
        } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            import_file(&services, &file, community, map, dry_run, publish).await
        }
        Command::Heat {
            command: HeatCommand::Recompute { reanalyse },
        } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            recompute_heat(&services, reanalyse).await
        }
        Command::Topics {
            community,
            limit,
            json,
        } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            print_topics(&services, community, limit, json).await
        }
        Command::Risk { command } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            match command {
                RiskCommand::Source { name, voice } => {
                    let kind = if voice { "voice" } else { "readings" };
                    let (id, token) =
                        domain::risk::create_source(&services, None, &name, kind).await?;
                    println!("来源 source #{id} ({kind})");
                    println!("令牌 token (只显示这一次 shown once): {token}");
                }
                RiskCommand::Import { file } => {
                    let name = file
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default()
                        .to_owned();
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    match domain::risk::ingest::import_file(&services, None, &name, bytes).await? {
                        domain::risk::ingest::Outcome::Stored(r) => println!(
                            "已导入 stored {}，重复 duplicates {}，新预警 warnings opened {}",
                            r.stored, r.duplicates, r.warnings_opened
                        ),
                        domain::risk::ingest::Outcome::Refused { errors } => {
                            for e in &errors {
                                eprintln!("第 {} 行 line {}: {}", e.index, e.index, e.error);
                            }
                            anyhow::bail!(
                                "{} 处错误，未导入任何读数 ({} errors, nothing stored)",
                                errors.len(),
                                errors.len()
                            );
                        }
                    }
                }
                RiskCommand::Replay { model, days } => {
                    let r = domain::risk::replay_model(&services, None, model, days).await?;
                    println!("{}", serde_json::to_string_pretty(&r)?);
                }
            }
            Ok(())
        }
        Command::Enterprise { command } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            match command {
                EnterpriseCommand::Import { file, dry_run } => {
                    let name = file
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default()
                        .to_owned();
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let table = domain::import::read_table_off_runtime(name, bytes).await?;
                    let r = domain::enterprise::register::import(
                        &services,
                        None,
                        &table,
                        &Default::default(),
                        dry_run,
                    )
                    .await?;
                    for e in &r.errors {
                        eprintln!("第 {} 行 row {}: {} {}", e.row, e.row, e.field, e.rule);
                    }
                    for f in &r.flagged {
                        println!(
                            "第 {} 行 row {}: 信用代码待复核 credit code flagged {} ({}{})",
                            f.row,
                            f.row,
                            f.credit_code,
                            f.problem,
                            f.expected
                                .map(|c| format!(", 校验位应为 expected {c}"))
                                .unwrap_or_default()
                        );
                    }
                    for c in &r.changes {
                        println!(
                            "第 {} 行 row {}: 更新 updated {} {}: {}",
                            c.row,
                            c.row,
                            c.credit_code,
                            c.name,
                            c.fields.join(", ")
                        );
                    }
                    if !r.errors.is_empty() {
                        anyhow::bail!(
                            "{} 处错误，未导入任何企业 ({} errors, nothing stored)",
                            r.errors.len(),
                            r.errors.len()
                        );
                    }
                    println!(
                        "{}共 {} 行 rows：新增 created {}，更新 updated {}，未变 unchanged {}，待复核信用代码 flagged {}",
                        if r.dry_run {
                            "（试运行，未保存 dry run, nothing stored）"
                        } else {
                            ""
                        },
                        r.rows,
                        r.created,
                        r.updated,
                        r.unchanged,
                        r.flagged.len()
                    );
                }
                EnterpriseCommand::Rematch => {
                    let r = domain::enterprise::policy::rematch(&services, None).await?;
                    println!("{}", serde_json::to_string_pretty(&r)?);
                }
                EnterpriseCommand::Leases => {
                    let r = domain::enterprise::lease::run(
                        &services,
                        domain::clock::china_today(),
                        cfg.lease_warning_months,
                    )
                    .await?;
                    println!("{}", serde_json::to_string_pretty(&r)?);
                }
            }
            Ok(())
        }
        Command::Org {
            command: OrgCommand::Import { file, dry_run },
        } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {} (UTF-8 expected)", file.display()))?;
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let report = domain::org::import_file(&services, None, name, &text, dry_run).await?;
            for e in &report.errors {
                eprintln!("第 {} 行 line {}: {}", e.line, e.line, e.message);
            }
            if !report.errors.is_empty() {
                anyhow::bail!(
                    "{} 处错误，未作任何更改 ({} errors, nothing changed)",
                    report.errors.len(),
                    report.errors.len()
                );
            }
            println!(
                "{}新建 {} 个，更新代码 {} 个，未变 {} 个 (created {}, updated {}, unchanged {})",
                if dry_run { "[试运行 dry run] " } else { "" },
                report.created,
                report.updated,
                report.unchanged,
                report.created,
                report.updated,
                report.unchanged
            );
            Ok(())
        }
        Command::Crawl { source, sources } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            crawl(&services, source, sources).await
        }
        Command::CreateAdmin { phone, name } => {
            let db = open_database(&cfg).await?;
            let services = domain::Services::new(db, cfg.settings());
            let (password, generated) = match std::env::var("HONGCHA_ADMIN_PASSWORD") {
                Ok(p) => (p, false),
                Err(_) => (domain::seed::random_password(), true),
            };
            let grant = domain::accounts::Grant {
                role: domain::Role::Admin,
                scope: domain::Scope::Global,
            };
            let id = domain::accounts::provision_account(
                &services,
                &phone,
                &password,
                &name,
                None,
                &[grant],
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("管理员已就绪 admin ready: account #{id}");
            if generated {
                println!("密码 password: {password}");
            }
            Ok(())
        }
    }
}

fn parse_map(s: &str) -> Result<(String, String), String> {
    let (field, header) = s.split_once('=').ok_or("expected FIELD=HEADER")?;
    Ok((field.trim().to_owned(), header.trim().to_owned()))
}

async fn import_file(
    services: &domain::Services,
    file: &std::path::Path,
    community: Option<String>,
    map: Vec<(String, String)>,
    dry_run: bool,
    publish: bool,
) -> anyhow::Result<()> {
    use domain::import;
    let started = std::time::Instant::now();
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let table = import::read_table(name, &bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let overrides = map.into_iter().collect();
    let mapping = import::mapping(&table, &overrides).map_err(|e| anyhow::anyhow!("{e}"))?;
    let default_community = match community {
        None => None,
        Some(c) => Some(
            domain::org::communities(services)
                .await?
                .into_iter()
                .find(|x| x.name == c || x.id.to_string() == c)
                .map(|x| x.id)
                .ok_or_else(|| anyhow::anyhow!("没有这个社区 no such community: {c}"))?,
        ),
    };
    let checked = import::check(services, &table, &mapping, default_community).await?;
    println!(
        "{} 行 rows read, {} 行有错误 rows with errors",
        table.rows.len(),
        checked.errors.len()
    );
    if !checked.errors.is_empty() {
        for e in checked.errors.iter().take(50) {
            println!("  第 {} 行 row {}: {} {}", e.row, e.row, e.field, e.rule);
        }
        if checked.errors.len() > 50 {
            println!("  … {} more", checked.errors.len() - 50);
        }
        anyhow::bail!("nothing imported: fix the rows above and run again");
    }
    if dry_run {
        println!("检查通过，未导入 (dry run: nothing imported)");
        return Ok(());
    }
    let bar = indicatif::ProgressBar::new(checked.rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 行 {per_sec} 剩余 {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let done = import::import(services, None, &table, &checked, publish, |n, _| {
        bar.set_position(n as u64)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "已导入 imported {} (已存在跳过 already there: {}) in {:.2}s, {:.0} rows/s",
        done.created,
        done.skipped,
        secs,
        table.rows.len() as f64 / secs
    );
    Ok(())
}

async fn recompute_heat(services: &domain::Services, reanalyse: bool) -> anyhow::Result<()> {
    // The same lease as the server's heat job: never two runs at once.
    let holder = format!("cli-{}", std::process::id());
    let ttl = domain::clock::Duration::minutes(30);
    if !domain::jobs::try_lease(services, "heat", &holder, ttl).await? {
        anyhow::bail!(
            "另一个热度重算正在进行 a recomputation is running (its lease is held); try again shortly"
        );
    }
    let result = recompute_heat_leased(services, reanalyse).await;
    if let Err(e) = domain::jobs::release(services, "heat", &holder).await {
        tracing::warn!(error = %e, "releasing the heat lease failed");
    }
    result
}

async fn recompute_heat_leased(services: &domain::Services, reanalyse: bool) -> anyhow::Result<()> {
    use domain::agenda::Stage;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:8} {bar:40} {pos}/{len} {per_sec} 剩余 {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let done = domain::agenda::recompute(services, reanalyse, |stage, n, total| {
        bar.set_message(match stage {
            Stage::Analyse => "分析 analyse",
            Stage::Group => "归并 group",
            Stage::Store => "保存 store",
        });
        bar.set_length(total as u64);
        bar.set_position(n as u64);
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    if let Some((docs, terms)) = done.idf_refresh {
        println!(
            "IDF 已按本社区语料更新 IDF refreshed from {docs} opinions: {terms} terms changed"
        );
    }
    println!(
        "热度已重算 heat recomputed: {} opinions ({} analysed), {} topics ({} new, {} dissolved) in {} ms \
         (read {} ms, group {} ms, store {} ms)",
        done.opinions,
        done.analysed,
        done.topics,
        done.new_topics,
        done.dissolved,
        done.millis,
        done.read_millis,
        done.group_millis,
        done.store_millis
    );
    Ok(())
}

async fn print_topics(
    services: &domain::Services,
    community: Option<String>,
    limit: u64,
    json: bool,
) -> anyhow::Result<()> {
    let community = match community {
        None => None,
        Some(c) => Some(
            domain::org::communities(services)
                .await?
                .into_iter()
                .find(|x| x.name == c || x.id.to_string() == c)
                .map(|x| x.id)
                .ok_or_else(|| anyhow::anyhow!("没有这个社区 no such community: {c}"))?,
        ),
    };
    let topics = domain::agenda::api_topics(services, community, limit).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&topics)?);
        return Ok(());
    }
    if topics.topics.is_empty() {
        println!("暂无热点 no hot topics yet (run `hongcha heat recompute`)");
    }
    for (i, t) in topics.topics.iter().enumerate() {
        println!("{:>2}. {}  热度 heat {:.1}", i + 1, t.title, t.heat);
        println!("    {}", t.explain);
        println!("    关键词 keywords: {}", t.keywords.join("、"));
    }
    Ok(())
}

async fn crawl(
    services: &domain::Services,
    only: Option<String>,
    file: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use domain::crawl;
    let file = file.or_else(|| {
        let default = std::path::PathBuf::from("sources.toml");
        default.exists().then_some(default)
    });
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for source in crawl::parse_sources_toml(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        {
            crawl::upsert_source(services, None, &source)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    let names: Vec<String> = match only {
        Some(n) => vec![n],
        None => crawl::list_sources(services)
            .await?
            .into_iter()
            .filter(|s| s.enabled)
            .map(|s| s.name)
            .collect(),
    };
    if names.is_empty() {
        println!("没有采集源 no sources configured (see --sources)");
    }
    let holder = format!("cli-{}", std::process::id());
    let mut failed = false;
    for name in names {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        spinner.set_prefix(name.clone());
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        let started = std::time::Instant::now();
        let mut update = |s: &crawl::Summary| {
            spinner.set_message(format!(
                "已抓取 fetched {} · 新 new {} · 重复 duplicates {}",
                s.fetched, s.new, s.duplicates
            ))
        };
        let result = crawl::run_source(services, &name, &holder, &mut update).await;
        spinner.finish_and_clear();
        match result {
            Ok(Ok(s)) => println!(
                "{name}: fetched {} · new {} · duplicates {} · not modified {} · skipped by robots {} · errors {} · cut {} ({:.1}s)",
                s.fetched,
                s.new,
                s.duplicates,
                s.not_modified,
                s.skipped_robots,
                s.errors,
                s.truncated,
                started.elapsed().as_secs_f64()
            ),
            Ok(Err(_)) => {
                println!("{name}: 另一个实例正在采集 another run holds this source, skipped")
            }
            Err(e) => {
                failed = true;
                println!("{name}: 失败 failed: {e}");
            }
        }
    }
    if failed {
        anyhow::bail!("some sources failed");
    }
    Ok(())
}
