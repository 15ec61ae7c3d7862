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

use super::AccountError;
use super::registration::{AccountFields, NewAccount, create_account};
use crate::audit::{AuditEntry, Outcome, action};
use crate::domain::{Role, SecretString};
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
        self.active
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
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
        create_account(
            &state.db,
            &state.hasher,
            &state.clock,
            account,
            move |user| {
                AuditEntry::new(action::ADMIN_CREATE_USER, Outcome::Success)
                    .by(&admin)
                    .on(user)
                    .from(ip)
                    .detail(detail)
            },
        )
        .await
    }
}
