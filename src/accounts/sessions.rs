//! Sessions: their lifetimes (idle, remember-me, absolute), how they are kept (a row per
//! session, found by the SHA-256 of the cookie's random key, so the key itself is never
//! stored), and a user's own list of them with "log out" and "log out everywhere else".
//! The cookie side (actix-session's `SessionStore`) is `auth::session_store`, which calls
//! the `*_session` methods here.

use std::fmt::Display;

use super::audit::{AuditEntry, action};
use super::{AccountError, Accounts, SessionRow, User};
use crate::crypto;
use crate::db::models::NewSessionRow;
use crate::db::{ip_limits, own_data, passkeys, sessions, throttles, tokens};

/// How long failed-login counts are kept after their last failure or lock.
const THROTTLE_MEMORY: i64 = 24 * 3600;

/// Session lifetimes from the SPEC.
pub mod timeouts {
    /// Idle timeout of an ordinary session.
    pub const IDLE: i64 = 30 * 60;
    /// Idle timeout with "remember me".
    pub const REMEMBER_IDLE: i64 = 30 * 24 * 3600;
    /// No session lives longer than this after login.
    pub const ABSOLUTE: i64 = 30 * 24 * 3600;
    /// `last_seen_at` is written at most this often per session.
    pub const TOUCH_INTERVAL: i64 = 60;
    /// Sensitive changes ask for the password again when it was last typed longer ago.
    pub const REAUTHENTICATE_AFTER: i64 = 10 * 60;

    pub fn idle(remember: bool) -> i64 {
        if remember { REMEMBER_IDLE } else { IDLE }
    }
}

/// A live session as loaded: its state (opaque JSON), and the account it is logged in as,
/// as that account is now (disabled or not: the caller decides).
#[derive(Debug, Clone)]
pub struct LoadedSession {
    pub state: String,
    pub user: Option<User>,
}

