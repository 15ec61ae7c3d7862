//! Checking a password: logging in, and typing it again before a sensitive change. Unknown
//! emails cost the same bcrypt work as known ones, every refusal gives the same answer
//! whatever its reason, and failures count towards a per-email lock. With two-step login
//! on, the right password leads to the second step ([`LoginStep::SecondStep`]); only the
//! code (`two_factor`) completes the login or the re-authentication, and only it lifts
//! the failure count, so re-typing the password does not reset the wrong codes.

use std::fmt::Display;

use super::audit::{AuditEntry, Outcome, action};
use super::{AccountError, Accounts, User};
use crate::db::{DbConnection, throttles, users};
use crate::domain::{Email, SecondFactorCode, SecretString};

/// A password login as typed.
#[derive(Debug, Clone, Default)]
pub struct LogIn {
    pub email: String,
    pub password: SecretString,
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

/// Where a password login stands.
#[derive(Debug)]
pub enum LoginStep {
    /// Logged in.
    Done(User),
    /// The password was right; a code from the authenticator app is asked next.
    SecondStep(PendingLogin),
}

/// A login waiting for its second step: whose, and since when the password was right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLogin {
    pub user_id: i64,
    pub since: i64,
}

impl PendingLogin {
    /// A half-done login ends this long after the password was typed.
    pub const LIFETIME: i64 = 5 * 60;

    pub fn is_expired(&self, now: i64) -> bool {
        outlived(self.since, Self::LIFETIME, now)
    }
}

/// Whether something begun at `since` and good for `lifetime` seconds is over at `now` (a
/// `since` in the future, from a clock set back, counts as over too).
pub(super) fn outlived(since: i64, lifetime: i64, now: i64) -> bool {
    now - since >= lifetime || now < since
}

/// Why a password is being checked: it decides the audit action and whether it counts as a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    Login,
    /// The password typed again before a sensitive change.
    Reauthenticate,
}

impl Purpose {
    pub(super) fn action(self) -> &'static str {
        match self {
            Self::Login => action::LOGIN,
            Self::Reauthenticate => action::REAUTHENTICATE,
        }
    }
}

/// Whose password is checked: the email as typed, and its account if there is one.
/// Failures are counted per typed email whether or not an account has it, so that the
/// answers (a refusal, then a lock) are the same for every email.
pub(super) struct Claimant {
    pub(super) user: Option<User>,
    /// The typed email, trimmed and lower-cased: the key failures are counted under.
    pub(super) email: String,
}

impl Claimant {
    pub(super) fn new(user: Option<User>, typed: &str) -> Self {
        let email = typed
            .trim()
            .to_lowercase()
            .chars()
            .take(Email::MAX_LEN)
            .collect();
        Self { user, email }
    }

    /// `entry` about this claimant: on the account, or on the email typed.
    pub(super) fn audit(&self, entry: AuditEntry) -> AuditEntry {
        match &self.user {
            Some(user) => entry.on(user),
            None => entry.on_label(&self.email),
        }
    }
}

impl Accounts {
    /// Verifies the credentials, upgrades an old-cost hash, records the login and audits
    /// it. A locked account is refused before any password work; an email with control
    /// characters (no account can have one) before the database sees it.
    pub async fn log_in(
        &self,
        command: LogIn,
        ip: impl Display,
    ) -> Result<LoginStep, AccountError> {
        if command.email.chars().any(char::is_control) {
            return Err(AccountError::invalid(
                "email",
                "Enter an email address like name@example.com.",
            ));
        }
        let user = match Email::parse(&command.email) {
            Ok(email) => {
                self.db
                    .run(move |conn| {
                        Ok::<_, AccountError>(users::find_by_email(conn, email.as_str())?)
                    })
                    .await?
            }
            Err(_) => None,
        };
        let claimant = Claimant::new(user, &command.email);
        let user = self
            .check_password(claimant, &command.password, Purpose::Login, ip)
            .await?;
        Ok(match user.has_two_factor() {
            true => LoginStep::SecondStep(PendingLogin {
                user_id: user.id,
                since: self.now(),
            }),
            false => LoginStep::Done(user),
        })
    }

    /// The second step of a login: a code from the authenticator app (or a recovery code)
    /// within five minutes of the right password.
    pub async fn finish_login(
        &self,
        pending: PendingLogin,
        code: &str,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        if pending.is_expired(self.now()) {
            return Err(AccountError::LinkExpired);
        }
        let user = self
            .active_user(pending.user_id)
            .await?
            .filter(User::has_two_factor)
            .ok_or(AccountError::LoginRefused)?;
        let claimant = Claimant::new(Some(user.clone()), &user.email);
        self.check_second_factor(claimant, code, Purpose::Login, ip)
            .await
    }

