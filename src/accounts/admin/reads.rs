//! What admins read: the user list (search, filters, sort, pages), one account with its
//! recent activity and how many passkeys it has, and the audit log. Pages and the API read
//! through these, never through `db` themselves.

use super::AdminPowers;
use crate::accounts::external_sign_in::LinkedProvider;
use crate::accounts::{AccountError, AuditEvent, User};
use crate::db::audit::{self, AuditFilter};
use crate::db::user_list::{self, Total, UserFilter, UserOrder};
use crate::db::{external_identities, passkeys, throttles, users};
use crate::domain::SearchTerm;

/// One account as its admin page shows it.
pub struct UserActivity {
    pub user: User,
    /// Its newest audit events, as actor or target.
    pub events: Vec<AuditEvent>,
    /// When password login unlocks, while it is locked.
    pub locked_until: Option<i64>,
    /// How many passkeys it has.
    pub passkeys: i64,
    /// The external providers linked to it.
    pub providers: Vec<LinkedProvider>,
}

/// How many audit events the account page shows.
const RECENT_EVENTS: i64 = 20;

impl AdminPowers {
    /// The account with this id.
    pub async fn user(&self, id: i64) -> Result<User, AccountError> {
        self.accounts
            .db
            .run(move |conn| users::find_by_id(conn, id)?.ok_or(AccountError::NotFound))
            .await
    }

    /// The account with this id and how many passkeys it has (the API's read of one
    /// account; the list leaves the count out, which would cost a query per row).
    pub async fn user_with_passkeys(&self, id: i64) -> Result<(User, i64), AccountError> {
        let user = self.user(id).await?;
        let passkeys = self.accounts.passkey_count(user.id).await?;
        Ok((user, passkeys))
    }

    /// The account with its recent audit events, any login lock and its passkey count.
    pub async fn user_activity(&self, id: i64) -> Result<UserActivity, AccountError> {
        let now = self.accounts.now();
        self.accounts
            .db
            .run(move |conn| {
                let user = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
                let locked_until = throttles::find(conn, &user.email)?
                    .and_then(|t| t.locked_until)
                    .filter(|until| *until > now);
                Ok(UserActivity {
                    user,
                    events: audit::recent_for_user(conn, id, RECENT_EVENTS)?,
                    locked_until,
                    passkeys: passkeys::count_for_user(conn, id)?,
                    providers: external_identities::list_for_user(conn, id)?,
                })
            })
            .await
    }

    /// One page (1-based) of the user list and how many match in all.
    pub async fn user_page(
        &self,
        filter: UserFilter,
        order: UserOrder,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<User>, Total), AccountError> {
        self.accounts
            .db
            .run(move |conn| {
                Ok::<_, AccountError>(user_list::page(conn, &filter, order, page, per_page)?)
            })
            .await
    }

    /// Users matching `search` with an id above `after_id`, in id order, at most `limit`
    /// (the API's keyset pages).
    pub async fn users_after(
        &self,
        search: Option<SearchTerm>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<User>, AccountError> {
        self.accounts
            .db
            .run(move |conn| {
                Ok::<_, AccountError>(user_list::after_id(conn, search, after_id, limit)?)
            })
            .await
    }

    /// Up to `limit` audit events older than event `before` (newest first), and whether
    /// there are older ones.
    pub async fn audit_page(
        &self,
        filter: AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<AuditEvent>, bool), AccountError> {
        self.accounts
            .db
            .run(move |conn| Ok::<_, AccountError>(audit::page(conn, &filter, before, limit)?))
            .await
    }
}
