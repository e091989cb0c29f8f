//! The outbox against a real PostgreSQL: what is typed while the database is stopped is kept
//! on this machine, read back after the process is gone, and drained in order, with the times
//! at which it was recorded, once the database answers again; a drain cut off after its
//! `COMMIT` records nothing twice; an entry the incident now refuses is kept, not dropped.

use crate::support::postgres;
use crate::support::stores::pg;
use chrono::{DateTime, TimeZone, Utc};
use warroom::domain::{Event, NoteKind, Severity, Status};
use warroom::journal::{Journal, JournalError, Outbox};

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, minute, 0).unwrap()
}

fn note(text: &str) -> Event {
    Event::Note {
        kind: NoteKind::Observation,
        text: text.into(),
    }
}

fn status(from: Status, to: Status) -> Event {
    Event::StatusChanged { from, to }
}

/// The incident's entries after the opening one, as (at, by, event).
fn after_opening(journal: &dyn Journal) -> Vec<(DateTime<Utc>, String, Event)> {
    journal.records()[1..]
        .iter()
        .map(|r| (r.entry.at, r.entry.by.clone(), r.entry.event.clone()))
        .collect()
}

#[test]
fn entries_typed_while_postgres_is_down_survive_the_process_and_land_in_order_once_it_is_back() {
    // Its own cluster: this test stops it.
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let url = cluster.url();
    let data = tempfile::tempdir().unwrap();
    let incidents = data.path().join("incidents");
    let store = pg(&url);
    let journal = warroom::journal::Store::create(
        &store,
        "alice",
        t(0),
        warroom::journal::Opening {
            title: "Checkout 500s",
            severity: Severity::Sev1,
            summary: None,
        },
    )
    .unwrap();
    let id = journal.id().to_string();
    let mut journal = journal;

    cluster.stop_immediate();
    let typed = vec![
        (t(1), note("the database is down too")),
        (t(2), status(Status::Investigating, Status::Identified)),
        (
            t(3),
            Event::StatusUpdate {
                text: "Checkout is failing; we are on it.".into(),
            },
        ),
        (t(4), note("failing over to the replica")),
    ];
    {
        let mut outbox = Outbox::load(&incidents, &id).unwrap();
        for (at, event) in &typed {
            outbox.push("alice", *at, event.clone()).unwrap();
        }
        // A drain while the database is down stops at the first entry and keeps them all.
        let drained = outbox.drain(&mut journal);
        assert!(
            matches!(&drained.stopped, Some(JournalError::Store(why)) if why.contains("nothing was recorded")),
            "{:?}",
            drained.stopped
        );
        assert!(drained.committed.is_empty());
        assert_eq!(outbox.entries().len(), 4);
        // Dropped without another drain: as a SIGKILL leaves it.
    }
    drop(journal);
    drop(store);
    let outbox = Outbox::load(&incidents, &id).unwrap();
    let kept: Vec<_> = outbox
        .entries()
        .iter()
        .map(|q| (q.at, q.event.clone()))
        .collect();
    assert_eq!(kept, typed, "read back after the process is gone");
    drop(outbox);

    cluster.restart();
    let store = pg(&url);
    let mut journal = warroom::journal::Store::open(&store, &id).unwrap();
    let mut outbox = Outbox::load(&incidents, &id).unwrap();
    let drained = outbox.drain(&mut journal);
    assert!(drained.stopped.is_none(), "{:?}", drained.stopped);
    assert_eq!(drained.committed.len(), 4);
    assert!(drained.refused.is_empty());
    let expected: Vec<_> = typed
        .iter()
        .map(|(at, e)| (*at, "alice".to_string(), e.clone()))
        .collect();
    assert_eq!(after_opening(&*journal), expected);
    assert!(
        !outbox.path().exists(),
        "the outbox is removed once drained"
    );
    // Another machine reads the same, and the chain verifies.
    let elsewhere = pg(&url);
    let reread = warroom::journal::Store::open(&elsewhere, &id).unwrap();
    assert_eq!(after_opening(&*reread), expected);
    warroom::journal::Store::verify(&elsewhere, &id).unwrap();
}

