//! Passkeys from their owner's side: adding one on `/profile/passkeys` (and renaming and
//! removing it), signing in with it and no password, using it instead of the code at the
//! second step; and what is refused: an answer for another address or another site, an
//! answer sent twice or to another session, a late answer, a removed passkey, a disabled
//! account, a signature counter that went backwards, too many refused answers.
//!
//! The browser's `navigator.credentials` is played by a software authenticator
//! (`webauthn-authenticator-rs`'s `SoftPasskey`), told the site's address
//! (`app.settings.base_url`, `http://localhost:PORT`) as the browser would; the HTTP requests
//! go to `app.address` as usual. The admin's side is in `tests/web/admin_passkeys.rs`.

use regex::Regex;
use reqwest::StatusCode;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse, Url,
};

use crate::helpers::*;
use crate::on_both_backends;

const EMAIL: &str = "ada@example.com";
const EXPIRED: &str = "This passkey request has expired or was already used.";
const NOT_ACCEPTED: &str = "That passkey was not accepted.";

// ---------------------------------------------------------------------------------------
// The test authenticator, and the requests the site's script makes.
// ---------------------------------------------------------------------------------------

/// Asks for a ceremony's options as `static/passkeys.js` does: a POST with the page's CSRF
/// token in `X-CSRF-Token`, answered in JSON.
async fn ceremony_options(browser: &Browser, path: &str) -> ApiResponse {
    let token = browser.csrf_token().await;
    browser
        .api(
            reqwest::Method::POST,
            path,
            None,
            &[("X-CSRF-Token", &token)],
        )
        .await
}

/// The options of a ceremony that must start.
async fn options_json(browser: &Browser, path: &str) -> serde_json::Value {
    let options = ceremony_options(browser, path).await;
    assert_eq!(options.status, StatusCode::OK, "{path}: {}", options.text);
    options.json
}

/// A person's passkey: a software authenticator, and what the site told it when the
/// passkey was made. It stands in for the browser and the device together.
struct Passkey {
    authenticator: SoftPasskey,
    /// The address the browser says it is on (the site's, unless a test says otherwise).
    origin: Url,
    /// The credential's id (base64url), once made.
    credential_id: Option<String>,
    /// The account handle the registration options carried (`publicKey.user.id`).
    user_handle: Option<Vec<u8>>,
}

impl Passkey {
    fn new(app: &TestApp) -> Self {
        Self {
            // `true`: it claims to have verified the person (PIN or biometrics), as the
            // site requires.
            authenticator: SoftPasskey::new(true),
            origin: Url::parse(&app.settings.base_url).unwrap(),
            credential_id: None,
            user_handle: None,
        }
    }

    /// Makes the passkey for registration options; the browser's answer (JSON) for the form.
    fn register(&mut self, options: serde_json::Value) -> String {
        let options: CreationChallengeResponse =
            serde_json::from_value(options).expect("registration options webauthn-rs reads");
        let user_handle = options.public_key.user.id.clone();
        let answer = self
            .authenticator
            .do_registration(self.origin.clone(), options)
            .expect("the authenticator makes a passkey");
        self.credential_id = Some(answer.id.clone());
        self.user_handle = Some(user_handle);
        serde_json::to_string(&answer).unwrap()
    }

    /// Signs sign-in options (a passwordless login, or a second step).
    fn sign(&mut self, mut options: serde_json::Value) -> PublicKeyCredential {
        let id = self
            .credential_id
            .clone()
            .expect("a passkey was made first");
        let allowed = &mut options["publicKey"]["allowCredentials"];
        if allowed.as_array().is_none_or(Vec::is_empty) {
            // A passwordless login names no credential (a discoverable passkey is found by
            // the authenticator itself); SoftPasskey only looks among the listed ones.
            *allowed = serde_json::json!([{ "type": "public-key", "id": id }]);
        }
        let options: RequestChallengeResponse =
            serde_json::from_value(options).expect("sign-in options webauthn-rs reads");
        let mut answer = self
            .authenticator
            .do_authentication(self.origin.clone(), options)
            .expect("the authenticator signs");
        // SoftPasskey returns no userHandle, a real discoverable passkey returns the account
        // handle it was made with. The handle is not covered by the signature, so setting it
        // here forges nothing the server verifies.
        answer.response.user_handle = self.user_handle.clone();
        answer
    }

