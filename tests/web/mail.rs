//! Mail as a real deployment sends it: the site's name (`GATEHOUSE_SITE_NAME`) in pages and
//! mails, the sender (`GATEHOUSE_MAIL_FROM`), and delivery over SMTP to a real server on
//! loopback (Debian's python3-aiosmtpd, started by each test: `tests/support/smtp_sink.py`)
//! in plain SMTP, STARTTLS and implicit TLS, with and without a password, the TLS ones with a
//! certificate from a private CA made by the test (`GATEHOUSE_SMTP_CA_FILE`). A wrong
//! password, an unreachable server and an untrusted certificate are logged as warnings,
//! without the message, and the page answers as usual.
//!
//! Without python3-aiosmtpd or openssl the SMTP tests print "SMTP SKIPPED" and pass, except
//! under `CI=true`, where they fail (`.ci/run` installs the package).

use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const SITE: &str = "Example Accounts";
const FROM: &str = "Example Accounts <accounts@example.com>";

on_both_backends! {
    async fn the_site_name_and_the_sender_are_the_configured_ones(app: TestApp) {
        let app = app
            .with_settings(|settings| {
                settings.site_name = SITE.into();
                settings.mail_from = FROM.parse().unwrap();
            })
            .await;
        let browser = app.browser();
        let (_, login) = browser.get_text("/login").await;
        assert!(login.contains("<title>Log in · Example Accounts</title>"), "{login}");
        assert!(login.contains(r#"<a class="brand" href="/">Example Accounts</a>"#));
        let (status, missing) = browser.get_text("/no-such-page").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(missing.contains(" · Example Accounts</title>"), "error pages too: {missing}");

        let response = browser.register("Ada", "ada@example.com", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, home) = browser.get_text("/").await;
        assert!(home.contains("<h1>Example Accounts</h1>"));
        assert!(!home.contains("Gatehouse"), "the site is not called Gatehouse anywhere: {home}");

        let mail = app
            .wait_for_mail("ada@example.com", "Subject: Verify your email address for Example Accounts")
            .await;
        // The header quotes the name (it holds a space).
        assert!(mail.contains("From: \"Example Accounts\" <accounts@example.com>\n"), "{mail}");
        assert!(mail.contains("belongs to your Example Accounts account"), "{mail}");
        assert!(!mail.contains("Gatehouse"), "{mail}");
    }

    async fn by_default_the_sender_is_gatehouse_at_the_sites_host(app: TestApp) {
        let browser = app.browser();
        let (_, login) = browser.get_text("/login").await;
        assert!(login.contains("<title>Log in · Gatehouse</title>"));
        browser.register("Ada", "ada@example.com", PASSWORD).await;
        let mail = app.wait_for_mail("ada@example.com", "Subject: Verify your email address for Gatehouse").await;
        assert!(mail.contains("From: Gatehouse <no-reply@localhost>\n"), "{mail}");
    }
}

/// Delivery over SMTP (SQLite only: the database plays no part in how mail travels).
mod smtp {
    use std::io::{BufRead, BufReader, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Child, ChildStdin, Command, Stdio};
    use std::sync::mpsc::{Receiver, channel};
    use std::time::{Duration, Instant};

    use gatehouse::config::MailTransport;
    use reqwest::StatusCode;

    use crate::helpers::*;

    const USER: &str = "gatehouse";
    /// Needs percent-encoding in the URL: the test sees that it is decoded.
    const SMTP_PASSWORD: &str = "mail pass/w:rd";
    const SMTP_PASSWORD_IN_URL: &str = "mail%20pass%2Fw%3Ard";

    /// What the tests need from the machine: Python with aiosmtpd, and the openssl command.
    /// Missing: `None` (the test skips) unless `CI=true`, where the test fails.
    fn tools() -> Option<&'static str> {
        let python = ["/usr/bin/python3", "python3"].into_iter().find(|python| {
            Command::new(python)
                .args(["-c", "import aiosmtpd"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        });
        let openssl = Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if let (Some(python), true) = (python, openssl) {
            return Some(python);
        }
        let hint = "apt-get install python3-aiosmtpd openssl";
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!("the SMTP tests need Python's aiosmtpd and openssl, and CI=true: {hint}");
        }
        eprintln!("SMTP SKIPPED: {hint}");
        None
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Mode {
        Plain,
        StartTls,
        Implicit,
    }

    /// A private CA and a certificate it signed for 127.0.0.1, made with the openssl command.
    struct Certificates {
        dir: tempfile::TempDir,
    }

    impl Certificates {
        fn make() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let run = |args: &[&str]| {
                let output = Command::new("openssl")
                    .args(args)
                    .current_dir(dir.path())
                    .output()
                    .expect("openssl runs");
                assert!(
                    output.status.success(),
                    "openssl {args:?}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            };
            let key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
            let ca = format!("req -x509 {key} -keyout ca.key -out ca.pem -days 2");
            let mut ca: Vec<&str> = ca.split(' ').collect();
            ca.extend(["-subj", "/CN=Gatehouse test CA"]);
            run(&ca);
            let request = format!("req {key} -keyout server.key -out server.csr");
            let mut request: Vec<&str> = request.split(' ').collect();
            request.extend(["-subj", "/CN=127.0.0.1"]);
            run(&request);
            std::fs::write(
                dir.path().join("server.ext"),
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n\
                 basicConstraints=critical,CA:FALSE\n\
                 keyUsage=critical,digitalSignature\n\
                 extendedKeyUsage=serverAuth\n",
            )
            .unwrap();
            let sign = "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                        -days 2 -extfile server.ext -out server.pem";
            run(&sign.split_whitespace().collect::<Vec<_>>());
            Self { dir }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn ca(&self) -> PathBuf {
            self.path("ca.pem")
        }
    }

    /// `tests/support/smtp_sink.py`, running until the test ends.
    struct Sink {
        child: Child,
        stdin: Option<ChildStdin>,
        events: Receiver<serde_json::Value>,
        port: u16,
    }

    impl Sink {
        fn start(
            python: &str,
            mode: Mode,
            certificates: &Certificates,
            login: Option<(&str, &str)>,
        ) -> Self {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
            let mode_name = match mode {
                Mode::Plain => "plain",
                Mode::StartTls => "starttls",
                Mode::Implicit => "implicit",
            };
            let mut command = Command::new(python);
            command
                .arg(script)
                .args(["--mode", mode_name])
                .arg("--cert")
                .arg(certificates.path("server.pem"))
                .arg("--key")
                .arg(certificates.path("server.key"));
            if let Some((user, password)) = login {
                command.args(["--user", user, "--password", password]);
            }
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("the SMTP sink starts");
            let mut stdout = BufReader::new(child.stdout.take().unwrap());
            let mut first = String::new();
            stdout.read_line(&mut first).unwrap();
            let port = first
                .trim()
                .strip_prefix("PORT ")
                .and_then(|port| port.parse().ok())
                .unwrap_or_else(|| panic!("the SMTP sink did not start: {first:?}"));
            let (sender, events) = channel();
            std::thread::spawn(move || {
                for line in stdout.lines() {
                    let Ok(line) = line else { break };
                    let event = serde_json::from_str(&line).expect("one JSON event a line");
                    if sender.send(event).is_err() {
                        break;
                    }
                }
            });
            Self {
                stdin: child.stdin.take(),
                child,
                events,
                port,
            }
        }

        /// The next event (a message, a refused login), waiting up to 15 s.
        async fn next_event(&self) -> Option<serde_json::Value> {
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(event) = self.events.try_recv() {
                    return Some(event);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            None
        }
    }

    impl Drop for Sink {
        fn drop(&mut self) {
            if let Some(mut stdin) = self.stdin.take() {
                let _ = stdin.flush();
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// An app on SQLite that mails through `url`, trusting the test CA when `ca` is given.
    async fn app_mailing_to(url: String, ca: Option<PathBuf>) -> TestApp {
        let first = TestApp::spawn(Backend::Sqlite).await;
        first
            .with_settings(|settings| {
                settings.mail = MailTransport::Smtp(url);
                settings.smtp_ca_file = ca;
                settings.site_name = "Example Accounts".into();
                settings.mail_from = "Example Accounts <accounts@example.com>".parse().unwrap();
            })
            .await
    }

    /// Signs `email` up, which mails a verification link; the page answers as usual.
    async fn sign_up(app: &TestApp, email: &str) {
        let browser = app.browser();
        let response = browser.register("Ada", email, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "whatever the mail does"
        );
        assert_eq!(browser.get("/profile").await.status(), StatusCode::OK);
    }

    /// One delivery: the sink in `mode`, asking for a password or not, and the app's URL.
    async fn delivers(mode: Mode, with_password: bool) {
        let Some(python) = tools() else { return };
        let certificates = Certificates::make();
        let login = with_password.then_some((USER, SMTP_PASSWORD));
        let sink = Sink::start(python, mode, &certificates, login);
        let credentials = match with_password {
            true => format!("{USER}:{SMTP_PASSWORD_IN_URL}@"),
            false => String::new(),
        };
        let port = sink.port;
        let (url, ca) = match mode {
            Mode::Plain => (format!("smtp://{credentials}127.0.0.1:{port}"), None),
            Mode::StartTls => (
                format!("smtp://{credentials}127.0.0.1:{port}?tls=required"),
                Some(certificates.ca()),
            ),
            Mode::Implicit => (
                format!("smtps://{credentials}127.0.0.1:{port}"),
                Some(certificates.ca()),
            ),
        };
        let app = app_mailing_to(url, ca).await;
        let email = format!("{mode:?}-{with_password}@example.com").to_lowercase();
        sign_up(&app, &email).await;

        let event = sink.next_event().await.expect("the message arrives");
        assert_eq!(event["event"], "message", "{event}");
        assert_eq!(
            event["mail_from"], "accounts@example.com",
            "the envelope's sender"
        );
        assert_eq!(event["rcpt_tos"], serde_json::json!([email]));
        assert_eq!(event["tls"], mode != Mode::Plain, "{event}");
        let expected_login = with_password.then_some(USER);
        assert_eq!(event["login"].as_str(), expected_login, "{event}");
        let data = event["data"]
            .as_str()
            .unwrap()
            .replace("=\r\n", "")
            .replace("\r\n", "\n");
        assert!(
            data.contains("From: \"Example Accounts\" <accounts@example.com>\n"),
            "{data}"
        );
        assert!(data.contains(&format!("To: {email}\n")), "{data}");
        assert!(
            data.contains("Subject: Verify your email address for Example Accounts\n"),
            "{data}"
        );
        assert!(
            data.contains("/verify-email/"),
            "the link is in the body: {data}"
        );
        println!(
            "{mode:?}, password {with_password}: delivered to {email} over {}",
            match mode {
                Mode::Plain => "plain SMTP",
                Mode::StartTls => "STARTTLS",
                Mode::Implicit => "implicit TLS",
            }
        );
    }

    /// Waits (up to 15 s) for the warning that the verification mail to `email` failed, and
    /// returns it.
    async fn failure_logged_for(email: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(line) = log_capture::lines()
                .into_iter()
                .find(|line| line.contains(&format!("mail to {email} (Verify")))
            {
                return line;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no log line about the mail to {email}");
    }

    /// The failure is a warning that names the recipient and the subject, never the body
    /// (it holds a one-time link) nor the SMTP password.
    fn assert_logged_without_the_message(line: &str, email: &str) {
        assert!(line.starts_with("WARN gatehouse::mail: "), "{line}");
        assert!(
            line.contains(&format!(
                "mail to {email} (Verify your email address for Example Accounts) failed"
            )),
            "{line}"
        );
        for secret in [
            "verify-email",
            "Please confirm",
            SMTP_PASSWORD,
            SMTP_PASSWORD_IN_URL,
        ] {
            assert!(!line.contains(secret), "{secret:?} in {line}");
        }
        println!("logged: {line}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn plain_smtp_without_a_password() {
        delivers(Mode::Plain, false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn plain_smtp_with_a_password() {
        delivers(Mode::Plain, true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn starttls_without_a_password() {
        delivers(Mode::StartTls, false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn starttls_with_a_password() {
        delivers(Mode::StartTls, true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn implicit_tls_without_a_password() {
        delivers(Mode::Implicit, false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn implicit_tls_with_a_password() {
        delivers(Mode::Implicit, true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_password_is_a_warning_not_an_error_page() {
        let Some(python) = tools() else { return };
        let certificates = Certificates::make();
        let sink = Sink::start(
            python,
            Mode::Plain,
            &certificates,
            Some((USER, "the right one")),
        );
        let url = format!(
            "smtp://{USER}:{SMTP_PASSWORD_IN_URL}@127.0.0.1:{}",
            sink.port
        );
        let app = app_mailing_to(url, None).await;
        let email = "wrong-password@example.com";
        sign_up(&app, email).await;

        let event = sink.next_event().await.expect("the server saw the attempt");
        assert_eq!(event["event"], "auth_refused", "{event}");
        let line = failure_logged_for(email).await;
        assert_logged_without_the_message(&line, email);
        assert!(
            line.contains("535"),
            "the server's answer is in the warning: {line}"
        );
        assert!(
            !sink
                .events
                .try_iter()
                .any(|event| event["event"] == "message"),
            "nothing was delivered"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_server_is_a_warning_not_an_error_page() {
        // A port nothing listens on any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("smtp://{USER}:{SMTP_PASSWORD_IN_URL}@127.0.0.1:{port}");
        let app = app_mailing_to(url, None).await;
        let email = "unreachable@example.com";
        sign_up(&app, email).await;
        let reset = app
            .browser()
            .submit("/password-reset", &[("email", email)])
            .await;
        assert!(
            reset.status().is_success() || reset.status().is_redirection(),
            "a reset request answers as usual: {}",
            reset.status()
        );
        let line = failure_logged_for(email).await;
        assert_logged_without_the_message(&line, email);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_certificate_from_an_untrusted_ca_is_refused() {
        let Some(python) = tools() else { return };
        let certificates = Certificates::make();
        let sink = Sink::start(python, Mode::Implicit, &certificates, None);
        // No GATEHOUSE_SMTP_CA_FILE: the private CA is not trusted.
        let app = app_mailing_to(format!("smtps://127.0.0.1:{}", sink.port), None).await;
        let email = "untrusted@example.com";
        sign_up(&app, email).await;
        let line = failure_logged_for(email).await;
        assert_logged_without_the_message(&line, email);
        assert!(
            sink.events.try_recv().is_err(),
            "nothing was delivered: the TLS handshake failed"
        );
    }
}
