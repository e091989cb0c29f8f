//! The file journal: one directory per incident under `<data_dir>/incidents/`, holding
//! `journal.jsonl` (the events) and `journal.lock` (who leads it).

use super::line::parse_line;
use super::lock::{Acquire, LeaderLock};
use super::{Decide, Folded, Journal, JournalError, Record, Redaction};
use crate::domain::{Rejected, Severity};
use chrono::{DateTime, Utc};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub(super) mod check;
mod read;
mod upgrade;
pub use upgrade::Upgrade;

pub(super) const JOURNAL: &str = "journal.jsonl";
const LOCK: &str = "journal.lock";

/// All incidents under one data directory.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub fn new(data_dir: impl Into<PathBuf>) -> FileStore {
        FileStore {
            root: data_dir.into(),
        }
    }

    /// The data directory itself.
    pub fn data_dir(&self) -> &Path {
        &self.root
    }

    pub fn incidents_dir(&self) -> PathBuf {
        self.root.join("incidents")
    }

    /// IDs of every incident with a journal, oldest first.
    pub fn ids(&self) -> Result<Vec<String>, JournalError> {
        let dir = self.incidents_dir();
        let read = match fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&dir, e)),
        };
        // Each incident's journal is looked at from the directory held open, rather than
        // through the whole data directory's path again.
        let held = super::at::Dir::open(&dir).ok();
        let mut ids: Vec<(u64, String)> = Vec::new();
        for item in read {
            let item = item.map_err(|e| io(&dir, e))?;
            let name = item.file_name().to_string_lossy().into_owned();
            if let Some(n) = id_number(&name)
                && match &held {
                    Some(held) => held.is_file(&Path::new(&name).join(JOURNAL)),
                    None => item.path().join(JOURNAL).is_file(),
                }
            {
                ids.push((n, name));
            }
        }
        ids.sort();
        Ok(ids.into_iter().map(|(_, s)| s).collect())
    }

    /// Opens a new incident: allocates the next ID and durably writes its `opened` entry.
    pub fn create(
        &self,
        by: &str,
        at: DateTime<Utc>,
        title: &str,
        severity: Severity,
        summary: Option<&str>,
    ) -> Result<FileJournal, JournalError> {
        let event = super::store::opening(by, title, severity, summary)?;
        let dir = self.incidents_dir();
        fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        let mut n = self.ids()?.last().and_then(|id| id_number(id)).unwrap_or(0) + 1;
        // create_dir is the atomic claim on an ID; a concurrent `open` just takes the next.
        let (id, incident_dir) = loop {
            let id = format!("INC-{n}");
            let path = dir.join(&id);
            match fs::create_dir(&path) {
                Ok(()) => break (id, path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => return Err(io(&path, e)),
            }
        };
        let path = incident_dir.join(JOURNAL);
        File::create_new(&path).map_err(|e| io(&path, e))?;
        sync_dir(&incident_dir)?;
        sync_dir(&dir)?;
        let mut journal = FileJournal::load(id, incident_dir)?;
        let mut event = Some(event);
        journal.append_with(by, at, &mut |_| {
            event.take().ok_or_else(|| Rejected("opened twice".into()))
        })?;
        Ok(journal)
    }

    /// Reads an incident's journal (taking no lead).
    pub fn open(&self, id: &str) -> Result<FileJournal, JournalError> {
        let id = normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))?;
        let dir = self.incidents_dir().join(&id);
        if !dir.join(JOURNAL).is_file() {
            return Err(JournalError::NotFound(id));
        }
        FileJournal::load(id, dir)
    }

    /// Opens an incident to lead it from a console; refused while someone else leads it.
    pub fn lead(
        &self,
        id: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<(FileJournal, LeaderLock), JournalError> {
        let journal = self.open(id)?;
        let path = journal.dir.join(LOCK);
        match LeaderLock::acquire(&path, now).map_err(|e| io(&path, e))? {
            Acquire::Held(mut lock, last) => {
                let handoff = super::reserve::last_handoff(&journal);
                // Refused: the lock is let go with its note as it was.
                super::reserve::check(journal.id(), handoff.as_ref(), last.as_ref(), user, now)?;
                lock.claim(user, now).map_err(|e| io(&path, e))?;
                Ok((journal, lock))
            }
            Acquire::Busy(holder) => Err(JournalError::Led {
                id: journal.id().to_string(),
                holder,
            }),
        }
    }

    /// Checks the whole hash chain of an incident without changing anything. The journal is
    /// read and checked as an open does, run by run, but its records are not kept: what the
    /// report needs is counted as they pass.
    pub fn verify(&self, id: &str) -> Result<VerifyReport, JournalError> {
        let id = normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))?;
        let dir = self.incidents_dir().join(&id);
        if !dir.join(JOURNAL).is_file() {
            return Err(JournalError::NotFound(id));
        }
        let path = dir.join(JOURNAL);
        let mut journal = FileJournal::unread(id, dir, path);
        let file = journal.open_file(false)?;
        let mut file = journal.lock_current(file, false, false)?;
        let read = journal.read_runs(&mut file, false);
        let _ = file.unlock();
        let read = read?;
        journal.warn_torn(&read.tail);
        Ok(VerifyReport {
            events: read.tail.lines,
            head: read.head,
            format: read.format.unwrap_or(super::FORMAT),
            redacted: read.redacted,
            warnings: journal.take_warnings(),
            id: journal.folded.id,
        })
    }

    /// Who leads incident `id` now, if anyone: the holder of its lock file.
    pub fn leader(&self, id: &str) -> Result<Option<super::LockHolder>, JournalError> {
        let id = normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))?;
        let path = self.incidents_dir().join(id).join(LOCK);
        LeaderLock::holder(&path).map_err(|e| io(&path, e))
    }
}

