use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn a_user_changes_their_name_and_sees_it_saved(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let response = browser.submit("/profile", &[("name", "Ada King"), ("email", "ada@example.com")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/profile");
        let (_, html) = browser.get_text("/profile").await;
        assert!(html.contains("Your profile was saved."));
        assert!(html.contains(r#"value="Ada King""#));
        let (_, again) = browser.get_text("/profile").await;
        assert!(!again.contains("Your profile was saved."), "a flash message shows once");
    }

    async fn changing_the_email_needs_the_current_password(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let without = browser.submit("/profile", &[("name", "Ada"), ("email", "ada@new.example")]).await;
        assert_eq!(without.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = without.text().await.unwrap();
        assert!(html.contains("Enter your current password."));
        assert!(html.contains(r#"value="ada@new.example""#), "the typed email is kept");
        let wrong = browser.submit("/profile", &[("name", "Ada"), ("email", "ada@new.example"), ("current_password", "wrong wrong")]).await;
        assert!(wrong.text().await.unwrap().contains("Your current password is not correct."));
        let right = browser.submit("/profile", &[("name", "Ada"), ("email", "ada@new.example"), ("current_password", PASSWORD)]).await;
        assert_eq!(right.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.browser().login("ada@new.example", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        let detail = app.audit_rows().await.into_iter().find(|r| r.0 == "profile_update").unwrap().3;
        assert_eq!(detail.as_deref(), Some("changed: email"));
        let mail = app.wait_for_mail("ada@example.com", "Your Gatehouse email address was changed").await;
        assert!(mail.contains("from ada@example.com to ada@new.example"), "the old address is told: {mail}");
    }

    async fn an_email_taken_by_someone_else_is_refused(app: TestApp) {
        app.signed_up_browser("Grace", "grace@example.com").await;
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let response = browser.submit("/profile", &[("name", "Ada"), ("email", "GRACE@example.com"), ("current_password", PASSWORD)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("An account with this email already exists."));
    }

    async fn a_name_with_html_in_it_is_shown_escaped(app: TestApp) {
        let browser = app.signed_up_browser("<script>alert(1)</script>", "xss@example.com").await;
        let (_, html) = browser.get_text("/profile").await;
        assert!(!html.contains("<script>alert(1)</script>"));
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;") || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    }
}
