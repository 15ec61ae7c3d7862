//! Email verification: every new address gets a single-use link, valid three days. Unverified
//! accounts can log in; they see a banner and can ask for a new link (at most one a
//! minute). A changed email is unverified again; an admin can mark one verified.

use std::fmt::Display;

use diesel::QueryResult;

use super::audit::{AuditEntry, Outcome, action};
use super::links::{self, NewLink, Purpose};
use super::{AccountError, Accounts, User, mails};
use crate::db::{DbConnection, users};

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

/// Inside the transaction that made or changed an address: a new link for `user`'s current
/// address (earlier links stop working), audited. `actor` is who asked: the user, or the
/// admin who created or edited the account. Mail the returned link after the commit.
pub(super) fn issue_link(
    conn: &mut DbConnection,
    user: &User,
    actor: &User,
    ip: &str,
    now: i64,
) -> QueryResult<NewLink> {
    links::forget_all(conn, Purpose::EmailVerification, user.id)?;
    let link = NewLink::store(
        conn,
        Purpose::EmailVerification,
        Some(user.id),
        now,
        LINK_LIFETIME,
    )?;
    AuditEntry::new(action::EMAIL_VERIFICATION_SENT, Outcome::Success)
        .by(actor)
        .on(user)
        .from(ip)
        .write(conn, now)?;
    Ok(link)
}

/// After an email change, inside its transaction: the new address is not verified, and
/// links sent to the old one no longer work.
pub(super) fn forget(conn: &mut DbConnection, user_id: i64) -> QueryResult<()> {
    users::set_email_verified(conn, user_id, None)?;
    links::forget_all(conn, Purpose::EmailVerification, user_id)?;
    Ok(())
}

/// Inside a transaction: the address counts as verified from `now`; open links end.
pub(super) fn mark_verified(conn: &mut DbConnection, user_id: i64, now: i64) -> QueryResult<()> {
    users::set_email_verified(conn, user_id, Some(now))?;
    links::forget_all(conn, Purpose::EmailVerification, user_id)?;
    Ok(())
}

impl Accounts {
    /// Mails the verification link made inside a committed transaction.
    pub(super) fn mail_verification_link(&self, user: &User, link: &NewLink) {
        self.mail(mails::verify_email(
            &self.site_name,
            user,
            &self.base_url,
            &link.token,
        ));
    }

    /// A new link from the banner, unless the address is verified or a link just went out.
    pub async fn resend_verification(
        &self,
        user: &User,
        ip: impl Display,
    ) -> Result<Resend, AccountError> {
        if user.email_verified_at.is_some() {
            return Ok(Resend::AlreadyVerified);
        }
        let (me, ip, now) = (user.clone(), ip.to_string(), self.now());
        let link = self
            .db
            .transaction(move |conn| {
                let last = links::latest_issued(conn, Purpose::EmailVerification, me.id)?;
                if last.is_some_and(|at| now - at < RESEND_INTERVAL) {
                    return Ok(None);
                }
                Ok::<_, AccountError>(Some(issue_link(conn, &me, &me, &ip, now)?))
            })
            .await?;
        match link {
            Some(link) => {
                self.mail_verification_link(user, &link);
                Ok(Resend::Sent)
            }
            None => Ok(Resend::TooSoon),
        }
    }

    /// The account a usable verification link belongs to.
    pub async fn account_for_verification_link(&self, token: &str) -> Result<User, AccountError> {
        let (token, now) = (token.to_string(), self.now());
        self.db
            .run(move |conn| links::account_for(conn, Purpose::EmailVerification, &token, now))
            .await
    }

    /// Marks the address verified through a link, which is then used up.
    pub async fn verify_email(&self, token: &str, ip: impl Display) -> Result<User, AccountError> {
        let (token, now, ip) = (token.to_string(), self.now(), ip.to_string());
        self.db
            .transaction(move |conn| {
                let user = links::use_up(conn, Purpose::EmailVerification, &token, now)?;
                users::set_email_verified(conn, user.id, Some(now))?;
                AuditEntry::own(action::EMAIL_VERIFY, &user, &ip).write(conn, now)?;
                users::find_by_id(conn, user.id)?.ok_or(AccountError::NotFound)
            })
            .await
    }
}
