//! New accounts: self-service sign-up, the first admin (through the setup link or the
//! command line) and accounts an admin makes share one validation and one insert.

use std::fmt::Display;

use super::audit::{AuditEntry, Outcome, action};
use super::{AccountError, Accounts, FieldErrors, User, email_verification, typed_twice};
use crate::db::models::NewUserRow;
use crate::db::{DbConnection, users};
use crate::domain::{Email, NewPassword, Role, SecretString, SignUpPolicy, UserName};

/// Sign-up (and the first admin): the fields a person types for their own account.
#[derive(Debug, Clone, Default)]
pub struct SignUp {
    pub name: String,
    pub email: String,
    pub password: SecretString,
    /// The password typed again, where the form asks for it.
    pub password_confirm: Option<SecretString>,
}

/// A checked new account, ready to be hashed and stored.
pub(super) struct NewAccount {
    pub name: UserName,
    pub email: Email,
    pub password: NewPassword,
    pub role: Role,
    pub active: bool,
}

/// How an account comes into being, beyond its fields.
#[derive(Debug, Clone, Copy)]
pub(super) struct Arrival {
    /// The new user is logged in at once (sign-up, first admin), so this is their first login.
    pub logs_in: bool,
    /// The address is vouched for (the operator on the command line).
    pub verified: bool,
}

impl SignUp {
    /// Checks every field (all errors at once) into an active account of `role`.
    pub(super) fn check(&self, role: Role) -> Result<NewAccount, AccountError> {
        let mut errors = FieldErrors::default();
        let (name, email) = check_identity(&mut errors, &self.name, &self.email);
        let password = errors.check(
            "password",
            NewPassword::parse(self.password.clone(), email.as_ref()),
        );
        typed_twice(
            &mut errors,
            "password_confirm",
            &password,
            self.password_confirm.as_ref(),
        );
        let (name, email, password) = errors.finish((name, email, password))?;
        Ok(NewAccount {
            name,
            email,
            password,
            role,
            active: true,
        })
    }
}

/// The name and email every account has, each checked by its one rule.
pub(super) fn check_identity(
    errors: &mut FieldErrors,
    name: &str,
    email: &str,
) -> (Option<UserName>, Option<Email>) {
    (
        errors.check("name", UserName::parse(name)),
        errors.check("email", Email::parse(email)),
    )
}

impl NewAccount {
    /// Inside a transaction: stores the account with its password hash; a taken email is
    /// [`AccountError::EmailTaken`] (two requests racing for one email get one account).
    pub fn insert(
        &self,
        conn: &mut DbConnection,
        password_hash: &str,
        arrival: Arrival,
        now: i64,
    ) -> Result<User, AccountError> {
        let identity = (&self.name, &self.email, self.role, self.active);
        insert_user(conn, identity, password_hash, arrival, now)
    }
}

/// Inside a transaction: stores an account (name, email, role, active) with this password
/// hash (empty: no password), the one insert every way of making an account goes through.
pub(super) fn insert_user(
    conn: &mut DbConnection,
    (name, email, role, active): (&UserName, &Email, Role, bool),
    password_hash: &str,
    arrival: Arrival,
    now: i64,
) -> Result<User, AccountError> {
    let row = NewUserRow {
        email: email.as_str(),
        name: name.as_str(),
        password_hash,
        role: role.as_str(),
        active,
        created_at: now,
        updated_at: now,
        last_login_at: arrival.logs_in.then_some(now),
    };
    let id = users::insert(conn, &row)?;
    if arrival.verified {
        users::set_email_verified(conn, id, Some(now))?;
    }
    users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)
}

impl Accounts {
    /// Self-service sign-up: the account, its audit row and a verification link, in one
    /// transaction; the link is mailed once it is stored.
    pub async fn sign_up(&self, command: SignUp, ip: impl Display) -> Result<User, AccountError> {
        if self.policies.sign_up == SignUpPolicy::InviteOnly {
            return Err(AccountError::SignUpClosed);
        }
        let account = command.check(Role::User)?;
        let hash = self.hasher.hash(&account.password).await?;
        let (ip, now) = (ip.to_string(), self.now());
        let (user, link) = self
            .db
            .transaction(move |conn| {
                let arrival = Arrival {
                    logs_in: true,
                    verified: false,
                };
                let user = account.insert(conn, &hash, arrival, now)?;
                AuditEntry::own(action::REGISTER, &user, &ip).write(conn, now)?;
                let link = email_verification::issue_link(conn, &user, &user, &ip, now)?;
                Ok::<_, AccountError>((user, link))
            })
            .await?;
        self.mail_verification_link(&user, &link);
        Ok(user)
    }

    /// An active admin made by the operator on the command line. The operator vouches for
    /// the address, so it counts as verified and no mail goes out.
    pub async fn create_admin(&self, command: SignUp) -> Result<User, AccountError> {
        let account = command.check(Role::Admin)?;
        let hash = self.hasher.hash(&account.password).await?;
        let now = self.now();
        self.db
            .transaction(move |conn| {
                let arrival = Arrival {
                    logs_in: false,
                    verified: true,
                };
                let user = account.insert(conn, &hash, arrival, now)?;
                AuditEntry::new(action::CLI_CREATE_ADMIN, Outcome::Success)
                    .on(&user)
                    .from("command line")
                    .write(conn, now)?;
                Ok(user)
            })
            .await
    }
}
