//! The console's journal worker when the database goes away mid-incident, against a real
//! PostgreSQL: it says so at once, what the leader types meanwhile is kept in this machine's
//! outbox and shown as not yet shared, and it lands in order, with the times it was typed at,
//! once the database is back (also on a promoted replica after the primary crashed); the
//! outbox is read back by a console started again after the store answers.

use crate::support::postgres::{self, Postgres};
use crate::support::stores::pg;
use chrono::Utc;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use warroom::console::action::{Action, Effect, Lead};
use warroom::domain::{Event, NoteKind, Severity};
use warroom::journal::{Journal, Opening, Store};

struct Worker {
    effects: Option<std::sync::mpsc::Sender<Effect>>,
    answers: UnboundedReceiver<Action>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    fn start(url: &str, data: &Path) -> Worker {
        let store: Arc<dyn Store> = Arc::new(pg(url));
        let (tx, answers) = tokio::sync::mpsc::unbounded_channel();
        let (effects, handle) =
            warroom::console::effects::spawn_on(store, data.to_path_buf(), "alice".to_string(), tx)
                .unwrap();
        Worker {
            effects: Some(effects),
            answers,
            handle: Some(handle),
        }
    }

    fn send(&self, e: Effect) {
        if let Some(tx) = &self.effects {
            tx.send(e).unwrap();
        }
    }

    fn wait<T>(&mut self, what: &str, within: Duration, want: impl Fn(&Action) -> Option<T>) -> T {
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

    fn note(&self, id: &str, text: &str) {
        self.send(Effect::Append {
            id: id.into(),
            event: note(text),
            clears_draft: true,
        });
    }

    /// Waits until the outbox shown holds `n` entries waiting; their texts.
    fn unshared(&mut self, n: usize, within: Duration) -> Vec<String> {
        self.wait(&format!("{n} not yet shared"), within, |a| match a {
            Action::Unshared { entries, .. }
                if entries.iter().filter(|(_, r)| r.is_none()).count() == n =>
            {
                Some(entries.iter().map(|(e, _)| e.event.describe()).collect())
            }
            _ => None,
        })
    }

    fn stop(mut self) {
        self.effects = None;
        if let Some(h) = self.handle.take() {
            h.join().unwrap();
        }
    }
}

fn note(text: &str) -> Event {
    Event::Note {
        kind: NoteKind::Observation,
        text: text.into(),
    }
}

fn open_incident(url: &str) -> String {
    let store = pg(url);
    let opening = Opening {
        title: "Checkout 500s",
        severity: Severity::Sev1,
        summary: None,
    };
    Store::create(&store, "alice", Utc::now(), opening)
        .unwrap()
        .id()
        .to_string()
}

/// The incident's entries after the opening one, as the store holds them: (by, text).
fn stored(url: &str, id: &str) -> Vec<(String, String)> {
    let journal = Store::open(&pg(url), id).unwrap();
    journal.records()[1..]
        .iter()
        .map(|r| (r.entry.by.clone(), r.entry.event.describe()))
        .collect()
}

/// Types three entries while `stop` has made the store unreachable, checks they are shown as
/// not yet shared, then `back` makes it reachable and they must land in order.
fn typed_while_down_lands_in_order(
    url_before: &str,
    url_after: &str,
    id: &str,
    data: &Path,
    stop: impl FnOnce(),
    back: impl FnOnce(),
) {
    let mut w = Worker::start(url_before, data);
    w.send(Effect::Open { id: id.into() });
    let lead = w.wait("Opened", Duration::from_secs(10), |a| match a {
        Action::Opened { lead, .. } => Some(lead.clone()),
        _ => None,
    });
    assert_eq!(lead, Lead::Leading);
    stop();
    let typed_at = Utc::now();
    w.note(id, "the database is down too");
    // Said once the store fails to answer (it keeps trying for up to 10 s first).
    let why = w.wait("StoreDown", Duration::from_secs(20), |a| match a {
        Action::StoreDown(Some(why)) => Some(why.clone()),
        _ => None,
    });
    assert!(why.contains("cannot reach the store"), "{why}");
    assert_eq!(w.unshared(1, Duration::from_secs(5)).len(), 1);
    // Further entries go straight to the outbox, without waiting for the store again.
    let quick = Instant::now();
    w.send(Effect::Append {
        id: id.into(),
        event: Event::StatusUpdate {
            text: "Checkout is failing; we are on it.".into(),
        },
        clears_draft: true,
    });
    w.note(id, "failing over");
    let shown = w.unshared(3, Duration::from_secs(5));
    assert!(
        quick.elapsed() < Duration::from_secs(3),
        "queued in {:?}",
        quick.elapsed()
    );
    assert!(shown[0].contains("the database is down too"), "{shown:?}");
    assert!(shown[2].contains("failing over"), "{shown:?}");
    back();
    w.wait("StoreDown(None)", Duration::from_secs(30), |a| {
        matches!(a, Action::StoreDown(None)).then_some(())
    });
    let ours = w.wait("Drained", Duration::from_secs(20), |a| match a {
        Action::Drained { ours, .. } => Some(ours.len()),
        _ => None,
    });
    assert_eq!(ours, 3);
    w.unshared(0, Duration::from_secs(5));
    w.stop();
    let got = stored(url_after, id);
    let texts: Vec<&str> = got.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].contains("the database is down too"), "{texts:?}");
    assert!(texts[1].contains("we are on it"), "{texts:?}");
    assert!(texts[2].contains("failing over"), "{texts:?}");
    let journal = Store::open(&pg(url_after), id).unwrap();
    let first = &journal.records()[1].entry;
    assert!(
        (first.at - typed_at).num_seconds().abs() < 2,
        "recorded at {} though typed at {typed_at}",
        first.at
    );
    Store::verify(&pg(url_after), id).unwrap();
    assert!(
        !data
            .join("incidents")
            .join(id)
            .join("outbox.jsonl")
            .exists(),
        "the outbox is removed once drained"
    );
}

