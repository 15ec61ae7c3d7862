//! Password reset by mail: a single-use link, valid one hour. Asking for one answers the
//! same whether or not the account exists; using it sets a new password, ends every
//! session, every API token and every other open reset link of the account (a reset is
//! how people take an account back), and lifts a login lock. A password or email change
//! ends open reset links too (`end_reset_links`).

use std::fmt::Display;

use diesel::QueryResult;

use super::audit::{AuditEntry, Outcome, action};
use super::links::{self, NewLink, Purpose};
use super::profile::check_new_password;
use super::{AccountError, Accounts, FieldErrors, User, mails};
use crate::db::{DbConnection, api_tokens, sessions, throttles, users};
use crate::domain::{Email, SecretString};

pub const LINK_LIFETIME: i64 = 3600;

/// Inside the transaction of a password or email change: reset links already sent stop
/// working (one sent to an old address must not take the account back).
pub(super) fn end_reset_links(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    links::forget_all(conn, Purpose::PasswordReset, user_id)
}

/// The new password, typed twice.
#[derive(Debug, Clone, Default)]
pub struct NewPasswordTwice {
    pub new_password: SecretString,
    pub new_password_confirm: SecretString,
}

impl Accounts {
    /// Mails a reset link when an active account has this email; otherwise does nothing
    /// visible. Only a malformed email is an error.
    pub async fn request_password_reset(
        &self,
        email: &str,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        let email =
            Email::parse(email).map_err(|message| AccountError::invalid("email", message))?;
        let (ip, now) = (ip.to_string(), self.now());
        let sent = self
            .db
            .transaction(move |conn| {
                let user = users::find_by_email(conn, email.as_str())?.filter(|user| user.active);
                let audit =
                    AuditEntry::new(action::PASSWORD_RESET_REQUEST, Outcome::Success).from(&ip);
                let Some(user) = user else {
                    audit
                        .on_label(email.as_str())
                        .detail("no active account")
                        .write(conn, now)?;
                    return Ok(None);
                };
                let link = NewLink::store(
                    conn,
                    Purpose::PasswordReset,
                    Some(user.id),
                    now,
                    LINK_LIFETIME,
                )?;
                audit.on(&user).write(conn, now)?;
                Ok::<_, AccountError>(Some((user, link)))
            })
            .await?;
        if let Some((user, link)) = sent {
            self.mail(mails::password_reset(
                &self.site_name,
                &user,
                &self.base_url,
                &link.token,
            ));
        }
        Ok(())
    }

    /// The account a usable reset link belongs to.
    pub async fn account_for_reset_link(&self, token: &str) -> Result<User, AccountError> {
        let (token, now) = (token.to_string(), self.now());
        self.db
            .run(move |conn| links::account_for(conn, Purpose::PasswordReset, &token, now))
            .await
    }

    /// Sets the new password through a link, which is used up in the same transaction.
    pub async fn reset_password(
        &self,
        token: &str,
        new: NewPasswordTwice,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        let user = self.account_for_reset_link(token).await?;
        let password = check_new_password(
            FieldErrors::default(),
            &user,
            &new.new_password,
            &new.new_password_confirm,
        )?;
        let hash = self.hasher.hash(&password).await?;
        let (token, ip, now) = (token.to_string(), ip.to_string(), self.now());
        let user = self
            .db
            .transaction(move |conn| {
                let user = links::use_up(conn, Purpose::PasswordReset, &token, now)?;
                links::forget_all(conn, Purpose::PasswordReset, user.id)?;
                users::set_password_hash(conn, user.id, &hash, now)?;
                let ended = sessions::delete_for_user(conn, user.id, None)?;
                let revoked = api_tokens::delete_all_for_user(conn, user.id)?;
                throttles::clear(conn, &user.email)?;
                AuditEntry::own(action::PASSWORD_RESET, &user, &ip)
                    .detail(format!(
                        "sessions ended: {ended}; API tokens revoked: {revoked}"
                    ))
                    .write(conn, now)?;
                Ok::<_, AccountError>((user, revoked))
            })
            .await?;
        self.mail(mails::password_reset_done(&self.site_name, &user.0, user.1));
        Ok(user.0)
    }
}
