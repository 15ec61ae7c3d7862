//! The first admin: a one-time setup link logged at start while no active admin exists.
//! Using it creates the admin and uses up the link in one transaction, so a failure in
//! between leaves the link usable.

use std::fmt::Display;

use super::audit::{AuditEntry, action};
use super::links::{self, NewLink, Purpose};
use super::registration::{Arrival, SignUp};
use super::{AccountError, Accounts, User};
use crate::db::users;
use crate::domain::Role;

pub const SETUP_TOKEN_LIFETIME: i64 = 3600;

impl Accounts {
    /// Issues a setup token when no active admin exists; returns it (to be logged once).
    pub async fn issue_setup_token_if_no_admin(&self) -> Result<Option<String>, AccountError> {
        let now = self.now();
        self.db
            .transaction(move |conn| {
                if users::active_admin_exists(conn)? {
                    return Ok(None);
                }
                let link = NewLink::store(conn, Purpose::Setup, None, now, SETUP_TOKEN_LIFETIME)?;
                Ok(Some(link.token))
            })
            .await
    }

    /// True while the link is unused, unexpired, and no admin exists yet.
    pub async fn setup_link_is_usable(&self, token: &str) -> Result<bool, AccountError> {
        let (token, now) = (token.to_string(), self.now());
        self.db
            .run(move |conn| {
                Ok::<_, AccountError>(
                    links::find_usable(conn, Purpose::Setup, &token, now)?.is_some()
                        && !users::active_admin_exists(conn)?,
                )
            })
            .await
    }

    /// Creates the first admin through a setup link, which is used up in the same
    /// transaction. A link that is not usable (or an admin that exists) is `NotFound`.
    pub async fn complete_setup(
        &self,
        token: &str,
        command: SignUp,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        let account = command.check(Role::Admin)?;
        if !self.setup_link_is_usable(token).await? {
            return Err(AccountError::NotFound);
        }
        let hash = self.hasher.hash(&account.password).await?;
        let (token, ip, now) = (token.to_string(), ip.to_string(), self.now());
        self.db
            .transaction(move |conn| {
                let (id, _) = links::find_usable(conn, Purpose::Setup, &token, now)?
                    .ok_or(AccountError::NotFound)?;
                if users::active_admin_exists(conn)? {
                    return Err(AccountError::NotFound);
                }
                links::consume(conn, id, now).map_err(|_| AccountError::NotFound)?;
                let arrival = Arrival {
                    logs_in: true,
                    verified: false,
                };
                let user = account.insert(conn, &hash, arrival, now)?;
                AuditEntry::own(action::SETUP_ADMIN, &user, &ip).write(conn, now)?;
                Ok(user)
            })
            .await
    }
}
