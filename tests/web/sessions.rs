use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

/// The public ids in the revoke buttons of a sessions page.
fn revoke_ids(html: &str) -> Vec<String> {
    regex::Regex::new(r#"action="/sessions/([0-9a-f]{32})/revoke""#)
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_string())
        .collect()
}

/// The `Set-Cookie` line of the session cookie in a response, if it sets one.
fn session_cookie_set_by(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("gatehouse_session="))
}

on_both_backends! {
    async fn the_session_cookie_ends_with_the_browser_unless_kept_for_30_days(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let (plain, kept) = (app.browser(), app.browser());
        let login = plain.login("ada@example.com", PASSWORD).await;
        let cookie = session_cookie_set_by(&login).expect("login sets the session cookie");
        assert!(!cookie.contains("Max-Age") && !cookie.contains("Expires"), "a browser-session cookie: {cookie}");
        let login = kept.submit("/login", &[("email", "ada@example.com"), ("password", PASSWORD), ("remember", "on")]).await;
        let cookie = session_cookie_set_by(&login).expect("login sets the session cookie");
        assert!(cookie.contains("Max-Age=2592000"), "kept for 30 days: {cookie}");
        // A later change to the session writes the cookie again, with the same lifetime.
        for (browser, kept_for_30_days) in [(&plain, false), (&kept, true)] {
            let saved = browser.submit("/profile", &[("name", "Ada L"), ("email", "ada@example.com")]).await;
            assert_eq!(saved.status(), StatusCode::SEE_OTHER);
            let cookie = session_cookie_set_by(&saved).expect("the flash message changes the session");
            assert_eq!(cookie.contains("Max-Age=2592000"), kept_for_30_days, "{cookie}");
            assert!(!cookie.contains("Expires"), "{cookie}");
        }
    }

    async fn the_sessions_page_lists_each_login_and_marks_this_one(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        app.browser().login("ada@example.com", PASSWORD).await;
        let (status, html) = laptop.get_text("/sessions").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(revoke_ids(&html).len(), 2);
        assert_eq!(html.matches("This session").count(), 1);
        assert!(html.contains("Firefox on Linux"));
        assert!(html.contains("in 30 min"), "an ordinary session shows its idle time left");
        assert!(html.contains("127.0.0.1"));
    }

    async fn revoking_one_session_logs_that_browser_out(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let phone = app.browser();
        phone.login("ada@example.com", PASSWORD).await;
        let (_, html) = phone.get_text("/sessions").await;
        let phone_id = {
            let row = html.split("<tr").find(|row| row.contains("This session")).unwrap();
            revoke_ids(row)[0].clone()
        };
        let response = laptop.submit(&format!("/sessions/{phone_id}/revoke"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/sessions");
        assert_eq!(phone.get("/profile").await.status(), StatusCode::SEE_OTHER);
        assert_eq!(laptop.get("/profile").await.status(), StatusCode::OK);
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "session_revoke"));
    }

    async fn revoking_all_other_sessions_keeps_this_one(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let others: Vec<Browser> = (0..2).map(|_| app.browser()).collect();
        for other in &others {
            other.login("ada@example.com", PASSWORD).await;
        }
        let response = laptop.submit("/sessions/revoke", &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, html) = laptop.get_text("/sessions").await;
        assert!(html.contains("2 other sessions were logged out."));
        assert_eq!(revoke_ids(&html).len(), 1);
        for other in &others {
            assert_eq!(other.get("/profile").await.status(), StatusCode::SEE_OTHER);
        }
    }

    async fn nobody_can_revoke_another_users_session(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let mallory = app.signed_up_browser("Mallory", "mallory@example.com").await;
        let (_, html) = ada.get_text("/sessions").await;
        let ada_id = revoke_ids(&html)[0].clone();
        let response = mallory.submit(&format!("/sessions/{ada_id}/revoke"), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(ada.get("/profile").await.status(), StatusCode::OK);
    }

    async fn revoking_this_session_from_its_own_page_logs_out(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let (_, html) = browser.get_text("/sessions").await;
        let response = browser.submit(&format!("/sessions/{}/revoke", revoke_ids(&html)[0]), &[]).await;
        assert_eq!(location(&response), "/login");
        assert_eq!(browser.get("/profile").await.status(), StatusCode::SEE_OTHER);
    }

    async fn an_idle_session_ends_after_30_minutes(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        app.clock.advance(29 * 60);
        assert_eq!(browser.get("/profile").await.status(), StatusCode::OK, "activity extends the session");
        app.clock.advance(29 * 60);
        assert_eq!(browser.get("/profile").await.status(), StatusCode::OK);
        app.clock.advance(31 * 60);
        assert_eq!(browser.get("/profile").await.status(), StatusCode::SEE_OTHER);
    }

    async fn remember_me_survives_idleness_but_not_the_30_day_limit(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let browser = app.browser();
        browser.submit("/login", &[("email", "ada@example.com"), ("password", PASSWORD), ("remember", "on")]).await;
        assert!(browser.get_text("/sessions").await.1.contains("in 30 days"), "a remembered session shows its days left");
        app.clock.advance(3 * 24 * 3600);
        assert_eq!(browser.get("/profile").await.status(), StatusCode::OK, "remembered for days of idleness");
        for _ in 0..13 {
            app.clock.advance(2 * 24 * 3600);
            assert_eq!(browser.get("/profile").await.status(), StatusCode::OK);
        }
        app.clock.advance(2 * 24 * 3600);
        assert_eq!(browser.get("/profile").await.status(), StatusCode::SEE_OTHER, "30 days after login it ends");
    }
}
