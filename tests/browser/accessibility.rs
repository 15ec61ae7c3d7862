//! Every page, checked by axe-core (WCAG 2.1 A and AA rules) in Chromium with no violation
//! of any impact, and photographed at 1280 and 375 pixels wide. axe-core comes from the npm
//! registry (`npm ci --prefix tests/browser/axe`); the screenshots go to `target/screenshots/`,
//! or to the folder in `GATEHOUSE_SCREENSHOTS` (`docs/screenshots` to refresh the committed ones).

use std::path::PathBuf;

use fantoccini::Locator;

use crate::chrome::{Chrome, JavaScript};
use crate::helpers::{PASSWORD, totp_code};
use crate::in_a_browser_with_javascript;

const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/browser/axe/node_modules/axe-core/axe.min.js"
);

/// Runs axe on the page shown and returns its violations, one line each.
pub async fn axe_violations(chrome: &Chrome) -> Vec<String> {
    let source = std::fs::read_to_string(AXE)
        .unwrap_or_else(|e| panic!("{AXE}: {e}; run `npm ci --prefix tests/browser/axe`"));
    chrome
        .client
        .execute(&source, vec![])
        .await
        .expect("axe loads");
    let run = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
          .then(result => done({
              passes: result.passes.length,
              violations: result.violations.map(v =>
                  `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(' ') + ' ' + n.html + ' ' + n.failureSummary).join(', ')}`),
          }))
          .catch(error => done({ passes: 0, violations: [`axe failed: ${error}`] }));
    "#;
    let value = chrome
        .client
        .execute_async(run, vec![])
        .await
        .expect("axe runs");
    let passes = value["passes"].as_u64().unwrap_or(0);
    let violations: Vec<String> =
        serde_json::from_value(value["violations"].clone()).expect("a list of violations");
    assert!(passes > 0 || !violations.is_empty(), "axe checked nothing");
    violations
}

fn screenshot_folder() -> PathBuf {
    let folder = std::env::var_os("GATEHOUSE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
    std::fs::create_dir_all(&folder).expect("screenshot folder");
    folder
}

/// Checks the page shown with axe and saves it as `<name>-1280.png` and `<name>-375.png`.
/// Returns the violations found, each prefixed with the page's name.
pub async fn check_and_photograph(chrome: &Chrome, name: &str) -> Vec<String> {
    let mut found: Vec<String> = axe_violations(chrome)
        .await
        .into_iter()
        .map(|v| format!("{name}: {v}"))
        .collect();
    let folder = screenshot_folder();
    for (width, height) in [(1280, 900), (375, 812)] {
        chrome
            .client
            .set_window_size(width, height)
            .await
            .expect("resize");
        let png = chrome.client.screenshot().await.expect("screenshot");
        std::fs::write(folder.join(format!("{name}-{width}.png")), png).expect("save screenshot");
        if width == 375 {
            // Tables scroll inside their box; the page itself never scrolls sideways.
            let overflow = chrome
                .client
                .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
                .await
                .expect("a width")
                .as_i64()
                .unwrap_or(0);
            if overflow > 0 {
                found.push(format!(
                    "{name} at 375 px: the page scrolls sideways by {overflow} px"
                ));
            }
            found.extend(
                axe_violations(chrome)
                    .await
                    .into_iter()
                    .map(|v| format!("{name} at 375 px: {v}")),
            );
        }
    }
    chrome
        .client
        .set_window_size(1280, 900)
        .await
        .expect("resize");
    found
}

/// Visits each path, checks it and photographs it.
async fn check_pages(chrome: &Chrome, pages: &[(&str, &str)]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, path) in pages {
        chrome.visit(path).await;
        found.extend(check_and_photograph(chrome, name).await);
    }
    found
}

/// Submits the form shown after filling `fields`, then checks the page that answers.
async fn check_after_submit(
    chrome: &Chrome,
    name: &str,
    fields: &[(&str, &str)],
    button: &str,
) -> Vec<String> {
    for (id, value) in fields {
        chrome.fill(id, value).await;
    }
    chrome.click(button).await;
    check_and_photograph(chrome, name).await
}

