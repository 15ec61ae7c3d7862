use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn a_visitor_signs_up_and_lands_on_their_profile(app: TestApp) {
        let browser = app.browser();
        let response = browser.register("Ada Lovelace", "Ada@Example.com", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/profile");
        let (status, html) = browser.get_text("/profile").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Signed in as <strong>Ada Lovelace</strong>"));
        assert!(html.contains(r#"value="ada@example.com""#), "email is stored trimmed and lower-cased");
        let actions: Vec<String> = app.audit_rows().await.into_iter().map(|r| r.0).collect();
        assert_eq!(actions, ["register", "email_verification_sent"]);
    }

    async fn sign_up_with_bad_fields_shows_each_error_and_keeps_what_was_typed(app: TestApp) {
        let browser = app.browser();
        let response = browser
            .submit("/register", &[("name", "Grace"), ("email", "not-an-email"), ("password", "short"), ("password_confirm", "short")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("There is a problem"));
        assert!(html.contains(r##"<a href="#email">Enter an email address like name@example.com.</a>"##));
        assert!(html.contains(r##"<a href="#password">Use at least 8 characters.</a>"##));
        assert!(html.contains(r#"id="email-error""#) && html.contains(r#"aria-describedby="email-error""#));
        assert!(html.contains(r#"value="Grace""#) && html.contains(r#"value="not-an-email""#));
        assert!(!html.contains("short"), "a password is never sent back");
        assert_eq!(app.count_users().await, 0);
    }

    async fn sign_up_with_missing_fields_is_a_form_error_not_a_crash(app: TestApp) {
        let response = app.browser().submit("/register", &[]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("Enter your name.") && html.contains("Enter your email address."));
    }

    async fn sign_up_with_mismatched_or_common_passwords_is_refused(app: TestApp) {
        let browser = app.browser();
        let mismatch = browser
            .submit("/register", &[("name", "Al"), ("email", "al@example.com"), ("password", PASSWORD), ("password_confirm", "something else entirely")])
            .await;
        assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(mismatch.text().await.unwrap().contains("The two passwords do not match."));
        let common = browser.register("Al", "al@example.com", "password123").await;
        assert_eq!(common.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(common.text().await.unwrap().contains("too common"));
        let same_as_email = browser.register("Al", "al@example.com", "AL@example.com").await;
        assert!(same_as_email.text().await.unwrap().contains("must not be your email address"));
        assert_eq!(app.count_users().await, 0);
    }

    async fn a_password_longer_than_72_bytes_is_refused_not_truncated(app: TestApp) {
        let long = "x".repeat(60) + "éééééééé"; // 60 + 16 = 76 bytes, 68 characters
        let response = app.browser().register("Al", "al@example.com", &long).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("Use at most 72 bytes (this one is 76 bytes"));
        assert_eq!(app.count_users().await, 0);
    }

    async fn an_email_is_taken_whatever_its_case(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let response = app.browser().register("Impostor", "  ADA@example.COM ", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("An account with this email already exists."));
        assert_eq!(app.count_users().await, 1);
    }

    async fn racing_sign_ups_for_one_email_make_one_account_and_no_error(app: TestApp) {
        let browsers: Vec<Browser> = (0..8).map(|_| app.browser()).collect();
        let mut tokens = Vec::new();
        for browser in &browsers {
            tokens.push(browser.csrf_token().await);
        }
        let attempts = browsers.iter().zip(&tokens).map(|(browser, token)| async move {
            browser.post_raw("/register", &[
                ("name", "Racer"), ("email", "race@example.com"),
                ("password", PASSWORD), ("password_confirm", PASSWORD), ("csrf_token", token),
            ]).await
        });
        let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::UNPROCESSABLE_ENTITY), "{statuses:?}");
        assert_eq!(app.count_users().await, 1);
    }

    async fn a_logged_in_visitor_is_sent_from_sign_up_to_their_profile(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let response = browser.get("/register").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/profile");
    }
}
