//! What a person may do with their own account without asking anyone: delete it (or ask an
//! admin to, where the operator wants deletions approved) and take away everything the
//! site keeps about it.
//!
//! A deletion removes the account and everything hanging off it — sessions, API tokens,
//! passkeys, linked providers, links — in one transaction (the database cascades them), and
//! the audit rows stay with the account's email replaced by a tombstone id
//! (`deleted-account-<id>`): what happened is kept, whom it happened to is not. The last
//! active admin cannot delete themselves. The export gathers the rows about the account;
//! hashes and secrets are never read into it.

use std::fmt::Display;

use super::audit::{AuditEntry, Outcome, action};
use super::external_sign_in::LinkedProvider;
use super::{
    AccountError, Accounts, AdminPowers, ApiTokenRow, AuditEvent, SessionRow, User, mails,
};
use crate::db::passkeys::PasskeyRow;
use crate::db::{
    DbConnection, api_tokens, audit, external_identities, own_data, passkeys, sessions, throttles,
    users,
};
use crate::domain::DeletionPolicy;

/// The most audit rows an export carries (the newest ones, listed oldest first).
pub const EXPORT_AUDIT_LIMIT: i64 = 100_000;

const LAST_ADMIN: &str = "You are the last active admin: make another account an admin before \
     deleting yours.";

/// What "delete my account" did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// The account is gone.
    Deleted,
    /// An admin will approve it (`GATEHOUSE_ACCOUNT_DELETION=approval`).
    Requested,
}

/// Everything the site keeps about one account, as rows (secrets left out by the callers
/// of this type: the views pick fields, and hashes are never among them).
#[derive(Debug, Clone)]
pub struct AccountData {
    pub user: User,
    pub deletion_requested_at: Option<i64>,
    pub sessions: Vec<SessionRow>,
    pub api_tokens: Vec<ApiTokenRow>,
    pub passkeys: Vec<PasskeyRow>,
    pub providers: Vec<LinkedProvider>,
    pub audit: Vec<AuditEvent>,
    /// When the export was made.
    pub exported_at: i64,
}

/// The id that stands for a deleted account in the audit log.
pub fn tombstone(user_id: i64) -> String {
    format!("deleted-account-{user_id}")
}

impl Accounts {
    /// "Delete my account": at once, or as a request for an admin, as the operator chose.
    pub async fn delete_own_account(
        &self,
        user: &User,
        ip: impl Display,
    ) -> Result<Deletion, AccountError> {
        let (owner, ip, now) = (user.clone(), ip.to_string(), self.now());
        let deletion = self.policies.deletion;
        self.db
            .transaction(move |conn| match deletion {
                DeletionPolicy::Immediate => {
                    let entry = AuditEntry::new(action::ACCOUNT_DELETE, Outcome::Success)
                        .from(&ip)
                        .detail("deleted by its owner");
                    erase(conn, &owner, entry, now)?;
                    Ok::<_, AccountError>(())
                }
                DeletionPolicy::Approval => {
                    if is_last_active_admin(conn, &owner)? {
                        return Err(AccountError::invalid("account", LAST_ADMIN));
                    }
                    own_data::request_deletion(conn, owner.id, now)?;
                    AuditEntry::own(action::ACCOUNT_DELETION_REQUEST, &owner, &ip)
                        .write(conn, now)?;
                    Ok(())
                }
            })
            .await?;
        let site = &self.site_name;
        Ok(match deletion {
            DeletionPolicy::Immediate => {
                self.mail(mails::account_deleted(site, user));
                Deletion::Deleted
            }
            DeletionPolicy::Approval => {
                self.mail(mails::account_deletion_requested(site, user));
                Deletion::Requested
            }
        })
    }

    /// Withdraws the owner's own deletion request.
    pub async fn withdraw_deletion_request(
        &self,
        user: &User,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        let (owner, ip, now) = (user.clone(), ip.to_string(), self.now());
        self.db
            .transaction(move |conn| {
                if !own_data::withdraw_deletion(conn, owner.id)? {
                    return Err(AccountError::NotFound);
                }
                AuditEntry::own(action::ACCOUNT_DELETION_WITHDRAW, &owner, &ip).write(conn, now)?;
                Ok(())
            })
            .await
    }

