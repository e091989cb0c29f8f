//! Crash safety with real processes: a writer killed with SIGKILL at a random moment loses
//! nothing it had reported as committed, and leaves a journal that `verify` accepts. A line
//! torn by a crash is reported, then moved aside by the next write.
//!
//! The writer is this test binary run again (see `child_appender`), appending through the
//! library in a tight loop and printing `committed <seq> <text>` after each append returns.

use crate::common;

use common::{
    ChildGuard, assert_dense, clock_random, journal_path, line_reader, log_json, reexec, run,
    torn_files, warroom,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;
use warroom::domain::{Event, NoteKind};
use warroom::journal::{FileStore, Journal};

const CHILD_ENV: &str = "WARROOM_TEST_CHILD";
const ROUNDS: u64 = 5;
/// A bound on the child's loop, so a writer whose parent vanished cannot fill the disk (it
/// also dies on its first write to a closed stdout).
const MAX_APPENDS: u64 = 100_000;

/// The child side: does nothing unless re-executed with `WARROOM_TEST_CHILD=<dir>|<id>|<round>`.
#[test]
fn child_appender() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let [dir, id, round] = parts[..] else {
        panic!("bad {CHILD_ENV}: {spec}");
    };
    let mut journal = FileStore::new(dir).open(id).unwrap();
    let author = format!("child-r{round}");
    let stdout = std::io::stdout();
    // The harness has printed "test child_appender ... " without a newline: end it, so each
    // report is a line of its own.
    writeln!(stdout.lock()).unwrap();
    for n in 0..MAX_APPENDS {
        let text = format!("r{round}-n{n}");
        let record = journal
            .append(
                &author,
                chrono::Utc::now(),
                Event::Note {
                    kind: NoteKind::Observation,
                    text: text.clone(),
                },
            )
            .unwrap();
        let mut out = stdout.lock();
        writeln!(out, "committed {} {text}", record.entry.seq).unwrap();
        out.flush().unwrap();
    }
}

/// Runs one writer, kills it at a random moment after its first commit, and returns what it
/// had reported as committed: seq → note text.
fn kill_a_writer(data: &Path, id: &str, round: u64) -> BTreeMap<u64, String> {
    let spec = format!("{}|{id}|{round}", data.display());
    let mut child = ChildGuard(
        reexec(module_path!(), "child_appender", (CHILD_ENV, spec))
            .spawn()
            .unwrap(),
    );
    let (rx, reader) = line_reader(child.0.stdout.take().unwrap());
    let first = common::wait_for_line(&rx, Duration::from_secs(60), |l| {
        l.starts_with("committed ")
    });
    // A random moment within the next ~50 ms, while the child is busy appending.
    let delay = clock_random(round) % 50_000;
    std::thread::sleep(Duration::from_micros(delay));
    child.0.kill().unwrap(); // SIGKILL
    let status = child.0.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "round {round}: the writer ended by itself ({status}) instead of being killed: {stderr}"
    );
    reader.join().unwrap();
    // Every line up to the kill, starting with the one waited for above.
    let mut committed = BTreeMap::new();
    for line in std::iter::once(first).chain(rx.try_iter()) {
        if let Some(rest) = line.strip_prefix("committed ") {
            let (seq, text) = rest.split_once(' ').unwrap();
            committed.insert(seq.parse().unwrap(), text.to_string());
        }
    }
    committed
}

