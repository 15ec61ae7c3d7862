use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn a_logged_in_page_is_one_read_and_no_write(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        assert_eq!(ada.get("/profile").await.status(), StatusCode::OK);
        let (response, made) = app.queries_of(ada.get("/profile")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!((made["read"], made["write"], made["other"]), (1, 0, 0), "session and user in one read: {made:?}");
        let (response, made) = app.queries_of(ada.get("/sessions")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!((made["read"], made["write"]), (2, 0), "the page's own list is the second read: {made:?}");
    }

    async fn an_api_call_with_a_token_is_one_read_and_no_write(app: TestApp) {
        let (_, script) = app.user_api("Ada", "ada@example.com").await;
        assert_eq!(script.get("/api/me").await.status, StatusCode::OK, "the first use records itself");
        let (response, made) = app.queries_of(script.get("/api/me")).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!((made["read"], made["write"], made["other"]), (1, 0, 0), "token and owner in one read: {made:?}");
    }

    async fn two_instances_on_one_database_behave_as_one_site(app: TestApp) {
        let other = app.spawn_second_instance().await;
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let cookie = browser.session_cookie().unwrap();
        let same_person_elsewhere = Browser::with_cookie(&other.address, &cookie);
        assert_eq!(same_person_elsewhere.get("/profile").await.status(), StatusCode::OK, "a session made on one works on the other");
        app.set_active("ada@example.com", false).await;
        assert_eq!(same_person_elsewhere.get("/profile").await.status(), StatusCode::SEE_OTHER, "a disable takes effect on both");
    }

    async fn the_audit_log_records_the_account_story_and_no_secret(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        browser.logout().await;
        app.browser().login("ada@example.com", "wrong password here").await;
        browser.login("ada@example.com", PASSWORD).await;
        browser.submit("/password", &[("current_password", PASSWORD), ("new_password", "another good phrase"), ("new_password_confirm", "another good phrase")]).await;
        browser.submit("/sessions/revoke", &[]).await;
        let rows = app.audit_rows().await;
        let story: Vec<(&str, &str)> = rows.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
        assert_eq!(story, [
            ("register", "success"), ("email_verification_sent", "success"), ("logout", "success"), ("login", "failure"),
            ("login", "success"), ("password_change", "success"), ("sessions_revoke_others", "success"),
        ]);
        let everything = format!("{rows:?}");
        for secret in [PASSWORD, "wrong password here", "another good phrase", "$2b$"] {
            assert!(!everything.contains(secret), "{secret} leaked into the audit log");
        }
        use diesel::prelude::*;
        use gatehouse::db::schema::audit_events as a;
        let ips: Vec<Option<String>> = app.query(|c| a::table.select(a::ip).load(c)).await;
        assert!(ips.iter().all(|ip| ip.as_deref() == Some("127.0.0.1")), "{ips:?}");
    }
}

#[tokio::test]
async fn every_pooled_sqlite_connection_has_wal_a_busy_timeout_and_foreign_keys() {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = BigInt)]
        value: i64,
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let pool = app.db.pool().clone();
    let connections: Vec<_> = (0..2).map(|_| pool.get().unwrap()).collect();
    for mut conn in connections {
        let conn: &mut gatehouse::db::DbConnection = &mut conn;
        let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
            .get_result(conn)
            .unwrap();
        assert_eq!(mode.journal_mode, "wal");
        let fk: Number = diesel::sql_query("SELECT foreign_keys AS value FROM pragma_foreign_keys")
            .get_result(conn)
            .unwrap();
        assert_eq!(fk.value, 1);
        let busy: Number = diesel::sql_query("SELECT timeout AS value FROM pragma_busy_timeout")
            .get_result(conn)
            .unwrap();
        assert!(busy.value >= 1000, "busy timeout {}", busy.value);
    }
}

