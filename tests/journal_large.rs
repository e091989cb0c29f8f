//! A large journal (20,000 lines) reads back exactly as its lines read one at a time, and
//! damage deep in it is judged as in a small one: the first damaged line named, a torn last
//! line moved aside, a whole last line that breaks the chain refused.

use crate::common;

use common::{journal_path, log_json, open_incident, run, torn_files, warroom};
use std::path::Path;
use warroom::journal::{FORMAT, FileStore, GENESIS, Journal, encode_line, read_line};

/// Lines in the journals here.
const LINES: usize = 20_000;

/// An incident opened by the CLI, then notes appended by hand (hash-chained as warroom writes
/// them) up to `LINES` lines.
fn large(data: &Path) -> String {
    large_with(data, LINES)
}

/// The same with `lines` lines.
pub(crate) fn large_with(data: &Path, lines: usize) -> String {
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    let path = journal_path(data, &id);
    let first = std::fs::read_to_string(&path).unwrap();
    let opened: serde_json::Value = serde_json::from_str(first.trim_end()).unwrap();
    let mut prev = opened["hash"].as_str().unwrap().to_string();
    let mut text = first;
    for seq in 2..=lines as u64 {
        let at = format!("2026-11-21T09:{:02}:{:02}.000Z", (seq / 60) % 60, seq % 60);
        let by = ["bob", "carol", "dave"][seq as usize % 3];
        let event = format!(r#"{{"type":"note","kind":"observation","text":"note {seq} — ü 🔥"}}"#);
        let record = encode_line(FORMAT, &prev, seq, &at, by, &event).unwrap();
        text.push_str(record.line());
        text.push('\n');
        prev = record.hash().to_string();
    }
    std::fs::write(&path, text).unwrap();
    id
}

fn cli(data: &Path, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(data, "carol");
        c.args(args);
        c
    })
}

/// Byte offset of the start of line `n` (1-based).
fn line_start(bytes: &[u8], n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(n - 2)
        .map(|(i, _)| i + 1)
        .unwrap()
}

#[test]
fn a_large_journal_reads_back_exactly_as_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = large(data);
    let journal = FileStore::new(data).open(&id).unwrap();
    assert_eq!(journal.records().len(), LINES);
    // The same file, one line at a time through the follower's reader.
    let text = std::fs::read_to_string(journal_path(data, &id)).unwrap();
    let mut prev = GENESIS.to_string();
    for (i, (line, record)) in text.lines().zip(journal.records()).enumerate() {
        let one = read_line(line, &prev, i as u64 + 1).unwrap();
        assert_eq!(&one, record, "line {}", i + 1);
        prev = one.hash().to_string();
    }
    let incident = journal.incident().unwrap();
    assert_eq!(incident.notes as usize, LINES - 1);
    assert_eq!(incident.last_seq, LINES as u64);
    let verify = cli(data, &["verify", &id]);
    assert_eq!(verify.code, Some(0), "{}", verify.stderr);
    assert_eq!(log_json(data, &id).len(), LINES);
}

#[test]
fn the_first_damaged_line_deep_in_a_large_journal_is_the_one_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = large(data);
    let path = journal_path(data, &id);
    let mut bytes = std::fs::read(&path).unwrap();
    // Edit a note's text in line 15,000 (and break line 19,000 too): line 15,000 is named.
    for n in [19_000, 15_000] {
        let at = line_start(&bytes, n);
        let text_at = at + bytes[at..].windows(5).position(|w| w == b"note ").unwrap();
        bytes[text_at] = b'N';
    }
    std::fs::write(&path, &bytes).unwrap();
    for args in [
        vec!["verify", &id],
        vec!["log", &id],
        vec!["note", &id, "x"],
    ] {
        let ran = cli(data, &args);
        assert_eq!(ran.code, Some(1), "{args:?}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!("{}:15000:", path.display()))
                && ran.stderr.contains("content does not match its hash"),
            "{args:?}: {}",
            ran.stderr
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing rewrote it");
}

/// The lines are checked on every core, in runs of consecutive lines: damage in an early run
/// and a later one still names the first damaged line, and a line moved out of its place (its
/// own hash intact) is named by the link it breaks.
#[test]
fn the_first_damaged_line_is_named_whichever_run_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = large(data);
    let path = journal_path(data, &id);
    let whole = std::fs::read(&path).unwrap();
    let mut bytes = whole.clone();
    for n in [17_000, 3_000] {
        let at = line_start(&bytes, n);
        let text_at = at + bytes[at..].windows(5).position(|w| w == b"note ").unwrap();
        bytes[text_at] = b'N';
    }
    std::fs::write(&path, &bytes).unwrap();
    let ran = cli(data, &["verify", &id]);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!("{}:3000:", path.display()))
            && ran.stderr.contains("content does not match its hash"),
        "{}",
        ran.stderr
    );
    // Lines 12,000 and 12,001 swapped: each verifies alone, the link does not.
    let (a, b, c) = (
        line_start(&whole, 12_000),
        line_start(&whole, 12_001),
        line_start(&whole, 12_002),
    );
    let mut swapped = whole[..a].to_vec();
    swapped.extend_from_slice(&whole[b..c]);
    swapped.extend_from_slice(&whole[a..b]);
    swapped.extend_from_slice(&whole[c..]);
    std::fs::write(&path, &swapped).unwrap();
    let ran = cli(data, &["verify", &id]);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!("{}:12000:", path.display()))
            && ran
                .stderr
                .contains("sequence number 12001 where 12000 was expected"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_torn_last_line_of_a_large_journal_is_moved_aside_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = large(data);
    let path = journal_path(data, &id);
    let bytes = std::fs::read(&path).unwrap();
    let last = line_start(&bytes, LINES);
    std::fs::write(&path, &bytes[..last + 40]).unwrap();
    let log = cli(data, &["log", &id, "--json"]);
    assert_eq!(log.code, Some(0), "{}", log.stderr);
    assert_eq!(log.stdout.lines().count(), LINES - 1);
    assert!(
        log.stderr.contains(&format!("line {LINES} is cut short")),
        "{}",
        log.stderr
    );
    // A note appends after it; the cut line is kept aside, not lost.
    assert_eq!(cli(data, &["note", &id, "after the tear"]).code, Some(0));
    assert_eq!(torn_files(data, &id).len(), 1);
    assert_eq!(log_json(data, &id).len(), LINES);
}

#[test]
fn a_whole_last_line_that_breaks_the_chain_is_damage_not_a_tear() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = large(data);
    let path = journal_path(data, &id);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = line_start(&bytes, LINES);
    let text_at = last
        + bytes[last..]
            .windows(5)
            .position(|w| w == b"note ")
            .unwrap();
    bytes[text_at] = b'N';
    std::fs::write(&path, &bytes).unwrap();
    let verify = cli(data, &["verify", &id]);
    assert_eq!(verify.code, Some(1), "{}", verify.stderr);
    assert!(
        verify.stderr.contains(&format!(":{LINES}:")),
        "{}",
        verify.stderr
    );
    assert!(torn_files(data, &id).is_empty());
}
