//! An admin changes an account: name, email, role, status, password. The site never loses
//! its last active admin, an admin cannot demote or disable themselves, and a disable, a
//! role change or a new password ends all of that user's sessions at once.

use std::fmt::Display;

use super::{Acting, AdminPowers, ensure_an_active_admin_remains};
use crate::accounts::audit::action;
use crate::accounts::links::NewLink;
use crate::accounts::{AccountError, FieldErrors, User, email_verification, password_reset};
use crate::db::{DbConnection, sessions, users};
use crate::domain::{Email, NewPassword, Role, SecretString, UserName};

/// Changes to an account; what is `None` stays as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
    /// A new password; ends the user's sessions.
    pub password: Option<SecretString>,
}

/// A checked patch: each given value is valid.
struct Edit {
    name: Option<UserName>,
    email: Option<Email>,
    role: Option<Role>,
    active: Option<bool>,
    password: Option<NewPassword>,
}

impl UserPatch {
    /// Checks the given values (all errors at once) for the account `target` as it is.
    fn check(&self, admin: &User, target: &User) -> Result<Edit, AccountError> {
        let mut errors = FieldErrors::default();
        let name = errors.check(
            "name",
            self.name.as_deref().map(UserName::parse).transpose(),
        );
        let email = errors.check("email", self.email.as_deref().map(Email::parse).transpose());
        let role = errors.check("role", self.role.as_deref().map(Role::parse).transpose());
        let email_after = email
            .clone()
            .flatten()
            .or_else(|| Email::parse(&target.email).ok());
        let password = errors.check(
            "password",
            self.password
                .clone()
                .map(|p| NewPassword::parse(p, email_after.as_ref()))
                .transpose(),
        );
        if target.id == admin.id {
            if role.flatten().is_some_and(|r| r != Role::Admin) {
                errors.add(
                    "role",
                    "You cannot remove your own admin role; ask another admin.",
                );
            }
            if self.active == Some(false) {
                errors.add(
                    "active",
                    "You cannot disable your own account; ask another admin.",
                );
            }
        }
        let (name, email, role, password) = errors.finish((name, email, role, password))?;
        Ok(Edit {
            name,
            email,
            role,
            active: self.active,
            password,
        })
    }
}

impl AdminPowers {
    /// Applies `patch` to account `id`, in one transaction with its audit row (and a new
    /// verification link when the email changed, mailed after the commit).
    pub async fn update_user(
        &self,
        id: i64,
        patch: UserPatch,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        let target = self.user(id).await?;
        let edit = patch.check(&self.admin, &target)?;
        let hash = match &edit.password {
            Some(password) => Some(self.accounts.hasher.hash(password).await?),
            None => None,
        };
        let (after, link) = self
            .locked_transaction(ip, move |conn, acting| {
                apply_edit(conn, acting, id, &edit, hash.as_deref())
            })
            .await?;
        if let Some(link) = link {
            self.accounts.mail_verification_link(&after, &link);
        }
        Ok(after)
    }
}

/// The edit inside its locked transaction: the changes on the account as it is now, the
/// last-admin guard, a changed email made unverified (with a new link), sessions ended
/// where the SPEC says so, and the audit row with before → after.
fn apply_edit(
    conn: &mut DbConnection,
    acting: &Acting,
    id: i64,
    edit: &Edit,
    hash: Option<&str>,
) -> Result<(User, Option<NewLink>), AccountError> {
    let before = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
    let role = edit.role.unwrap_or(before.role());
    let active = edit.active.unwrap_or(before.active);
    let changes = users::AdminChanges {
        name: edit
            .name
            .as_ref()
            .map_or(before.name.as_str(), UserName::as_str),
        email: edit
            .email
            .as_ref()
            .map_or(before.email.as_str(), Email::as_str),
        role: role.as_str(),
        active,
        password_hash: hash,
    };
    users::apply_admin_changes(conn, id, &changes, acting.now)?;
    if before.active && before.is_admin() && !(active && role == Role::Admin) {
        ensure_an_active_admin_remains(conn, if active { "role" } else { "active" })?;
    }
    let after = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
    let email_changed = before.email != after.email;
    if email_changed || hash.is_some() {
        password_reset::end_reset_links(conn, id)?;
    }
    let ends_sessions =
        before.role != after.role || (before.active && !after.active) || hash.is_some();
    let ended = match ends_sessions {
        true => sessions::delete_for_user(conn, id, None)?,
        false => 0,
    };
    let mut detail = describe_changes(&before, &after, hash.is_some());
    if ended > 0 {
        detail.push_str(&format!("; sessions ended: {ended}"));
    }
    acting
        .audit(action::ADMIN_UPDATE_USER, &before)
        .detail(detail)
        .write(conn, acting.now)?;
    let link = match email_changed {
        true => {
            email_verification::forget(conn, id)?;
            Some(email_verification::issue_link(
                conn,
                &after,
                &acting.admin,
                &acting.ip,
                acting.now,
            )?)
        }
        false => None,
    };
    Ok((after, link))
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
