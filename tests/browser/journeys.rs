//! What people do, click by click, each ending in what the page shows.

use fantoccini::Locator;
use fantoccini::key::Key;
use reqwest::StatusCode;

use crate::chrome::{Chrome, JavaScript};
use crate::helpers::{PASSWORD, TestApp, location, totp_code};
use crate::{in_a_browser, in_a_browser_with_javascript};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Signs up through the form and lands on the profile.
async fn sign_up(chrome: &Chrome, name: &str, email: &str) {
    chrome.visit("/register").await;
    chrome.fill("name", name).await;
    chrome.fill("email", email).await;
    chrome.fill("password", PASSWORD).await;
    chrome.fill("password_confirm", PASSWORD).await;
    chrome.click("Create account").await;
}

async fn log_in(chrome: &Chrome, email: &str, password: &str) {
    chrome.fill("email", email).await;
    chrome.fill("password", password).await;
    chrome.click("Log in").await;
}

/// The text of the element with this id, as the person reads it off the page.
async fn read(chrome: &Chrome, id: &str) -> String {
    chrome
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("nothing shown as #{id}: {e}"))
        .text()
        .await
        .expect("its text")
}

/// The recovery codes listed on the page, as the person writes them down.
async fn recovery_codes_shown(chrome: &Chrome) -> Vec<String> {
    let mut codes = Vec::new();
    for code in chrome
        .client
        .find_all(Locator::Css("#recovery-codes li code"))
        .await
        .expect("a list")
    {
        codes.push(code.text().await.expect("a code"));
    }
    codes
}

