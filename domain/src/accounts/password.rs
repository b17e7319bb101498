use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{DomainError, DomainResult};

/// A password that meets the rules: 8–128 characters, not one repeated character.
/// Never `Debug`-printed or serialised.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> DomainResult<Self> {
        let n = raw.chars().count();
        if n < 8 {
            return Err(DomainError::validation("password", "too_short"));
        }
        if n > 128 {
            return Err(DomainError::validation("password", "too_long"));
        }
        let first = raw.chars().next();
        if raw.chars().all(|c| Some(c) == first) {
            return Err(DomainError::validation("password", "too_simple"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's baseline), on a blocking thread.
    pub async fn hash(self) -> DomainResult<String> {
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            hasher()
                .hash_password(self.0.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| DomainError::Internal(format!("hash: {e}")))
        })
        .await
        .map_err(|e| DomainError::Internal(format!("join: {e}")))?
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks `candidate` against a stored hash on a blocking thread. With no
/// stored hash it still spends the same time, so timing does not reveal
/// whether an account exists.
pub(crate) async fn verify(candidate: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.with(|h| h.clone()));
        match PasswordHash::new(&stored) {
            Ok(parsed) => hasher()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false)
}

thread_local! {
    static DUMMY_HASH: String = {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        hasher().hash_password(b"not-a-real-password", &salt).map(|h| h.to_string()).unwrap_or_default()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("aaaaaaaaaa").is_err());
        assert!(Password::parse(&"ab".repeat(65)).is_err());
        assert!(Password::parse("hongcha-2026").is_ok());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = Password::parse("hongcha-2026")
            .unwrap()
            .hash()
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("hongcha-2026".into(), Some(h.clone())).await);
        assert!(!verify("hongcha-2027".into(), Some(h)).await);
        assert!(!verify("x".into(), None).await);
    }
}
