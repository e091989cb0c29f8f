//! The journal in PostgreSQL is the file journal in another place: the same lifecycle, the same
//! refusals, the same line bytes and hash chain, and what is appended is what a reopened
//! journal folds. Every check here runs on both stores from one harness
//! (`support::stores::TestStore`), against a real PostgreSQL 15 started for this file.

use crate::journal_replay_property::{author, event, time};
use crate::support::postgres;
use crate::support::stores::{TestStore, pg};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use warroom::domain::{Entry, Event, Incident, NoteKind, Rejected, Severity, Status};
use warroom::journal::{FileStore, Journal, JournalError, PgStore, StoreOptions};

fn t(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, minute, 0).unwrap()
}

/// An incident's whole life, and what a user would see of it afterwards.
fn lifecycle<S: TestStore>(store: &S) {
    let what = store.name();
    let mut j = store.create("alice", t(0), "Checkout 500s").unwrap();
    let id = j.id().to_string();
    assert!(store.ids().unwrap().contains(&id), "{what}: {id} listed");
    let note = Event::Note {
        kind: NoteKind::Observation,
        text: "errors since the 09:00 deploy — \"pricing\" 🚨".into(),
    };
    j.append("bob", t(1), note.clone()).unwrap();
    j.append(
        "alice",
        t(2),
        Event::SeverityChanged {
            from: Severity::Sev2,
            to: Severity::Sev1,
        },
    )
    .unwrap();
    j.append(
        "alice",
        t(3),
        Event::StatusChanged {
            from: Status::Investigating,
            to: Status::Identified,
        },
    )
    .unwrap();
    // A second handle sees the first one's appends on refresh, and appends after them.
    let mut other = store.open(&id).unwrap();
    j.append(
        "bob",
        t(7),
        Event::Note {
            kind: NoteKind::Decision,
            text: "write the post-mortem".into(),
        },
    )
    .unwrap();
    assert_eq!(other.refresh().unwrap(), 1, "{what}");
    other
        .append(
            "dave",
            t(8),
            Event::Note {
                kind: NoteKind::Observation,
                text: "after".into(),
            },
        )
        .unwrap();
    assert_eq!(j.refresh().unwrap(), 1, "{what}");
    assert_eq!(j.records(), other.records(), "{what}");

    // A refused event records nothing.
    let refused = j.append(
        "alice",
        t(4),
        Event::SeverityChanged {
            from: Severity::Sev3,
            to: Severity::Sev4,
        },
    );
    assert!(
        matches!(refused, Err(JournalError::Rejected(_))),
        "{what}: {refused:?}"
    );
    // Deciding on nothing records nothing.
    let nothing = j.append_if("alice", t(4), &mut |_| Ok(None)).unwrap();
    assert!(nothing.is_none(), "{what}");
    // A decision sees the incident as of the newest entry.
    let mut seen = None;
    j.append_if("carol", t(5), &mut |i| {
        seen = i.map(|i| i.severity);
        Ok(Some(Event::Resolved {
            summary: Some("rolled back".into()),
        }))
    })
    .unwrap();
    assert_eq!(seen, Some(Severity::Sev1), "{what}");
    let again = j.append("carol", t(6), Event::Resolved { summary: None });
    assert!(matches!(again, Err(JournalError::Rejected(_))), "{what}");
    // A bad author is refused before anything is written.
    let bad = j.append("", t(6), note.clone());
    assert!(matches!(bad, Err(JournalError::Rejected(_))), "{what}");

    let reopened = store.open(&id).unwrap();
    assert_eq!(reopened.records(), j.records(), "{what}");
    assert_eq!(reopened.records().len(), 7, "{what}");
    let seqs: Vec<u64> = reopened.records().iter().map(|r| r.entry.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7], "{what}");
    let incident = reopened.incident().unwrap();
    assert!(incident.resolved_at.is_some(), "{what}");
    assert_eq!(incident.severity, Severity::Sev1, "{what}");
    let report = store.verify(&id).unwrap();
    assert_eq!(report.events, 7, "{what}");
    assert_eq!(report.head, j.records()[6].hash(), "{what}");
    assert!(report.warnings.is_empty(), "{what}: {:?}", report.warnings);

    for bad in ["INC-999", "nonsense", "0"] {
        assert!(
            matches!(store.open(bad), Err(JournalError::NotFound(_))),
            "{what}: {bad}"
        );
    }
}

