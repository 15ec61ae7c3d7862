//! Personal API tokens: how they look (`gh_` + 64 hex), how they are stored (SHA-256 only),
//! created with a name and an optional expiry, listed, revoked, and checked on each API
//! request (with `last_used_at` written at most once a minute). No HTTP types live here:
//! the page is `routes::account::tokens`, the bearer check `auth::api_auth`.

use serde::Deserialize;

use super::{AccountError, ensure_valid};
use crate::audit::{AuditEntry, action};
use crate::clock::Clock;
use crate::config::RateLimit;
use crate::crypto;
use crate::db::api_tokens::{self as queries, NewApiToken};
use crate::db::models::{ApiTokenRow, User};
use crate::db::{Db, users};
use crate::errors::AppError;
use crate::web::FormErrors;

/// What every token starts with, so that a leaked one is easy to recognise.
pub const PREFIX: &str = "gh_";
/// Uses of one token: a burst of 200, refilled at 20 a second.
pub const RATE_LIMIT: RateLimit = RateLimit {
    requests: 200,
    per_seconds: 10,
};
/// `last_used_at` is written at most this often per token.
const TOUCH_INTERVAL: i64 = 60;
const MAX_NAME_CHARS: usize = 100;
const MAX_EXPIRES_DAYS: i64 = 3650;
const DAY: i64 = 86_400;

/// The create form: a name, and the days until it expires (blank: never).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewTokenForm {
    pub name: String,
    pub expires_days: String,
}

/// A checked request for a token.
struct TokenRequest {
    name: String,
    expires_days: Option<i64>,
}

impl NewTokenForm {
    fn validate(&self) -> Result<TokenRequest, AccountError> {
        let mut errors = FormErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add(
                "name",
                "Give the token a name, e.g. the script that uses it.",
            );
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.add("name", format!("Use at most {MAX_NAME_CHARS} characters."));
        } else if name.chars().any(char::is_control) {
            errors.add("name", "Use letters, digits, spaces and punctuation only.");
        }
        let expires_days = match self.expires_days.trim() {
            "" => None,
            raw => errors.check(
                "expires_days",
                raw.parse::<i64>()
                    .ok()
                    .filter(|days| (1..=MAX_EXPIRES_DAYS).contains(days))
                    .ok_or(format!(
                        "Enter a whole number of days from 1 to {MAX_EXPIRES_DAYS}, or leave it blank."
                    )),
            ),
        };
        ensure_valid(errors)?;
        Ok(TokenRequest {
            name: name.to_string(),
            expires_days,
        })
    }
}

/// A token just made: the only time its secret is known.
pub struct IssuedToken {
    pub id: i64,
    pub secret: String,
}

/// Creates a token for `owner` and audits it; the secret is returned once and only its
/// hash is stored.
pub async fn create(
    db: &Db,
    clock: &Clock,
    owner: &User,
    form: &NewTokenForm,
    ip: impl ToString,
) -> Result<IssuedToken, AccountError> {
    let ip = ip.to_string();
    let request = form.validate()?;
    let secret = format!("{PREFIX}{}", crypto::random_token());
    let hash = crypto::token_hash(&secret);
    let now = clock.now();
    let owner = owner.clone();
    let id = db
        .run(move |conn| {
            let id = queries::insert(
                conn,
                &NewApiToken {
                    user_id: owner.id,
                    name: &request.name,
                    token_hash: &hash,
                    created_at: now,
                    expires_at: request.expires_days.map(|days| now + days * DAY),
                },
            )?;
            let expiry = request
                .expires_days
                .map_or("never expires".to_string(), |d| {
                    format!("expires in {d} days")
                });
            AuditEntry::own(action::API_TOKEN_CREATE, &owner, ip)
                .detail(format!("token {:?}, {expiry}", request.name))
                .write(conn, now)?;
            Ok(id)
        })
        .await?;
    Ok(IssuedToken { id, secret })
}

/// The owner's tokens, newest first.
pub async fn list(db: &Db, owner: &User) -> Result<Vec<ApiTokenRow>, AppError> {
    let owner_id = owner.id;
    db.run(move |conn| Ok(queries::list_for_user(conn, owner_id)?))
        .await
}

/// Deletes one of the owner's tokens; `NotFound` when it is not theirs.
pub async fn revoke(
    db: &Db,
    clock: &Clock,
    owner: &User,
    id: i64,
    ip: impl ToString,
) -> Result<ApiTokenRow, AppError> {
    let (owner, ip, now) = (owner.clone(), ip.to_string(), clock.now());
    db.run(move |conn| {
        let token = queries::delete_for_user(conn, owner.id, id)?.ok_or(AppError::NotFound)?;
        AuditEntry::own(action::API_TOKEN_REVOKE, &owner, ip)
            .detail(format!("token {:?}", token.name))
            .write(conn, now)?;
        Ok(token)
    })
    .await
}

/// The token presented and its owner as they are now, if the token exists and has not
/// expired (the caller checks that the owner is active). Records the use.
pub async fn authenticate(
    db: &Db,
    clock: &Clock,
    secret: &str,
) -> Result<Option<(ApiTokenRow, User)>, AppError> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let hash = crypto::token_hash(secret);
    let now = clock.now();
    db.run(move |conn| {
        let found = queries::find_usable(conn, &hash, now)?;
        if let Some((token, _)) = &found {
            if token
                .last_used_at
                .is_none_or(|at| now - at >= TOUCH_INTERVAL)
            {
                queries::touch(conn, token.id, now)?;
            }
        }
        Ok(found)
    })
    .await
}

/// For the command line: a token for the account with this email.
pub async fn create_for_email(
    db: &Db,
    clock: &Clock,
    email: &str,
    form: &NewTokenForm,
) -> Result<IssuedToken, AccountError> {
    let email = crate::domain::Email::parse(email)
        .map_err(|e| AccountError::Invalid(FormErrors::single("email", e)))?;
    let owner = db
        .run(move |conn| Ok(users::find_by_email(conn, email.as_str())?))
        .await?
        .ok_or_else(|| {
            AccountError::Invalid(FormErrors::single("email", "No account has this email."))
        })?;
    create(db, clock, &owner, form, "cli").await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, days: &str) -> NewTokenForm {
        NewTokenForm {
            name: name.into(),
            expires_days: days.into(),
        }
    }

    #[test]
    fn a_token_needs_a_name_and_a_sensible_expiry() {
        assert!(form("deploy", "").validate().is_ok());
        assert_eq!(
            form("deploy", " 30 ").validate().ok().unwrap().expires_days,
            Some(30)
        );
        for (name, days, field) in [
            ("  ", "", "name"),
            ("x", "0", "expires_days"),
            ("x", "3651", "expires_days"),
            ("x", "soon", "expires_days"),
        ] {
            match form(name, days).validate() {
                Err(AccountError::Invalid(errors)) => assert!(errors.get(field).is_some()),
                _ => panic!("{name:?} {days:?} was accepted"),
            }
        }
    }
}
