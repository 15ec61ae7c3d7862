//! Two-step login with an authenticator app (TOTP, RFC 6238) and single-use recovery codes:
//! set-up, turning it off, new recovery codes, and the code check that the second step of
//! a login and re-authentication share ([`Accounts::check_second_factor`]).
//!
//! The secret is sealed at rest (`crypto::Sealer`, a key derived from the secret key, bound
//! to the account) and shown only during set-up. A code is accepted once: the step it
//! belongs to is stored, and only a later step is accepted after it (±1 step of clock skew).
//! Recovery codes are stored as their SHA-256. Wrong codes count towards the same lock as
//! wrong passwords (`login`).

use std::fmt::Display;

use totp_rs::{Builder, Secret, Totp};

use super::audit::{AuditEntry, Outcome, action};
use super::login::{Claimant, Purpose, count_failure};
use super::{AccountError, Accounts, User, mails};
use crate::crypto::{self, Sealer};
use crate::db::two_factor::{self, TotpSecretRow};
use crate::db::{DbConnection, sessions, throttles, users};
use crate::domain::{Email, SecondFactorCode, SecretString, new_recovery_code};

/// How many recovery codes a set: each works once.
pub const RECOVERY_CODES: usize = 10;
const WRONG_CODE: &str =
    "That code is not correct. Check the time on your phone, or use a recovery code.";

const NO_SUCH_ACCOUNT: &str = "No account has this email.";
pub(super) const ALREADY_OFF: &str =
    "Two-step login is not on for this account; nothing was changed.";

/// Inside a transaction, for someone who lost their phone and recovery codes (an admin or
/// the operator acts): the secret and codes go, every session of theirs ends, and `audit`
/// is written saying how many ended.
pub(super) fn two_factor_reset(
    conn: &mut DbConnection,
    user: &User,
    audit: AuditEntry,
    now: i64,
) -> Result<(), AccountError> {
    two_factor::turn_off(conn, user.id, now)?;
    let ended = sessions::delete_for_user(conn, user.id, None)?;
    audit
        .detail(format!(
            "two-step login turned off; sessions ended: {ended}"
        ))
        .write(conn, now)?;
    Ok(())
}

/// The issuer authenticator apps show beside the account: the site's name, without `:`
/// (which separates the issuer from the account in an `otpauth://` label).
pub(super) fn issuer(site_name: &str) -> String {
    let issuer = site_name.replace(':', "");
    match issuer.trim() {
        "" => crate::config::DEFAULT_SITE_NAME.into(),
        trimmed => trimmed.into(),
    }
}

/// What the set-up page shows: the secret for typing, and the `otpauth://` URL for the QR code.
pub struct TotpSetup {
    pub secret: String,
    pub url: String,
}

/// A new set of recovery codes, as shown once.
pub struct RecoveryCodes(pub Vec<String>);

/// How a second-step code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    App,
    Recovery,
}

impl CodeKind {
    fn detail(self) -> &'static str {
        match self {
            Self::App => "with an authenticator code",
            Self::Recovery => "with a recovery code",
        }
    }
}

/// Why a code was refused when it was one already used (see [`CodeCheck::Refused`]).
const REUSED: &str = "code already used";

