//! The typed session: the only code that knows the keys inside a session's state. Handlers
//! log in, log out, read the CSRF token or leave a flash message through [`TypedSession`];
//! the session store gets the columns it indexes through [`session_record`].

use std::collections::HashMap;
use std::future::{Ready, ready};

use actix_identity::{Identity, IdentityExt};
use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use crate::accounts::external_sign_in::PendingLink;
use crate::accounts::sessions::{SessionRecord, timeouts};
use crate::crypto;
use crate::errors::AppError;

/// actix-identity's key for the user id (configured in `startup`).
pub const USER_ID_KEY: &str = "uid";
const PUBLIC_ID_KEY: &str = "sid";
const CSRF_KEY: &str = "csrf";
const REMEMBER_KEY: &str = "remember";
const IP_KEY: &str = "ip";
const USER_AGENT_KEY: &str = "ua";
const FLASH_KEY: &str = "flash";
const AUTHENTICATED_AT_KEY: &str = "auth_at";
const NEW_API_TOKEN_KEY: &str = "new_api_token";
/// A login waiting for its second step (never together with a user id).
const PENDING_LOGIN_KEY: &str = "pending_login";
/// The passkey ceremony this session started and has not finished (its id; the state
/// itself is in the database).
const PASSKEY_CEREMONY_KEY: &str = "passkey_ceremony";
/// A sign-in with an external provider between its start and the provider's answer.
const PROVIDER_FLOW_KEY: &str = "provider_flow";
/// A provider account waiting for the password of the account with its email.
const PROVIDER_LINK_KEY: &str = "provider_link";

/// Who logs in, from where: written into the new session at login.
pub struct LoginContext {
    pub user_id: i64,
    pub remember: bool,
    pub ip: String,
    pub user_agent: Option<String>,
    /// When the password was typed (now, at login).
    pub authenticated_at: i64,
}

/// A half-done login as the session keeps it until the code is typed.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SecondStep {
    pub user_id: i64,
    pub since: i64,
    pub remember: bool,
    /// Where to go once logged in.
    pub next: String,
}

/// What a sign-in with an external provider is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProviderIntent {
    /// Log in (or sign up) with it.
    SignIn,
    /// Link it to the logged-in account.
    Link,
    /// Confirm it's you (re-authentication) with it.
    Confirm,
}

/// A sign-in with a provider as the session keeps it until the provider sends the browser back.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProviderFlow {
    pub provider: String,
    pub intent: ProviderIntent,
    pub secrets: crate::oidc::FlowSecrets,
    /// The logged-in account a link or a confirmation is for.
    pub user_id: Option<i64>,
    /// Where to go afterwards.
    pub next: String,
    pub started_at: i64,
}

impl ProviderFlow {
    /// The person has this long at the provider.
    pub const LIFETIME: i64 = 10 * 60;

    pub fn is_expired(&self, now: i64) -> bool {
        now - self.started_at >= Self::LIFETIME || now < self.started_at
    }
}

