//! The outbox: what a console's leader typed while the shared store could not be reached,
//! kept on this machine until the store takes it.
//!
//! `<data_dir>/incidents/<ID>/outbox.jsonl`, one line per change, each written in one `write`
//! and `sync_data`ed before the entry counts as taken (so a SIGKILL or a power cut a moment
//! later loses nothing that was shown as taken):
//!
//! ```text
//! {"queued":{"key":"<32 hex>","at":"RFC3339 UTC","by":"alice","event":{…}}}
//! {"committed":{"key":"<32 hex>","seq":12}}
//! {"refused":{"key":"<32 hex>","why":"…"}}
//! ```
//!
//! * **In order.** [`Outbox::drain`] appends the queued entries one by one in the order they
//!   were typed, stopping at the first that the store cannot take yet (still unreachable): a
//!   later entry is never committed before an earlier one.
//! * **Once.** Each entry is appended with [`Journal::append_once`] under its `key`, which is
//!   the event id PostgreSQL keeps `UNIQUE` with the line. A drain interrupted after the
//!   `COMMIT` but before its `committed` line reached this file (a SIGKILL, a lost answer)
//!   finds the entry in the store when drained again and does not record it a second time.
//! * **Removed only after its commit.** An entry leaves the outbox when its `committed` line
//!   is on disk; the file is rewritten (temporary file, synced, renamed) or removed once a
//!   drain has finished with it.
//! * **The recorded time.** An entry lands with `at` = the moment it was typed, not the
//!   moment it was drained, as the leader's log showed it. The journal does not require `at`
//!   to grow with `seq` (nothing in the chain or the fold orders by it), so an entry typed at
//!   10:02 may follow one another machine committed at 10:05: `seq` is the order the store
//!   took them in, `at` when each was recorded.
//! * **Refused, never dropped.** An entry the incident now refuses (a status change after
//!   someone else resolved it) stays in the outbox with the reason, for the console to show as
//!   "not shared: refused because …"; the entries after it are still drained.
//! * **Only what a person typed.** Observations decided under the lock (alert changes, the
//!   blast radius) are not queued: they are decided afresh against the store when it answers
//!   again.
//!
//! A last line without its newline is a write that a crash cut short before it was synced
//! (the entry was never shown as taken); it is ignored, reported, and cut off by the next
//! write. Any other line that cannot be read is damage: loading fails, naming the line, and the
//! file is left as it is.

use super::{Journal, JournalError, Record};
use crate::domain::Event;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The outbox's file name in an incident's directory.
pub const OUTBOX: &str = "outbox.jsonl";

/// One entry typed while the store could not be reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    /// What the store recognises the entry by once committed (PostgreSQL's event id).
    pub key: String,
    /// When it was typed (to the millisecond, as the journal keeps times).
    pub at: DateTime<Utc>,
    pub by: String,
    pub event: Event,
    /// Why the store refused it when it was drained (then it stays here, not shared).
    pub refused: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Queued {
        key: String,
        at: String,
        by: String,
        event: Event,
    },
    Committed {
        key: String,
        seq: u64,
    },
    Refused {
        key: String,
        why: String,
    },
}

/// What a drain did.
#[derive(Debug, Default)]
pub struct Drained {
    /// Committed now (or found committed by an earlier, interrupted drain), in order.
    pub committed: Vec<Record>,
    /// Refused now by the incident (kept in the outbox with the reason).
    pub refused: Vec<Queued>,
    /// Why the drain stopped before the end (the store unreachable again, …): the rest waits.
    pub stopped: Option<JournalError>,
}

/// The outbox of one incident on this machine.
#[derive(Debug)]
pub struct Outbox {
    path: PathBuf,
    /// Queued and refused entries, in the order they were typed.
    entries: Vec<Queued>,
    /// Lines in the file (whole ones), and where the whole lines end.
    lines: usize,
    end: u64,
    warnings: Vec<String>,
}