/// What the check of one code found, inside its transaction.
enum CodeCheck {
    Accepted(CodeKind),
    /// The reason, for the audit row (never shown: every refusal reads the same).
    Refused(&'static str),
}

impl Accounts {
    /// The secret to set up (the same one until set-up is done, so a reloaded page shows
    /// what was scanned). Refused when two-step login is already on.
    pub async fn two_factor_setup(&self, user: &User) -> Result<TotpSetup, AccountError> {
        if user.has_two_factor() {
            return Err(AccountError::invalid(
                "code",
                "Two-step login is already on.",
            ));
        }
        let (sealer, id, now) = (self.sealer.clone(), user.id, self.now());
        let secret = self
            .db
            .transaction(move |conn| {
                // An unfinished set-up's secret is shown again (unless the secret key changed).
                let unfinished = two_factor::find_secret(conn, id)?;
                if let Some(secret) = unfinished.and_then(|row| open_secret(&sealer, &row).ok()) {
                    return Ok(secret);
                }
                let mut secret = vec![0u8; 20];
                rand::fill(secret.as_mut_slice());
                let sealed = sealer.seal(&secret, &id.to_string().into_bytes());
                two_factor::replace_secret(conn, id, &sealed, now)?;
                Ok::<_, AccountError>(secret)
            })
            .await?;
        let totp = self.totp(secret, &user.email)?;
        let url = totp.to_url().map_err(AccountError::internal)?;
        Ok(TotpSetup {
            secret: totp.secret().to_base32(),
            url,
        })
    }

    /// Turns two-step login on once a code from the app shows it was set up; answers the
    /// first recovery codes. Audited; the owner is mailed.
    pub async fn confirm_two_factor(
        &self,
        user: &User,
        typed: &str,
        ip: impl Display,
    ) -> Result<RecoveryCodes, AccountError> {
        if user.has_two_factor() {
            return Err(AccountError::invalid(
                "code",
                "Two-step login is already on.",
            ));
        }
        let code = match SecondFactorCode::parse(typed) {
            Ok(code @ SecondFactorCode::Totp(_)) => code,
            Ok(SecondFactorCode::Recovery(_)) | Err(_) => {
                return Err(AccountError::invalid("code", SecondFactorCode::MISSING));
            }
        };
        let (codes, hashes) = new_recovery_codes();
        let (sealer, id, now) = (self.sealer.clone(), user.id, self.now());
        let audit = AuditEntry::own(action::TWO_FACTOR_ENABLE, user, ip);
        self.db
            .transaction(move |conn| {
                if two_factor::find_secret(conn, id)?.is_none() {
                    return Err(AccountError::invalid(
                        "code",
                        "Set-up took too long; scan the new code and try again.",
                    ));
                }
                if let CodeCheck::Refused(_) = check_code(conn, &sealer, id, &code, now)? {
                    return Err(AccountError::invalid("code", WRONG_CODE));
                }
                two_factor::confirm(conn, id, now)?;
                two_factor::replace_recovery_codes(conn, id, &hashes, now)?;
                Ok(audit.write(conn, now)?)
            })
            .await?;
        self.mail(mails::two_factor_on(&self.site_name, user));
        Ok(RecoveryCodes(codes))
    }

    /// A new set of recovery codes; the old ones stop working.
    pub async fn new_recovery_codes(
        &self,
        user: &User,
        ip: impl Display,
    ) -> Result<RecoveryCodes, AccountError> {
        if !user.has_two_factor() {
            return Err(AccountError::NotFound);
        }
        let (codes, hashes) = new_recovery_codes();
        let (id, now) = (user.id, self.now());
        let audit = AuditEntry::own(action::RECOVERY_CODES_NEW, user, ip);
        self.db
            .transaction(move |conn| {
                two_factor::replace_recovery_codes(conn, id, &hashes, now)?;
                Ok::<_, AccountError>(audit.write(conn, now)?)
            })
            .await?;
        Ok(RecoveryCodes(codes))
    }

    /// How many unused recovery codes the account has.
    pub async fn recovery_codes_left(&self, user: &User) -> Result<i64, AccountError> {
        let id = user.id;
        self.db
            .run(move |conn| Ok::<_, AccountError>(two_factor::recovery_codes_left(conn, id)?))
            .await
    }

