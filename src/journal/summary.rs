//! What `warroom list` shows of an incident ([`Summary`]), and the file journal's cache of it:
//! `summary.json` beside each `journal.jsonl`, so listing a thousand incidents does not
//! replay every one of their entries.
//!
//! A kept summary is only a copy of the fold, never a fact: it is used when its key is the
//! journal as it stands now — the file's device, inode, length, modification and change
//! times, and its last line's seq and hash (the head of the chain), read from the file — and
//! otherwise ignored and rebuilt from the journal read whole (which also checks its chain). A
//! summary that is missing, cut short, unreadable, written by another version of warroom or
//! for another state of the journal is rebuilt the same way. It is written to a temporary
//! file renamed over `summary.json` (never half a summary under its name), not synced (a
//! summary lost in a crash is rebuilt), and a write that fails (a read-only data directory)
//! only means no cache: no command fails for it.

use super::at::Dir;
use super::{FileStore, Journal, JournalError};
use crate::domain::{Incident, Role, Severity, Status, StatusCadence};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The file kept beside each journal: what `warroom list` and the console's list show.
pub const SUMMARY: &str = "summary.json";
/// The second file kept beside each journal: the whole incident as `warroom list --json`
/// prints it, read only then (it holds the whole fold, many times the summary's size).
pub const SUMMARY_JSON: &str = "summary.incident.json";

/// Below this many incidents for each core, summaries are read on one: a kept summary takes
/// microseconds to read, starting a thread tens of them.
const SUMMARIES_PER_RUN: usize = 32;

/// Changed whenever what a summary holds changes, so a summary written by another version
/// is rebuilt rather than read as this one's.
const SUMMARY_FORMAT: u32 = 2;

/// What `warroom list` and the console's incident list show of one incident, folded from its
/// journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub commander: Option<String>,
    pub drill: bool,
    /// The last status update posted, and a snooze of the next one: when it falls due.
    pub last_status_update: Option<DateTime<Utc>>,
    pub snoozed_until: Option<DateTime<Utc>>,
}

impl Summary {
    pub fn of(incident: &Incident) -> Summary {
        Summary {
            id: incident.id.clone(),
            title: incident.title.clone(),
            severity: incident.severity,
            status: incident.status,
            opened_at: incident.opened_at,
            resolved_at: incident.resolved_at,
            commander: incident.holder(Role::Commander).map(str::to_string),
            drill: incident.drill.is_some(),
            last_status_update: incident.last_status_update,
            snoozed_until: incident.snoozed_until,
        }
    }

    pub fn is_resolved(&self) -> bool {
        self.status == Status::Resolved
    }

    /// Time since opening, up to resolution if resolved ([`Incident::elapsed`]).
    pub fn elapsed(&self, now: DateTime<Utc>) -> chrono::Duration {
        self.resolved_at.unwrap_or(now) - self.opened_at
    }

    /// When the next status update is due ([`StatusCadence::next_due`] of the incident).
    pub fn next_due(&self, cadence: &StatusCadence) -> Option<DateTime<Utc>> {
        if self.is_resolved() {
            return None;
        }
        cadence.due(
            self.severity,
            self.last_status_update.unwrap_or(self.opened_at),
            self.snoozed_until,
        )
    }
}

/// The whole incident as `warroom list --json` prints it (pretty-printed on its own).
pub fn incident_json(incident: &Incident) -> Result<String, JournalError> {
    serde_json::to_string_pretty(incident).map_err(|e| {
        JournalError::Store(format!("{}: cannot encode its summary: {e}", incident.id))
    })
}

/// `incidents` (each as [`incident_json`] gives it) as one JSON array, byte for byte what
/// `serde_json::to_string_pretty` gives for the incidents.
pub fn json_array<'a>(incidents: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from("[");
    let mut any = false;
    for json in incidents {
        out.push_str(if any { ",\n" } else { "\n" });
        any = true;
        // Strings in JSON hold no raw newline: every line break is the printer's.
        for (n, line) in json.split('\n').enumerate() {
            if n > 0 {
                out.push('\n');
            }
            out.push_str("  ");
            out.push_str(line);
        }
    }
    out.push_str(if any { "\n]" } else { "]" });
    out
}

