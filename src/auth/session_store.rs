//! actix-session's `SessionStore` on the account service's sessions. The cookie carries
//! only a random 256-bit key (signed by the middleware); expiry (idle, remember-me,
//! absolute) is decided by `accounts::sessions` on every load, so a revoked or expired
//! session is dead on every instance that shares the database.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use super::session_state::session_record;
use crate::accounts::Accounts;

type SessionState = HashMap<String, String>;

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
        let Some(json) = loaded.map_err(|e| LoadError::Other(e.into()))? else {
            return Ok(None);
        };
        serde_json::from_str(&json)
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
