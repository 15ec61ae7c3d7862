//! Password reset by mail: a single-use link, valid one hour, stored as a hash. Asking for
//! one answers the same whether or not the account exists; using it sets a new password,
//! ends every session of the account and lifts a login lock.

use diesel::Connection;
use serde::Deserialize;

use super::AccountError;
use crate::audit::{AuditEntry, Outcome, action};
use crate::crypto;
use crate::db::models::User;
use crate::db::{sessions, throttles, tokens, users};
use crate::domain::{Email, SecretString};
use crate::errors::AppError;
use crate::mail::Mail;
use crate::state::AppState;
use crate::web::FormErrors;

pub const PURPOSE: &str = "password_reset";
pub const LINK_LIFETIME: i64 = 3600;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetRequestForm {
    pub email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewPasswordForm {
    pub new_password: SecretString,
    pub new_password_confirm: SecretString,
}

/// Mails a reset link when an active account has this email; otherwise does nothing
/// visible. Only a malformed email is an error.
pub async fn request(
    state: &AppState,
    form: &ResetRequestForm,
    ip: impl ToString,
) -> Result<(), AccountError> {
    let email = Email::parse(&form.email)
        .map_err(|message| AccountError::Invalid(FormErrors::single("email", message)))?;
    let (now, ip) = (state.clock.now(), ip.to_string());
    let token = crypto::random_token();
    let token_hash = crypto::token_hash(&token);
    let lookup = email.clone();
    let user = state
        .db
        .run(move |conn| {
            let user = users::find_by_email(conn, lookup.as_str())?.filter(|user| user.active);
            let audit = AuditEntry::new(action::PASSWORD_RESET_REQUEST, Outcome::Success).from(&ip);
            match &user {
                Some(user) => {
                    tokens::insert(
                        conn,
                        PURPOSE,
                        &token_hash,
                        Some(user.id),
                        now,
                        now + LINK_LIFETIME,
                    )?;
                    audit.on(user).write(conn, now)?;
                }
                None => audit
                    .on_label(lookup.as_str())
                    .detail("no active account")
                    .write(conn, now)?,
            }
            Ok(user)
        })
        .await?;
    if let Some(user) = user {
        state.mailer.send_later(Mail {
            to: user.email,
            subject: "Reset your Gatehouse password".into(),
            body: format!(
                "Someone asked to reset the password of your Gatehouse account.\n\n\
                 To choose a new password, open this link within one hour:\n\n{}/password-reset/{token}\n\n\
                 The link works once. If you did not ask for it, ignore this mail: your password stays as it is.\n",
                state.settings.base_url
            ),
        });
    }
    Ok(())
}

/// The account a usable link belongs to.
pub async fn account_for_link(state: &AppState, token: &str) -> Result<User, AppError> {
    super::account_for_link(state, PURPOSE, token).await
}

/// Sets the new password through a link, which is then used up.
pub async fn complete(
    state: &AppState,
    token: &str,
    form: &NewPasswordForm,
    ip: impl ToString,
) -> Result<User, AccountError> {
    let user = account_for_link(state, token).await?;
    let password = super::new_password(
        FormErrors::default(),
        &user,
        &form.new_password,
        &form.new_password_confirm,
    )?;
    let hash = state.hasher.hash(&password).await?;
    let (token_hash, now, ip) = (crypto::token_hash(token), state.clock.now(), ip.to_string());
    let account = user.clone();
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let token = tokens::find_usable(conn, PURPOSE, &token_hash, now)?
                    .ok_or(AppError::LinkExpired)?;
                if !tokens::consume(conn, token.id, now)? {
                    return Err(AppError::LinkExpired);
                }
                users::set_password_hash(conn, account.id, &hash, now)?;
                let ended = sessions::delete_for_user(conn, account.id, None)?;
                throttles::clear(conn, account.id)?;
                AuditEntry::own(action::PASSWORD_RESET, &account, &ip)
                    .detail(format!("sessions ended: {ended}"))
                    .write(conn, now)
            })
        })
        .await?;
    notify_password_changed(state, &user);
    Ok(user)
}

/// Tells the owner that their password changed (reset or changed while logged in).
pub fn notify_password_changed(state: &AppState, user: &User) {
    state.mailer.send_later(Mail {
        to: user.email.clone(),
        subject: "Your Gatehouse password was changed".into(),
        body: "The password of your Gatehouse account was just changed, and every other session was logged out.\n\n\
               If this was not you, reset your password at once and tell your administrator.\n"
            .into(),
    });
}
