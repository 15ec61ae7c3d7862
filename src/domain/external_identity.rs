//! What an external OpenID Connect provider vouched for at a sign-in, and the operator's
//! short name for a provider. Checked values only: the ID token behind them was verified
//! (by `oidc`) before one of these is made.

use std::fmt;

use super::{Email, UserName};

/// The operator's short name for a provider (`google`, `company`): 1 to 32 lower-case
/// letters, digits or `-`, so it fits a URL path and an environment variable's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderName(String);

impl ProviderName {
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if name.is_empty() || name.len() > Self::MAX_LEN || !name.chars().all(allowed) {
            return Err(format!(
                "{raw:?} is not a provider name: use 1 to {} lower-case letters, digits or -",
                Self::MAX_LEN
            ));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person as a provider described them in a verified ID token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExternalIdentity {
    /// The operator's short name for the provider.
    pub provider: String,
    /// The provider's display name ("Google"), for messages.
    pub provider_name: String,
    /// The provider's id for the person (`sub`): stable, unlike the email.
    pub subject: String,
    /// The email, when the provider shared one that is a valid address.
    pub email: Option<String>,
    /// Whether the provider says it checked that the person owns the email.
    pub email_verified: bool,
    /// The person's name, as the provider has it.
    pub name: Option<String>,
}

impl ExternalIdentity {
    /// The email as an [`Email`], when there is one and it is valid.
    pub fn email(&self) -> Option<Email> {
        self.email.as_deref().and_then(|e| Email::parse(e).ok())
    }

    /// The name a new account gets: the provider's, else the email's part before the `@`.
    pub fn account_name(&self) -> Option<UserName> {
        let from_email = || {
            let email = self.email.as_deref()?;
            UserName::parse(email.split('@').next()?).ok()
        };
        self.name
            .as_deref()
            .and_then(|name| UserName::parse(name).ok())
            .or_else(from_email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_name_fits_a_path_and_a_variable_name() {
        assert_eq!(
            ProviderName::parse("company-sso").unwrap().as_str(),
            "company-sso"
        );
        for bad in ["", "Google", "a b", "a/b", "x".repeat(33).as_str(), "é"] {
            assert!(ProviderName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_new_account_is_named_by_the_provider_or_by_its_email() {
        let mut identity = ExternalIdentity {
            provider: "p".into(),
            provider_name: "P".into(),
            subject: "1".into(),
            email: Some("ada@example.com".into()),
            email_verified: true,
            name: Some("Ada Lovelace".into()),
        };
        assert_eq!(identity.account_name().unwrap().as_str(), "Ada Lovelace");
        identity.name = Some("\u{0}".into());
        assert_eq!(identity.account_name().unwrap().as_str(), "ada");
    }
}
