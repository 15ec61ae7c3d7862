//! Small, well-understood primitives: random tokens, SHA-256 of tokens for storage, a
//! constant-time comparison, and [`Sealer`], which encrypts secrets kept at rest. Password
//! hashing lives in `accounts::password_hasher`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
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

/// Encrypts secrets the server must read back (authenticator secrets) with
/// XChaCha20-Poly1305, under a key derived (HKDF-SHA256) from the site's secret key for this
/// one purpose. Each sealed value is bound to what it belongs to (`context`, e.g. the account
/// id): moved to another row, it no longer opens.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

/// A sealed value that cannot be opened: another key, another context, or tampered with.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret could not be opened (was the secret key changed?)")]
pub struct Unsealable;

impl Sealer {
    const VERSION: &'static str = "v1";

    /// The sealer for `purpose`, keyed from `secret_key` (the site's secret key).
    pub fn new(secret_key: &[u8], purpose: &str) -> Self {
        let mut key = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(None, secret_key)
            .expand(format!("gatehouse sealer: {purpose}").as_bytes(), &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// `v1:` and the hex of a random 24-byte nonce followed by the ciphertext.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let mut nonce = [0u8; 24];
        rand::fill(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("encrypting into memory cannot fail");
        format!(
            "{}:{}{}",
            Self::VERSION,
            hex::encode(nonce),
            hex::encode(sealed)
        )
    }

    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, Unsealable> {
        let hex_part = sealed
            .strip_prefix(Self::VERSION)
            .and_then(|rest| rest.strip_prefix(':'))
            .ok_or(Unsealable)?;
        let bytes = hex::decode(hex_part).map_err(|_| Unsealable)?;
        if bytes.len() < 24 {
            return Err(Unsealable);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let payload = Payload {
            msg: ciphertext,
            aad: context,
        };
        self.cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let sealer = Sealer::new(&[7; 64], "totp");
        let sealed = sealer.seal(b"top secret", b"42");
        assert!(!sealed.contains(&hex::encode(b"top secret")));
        assert_ne!(
            sealed,
            sealer.seal(b"top secret", b"42"),
            "a fresh nonce each time"
        );
        assert_eq!(sealer.open(&sealed, b"42").unwrap(), b"top secret");
        assert!(sealer.open(&sealed, b"43").is_err(), "another account");
        assert!(
            Sealer::new(&[8; 64], "totp").open(&sealed, b"42").is_err(),
            "another key"
        );
        assert!(
            Sealer::new(&[7; 64], "other").open(&sealed, b"42").is_err(),
            "another purpose"
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('0');
        assert!(sealer.open(&tampered, b"42").is_err() || tampered == sealed);
        assert!(sealer.open("v1:zz", b"42").is_err());
    }

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
