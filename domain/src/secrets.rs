//! 安装密钥 secrets of this installation, kept outside the database. Used
//! to key hashes of personal data (phone numbers behind hotline work
//! orders): without the key a hash cannot be reversed by trying every
//! number.
use std::io::Write;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::Services;
use crate::error::{DomainError, DomainResult};

/// The key for hashing residents' phone numbers: `resident_key` from the
/// configuration (every instance must share it), else a key file
/// `resident.key` in the data directory, made (32 random bytes, hex, mode
/// 0600) on first use. Never in the database: a dump of the database alone
/// does not let anyone try every number against the hashes.
pub(crate) fn resident_key(s: &Services) -> DomainResult<String> {
    if let Some(k) = s.settings.resident_key.as_deref().map(str::trim)
        && !k.is_empty()
    {
        if k.len() < 16 {
            return Err(DomainError::Internal(
                "resident_key is shorter than 16 characters".into(),
            ));
        }
        return Ok(k.to_owned());
    }
    let path = s.settings.data_dir.join("resident.key");
    let io = |e: std::io::Error| DomainError::Internal(format!("{}: {e}", path.display()));
    if let Ok(k) = std::fs::read_to_string(&path) {
        let k = k.trim().to_owned();
        if k.len() >= 32 {
            return Ok(k);
        }
        return Err(DomainError::Internal(format!(
            "{}: key too short",
            path.display()
        )));
    }
    std::fs::create_dir_all(&s.settings.data_dir).map_err(io)?;
    let mut fresh = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    let key = hex::encode(fresh);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut f) => {
            f.write_all(key.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
            Ok(key)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)
                .map_err(io)?
                .trim()
                .to_owned())
        }
        Err(e) => Err(io(e)),
    }
}

/// A keyed hash (HMAC-SHA-256) of `data`, hex, first 32 characters.
pub(crate) fn keyed_hash(secret: &str, data: &str) -> String {
    let key = Sha256::digest(secret.as_bytes());
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, b) in key.iter().enumerate() {
        ipad[i] ^= b;
        opad[i] ^= b;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(data.as_bytes())
        .finalize();
    let outer = Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize();
    hex::encode(outer)[..32].to_owned()
}

/// A fresh secret for a link (48 hex characters, 192 random bits): a
/// meeting's personal join link, an e-mail confirmation.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is kept of a link's secret: its SHA-256, in hex.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_the_secret() {
        let a = keyed_hash("one", "13800000001");
        assert_eq!(a, keyed_hash("one", "13800000001"));
        assert_ne!(a, keyed_hash("two", "13800000001"));
        assert_ne!(a, keyed_hash("one", "13800000002"));
        assert_eq!(a.len(), 32);
        // RFC 4231 test case 2 (key "Jefe" is hashed first here, so only the
        // shape is checked against a plain SHA-256 of the data).
        assert_ne!(a, hex::encode(Sha256::digest(b"13800000001"))[..32]);
    }
}
