//! The key that signs and encrypts cookies: given as hex, or generated once into a file
//! readable only by its owner.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// At least 64 bytes of key material.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    pub const MIN_BYTES: usize = 64;

    pub fn from_hex(hex: &str) -> Result<Self, String> {
        let bytes = hex::decode(hex.trim()).map_err(|_| "must be hexadecimal".to_string())?;
        if bytes.len() < Self::MIN_BYTES {
            return Err(format!(
                "must be at least {} bytes ({} hex characters); got {} bytes",
                Self::MIN_BYTES,
                Self::MIN_BYTES * 2,
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = vec![0u8; Self::MIN_BYTES];
        rand::fill(bytes.as_mut_slice());
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Reads the key file, or creates it (mode 0600) with a new random key.
pub fn load_or_create_secret_key(path: &Path) -> anyhow::Result<SecretKey> {
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the secret key file {}", path.display()))?;
        return SecretKey::from_hex(&text)
            .map_err(|reason| anyhow::anyhow!("{}: {reason}", path.display()));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    let key = SecretKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create the secret key file {}", path.display()))?;
    writeln!(file, "{}", hex::encode(key.as_bytes()))?;
    log::info!("generated a new secret key in {}", path.display());
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_or_non_hex_key_is_refused() {
        assert!(SecretKey::from_hex("zz").is_err());
        assert!(SecretKey::from_hex(&"ab".repeat(63)).is_err());
        assert!(SecretKey::from_hex(&"ab".repeat(64)).is_ok());
    }

    #[test]
    fn the_key_file_is_created_once_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/secret.key");
        let first = load_or_create_secret_key(&path).unwrap();
        let second = load_or_create_secret_key(&path).unwrap();
        assert_eq!(first.as_bytes(), second.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
