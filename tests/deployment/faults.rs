//! Faults a deployment meets, under a steady, bounded load, each printing its numbers:
//! a rolling restart behind nginx, a PostgreSQL restart, and `kill -9` on SQLite.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, one_time_tokens, user_counts, users};

use crate::Site;
use crate::support::{
    Answer, Cluster, Instance, PASSWORD, SiteSettings, Via, Visitor, client_address, nginx_binary,
    one_at_a_time, postgres_programs, postgres_server, require, seconds,
};

/// One request of a load, as the client saw it.
#[derive(Debug, Clone)]
struct Record {
    what: &'static str,
    started: f64,
    ended: f64,
    /// `None`: no answer (a connection error or a timeout).
    status: Option<u16>,
    expected: u16,
    upstream: String,
}

impl Record {
    fn failed(&self) -> bool {
        self.status != Some(self.expected)
    }

    fn is_server_error(&self) -> bool {
        self.status.is_none_or(|status| status >= 500)
    }

    /// True when the request was under way at some moment of `[from, to]`.
    fn overlaps(&self, from: f64, to: f64) -> bool {
        self.started <= to && self.ended >= from
    }
}

/// Sends requests and records each, against one clock.
#[derive(Clone)]
struct Recorder {
    start: Instant,
    visitor: Visitor,
}

impl Recorder {
    async fn request(
        &self,
        records: &mut Vec<Record>,
        what: &'static str,
        expected: u16,
        send: impl Future<Output = Result<Answer, reqwest::Error>>,
    ) -> Option<Answer> {
        let started = seconds(self.start, Instant::now());
        let answer = send.await.ok();
        records.push(Record {
            what,
            started,
            ended: seconds(self.start, Instant::now()),
            status: answer.as_ref().map(|a| a.status),
            expected,
            upstream: answer
                .as_ref()
                .map(|a| a.upstream.clone())
                .unwrap_or_default(),
        });
        answer.filter(|a| a.status == expected)
    }

    /// One round of a person's visit: the login page, a login, a logged-in page, a logout.
    /// Stops at the first step that does not answer as it should, and comes back as a new
    /// browser (a person would have to log in again).
    async fn visit(&mut self, records: &mut Vec<Record>, email: &str) {
        if !self.visit_once(records, email).await {
            self.visitor = self.visitor.fresh();
        }
    }

    async fn visit_once(&self, records: &mut Vec<Record>, email: &str) -> bool {
        let v = &self.visitor;
        let Some(page) = self
            .request(records, "GET /login", 200, v.try_get("/login", Via::Any))
            .await
        else {
            return false;
        };
        let token = page.csrf_token();
        let form = [
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ];
        let login = v.try_post("/login", &form, Via::Any);
        if self
            .request(records, "POST /login", 303, login)
            .await
            .is_none()
        {
            return false;
        }
        let Some(profile) = self
            .request(
                records,
                "GET /profile",
                200,
                v.try_get("/profile", Via::Any),
            )
            .await
        else {
            return false;
        };
        let token = profile.csrf_token();
        let form = [("csrf_token", token.as_str())];
        let logout = v.try_post("/logout", &form, Via::Any);
        self.request(records, "POST /logout", 303, logout)
            .await
            .is_some()
    }

    /// One sign-up, by a new visitor; the email when it was answered 303 (the account is
    /// committed by then).
    async fn sign_up(&self, records: &mut Vec<Record>, email: &str) -> Option<String> {
        let v = &self.visitor.fresh();
        let page = self
            .request(
                records,
                "GET /register",
                200,
                v.try_get("/register", Via::Any),
            )
            .await?;
        let token = page.csrf_token();
        let form = [
            ("name", "Load Test"),
            ("email", email),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("csrf_token", token.as_str()),
        ];
        let post = v.try_post("/register", &form, Via::Any);
        self.request(records, "POST /register", 303, post)
            .await
            .map(|_| email.to_string())
    }
}

