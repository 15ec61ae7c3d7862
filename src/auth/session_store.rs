//! actix-session's `SessionStore` on the account service's sessions. The cookie carries
//! only a random 256-bit key (signed by the middleware); expiry (idle, remember-me,
//! absolute) is decided by `accounts::sessions` on every load, so a revoked or expired
//! session is dead on every instance that shares the database.
//!
//! A session is loaded together with its account, in one statement: the account is kept
//! for the rest of the request ([`with_session_user`] makes the room for it, a task-local
//! value, since a store is not told which request it serves), so that `CurrentUser` needs
//! no second trip to the database.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use super::session_state::session_record;
use crate::accounts::{Accounts, User};

type SessionState = HashMap<String, String>;

tokio::task_local! {
    /// The account the request's session was loaded with, if it is logged in.
    static SESSION_USER: RefCell<Option<User>>;
}

/// Runs a request (`serve`) with room for the account its session is loaded with.
pub async fn with_session_user<F: Future>(serve: F) -> F::Output {
    SESSION_USER.scope(RefCell::new(None), serve).await
}

/// The account with id `user_id`, as it was loaded with this request's session.
pub fn session_user(user_id: i64) -> Option<User> {
    SESSION_USER
        .try_with(|cell| cell.borrow().clone().filter(|user| user.id == user_id))
        .ok()
        .flatten()
}

#[derive(Clone)]
pub struct AccountSessionStore {
    accounts: Accounts,
}

impl AccountSessionStore {
    pub fn new(accounts: Accounts) -> Self {
        Self { accounts }
    }
}

impl SessionStore for AccountSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let loaded = self.accounts.load_session(key.as_ref()).await;
        let Some(session) = loaded.map_err(|e| LoadError::Other(e.into()))? else {
            return Ok(None);
        };
        let _outside_a_request = SESSION_USER.try_with(|cell| *cell.borrow_mut() = session.user);
        serde_json::from_str(&session.state)
            .map(Some)
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: SessionState, _ttl: &Duration) -> Result<SessionKey, SaveError> {
        let record = session_record(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = self
            .accounts
            .create_session(record)
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        key: SessionKey,
        state: SessionState,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let record = session_record(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        self.accounts
            .update_session(key.as_ref(), record)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        Ok(key)
    }

    /// Idle expiry is extended in `load`, so there is nothing to do here.
    async fn update_ttl(&self, _key: &SessionKey, _ttl: &Duration) -> Result<(), anyhow::Error> {
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        Ok(self.accounts.delete_session(key.as_ref()).await?)
    }
}
