use std::fmt;

/// What an admin searches the user list for (pages and API alike): a substring of an email
/// or a name, trimmed, at most 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm(String);

impl SearchTerm {
    pub const MAX_LEN: usize = 200;

    /// `Ok(None)` for an empty search (list everyone).
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let term = raw.trim();
        if term.chars().count() > Self::MAX_LEN || term.chars().any(char::is_control) {
            return Err(format!(
                "Search for at most {} characters, without control characters.",
                Self::MAX_LEN
            ));
        }
        Ok((!term.is_empty()).then(|| Self(term.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SearchTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::SearchTerm;

    #[test]
    fn a_search_is_trimmed_and_an_empty_one_is_none() {
        assert_eq!(
            SearchTerm::parse("  ada ").unwrap().unwrap().as_str(),
            "ada"
        );
        assert_eq!(SearchTerm::parse("   ").unwrap(), None);
    }

    #[test]
    fn long_searches_and_control_characters_are_refused() {
        assert!(SearchTerm::parse(&"é".repeat(200)).unwrap().is_some());
        assert!(SearchTerm::parse(&"é".repeat(201)).is_err());
        assert!(SearchTerm::parse("a\u{0}b").is_err());
    }
}
