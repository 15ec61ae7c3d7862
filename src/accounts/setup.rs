//! The first admin: a one-time setup link logged at start while no active admin exists,
//! and the same account created from the command line.

use super::AccountError;
use super::registration::{SignUpForm, create_account};
use crate::audit::{AuditEntry, action};
use crate::crypto;
use crate::db::models::User;
use crate::db::{DbConnection, tokens, users};
use crate::domain::Role;
use crate::errors::AppError;
use crate::state::AppState;

pub const SETUP_PURPOSE: &str = "setup";
pub const SETUP_TOKEN_LIFETIME: i64 = 3600;

/// Issues a setup token when no active admin exists; returns it (to be logged once).
pub fn issue_token_if_no_admin(
    conn: &mut DbConnection,
    now: i64,
) -> Result<Option<String>, AppError> {
    if users::active_admin_exists(conn)? {
        return Ok(None);
    }
    let token = crypto::random_token();
    tokens::insert(
        conn,
        SETUP_PURPOSE,
        &crypto::token_hash(&token),
        None,
        now,
        now + SETUP_TOKEN_LIFETIME,
    )?;
    Ok(Some(token))
}

/// True while the link is unused, unexpired, and no admin exists yet.
pub async fn token_is_usable(state: &AppState, token: &str) -> Result<bool, AppError> {
    let hash = crypto::token_hash(token);
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(
                tokens::find_usable(conn, SETUP_PURPOSE, &hash, now)?.is_some()
                    && !users::active_admin_exists(conn)?,
            )
        })
        .await
}

/// Creates the first admin through a setup link, which is then used up.
pub async fn complete(
    state: &AppState,
    token: &str,
    form: &SignUpForm,
    ip: impl ToString,
) -> Result<User, AccountError> {
    let account = form.validate(Role::Admin)?;
    let hash = crypto::token_hash(token);
    let now = state.clock.now();
    let claimed = state
        .db
        .run(move |conn| {
            let Some(token) = tokens::find_usable(conn, SETUP_PURPOSE, &hash, now)? else {
                return Ok(false);
            };
            Ok(!users::active_admin_exists(conn)? && tokens::consume(conn, token.id, now)?)
        })
        .await?;
    if !claimed {
        return Err(AccountError::App(AppError::NotFound));
    }
    let ip = ip.to_string();
    create_account(
        &state.db,
        &state.hasher,
        &state.clock,
        account,
        move |user| AuditEntry::own(action::SETUP_ADMIN, user, ip),
    )
    .await
}
