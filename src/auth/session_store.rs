//! actix-session's `SessionStore` on our own database. The cookie carries only a random
//! 256-bit key (signed by the middleware); the row is found by the key's SHA-256. Expiry
//! (idle, remember-me, absolute) is decided here on every load, so a revoked or expired
//! session is dead on every instance that shares the database.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use super::session_state::{StoredSessionFields, timeouts};
use crate::clock::Clock;
use crate::crypto;
use crate::db::models::NewSessionRow;
use crate::db::{Db, sessions};
use crate::errors::AppError;

type SessionState = HashMap<String, String>;

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Clock,
}

impl DbSessionStore {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self { db, clock }
    }

    async fn load_state(&self, key: &SessionKey) -> Result<Option<String>, AppError> {
        let key_hash = crypto::token_hash(key.as_ref());
        let now = self.clock.now();
        self.db
            .run(move |conn| {
                let Some(row) = sessions::find_by_key_hash(conn, &key_hash)? else {
                    return Ok(None);
                };
                if row.expires_at <= now || row.absolute_expires_at <= now {
                    sessions::delete_by_key_hash(conn, &key_hash)?;
                    return Ok(None);
                }
                if now - row.last_seen_at >= timeouts::TOUCH_INTERVAL {
                    let expires_at =
                        (now + timeouts::idle(row.remember)).min(row.absolute_expires_at);
                    sessions::touch(conn, row.id, now, expires_at)?;
                }
                Ok(Some(row.state))
            })
            .await
    }

    async fn insert_state(&self, state: &SessionState) -> Result<SessionKey, AppError> {
        let key = crypto::random_token();
        let fields = StoredSessionFields::from_state(state);
        let now = self.clock.now();
        let absolute_expires_at = now + timeouts::ABSOLUTE;
        let row = NewSessionRow {
            key_hash: crypto::token_hash(&key),
            public_id: fields.public_id.unwrap_or_else(crypto::random_id),
            user_id: fields.user_id,
            state: serde_json::to_string(state).map_err(anyhow::Error::from)?,
            remember: fields.remember,
            created_at: now,
            last_seen_at: now,
            expires_at: (now + timeouts::idle(fields.remember)).min(absolute_expires_at),
            absolute_expires_at,
            ip: fields.ip,
            user_agent: fields.user_agent,
        };
        self.db
            .run(move |conn| Ok(sessions::insert(conn, &row)?))
            .await?;
        SessionKey::try_from(key).map_err(|e| AppError::internal(e.to_string()))
    }

    async fn update_state(&self, key: &SessionKey, state: &SessionState) -> Result<(), AppError> {
        let key_hash = crypto::token_hash(key.as_ref());
        let fields = StoredSessionFields::from_state(state);
        let json = serde_json::to_string(state).map_err(anyhow::Error::from)?;
        self.db
            .run(move |conn| {
                let public_id = fields.public_id.unwrap_or_else(crypto::random_id);
                let update = sessions::SessionStateUpdate {
                    state: &json,
                    public_id: &public_id,
                    user_id: fields.user_id,
                    ip: fields.ip.as_deref(),
                    user_agent: fields.user_agent.as_deref(),
                };
                // Zero rows: the session was revoked meanwhile and must stay dead.
                sessions::update_state(conn, &key_hash, &update)?;
                Ok(())
            })
            .await
    }
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let Some(json) = self
            .load_state(key)
            .await
            .map_err(|e| LoadError::Other(e.into()))?
        else {
            return Ok(None);
        };
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: SessionState, _ttl: &Duration) -> Result<SessionKey, SaveError> {
        self.insert_state(&state)
            .await
            .map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        key: SessionKey,
        state: SessionState,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        self.update_state(&key, &state)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        Ok(key)
    }

    /// Idle expiry is extended in `load`, so there is nothing to do here.
    async fn update_ttl(&self, _key: &SessionKey, _ttl: &Duration) -> Result<(), anyhow::Error> {
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let key_hash = crypto::token_hash(key.as_ref());
        self.db
            .run(move |conn| Ok(sessions::delete_by_key_hash(conn, &key_hash)?))
            .await?;
        Ok(())
    }
}