    /// Adds this passkey under `name` through `/profile/passkeys`, as the page's script does.
    async fn add(&mut self, browser: &Browser, name: &str) -> reqwest::Response {
        let options = options_json(browser, "/profile/passkeys/options").await;
        let credential = self.register(options);
        browser
            .submit(
                "/profile/passkeys",
                &[("name", name), ("credential", &credential)],
            )
            .await
    }

    /// The answer to a fresh passwordless login in this browser (not sent yet).
    async fn login_answer(&mut self, browser: &Browser) -> PublicKeyCredential {
        let options = options_json(browser, "/login/passkey/options").await;
        assert!(
            options["publicKey"]["allowCredentials"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "a passwordless login names no passkey: {options}"
        );
        self.sign(options)
    }

    /// "Sign in with a passkey" on `/login`, with the login form's other fields.
    async fn sign_in(&mut self, browser: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
        let answer = self.login_answer(browser).await;
        send_login(browser, &answer, fields).await
    }

    /// "Use a passkey instead" at the second step of a two-step login.
    async fn second_step(&mut self, browser: &Browser) -> reqwest::Response {
        let options = options_json(browser, "/login/two-factor/passkey/options").await;
        let credential = serde_json::to_string(&self.sign(options)).unwrap();
        browser
            .submit("/login/two-factor/passkey", &[("credential", &credential)])
            .await
    }
}

/// Sends a passwordless login's answer, as the login form does.
async fn send_login(
    browser: &Browser,
    answer: &PublicKeyCredential,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let credential = serde_json::to_string(answer).unwrap();
    let mut form = vec![("credential", credential.as_str())];
    form.extend_from_slice(fields);
    browser.submit("/login/passkey", &form).await
}

// ---------------------------------------------------------------------------------------

/// Ada, signed up (so she typed her password just now), with the passkey "Laptop".
async fn ada_with_a_passkey(app: &TestApp) -> (Browser, Passkey) {
    let browser = app.signed_up_browser("Ada", EMAIL).await;
    let mut passkey = Passkey::new(app);
    let added = passkey.add(&browser, "Laptop").await;
    assert_eq!(
        (added.status(), location(&added)),
        (StatusCode::SEE_OTHER, "/profile/passkeys".into()),
        "the passkey is added"
    );
    (browser, passkey)
}

/// Ada with her passkey, logged out.
async fn ada_logged_out_with_a_passkey(app: &TestApp) -> Passkey {
    let (browser, passkey) = ada_with_a_passkey(app).await;
    browser.logout().await;
    passkey
}

async fn is_logged_in(browser: &Browser) -> bool {
    browser.get("/profile").await.status() == StatusCode::OK
}

/// The page of a refusal, asserting its status.
async fn refused(response: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status, "{}", location(&response));
    response.text().await.unwrap()
}

/// (outcome, detail) of the audit rows with this action.
async fn audited(app: &TestApp, action: &str) -> Vec<(String, Option<String>)> {
    app.audit_rows()
        .await
        .into_iter()
        .filter(|row| row.0 == action)
        .map(|row| (row.1, row.3))
        .collect()
}

/// The id of the first passkey listed on `/profile/passkeys`.
fn first_passkey_id(page: &str) -> String {
    Regex::new(r"/profile/passkeys/(\d+)/remove")
        .unwrap()
        .captures(page)
        .map(|c| c[1].to_string())
        .expect("a passkey is listed")
}

/// (added, last used) of the passkey `name` as its table row shows them.
fn listed(page: &str, name: &str) -> Option<(String, String)> {
    let row = Regex::new(&format!(
        r"<td>{}</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>",
        regex::escape(name)
    ))
    .unwrap();
    row.captures(page)
        .map(|c| (c[1].to_string(), c[2].to_string()))
}

/// The stored state of the newest session (the session store keeps it as JSON).
async fn newest_session_state(app: &TestApp) -> String {
    use diesel::prelude::*;
    use gatehouse::db::schema::sessions;
    app.query(|conn| {
        sessions::table
            .order(sessions::id.desc())
            .select(sessions::state)
            .first(conn)
    })
    .await
}

/// Puts back what [`newest_session_state`] read.
async fn restore_newest_session_state(app: &TestApp, state: String) {
    use diesel::prelude::*;
    use gatehouse::db::schema::sessions;
    app.query(move |conn| {
        let id: i64 = sessions::table
            .order(sessions::id.desc())
            .select(sessions::id)
            .first(conn)?;
        diesel::update(sessions::table.find(id))
            .set(sessions::state.eq(state))
            .execute(conn)
    })
    .await;
    assert!(
        newest_session_state(app).await.contains("passkey_ceremony"),
        "the ceremony is named again"
    );
}

