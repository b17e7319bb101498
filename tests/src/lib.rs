//! Test harness: `spawn_app()` starts the real server on port 0 against a
//! fresh database — a new SQLite file, or a new PostgreSQL database created
//! from `TEST_DATABASE_URL` and dropped afterwards.
use std::time::Duration;

use hongcha_server::{Application, Config};
use reqwest::{Client, Response, redirect::Policy};
use sea_orm::ConnectionTrait;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL too when `TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

pub const DEMO_PASSWORD: &str = "demo-pass-2026";

pub struct TestApp {
    pub backend: Backend,
    pub addr: String,
    pub services: domain::Services,
    /// A connection of the tests' own, to look at and tamper with what the
    /// server stored (the server's is private to `domain`).
    pub db: sea_orm::DatabaseConnection,
    pub data_dir: tempfile::TempDir,
    pg_drop: Option<(String, String)>,
    server: tokio::task::JoinHandle<()>,
    config: Config,
}

pub struct Options {
    pub limits: hongcha_server::config::LimitsConfig,
    pub body_limit: usize,
    /// Days before an account's reports count towards hiding (0 in tests,
    /// so freshly registered residents count).
    pub report_min_account_days: i64,
    pub trust_forwarded_for: bool,
    /// Show one-time codes in the development SMS log (on in tests, which
    /// read them there; off as shipped).
    pub dev_reveal_codes: bool,
    /// Serve as behind HTTPS at this origin (`secure_cookies` + `public_origin`).
    pub https_origin: Option<String>,
    /// Seconds between SLA sweeps (0: none).
    pub sla_sweep_seconds: u64,
    /// Seconds between the risk job's runs (0: none; tests that drive
    /// the machine's steps call `domain::risk::dispose::tick` themselves).
    pub risk_tick_seconds: u64,
    /// An HTTP SMS gateway: (URL, bearer token).
    pub sms_gateway: Option<(String, Option<String>)>,
    /// An SMTP server: (URL, sender).
    pub smtp: Option<(String, String)>,
    /// An HTTP voice gateway (risk warnings' calls): (URL, bearer token).
    pub voice_gateway: Option<(String, Option<String>)>,
    /// The leased background jobs (heat, outbox, SLA …); off for tests that
    /// compare what they read with the database while nothing else writes.
    pub background_jobs: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            limits: hongcha_server::config::LimitsConfig {
                login_per_ip: 1000,
                login_per_account: 1000,
                register_per_ip: 1000,
                code_per_ip: 1000,
                code_per_phone: 1000,
                post_per_account: 1000,
                upload_per_account: 1000,
                similar_per_ip: 1000,
            },
            body_limit: 64 * 1024,
            report_min_account_days: 0,
            trust_forwarded_for: false,
            dev_reveal_codes: true,
            https_origin: None,
            sla_sweep_seconds: 60,
            risk_tick_seconds: 5,
            sms_gateway: None,
            smtp: None,
            voice_gateway: None,
            background_jobs: true,
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options::default()).await
}

pub async fn spawn_app_with(backend: Backend, opts: Options) -> TestApp {
    // Server logs in test output (warnings and errors; `HONGCHA_LOG` for more).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            std::env::var("HONGCHA_LOG").unwrap_or_else(|_| "warn".into()),
        ))
        .with_test_writer()
        .try_init();
    let data_dir = tempfile::tempdir().expect("tempdir");
    let (database_url, pg_drop) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", data_dir.path().join("hongcha.db").display()),
            None,
        ),
        Backend::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            let name = format!("hongcha_test_{:016x}", rand::random::<u64>());
            let admin = domain::db::connect(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            (format!("{base}/{name}"), Some((admin_url.clone(), name)))
        }
    };
    let cfg = Config {
        database_url,
        bind: "127.0.0.1:0".into(),
        site_root: data_dir.path().join("site").display().to_string(),
        data_dir: data_dir.path().to_path_buf(),
        limits: opts.limits,
        body_limit: opts.body_limit,
        report_min_account_days: opts.report_min_account_days,
        trust_forwarded_for: opts.trust_forwarded_for,
        dev_reveal_codes: opts.dev_reveal_codes,
        secure_cookies: opts.https_origin.is_some(),
        public_origin: opts.https_origin,
        sla_sweep_seconds: opts.sla_sweep_seconds,
        risk_tick_seconds: opts.risk_tick_seconds,
        sms_gateway_url: opts.sms_gateway.as_ref().map(|(u, _)| u.clone()),
        sms_gateway_token: opts.sms_gateway.and_then(|(_, t)| t),
        background_jobs: opts.background_jobs,
        voice_gateway_url: opts.voice_gateway.as_ref().map(|(u, _)| u.clone()),
        voice_gateway_token: opts.voice_gateway.and_then(|(_, t)| t),
        smtp_url: opts.smtp.as_ref().map(|(u, _)| u.clone()),
        smtp_from: opts.smtp.map(|(_, f)| f),
        ..Config::default()
    };
    let config = cfg.clone();
    let app = Application::build(cfg).await.expect("server builds");
    let db = domain::db::connect(&config.database_url)
        .await
        .expect("test connection");
    let port = app.port();
    let services = app.services.clone();
    let server = tokio::spawn(async move {
        app.run_until_stopped().await.expect("server runs");
    });
    TestApp {
        backend,
        addr: format!("http://127.0.0.1:{port}"),
        services,
        db,
        data_dir,
        pg_drop,
        server,
        config,
    }
}

impl TestApp {
    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    }

    /// Another server instance on the same database (and data directory),
    /// as a second node behind a load balancer. Returns its base URL; it
    /// stops when the handle is aborted.
    pub async fn second_instance(&self) -> (String, tokio::task::JoinHandle<()>) {
        self.instance(self.config.clone()).await
    }

    /// The same, without the leased background jobs
    /// (`HONGCHA_BACKGROUND_JOBS=false`): a web node beside one that runs them.
    pub async fn web_only_instance(&self) -> (String, tokio::task::JoinHandle<()>) {
        let mut cfg = self.config.clone();
        cfg.background_jobs = false;
        self.instance(cfg).await
    }

    async fn instance(&self, cfg: Config) -> (String, tokio::task::JoinHandle<()>) {
        let app = Application::build(cfg)
            .await
            .expect("second instance builds");
        let addr = format!("http://127.0.0.1:{}", app.port());
        let handle = tokio::spawn(async move {
            app.run_until_stopped().await.expect("second instance runs");
        });
        (addr, handle)
    }

    /// Uploads a file to the staff's web import, as the page's form does.
    pub async fn upload_import(
        &self,
        c: &Client,
        name: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Response {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.into()).file_name(name.to_owned()),
        );
        c.post(self.url("/staff/import/upload"))
            .header("Origin", &self.addr)
            .header("Accept", "application/json")
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    /// Calls a server function the way the hydrated app does (same origin).
    pub async fn call(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("Origin", &self.addr)
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, client: &Client, path: &str) -> serde_json::Value {
        let res = client.get(self.url(path)).send().await.expect("request");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.expect("json")
    }

    pub async fn seed_demo(&self) -> Vec<domain::seed::DemoAccount> {
        domain::seed::seed_demo(&self.services, Some(DEMO_PASSWORD))
            .await
            .expect("seed demo")
    }

    /// Registers a resident the way the page does: asks for a code, reads
    /// it from the development SMS log, then signs up with it.
    pub async fn register(&self, client: &Client, phone: &str, name: &str) -> Response {
        let communities = domain::org::communities(&self.services).await.unwrap();
        let community = communities
            .first()
            .expect("seeded communities")
            .id
            .to_string();
        let code = self
            .sms_code(phone, || async {
                let res = self
                    .call(client, "request_register_code", &[("phone", phone)])
                    .await;
                assert!(
                    res.status().is_success(),
                    "request_register_code: {}",
                    res.status()
                );
            })
            .await;
        self.call(
            client,
            "register",
            &[
                ("phone", phone),
                ("code", &code),
                ("password", "correct horse"),
                ("display_name", name),
                ("community_id", &community),
            ],
        )
        .await
    }

    /// Runs `send` (something that sends `phone` a code) and returns the
    /// six-digit code of the first new SMS to `phone` in the development log.
    pub async fn sms_code<F, Fut>(&self, phone: &str, send: F) -> String
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        // The outbox names the number as stored: digits only.
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let number = &digits[digits.len().saturating_sub(11)..];
        let before = self.outbox_log().lines().count();
        send().await;
        for _ in 0..200 {
            let log = self.outbox_log();
            for line in log.lines().skip(before) {
                let v: serde_json::Value = serde_json::from_str(line).expect("outbox line");
                if v["to"] != number {
                    continue;
                }
                let body = v["body"].as_str().unwrap_or_default();
                if let Some(code) = six_digits(body) {
                    return code;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no code for {phone} in the outbox log");
    }

    /// A client logged in as a demo account (password [`DEMO_PASSWORD`]).
    pub async fn logged_in(&self, phone: &str) -> Client {
        let c = self.client();
        let res = self.login(&c, phone, DEMO_PASSWORD).await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "login {phone}: {}",
            res.status()
        );
        c
    }

    /// A freshly registered (code-verified), logged-in resident.
    pub async fn new_resident(&self, phone: &str) -> Client {
        let c = self.client();
        let res = self
            .register(&c, phone, &format!("居民{}", &phone[phone.len() - 4..]))
            .await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "register {phone}: {}",
            res.status()
        );
        let res = self.login(&c, phone, "correct horse").await;
        assert!(res.status().is_success() || res.status().is_redirection());
        c
    }

    /// Submits an opinion through the form's server function; its id.
    pub async fn submit(&self, c: &Client, community: &str, title: &str, key: &str) -> i64 {
        let res = self
            .call(
                c,
                "submit_opinion",
                &[
                    ("community_id", community),
                    ("location", ""),
                    ("category", "public_service"),
                    ("title", title),
                    ("body", "小区门口的路灯坏了好几天，晚上很黑"),
                    ("idempotency_key", key),
                ],
            )
            .await;
        assert_eq!(res.status(), reqwest::StatusCode::OK, "submit {title}");
        res.json().await.expect("opinion id")
    }

    /// The first demo community's id, as a form value.
    /// Publishes opinion `id` as the staff client `staff` would.
    pub async fn publish(&self, staff: &Client, id: i64) {
        let res = self
            .call(
                staff,
                "moderate_opinion",
                &[("id", &id.to_string()), ("decision", "approve")],
            )
            .await;
        assert!(res.status().is_success(), "publish {id}: {}", res.status());
    }

    pub async fn first_community(&self) -> String {
        domain::org::communities(&self.services).await.unwrap()[0]
            .id
            .to_string()
    }

    pub async fn login(&self, client: &Client, phone: &str, password: &str) -> Response {
        self.call(
            client,
            "login",
            &[("phone", phone), ("password", password), ("next", "")],
        )
        .await
    }

    pub fn outbox_log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("outbox.log")).unwrap_or_default()
    }

    pub async fn stop(mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
        self.services.close().await;
        self.db.clone().close().await.ok();
        if let Some((admin_url, name)) = self.pg_drop.take() {
            let admin = domain::db::connect(&admin_url).await.expect("connect");
            // A connection that was on its way in while the others were
            // ended makes PostgreSQL refuse the drop once; it is ended too
            // on the next try.
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let mut tries = 0;
            while let Err(e) = admin.execute_unprepared(&sql).await {
                tries += 1;
                assert!(tries < 10, "drop test database {name}: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            admin.close().await.ok();
        }
    }
}

/// The first run of exactly six digits in `s`.
pub fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_owned)
}

/// A real 1200×800 JPEG with an EXIF segment (a fake GPS position) after
/// SOI and hidden bytes after the image, as a phone might send.
pub fn jpeg_with_exif() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 7 * 30) as u8])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 85)
        .encode_image(&img)
        .expect("encode");
    let exif = b"Exif\0\0GPS 30.27N 120.15E";
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(exif);
    out.extend_from_slice(&plain[2..]);
    out.extend_from_slice(b"HIDDEN-TRAILER");
    out
}

/// An SMTP server on this machine that speaks just enough of the protocol
/// and hands back each mail's envelope (the `MAIL FROM` and `RCPT TO`
/// lines) and data; `reject` refuses every recipient. Returns its port.
pub async fn smtp_stand_in(
    reject: bool,
) -> (u16, tokio::sync::mpsc::Receiver<(Vec<String>, String)>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                let mut say = async |text: &[u8]| w.write_all(text).await.is_ok();
                if !say(b"220 stand-in ESMTP\r\n").await {
                    return;
                }
                let mut envelope = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let cmd = line.to_ascii_uppercase();
                    let answer: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        b"250-stand-in\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("MAIL FROM") || cmd.starts_with("RCPT TO") {
                        envelope.push(line.clone());
                        if reject && cmd.starts_with("RCPT") {
                            b"550 no such mailbox\r\n"
                        } else {
                            b"250 ok\r\n"
                        }
                    } else if cmd == "DATA" {
                        if !say(b"354 go on\r\n").await {
                            return;
                        }
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        let _ = tx.send((std::mem::take(&mut envelope), data)).await;
                        b"250 queued\r\n"
                    } else if cmd == "QUIT" {
                        say(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if !say(answer).await {
                        return;
                    }
                }
            });
        }
    });
    (port, rx)
}
