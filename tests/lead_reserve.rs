//! A handoff keeps the lead for the person named, on both stores: once the old leader lets go
//! (quits), only that person may take the lead for `RESERVE` (two minutes); anyone else,
//! the old leader included, is refused with a message naming them. Once they took it, or once
//! the window is over, anyone may lead it again. A lease that ran out (a leader cut off) starts
//! the window too. The window's end is simulated by ageing the release where each store keeps
//! it: the lock file's note, the lease row.

use crate::support::postgres;
use crate::support::stores::pg;
use std::path::Path;
use warroom::domain::{Event, Severity};
use warroom::journal::{FileStore, Journal, JournalError, Opening, RESERVE, Store};

fn opening() -> Opening<'static> {
    Opening {
        title: "Checkout 500s",
        severity: Severity::Sev1,
        summary: None,
    }
}

fn hand_over(store: &dyn Store, id: &str, from: &str, to: &str, ago: chrono::Duration) {
    let mut journal = store.open(id).unwrap();
    journal
        .append(
            from,
            chrono::Utc::now() - ago,
            Event::Handoff {
                from: Some(from.into()),
                to: to.into(),
                summary: "rolling back pricing; DB is fine".into(),
            },
        )
        .unwrap();
}

fn refused_for(store: &dyn Store, id: &str, user: &str, person: &str) {
    let err = store
        .lead(id, user, chrono::Utc::now())
        .map(drop)
        .expect_err("the lead is kept for the person handed to");
    let JournalError::Reserved { person: kept, .. } = &err else {
        panic!("{store:?}: {user}: expected Reserved, got {err}");
    };
    assert_eq!(kept, person, "{store:?}");
    let said = err.to_string();
    assert!(
        said.contains(&format!("handed to {person}")) && said.contains("until"),
        "{store:?}: {said}"
    );
}

/// The release of incident `id`'s last leader, moved an hour back.
enum Age<'a> {
    File(&'a Path),
    Pg(&'a postgres::Postgres, &'a str),
}

impl Age<'_> {
    fn an_hour_ago(&self, id: &str) {
        match self {
            Age::File(data) => {
                let path = data.join("incidents").join(id).join("journal.lock");
                let text = std::fs::read_to_string(&path).unwrap();
                let mut note: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("the lock file's note {text:?}: {e}"));
                let past = chrono::Utc::now() - chrono::Duration::hours(1);
                assert!(note.get("released").is_some(), "{text}");
                note["released"] = serde_json::json!(past);
                std::fs::write(&path, note.to_string()).unwrap();
            }
            Age::Pg(cluster, db) => {
                cluster.admin_on(
                    db,
                    "UPDATE warroom_leases SET renewed_at = now() - interval '1 hour'",
                );
            }
        }
    }
}

fn check(store: &dyn Store, age: Age<'_>) {
    let id = store
        .create("alice", chrono::Utc::now(), opening())
        .unwrap()
        .id()
        .to_string();
    let (_, alice) = store.lead(&id, "alice", chrono::Utc::now()).unwrap();
    hand_over(store, &id, "alice", "bob", chrono::Duration::zero());
    // While alice leads, she leads.
    assert!(matches!(
        store.lead(&id, "carol", chrono::Utc::now()).map(drop),
        Err(JournalError::Led { .. })
    ));
    drop(alice);
    refused_for(store, &id, "carol", "bob");
    refused_for(store, &id, "alice", "bob");
    let (_, bob) = store
        .lead(&id, "bob", chrono::Utc::now())
        .unwrap_or_else(|e| panic!("{store:?}: bob takes what was handed to him: {e}"));
    drop(bob);
    // Bob took it: when he lets go, nothing is kept for anyone.
    // Carol leads (since two hours, as she says), hands it to dave an hour ago, and quits
    // now; dave never comes. The window counts from when she let go.
    let hours = chrono::Duration::hours;
    let (_, carol) = store
        .lead(&id, "carol", chrono::Utc::now() - hours(2))
        .unwrap_or_else(|e| panic!("{store:?}: after bob led: {e}"));
    hand_over(store, &id, "carol", "dave", hours(1));
    drop(carol);
    refused_for(store, &id, "erin", "dave");
    age.an_hour_ago(&id);
    let (_, erin) = store
        .lead(&id, "erin", chrono::Utc::now())
        .unwrap_or_else(|e| panic!("{store:?}: after the window: {e}"));
    drop(erin);
}

#[test]
fn a_handoff_keeps_the_lead_for_the_person_named_for_a_while_on_both_stores() {
    assert_eq!(RESERVE, std::time::Duration::from_secs(120));
    let dir = tempfile::tempdir().unwrap();
    check(&FileStore::new(dir.path()), Age::File(dir.path()));
    if let Some(cluster) = postgres::shared() {
        let url = cluster.database("lead_reserve");
        check(&pg(&url), Age::Pg(&cluster, "lead_reserve"));
    }
}

#[test]
fn a_lease_that_ran_out_after_a_handoff_keeps_the_lead_for_the_person_named() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let kept = pg(&cluster.database("lead_reserve_lapsed"));
    let store: &dyn Store = &kept;
    let id = store
        .create("alice", chrono::Utc::now(), opening())
        .unwrap()
        .id()
        .to_string();
    let (_, alice) = store.lead(&id, "alice", chrono::Utc::now()).unwrap();
    hand_over(store, &id, "alice", "bob", chrono::Duration::zero());
    // Alice's machine is cut off: her lease ran out a moment ago, and her heartbeat finds it
    // no longer hers (so letting go below changes nothing).
    cluster.admin_on(
        "lead_reserve_lapsed",
        "UPDATE warroom_leases SET holder = 'cut-off', renewed_at = now() - interval '11 seconds'",
    );
    drop(alice);
    refused_for(store, &id, "carol", "bob");
    let (_, bob) = store.lead(&id, "bob", chrono::Utc::now()).unwrap();
    drop(bob);
}
