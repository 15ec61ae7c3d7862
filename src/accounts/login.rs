//! Checking a password login. Unknown emails cost the same bcrypt work as known ones, and
//! every refusal gives the same answer whatever its reason.

use serde::Deserialize;

use crate::audit::{AuditEntry, Outcome, action};
use crate::db::models::User;
use diesel::Connection;

use crate::db::{throttles, users};
use crate::domain::{Email, SecretString};
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::metrics::LoginOutcome;

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

/// Lockout policy: this many failed password logins within the window lock the account.
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW: i64 = 15 * 60;
/// The first lock lasts this long; each further one doubles, up to 64 times as long (16 h).
pub const FIRST_LOCK: i64 = 15 * 60;

/// How long the next lock lasts after `previous` lockouts.
pub fn lock_duration(previous: i64) -> i64 {
    FIRST_LOCK << previous.clamp(0, 6)
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong email, wrong password or a disabled account: one message for all.
    #[error("The email or password is incorrect.")]
    Refused,
    /// Too many failures: password login is locked, even with the right password.
    #[error("Too many failed logins: this account is locked. Try again in {} minutes.", minutes(*retry_after))]
    Locked { retry_after: i64 },
    #[error(transparent)]
    App(#[from] AppError),
}

fn minutes(seconds: i64) -> i64 {
    (seconds + 59) / 60
}

/// Why a password is being checked: it decides the audit action and whether it counts as a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Login,
    /// The password typed again before a sensitive change.
    Reauthenticate,
}

impl Purpose {
    fn action(self) -> &'static str {
        match self {
            Self::Login => action::LOGIN,
            Self::Reauthenticate => action::REAUTHENTICATE,
        }
    }
}

/// Verifies the credentials, upgrades an old-cost hash, records the login and audits it.
/// A locked account is refused before any password work.
pub async fn authenticate(
    state: &AppState,
    form: &LoginForm,
    ip: impl ToString,
) -> Result<User, LoginError> {
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
    let label = form.email.trim().to_string();
    let result = check_password(state, user, &form.password, &label, Purpose::Login, ip).await;
    state.metrics.count_login(match &result {
        Ok(_) => LoginOutcome::Success,
        Err(LoginError::Locked { .. }) => LoginOutcome::Locked,
        Err(_) => LoginOutcome::Failure,
    });
    result
}

/// Checks the password of a logged-in user again before a sensitive change. Failures count
/// towards the same lockout as failed logins, so this is no side door for guessing.
pub async fn reauthenticate(
    state: &AppState,
    user: &User,
    password: &SecretString,
    ip: impl ToString,
) -> Result<(), LoginError> {
    let label = user.email.clone();
    let user = Some(user.clone());
    check_password(state, user, password, &label, Purpose::Reauthenticate, ip)
        .await
        .map(|_| ())
}

async fn check_password(
    state: &AppState,
    user: Option<User>,
    password: &SecretString,
    label: &str,
    purpose: Purpose,
    ip: impl ToString,
) -> Result<User, LoginError> {
    let ip = ip.to_string();
    let now = state.clock.now();
    if let Some(user) = &user {
        refuse_if_locked(state, user, purpose, &ip, now).await?;
    }
    let verification = state
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    match user {
        Some(user) if verification.matches && user.active => {
            let new_hash = if verification.needs_rehash {
                Some(state.hasher.rehash(password).await?)
            } else {
                None
            };
            let audit = AuditEntry::own(purpose.action(), &user, &ip);
            let id = user.id;
            state
                .db
                .run(move |conn| {
                    if let Some(hash) = new_hash {
                        users::set_password_hash(conn, id, &hash, now)?;
                    }
                    if purpose == Purpose::Login {
                        users::record_login(conn, id, now)?;
                    }
                    throttles::clear(conn, id)?;
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
            let audit = AuditEntry::new(purpose.action(), Outcome::Failure)
                .from(&ip)
                .detail(reason);
            match user {
                Some(user) => count_failure(state, user, audit, &ip, now).await?,
                None => {
                    let audit = audit.on_label(label);
                    state.db.run(move |conn| audit.write(conn, now)).await?;
                }
            }
            Err(LoginError::Refused)
        }
    }
}

async fn refuse_if_locked(
    state: &AppState,
    user: &User,
    purpose: Purpose,
    ip: &str,
    now: i64,
) -> Result<(), LoginError> {
    let id = user.id;
    let throttle = state
        .db
        .run(move |conn| Ok(throttles::find(conn, id)?))
        .await?;
    let Some(until) = throttle
        .and_then(|t| t.locked_until)
        .filter(|until| *until > now)
    else {
        return Ok(());
    };
    let audit = AuditEntry::new(purpose.action(), Outcome::Failure)
        .on(user)
        .from(ip)
        .detail("account locked");
    state.db.run(move |conn| audit.write(conn, now)).await?;
    Err(LoginError::Locked {
        retry_after: until - now,
    })
}

/// Counts a wrong password for an existing account; the fifth within the window locks it.
async fn count_failure(
    state: &AppState,
    user: User,
    audit: AuditEntry,
    ip: &str,
    now: i64,
) -> Result<(), AppError> {
    let ip = ip.to_string();
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let throttle = throttles::count_failure(conn, user.id, now, FAILURE_WINDOW)?;
                audit.on(&user).write(conn, now)?;
                if throttle.failures >= MAX_FAILURES {
                    let seconds = lock_duration(throttle.lockouts);
                    throttles::lock(conn, user.id, now + seconds)?;
                    AuditEntry::new(action::ACCOUNT_LOCKED, Outcome::Failure)
                        .on(&user)
                        .from(&ip)
                        .detail(format!(
                            "{} failed logins; locked for {} minutes",
                            throttle.failures,
                            seconds / 60
                        ))
                        .write(conn, now)?;
                }
                Ok(())
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_lockout_doubles_up_to_sixteen_hours() {
        let minutes: Vec<i64> = (0..9).map(|n| super::lock_duration(n) / 60).collect();
        assert_eq!(minutes, [15, 30, 60, 120, 240, 480, 960, 960, 960]);
    }
}
