//! A real OpenID Connect provider for the external sign-in tests: the npm package
//! oidc-provider (`tests/support/oidc/provider.mjs`), run by Node.js on a free loopback port
//! for each test, and what a person does on its pages. Without Node.js or the package
//! (`npm ci --prefix tests/support/oidc`) these tests are listed as ignored with
//! "OIDC SKIPPED" (a build.rs cfg), never silently passed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use gatehouse::config::OidcProviderSettings;
use gatehouse::domain::{ProviderName, SecretString};

use crate::helpers::{Backend, Browser, TestApp, location};

pub const PROVIDER: &str = "test";
pub const PROVIDER_NAME: &str = "Test Provider";
const CLIENT_ID: &str = "gatehouse";
const CLIENT_SECRET: &str = "a-client-secret-for-tests";

/// Runs each scenario on SQLite and on PostgreSQL, each with its own provider.
#[macro_export]
macro_rules! with_a_provider_on_both_backends {
    ($(async fn $name:ident($app:ident: TestApp, $provider:ident: OidcProvider) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn scenario($app: $crate::helpers::TestApp, $provider: $crate::oidc_provider::OidcProvider) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(gatehouse_oidc_tests), ignore = "OIDC SKIPPED: npm ci --prefix tests/support/oidc")]
                async fn sqlite() {
                    let (app, provider) = $crate::oidc_provider::site_with_provider($crate::helpers::Backend::Sqlite, None).await;
                    scenario(app, provider).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    any(not(gatehouse_postgres_tests), not(gatehouse_oidc_tests)),
                    ignore = "PostgreSQL SKIPPED or OIDC SKIPPED: set GATEHOUSE_TEST_DATABASE_URL; npm ci --prefix tests/support/oidc"
                )]
                async fn postgres() {
                    let (app, provider) = $crate::oidc_provider::site_with_provider($crate::helpers::Backend::Postgres, None).await;
                    scenario(app, provider).await
                }
            }
        )*
    };
}

/// Runs each named scenario — an `async fn(Backend)` that starts its own site and provider
/// (other settings, another token lifetime) — on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! with_its_own_provider_on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(gatehouse_oidc_tests), ignore = "OIDC SKIPPED: npm ci --prefix tests/support/oidc")]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    any(not(gatehouse_postgres_tests), not(gatehouse_oidc_tests)),
                    ignore = "PostgreSQL SKIPPED or OIDC SKIPPED: set GATEHOUSE_TEST_DATABASE_URL; npm ci --prefix tests/support/oidc"
                )]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

