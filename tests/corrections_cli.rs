//! Corrections through the real binary: `amend`, `retract`, `move` and `merge` append events
//! that name the entry and why; bad input exits 2 naming what was wrong and writes nothing;
//! `log` shows the corrected view; every journal still verifies.

use crate::common;

use common::{journal_path, open_incident, run, warroom};
use std::path::Path;

fn cli(data: &Path, who: &str, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(data, who);
        c.args(args);
        c
    })
}

fn ok(data: &Path, who: &str, args: &[&str]) -> String {
    let r = cli(data, who, args);
    assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    r.stdout
}

fn verified(data: &Path, id: &str) {
    let r = cli(data, "reader", &["verify", id]);
    assert_eq!(r.code, Some(0), "verify {id}: {}{}", r.stdout, r.stderr);
}

#[test]
fn a_note_is_amended_retracted_and_the_log_shows_the_corrected_view() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    ok(
        data,
        "bob",
        &["note", &id, "checkout 500s since the deploy"],
    );
    ok(data, "alice", &["note", &id, "pricing pod restarted"]);
    ok(
        data,
        "bob",
        &[
            "amend",
            &id,
            "2",
            "--at",
            "00:01",
            "--kind",
            "hypothesis",
            "--reason",
            "noticed at 00:01, typed later",
        ],
    );
    ok(
        data,
        "alice",
        &["retract", &id, "#3", "--reason", "it was the cart pod"],
    );
    let log = ok(data, "reader", &["log", &id]);
    let lines: Vec<&str> = log.lines().collect();
    // The amended note comes first, at the time it refers to, marked and with its history.
    assert!(lines[0].contains(" 00:01:00Z  #2"), "{log}");
    assert!(
        lines[0].contains("✎ hypothesis: checkout 500s since the deploy"),
        "{log}"
    );
    assert!(log.contains("(recorded "), "{log}");
    assert!(
        log.contains("was: observation: checkout 500s since the deploy"),
        "{log}"
    );
    assert!(log.contains("by bob: happened at"), "{log}");
    assert!(log.contains("(noticed at 00:01, typed later)"), "{log}");
    assert!(
        log.contains("RETRACTED (it was the cart pod): observation: pricing pod restarted"),
        "{log}"
    );
    let json = ok(data, "reader", &["log", &id, "--json", "--corrected"]);
    let rows: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["seq"], 2);
    assert_eq!(rows[0]["event"]["kind"], "hypothesis");
    assert_eq!(rows[0]["original"]["kind"], "observation");
    assert!(
        rows[0]["occurred_at"]
            .as_str()
            .unwrap()
            .ends_with("00:01:00Z")
    );
    let retracted = rows.iter().find(|r| r["seq"] == 3).unwrap();
    assert_eq!(retracted["retracted"], "it was the cart pod");
    verified(data, &id);
}