fn io(path: &Path, source: std::io::Error) -> JournalError {
    JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn at_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Outbox {
    /// The outbox of incident `id` under `incidents_dir` (`<data_dir>/incidents`), read back
    /// whole; empty when there is none.
    pub fn load(incidents_dir: &Path, id: &str) -> Result<Outbox, JournalError> {
        let path = incidents_dir.join(id).join(OUTBOX);
        let mut outbox = Outbox {
            path,
            entries: Vec::new(),
            lines: 0,
            end: 0,
            warnings: Vec::new(),
        };
        let bytes = match fs::read(&outbox.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(outbox),
            Err(e) => return Err(io(&outbox.path, e)),
        };
        let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        if whole < bytes.len() {
            outbox.warnings.push(format!(
                "{}: a last entry cut short by a crash before it was saved ({} bytes) is ignored",
                outbox.path.display(),
                bytes.len() - whole
            ));
        }
        outbox.end = whole as u64;
        let lines = bytes[..whole.saturating_sub(1)].split(|b| *b == b'\n');
        for (n, line) in lines.enumerate().filter(|_| whole > 0) {
            outbox.read(n + 1, line)?;
            outbox.lines += 1;
        }
        Ok(outbox)
    }

    fn damaged(&self, line: usize, reason: impl Into<String>) -> JournalError {
        JournalError::Damaged {
            path: self.path.clone(),
            line,
            reason: format!("outbox {}", reason.into()),
        }
    }

    fn read(&mut self, n: usize, line: &[u8]) -> Result<(), JournalError> {
        let parsed: Line = serde_json::from_slice(line)
            .map_err(|e| self.damaged(n, format!("entry cannot be read: {e}")))?;
        match parsed {
            Line::Queued { key, at, by, event } => {
                let at = DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| self.damaged(n, format!("time {at:?}: {e}")))?
                    .with_timezone(&Utc);
                self.entries.push(Queued {
                    key,
                    at,
                    by,
                    event,
                    refused: None,
                });
            }
            Line::Committed { key, .. } => self.entries.retain(|e| e.key != key),
            Line::Refused { key, why } => {
                if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
                    e.refused = Some(why);
                }
            }
        }
        Ok(())
    }

    /// Where the outbox is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry not shared: waiting for the store, and refused by it, in the order typed.
    pub fn entries(&self) -> &[Queued] {
        &self.entries
    }

    /// The entries still waiting for the store, in the order typed.
    pub fn waiting(&self) -> impl Iterator<Item = &Queued> {
        self.entries.iter().filter(|e| e.refused.is_none())
    }

    /// True when nothing is waiting for the store.
    pub fn is_drained(&self) -> bool {
        self.waiting().next().is_none()
    }

    /// Warnings met while reading (a cut-short last entry), oldest first.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Keeps `event`, typed by `by` at `at`, until the store takes it. Returns once it is on
    /// disk (written and synced): only then may it be shown as taken.
    pub fn push(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        event: Event,
    ) -> Result<&Queued, JournalError> {
        let key = new_key().map_err(|e| io(&self.path, e))?;
        self.push_keyed(key, by, at, event)
    }

    /// [`Outbox::push`] under a key made before ([`new_key`]): that of an append whose
    /// outcome is unknown (the store went away during it), so that if it did commit, the
    /// drain finds it instead of recording it again.
    pub fn push_keyed(
        &mut self,
        key: String,
        by: &str,
        at: DateTime<Utc>,
        event: Event,
    ) -> Result<&Queued, JournalError> {
        super::check_author(by)?;
        let at_text = at_text(at);
        let at = DateTime::parse_from_rfc3339(&at_text)
            .map_err(|e| JournalError::Store(format!("{at_text}: {e}")))?
            .with_timezone(&Utc);
        self.write(&Line::Queued {
            key: key.clone(),
            at: at_text,
            by: by.to_string(),
            event: event.clone(),
        })?;
        self.entries.push(Queued {
            key,
            at,
            by: by.to_string(),
            event,
            refused: None,
        });
        Ok(&self.entries[self.entries.len() - 1])
    }

    /// Appends one line, synced; cuts off a torn last line first.
    fn write(&mut self, line: &Line) -> Result<(), JournalError> {
        let mut text = serde_json::to_string(line)
            .map_err(|e| JournalError::Store(format!("cannot encode an outbox entry: {e}")))?;
        text.push('\n');
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let new = !self.path.exists();
        if new {
            fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| io(&self.path, e))?;
        let len = file.metadata().map_err(|e| io(&self.path, e))?.len();
        if len != self.end {
            // A torn last line (a crash mid-write), or a file removed meanwhile: cut to what
            // was read whole.
            file.set_len(self.end.min(len))
                .map_err(|e| io(&self.path, e))?;
            self.end = self.end.min(len);
        }
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_data());
        if let Err(e) = written {
            let _ = file.set_len(self.end);
            return Err(io(&self.path, e));
        }
        if new {
            sync_dir(dir)?;
        }
        self.end += text.len() as u64;
        self.lines += 1;
        Ok(())
    }

    /// Appends every waiting entry to `journal`, in the order typed, each at most once (see
    /// the module's notes). Stops at the first entry the store cannot take now; an entry the
    /// incident refuses is kept with the reason and the drain goes on.
    pub fn drain(&mut self, journal: &mut dyn Journal) -> Drained {
        let mut drained = Drained::default();
        let waiting: Vec<Queued> = self.waiting().cloned().collect();
        for q in waiting {
            let outcome = match journal.append_once(&q.key, &q.by, q.at, &q.event) {
                Ok(record) => self
                    .write(&Line::Committed {
                        key: q.key.clone(),
                        seq: record.entry.seq,
                    })
                    .map(|()| {
                        self.entries.retain(|e| e.key != q.key);
                        drained.committed.push(record);
                    }),
                Err(JournalError::Rejected(why)) => {
                    let why = why.0;
                    self.write(&Line::Refused {
                        key: q.key.clone(),
                        why: why.clone(),
                    })
                    .map(|()| {
                        if let Some(e) = self.entries.iter_mut().find(|e| e.key == q.key) {
                            e.refused = Some(why);
                            drained.refused.push(e.clone());
                        }
                    })
                }
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                drained.stopped = Some(e);
                break;
            }
        }
        if (!drained.committed.is_empty() || !drained.refused.is_empty())
            && let Err(e) = self.compact()
        {
            self.warnings.push(e.to_string());
        }
        drained
    }

    /// Rewrites the file with only what is left (removes it when nothing is), so it does not
    /// grow with every outage.
    fn compact(&mut self) -> Result<(), JournalError> {
        let dir = self.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        if self.entries.is_empty() {
            match fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&self.path, e)),
            }
            self.lines = 0;
            self.end = 0;
            return sync_dir(&dir);
        }
        let mut text = String::new();
        let mut lines = 0;
        for e in &self.entries {
            let mut push = |line: &Line| -> Result<(), JournalError> {
                text.push_str(&serde_json::to_string(line).map_err(|e| {
                    JournalError::Store(format!("cannot encode an outbox entry: {e}"))
                })?);
                text.push('\n');
                lines += 1;
                Ok(())
            };
            push(&Line::Queued {
                key: e.key.clone(),
                at: at_text(e.at),
                by: e.by.clone(),
                event: e.event.clone(),
            })?;
            if let Some(why) = &e.refused {
                push(&Line::Refused {
                    key: e.key.clone(),
                    why: why.clone(),
                })?;
            }
        }
        let tmp = self.path.with_extension("jsonl.tmp");
        let written = File::create(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_data()));
        written
            .and_then(|()| fs::rename(&tmp, &self.path))
            .map_err(|e| io(&self.path, e))?;
        self.lines = lines;
        self.end = text.len() as u64;
        sync_dir(&dir)
    }
}

