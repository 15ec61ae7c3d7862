//! What an admin may do to other accounts. [`AdminPowers`] can only be made from a user who
//! holds the admin role (see `auth::admin_guard`); every admin operation is a method on it,
//! so the form handlers and the API share one implementation of each rule.

use crate::db::models::User;

/// Proof that the acting user was an active admin when this request was checked.
pub struct AdminPowers {
    admin: User,
}

impl AdminPowers {
    /// `None` unless `user` is an active admin.
    pub(crate) fn for_user(user: &User) -> Option<Self> {
        (user.active && user.is_admin()).then(|| Self {
            admin: user.clone(),
        })
    }

    /// The admin who acts.
    pub fn admin(&self) -> &User {
        &self.admin
    }
}

use serde::Deserialize;

use super::registration::{AccountFields, NewAccount, create_account};
use crate::audit::{AuditEntry, Outcome, action};
use diesel::Connection;

use super::{AccountError, email_verification, ensure_valid};
use crate::db::{DbConnection, sessions, users};
use crate::domain::{Email, NewPassword, Role, SecretString, UserName};
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::FormErrors;

/// The admin's new-user form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewUserForm {
    pub name: String,
    pub email: String,
    pub password: SecretString,
    pub role: String,
    pub active: Option<String>,
}

impl NewUserForm {
    pub fn is_active(&self) -> bool {
        crate::web::is_checked(&self.active)
    }

    fn validate(&self) -> Result<NewAccount, AccountError> {
        let role = Role::parse(&self.role);
        let fields = AccountFields {
            name: &self.name,
            email: &self.email,
            password: &self.password,
            password_confirm: None,
        };
        match (
            fields.validate(role.clone().unwrap_or(Role::User), self.is_active(), false),
            role,
        ) {
            (Ok(account), Ok(_)) => Ok(account),
            (Ok(_), Err(message)) => {
                Err(AccountError::Invalid(FormErrors::single("role", message)))
            }
            (Err(AccountError::Invalid(mut errors)), Err(message)) => {
                errors.add("role", message);
                Err(AccountError::Invalid(errors))
            }
            (Err(error), _) => Err(error),
        }
    }
}

impl AdminPowers {
    /// Creates an account with the role and status the admin chose.
    pub async fn create_user(
        &self,
        state: &AppState,
        form: &NewUserForm,
        ip: impl ToString,
    ) -> Result<User, AccountError> {
        let account = form.validate()?;
        let detail = format!(
            "role: {}, active: {}",
            account.role.as_str(),
            account.active
        );
        let (admin, ip) = (self.admin.clone(), ip.to_string());
        let audit_ip = ip.clone();
        let user = create_account(
            &state.db,
            &state.hasher,
            &state.clock,
            account,
            move |user| {
                AuditEntry::new(action::ADMIN_CREATE_USER, Outcome::Success)
                    .by(&admin)
                    .on(user)
                    .from(audit_ip)
                    .detail(detail)
            },
        )
        .await?;
        email_verification::send_link(state, &user, &self.admin, ip).await?;
        Ok(user)
    }
}

/// The admin's edit form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditUserForm {
    pub name: String,
    pub email: String,
    pub role: String,
    pub active: Option<String>,
    pub new_password: SecretString,
}

impl EditUserForm {
    pub fn is_active(&self) -> bool {
        crate::web::is_checked(&self.active)
    }
}

/// A checked edit.
struct Edit {
    name: UserName,
    email: Email,
    role: Role,
    active: bool,
    new_password: Option<NewPassword>,
}

const LAST_ADMIN: &str = "This is the last active admin; make another account an admin first.";

impl AdminPowers {
    fn check_edit(&self, id: i64, form: &EditUserForm) -> Result<Edit, AccountError> {
        let mut errors = FormErrors::default();
        let name = errors.check("name", UserName::parse(&form.name));
        let email = errors.check("email", Email::parse(&form.email));
        let role = errors.check("role", Role::parse(&form.role));
        let new_password = match form.new_password.expose() {
            "" => None,
            _ => errors.check(
                "new_password",
                NewPassword::parse(form.new_password.clone(), email.as_ref()),
            ),
        };
        if id == self.admin.id {
            if role.is_some_and(|r| r != Role::Admin) {
                errors.add(
                    "role",
                    "You cannot remove your own admin role; ask another admin.",
                );
            }
            if !form.is_active() {
                errors.add(
                    "active",
                    "You cannot disable your own account; ask another admin.",
                );
            }
        }
        ensure_valid(errors)?;
        match (name, email, role) {
            (Some(name), Some(email), Some(role)) => Ok(Edit {
                name,
                email,
                role,
                active: form.is_active(),
                new_password,
            }),
            _ => Err(AccountError::App(AppError::internal(
                "validation passed without values",
            ))),
        }
    }

