//! `warroom upgrade ID` for the file journal: a format-1 journal rewritten in the newest format
//! (the same entries, event bytes, times and authors; new digests and hashes), the old file
//! kept beside it as `journal.jsonl.v1`, both read and checked whole.

use super::{FileJournal, FileStore, JOURNAL, io, sync_dir, write_synced};
use crate::domain::Rejected;
use crate::journal::{FORMAT, Folded, Journal, JournalError, line};
use chrono::{DateTime, Utc};
use std::fs;
use std::path::PathBuf;

/// What an upgrade did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    pub id: String,
    pub events: usize,
    /// The format the journal was in (the newest already: nothing was done).
    pub from: u32,
    pub to: u32,
    pub old_head: String,
    pub new_head: String,
    /// Where the old journal is kept, for people (none when nothing was done).
    pub kept: Option<String>,
}

impl FileStore {
    /// Upgrades incident `id`'s journal to the newest format. Takes the lead for the time it
    /// takes (refused while a console leads it: its chain is about to change).
    pub fn upgrade(
        &self,
        id: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Upgrade, JournalError> {
        let (mut journal, _lead) = self.lead(id, user, now)?;
        journal.upgrade()
    }
}

impl FileJournal {
    fn upgrade(&mut self) -> Result<Upgrade, JournalError> {
        let file = self.take_file(true)?;
        let mut file = self.lock_current(file, true, false)?;
        let result = self.upgrade_locked(&mut file);
        let _ = file.unlock();
        drop(file);
        let done = result?;
        if done.kept.is_some() {
            // Both read back whole, checked line by line, to the same entries (after the lock
            // is let go: the kept file is the locked one under another name).
            let kept = self.kept_path(done.from);
            let old = FileJournal::load_at(self.id().to_string(), self.dir.clone(), kept.clone())?;
            let new = FileJournal::load(self.id().to_string(), self.dir.clone())?;
            let entries = |j: &FileJournal| -> Vec<_> {
                j.records().iter().map(|r| r.entry.clone()).collect()
            };
            if entries(&old) != entries(&new) || new.folded.format() != FORMAT {
                return Err(JournalError::Damaged {
                    path: self.path.clone(),
                    line: 0,
                    reason: format!(
                        "the upgraded journal does not read as the old one ({} kept as it was)",
                        kept.display()
                    ),
                });
            }
        }
        Ok(done)
    }

    fn kept_path(&self, from: u32) -> PathBuf {
        self.dir.join(format!("{JOURNAL}.v{from}"))
    }

    fn upgrade_locked(&mut self, file: &mut fs::File) -> Result<Upgrade, JournalError> {
        self.catch_up(file)?;
        let from = self.folded.format();
        let old_head = self.folded.next().0.to_string();
        let mut done = Upgrade {
            id: self.id().to_string(),
            events: self.records().len(),
            from,
            to: FORMAT,
            old_head: old_head.clone(),
            new_head: old_head,
            kept: None,
        };
        if from == FORMAT {
            return Ok(done);
        }
        let kept = self.kept_path(from);
        if kept.exists() {
            return Err(Rejected(format!(
                "{} exists already; move it away to upgrade {} again",
                kept.display(),
                self.id()
            ))
            .into());
        }
        let mut upgraded = Folded::new(self.id().to_string());
        let mut text = String::with_capacity(self.known_len as usize * 5 / 4);
        for (n, r) in self.folded.records.iter().enumerate() {
            let record =
                line::upgraded(r, upgraded.next().0).map_err(|why| JournalError::Damaged {
                    path: self.path.clone(),
                    line: n + 1,
                    reason: format!("cannot be upgraded: {why}"),
                })?;
            text.push_str(&record.line);
            text.push('\n');
            upgraded.push(record);
        }
        // The old file stays as it is, under its new name: a hard link to the very bytes.
        fs::hard_link(&self.path, &kept).map_err(|e| io(&kept, e))?;
        let new = self.dir.join(format!("{JOURNAL}.upgrading"));
        write_synced(&new, text.as_bytes())?;
        fs::rename(&new, &self.path).map_err(|e| io(&self.path, e))?;
        sync_dir(&self.dir)?;
        self.known_file = Some(self.identity()?);
        done.new_head = upgraded.next().0.to_string();
        done.kept = Some(kept.display().to_string());
        self.folded = upgraded;
        self.known_len = text.len() as u64;
        self.known_lines = done.events;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Event, NoteKind, Severity};
    use crate::journal::GENESIS;
    use chrono::TimeZone;

    #[test]
    fn a_missing_incident_is_not_found_and_a_new_journal_is_upgraded_already() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        assert!(matches!(
            store.upgrade("INC-1", "alice", Utc::now()),
            Err(JournalError::NotFound(_))
        ));
        assert_eq!(Folded::new("INC-1".into()).next().0, GENESIS);
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut j = store
            .create("alice", at, "t", Severity::Sev2, None)
            .unwrap();
        j.append(
            "alice",
            at,
            Event::Note {
                kind: NoteKind::Observation,
                text: "n".into(),
            },
        )
        .unwrap();
        let done = store.upgrade("INC-1", "alice", at).unwrap();
        assert_eq!((done.from, done.kept), (FORMAT, None));
    }
}