/// What `verify` found: an intact chain of `events` entries ending in `head`, in journal
/// format `format`, with the entries whose event was redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub id: String,
    pub events: usize,
    pub head: String,
    pub format: u32,
    pub redacted: Vec<u64>,
    pub warnings: Vec<String>,
}

/// One incident's journal file, with every committed entry read and folded.
#[derive(Debug)]
pub struct FileJournal {
    folded: Folded,
    dir: PathBuf,
    path: PathBuf,
    /// Bytes of the file covered by `records` (always ends at a newline).
    known_len: u64,
    /// Lines covered by `records`, for error messages.
    known_lines: usize,
    /// The file (device, inode) `records` were read from: a redaction or an upgrade puts a
    /// new file in its place, whose bytes are not at the same offsets.
    known_file: Option<(u64, u64)>,
    /// A torn tail already reported, so a reader warns once, not on every refresh.
    reported_tail: Option<u64>,
    warnings: Vec<String>,
    /// The journal file kept open between reads and appends ([`Journal::hold_open`]), so
    /// recording needs no new file descriptor.
    held: Option<File>,
}

/// How the bytes after the known part of a file read.
pub(super) struct Tail {
    records: Vec<Record>,
    /// Bytes of complete, valid lines.
    good_len: u64,
    lines: usize,
    /// A torn or unreadable last line: its offset and why.
    torn: Option<(u64, String)>,
}

impl FileJournal {
    fn load(id: String, dir: PathBuf) -> Result<FileJournal, JournalError> {
        let path = dir.join(JOURNAL);
        FileJournal::load_at(id, dir, path)
    }

    /// Reads the journal file at `path` (`journal.jsonl`, or an old one kept beside it).
    fn load_at(id: String, dir: PathBuf, path: PathBuf) -> Result<FileJournal, JournalError> {
        let mut journal = FileJournal::unread(id, dir, path);
        journal.refresh()?;
        Ok(journal)
    }