#[test]
fn bad_corrections_exit_2_naming_the_field_and_write_nothing() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    ok(data, "bob", &["note", &id, "db slow"]);
    ok(data, "alice", &["severity", &id, "sev1"]);
    let before = std::fs::read(journal_path(data, &id)).unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "alice",
            &["amend", &id, "x", "--text", "y", "--reason", "r"],
            "SEQ \"x\"",
        ),
        (
            "alice",
            &["amend", &id, "0", "--text", "y", "--reason", "r"],
            "SEQ \"0\"",
        ),
        (
            "alice",
            &["amend", &id, "2", "--reason", "r"],
            "nothing to amend",
        ),
        (
            "alice",
            &["amend", &id, "2", "--at", "25:99", "--reason", "r"],
            "--at \"25:99\"",
        ),
        (
            "alice",
            &["amend", &id, "2", "--text", "y", "--reason", " "],
            "--reason is empty",
        ),
        (
            "alice",
            &["amend", &id, "9", "--text", "y", "--reason", "r"],
            "has no entry #9",
        ),
        (
            "alice",
            &["amend", &id, "3", "--text", "y", "--reason", "r"],
            "#3 is not a note",
        ),
        (
            "alice",
            &["retract", &id, "3", "--reason", "r"],
            "#3 is not a note",
        ),
        (
            "alice",
            &["retract", &id, "9", "--reason", "r"],
            "has no entry #9",
        ),
        (
            "carol",
            &["retract", &id, "2", "--reason", "r"],
            "only bob or the commander (alice)",
        ),
        (
            "alice",
            &["move", &id, "2", &id, "--reason", "r"],
            "already in",
        ),
        (
            "alice",
            &["move", &id, "2", "INC-99", "--reason", "r"],
            "INC-99",
        ),
        (
            "alice",
            &["merge", &id, &id, "--reason", "r"],
            "cannot be merged into itself",
        ),
        ("alice", &["retract", &id, "2"], "--reason"),
    ];
    for (who, args, says) in cases {
        let r = cli(data, who, args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(says),
            "{args:?}: {:?} lacks {says:?}",
            r.stderr
        );
        assert_eq!(
            std::fs::read(journal_path(data, &id)).unwrap(),
            before,
            "{args:?} wrote something"
        );
    }
    // A correction of a correction, or of a retracted note, is refused too.
    ok(data, "bob", &["retract", &id, "2", "--reason", "wrong"]);
    let before = std::fs::read(journal_path(data, &id)).unwrap();
    for (args, says) in [
        (
            ["retract", &id, "2", "--reason", "r"],
            "#2 was retracted (wrong)",
        ),
        (
            ["retract", &id, "4", "--reason", "r"],
            "#4 is itself a correction",
        ),
    ] {
        let r = cli(data, "alice", &args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    assert_eq!(std::fs::read(journal_path(data, &id)).unwrap(), before);
}

#[test]
fn a_moved_note_lands_in_the_other_incident_and_both_journals_verify() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let one = open_incident(data, "alice", "Checkout 500s", "sev2");
    let two = open_incident(data, "carol", "Cart slow", "sev3");
    ok(data, "bob", &["note", &one, "cart p99 at 4s"]);
    let said = ok(
        data,
        "bob",
        &[
            "move",
            &one,
            "2",
            &two,
            "--reason",
            "belongs to the cart outage",
        ],
    );
    assert!(
        said.contains(&format!("{one} #2 moved to {two} #2")),
        "{said}"
    );
    let here = ok(data, "reader", &["log", &one]);
    assert!(
        here.contains(&format!(
            "RETRACTED (moved to {two} #2: belongs to the cart outage)"
        )),
        "{here}"
    );
    let there = ok(data, "reader", &["log", &two]);
    let line = there
        .lines()
        .find(|l| l.contains("cart p99 at 4s"))
        .unwrap();
    assert!(line.contains(&format!("[{one}]")), "{there}");
    assert!(line.contains(" bob "), "the note keeps its author: {there}");
    verified(data, &one);
    verified(data, &two);
}

#[test]
fn a_duplicate_merges_into_the_survivor_with_its_timeline_alerts_and_tasks() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let survivor = open_incident(data, "alice", "Checkout 500s", "sev1");
    let dup = open_incident(data, "bob", "Payments failing", "sev2");
    ok(data, "bob", &["note", &dup, "payments 502 from checkout"]);
    ok(
        data,
        "bob",
        &["task", &dup, "erin", "check the payment gateway"],
    );
    ok(
        data,
        "alice",
        &["note", &survivor, "pricing deploy at 10:00"],
    );
    // Only the survivor's commander merges.
    let r = cli(
        data,
        "bob",
        &["merge", &dup, &survivor, "--reason", "one outage"],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("only the commander"), "{}", r.stderr);
    ok(
        data,
        "alice",
        &["merge", &dup, &survivor, "--reason", "one outage"],
    );

    let log = ok(data, "reader", &["log", &survivor]);
    assert!(
        log.contains(&format!("[{dup}] observation: payments 502 from checkout")),
        "{log}"
    );
    let pos = |s: &str| log.find(s).unwrap_or_else(|| panic!("{s:?} not in {log}"));
    assert!(
        pos("payments 502") < pos("pricing deploy"),
        "timeline order: {log}"
    );
    let list: serde_json::Value =
        serde_json::from_str(&ok(data, "reader", &["list", "--json", "--all"])).unwrap();
    let find = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    let d = find(&dup);
    assert_eq!(d["status"], "resolved", "{d}");
    let s = find(&survivor);
    let tasks = s["tasks"].as_array().unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t["what"] == format!("check the payment gateway (from {dup} T1)")),
        "{s}"
    );
    // Merging again is refused; both journals verify.
    let r = cli(
        data,
        "alice",
        &["merge", &dup, &survivor, "--reason", "again"],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    verified(data, &dup);
    verified(data, &survivor);
}