in_a_browser! {
    async fn sign_up_and_land_on_the_profile(app: TestApp, chrome: Chrome) {
        sign_up(&chrome, "Ada Lovelace", "ada@example.com").await;
        assert_eq!(chrome.path().await, "/profile");
        let text = chrome.text().await;
        assert!(text.contains("Signed in as Ada Lovelace"), "{text}");
        assert!(text.contains("Please verify your email address"), "{text}");
        chrome.close().await;
    }

    async fn log_out_then_log_in_and_return_to_the_page_asked_for(app: TestApp, chrome: Chrome) {
        sign_up(&chrome, "Ada", "ada@example.com").await;
        chrome.click("Log out").await;
        assert_eq!(chrome.path().await, "/login");
        chrome.visit("/sessions").await;
        assert_eq!(chrome.path().await, "/login?next=%2Fsessions");
        log_in(&chrome, "ada@example.com", PASSWORD).await;
        assert_eq!(chrome.path().await, "/sessions");
        assert!(chrome.text().await.contains("This session"));
        chrome.close().await;
    }

    async fn a_wrong_password_shows_a_message(app: TestApp, chrome: Chrome) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        chrome.visit("/login").await;
        log_in(&chrome, "ada@example.com", "not the password").await;
        assert_eq!(chrome.path().await, "/login");
        let text = chrome.text().await;
        assert!(text.contains("The email or password is incorrect."), "{text}");
        chrome.close().await;
    }

    async fn the_first_admin_is_made_through_the_setup_link(app: TestApp, chrome: Chrome) {
        let token = app.setup_token.clone().expect("a setup link");
        chrome.visit(&format!("/setup/{token}")).await;
        chrome.fill("name", "Root").await;
        chrome.fill("email", "root@example.com").await;
        chrome.fill("password", PASSWORD).await;
        chrome.fill("password_confirm", PASSWORD).await;
        chrome.click("Create admin account").await;
        assert_eq!(chrome.path().await, "/profile");
        chrome.click("Users").await;
        assert_eq!(chrome.path().await, "/admin/users");
        assert!(chrome.text().await.contains("root@example.com"));
        chrome.close().await;
    }

    async fn a_password_change_logs_out_the_session_on_another_device(app: TestApp, chrome: Chrome) {
        sign_up(&chrome, "Ada", "ada@example.com").await;
        let phone = app.browser();
        phone.login("ada@example.com", PASSWORD).await;
        assert_eq!(phone.get("/profile").await.status(), StatusCode::OK);
        chrome.click("Password").await;
        chrome.fill("current_password", PASSWORD).await;
        chrome.fill("new_password", NEW_PASSWORD).await;
        chrome.fill("new_password_confirm", NEW_PASSWORD).await;
        chrome.click("Change password").await;
        assert_eq!(chrome.path().await, "/profile");
        assert!(chrome.text().await.contains("Your password was changed. Every other session was logged out."));
        let elsewhere = phone.get("/profile").await;
        assert_eq!(location(&elsewhere), "/login?next=%2Fprofile", "the phone is logged out");
        chrome.close().await;
    }

    async fn the_sessions_page_logs_out_another_device(app: TestApp, chrome: Chrome) {
        sign_up(&chrome, "Ada", "ada@example.com").await;
        let phone = app.browser();
        phone.login("ada@example.com", PASSWORD).await;
        chrome.click("Sessions").await;
        let listed = chrome.text().await;
        assert!(listed.contains("Firefox on Linux"), "the phone's session is listed: {listed}");
        chrome.press("tr:not(.current) form button").await;
        assert_eq!(chrome.path().await, "/sessions");
        assert!(chrome.text().await.contains("The session was logged out."));
        assert_eq!(phone.get("/profile").await.status(), StatusCode::SEE_OTHER, "the phone is logged out");
        chrome.close().await;
    }

    async fn a_forgotten_password_is_reset_through_the_mailed_link(app: TestApp, chrome: Chrome) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        chrome.visit("/login").await;
        chrome.click("Forgot your password?").await;
        chrome.fill("email", "ada@example.com").await;
        chrome.click("Send the link").await;
        assert!(chrome.text().await.contains("If an account exists for that address"));
        let mail = app.wait_for_mail("ada@example.com", "Reset your Gatehouse password").await;
        let link = regex::Regex::new(r"http://localhost:\d+(/password-reset/[0-9a-f]{64})").unwrap().captures(&mail).unwrap()[1].to_string();
        chrome.visit(&link).await;
        chrome.fill("new_password", NEW_PASSWORD).await;
        chrome.fill("new_password_confirm", NEW_PASSWORD).await;
        chrome.click("Set the new password").await;
        assert_eq!(chrome.path().await, "/login?reset=1");
        assert!(chrome.text().await.contains("Your password was changed. Log in with the new one."));
        log_in(&chrome, "ada@example.com", NEW_PASSWORD).await;
        assert_eq!(chrome.path().await, "/profile");
        chrome.close().await;
    }

    async fn an_admin_finds_edits_disables_and_bulk_disables_accounts(app: TestApp, chrome: Chrome) {
        let token = app.setup_token.clone().expect("a setup link");
        chrome.visit(&format!("/setup/{token}")).await;
        for (id, value) in [("name", "Root"), ("email", "root@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)] {
            chrome.fill(id, value).await;
        }
        chrome.click("Create admin account").await;
        app.seed_users(5).await;
        let grace = app.signed_up_browser("Grace Hopper", "grace@example.com").await;

        chrome.click("Users").await;
        chrome.fill("q", "hopper").await;
        chrome.click("Filter").await;
        assert!(chrome.path().await.starts_with("/admin/users?q=hopper"));
        chrome.click("grace@example.com").await;
        chrome.click("Edit").await;
        chrome.choose("role", "admin").await;
        chrome.click("Save changes").await;
        assert!(chrome.text().await.contains("role: user → admin"), "the change shows in the account's activity");
        assert_eq!(grace.get("/profile").await.status(), StatusCode::SEE_OTHER, "a role change ends her sessions");

        // Grace has the site open in her own browser when she is disabled.
        let graces_browser = Chrome::start(&app.address, JavaScript::On).await;
        graces_browser.visit("/login").await;
        log_in(&graces_browser, "grace@example.com", PASSWORD).await;
        assert_eq!(graces_browser.path().await, "/profile");
        chrome.click("Edit").await;
        chrome.click_css("#active").await;
        chrome.click("Save changes").await;
        assert!(chrome.text().await.contains("active: true → false"));
        graces_browser.click("Sessions").await;
        assert_eq!(graces_browser.path().await, "/login?next=%2Fsessions", "her open browser is logged out on its next click");
        graces_browser.close().await;

        chrome.visit("/admin/users?q=user00&sort=email").await;
        for email in ["user001@example.com", "user002@example.com", "user003@example.com"] {
            chrome.click_css(&format!("input[aria-label='Select {email}']")).await;
        }
        chrome.choose("bulk-action", "disable").await;
        chrome.click("Review…").await;
        let review = chrome.text().await;
        assert!(review.contains("user001@example.com") && review.contains("user003@example.com"), "{review}");
        chrome.click("Disable 3 accounts").await;
        assert!(chrome.text().await.contains("Disabled 3 accounts"), "{}", chrome.text().await);

        chrome.click("Audit log").await;
        let audit = chrome.text().await;
        assert!(audit.contains("admin_bulk_disable") && audit.contains("admin_update_user"), "{audit}");
        chrome.close().await;
    }

    async fn the_keyboard_alone_is_enough_to_log_in(app: TestApp, chrome: Chrome) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        chrome.visit("/login").await;
        let tab = char::from(Key::Tab).to_string();
        chrome.client.find(Locator::Css("body")).await.unwrap().send_keys(&tab).await.unwrap();
        assert_eq!(chrome.focused().await.text().await.unwrap(), "Skip to main content", "the first Tab reaches the skip link");
        chrome.keys(&char::from(Key::Enter).to_string()).await;
        chrome.keys(&tab).await;
        let email = chrome.focused().await;
        assert_eq!(email.attr("id").await.unwrap().as_deref(), Some("email"), "after the skip link, the first field");
        assert_ne!(email.css_value("outline-style").await.unwrap(), "none", "focus is visible");
        chrome.keys(&format!("ada@example.com{tab}not the password{}", char::from(Key::Enter))).await;
        let summary = chrome.focused().await;
        assert_eq!(summary.attr("class").await.unwrap().as_deref(), Some("error-summary"), "the error summary takes the focus");
        // The summary's link to the field, the email field (still filled in), the password.
        for _ in 0..3 {
            chrome.keys(&tab).await;
        }
        chrome.keys(&format!("{PASSWORD}{}", char::from(Key::Enter))).await;
        for _ in 0..100 {
            if chrome.path().await == "/profile" { break; }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(chrome.path().await, "/profile");
        chrome.close().await;
    }

    async fn two_step_login_is_turned_on_and_asked_for_at_the_next_login(app: TestApp, chrome: Chrome) {
        sign_up(&chrome, "Ada", "ada@example.com").await;
        chrome.click("Two-step login (off)").await;
        assert_eq!(chrome.path().await, "/profile/two-factor", "no password asked again: she just signed up");
        assert!(chrome.client.find(Locator::Css(".qr-code svg")).await.is_ok(), "a QR code to scan");
        // Her authenticator app takes the key as typed, and shows a code.
        let secret = read(&chrome, "totp-secret").await;
        chrome.fill("code", &totp_code(&secret, app.clock.now())).await;
        chrome.click("Turn on two-step login").await;
        assert_eq!(chrome.path().await, "/profile/two-factor");
        let text = chrome.text().await;
        assert!(text.contains("Your recovery codes") && text.contains("Two-step login is on"), "{text}");
        let codes = recovery_codes_shown(&chrome).await;
        assert_eq!(codes.len(), 10, "ten recovery codes to write down: {codes:?}");

        chrome.click("Log out").await;
        assert_eq!(chrome.path().await, "/login");
        log_in(&chrome, "ada@example.com", PASSWORD).await;
        assert_eq!(chrome.path().await, "/login/two-factor", "the password alone is not enough");
        assert!(chrome.text().await.contains("Enter your code"));
        // A code is taken once per 30-second step: the app shows the next one.
        app.clock.advance(30);
        chrome.fill("code", &totp_code(&secret, app.clock.now())).await;
        chrome.click("Log in").await;
        assert_eq!(chrome.path().await, "/profile");
        let text = chrome.text().await;
        assert!(text.contains("Signed in as Ada") && text.contains("Two-step login (on)"), "{text}");
        chrome.close().await;
    }

    async fn a_recovery_code_logs_in_once_when_the_phone_is_lost(app: TestApp, chrome: Chrome) {
        // Ada turned two-step login on with her phone and wrote down her recovery codes.
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let kept = laptop.turn_on_two_factor(&app).await;
        let recovery_code = kept.recovery_codes[3].clone();
        // The phone is lost; she logs in on this browser with a recovery code.
        chrome.visit("/login").await;
        log_in(&chrome, "ada@example.com", PASSWORD).await;
        assert_eq!(chrome.path().await, "/login/two-factor");
        chrome.fill("code", &recovery_code).await;
        chrome.click("Log in").await;
        assert_eq!(chrome.path().await, "/profile");
        assert!(chrome.text().await.contains("Signed in as Ada"));
        app.wait_for_mail("ada@example.com", "A recovery code was used").await;
        chrome.click("Two-step login (on)").await;
        assert_eq!(read(&chrome, "codes-left").await, "9", "the code used is gone from the count");

        // The same code does not work a second time.
        chrome.click("Log out").await;
        assert_eq!(chrome.path().await, "/login");
        log_in(&chrome, "ada@example.com", PASSWORD).await;
        chrome.fill("code", &recovery_code).await;
        chrome.click("Log in").await;
        assert_eq!(chrome.path().await, "/login/two-factor");
        let text = chrome.text().await;
        assert!(text.contains("That code is not correct."), "{text}");
        chrome.close().await;
    }
}

