//! Wake-ups when incidents get new entries: [`Watch`], what [`super::Store::watch`] returns.
//! A wake-up says only where to look; the reader then reads everything after the last entry it
//! has (`Journal::refresh`), so a wake-up lost or repeated loses or repeats nothing.

use super::JournalError;
use std::time::Duration;

mod files;
pub use files::{FileWatch, SLOW_LOOK, Settings, inotify_init};

/// What a [`Watch`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// Incident `id` has entries up to `seq` at least (a reader that has them need not read).
    Entry { id: String, seq: u64 },
    /// Incident `id`'s journal changed (new entries, or the file rewritten by a redaction or
    /// an upgrade): a reader reads after the last entry it has.
    Changed { id: String },
    /// Wake-ups may have been missed (the subscription has just started or was made again
    /// after the store went away): any incident may have new entries.
    Resync,
}

/// A subscription to new entries in a store. Dropping it ends the subscription.
pub trait Watch: Send {
    /// The next wake-up, waiting at most `timeout` (`Ok(None)`: none came). An error says why
    /// nothing can be heard just now (the store is out of reach); the watch keeps trying, and
    /// reports [`Wake::Resync`] once it hears again.
    fn next(&mut self, timeout: Duration) -> Result<Option<Wake>, JournalError>;
}

/// How often a store that cannot tell when something changed is looked at (the data
/// directory without inotify).
pub const POLL_EVERY: Duration = Duration::from_millis(50);

/// A store with no way to be told: every [`POLL_EVERY`] anything may have changed.
#[derive(Debug, Default)]
pub struct Poll {
    started: bool,
}

impl Watch for Poll {
    fn next(&mut self, timeout: Duration) -> Result<Option<Wake>, JournalError> {
        if !self.started {
            self.started = true;
            return Ok(Some(Wake::Resync));
        }
        std::thread::sleep(timeout.min(POLL_EVERY));
        Ok((timeout >= POLL_EVERY).then_some(Wake::Resync))
    }
}

