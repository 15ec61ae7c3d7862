//! Account operations — registration, login, profile and password changes, sessions,
//! first-admin setup — written once and called by the page handlers (and later by the
//! admin area and the API). Each rule lives here, not in a handler.

pub mod admin;
pub mod api_tokens;
pub mod email_verification;
pub mod login;
pub mod password_reset;
pub mod profile;
pub mod registration;
pub mod sessions;
pub mod setup;

use crate::errors::AppError;
use crate::web::FormErrors;

/// Why an account operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The input breaks a rule; each message belongs to a field.
    #[error("the input is not valid")]
    Invalid(FormErrors),
    /// Another account already has this email.
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    App(#[from] AppError),
}

impl AccountError {
    /// The field errors to show on a form (a taken email is an `email` field error).
    pub fn into_form_errors(self) -> Result<FormErrors, AppError> {
        match self {
            Self::Invalid(errors) => Ok(errors),
            Self::EmailTaken => Ok(FormErrors::single(
                "email",
                "An account with this email already exists.",
            )),
            Self::App(error) => Err(error),
        }
    }
}

impl From<diesel::result::Error> for AccountError {
    fn from(error: diesel::result::Error) -> Self {
        if crate::errors::is_unique_violation(&error) {
            Self::EmailTaken
        } else {
            Self::App(error.into())
        }
    }
}

/// Stops with the collected field errors, if any.
pub(crate) fn ensure_valid(errors: FormErrors) -> Result<(), AccountError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AccountError::Invalid(errors))
    }
}

/// Checks a new password for `user` (policy, and typed the same twice) on top of the
/// errors found so far; all of them are reported together.
pub(crate) fn new_password(
    mut errors: FormErrors,
    user: &crate::db::models::User,
    password: &crate::domain::SecretString,
    confirm: &crate::domain::SecretString,
) -> Result<crate::domain::NewPassword, AccountError> {
    let email = crate::domain::Email::parse(&user.email).ok();
    let parsed = errors.check(
        "new_password",
        crate::domain::NewPassword::parse(password.clone(), email.as_ref()),
    );
    if parsed.is_some() && password.expose() != confirm.expose() {
        errors.add("new_password_confirm", "The two passwords do not match.");
    }
    ensure_valid(errors)?;
    parsed.ok_or_else(|| {
        AccountError::App(AppError::internal("validation passed without a password"))
    })
}

/// The active account a usable one-time link of `purpose` belongs to; anything else is an
/// expired link (410), whatever the reason, so a link tells nobody more than that.
pub(crate) async fn account_for_link(
    state: &crate::state::AppState,
    purpose: &'static str,
    token: &str,
) -> Result<crate::db::models::User, AppError> {
    use crate::db::{tokens, users};
    let (hash, now) = (crate::crypto::token_hash(token), state.clock.now());
    state
        .db
        .run(move |conn| {
            let token =
                tokens::find_usable(conn, purpose, &hash, now)?.ok_or(AppError::LinkExpired)?;
            let user = token
                .user_id
                .map(|id| users::find_by_id(conn, id))
                .transpose()?
                .flatten();
            user.filter(|user| user.active).ok_or(AppError::LinkExpired)
        })
        .await
}
