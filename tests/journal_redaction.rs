//! Redaction keeps the chain: for random runs of events, notes holding secrets and redactions
//! of some of them, on the file journal and in PostgreSQL, what a reopened journal folds is what
//! folding the same entries in memory gives (a redacted entry reads as its placeholder), the
//! chain verifies and names the redacted entries, and no redacted secret is left anywhere: not
//! in any file of the data directory, not in any row of the database (grep of the raw bytes),
//! not in `log --json`, the share stream or the post-mortem. Tampering after redactions is
//! still caught, naming the line.

use crate::journal_replay_property::event;
use crate::support::cli::{Setup, setup, stderr};
use crate::support::postgres;
use crate::support::stores::{TestStore, cli_stores, pg};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use warroom::domain::{Authority, Entry, Event, Incident, NoteKind};
use warroom::journal::{FileStore, Journal, JournalError, Redaction};

fn t(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + chrono::Duration::seconds(n as i64)
}

#[derive(Debug, Clone)]
enum Op {
    /// Any event, as a newer version or a careless script might append it.
    Append(Event),
    /// A note with a secret in it.
    Secret,
    /// Redact one of the secret notes not redacted yet (picked by the number), for a reason.
    Redact(usize, String),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        2 => event().prop_map(Op::Append),
        3 => Just(Op::Secret),
        3 => (any::<usize>(), "[a-zA-Z0-9][a-zA-Z0-9 ,.'-]{0,39}").prop_map(|(n, r)| Op::Redact(n, r)),
    ];
    prop::collection::vec(op, 1..24)
}