/// Requests per kind, and how many of them failed.
fn summary(records: &[Record]) -> String {
    let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for record in records {
        let entry = kinds.entry(record.what).or_default();
        entry.0 += 1;
        entry.1 += usize::from(record.failed());
    }
    kinds
        .iter()
        .map(|(what, (sent, failed))| format!("{what}: {sent} sent, {failed} failed"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn failures(records: &[Record]) -> Vec<&Record> {
    records.iter().filter(|r| r.failed()).collect()
}

// ---------------------------------------------------------------------------------------

/// How long the load of the rolling restart lasts at most, and its rounds per client.
const ROLLING_LOAD: Duration = Duration::from_secs(14);
const ROLLING_ROUNDS: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_behind_nginx_fails_no_request() {
    let (Some(nginx), Some(server)) = (require(nginx_binary()), require(postgres_server())) else {
        return;
    };
    let _turn = one_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    // The per-IP limit stays on (each login writes its count), far above this load.
    let mut site = Site::start(&nginx, &server, dir.path(), "100000/min").await;
    site.settings
        .run(&["seed-users", "--count", "4", "--password", PASSWORD], "");
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (1..=4)
        .map(|i| {
            let mut recorder = Recorder {
                start,
                visitor: Visitor::without_keep_alive(&site.nginx.base(), client_address(10 + i)),
            };
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut records = Vec::new();
                let email = format!("user{i}@example.com");
                for _ in 0..ROLLING_ROUNDS {
                    if stop.load(Ordering::Relaxed) || start.elapsed() > ROLLING_LOAD {
                        break;
                    }
                    recorder.visit(&mut records, &email).await;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                records
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut timeline = Vec::new();
    for n in 1..=2 {
        // Out of the rotation first (nginx reloaded, its old workers done), so that no new
        // request is on its way to the instance when it stops; then SIGTERM, which finishes
        // what the instance has in hand.
        let asked_out = seconds(start, Instant::now());
        site.nginx.set_down(n, true).await;
        let instance = &mut site.instances[n - 1];
        let asked = seconds(start, Instant::now());
        let status = instance.terminate().await;
        let stopped = seconds(start, Instant::now());
        assert!(
            status.success(),
            "{} exits 0 on SIGTERM: {status}",
            instance.name
        );
        instance.start().await;
        let healthy = seconds(start, Instant::now());
        site.nginx.set_down(n, false).await;
        let back = seconds(start, Instant::now());
        timeline.push(format!(
            "{}: out of nginx's rotation at {asked_out:.2}-{asked:.2} s, SIGTERM at {asked:.2} s, exited 0 at {stopped:.2} s, healthy again at {healthy:.2} s, back in the rotation at {back:.2} s",
            site.instances[n - 1].name
        ));
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    // The load goes on for 10 s in all.
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(start.elapsed())).await;
    stop.store(true, Ordering::Relaxed);
    let mut records = Vec::new();
    for client in clients {
        records.extend(client.await.unwrap());
    }

    let failed = failures(&records);
    let mut answered_by: BTreeMap<u8, usize> = BTreeMap::new();
    let mut retried = 0;
    for record in &records {
        if record.upstream.contains(", ") {
            retried += 1;
        }
        let last = record.upstream.rsplit(", ").next().unwrap_or_default();
        if !last.is_empty() {
            *answered_by.entry(site.instance_of(last)).or_default() += 1;
        }
    }
    let gateway_errors = site
        .nginx
        .access_log()
        .lines()
        .filter(|line| line.contains("\" 502 ") || line.contains("\" 504 "))
        .count();
    println!(
        "rolling restart under load, 4 clients for {:.1} s:",
        seconds(start, Instant::now())
    );
    for line in &timeline {
        println!("  {line}");
    }
    println!(
        "  {} requests sent, {} failed ({}); answered by instance 1/2: {:?}; {} retried by nginx on the other instance; {} 502/504 in nginx's log",
        records.len(),
        failed.len(),
        summary(&records),
        answered_by.values().collect::<Vec<_>>(),
        retried,
        gateway_errors
    );
    assert!(
        failed.is_empty(),
        "failed requests: {failed:#?}\nnginx:\n{}",
        site.nginx.error_log()
    );
    assert_eq!(gateway_errors, 0, "{}", site.nginx.access_log());
    assert!(records.len() > 200, "the load was too small to mean much");
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_loses_nothing_and_heals_by_itself() {
    let Some(programs) = require(postgres_programs()) else {
        return;
    };
    let _turn = one_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::create(&programs);
    cluster.start().await;
    let mut admin = PgConnection::establish(&cluster.url("postgres")).unwrap();
    diesel::sql_query("CREATE DATABASE gatehouse")
        .execute(&mut admin)
        .unwrap();
    drop(admin);
    let settings = SiteSettings::new(&cluster.url("gatehouse"), dir.path(), "100000/min");
    settings.run(&["seed-users", "--count", "2", "--password", PASSWORD], "");
    let mut instance = Instance::new("instance", &settings, dir.path());
    instance.start().await;
    let base = format!("http://{}", instance.address());

    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let recorder = |last: u8| Recorder {
        start,
        visitor: Visitor::new(&base, client_address(last)),
    };
    let signed_up = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for task in 0..2 {
        let (recorder, stop, signed_up) = (recorder(21 + task), stop.clone(), signed_up.clone());
        clients.push(tokio::spawn(async move {
            let mut records = Vec::new();
            for n in 0..600 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let email = format!("r{task}-{n}@example.com");
                if let Some(email) = recorder.sign_up(&mut records, &email).await {
                    signed_up.lock().unwrap().push(email);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            records
        }));
    }
    {
        let (mut recorder, stop) = (recorder(23), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut records = Vec::new();
            for _ in 0..600 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                recorder.visit(&mut records, "user1@example.com").await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            records
        }));
    }
    // The health check a load balancer would make: four times a second, each with a 5 s
    // timeout, whether or not the last one has answered.
    let health = {
        let (stop, url) = (stop.clone(), format!("{base}/healthz"));
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let mut checks = Vec::new();
            while !stop.load(Ordering::Relaxed) && checks.len() < 200 {
                let (client, url) = (client.clone(), url.clone());
                checks.push(tokio::spawn(async move {
                    let started = seconds(start, Instant::now());
                    let status = client
                        .get(&url)
                        .send()
                        .await
                        .ok()
                        .map(|r| r.status().as_u16());
                    Record {
                        what: "GET /healthz",
                        started,
                        ended: seconds(start, Instant::now()),
                        status,
                        expected: 200,
                        upstream: String::new(),
                    }
                }));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            let mut records = Vec::new();
            for check in checks {
                records.push(check.await.unwrap());
            }
            records
        })
    };

    tokio::time::sleep(Duration::from_secs(2)).await;
    let asked_down = seconds(start, Instant::now());
    cluster.stop().await;
    let down = seconds(start, Instant::now());
    tokio::time::sleep(Duration::from_secs(4)).await;
    let asked_up = seconds(start, Instant::now());
    cluster.start().await;
    let up = seconds(start, Instant::now());
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let recovered = loop {
        let answer = probe.get(format!("{base}/healthz")).send().await;
        if answer.is_ok_and(|r| r.status() == 200) {
            break seconds(start, Instant::now());
        }
        assert!(seconds(start, Instant::now()) - up < 30.0, "no recovery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut records = Vec::new();
    for client in clients {
        records.extend(client.await.unwrap());
    }
    let health = health.await.unwrap();

    // The outage: from the stop being asked until /healthz is 200 again.
    let outside: Vec<&Record> = records
        .iter()
        .chain(&health)
        .filter(|r| r.failed() && !r.overlaps(asked_down, recovered))
        .collect();
    let inside = records
        .iter()
        .filter(|r| r.is_server_error() && r.overlaps(asked_down, recovered))
        .count();
    let while_down: Vec<Option<u16>> = health
        .iter()
        .filter(|r| r.started >= down && r.ended <= asked_up)
        .map(|r| r.status)
        .collect();
    println!(
        "PostgreSQL restarted under load (2 sign-up clients, 1 login client, /healthz every 250 ms):"
    );
    println!(
        "  stop asked at {asked_down:.2} s, down at {down:.2} s, start asked at {asked_up:.2} s, accepting at {up:.2} s, /healthz 200 again at {recovered:.2} s ({:.2} s after PostgreSQL)",
        recovered - up
    );
    println!(
        "  {} requests sent ({}); {} server errors or unanswered during the outage; {} failures of any kind outside it",
        records.len(),
        summary(&records),
        inside,
        outside.len()
    );
    let count = |status| while_down.iter().filter(|s| **s == status).count();
    println!(
        "  /healthz while PostgreSQL was down: {} checks, {} answered 503, {} answered 200, {} unanswered within 5 s",
        while_down.len(),
        count(Some(503)),
        count(Some(200)),
        count(None)
    );
    assert!(
        outside.is_empty(),
        "failed outside the outage: {outside:#?}"
    );
    assert!(
        count(Some(503)) > 0,
        "/healthz said 503 while down: {while_down:?}"
    );
    assert_eq!(count(Some(200)), 0, "/healthz never said 200 while down");
    assert!(
        recovered - up < 5.0,
        "the pool recovered by itself within seconds"
    );

    // No half-written account: every account made has its audit row and its verification
    // link, every 303 has its account, and the trigger-kept counts agree.
    let mut conn = PgConnection::establish(&cluster.url("gatehouse")).unwrap();
    let accounts: Vec<(i64, String)> = users::table
        .filter(users::email.like("r%"))
        .select((users::id, users::email))
        .load(&mut conn)
        .unwrap();
    let audited: BTreeSet<i64> = audit_events::table
        .filter(audit_events::action.eq("register"))
        .select(audit_events::target_id)
        .load::<Option<i64>>(&mut conn)
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    let linked: BTreeSet<i64> = one_time_tokens::table
        .filter(one_time_tokens::purpose.eq("email_verification"))
        .select(one_time_tokens::user_id)
        .load::<Option<i64>>(&mut conn)
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    let half_written: Vec<&(i64, String)> = accounts
        .iter()
        .filter(|(id, _)| !audited.contains(id) || !linked.contains(id))
        .collect();
    let emails: BTreeSet<&str> = accounts.iter().map(|(_, e)| e.as_str()).collect();
    let signed_up = signed_up.lock().unwrap().clone();
    let lost: Vec<&String> = signed_up
        .iter()
        .filter(|e| !emails.contains(e.as_str()))
        .collect();
    let total: i64 = users::table.count().get_result(&mut conn).unwrap();
    let counted: i64 = user_counts::table
        .select(user_counts::n)
        .load::<i64>(&mut conn)
        .unwrap()
        .iter()
        .sum();
    println!(
        "  accounts: {} answered 303, {} rows, {} lost, {} half-written; users {} = counted {}",
        signed_up.len(),
        accounts.len(),
        lost.len(),
        half_written.len(),
        total,
        counted
    );
    assert!(lost.is_empty(), "{lost:?}");
    assert!(half_written.is_empty(), "{half_written:?}");
    assert_eq!(total, counted, "user_counts agrees with the table");
    assert!(signed_up.len() > 20, "the load was too small to mean much");
    drop(conn);
    drop(instance);
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_sign_ups_on_sqlite_loses_no_answered_account() {
    let _turn = one_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.db");
    let settings = SiteSettings::new(
        &format!("sqlite://{}", file.display()),
        dir.path(),
        "100000/min",
    );
    let mut instance = Instance::new("instance", &settings, dir.path());
    instance.start().await;
    let base = format!("http://{}", instance.address());

    let start = Instant::now();
    let killed = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4u8)
        .map(|task| {
            let recorder = Recorder {
                start,
                visitor: Visitor::new(&base, client_address(31 + task)),
            };
            let (killed, answered) = (killed.clone(), answered.clone());
            tokio::spawn(async move {
                let (mut records, mut signed_up) = (Vec::new(), Vec::new());
                for n in 0..500 {
                    let email = format!("k{task}-{n}@example.com");
                    match recorder.sign_up(&mut records, &email).await {
                        Some(email) => {
                            signed_up.push(email);
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        None if killed.load(Ordering::Relaxed) => break,
                        None => {}
                    }
                }
                (records, signed_up)
            })
        })
        .collect();
    // The burst runs until 150 accounts are answered (or 5 s), then the process is killed.
    while answered.load(Ordering::Relaxed) < 150 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed_at = seconds(start, Instant::now());
    instance.kill();
    killed.store(true, Ordering::Relaxed);
    let (mut records, mut signed_up) = (Vec::new(), Vec::new());
    for client in clients {
        let (r, s) = client.await.unwrap();
        records.extend(r);
        signed_up.extend(s);
    }
    let restarted_in = instance.start().await;

    let mut conn = SqliteConnection::establish(&file.display().to_string()).unwrap();
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let integrity: Vec<String> = diesel::sql_query("PRAGMA integrity_check")
        .load::<Check>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|c| c.integrity_check)
        .collect();
    let accounts: Vec<(i64, String)> = users::table
        .select((users::id, users::email))
        .load(&mut conn)
        .unwrap();
    let audited: BTreeSet<i64> = audit_events::table
        .filter(audit_events::action.eq("register"))
        .select(audit_events::target_id)
        .load::<Option<i64>>(&mut conn)
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    let emails: BTreeSet<&str> = accounts.iter().map(|(_, e)| e.as_str()).collect();
    let lost: Vec<&String> = signed_up
        .iter()
        .filter(|e| !emails.contains(e.as_str()))
        .collect();
    let unaudited = accounts
        .iter()
        .filter(|(id, _)| !audited.contains(id))
        .count();
    let sign_ups = records
        .iter()
        .filter(|r| r.what == "POST /register")
        .count();
    let unanswered = records
        .iter()
        .filter(|r| r.what == "POST /register" && r.status.is_none())
        .count();
    let failed_before = records
        .iter()
        .filter(|r| r.failed() && r.ended < killed_at)
        .count();
    println!(
        "kill -9 during sign-ups on SQLite: 4 clients, killed at {killed_at:.2} s, restarted and healthy in {:.2} s",
        restarted_in.as_secs_f64()
    );
    println!(
        "  {} sign-ups sent, {} answered 303, {} failed before the kill, {} unanswered (in flight at the kill); {} accounts in the database, {} lost, {} without their audit row; integrity_check: {}",
        sign_ups,
        signed_up.len(),
        failed_before,
        unanswered,
        accounts.len(),
        lost.len(),
        unaudited,
        integrity.join(", ")
    );
    assert_eq!(integrity, ["ok"]);
    assert_eq!(
        failed_before, 0,
        "every sign-up before the kill was answered 303: {records:#?}"
    );
    assert!(
        lost.is_empty(),
        "answered 303 but not in the database: {lost:?}"
    );
    assert_eq!(unaudited, 0, "every account has its audit row");
    assert!(
        signed_up.len() >= 50,
        "the burst was too small to mean much"
    );

    // The database serves again: an account answered just before the kill logs in.
    let last = signed_up.last().unwrap();
    let visitor = Visitor::new(&base, client_address(35));
    assert_eq!(visitor.login(last, PASSWORD, Via::Any).await.status, 303);
}
