//! An admin creates an account with the role and status they choose.

use std::fmt::Display;

use super::AdminPowers;
use crate::accounts::audit::action;
use crate::accounts::registration::{Arrival, NewAccount, check_identity};
use crate::accounts::{AccountError, FieldErrors, User, email_verification};
use crate::crypto;
use crate::domain::{NewPassword, Role, SecretString};

/// A new account as the admin describes it.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    /// `None`: a random password nobody knows; the person sets one through a reset.
    pub password: Option<SecretString>,
    /// `user` or `admin`.
    pub role: String,
    pub active: bool,
}

impl NewUser {
    fn check(&self) -> Result<NewAccount, AccountError> {
        let mut errors = FieldErrors::default();
        let (name, email) = check_identity(&mut errors, &self.name, &self.email);
        let password = self
            .password
            .clone()
            .unwrap_or_else(|| SecretString::new(crypto::random_token()));
        let password = errors.check("password", NewPassword::parse(password, email.as_ref()));
        let role = errors.check("role", Role::parse(&self.role));
        let (name, email, password, role) = errors.finish((name, email, password, role))?;
        Ok(NewAccount {
            name,
            email,
            password,
            role,
            active: self.active,
        })
    }
}

impl AdminPowers {
    /// Creates the account, its audit row and a verification link in one transaction; the
    /// link is mailed once it is stored.
    pub async fn create_user(&self, new: NewUser, ip: impl Display) -> Result<User, AccountError> {
        let account = new.check()?;
        let detail = format!(
            "role: {}, active: {}",
            account.role.as_str(),
            account.active
        );
        let hash = self.accounts.hasher.hash(&account.password).await?;
        let (user, link) = self
            .locked_transaction(ip, move |conn, acting| {
                let arrival = Arrival {
                    logs_in: false,
                    verified: false,
                };
                let user = account.insert(conn, &hash, arrival, acting.now)?;
                acting
                    .audit(action::ADMIN_CREATE_USER, &user)
                    .detail(detail)
                    .write(conn, acting.now)?;
                let link = email_verification::issue_link(
                    conn,
                    &user,
                    &acting.admin,
                    &acting.ip,
                    acting.now,
                )?;
                Ok((user, link))
            })
            .await?;
        self.accounts.mail_verification_link(&user, &link);
        Ok(user)
    }
}