/// The provider process; stopped when dropped.
pub struct OidcProvider {
    pub issuer: String,
    child: Child,
    http: reqwest::Client,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A site with the test provider configured as `test` ("Test Provider"); its ID tokens
/// live `id_token_ttl` seconds (an hour by default).
pub async fn site_with_provider(
    backend: Backend,
    id_token_ttl: Option<u64>,
) -> (TestApp, OidcProvider) {
    site_with_provider_and(backend, id_token_ttl, |_| {}).await
}

/// The same, with other settings changed by `configure`.
pub async fn site_with_provider_and(
    backend: Backend,
    id_token_ttl: Option<u64>,
    configure: impl FnOnce(&mut gatehouse::config::Settings),
) -> (TestApp, OidcProvider) {
    let mut provider = None;
    let app = TestApp::spawn_with(backend, |settings| {
        let callback = format!("{}/oidc/{PROVIDER}/callback", settings.base_url);
        let started = OidcProvider::start(&callback, id_token_ttl);
        settings.oidc_providers = vec![started.settings()];
        configure(settings);
        provider = Some(started);
    })
    .await;
    (app, provider.expect("started"))
}

impl OidcProvider {
    /// Starts the provider for a client whose redirect URI is `callback`.
    pub fn start(callback: &str, id_token_ttl: Option<u64>) -> Self {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/oidc/provider.mjs"
        );
        let config = serde_json::json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [callback],
            "id_token_ttl": id_token_ttl,
        });
        let mut child = Command::new("node")
            .arg(script)
            .arg(config.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs tests/support/oidc/provider.mjs");
        let stdout = child.stdout.take().expect("piped");
        let mut first_line = String::new();
        BufReader::new(stdout)
            .read_line(&mut first_line)
            .expect("the provider says where it listens");
        let started: serde_json::Value =
            serde_json::from_str(&first_line).expect("one line of JSON: {\"issuer\": …}");
        Self {
            issuer: started["issuer"].as_str().unwrap().to_string(),
            child,
            http: reqwest::Client::new(),
        }
    }

    /// Gatehouse's settings for this provider.
    pub fn settings(&self) -> OidcProviderSettings {
        OidcProviderSettings {
            name: ProviderName::parse(PROVIDER).unwrap(),
            display_name: PROVIDER_NAME.into(),
            issuer: self.issuer.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: SecretString::new(CLIENT_SECRET),
        }
    }

    /// Someone with an account at the provider: its id (`sub`), email and whether the
    /// provider checked that email.
    pub async fn add_person(&self, sub: &str, email: &str, email_verified: bool) {
        let name = sub[..1].to_uppercase() + &sub[1..];
        let person = serde_json::json!({
            "sub": sub, "email": email, "email_verified": email_verified, "name": name,
        });
        let response = self
            .http
            .post(format!("{}/test/accounts", self.issuer))
            .body(person.to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// The provider signs with a new key from now on (its key set lists the old one too).
    pub async fn rotate_keys(&self) {
        let url = format!("{}/test/rotate", self.issuer);
        let response = self.http.post(url).send().await.unwrap();
        assert!(response.status().is_success());
    }

    /// The person at the provider: from the authorization URL Gatehouse sent the browser
    /// to, through the provider's login page (as `sub`, or cancelling when `None`), to the
    /// address the provider sends the browser back to — as a path on Gatehouse.
    pub async fn answer(
        &self,
        browser: &Browser,
        authorization_url: &str,
        sub: Option<&str>,
    ) -> String {
        let mut url = authorization_url.to_string();
        for _ in 0..10 {
            if !url.starts_with(&self.issuer) {
                let back = reqwest::Url::parse(&url).unwrap();
                return format!("{}?{}", back.path(), back.query().unwrap_or_default());
            }
            let response = match url.split_once("/interaction/") {
                Some((_, uid)) => {
                    let (action, form) = match sub {
                        Some(sub) => ("login", vec![("login", sub)]),
                        None => ("abort", vec![]),
                    };
                    let at = format!("{}/interaction/{uid}/{action}", self.issuer);
                    browser.client.post(at).form(&form).send().await.unwrap()
                }
                None => browser.client.get(&url).send().await.unwrap(),
            };
            assert!(
                response.status().is_redirection(),
                "{url}: {}",
                response.status()
            );
            url = reqwest::Url::parse(&url)
                .unwrap()
                .join(&location(&response))
                .unwrap()
                .to_string();
        }
        panic!("the provider never sent the browser back");
    }
}

impl Browser {
    /// Presses "Sign in with Test Provider" (on `/login` or `/register`): the provider's
    /// authorization URL the browser is sent to.
    pub async fn start_provider_sign_in(&self) -> String {
        let response = self
            .submit(&format!("/oidc/{PROVIDER}/start"), &[("next", "")])
            .await;
        assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
        location(&response)
    }

    /// Signs in at the provider as `sub` and comes back: Gatehouse's answer to the callback.
    pub async fn sign_in_with_provider(
        &self,
        provider: &OidcProvider,
        sub: &str,
    ) -> reqwest::Response {
        let authorization = self.start_provider_sign_in().await;
        let callback = provider.answer(self, &authorization, Some(sub)).await;
        self.get(&callback).await
    }
}