/// Every byte of every file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
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

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// One run on `store`; `raw` gives every stored byte (the data directory's files, the
/// database's rows) as (where, bytes).
fn run<S: TestStore>(
    store: &S,
    ops: &[Op],
    case: usize,
    raw: &dyn Fn() -> Vec<(String, Vec<u8>)>,
) -> Result<(), TestCaseError> {
    let what = store.name();
    let mut journal = store.create("alice", t(0), "Checkout 500s").unwrap();
    let id = journal.id().to_string();
    // A second handle, open all along, that must follow the rewrites.
    let mut other = store.open(&id).unwrap();
    let mut expected: Vec<Entry> = journal.records().iter().map(|r| r.entry.clone()).collect();
    let mut secrets: Vec<(String, u64, bool)> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        if what == "files" {
            // The other handle reads as it goes, and must follow each rewrite.
            other.refresh().unwrap();
        }
        let at = t(n + 1);
        match op {
            Op::Append(event) => {
                let mut once = Some(event.clone());
                match journal.append_with("bob", at, &mut |_| Ok(once.take().unwrap())) {
                    Ok(record) => expected.push(record.entry),
                    // What would not read back is refused, and that is another test's subject.
                    Err(JournalError::Rejected(_)) => {}
                    Err(e) => return Err(TestCaseError::fail(format!("{what}: {e}"))),
                }
            }
            Op::Secret => {
                let secret = format!("hunter2-{case}x{n}-SECRET");
                let note = Event::Note {
                    kind: NoteKind::Observation,
                    text: format!("db password is {secret}, oops"),
                };
                let mut once = Some(note);
                let record = journal
                    .append_with("bob", at, &mut |_| Ok(once.take().unwrap()))
                    .unwrap();
                secrets.push((secret, record.entry.seq, false));
                expected.push(record.entry);
            }
            Op::Redact(pick, reason) => {
                let open: Vec<usize> = (0..secrets.len()).filter(|i| !secrets[*i].2).collect();
                if open.is_empty() {
                    continue;
                }
                let i = open[pick % open.len()];
                let seq = secrets[i].1;
                let record = journal
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
                    .map_err(|e| TestCaseError::fail(format!("{what}: redact #{seq}: {e}")))?;
                secrets[i].2 = true;
                expected[seq as usize - 1].event = Event::Expunged;
                let redacted = Event::Redacted {
                    entry: seq,
                    of: "note".into(),
                    reason: reason.trim().to_string(),
                    role: None,
                };
                prop_assert_eq!(&record.entry.event, &redacted, "{}", what);
                expected.push(record.entry);
            }
        }
    }
    let folded = Incident::fold(&id, &expected);
    prop_assert_eq!(journal.incident(), folded.as_ref(), "{}: in memory", what);
    let reopened = store.open(&id).unwrap();
    let entries: Vec<&Entry> = reopened.records().iter().map(|r| &r.entry).collect();
    prop_assert_eq!(entries, expected.iter().collect::<Vec<_>>(), "{}", what);
    prop_assert_eq!(reopened.incident(), folded.as_ref(), "{}: reopened", what);
    prop_assert_eq!(reopened.records(), journal.records(), "{}", what);
    if what == "files" {
        other.refresh().unwrap();
        prop_assert_eq!(
            other.records(),
            journal.records(),
            "{}: the other handle",
            what
        );
    }
    let report = store.verify(&id).unwrap();
    let redacted: Vec<u64> = secrets.iter().filter(|s| s.2).map(|s| s.1).collect();
    let mut sorted = redacted.clone();
    sorted.sort();
    prop_assert_eq!(&report.redacted, &sorted, "{}", what);
    prop_assert_eq!(report.events, expected.len());
    prop_assert_eq!(report.format, 2);
    let stored = raw();
    for (secret, seq, gone) in &secrets {
        let holders: Vec<&str> = stored
            .iter()
            .filter(|(_, bytes)| contains(bytes, secret))
            .map(|(place, _)| place.as_str())
            .collect();
        if *gone {
            prop_assert!(
                holders.is_empty(),
                "{what}: redacted #{seq} still in {holders:?}"
            );
        } else {
            // The search itself must see what was not redacted.
            prop_assert!(!holders.is_empty(), "{what}: #{seq} not found at all");
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
    runner
        .run(&ops(), |ops| {
            case.set(case.get() + 1);
            run(store, &ops, case.get(), raw)
        })
        .unwrap();
}

#[test]
fn redacted_text_leaves_the_data_directory_and_the_chain_still_verifies() {
    let data = tempfile::tempdir().unwrap();
    let store = FileStore::new(data.path());
    let dir = data.path().to_path_buf();
    check_on(&store, 48, &|| files_under(&dir));
}

#[test]
fn redacted_text_leaves_the_database_and_the_chain_still_verifies() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let store = pg(&cluster.database("redaction"));
    let rows = || {
        cluster
            .admin_on(
                "redaction",
                "SELECT incident || ':' || seq, line FROM warroom_events",
            )
            .into_iter()
            .map(|row| {
                let place = row[0].clone().unwrap_or_default();
                (place, row[1].clone().unwrap_or_default().into_bytes())
            })
            .collect()
    };
    check_on(&store, 16, &rows);
}

/// The binary on both stores: an incident with a pasted password, redacted by its leader.
fn redacted_incident(store: &crate::support::stores::CliStore) -> Setup {
    let s = setup("[journal]\nredact_roles = [\"scribe\"]\n", &store.env());
    let run_ok = |args: &[&str]| {
        let out = s.run(args);
        assert!(
            out.status.success(),
            "{}: {args:?}: {}",
            store.name,
            stderr(&out)
        );
    };
    run_ok(&["assign", &s.id, "scribe", "bob"]);
    run_ok(&["note", &s.id, "the admin password is Tr0ub4dor&3"]);
    run_ok(&["note", &s.id, "rolled back pricing"]);
    s
}

