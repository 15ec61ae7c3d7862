//! Headless Chromium driven through its own chromedriver: one of each per test, on a free
//! loopback port, with a fresh profile folder; both are killed (and reaped) when the test ends.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};

pub struct Chrome {
    pub client: Client,
    /// The app under test, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Whether pages may run JavaScript: every journey runs both ways, since no feature needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JavaScript {
    On,
    Off,
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Chrome {
    pub async fn start(base: &str, javascript: JavaScript) -> Self {
        Self::start_with(base, javascript, &[]).await
    }

    /// A browser whose pages see `prefers-color-scheme: dark`.
    pub async fn start_dark(base: &str) -> Self {
        let dark = [
            "--force-dark-mode",
            "--blink-settings=preferredColorScheme=0",
        ];
        Self::start_with(base, JavaScript::On, &dark).await
    }

    async fn start_with(base: &str, javascript: JavaScript, extra_args: &[&str]) -> Self {
        let profile = tempfile::tempdir().expect("profile folder");
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        for _ in 0..200 {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--no-first-run".into(),
            "--disable-sync".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend(extra_args.iter().map(|arg| arg.to_string()));
        if javascript == JavaScript::Off {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        let probe = "data:text/html,<title>off</title><script>document.title='on'</script>";
        client.goto(probe).await.expect("the probe page loads");
        let title = client.title().await.expect("a title");
        let expected = match javascript {
            JavaScript::On => "on",
            JavaScript::Off => "off",
        };
        assert_eq!(
            title, expected,
            "JavaScript is {javascript:?} in this browser"
        );
        Self {
            client,
            base: base.to_string(),
            driver,
            _profile: profile,
        }
    }

    pub async fn visit(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("page loads");
    }

    /// The path (and query) of the page shown now.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("a body")
            .text()
            .await
            .expect("its text")
    }

    /// Types into the field labelled by `id`, replacing what was there.
    pub async fn fill(&self, id: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no field #{id}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("typing");
    }

    /// Clicks the button or link that shows exactly this text: in the page's main part if
    /// there is one there (a form's "Log in" button), else in the header ("Log out"); then
    /// waits for the page it leads to.
    pub async fn click(&self, text: &str) {
        let clickable = format!("//*[(self::button or self::a) and normalize-space(.)='{text}']");
        let in_main = format!("//main{clickable}");
        let element = match self.client.find(Locator::XPath(&in_main)).await {
            Ok(element) => element,
            Err(_) => self
                .client
                .find(Locator::XPath(&clickable))
                .await
                .unwrap_or_else(|e| panic!("nothing to click called {text:?}: {e}")),
        };
        follow(element, text).await;
    }

    /// Clicks the first element that matches a CSS selector and waits for the page it leads to.
    pub async fn press(&self, selector: &str) {
        let element = self
            .client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("nothing matches {selector:?}: {e}"));
        follow(element, selector).await;
    }

    /// Clicks the first element that matches a CSS selector.
    pub async fn click_css(&self, selector: &str) {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("nothing matches {selector:?}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Chooses an option of the `<select>` with this id.
    pub async fn choose(&self, id: &str, value: &str) {
        self.click_css(&format!("#{id} option[value='{value}']"))
            .await;
    }

    /// Presses keys (text, or `Key` characters such as Tab) in the element that has focus.
    pub async fn keys(&self, keys: &str) {
        self.focused()
            .await
            .send_keys(keys)
            .await
            .expect("keys reach the page");
    }

    /// The element that has the keyboard focus.
    pub async fn focused(&self) -> fantoccini::elements::Element {
        self.client
            .active_element()
            .await
            .expect("an active element")
    }

    /// Gives the browser a virtual authenticator (W3C WebAuthn's WebDriver extension): a
    /// platform one (`internal`, CTAP2) that keeps passkeys (resident keys) and checks the
    /// user each time, as a laptop's fingerprint reader does. Returns its id.
    pub async fn add_virtual_authenticator(&self) -> String {
        let options = serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        let answer = self
            .client
            .issue_cmd(Extension::post("webauthn/authenticator", options))
            .await
            .unwrap_or_else(|e| panic!("chromedriver refused a virtual authenticator: {e}"));
        answer
            .as_str()
            .unwrap_or_else(|| panic!("an authenticator id, not {answer}"))
            .to_string()
    }

    /// The passkeys the virtual authenticator holds (W3C WebAuthn credential parameters:
    /// `credentialId`, `rpId`, `userHandle`, `signCount`…).
    pub async fn passkeys_held(&self, authenticator: &str) -> Vec<serde_json::Value> {
        let answer = self
            .client
            .issue_cmd(Extension::get(&format!(
                "webauthn/authenticator/{authenticator}/credentials"
            )))
            .await
            .expect("the authenticator's passkeys");
        serde_json::from_value(answer).expect("a list of passkeys")
    }

    /// Keeps the site's scripts from loading (DevTools' `Network.setBlockedURLs`, through
    /// chromedriver): pages then render as they do with JavaScript off, while WebDriver can
    /// still run axe in them (with JavaScript off, a page's timers never fire, and axe waits
    /// on them).
    pub async fn block_scripts(&self) {
        for (cmd, params) in [
            ("Network.enable", serde_json::json!({})),
            (
                "Network.setBlockedURLs",
                serde_json::json!({ "urls": ["*.js"] }),
            ),
        ] {
            let body = serde_json::json!({ "cmd": cmd, "params": params });
            self.client
                .issue_cmd(Extension::post("goog/cdp/execute", body))
                .await
                .unwrap_or_else(|e| panic!("chromedriver refused {cmd}: {e}"));
        }
    }

    /// Ends the WebDriver session; the processes go with `Drop`.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// A WebDriver extension command, `/session/{id}/{path}`: W3C WebAuthn's
/// (`webauthn/...`) or chromedriver's own (`goog/cdp/execute`).
#[derive(Debug)]
struct Extension {
    path: String,
    body: Option<serde_json::Value>,
}

impl Extension {
    fn post(path: &str, body: serde_json::Value) -> Self {
        Self {
            path: path.to_string(),
            body: Some(body),
        }
    }

    fn get(path: &str) -> Self {
        Self {
            path: path.to_string(),
            body: None,
        }
    }
}

impl WebDriverCompatibleCommand for Extension {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.expect("a WebDriver session");
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (reqwest::Method, Option<String>) {
        match &self.body {
            Some(body) => (reqwest::Method::POST, Some(body.to_string())),
            None => (reqwest::Method::GET, None),
        }
    }
}

/// Clicks a button or link and waits until its page is gone, so that what is read next is the
/// page it led to.
async fn follow(element: fantoccini::elements::Element, what: &str) {
    element.click().await.expect("click");
    for _ in 0..400 {
        if element.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("clicking {what:?} did not lead to a new page");
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // chromedriver and the Chromium it started share one process group.
        let group = self.driver.id() as i32;
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.driver.wait();
    }
}
