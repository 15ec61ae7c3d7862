use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn the_first_admin_is_created_through_the_one_time_setup_link(app: TestApp) {
        let token = app.setup_token.clone().expect("a fresh install logs a setup link");
        let browser = app.browser();
        let (status, html) = browser.get_text(&format!("/setup/{token}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Create the first admin"));
        let response = browser
            .submit(&format!("/setup/{token}"), &[("name", "Root"), ("email", "root@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, html) = browser.get_text("/profile").await;
        assert!(html.contains(r#"href="/admin/users""#), "the new account is an admin");
        assert_eq!(app.browser().get(&format!("/setup/{token}")).await.status(), StatusCode::NOT_FOUND, "the link works once");
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "setup_admin"));
    }

    async fn a_wrong_setup_link_is_not_found(app: TestApp) {
        let browser = app.browser();
        assert_eq!(browser.get(&format!("/setup/{}", "ab".repeat(32))).await.status(), StatusCode::NOT_FOUND);
        let response = browser
            .submit(&format!("/setup/{}", "ab".repeat(32)), &[("name", "Root"), ("email", "root@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.count_users().await, 0);
    }

    async fn the_setup_form_shows_errors_like_any_other_form(app: TestApp) {
        let token = app.setup_token.clone().unwrap();
        let response = app.browser().submit(&format!("/setup/{token}"), &[("name", ""), ("email", "root@example.com")]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("Enter your name."));
        assert_eq!(app.browser().get(&format!("/setup/{token}")).await.status(), StatusCode::OK, "a refused form does not use up the link");
    }
}
