use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const TEN_MINUTES_AND_A_BIT: i64 = 10 * 60 + 1;

/// Posts a form from `page` (the browser sends that page as the Referer, as a real one does).
async fn submit_from(
    browser: &Browser,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = browser.csrf_token().await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    browser
        .client
        .post(browser.url(path))
        .header("referer", browser.url(page))
        .form(&form)
        .send()
        .await
        .unwrap()
}

on_both_backends! {
    async fn a_fresh_login_can_end_other_sessions_at_once(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let phone = app.browser();
        phone.login("ada@example.com", PASSWORD).await;
        let ended = submit_from(&laptop, "/sessions", "/sessions/revoke", &[]).await;
        assert_eq!((ended.status(), location(&ended)), (StatusCode::SEE_OTHER, "/sessions".into()));
        assert_eq!(phone.get("/profile").await.status(), StatusCode::SEE_OTHER, "the phone is logged out");
    }

    async fn ending_sessions_ten_minutes_after_login_asks_for_the_password_again(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let phone = app.browser();
        phone.login("ada@example.com", PASSWORD).await;
        app.clock.advance(TEN_MINUTES_AND_A_BIT);
        let asked = submit_from(&laptop, "/sessions", "/sessions/revoke", &[]).await;
        assert_eq!((asked.status(), location(&asked)), (StatusCode::SEE_OTHER, "/reauth?next=%2Fsessions".into()));
        assert_eq!(phone.get("/profile").await.status(), StatusCode::OK, "nothing changed yet");
        let (status, form) = laptop.get_text("/reauth?next=%2Fsessions").await;
        assert_eq!(status, StatusCode::OK);
        assert!(form.contains("Confirm it&#x27;s you") || form.contains("Confirm it's you"));
        let wrong = laptop.submit("/reauth", &[("password", "not my password"), ("next", "/sessions")]).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("That password is not correct."));
        let empty = laptop.submit("/reauth", &[("password", ""), ("next", "/sessions")]).await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let confirmed = laptop.submit("/reauth", &[("password", PASSWORD), ("next", "/sessions")]).await;
        assert_eq!((confirmed.status(), location(&confirmed)), (StatusCode::SEE_OTHER, "/sessions".into()));
        let ended = submit_from(&laptop, "/sessions", "/sessions/revoke", &[]).await;
        assert_eq!(location(&ended), "/sessions");
        assert_eq!(phone.get("/profile").await.status(), StatusCode::SEE_OTHER, "now the phone is logged out");
        let actions: Vec<(String, String)> = app.audit_rows().await.into_iter().map(|r| (r.0, r.1)).collect();
        assert!(actions.contains(&("reauthenticate".into(), "failure".into())));
        assert!(actions.contains(&("reauthenticate".into(), "success".into())));
    }

    async fn the_confirmation_lasts_ten_minutes(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        app.clock.advance(TEN_MINUTES_AND_A_BIT);
        laptop.submit("/reauth", &[("password", PASSWORD), ("next", "/sessions")]).await;
        app.clock.advance(9 * 60);
        assert_eq!(location(&laptop.submit("/sessions/revoke", &[]).await), "/sessions");
        app.clock.advance(2 * 60);
        assert_eq!(location(&laptop.submit("/sessions/revoke", &[]).await), "/reauth?next=%2Fprofile", "no referer: back to the profile");
    }

    async fn wrong_passwords_on_the_confirm_page_count_towards_the_lockout(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        app.clock.advance(TEN_MINUTES_AND_A_BIT);
        for _ in 0..5 {
            laptop.submit("/reauth", &[("password", "a wrong guess")]).await;
        }
        let locked = laptop.submit("/reauth", &[("password", PASSWORD)]).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(locked.headers().contains_key("retry-after"));
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    async fn a_next_address_off_this_site_is_not_followed(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let confirmed = laptop.submit("/reauth", &[("password", PASSWORD), ("next", "https://evil.example/")]).await;
        assert_eq!(location(&confirmed), "/profile");
    }

    async fn api_tokens_ten_minutes_after_login_need_the_password_again(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        app.clock.advance(TEN_MINUTES_AND_A_BIT);
        let asked = submit_from(&ada, "/profile/tokens", "/profile/tokens", &[("name", "backup script")]).await;
        assert_eq!(location(&asked), "/reauth?next=%2Fprofile%2Ftokens");
        assert!(!ada.get_text("/profile/tokens").await.1.contains("backup script"), "no token was made");
        ada.submit("/reauth", &[("password", PASSWORD), ("next", "/profile/tokens")]).await;
        let made = submit_from(&ada, "/profile/tokens", "/profile/tokens", &[("name", "backup script")]).await;
        assert_eq!(location(&made), "/profile/tokens");
        let (_, page) = ada.get_text("/profile/tokens").await;
        assert!(page.contains("backup script"));
        let id = regex::Regex::new(r#"/profile/tokens/(\d+)/revoke"#).unwrap().captures(&page).expect("a revoke button")[1].to_string();
        app.clock.advance(TEN_MINUTES_AND_A_BIT);
        let asked = submit_from(&ada, "/profile/tokens", &format!("/profile/tokens/{id}/revoke"), &[]).await;
        assert_eq!(location(&asked), "/reauth?next=%2Fprofile%2Ftokens", "revoking asks too");
    }
}
