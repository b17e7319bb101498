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
    /// Create an administrator (or reset one's password). The password is
    /// read from HONGCHA_ADMIN_PASSWORD, else generated and printed.
    CreateAdmin {
        #[arg(long)]
        phone: String,
        #[arg(long, default_value = "管理员")]
        name: String,
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
            println!("演示数据已载入 demo data loaded: {}", domain::seed::STREET);
            println!("演示账号（仅供演示）demo accounts (demo only):");
            for a in accounts {
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