#[test]
fn a_drain_cut_off_after_its_commit_records_nothing_twice() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("outbox_once");
    let data = tempfile::tempdir().unwrap();
    let incidents = data.path().join("incidents");
    let store = pg(&url);
    let mut journal = store
        .create("alice", t(0), "Checkout 500s", Severity::Sev2, None)
        .unwrap();
    let id = journal.id().to_string();
    let mut outbox = Outbox::load(&incidents, &id).unwrap();
    outbox.push("alice", t(1), note("one")).unwrap();
    outbox
        .push(
            "alice",
            t(2),
            status(Status::Investigating, Status::Identified),
        )
        .unwrap();
    let keys: Vec<String> = outbox.entries().iter().map(|q| q.key.clone()).collect();
    // What the file held before the drain: a process killed after both COMMITs but before
    // it wrote that they were committed leaves exactly this.
    let before = std::fs::read(outbox.path()).unwrap();
    let drained = outbox.drain(&mut journal);
    assert!(drained.stopped.is_none(), "{:?}", drained.stopped);
    assert_eq!(journal.records().len(), 3);
    std::fs::write(outbox.path(), &before).unwrap();

    // The console started again: a new connection, the incident read whole.
    let restarted = pg(&url);
    let mut journal = restarted.open(&id).unwrap();
    let mut outbox = Outbox::load(&incidents, &id).unwrap();
    assert_eq!(outbox.entries().len(), 2);
    let drained = outbox.drain(&mut journal);
    assert!(drained.stopped.is_none(), "{:?}", drained.stopped);
    assert_eq!(
        drained
            .committed
            .iter()
            .map(|r| r.entry.seq)
            .collect::<Vec<_>>(),
        vec![2, 3],
        "the entries found committed, not recorded again"
    );
    assert!(drained.refused.is_empty(), "{:?}", drained.refused);
    assert!(!outbox.path().exists());
    let reread = pg(&url).open(&id).unwrap();
    assert_eq!(reread.records().len(), 3);
    for key in keys {
        let n = cluster.admin_on(
            "outbox_once",
            &format!("SELECT count(*) FROM warroom_events WHERE event_id = '{key}'"),
        );
        assert_eq!(
            n[0][0].as_deref(),
            Some("1"),
            "entry {key} once, under its key"
        );
    }
}

#[test]
fn an_entry_the_incident_now_refuses_is_kept_with_the_reason_and_the_rest_lands() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("outbox_refused");
    let data = tempfile::tempdir().unwrap();
    let incidents = data.path().join("incidents");
    let store = pg(&url);
    let mut journal = store
        .create("alice", t(0), "Checkout 500s", Severity::Sev2, None)
        .unwrap();
    let id = journal.id().to_string();
    let mut outbox = Outbox::load(&incidents, &id).unwrap();
    outbox
        .push("alice", t(1), note("seen from the edge"))
        .unwrap();
    outbox
        .push(
            "alice",
            t(2),
            status(Status::Investigating, Status::Identified),
        )
        .unwrap();
    outbox.push("alice", t(3), note("rolled back")).unwrap();
    // Meanwhile bob, on a machine that could reach the database, moved the status on.
    let mut bobs = pg(&url).open(&id).unwrap();
    bobs.append(
        "bob",
        t(5),
        status(Status::Investigating, Status::Monitoring),
    )
    .unwrap();

    let drained = outbox.drain(&mut journal);
    assert!(drained.stopped.is_none(), "{:?}", drained.stopped);
    assert_eq!(drained.committed.len(), 2);
    assert_eq!(drained.refused.len(), 1);
    let why = drained.refused[0].refused.clone().unwrap_or_default();
    assert!(why.contains("status changed meanwhile"), "{why}");
    // Landed after bob's entry, with the times they were typed at.
    assert_eq!(
        after_opening(&journal),
        vec![
            (
                t(5),
                "bob".to_string(),
                status(Status::Investigating, Status::Monitoring)
            ),
            (t(1), "alice".to_string(), note("seen from the edge")),
            (t(3), "alice".to_string(), note("rolled back")),
        ]
    );
    warroom::journal::Store::verify(&store, &id).unwrap();
    // The refused entry stays on this machine, with its reason, across a restart.
    let back = Outbox::load(&incidents, &id).unwrap();
    assert_eq!(back.entries().len(), 1);
    assert_eq!(back.entries()[0].at, t(2));
    assert_eq!(back.entries()[0].refused.as_deref(), Some(why.as_str()));
    assert!(back.is_drained());
}