#[test]
fn only_the_leader_or_an_allowed_role_redacts_and_the_text_leaves_every_output() {
    for store in cli_stores("redact_cli") {
        let s = redacted_incident(&store);
        let what = store.name;
        // #3 is the password (#1 opened, #2 the scribe).
        let refused = s
            .command()
            .args([
                "--as", "carol", "redact", &s.id, "3", "--reason", "password",
            ])
            .output()
            .unwrap();
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{what}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("only the leader"),
            "{what}: {}",
            stderr(&refused)
        );
        let as_scribe_unlisted = s
            .command()
            .args([
                "--as", "carol", "redact", &s.id, "3", "--reason", "x", "--role", "deputy",
            ])
            .output()
            .unwrap();
        assert_eq!(as_scribe_unlisted.status.code(), Some(2), "{what}");
        assert!(
            stderr(&as_scribe_unlisted).contains("redact_roles"),
            "{what}"
        );
        let by_scribe = s
            .command()
            .args([
                "--as",
                "bob",
                "redact",
                &s.id,
                "3",
                "--reason",
                "a pasted password",
            ])
            .args(["--role", "scribe"])
            .output()
            .unwrap();
        assert!(by_scribe.status.success(), "{what}: {}", stderr(&by_scribe));
        let verify = s.run(&["verify", &s.id]);
        assert!(verify.status.success(), "{what}: {}", stderr(&verify));
        let said = String::from_utf8_lossy(&verify.stdout);
        assert!(said.contains("redacted: #3"), "{what}: {said}");
        let log = s.run(&["log", &s.id, "--json"]);
        let log = String::from_utf8_lossy(&log.stdout).into_owned();
        let export = s.run(&["export", &s.id]);
        assert!(export.status.success(), "{what}: {}", stderr(&export));
        let export = String::from_utf8_lossy(&export.stdout).into_owned();
        for (place, text) in [("log --json", &log), ("export", &export)] {
            assert!(
                !text.contains("Tr0ub4dor"),
                "{what}: password in {place}:\n{text}"
            );
            assert!(
                text.contains("rolled back pricing"),
                "{what}: {place} lost a note"
            );
            assert!(
                text.contains("a pasted password"),
                "{what}: {place} lacks the reason"
            );
        }
        if !store.is_shared() {
            for (place, bytes) in files_under(&s.data) {
                assert!(!contains(&bytes, "Tr0ub4dor"), "password in {place}");
            }
        }
    }
}