/// An incident as listed: its summary (none for a journal without its opening entry), its
/// whole JSON when it was asked for, the warnings met reading it, and (the data directory)
/// where its journal's file stood before it was read, for [`super::Store::changed`].
#[derive(Debug, Default)]
pub struct Listed {
    pub summary: Option<Summary>,
    pub json: Option<String>,
    pub warnings: Vec<String>,
    pub stamp: Option<Stamp>,
}

/// Where a journal's file stood (device, inode, length, modification and change times): any
/// append, rewrite or replacement moves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp(FileState);

/// A kept fold's value ([`KeptFold`]), or none for a journal without its opening, and the
/// warnings met reading it.
pub type KeptValue<T> = (Option<T>, Vec<String>);

/// What identifies the journal a summary was folded from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    seq: u64,
    head: String,
}

/// A kept file: `value` is a [`Summary`] in [`SUMMARY`], the incident's JSON in
/// [`SUMMARY_JSON`], a kept fold's tagged value in `kept-<name>.json`.
#[derive(Serialize, Deserialize)]
struct Kept<T> {
    format: u32,
    version: String,
    key: Key,
    value: T,
    /// SHA-256 of the fields above as written: a byte changed anywhere (a summary that still
    /// reads as JSON, with a title one letter off) makes it another file, rebuilt.
    check: String,
}

impl<T: Serialize> Kept<T> {
    fn new(key: Key, value: T) -> Kept<T> {
        let mut kept = Kept {
            format: SUMMARY_FORMAT,
            version: env!("CARGO_PKG_VERSION").to_string(),
            key,
            value,
            check: String::new(),
        };
        kept.check = kept.digest();
        kept
    }

    fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let fields = (self.format, &self.version, &self.key, &self.value);
        let bytes = serde_json::to_vec(&fields).unwrap_or_default();
        super::hex(&Sha256::digest(&bytes))
    }
}

/// Where a journal's file stands: device, inode, length, modification and change times.
type FileState = (u64, u64, u64, (i64, i64), (i64, i64));

/// Where the journal's file stands: everything in the key but the head.
fn stat(path: &Path) -> Option<FileState> {
    fs::metadata(path).ok().map(|m| state_of(&m))
}

fn state_of(m: &fs::Metadata) -> FileState {
    (
        m.dev(),
        m.ino(),
        m.len(),
        (m.mtime(), m.mtime_nsec()),
        (m.ctime(), m.ctime_nsec()),
    )
}

/// Where an incident's files are opened from: its directory's path, or (listing many) the
/// incidents directory held open, the names under it walked from there ([`Dir`]).
struct Files<'a> {
    /// The incident's directory.
    dir: &'a Path,
    /// The incidents directory held open, and the incident's ID (its directory's name there).
    held: Option<(&'a Dir, &'a str)>,
}

impl Files<'_> {
    /// The incident's file `name`, opened to read.
    fn open(&self, name: &str) -> std::io::Result<File> {
        match self.held {
            Some((held, id)) => held.open_file(&Path::new(id).join(name)),
            None => File::open(self.dir.join(name)),
        }
    }
}

/// The journal as it stands: where its file stands and its key, from one open of it (the
/// state is the open file's, and its last line is read from that file up to the length
/// stated: an append after it is seen by the next look). The key is `None` when the file does
/// not end in a whole line (empty, or a last line cut short or being written): such a journal
/// is read whole. A file that cannot be opened is stated as `stat` finds it.
fn look(files: &Files<'_>) -> (Option<FileState>, Option<Key>) {
    let opened = files.open(super::file::JOURNAL);
    let Some((file, meta)) = opened.ok().and_then(|f| f.metadata().ok().map(|m| (f, m))) else {
        return (stat(&files.dir.join(super::file::JOURNAL)), None);
    };
    let state = state_of(&meta);
    let (dev, ino, len, mtime, ctime) = state;
    let key = last_line_head(&file, len).map(|(seq, head)| Key {
        dev,
        ino,
        len,
        mtime,
        ctime,
        seq,
        head,
    });
    (Some(state), key)
}