/// Signs Ada up through the form; she lands on her profile, logged in.
async fn sign_up(chrome: &Chrome) {
    chrome.visit("/register").await;
    for (id, value) in [
        ("name", "Ada Lovelace"),
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ] {
        chrome.fill(id, value).await;
    }
    chrome.click("Create account").await;
}

/// The secret shown on the two-step login set-up page, as an authenticator app takes it.
async fn totp_secret_shown(chrome: &Chrome) -> String {
    chrome
        .client
        .find(Locator::Id("totp-secret"))
        .await
        .expect("the secret is shown")
        .text()
        .await
        .expect("its text")
}

/// A 6-digit code that is not `code`: every digit moved on by five.
fn not_the(code: &str) -> String {
    code.chars()
        .map(|digit| char::from_digit((digit.to_digit(10).expect("a digit") + 5) % 10, 10).unwrap())
        .collect()
}

/// Asserts that the field with this id is marked wrong, and that the summary links to it.
async fn assert_marked_wrong(chrome: &Chrome, id: &str) {
    let field = chrome
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no field #{id}: {e}"));
    assert_eq!(
        field.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true"),
        "#{id} is marked invalid"
    );
    let described_by = field
        .attr("aria-describedby")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        described_by
            .split(' ')
            .any(|part| part == format!("{id}-error")),
        "the error is tied to #{id}: {described_by}"
    );
    chrome
        .client
        .find(Locator::Css(&format!(".error-summary a[href='#{id}']")))
        .await
        .unwrap_or_else(|e| panic!("the summary links to #{id}: {e}"));
}

/// Adds a passkey called "Laptop" on the passkeys page (the browser holds a virtual
/// authenticator), and checks the page that lists it.
async fn add_a_passkey(chrome: &Chrome, name: &str) -> Vec<String> {
    chrome.visit("/profile/passkeys").await;
    assert_eq!(
        chrome.path().await,
        "/profile/passkeys",
        "just signed up: no password asked"
    );
    let found = check_after_submit(chrome, name, &[("name", "Laptop")], "Add a passkey").await;
    assert!(chrome.text().await.contains("Added the passkey “Laptop”."));
    found
}

/// Asserts what a page shows without JavaScript: the note about passkeys, and no passkey
/// button or form that could not work.
async fn assert_passkeys_need_javascript(chrome: &Chrome) {
    let note = chrome
        .client
        .find(Locator::Css("[data-passkey-fallback]"))
        .await
        .expect("a note about passkeys");
    assert!(note.is_displayed().await.unwrap(), "the note is shown");
    for control in chrome
        .client
        .find_all(Locator::Css("[data-passkey-options]"))
        .await
        .unwrap()
    {
        assert!(
            !control.is_displayed().await.unwrap(),
            "without JavaScript, no passkey control is shown: {}",
            control.html(false).await.unwrap()
        );
    }
}

fn assert_none(found: Vec<String>) {
    assert!(
        found.is_empty(),
        "axe found {} violations:\n{}",
        found.len(),
        found.join("\n")
    );
}