    /// When the owner asked for their account's deletion, if they did and it waits.
    pub async fn deletion_requested_at(&self, user: &User) -> Result<Option<i64>, AccountError> {
        let id = user.id;
        self.db
            .run(move |conn| Ok::<_, AccountError>(own_data::deletion_requested_at(conn, id)?))
            .await
    }

    /// Everything the site keeps about `user`'s account, read in one go.
    pub async fn account_data(&self, user: &User) -> Result<AccountData, AccountError> {
        let (id, now) = (user.id, self.now());
        self.db
            .run(move |conn| {
                let user = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
                Ok::<_, AccountError>(AccountData {
                    deletion_requested_at: own_data::deletion_requested_at(conn, id)?,
                    sessions: sessions::live_for_user(conn, id, now)?,
                    api_tokens: api_tokens::list_for_user(conn, id)?,
                    passkeys: passkeys::list_for_user(conn, id)?,
                    providers: external_identities::list_for_user(conn, id)?,
                    audit: audit::all_for_user(conn, id, EXPORT_AUDIT_LIMIT)?,
                    exported_at: now,
                    user,
                })
            })
            .await
    }
}

impl AdminPowers {
    /// The accounts whose owners asked for deletion, with when, oldest request first.
    pub async fn deletion_requests(&self) -> Result<Vec<(User, i64)>, AccountError> {
        self.accounts()
            .db
            .run(|conn| {
                let mut requests = Vec::new();
                for (id, at) in own_data::deletion_requests(conn)? {
                    if let Some(user) = users::find_by_id(conn, id)? {
                        requests.push((user, at));
                    }
                }
                Ok::<_, AccountError>(requests)
            })
            .await
    }

    /// Deletes an account whose owner asked for it, as if they had done it themselves
    /// (tombstoned audit rows), by this admin; the owner is mailed.
    pub async fn approve_deletion(&self, id: i64, ip: impl Display) -> Result<User, AccountError> {
        let accounts = self.accounts();
        let (admin, ip, now) = (self.admin().clone(), ip.to_string(), accounts.now());
        let user = accounts
            .db
            .transaction(move |conn| {
                if own_data::deletion_requested_at(conn, id)?.is_none() {
                    return Err(AccountError::NotFound);
                }
                let user = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
                let entry = AuditEntry::new(action::ADMIN_APPROVE_DELETION, Outcome::Success)
                    .by(&admin)
                    .from(&ip)
                    .detail("deleted on its owner's request");
                erase(conn, &user, entry, now)?;
                Ok(user)
            })
            .await?;
        accounts.mail(mails::account_deleted(&accounts.site_name, &user));
        Ok(user)
    }
}

/// Inside a transaction: whether `user` is the only active admin (holding the lock on admin
/// changes, so that two admins leaving at once cannot leave none).
fn is_last_active_admin(conn: &mut DbConnection, user: &User) -> Result<bool, AccountError> {
    if !(user.active && user.is_admin()) {
        return Ok(false);
    }
    users::lock_admin_changes(conn)?;
    Ok(!users::other_active_admin_exists(conn, user.id)?)
}

/// Inside a transaction: deletes the account (its sessions, tokens, passkeys, links and
/// providers go with it), replaces its email in the audit log with its tombstone id and
/// writes `entry` (the deletion's own row, about the tombstone); the last active admin is
/// refused.
pub(super) fn erase(
    conn: &mut DbConnection,
    user: &User,
    entry: AuditEntry,
    now: i64,
) -> Result<(), AccountError> {
    let current = users::find_by_id(conn, user.id)?.ok_or(AccountError::NotFound)?;
    if is_last_active_admin(conn, &current)? {
        return Err(AccountError::invalid("account", LAST_ADMIN));
    }
    let tombstone = tombstone(current.id);
    users::delete(conn, current.id)?;
    throttles::clear(conn, &current.email)?;
    audit::tombstone(conn, current.id, &current.email, &tombstone)?;
    entry.on_label(&tombstone).write(conn, now)?;
    Ok(())
}
