//! Small, well-understood primitives: random tokens, SHA-256 of tokens for storage, and a
//! constant-time comparison. Password hashing lives in `auth::password_hasher`.

use sha2::{Digest, Sha256};

/// 256 random bits from the OS-seeded CSPRNG, as 64 hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// 128 random bits as 32 hex characters: for ids that are shown, never secrets.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// True for what [`random_id`] makes (anything else names nothing, unseen by the database).
pub fn is_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// How tokens are stored: a database leak does not give working links or cookies.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_long_enough() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(random_id().len(), 32);
        assert!(is_id(&random_id()) && !is_id("a\0b") && !is_id(&a));
    }

    #[test]
    fn token_hashes_are_stable_and_differ_from_the_token() {
        assert_eq!(token_hash("abc"), token_hash("abc"));
        assert_ne!(token_hash("abc"), "abc");
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same-longer"));
    }
}
