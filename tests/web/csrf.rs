use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
        let browser = app.browser();
        assert_eq!(browser.get("/register").await.status(), StatusCode::OK);
        let response = browser
            .post_raw("/register", &[("name", "Al"), ("email", "al@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.text().await.unwrap().contains("This form has expired or did not come from this site."));
        assert_eq!(app.count_users().await, 0);
    }

    async fn a_token_from_another_browser_is_refused(app: TestApp) {
        let attacker = app.browser();
        let attackers_token = attacker.csrf_token().await;
        let victim = app.browser();
        assert_eq!(victim.get("/").await.status(), StatusCode::OK);
        let response = victim
            .post_raw("/register", &[("name", "Al"), ("email", "al@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD), ("csrf_token", &attackers_token)])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.count_users().await, 0);
    }

    async fn a_logged_in_form_needs_the_sessions_token(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let refused = browser.post_raw("/profile", &[("name", "Hacked"), ("email", "ada@example.com"), ("csrf_token", &"0".repeat(64))]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let refused_logout = browser.post_raw("/logout", &[]).await;
        assert_eq!(refused_logout.status(), StatusCode::FORBIDDEN);
        let (status, html) = browser.get_text("/profile").await;
        assert_eq!(status, StatusCode::OK, "still logged in: the refused logout did nothing");
        assert!(html.contains(r#"value="Ada""#), "nothing changed");
    }

    async fn the_token_also_works_as_an_x_csrf_token_header(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let token = browser.csrf_token().await;
        let response = browser.client.post(browser.url("/logout")).header("X-CSRF-Token", token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(browser.get("/profile").await.status(), StatusCode::SEE_OTHER);
    }

    async fn anonymous_visitors_leave_no_session_rows(app: TestApp) {
        let bot = app.browser();
        for (path, status) in [
            ("/", StatusCode::OK),
            ("/login", StatusCode::OK),
            ("/register", StatusCode::OK),
            ("/nope", StatusCode::NOT_FOUND),
            ("/profile", StatusCode::SEE_OTHER),
        ] {
            assert_eq!(bot.get(path).await.status(), status, "{path}");
        }
        assert_eq!(bot.login("nobody@example.com", "whatever it is").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.count_sessions().await, 0);
    }
}