/// The key of the journal at `path` now ([`look`]).
fn key_now(path: &Path) -> Option<Key> {
    let dir = path.parent()?;
    look(&Files { dir, held: None }).1
}

/// The `seq` and `hash` the last line of the first `len` bytes of `file` states.
fn last_line_head(file: &File, len: u64) -> Option<(u64, String)> {
    use std::os::unix::fs::FileExt;
    #[derive(Deserialize)]
    struct Head {
        seq: u64,
        hash: String,
    }
    // A line is a few hundred bytes: the window most often holds the whole last line and the
    // newline before it, and is widened otherwise.
    let mut window = 1024u64.min(len);
    loop {
        if window == 0 {
            return None;
        }
        let mut bytes = vec![0; window as usize];
        file.read_exact_at(&mut bytes, len - window).ok()?;
        let (&last, body) = bytes.split_last()?;
        if last != b'\n' {
            return None;
        }
        match memchr::memrchr(b'\n', body) {
            Some(nl) => {
                let head: Head = serde_json::from_slice(&body[nl + 1..]).ok()?;
                return Some((head.seq, head.hash));
            }
            None if window == len => {
                let head: Head = serde_json::from_slice(body).ok()?;
                return Some((head.seq, head.hash));
            }
            None => window = (window * 4).min(len),
        }
    }
}

/// The whole of the small file `file`, read without asking its size (a kept summary is a few
/// hundred bytes): `File::read_to_end` would first ask the file's size and position, two
/// system calls more per incident listed; through `take` it reads until the end is met.
fn read_small(file: File) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(1024);
    file.take(u64::MAX).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

fn read_kept<T: Serialize + DeserializeOwned>(files: &Files<'_>, name: &str) -> Option<Kept<T>> {
    let bytes = read_small(files.open(name).ok()?)?;
    let kept: Kept<T> = serde_json::from_slice(&bytes).ok()?;
    (kept.format == SUMMARY_FORMAT
        && kept.version == env!("CARGO_PKG_VERSION")
        && kept.check == kept.digest())
    .then_some(kept)
}

/// Writes `kept` as `name` in `dir` through a temporary file renamed over it; any failure
/// leaves no cache, and is no error.
fn write_kept<T: Serialize>(dir: &Path, name: &str, kept: &Kept<T>) {
    let Ok(text) = serde_json::to_vec(kept) else {
        return;
    };
    let tmp = dir.join(format!(
        "{name}.{}-{}.tmp",
        std::process::id(),
        super::hex(&rand_bits())
    ));
    if fs::write(&tmp, &text).is_err() || fs::rename(&tmp, dir.join(name)).is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

/// A few bits telling apart two temporary files of one process (two threads listing).
fn rand_bits() -> [u8; 8] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (n ^ t.rotate_left(17)).to_le_bytes()
}

impl FileStore {
    /// What `warroom list` shows of incident `id` (with its whole JSON when `json`): the
    /// summary kept beside its journal when its key is the journal as it stands, else the
    /// journal read whole (its chain checked), folded, and its summary kept again.
    pub fn summary(&self, id: &str, json: bool) -> Result<Listed, JournalError> {
        self.summary_from(None, id, json)
    }

