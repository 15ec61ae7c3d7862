//! Email verification: every new address gets a single-use link, valid three days, stored as
//! a hash. Unverified accounts can log in; they see a banner and can ask for a new link (at
//! most one a minute). A changed email is unverified again; an admin can mark one verified.

use diesel::Connection;

use crate::audit::{AuditEntry, Outcome, action};
use crate::crypto;
use crate::db::models::User;
use crate::db::{DbConnection, tokens, users};
use crate::errors::AppError;
use crate::mail::Mail;
use crate::state::AppState;

pub const PURPOSE: &str = "email_verification";
pub const LINK_LIFETIME: i64 = 3 * 24 * 3600;
/// A new link can be asked for this long after the last one.
pub const RESEND_INTERVAL: i64 = 60;

/// What came of asking for a new link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    Sent,
    AlreadyVerified,
    /// The last link went out less than [`RESEND_INTERVAL`] ago.
    TooSoon,
}

/// Mails `user` a new link for their current address (earlier links stop working).
/// `actor` is who asked: the user, or the admin who created or edited the account.
pub async fn send_link(
    state: &AppState,
    user: &User,
    actor: &User,
    ip: impl ToString,
) -> Result<(), AppError> {
    let token = crypto::random_token();
    let token_hash = crypto::token_hash(&token);
    let now = state.clock.now();
    let audit = AuditEntry::new(action::EMAIL_VERIFICATION_SENT, Outcome::Success)
        .by(actor)
        .on(user)
        .from(ip);
    let id = user.id;
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                tokens::delete_for_user(conn, PURPOSE, id)?;
                tokens::insert(
                    conn,
                    PURPOSE,
                    &token_hash,
                    Some(id),
                    now,
                    now + LINK_LIFETIME,
                )?;
                audit.write(conn, now)
            })
        })
        .await?;
    state.mailer.send_later(Mail {
        to: user.email.clone(),
        subject: "Verify your email address for Gatehouse".into(),
        body: format!(
            "Please confirm that this address belongs to your Gatehouse account.\n\n\
             Open this link within three days:\n\n{}/verify-email/{token}\n\n\
             If you did not sign up, ignore this mail.\n",
            state.settings.base_url
        ),
    });
    Ok(())
}

/// A new link from the banner, unless the address is verified or a link just went out.
pub async fn resend(state: &AppState, user: &User, ip: impl ToString) -> Result<Resend, AppError> {
    if user.email_verified_at.is_some() {
        return Ok(Resend::AlreadyVerified);
    }
    let (id, now) = (user.id, state.clock.now());
    let last = state
        .db
        .run(move |conn| Ok(tokens::latest_issued(conn, PURPOSE, id)?))
        .await?;
    if last.is_some_and(|at| now - at < RESEND_INTERVAL) {
        return Ok(Resend::TooSoon);
    }
    send_link(state, user, user, ip).await?;
    Ok(Resend::Sent)
}

/// The account a usable verification link belongs to.
pub async fn account_for_link(state: &AppState, token: &str) -> Result<User, AppError> {
    super::account_for_link(state, PURPOSE, token).await
}

/// Marks the address verified through a link, which is then used up.
pub async fn confirm(state: &AppState, token: &str, ip: impl ToString) -> Result<User, AppError> {
    let (hash, now, ip) = (crypto::token_hash(token), state.clock.now(), ip.to_string());
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let token =
                    tokens::find_usable(conn, PURPOSE, &hash, now)?.ok_or(AppError::LinkExpired)?;
                let user = token
                    .user_id
                    .map(|id| users::find_by_id(conn, id))
                    .transpose()?
                    .flatten()
                    .filter(|user| user.active)
                    .ok_or(AppError::LinkExpired)?;
                if !tokens::consume(conn, token.id, now)? {
                    return Err(AppError::LinkExpired);
                }
                users::set_email_verified(conn, user.id, Some(now))?;
                AuditEntry::own(action::EMAIL_VERIFY, &user, &ip).write(conn, now)?;
                users::find_by_id(conn, user.id)?.ok_or(AppError::NotFound)
            })
        })
        .await
}

/// After an email change, inside its transaction: the new address is not verified, and
/// links sent to the old one no longer work.
pub fn forget(conn: &mut DbConnection, user_id: i64) -> Result<(), AppError> {
    users::set_email_verified(conn, user_id, None)?;
    tokens::delete_for_user(conn, PURPOSE, user_id)?;
    Ok(())
}
