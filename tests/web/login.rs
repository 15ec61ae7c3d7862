use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn an_anonymous_visitor_is_sent_to_login_and_back_to_the_page_they_wanted(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let browser = app.browser();
        let response = browser.get("/sessions").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/login?next=%2Fsessions");
        let (_, html) = browser.get_text("/login?next=%2Fsessions").await;
        assert!(html.contains(r#"name="next" value="/sessions""#));
        let response = browser
            .submit("/login", &[("email", "ada@example.com"), ("password", PASSWORD), ("next", "/sessions")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/sessions");
        assert_eq!(browser.get("/sessions").await.status(), StatusCode::OK);
    }

    async fn login_with_wrong_password_is_refused_without_saying_whether_the_email_exists(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let wrong_password = app.browser().login("ada@example.com", "not the password").await;
        assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
        let wrong_page = wrong_password.text().await.unwrap();
        let unknown_email = app.browser().login("nobody@example.com", "not the password").await;
        assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
        let unknown_page = unknown_email.text().await.unwrap();
        assert!(wrong_page.contains("The email or password is incorrect."));
        let without_token = |html: &str| regex::Regex::new("[0-9a-f]{64}").unwrap().replace_all(html, "").replace("nobody@", "ada@");
        assert_eq!(without_token(&wrong_page), without_token(&unknown_page), "both refusals look the same");
        assert!(!wrong_page.contains("not the password"));
        let failures: Vec<_> = app.audit_rows().await.into_iter().filter(|r| r.0 == "login" && r.1 == "failure").collect();
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].2.as_deref(), Some("ada@example.com"));
        assert_eq!(failures[0].3.as_deref(), Some("wrong password"));
        assert_eq!(failures[1].3.as_deref(), Some("unknown email"));
    }

    async fn login_keeps_the_typed_email_and_the_remember_choice_after_a_refusal(app: TestApp) {
        let response = app.browser().submit("/login", &[("email", "ada@example.com"), ("password", "nope nope"), ("remember", "on")]).await;
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"value="ada@example.com""#));
        assert!(html.contains(r#"value="on" checked"#));
    }

    async fn login_never_redirects_to_another_site(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        for next in ["https://evil.example/", "//evil.example/", "/\\evil.example"] {
            let response = app.browser().submit("/login", &[("email", "ada@example.com"), ("password", PASSWORD), ("next", next)]).await;
            assert_eq!(location(&response), "/profile", "next={next}");
        }
    }

    async fn logging_in_issues_a_new_session_key_and_kills_the_old_one(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let browser = app.browser();
        browser.login("ada@example.com", PASSWORD).await;
        let first = browser.session_cookie().expect("a session cookie after login");
        let response = browser.login("ada@example.com", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let second = browser.session_cookie().unwrap();
        assert_ne!(first, second, "the session key changes at login (no fixation)");
        let planted = Browser::with_cookie(&app.address, &first);
        assert_eq!(planted.get("/profile").await.status(), StatusCode::SEE_OTHER, "the old key is dead");
    }

    async fn logout_ends_the_session_and_a_copied_cookie_is_dead_too(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let cookie = browser.session_cookie().unwrap();
        let copy = Browser::with_cookie(&app.address, &cookie);
        assert_eq!(copy.get("/profile").await.status(), StatusCode::OK, "the copy works while logged in");
        let response = browser.logout().await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/login");
        assert_eq!(browser.get("/profile").await.status(), StatusCode::SEE_OTHER);
        assert_eq!(copy.get("/profile").await.status(), StatusCode::SEE_OTHER, "the copied cookie is dead");
        assert_eq!(app.count_sessions().await, 0);
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "logout"));
    }

    async fn a_disabled_account_cannot_log_in_and_loses_its_session_at_once(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        app.set_active("ada@example.com", false).await;
        assert_eq!(browser.get("/profile").await.status(), StatusCode::SEE_OTHER);
        let response = app.browser().login("ada@example.com", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.text().await.unwrap().contains("The email or password is incorrect."));
        let last = app.audit_rows().await.pop().unwrap();
        assert_eq!((last.0.as_str(), last.1.as_str(), last.3.as_deref()), ("login", "failure", Some("account disabled")));
    }

    async fn an_old_cost_hash_is_upgraded_at_the_next_login(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        app.signed_up_browser("Ada", "ada@example.com").await;
        let old = bcrypt::hash(PASSWORD, 5).unwrap();
        app.query(move |c| diesel::update(users::table).set(users::password_hash.eq(old)).execute(c)).await;
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let hash: String = app.query(|c| users::table.select(users::password_hash).first(c)).await;
        assert!(hash.starts_with("$2b$04$"), "{hash}");
    }
}
