//! Leading an incident: a long-held advisory lock on `journal.lock` that records who holds it,
//! so a second console is refused with a message naming the holder. The operating system
//! releases it when the holder dies, so a crash never leaves an incident locked.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Who leads an incident: shown to anyone else who tries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub user: String,
    pub pid: u32,
    pub host: String,
    pub since: DateTime<Utc>,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (pid {} on {}, since {})",
            self.user,
            self.pid,
            self.host,
            self.since.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }
}

/// Held while a console leads an incident; released on drop or process exit.
#[derive(Debug)]
pub struct LeaderLock {
    file: File,
}

pub(crate) enum Acquire {
    Held(LeaderLock),
    Busy(LockHolder),
}

impl LeaderLock {
    pub(crate) fn acquire(path: &Path, user: &str, now: DateTime<Utc>) -> std::io::Result<Acquire> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => {
                let me = LockHolder {
                    user: user.to_string(),
                    pid: std::process::id(),
                    host: hostname(),
                    since: now,
                };
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0))?;
                file.write_all(serde_json::to_string(&me).unwrap_or_default().as_bytes())?;
                file.sync_data()?;
                Ok(Acquire::Held(LeaderLock { file }))
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                file.read_to_string(&mut text)?;
                let holder = serde_json::from_str(&text).unwrap_or(LockHolder {
                    user: "another process".into(),
                    pid: 0,
                    host: hostname(),
                    since: now,
                });
                Ok(Acquire::Busy(holder))
            }
            Err(TryLockError::Error(e)) => Err(e),
        }
    }
}

impl LeaderLock {
    /// Who holds the lock at `path` now, if anyone (a missing file: nobody). Looks with a
    /// shared lock taken and let go at once, so it never stands in a leader's way for longer
    /// than that look.
    pub(crate) fn holder(path: &Path) -> std::io::Result<Option<LockHolder>> {
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                Ok(None)
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                file.read_to_string(&mut text)?;
                Ok(Some(serde_json::from_str(&text).unwrap_or(LockHolder {
                    user: "another process".into(),
                    pid: 0,
                    host: hostname(),
                    since: DateTime::UNIX_EPOCH,
                })))
            }
            Err(TryLockError::Error(e)) => Err(e),
        }
    }
}

impl Drop for LeaderLock {
    fn drop(&mut self) {
        // Clearing the note is a courtesy; the lock itself goes with the file descriptor.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// This machine's name, for lock messages.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
