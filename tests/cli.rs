//! The `gatehouse` binary as an operator uses it: configuration errors, subcommands, the
//! first start on a fresh folder, and a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";

/// The binary with a clean environment (no configuration inherited from the caller).
fn gatehouse(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .current_dir(dir)
        .env("GATEHOUSE_BCRYPT_COST", "4")
        .env("RUST_LOG", "info");
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL"
            || (name.starts_with("GATEHOUSE_") && name != "GATEHOUSE_BCRYPT_COST")
        {
            command.env_remove(name);
        }
    }
    command
}

fn create_admin(dir: &Path, email: &str, password: &str) -> Output {
    let mut child = gatehouse(dir)
        .args(["create-admin", "--email", email, "--name", "Root"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_bad_configuration_value_stops_start_up_with_exit_code_2_and_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (variable, value) in [
        ("GATEHOUSE_BCRYPT_COST", "99"),
        ("DATABASE_URL", "host=localhost dbname=x"),
        ("GATEHOUSE_ADDR", "everywhere"),
    ] {
        let output = gatehouse(dir.path())
            .env(variable, value)
            .arg("migrate")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{variable}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("gatehouse: {variable}: ")),
            "{stderr}"
        );
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[test]
fn migrate_applies_the_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = gatehouse(dir.path()).arg("migrate").output().unwrap();
    assert!(first.status.success());
    let applied = String::from_utf8_lossy(&first.stdout).to_string();
    let pattern =
        regex::Regex::new(r"^[1-9]\d* migration\(s\) applied to sqlite://data/gatehouse\.db")
            .unwrap();
    assert!(pattern.is_match(&applied), "{applied}");
    let second = gatehouse(dir.path()).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).starts_with("0 migration(s) applied"));
}

#[test]
fn create_admin_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let output = create_admin(dir.path(), "root@example.com", PASSWORD);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .starts_with("Created admin root@example.com (id 1)")
    );
    let again = create_admin(dir.path(), "ROOT@example.com", PASSWORD);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("email: An account with this email already exists.")
    );
}

#[test]
fn an_admin_made_on_the_command_line_counts_as_verified_and_gets_no_mail() {
    use diesel::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    assert!(
        create_admin(dir.path(), "root@example.com", PASSWORD)
            .status
            .success()
    );
    let path = dir.path().join("data/gatehouse.db");
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let verified: Option<i64> =
        diesel::sql_query("SELECT email_verified_at FROM users WHERE email = 'root@example.com'")
            .get_result::<VerifiedAt>(&mut conn)
            .unwrap()
            .email_verified_at;
    assert!(verified.is_some(), "the operator vouches for the address");
    let outbox = std::fs::read_dir(dir.path().join("data/outbox")).map_or(0, |mails| mails.count());
    assert_eq!(outbox, 0, "no verification mail");
}

#[derive(diesel::QueryableByName)]
struct VerifiedAt {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    email_verified_at: Option<i64>,
}

#[test]
fn create_admin_refuses_an_address_with_a_display_name() {
    let dir = tempfile::tempdir().unwrap();
    let output = create_admin(dir.path(), "ceo.name<attacker@evil.io>", PASSWORD);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("email: Enter an email address like name@example.com.")
    );
}

#[test]
fn create_admin_refuses_a_weak_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = create_admin(dir.path(), "root@example.com", "password");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("password: This password is too common")
    );
}

#[test]
fn a_first_start_creates_its_data_logs_the_setup_link_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = gatehouse(dir.path())
        .env("GATEHOUSE_ADDR", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut port, mut setup_link) = (None, false);
    let started = Instant::now();
    while port.is_none() && started.elapsed() < Duration::from_secs(30) {
        let Some(Ok(line)) = lines.next() else { break };
        setup_link |= line.contains("Create the first admin at http://localhost:0/setup/");
        if let Some(rest) = line
            .split("Gatehouse listening on http://127.0.0.1:")
            .nth(1)
        {
            port = rest.trim().parse::<u16>().ok();
        }
    }
    let port = port.expect("the server says where it listens");
    assert!(setup_link, "a fresh install logs the one-time setup URL");
    let health = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut stream| {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut reply = String::new();
        std::io::Read::read_to_string(&mut stream, &mut reply)?;
        Ok(reply)
    });
    assert!(health.unwrap().starts_with("HTTP/1.1 200"));
    assert!(dir.path().join("data/gatehouse.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data/secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        std::thread::spawn(move || lines.for_each(drop));
        let status = child.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(0),
            "SIGTERM ends the server with exit code 0"
        );
    }
}

