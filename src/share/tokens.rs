//! Read-only share tokens: one per incident, at least 128 bits of randomness (we use 192, so
//! the `warroom follow` line stays short enough to copy from one terminal row),
//! shown once to the leader and stored only as its SHA-256 where the store keeps share records
//! (`crate::journal::Shares`: `<incident>/share.json` in a data directory, a row of
//! `warroom_shares` in PostgreSQL), so a copied data directory or database gives no one access. Rotating replaces it; revoking removes it.
//! Checks compare digests in constant time.

use crate::journal::Shares;
use crate::journal::shares::{load_in, remove_in, save_in};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

pub use crate::journal::ShareRecord;

/// A new random token: 24 bytes from the kernel, as 32 characters of URL-safe base64.
pub fn new_token() -> std::io::Result<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let mut out = String::with_capacity(32);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
        }
    }
    Ok(out)
}

pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The share record in incident directory `incident_dir` of a data directory (see
/// [`Shares::load`]).
pub fn load(incident_dir: &Path) -> std::io::Result<Option<ShareRecord>> {
    load_in(incident_dir)
}

/// A new token and the record that keeps it (its digest only).
fn mint(by: &str, now: DateTime<Utc>) -> std::io::Result<(String, ShareRecord)> {
    let token = new_token()?;
    let record = ShareRecord {
        token_sha256: hex(&digest(&token)),
        created_at: now,
        created_by: by.to_string(),
    };
    Ok((token, record))
}

/// Issues a token (replacing any previous one) in incident directory `incident_dir` and
/// returns it: the only time it is seen.
pub fn issue(incident_dir: &Path, by: &str, now: DateTime<Utc>) -> std::io::Result<String> {
    let (token, record) = mint(by, now)?;
    save_in(incident_dir, &record)?;
    Ok(token)
}

/// The same where the store keeps share records (`Store::shares`).
pub fn issue_to(
    shares: &dyn Shares,
    id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let (token, record) = mint(by, now).map_err(|e| format!("no random token: {e}"))?;
    shares.save(id, &record).map_err(|e| e.to_string())?;
    Ok(token)
}

/// Revokes sharing in incident directory `incident_dir`; returns whether a token existed.
pub fn revoke(incident_dir: &Path) -> std::io::Result<bool> {
    remove_in(incident_dir)
}

/// True when `token` is the incident's current share token.
pub fn accepts(record: &ShareRecord, token: &str) -> bool {
    let want: Vec<u8> = (0..record.token_sha256.len() / 2)
        .filter_map(|i| u8::from_str_radix(record.token_sha256.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    constant_time_eq(&want, &digest(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    const FILE: &str = "share.json";

    #[test]
    fn a_token_is_kept_only_as_its_digest_and_rotation_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let t1 = issue(dir.path(), "alice", Utc::now()).unwrap();
        assert_eq!(t1.len(), 32);
        assert!(
            t1.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let stored = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(!stored.contains(&t1));
        let r = load(dir.path()).unwrap().unwrap();
        assert!(accepts(&r, &t1));
        assert!(!accepts(&r, "nope"));
        let t2 = issue(dir.path(), "alice", Utc::now()).unwrap();
        assert_ne!(t1, t2);
        let r = load(dir.path()).unwrap().unwrap();
        assert!(!accepts(&r, &t1));
        assert!(accepts(&r, &t2));
        assert!(revoke(dir.path()).unwrap());
        assert!(load(dir.path()).unwrap().is_none());
        assert!(!revoke(dir.path()).unwrap());
    }

    #[test]
    fn a_record_that_cannot_be_read_is_an_error_not_unshared() {
        let dir = tempfile::tempdir().unwrap();
        issue(dir.path(), "alice", Utc::now()).unwrap();
        // A share.json that reads as an error (here a directory in its place).
        std::fs::remove_file(dir.path().join(FILE)).unwrap();
        std::fs::create_dir(dir.path().join(FILE)).unwrap();
        assert!(load(dir.path()).is_err());
        std::fs::remove_dir(dir.path().join(FILE)).unwrap();
        std::fs::write(dir.path().join(FILE), "{\"token_sha").unwrap();
        assert!(load(dir.path()).is_err());
    }
}
