//! The summary kept beside each journal never changes what `warroom list` shows: after any
//! run of appends (by other journal handles and by other processes), deleted, corrupted, cut
//! short, stale or foreign summaries, each incident's summary is the one its journal read
//! whole folds to; `list --json` is byte for byte the incidents' JSON; a journal edited in
//! place is found damaged as when read whole; a summary that cannot be written costs nothing.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{journal_path, open_incident, run, warroom};
use proptest::prelude::*;
use std::path::Path;
use warroom::domain::{Event, Incident, NoteKind, Role, Severity, Status};
use warroom::journal::{
    FileStore, Journal, JournalError, Listed, SUMMARY, SUMMARY_JSON, Summary, incident_json,
};

fn summary_path(data: &Path, id: &str) -> std::path::PathBuf {
    data.join("incidents").join(id).join(SUMMARY)
}

/// One of the two files kept beside incident `id`'s journal, which one told by `n`.
fn kept_path(data: &Path, id: &str, n: usize) -> std::path::PathBuf {
    let name = if (n / 7).is_multiple_of(2) {
        SUMMARY
    } else {
        SUMMARY_JSON
    };
    data.join("incidents").join(id).join(name)
}

/// What `list` shows of every incident, through the kept summaries, and what reading each
/// journal whole shows; errors as their messages. The summaries are read both one by one
/// (`FileStore::summary`) and together (`FileStore::summaries`, as `list` and the console
/// read them), the ones together first when `together_first`: the two must agree.
fn listed_both_ways(store: &FileStore, together_first: bool) -> (Vec<String>, Vec<String>) {
    let ids = store.ids().unwrap();
    let shown = |s: Result<Listed, JournalError>, j: Result<Listed, JournalError>| match (s, j) {
        (Ok(s), Ok(j)) => format!("{:?} {:?} {:?}", s.summary, j.summary, j.json),
        (Err(e), _) | (_, Err(e)) => format!("error: {e}"),
    };
    let together = |store: &FileStore| -> Vec<String> {
        // Without the incident's JSON (`list`, the console), then with it (`list --json`).
        let plain = store.summaries(&ids, false);
        let json = store.summaries(&ids, true);
        plain
            .into_iter()
            .zip(json)
            .map(|(s, j)| shown(s, j))
            .collect()
    };
    let first = together_first.then(|| together(store));
    let mut cached = Vec::new();
    let mut whole = Vec::new();
    for id in &ids {
        cached.push(shown(store.summary(id, false), store.summary(id, true)));
        whole.push(match store.open(id) {
            Ok(j) => {
                let s = j.incident().map(Summary::of);
                let json = j.incident().map(|i| incident_json(i).unwrap());
                format!("{s:?} {s:?} {json:?}")
            }
            Err(e) => format!("error: {e}"),
        });
    }
    let together = first.unwrap_or_else(|| together(store));
    assert_eq!(together, cached, "read together and one by one");
    (cached, whole)
}