/// A browser on the site's own address (`http://localhost:PORT`): passkeys belong to a
/// domain name, never to 127.0.0.1. It holds a virtual platform authenticator, as a laptop
/// with a fingerprint reader does; returns the browser and the authenticator's id.
async fn browser_with_a_passkey_reader(app: &TestApp, chrome: Chrome) -> (Chrome, String) {
    chrome.close().await;
    let chrome = Chrome::start(&app.site_address(), JavaScript::On).await;
    let authenticator = chrome.add_virtual_authenticator().await;
    (chrome, authenticator)
}

/// Adds a passkey with this name on the passkeys page, from the profile.
async fn add_a_passkey(chrome: &Chrome, name: &str) {
    chrome.visit("/profile").await;
    chrome.click("Passkeys").await;
    if chrome.path().await.starts_with("/reauth") {
        chrome.fill("password", PASSWORD).await;
        chrome.click("Confirm").await;
    }
    assert_eq!(chrome.path().await, "/profile/passkeys");
    chrome.fill("name", name).await;
    chrome.click("Add a passkey").await;
    assert_eq!(chrome.path().await, "/profile/passkeys");
    let text = chrome.text().await;
    assert!(
        text.contains(&format!("Added the passkey “{name}”.")),
        "{text}"
    );
}

