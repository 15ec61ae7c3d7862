use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const NEW_PASSWORD: &str = "a fresh passphrase for ada";

/// The reset link in a mail, as a path.
fn link_in(mail: &str) -> String {
    regex::Regex::new(r"http://localhost:\d+(/password-reset/[0-9a-f]{64})")
        .unwrap()
        .captures(mail)
        .expect("a reset link")[1]
        .to_string()
}

/// Waits for `count` reset links mailed to `to`; returns them in no particular order.
async fn reset_links_to(app: &TestApp, to: &str, count: usize) -> Vec<String> {
    for _ in 0..200 {
        let links: Vec<String> = app
            .mails()
            .iter()
            .filter(|m| {
                m.contains(&format!("To: {to}")) && m.contains("Reset your Gatehouse password")
            })
            .map(|m| link_in(m))
            .collect();
        if links.len() >= count {
            return links;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} reset links reached {to}");
}

async fn ask_for_a_link(app: &TestApp, email: &str) -> reqwest::Response {
    app.browser()
        .submit("/password-reset", &[("email", email)])
        .await
}

on_both_backends! {
    async fn a_forgotten_password_is_reset_through_the_mailed_link(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let visitor = app.browser();
        let asked = visitor.submit("/password-reset", &[("email", "ADA@example.com ")]).await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&asked), "/password-reset?sent=1");
        let (_, sent) = visitor.get_text("/password-reset?sent=1").await;
        assert!(sent.contains("If an account exists for that address"));
        let mail = app.wait_for_mail("ada@example.com", "Reset your Gatehouse password").await;
        let link = link_in(&mail);
        let (status, form) = visitor.get_text(&link).await;
        assert_eq!(status, StatusCode::OK);
        assert!(form.contains("Choose a new password") && form.contains("ada@example.com"));
        let done = visitor.submit(&link, &[("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)]).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&done), "/login?reset=1");
        assert!(visitor.get_text("/login?reset=1").await.1.contains("Your password was changed."));
        assert_eq!(laptop.get("/profile").await.status(), StatusCode::SEE_OTHER, "every session ended");
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.browser().login("ada@example.com", NEW_PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(visitor.get(&link).await.status(), StatusCode::GONE, "the link works once");
        app.wait_for_mail("ada@example.com", "Your Gatehouse password was changed").await;
        let actions: Vec<String> = app.audit_rows().await.into_iter().map(|r| r.0).collect();
        assert!(actions.contains(&"password_reset_request".to_string()) && actions.contains(&"password_reset".to_string()));
        let everything = format!("{:?}{:?}", app.audit_rows().await, app.mails());
        assert!(!everything.contains(NEW_PASSWORD), "the new password is in no mail and no audit row");
    }

    async fn asking_for_a_link_answers_the_same_whether_or_not_the_account_exists(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let known = ask_for_a_link(&app, "ada@example.com").await;
        let unknown = ask_for_a_link(&app, "nobody@example.com").await;
        assert_eq!((known.status(), location(&known)), (unknown.status(), location(&unknown)));
        assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
        app.wait_for_mail("ada@example.com", "Reset your").await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(app.mails().iter().all(|m| !m.contains("nobody@example.com")), "no mail for an unknown address");
        let bad = ask_for_a_link(&app, "not an email").await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn an_expired_or_unknown_link_is_refused(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        ask_for_a_link(&app, "ada@example.com").await;
        let link = link_in(&app.wait_for_mail("ada@example.com", "Reset your").await);
        app.clock.advance(61 * 60);
        let browser = app.browser();
        let expired = browser.get(&link).await;
        assert_eq!(expired.status(), StatusCode::GONE);
        assert!(expired.text().await.unwrap().contains("This link has expired or was already used."));
        assert_eq!(browser.submit(&link, &[("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)]).await.status(), StatusCode::GONE);
        assert_eq!(browser.get(&format!("/password-reset/{}", "0".repeat(64))).await.status(), StatusCode::GONE);
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER, "nothing changed");
    }

    async fn a_weak_new_password_is_refused_and_the_link_still_works(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        ask_for_a_link(&app, "ada@example.com").await;
        let link = link_in(&app.wait_for_mail("ada@example.com", "Reset your").await);
        let browser = app.browser();
        let weak = browser.submit(&link, &[("new_password", "password1"), ("new_password_confirm", "password1")]).await;
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(weak.text().await.unwrap().contains("too common"));
        let done = browser.submit(&link, &[("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)]).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
    }

    async fn a_reset_lifts_a_login_lock(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        for _ in 0..5 {
            app.browser().login("ada@example.com", "not the password").await;
        }
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
        ask_for_a_link(&app, "ada@example.com").await;
        let link = link_in(&app.wait_for_mail("ada@example.com", "Reset your").await);
        app.browser().submit(&link, &[("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)]).await;
        assert_eq!(app.browser().login("ada@example.com", NEW_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }

    async fn using_one_reset_link_ends_the_others(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        ask_for_a_link(&app, "ada@example.com").await;
        ask_for_a_link(&app, "ada@example.com").await;
        let links = reset_links_to(&app, "ada@example.com", 2).await;
        let browser = app.browser();
        let used = browser.submit(&links[0], &[("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)]).await;
        assert_eq!(used.status(), StatusCode::SEE_OTHER);
        assert_eq!(browser.get(&links[1]).await.status(), StatusCode::GONE);
        let again = browser.submit(&links[1], &[("new_password", "someone else's passphrase"), ("new_password_confirm", "someone else's passphrase")]).await;
        assert_eq!(again.status(), StatusCode::GONE);
        assert_eq!(app.browser().login("ada@example.com", NEW_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }

    async fn changing_the_password_ends_open_reset_links(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        ask_for_a_link(&app, "ada@example.com").await;
        let link = link_in(&app.wait_for_mail("ada@example.com", "Reset your").await);
        let changed = ada.submit("/password", &[("current_password", PASSWORD), ("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)]).await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.browser().get(&link).await.status(), StatusCode::GONE);
    }

    async fn an_admin_setting_a_password_ends_open_reset_links(app: TestApp) {
        let admin = app.admin_browser().await;
        app.signed_up_browser("Ada", "ada@example.com").await;
        ask_for_a_link(&app, "ada@example.com").await;
        let link = link_in(&app.wait_for_mail("ada@example.com", "Reset your").await);
        let id = app.user_id("ada@example.com").await;
        let fields = [("name", "Ada"), ("email", "ada@example.com"), ("role", "user"), ("active", "on"), ("new_password", NEW_PASSWORD)];
        assert_eq!(admin.submit(&format!("/admin/users/{id}/edit"), &fields).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.browser().get(&link).await.status(), StatusCode::GONE);
    }

    async fn changing_the_email_ends_links_sent_to_the_old_address(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let verification = regex::Regex::new(r"http://localhost:\d+(/verify-email/[0-9a-f]{64})").unwrap();
        let old_verification = verification.captures(&app.wait_for_mail("ada@example.com", "Verify your email").await).unwrap()[1].to_string();
        ask_for_a_link(&app, "ada@example.com").await;
        let reset = link_in(&app.wait_for_mail("ada@example.com", "Reset your").await);
        let changed = ada.submit("/profile", &[("name", "Ada"), ("email", "ada.new@example.com"), ("current_password", PASSWORD)]).await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        let stranger = app.browser();
        assert_eq!(stranger.get(&reset).await.status(), StatusCode::GONE, "the reset link mailed to the old address");
        assert_eq!(stranger.get(&old_verification).await.status(), StatusCode::GONE, "the verification link of the old address");
    }

    async fn a_reset_revokes_every_api_token_and_the_mail_says_so(app: TestApp) {
        let (_, script) = app.user_api("Ada", "ada@example.com").await;
        assert_eq!(script.get("/api/me").await.status, StatusCode::OK);
        ask_for_a_link(&app, "ada@example.com").await;
        let link = link_in(&app.wait_for_mail("ada@example.com", "Reset your").await);
        let done = app.browser().submit(&link, &[("new_password", NEW_PASSWORD), ("new_password_confirm", NEW_PASSWORD)]).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        script.get("/api/me").await.assert_error(StatusCode::UNAUTHORIZED);
        app.wait_for_mail("ada@example.com", "Your API token was revoked too.").await;
        let reset = app.audit_rows().await.into_iter().find(|r| r.0 == "password_reset").unwrap();
        assert!(reset.3.unwrap().ends_with("API tokens revoked: 1"));
    }
}