#[derive(Debug, Clone)]
enum Op {
    /// A new incident, opened by another handle.
    Open(Severity),
    /// An event appended by another handle to incident `n` (modulo how many there are).
    Append(usize, u8),
    /// A note appended by another process (`warroom note`).
    AppendByProcess(usize),
    Delete(usize),
    /// One byte of the summary changed.
    Corrupt(usize, usize, u8),
    /// The summary cut to a fraction of its length.
    Truncate(usize, u8),
    /// The summary saved now, to be put back later (then stale).
    Save(usize),
    Restore(usize),
    /// Incident `a`'s summary put in place of `b`'s.
    Swap(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let sev = prop::sample::select(Severity::ALL.to_vec());
    prop_oneof![
        1 => sev.prop_map(Op::Open),
        6 => (any::<usize>(), any::<u8>()).prop_map(|(n, k)| Op::Append(n, k)),
        1 => any::<usize>().prop_map(Op::AppendByProcess),
        1 => any::<usize>().prop_map(Op::Delete),
        2 => (any::<usize>(), any::<usize>(), any::<u8>()).prop_map(|(n, at, b)| Op::Corrupt(n, at, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(n, f)| Op::Truncate(n, f)),
        1 => any::<usize>().prop_map(Op::Save),
        2 => any::<usize>().prop_map(Op::Restore),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Swap(a, b)),
    ]
}

/// The `k`th kind of event, decided against the incident as it stands.
fn event(k: u8, i: &Incident) -> Event {
    match k % 6 {
        0 => Event::SeverityChanged {
            from: i.severity,
            to: Severity::ALL[(i.severity as usize + 1 + k as usize / 6) % 4],
        },
        1 if !i.is_resolved() => Event::StatusChanged {
            from: i.status,
            to: [
                Status::Identified,
                Status::Monitoring,
                Status::Investigating,
            ][k as usize / 6 % 3],
        },
        2 => Event::RoleAssigned {
            role: Role::Commander,
            person: ["alice", "bob", "carol"][k as usize / 6 % 3].into(),
        },
        3 if !i.is_resolved() => Event::Resolved {
            summary: Some("rolled back".into()),
        },
        _ => Event::Note {
            kind: NoteKind::Observation,
            text: format!("note {k}"),
        },
    }
}

fn at(step: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::seconds(step as i64)
}

fn pick(ids: &[String], n: usize) -> &str {
    &ids[n % ids.len()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn list_through_kept_summaries_shows_what_reading_every_journal_shows(
        ops in prop::collection::vec(op(), 1..16)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        let store = FileStore::new(data);
        store.create("alice", at(0), "Checkout 500s", Severity::Sev2, None).unwrap();
        let mut saved: std::collections::HashMap<String, Vec<u8>> = Default::default();
        for (step, op) in ops.into_iter().enumerate() {
            let ids = store.ids().unwrap();
            match op {
                Op::Open(sev) => {
                    store.create("bob", at(step), &format!("incident {step}"), sev, None).unwrap();
                }
                Op::Append(n, k) => {
                    let mut other = store.open(pick(&ids, n)).unwrap();
                    let _ = other.append_if("carol", at(step), &mut |i| {
                        Ok(i.map(|i| event(k, i)).filter(|e| i.is_some_and(|i| i.check(e).is_ok())))
                    });
                }
                Op::AppendByProcess(n) => {
                    let ran = run({
                        let mut c = warroom(data, "dave");
                        c.args(["note", pick(&ids, n), &format!("from another process {step}")]);
                        c
                    });
                    // Refused only on a resolved incident.
                    prop_assert!(
                        ran.code == Some(0) || ran.stderr.contains("is resolved"),
                        "{}",
                        ran.stderr
                    );
                }
                Op::Delete(n) => {
                    let _ = std::fs::remove_file(kept_path(data, pick(&ids, n), n));
                }
                Op::Corrupt(n, at, byte) => {
                    let path = kept_path(data, pick(&ids, n), n);
                    if let Ok(mut bytes) = std::fs::read(&path)
                        && !bytes.is_empty()
                    {
                        let at = at % bytes.len();
                        bytes[at] = byte;
                        std::fs::write(&path, bytes).unwrap();
                    }
                }
                Op::Truncate(n, fraction) => {
                    let path = kept_path(data, pick(&ids, n), n);
                    if let Ok(bytes) = std::fs::read(&path) {
                        let keep = bytes.len() * fraction as usize / 256;
                        std::fs::write(&path, &bytes[..keep]).unwrap();
                    }
                }
                Op::Save(n) => {
                    let id = pick(&ids, n);
                    if let Ok(bytes) = std::fs::read(kept_path(data, id, n)) {
                        saved.insert(id.to_string(), bytes);
                    }
                }
                Op::Restore(n) => {
                    let id = pick(&ids, n);
                    if let Some(bytes) = saved.get(id) {
                        std::fs::write(kept_path(data, id, n), bytes).unwrap();
                    }
                }
                Op::Swap(a, b) => {
                    let (n, m) = (a, b);
                    let (a, b) = (pick(&ids, a), pick(&ids, b));
                    if let Ok(bytes) = std::fs::read(kept_path(data, a, n)) {
                        std::fs::write(kept_path(data, b, m), bytes).unwrap();
                    }
                }
            }
            let (cached, whole) = listed_both_ways(&store, step % 2 == 0);
            prop_assert_eq!(&cached, &whole, "after step {}", step);
            // Asked again, now that every summary was kept anew: still the same.
            let (again, _) = listed_both_ways(&store, step % 2 == 1);
            prop_assert_eq!(again, whole, "again after step {}", step);
        }
    }
}

fn cli(data: &Path, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(data, "carol");
        c.args(args);
        c
    })
}

