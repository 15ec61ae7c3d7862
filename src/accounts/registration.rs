//! New accounts: self-service sign-up and the first admin share one validation and one insert.

use serde::Deserialize;

use super::{AccountError, ensure_valid};
use crate::audit::AuditEntry;
use crate::auth::PasswordHasher;
use crate::clock::Clock;
use crate::db::Db;
use crate::db::models::{NewUserRow, User};
use crate::db::users;
use crate::domain::{Email, NewPassword, Role, SecretString, UserName};
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::FormErrors;

/// The sign-up form as submitted (missing fields arrive empty and are reported per field).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignUpForm {
    pub name: String,
    pub email: String,
    pub password: SecretString,
    pub password_confirm: SecretString,
}

/// A checked new account, ready to be hashed and stored.
pub struct NewAccount {
    pub name: UserName,
    pub email: Email,
    pub password: NewPassword,
    pub role: Role,
    pub active: bool,
    /// The new user is logged in at once (sign-up, first admin), so this is their first login.
    pub logs_in: bool,
}

/// The fields every new account has, as typed.
pub struct AccountFields<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a SecretString,
    /// The repeated password, when the form asks for one.
    pub password_confirm: Option<&'a SecretString>,
}

impl AccountFields<'_> {
    /// Checks every field (all errors at once) into a new account of `role`.
    pub fn validate(
        &self,
        role: Role,
        active: bool,
        logs_in: bool,
    ) -> Result<NewAccount, AccountError> {
        let mut errors = FormErrors::default();
        let name = errors.check("name", UserName::parse(self.name));
        let email = errors.check("email", Email::parse(self.email));
        let password = errors.check(
            "password",
            NewPassword::parse(self.password.clone(), email.as_ref()),
        );
        if let Some(confirm) = self.password_confirm {
            if password.is_some() && self.password.expose() != confirm.expose() {
                errors.add("password_confirm", "The two passwords do not match.");
            }
        }
        ensure_valid(errors)?;
        match (name, email, password) {
            (Some(name), Some(email), Some(password)) => Ok(NewAccount {
                name,
                email,
                password,
                role,
                active,
                logs_in,
            }),
            _ => Err(AccountError::App(AppError::internal(
                "validation passed without values",
            ))),
        }
    }
}

impl SignUpForm {
    /// A self-service or first-admin account: active, and logged in at once.
    pub fn validate(&self, role: Role) -> Result<NewAccount, AccountError> {
        let fields = AccountFields {
            name: &self.name,
            email: &self.email,
            password: &self.password,
            password_confirm: Some(&self.password_confirm),
        };
        fields.validate(role, true, true)
    }
}

/// Hashes the password (off the async workers) and stores the account with an audit row.
/// Two requests racing for one email get one account; the other gets `EmailTaken`.
pub async fn create_account(
    db: &Db,
    hasher: &PasswordHasher,
    clock: &Clock,
    account: NewAccount,
    audit: impl FnOnce(&User) -> AuditEntry + Send + 'static,
) -> Result<User, AccountError> {
    let hash = hasher.hash(&account.password).await?;
    let now = clock.now();
    let user = db
        .run(move |conn| {
            let row = NewUserRow {
                email: account.email.as_str(),
                name: account.name.as_str(),
                password_hash: &hash,
                role: account.role.as_str(),
                active: account.active,
                created_at: now,
                updated_at: now,
                last_login_at: account.logs_in.then_some(now),
            };
            let id = match users::insert(conn, &row) {
                Ok(id) => id,
                Err(e) => return Ok(Err(AccountError::from(e))),
            };
            Ok(Ok(users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?))
        })
        .await??;
    db.run({
        let user = user.clone();
        move |conn| audit(&user).write(conn, now)
    })
    .await?;
    Ok(user)
}

/// Self-service sign-up.
pub async fn register(
    state: &AppState,
    form: &SignUpForm,
    ip: impl ToString,
) -> Result<User, AccountError> {
    let account = form.validate(Role::User)?;
    let ip = ip.to_string();
    let audit_ip = ip.clone();
    let user = create_account(
        &state.db,
        &state.hasher,
        &state.clock,
        account,
        move |user| AuditEntry::own(crate::audit::action::REGISTER, user, audit_ip),
    )
    .await?;
    super::email_verification::send_link(state, &user, &user, ip).await?;
    Ok(user)
}
