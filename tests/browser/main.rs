//! The browser suite: every journey in headless Chromium (Debian's `chromium` and
//! `chromium-driver`), against the real application on a loopback port, once with JavaScript
//! and once without. Without Chromium the journeys are listed as ignored with
//! "BROWSER SKIPPED" (a build.rs cfg), never silently passed.

#[path = "../web/helpers.rs"]
#[allow(dead_code)]
mod helpers;

#[path = "../web/oidc_provider.rs"]
#[allow(dead_code)]
mod oidc_provider;

mod accessibility;
mod chrome;
mod journeys;

/// Runs each journey twice, with JavaScript on and off, each with its own app, database and
/// browser.
#[macro_export]
macro_rules! in_a_browser {
    ($(async fn $name:ident($app:ident: TestApp, $chrome:ident: Chrome) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[allow(unused_variables)]
                async fn journey($app: $crate::helpers::TestApp, $chrome: $crate::chrome::Chrome) $body

                async fn run(javascript: $crate::chrome::JavaScript) {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                    let chrome = $crate::chrome::Chrome::start(&app.address, javascript).await;
                    journey(app, chrome).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(gatehouse_browser_tests), ignore = "BROWSER SKIPPED: apt-get install chromium chromium-driver; npm ci --prefix tests/browser/axe")]
                async fn javascript_on() {
                    run($crate::chrome::JavaScript::On).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(gatehouse_browser_tests), ignore = "BROWSER SKIPPED: apt-get install chromium chromium-driver; npm ci --prefix tests/browser/axe")]
                async fn javascript_off() {
                    run($crate::chrome::JavaScript::Off).await
                }
            }
        )*
    };
}

/// Runs each check once, with JavaScript on (axe-core runs in the page).
#[macro_export]
macro_rules! in_a_browser_with_javascript {
    ($(async fn $name:ident($app:ident: TestApp, $chrome:ident: Chrome) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[allow(unused_variables)]
                async fn check($app: $crate::helpers::TestApp, $chrome: $crate::chrome::Chrome) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(gatehouse_browser_tests), ignore = "BROWSER SKIPPED: apt-get install chromium chromium-driver; npm ci --prefix tests/browser/axe")]
                async fn javascript_on() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                    let chrome = $crate::chrome::Chrome::start(&app.address, $crate::chrome::JavaScript::On).await;
                    check(app, chrome).await
                }
            }
        )*
    };
}
