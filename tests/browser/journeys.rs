//! What people do, click by click, each ending in what the page shows.

use crate::chrome::Chrome;
use crate::helpers::PASSWORD;
use crate::in_a_browser;

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
}
