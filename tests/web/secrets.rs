//! Nothing secret leaks: a whole account story is played through, and every response body
//! and redirect, every log line the test run wrote, and every audit row is searched for the
//! passwords typed, the stored hashes, the session keys, the one-time link tokens and API
//! tokens, authenticator secrets and recovery codes (a new API token, a secret to set up and new
//! recovery codes are each shown once, on the page that makes them, and nowhere else) — the
//! person's data export included.

use std::sync::Mutex;

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const WRONG: &str = "a wrong guess for ada";
const CHANGED: &str = "ada changed her passphrase";
const RESET: &str = "ada reset her passphrase";
const ADMIN_SET: &str = "grace got this from root";
const ADMIN_RESET: &str = "root set this for grace";

/// An audit row's text columns: actor, action, target, IP, detail.
type AuditText = (
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Every response body and `Location` seen by the story.
#[derive(Default)]
struct Transcript(Mutex<Vec<String>>);

impl Transcript {
    async fn keep(&self, response: reqwest::Response) -> (StatusCode, String) {
        let (status, location) = (response.status(), location(&response));
        let body = response.text().await.unwrap();
        self.0.lock().unwrap().push(format!("{location}\n{body}"));
        (status, body)
    }

    async fn get(&self, browser: &Browser, path: &str) -> String {
        self.keep(browser.get(path).await).await.1
    }
}

/// The token at the end of the first link to `path_prefix` in a mail.
fn token_in(mail: &str, path_prefix: &str) -> String {
    regex::Regex::new(&format!(r"{path_prefix}([0-9a-f]{{64}})"))
        .unwrap()
        .captures(mail)
        .expect("a link")[1]
        .to_string()
}

/// The signed session cookie's value, and the random key at its end.
fn cookie_secrets(browser: &Browser) -> Vec<String> {
    let value = browser.session_cookie().expect("logged in");
    let value = value.split_once('=').unwrap().1.to_string();
    let key = value[value.len().saturating_sub(40)..].to_string();
    vec![value, key]
}

/// Every stored hash: passwords, session keys, one-time and API tokens, recovery codes;
/// and the sealed authenticator secrets.
async fn stored_hashes(app: &TestApp) -> Vec<String> {
    use gatehouse::db::schema::{
        api_tokens, one_time_tokens, recovery_codes, sessions, totp_secrets, users,
    };
    let mut hashes: Vec<String> = app
        .query(|c| users::table.select(users::password_hash).load(c))
        .await;
    hashes.extend(
        app.query(|c| sessions::table.select(sessions::key_hash).load::<String>(c))
            .await,
    );
    hashes.extend(
        app.query(|c| {
            one_time_tokens::table
                .select(one_time_tokens::token_hash)
                .load::<String>(c)
        })
        .await,
    );
    hashes.extend(
        app.query(|c| {
            api_tokens::table
                .select(api_tokens::token_hash)
                .load::<String>(c)
        })
        .await,
    );
    hashes.extend(
        app.query(|c| {
            recovery_codes::table
                .select(recovery_codes::code_hash)
                .load::<String>(c)
        })
        .await,
    );
    hashes.extend(
        app.query(|c| {
            totp_secrets::table
                .select(totp_secrets::sealed_secret)
                .load::<String>(c)
        })
        .await,
    );
    hashes
}

async fn everything_written_down(app: &TestApp, transcript: &Transcript) -> Vec<(String, String)> {
    let mut places: Vec<(String, String)> = transcript
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|r| ("a response".to_string(), r.clone()))
        .collect();
    places.extend(
        log_capture::lines()
            .into_iter()
            .map(|line| ("a log line".to_string(), line)),
    );
    use gatehouse::db::schema::audit_events as a;
    let rows: Vec<AuditText> = app
        .query(|c| {
            a::table
                .select((a::actor, a::action, a::target, a::ip, a::detail))
                .load(c)
        })
        .await;
    places.extend(
        rows.into_iter()
            .map(|row| ("an audit row".to_string(), format!("{row:?}"))),
    );
    places
}

