//! A user's own sessions: listing and revoking them.

use crate::audit::{AuditEntry, action};
use crate::db::models::{SessionRow, User};
use crate::db::sessions;
use crate::errors::AppError;
use crate::state::AppState;

pub async fn live_sessions(state: &AppState, user: &User) -> Result<Vec<SessionRow>, AppError> {
    let (id, now) = (user.id, state.clock.now());
    state
        .db
        .run(move |conn| Ok(sessions::live_for_user(conn, id, now)?))
        .await
}

/// Ends one of the user's sessions; another user's session id is simply not found.
pub async fn revoke(
    state: &AppState,
    user: &User,
    public_id: String,
    ip: impl ToString,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let audit = AuditEntry::own(action::SESSION_REVOKE, user, ip.to_string());
    let id = user.id;
    state
        .db
        .run(move |conn| {
            if sessions::delete_one_for_user(conn, id, &public_id)? == 0 {
                return Err(AppError::NotFound);
            }
            audit.write(conn, now)
        })
        .await
}

/// Ends every session of the user except `keep`; returns how many ended.
pub async fn revoke_others(
    state: &AppState,
    user: &User,
    keep: Option<String>,
    ip: impl ToString,
) -> Result<usize, AppError> {
    let now = state.clock.now();
    let audit = AuditEntry::own(action::SESSIONS_REVOKE_OTHERS, user, ip.to_string());
    let id = user.id;
    state
        .db
        .run(move |conn| {
            let ended = sessions::delete_for_user(conn, id, keep.as_deref())?;
            audit
                .detail(format!("sessions ended: {ended}"))
                .write(conn, now)?;
            Ok(ended)
        })
        .await
}