#[test]
fn seed_users_adds_fake_users_once_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = gatehouse(dir.path())
        .args(["seed-users", "--count", "2500"])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .starts_with("Inserted 2500 users (0 already existed)")
    );
    let again = gatehouse(dir.path())
        .args(["seed-users", "--count", "2600"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .starts_with("Inserted 100 users (2500 already existed)")
    );
    let weak = gatehouse(dir.path())
        .args(["seed-users", "--count", "5", "--password", "password"])
        .output()
        .unwrap();
    assert_eq!(weak.status.code(), Some(2));
    let none = gatehouse(dir.path())
        .args(["seed-users", "--count", "0"])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2), "clap refuses a count of 0");
}

#[test]
fn create_token_prints_a_new_api_token_once_for_an_existing_account() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        create_admin(dir.path(), "root@example.com", PASSWORD)
            .status
            .success()
    );
    let output = gatehouse(dir.path())
        .args([
            "create-token",
            "--email",
            "ROOT@example.com",
            "--name",
            "ci",
        ])
        .args(["--expires-days", "7"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap();
    assert!(
        regex::Regex::new(r"^gh_[0-9a-f]{64}\n$")
            .unwrap()
            .is_match(&token),
        "{token}"
    );
    let unknown = gatehouse(dir.path())
        .args([
            "create-token",
            "--email",
            "nobody@example.com",
            "--name",
            "ci",
        ])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("email: No account has this email."));
}