/// `INCIDENT:SEQ`, as the PostgreSQL journal announces each entry.
pub(crate) fn parse_payload(payload: &str) -> Option<Wake> {
    let (id, seq) = payload.rsplit_once(':')?;
    Some(Wake::Entry {
        id: super::normalize_id(id)?,
        seq: seq.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Authority, Event, NoteKind, Severity};
    use crate::journal::{FileStore, Journal, Redaction};
    use chrono::Utc;

    /// A data directory with one incident, and its id.
    fn one_incident() -> (tempfile::TempDir, FileStore, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let id = store
            .create("alice", Utc::now(), "Checkout 500s", Severity::Sev1, None)
            .unwrap()
            .id()
            .to_string();
        (dir, store, id)
    }

    fn note(store: &FileStore, id: &str, text: &str) {
        let event = Event::Note {
            kind: NoteKind::Observation,
            text: text.into(),
        };
        store
            .open(id)
            .unwrap()
            .append("alice", Utc::now(), event)
            .unwrap();
    }

    /// Whether `watch` names incident `id` within 10 s (a wake-up that says where to look;
    /// `Resync`, which says only "anything may have changed", does not count).
    fn names(watch: &mut dyn Watch, id: &str) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            match watch.next(Duration::from_millis(100)) {
                Ok(Some(Wake::Changed { id: got } | Wake::Entry { id: got, .. })) if got == id => {
                    return true;
                }
                _ => {}
            }
        }
        false
    }

    /// Takes the wake-ups already due (for at most a second), so the next one is about what
    /// happens next.
    fn settle(watch: &mut dyn Watch) {
        let until = std::time::Instant::now() + Duration::from_secs(1);
        while std::time::Instant::now() < until {
            if let Ok(None) = watch.next(Duration::from_millis(200)) {
                return;
            }
        }
    }

    #[test]
    fn the_data_directory_s_watch_names_the_incident_an_append_went_to() {
        let (_dir, store, id) = one_incident();
        let mut watch = crate::journal::Store::watch(&store).unwrap();
        assert_eq!(watch.next(Duration::ZERO).unwrap(), Some(Wake::Resync));
        settle(watch.as_mut());
        note(&store, &id, "rolled back pricing");
        assert!(
            names(watch.as_mut(), &id),
            "no wake-up named {id} after an append"
        );
        // A new incident is watched too.
        let other = store
            .create("bob", Utc::now(), "Login slow", Severity::Sev3, None)
            .unwrap()
            .id()
            .to_string();
        settle(watch.as_mut());
        note(&store, &other, "looking");
        assert!(names(watch.as_mut(), &other), "no wake-up named {other}");
    }

    /// The kernel's word alone (the looks at every journal an hour apart) wakes a reader for
    /// each append, each new incident and a rewrite.
    #[test]
    fn inotify_alone_names_every_change() {
        let (dir, store, id) = one_incident();
        let settings = Settings {
            init: inotify_init,
            slow_look: Duration::from_secs(3600),
        };
        let mut watch = FileWatch::with(dir.path().join("incidents"), settings);
        assert_eq!(watch.next(Duration::ZERO).unwrap(), Some(Wake::Resync));
        assert!(watch.notified(), "inotify could not be had here");
        for n in 0..20 {
            note(&store, &id, &format!("note {n}"));
            assert!(names(&mut watch, &id), "append {n} named no incident");
            settle(&mut watch);
        }
        let other = store
            .create("bob", Utc::now(), "Login slow", Severity::Sev3, None)
            .unwrap()
            .id()
            .to_string();
        assert!(names(&mut watch, &other), "a new incident was not named");
        settle(&mut watch);
        rewrite_then_append(&store, &mut watch, &id);
    }

    /// A redaction rewrites `id`'s journal, then a note goes to the new file: the watch names
    /// the incident for each.
    fn rewrite_then_append(store: &FileStore, watch: &mut FileWatch, id: &str) {
        let request = Redaction {
            seq: 2,
            reason: "a rewrite",
            authority: Authority::Commander,
            allowed: &[],
        };
        store
            .open(id)
            .unwrap()
            .redact("alice", Utc::now(), &request)
            .unwrap();
        assert!(names(watch, id), "the rewrite named no incident");
        settle(watch);
        note(store, id, "after the rewrite");
        assert!(
            names(watch, id),
            "an append to the new file named no incident"
        );
    }

    /// Without inotify (no instance to be had), the looks find every append and a rewrite.
    #[test]
    fn without_inotify_the_looks_name_every_change() {
        let (dir, store, id) = one_incident();
        let settings = Settings {
            init: || Err(std::io::Error::from_raw_os_error(libc::EMFILE)),
            slow_look: Duration::from_secs(3600),
        };
        let mut watch = FileWatch::with(dir.path().join("incidents"), settings);
        assert_eq!(watch.next(Duration::ZERO).unwrap(), Some(Wake::Resync));
        assert!(!watch.notified());
        for n in 0..5 {
            note(&store, &id, &format!("note {n}"));
            assert!(names(&mut watch, &id), "append {n} named no incident");
            settle(&mut watch);
        }
        rewrite_then_append(&store, &mut watch, &id);
    }

    #[test]
    fn the_data_directory_s_watch_follows_a_journal_rewritten_by_a_redaction() {
        let (_dir, store, id) = one_incident();
        note(&store, &id, "the password is hunter2");
        let mut watch = crate::journal::Store::watch(&store).unwrap();
        settle(watch.as_mut());
        let request = Redaction {
            seq: 2,
            reason: "a pasted password",
            authority: Authority::Commander,
            allowed: &[],
        };
        store
            .open(&id)
            .unwrap()
            .redact("alice", Utc::now(), &request)
            .unwrap();
        assert!(
            names(watch.as_mut(), &id),
            "no wake-up named {id} after the rewrite"
        );
        // The new file is the one watched from now on.
        settle(watch.as_mut());
        note(&store, &id, "after the rewrite");
        assert!(
            names(watch.as_mut(), &id),
            "no wake-up after an append to the new file"
        );
    }

    #[test]
    fn a_payload_names_the_incident_and_its_seq_and_garbage_is_ignored() {
        assert_eq!(
            parse_payload("INC-7:42"),
            Some(Wake::Entry {
                id: "INC-7".into(),
                seq: 42
            })
        );
        assert_eq!(parse_payload("INC-7"), None);
        assert_eq!(parse_payload("INC-7:x"), None);
        assert_eq!(parse_payload("../x:1"), None);
    }
}
