//! Read-only share tokens: one per incident, at least 128 bits of randomness (we use 192, so
//! the `warroom follow` line stays short enough to copy from one terminal row),
//! shown once to the leader and stored only as its SHA-256 in `<incident>/share.json`, so a
//! copied data directory gives no one access. Rotating replaces it; revoking removes it.
//! Checks compare digests in constant time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

const FILE: &str = "share.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    /// Hex SHA-256 of the token.
    pub token_sha256: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

fn path(incident_dir: &Path) -> PathBuf {
    incident_dir.join(FILE)
}

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

/// The current share record of an incident: `Ok(None)` only when it is not shared (no
/// record). A record that cannot be read (out of file descriptors, a permission, a damaged
/// file) is an error, never "not shared": callers keep what they knew and try again.
pub fn load(incident_dir: &Path) -> std::io::Result<Option<ShareRecord>> {
    let file = path(incident_dir);
    let text = match std::fs::read(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    serde_json::from_slice(&text).map(Some).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}", file.display()),
        )
    })
}

/// Issues a token (replacing any previous one) and returns it: the only time it is seen.
pub fn issue(incident_dir: &Path, by: &str, now: DateTime<Utc>) -> std::io::Result<String> {
    let token = new_token()?;
    let record = ShareRecord {
        token_sha256: hex(&digest(&token)),
        created_at: now,
        created_by: by.to_string(),
    };
    // With a shared store the journal is elsewhere: the record's directory may be new here.
    std::fs::create_dir_all(incident_dir)?;
    let target = path(incident_dir);
    let tmp = incident_dir.join(format!("{FILE}.tmp"));
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, &target)?;
    Ok(token)
}

/// Revokes sharing; returns whether a token existed.
pub fn revoke(incident_dir: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(path(incident_dir)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
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