    /// Turns two-step login off: it takes the password and a code (or a recovery code).
    pub async fn turn_off_two_factor(
        &self,
        user: &User,
        password: &SecretString,
        code: &str,
        ip: impl Display + Clone,
    ) -> Result<(), AccountError> {
        if !user.has_two_factor() {
            return Err(AccountError::NotFound);
        }
        self.reauthenticate(user, password, code, ip.clone())
            .await?;
        let (id, now) = (user.id, self.now());
        let audit = AuditEntry::own(action::TWO_FACTOR_DISABLE, user, ip);
        self.db
            .transaction(move |conn| {
                two_factor::turn_off(conn, id, now)?;
                Ok::<_, AccountError>(audit.write(conn, now)?)
            })
            .await?;
        self.mail(mails::two_factor_off(&self.site_name, user, false));
        Ok(())
    }

    /// The operator's way out (the command line) when the only admin lost their phone and
    /// their recovery codes: two-step login goes off for the account with this email, its
    /// sessions end, the audit row says it was done on the command line, and they are mailed.
    pub async fn turn_off_two_factor_for_email(&self, email: &str) -> Result<User, AccountError> {
        let email = Email::parse(email).map_err(|e| AccountError::invalid("email", e))?;
        let now = self.now();
        let user = self
            .db
            .transaction(move |conn| {
                let user = users::find_by_email(conn, email.as_str())?
                    .ok_or_else(|| AccountError::invalid("email", NO_SUCH_ACCOUNT))?;
                if !user.has_two_factor() {
                    return Err(AccountError::invalid("email", ALREADY_OFF));
                }
                let audit = AuditEntry::new(action::ADMIN_TWO_FACTOR_DISABLE, Outcome::Success)
                    .on(&user)
                    .from("command line");
                two_factor_reset(conn, &user, audit, now)?;
                Ok(user)
            })
            .await?;
        self.mail(mails::two_factor_off(&self.site_name, &user, true));
        Ok(user)
    }

    /// The second step, after the right password (`purpose` says of what): the code must be
    /// right and unused. A refusal counts towards the account's lock; an acceptance lifts
    /// the count, is audited as the purpose's success, and (for a login) records the login.
    pub(super) async fn check_second_factor(
        &self,
        claimant: Claimant,
        typed: &str,
        purpose: Purpose,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        let code = SecondFactorCode::parse(typed).map_err(|m| AccountError::invalid("code", m))?;
        let (ip, now) = (ip.to_string(), self.now());
        self.refuse_if_locked(&claimant, purpose, &ip, now).await?;
        let user = claimant.user.clone().ok_or(AccountError::LoginRefused)?;
        let sealer = self.sealer.clone();
        let (checked, left) = self
            .db
            .transaction(move |conn| {
                let user = claimant.user.as_ref().ok_or(AccountError::LoginRefused)?;
                let checked = check_code(conn, &sealer, user.id, &code, now)?;
                match checked {
                    CodeCheck::Accepted(kind) => {
                        accept(conn, &claimant, kind, purpose, &ip, now)?;
                    }
                    CodeCheck::Refused(reason) => {
                        let audit = AuditEntry::new(action::LOGIN_SECOND_FACTOR, Outcome::Failure)
                            .from(&ip)
                            .detail(reason);
                        count_failure(conn, &claimant, audit, &ip, now)?;
                    }
                }
                let left = two_factor::recovery_codes_left(conn, user.id)?;
                Ok::<_, AccountError>((checked, left))
            })
            .await?;
        match checked {
            CodeCheck::Accepted(CodeKind::Recovery) => {
                self.mail(mails::recovery_code_used(&self.site_name, &user, left));
                Ok(user)
            }
            CodeCheck::Accepted(CodeKind::App) => Ok(user),
            CodeCheck::Refused(reason) => {
                if reason == REUSED {
                    self.mail(mails::code_reused(&self.site_name, &user));
                }
                Err(AccountError::invalid("code", WRONG_CODE))
            }
        }
    }

