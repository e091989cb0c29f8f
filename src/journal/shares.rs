//! Share records (a share token's SHA-256, who issued it and when), kept where the incidents
//! are: beside each journal in the data directory (`<incident>/share.json`), or in a table of
//! the shared database, so a token issued on one machine is honoured by the share server of
//! another. Only the digest is ever stored, so a copy of the data directory or the database
//! gives no one access. [`Shares`] is the seam; `Store::shares` picks the one of its store.

use super::JournalError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// An incident's current share token, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    /// Hex SHA-256 of the token.
    pub token_sha256: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// Where share records are kept.
pub trait Shares: Send + Sync + std::fmt::Debug {
    /// The incident's share record: `Ok(None)` only when it is not shared. A record that
    /// cannot be read (out of file descriptors, a permission, a damaged record, the store out
    /// of reach) is an error, never "not shared": callers keep what they knew and try again.
    fn load(&self, id: &str) -> Result<Option<ShareRecord>, JournalError>;
    /// Keeps `record` as the incident's, replacing any other.
    fn save(&self, id: &str, record: &ShareRecord) -> Result<(), JournalError>;
    /// Removes the incident's record; whether there was one.
    fn remove(&self, id: &str) -> Result<bool, JournalError>;
}

const FILE: &str = "share.json";

/// Share records in a data directory: `<incidents>/<ID>/share.json`.
#[derive(Debug, Clone)]
pub struct FileShares {
    incidents: PathBuf,
}

impl FileShares {
    pub fn new(incidents_dir: PathBuf) -> FileShares {
        FileShares {
            incidents: incidents_dir,
        }
    }
}

fn io(dir: &Path, e: std::io::Error) -> JournalError {
    JournalError::Store(format!("{}: {e}", dir.join(FILE).display()))
}

impl Shares for FileShares {
    fn load(&self, id: &str) -> Result<Option<ShareRecord>, JournalError> {
        let dir = self.incidents.join(id);
        load_in(&dir).map_err(|e| io(&dir, e))
    }
    fn save(&self, id: &str, record: &ShareRecord) -> Result<(), JournalError> {
        let dir = self.incidents.join(id);
        save_in(&dir, record).map_err(|e| io(&dir, e))
    }
    fn remove(&self, id: &str) -> Result<bool, JournalError> {
        let dir = self.incidents.join(id);
        remove_in(&dir).map_err(|e| io(&dir, e))
    }
}

/// The record in incident directory `dir` (see [`Shares::load`]).
pub fn load_in(dir: &Path) -> std::io::Result<Option<ShareRecord>> {
    let file = dir.join(FILE);
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

/// Writes the record in incident directory `dir`: a temporary file renamed over the old one.
pub fn save_in(dir: &Path, record: &ShareRecord) -> std::io::Result<()> {
    // With a share record kept apart from its journal, the directory may be new here.
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(record).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, dir.join(FILE))
}

/// Removes the record in incident directory `dir`; whether there was one.
pub fn remove_in(dir: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(dir.join(FILE)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}