in_a_browser_with_javascript! {
    async fn a_passkey_is_added_and_signs_in_without_email_or_password(app: TestApp, chrome: Chrome) {
        let (chrome, authenticator) = browser_with_a_passkey_reader(&app, chrome).await;
        // No passkey for this site yet: the browser says so, and the page tells her.
        chrome.visit("/login").await;
        chrome.click_css("button[data-passkey=login]").await;
        let status = wait_for_text(&chrome, "passkey").await;
        assert_eq!(status, "The passkey request was cancelled or timed out. Try again.");
        assert_eq!(chrome.path().await, "/login");

        sign_up(&chrome, "Ada Lovelace", "ada@example.com").await;
        add_a_passkey(&chrome, "Laptop").await;
        let listed = read_rows(&chrome).await;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert!(listed[0].starts_with("Laptop"), "the passkey is listed by its name: {listed:?}");
        let held = chrome.passkeys_held(&authenticator).await;
        assert_eq!(held.len(), 1, "the laptop keeps one passkey: {held:?}");
        assert_eq!(held[0]["rpId"], "localhost", "for this site");
        assert_eq!(held[0]["isResidentCredential"], true, "a discoverable passkey");

        chrome.click("Log out").await;
        assert_eq!(chrome.path().await, "/login");
        chrome.click("Sign in with a passkey").await;
        assert_eq!(chrome.path().await, "/profile", "no email, no password");
        let text = chrome.text().await;
        assert!(text.contains("Signed in as Ada Lovelace"), "{text}");
        chrome.click("Passkeys").await;
        assert_eq!(chrome.path().await, "/profile/passkeys", "the passkey counts as a password just typed");
        let listed = read_rows(&chrome).await;
        assert!(!listed[0].contains("never"), "the last use is shown: {listed:?}");
        chrome.close().await;
    }

    async fn a_wrong_name_keeps_the_passkey_request_and_an_expired_one_starts_again(app: TestApp, chrome: Chrome) {
        let (chrome, authenticator) = browser_with_a_passkey_reader(&app, chrome).await;
        sign_up(&chrome, "Ada", "ada@example.com").await;
        chrome.visit("/profile/passkeys").await;
        chrome.fill("name", "   ").await;
        chrome.click("Add a passkey").await;
        let text = chrome.text().await;
        assert!(text.contains("Give the passkey a name, such as the device it is on."), "{text}");
        // She fixes the name: the browser's answer was kept, no second fingerprint.
        chrome.fill("name", "Laptop").await;
        chrome.click("Add a passkey").await;
        let text = chrome.text().await;
        assert!(text.contains("Added the passkey “Laptop”."), "{text}");
        assert_eq!(chrome.passkeys_held(&authenticator).await.len(), 1);

        // The laptop holds it: a second one is refused by the browser, before any request.
        chrome.fill("name", "Laptop again").await;
        chrome.click_css("form[data-passkey=add] button").await;
        let status = wait_for_text(&chrome, "passkey").await;
        assert_eq!(status, "This device already holds a passkey for your account.");
        chrome.click("Remove Laptop").await;
        let text = chrome.text().await;
        assert!(text.contains("Removed the passkey “Laptop”.") && text.contains("You have no passkeys."), "{text}");

        // She leaves the page with a wrong name for longer than the five minutes a request
        // lasts: the page says so, and the next press asks the authenticator again.
        chrome.fill("name", "   ").await;
        chrome.click("Add a passkey").await;
        app.clock.advance(6 * 60);
        chrome.fill("name", "Laptop").await;
        chrome.click("Add a passkey").await;
        let text = chrome.text().await;
        assert!(text.contains("This passkey request has expired or was already used."), "{text}");
        chrome.fill("name", "Laptop").await;
        chrome.click("Add a passkey").await;
        let text = chrome.text().await;
        assert!(text.contains("Added the passkey “Laptop”."), "a new request: {text}");
        chrome.close().await;
    }

    async fn a_passkey_replaces_the_code_at_the_second_step(app: TestApp, chrome: Chrome) {
        let (chrome, _) = browser_with_a_passkey_reader(&app, chrome).await;
        sign_up(&chrome, "Ada", "ada@example.com").await;
        chrome.click("Two-step login (off)").await;
        let secret = read(&chrome, "totp-secret").await;
        chrome.fill("code", &totp_code(&secret, app.clock.now())).await;
        chrome.click("Turn on two-step login").await;
        assert!(chrome.text().await.contains("Two-step login is on"));
        add_a_passkey(&chrome, "Laptop").await;

        chrome.click("Log out").await;
        log_in(&chrome, "ada@example.com", PASSWORD).await;
        assert_eq!(chrome.path().await, "/login/two-factor", "the password alone is not enough");
        chrome.click("Use a passkey instead").await;
        assert_eq!(chrome.path().await, "/profile", "the passkey is the second step");
        let text = chrome.text().await;
        assert!(text.contains("Signed in as Ada") && text.contains("Two-step login (on)"), "{text}");
        chrome.close().await;
    }
}

