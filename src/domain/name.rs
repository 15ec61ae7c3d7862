use std::fmt;

/// The rule every name shares: trimmed, 1 to `max` characters, no control characters;
/// `missing` is what an empty one is told.
fn short_name(raw: &str, max: usize, missing: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(missing.into());
    }
    if name.chars().count() > max {
        return Err(format!("Use at most {max} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("Use letters, digits, spaces and punctuation only.".into());
    }
    Ok(name.to_string())
}

/// A person's display name: 1 to 100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, String> {
        short_name(raw, Self::MAX_LEN, "Enter your name.").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::UserName;

    #[test]
    fn a_name_is_trimmed() {
        assert_eq!(
            UserName::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
    }

    #[test]
    fn empty_long_and_control_character_names_are_refused() {
        assert!(UserName::parse("   ").is_err());
        assert!(UserName::parse(&"é".repeat(101)).is_err());
        assert!(UserName::parse(&"é".repeat(100)).is_ok());
        assert!(UserName::parse("Ada\u{0}").is_err());
    }
}

/// What a person calls one of their passkeys ("Laptop", "Blue key"): 1 to 60 characters
/// after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub const MAX_LEN: usize = 60;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let missing = "Give the passkey a name, such as the device it is on.";
        short_name(raw, Self::MAX_LEN, missing).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod passkey_name_tests {
    use super::PasskeyName;

    #[test]
    fn a_passkey_name_is_trimmed_short_and_printable() {
        assert_eq!(PasskeyName::parse(" Laptop ").unwrap().as_str(), "Laptop");
        assert!(PasskeyName::parse("").is_err());
        assert!(PasskeyName::parse(&"k".repeat(61)).is_err());
        assert!(PasskeyName::parse("Key\u{7}").is_err());
    }
}