    /// The journal at `path`, nothing of it read yet.
    fn unread(id: String, dir: PathBuf, path: PathBuf) -> FileJournal {
        FileJournal {
            folded: Folded::new(id),
            dir,
            path,
            known_len: 0,
            known_lines: 0,
            known_file: None,
            reported_tail: None,
            warnings: Vec::new(),
            held: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of the file read and checked so far (always up to a newline).
    pub(super) fn known_len(&self) -> u64 {
        self.known_len
    }

    fn open_file(&self, write: bool) -> Result<File, JournalError> {
        OpenOptions::new()
            .read(true)
            .append(write)
            .open(&self.path)
            .map_err(|e| io(&self.path, e))
    }

    /// The held handle (taken out while in use), or a new one.
    fn take_file(&mut self, write: bool) -> Result<File, JournalError> {
        match self.held.take() {
            Some(f) => Ok(f),
            None => self.open_file(write),
        }
    }

    /// Puts a handle from [`FileJournal::take_file`] back if it is the held one.
    fn put_back(&mut self, file: File, held: bool) {
        if held {
            self.held = Some(file);
        }
    }

    /// Reads and checks everything after `known_len`. The caller holds a lock.
    ///
    /// The file is read in runs of about [`READ_RUN`] bytes of whole lines, each checked (on
    /// every core) and linked before the next is read, so neither the whole file nor every
    /// line's parse is held at once beside the records kept.
    fn read_tail(&self, file: &mut File) -> Result<Tail, JournalError> {
        Ok(self.read_runs(file, true)?.tail)
    }

    /// Warns (once for each) of a torn last line a read met.
    fn warn_torn(&mut self, tail: &Tail) {
        if let Some((offset, why)) = &tail.torn
            && self.reported_tail != Some(*offset)
        {
            self.reported_tail = Some(*offset);
            self.warnings.push(format!(
                "{}: {why}; it is ignored and will be moved aside on the next write",
                self.path.display()
            ));
        }
    }

    fn take_tail(&mut self, tail: Tail) -> usize {
        let n = tail.records.len();
        self.folded.extend(tail.records);
        self.known_len = tail.good_len;
        self.known_lines += tail.lines;
        n
    }

    /// Moves a torn last line aside to `journal.torn-<time>` and cuts it off the journal.
    /// Only called under the exclusive lock, so it can never be a live writer's line.
    fn move_aside(&mut self, file: &mut File, offset: u64, why: &str) -> Result<(), JournalError> {
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io(&self.path, e))?;
        let mut torn = Vec::new();
        file.read_to_end(&mut torn).map_err(|e| io(&self.path, e))?;
        let stamp = Utc::now().format("%Y%m%dT%H%M%S%.9fZ");
        let aside = self.dir.join(format!("journal.torn-{stamp}"));
        let mut out = File::create_new(&aside).map_err(|e| io(&aside, e))?;
        out.write_all(&torn).map_err(|e| io(&aside, e))?;
        out.sync_all().map_err(|e| io(&aside, e))?;
        file.set_len(offset).map_err(|e| io(&self.path, e))?;
        file.sync_all().map_err(|e| io(&self.path, e))?;
        sync_dir(&self.dir)?;
        self.warnings.push(format!(
            "{}: {why}; its {} bytes were moved aside to {} (everything before it is intact)",
            self.path.display(),
            torn.len(),
            aside.display()
        ));
        Ok(())
    }
}

impl Journal for FileJournal {
    fn folded(&self) -> &Folded {
        &self.folded
    }

    fn refresh(&mut self) -> Result<usize, JournalError> {
        let held = self.held.is_some();
        let file = self.take_file(false)?;
        let mut file = self.lock_current(file, false, held)?;
        let tail = self.read_tail(&mut file);
        let _ = file.unlock();
        self.put_back(file, held);
        let tail = tail?;
        self.warn_torn(&tail);
        Ok(self.take_tail(tail))
    }