/// The rows of the passkeys table, each as its cells' text joined by tabs.
async fn read_rows(chrome: &Chrome) -> Vec<String> {
    let mut rows = Vec::new();
    for row in chrome
        .client
        .find_all(Locator::Css("main table tbody tr"))
        .await
        .expect("the passkeys table")
    {
        let mut cells = Vec::new();
        for cell in row.find_all(Locator::Css("td")).await.expect("cells") {
            cells.push(cell.text().await.expect("a cell's text"));
        }
        rows.push(cells.join("\t"));
    }
    rows
}

/// The text of the element with this id once it has some (a script writes it), within 10 s.
async fn wait_for_text(chrome: &Chrome, id: &str) -> String {
    for _ in 0..200 {
        let text = read(chrome, id).await;
        if !text.is_empty() && !text.starts_with("Follow your browser") {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("#{id} stayed empty")
}

/// Signing in with an external provider, click by click, with JavaScript off: the first
/// time makes the account, and the profile lists the provider. The provider's pages are the
/// test provider's (`tests/support/oidc/provider.mjs`) on 127.0.0.1 — another site than
/// Gatehouse's `localhost`, as a real provider is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    any(not(gatehouse_browser_tests), not(gatehouse_oidc_tests)),
    ignore = "BROWSER SKIPPED or OIDC SKIPPED: apt-get install chromium chromium-driver; npm ci --prefix tests/support/oidc"
)]
async fn sign_in_with_an_external_provider_without_javascript() {
    use crate::helpers::Backend;
    use crate::oidc_provider::site_with_provider;

    let (app, provider) = site_with_provider(Backend::Sqlite, None).await;
    provider.add_person("ada", "ada@example.com", true).await;
    let chrome = Chrome::start(&app.site_address(), JavaScript::Off).await;
    chrome.visit("/login").await;
    chrome.click("Sign in with Test Provider").await;
    let at_provider = chrome.client.current_url().await.unwrap();
    assert!(
        at_provider.as_str().starts_with(&provider.issuer),
        "{at_provider}"
    );
    chrome.fill("login", "ada").await;
    chrome.click("Sign in").await;
    assert_eq!(chrome.path().await, "/profile");
    let text = chrome.text().await;
    assert!(text.contains("Signed in as Ada"), "{text}");
    assert!(
        !text.contains("Please verify your email address"),
        "the provider verified it"
    );

    chrome.click("Sign-in providers").await;
    assert_eq!(chrome.path().await, "/profile/providers");
    let text = chrome.text().await;
    assert!(
        text.contains("Test Provider") && text.contains("ada@example.com"),
        "{text}"
    );
    chrome.close().await;
}