on_both_backends! {
    async fn nothing_secret_reaches_a_response_a_log_line_or_an_audit_row(app: TestApp) {
        let t = Transcript::default();
        let mut secrets: Vec<String> = [PASSWORD, WRONG, CHANGED, RESET, ADMIN_SET, ADMIN_RESET].map(String::from).to_vec();

        // Ada signs up, verifies her address, mistypes, logs in, changes her password.
        let ada = app.browser();
        t.keep(ada.register("Ada", "ada@example.com", PASSWORD).await).await;
        secrets.extend(cookie_secrets(&ada));
        let verify = token_in(&app.wait_for_mail("ada@example.com", "Verify your email").await, "/verify-email/");
        t.get(&ada, &format!("/verify-email/{verify}")).await;
        t.keep(ada.submit(&format!("/verify-email/{verify}"), &[]).await).await;
        t.keep(app.browser().login("ada@example.com", WRONG).await).await;
        t.keep(ada.submit("/password", &[("current_password", WRONG), ("new_password", CHANGED), ("new_password_confirm", CHANGED)]).await).await;
        t.keep(ada.submit("/password", &[("current_password", PASSWORD), ("new_password", CHANGED), ("new_password_confirm", CHANGED)]).await).await;
        for page in ["/profile", "/sessions", "/password"] {
            t.get(&ada, page).await;
        }

        // She forgets it and resets it through the mailed link (a weak try first).
        let phone = app.browser();
        t.keep(phone.submit("/password-reset", &[("email", "ada@example.com")]).await).await;
        let reset = token_in(&app.wait_for_mail("ada@example.com", "Reset your").await, "/password-reset/");
        let link = format!("/password-reset/{reset}");
        t.get(&phone, &link).await;
        let (weak, _) = t.keep(phone.submit(&link, &[("new_password", "password"), ("new_password_confirm", "password")]).await).await;
        assert_eq!(weak, StatusCode::UNPROCESSABLE_ENTITY);
        t.keep(phone.submit(&link, &[("new_password", RESET), ("new_password_confirm", RESET)]).await).await;
        t.keep(phone.login("ada@example.com", RESET).await).await;
        secrets.extend(cookie_secrets(&phone));
        secrets.extend([verify, reset]);

        // Root creates Grace with a password, then sets her another one.
        let root = app.admin_browser().await;
        secrets.extend(cookie_secrets(&root));
        let created = root.submit("/admin/users/new", &[("name", "Grace"), ("email", "grace@example.com"), ("password", ADMIN_SET), ("role", "user"), ("active", "on")]).await;
        let grace_page = location(&created);
        t.keep(created).await;
        t.keep(root.submit(&format!("{grace_page}/edit"), &[("name", "Grace"), ("email", "grace@example.com"), ("role", "user"), ("active", "on"), ("new_password", ADMIN_RESET)]).await).await;
        for page in [grace_page.as_str(), "/admin/users", "/admin/audit", "/admin/users?q=ada"] {
            t.get(&root, page).await;
        }
        t.keep(app.browser().get("/no-such-page").await).await;

        // Ada makes an API token (its own page shows it, once, by design) and uses it.
        let token = phone.create_api_token("backup script", "").await;
        let api = ApiClient::new(&app.address, Some(&token));
        for path in ["/api/me", "/api/users", "/api/users/1"] {
            let reply = api.get(path).await;
            t.0.lock().unwrap().push(format!("{:?}\n{}", reply.headers, reply.text));
        }
        t.get(&phone, "/profile/tokens").await;
        secrets.push(token);

        // She turns on two-step login (the set-up page shows the secret and the codes, once,
        // by design), then logs in with a code, and later with a recovery code.
        let two_factor = phone.turn_on_two_factor(&app).await;
        t.get(&phone, "/profile/two-factor").await;
        t.keep(phone.logout().await).await;
        t.keep(phone.login("ada@example.com", RESET).await).await;
        t.keep(phone.submit("/login/two-factor", &[("code", "000000")]).await).await;
        t.keep(phone.submit("/login/two-factor", &[("code", &two_factor.code(&app))]).await).await;
        t.keep(phone.logout().await).await;
        t.keep(phone.login_with_code("ada@example.com", RESET, &two_factor.recovery_codes[0]).await).await;
        secrets.push(two_factor.secret.replace(' ', ""));
        secrets.push(two_factor.secret.clone());
        secrets.extend(two_factor.recovery_codes.iter().flat_map(|code| [code.clone(), code.replace('-', "")]));

        // She downloads her data, on the page and through the API: everything about her,
        // and no secret.
        let (status, export) = t.keep(phone.get("/profile/export").await).await;
        assert_eq!(status, StatusCode::OK);
        assert!(export.contains("\"audit_events\""), "{export}");
        let reply = api.get("/api/me/export").await;
        assert_eq!(reply.status, StatusCode::OK);
        t.0.lock().unwrap().push(format!("{:?}\n{}", reply.headers, reply.text));

        secrets.extend(stored_hashes(&app).await);
        assert!(secrets.len() > 12, "the story made its secrets");
        for (place, text) in everything_written_down(&app, &t).await {
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "a secret ({}…) is in {place}: {text}", &secret[..8.min(secret.len())]);
            }
        }
    }
}
