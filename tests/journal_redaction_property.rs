//! Corrections and redactions keep the chain: for random runs of events on two incidents,
//! notes holding secrets, amendments (text, kind, the time it happened), retractions, moves of
//! notes between the two incidents and redactions of whatever holds a secret, on the file
//! journal and in PostgreSQL, what a reopened journal folds is what folding the same entries
//! in memory gives (a redacted entry reads as its placeholder), the corrected log is the same,
//! the chain verifies and names the redacted entries, and no redacted secret is left anywhere:
//! not in any file of the data directory (journals, outbox, drafts, summaries, share records,
//! whatever is there), not in any row of any table of the database (grep of the raw bytes).

use crate::journal_replay_property::event;
use crate::support::postgres;
use crate::support::stores::{TestStore, pg};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::RefCell;
use warroom::domain::{Authority, Entry, Event, Incident, NoteKind, corrected_log};
use warroom::journal::corrections::{TwoStepError, append_correction, move_note};
use warroom::journal::{FileStore, Journal, JournalError, Redaction};

fn t(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + chrono::Duration::seconds(n as i64 * 60)
}

/// What is done to incident `j` (0 or 1) or to a note picked by number among those recorded.
#[derive(Debug, Clone)]
enum Op {
    /// Any event, as a newer version or a careless script might append it.
    Append(usize, Event),
    /// A note with a secret in it.
    Secret(usize),
    /// Amend a note: a new text (with a new secret in it, or not), a new kind, the time it
    /// happened (this many minutes before it was recorded).
    Amend {
        pick: usize,
        text: Option<bool>,
        kind: Option<NoteKind>,
        before: Option<u8>,
    },
    Retract(usize),
    /// Move a note to the other incident.
    Move(usize),
    /// Redact one of the entries that hold a secret and are not redacted yet.
    Redact(usize, String),
}

fn kind() -> impl Strategy<Value = NoteKind> {
    prop::sample::select(NoteKind::ALL.to_vec())
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let amend = (
        any::<usize>(),
        prop::option::of(any::<bool>()),
        prop::option::of(kind()),
        prop::option::of(0u8..90),
    )
        .prop_map(|(pick, text, kind, before)| Op::Amend {
            pick,
            text,
            kind,
            before,
        });
    let op = prop_oneof![
        2 => (0usize..2, event()).prop_map(|(j, e)| Op::Append(j, e)),
        3 => (0usize..2).prop_map(Op::Secret),
        3 => amend,
        1 => any::<usize>().prop_map(Op::Retract),
        2 => any::<usize>().prop_map(Op::Move),
        3 => (any::<usize>(), "[a-zA-Z0-9][a-zA-Z0-9 ,.'-]{0,39}").prop_map(|(n, r)| Op::Redact(n, r)),
    ];
    prop::collection::vec(op, 1..32)
}