/// `verify` on a journal changed behind warroom's back: exit 1, naming the line.
fn assert_damaged(s: &Setup, what: &str, change: &str, line: u64) {
    let out = s.run(&["verify", &s.id]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: {change}: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    let named = if what == "files" {
        format!("journal.jsonl:{line}:")
    } else {
        format!("{}:{line}:", s.id)
    };
    assert!(
        err.contains(&named),
        "{what}: {change}: not naming {named}: {err}"
    );
}

/// A change to one line.
type Edit = dyn Fn(&str) -> String;

#[test]
fn tampering_after_redactions_is_caught_naming_the_line() {
    for store in cli_stores("redact_tamper") {
        let what = store.name;
        let s = redacted_incident(&store);
        let out = s.run(&["redact", &s.id, "3", "--reason", "a pasted password"]);
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        // Line 3 is the placeholder, line 4 a note, line 5 the redaction.
        let changes: [(&str, u64, &Edit); 3] = [
            ("the placeholder's digest", 3, &|l| {
                let at = l.find("\"digest\":\"").unwrap() + 10;
                let flipped = if &l[at..at + 1] == "0" { "1" } else { "0" };
                format!("{}{flipped}{}", &l[..at], &l[at + 1..])
            }),
            ("a note's text", 4, &|l| {
                l.replace("rolled back", "rolled forward")
            }),
            ("the redaction's reason", 5, &|l| {
                l.replace("a pasted password", "a typo")
            }),
        ];
        for (change, line, edit) in changes {
            let restore = tamper(&s, &store, line, edit);
            assert_damaged(&s, what, change, line);
            restore();
            let out = s.run(&["verify", &s.id]);
            assert!(out.status.success(), "{what}: restored: {}", stderr(&out));
        }
    }
}

/// Rewrites entry `line` with `edit` where the store keeps it; returns how to put it back.
fn tamper<'a>(
    s: &'a Setup,
    store: &'a crate::support::stores::CliStore,
    line: u64,
    edit: &dyn Fn(&str) -> String,
) -> Box<dyn Fn() + 'a> {
    match &store.cluster {
        None => {
            let path = s.data.join("incidents").join(&s.id).join("journal.jsonl");
            let before = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<String> = before
                .lines()
                .enumerate()
                .map(|(n, l)| {
                    if n as u64 + 1 == line {
                        edit(l)
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            assert_ne!(lines.join("\n") + "\n", before, "the edit changed nothing");
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            Box::new(move || std::fs::write(&path, &before).unwrap())
        }
        Some(cluster) => {
            let db = "redact_tamper";
            let sql = format!(
                "SELECT line FROM warroom_events WHERE incident = '{}' AND seq = {line}",
                s.id
            );
            let before = cluster.admin_on(db, &sql)[0][0].clone().unwrap();
            let after = edit(&before);
            assert_ne!(after, before, "the edit changed nothing");
            let set = |text: &str| {
                format!(
                    "UPDATE warroom_events SET line = '{}' WHERE incident = '{}' AND seq = {line}",
                    text.replace('\'', "''"),
                    s.id
                )
            };
            cluster.admin_on(db, &set(&after));
            let restore = set(&before);
            Box::new(move || {
                cluster.admin_on(db, &restore);
            })
        }
    }
}

/// The data lines a new follower is streamed, up to entry `last`.
async fn streamed(
    server: &crate::share_common::Running,
    id: &str,
    token: &str,
    last: u64,
) -> Vec<String> {
    let answer = crate::share_common::client()
        .get(server.events_url(id))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let mut sse = crate::share_common::SseReader::new(answer);
    let mut lines = Vec::new();
    while let Some(ev) = sse.next(std::time::Duration::from_secs(10)).await {
        if ev.kind != "entry" {
            continue;
        }
        let seq: u64 = ev.id.as_deref().unwrap_or("0").parse().unwrap_or(0);
        lines.push(ev.data);
        if seq >= last {
            break;
        }
    }
    lines
}

#[tokio::test]
async fn a_running_share_server_streams_the_placeholder_after_a_redaction() {
    let leader = crate::share_common::Leader::new();
    let id = leader.open("Checkout 500s", warroom::domain::Severity::Sev2);
    let token = leader.share(&id);
    leader.note(&id, "the admin password is Tr0ub4dor&3");
    leader.note(&id, "rolled back pricing");
    let server = crate::share_common::Running::start(&leader.store, "127.0.0.1:0").await;
    // The server has read the journal, password included, before the redaction.
    let before = streamed(&server, &id, &token, 3).await;
    assert!(before.iter().any(|l| l.contains("Tr0ub4dor")), "{before:?}");
    let mut journal = leader.store.open(&id).unwrap();
    let request = Redaction {
        seq: 2,
        reason: "a pasted password",
        authority: Authority::Lead,
        allowed: &[],
    };
    journal.redact("alice", Utc::now(), &request).unwrap();
    // A follower that comes once the server has read the redaction gets it, and never the
    // password. (One that connects between the rewrite and the server's next read is streamed
    // the lines as they were, then the `redacted` entry live: it is asked again.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let after = loop {
        let after = streamed(&server, &id, &token, 4).await;
        let whole = after.len() >= 4 && after.iter().all(|l| !l.contains("Tr0ub4dor"));
        if whole || std::time::Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().all(|l| !l.contains("Tr0ub4dor")), "{after:?}");
    assert!(after[3].contains("a pasted password"), "{after:?}");
    // The lines a follower checks the chain with: the placeholder still follows and is followed.
    let mut prev = warroom::journal::GENESIS.to_string();
    for (n, line) in after.iter().enumerate() {
        let record = warroom::journal::read_line(line, &prev, n as u64 + 1).unwrap();
        prev = record.hash;
    }
    server.stop().await;
}