    /// Changes an account. Never leaves the site without an active admin; a disable, a role
    /// change or a new password ends all of that user's sessions at once.
    pub async fn update_user(
        &self,
        state: &AppState,
        id: i64,
        form: &EditUserForm,
        ip: impl ToString,
    ) -> Result<User, AccountError> {
        let edit = self.check_edit(id, form)?;
        let hash = match &edit.new_password {
            Some(password) => Some(state.hasher.hash(password).await?),
            None => None,
        };
        let audit_ip = ip.to_string();
        let (after, email_changed) = self
            .locked_transaction(state, audit_ip.clone(), move |conn, acting| {
                apply_edit(conn, acting, id, &edit, hash.as_deref())
            })
            .await?;
        if email_changed {
            email_verification::send_link(state, &after, &self.admin, audit_ip).await?;
        }
        Ok(after)
    }
}

/// The edit inside its locked transaction: the changes, the last-admin guard, a changed
/// email made unverified, sessions ended where the SPEC says so, and the audit row with
/// before → after. Returns the account as it is now, and whether its email changed.
fn apply_edit(
    conn: &mut DbConnection,
    acting: &Acting,
    id: i64,
    edit: &Edit,
    hash: Option<&str>,
) -> Result<(User, bool), AccountError> {
    let before = users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?;
    let changes = users::AdminChanges {
        name: edit.name.as_str(),
        email: edit.email.as_str(),
        role: edit.role.as_str(),
        active: edit.active,
        password_hash: hash,
    };
    users::apply_admin_changes(conn, id, &changes, acting.now)?;
    if before.active && before.is_admin() && !(edit.active && edit.role == Role::Admin) {
        ensure_an_active_admin_remains(conn, if edit.active { "role" } else { "active" })?;
    }
    let after = users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?;
    let email_changed = before.email != after.email;
    if email_changed {
        email_verification::forget(conn, id)?;
    }
    let ends_sessions =
        before.role != after.role || (before.active && !after.active) || hash.is_some();
    let ended = if ends_sessions {
        sessions::delete_for_user(conn, id, None)?
    } else {
        0
    };
    let mut detail = describe_changes(&before, &after, hash.is_some());
    if ended > 0 {
        detail.push_str(&format!("; sessions ended: {ended}"));
    }
    AuditEntry::new(action::ADMIN_UPDATE_USER, Outcome::Success)
        .by(&acting.admin)
        .on(&before)
        .from(&acting.ip)
        .detail(detail)
        .write(conn, acting.now)?;
    Ok((after, email_changed))
}

/// What the audit keeps of a deleted account.
fn deletion_detail(user: &User) -> String {
    let status = if user.active { "active" } else { "disabled" };
    format!("deleted {} ({}, {status})", user.email, user.role)
}

/// Who acts, from where, when: handed to the work done in [`AdminPowers::locked_transaction`].
struct Acting {
    admin: User,
    ip: String,
    now: i64,
}

impl AdminPowers {
    /// Runs `work` in one transaction on the blocking pool, after taking the admin-change
    /// lock, so that checks such as "an active admin remains" cannot race each other.
    async fn locked_transaction<T, F>(
        &self,
        state: &AppState,
        ip: impl ToString,
        work: F,
    ) -> Result<T, AccountError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Acting) -> Result<T, AccountError> + Send + 'static,
    {
        let acting = Acting {
            admin: self.admin.clone(),
            ip: ip.to_string(),
            now: state.clock.now(),
        };
        state
            .db
            .run(move |conn| {
                Ok(conn.transaction(|conn| {
                    users::lock_admin_changes(conn, acting.admin.id)?;
                    work(conn, &acting)
                }))
            })
            .await?
    }
}

/// Inside the transaction that made a change: refuses it (so it rolls back) when no active
/// admin would be left.
fn ensure_an_active_admin_remains(
    conn: &mut DbConnection,
    field: &'static str,
) -> Result<(), AccountError> {
    if users::active_admin_exists(conn)? {
        Ok(())
    } else {
        Err(AccountError::Invalid(FormErrors::single(field, LAST_ADMIN)))
    }
}

/// `name: Ada → Ada King; role: user → admin; password: changed`; never a password or hash.
fn describe_changes(before: &User, after: &User, password_changed: bool) -> String {
    let mut changes = Vec::new();
    let mut compare = |field: &str, old: String, new: String| {
        if old != new {
            changes.push(format!("{field}: {old} → {new}"));
        }
    };
    compare("name", before.name.clone(), after.name.clone());
    compare("email", before.email.clone(), after.email.clone());
    compare("role", before.role.clone(), after.role.clone());
    compare(
        "active",
        before.active.to_string(),
        after.active.to_string(),
    );
    if password_changed {
        changes.push("password: changed".into());
    }
    if changes.is_empty() {
        "no changes".into()
    } else {
        changes.join("; ")
    }
}

