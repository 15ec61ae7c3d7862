//! Two-step login: a person turns it on with their authenticator app, then logs in with the
//! password and a code (or a recovery code); codes work once, late or wrong ones are
//! refused and counted, and the second step guards re-authentication and password resets.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const EMAIL: &str = "ada@example.com";
const STEP: i64 = 30;

/// Ada, signed up with two-step login on, and logged out.
async fn ada_with_two_factor(app: &TestApp) -> TwoFactor {
    let browser = app.signed_up_browser("Ada", EMAIL).await;
    let two_factor = browser.turn_on_two_factor(app).await;
    browser.logout().await;
    two_factor
}

async fn is_logged_in(browser: &Browser) -> bool {
    browser.get("/profile").await.status() == StatusCode::OK
}

on_both_backends! {
    async fn a_person_turns_on_two_step_login_with_a_code_from_their_app(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        let (status, setup) = browser.get_text("/profile/two-factor").await;
        assert_eq!(status, StatusCode::OK);
        assert!(setup.contains("<svg role=\"img\""), "a QR code drawn on the server");
        let secret = totp_secret_in(&setup).expect("the secret to type");
        let (_, again) = browser.get_text("/profile/two-factor").await;
        assert_eq!(totp_secret_in(&again), Some(secret.clone()), "a reload shows what was scanned");

        let wrong = browser.submit("/profile/two-factor", &[("code", "000000")]).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("That code is not correct."));
        let garbled = browser.submit("/profile/two-factor", &[("code", "12ab")]).await;
        assert_eq!(garbled.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let code = totp_code(&secret, app.clock.now());
        let on = browser.submit("/profile/two-factor", &[("code", &code)]).await;
        assert_eq!(on.status(), StatusCode::OK);
        let page = on.text().await.unwrap();
        assert_eq!(recovery_codes_in(&page).len(), 10, "ten recovery codes, shown once");
        assert!(page.contains("is <strong>on</strong>"));

        let (_, later) = browser.get_text("/profile/two-factor").await;
        assert!(recovery_codes_in(&later).is_empty(), "the codes are not shown again");
        assert!(totp_secret_in(&later).is_none() && !later.contains(&secret), "nor the secret");
        app.wait_for_mail(EMAIL, "Two-step login was just turned on").await;
        let actions: Vec<String> = app.audit_rows().await.into_iter().map(|row| row.0).collect();
        assert!(actions.contains(&"two_factor_enable".to_string()));
    }

    async fn the_secret_is_sealed_at_rest_and_recovery_codes_are_stored_hashed(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        let two_factor = browser.turn_on_two_factor(&app).await;
        let stored: Vec<String> = app
            .query(|conn| {
                use diesel::prelude::*;
                use gatehouse::db::schema::{recovery_codes, totp_secrets};
                let mut stored: Vec<String> = totp_secrets::table.select(totp_secrets::sealed_secret).load(conn)?;
                stored.extend(recovery_codes::table.select(recovery_codes::code_hash).load::<String>(conn)?);
                Ok(stored)
            })
            .await;
        assert_eq!(stored.len(), 11);
        let raw_secret = two_factor.secret.replace(' ', "");
        for value in &stored {
            assert!(!value.contains(&raw_secret) && !value.to_uppercase().contains(&raw_secret));
            for code in &two_factor.recovery_codes {
                assert!(!value.contains(code.as_str()) && !value.contains(&code.replace('-', "")));
            }
        }
        assert!(stored[0].starts_with("v1:"), "sealed: {}", stored[0]);
    }

    async fn with_two_step_login_the_password_alone_does_not_log_in(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let browser = app.browser();
        let password = browser.login(EMAIL, PASSWORD).await;
        assert_eq!((password.status(), location(&password)), (StatusCode::SEE_OTHER, "/login/two-factor".into()));
        assert!(!is_logged_in(&browser).await, "no page before the code");
        let me = browser.api(reqwest::Method::GET, "/api/me", None, &[]).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "no API either");
        let (status, form) = browser.get_text("/login/two-factor").await;
        assert_eq!(status, StatusCode::OK);
        assert!(form.contains("Enter your code"));

        let logged_in = browser.submit("/login/two-factor", &[("code", &two_factor.code(&app))]).await;
        assert_eq!((logged_in.status(), location(&logged_in)), (StatusCode::SEE_OTHER, "/profile".into()));
        assert!(is_logged_in(&browser).await);
        let actions: Vec<(String, String)> = app.audit_rows().await.into_iter().map(|r| (r.0, r.1)).collect();
        assert!(actions.contains(&("login_password".into(), "success".into())));
        assert!(actions.contains(&("login".into(), "success".into())));
    }

    async fn a_wrong_code_is_refused_and_the_login_can_go_on(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let browser = app.browser();
        browser.login(EMAIL, PASSWORD).await;
        let wrong = browser.submit("/login/two-factor", &[("code", "123456")]).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("That code is not correct."));
        let empty = browser.submit("/login/two-factor", &[("code", "")]).await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!is_logged_in(&browser).await);
        let right = browser.submit("/login/two-factor", &[("code", &two_factor.code(&app))]).await;
        assert_eq!(location(&right), "/profile");
        let failures: Vec<_> = app.audit_rows().await.into_iter().filter(|r| r.0 == "login_second_factor").collect();
        assert_eq!(failures.len(), 1, "the wrong code has its own audit row (an empty field is not a try)");
    }

    async fn a_code_is_accepted_once_even_within_its_30_seconds(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let code = two_factor.code(&app);
        let laptop = app.browser();
        assert_eq!(location(&laptop.login_with_code(EMAIL, PASSWORD, &code).await), "/profile");
        let attacker = app.browser();
        let replayed = attacker.login_with_code(EMAIL, PASSWORD, &code).await;
        assert_eq!(replayed.status(), StatusCode::UNPROCESSABLE_ENTITY, "the same code again is refused");
        assert!(!is_logged_in(&attacker).await);
        app.wait_for_mail(EMAIL, "had already been used was just typed again").await;
        let actions: Vec<(String, Option<String>)> = app.audit_rows().await.into_iter().map(|r| (r.0, r.3)).collect();
        assert!(actions.contains(&("login_second_factor".into(), Some("code already used".into()))), "{actions:?}");
        app.clock.advance(STEP);
        let next = attacker.submit("/login/two-factor", &[("code", &two_factor.code(&app))]).await;
        assert_eq!(location(&next), "/profile", "the next step's code works");
    }

    async fn a_code_from_the_step_before_or_after_is_accepted(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        app.clock.advance(STEP); // the step before is not the one set-up used
        let browser = app.browser();
        let behind = totp_code(&two_factor.secret, app.clock.now() - STEP);
        assert_eq!(location(&browser.login_with_code(EMAIL, PASSWORD, &behind).await), "/profile");
        browser.logout().await;
        let ahead = totp_code(&two_factor.secret, app.clock.now() + STEP);
        assert_eq!(location(&browser.login_with_code(EMAIL, PASSWORD, &ahead).await), "/profile");
        browser.logout().await;
        app.clock.advance(STEP * 5);
        let stale = totp_code(&two_factor.secret, app.clock.now() - 2 * STEP);
        let refused = browser.login_with_code(EMAIL, PASSWORD, &stale).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "two steps old is too old");
    }

    async fn a_recovery_code_logs_in_once_and_the_owner_is_told(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let recovery = two_factor.recovery_codes[3].to_uppercase();
        let browser = app.browser();
        let first = browser.login_with_code(EMAIL, PASSWORD, &recovery).await;
        assert_eq!(location(&first), "/profile");
        let mail = app.wait_for_mail(EMAIL, "One of your recovery codes was just used").await;
        assert!(mail.contains("You have 9 left"), "{mail}");
        browser.logout().await;
        let again = browser.login_with_code(EMAIL, PASSWORD, &recovery).await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "a recovery code works once");
        assert!(!is_logged_in(&browser).await);
    }

    async fn a_half_done_login_ends_after_five_minutes(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let browser = app.browser();
        browser.login(EMAIL, PASSWORD).await;
        app.clock.advance(5 * 60);
        let late = browser.submit("/login/two-factor", &[("code", &two_factor.code(&app))]).await;
        assert_eq!((late.status(), location(&late)), (StatusCode::SEE_OTHER, "/login?expired=1".into()));
        assert!(!is_logged_in(&browser).await);
        let (_, login) = browser.get_text("/login?expired=1").await;
        assert!(login.contains("took more than five minutes"));
        let shown = browser.get("/login/two-factor").await;
        assert_eq!(location(&shown), "/login?expired=1");
        let nobody = app.browser().get("/login/two-factor").await;
        assert_eq!(location(&nobody), "/login?expired=1", "no half-done login at all");
    }

    async fn five_wrong_codes_lock_the_account_like_wrong_passwords(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let attacker = app.browser();
        for attempt in 0..5 {
            if attempt % 2 == 0 {
                // Typing the right password again does not wipe the wrong codes out.
                attacker.login(EMAIL, PASSWORD).await;
            }
            let wrong = attacker.submit("/login/two-factor", &[("code", "000000")]).await;
            assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
        }
        let right = attacker.submit("/login/two-factor", &[("code", &two_factor.code(&app))]).await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS, "locked, even with the right code");
        assert!(right.headers().contains_key("retry-after"));
        let owner = app.browser();
        let password = owner.login(EMAIL, PASSWORD).await;
        assert_eq!(password.status(), StatusCode::TOO_MANY_REQUESTS, "the password login is locked too");
        let actions: Vec<String> = app.audit_rows().await.into_iter().map(|row| row.0).collect();
        assert!(actions.contains(&"account_locked".to_string()));
    }

    async fn keep_me_logged_in_still_works_with_two_step_login(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let browser = app.browser();
        browser.submit("/login", &[("email", EMAIL), ("password", PASSWORD), ("remember", "on")]).await;
        let done = browser.submit("/login/two-factor", &[("code", &two_factor.code(&app))]).await;
        assert_eq!(location(&done), "/profile");
        let cookie = done
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("gatehouse_session="))
            .expect("a session cookie")
            .to_string();
        assert!(cookie.contains("Max-Age=2592000"), "kept for 30 days: {cookie}");
    }

    async fn a_password_reset_does_not_skip_the_second_step(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let browser = app.browser();
        browser.submit("/password-reset", &[("email", EMAIL)]).await;
        let mail = app.wait_for_mail(EMAIL, "/password-reset/").await;
        let path = regex::Regex::new(r"/password-reset/[0-9a-f]+").unwrap().find(&mail).unwrap().as_str().to_string();
        let new_password = "a brand new passphrase";
        let reset = browser.submit(&path, &[("new_password", new_password), ("new_password_confirm", new_password)]).await;
        assert_eq!(reset.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(!is_logged_in(&browser).await, "the reset logs nobody in");
        let password = browser.login(EMAIL, new_password).await;
        assert_eq!(location(&password), "/login/two-factor", "the code is still asked");
        let done = browser.submit("/login/two-factor", &[("code", &two_factor.code(&app))]).await;
        assert_eq!(location(&done), "/profile");
    }

    async fn re_authentication_asks_for_a_code_too(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        let two_factor = browser.turn_on_two_factor(&app).await;
        app.clock.advance(11 * 60);
        let (_, form) = browser.get_text("/reauth?next=%2Fprofile%2Ftokens").await;
        assert!(form.contains("name=\"code\""), "the form asks for a code");
        let password_only = browser.submit("/reauth", &[("password", PASSWORD), ("next", "/profile/tokens")]).await;
        assert_eq!(password_only.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(password_only.text().await.unwrap().contains("Enter the 6-digit code"));
        let wrong = browser.submit("/reauth", &[("password", PASSWORD), ("code", "000000"), ("next", "/profile/tokens")]).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let confirmed = browser
            .submit("/reauth", &[("password", PASSWORD), ("code", &two_factor.code(&app)), ("next", "/profile/tokens")])
            .await;
        assert_eq!(location(&confirmed), "/profile/tokens");
        let token = browser.create_api_token("backup script", "").await;
        let script = ApiClient::new(&app.address, Some(&token));
        assert_eq!(script.get("/api/me").await.status, StatusCode::OK, "a token needs no code to work");
    }

    async fn changing_the_password_or_the_email_asks_for_a_code(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        let two_factor = browser.turn_on_two_factor(&app).await;
        let new_password = "another fine passphrase";
        let change = [("current_password", PASSWORD), ("new_password", new_password), ("new_password_confirm", new_password)];
        let without = browser.submit("/password", &change).await;
        assert_eq!(without.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(without.text().await.unwrap().contains("Enter the 6-digit code"));
        let code = two_factor.code(&app);
        let mut with_code = change.to_vec();
        with_code.push(("code", &code));
        assert_eq!(browser.submit("/password", &with_code).await.status(), StatusCode::SEE_OTHER);

        app.clock.advance(STEP);
        let email = [("name", "Ada"), ("email", "ada@lovelace.example"), ("current_password", new_password)];
        let without = browser.submit("/profile", &email).await;
        assert_eq!(without.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let code = two_factor.code(&app);
        let mut with_code = email.to_vec();
        with_code.push(("code", &code));
        assert_eq!(browser.submit("/profile", &with_code).await.status(), StatusCode::SEE_OTHER);
        let name_only = browser.submit("/profile", &[("name", "Ada L."), ("email", "ada@lovelace.example")]).await;
        assert_eq!(name_only.status(), StatusCode::SEE_OTHER, "a new name needs no code");
    }

    async fn turning_it_off_takes_the_password_and_a_code(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        let two_factor = browser.turn_on_two_factor(&app).await;
        let no_code = browser.submit("/profile/two-factor/off", &[("password", PASSWORD)]).await;
        assert_eq!(no_code.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let wrong_password = browser
            .submit("/profile/two-factor/off", &[("password", "nope nope nope"), ("off_code", &two_factor.code(&app))])
            .await;
        assert_eq!(wrong_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let off = browser
            .submit("/profile/two-factor/off", &[("password", PASSWORD), ("off_code", &two_factor.code(&app))])
            .await;
        assert_eq!((off.status(), location(&off)), (StatusCode::SEE_OTHER, "/profile/two-factor".into()));
        app.wait_for_mail(EMAIL, "two-step login was just turned off").await;
        browser.logout().await;
        assert_eq!(location(&browser.login(EMAIL, PASSWORD).await), "/profile", "the password alone again");
    }

    async fn new_recovery_codes_replace_the_old_ones(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        let two_factor = browser.turn_on_two_factor(&app).await;
        let fresh = browser.submit("/profile/two-factor/recovery-codes", &[]).await;
        assert_eq!(fresh.status(), StatusCode::OK);
        let new_codes = recovery_codes_in(&fresh.text().await.unwrap());
        assert_eq!(new_codes.len(), 10);
        browser.logout().await;
        let old = browser.login_with_code(EMAIL, PASSWORD, &two_factor.recovery_codes[0]).await;
        assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY, "the old codes died");
        let new = browser.submit("/login/two-factor", &[("code", &new_codes[0])]).await;
        assert_eq!(location(&new), "/profile");
    }

    async fn a_lost_secret_key_is_said_plainly_not_a_server_error(app: TestApp) {
        let two_factor = ada_with_two_factor(&app).await;
        let new_key = app
            .with_settings(|settings| settings.secret_key = Some(gatehouse::config::SecretKey::generate()))
            .await;
        let browser = new_key.browser();
        let refused = browser.login_with_code(EMAIL, PASSWORD, &two_factor.code(&app)).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().await.unwrap().contains("Ask an administrator to turn two-step login off"));
    }

    async fn a_half_done_login_has_no_authority_beyond_its_form(app: TestApp) {
        ada_with_two_factor(&app).await;
        let browser = app.browser();
        browser.login(EMAIL, PASSWORD).await;
        let change = browser.submit("/profile", &[("name", "Mallory"), ("email", EMAIL)]).await;
        assert_eq!(change.status(), StatusCode::SEE_OTHER);
        assert!(location(&change).starts_with("/login"), "sent to log in: {}", location(&change));
        let setup = browser.get("/profile/two-factor").await;
        assert!(location(&setup).starts_with("/login"));
        let name: String = app
            .query(|conn| {
                use diesel::prelude::*;
                use gatehouse::db::schema::users;
                users::table.select(users::name).first(conn)
            })
            .await;
        assert_eq!(name, "Ada");
    }
}