#[test]
fn a_writer_killed_at_random_moments_loses_nothing_it_reported_committed() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = common::open_incident(data, "alice", "Checkout 500s", "sev1");

    // Everything ever reported as committed, across rounds: seq → (author, text).
    let mut committed: BTreeMap<u64, (String, String)> = BTreeMap::new();
    committed.insert(1, ("alice".into(), String::new()));
    let mut torn_seen = 0;

    for round in 1..=ROUNDS {
        let before = log_json(data, &id).len() as u64;
        let reported = kill_a_writer(data, &id, round);
        assert!(!reported.is_empty(), "round {round}: nothing was reported");
        let texts: Vec<&str> = reported.values().map(String::as_str).collect();
        let counted: Vec<String> = (0..texts.len()).map(|k| format!("r{round}-n{k}")).collect();
        assert_eq!(
            texts, counted,
            "round {round}: reports are not n0, n1, … in seq order"
        );

        // The chain is intact after the kill.
        let verify = run({
            let mut c = warroom(data, "reader");
            c.args(["verify", &id]);
            c
        });
        assert_eq!(
            verify.code,
            Some(0),
            "round {round}: verify failed after SIGKILL: {}",
            verify.stderr
        );
        assert_eq!(verify.stderr, "", "round {round}: verify warned");

        let log = log_json(data, &id);
        assert_dense(&log);
        let last_reported = *reported.keys().last().unwrap();
        // Every reported commit is there; at most one more (written, killed before printing).
        assert!(
            log.len() as u64 == last_reported || log.len() as u64 == last_reported + 1,
            "round {round}: {} entries but the writer reported up to #{last_reported}",
            log.len()
        );
        // This round's entries are the writer's notes n0, n1, … in order, and reported ones
        // match what was reported.
        for (k, line) in log[before as usize..].iter().enumerate() {
            let seq = line["seq"].as_u64().unwrap();
            assert_eq!(line["by"], format!("child-r{round}"));
            assert_eq!(line["event"]["text"], format!("r{round}-n{k}"));
            if let Some(text) = reported.get(&seq) {
                assert_eq!(line["event"]["text"], text.as_str());
            }
        }
        for (seq, text) in &reported {
            committed.insert(*seq, (format!("child-r{round}"), text.clone()));
        }
        assert_committed_present(&log, &committed, round);

        // On some rounds, the crash also tore the last line: the journal ends in half a line.
        if round % 2 == 1 {
            let added = tear_and_recover(data, &id, round, &mut torn_seen);
            committed.insert(added, ("responder".into(), format!("after tear r{round}")));
            assert_committed_present(&log_json(data, &id), &committed, round);
        }
    }
}

fn assert_committed_present(
    log: &[serde_json::Value],
    committed: &BTreeMap<u64, (String, String)>,
    round: u64,
) {
    for (seq, (by, text)) in committed {
        let line = log
            .get(*seq as usize - 1)
            .unwrap_or_else(|| panic!("round {round}: committed #{seq} is missing"));
        assert_eq!(line["seq"], *seq);
        assert_eq!(line["by"], by.as_str(), "round {round}: #{seq}");
        if !text.is_empty() {
            assert_eq!(
                line["event"]["text"],
                text.as_str(),
                "round {round}: #{seq}"
            );
        }
    }
}

/// Appends half a journal line (as a write cut off by a crash would leave), checks `verify`
/// warns but passes, and that the next CLI append moves the fragment aside and keeps every
/// committed entry. Returns the seq of that CLI append.
fn tear_and_recover(data: &Path, id: &str, round: u64, torn_seen: &mut usize) -> u64 {
    let path = journal_path(data, id);
    let entries = log_json(data, id).len() as u64;
    let fragment = format!(
        "{{\"seq\":{},\"at\":\"2026-11-21T09:00:00.000Z\",\"by\":\"child-r{round}\",\"event\":{{\"type\":\"note\",\"kind\":\"observ",
        entries + 1
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(fragment.as_bytes())
        .unwrap();
    let damaged = std::fs::read(&path).unwrap();

    let verify = run({
        let mut c = warroom(data, "reader");
        c.args(["verify", id]);
        c
    });
    assert_eq!(
        verify.code,
        Some(0),
        "a torn last line must not fail verify: {}",
        verify.stderr
    );
    assert!(
        verify.stderr.contains("warning") && verify.stderr.contains("cut short"),
        "verify should warn about the torn line, said: {:?}",
        verify.stderr
    );
    assert!(verify.stdout.contains(&format!("{entries} events")));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        damaged,
        "verify changed the journal"
    );
    assert_eq!(log_json(data, id).len() as u64, entries);

    let note = run({
        let mut c = warroom(data, "responder");
        c.args(["note", id, &format!("after tear r{round}")]);
        c
    });
    assert_eq!(note.code, Some(0), "{}", note.stderr);
    assert!(
        note.stderr.contains("moved aside"),
        "the note should say the torn line was moved aside: {:?}",
        note.stderr
    );
    let torn = torn_files(data, id);
    assert_eq!(
        torn.len(),
        *torn_seen + 1,
        "expected one new journal.torn-* file"
    );
    *torn_seen += 1;
    let newest: Vec<_> = torn
        .iter()
        .filter(|p| std::fs::read(p).unwrap() == fragment.as_bytes())
        .collect();
    assert_eq!(newest.len(), 1, "no journal.torn-* holds the fragment");

    // The journal is whole again: the old entries, then the note, and nothing warns.
    let log = log_json(data, id);
    assert_dense(&log);
    assert_eq!(log.len() as u64, entries + 1);
    assert_eq!(
        log[entries as usize]["event"]["text"],
        format!("after tear r{round}")
    );
    let verify = run({
        let mut c = warroom(data, "reader");
        c.args(["verify", id]);
        c
    });
    assert_eq!(verify.code, Some(0), "{}", verify.stderr);
    assert_eq!(verify.stderr, "");
    entries + 1
}
