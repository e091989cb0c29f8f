//! Leading an incident: a long-held advisory lock on `journal.lock` that records who holds it,
//! so a second console is refused with a message naming the holder. The operating system
//! releases it when the holder dies, so a crash never leaves an incident locked.

use super::reserve::LastLead;
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
    /// Who leads, once the note saying so is written ([`LeaderLock::claim`]).
    me: Option<LockHolder>,
}

/// What the lock file says: who holds (or last held) the lead, and when they let it go.
#[derive(Serialize, Deserialize)]
struct Note {
    #[serde(flatten)]
    holder: LockHolder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    released: Option<DateTime<Utc>>,
}

pub(crate) enum Acquire {
    /// The lock, and who held it last (from its note).
    Held(LeaderLock, Option<LastLead>),
    Busy(LockHolder),
}

impl LeaderLock {
    /// Takes the lock, not yet saying who holds it: the caller checks the last leader first,
    /// then [`LeaderLock::claim`]s it (or drops it, leaving the note as it was).
    pub(crate) fn acquire(path: &Path, now: DateTime<Utc>) -> std::io::Result<Acquire> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => {
                let mut text = String::new();
                file.read_to_string(&mut text)?;
                let last = serde_json::from_str::<Note>(&text).ok().map(|n| LastLead {
                    user: n.holder.user,
                    since: n.holder.since,
                    freed: n.released,
                });
                Ok(Acquire::Held(LeaderLock { file, me: None }, last))
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

    /// Writes the note naming `user` (this process, this host, `now`) as the leader.
    pub(crate) fn claim(&mut self, user: &str, now: DateTime<Utc>) -> std::io::Result<()> {
        let me = LockHolder {
            user: user.to_string(),
            pid: std::process::id(),
            host: hostname(),
            since: now,
        };
        self.write(&Note {
            holder: me.clone(),
            released: None,
        })?;
        self.me = Some(me);
        Ok(())
    }

    fn write(&mut self, note: &Note) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file
            .write_all(serde_json::to_string(note).unwrap_or_default().as_bytes())?;
        self.file.sync_data()
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
        // The note keeps who led and when they let go (a handoff keeps the lead for the
        // person named from then); the lock itself goes with the file descriptor.
        if let Some(me) = self.me.take() {
            let _ = self.write(&Note {
                holder: me,
                released: Some(Utc::now()),
            });
        }
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