    /// [`FileStore::summary`], its files opened through the incidents directory `held` open
    /// when there is one.
    fn summary_from(
        &self,
        held: Option<&Dir>,
        id: &str,
        json: bool,
    ) -> Result<Listed, JournalError> {
        let dir = self.incidents_dir().join(id);
        let path = dir.join(super::file::JOURNAL);
        let files = Files {
            dir: &dir,
            held: held.map(|h| (h, id)),
        };
        // Taken before anything is read: a change after it is seen by the next look.
        let (state, key) = look(&files);
        let stamp = state.map(Stamp);
        if let Some(key) = key
            && let Some(kept) = read_kept::<Summary>(&files, SUMMARY)
            && kept.key == key
            && kept.value.id == id
        {
            if !json {
                return Ok(Listed {
                    summary: Some(kept.value),
                    stamp,
                    ..Listed::default()
                });
            }
            if let Some(full) = read_kept::<String>(&files, SUMMARY_JSON)
                && full.key == key
            {
                return Ok(Listed {
                    summary: Some(kept.value),
                    json: Some(full.value),
                    stamp,
                    ..Listed::default()
                });
            }
        }
        let mut journal = self.open(id)?;
        let warnings = journal.take_warnings();
        let Some(incident) = journal.incident() else {
            return Ok(Listed {
                warnings,
                stamp,
                ..Listed::default()
            });
        };
        let listed = Listed {
            summary: Some(Summary::of(incident)),
            json: Some(incident_json(incident)?),
            warnings,
            stamp: stamp.clone(),
        };
        self.keep(&dir, &path, stamp, &journal, &listed);
        Ok(Listed {
            json: listed.json.filter(|_| json),
            ..listed
        })
    }

    /// [`FileStore::summary`] of each of `ids`, in the same order, read on every core: each
    /// incident's files are its own, and what is kept for one is written under a name of its
    /// own (two threads keeping summaries never write the same temporary file).
    pub fn summaries(&self, ids: &[String], json: bool) -> Vec<Result<Listed, JournalError>> {
        // Held open once: each incident's files are then opened from it.
        let held = Dir::open(&self.incidents_dir()).ok();
        super::cores::map_on_cores(ids, SUMMARIES_PER_RUN, |id| {
            self.summary_from(held.as_ref(), id, json)
        })
    }

    /// Keeps `listed`, folded from `journal`, beside it (the incident's JSON first: a summary
    /// is never kept without it).
    fn keep(
        &self,
        dir: &Path,
        path: &Path,
        before: Option<Stamp>,
        journal: &super::FileJournal,
        listed: &Listed,
    ) {
        let (Some(summary), Some(json)) = (&listed.summary, &listed.json) else {
            return;
        };
        keep_if_unchanged(path, before.map(|s| s.0), journal, |key| {
            write_kept(dir, SUMMARY_JSON, &Kept::new(key.clone(), json));
            write_kept(dir, SUMMARY, &Kept::new(key, summary));
        });
    }

    /// A value folded from incident `id`'s journal by `fold` and kept beside it as `name`,
    /// keyed like the summary: the kept one when its key is the journal as it stands and
    /// `fits` accepts it, else the journal read whole (its chain checked), folded, and the
    /// value kept again. None for a journal without its opening.
    fn keep_fold<T: Serialize + DeserializeOwned>(
        &self,
        id: &str,
        name: &str,
        fits: impl Fn(&T) -> bool,
        fold: impl FnOnce(&dyn Journal) -> Result<Option<T>, JournalError>,
    ) -> Result<KeptValue<T>, JournalError> {
        let dir = self.incidents_dir().join(id);
        let path = dir.join(super::file::JOURNAL);
        let files = Files {
            dir: &dir,
            held: None,
        };
        if let (Some(key), Some(kept)) = (key_now(&path), read_kept::<T>(&files, name))
            && kept.key == key
            && fits(&kept.value)
        {
            return Ok((Some(kept.value), Vec::new()));
        }
        let before = stat(&path);
        let mut journal = self.open(id)?;
        let warnings = journal.take_warnings();
        let Some(value) = fold(&journal)? else {
            return Ok((None, warnings));
        };
        keep_if_unchanged(&path, before, &journal, |key| {
            write_kept(&dir, name, &Kept::new(key, &value));
        });
        Ok((Some(value), warnings))
    }

