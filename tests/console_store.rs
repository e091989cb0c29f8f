//! The console on the store seam, on both stores: its journal worker leads an incident through
//! `Store::lead` (the lock file, or the lease in PostgreSQL), a second console on another
//! "machine" (its own data directory) opens it read-only naming the leader and still records
//! what is open to all under its own name, each sees the other's entries within a second,
//! handing the incident over makes its new commander the leader once the first console lets
//! go, and a lease lost to someone else is said at once.

use crate::support::postgres;
use crate::support::stores::pg;
use chrono::Utc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use warroom::console::action::{Action, Effect, Lead};
use warroom::domain::{Event, NoteKind, Severity};
use warroom::journal::{FileStore, Opening, Store};

/// One console's journal worker, on its own data directory.
pub(crate) struct Worker {
    effects: std::sync::mpsc::Sender<Effect>,
    answers: UnboundedReceiver<Action>,
    handle: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Worker {
    fn start(store: Arc<dyn Store>, me: &str) -> Worker {
        Worker::start_with(store, me, warroom::console::effects::SAFETY_POLL)
    }

    /// A worker whose safety poll (the look for new entries that no wake-up announced) comes
    /// every `safety_poll`.
    pub(crate) fn start_with(store: Arc<dyn Store>, me: &str, safety_poll: Duration) -> Worker {
        let dir = tempfile::tempdir().unwrap();
        let (tx, answers) = tokio::sync::mpsc::unbounded_channel();
        let (effects, handle) = warroom::console::effects::spawn_with(
            store,
            dir.path().to_path_buf(),
            me.to_string(),
            tx,
            warroom::console::effects::Start {
                safety_poll,
                down: None,
            },
        )
        .unwrap();
        Worker {
            effects,
            answers,
            handle: Some(handle),
            _dir: dir,
        }
    }

    pub(crate) fn send(&self, e: Effect) {
        self.effects.send(e).unwrap();
    }

    /// The first answer `want` picks within `within`; fails the test naming what came.
    pub(crate) fn wait<T>(
        &mut self,
        what: &str,
        within: Duration,
        want: impl Fn(&Action) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match self.answers.try_recv() {
                Ok(a) => match want(&a) {
                    Some(t) => return t,
                    None => seen.push(format!("{a:?}").chars().take(200).collect::<String>()),
                },
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        panic!("no {what} within {within:?}; came instead: {seen:#?}");
    }

    pub(crate) fn opened(&mut self, id: &str) -> Lead {
        self.send(Effect::Open { id: id.into() });
        self.wait("Opened", Duration::from_secs(10), |a| match a {
            Action::Opened { lead, .. } => Some(lead.clone()),
            _ => None,
        })
    }

    pub(crate) fn append(&self, id: &str, event: Event) {
        self.send(Effect::Append {
            id: id.into(),
            event,
            clears_draft: false,
        });
    }

    /// Waits for an entry of `by` that `describe` contains `text`, appended by this worker or
    /// seen from another process.
    pub(crate) fn sees(&mut self, what: &str, by: &str, text: &str, within: Duration) {
        self.wait(what, within, |a| match a {
            Action::Entries { entries, .. } | Action::Appended { entries, .. } => entries
                .iter()
                .any(|e| e.by == by && e.event.describe().contains(text))
                .then_some(()),
            _ => None,
        })
    }

    pub(crate) fn stop(mut self) {
        drop(self.effects);
        if let Some(h) = self.handle.take() {
            h.join().unwrap();
        }
    }
}

/// Two handles on one store, as two machines would have them, and the cluster kept running.
pub(crate) struct Pair {
    pub(crate) a: Arc<dyn Store>,
    pub(crate) b: Arc<dyn Store>,
    /// The data directory or the cluster, kept while the test runs.
    _kept: Box<dyn std::any::Any>,
}

/// The data directory itself for files, two connections for PostgreSQL.
pub(crate) fn stores(db: &str) -> Vec<Pair> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![Pair {
        a: Arc::new(FileStore::new(dir.path())),
        b: Arc::new(FileStore::new(dir.path())),
        _kept: Box::new(dir),
    }];
    if let Some(cluster) = postgres::shared() {
        let url = cluster.database(db);
        out.push(Pair {
            a: Arc::new(pg(&url)),
            b: Arc::new(pg(&url)),
            _kept: Box::new(cluster),
        });
    }
    out
}

pub(crate) fn open_incident(store: &dyn Store) -> String {
    let opening = Opening {
        title: "Checkout 500s",
        severity: Severity::Sev1,
        summary: None,
    };
    store
        .create("alice", Utc::now(), opening)
        .unwrap()
        .id()
        .to_string()
}

const LIVE: Duration = Duration::from_secs(1);

#[test]
fn a_second_console_is_read_only_names_the_leader_and_records_what_is_open_to_all() {
    for Pair {
        a: a_store,
        b: b_store,
        _kept,
    } in stores("console_second")
    {
        let shown = a_store.shown();
        let id = open_incident(a_store.as_ref());
        let mut a = Worker::start(a_store, "alice");
        assert_eq!(a.opened(&id), Lead::Leading, "{shown}");
        let mut b = Worker::start(b_store, "bob");
        let Lead::ReadOnly { holder } = b.opened(&id) else {
            panic!("{shown}: the second console must be read-only");
        };
        assert!(
            holder.contains("alice") && holder.contains(&crate::common::hostname()),
            "{shown}: {holder}"
        );

        // Bob records a note and a status update under his own name; Alice sees both live.
        b.append(
            &id,
            Event::Note {
                kind: NoteKind::Hypothesis,
                text: "the pool is exhausted".into(),
            },
        );
        b.sees("bob's note", "bob", "the pool is exhausted", LIVE);
        a.sees(
            "bob's note at alice's",
            "bob",
            "the pool is exhausted",
            LIVE,
        );
        b.append(
            &id,
            Event::StatusUpdate {
                text: "Checkout failing for 30% of users".into(),
            },
        );
        a.sees("bob's update at alice's", "bob", "30% of users", LIVE);

        // Only the leader changes severity.
        b.append(
            &id,
            Event::SeverityChanged {
                from: Severity::Sev1,
                to: Severity::Sev2,
            },
        );
        let why = b.wait("a refusal", LIVE, |a| match a {
            Action::AppendFailed { reason, .. } => Some(reason.clone()),
            _ => None,
        });
        assert!(why.contains("does not lead"), "{shown}: {why}");
        a.append(
            &id,
            Event::SeverityChanged {
                from: Severity::Sev1,
                to: Severity::Sev2,
            },
        );
        b.sees("alice's severity at bob's", "alice", "SEV2", LIVE);
        a.stop();
        b.stop();
    }
}

#[test]
fn handing_over_makes_the_new_commander_lead_once_the_first_console_lets_go() {
    for Pair {
        a: a_store,
        b: b_store,
        _kept,
    } in stores("console_handoff")
    {
        let shown = a_store.shown();
        let id = open_incident(a_store.as_ref());
        let mut a = Worker::start(a_store.clone(), "alice");
        assert_eq!(a.opened(&id), Lead::Leading, "{shown}");
        let mut b = Worker::start(b_store.clone(), "bob");
        assert!(matches!(b.opened(&id), Lead::ReadOnly { .. }), "{shown}");
        let mut c = Worker::start(b_store, "carol");
        assert!(
            matches!(c.opened(&id), Lead::ReadOnly { holder } if holder.contains("alice")),
            "{shown}"
        );
        a.append(
            &id,
            Event::Handoff {
                from: None,
                to: "bob".into(),
                summary: "over to you".into(),
            },
        );
        b.sees("the handoff", "alice", "handoff", LIVE);
        // Alice still leads until she lets go: no lead changes hands meanwhile.
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            !matches!(b.answers.try_recv(), Ok(Action::LeadChanged { .. })),
            "{shown}"
        );
        a.stop();
        let lead = b.wait("bob taking the lead", Duration::from_secs(3), |a| match a {
            Action::LeadChanged { lead, .. } => Some(lead.clone()),
            _ => None,
        });
        assert_eq!(lead, Lead::Leading, "{shown}");
        // Bob leads now: a third console is refused naming him.
        let err = a_store
            .lead(&id, "carol", Utc::now())
            .map(drop)
            .expect_err("bob leads");
        assert!(err.to_string().contains("bob"), "{shown}: {err}");
        // Carol's read-only console names the new leader by itself.
        c.wait(
            "carol's header naming bob",
            Duration::from_secs(5),
            |a| match a {
                Action::LeadChanged {
                    lead: Lead::ReadOnly { holder },
                    ..
                } if holder.contains("bob") => Some(()),
                _ => None,
            },
        );
        c.stop();
        b.append(
            &id,
            Event::SeverityChanged {
                from: Severity::Sev1,
                to: Severity::Sev3,
            },
        );
        b.sees("bob's severity", "bob", "SEV3", LIVE);
        b.stop();
    }
}