/// Every byte of every file under `dir`.
pub(crate) fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir).unwrap() {
        let path = item.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Every row of every table of database `db`, as text, named `table`.
pub(crate) fn rows_of(cluster: &postgres::Postgres, db: &str) -> Vec<(String, Vec<u8>)> {
    let tables = cluster.admin_on(
        db,
        "SELECT table_name FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY table_name",
    );
    let mut out = Vec::new();
    for t in tables.into_iter().filter_map(|r| r[0].clone()) {
        for row in cluster.admin_on(db, &format!("SELECT r::text FROM {t} r")) {
            out.push((t.clone(), row[0].clone().unwrap_or_default().into_bytes()));
        }
    }
    out
}

/// A secret and the entries it is in, `(incident, seq, redacted)`.
struct Secret {
    text: String,
    holders: Vec<(usize, u64, bool)>,
}

/// How many of each correction went through, over all cases: none may stay at nought.
#[derive(Debug, Default)]
struct Made {
    amended_text: usize,
    amended_kind: usize,
    amended_time: usize,
    retracted: usize,
    moved: usize,
    redacted: usize,
    redacted_moved_or_amended: usize,
}

fn refused(e: &JournalError) -> bool {
    matches!(e, JournalError::Rejected(_))
}

/// One run on `store`; `raw` gives every stored byte (the data directory's files, the
/// database's rows) as (where, bytes).
fn run<S: TestStore>(
    store: &S,
    ops: &[Op],
    case: usize,
    made: &RefCell<Made>,
    raw: &dyn Fn() -> Vec<(String, Vec<u8>)>,
) -> Result<(), TestCaseError> {
    let what = store.name();
    let fail = |m: String| TestCaseError::fail(format!("{what}: {m}"));
    let mut journals = [
        store.create("alice", t(0), "Checkout 500s").unwrap(),
        store.create("alice", t(0), "Payments slow").unwrap(),
    ];
    let ids: Vec<String> = journals.iter().map(|j| j.id().to_string()).collect();
    // A second handle on the first incident, open all along, that must follow the rewrites.
    let mut other = store.open(&ids[0]).unwrap();
    let mut expected: Vec<Vec<Entry>> = journals
        .iter()
        .map(|j| j.records().iter().map(|r| r.entry.clone()).collect())
        .collect();
    let mut notes: Vec<(usize, u64)> = Vec::new();
    let mut secrets: Vec<Secret> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        if what == "files" {
            other.refresh().unwrap();
        }
        let at = t(n + 1);
        let mut appended: Vec<(usize, Entry)> = Vec::new();
        match op {
            Op::Append(j, event) => {
                let mut once = Some(event.clone());
                match journals[*j].append_with("bob", at, &mut |_| Ok(once.take().unwrap())) {
                    Ok(record) => appended.push((*j, record.entry)),
                    // What would not read back is refused, and that is another test's subject.
                    Err(JournalError::Rejected(_)) => {}
                    Err(e) => return Err(fail(e.to_string())),
                }
            }
            Op::Secret(j) => {
                let secret = format!("hunter2-{case}x{n}-SECRET");
                let mut once = Some(Event::Note {
                    kind: NoteKind::Observation,
                    text: format!("db password is {secret}, oops"),
                });
                let record = journals[*j]
                    .append_with("bob", at, &mut |_| Ok(once.take().unwrap()))
                    .map_err(|e| fail(e.to_string()))?;
                secrets.push(Secret {
                    text: secret,
                    holders: vec![(*j, record.entry.seq, false)],
                });
                appended.push((*j, record.entry));
            }
            Op::Amend {
                pick,
                text,
                kind,
                before,
            } => {
                if notes.is_empty() {
                    continue;
                }
                let (j, seq) = notes[pick % notes.len()];
                let recorded = expected[j][seq as usize - 1].at;
                let new_secret = format!("key-{case}x{n}-SECRET");
                let text = text.map(|secret| {
                    if secret {
                        format!("the key is {new_secret}")
                    } else {
                        format!("amended in step {n}")
                    }
                });
                let occurred_at =
                    before.map(|m| recorded - chrono::Duration::minutes(i64::from(m)));
                let event = Event::Amended {
                    entry: seq,
                    text: text.clone(),
                    kind: *kind,
                    occurred_at,
                    reason: format!("wrong in step {n}"),
                };
                match append_correction(&mut journals[j], "bob", at, &|_| Ok(event.clone())) {
                    Ok(record) => {
                        let mut m = made.borrow_mut();
                        m.amended_text += usize::from(text.is_some());
                        m.amended_kind += usize::from(kind.is_some());
                        m.amended_time += usize::from(occurred_at.is_some());
                        if text.as_deref().is_some_and(|t| t.contains(&new_secret)) {
                            secrets.push(Secret {
                                text: new_secret,
                                holders: vec![(j, record.entry.seq, false)],
                            });
                        }
                        appended.push((j, record.entry));
                    }
                    // Retracted, redacted, or nothing to change: refused, nothing written.
                    Err(e) if refused(&e) => {}
                    Err(e) => return Err(fail(e.to_string())),
                }
            }
            Op::Retract(pick) => {
                if notes.is_empty() {
                    continue;
                }
                let (j, seq) = notes[pick % notes.len()];
                let event = Event::Retracted {
                    entry: seq,
                    reason: format!("not so, step {n}"),
                };
                match append_correction(&mut journals[j], "bob", at, &|_| Ok(event.clone())) {
                    Ok(record) => {
                        made.borrow_mut().retracted += 1;
                        appended.push((j, record.entry));
                    }
                    Err(e) if refused(&e) => {}
                    Err(e) => return Err(fail(e.to_string())),
                }
            }
            Op::Move(pick) => {
                if notes.is_empty() {
                    continue;
                }
                let (j, seq) = notes[pick % notes.len()];
                let (a, b) = journals.split_at_mut(1);
                let (here, there): (&mut S::J, &mut S::J) = if j == 0 {
                    (&mut a[0], &mut b[0])
                } else {
                    (&mut b[0], &mut a[0])
                };
                match move_note(here, there, "bob", at, seq, &format!("wrong incident {n}")) {
                    Ok(to_seq) => {
                        made.borrow_mut().moved += 1;
                        let landed = there.records().last().unwrap().entry.clone();
                        prop_assert_eq!(landed.seq, to_seq, "{}", what);
                        let Event::MovedIn { text, .. } = &landed.event else {
                            return Err(fail(format!("moved in as {:?}", landed.event)));
                        };
                        // The note goes as it stands now, with whatever secret is in it.
                        for s in secrets.iter_mut() {
                            if text.contains(&s.text) {
                                s.holders.push((1 - j, to_seq, false));
                            }
                        }
                        appended.push((1 - j, landed));
                        appended.push((j, here.records().last().unwrap().entry.clone()));
                    }
                    Err(TwoStepError::Refused(e)) if refused(&e) => {}
                    Err(e) => return Err(fail(e.to_string())),
                }
            }
            Op::Redact(pick, reason) => {
                let open: Vec<(usize, u64)> = secrets
                    .iter()
                    .flat_map(|s| s.holders.iter())
                    .filter(|h| !h.2)
                    .map(|h| (h.0, h.1))
                    .collect();
                if open.is_empty() {
                    continue;
                }
                let (j, seq) = open[pick % open.len()];
                let of = expected[j][seq as usize - 1].event.type_name().to_string();
                let record = journals[j]
                    .redact(
                        "alice",
                        at,
                        &Redaction {
                            seq,
                            reason,
                            authority: Authority::Lead,
                            allowed: &[],
                        },
                    )
                    .map_err(|e| fail(format!("redact {}#{seq}: {e}", ids[j])))?;
                let mut m = made.borrow_mut();
                m.redacted += 1;
                m.redacted_moved_or_amended += usize::from(of != "note");
                for s in secrets.iter_mut() {
                    for h in s.holders.iter_mut() {
                        if (h.0, h.1) == (j, seq) {
                            h.2 = true;
                        }
                    }
                }
                expected[j][seq as usize - 1].event = Event::Expunged;
                let redacted = Event::Redacted {
                    entry: seq,
                    of,
                    reason: reason.trim().to_string(),
                    role: None,
                };
                prop_assert_eq!(&record.entry.event, &redacted, "{}", what);
                appended.push((j, record.entry));
            }
        }
        for (j, entry) in appended {
            prop_assert_eq!(entry.seq as usize, expected[j].len() + 1, "{}", what);
            if matches!(entry.event, Event::Note { .. } | Event::MovedIn { .. }) {
                notes.push((j, entry.seq));
            }
            expected[j].push(entry);
        }
    }
    for (j, journal) in journals.iter().enumerate() {
        let id = &ids[j];
        let folded = Incident::fold(id, &expected[j]);
        prop_assert_eq!(
            journal.incident(),
            folded.as_ref(),
            "{}: {} in memory",
            what,
            id
        );
        let reopened = store.open(id).unwrap();
        let entries: Vec<Entry> = reopened.records().iter().map(|r| r.entry.clone()).collect();
        prop_assert_eq!(&entries, &expected[j], "{}: {}", what, id);
        prop_assert_eq!(
            reopened.incident(),
            folded.as_ref(),
            "{}: {} reopened",
            what,
            id
        );
        prop_assert_eq!(reopened.records(), journal.records(), "{}: {}", what, id);
        prop_assert_eq!(
            corrected_log(&entries),
            corrected_log(&expected[j]),
            "{}: {} corrected log",
            what,
            id
        );
        let report = store.verify(id).unwrap();
        let mut redacted: Vec<u64> = secrets
            .iter()
            .flat_map(|s| s.holders.iter())
            .filter(|h| h.0 == j && h.2)
            .map(|h| h.1)
            .collect();
        redacted.sort();
        redacted.dedup();
        prop_assert_eq!(&report.redacted, &redacted, "{}: {}", what, id);
        prop_assert_eq!(report.events, expected[j].len());
        prop_assert_eq!(report.format, 2);
    }
    if what == "files" {
        other.refresh().unwrap();
        prop_assert_eq!(
            other.records(),
            journals[0].records(),
            "{}: the other handle",
            what
        );
    }
    let stored = raw();
    for s in &secrets {
        let holders: Vec<&str> = stored
            .iter()
            .filter(|(_, bytes)| contains(bytes, &s.text))
            .map(|(place, _)| place.as_str())
            .collect();
        if s.holders.iter().all(|h| h.2) {
            prop_assert!(
                holders.is_empty(),
                "{what}: {} redacted from {:?} but still in {holders:?}",
                s.text,
                s.holders
            );
        } else {
            // The search itself must see what was not redacted.
            prop_assert!(!holders.is_empty(), "{what}: {} not found at all", s.text);
        }
    }
    Ok(())
}

