//! What a person types at the second step of a login: a 6-digit code from an authenticator
//! app, or one of their recovery codes. Spaces and dashes are ignored, so `123 456` and
//! `abcd-efgh-jkmn` are read as they are shown.

/// The letters and digits of recovery codes: no `0 o 1 l i`, which people misread.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const RECOVERY_LEN: usize = 12;

/// A second-step code as typed, read as one of the two kinds.
#[derive(Clone, PartialEq, Eq)]
pub enum SecondFactorCode {
    /// Six digits from the authenticator app.
    Totp(String),
    /// A recovery code, lower-cased, without its dashes.
    Recovery(String),
}

impl std::fmt::Debug for SecondFactorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "Totp(***)",
            Self::Recovery(_) => "Recovery(***)",
        })
    }
}

impl SecondFactorCode {
    pub const MISSING: &'static str = "Enter the 6-digit code from your authenticator app.";
    pub const MALFORMED: &'static str =
        "Enter the 6 digits your authenticator app shows, or one of your recovery codes.";

    pub fn parse(typed: &str) -> Result<Self, &'static str> {
        let compact: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_lowercase();
        if compact.is_empty() {
            return Err(Self::MISSING);
        }
        if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Self::Totp(compact));
        }
        if compact.len() == RECOVERY_LEN && compact.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
        {
            return Ok(Self::Recovery(compact));
        }
        Err(Self::MALFORMED)
    }
}

/// A new recovery code (about 59 random bits), as shown: `abcd-efgh-jkmn`.
pub fn new_recovery_code() -> String {
    let mut bytes = [0u8; RECOVERY_LEN];
    rand::fill(&mut bytes);
    let letters: Vec<char> = bytes
        .iter()
        .map(|b| RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()] as char)
        .collect();
    letters
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_an_app_code_with_or_without_a_space() {
        assert_eq!(
            SecondFactorCode::parse(" 123 456 "),
            Ok(SecondFactorCode::Totp("123456".into()))
        );
        assert_eq!(SecondFactorCode::parse(""), Err(SecondFactorCode::MISSING));
        assert_eq!(
            SecondFactorCode::parse("12345"),
            Err(SecondFactorCode::MALFORMED)
        );
        assert_eq!(
            SecondFactorCode::parse("12345a"),
            Err(SecondFactorCode::MALFORMED)
        );
        assert_eq!(
            SecondFactorCode::parse("123\u{0}456"),
            Err(SecondFactorCode::MALFORMED)
        );
    }

    #[test]
    fn recovery_codes_are_read_as_shown_in_any_case() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2);
        let compact = code.replace('-', "");
        assert_eq!(
            SecondFactorCode::parse(&code.to_uppercase()),
            Ok(SecondFactorCode::Recovery(compact))
        );
        assert_ne!(new_recovery_code(), new_recovery_code());
    }
}