#[test]
fn an_incident_lives_the_same_life_in_files_and_in_postgres() {
    let files = tempfile::tempdir().unwrap();
    lifecycle(&FileStore::new(files.path()));
    let Some(pg_cluster) = postgres::shared() else {
        return;
    };
    lifecycle(&pg(&pg_cluster.database("lifecycle")));
}

/// A line with its salt and the hex values that follow from it masked: two stores given the
/// same entries write them alike but for the random salt of each.
fn form(line: &str) -> String {
    let masked = regex::Regex::new(r#""(salt|digest|prev|hash)":"[0-9a-f]+""#).unwrap();
    masked.replace_all(line, "\"$1\":\"…\"").into_owned()
}

#[test]
fn both_stores_hold_the_very_same_line_bytes_and_hashes() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let file_store = FileStore::new(files.path());
    let pg_store = pg(&cluster.database("same_bytes"));
    let mut a = TestStore::create(&file_store, "alice", t(0), "Checkout 500s").unwrap();
    let mut b = TestStore::create(&pg_store, "alice", t(0), "Checkout 500s").unwrap();
    assert_eq!(a.id(), b.id());
    for (n, by) in ["bob", "ünïcødé \"quoted\"", "carol"].iter().enumerate() {
        let e = Event::Note {
            kind: NoteKind::Hypothesis,
            text: format!("line {n}\twith a tab\nand a newline"),
        };
        a.append(by, t(n as u32 + 1), e.clone()).unwrap();
        b.append(by, t(n as u32 + 1), e).unwrap();
    }
    let file_text = std::fs::read_to_string(a.path()).unwrap();
    let pg_lines: Vec<String> = pg_store
        .open(b.id())
        .unwrap()
        .records()
        .iter()
        .map(|r| r.to_line())
        .collect();
    assert_eq!(
        pg_lines.iter().map(|l| form(l)).collect::<Vec<_>>(),
        file_text.lines().map(form).collect::<Vec<_>>()
    );
    // Lines read from the database are lines of the file journal: copied, they verify there
    // byte for byte, to the same head.
    let copied = tempfile::tempdir().unwrap();
    let copy = FileStore::new(copied.path());
    copy.import(b.id(), pg_store.open(b.id()).unwrap().records())
        .unwrap();
    let copied_text = std::fs::read_to_string(copy.open(b.id()).unwrap().path()).unwrap();
    assert_eq!(copied_text.lines().collect::<Vec<_>>(), pg_lines);
    assert_eq!(
        copy.verify(b.id()).unwrap(),
        pg_store.verify(b.id()).unwrap()
    );
    let (fv, pv) = (
        file_store.verify(a.id()).unwrap(),
        pg_store.verify(b.id()).unwrap(),
    );
    assert_eq!((fv.events, fv.format), (pv.events, pv.format));
}

#[test]
fn incident_ids_come_from_the_database_and_continue_after_copied_ones() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let store = pg(&cluster.database("ids"));
    let first = TestStore::create(&store, "alice", t(0), "one").unwrap();
    let second = TestStore::create(&store, "alice", t(1), "two").unwrap();
    assert_eq!((first.id(), second.id()), ("INC-1", "INC-2"));
    // An incident copied in as INC-7 moves the counter past it.
    let files = tempfile::tempdir().unwrap();
    let file_store = FileStore::new(files.path());
    for n in 0..7 {
        TestStore::create(&file_store, "bob", t(n), "older").unwrap();
    }
    let seventh = file_store.open("INC-7").unwrap();
    assert_eq!(store.import("INC-7", seventh.records()).unwrap(), 1);
    let next = TestStore::create(&store, "alice", t(9), "three").unwrap();
    assert_eq!(next.id(), "INC-8");
    assert_eq!(store.ids().unwrap(), ["INC-1", "INC-2", "INC-7", "INC-8"]);
}

#[test]
fn a_schema_newer_than_this_warroom_is_refused_and_left_alone() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("newer");
    drop(pg(&url)); // creates the schema
    let newer = warroom::journal::SCHEMA_VERSION + 1;
    cluster.admin_on(
        "newer",
        &format!("INSERT INTO warroom_schema (version, applied_by) VALUES ({newer}, 'warroom 9')"),
    );
    let before = cluster.admin_on("newer", "SELECT count(*) FROM warroom_schema");
    let err = PgStore::connect(&StoreOptions {
        url: url.clone(),
        ..StoreOptions::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&format!("version {newer}"))
            && err.contains(&format!("version {}", warroom::journal::SCHEMA_VERSION)),
        "{err}"
    );
    assert!(err.contains("not changed"), "{err}");
    assert!(!err.contains(&cluster.password), "{err}");
    assert_eq!(
        cluster.admin_on("newer", "SELECT count(*) FROM warroom_schema"),
        before
    );
}

