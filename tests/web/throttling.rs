use gatehouse::config::RateLimit;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

async fn fail_logins(app: &TestApp, email: &str, times: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for _ in 0..times {
        statuses.push(
            app.browser()
                .login(email, "not the password")
                .await
                .status(),
        );
    }
    statuses
}

fn retry_after(response: &reqwest::Response) -> i64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

on_both_backends! {
    async fn five_failed_logins_lock_the_account_even_for_the_right_password(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        assert_eq!(fail_logins(&app, "ada@example.com", 5).await, vec![StatusCode::UNAUTHORIZED; 5]);
        let locked = app.browser().login("ada@example.com", PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        // The lock started a moment ago: at most a second or two has passed since.
        assert!((15 * 60 - 2..=15 * 60).contains(&retry_after(&locked)), "{}", retry_after(&locked));
        assert!(locked.text().await.unwrap().contains("Too many failed logins: this account is locked. Try again in 15 minutes."));
        let rows = app.audit_rows().await;
        let lock = rows.iter().find(|r| r.0 == "account_locked").expect("the lock is audited");
        assert_eq!(lock.3.as_deref(), Some("5 failed logins; locked for 15 minutes"));
        assert_eq!(rows.last().unwrap().3.as_deref(), Some("account locked"));
        app.clock.advance(15 * 60);
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER, "the lock expires");
    }

    async fn a_repeated_lockout_lasts_twice_as_long(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        fail_logins(&app, "ada@example.com", 5).await;
        app.clock.advance(15 * 60);
        fail_logins(&app, "ada@example.com", 5).await;
        let locked = app.browser().login("ada@example.com", PASSWORD).await;
        assert!((30 * 60 - 2..=30 * 60).contains(&retry_after(&locked)), "{}", retry_after(&locked));
    }

    async fn failures_outside_the_window_or_before_a_success_do_not_add_up(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        fail_logins(&app, "ada@example.com", 4).await;
        app.clock.advance(15 * 60 + 1);
        fail_logins(&app, "ada@example.com", 4).await;
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        fail_logins(&app, "ada@example.com", 4).await;
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER, "a success resets the count");
    }

    async fn an_admin_sees_a_lock_on_the_users_page_and_lifts_it(app: TestApp) {
        let admin = app.admin_browser().await;
        app.signed_up_browser("Ada", "ada@example.com").await;
        fail_logins(&app, "ada@example.com", 5).await;
        let (_, list) = admin.get_text("/admin/users?q=ada%40").await;
        let id = regex::Regex::new(r#"/admin/users/(\d+)""#).unwrap().captures(&list).unwrap()[1].to_string();
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("Locked until"), "{page}");
        let response = admin.submit(&format!("/admin/users/{id}/unlock"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("Unlocked ada@example.com") && page.contains("Not locked"));
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "admin_unlock"));
    }

    async fn the_per_ip_limit_answers_429_with_retry_after(app: TestApp) {
        let limited = app.with_settings(|s| s.ip_rate_limit = Some(RateLimit { requests: 3, per_seconds: 60 })).await;
        let browser = limited.browser();
        for _ in 0..3 {
            assert_eq!(browser.login("nobody@example.com", "whatever it is").await.status(), StatusCode::UNAUTHORIZED);
        }
        let refused = browser.login("nobody@example.com", "whatever it is").await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!((1..=20).contains(&retry_after(&refused)), "{:?}", refused.headers().get("retry-after"));
        assert!(refused.text().await.unwrap().contains("Too many attempts from your network address."));
        let register = browser.register("Al", "al@example.com", PASSWORD).await;
        assert_eq!(register.status(), StatusCode::TOO_MANY_REQUESTS, "sign-up shares the address's allowance");
        assert_eq!(browser.get("/login").await.status(), StatusCode::OK, "reading pages is not limited");
        assert_eq!(limited.count_users().await, 0);
    }

    async fn two_instances_on_one_database_share_one_per_ip_allowance(app: TestApp) {
        let limit = |s: &mut gatehouse::config::Settings| s.ip_rate_limit = Some(RateLimit { requests: 4, per_seconds: 60 });
        let (first, second) = (app.with_settings(limit).await, app.with_settings(limit).await);
        let attempt = |instance: &TestApp| {
            let browser = instance.browser();
            async move { browser.login("nobody@example.com", "whatever it is").await }
        };
        for instance in [&first, &second, &first, &second] {
            assert_eq!(attempt(instance).await.status(), StatusCode::UNAUTHORIZED);
        }
        for instance in [&first, &second] {
            let refused = attempt(instance).await;
            assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "four requests in all, whichever instance took them");
            // One request is back 15 s after the first (60 s / 4), less the moment since.
            assert!((14..=15).contains(&retry_after(&refused)), "{:?}", refused.headers().get("retry-after"));
        }
        for instance in [&first, &second] {
            instance.clock.advance(15);
        }
        assert_eq!(attempt(&second).await.status(), StatusCode::UNAUTHORIZED, "one request came back, for both");
        assert_eq!(attempt(&first).await.status(), StatusCode::TOO_MANY_REQUESTS);
        use diesel::prelude::*;
        use gatehouse::db::schema::ip_limits as l;
        let keys: Vec<String> = app.query(|c| l::table.select(l::network).load(c)).await;
        assert_eq!(keys, ["127.0.0.1"], "one row per client address, in the shared database");
        let now = first.clock.now_millis();
        let purged = app.query(move |c| gatehouse::db::ip_limits::purge_full(c, now)).await;
        assert_eq!(purged, 0, "a spent allowance is kept");
        let purged = app.query(move |c| gatehouse::db::ip_limits::purge_full(c, now + 61_000)).await;
        assert_eq!(purged, 1, "one that is full again is purged");
    }

    async fn forwarded_for_counts_only_from_a_trusted_proxy(app: TestApp) {
        let behind_proxy = app
            .with_settings(|s| {
                s.ip_rate_limit = Some(RateLimit { requests: 2, per_seconds: 60 });
                s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            })
            .await;
        let first = Browser::forwarded_for(&behind_proxy.address, "203.0.113.1");
        let second = Browser::forwarded_for(&behind_proxy.address, "203.0.113.2");
        for _ in 0..2 {
            assert_eq!(first.login("nobody@example.com", "whatever it is").await.status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(first.login("nobody@example.com", "whatever it is").await.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(second.login("nobody@example.com", "whatever it is").await.status(), StatusCode::UNAUTHORIZED, "another client behind the proxy has its own allowance");
        use diesel::prelude::*;
        use gatehouse::db::schema::audit_events as a;
        let ips: Vec<Option<String>> = app.query(|c| a::table.select(a::ip).load(c)).await;
        assert!(ips.contains(&Some("203.0.113.1".into())) && ips.contains(&Some("203.0.113.2".into())), "{ips:?}");

        let direct = app.with_settings(|s| s.ip_rate_limit = Some(RateLimit { requests: 2, per_seconds: 60 })).await;
        for (i, forged) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"].into_iter().enumerate() {
            let status = Browser::forwarded_for(&direct.address, forged).login("nobody@example.com", "whatever it is").await.status();
            let expected = if i < 2 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS };
            assert_eq!(status, expected, "an untrusted peer's X-Forwarded-For is ignored");
        }
    }

    async fn every_forwarded_for_line_counts_so_a_forged_first_line_changes_nothing(app: TestApp) {
        let behind_proxy = app
            .with_settings(|s| {
                s.ip_rate_limit = Some(RateLimit { requests: 2, per_seconds: 60 });
                s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            })
            .await;
        let browser = behind_proxy.browser();
        let token = browser.csrf_token().await;
        let attempt = |forged: String| {
            // The client's own (forged) line first, then the line the trusted proxy added.
            let request = browser.client.post(browser.url("/login")).header("x-forwarded-for", forged).header("x-forwarded-for", "1.1.1.1");
            request.form(&[("email", "nobody@example.com"), ("password", "whatever it is"), ("csrf_token", token.as_str())]).send()
        };
        for i in 0..2 {
            assert_eq!(attempt(format!("6.6.6.{i}")).await.unwrap().status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(attempt("6.6.6.9".into()).await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS, "a new first line is no new allowance");
        use diesel::prelude::*;
        use gatehouse::db::schema::audit_events as a;
        let ips: Vec<Option<String>> = app.query(|c| a::table.filter(a::action.eq("login")).select(a::ip).load(c)).await;
        assert_eq!(ips, [Some("1.1.1.1".to_string()), Some("1.1.1.1".to_string())], "the audit keeps the address the proxy saw");
    }

    async fn the_lock_answers_the_same_for_an_email_without_an_account(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        // What a prober sees of six wrong guesses: status, Retry-After, and the page with
        // the typed email taken out.
        async fn probe(app: &TestApp, email: &str) -> Vec<(StatusCode, Option<u64>, String)> {
            let tokens = regex::Regex::new(r#"content="[0-9a-f]{64}"|value="[0-9a-f]{64}""#).unwrap();
            let mut seen = Vec::new();
            for _ in 0..6 {
                let response = app.browser().login(email, "not the password").await;
                // Seconds left of a 15-minute lock, as the minute it is in (the two locks
                // started a moment apart).
                let wait = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap().div_ceil(60));
                let status = response.status();
                let page = response.text().await.unwrap().replace(email, "EMAIL");
                let page = tokens.replace_all(&page, "TOKEN").to_string();
                seen.push((status, wait, page));
            }
            seen
        }
        let real = probe(&app, "ada@example.com").await;
        let made_up = probe(&app, "nobody@example.com").await;
        assert_eq!(real.iter().map(|s| s.0).collect::<Vec<_>>(), [[StatusCode::UNAUTHORIZED; 5].as_slice(), &[StatusCode::TOO_MANY_REQUESTS]].concat());
        assert_eq!(real, made_up, "the lock tells nobody which emails exist");
        assert_eq!(app.browser().login("NOBODY@example.com ", "not the password").await.status(), StatusCode::TOO_MANY_REQUESTS, "counted per normalised email");
        let rows = app.audit_rows().await;
        assert!(rows.iter().any(|r| r.0 == "account_locked" && r.2.as_deref() == Some("nobody@example.com")), "the lock of an unknown email is audited too");
    }

    async fn ipv6_clients_share_one_allowance_per_64_bit_network(app: TestApp) {
        let behind_proxy = app
            .with_settings(|s| {
                s.ip_rate_limit = Some(RateLimit { requests: 2, per_seconds: 60 });
                s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            })
            .await;
        let from = |ip: &str| Browser::forwarded_for(&behind_proxy.address, ip);
        for ip in ["2001:db8:1:2::1", "2001:db8:1:2::2"] {
            assert_eq!(from(ip).login("nobody@example.com", "whatever it is").await.status(), StatusCode::UNAUTHORIZED, "{ip}");
        }
        let same_network = from("2001:db8:1:2:ffff::3").login("nobody@example.com", "whatever it is").await;
        assert_eq!(same_network.status(), StatusCode::TOO_MANY_REQUESTS, "a new address in the same /64 is no new allowance");
        let next_network = from("2001:db8:1:3::1").login("nobody@example.com", "whatever it is").await;
        assert_eq!(next_network.status(), StatusCode::UNAUTHORIZED, "the next /64 has its own");
    }
}
