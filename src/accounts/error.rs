//! Why a use case did not happen: [`AccountError`], and [`FieldErrors`] for input that
//! breaks a rule. Nothing here knows about statuses or pages; `errors` turns these into an
//! HTML page and `errors::api` into JSON, each in one place.

use std::fmt::Display;

use crate::db::DbError;

/// What went wrong in an account use case.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The input breaks a rule; each message belongs to a field of the command.
    #[error("the input is not valid")]
    Invalid(FieldErrors),
    /// Another account already has this email.
    #[error("An account with this email already exists.")]
    EmailTaken,
    /// No such account (or token, or session) — or not one the caller may see.
    #[error("not found")]
    NotFound,
    /// A one-time link that was used, expired or never existed.
    #[error("This link has expired or was already used. Ask for a new one.")]
    LinkExpired,
    /// Wrong email, wrong password or a disabled account: one message for all.
    #[error("The email or password is incorrect.")]
    LoginRefused,
    /// Too many failed logins: password login is locked, even with the right password.
    #[error("Too many failed logins: this account is locked. Try again in {} minutes.", minutes(*retry_after))]
    Locked { retry_after: u64 },
    /// Self-service sign-up is closed (`GATEHOUSE_SIGNUP=invite-only`).
    #[error("This site is open by invitation only: ask an administrator to invite you.")]
    SignUpClosed,
    /// The password hashing queue is full; the caller may try again in a moment.
    #[error("The server is busy; try again in a moment.")]
    Busy,
    /// A fault of ours (the database, a thread): never shown beyond "something went wrong".
    #[error(transparent)]
    Internal(anyhow::Error),
}

fn minutes(seconds: u64) -> u64 {
    seconds.div_ceil(60)
}

impl AccountError {
    pub fn internal(message: impl Display) -> Self {
        Self::Internal(anyhow::anyhow!("{message}"))
    }

    /// One invalid field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors::single(field, message))
    }
}

impl From<DbError> for AccountError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Query(error) => error.into(),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Inside a use case's transaction: the only unique index a person's input can collide
/// with is the users' email, so a unique violation means the email was taken meanwhile.
impl From<diesel::result::Error> for AccountError {
    fn from(error: diesel::result::Error) -> Self {
        if DbError::is_unique_violation(&error) {
            Self::EmailTaken
        } else {
            Self::Internal(anyhow::Error::new(error).context("database query failed"))
        }
    }
}

/// Messages per field of a command, in the order found; the first message of a field wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    errors: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldErrors {
    pub fn single(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.errors.push(FieldError {
                field,
                message: message.into(),
            });
        }
    }

    /// Records the error of a parse result under `field` and returns the value, if any.
    pub fn check<T, E: Display>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(field, e.to_string())).ok()
    }

    /// The checked values, or every error found: the one way validation ends. A value is
    /// `None` only where [`FieldErrors::check`] recorded why, so no value can be missing
    /// without a message.
    pub fn finish<V: Checked>(self, values: V) -> Result<V::Values, AccountError> {
        match values.all_present() {
            Some(values) if self.is_empty() => Ok(values),
            _ => Err(AccountError::Invalid(self)),
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.errors.iter()
    }

    /// The same messages under another field name (a form whose input has another name).
    pub fn renamed(mut self, from: &str, to: &'static str) -> Self {
        for error in &mut self.errors {
            if error.field == from {
                error.field = to;
            }
        }
        self
    }
}

/// Values that came out of [`FieldErrors::check`]: one `Option`, or a tuple of them.
pub trait Checked {
    type Values;
    fn all_present(self) -> Option<Self::Values>;
}

impl<A> Checked for Option<A> {
    type Values = A;
    fn all_present(self) -> Option<A> {
        self
    }
}

macro_rules! checked_tuple {
    ($($name:ident),+) => {
        impl<$($name),+> Checked for ($(Option<$name>,)+) {
            type Values = ($($name,)+);
            #[allow(non_snake_case)]
            fn all_present(self) -> Option<Self::Values> {
                let ($($name,)+) = self;
                Some(($($name?,)+))
            }
        }
    };
}

checked_tuple!(A, B);
checked_tuple!(A, B, C);
checked_tuple!(A, B, C, D);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_of_a_field_is_kept() {
        let mut errors = FieldErrors::default();
        errors.add("email", "first");
        errors.add("email", "second");
        assert_eq!(errors.get("email"), Some("first"));
        assert_eq!(errors.iter().count(), 1);
    }

    #[test]
    fn finishing_gives_every_value_or_every_error() {
        let mut errors = FieldErrors::default();
        let a = errors.check("a", Ok::<_, String>(1));
        let b = errors.check("b", Ok::<_, String>("two"));
        assert_eq!(errors.finish((a, b)).ok(), Some((1, "two")));

        let mut errors = FieldErrors::default();
        let a = errors.check("a", Err::<i32, _>("bad a"));
        let b = errors.check("b", Err::<i32, _>("bad b"));
        match errors.finish((a, b)) {
            Err(AccountError::Invalid(errors)) => {
                assert_eq!(errors.get("a"), Some("bad a"));
                assert_eq!(errors.get("b"), Some("bad b"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_renamed_field_keeps_its_message() {
        let errors =
            FieldErrors::single("password", "too short").renamed("password", "new_password");
        assert_eq!(errors.get("new_password"), Some("too short"));
        assert_eq!(errors.get("password"), None);
    }
}