#[test]
fn a_damaged_row_stops_replay_naming_the_entry() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let store = pg(&cluster.database("damaged"));
    let mut j = TestStore::create(&store, "alice", t(0), "Checkout 500s").unwrap();
    for n in 1..=3 {
        j.append(
            "bob",
            t(n),
            Event::Note {
                kind: NoteKind::Observation,
                text: format!("note {n}"),
            },
        )
        .unwrap();
    }
    cluster.admin_on(
        "damaged",
        "UPDATE warroom_events SET line = replace(line, 'note 2', 'note X') WHERE seq = 3",
    );
    let err = store.verify("INC-1").unwrap_err();
    match &err {
        JournalError::Damaged { line, reason, .. } => {
            assert_eq!(*line, 3, "{err}");
            assert!(reason.contains("hash"), "{err}");
        }
        other => panic!("not damage: {other}"),
    }
    cluster.admin_on("damaged", "DELETE FROM warroom_events WHERE seq = 3");
    let err = store.open("INC-1").unwrap_err().to_string();
    assert!(err.contains("gap"), "{err}");
}

#[test]
fn what_is_appended_is_what_a_reopened_journal_folds_in_both_stores() {
    let files = tempfile::tempdir().unwrap();
    let file_store = FileStore::new(files.path());
    let cluster = postgres::shared();
    let pg_store = cluster.as_ref().map(|c| pg(&c.database("folds")));
    let mut runner = TestRunner::new(ProptestConfig::with_cases(24));
    let steps = prop::collection::vec((time(), author(), event()), 0..16);
    runner
        .run(&steps, |steps| {
            append_reopen_fold(&file_store, &steps)?;
            if let Some(store) = &pg_store {
                append_reopen_fold(store, &steps)?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Appends `steps` after an opening, reopens, and compares: records, fold, verify.
fn append_reopen_fold<S: TestStore>(
    store: &S,
    steps: &[(chrono::DateTime<Utc>, String, Event)],
) -> Result<(), TestCaseError> {
    let mut j = store.create("alice", t(0), "Checkout 500s").unwrap();
    let id = j.id().to_string();
    let mut expected: Vec<Entry> = j.records().iter().map(|r| r.entry.clone()).collect();
    for (at, by, event) in steps {
        let record = j
            .append_with(by, *at, &mut |_| Ok::<_, Rejected>(event.clone()))
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", store.name())))?;
        let entry = Entry {
            seq: expected.len() as u64 + 1,
            at: *at,
            by: by.clone(),
            event: event.clone(),
        };
        prop_assert_eq!(&record.entry, &entry);
        expected.push(entry);
    }
    let folded = Incident::fold(&id, &expected);
    prop_assert_eq!(j.incident(), folded.as_ref());
    let reopened = store.open(&id).unwrap();
    prop_assert_eq!(reopened.records(), j.records());
    prop_assert_eq!(reopened.incident(), folded.as_ref());
    let report = store.verify(&id).unwrap();
    prop_assert_eq!(report.events, expected.len());
    prop_assert_eq!(&report.head, j.records().last().unwrap().hash());
    Ok(())
}

/// The journal is synchronous; a caller inside an async task (the share server, later) must
/// not bring its runtime down: using, and dropping, a store there works on both kinds of
/// runtime.
#[test]
fn a_store_works_from_inside_an_async_task() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("in_async");
    let runtimes = [
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    ];
    for (n, rt) in runtimes.iter().enumerate() {
        let url = url.clone();
        let id = rt.block_on(async move {
            let store = pg(&url);
            let mut j = TestStore::create(&store, "alice", t(0), "Checkout 500s").unwrap();
            j.append(
                "bob",
                t(1),
                Event::Note {
                    kind: NoteKind::Observation,
                    text: "from a task".into(),
                },
            )
            .unwrap();
            assert_eq!(store.open(j.id()).unwrap().records().len(), 2);
            j.id().to_string()
        });
        assert_eq!(id, format!("INC-{}", n + 1));
    }
}
