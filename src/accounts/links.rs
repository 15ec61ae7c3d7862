//! One-time links (first-admin setup, password reset, email verification): a random token
//! that is mailed or logged once and stored only as its SHA-256, usable once until it
//! expires. These run inside the caller's transaction.

use diesel::QueryResult;

use super::{AccountError, User};
use crate::crypto;
use crate::db::{DbConnection, tokens, users};

/// What a link is for; stored with it, so a link of one kind never opens another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    Setup,
    PasswordReset,
    EmailVerification,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
        }
    }
}

/// A link just made: its token is known only until it is mailed or logged.
pub(super) struct NewLink {
    pub token: String,
}

impl NewLink {
    /// Stores a new link of `purpose` for `user_id` (none for the setup link).
    pub fn store(
        conn: &mut DbConnection,
        purpose: Purpose,
        user_id: Option<i64>,
        now: i64,
        lifetime: i64,
    ) -> QueryResult<Self> {
        let token = crypto::random_token();
        let hash = crypto::token_hash(&token);
        tokens::insert(conn, purpose.as_str(), &hash, user_id, now, now + lifetime)?;
        Ok(Self { token })
    }
}

/// The id of a usable (unused, unexpired) link of `purpose`, and whom it is for.
pub(super) fn find_usable(
    conn: &mut DbConnection,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> QueryResult<Option<(i64, Option<i64>)>> {
    let hash = crypto::token_hash(token);
    Ok(tokens::find_usable(conn, purpose.as_str(), &hash, now)?.map(|t| (t.id, t.user_id)))
}

/// The active account a usable link belongs to. Anything else is an expired link (410),
/// whatever the reason, so a link tells nobody more than that.
pub(super) fn account_for(
    conn: &mut DbConnection,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<User, AccountError> {
    let (_, user_id) = find_usable(conn, purpose, token, now)?.ok_or(AccountError::LinkExpired)?;
    active_owner(conn, user_id)
}

/// Uses up a link and returns the active account it belongs to; a link that another
/// request used first is expired.
pub(super) fn use_up(
    conn: &mut DbConnection,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<User, AccountError> {
    let (id, user_id) = find_usable(conn, purpose, token, now)?.ok_or(AccountError::LinkExpired)?;
    let user = active_owner(conn, user_id)?;
    consume(conn, id, now)?;
    Ok(user)
}

/// Marks the link with this id used; a link another request used first is expired.
pub(super) fn consume(conn: &mut DbConnection, id: i64, now: i64) -> Result<(), AccountError> {
    if tokens::consume(conn, id, now)? {
        Ok(())
    } else {
        Err(AccountError::LinkExpired)
    }
}

fn active_owner(conn: &mut DbConnection, user_id: Option<i64>) -> Result<User, AccountError> {
    let user = match user_id {
        Some(id) => users::find_by_id(conn, id)?,
        None => None,
    };
    user.filter(|user| user.active)
        .ok_or(AccountError::LinkExpired)
}

/// Ends every open link of `purpose` of an account (a newer one replaces them).
pub(super) fn forget_all(
    conn: &mut DbConnection,
    purpose: Purpose,
    user_id: i64,
) -> QueryResult<usize> {
    tokens::delete_for_user(conn, purpose.as_str(), user_id)
}

/// When the newest link of `purpose` went out to an account.
pub(super) fn latest_issued(
    conn: &mut DbConnection,
    purpose: Purpose,
    user_id: i64,
) -> QueryResult<Option<i64>> {
    tokens::latest_issued(conn, purpose.as_str(), user_id)
}
