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
