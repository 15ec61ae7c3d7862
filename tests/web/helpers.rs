//! The test harness: `TestApp::spawn` starts the real application on port 0 with its own
//! database (a SQLite file in a temp folder, or a fresh PostgreSQL database that is dropped
//! afterwards), and `Browser` is an HTTP client that keeps cookies and does not follow
//! redirects, like a person's browser with the redirects made visible.

use std::sync::LazyLock;

use diesel::prelude::*;
use diesel::{Connection, PgConnection, RunQueryDsl};
use gatehouse::clock::Clock;
use gatehouse::config::{MailTransport, SecretKey, Settings};
use gatehouse::db::{DatabaseUrl, Db};
use gatehouse::startup::Application;
use regex::Regex;
use reqwest::StatusCode;

/// Every log line the application writes during the test run, for the secret scan.
pub mod log_capture {
    use std::sync::{Mutex, Once};

    static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

    /// Prints what `RUST_LOG` asks for (as `env_logger` does in tests) and keeps every line
    /// at info level or above, whatever the filter.
    struct CapturingLogger(env_logger::Logger);

    impl log::Log for CapturingLogger {
        fn enabled(&self, metadata: &log::Metadata) -> bool {
            metadata.level() <= log::Level::Info || self.0.enabled(metadata)
        }

        fn log(&self, record: &log::Record) {
            if record.level() <= log::Level::Info {
                let line = format!("{} {}: {}", record.level(), record.target(), record.args());
                LINES.lock().unwrap().push(line);
            }
            if self.0.matches(record) {
                self.0.log(record);
            }
        }

        fn flush(&self) {}
    }

    pub fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let inner = env_logger::Builder::from_default_env()
                .is_test(true)
                .build();
            let max = inner.filter().max(log::LevelFilter::Info);
            if log::set_boxed_logger(Box::new(CapturingLogger(inner))).is_ok() {
                log::set_max_level(max);
            }
        });
    }

    /// A copy of the lines written so far (by every test in this process).
    pub fn lines() -> Vec<String> {
        LINES.lock().unwrap().clone()
    }
}

pub const PASSWORD: &str = "correct horse battery staple";
pub const ENV_POSTGRES: &str = "GATEHOUSE_TEST_DATABASE_URL";