const WHEN: &str = r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$";

on_both_backends! {
    async fn a_person_adds_a_passkey_renames_it_and_removes_it(app: TestApp) {
        let (browser, _passkey) = ada_with_a_passkey(&app).await;
        let (status, page) = browser.get_text("/profile/passkeys").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Added the passkey “Laptop”."), "the flash says so");
        let (added, last_used) = listed(&page, "Laptop").expect("listed by name");
        assert!(Regex::new(WHEN).unwrap().is_match(&added), "added: {added}");
        assert_eq!(last_used, "never");
        assert_eq!(audited(&app, "passkey_add").await, [(String::from("success"), Some(String::from("passkey \"Laptop\"")))]);
        app.wait_for_mail(EMAIL, "A passkey was added to your Gatehouse account").await;

        let id = first_passkey_id(&page);
        let renamed = browser.submit(&format!("/profile/passkeys/{id}/rename"), &[("name", "Work laptop")]).await;
        assert_eq!((renamed.status(), location(&renamed)), (StatusCode::SEE_OTHER, "/profile/passkeys".into()));
        let (_, page) = browser.get_text("/profile/passkeys").await;
        assert!(page.contains("Renamed the passkey."));
        assert!(listed(&page, "Work laptop").is_some() && listed(&page, "Laptop").is_none(), "{page}");
        assert_eq!(audited(&app, "passkey_rename").await.len(), 1);
        let empty = browser.submit(&format!("/profile/passkeys/{id}/rename"), &[("name", " ")]).await;
        assert!(refused(empty, StatusCode::UNPROCESSABLE_ENTITY).await.contains("Give the passkey a name"));

        let removed = browser.submit(&format!("/profile/passkeys/{id}/remove"), &[]).await;
        assert_eq!((removed.status(), location(&removed)), (StatusCode::SEE_OTHER, "/profile/passkeys".into()));
        let (_, page) = browser.get_text("/profile/passkeys").await;
        assert!(page.contains("Removed the passkey “Work laptop”."));
        assert!(page.contains("You have no passkeys."));
        assert_eq!(audited(&app, "passkey_remove").await, [(String::from("success"), Some(String::from("passkey \"Work laptop\"")))]);
        let mail = app.wait_for_mail(EMAIL, "A passkey was removed from your Gatehouse account").await;
        assert!(mail.contains("Work laptop"), "{mail}");
        let again = browser.submit(&format!("/profile/passkeys/{id}/remove"), &[]).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND, "gone is gone");
    }

    async fn someone_else_cannot_rename_or_remove_a_passkey_or_reach_the_page_without_the_password(app: TestApp) {
        let (ada, _passkey) = ada_with_a_passkey(&app).await;
        let (_, page) = ada.get_text("/profile/passkeys").await;
        let id = first_passkey_id(&page);
        let bob = app.signed_up_browser("Bob", "bob@example.com").await;
        let rename = bob.submit(&format!("/profile/passkeys/{id}/rename"), &[("name", "Mine now")]).await;
        assert_eq!(rename.status(), StatusCode::NOT_FOUND);
        let remove = bob.submit(&format!("/profile/passkeys/{id}/remove"), &[]).await;
        assert_eq!(remove.status(), StatusCode::NOT_FOUND);
        let (_, page) = ada.get_text("/profile/passkeys").await;
        assert!(listed(&page, "Laptop").is_some(), "still Ada's");

        app.clock.advance(11 * 60);
        let page = ada.get("/profile/passkeys").await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER);
        assert!(location(&page).starts_with("/reauth"), "{}", location(&page));
        let options = ceremony_options(&ada, "/profile/passkeys/options").await;
        options.assert_error(StatusCode::UNAUTHORIZED);
    }

    async fn a_passkey_signs_in_with_no_email_and_no_password(app: TestApp) {
        let mut passkey = ada_logged_out_with_a_passkey(&app).await;
        let browser = app.browser();
        let (_, login) = browser.get_text("/login").await;
        assert!(login.contains("Sign in with a passkey"));
        let forged = browser.api(reqwest::Method::POST, "/login/passkey/options", None, &[]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "the options need the CSRF token too");
        let signed_in = passkey.sign_in(&browser, &[]).await;
        assert_eq!((signed_in.status(), location(&signed_in)), (StatusCode::SEE_OTHER, "/profile".into()));
        assert!(is_logged_in(&browser).await);
        let logins = audited(&app, "login").await;
        assert!(logins.contains(&("success".into(), Some("with the passkey \"Laptop\"".into()))), "{logins:?}");

        let (status, page) = browser.get_text("/profile/passkeys").await;
        assert_eq!(status, StatusCode::OK, "a passkey login counts as a fresh login");
        let (_, last_used) = listed(&page, "Laptop").unwrap();
        assert!(Regex::new(WHEN).unwrap().is_match(&last_used), "last used: {last_used}");

        browser.logout().await;
        let onward = passkey.sign_in(&browser, &[("next", "/sessions"), ("remember", "on")]).await;
        assert_eq!(location(&onward), "/sessions", "on to where the login was going");
        let cookie = onward
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("gatehouse_session="))
            .expect("a session cookie")
            .to_string();
        assert!(cookie.contains("Max-Age=2592000"), "kept for 30 days: {cookie}");
        let elsewhere = passkey.sign_in(&app.browser(), &[("next", "https://evil.example/")]).await;
        assert_eq!(location(&elsewhere), "/profile", "never off the site");
    }

    async fn with_two_step_login_a_passkey_stands_in_for_the_code(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        browser.turn_on_two_factor(&app).await;
        let mut passkey = Passkey::new(&app);
        assert_eq!(passkey.add(&browser, "Laptop").await.status(), StatusCode::SEE_OTHER);
        browser.logout().await;

        let browser = app.browser();
        let password = browser
            .submit("/login", &[("email", EMAIL), ("password", PASSWORD), ("next", "/sessions")])
            .await;
        assert_eq!(location(&password), "/login/two-factor");
        let (_, form) = browser.get_text("/login/two-factor").await;
        assert!(form.contains("Use a passkey instead"));
        let options = options_json(&browser, "/login/two-factor/passkey/options").await;
        let named = options["publicKey"]["allowCredentials"].as_array().cloned().unwrap_or_default();
        assert_eq!(named.len(), 1, "the account's passkey is named: {options}");
        let done = passkey.second_step(&browser).await;
        assert_eq!((done.status(), location(&done)), (StatusCode::SEE_OTHER, "/sessions".into()));
        assert!(is_logged_in(&browser).await);
        let logins = audited(&app, "login").await;
        assert!(logins.contains(&("success".into(), Some("with the passkey \"Laptop\"".into()))), "{logins:?}");

        // The passkey verified the person (PIN or biometrics): alone it is a whole login.
        let other = app.browser();
        let passwordless = passkey.sign_in(&other, &[]).await;
        assert_eq!(location(&passwordless), "/profile", "no code asked");
        assert!(is_logged_in(&other).await);

        // No half-done login, no passkey options.
        let nobody = ceremony_options(&app.browser(), "/login/two-factor/passkey/options").await;
        assert!(nobody.status.is_client_error(), "{}: {}", nobody.status, nobody.text);
    }

    async fn an_answer_for_another_address_or_another_site_is_refused(app: TestApp) {
        let base_url = app.settings.base_url.clone();
        let origin_message = format!("Open the site at {base_url} and try again.");
        let rp_message = format!("This passkey belongs to another site, not {base_url}.");
        let (browser, mut passkey) = ada_with_a_passkey(&app).await;

        // A browser on another port of this host: another origin.
        passkey.origin = Url::parse("http://localhost:1").unwrap();
        let mut elsewhere = Passkey::new(&app);
        elsewhere.origin = passkey.origin.clone();
        let added = elsewhere.add(&browser, "Phone").await;
        let page = refused(added, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains("This passkey answered for another address than this site"), "{page}");
        assert!(page.contains(&origin_message), "{page}");
        let visitor = app.browser();
        let page = refused(passkey.sign_in(&visitor, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(&origin_message), "{page}");
        assert!(!is_logged_in(&visitor).await);

        // Options whose RP id was changed on the way: the authenticator (which accepts
        // "LOCALHOST" for localhost) signs for another RP id than the site's.
        passkey.origin = Url::parse(&base_url).unwrap();
        let mut options = options_json(&browser, "/profile/passkeys/options").await;
        options["publicKey"]["rp"]["id"] = "LOCALHOST".into();
        let credential = Passkey::new(&app).register(options);
        let added = browser.submit("/profile/passkeys", &[("name", "Phone"), ("credential", &credential)]).await;
        let page = refused(added, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(&rp_message), "{page}");
        let mut options = options_json(&visitor, "/login/passkey/options").await;
        options["publicKey"]["rpId"] = "LOCALHOST".into();
        let answer = passkey.sign(options);
        let page = refused(send_login(&visitor, &answer, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(&rp_message), "{page}");
        assert!(!is_logged_in(&visitor).await);

        let (_, page) = browser.get_text("/profile/passkeys").await;
        assert!(listed(&page, "Phone").is_none(), "nothing was added");
        assert_eq!(audited(&app, "passkey_add").await.len(), 1);
        // The right address still works.
        assert_eq!(location(&passkey.sign_in(&visitor, &[]).await), "/profile");
    }

    async fn an_answer_is_accepted_once_and_only_in_the_session_that_asked(app: TestApp) {
        let mut passkey = ada_logged_out_with_a_passkey(&app).await;
        let laptop = app.browser();
        let answer = passkey.login_answer(&laptop).await;

        // Another session, with a ceremony of its own, sends the laptop's answer.
        let attacker = app.browser();
        options_json(&attacker, "/login/passkey/options").await;
        let page = refused(send_login(&attacker, &answer, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(EXPIRED), "{page}");
        assert!(!is_logged_in(&attacker).await);

        // The session that asked is not disturbed; its answer works once.
        assert_eq!(location(&send_login(&laptop, &answer, &[]).await), "/profile");
        laptop.logout().await;
        let page = refused(send_login(&laptop, &answer, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(EXPIRED), "{page}");
        // Not even in a new ceremony of the same session: its challenge is another.
        options_json(&laptop, "/login/passkey/options").await;
        let page = refused(send_login(&laptop, &answer, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(EXPIRED), "{page}");
        assert!(!is_logged_in(&laptop).await);

        // Adding a passkey: the same answer twice adds it once.
        let browser = app.browser();
        assert_eq!(location(&browser.login(EMAIL, PASSWORD).await), "/profile");
        let mut phone = Passkey::new(&app);
        let options = options_json(&browser, "/profile/passkeys/options").await;
        let asked = newest_session_state(&app).await;
        let credential = phone.register(options);
        let form = [("name", "Phone"), ("credential", credential.as_str())];
        assert_eq!(browser.submit("/profile/passkeys", &form).await.status(), StatusCode::SEE_OTHER);
        let page = refused(browser.submit("/profile/passkeys", &form).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(EXPIRED), "{page}");
        // A stale copy of the session that still names the ceremony: only the database
        // knows it was answered.
        restore_newest_session_state(&app, asked).await;
        let page = refused(browser.submit("/profile/passkeys", &form).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(EXPIRED), "{page}");
        assert_eq!(audited(&app, "passkey_add").await.len(), 2, "Laptop and Phone, once each");

        // Two tabs send one answer at the same moment: one adds it, the other is refused.
        let mut key = Passkey::new(&app);
        let options = options_json(&browser, "/profile/passkeys/options").await;
        let credential = key.register(options);
        let form = [("name", "Blue key"), ("credential", credential.as_str())];
        let (first, second) = tokio::join!(
            browser.submit("/profile/passkeys", &form),
            browser.submit("/profile/passkeys", &form)
        );
        let (added, other) = if first.status() == StatusCode::SEE_OTHER { (first, second) } else { (second, first) };
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let page = refused(other, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(EXPIRED), "{page}");
        let (_, page) = browser.get_text("/profile/passkeys").await;
        assert_eq!(page.matches("<td>Blue key</td>").count(), 1, "{page}");
        assert_eq!(audited(&app, "passkey_add").await.len(), 3);
    }

    async fn a_passkey_request_expires_after_five_minutes(app: TestApp) {
        let mut passkey = ada_logged_out_with_a_passkey(&app).await;
        let browser = app.browser();
        let answer = passkey.login_answer(&browser).await;
        app.clock.advance(5 * 60);
        let page = refused(send_login(&browser, &answer, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(EXPIRED), "{page}");
        assert!(page.contains("you have five minutes"), "{page}");
        assert!(!is_logged_in(&browser).await);
        assert_eq!(location(&passkey.sign_in(&browser, &[]).await), "/profile", "a new request works");

        // Adding one: the same rule.
        let mut phone = Passkey::new(&app);
        let options = options_json(&browser, "/profile/passkeys/options").await;
        let credential = phone.register(options);
        app.clock.advance(5 * 60);
        let late = browser.submit("/profile/passkeys", &[("name", "Phone"), ("credential", &credential)]).await;
        let page = refused(late, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(EXPIRED), "{page}");
    }

    async fn a_removed_passkey_no_longer_signs_in(app: TestApp) {
        let (browser, mut passkey) = ada_with_a_passkey(&app).await;
        let (_, page) = browser.get_text("/profile/passkeys").await;
        let id = first_passkey_id(&page);
        assert_eq!(browser.submit(&format!("/profile/passkeys/{id}/remove"), &[]).await.status(), StatusCode::SEE_OTHER);
        browser.logout().await;
        let page = refused(passkey.sign_in(&browser, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(NOT_ACCEPTED), "{page}");
        assert!(!is_logged_in(&browser).await);
        let logins = audited(&app, "login").await;
        assert!(logins.contains(&("failure".into(), Some("unknown passkey".into()))), "{logins:?}");
    }

    async fn a_disabled_account_cannot_sign_in_with_its_passkey(app: TestApp) {
        let mut passkey = ada_logged_out_with_a_passkey(&app).await;
        app.set_active(EMAIL, false).await;
        let browser = app.browser();
        let page = refused(passkey.sign_in(&browser, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(NOT_ACCEPTED), "{page}");
        assert!(!is_logged_in(&browser).await);
        let logins = audited(&app, "login").await;
        assert!(logins.contains(&("failure".into(), Some("account disabled".into()))), "{logins:?}");
        app.set_active(EMAIL, true).await;
        assert_eq!(location(&passkey.sign_in(&browser, &[]).await), "/profile", "enabled again, it works");
    }

    async fn a_signature_counter_that_goes_backwards_is_refused_and_audited(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::passkeys;
        let mut passkey = ada_logged_out_with_a_passkey(&app).await;
        for _ in 0..2 {
            let browser = app.browser();
            assert_eq!(location(&passkey.sign_in(&browser, &[]).await), "/profile");
        }
        let counter: i64 = app.query(|conn| passkeys::table.select(passkeys::sign_count).first(conn)).await;
        assert_eq!(counter, 2, "the counter is kept");

        // A copy of the authenticator signed ten times elsewhere: the site saw a higher count.
        app.query(|conn| {
            let stored: String = passkeys::table.select(passkeys::passkey).first(conn)?;
            let mut credential: serde_json::Value = serde_json::from_str(&stored).unwrap();
            credential["cred"]["counter"] = 10.into();
            diesel::update(passkeys::table)
                .set((passkeys::passkey.eq(credential.to_string()), passkeys::sign_count.eq(10)))
                .execute(conn)
        })
        .await;
        let browser = app.browser();
        let page = refused(passkey.sign_in(&browser, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(NOT_ACCEPTED), "{page}");
        assert!(!is_logged_in(&browser).await);
        let regressions = audited(&app, "passkey_counter_regression").await;
        assert_eq!(regressions.len(), 1, "{regressions:?}");
        assert!(regressions[0].1.as_deref().unwrap_or_default().contains("Laptop"), "{regressions:?}");
        let counter: i64 = app.query(|conn| passkeys::table.select(passkeys::sign_count).first(conn)).await;
        assert_eq!(counter, 10, "a refused answer changes nothing");
    }

    async fn five_refused_passkey_answers_lock_the_account_like_wrong_passwords(app: TestApp) {
        let mut passkey = ada_logged_out_with_a_passkey(&app).await;
        let attacker = app.browser();
        for attempt in 0..5 {
            let mut answer = passkey.login_answer(&attacker).await;
            let last = answer.response.signature.len() - 1;
            answer.response.signature[last] ^= 0x01;
            let page = refused(send_login(&attacker, &answer, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(page.contains(NOT_ACCEPTED), "attempt {attempt}: {page}");
        }
        let locked = passkey.sign_in(&attacker, &[]).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "locked, even with a good answer");
        assert!(locked.headers().contains_key("retry-after"));
        assert!(!is_logged_in(&attacker).await);
        let password = app.browser().login(EMAIL, PASSWORD).await;
        assert_eq!(password.status(), StatusCode::TOO_MANY_REQUESTS, "the password login is locked too");
        assert_eq!(audited(&app, "account_locked").await.len(), 1);
        let logins = audited(&app, "login").await;
        assert!(logins.contains(&("failure".into(), Some("account locked".into()))), "{logins:?}");
    }

    async fn a_refused_name_keeps_the_answer_for_the_corrected_form(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        let mut passkey = Passkey::new(&app);
        let options = options_json(&browser, "/profile/passkeys/options").await;
        let credential = passkey.register(options);
        let unnamed = browser.submit("/profile/passkeys", &[("name", ""), ("credential", &credential)]).await;
        let page = refused(unnamed, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains("Give the passkey a name, such as the device it is on."), "{page}");
        assert!(page.contains("aria-invalid=\"true\""), "the field is marked");
        let named = browser.submit("/profile/passkeys", &[("name", "Laptop"), ("credential", &credential)]).await;
        assert_eq!((named.status(), location(&named)), (StatusCode::SEE_OTHER, "/profile/passkeys".into()));
        let (_, page) = browser.get_text("/profile/passkeys").await;
        assert!(listed(&page, "Laptop").is_some());
        browser.logout().await;
        assert_eq!(location(&passkey.sign_in(&browser, &[]).await), "/profile", "and it signs in");
    }

    async fn without_javascript_the_passkey_buttons_stay_hidden_and_a_note_says_why(app: TestApp) {
        let hidden = |page: &str, marker: &str| {
            Regex::new(&format!(r#"<(?:button|form)\b[^>]*data-passkey="{marker}"[^>]*\shidden>"#))
                .unwrap()
                .is_match(page)
        };
        let inline_scripts = |page: &str| {
            Regex::new(r"<script\b[^>]*>").unwrap().find_iter(page).filter(|tag| !tag.as_str().contains(" src=")).count()
        };
        let visitor = app.browser();
        let login = visitor.get("/login").await;
        let policy = login.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let page = login.text().await.unwrap();
        assert!(hidden(&page, "login"), "{page}");
        assert!(page.contains("data-passkey-fallback"));
        assert!(page.contains("Signing in with it needs JavaScript."));
        assert_eq!(inline_scripts(&page), 0);

        let browser = app.signed_up_browser("Ada", EMAIL).await;
        let (status, page) = browser.get_text("/profile/passkeys").await;
        assert_eq!(status, StatusCode::OK);
        assert!(hidden(&page, "add"), "{page}");
        assert!(page.contains("data-passkey-fallback"));
        assert!(page.contains("Adding a passkey needs JavaScript"));
        assert_eq!(inline_scripts(&page), 0);

        let script = Regex::new(r#"<script src="(/static/passkeys\.[0-9a-f]{12}\.js)" defer></script>"#)
            .unwrap()
            .captures(&page)
            .map(|c| c[1].to_string())
            .expect("the page loads the passkey script");
        let served = visitor.get(&script).await;
        assert_eq!(served.status(), StatusCode::OK);
        let content_type = served.headers().get("content-type").unwrap().to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/javascript"), "{content_type}");
        assert!(served.text().await.unwrap().contains("navigator.credentials"));
    }

    async fn another_accounts_passkey_does_not_pass_someones_second_step(app: TestApp) {
        let ada = app.signed_up_browser("Ada", EMAIL).await;
        ada.turn_on_two_factor(&app).await;
        let mut adas = Passkey::new(&app);
        assert_eq!(adas.add(&ada, "Laptop").await.status(), StatusCode::SEE_OTHER);
        ada.logout().await;
        let bob = app.signed_up_browser("Bob", "bob@example.com").await;
        let mut bobs = Passkey::new(&app);
        assert_eq!(bobs.add(&bob, "Bob's key").await.status(), StatusCode::SEE_OTHER);

        // Someone with Ada's password and Bob's passkey.
        let attacker = app.browser();
        assert_eq!(location(&attacker.login(EMAIL, PASSWORD).await), "/login/two-factor");
        let mut options = options_json(&attacker, "/login/two-factor/passkey/options").await;
        options["publicKey"]["allowCredentials"] = serde_json::json!([]); // Bob's key answers
        let credential = serde_json::to_string(&bobs.sign(options)).unwrap();
        let wrong = attacker.submit("/login/two-factor/passkey", &[("credential", &credential)]).await;
        let page = refused(wrong, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains(NOT_ACCEPTED), "{page}");
        assert!(!is_logged_in(&attacker).await);
        let failures = audited(&app, "login_second_factor").await;
        assert!(failures.contains(&("failure".into(), Some("a passkey not of this account".into()))), "{failures:?}");

        // Ada's own passkey, in the same half-done login, still works.
        assert_eq!(location(&adas.second_step(&attacker).await), "/profile");
    }

    async fn a_second_step_with_a_passkey_after_five_minutes_goes_back_to_the_password(app: TestApp) {
        let browser = app.signed_up_browser("Ada", EMAIL).await;
        browser.turn_on_two_factor(&app).await;
        let mut passkey = Passkey::new(&app);
        assert_eq!(passkey.add(&browser, "Laptop").await.status(), StatusCode::SEE_OTHER);
        browser.logout().await;
        browser.login(EMAIL, PASSWORD).await;
        let options = options_json(&browser, "/login/two-factor/passkey/options").await;
        let credential = serde_json::to_string(&passkey.sign(options)).unwrap();
        app.clock.advance(5 * 60);
        let late = browser.submit("/login/two-factor/passkey", &[("credential", &credential)]).await;
        assert_eq!((late.status(), location(&late)), (StatusCode::SEE_OTHER, "/login?expired=1".into()));
        assert!(!is_logged_in(&browser).await);
        let options = ceremony_options(&browser, "/login/two-factor/passkey/options").await;
        assert!(options.status.is_client_error(), "no new options either: {}", options.status);
    }

    async fn passkeys_are_unavailable_when_the_site_is_reached_by_an_ip_address(app: TestApp) {
        let by_ip = app
            .with_settings(|settings| settings.base_url = "http://127.0.0.1:8080".into())
            .await;
        let visitor = by_ip.browser();
        let (_, login) = visitor.get_text("/login").await;
        assert!(!login.contains("Sign in with a passkey") && !login.contains("/static/passkeys."), "{login}");
        let options = ceremony_options(&visitor, "/login/passkey/options").await;
        options.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(options.text.contains("GATEHOUSE_BASE_URL"), "{}", options.text);

        let browser = by_ip.signed_up_browser("Ada", EMAIL).await;
        let (status, page) = browser.get_text("/profile/passkeys").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Passkeys are not available on this site"), "{page}");
        assert!(!page.contains("data-passkey=\"add\""));
        let options = ceremony_options(&browser, "/profile/passkeys/options").await;
        options.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn the_last_passkey_of_an_account_without_a_password_is_not_removed(app: TestApp) {
        let (browser, _passkey) = ada_with_a_passkey(&app).await;
        // Accounts made through the pages always have a password; one made by an outside
        // sign-in will not. Until then, such an account is made here in the database.
        app.query(|conn| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            diesel::update(users::table.filter(users::email.eq(EMAIL)))
                .set(users::password_hash.eq(""))
                .execute(conn)
        })
        .await;
        let (_, page) = browser.get_text("/profile/passkeys").await;
        let id = first_passkey_id(&page);
        let removal = browser.submit(&format!("/profile/passkeys/{id}/remove"), &[]).await;
        let page = refused(removal, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains("This is the last way to log in to this account"), "{page}");
        let (_, page) = browser.get_text("/profile/passkeys").await;
        assert!(listed(&page, "Laptop").is_some(), "the passkey stays");
        assert!(audited(&app, "passkey_remove").await.is_empty());
        let refused_login = app.browser().login(EMAIL, "").await;
        assert_ne!(location(&refused_login), "/profile", "an empty password is no way in");
    }

    async fn a_passkey_that_did_not_verify_the_person_does_not_sign_in(app: TestApp) {
        let mut passkey = ada_logged_out_with_a_passkey(&app).await;
        let browser = app.browser();
        let mut answer = passkey.login_answer(&browser).await;
        // The authenticator data's flags (byte 32): clear "user verified" (0x04), as a key
        // that was only touched, with no PIN or fingerprint, would answer.
        answer.response.authenticator_data[32] &= !0x04;
        let page = refused(send_login(&browser, &answer, &[]).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(page.contains("Your device did not confirm it was you"), "{page}");
        assert!(!is_logged_in(&browser).await, "a passwordless login needs user verification");
    }

    async fn a_ceremony_started_on_one_instance_finishes_on_another(app: TestApp) {
        let site = app.settings.base_url.clone();
        let other = app.with_settings(|s| s.base_url = site).await;
        let mut passkey = ada_logged_out_with_a_passkey(&app).await;
        let here = app.browser();
        let answer = passkey.login_answer(&here).await;
        let cookie = here.session_cookie().expect("the ceremony's session");
        let there = Browser::with_cookie(&other.address, &cookie);
        let response = send_login(&there, &answer, &[]).await;
        assert_eq!(location(&response), "/profile", "the other instance finishes it");
        assert!(is_logged_in(&there).await);
    }
}