#[test]
fn typed_while_the_database_is_stopped_is_kept_shown_and_lands_in_order_when_it_is_back() {
    // Its own cluster: this test stops it.
    let Some(cluster) = postgres::start() else {
        return;
    };
    let cluster = std::sync::Mutex::new(cluster);
    let url = cluster.lock().unwrap().url();
    let id = open_incident(&url);
    let data = tempfile::tempdir().unwrap();
    typed_while_down_lands_in_order(
        &url,
        &url,
        &id,
        data.path(),
        || cluster.lock().unwrap().stop_immediate(),
        || cluster.lock().unwrap().restart(),
    );
}

#[test]
fn a_console_started_again_finds_its_outbox_and_shares_it() {
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let url = cluster.url();
    let id = open_incident(&url);
    let data = tempfile::tempdir().unwrap();
    let mut w = Worker::start(&url, data.path());
    w.send(Effect::Open { id: id.clone() });
    w.wait("Opened", Duration::from_secs(10), |a| {
        matches!(a, Action::Opened { .. }).then_some(())
    });
    cluster.stop_immediate();
    w.note(&id, "one");
    w.unshared(1, Duration::from_secs(20));
    w.note(&id, "two");
    w.unshared(2, Duration::from_secs(5));
    // The console goes away before the store is back.
    w.stop();
    cluster.restart();
    let mut again = Worker::start(&url, data.path());
    again.send(Effect::Open { id: id.clone() });
    again.unshared(2, Duration::from_secs(10));
    again.wait("Drained", Duration::from_secs(20), |a| {
        matches!(a, Action::Drained { .. }).then_some(())
    });
    again.stop();
    let got = stored(&url, &id);
    let texts: Vec<&str> = got.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].contains("one") && texts[1].contains("two"),
        "{texts:?}"
    );
}

/// Failover: a console leads on a two-host URL, the primary crashes, the synchronous replica
/// is promoted, and the console carries on there: its outbox drains on the new primary.
#[test]
fn the_outbox_drains_on_a_promoted_replica_after_the_primary_crashes() {
    let Some(primary) = postgres::start() else {
        return;
    };
    primary.database("failover");
    let replica = primary.replica(true);
    let url = format!(
        "postgres://warroom:{}@127.0.0.1:{},127.0.0.1:{}/failover\
         ?sslmode=disable&target_session_attrs=read-write",
        primary.password, primary.port, replica.port
    );
    let id = open_incident(&url);
    let data = tempfile::tempdir().unwrap();
    let primary: std::sync::Mutex<Postgres> = std::sync::Mutex::new(primary);
    typed_while_down_lands_in_order(
        &url,
        &replica.url_of("failover"),
        &id,
        data.path(),
        || primary.lock().unwrap().stop_immediate(),
        || replica.promote(),
    );
}