    /// Checks the password of a logged-in user again before a sensitive change, and the
    /// `code` too when two-step login is on; a wrong one is a `password` (or `code`) field
    /// error. Failures count towards the same lockout as failed logins, so this is no side
    /// door for guessing.
    pub async fn reauthenticate(
        &self,
        user: &User,
        password: &SecretString,
        code: &str,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        if password.expose().is_empty() {
            return Err(AccountError::invalid("password", "Enter your password."));
        }
        if user.has_two_factor() && code.trim().is_empty() {
            return Err(AccountError::invalid("code", SecondFactorCode::MISSING));
        }
        let ip = ip.to_string();
        let claimant = Claimant::new(Some(user.clone()), &user.email);
        match self
            .check_password(claimant, password, Purpose::Reauthenticate, &ip)
            .await
        {
            Ok(user) if user.has_two_factor() => {
                let claimant = Claimant::new(Some(user.clone()), &user.email);
                self.check_second_factor(claimant, code, Purpose::Reauthenticate, ip)
                    .await
                    .map(drop)
            }
            Ok(_) => Ok(()),
            Err(AccountError::LoginRefused) => Err(AccountError::invalid(
                "password",
                "That password is not correct.",
            )),
            Err(other) => Err(other),
        }
    }

    /// Audits a logout (the session itself is ended by the caller).
    pub async fn record_logout(&self, user: &User, ip: impl Display) -> Result<(), AccountError> {
        let (audit, now) = (AuditEntry::own(action::LOGOUT, user, ip), self.now());
        self.db
            .run(move |conn| Ok::<_, AccountError>(audit.write(conn, now)?))
            .await
    }

    async fn check_password(
        &self,
        claimant: Claimant,
        password: &SecretString,
        purpose: Purpose,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        let (ip, now) = (ip.to_string(), self.now());
        self.refuse_if_locked(&claimant, purpose, &ip, now).await?;
        let stored = claimant.user.as_ref().map(|u| u.password_hash.clone());
        let verification = self.hasher.verify(password, stored).await?;
        match &claimant.user {
            Some(user) if verification.matches && user.active => {
                let new_hash = match verification.needs_rehash {
                    true => Some(self.hasher.rehash(password).await?),
                    false => None,
                };
                // With two-step login on, the code completes what the password began.
                let complete = !user.has_two_factor();
                let audit = match complete {
                    true => AuditEntry::own(purpose.action(), user, &ip),
                    false => AuditEntry::own(action::LOGIN_PASSWORD, user, &ip)
                        .detail("the right password; the code is asked next"),
                };
                let (id, email) = (user.id, claimant.email.clone());
                self.db
                    .transaction(move |conn| {
                        if let Some(hash) = new_hash {
                            users::set_password_hash(conn, id, &hash, now)?;
                        }
                        if complete {
                            if purpose == Purpose::Login {
                                users::record_login(conn, id, now)?;
                            }
                            throttles::clear(conn, &email)?;
                        }
                        Ok::<_, AccountError>(audit.write(conn, now)?)
                    })
                    .await?;
                Ok(user.clone())
            }
            user => {
                let reason = match user {
                    None => "unknown email",
                    Some(u) if !u.active && verification.matches => "account disabled",
                    Some(_) => "wrong password",
                };
                let audit = AuditEntry::new(purpose.action(), Outcome::Failure)
                    .from(&ip)
                    .detail(reason);
                self.db
                    .transaction(move |conn| count_failure(conn, &claimant, audit, &ip, now))
                    .await?;
                Err(AccountError::LoginRefused)
            }
        }
    }

    pub(super) async fn refuse_if_locked(
        &self,
        claimant: &Claimant,
        purpose: Purpose,
        ip: &str,
        now: i64,
    ) -> Result<(), AccountError> {
        let email = claimant.email.clone();
        let throttle = self
            .db
            .run(move |conn| Ok::<_, AccountError>(throttles::find(conn, &email)?))
            .await?;
        let Some(until) = throttle
            .and_then(|t| t.locked_until)
            .filter(|until| *until > now)
        else {
            return Ok(());
        };
        let audit = claimant
            .audit(AuditEntry::new(purpose.action(), Outcome::Failure))
            .from(ip)
            .detail("account locked");
        self.db
            .run(move |conn| Ok::<_, AccountError>(audit.write(conn, now)?))
            .await?;
        Err(AccountError::Locked {
            retry_after: (until - now).unsigned_abs(),
        })
    }
}

/// Inside a transaction: counts a wrong password for the typed email; the fifth within
/// the window locks it.
pub(super) fn count_failure(
    conn: &mut DbConnection,
    claimant: &Claimant,
    audit: AuditEntry,
    ip: &str,
    now: i64,
) -> Result<(), AccountError> {
    let throttle = throttles::count_failure(conn, &claimant.email, now, FAILURE_WINDOW)?;
    claimant.audit(audit).write(conn, now)?;
    if throttle.failures >= MAX_FAILURES {
        let seconds = lock_duration(throttle.lockouts);
        throttles::lock(conn, &claimant.email, now + seconds)?;
        claimant
            .audit(AuditEntry::new(action::ACCOUNT_LOCKED, Outcome::Failure))
            .from(ip)
            .detail(format!(
                "{} failed logins; locked for {} minutes",
                throttle.failures,
                seconds / 60
            ))
            .write(conn, now)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_lockout_doubles_up_to_sixteen_hours() {
        let minutes: Vec<i64> = (0..9).map(|n| super::lock_duration(n) / 60).collect();
        assert_eq!(minutes, [15, 30, 60, 120, 240, 480, 960, 960, 960]);
    }
}
