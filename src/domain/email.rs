use std::fmt;

/// An email address, trimmed and lower-cased, at most 254 characters: a plain address
/// (RFC 5322's addr-spec in its dot-atom form: `local@domain`), never a display name
/// (`Name <addr>`), a quoted local part or a comment, so the address stored is the address
/// mail goes to.
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
        if !is_addr_spec(&email) {
            return Err("Enter an email address like name@example.com.".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `local@domain`: a dot-atom local part and a domain of dot-separated labels.
fn is_addr_spec(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    is_dot_atom(local, is_atext)
        && domain.len() <= 253
        && is_dot_atom(domain, is_label_char)
        && domain.split('.').all(|label| {
            label.chars().count() <= 63 && !label.starts_with('-') && !label.ends_with('-')
        })
}

/// Non-empty parts between single dots, each made of `allowed` characters.
fn is_dot_atom(text: &str, allowed: fn(char) -> bool) -> bool {
    text.split('.')
        .all(|part| !part.is_empty() && part.chars().all(allowed))
}

/// RFC 5322 `atext`, and letters and digits beyond ASCII (RFC 6531).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Letters, digits and hyphens, in any script (internationalised domain names).
fn is_label_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-'
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
            "ceo.name<attacker@evil.io>",
            "Ada <ada@example.com>",
            "\"ada\"@example.com",
            "ada(comment)@example.com",
            "ada@example.com>",
            "ada@[127.0.0.1]",
            "ada..king@example.com",
            ".ada@example.com",
            "ada@-example.com",
            "ada@exa_mple.com",
            "a;b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn plain_addresses_of_every_usual_shape_are_accepted() {
        for good in [
            "ada@example.com",
            "ada.king+tag@mail.example.co.uk",
            "o'neil@example.ie",
            "root@localhost",
            "user_1@sub-domain.example.org",
            "jörg@bücher.example",
        ] {
            assert!(Email::parse(good).is_ok(), "{good:?} was refused");
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
