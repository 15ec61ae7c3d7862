use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const NEW_PASSWORD: &str = "a brand new passphrase";

on_both_backends! {
    async fn changing_the_password_logs_out_every_other_session_but_this_one(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let phone = app.browser();
        phone.login("ada@example.com", PASSWORD).await;
        assert_eq!(phone.get("/profile").await.status(), StatusCode::OK);

        let response = laptop
            .submit("/password", &[("current_password", PASSWORD), ("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (status, html) = laptop.get_text("/profile").await;
        assert_eq!(status, StatusCode::OK, "this session stays");
        assert!(html.contains("Your password was changed."));
        assert_eq!(phone.get("/profile").await.status(), StatusCode::SEE_OTHER, "the other session ended");
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.browser().login("ada@example.com", NEW_PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "password_change" && r.3.as_deref() == Some("other sessions ended: 1")));
        let mail = app.wait_for_mail("ada@example.com", "Your Gatehouse password was changed").await;
        assert!(!mail.contains(NEW_PASSWORD));
    }

    async fn a_wrong_current_password_or_a_weak_new_one_is_refused(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let wrong = browser
            .submit("/password", &[("current_password", "not it at all"), ("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)])
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("Your current password is not correct."));
        let weak = browser
            .submit("/password", &[("current_password", PASSWORD), ("new_password", "12345678"), ("new_password_confirm", "12345678")])
            .await;
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = weak.text().await.unwrap();
        assert!(html.contains("too common"));
        assert!(!html.contains(PASSWORD) && !html.contains("12345678"), "passwords are never sent back");
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }

    async fn a_password_change_keeps_api_tokens_and_offers_to_revoke_them(app: TestApp) {
        let (ada, script) = app.user_api("Ada", "ada@example.com").await;
        let new = "a fresh passphrase for ada";
        let changed = ada.submit("/password", &[("current_password", PASSWORD), ("new_password", new), ("new_password_confirm", new)]).await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&changed), "/profile/tokens", "sent on to the tokens");
        let (_, page) = ada.get_text("/profile/tokens").await;
        assert!(page.contains("Your API tokens still work") && page.contains("Revoke all tokens"), "{page}");
        assert_eq!(script.get("/api/me").await.status, StatusCode::OK, "the token still works");
        let revoked = ada.submit("/profile/tokens/revoke-all", &[]).await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        assert!(ada.get_text("/profile/tokens").await.1.contains("Revoked your token."));
        script.get("/api/me").await.assert_error(StatusCode::UNAUTHORIZED);
    }

    async fn without_api_tokens_a_password_change_ends_on_the_profile(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let new = "a fresh passphrase for ada";
        let changed = ada.submit("/password", &[("current_password", PASSWORD), ("new_password", new), ("new_password_confirm", new)]).await;
        assert_eq!(location(&changed), "/profile");
    }
}
