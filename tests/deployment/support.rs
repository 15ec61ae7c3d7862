//! What the deployment tests run: `gatehouse` processes (the binary Cargo built), Debian's
//! nginx with a generated configuration, a database on the shared PostgreSQL server or a
//! PostgreSQL cluster of the test's own, and an HTTP client that says which instance
//! answered. Everything listens on loopback, on ports the kernel picked, and is stopped and
//! removed when its value is dropped (a failing test included).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use regex::Regex;

pub const PASSWORD: &str = "correct horse battery staple";
/// Where the shared PostgreSQL server is named (as for the other suites).
pub const ENV_POSTGRES: &str = "GATEHOUSE_TEST_DATABASE_URL";
/// The header the generated nginx configuration reads to send a request to one instance
/// (`1` or `2`); without it nginx balances round robin.
pub const PIN_HEADER: &str = "x-test-instance";
/// The header nginx adds to every answer: which upstream(s) it tried, as `$upstream_addr`.
pub const UPSTREAM_HEADER: &str = "x-upstream";

// ---------------------------------------------------------------------------------------
// Skipping, outside CI only

/// True when run by CI (`CI=true`, as `.ci/run` and most CI services set it).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// The tool, or — when it is missing — `None` after printing `DEPLOYMENT SKIPPED` (outside
/// CI), or a failure (in CI: a missing tool must not pass as a green run).
pub fn require<T>(found: Result<T, String>) -> Option<T> {
    match found {
        Ok(tool) => Some(tool),
        Err(reason) if in_ci() => panic!("{reason} (CI=true: the deployment tests must run)"),
        Err(reason) => {
            println!("DEPLOYMENT SKIPPED: {reason}");
            None
        }
    }
}

/// Debian's nginx.
pub fn nginx_binary() -> Result<PathBuf, String> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .ok_or_else(|| "nginx is not installed: apt-get install nginx".to_string())
}

/// The shared PostgreSQL server, answering.
pub fn postgres_server() -> Result<String, String> {
    let url = std::env::var(ENV_POSTGRES)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .ok_or_else(|| {
            format!("{ENV_POSTGRES} is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)")
        })?;
    PgConnection::establish(&url).map_err(|e| format!("{ENV_POSTGRES} does not answer: {e}"))?;
    Ok(url)
}

/// The folder of Debian's PostgreSQL server programs (`initdb`, `postgres`), newest version.
pub fn postgres_programs() -> Result<PathBuf, String> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "PostgreSQL's server programs are not installed: apt-get install postgresql")?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").exists() && bin.join("postgres").exists()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no /usr/lib/postgresql/*/bin/initdb: apt-get install postgresql".into())
}

// ---------------------------------------------------------------------------------------
// Odds and ends

/// One deployment test at a time: their numbers are about timing, on a small machine.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

