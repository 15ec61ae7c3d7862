//! Two instances behind nginx on one PostgreSQL database are one site: sessions, disables,
//! lockouts and the per-IP limit hold whichever instance a request reaches, and the audit
//! log records the client's address, not nginx's.

use std::collections::BTreeMap;

use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, users};

use crate::support::{
    PASSWORD, Via, Visitor, client_address, nginx_binary, one_at_a_time, postgres_server, require,
};
use crate::{ADMIN_EMAIL, Site};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_nginx_are_one_site() {
    let (Some(nginx), Some(server)) = (require(nginx_binary()), require(postgres_server())) else {
        return;
    };
    let _turn = one_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(&nginx, &server, dir.path(), "8/min").await;
    let base = site.nginx.base();
    let by = |answer: &crate::support::Answer| site.instance_of(answer.answered_by());

    // A session made on one instance works on the other, and round robin serves it from both.
    let ada = Visitor::new(&base, client_address(2));
    let signed_up = ada
        .register("Ada", "ada@example.com", Via::Instance(1))
        .await;
    assert_eq!(
        (signed_up.status, by(&signed_up)),
        (303, 1),
        "{}",
        signed_up.body
    );
    let elsewhere = ada.get("/profile", Via::Instance(2)).await;
    assert_eq!((elsewhere.status, by(&elsewhere)), (200, 2));
    assert!(elsewhere.body.contains("ada@example.com"));
    let mut pages = BTreeMap::new();
    for _ in 0..6 {
        let page = ada.get("/profile", Via::Any).await;
        assert_eq!(page.status, 200, "logged in on every instance");
        *pages.entry(by(&page)).or_insert(0) += 1;
    }
    assert_eq!(
        pages.len(),
        2,
        "round robin reached both instances: {pages:?}"
    );
    println!(
        "session: made on instance 1, used on instance 2; 6 round-robin pages answered by instance 1/2: {:?}",
        pages.values().collect::<Vec<_>>()
    );

    // An admin's disable through one instance logs the user out on the other at their
    // next request.
    let admin = Visitor::new(&base, client_address(3));
    let logged_in = admin.login(ADMIN_EMAIL, PASSWORD, Via::Instance(2)).await;
    assert_eq!(logged_in.status, 303, "{}", logged_in.body);
    let mut conn = site.database.connect();
    let ada_id: i64 = users::table
        .filter(users::email.eq("ada@example.com"))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    let id = ada_id.to_string();
    let fields = [
        ("action", "disable"),
        ("ids", id.as_str()),
        ("confirm", "yes"),
    ];
    let disabled = admin
        .submit(
            "/admin/users",
            "/admin/users/bulk",
            &fields,
            Via::Instance(2),
        )
        .await;
    assert_eq!(
        (disabled.status, by(&disabled)),
        (303, 2),
        "{}",
        disabled.body
    );
    let next = ada.get("/profile", Via::Instance(1)).await;
    assert_eq!(
        (next.status, by(&next)),
        (303, 1),
        "logged out on the other instance"
    );
    assert!(next.location.starts_with("/login"), "{}", next.location);
    println!(
        "disable: done through instance 2, the user's next request (instance 1) went to /login"
    );

    // The lockout counts failures made through both instances.
    let bob = Visitor::new(&base, client_address(4));
    assert_eq!(
        bob.register("Bob", "bob@example.com", Via::Instance(1))
            .await
            .status,
        303
    );
    let guesser = Visitor::new(&base, client_address(5));
    for attempt in 0..5 {
        let via = Via::Instance(attempt % 2 + 1);
        let failed = guesser
            .login("bob@example.com", "not the password", via)
            .await;
        assert_eq!(failed.status, 401, "attempt {attempt}");
    }
    for n in [1, 2] {
        let locked = guesser
            .login("bob@example.com", PASSWORD, Via::Instance(n))
            .await;
        assert_eq!(
            (locked.status, by(&locked)),
            (429, n),
            "locked on every instance"
        );
    }
    println!(
        "lockout: 5 failures (3 through instance 1, 2 through instance 2) lock the account on both"
    );

    // The per-IP limit (8/min) holds across both: 4 requests through each, then none.
    let crowd = Visitor::new(&base, client_address(6));
    // A new email each time, so that the per-email lockout stays out of it.
    for attempt in 0..8 {
        let via = Via::Instance(attempt % 2 + 1);
        let email = format!("nobody{attempt}@example.com");
        let answer = crowd.login(&email, "whatever it is", via).await;
        assert_eq!(answer.status, 401, "attempt {attempt}");
    }
    let mut waits = Vec::new();
    for n in [1, 2] {
        let refused = crowd
            .login("nobody9@example.com", "whatever it is", Via::Instance(n))
            .await;
        assert_eq!((refused.status, by(&refused)), (429, n), "{}", refused.body);
        let wait = refused.retry_after.expect("Retry-After");
        assert!(
            (1..=8).contains(&wait),
            "one request is back 7.5 s after the first: {wait}"
        );
        waits.push(wait);
    }
    println!(
        "per-IP limit 8/min: 8 admitted (4 per instance), the 9th and 10th refused by instance 1 and 2 (Retry-After {waits:?} s)"
    );

    // The audit log has each client's own address (nginx connects from 127.0.0.1).
    let rows: Vec<(String, Option<String>)> = audit_events::table
        .select((audit_events::action, audit_events::ip))
        .load(&mut conn)
        .unwrap();
    let ips_of = |action: &str| -> Vec<String> {
        rows.iter()
            .filter(|(a, _)| a == action)
            .map(|(_, ip)| ip.clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(ips_of("register"), ["127.0.0.2", "127.0.0.4"]);
    assert_eq!(ips_of("admin_bulk_disable"), ["127.0.0.3"]);
    let logins = ips_of("login");
    assert_eq!(logins.iter().filter(|ip| *ip == "127.0.0.5").count(), 5 + 2);
    assert_eq!(logins.iter().filter(|ip| *ip == "127.0.0.6").count(), 8);
    let from_nginx = rows
        .iter()
        .filter(|(_, ip)| ip.as_deref() == Some("127.0.0.1"))
        .count();
    assert_eq!(from_nginx, 0, "no row has nginx's address: {rows:?}");
    let mut by_ip = BTreeMap::new();
    for (_, ip) in &rows {
        *by_ip
            .entry(ip.clone().unwrap_or_else(|| "(none)".into()))
            .or_insert(0) += 1;
    }
    println!("audit rows by client address: {by_ip:?} (nginx's 127.0.0.1: {from_nginx})");
}