/// A `gatehouse serve` on a free loopback port in `dir`, stopped with SIGTERM when dropped.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    fn start(dir: &Path) -> Self {
        let mut child = gatehouse(dir)
            .env("GATEHOUSE_ADDR", "127.0.0.1:0")
            .env("GATEHOUSE_IP_RATE_LIMIT", "off")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let started = Instant::now();
        let mut port = None;
        while port.is_none() && started.elapsed() < Duration::from_secs(30) {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line
                .split("Gatehouse listening on http://127.0.0.1:")
                .nth(1)
            {
                port = rest.trim().parse::<u16>().ok();
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        let port = port.expect("the server says where it listens");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A client with its own cookies that shows redirects instead of following them.
    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Submits a form with the CSRF token of the page at `path`, as a browser would.
    async fn submit(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        let html = client.get(&url).send().await.unwrap().text().await.unwrap();
        let token = regex::Regex::new(r#"<meta name="csrf-token" content="([0-9a-f]+)">"#)
            .unwrap()
            .captures(&html)
            .expect("every page carries a csrf-token meta tag")[1]
            .to_string();
        let mut form = fields.to_vec();
        form.push(("csrf_token", &token));
        client.post(&url).form(&form).send().await.unwrap()
    }

    async fn sign_up(&self, email: &str) -> reqwest::StatusCode {
        let fields = [
            ("name", "Writer"),
            ("email", email),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        let response = self.submit(&Self::client(), "/register", &fields).await;
        response.status()
    }

    /// Logs in and reads `/profile`: its status and page.
    async fn log_in(&self, email: &str, password: &str) -> (reqwest::StatusCode, String) {
        let client = Self::client();
        let login = self
            .submit(
                &client,
                "/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(login.status(), reqwest::StatusCode::SEE_OTHER, "{email}");
        let profile = client
            .get(format!("{}/profile", self.base))
            .send()
            .await
            .unwrap();
        (profile.status(), profile.text().await.unwrap())
    }

    fn stop(mut self) -> std::process::ExitStatus {
        #[cfg(unix)]
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM)
        };
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

fn number(conn: &mut diesel::SqliteConnection, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    diesel::sql_query(sql).get_result::<Number>(conn).unwrap().n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_live_database_while_it_takes_sign_ups_and_restore_brings_it_back() {
    use diesel::prelude::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let dir = tempfile::tempdir().unwrap();
    // Some size, so that the copy takes many steps while sign-ups go on.
    let seeded = gatehouse(dir.path())
        .args(["seed-users", "--count", "20000"])
        .output()
        .unwrap();
    assert!(seeded.status.success());
    let server = Arc::new(Server::start(dir.path()));
    let (committed, stop) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let writer = tokio::spawn({
        let (server, committed, stop) = (server.clone(), committed.clone(), stop.clone());
        async move {
            let mut sent = 0;
            while !stop.load(Ordering::SeqCst) {
                sent += 1;
                let status = server.sign_up(&format!("writer{sent}@example.com")).await;
                assert_eq!(status, reqwest::StatusCode::SEE_OTHER, "sign-up {sent}");
                committed.fetch_add(1, Ordering::SeqCst);
            }
            sent
        }
    });
    while committed.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = committed.load(Ordering::SeqCst);
    let started = Instant::now();
    let backup = dir.path().join("backup.db");
    let output = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        move || {
            gatehouse(&dir)
                .args(["backup", "backup.db", "--pages-per-step", "16"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let took = started.elapsed();
    let after = committed.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    let sent = writer.await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("Backed up sqlite://data/gatehouse.db to backup.db: "),
        "{stdout}"
    );
    assert!(
        !dir.path().join("backup.db-wal").exists(),
        "one file, no WAL beside it"
    );

    let mut copy = SqliteConnection::establish(backup.to_str().unwrap()).unwrap();
    let check = diesel::sql_query("SELECT integrity_check AS text FROM pragma_integrity_check")
        .load::<Text>(&mut copy)
        .unwrap();
    assert_eq!(check.len(), 1);
    assert_eq!(check[0].text, "ok");
    let in_copy = number(
        &mut copy,
        "SELECT COUNT(*) AS n FROM users WHERE email LIKE 'writer%'",
    );
    let audited = number(
        &mut copy,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'register'",
    );
    let seeded_in_copy = number(
        &mut copy,
        "SELECT COUNT(*) AS n FROM users WHERE email LIKE 'user%'",
    );
    let mut live =
        SqliteConnection::establish(dir.path().join("data/gatehouse.db").to_str().unwrap())
            .unwrap();
    let in_live = number(
        &mut live,
        "SELECT COUNT(*) AS n FROM users WHERE email LIKE 'writer%'",
    );
    drop(live);
    println!(
        "backup of {seeded_in_copy} seeded users under sign-ups, in {:.2} s: {before} sign-ups committed before \
         it started, {} during it, {in_copy} in the copy ({audited} with their audit row), {in_live} in the \
         live database at the end ({sent} sent)",
        took.as_secs_f64(),
        after - before,
    );
    assert_eq!(seeded_in_copy, 20_000);
    assert!(
        in_copy as u64 >= before,
        "every sign-up committed before the backup is in it"
    );
    assert!(in_copy as u64 <= after, "nothing from after the copy ended");
    assert_eq!(
        audited, in_copy,
        "each sign-up is whole: the user and its audit row, or neither"
    );
    assert!(
        after > before,
        "the server took sign-ups while the backup ran"
    );

    let in_use = gatehouse(dir.path())
        .args(["restore", "backup.db"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&in_use.stderr);
    assert_eq!(in_use.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("data/gatehouse.db is in use: stop every Gatehouse server"),
        "{stderr}"
    );
    assert!(!dir.path().join("data/gatehouse.db.before-restore").exists());
    let server = Arc::into_inner(server).expect("the writer is done");
    assert_eq!(server.stop().code(), Some(0));

    // A new machine: the backup and the secret key, and nothing else.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::create_dir(fresh.path().join("data")).unwrap();
    std::fs::copy(
        dir.path().join("data/secret.key"),
        fresh.path().join("data/secret.key"),
    )
    .unwrap();
    let restored = gatehouse(fresh.path())
        .args(["restore", backup.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&restored.stdout);
    assert!(
        restored.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "({} accounts) to sqlite://data/gatehouse.db. Start the server.",
            20_000 + in_copy
        )),
        "{stdout}"
    );
    let server = Server::start(fresh.path());
    let (status, page) = server.log_in("writer1@example.com", PASSWORD).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(page.contains("writer1@example.com"));
    let (status, _) = server
        .log_in("user20000@example.com", "gatehouse demo password")
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    println!(
        "restored into a fresh folder: {} accounts; writer1 and user20000 log in",
        20_000 + in_copy
    );
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn backup_and_restore_refuse_what_they_must_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        gatehouse(dir.path())
            .arg("migrate")
            .output()
            .unwrap()
            .status
            .success()
    );
    let refused = |args: &[&str], env: Option<(&str, &str)>, says: &str| {
        let mut command = gatehouse(dir.path());
        if let Some((name, value)) = env {
            command.env(name, value);
        }
        let output = command.args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("gatehouse: ") && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    };
    std::fs::write(dir.path().join("taken.db"), "precious").unwrap();
    refused(&["backup", "taken.db"], None, "taken.db exists already");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("taken.db")).unwrap(),
        "precious"
    );
    let postgres = Some(("DATABASE_URL", "postgres://gatehouse@127.0.0.1/gatehouse"));
    refused(&["backup", "new.db"], postgres, "use pg_dump");
    refused(&["restore", "new.db"], postgres, "use pg_restore or psql");
    refused(
        &["backup", "new.db"],
        Some(("DATABASE_URL", "sqlite::memory:")),
        "in-memory",
    );
    refused(
        &["restore", "taken.db"],
        None,
        "taken.db is not a Gatehouse database",
    );
    refused(
        &["restore", "missing.db"],
        None,
        "missing.db does not exist",
    );
    assert!(!dir.path().join("new.db").exists());

    let backup = gatehouse(dir.path())
        .args(["backup", "good.db"])
        .output()
        .unwrap();
    assert!(backup.status.success());
    let restore = || {
        gatehouse(dir.path())
            .args(["restore", "good.db"])
            .output()
            .unwrap()
    };
    let first = restore();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .contains("the database that was there is kept as data/gatehouse.db.before-restore")
    );
    assert!(dir.path().join("data/gatehouse.db.before-restore").exists());
    refused(
        &["restore", "good.db"],
        None,
        "gatehouse.db.before-restore exists already",
    );
}