/// A loopback address of the 127/8 block (Linux answers on all of it): each test client
/// gets its own, so nginx's own address (127.0.0.1) never stands for a client.
pub fn client_address(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

pub fn random_hex(bytes: usize) -> String {
    (0..bytes.div_ceil(32))
        .map(|_| gatehouse::crypto::random_token())
        .collect::<String>()[..bytes * 2]
        .to_string()
}

/// Seconds since `start`, for the printed timelines.
pub fn seconds(start: Instant, at: Instant) -> f64 {
    at.saturating_duration_since(start).as_secs_f64()
}

fn signal(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: sending a signal to our own child, which we have not reaped yet.
    unsafe { libc::kill(pid, signal) };
}

/// Waits for `child` to exit, at most `within`.
async fn wait_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn log_file(path: &Path) -> (Stdio, Stdio) {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("log file");
    (file.try_clone().unwrap().into(), file.into())
}

/// The last lines of a log, for a failure message.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

// ---------------------------------------------------------------------------------------
// Databases

/// A fresh database on a PostgreSQL server, dropped when this value is.
pub struct PgDatabase {
    pub url: String,
    server: String,
    name: String,
}

impl PgDatabase {
    pub fn create(server: &str) -> Self {
        let name = format!("gatehouse_deploy_{}", &gatehouse::crypto::random_id()[..12]);
        let mut conn = PgConnection::establish(server).expect("the PostgreSQL server answers");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("CREATE DATABASE");
        let mut url = url::Url::parse(server).expect("a URL");
        url.set_path(&name);
        url.set_query(Some("sslmode=disable"));
        Self {
            url: url.to_string(),
            server: server.to_string(),
            name,
        }
    }

    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("the test database answers")
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.server) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// A PostgreSQL cluster of the test's own (`initdb` in a temp folder, `postgres` on a free
/// loopback port), to stop and start at will. Run as the `postgres` user when the test runs
/// as root (the server refuses root).
pub struct Cluster {
    pub port: u16,
    programs: PathBuf,
    dir: tempfile::TempDir,
    user: Option<(libc::uid_t, libc::gid_t)>,
    server: Option<Child>,
}

impl Cluster {
    pub fn create(programs: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // SAFETY: geteuid has no preconditions.
        let user = (unsafe { libc::geteuid() } == 0).then(postgres_user);
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let cluster = Self {
            port: free_port(),
            programs: programs.to_path_buf(),
            dir,
            user,
            server: None,
        };
        let (out, err) = log_file(&cluster.log());
        let status = cluster
            .command("initdb")
            .args([
                "-D",
                &cluster.data(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
            ])
            .args(["--no-sync", "--no-instructions"])
            .stdout(out)
            .stderr(err)
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed:\n{}", tail(&cluster.log()));
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    pub fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn command(&self, program: &str) -> Command {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new(self.programs.join(program));
        command.current_dir(self.dir.path()).stdin(Stdio::null());
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid).env("HOME", self.dir.path());
        }
        command
    }

    /// The URL of a database of this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    /// Starts the server and waits until it answers.
    pub async fn start(&mut self) {
        let (out, err) = log_file(&self.log());
        let socket_dir = self.dir.path().display().to_string();
        let child = self
            .command("postgres")
            .args(["-D", &self.data(), "-p", &self.port.to_string()])
            .args(["-k", &socket_dir, "-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "max_connections=40", "-c", "shared_buffers=16MB"])
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("postgres starts");
        self.server = Some(child);
        let url = self.url("postgres");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let url = url.clone();
            let answers =
                tokio::task::spawn_blocking(move || PgConnection::establish(&url).is_ok());
            if answers.await.unwrap() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start:\n{}",
                tail(&self.log())
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A fast shutdown (what a restart does first): ends every connection, and waits for
    /// the server to exit.
    pub async fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            signal(&server, libc::SIGINT);
            if wait_exit(&mut server, Duration::from_secs(30))
                .await
                .is_none()
            {
                let _ = server.kill();
                let _ = server.wait();
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            signal(&server, libc::SIGQUIT);
            let _ = server.wait();
        }
    }
}

fn postgres_user() -> (libc::uid_t, libc::gid_t) {
    // SAFETY: a NUL-terminated name; the record is read before any other getpw* call.
    unsafe {
        let record = libc::getpwnam(c"postgres".as_ptr());
        assert!(
            !record.is_null(),
            "running as root, and no postgres user to run the server as"
        );
        ((*record).pw_uid, (*record).pw_gid)
    }
}

// ---------------------------------------------------------------------------------------
// Gatehouse

/// The binary under test, as Cargo built it for this test run.
pub const GATEHOUSE: &str = env!("CARGO_BIN_EXE_gatehouse");

/// The settings of one site: what every instance of it is started with.
#[derive(Clone)]
pub struct SiteSettings {
    pub database_url: String,
    pub secret_key: String,
    pub base_url: String,
    pub ip_rate_limit: String,
    pub outbox: PathBuf,
}

impl SiteSettings {
    pub fn new(database_url: &str, dir: &Path, ip_rate_limit: &str) -> Self {
        Self {
            database_url: database_url.to_string(),
            secret_key: random_hex(64),
            base_url: "http://localhost".into(),
            ip_rate_limit: ip_rate_limit.into(),
            outbox: dir.join("outbox"),
        }
    }

    fn apply(&self, command: &mut Command) {
        for (name, _) in std::env::vars() {
            if name.starts_with("GATEHOUSE_") || name == "DATABASE_URL" || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        command
            .env("DATABASE_URL", &self.database_url)
            .env("GATEHOUSE_SECRET_KEY", &self.secret_key)
            .env("GATEHOUSE_BASE_URL", &self.base_url)
            .env("GATEHOUSE_COOKIE_SECURE", "false")
            .env("GATEHOUSE_BCRYPT_COST", "4")
            .env("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1")
            .env("GATEHOUSE_IP_RATE_LIMIT", &self.ip_rate_limit)
            .env("GATEHOUSE_MAIL", format!("file:{}", self.outbox.display()))
            .env("RUST_LOG", "info");
    }

    /// Runs a command of the binary to the end (e.g. `create-admin`), with `stdin` as its
    /// input; panics with its output when it fails.
    pub fn run(&self, args: &[&str], stdin: &str) -> String {
        use std::io::Write;
        let mut command = Command::new(GATEHOUSE);
        self.apply(&mut command);
        let mut child = command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gatehouse runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "gatehouse {args:?} failed:\n{text}"
        );
        text
    }
}

/// One `gatehouse serve` process on its own port, restartable on the same port.
pub struct Instance {
    pub name: &'static str,
    pub port: u16,
    settings: SiteSettings,
    log: PathBuf,
    child: Option<Child>,
}

impl Instance {
    pub fn new(name: &'static str, settings: &SiteSettings, dir: &Path) -> Self {
        Self {
            name,
            port: free_port(),
            settings: settings.clone(),
            log: dir.join(format!("{name}.log")),
            child: None,
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the process and waits until `/healthz` answers 200; returns how long that took.
    pub async fn start(&mut self) -> Duration {
        let started = Instant::now();
        let (out, err) = log_file(&self.log);
        let mut command = Command::new(GATEHOUSE);
        self.settings.apply(&mut command);
        let child = command
            .arg("serve")
            .env("GATEHOUSE_ADDR", self.address())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("gatehouse starts");
        self.child = Some(child);
        self.wait_healthy(Duration::from_secs(60)).await;
        started.elapsed()
    }

    async fn wait_healthy(&mut self, within: Duration) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let url = format!("http://{}/healthz", self.address());
        let deadline = Instant::now() + within;
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("{} exited ({status}):\n{}", self.name, tail(&self.log));
            }
            assert!(
                Instant::now() < deadline,
                "{} is not healthy:\n{}",
                self.name,
                tail(&self.log)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGTERM, then waits for the process to finish what is in flight and exit.
    pub async fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        signal(&child, libc::SIGTERM);
        wait_exit(&mut child, Duration::from_secs(45))
            .await
            .unwrap_or_else(|| panic!("{} did not stop:\n{}", self.name, tail(&self.log)))
    }

    /// SIGKILL: the process ends at once, wherever it was.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }

    pub fn log(&self) -> &Path {
        &self.log
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------
// nginx

/// Debian's nginx in front of the instances, with a configuration written for the test:
/// round robin over all of them, passive failure detection, retries of what nginx may
/// retry (a connection refused, or an idempotent request that failed), the client's
/// address in `X-Forwarded-For`, and `X-Upstream` on each answer.
pub struct Nginx {
    pub port: u16,
    dir: PathBuf,
    /// The instances' addresses, and whether each is taken out of the rotation.
    upstreams: Vec<(String, bool)>,
    child: Option<Child>,
}

impl Nginx {
    pub async fn start(binary: &Path, dir: &Path, upstreams: &[&Instance]) -> Self {
        let dir = dir.join("nginx");
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        let port = free_port();
        let upstreams: Vec<(String, bool)> =
            upstreams.iter().map(|i| (i.address(), false)).collect();
        std::fs::write(dir.join("nginx.conf"), config(&dir, port, &upstreams)).unwrap();
        let (out, err) = log_file(&dir.join("logs/stderr.log"));
        let child = Command::new(binary)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("nginx starts");
        let mut nginx = Self {
            port,
            dir,
            upstreams,
            child: Some(child),
        };
        nginx.wait_listening().await;
        nginx
    }

    /// Takes instance `n` (1, 2, …) out of the round robin (`down`), or puts it back, the
    /// way an operator does: a new configuration and `nginx -s reload` (SIGHUP). Returns
    /// once every worker of the old configuration has finished its requests and exited, so
    /// that no request reaches an instance taken out from then on.
    pub async fn set_down(&mut self, n: usize, down: bool) {
        self.upstreams[n - 1].1 = down;
        let config = config(&self.dir, self.port, &self.upstreams);
        std::fs::write(self.dir.join("nginx.conf"), config).unwrap();
        let master = self.child.as_ref().expect("running");
        let old = workers_of(master.id());
        signal(master, libc::SIGHUP);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = workers_of(master.id());
            if !now.is_empty() && now.iter().all(|pid| !old.contains(pid)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not reload:\n{}",
                self.error_log()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("nginx exited ({status}):\n{}", self.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "nginx does not listen:\n{}",
                self.error_log()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn error_log(&self) -> String {
        format!(
            "{}\n{}",
            tail(&self.dir.join("logs/stderr.log")),
            tail(&self.dir.join("logs/error.log"))
        )
    }

    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(&child, libc::SIGTERM);
            let _ = child.wait();
        }
    }
}

/// The processes whose parent is `master` (nginx's workers).
fn workers_of(master: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid = entry.ok()?.file_name().to_str()?.parse::<u32>().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // pid (comm) state ppid …: the command may hold spaces, so read after the ')'.
            let ppid = stat.rsplit(')').next()?.split_whitespace().nth(1)?;
            (ppid.parse::<u32>().ok()? == master).then_some(pid)
        })
        .collect()
}

fn config(dir: &Path, port: u16, upstreams: &[(String, bool)]) -> String {
    let dir = dir.display();
    let servers: String = upstreams
        .iter()
        .map(|(address, down)| {
            let down = if *down { " down" } else { "" };
            format!("        server {address} max_fails=1 fail_timeout=1s{down};\n")
        })
        .collect();
    let pinned: String = upstreams
        .iter()
        .enumerate()
        .map(|(i, (address, _))| {
            format!(
                "    upstream gatehouse_{n} {{\n        server {address};\n    }}\n",
                n = i + 1
            )
        })
        .collect();
    let pins: String = (1..=upstreams.len())
        .map(|n| format!("        \"{n}\" gatehouse_{n};\n"))
        .collect();
    // Run as root (as in CI), nginx would hand its workers to `nobody`, who cannot enter
    // the test's private temp folder.
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root root;\n"
    } else {
        ""
    };
    format!(
        r#"# Written by tests/deployment for one test run.
{user}daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;

events {{
    worker_connections 512;
}}

http {{
    log_format upstreams '$remote_addr "$request" $status upstream=$upstream_addr '
                         'upstream_status=$upstream_status time=$request_time';
    access_log {dir}/logs/access.log upstreams;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    upstream gatehouse {{
{servers}    }}
{pinned}
    # Tests send a request to one instance with `{PIN_HEADER}: N`; anything else is
    # balanced round robin.
    map $http_x_test_instance $gatehouse_upstream {{
{pins}        default gatehouse;
    }}

    server {{
        listen 127.0.0.1:{port};

        location / {{
            proxy_pass http://$gatehouse_upstream;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 2s;
            # A refused connection is retried on the next instance whatever the method (the
            # request never left); a sent POST is not (it may have been done).
            proxy_next_upstream error timeout http_502 http_503;
            proxy_max_temp_file_size 0;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"#
    )
}

// ---------------------------------------------------------------------------------------
// The client

static CSRF_META: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<meta name="csrf-token" content="([0-9a-f]+)">"#).unwrap());

/// What came back, with which instance answered (`X-Upstream`).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub upstream: String,
    pub location: String,
    pub retry_after: Option<u64>,
    pub body: String,
}

impl Answer {
    pub fn csrf_token(&self) -> String {
        CSRF_META
            .captures(&self.body)
            .map(|c| c[1].to_string())
            .unwrap_or_else(|| panic!("no csrf-token on this page ({})", self.status))
    }

    /// The instance that answered in the end (the last of `$upstream_addr`).
    pub fn answered_by(&self) -> &str {
        self.upstream.rsplit(", ").next().unwrap_or_default()
    }
}

/// A person's browser, as far as Gatehouse can tell: keeps cookies, shows redirects, and
/// connects from its own loopback address.
#[derive(Clone)]
pub struct Visitor {
    client: reqwest::Client,
    base: String,
    from: IpAddr,
    keep_alive: bool,
}

/// Which instance nginx should send a request to: any (round robin) or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Any,
    Instance(u8),
}

impl Visitor {
    pub fn new(base: &str, from: IpAddr) -> Self {
        Self::with_keep_alive(base, from, true)
    }

    /// A visitor that opens a connection for each request. A browser sends a request again
    /// when the idle connection it reused turns out closed (as nginx closes them when it
    /// reloads its configuration); this client would report an error instead.
    pub fn without_keep_alive(base: &str, from: IpAddr) -> Self {
        Self::with_keep_alive(base, from, false)
    }

    fn with_keep_alive(base: &str, from: IpAddr, keep_alive: bool) -> Self {
        let mut builder = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .local_address(from)
            .timeout(Duration::from_secs(30));
        if !keep_alive {
            builder = builder.pool_max_idle_per_host(0);
        }
        Self {
            client: builder.build().unwrap(),
            base: base.to_string(),
            from,
            keep_alive,
        }
    }

    /// Another browser on the same machine: same address, no cookies yet.
    pub fn fresh(&self) -> Self {
        Self::with_keep_alive(&self.base, self.from, self.keep_alive)
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        via: Via,
    ) -> Result<Answer, reqwest::Error> {
        let request = match via {
            Via::Any => request,
            Via::Instance(n) => request.header(PIN_HEADER, n.to_string()),
        };
        let response = request.send().await?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let (upstream, location) = (header(UPSTREAM_HEADER), header("location"));
        let retry_after = header("retry-after").parse().ok();
        let status = response.status().as_u16();
        let body = response.text().await?;
        Ok(Answer {
            status,
            upstream,
            location,
            retry_after,
            body,
        })
    }

    pub async fn try_get(&self, path: &str, via: Via) -> Result<Answer, reqwest::Error> {
        self.send(self.client.get(format!("{}{path}", self.base)), via)
            .await
    }

    pub async fn try_post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        via: Via,
    ) -> Result<Answer, reqwest::Error> {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        self.send(request, via).await
    }

    pub async fn get(&self, path: &str, via: Via) -> Answer {
        self.try_get(path, via).await.expect("GET answered")
    }

    /// Submits a form as the site's own page would: the page's token first (from `page`).
    pub async fn submit(
        &self,
        page: &str,
        path: &str,
        fields: &[(&str, &str)],
        via: Via,
    ) -> Answer {
        let token = self.get(page, via).await.csrf_token();
        let mut form = fields.to_vec();
        form.push(("csrf_token", &token));
        self.try_post(path, &form, via)
            .await
            .expect("POST answered")
    }

    pub async fn login(&self, email: &str, password: &str, via: Via) -> Answer {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
            via,
        )
        .await
    }

    pub async fn register(&self, name: &str, email: &str, via: Via) -> Answer {
        let fields = [
            ("name", name),
            ("email", email),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        self.submit("/register", "/register", &fields, via).await
    }
}
