//! What an admin may do to other accounts, one module per use case. [`AdminPowers`] is made
//! only by [`Accounts::admin_powers`], which checks the role, and every admin operation is
//! a method on it: pages and the API call the same methods, and no handler can reach one
//! without passing the check (`auth::admin_guard` is where the web asks for it).

mod assist;
mod bulk;
mod create_user;
mod delete_user;
mod edit_user;
mod reads;

use std::fmt::Display;

/// The list's and the audit log's query values, as the admin reads pass them on.
pub use crate::db::audit::AuditFilter;
pub use crate::db::user_list::{SortColumn, Total, UserFilter, UserOrder};
pub use assist::RemovedPasskeys;
pub use bulk::{BulkAction, BulkPlan};
pub use create_user::NewUser;
pub use edit_user::UserPatch;
pub use reads::UserActivity;

use super::audit::{AuditEntry, Outcome, action};
use super::{AccountError, Accounts, User};
use crate::db::{DbConnection, users};

const LAST_ADMIN: &str = "This is the last active admin; make another account an admin first.";

/// Proof that the acting user was an active admin when this request was checked, with the
/// service to act through.
pub struct AdminPowers {
    accounts: Accounts,
    admin: User,
}

impl Accounts {
    /// The admin's powers, or `None` (and nothing else) unless `user` is an active admin.
    pub fn admin_powers(&self, user: &User) -> Option<AdminPowers> {
        (user.active && user.is_admin()).then(|| AdminPowers {
            accounts: self.clone(),
            admin: user.clone(),
        })
    }

    /// Audits a non-admin knocking on an admin door (`path`).
    pub async fn record_admin_denial(
        &self,
        user: &User,
        ip: impl Display,
        path: String,
    ) -> Result<(), AccountError> {
        let now = self.now();
        let audit = AuditEntry::new(action::ADMIN_DENIED, Outcome::Failure)
            .by(user)
            .from(ip)
            .detail(path);
        self.db
            .run(move |conn| Ok::<_, AccountError>(audit.write(conn, now)?))
            .await
    }
}

impl AdminPowers {
    /// The admin who acts.
    pub fn admin(&self) -> &User {
        &self.admin
    }

    /// The account service these powers act through.
    pub(in crate::accounts) fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// Runs `work` in one transaction on the blocking pool, after taking the admin-change
    /// lock, so that checks such as "an active admin remains" cannot race each other.
    async fn locked_transaction<T, F>(&self, ip: impl Display, work: F) -> Result<T, AccountError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Acting) -> Result<T, AccountError> + Send + 'static,
    {
        let acting = Acting::new(self, ip);
        self.accounts
            .db
            .transaction(move |conn| {
                users::lock_admin_changes(conn)?;
                work(conn, &acting)
            })
            .await
    }
}

/// Who acts, from where, when: handed to the work done in [`AdminPowers::locked_transaction`].
struct Acting {
    admin: User,
    ip: String,
    now: i64,
}

impl Acting {
    fn new(powers: &AdminPowers, ip: impl Display) -> Self {
        Self {
            admin: powers.admin.clone(),
            ip: ip.to_string(),
            now: powers.accounts.now(),
        }
    }

    /// An audit row of this admin's `action` on `user`.
    fn audit(&self, action: &'static str, user: &User) -> AuditEntry {
        AuditEntry::new(action, Outcome::Success)
            .by(&self.admin)
            .on(user)
            .from(&self.ip)
    }
}

/// Inside the transaction that made a change: refuses it (so it rolls back) when no active
/// admin would be left; the refusal is reported on `field` of the command.
fn ensure_an_active_admin_remains(
    conn: &mut DbConnection,
    field: &'static str,
) -> Result<(), AccountError> {
    if users::active_admin_exists(conn)? {
        Ok(())
    } else {
        Err(AccountError::invalid(field, LAST_ADMIN))
    }
}

/// What the audit keeps of a deleted account.
fn deletion_detail(user: &User) -> String {
    let status = if user.active { "active" } else { "disabled" };
    format!("deleted {} ({}, {status})", user.email, user.role)
}
