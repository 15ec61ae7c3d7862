use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use super::Email;

/// A string that never shows itself in `Debug` output or logs.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

/// A password that meets the policy, ready to be hashed.
#[derive(Debug, Clone)]
pub struct NewPassword(SecretString);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Use at least {min} characters.", min = NewPassword::MIN_BYTES)]
    TooShort,
    #[error(
        "Use at most {max} bytes (this one is {0} bytes; letters outside ASCII count as 2 to 4).",
        max = NewPassword::MAX_BYTES
    )]
    TooLong(usize),
    #[error("This password is too common; choose one that is harder to guess.")]
    Common,
    #[error("Your password must not be your email address.")]
    SameAsEmail,
    #[error("Use letters, digits, spaces and punctuation only.")]
    ControlCharacters,
}

/// The common-password list from Django (20,000 entries, public domain origin), bundled.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

impl NewPassword {
    pub const MIN_BYTES: usize = 8;
    /// bcrypt ignores everything past 72 bytes, so longer passwords are refused, not truncated.
    pub const MAX_BYTES: usize = 72;

    pub fn parse(raw: SecretString, email: Option<&Email>) -> Result<Self, PasswordError> {
        let value = raw.expose();
        let bytes = value.len();
        if value.chars().count() < Self::MIN_BYTES {
            return Err(PasswordError::TooShort);
        }
        if bytes > Self::MAX_BYTES {
            return Err(PasswordError::TooLong(bytes));
        }
        if value.chars().any(char::is_control) {
            return Err(PasswordError::ControlCharacters);
        }
        if COMMON_PASSWORDS.contains(value.to_lowercase().as_str()) {
            return Err(PasswordError::Common);
        }
        if email.is_some_and(|email| value.trim().eq_ignore_ascii_case(email.as_str())) {
            return Err(PasswordError::SameAsEmail);
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<NewPassword, PasswordError> {
        NewPassword::parse(
            SecretString::new(raw),
            Some(&Email::parse("ada@example.com").unwrap()),
        )
    }

    #[test]
    fn a_good_password_is_accepted() {
        assert!(parse("correct horse battery").is_ok());
    }

    #[test]
    fn a_password_under_8_characters_is_refused() {
        assert_eq!(parse("x7#kq2").unwrap_err(), PasswordError::TooShort);
    }

    #[test]
    fn a_password_over_72_bytes_is_refused_not_truncated() {
        assert!(parse(&"k".repeat(72)).is_ok());
        assert_eq!(
            parse(&"k".repeat(73)).unwrap_err(),
            PasswordError::TooLong(73)
        );
        // 25 three-byte characters: 25 characters but 75 bytes.
        assert_eq!(
            parse(&"€".repeat(25)).unwrap_err(),
            PasswordError::TooLong(75)
        );
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert_eq!(parse("password").unwrap_err(), PasswordError::Common);
        assert_eq!(parse("PassWord1").unwrap_err(), PasswordError::Common);
        assert_eq!(parse("qwertyuiop").unwrap_err(), PasswordError::Common);
    }

    #[test]
    fn the_email_address_is_not_a_password() {
        assert_eq!(
            parse("Ada@Example.com").unwrap_err(),
            PasswordError::SameAsEmail
        );
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            parse("correct\0horse battery").unwrap_err(),
            PasswordError::ControlCharacters
        );
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let shown = format!("{:?}", parse("correct horse battery").unwrap());
        assert!(!shown.contains("horse"), "{shown}");
    }
}