/// A session's state as the cookie side hands it over: the state itself (opaque JSON) and
/// the parts of it that are kept in columns of their own.
#[derive(Debug, Clone, Default)]
pub struct SessionRecord {
    pub state: String,
    pub user_id: Option<i64>,
    /// The id shown on `/sessions` (never the cookie key); one is made when missing.
    pub public_id: Option<String>,
    pub remember: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Accounts {
    /// The live session with this cookie key, with the account it is logged in as, read in
    /// one statement. An expired one is deleted and `None`; a live one's idle expiry moves
    /// on, written at most once a minute (so most loads write nothing).
    pub async fn load_session(&self, key: &str) -> Result<Option<LoadedSession>, AccountError> {
        let (key_hash, now) = (crypto::token_hash(key), self.now());
        self.db
            .run(move |conn| {
                let Some((row, user)) = sessions::find_with_user(conn, &key_hash)? else {
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
                Ok::<_, AccountError>(Some(LoadedSession {
                    state: row.state,
                    user,
                }))
            })
            .await
    }

    /// Stores a new session and returns its cookie key (random, 256 bits).
    pub async fn create_session(&self, record: SessionRecord) -> Result<String, AccountError> {
        let key = crypto::random_token();
        let now = self.now();
        let absolute_expires_at = now + timeouts::ABSOLUTE;
        let row = NewSessionRow {
            key_hash: crypto::token_hash(&key),
            public_id: record.public_id.unwrap_or_else(crypto::random_id),
            user_id: record.user_id,
            state: record.state,
            remember: record.remember,
            created_at: now,
            last_seen_at: now,
            expires_at: (now + timeouts::idle(record.remember)).min(absolute_expires_at),
            absolute_expires_at,
            ip: record.ip,
            user_agent: record.user_agent,
        };
        self.db
            .run(move |conn| Ok::<_, AccountError>(sessions::insert(conn, &row)?))
            .await?;
        Ok(key)
    }

    /// Saves a changed state. A session revoked meanwhile stays revoked (nothing is written).
    pub async fn update_session(
        &self,
        key: &str,
        record: SessionRecord,
    ) -> Result<(), AccountError> {
        let key_hash = crypto::token_hash(key);
        self.db
            .run(move |conn| {
                let public_id = record.public_id.unwrap_or_else(crypto::random_id);
                let update = sessions::SessionStateUpdate {
                    state: &record.state,
                    public_id: &public_id,
                    user_id: record.user_id,
                    ip: record.ip.as_deref(),
                    user_agent: record.user_agent.as_deref(),
                };
                sessions::update_state(conn, &key_hash, &update)?;
                Ok::<_, AccountError>(())
            })
            .await
    }

    /// Ends the session with this cookie key (a logout): a copied cookie is dead too.
    pub async fn delete_session(&self, key: &str) -> Result<(), AccountError> {
        let key_hash = crypto::token_hash(key);
        self.db
            .run(move |conn| {
                Ok::<_, AccountError>(sessions::delete_by_key_hash(conn, &key_hash).map(drop)?)
            })
            .await
    }

    /// Deletes expired sessions, one-time links and unfinished passkey ceremonies,
    /// failed-login counts idle for a day (a repeated lock within a day still lasts twice as
    /// long) and per-IP allowances that are full again; returns how many went.
    pub async fn purge_expired(&self) -> Result<usize, AccountError> {
        let now = self.now();
        self.db
            .run(move |conn| {
                let sessions = sessions::purge_expired(conn, now)?;
                let links = tokens::purge_expired(conn, now)?;
                let counts = throttles::purge_older_than(conn, now - THROTTLE_MEMORY)?;
                let ceremonies = passkeys::purge_expired_ceremonies(conn, now)?;
                let allowances = ip_limits::purge_full(conn, now * 1000)?;
                let invitations = own_data::purge_expired_invitations(conn, now)?;
                Ok::<_, AccountError>(
                    sessions + links + counts + ceremonies + allowances + invitations,
                )
            })
            .await
    }

    /// The user's live sessions, most recently seen first.
    pub async fn live_sessions(&self, user: &User) -> Result<Vec<SessionRow>, AccountError> {
        let (id, now) = (user.id, self.now());
        self.db
            .run(move |conn| Ok::<_, AccountError>(sessions::live_for_user(conn, id, now)?))
            .await
    }

    /// Ends one of the user's sessions; another user's session id is simply not found.
    pub async fn end_session(
        &self,
        user: &User,
        public_id: String,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        if !crypto::is_id(&public_id) {
            return Err(AccountError::NotFound);
        }
        let (audit, now, id) = (
            AuditEntry::own(action::SESSION_REVOKE, user, ip),
            self.now(),
            user.id,
        );
        self.db
            .transaction(move |conn| {
                if sessions::delete_one_for_user(conn, id, &public_id)? == 0 {
                    return Err(AccountError::NotFound);
                }
                Ok(audit.write(conn, now)?)
            })
            .await
    }

    /// Ends every session of the user except `keep` (a public id); returns how many ended.
    pub async fn end_other_sessions(
        &self,
        user: &User,
        keep: Option<String>,
        ip: impl Display,
    ) -> Result<usize, AccountError> {
        let (audit, now, id) = (
            AuditEntry::own(action::SESSIONS_REVOKE_OTHERS, user, ip),
            self.now(),
            user.id,
        );
        self.db
            .transaction(move |conn| {
                let ended = sessions::delete_for_user(conn, id, keep.as_deref())?;
                audit
                    .detail(format!("sessions ended: {ended}"))
                    .write(conn, now)?;
                Ok::<_, AccountError>(ended)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::timeouts;

    #[test]
    fn remember_me_stretches_only_the_idle_timeout() {
        assert_eq!(timeouts::idle(false), 1800);
        assert_eq!(timeouts::idle(true), timeouts::ABSOLUTE);
    }
}