in_a_browser_with_javascript! {
    async fn anonymous_pages_have_no_violations(app: TestApp, chrome: Chrome) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let verify = app.wait_for_mail("ada@example.com", "Verify your email").await;
        let verify = regex::Regex::new(r"/verify-email/[0-9a-f]{64}").unwrap().find(&verify).unwrap().as_str().to_string();
        let mut found = check_pages(&chrome, &[
            ("home", "/"),
            ("login", "/login"),
            ("register", "/register"),
            ("password-reset", "/password-reset"),
            ("password-reset-sent", "/password-reset?sent=1"),
            ("verify-email", &verify),
            ("not-found", "/no-such-page"),
            ("expired-link", &format!("/password-reset/{}", "0".repeat(64))),
        ]).await;
        chrome.visit("/login").await;
        found.extend(check_after_submit(&chrome, "login-refused", &[("email", "ada@example.com"), ("password", "not it")], "Log in").await);
        chrome.visit("/register").await;
        found.extend(check_after_submit(&chrome, "register-errors", &[("name", ""), ("email", "not an email"), ("password", "short")], "Create account").await);
        let email = chrome.client.find(Locator::Id("email")).await.expect("the email field");
        assert_eq!(email.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
        assert_eq!(email.attr("aria-describedby").await.unwrap().as_deref(), Some("email-error"), "the error is tied to its field");
        let summary_link = chrome.client.find(Locator::Css(".error-summary a[href='#email']")).await.expect("the summary links to the field");
        assert!(summary_link.text().await.unwrap().contains("Enter an email address"));
        // Last, as it breaks this app's database: a server fault and its page.
        use diesel::RunQueryDsl;
        app.query(|c| diesel::sql_query("DROP TABLE audit_events").execute(c)).await;
        chrome.visit("/login").await;
        found.extend(check_after_submit(&chrome, "server-error", &[("email", "ada@example.com"), ("password", "not it")], "Log in").await);
        assert!(chrome.text().await.contains("Something went wrong on our side."));
        assert_none(found);
        chrome.close().await;
    }

    async fn account_pages_have_no_violations(app: TestApp, chrome: Chrome) {
        chrome.visit("/register").await;
        for (id, value) in [("name", "Ada Lovelace"), ("email", "ada@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)] {
            chrome.fill(id, value).await;
        }
        chrome.click("Create account").await;
        let mut found = check_pages(&chrome, &[
            ("profile", "/profile"),
            ("password", "/password"),
            ("sessions", "/sessions"),
            ("reauth", "/reauth?next=%2Fsessions"),
        ]).await;
        chrome.visit("/profile/tokens").await;
        found.extend(check_and_photograph(&chrome, "tokens").await);
        found.extend(check_after_submit(&chrome, "tokens-new", &[("name", "deploy script"), ("expires_days", "30")], "Create token").await);
        assert!(chrome.text().await.contains("Copy it now: it is shown only this once."));
        found.extend(check_after_submit(&chrome, "tokens-errors", &[("name", ""), ("expires_days", "soon")], "Create token").await);
        chrome.visit("/password").await;
        found.extend(check_after_submit(&chrome, "password-errors", &[("current_password", "wrong"), ("new_password", "password")], "Change password").await);
        chrome.visit("/admin/users").await;
        found.extend(check_and_photograph(&chrome, "forbidden").await);
        assert_none(found);
        chrome.close().await;
    }

    async fn admin_pages_have_no_violations(app: TestApp, chrome: Chrome) {
        let token = app.setup_token.clone().expect("a setup link");
        chrome.visit(&format!("/setup/{token}")).await;
        let mut found = check_and_photograph(&chrome, "setup").await;
        for (id, value) in [("name", "Root"), ("email", "root@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)] {
            chrome.fill(id, value).await;
        }
        chrome.click("Create admin account").await;
        app.seed_users(60).await;
        found.extend(check_pages(&chrome, &[
            ("admin-users", "/admin/users"),
            ("admin-users-search", "/admin/users?q=given1&status=active&sort=-created"),
            ("admin-user", "/admin/users/2"),
            ("admin-edit-user", "/admin/users/2/edit"),
            ("admin-delete-user", "/admin/users/2/delete"),
            ("admin-new-user", "/admin/users/new"),
            ("admin-audit", "/admin/audit"),
        ]).await);
        chrome.visit("/admin/users/new").await;
        found.extend(check_after_submit(&chrome, "admin-new-user-errors", &[("email", "nope")], "Create user").await);
        chrome.visit("/admin/users?sort=email").await;
        for checkbox in chrome.client.find_all(Locator::Css("input[name=ids]")).await.expect("checkboxes").into_iter().take(3) {
            checkbox.click().await.expect("tick");
        }
        chrome.choose("bulk-action", "disable").await;
        chrome.click("Review…").await;
        found.extend(check_and_photograph(&chrome, "admin-bulk-review").await);
        assert_none(found);
        chrome.close().await;
    }

    async fn own_data_and_invitation_pages_have_no_violations(app: TestApp, chrome: Chrome) {
        let token = app.setup_token.clone().expect("a setup link");
        chrome.visit(&format!("/setup/{token}")).await;
        for (id, value) in [("name", "Root"), ("email", "root@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)] {
            chrome.fill(id, value).await;
        }
        chrome.click("Create admin account").await;
        let mut found = check_pages(&chrome, &[
            ("admin-invitations-empty", "/admin/invitations"),
            ("admin-deletion-requests", "/admin/deletion-requests"),
            ("providers-none", "/profile/providers"),
            ("delete-account", "/profile/delete"),
        ]).await;
        chrome.click("Delete my account").await;
        found.extend(check_and_photograph(&chrome, "delete-account-errors").await);
        chrome.visit("/admin/invitations").await;
        found.extend(check_after_submit(&chrome, "admin-invitations-errors", &[("email", "nope")], "Send the invitation").await);
        found.extend(check_after_submit(&chrome, "admin-invitations", &[("email", "ada@example.com")], "Send the invitation").await);
        let mail = app.wait_for_mail("ada@example.com", "You are invited").await;
        let link = regex::Regex::new(r"/invite/[0-9a-f]{64}").unwrap().find(&mail).unwrap().as_str().to_string();
        chrome.click("Log out").await;
        found.extend(check_pages(&chrome, &[("invitation", &link)]).await);
        found.extend(check_after_submit(&chrome, "invitation-errors", &[("name", ""), ("password", "short")], "Make my account").await);
        assert_none(found);
        chrome.close().await;
    }

    async fn pages_in_dark_mode_have_no_violations(app: TestApp, chrome: Chrome) {
        chrome.close().await;
        let chrome = Chrome::start_dark(&app.address).await;
        chrome.visit("/login").await;
        let background = chrome.client.find(Locator::Css("body")).await.unwrap().css_value("background-color").await.unwrap();
        assert_eq!(background, "rgba(15, 20, 25, 1)", "the dark palette is in use");
        let mut found = check_pages(&chrome, &[("dark-login", "/login")]).await;
        chrome.visit("/register").await;
        found.extend(check_after_submit(&chrome, "dark-register-errors", &[("email", "nope")], "Create account").await);
        let token = app.setup_token.clone().expect("a setup link");
        chrome.visit(&format!("/setup/{token}")).await;
        for (id, value) in [("name", "Root"), ("email", "root@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)] {
            chrome.fill(id, value).await;
        }
        chrome.click("Create admin account").await;
        app.seed_users(3).await;
        found.extend(check_pages(&chrome, &[("dark-admin-users", "/admin/users"), ("dark-admin-user", "/admin/users/2")]).await);
        assert_none(found);
        chrome.close().await;
    }

    async fn two_step_login_pages_have_no_violations(app: TestApp, chrome: Chrome) {
        sign_up(&chrome).await;
        chrome.visit("/profile/two-factor").await;
        let mut found = check_and_photograph(&chrome, "two-factor-setup").await;
        let secret = totp_secret_shown(&chrome).await;
        let code = totp_code(&secret, app.clock.now());
        found.extend(check_after_submit(&chrome, "two-factor-wrong-code", &[("code", &not_the(&code))], "Turn on two-step login").await);
        assert_marked_wrong(&chrome, "code").await;
        found.extend(check_after_submit(&chrome, "two-factor-recovery-codes", &[("code", &code)], "Turn on two-step login").await);
        let codes = chrome.client.find_all(Locator::Css("#recovery-codes li")).await.expect("a list");
        assert_eq!(codes.len(), 10, "the recovery codes are shown");
        found.extend(check_pages(&chrome, &[
            ("two-factor-on", "/profile/two-factor"),
            ("reauth-two-factor", "/reauth?next=%2Fprofile%2Ftwo-factor"),
        ]).await);
        chrome.client.find(Locator::Id("code")).await.expect("re-authentication asks for a code");
        chrome.visit("/profile/two-factor").await;
        found.extend(check_after_submit(&chrome, "two-factor-off-errors", &[("password", "not it"), ("off_code", "")], "Turn off").await);
        assert_marked_wrong(&chrome, "off_code").await;

        chrome.click("Log out").await;
        for (id, value) in [("email", "ada@example.com"), ("password", PASSWORD)] {
            chrome.fill(id, value).await;
        }
        chrome.click("Log in").await;
        assert_eq!(chrome.path().await, "/login/two-factor");
        found.extend(check_and_photograph(&chrome, "login-two-factor").await);
        app.clock.advance(30);
        let code = totp_code(&secret, app.clock.now());
        found.extend(check_after_submit(&chrome, "login-two-factor-wrong-code", &[("code", &not_the(&code))], "Log in").await);
        assert_marked_wrong(&chrome, "code").await;
        assert_none(found);
        chrome.close().await;
    }

    async fn two_step_login_pages_in_dark_mode_have_no_violations(app: TestApp, chrome: Chrome) {
        chrome.close().await;
        let chrome = Chrome::start_dark(&app.address).await;
        sign_up(&chrome).await;
        chrome.visit("/profile/two-factor").await;
        let mut found = check_and_photograph(&chrome, "dark-two-factor-setup").await;
        let qr_code = chrome.client.find(Locator::Css(".qr-code")).await.expect("a QR code");
        assert_eq!(qr_code.css_value("background-color").await.unwrap(), "rgba(255, 255, 255, 1)", "the QR code stays dark on white, so that it scans");
        let secret = totp_secret_shown(&chrome).await;
        let code = totp_code(&secret, app.clock.now());
        found.extend(check_after_submit(&chrome, "dark-two-factor-wrong-code", &[("code", &not_the(&code))], "Turn on two-step login").await);
        found.extend(check_after_submit(&chrome, "dark-two-factor-recovery-codes", &[("code", &code)], "Turn on two-step login").await);
        found.extend(check_pages(&chrome, &[("dark-reauth-two-factor", "/reauth?next=%2Fprofile%2Ftwo-factor")]).await);
        chrome.click("Log out").await;
        for (id, value) in [("email", "ada@example.com"), ("password", PASSWORD)] {
            chrome.fill(id, value).await;
        }
        chrome.click("Log in").await;
        assert_eq!(chrome.path().await, "/login/two-factor");
        found.extend(check_and_photograph(&chrome, "dark-login-two-factor").await);
        assert_none(found);
        chrome.close().await;
    }

    async fn passkey_pages_have_no_violations(app: TestApp, chrome: Chrome) {
        chrome.close().await;
        let chrome = Chrome::start(&app.site_address(), JavaScript::On).await;
        chrome.add_virtual_authenticator().await;
        sign_up(&chrome).await;
        let mut found = check_pages(&chrome, &[("passkeys-none", "/profile/passkeys")]).await;
        found.extend(add_a_passkey(&chrome, "passkeys").await);
        chrome.click("Log out").await;
        found.extend(check_and_photograph(&chrome, "login-passkey").await);
        let button = chrome.client.find(Locator::XPath("//button[normalize-space(.)='Sign in with a passkey']")).await.expect("the passkey button");
        assert!(button.is_displayed().await.unwrap(), "the script shows the passkey button");
        assert_none(found);
        chrome.close().await;

        // The same pages without JavaScript: the passkey is listed, a note says why it cannot
        // be added or used here. axe runs where the site's script is blocked instead, as it
        // cannot run where JavaScript is off.
        let mut found = Vec::new();
        for javascript in [JavaScript::Off, JavaScript::On] {
            let chrome = Chrome::start(&app.site_address(), javascript).await;
            if javascript == JavaScript::On {
                chrome.block_scripts().await;
            }
            chrome.visit("/login").await;
            assert_passkeys_need_javascript(&chrome).await;
            if javascript == JavaScript::On {
                found.extend(check_and_photograph(&chrome, "nojs-login-passkey").await);
            }
            for (id, value) in [("email", "ada@example.com"), ("password", PASSWORD)] {
                chrome.fill(id, value).await;
            }
            chrome.click("Log in").await;
            chrome.visit("/profile/passkeys").await;
            assert!(chrome.text().await.contains("Laptop"), "the passkey is listed");
            assert_passkeys_need_javascript(&chrome).await;
            if javascript == JavaScript::On {
                found.extend(check_and_photograph(&chrome, "nojs-passkeys").await);
            }
            chrome.close().await;
        }
        assert_none(found);
    }

    async fn passkey_pages_in_dark_mode_have_no_violations(app: TestApp, chrome: Chrome) {
        chrome.close().await;
        let chrome = Chrome::start_dark(&app.site_address()).await;
        chrome.add_virtual_authenticator().await;
        sign_up(&chrome).await;
        let mut found = add_a_passkey(&chrome, "dark-passkeys").await;
        chrome.click("Log out").await;
        found.extend(check_and_photograph(&chrome, "dark-login-passkey").await);
        assert_none(found);
        chrome.close().await;
    }
}