    fn append_if(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Record>, JournalError> {
        check_author(by)?;
        let held = self.held.is_some();
        let file = self.take_file(true)?;
        let mut file = self.lock_current(file, true, held)?;
        let result = self.append_locked(&mut file, by, at, decide);
        let _ = file.unlock();
        self.put_back(file, held);
        result
    }

    fn redact(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        request: &Redaction<'_>,
    ) -> Result<Record, JournalError> {
        check_author(by)?;
        let held = self.held.is_some();
        let file = self.take_file(true)?;
        let mut file = self.lock_current(file, true, held)?;
        let result = self.redact_locked(&mut file, by, at, request);
        let _ = file.unlock();
        match result {
            // The file was replaced: a held handle is opened again on the new one.
            Ok(record) => {
                drop(file);
                if held {
                    self.held = Some(self.open_file(true)?);
                }
                Ok(record)
            }
            Err(e) => {
                self.put_back(file, held);
                Err(e)
            }
        }
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Keeps the journal file open from now on (until [`Journal::release`]): a console
    /// leading the incident can then record even when the process has no file descriptor
    /// to spare. Locks are taken on the held handle as on a fresh one.
    fn hold_open(&mut self) -> Result<(), JournalError> {
        if self.held.is_none() {
            self.held = Some(self.open_file(true)?);
        }
        Ok(())
    }

    /// Closes the handle [`Journal::hold_open`] kept.
    fn release(&mut self) {
        self.held = None;
    }
}

impl FileJournal {
    /// Locks `file` (shared, or exclusive to write) and makes sure it is still the journal at
    /// its path: a redaction or an upgrade puts a new file in its place (a rename), and a
    /// handle on the old one would read what is gone or append where nobody looks. When the
    /// file was replaced, everything is read again from the new one.
    fn lock_current(
        &mut self,
        mut file: File,
        exclusive: bool,
        held: bool,
    ) -> Result<File, JournalError> {
        loop {
            let locked = if exclusive {
                file.lock()
            } else {
                file.lock_shared()
            };
            if let Err(e) = locked {
                self.put_back(file, held);
                return Err(io(&self.path, e));
            }
            let ours = file.metadata().map_err(|e| io(&self.path, e));
            let current = fs::metadata(&self.path).map_err(|e| io(&self.path, e));
            let (ours, current) = match (ours, current) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => {
                    let _ = file.unlock();
                    self.put_back(file, held);
                    return Err(e);
                }
            };
            let identity = (current.dev(), current.ino());
            if (ours.dev(), ours.ino()) != identity {
                // A handle on a file that was replaced: the new one is opened and locked.
                let _ = file.unlock();
                drop(file);
                file = self.open_file(exclusive || held)?;
                continue;
            }
            if self.known_file.is_some_and(|known| known != identity) {
                let known = self.folded.records.len();
                self.folded = Folded::new(self.folded.id.clone());
                self.known_len = 0;
                self.known_lines = 0;
                self.reported_tail = None;
                self.warnings.push(format!(
                    "{}: the journal was rewritten (a redaction or an upgrade); its {known} \
                     entries were read again",
                    self.path.display()
                ));
            }
            self.known_file = Some(identity);
            return Ok(file);
        }
    }

    /// The (device, inode) of the journal file now at its path.
    fn identity(&self) -> Result<(u64, u64), JournalError> {
        let m = fs::metadata(&self.path).map_err(|e| io(&self.path, e))?;
        Ok((m.dev(), m.ino()))
    }

    /// Writes the journal with `placeholder` in place of the entry it redacts and `record`
    /// after the last line, as a new file renamed over the old one. The caller holds the
    /// exclusive lock on the old file, so no append is lost and no reader sees half of it.
    fn redact_locked(
        &mut self,
        file: &mut File,
        by: &str,
        at: DateTime<Utc>,
        request: &Redaction<'_>,
    ) -> Result<Record, JournalError> {
        self.catch_up(file)?;
        let (placeholder, record) = super::redaction(&self.folded, by, at, request)?;
        let mut text = String::with_capacity(self.known_len as usize + record.line.len() + 1);
        for r in &self.folded.records {
            let line = if r.entry.seq == placeholder.entry.seq {
                &placeholder.line
            } else {
                &r.line
            };
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&record.line);
        text.push('\n');
        let new = self.dir.join(format!("{JOURNAL}.redacting"));
        write_synced(&new, text.as_bytes())?;
        fs::rename(&new, &self.path).map_err(|e| io(&self.path, e))?;
        // The kept summary of `list` and the kept folds may hold the text; they are rebuilt
        // from the new file.
        super::summary::remove_kept(&self.dir);
        sync_dir(&self.dir)?;
        self.known_file = Some(self.identity()?);
        let old = self.dir.join(format!("{JOURNAL}.v1"));
        if old.exists() {
            self.warnings.push(format!(
                "{} still holds the entry as it was before the journal was upgraded; remove \
                 it to take the text out of the data directory",
                old.display()
            ));
        }
        self.folded.replace(placeholder);
        self.take_tail(Tail {
            records: vec![record.clone()],
            good_len: text.len() as u64,
            lines: 1,
            torn: None,
        });
        Ok(record)
    }

    /// Reads what other processes appended since this handle last looked, moving a torn
    /// last line aside. The caller holds the exclusive lock.
    fn catch_up(&mut self, file: &mut File) -> Result<(), JournalError> {
        let len = file.metadata().map_err(|e| io(&self.path, e))?.len();
        if len < self.known_len {
            return Err(JournalError::Damaged {
                path: self.path.clone(),
                line: self.known_lines,
                reason: format!(
                    "the file shrank from {} to {len} bytes while open",
                    self.known_len
                ),
            });
        }
        if len > self.known_len {
            let tail = self.read_tail(file)?;
            let torn = tail.torn.clone();
            self.take_tail(tail);
            if let Some((offset, why)) = torn {
                self.move_aside(file, offset, &why)?;
            }
        }
        Ok(())
    }

    fn append_locked(
        &mut self,
        file: &mut File,
        by: &str,
        at: DateTime<Utc>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Record>, JournalError> {
        self.catch_up(file)?;
        let Some(event) = decide(self.incident())? else {
            return Ok(None);
        };
        let (prev, seq) = self.folded.next();
        let record = super::line::encode(self.folded.format(), prev, seq, at, by, &event)?;
        let mut line = record.line.clone();
        line.push('\n');
        let written = file
            .write_all(line.as_bytes())
            .and_then(|()| file.sync_data());
        if let Err(e) = written {
            // Leave no partial line behind for the next writer to trip over.
            let _ = file.set_len(self.known_len);
            return Err(io(&self.path, e));
        }
        // `record` is the line as replay reads it, so the in-memory entry equals what replay
        // gives (the time, for one, at the millisecond precision written).
        self.take_tail(Tail {
            records: vec![record.clone()],
            good_len: self.known_len + line.len() as u64,
            lines: 1,
            torn: None,
        });
        Ok(Some(record))
    }
}

pub(crate) fn check_author(by: &str) -> Result<(), Rejected> {
    if by.trim().is_empty() || by.chars().any(char::is_control) || by.chars().count() > 100 {
        return Err(Rejected(format!(
            "author '{}' must be a non-empty single line of at most 100 characters (set --as or WARROOM_USER)",
            by.escape_debug()
        )));
    }
    Ok(())
}

/// `INC-7`, `inc-7`, `INC7`, `inc7` or `7` → `INC-7`; anything else is not an incident ID.
pub fn normalize_id(id: &str) -> Option<String> {
    let t = id.trim();
    let digits = t
        .strip_prefix("INC-")
        .or_else(|| t.strip_prefix("inc-"))
        .or_else(|| t.strip_prefix("INC").or_else(|| t.strip_prefix("inc")))
        .unwrap_or(t);
    let n: u64 =
        (!digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()?;
    (n > 0).then(|| format!("INC-{n}"))
}

fn id_number(name: &str) -> Option<u64> {
    let n: u64 = name.strip_prefix("INC-")?.parse().ok()?;
    (format!("INC-{n}") == name).then_some(n)
}

pub(super) fn io(path: &Path, source: std::io::Error) -> JournalError {
    JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` as the file at `path` (replacing one there) and syncs it.
pub(super) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    File::create(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| io(path, e))
}

pub(super) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))
}

impl Record {
    /// The record as its journal line (without the newline), exactly as written: what
    /// `log --json` prints and what followers receive, so they can check the chain.
    pub fn to_line(&self) -> String {
        self.line.clone()
    }
}

/// Reads one journal line received from elsewhere (a follower's stream), checking that it is
/// entry `seq` and follows the line whose hash is `prev`. The error says what is wrong.
pub fn read_line(line: &str, prev: &str, seq: u64) -> Result<Record, String> {
    parse_line(line.as_bytes(), prev, seq).map_err(|b| b.reason)
}
