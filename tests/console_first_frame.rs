//! The console's first frame comes from the summaries kept beside the journals: the journal
//! worker lists every incident without opening (replaying) a single journal, shows on the
//! incident list exactly what reading every journal whole would show, opens a journal only
//! when its incident is entered, and never shows a summary its journal has moved past (an
//! entry appended by another process before the console started, or while it runs).

use crate::common::{run, warroom};
use crate::support::console::{at, screen};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use warroom::console::action::{Action, Effect};
use warroom::console::effects::spawn_on;
use warroom::console::keymap::Keymap;
use warroom::console::state::State;
use warroom::console::update::update;
use warroom::domain::{Event, Role, Severity, Status};
use warroom::journal::{
    BoxJournal, FileStore, Journal, JournalError, Lead, Listed, LockHolder, Opening, Shares, Stamp,
    Store, Summary, Watch,
};

/// The data directory's store, counting how often a journal is read whole through it.
#[derive(Debug)]
struct Counting {
    files: FileStore,
    opens: AtomicUsize,
    leads: AtomicUsize,
}

impl Store for Counting {
    fn shown(&self) -> String {
        Store::shown(&self.files)
    }
    fn ids(&self) -> Result<Vec<String>, JournalError> {
        Store::ids(&self.files)
    }
    fn create(
        &self,
        by: &str,
        at: DateTime<Utc>,
        opening: Opening<'_>,
    ) -> Result<BoxJournal, JournalError> {
        Store::create(&self.files, by, at, opening)
    }
    fn open(&self, id: &str) -> Result<BoxJournal, JournalError> {
        self.opens.fetch_add(1, Ordering::SeqCst);
        Store::open(&self.files, id)
    }
    fn lead(
        &self,
        id: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<(BoxJournal, Box<dyn Lead>), JournalError> {
        self.leads.fetch_add(1, Ordering::SeqCst);
        Store::lead(&self.files, id, user, now)
    }
    fn leader(&self, id: &str) -> Result<Option<LockHolder>, JournalError> {
        Store::leader(&self.files, id)
    }
    fn watch(&self) -> Result<Box<dyn Watch>, JournalError> {
        Store::watch(&self.files)
    }
    fn shares(&self) -> Arc<dyn Shares> {
        Store::shares(&self.files)
    }
    fn summary(&self, id: &str, json: bool) -> Result<Listed, JournalError> {
        Store::summary(&self.files, id, json)
    }
    fn keeps_summaries(&self) -> bool {
        Store::keeps_summaries(&self.files)
    }
    fn changed(&self, id: &str, stamp: &Stamp) -> bool {
        Store::changed(&self.files, id, stamp)
    }
}

/// Three incidents opened around 09:00 on the day of the outage: a sev1 with a commander
/// and a status update, a sev3, and one resolved.
fn three_incidents(store: &FileStore) -> Vec<String> {
    let mut ids = Vec::new();
    let mut a = store
        .create("alice", at(0, 0), "Checkout 500s", Severity::Sev1, None)
        .unwrap();
    a.append(
        "alice",
        at(1, 0),
        Event::RoleAssigned {
            role: Role::Commander,
            person: "alice".into(),
        },
    )
    .unwrap();
    a.append(
        "alice",
        at(4, 0),
        Event::StatusUpdate {
            text: "rolling back".into(),
        },
    )
    .unwrap();
    ids.push(a.id().to_string());
    let b = store
        .create(
            "bob",
            at(2, 0),
            "Search slow in eu-west",
            Severity::Sev3,
            None,
        )
        .unwrap();
    ids.push(b.id().to_string());
    let mut c = store
        .create("carol", at(3, 0), "Login loop", Severity::Sev2, None)
        .unwrap();
    c.append(
        "carol",
        at(9, 0),
        Event::Resolved {
            summary: Some("cookie domain fixed".into()),
        },
    )
    .unwrap();
    ids.push(c.id().to_string());
    ids
}

/// Keeps every incident's summary, as `warroom list` does.
fn keep_summaries(store: &FileStore) {
    for id in store.ids().unwrap() {
        store.summary(&id, false).unwrap();
    }
}

/// A journal worker on `store` and what it answers.
struct Worker {
    effects: std::sync::mpsc::Sender<Effect>,
    handle: std::thread::JoinHandle<()>,
    answers: tokio::sync::mpsc::UnboundedReceiver<Action>,
}

impl Worker {
    fn start(store: Arc<dyn Store>, data: &Path) -> Worker {
        let (tx, answers) = tokio::sync::mpsc::unbounded_channel();
        let (effects, handle) = spawn_on(store, data.to_path_buf(), "dave".into(), tx).unwrap();
        Worker {
            effects,
            handle,
            answers,
        }
    }

