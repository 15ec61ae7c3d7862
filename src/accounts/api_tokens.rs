//! Personal API tokens: how they look (`gh_` + 64 hex), how they are stored (SHA-256 only),
//! created with a name and an optional expiry, listed, revoked, and checked on each API
//! request (with `last_used_at` written at most once a minute). The page is
//! `routes::account::tokens`, the bearer check `auth::api_auth`.

use std::fmt::Display;

use super::audit::{AuditEntry, action};
use super::{AccountError, Accounts, ApiTokenRow, FieldErrors, User};
use crate::crypto;
use crate::db::api_tokens::{self as queries, NewApiToken};
use crate::db::users;
use crate::domain::Email;

/// What every token starts with, so that a leaked one is easy to recognise.
pub const PREFIX: &str = "gh_";
/// `last_used_at` is written at most this often per token.
const TOUCH_INTERVAL: i64 = 60;
const MAX_NAME_CHARS: usize = 100;
const MAX_EXPIRES_DAYS: i64 = 3650;
const DAY: i64 = 86_400;

/// A token asked for: a name, and the days until it expires as typed (blank: never).
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub name: String,
    pub expires_days: String,
}

/// A checked request.
struct CheckedRequest {
    name: String,
    expires_days: Option<i64>,
}

impl TokenRequest {
    fn check(&self) -> Result<CheckedRequest, AccountError> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", token_name(&self.name));
        let expires_days = match self.expires_days.trim() {
            "" => Some(None),
            raw => errors.check("expires_days", expiry_days(raw).map(Some)),
        };
        let (name, expires_days) = errors.finish((name, expires_days))?;
        Ok(CheckedRequest { name, expires_days })
    }
}

fn token_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        Err("Give the token a name, e.g. the script that uses it.".into())
    } else if name.chars().count() > MAX_NAME_CHARS {
        Err(format!("Use at most {MAX_NAME_CHARS} characters."))
    } else if name.chars().any(char::is_control) {
        Err("Use letters, digits, spaces and punctuation only.".into())
    } else {
        Ok(name.to_string())
    }
}

fn expiry_days(raw: &str) -> Result<i64, String> {
    raw.parse::<i64>()
        .ok()
        .filter(|days| (1..=MAX_EXPIRES_DAYS).contains(days))
        .ok_or(format!(
            "Enter a whole number of days from 1 to {MAX_EXPIRES_DAYS}, or leave it blank."
        ))
}

/// A token just made: the only time its secret is known.
pub struct IssuedToken {
    pub id: i64,
    pub secret: String,
}

impl Accounts {
    /// Creates a token for `owner` with its audit row; the secret is returned once and
    /// only its hash is stored.
    pub async fn create_api_token(
        &self,
        owner: &User,
        request: TokenRequest,
        ip: impl Display,
    ) -> Result<IssuedToken, AccountError> {
        let request = request.check()?;
        let secret = format!("{PREFIX}{}", crypto::random_token());
        let hash = crypto::token_hash(&secret);
        let (owner, ip, now) = (owner.clone(), ip.to_string(), self.now());
        let id = self
            .db
            .transaction(move |conn| {
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
                Ok::<_, AccountError>(id)
            })
            .await?;
        Ok(IssuedToken { id, secret })
    }

    /// For the command line: a token for the account with this email.
    pub async fn create_api_token_for_email(
        &self,
        email: &str,
        request: TokenRequest,
    ) -> Result<IssuedToken, AccountError> {
        let email = Email::parse(email).map_err(|e| AccountError::invalid("email", e))?;
        let owner = self
            .db
            .run(move |conn| Ok::<_, AccountError>(users::find_by_email(conn, email.as_str())?))
            .await?
            .ok_or_else(|| AccountError::invalid("email", "No account has this email."))?;
        self.create_api_token(&owner, request, "cli").await
    }

    /// The owner's tokens, newest first.
    pub async fn api_tokens(&self, owner: &User) -> Result<Vec<ApiTokenRow>, AccountError> {
        let owner_id = owner.id;
        self.db
            .run(move |conn| Ok::<_, AccountError>(queries::list_for_user(conn, owner_id)?))
            .await
    }

    /// Deletes one of the owner's tokens; `NotFound` when it is not theirs.
    pub async fn revoke_api_token(
        &self,
        owner: &User,
        id: i64,
        ip: impl Display,
    ) -> Result<ApiTokenRow, AccountError> {
        let (owner, ip, now) = (owner.clone(), ip.to_string(), self.now());
        self.db
            .transaction(move |conn| {
                let token =
                    queries::delete_for_user(conn, owner.id, id)?.ok_or(AccountError::NotFound)?;
                AuditEntry::own(action::API_TOKEN_REVOKE, &owner, ip)
                    .detail(format!("token {:?}", token.name))
                    .write(conn, now)?;
                Ok(token)
            })
            .await
    }

    /// Deletes every token of the owner (one audit row); returns how many there were.
    pub async fn revoke_all_api_tokens(
        &self,
        owner: &User,
        ip: impl Display,
    ) -> Result<usize, AccountError> {
        let (owner, ip, now) = (owner.clone(), ip.to_string(), self.now());
        self.db
            .transaction(move |conn| {
                let revoked = queries::delete_all_for_user(conn, owner.id)?;
                if revoked > 0 {
                    AuditEntry::own(action::API_TOKEN_REVOKE, &owner, ip)
                        .detail(format!("all {revoked} tokens"))
                        .write(conn, now)?;
                }
                Ok(revoked)
            })
            .await
    }

    /// The token presented and its owner as they are now, if the token exists and has not
    /// expired (the caller checks that the owner is active). Records the use.
    pub async fn authenticate_api_token(
        &self,
        secret: &str,
    ) -> Result<Option<(ApiTokenRow, User)>, AccountError> {
        if !secret.starts_with(PREFIX) {
            return Ok(None);
        }
        let (hash, now) = (crypto::token_hash(secret), self.now());
        self.db
            .run(move |conn| {
                let found = queries::find_usable(conn, &hash, now)?;
                if let Some((token, _)) = &found
                    && token
                        .last_used_at
                        .is_none_or(|at| now - at >= TOUCH_INTERVAL)
                {
                    queries::touch(conn, token.id, now)?;
                }
                Ok::<_, AccountError>(found)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, days: &str) -> TokenRequest {
        TokenRequest {
            name: name.into(),
            expires_days: days.into(),
        }
    }

    #[test]
    fn a_token_needs_a_name_and_a_sensible_expiry() {
        assert!(request("deploy", "").check().is_ok());
        assert_eq!(
            request("deploy", " 30 ").check().ok().unwrap().expires_days,
            Some(30)
        );
        for (name, days, field) in [
            ("  ", "", "name"),
            ("x", "0", "expires_days"),
            ("x", "3651", "expires_days"),
            ("x", "soon", "expires_days"),
        ] {
            match request(name, days).check() {
                Err(AccountError::Invalid(errors)) => assert!(errors.get(field).is_some()),
                _ => panic!("{name:?} {days:?} was accepted"),
            }
        }
    }
}
