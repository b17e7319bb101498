//! 安装密钥 secrets of this installation, made on first use and kept in the
//! database (`install_secret`), so every instance on one database shares
//! them. Used to key hashes of personal data (phone numbers behind hotline
//! work orders): without the secret a hash cannot be reversed by trying
//! every number.
use rand::RngCore;
use sea_orm::{ConnectionTrait, Statement, Value};
use sha2::{Digest, Sha256};

use crate::error::{DomainError, DomainResult};

/// The secret named `name`, made (32 random bytes, hex) if missing.
pub(crate) async fn get<C: ConnectionTrait>(conn: &C, name: &str) -> DomainResult<String> {
    let backend = conn.get_database_backend();
    let mut fresh = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => {
                "INSERT INTO install_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
            }
            _ => "INSERT INTO install_secret (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        },
        [Value::from(name), Value::from(hex::encode(fresh))],
    ))
    .await?;
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => "SELECT value FROM install_secret WHERE name = $1",
                _ => "SELECT value FROM install_secret WHERE name = ?",
            },
            [Value::from(name)],
        ))
        .await?
        .ok_or_else(|| DomainError::Internal("install secret missing".into()))?;
    Ok(row.try_get("", "value")?)
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