    fn totp(&self, secret: Vec<u8>, email: &str) -> Result<Totp, AccountError> {
        Builder::new()
            .with_secret(Secret::from(secret))
            .with_issuer(Some(self.issuer.as_ref()))
            .with_account_name(email.replace(':', ""))
            .build()
            .map_err(AccountError::internal)
    }
}

/// Inside the transaction: the code was right. The failure count goes, and the purpose's
/// success is audited (a login is recorded as one).
fn accept(
    conn: &mut DbConnection,
    claimant: &Claimant,
    kind: CodeKind,
    purpose: Purpose,
    ip: &str,
    now: i64,
) -> Result<(), AccountError> {
    let Some(user) = &claimant.user else {
        return Err(AccountError::LoginRefused);
    };
    if purpose == Purpose::Login {
        users::record_login(conn, user.id, now)?;
    }
    throttles::clear(conn, &claimant.email)?;
    AuditEntry::own(purpose.action(), user, ip)
        .detail(kind.detail())
        .write(conn, now)?;
    Ok(())
}

/// Checks one code against the account's secret or recovery codes, using it up if right.
fn check_code(
    conn: &mut DbConnection,
    sealer: &Sealer,
    user_id: i64,
    code: &SecondFactorCode,
    now: i64,
) -> Result<CodeCheck, AccountError> {
    match code {
        SecondFactorCode::Totp(digits) => {
            let Some(row) = two_factor::find_secret(conn, user_id)? else {
                return Ok(CodeCheck::Refused("two-step login is off"));
            };
            let totp = Builder::new()
                .with_secret(Secret::from(open_secret(sealer, &row)?))
                .build()
                .map_err(AccountError::internal)?;
            let Some(step) = totp.check(digits, u64::try_from(now).unwrap_or_default()) else {
                return Ok(CodeCheck::Refused("wrong code"));
            };
            let step = i64::try_from(step).map_err(AccountError::internal)?;
            Ok(match two_factor::take_step(conn, user_id, step)? {
                true => CodeCheck::Accepted(CodeKind::App),
                false => CodeCheck::Refused(REUSED),
            })
        }
        SecondFactorCode::Recovery(code) => {
            let hash = crypto::token_hash(code);
            Ok(
                match two_factor::use_recovery_code(conn, user_id, &hash, now)? {
                    true => CodeCheck::Accepted(CodeKind::Recovery),
                    false => CodeCheck::Refused("wrong or used recovery code"),
                },
            )
        }
    }
}

/// The secret, unsealed. One that does not open (the secret key was changed or lost) is
/// said plainly to the person, and logged for the operator: an admin can turn two-step
/// login off for them.
fn open_secret(sealer: &Sealer, row: &TotpSecretRow) -> Result<Vec<u8>, AccountError> {
    sealer
        .open(&row.sealed_secret, &row.user_id.to_string().into_bytes())
        .map_err(|error| {
            log::error!("account {}: {error}", row.user_id);
            AccountError::invalid(
                "code",
                "Codes for this account cannot be checked on this server now. Ask an administrator to turn two-step login off for you.",
            )
        })
}

/// New codes as shown, and their hashes as stored.
fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    // Stored as typed codes are looked up: without the dashes.
    let hashes = codes
        .iter()
        .map(|code| crypto::token_hash(&code.replace('-', "")))
        .collect();
    (codes, hashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_the_site_name_as_an_otpauth_label_allows() {
        for (site_name, issuer, in_url) in [
            ("Gatehouse", "Gatehouse", "issuer=Gatehouse"),
            (
                "Example: Accounts",
                "Example Accounts",
                "issuer=Example%20Accounts",
            ),
            (":", "Gatehouse", "issuer=Gatehouse"),
        ] {
            assert_eq!(super::issuer(site_name), issuer);
            let totp = Builder::new()
                .with_secret(Secret::from(vec![7; 20]))
                .with_issuer(Some(super::issuer(site_name)))
                .with_account_name("ada@example.com")
                .build()
                .expect("the issuer is accepted");
            let url = totp.to_url().expect("an otpauth URL");
            assert!(url.contains(in_url), "{url}");
        }
    }
}