fn check_on<S: TestStore>(store: &S, cases: u32, raw: &dyn Fn() -> Vec<(String, Vec<u8>)>) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0);
    let made = RefCell::new(Made::default());
    runner
        .run(&ops(), |ops| {
            case.set(case.get() + 1);
            run(store, &ops, case.get(), &made, raw)
        })
        .unwrap();
    // Every kind of correction was made, and redactions of moved and amended text too.
    let m = made.into_inner();
    let all = [
        m.amended_text,
        m.amended_kind,
        m.amended_time,
        m.retracted,
        m.moved,
        m.redacted,
        m.redacted_moved_or_amended,
    ];
    assert!(all.iter().all(|n| *n > 0), "{}: {m:?}", store.name());
}

#[test]
fn corrected_and_redacted_journals_reopen_as_folded_and_keep_no_redacted_text_on_disk() {
    let data = tempfile::tempdir().unwrap();
    let store = FileStore::new(data.path());
    let dir = data.path().to_path_buf();
    check_on(&store, 48, &|| files_under(&dir));
}

#[test]
fn corrected_and_redacted_journals_reopen_as_folded_and_keep_no_redacted_text_in_the_database() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let store = pg(&cluster.database("redaction"));
    check_on(&store, 16, &|| rows_of(&cluster, "redaction"));
}