    /// The first answer `want` picks out, within 10 s.
    fn wait<T>(&mut self, what: &str, want: impl Fn(Action) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.answers.try_recv() {
                Ok(a) => {
                    if let Some(t) = want(a) {
                        return t;
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        panic!("no {what} within 10 s");
    }

    fn list(&mut self) -> Vec<Summary> {
        self.wait("incident list", |a| match a {
            Action::Incidents(list) => Some(list),
            _ => None,
        })
    }

    fn stop(self) {
        drop(self.effects);
        self.handle.join().unwrap();
    }
}

/// The incident list screen a console shows for `list`, resolved incidents included.
fn list_screen(list: Vec<Summary>) -> String {
    let mut s = State::new("dave".into(), Keymap::default(), vec![]);
    update(&mut s, Action::Incidents(list), at(12, 0));
    s.show_resolved = true;
    screen(&mut s, 110, 20)
}

/// What reading every journal whole shows, as the console did before it kept summaries.
fn read_whole(store: &FileStore) -> Vec<Summary> {
    let mut list = Vec::new();
    for id in store.ids().unwrap() {
        let j = store.open(&id).unwrap();
        list.extend(j.incident().map(Summary::of));
    }
    list
}

#[test]
fn the_first_frame_lists_every_incident_from_its_summary_without_opening_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let files = FileStore::new(data);
    let ids = three_incidents(&files);
    keep_summaries(&files);
    let counting = Arc::new(Counting {
        files: FileStore::new(data),
        opens: AtomicUsize::new(0),
        leads: AtomicUsize::new(0),
    });
    let mut worker = Worker::start(counting.clone(), data);
    let first = worker.list();
    assert_eq!(
        (
            counting.opens.load(Ordering::SeqCst),
            counting.leads.load(Ordering::SeqCst)
        ),
        (0, 0),
        "journals read whole for the first frame"
    );
    let shown = list_screen(first.clone());
    assert_eq!(shown, list_screen(read_whole(&files)), "{shown}");
    for title in ["Checkout 500s", "Search slow in eu-west", "Login loop"] {
        assert!(shown.contains(title), "{title} not listed:\n{shown}");
    }
    assert!(shown.contains("alice"), "the commander:\n{shown}");
    assert!(shown.contains("resolved"), "{shown}");

    // Entered: now its journal is read, once.
    worker
        .effects
        .send(Effect::Open { id: ids[1].clone() })
        .unwrap();
    let entries = worker.wait("the incident", |a| match a {
        Action::Opened { id, entries, .. } if id == ids[1] => Some(entries.len()),
        _ => None,
    });
    assert_eq!(entries, 1);
    assert_eq!(
        counting.leads.load(Ordering::SeqCst) + counting.opens.load(Ordering::SeqCst),
        1
    );
    worker.stop();
}

#[test]
fn a_summary_the_journal_moved_past_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let files = FileStore::new(data);
    let ids = three_incidents(&files);
    keep_summaries(&files);
    // Another process changes the first incident after its summary was kept.
    let ran = run({
        let mut c = warroom(data, "erin");
        c.args(["severity", &ids[0], "sev2"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);

    let mut worker = Worker::start(Arc::new(FileStore::new(data)), data);
    let first = worker.list();
    let checkout = first.iter().find(|s| s.id == ids[0]).unwrap();
    assert_eq!(checkout.severity, Severity::Sev2, "{checkout:?}");
    assert_eq!(list_screen(first.clone()), list_screen(read_whole(&files)));

    // And while the console runs, another process changes an incident it has not entered.
    let ran = run({
        let mut c = warroom(data, "erin");
        c.args(["status", &ids[1], "identified"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let search = ids[1].clone();
    worker.wait("the new status listed", move |a| match a {
        Action::Incidents(list) => list
            .iter()
            .any(|s| s.id == search && s.status == Status::Identified)
            .then_some(()),
        _ => None,
    });
    worker.stop();
}
