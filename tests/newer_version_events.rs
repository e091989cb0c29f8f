//! A journal also written by a newer warroom: event types this version does not know, and
//! known types with fields it does not know, are kept and shown, never dropped — and
//! `log --json` still gives back every line exactly as written, so its chain can be checked.

use crate::common;

use common::{journal_path, log_json, run, warroom};
use std::io::Write;
use std::path::Path;
use warroom::journal::{FORMAT, encode_line};

/// Appends a line as a newer version would write it, correctly chained.
fn append_as_newer_version(data: &Path, id: &str, by: &str, event_json: &str) {
    let path = journal_path(data, id);
    let text = std::fs::read_to_string(&path).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let seq = last["seq"].as_u64().unwrap() + 1;
    let prev = last["hash"].as_str().unwrap();
    let at = "2026-11-21T09:30:00.000Z";
    let line = encode_line(FORMAT, prev, seq, at, by, event_json)
        .unwrap()
        .line()
        .to_string();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    writeln!(file, "{line}").unwrap();
}

#[test]
fn events_from_a_newer_version_are_kept_shown_and_given_back_exactly() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = common::open_incident(data, "alice", "Checkout 500s", "sev1");
    let unknown = r#"{"type":"pager_escalated","to":"db-oncall","level":2}"#;
    let richer_note =
        r#"{"type":"note","text":"fail over the primary","kind":"decision","tags":["db"]}"#;
    append_as_newer_version(data, &id, "bob", unknown);
    append_as_newer_version(data, &id, "bob", richer_note);
    // This version goes on recording after them.
    let ran = run({
        let mut c = warroom(data, "carol");
        c.args(["note", &id, "replica promoted"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);

    let verify = run({
        let mut c = warroom(data, "reader");
        c.args(["verify", &id]);
        c
    });
    assert_eq!(verify.code, Some(0), "{}", verify.stderr);
    assert_eq!(verify.stderr, "");
    assert!(verify.stdout.contains("4 events"), "{}", verify.stdout);

    // The human log shows the unknown event raw and the richer note as a note.
    let log = run({
        let mut c = warroom(data, "reader");
        c.args(["log", &id]);
        c
    });
    assert_eq!(log.code, Some(0), "{}", log.stderr);
    let lines: Vec<&str> = log.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", log.stdout);
    assert!(
        lines[1].ends_with(&format!("[pager_escalated] {unknown}")),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with("decision: fail over the primary"),
        "{}",
        lines[2]
    );
    assert!(lines[3].ends_with("observation: replica promoted"));

    // `log --json` is the journal itself: nothing dropped, nothing reordered, every hash
    // still the hash of its line.
    let json = run({
        let mut c = warroom(data, "reader");
        c.args(["log", &id, "--json"]);
        c
    });
    let file = std::fs::read_to_string(journal_path(data, &id)).unwrap();
    assert_eq!(json.stdout, file, "log --json differs from the journal");
    let parsed = log_json(data, &id);
    assert_eq!(parsed[2]["event"]["tags"][0], "db");

    // The fold counts what it understood and what it kept unread.
    let list = run({
        let mut c = warroom(data, "reader");
        c.args(["list", "--json"]);
        c
    });
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(listed[0]["unknown_events"], 1);
    assert_eq!(listed[0]["notes"], 2);
}
