//! Changing many selected accounts at once: disable, enable, delete. A confirmation page
//! first lists exactly what will change ([`BulkPlan`]); the change itself is planned again
//! on fresh rows inside its transaction.

use std::fmt::Display;

use super::{AdminPowers, deletion_detail, ensure_an_active_admin_remains};
use crate::accounts::audit::action;
use crate::accounts::{AccountError, User};
use crate::db::{sessions, users};

/// What can be done to many selected accounts at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Disable,
    Enable,
    Delete,
}

impl BulkAction {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "disable" => Some(Self::Disable),
            "enable" => Some(Self::Enable),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::Delete => "delete",
        }
    }

    pub fn done(self) -> &'static str {
        match self {
            Self::Disable => "Disabled",
            Self::Enable => "Enabled",
            Self::Delete => "Deleted",
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            Self::Disable => action::ADMIN_BULK_DISABLE,
            Self::Enable => action::ADMIN_BULK_ENABLE,
            Self::Delete => action::ADMIN_BULK_DELETE,
        }
    }
}

/// Which selected accounts an action changes, and why the others stay as they are.
#[derive(Debug, Default)]
pub struct BulkPlan {
    pub changing: Vec<User>,
    pub unchanged: Vec<(User, &'static str)>,
}

impl BulkPlan {
    /// Pure: decided from the accounts as loaded.
    pub fn new(admin_id: i64, action: BulkAction, accounts: Vec<User>) -> Self {
        let mut plan = Self::default();
        for user in accounts {
            let reason = match action {
                _ if user.id == admin_id && action != BulkAction::Enable => {
                    Some("your own account")
                }
                BulkAction::Disable if !user.active => Some("already disabled"),
                BulkAction::Enable if user.active => Some("already active"),
                _ => None,
            };
            match reason {
                Some(reason) => plan.unchanged.push((user, reason)),
                None => plan.changing.push(user),
            }
        }
        plan
    }
}

impl AdminPowers {
    /// What `action` would do to the selected accounts, for the confirmation page.
    pub async fn plan_bulk(
        &self,
        action: BulkAction,
        ids: Vec<i64>,
    ) -> Result<BulkPlan, AccountError> {
        let admin_id = self.admin.id;
        self.accounts
            .db
            .run(move |conn| {
                Ok::<_, AccountError>(BulkPlan::new(
                    admin_id,
                    action,
                    users::find_many(conn, &ids)?,
                ))
            })
            .await
    }

    /// Applies `action` to the selected accounts in one transaction, re-planned on fresh
    /// rows: one audit row per account changed; disabled or deleted accounts lose their
    /// sessions; refused as a whole (on the field `ids`) if no active admin would be left.
    pub async fn apply_bulk(
        &self,
        action: BulkAction,
        ids: Vec<i64>,
        ip: impl Display,
    ) -> Result<Vec<User>, AccountError> {
        self.locked_transaction(ip, move |conn, acting| {
            let plan = BulkPlan::new(acting.admin.id, action, users::find_many(conn, &ids)?);
            let mut removed_an_admin = false;
            for user in &plan.changing {
                removed_an_admin |= user.active && user.is_admin() && action != BulkAction::Enable;
                let detail = match action {
                    BulkAction::Enable => {
                        users::set_active(conn, user.id, true, acting.now)?;
                        "active: false → true".to_string()
                    }
                    BulkAction::Disable => {
                        users::set_active(conn, user.id, false, acting.now)?;
                        let ended = sessions::delete_for_user(conn, user.id, None)?;
                        format!("active: true → false; sessions ended: {ended}")
                    }
                    BulkAction::Delete => {
                        users::delete(conn, user.id)?;
                        deletion_detail(user)
                    }
                };
                acting
                    .audit(action.audit_action(), user)
                    .detail(detail)
                    .write(conn, acting.now)?;
            }
            if removed_an_admin {
                ensure_an_active_admin_remains(conn, "ids")?;
            }
            Ok(plan.changing)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: &str, active: bool) -> User {
        User {
            id,
            email: format!("u{id}@example.com"),
            name: format!("U{id}"),
            password_hash: String::new(),
            role: role.into(),
            active,
            email_verified_at: None,
            created_at: 0,
            updated_at: 0,
            last_login_at: None,
            two_factor_since: None,
        }
    }

    #[test]
    fn a_bulk_plan_skips_the_admin_and_accounts_already_in_that_state() {
        let accounts = || {
            vec![
                user(1, "admin", true),
                user(2, "user", true),
                user(3, "user", false),
            ]
        };
        let disable = BulkPlan::new(1, BulkAction::Disable, accounts());
        assert_eq!(
            disable.changing.iter().map(|u| u.id).collect::<Vec<_>>(),
            [2]
        );
        assert_eq!(
            disable
                .unchanged
                .iter()
                .map(|(u, why)| (u.id, *why))
                .collect::<Vec<_>>(),
            [(1, "your own account"), (3, "already disabled")]
        );
        let enable = BulkPlan::new(1, BulkAction::Enable, accounts());
        assert_eq!(
            enable.changing.iter().map(|u| u.id).collect::<Vec<_>>(),
            [3]
        );
        let delete = BulkPlan::new(1, BulkAction::Delete, accounts());
        assert_eq!(
            delete.changing.iter().map(|u| u.id).collect::<Vec<_>>(),
            [2, 3]
        );
    }
}
