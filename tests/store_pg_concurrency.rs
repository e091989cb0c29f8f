//! Many writers on one PostgreSQL store, each a process of its own as on another machine:
//! every acknowledged append is present exactly once, seq stays dense, every chain verifies,
//! and incidents opened at the same moment get distinct IDs. The faults (crashes, killed
//! writers, cut sessions) are in `store_pg_faults`.

use crate::support::pg_children::{self, Go, MARK, ROLE};
use crate::support::postgres;
use crate::support::stores::pg;
use chrono::Utc;
use std::collections::BTreeMap;
use std::time::Duration;
use warroom::domain::{Event, NoteKind, Severity};
use warroom::journal::{Journal, PgStore};

pub(crate) fn note(text: String) -> Event {
    Event::Note {
        kind: NoteKind::Observation,
        text,
    }
}

/// Every note text in every incident, with how often it appears; checks each chain and that
/// seq is dense.
pub(crate) fn notes(store: &PgStore) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for id in store.ids().unwrap() {
        let report = store.verify(&id).unwrap();
        let j = store.open(&id).unwrap();
        assert_eq!(report.events, j.records().len());
        for (n, r) in j.records().iter().enumerate() {
            assert_eq!(r.entry.seq, n as u64 + 1, "{id}: seq not dense");
            if let Event::Note { text, .. } = &r.entry.event {
                *seen.entry(text.clone()).or_insert(0) += 1;
            }
        }
    }
    seen
}

/// Checks that every acknowledged note is there exactly once, and nothing is there twice.
pub(crate) fn assert_once(seen: &BTreeMap<String, usize>, acked: &[String]) {
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "recorded more than once: {twice:?}");
    let lost: Vec<_> = acked.iter().filter(|t| !seen.contains_key(*t)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

pub(crate) fn open_three(url: &str) -> Vec<String> {
    let store = pg(url);
    (0..3)
        .map(|n| {
            let j = store
                .create(
                    "lead",
                    Utc::now(),
                    &format!("incident {n}"),
                    Severity::Sev2,
                    None,
                )
                .unwrap();
            j.id().to_string()
        })
        .collect()
}

/// Not a test of its own: the role a child process plays for the tests here and in
/// `store_pg_faults` (`support::pg_children`), selected by `WARROOM_PG_ROLE`. Run without
/// it (as in a plain `cargo test`), it does nothing.
#[test]
fn child_process_plays_its_role() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let name = env("WARROOM_PG_NAME");
    let store = pg(&env("WARROOM_PG_URL"));
    let wait_go = |go: &str| {
        if !go.is_empty() {
            while !std::path::Path::new(go).exists() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    };
    match role.as_str() {
        "append" => {
            let ids = env("WARROOM_PG_IDS");
            let mut journals: Vec<_> = ids.split(',').map(|id| store.open(id).unwrap()).collect();
            let count: usize = env("WARROOM_PG_COUNT").parse().unwrap();
            println!("{MARK}READY");
            wait_go(&env("WARROOM_PG_GO"));
            let n = journals.len();
            for i in 0..count {
                let text = format!("{name}-{i}");
                match journals[i % n].append(&name, Utc::now(), note(text.clone())) {
                    Ok(r) if r.line().contains(&text) => println!("{MARK}ACK {text}"),
                    Ok(r) => println!(
                        "{MARK}ERR {text}: acknowledged as another line: {}",
                        r.line()
                    ),
                    Err(e) => println!("{MARK}ERR {text}: {e}"),
                }
            }
        }
        "open" => {
            println!("{MARK}READY");
            wait_go(&env("WARROOM_PG_GO"));
            match store.create(&name, Utc::now(), &name, Severity::Sev1, None) {
                Ok(j) => println!("{MARK}ID {}", j.id()),
                Err(e) => println!("{MARK}ERR open: {e}"),
            }
        }
        other => panic!("no role {other}"),
    }
    println!("{MARK}DONE");
}

#[test]
fn eight_processes_times_two_hundred_appends_over_three_incidents_land_once_each() {
    const WRITERS: usize = 8;
    const EACH: usize = 200;
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("eight_writers");
    let ids = open_three(&url);
    let go = Go::new();
    let mut writers: Vec<_> = (0..WRITERS)
        .map(|w| pg_children::appender(&url, &ids, &format!("w{w}"), EACH, Some(&go.path)))
        .collect();
    for w in &mut writers {
        w.wait_ready();
    }
    go.fire();
    let mut acked = Vec::new();
    for w in &mut writers {
        let status = w.finish(Duration::from_secs(300));
        assert!(status.success(), "{} failed: {}", w.name, w.stderr());
        assert_eq!(w.said("ERR "), Vec::<String>::new(), "{}", w.name);
        assert_eq!(w.said("DONE").len(), 1, "{}", w.stderr());
        acked.extend(w.said("ACK "));
    }
    assert_eq!(acked.len(), WRITERS * EACH);
    let seen = notes(&pg(&url));
    assert_once(&seen, &acked);
    assert_eq!(seen.len(), WRITERS * EACH);
    // Each incident: its opening plus a third of the notes, seq 1..=n with no gap.
    let total: usize = ids
        .iter()
        .map(|id| pg(&url).open(id).unwrap().records().len())
        .sum();
    assert_eq!(total, WRITERS * EACH + 3);
}

#[test]
fn eight_processes_opening_incidents_at_once_get_eight_ids() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("eight_opens");
    let go = Go::new();
    let mut openers: Vec<_> = (0..8)
        .map(|n| pg_children::opener(&url, &format!("o{n}"), &go.path))
        .collect();
    for o in &mut openers {
        o.wait_ready();
    }
    go.fire();
    let mut ids = Vec::new();
    for o in &mut openers {
        let status = o.finish(Duration::from_secs(120));
        assert!(status.success(), "{}: {}", o.name, o.stderr());
        assert_eq!(o.said("ERR "), Vec::<String>::new());
        ids.extend(o.said("ID "));
    }
    ids.sort_by_key(|id| id[4..].parse::<u64>().unwrap());
    let expected: Vec<String> = (1..=8).map(|n| format!("INC-{n}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(pg(&url).ids().unwrap(), expected);
    // Each holds the opening of the process that got it, once.
    for o in &openers {
        let id = &o.said("ID ")[0];
        let j = pg(&url).open(id).unwrap();
        assert_eq!(j.records().len(), 1);
        assert_eq!(j.incident().unwrap().title, o.name);
    }
}