on_both_backends! {
    async fn expired_sessions_are_purged(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let remembered = app.browser();
        remembered.submit("/login", &[("email", "ada@example.com"), ("password", PASSWORD), ("remember", "on")]).await;
        assert_eq!(app.count_sessions().await, 2);
        app.clock.advance(31 * 60);
        let now = app.clock.now();
        let purged = app.query(move |c| gatehouse::db::sessions::purge_expired(c, now)).await;
        assert_eq!(purged, 1, "the idle session goes, the remembered one stays");
        assert_eq!(app.count_sessions().await, 1);
    }

    async fn metrics_count_requests_latency_logins_and_the_pool(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        app.browser().login("ada@example.com", "not her password").await;
        app.browser().login("ada@example.com", PASSWORD).await;
        ada.get("/profile").await;
        let token = "a".repeat(64);
        app.browser().get(&format!("/password-reset/{token}")).await;
        app.browser().get("/no/such/page").await;
        let response = app.browser().get("/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        let text = response.text().await.unwrap();
        let line = |name: &str, labels: &[&str]| {
            text.lines()
                .find(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|label| l.contains(label)))
                .unwrap_or_else(|| panic!("no {name} with {labels:?} in:\n{text}"))
                .to_string()
        };
        assert!(line("gatehouse_logins_total", &[r#"outcome="success""#]).ends_with(" 1"));
        assert!(line("gatehouse_logins_total", &[r#"outcome="failure""#]).ends_with(" 1"));
        assert!(line("gatehouse_logins_total", &[r#"outcome="locked""#]).ends_with(" 0"));
        assert!(line("gatehouse_http_requests_total", &[r#"route="/profile""#, r#"method="GET""#, r#"status="200""#]).ends_with(" 1"));
        assert!(line("gatehouse_http_requests_total", &[r#"route="/login""#, r#"method="POST""#, r#"status="401""#]).ends_with(" 1"));
        line("gatehouse_http_requests_total", &[r#"route="/password-reset/{token}""#, r#"status="410""#]);
        line("gatehouse_http_requests_total", &[r#"route="unmatched""#, r#"status="404""#]);
        line("gatehouse_http_request_duration_seconds_bucket", &[r#"route="/profile""#, r#"le="+Inf""#]);
        assert!(line("gatehouse_db_pool_connections", &[r#"state="max""#]).ends_with(" 4"));
        assert!(!text.contains(&token) && !text.contains("/no/such/page"), "routes are patterns: no ids, tokens or raw paths");
    }

    async fn metrics_answer_only_loopback_and_the_trusted_proxies(app: TestApp) {
        let without_token = |html: String| regex::Regex::new(r#"content="[0-9a-f]{64}""#).unwrap().replace(&html, "").to_string();
        let not_found = without_token(app.browser().get("/no/such/page").await.text().await.unwrap());
        // nginx on the same machine, listed as trusted: every request comes from 127.0.0.1.
        let behind_proxy = app.with_settings(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
        let mut seen = Vec::new();
        for (instance, forwarded, expected) in [
            (&behind_proxy, Some("203.0.113.9"), StatusCode::NOT_FOUND),
            (&behind_proxy, Some("127.0.0.1, 203.0.113.9"), StatusCode::NOT_FOUND),
            (&behind_proxy, Some("2001:db8::7"), StatusCode::NOT_FOUND),
            (&behind_proxy, Some("127.0.0.1"), StatusCode::OK),
            (&behind_proxy, None, StatusCode::OK),
            // A proxy in front that nobody listed: what it forwards still counts.
            (&app, Some("203.0.113.9"), StatusCode::NOT_FOUND),
            (&app, None, StatusCode::OK),
        ] {
            let browser = match forwarded {
                Some(ip) => Browser::forwarded_for(&instance.address, ip),
                None => instance.browser(),
            };
            let response = browser.get("/metrics").await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_eq!(status, expected, "X-Forwarded-For: {forwarded:?}");
            if status == StatusCode::NOT_FOUND {
                assert_eq!(without_token(body), not_found, "the same 404 as a path that does not exist");
            } else {
                assert!(body.contains("gatehouse_http_requests_total"));
            }
            let trusting = if std::ptr::eq(instance, &app) { "none" } else { "127.0.0.1" };
            seen.push(format!("[{}] (trusting {trusting}): {}", forwarded.unwrap_or("none"), status.as_u16()));
        }
        for header in ["x-real-ip", "forwarded"] {
            let value = if header == "forwarded" { "for=203.0.113.9;proto=https" } else { "203.0.113.9" };
            let response = behind_proxy.browser().client.get(behind_proxy.browser().url("/metrics")).header(header, value).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{header}: {value}");
            seen.push(format!("{header}: {value} (trusting 127.0.0.1): {}", response.status().as_u16()));
        }
        println!("/metrics from 127.0.0.1 by X-Forwarded-For: {}", seen.join("; "));
    }

    async fn metrics_count_live_sessions_and_lockouts(app: TestApp) {
        let scrape = || async {
            let (status, text) = app.browser().get_text("/metrics").await;
            assert_eq!(status, StatusCode::OK);
            let value = |name: &str| -> u64 {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name} ")))
                    .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
                    .parse()
                    .unwrap()
            };
            let locked_refusals = text.lines().find_map(|l| l.strip_prefix(r#"gatehouse_logins_total{outcome="locked"} "#)).unwrap().parse::<u64>().unwrap();
            (value("gatehouse_sessions_live"), value("gatehouse_logins_locked"), value("gatehouse_lockouts_total"), locked_refusals)
        };
        assert_eq!(scrape().await, (0, 0, 0, 0), "sessions, locked, lockouts, refused while locked");
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let ada_elsewhere = app.browser();
        assert_eq!(ada_elsewhere.login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        app.signed_up_browser("Bob", "bob@example.com").await;
        let signed_in = scrape().await;
        assert_eq!(signed_in.0, 3, "three logged-in sessions");
        for _ in 0..5 {
            assert_eq!(app.browser().login("bob@example.com", "not his password").await.status(), StatusCode::UNAUTHORIZED);
        }
        let locked = scrape().await;
        assert_eq!((locked.1, locked.2), (1, 1), "the fifth wrong password locks bob@example.com");
        assert_eq!(app.browser().login("bob@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
        ada_elsewhere.logout().await;
        let after = scrape().await;
        assert_eq!(after, (2, 1, 1, 1), "one session ended; the refusal while locked is a login counted as locked");
        app.clock.advance(16 * 60);
        let unlocked = scrape().await;
        assert_eq!((unlocked.1, unlocked.2), (0, 1), "the lock ran out; the count of locks applied stays");
        drop(ada);
        println!(
            "(sessions live, logins locked, lockouts total, logins refused while locked): start (0, 0, 0, 0), \
             signed in {signed_in:?}, after 5 wrong passwords {locked:?}, after a logout and a refused login {after:?}, \
             16 minutes later {unlocked:?}"
        );
    }

    async fn every_request_writes_one_access_log_line_without_its_query(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let response = ada.get("/profile?q=private").await;
        let user_id = app.user_id("ada@example.com").await;
        let line = access_log_line(&response).await;
        let request_id = response.headers()["x-request-id"].to_str().unwrap();
        let pattern = format!(r#"^INFO gatehouse::access: 127\.0\.0\.1 "GET /profile" 200 \d+\.\dms user={user_id} request_id={request_id}$"#);
        assert!(regex::Regex::new(&pattern).unwrap().is_match(&line), "{line}");
    }

    async fn the_access_log_names_the_user_on_every_request_with_their_session(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let user_id = app.user_id("ada@example.com").await;
        let (_, profile) = ada.get_text("/profile").await;
        let stylesheet = regex::Regex::new(r#"href="(/static/style\.[0-9a-f]+\.css)""#).unwrap().captures(&profile).unwrap()[1].to_string();
        for (path, status) in [("/no/such/page", StatusCode::NOT_FOUND), (stylesheet.as_str(), StatusCode::OK), ("/", StatusCode::OK)] {
            let response = ada.get(path).await;
            assert_eq!(response.status(), status, "{path}");
            let line = access_log_line(&response).await;
            assert!(line.contains(&format!(" user={user_id} ")), "{path}: {line}");
        }
        let anonymous = app.browser().get("/no/such/page").await;
        assert!(access_log_line(&anonymous).await.contains(" user=- "));
    }
}

/// The one access-log line of this response's request (waiting a little for it).
async fn access_log_line(response: &reqwest::Response) -> String {
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let mut lines = Vec::new();
    for _ in 0..100 {
        lines = log_capture::lines()
            .into_iter()
            .filter(|l| {
                l.contains("gatehouse::access") && l.contains(&format!("request_id={request_id}"))
            })
            .collect();
        if !lines.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines.remove(0)
}

/// Makes the test's PostgreSQL database refuse connections and ends the open ones (as a
/// restart does), or lets it accept them again.
fn set_postgres_reachable(app: &TestApp, reachable: bool) {
    use diesel::{Connection, RunQueryDsl};
    let server = std::env::var(ENV_POSTGRES).expect("a PostgreSQL server");
    let name = url::Url::parse(&app.database.url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let mut conn = diesel::PgConnection::establish(&server).expect("the server answers");
    diesel::sql_query(format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}"
    ))
    .execute(&mut conn)
    .unwrap();
    if !reachable {
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .execute(&mut conn)
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(gatehouse_postgres_tests),
    ignore = "PostgreSQL SKIPPED: set GATEHOUSE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
)]
async fn healthz_says_503_while_postgres_is_down_and_the_pool_recovers_by_itself() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let ada = app.signed_up_browser("Ada", "ada@example.com").await;
    set_postgres_reachable(&app, false);
    let down = app.browser().get("/healthz").await;
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.text().await.unwrap(), r#"{"status":"unavailable"}"#);
    set_postgres_reachable(&app, true);
    let (status, body) = app.browser().get_text("/healthz").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"status":"ok"}"#)
    );
    assert_eq!(
        ada.get("/profile").await.status(),
        StatusCode::OK,
        "sessions live in the database and survive"
    );
}