    /// Whether incident `id`'s journal may have changed since `stamp` was taken.
    pub fn changed(&self, id: &str, stamp: &Stamp) -> bool {
        let path = self.incidents_dir().join(id).join(super::file::JOURNAL);
        stat(&path).map(Stamp).as_ref() != Some(stamp)
    }
}

/// Calls `write` with the key of the journal at `path` when the file did not change since
/// `before` (taken before `journal` was read) and ends where the read ended: the key then
/// names exactly the entries folded, and what was folded may be kept under it. Checked and
/// written under the shared lock, so a redaction (which removes what is kept under the
/// exclusive lock) cannot come between and leave the text it took out here.
fn keep_if_unchanged(
    path: &Path,
    before: Option<FileState>,
    journal: &super::FileJournal,
    write: impl FnOnce(Key),
) {
    let Ok(locked) = File::open(path) else {
        return;
    };
    if locked.lock_shared().is_err() {
        return;
    }
    let after = key_now(path);
    let read_to = journal.records().last().map(|r| (r.entry.seq, r.hash()));
    if let (Some(before), Some(key)) = (before, after)
        && before == (key.dev, key.ino, key.len, key.mtime, key.ctime)
        && read_to == Some((key.seq, key.head.as_str()))
        && key.len == journal.known_len()
    {
        write(key);
    }
    let _ = locked.unlock();
}

/// What every kept fold beyond the summary is named after in the incident's directory:
/// `kept-<name>.json`.
const KEPT_PREFIX: &str = "kept-";

/// A fold of an incident that a caller above the journal keeps beside it through
/// [`super::Store::kept`] (the data directory's `kept-<name>.json`), keyed like the summary.
/// What the value depends on beyond the journal (settings, the time asked about) is its tag:
/// `fold` returns the value and the tag it holds for, and a kept value answers only when its
/// tag is one of `tags`.
pub struct KeptFold<'a> {
    pub name: &'a str,
    pub tags: &'a [String],
    pub fold: &'a FoldFn<'a>,
}

/// A kept fold's function: the incident's records and fold to its value and tag (none: nothing
/// to keep).
pub type FoldFn<'a> = dyn Fn(&[super::Record], &Incident) -> Option<(String, String)> + 'a;

#[derive(Serialize, Deserialize)]
struct Tagged {
    tag: String,
    value: String,
}

impl KeptFold<'_> {
    /// The value folded from `journal` read whole, as the store that keeps nothing gives it.
    pub(super) fn fold_whole(&self, journal: &dyn Journal) -> Option<String> {
        let incident = journal.incident()?;
        (self.fold)(journal.records(), incident).map(|(_, value)| value)
    }
}

impl FileStore {
    /// [`super::Store::kept`] for the data directory.
    pub(super) fn kept(
        &self,
        id: &str,
        f: &KeptFold<'_>,
    ) -> Result<KeptValue<String>, JournalError> {
        let name = format!("{KEPT_PREFIX}{}.json", f.name);
        let (tagged, warnings) = self.keep_fold(
            id,
            &name,
            |t: &Tagged| f.tags.contains(&t.tag),
            |journal| {
                Ok(journal
                    .incident()
                    .and_then(|i| (f.fold)(journal.records(), i))
                    .map(|(tag, value)| Tagged { tag, value }))
            },
        )?;
        Ok((tagged.map(|t| t.value), warnings))
    }
}

/// Removes everything kept beside the journal in `dir` (the summary, the incident's JSON and
/// every kept fold):
/// called under the exclusive lock when the journal is rewritten by a redaction.
pub(super) fn remove_kept(dir: &Path) {
    let _ = fs::remove_file(dir.join(SUMMARY));
    let _ = fs::remove_file(dir.join(SUMMARY_JSON));
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(KEPT_PREFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
}
