//! The live tail of the PostgreSQL store (`Store::watch`): a commit by another process is
//! announced as its incident and seq; after the database restarts, the subscription listens
//! again by itself and says that anything may have changed, and what is committed afterwards
//! is announced again. Against a real PostgreSQL 15 started for this file.

use crate::support::postgres;
use crate::support::stores::pg;
use chrono::Utc;
use std::time::{Duration, Instant};
use warroom::domain::{Event, NoteKind, Severity};
use warroom::journal::{Journal, Store, Wake, Watch};

fn note(text: &str) -> Event {
    Event::Note {
        kind: NoteKind::Observation,
        text: text.to_string(),
    }
}

/// Wake-ups until `want` is among them (errors are only noted), or a panic after `within`.
fn wait_for(watch: &mut dyn Watch, want: &Wake, within: Duration) -> Vec<String> {
    let until = Instant::now() + within;
    let mut errors = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no {want:?} within {within:?}; errors: {errors:?}"
        );
        match watch.next(left) {
            Ok(Some(w)) if &w == want => return errors,
            Ok(_) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
}

#[test]
fn a_commit_elsewhere_is_announced_and_the_subscription_survives_a_restart() {
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let url = cluster.url();
    let writer = pg(&url);
    let mut journal = writer
        .create("alice", Utc::now(), "Checkout 500s", Severity::Sev1, None)
        .unwrap();
    let id = journal.id().to_string();

    let reader = pg(&url);
    let mut watch = Store::watch(&reader).unwrap();
    wait_for(watch.as_mut(), &Wake::Resync, Duration::from_secs(10));

    journal.append("bob", Utc::now(), note("first")).unwrap();
    let seq = journal.records().len() as u64;
    wait_for(
        watch.as_mut(),
        &Wake::Entry {
            id: id.clone(),
            seq,
        },
        Duration::from_secs(5),
    );

    cluster.stop_immediate();
    // What a stopped database cannot announce is not lost: the subscription says so
    // (an error), listens again once the database is back, and says anything may have changed.
    cluster.restart();
    let errors = wait_for(watch.as_mut(), &Wake::Resync, Duration::from_secs(30));
    assert!(
        errors.iter().all(|e| !e.contains(&cluster.password)),
        "the password in an error: {errors:?}"
    );
    assert!(!errors.is_empty(), "the lost connection was not reported");

    journal
        .append("bob", Utc::now(), note("after the restart"))
        .unwrap();
    let seq = journal.records().len() as u64;
    wait_for(
        watch.as_mut(),
        &Wake::Entry {
            id: id.clone(),
            seq,
        },
        Duration::from_secs(5),
    );
}