#[test]
fn list_json_from_kept_summaries_is_the_incidents_json_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let a = open_incident(data, "alice", "Checkout 500s — \"quoted\" ü", "sev2");
    let b = open_incident(data, "bob", "Payments slow", "sev1");
    for args in [
        vec!["note", a.as_str(), "db pool exhausted {\"max\":200}"],
        vec!["assign", b.as_str(), "commander", "bob"],
    ] {
        let ran = cli(data, &args);
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.stderr);
    }
    let store = FileStore::new(data);
    let mut incidents: Vec<Incident> = [&b, &a]
        .iter()
        .map(|id| store.open(id).unwrap().incident().unwrap().clone())
        .collect();
    incidents.sort_by_key(|i| (i.is_resolved(), i.severity, i.opened_at));
    let expected = format!("{}\n", serde_json::to_string_pretty(&incidents).unwrap());
    // The first run reads every journal whole and keeps the summaries; the second reads them.
    for run in ["first", "second"] {
        let ran = cli(data, &["list", "--all", "--json"]);
        assert_eq!(ran.code, Some(0), "{run}: {}", ran.stderr);
        assert_eq!(ran.stdout, expected, "{run} run");
        assert!(summary_path(data, &a).is_file(), "{run}: summary kept");
    }
    let empty = tempfile::tempdir().unwrap();
    let ran = cli(empty.path(), &["list", "--all", "--json"]);
    assert_eq!(ran.stdout, "[]\n");
}

#[test]
fn a_journal_edited_in_place_after_its_summary_was_kept_is_found_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    for n in 2..=5 {
        let ran = cli(data, &["note", &id, &format!("note {n} all clear")]);
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    }
    let listed = cli(data, &["list", "--all"]);
    assert!(listed.stdout.contains("Checkout 500s"), "{}", listed.stdout);
    assert!(summary_path(data, &id).is_file());
    // A later change of the file (its times move on), same length, same last line.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let path = journal_path(data, &id);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(6).position(|w| w == b"note 3").unwrap();
    bytes[at] = b'N';
    std::fs::write(&path, &bytes).unwrap();
    let listed = cli(data, &["list", "--all"]);
    assert!(
        !listed.stdout.contains("Checkout 500s"),
        "{}",
        listed.stdout
    );
    assert!(
        listed.stderr.contains(&format!("{}:3:", path.display()))
            && listed.stderr.contains("content does not match its hash"),
        "{}",
        listed.stderr
    );
}

#[test]
fn a_summary_that_cannot_be_kept_costs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    // A directory where the summary would go: it can be neither read nor replaced.
    std::fs::create_dir(summary_path(data, &id)).unwrap();
    for _ in 0..2 {
        let listed = cli(data, &["list", "--all"]);
        assert_eq!(listed.code, Some(0), "{}", listed.stderr);
        assert!(listed.stdout.contains("Checkout 500s"), "{}", listed.stdout);
        assert_eq!(listed.stderr, "");
    }
    let left: Vec<_> = std::fs::read_dir(data.join("incidents").join(&id))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn a_redaction_leaves_no_text_in_the_kept_summary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    let task = run({
        let mut c = warroom(data, "alice");
        c.args(["task", &id, "bob", "rotate password=hunter2 on db-1"]);
        c
    });
    assert_eq!(task.code, Some(0), "{}", task.stderr);
    let listed = cli(data, &["list", "--all", "--json"]);
    assert!(listed.stdout.contains("hunter2"), "{}", listed.stdout);
    let kept = kept_text(data, &id);
    assert!(
        kept.contains("hunter2"),
        "the summary holds the task: {kept}"
    );
    let redact = run({
        let mut c = warroom(data, "alice");
        c.args(["redact", &id, "2", "--reason", "a password"]);
        c
    });
    assert_eq!(redact.code, Some(0), "{}", redact.stderr);
    let kept = kept_text(data, &id);
    assert!(!kept.contains("hunter2"), "still in the summary: {kept}");
    let listed = cli(data, &["list", "--all", "--json"]);
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    assert!(!listed.stdout.contains("hunter2"), "{}", listed.stdout);
    let kept = kept_text(data, &id);
    assert!(!kept.contains("hunter2"), "rebuilt with it: {kept}");
}

/// Both files kept beside incident `id`'s journal, as text (empty where none is).
fn kept_text(data: &Path, id: &str) -> String {
    [0, 7]
        .map(|n| std::fs::read_to_string(kept_path(data, id, n)).unwrap_or_default())
        .concat()
}