#[test]
fn the_post_mortem_uses_corrected_times_and_says_which_were_corrected() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    ok(
        data,
        "bob",
        &["note", &id, "first 500s seen on the dashboard"],
    );
    ok(data, "alice", &["note", &id, "pricing pod restarted"]);
    ok(data, "alice", &["note", &id, "rolled back pricing"]);
    ok(
        data,
        "bob",
        &[
            "amend",
            &id,
            "2",
            "--at",
            "00:02",
            "--reason",
            "seen at 00:02, typed later",
        ],
    );
    ok(
        data,
        "alice",
        &["retract", &id, "3", "--reason", "it was the cart pod"],
    );
    let draft = ok(data, "reader", &["export", &id]);
    let timeline = &draft[draft.find("## Timeline").unwrap()..];
    let timeline = &timeline[..timeline.find("\n\n## ").unwrap()];
    let first_row = timeline.lines().nth(4).unwrap();
    assert!(
        first_row.starts_with("| ")
            && first_row.contains(" 00:02:00 | observation: first 500s seen"),
        "the corrected note leads the timeline at its corrected time:\n{timeline}"
    );
    assert!(!timeline.contains("pricing pod restarted"), "{timeline}");
    assert!(!timeline.contains("amended #"), "{timeline}");
    assert!(
        draft.contains("Times corrected after they were recorded: #2"),
        "{draft}"
    );
    assert!(
        draft.contains("corrected by bob: seen at 00:02, typed later"),
        "{draft}"
    );
    assert!(draft.contains("Retracted, and left out of this draft: #3 (it was the cart pod)"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(data, "reader", &["export", &id, "--format", "json"])).unwrap();
    let times = &json["corrections"]["corrected_times"];
    assert_eq!(times[0]["seq"], 2, "{json}");
    assert!(
        times[0]["occurred_at"]
            .as_str()
            .unwrap()
            .ends_with("00:02:00Z")
    );
}

/// The post-mortem's figures use the times entries refer to: the opening and the move to
/// monitoring amended to earlier times give the time to mitigate and to resolve and the
/// duration from those times, and the draft says which times were corrected.
#[test]
fn the_postmortem_figures_use_corrected_times_and_say_which_were_corrected() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    ok(data, "alice", &["status", &id, "monitoring"]);
    ok(data, "alice", &["resolve", &id]);
    let log = ok(data, "reader", &["log", &id, "--json"]);
    let rows: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let recorded = |seq: usize| {
        chrono::DateTime::parse_from_rfc3339(rows[seq - 1]["at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let (opened, resolved) = (recorded(1), recorded(3));
    let rfc = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339();
    let noticed = opened - chrono::Duration::minutes(60);
    let mitigated = opened - chrono::Duration::minutes(30);
    let amend = |seq: &str, at: &str, why: &str| {
        ok(
            data,
            "alice",
            &["amend", &id, seq, "--at", at, "--reason", why],
        );
    };
    amend(
        "1",
        &rfc(noticed),
        "the outage began an hour before we opened",
    );
    amend("2", &rfc(mitigated), "the rollback took at half past");
    let json = ok(data, "reader", &["export", &id, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let secs = |d: chrono::Duration| d.num_seconds();
    assert_eq!(
        v["response"]["time_to_mitigate_seconds"],
        secs(mitigated - noticed),
        "{json}"
    );
    assert_eq!(
        v["response"]["time_to_resolve_seconds"],
        secs(resolved - noticed),
        "{json}"
    );
    assert_eq!(
        v["impact"]["duration_seconds"],
        secs(resolved - noticed),
        "{json}"
    );
    let corrected: Vec<u64> = v["corrections"]["corrected_times"]
        .as_array()
        .unwrap_or_else(|| panic!("no corrected times: {json}"))
        .iter()
        .map(|t| t["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(corrected, vec![1, 2], "{json}");
    let draft = ok(data, "reader", &["export", &id]);
    assert!(
        draft.contains("Times corrected after they were recorded: #1, #2"),
        "{draft}"
    );
    assert!(
        draft.contains("the outage began an hour before we opened"),
        "{draft}"
    );
    // The timeline starts at the corrected opening.
    let timeline = &draft[draft.find("## Timeline").unwrap()..];
    assert!(
        timeline.contains(&noticed.format("%H:%M").to_string()),
        "{timeline}"
    );
    verified(data, &id);
}
