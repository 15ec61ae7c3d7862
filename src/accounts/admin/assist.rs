//! Helping a person who is stuck: lifting a login lock, vouching for an email address.

use std::fmt::Display;

use super::{Acting, AdminPowers};
use crate::accounts::audit::action;
use crate::accounts::{AccountError, User, email_verification};
use crate::db::{DbConnection, throttles, users};

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
