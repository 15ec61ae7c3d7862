use std::fmt;

/// An email address, trimmed and lower-cased, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter your email address.".into());
        }
        if email.chars().count() > Self::MAX_LEN {
            return Err(format!("Use at most {} characters.", Self::MAX_LEN));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("Enter an email address like name@example.com.".into());
        };
        let well_formed = !local.is_empty()
            && !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !local.contains('@')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return Err("Enter an email address like name@example.com.".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "   ",
            "ada",
            "@example.com",
            "ada@",
            "a b@example.com",
            "ada@@x.org",
            "ada@.x",
            "ada@x..org",
            "ada@x.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn an_email_longer_than_254_characters_is_refused() {
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.len(), 255);
        assert!(Email::parse(&long).is_err());
        assert!(Email::parse(&long[1..]).is_ok());
    }
}