impl AdminPowers {
    /// Deletes an account: never the admin's own, never the last active admin.
    pub async fn delete_user(
        &self,
        state: &AppState,
        id: i64,
        ip: impl ToString,
    ) -> Result<User, AccountError> {
        if id == self.admin.id {
            return Err(AccountError::Invalid(FormErrors::single(
                "confirm",
                "You cannot delete your own account here; ask another admin.",
            )));
        }
        self.locked_transaction(
            state,
            ip,
            move |conn,
                  &Acting {
                      ref admin,
                      ref ip,
                      now,
                  }| {
                let user = users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?;
                users::delete(conn, id)?;
                if user.active && user.is_admin() && !users::active_admin_exists(conn)? {
                    return Err(AccountError::Invalid(FormErrors::single(
                        "confirm", LAST_ADMIN,
                    )));
                }
                AuditEntry::new(action::ADMIN_DELETE_USER, Outcome::Success)
                    .by(admin)
                    .on(&user)
                    .from(ip)
                    .detail(deletion_detail(&user))
                    .write(conn, now)?;
                Ok(user)
            },
        )
        .await
    }
}

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
        state: &AppState,
        action: BulkAction,
        ids: Vec<i64>,
    ) -> Result<BulkPlan, AppError> {
        let admin_id = self.admin.id;
        state
            .db
            .run(move |conn| {
                Ok(BulkPlan::new(
                    admin_id,
                    action,
                    users::find_many(conn, &ids)?,
                ))
            })
            .await
    }

    /// Applies `action` to the selected accounts in one transaction, re-planned on fresh
    /// rows: one audit row per account changed; disabled or deleted accounts lose their
    /// sessions; refused as a whole if no active admin would be left.
    pub async fn apply_bulk(
        &self,
        state: &AppState,
        action: BulkAction,
        ids: Vec<i64>,
        ip: impl ToString,
    ) -> Result<Vec<User>, AccountError> {
        self.locked_transaction(
            state,
            ip,
            move |conn,
                  &Acting {
                      ref admin,
                      ref ip,
                      now,
                  }| {
                let plan = BulkPlan::new(admin.id, action, users::find_many(conn, &ids)?);
                let mut removed_an_admin = false;
                for user in &plan.changing {
                    removed_an_admin |=
                        user.active && user.is_admin() && action != BulkAction::Enable;
                    let detail = match action {
                        BulkAction::Enable => {
                            users::set_active(conn, user.id, true, now)?;
                            "active: false → true".to_string()
                        }
                        BulkAction::Disable => {
                            users::set_active(conn, user.id, false, now)?;
                            let ended = sessions::delete_for_user(conn, user.id, None)?;
                            format!("active: true → false; sessions ended: {ended}")
                        }
                        BulkAction::Delete => {
                            users::delete(conn, user.id)?;
                            deletion_detail(user)
                        }
                    };
                    AuditEntry::new(action.audit_action(), Outcome::Success)
                        .by(admin)
                        .on(user)
                        .from(ip)
                        .detail(detail)
                        .write(conn, now)?;
                }
                if removed_an_admin {
                    ensure_an_active_admin_remains(conn, "action")?;
                }
                Ok(plan.changing)
            },
        )
        .await
    }
}

impl AdminPowers {
    /// Lifts a login lock and forgets the account's failed logins.
    pub async fn unlock(
        &self,
        state: &AppState,
        id: i64,
        ip: impl ToString,
    ) -> Result<User, AppError> {
        self.small_change(state, id, ip, action::ADMIN_UNLOCK, move |conn, _, _| {
            crate::db::throttles::clear(conn, id)?;
            Ok(true)
        })
        .await
    }

    /// Marks an account's email verified (the admin vouches for the address).
    pub async fn mark_email_verified(
        &self,
        state: &AppState,
        id: i64,
        ip: impl ToString,
    ) -> Result<User, AppError> {
        self.small_change(
            state,
            id,
            ip,
            action::ADMIN_VERIFY_EMAIL,
            move |conn, user, now| {
                if user.email_verified_at.is_some() {
                    return Ok(false);
                }
                users::set_email_verified(conn, id, Some(now))?;
                crate::db::tokens::delete_for_user(conn, email_verification::PURPOSE, id)?;
                Ok(true)
            },
        )
        .await
    }

    /// A change to one account that no guard depends on: `change` says whether it changed
    /// anything, and only then is the change audited.
    async fn small_change(
        &self,
        state: &AppState,
        id: i64,
        ip: impl ToString,
        action: &'static str,
        change: impl FnOnce(&mut DbConnection, &User, i64) -> Result<bool, AppError> + Send + 'static,
    ) -> Result<User, AppError> {
        let now = state.clock.now();
        let (admin, ip) = (self.admin.clone(), ip.to_string());
        state
            .db
            .run(move |conn| {
                let user = users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?;
                if change(conn, &user, now)? {
                    AuditEntry::new(action, Outcome::Success)
                        .by(&admin)
                        .on(&user)
                        .from(&ip)
                        .write(conn, now)?;
                }
                Ok(user)
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