pub struct TypedSession {
    session: Session,
    request: HttpRequest,
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

impl TypedSession {
    pub fn of(req: &HttpRequest) -> Self {
        Self {
            session: req.get_session(),
            request: req.clone(),
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.request.get_identity().ok()?.id().ok()?.parse().ok()
    }

    /// Starts a logged-in session under a new key (no fixation) with a new CSRF token.
    pub fn log_in(&self, login: &LoginContext) -> Result<(), AppError> {
        self.session.remove(PENDING_LOGIN_KEY);
        Identity::login(&self.request.extensions(), login.user_id.to_string())
            .map_err(|e| AppError::internal(format!("cannot start the session: {e}")))?;
        self.insert(PUBLIC_ID_KEY, crypto::random_id())?;
        self.insert(CSRF_KEY, crypto::random_token())?;
        self.insert(REMEMBER_KEY, login.remember)?;
        self.insert(IP_KEY, &login.ip)?;
        if let Some(agent) = &login.user_agent {
            self.insert(USER_AGENT_KEY, agent)?;
        }
        self.insert(AUTHENTICATED_AT_KEY, login.authenticated_at)
    }

    /// Keeps a half-done login, under a new session key, until its second step. The session
    /// stays logged out: no user id, no CSRF token of its own.
    pub fn await_second_step(&self, step: &SecondStep) -> Result<(), AppError> {
        self.session.renew();
        self.insert(PENDING_LOGIN_KEY, step)
    }

    /// The half-done login this session waits on, if any.
    pub fn second_step(&self) -> Option<SecondStep> {
        self.session.get(PENDING_LOGIN_KEY).ok().flatten()
    }

    /// Remembers the passkey ceremony just started (one at a time: a new one replaces it).
    pub fn begin_passkey_ceremony(&self, id: &str) -> Result<(), AppError> {
        self.insert(PASSKEY_CEREMONY_KEY, id)
    }

    /// The passkey ceremony to finish, forgotten as it is read.
    pub fn take_passkey_ceremony(&self) -> String {
        self.take(PASSKEY_CEREMONY_KEY).unwrap_or_default()
    }

    /// Remembers the provider sign-in just started (one at a time: a new one replaces it).
    pub fn begin_provider_flow(&self, flow: &ProviderFlow) -> Result<(), AppError> {
        self.insert(PROVIDER_FLOW_KEY, flow)
    }

    /// The provider sign-in to finish, forgotten as it is read (an answer is taken once).
    pub fn take_provider_flow(&self) -> Option<ProviderFlow> {
        let flow = self.session.get(PROVIDER_FLOW_KEY).ok().flatten();
        self.session.remove(PROVIDER_FLOW_KEY);
        flow
    }

    /// Keeps a provider account until the owner of the account with its email proves it.
    pub fn await_provider_link(&self, pending: &PendingLink) -> Result<(), AppError> {
        self.insert(PROVIDER_LINK_KEY, pending)
    }

    /// The provider account waiting to be linked, if any.
    pub fn provider_link(&self) -> Option<PendingLink> {
        self.session.get(PROVIDER_LINK_KEY).ok().flatten()
    }

    pub fn forget_provider_link(&self) {
        self.session.remove(PROVIDER_LINK_KEY);
    }

    /// True for a logged-in session with "keep me logged in".
    pub fn is_remembered(&self) -> bool {
        self.user_id().is_some()
            && self
                .session
                .get::<bool>(REMEMBER_KEY)
                .ok()
                .flatten()
                .unwrap_or(false)
    }

    /// True when the password was typed in this session within the last ten minutes.
    pub fn authenticated_recently(&self, now: i64) -> bool {
        self.session
            .get::<i64>(AUTHENTICATED_AT_KEY)
            .ok()
            .flatten()
            .is_some_and(|at| now - at <= timeouts::REAUTHENTICATE_AFTER)
    }

    /// Records that the password was just typed again.
    pub fn reauthenticated(&self, now: i64) -> Result<(), AppError> {
        self.insert(AUTHENTICATED_AT_KEY, now)
    }

    /// Ends the session: its row is deleted, so a copied cookie is dead too.
    pub fn log_out(&self) {
        self.session.purge();
    }

    pub fn csrf_token(&self) -> Option<String> {
        self.session.get(CSRF_KEY).ok().flatten()
    }

    /// The id shown on `/sessions` for this session (never the cookie key).
    pub fn public_id(&self) -> Option<String> {
        self.session.get(PUBLIC_ID_KEY).ok().flatten()
    }

    pub fn set_flash(&self, message: &str) -> Result<(), AppError> {
        self.insert(FLASH_KEY, message)
    }

    pub fn take_flash(&self) -> Option<String> {
        self.take(FLASH_KEY)
    }

    /// Keeps a just-created API token for the next page, which shows it once.
    pub fn set_new_api_token(&self, token: &str) -> Result<(), AppError> {
        self.insert(NEW_API_TOKEN_KEY, token)
    }

    /// The just-created API token, removed from the session as it is read.
    pub fn take_new_api_token(&self) -> Option<String> {
        self.take(NEW_API_TOKEN_KEY)
    }

    /// Removes and returns a value. Nothing is removed (so the session is not written back)
    /// when there is none: a page that shows no message changes nothing.
    fn take(&self, key: &str) -> Option<String> {
        self.session.get::<String>(key).ok().flatten()?;
        self.session.remove_as::<String>(key)?.ok()
    }

    fn insert(&self, key: &str, value: impl serde::Serialize) -> Result<(), AppError> {
        self.session
            .insert(key, value)
            .map_err(|e| AppError::internal(format!("cannot write the session: {e}")))
    }
}

/// Reads the CSRF token of a logged-in session from middleware (which has no `HttpRequest`
/// extractor at hand).
pub fn csrf_token_of(req: &actix_web::dev::ServiceRequest) -> Option<String> {
    req.get_session().get(CSRF_KEY).ok().flatten()
}

/// A session's state as the store keeps it: the JSON of every value (as actix-session
/// writes them), with the values the store indexes read out into columns.
pub fn session_record(state: &HashMap<String, String>) -> Result<SessionRecord, serde_json::Error> {
    fn get<T: serde::de::DeserializeOwned>(
        state: &HashMap<String, String>,
        key: &str,
    ) -> Option<T> {
        serde_json::from_str(state.get(key)?).ok()
    }
    Ok(SessionRecord {
        state: serde_json::to_string(state)?,
        user_id: get::<String>(state, USER_ID_KEY).and_then(|id| id.parse().ok()),
        public_id: get(state, PUBLIC_ID_KEY),
        remember: get(state, REMEMBER_KEY).unwrap_or(false),
        ip: get(state, IP_KEY),
        user_agent: get::<String>(state, USER_AGENT_KEY).map(|ua| ua.chars().take(300).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_values_are_read_from_json_values() {
        let state: HashMap<String, String> = [
            (USER_ID_KEY, r#""42""#),
            (PUBLIC_ID_KEY, r#""abc""#),
            (REMEMBER_KEY, "true"),
            (IP_KEY, r#""127.0.0.1""#),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let fields = session_record(&state).unwrap();
        assert_eq!(fields.user_id, Some(42));
        assert_eq!(fields.public_id.as_deref(), Some("abc"));
        assert!(fields.remember);
        assert_eq!(fields.ip.as_deref(), Some("127.0.0.1"));
    }
}
