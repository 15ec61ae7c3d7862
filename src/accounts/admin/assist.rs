//! Helping a person who is stuck: lifting a login lock, vouching for an email address,
//! turning two-step login off for someone who lost their authenticator and recovery codes,
//! removing every passkey of someone whose authenticator was lost or stolen.

use std::fmt::Display;

use super::{Acting, AdminPowers};
use crate::accounts::audit::action;
use crate::accounts::two_factor::{ALREADY_OFF, two_factor_reset};
use crate::accounts::{AccountError, User, email_verification, mails};
use crate::db::{DbConnection, passkeys, sessions, throttles, users};

const OWN_TWO_FACTOR: &str = "Turn your own two-step login off on your profile's two-step \
     login page; it asks for your password and a code.";
const OWN_PASSKEYS: &str = "Remove your own passkeys on your profile's passkeys page; it asks \
     for your password.";
const NO_PASSKEYS: &str = "This account has no passkeys; nothing was changed.";

/// What [`AdminPowers::remove_passkeys_of`] did.
pub struct RemovedPasskeys {
    pub user: User,
    /// How many passkeys went (at least one).
    pub count: usize,
}

impl AdminPowers {
    /// Lifts a login lock and forgets the failed logins counted against the account's email.
    pub async fn unlock(&self, id: i64, ip: impl Display) -> Result<User, AccountError> {
        self.small_change(id, ip, action::ADMIN_UNLOCK, |conn, user, _| {
            throttles::clear(conn, &user.email)?;
            Ok(true)
        })
        .await
    }

    /// Marks an account's email verified (the admin vouches for the address).
    pub async fn mark_email_verified(
        &self,
        id: i64,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        self.small_change(id, ip, action::ADMIN_VERIFY_EMAIL, |conn, user, now| {
            if user.email_verified_at.is_some() {
                return Ok(false);
            }
            email_verification::mark_verified(conn, user.id, now)?;
            Ok(true)
        })
        .await
    }

    /// Turns two-step login off for account `id` (they lost their phone and their recovery
    /// codes): the secret and the codes go, every session of theirs ends, and the audit row
    /// is written, in one transaction; then they are mailed. Refused (nothing changes, no
    /// audit) when it is not on, and for the admin's own account, which has its own page.
    pub async fn turn_off_two_factor_for(
        &self,
        id: i64,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        if id == self.admin.id {
            return Err(AccountError::invalid("two_factor", OWN_TWO_FACTOR));
        }
        let (acting, db) = (Acting::new(self, ip), self.accounts.db.clone());
        let user = db
            .transaction(move |conn| {
                let user = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
                if !user.has_two_factor() {
                    return Err(AccountError::invalid("two_factor", ALREADY_OFF));
                }
                let audit = acting.audit(action::ADMIN_TWO_FACTOR_DISABLE, &user);
                two_factor_reset(conn, &user, audit, acting.now)?;
                Ok(user)
            })
            .await?;
        let site = &self.accounts.site_name;
        self.accounts.mail(mails::two_factor_off(site, &user, true));
        Ok(user)
    }

    /// Removes every passkey of account `id` (an authenticator lost or stolen, a passkey its
    /// owner does not recognise): the passkeys go, and every session of theirs ends (one may
    /// have been opened with the stolen passkey), with the audit row, in one transaction;
    /// then the owner is mailed. Their password and two-step login stay as they are. Refused (nothing changes, no audit) when the account has no
    /// passkey, and for the admin's own account, whose page asks for the password first.
    pub async fn remove_passkeys_of(
        &self,
        id: i64,
        ip: impl Display,
    ) -> Result<RemovedPasskeys, AccountError> {
        if id == self.admin.id {
            return Err(AccountError::invalid("passkeys", OWN_PASSKEYS));
        }
        let (acting, db) = (Acting::new(self, ip), self.accounts.db.clone());
        let removed = db
            .transaction(move |conn| {
                let user = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
                let count = passkeys::delete_all_for_user(conn, user.id)?;
                if count == 0 {
                    return Err(AccountError::invalid("passkeys", NO_PASSKEYS));
                }
                let ended = sessions::delete_for_user(conn, user.id, None)?;
                acting
                    .audit(action::ADMIN_PASSKEYS_REMOVE, &user)
                    .detail(format!(
                        "passkeys removed: {count}; sessions ended: {ended}"
                    ))
                    .write(conn, acting.now)?;
                Ok(RemovedPasskeys { user, count })
            })
            .await?;
        let site = &self.accounts.site_name;
        // The clause of the owner's mail.
        let what = format!(
            "an administrator removed every passkey from your {site} account, and every \
             session was logged out"
        );
        self.accounts
            .mail(mails::passkeys_removed(site, &removed.user, &what));
        Ok(removed)
    }

    /// A change to one account that no guard depends on: `change` says whether it changed
    /// anything, and only then is it audited (in the same transaction).
    async fn small_change(
        &self,
        id: i64,
        ip: impl Display,
        action: &'static str,
        change: impl FnOnce(&mut DbConnection, &User, i64) -> diesel::QueryResult<bool> + Send + 'static,
    ) -> Result<User, AccountError> {
        let (acting, db) = (Acting::new(self, ip), self.accounts.db.clone());
        db.transaction(move |conn| {
            let user = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
            if change(conn, &user, acting.now)? {
                acting.audit(action, &user).write(conn, acting.now)?;
            }
            Ok(user)
        })
        .await
    }
}