/// Runs each scenario twice: on SQLite, and on PostgreSQL (ignored, with the reason
/// printed, unless `GATEHOUSE_TEST_DATABASE_URL` was set when the tests were built).
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn scenario($app: $crate::helpers::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    scenario($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    not(gatehouse_postgres_tests),
                    ignore = "PostgreSQL SKIPPED: set GATEHOUSE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
                )]
                async fn postgres() {
                    scenario($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await).await
                }
            }
        )*
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database owned by one test: removed when the test ends.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("gatehouse.db").display());
                Self {
                    url,
                    postgres: None,
                    _dir: dir,
                }
            }
            Backend::Postgres => {
                let server = std::env::var(ENV_POSTGRES).unwrap_or_else(|_| {
                    panic!(
                        "{ENV_POSTGRES} must point at a PostgreSQL server for the PostgreSQL tests"
                    )
                });
                let name = format!("gatehouse_test_{}", &gatehouse::crypto::random_id()[..16]);
                let mut conn = PgConnection::establish(&server)
                    .unwrap_or_else(|e| panic!("cannot connect to {ENV_POSTGRES}: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let mut url = url::Url::parse(&server).expect("valid URL");
                url.set_path(&name);
                // Loopback needs no TLS, and libpq's OpenSSL is torn down at process exit
                // while pool threads may still use it (an intermittent SIGSEGV at exit).
                if !url.query_pairs().any(|(key, _)| key == "sslmode") {
                    url.query_pairs_mut().append_pair("sslmode", "disable");
                }
                Self {
                    url: url.to_string(),
                    postgres: Some((server, name)),
                    _dir: dir,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub clock: Clock,
    pub setup_token: Option<String>,
    pub db: Db,
    pub settings: Settings,
    pub database: std::sync::Arc<TestDatabase>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let database = std::sync::Arc::new(TestDatabase::create(backend));
        Self::spawn_on(database, SecretKey::generate()).await
    }

    /// A new instance on its own database with some settings changed (`configure` sees the
    /// site's address, port included, already set).
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        let database = std::sync::Arc::new(TestDatabase::create(backend));
        Self::spawn_configured(database, SecretKey::generate(), configure).await
    }

    /// Another instance on the same database with the same secret key (one site, two servers).
    pub async fn spawn_second_instance(&self) -> Self {
        self.with_settings(|_| {}).await
    }

    /// Another instance on the same database, with some settings changed.
    pub async fn with_settings(&self, configure: impl FnOnce(&mut Settings)) -> Self {
        let key = self.settings.secret_key.clone().unwrap();
        Self::spawn_configured(self.database.clone(), key, configure).await
    }

    async fn spawn_on(database: std::sync::Arc<TestDatabase>, key: SecretKey) -> Self {
        Self::spawn_configured(database, key, |_| {}).await
    }

    async fn spawn_configured(
        database: std::sync::Arc<TestDatabase>,
        key: SecretKey,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        log_capture::install();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let settings = Settings {
            database_url: DatabaseUrl::parse(&database.url).unwrap(),
            addr: "127.0.0.1:0".parse().unwrap(),
            secret_key: Some(key),
            cookie_secure: false,
            bcrypt_cost: 4,
            pool_size: 4,
            mail: MailTransport::Files(database._dir.path().join("outbox")),
            // A name, not an IP: passkeys are bound to it (browsers reach it as localhost).
            base_url: format!("http://localhost:{port}"),
            trusted_proxies: Vec::new(),
            ip_rate_limit: None,
            ipv6_prefix: 64,
            body_timeout: std::time::Duration::from_secs(15),
            workers: Some(2),
            require_admin_2fa: false,
            site_name: "Gatehouse".into(),
            mail_from: "Gatehouse <no-reply@localhost>".parse().unwrap(),
            smtp_ca_file: None,
            oidc_providers: Vec::new(),
            oidc_discovery_attempts: 1,
            policies: Default::default(),
        };
        let mut settings = settings;
        configure(&mut settings);
        let clock = Clock::default();
        let app = Application::build_on(listener, settings.clone(), clock.clone())
            .await
            .expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let setup_token = app.setup_token().map(str::to_string);
        tokio::spawn(app.run_until_stopped());
        let (db, _) = Db::open(&settings.database_url, 2).unwrap();
        Self {
            address,
            clock,
            setup_token,
            db,
            settings,
            database,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// A browser with a freshly registered and logged-in account.
    pub async fn signed_up_browser(&self, name: &str, email: &str) -> Browser {
        let browser = self.browser();
        let response = browser.register(name, email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-up failed");
        browser
    }

    /// A browser logged in as the first admin, made through the one-time setup link.
    pub async fn admin_browser(&self) -> Browser {
        let token = self
            .setup_token
            .clone()
            .expect("a fresh app has a setup link");
        let browser = self.browser();
        let fields = [
            ("name", "Root"),
            ("email", "root@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        let response = browser.submit(&format!("/setup/{token}"), &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "setup failed");
        browser
    }

    /// Inserts `count` users `user001@example.com`… named `Given1 Family1`…, created one
    /// second apart; every 10th is an admin, every 7th disabled, every 3rd has logged in.
    pub async fn seed_users(&self, count: i64) {
        use gatehouse::db::schema::users;
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        self.query(move |conn| {
            conn.transaction(|conn| {
                for i in 1..=count {
                    diesel::insert_into(users::table)
                        .values((
                            users::email.eq(format!("user{i:03}@example.com")),
                            users::name.eq(format!("Given{i} Family{i}")),
                            users::password_hash.eq(&hash),
                            users::role.eq(if i % 10 == 0 { "admin" } else { "user" }),
                            users::active.eq(i % 7 != 0),
                            users::created_at.eq(1_700_000_000 + i),
                            users::updated_at.eq(1_700_000_000 + i),
                            users::last_login_at.eq((i % 3 == 0).then_some(1_750_000_000 - i)),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await;
    }

    /// Runs a query against the app's database.
    pub async fn query<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut gatehouse::db::DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> T {
        self.db
            .run(move |conn| Ok::<_, gatehouse::db::DbError>(work(conn)?))
            .await
            .expect("test query")
    }

    /// Runs the `gatehouse` binary on this app's database, secret key and outbox, as an
    /// operator on the server would (nothing else inherited from the caller's environment).
    pub fn command_line(&self, args: &[&str]) -> std::process::Output {
        let MailTransport::Files(outbox) = &self.settings.mail else {
            panic!("tests mail to files");
        };
        let key = self.settings.secret_key.as_ref().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        for (name, _) in std::env::vars() {
            if name == "DATABASE_URL" || name.starts_with("GATEHOUSE_") {
                command.env_remove(name);
            }
        }
        command
            .current_dir(self.database._dir.path())
            .env("DATABASE_URL", &self.database.url)
            .env("GATEHOUSE_SECRET_KEY", hex::encode(key.as_bytes()))
            .env("GATEHOUSE_MAIL", format!("file:{}", outbox.display()))
            .env("GATEHOUSE_BCRYPT_COST", "4")
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .expect("the gatehouse binary runs")
    }

    /// The raw `.eml` messages in this app's outbox (file mail transport).
    pub fn mails(&self) -> Vec<String> {
        let MailTransport::Files(dir) = &self.settings.mail else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
            .map(|raw| raw.replace("=\r\n", "").replace("\r\n", "\n"))
            .collect()
    }

    /// Waits (up to 10 s) for a mail to `to` whose text contains `needle`; mail is sent in the background.
    pub async fn wait_for_mail(&self, to: &str, needle: &str) -> String {
        for _ in 0..200 {
            if let Some(mail) = self
                .mails()
                .into_iter()
                .find(|m| m.contains(&format!("To: {to}")) && m.contains(needle))
            {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "no mail to {to} containing {needle:?}; outbox: {:?}",
            self.mails()
        );
    }

    /// How many statements of each kind (`read`, `write`, `check`, `other`) the app's
    /// connections have run, from `/metrics` (read by a client without a session).
    pub async fn queries(&self) -> std::collections::HashMap<String, u64> {
        let text = reqwest::get(format!("{}/metrics", self.address))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let line = Regex::new(r#"(?m)^gatehouse_db_queries_total\{kind="(\w+)"\} (\d+)$"#).unwrap();
        line.captures_iter(&text)
            .map(|c| (c[1].to_string(), c[2].parse().unwrap()))
            .collect()
    }

    /// The statements of each kind that `request` made the app run.
    pub async fn queries_of<F: std::future::Future>(
        &self,
        request: F,
    ) -> (F::Output, std::collections::HashMap<String, u64>) {
        let before = self.queries().await;
        let output = request.await;
        let after = self.queries().await;
        let made = after
            .iter()
            .map(|(kind, n)| (kind.clone(), n - before.get(kind).copied().unwrap_or(0)))
            .collect();
        (output, made)
    }

    pub async fn count_users(&self) -> i64 {
        use gatehouse::db::schema::users;
        self.query(|conn| users::table.count().get_result(conn))
            .await
    }

    pub async fn count_sessions(&self) -> i64 {
        use gatehouse::db::schema::sessions;
        self.query(|conn| sessions::table.count().get_result(conn))
            .await
    }

    /// (action, outcome, target, detail) of every audit row, oldest first.
    pub async fn audit_rows(&self) -> Vec<(String, String, Option<String>, Option<String>)> {
        use gatehouse::db::schema::audit_events as a;
        self.query(|conn| {
            a::table
                .order(a::id.asc())
                .select((a::action, a::outcome, a::target, a::detail))
                .load(conn)
        })
        .await
    }

    pub async fn set_active(&self, email: &'static str, active: bool) {
        use gatehouse::db::schema::users;
        self.query(move |conn| {
            diesel::update(users::table.filter(users::email.eq(email)))
                .set(users::active.eq(active))
                .execute(conn)
        })
        .await;
    }
}

static CSRF_META: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<meta name="csrf-token" content="([0-9a-f]+)">"#).unwrap());

/// A cookie-keeping HTTP client that shows redirects instead of following them.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self::with_headers(base, reqwest::header::HeaderMap::new())
    }

    /// A browser behind a proxy that reports it as `ip` in `X-Forwarded-For`.
    pub fn forwarded_for(base: &str, ip: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        Self::with_headers(base, headers)
    }

    fn with_headers(base: &str, headers: reqwest::header::HeaderMap) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0")
            .build()
            .unwrap();
        Self {
            base: base.to_string(),
            client,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        (response.status(), response.text().await.unwrap())
    }

    /// The token the site put in this browser's pages.
    pub async fn csrf_token(&self) -> String {
        let (_, html) = self.get_text("/").await;
        csrf_token_in(&html).expect("every page carries a csrf-token meta tag")
    }

    /// Submits a form the way the site's own page would, with the CSRF token.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.post_raw(path, &form).await
    }

    /// Posts exactly these fields (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    pub async fn register(&self, name: &str, email: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/register",
            &[
                ("name", name),
                ("email", email),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit("/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn logout(&self) -> reqwest::Response {
        self.submit("/logout", &[]).await
    }

    /// The value of the session cookie, to copy into another client.
    pub fn session_cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find(|c| c.starts_with("gatehouse_session="))
            .map(str::to_string)
    }

    /// A browser that presents exactly this cookie (a stolen or copied cookie).
    pub fn with_cookie(base: &str, cookie: &str) -> Self {
        let browser = Self::new(base);
        browser
            .jar
            .add_cookie_str(&format!("{cookie}; Path=/"), &base.parse().unwrap());
        browser
    }
}

pub fn csrf_token_in(html: &str) -> Option<String> {
    CSRF_META.captures(html).map(|c| c[1].to_string())
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

static NEW_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<code id="new-token">(gh_[0-9a-f]{64})</code>"#).unwrap());

impl Browser {
    /// Creates a personal API token on `/profile/tokens` and reads it off the next page.
    pub async fn create_api_token(&self, name: &str, expires_days: &str) -> String {
        let response = self
            .submit(
                "/profile/tokens",
                &[("name", name), ("expires_days", expires_days)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "token creation failed"
        );
        let (_, html) = self.get_text("/profile/tokens").await;
        NEW_TOKEN
            .captures(&html)
            .map(|c| c[1].to_string())
            .expect("the new token is shown once")
    }

    /// Sends a JSON request with this browser's cookies (and any extra headers).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        ApiResponse::read(request.send().await.expect("API request")).await
    }
}

/// A script calling `/api` with a bearer token (or without one).
pub struct ApiClient {
    pub base: String,
    token: Option<String>,
    client: reqwest::Client,
}

/// An API answer, read whole: status, headers, raw body and the body as JSON (`Null` if none).
#[derive(Debug)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: serde_json::Value,
}

impl ApiResponse {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Self {
            status,
            headers,
            text,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an error answer: this status, JSON `{"error": …}`, never HTML.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{:?}: {}",
            self.headers,
            self.text
        );
        assert!(self.json["error"].is_string(), "{}", self.text);
        self
    }
}

impl ApiClient {
    pub fn new(base: &str, token: Option<&str>) -> Self {
        Self {
            base: base.to_string(),
            token: token.map(str::to_string),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> ApiResponse {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        ApiResponse::read(request.send().await.expect("API request")).await
    }

    pub async fn get(&self, path: &str) -> ApiResponse {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> ApiResponse {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> ApiResponse {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> ApiResponse {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

impl TestApp {
    /// An API client with a fresh token of the first admin (made through the setup link).
    pub async fn admin_api(&self) -> (Browser, ApiClient) {
        let browser = self.admin_browser().await;
        let token = browser.create_api_token("admin script", "").await;
        (browser, ApiClient::new(&self.address, Some(&token)))
    }

    /// An API client with a fresh token of a newly signed-up user.
    pub async fn user_api(&self, name: &str, email: &str) -> (Browser, ApiClient) {
        let browser = self.signed_up_browser(name, email).await;
        let token = browser.create_api_token("user script", "").await;
        (browser, ApiClient::new(&self.address, Some(&token)))
    }

    /// The id of the account with this email.
    pub async fn user_id(&self, email: &'static str) -> i64 {
        use gatehouse::db::schema::users;
        self.query(move |conn| {
            users::table
                .filter(users::email.eq(email))
                .select(users::id)
                .first(conn)
        })
        .await
    }
}

/// The tests' authenticator app: the code for `secret` (base32, as the set-up page shows
/// it, spaces allowed) at the unix time `now`.
pub fn totp_code(secret: &str, now: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret.replace(' ', "")).expect("base32");
    totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .expect("a valid secret")
        .generate(now as u64)
        .to_string()
}

static TOTP_SECRET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"id="totp-secret">([A-Z2-7 ]+)<"#).unwrap());
static RECOVERY_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>").unwrap()
});

/// What a person keeps after turning two-step login on: the secret in their app, and the
/// recovery codes they wrote down.
pub struct TwoFactor {
    pub secret: String,
    pub recovery_codes: Vec<String>,
}

impl TwoFactor {
    /// The code the app shows at the app's current time.
    pub fn code(&self, app: &TestApp) -> String {
        totp_code(&self.secret, app.clock.now())
    }
}

/// The secret shown on a set-up page.
pub fn totp_secret_in(html: &str) -> Option<String> {
    TOTP_SECRET.captures(html).map(|c| c[1].to_string())
}

/// The recovery codes shown on a page.
pub fn recovery_codes_in(html: &str) -> Vec<String> {
    RECOVERY_CODE
        .captures_iter(html)
        .map(|c| c[1].to_string())
        .collect()
}

impl Browser {
    /// Turns two-step login on through its page, as a person would: reads the secret, types
    /// the app's code, keeps the recovery codes. The clock then moves on one 30-second step,
    /// so the next code the app shows is a new one.
    pub async fn turn_on_two_factor(&self, app: &TestApp) -> TwoFactor {
        let (status, html) = self.get_text("/profile/two-factor").await;
        assert_eq!(status, StatusCode::OK, "the set-up page: {html}");
        let secret = totp_secret_in(&html).expect("the set-up page shows the secret");
        let code = totp_code(&secret, app.clock.now());
        let response = self.submit("/profile/two-factor", &[("code", &code)]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let recovery_codes = recovery_codes_in(&response.text().await.unwrap());
        assert_eq!(recovery_codes.len(), 10, "ten recovery codes are shown");
        app.clock.advance(30);
        TwoFactor {
            secret,
            recovery_codes,
        }
    }

    /// Logs in with the password and then the code: both steps of a two-step login.
    pub async fn login_with_code(
        &self,
        email: &str,
        password: &str,
        code: &str,
    ) -> reqwest::Response {
        let response = self.login(email, password).await;
        assert_eq!(
            location(&response),
            "/login/two-factor",
            "the password leads to the second step"
        );
        self.submit("/login/two-factor", &[("code", code)]).await
    }
}

impl TestApp {
    /// The site as a browser reaches it: `http://localhost:PORT` (`settings.base_url`), the
    /// only address passkeys work on (an IP address cannot be a WebAuthn relying party).
    /// The browser suite browses it.
    #[allow(dead_code)]
    pub fn site_address(&self) -> String {
        self.settings.base_url.clone()
    }
}