in_a_browser! {
    async fn a_person_deletes_their_account_and_is_told_so(app: TestApp, chrome: Chrome) {
        sign_up(&chrome, "Ada Lovelace", "ada@example.com").await;
        chrome.click("Delete your account").await;
        assert_eq!(chrome.path().await, "/profile/delete");
        let text = chrome.text().await;
        assert!(text.contains("What goes") && text.contains("What stays"), "{text}");
        chrome.click("Delete my account").await;
        assert!(chrome.text().await.contains("Tick the box to confirm"), "nothing happens unconfirmed");
        chrome.click_css("#confirm").await;
        chrome.click("Delete my account").await;
        assert_eq!(chrome.path().await, "/login?deleted=1");
        assert!(chrome.text().await.contains("Your account was deleted."));
        assert_eq!(app.count_users().await, 0);
        chrome.close().await;
    }

    async fn an_admin_invites_someone_who_makes_their_account_from_the_mail(app: TestApp, chrome: Chrome) {
        let token = app.setup_token.clone().expect("a setup link");
        chrome.visit(&format!("/setup/{token}")).await;
        for (id, value) in [("name", "Root"), ("email", "root@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)] {
            chrome.fill(id, value).await;
        }
        chrome.click("Create admin account").await;
        chrome.click("Invitations").await;
        chrome.fill("email", "ada@example.com").await;
        chrome.choose("role", "user").await;
        chrome.click("Send the invitation").await;
        assert!(chrome.text().await.contains("An invitation was mailed to ada@example.com."));
        chrome.click("Log out").await;

        let mail = app.wait_for_mail("ada@example.com", "You are invited").await;
        let link = regex::Regex::new(r"/invite/[0-9a-f]{64}").unwrap().find(&mail).unwrap().as_str().to_string();
        chrome.visit(&link).await;
        assert!(chrome.text().await.contains("You are invited"));
        chrome.fill("name", "Ada Lovelace").await;
        chrome.fill("password", PASSWORD).await;
        chrome.fill("password_confirm", PASSWORD).await;
        chrome.click("Make my account").await;
        assert_eq!(chrome.path().await, "/profile");
        let text = chrome.text().await;
        assert!(text.contains("Signed in as Ada Lovelace"), "{text}");
        assert!(!text.contains("Please verify your email address"), "verified on arrival");
        chrome.close().await;
    }
}
