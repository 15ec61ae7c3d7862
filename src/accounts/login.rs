//! Checking a password login. Unknown emails cost the same bcrypt work as known ones, and
//! every refusal gives the same answer whatever its reason.

use serde::Deserialize;

use crate::audit::{AuditEntry, Outcome, action};
use crate::db::models::User;
use crate::db::users;
use crate::domain::{Email, SecretString};
use crate::errors::AppError;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub email: String,
    pub password: SecretString,
    pub remember: Option<String>,
    pub next: Option<String>,
}

impl LoginForm {
    pub fn remember(&self) -> bool {
        crate::web::is_checked(&self.remember)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong email, wrong password or a disabled account: one message for all.
    #[error("The email or password is incorrect.")]
    Refused,
    #[error(transparent)]
    App(#[from] AppError),
}

/// Verifies the credentials, upgrades an old-cost hash, records the login and audits it.
pub async fn authenticate(
    state: &AppState,
    form: &LoginForm,
    ip: impl ToString,
) -> Result<User, LoginError> {
    let ip = ip.to_string();
    let email = Email::parse(&form.email).ok();
    let user = match email.clone() {
        Some(email) => {
            state
                .db
                .run(move |conn| Ok(users::find_by_email(conn, email.as_str())?))
                .await?
        }
        None => None,
    };
    let verification = state
        .hasher
        .verify(
            &form.password,
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let now = state.clock.now();
    match user {
        Some(user) if verification.matches && user.active => {
            let new_hash = if verification.needs_rehash {
                Some(state.hasher.rehash(&form.password).await?)
            } else {
                None
            };
            let audit = AuditEntry::own(action::LOGIN, &user, &ip);
            let id = user.id;
            state
                .db
                .run(move |conn| {
                    if let Some(hash) = new_hash {
                        users::set_password_hash(conn, id, &hash, now)?;
                    }
                    users::record_login(conn, id, now)?;
                    audit.write(conn, now)
                })
                .await?;
            Ok(user)
        }
        user => {
            let reason = match &user {
                None => "unknown email",
                Some(u) if !u.active && verification.matches => "account disabled",
                Some(_) => "wrong password",
            };
            let mut audit = AuditEntry::new(action::LOGIN, Outcome::Failure)
                .from(&ip)
                .detail(reason);
            audit = match &user {
                Some(user) => audit.on(user),
                None => audit.on_label(form.email.trim()),
            };
            state.db.run(move |conn| audit.write(conn, now)).await?;
            Err(LoginError::Refused)
        }
    }
}