/// A new key for an entry: 128 random bits, the event id PostgreSQL records it under.
pub fn new_key() -> std::io::Result<String> {
    super::pg::new_event_id()
}

/// Makes a file's creation, rename or removal in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NoteKind, Severity, Status};
    use crate::journal::FileStore;
    use chrono::TimeZone;

    fn t(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, minute, 0).unwrap()
    }

    fn note(text: &str) -> Event {
        Event::Note {
            kind: NoteKind::Observation,
            text: text.into(),
        }
    }

    fn texts(journal: &dyn Journal) -> Vec<String> {
        journal
            .records()
            .iter()
            .map(|r| r.entry.event.describe())
            .collect()
    }

    #[test]
    fn entries_read_back_in_order_with_their_times_after_the_process_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let mut outbox = Outbox::load(dir.path(), "INC-1").unwrap();
        assert!(outbox.entries().is_empty());
        outbox.push("alice", t(2), note("db down")).unwrap();
        let at = t(3) + chrono::Duration::microseconds(1_234_567);
        outbox.push("alice", at, note("failing over")).unwrap();
        drop(outbox);
        let back = Outbox::load(dir.path(), "INC-1").unwrap();
        let got: Vec<_> = back
            .entries()
            .iter()
            .map(|q| (q.at, q.event.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (t(2), note("db down")),
                // Kept to the millisecond, as the journal keeps it.
                (
                    t(3) + chrono::Duration::milliseconds(1_234),
                    note("failing over")
                ),
            ]
        );
        assert_ne!(back.entries()[0].key, back.entries()[1].key);
    }

    #[test]
    fn a_last_entry_cut_short_by_a_crash_is_ignored_and_cut_off_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut outbox = Outbox::load(dir.path(), "INC-1").unwrap();
        outbox.push("alice", t(1), note("one")).unwrap();
        let path = outbox.path().to_path_buf();
        drop(outbox);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"queued":{"key":"ab","at":"2026-03-"#)
            .unwrap();
        drop(f);
        let mut back = Outbox::load(dir.path(), "INC-1").unwrap();
        assert_eq!(back.entries().len(), 1);
        assert_eq!(back.take_warnings().len(), 1);
        back.push("alice", t(2), note("two")).unwrap();
        let again = Outbox::load(dir.path(), "INC-1").unwrap();
        let got: Vec<_> = again.entries().iter().map(|q| q.event.clone()).collect();
        assert_eq!(got, vec![note("one"), note("two")]);
    }

    #[test]
    fn a_damaged_line_stops_loading_and_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut outbox = Outbox::load(dir.path(), "INC-1").unwrap();
        outbox.push("alice", t(1), note("one")).unwrap();
        let path = outbox.path().to_path_buf();
        let mut text = fs::read_to_string(&path).unwrap();
        text.insert_str(0, "garbage\n");
        fs::write(&path, text).unwrap();
        let err = Outbox::load(dir.path(), "INC-1").unwrap_err();
        assert!(
            matches!(err, JournalError::Damaged { line: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_drain_commits_in_order_once_keeps_refusals_and_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().to_path_buf());
        let mut journal = store
            .create("alice", t(0), "Checkout 500s", Severity::Sev2, None)
            .unwrap();
        let id = journal.id().to_string();
        let mut outbox = Outbox::load(&store.incidents_dir(), &id).unwrap();
        outbox.push("alice", t(1), note("db down")).unwrap();
        outbox
            .push(
                "alice",
                t(2),
                Event::StatusChanged {
                    from: Status::Investigating,
                    to: Status::Identified,
                },
            )
            .unwrap();
        outbox.push("alice", t(3), note("failing over")).unwrap();
        // Meanwhile someone else changed the status: the queued change is refused now.
        journal
            .append(
                "bob",
                t(4),
                Event::StatusChanged {
                    from: Status::Investigating,
                    to: Status::Monitoring,
                },
            )
            .unwrap();
        let before = fs::read(outbox.path()).unwrap();
        let drained = outbox.drain(&mut journal);
        assert!(drained.stopped.is_none(), "{:?}", drained.stopped);
        assert_eq!(drained.committed.len(), 2);
        assert_eq!(drained.refused.len(), 1);
        let refused = &outbox.entries()[0];
        assert!(
            refused.refused.as_deref().is_some_and(|w| !w.is_empty()),
            "{refused:?}"
        );
        assert!(outbox.is_drained());
        let seen = texts(&journal);
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(journal.records()[2].entry.at, t(1));
        assert_eq!(journal.records()[3].entry.at, t(3));
        // The refusal is kept across a restart.
        let back = Outbox::load(&store.incidents_dir(), &id).unwrap();
        assert_eq!(back.entries(), outbox.entries());

        // A drain killed after its commits but before the outbox said so: drained again,
        // nothing is recorded twice.
        fs::write(outbox.path(), &before).unwrap();
        let mut again = Outbox::load(&store.incidents_dir(), &id).unwrap();
        let mut reopened = store.open(&id).unwrap();
        let drained = again.drain(&mut reopened);
        assert!(drained.stopped.is_none(), "{:?}", drained.stopped);
        assert_eq!(reopened.records().len(), 4, "{:?}", texts(&reopened));
        assert_eq!(drained.committed.len(), 2);

        // With refused entries left the file stays; with nothing left, it goes.
        assert!(outbox.path().exists());
        let mut other = store
            .create("alice", t(0), "Other", Severity::Sev3, None)
            .unwrap();
        let mut done = Outbox::load(&store.incidents_dir(), other.id()).unwrap();
        done.push("alice", t(5), note("x")).unwrap();
        assert!(done.path().exists());
        done.drain(&mut other);
        assert!(!done.path().exists());
    }
}
