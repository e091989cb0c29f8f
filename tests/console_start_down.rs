//! A console started while PostgreSQL is down: the store is chosen anyway
//! (`StoreChoice::connect_or_later`), the journal worker says STORE UNREACHABLE at once with the
//! reason (never the password) and lists the incidents whose entries wait in this machine's
//! outbox (typed while the store was gone, before a restart), saying so in their title; once
//! the database is back it connects by itself, the outbox is shared and the incident list
//! fills in, without a restart.

use crate::support::postgres;
use crate::support::stores::pg;
use chrono::Utc;
use std::time::{Duration, Instant};
use warroom::console::action::Action;
use warroom::console::effects::{SAFETY_POLL, Start, spawn_with};
use warroom::domain::{Event, NoteKind, Severity};
use warroom::journal::{Journal, Opening, Outbox, Store, StoreChoice, StoreOptions};

#[test]
fn a_console_started_with_the_database_down_says_so_and_lists_once_it_is_back() {
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let url = cluster.url();
    let opening = Opening {
        title: "Checkout 500s",
        severity: Severity::Sev1,
        summary: None,
    };
    let kept = pg(&url);
    let id = Store::create(&kept, "alice", Utc::now(), opening)
        .unwrap()
        .id()
        .to_string();
    drop(kept);
    cluster.stop_immediate();
    // A note typed in an earlier console while the store was gone, still in the outbox.
    let data = tempfile::tempdir().unwrap();
    let typed = "checkout-db failover started at 10:02";
    Outbox::load(&data.path().join("incidents"), &id)
        .unwrap()
        .push(
            "bob",
            Utc::now(),
            Event::Note {
                kind: NoteKind::Observation,
                text: typed.into(),
            },
        )
        .unwrap();

    let choice = StoreChoice::Shared(StoreOptions {
        url: url.clone(),
        ..StoreOptions::default()
    });
    let started = Instant::now();
    let (store, down) = choice
        .connect_or_later()
        .unwrap_or_else(|e| panic!("the console's store with the database down: {e}"));
    let why = down.expect("the database is down: says why");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let password = url
        .split(':')
        .nth(2)
        .and_then(|s| s.split('@').next())
        .unwrap();
    assert!(!why.contains(password), "{why}");

    let (tx, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let start = Start {
        safety_poll: SAFETY_POLL,
        down: Some(why.clone()),
    };
    let (effects, handle) =
        spawn_with(store, data.path().to_path_buf(), "bob".into(), tx, start).unwrap();
    let mut wait = |what: &str, within: Duration, want: &dyn Fn(&Action) -> bool| {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match answers.try_recv() {
                Ok(a) if want(&a) => return,
                Ok(a) => seen.push(format!("{a:?}").chars().take(200).collect::<String>()),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        panic!("no {what} within {within:?}; came instead: {seen:#?}");
    };
    wait(
        "the banner",
        Duration::from_secs(2),
        &|a| matches!(a, Action::StoreDown(Some(w)) if *w == why),
    );
    wait(
        "the incident whose entries wait in the outbox, said to be not yet shared",
        Duration::from_secs(2),
        &|a| {
            matches!(a, Action::Incidents(list) if list.len() == 1
                && list[0].id == id
                && list[0].title.contains("1 entry not yet shared")
                && list[0].title.contains("store unreachable"))
        },
    );

    cluster.restart();
    wait("the banner down", Duration::from_secs(15), &|a| {
        matches!(a, Action::StoreDown(None))
    });
    wait("the list filled in", Duration::from_secs(5), &|a| {
        matches!(a, Action::Incidents(list)
                if list.iter().any(|i| i.id == id && i.title == "Checkout 500s"))
    });
    drop(effects);
    handle.join().unwrap();
    // The note waiting in the outbox was shared once the store answered.
    let journal = pg(&url).open(&id).unwrap();
    let shared = journal
        .records()
        .iter()
        .filter(|r| matches!(&r.entry.event, Event::Note { text, .. } if text == typed))
        .count();
    assert_eq!(shared, 1, "the outbox's note in the store once");
}