#[test]
fn a_lease_taken_by_someone_else_is_said_at_once_and_ends_leading() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("console_lost");
    let store: Arc<dyn Store> = Arc::new(pg(&url));
    let id = open_incident(store.as_ref());
    let mut a = Worker::start(store.clone(), "alice");
    assert_eq!(a.opened(&id), Lead::Leading);
    // As if Alice's machine had been cut off for longer than the lease: it ran out, and
    // Erin took the lead.
    cluster.admin_on(
        "console_lost",
        "UPDATE warroom_leases SET renewed_at = now() - interval '1 hour'",
    );
    let (_journal, erin) = pg(&url).lead(&id, "erin", Utc::now()).unwrap();
    let lead = a.wait("the lost lead", warroom::journal::LEASE, |a| match a {
        Action::LeadChanged { lead, .. } => Some(lead.clone()),
        _ => None,
    });
    let Lead::Lost {
        holder: Some(holder),
    } = lead
    else {
        panic!("expected the lead lost to erin, got {lead:?}");
    };
    assert!(holder.contains("erin"), "{holder}");
    // Alice's console no longer records as leader.
    a.append(
        &id,
        Event::SeverityChanged {
            from: Severity::Sev1,
            to: Severity::Sev2,
        },
    );
    let why = a.wait("a refusal", LIVE, |a| match a {
        Action::AppendFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(why.contains("does not lead"), "{why}");
    drop(erin);
    a.stop();
}
