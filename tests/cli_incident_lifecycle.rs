//! A whole incident driven through the real binary, from `open` to `resolve`, and read back
//! the three ways a user reads it: `log`, `log --json` and `list --json`.

use crate::common;

use chrono::{DateTime, NaiveDateTime, Utc};
use common::{journal_path, log_json, run, warroom};

#[test]
fn an_incident_from_open_to_resolve_reads_back_in_order_with_times_and_authors() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let started = Utc::now();

    // `open` prints the new ID and nothing else.
    let opened = run({
        let mut c = warroom(data, "alice");
        c.args(["open", "Checkout 500s", "--severity", "sev1"]);
        c
    });
    assert_eq!(opened.code, Some(0), "{}", opened.stderr);
    assert_eq!(opened.stdout, "INC-1\n");
    assert_eq!(opened.stderr, "");
    let id = opened.stdout.trim();

    // (author, arguments, event type it records, what `log` shows for it)
    let steps: &[(&str, &[&str], &str, &str)] = &[
        (
            "bob",
            &["note", id, "checkout-api returns 500 for 40% of requests"],
            "note",
            "observation: checkout-api returns 500 for 40% of requests",
        ),
        (
            "alice",
            &["update", id, "Rolling back the pricing deploy"],
            "status_update",
            "status update: Rolling back the pricing deploy",
        ),
        (
            "alice",
            &["severity", id, "sev2"],
            "severity_changed",
            "severity SEV1 → SEV2",
        ),
        (
            "alice",
            &["assign", id, "commander", "carol"],
            "role_assigned",
            "carol is commander",
        ),
        (
            "carol",
            &["status", id, "monitoring"],
            "status_changed",
            "status investigating → monitoring",
        ),
        (
            "carol",
            &["resolve", id, "--summary", "pricing rolled back"],
            "resolved",
            "resolved: pricing rolled back",
        ),
    ];
    for (who, args, _, _) in steps {
        let ran = run({
            let mut c = warroom(data, who);
            c.args(*args);
            c
        });
        assert_eq!(ran.code, Some(0), "{args:?} failed: {}", ran.stderr);
        assert_eq!(ran.stderr, "", "{args:?} warned");
    }
    let finished = Utc::now();

    let mut expected: Vec<(&str, &str, &str)> =
        vec![("alice", "opened", "opened SEV1 \"Checkout 500s\"")];
    expected.extend(steps.iter().map(|(who, _, ty, shown)| (*who, *ty, *shown)));

    // The human log: one line per event, oldest first, UTC time, number, author, description.
    let log = run({
        let mut c = warroom(data, "reader");
        c.args(["log", id]);
        c
    });
    assert_eq!(log.code, Some(0), "{}", log.stderr);
    let lines: Vec<&str> = log.stdout.lines().collect();
    assert_eq!(lines.len(), expected.len(), "log:\n{}", log.stdout);
    let mut previous_time = None;
    for (n, (line, (who, _, shown))) in lines.iter().zip(&expected).enumerate() {
        // "2026-11-21 09:03:12Z  #3    alice        …"
        let time = NaiveDateTime::parse_from_str(&line[..20], "%Y-%m-%d %H:%M:%SZ")
            .unwrap_or_else(|e| panic!("no UTC time at the start of {line:?}: {e}"))
            .and_utc();
        assert!(
            time >= started.with_nanosecond_floor() && time <= finished,
            "{line:?}: time {time} is not the (UTC) time it was recorded"
        );
        if let Some(p) = previous_time {
            assert!(time >= p, "log is not in time order at {line:?}");
        }
        previous_time = Some(time);
        let rest: Vec<&str> = line[20..].split_whitespace().collect();
        assert_eq!(rest[0], format!("#{}", n + 1), "{line:?}");
        assert_eq!(rest[1], *who, "{line:?}");
        assert!(line.ends_with(shown), "{line:?} should end with {shown:?}");
    }

    // The JSON log: one object per event, numbered 1..N, in order, chained.
    let json = log_json(data, id);
    assert_eq!(json.len(), expected.len());
    let mut prev = "0".repeat(64);
    for (n, (line, (who, ty, _))) in json.iter().zip(&expected).enumerate() {
        assert_eq!(line["seq"], n as u64 + 1);
        assert_eq!(line["by"], *who);
        assert_eq!(line["event"]["type"], *ty);
        let at = line["at"].as_str().unwrap();
        assert!(at.ends_with('Z'), "time {at} is not UTC");
        let at: DateTime<Utc> = at.parse().unwrap();
        assert!(at >= started.with_nanosecond_floor() && at <= finished);
        assert_eq!(line["prev"], prev.as_str(), "line {} does not chain", n + 1);
        prev = line["hash"].as_str().unwrap().to_string();
        assert_eq!(prev.len(), 64);
    }
    assert_eq!(json[1]["event"]["kind"], "observation");
    assert_eq!(
        json[1]["event"]["text"],
        "checkout-api returns 500 for 40% of requests"
    );
    assert_eq!(json[3]["event"]["from"], "sev1");
    assert_eq!(json[3]["event"]["to"], "sev2");
    assert_eq!(json[4]["event"]["person"], "carol");

    // `log --json` gives back the journal lines themselves, so a reader can check the chain.
    let raw = run({
        let mut c = warroom(data, "reader");
        c.args(["log", id, "--json"]);
        c
    });
    let file = std::fs::read_to_string(journal_path(data, id)).unwrap();
    assert_eq!(raw.stdout, file);

    // `list --json` knows it is resolved, and how it ended.
    let list = run({
        let mut c = warroom(data, "reader");
        c.args(["list", "--json"]);
        c
    });
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", list.stdout);
    let inc = &listed[0];
    assert_eq!(inc["id"], "INC-1");
    assert_eq!(inc["title"], "Checkout 500s");
    assert_eq!(inc["status"], "resolved");
    assert_eq!(inc["severity"], "sev2");
    assert_eq!(inc["resolution"], "pricing rolled back");
    assert_eq!(inc["opened_by"], "alice");
    assert_eq!(inc["notes"], 1);
    assert_eq!(inc["status_updates"], 1);
    assert_eq!(inc["last_seq"], 7);
    assert_eq!(inc["roles"][0]["role"], "commander");
    assert_eq!(inc["roles"][0]["person"], "carol");

    // And its chain checks out.
    let verify = run({
        let mut c = warroom(data, "reader");
        c.args(["verify", id]);
        c
    });
    assert_eq!(verify.code, Some(0), "{}", verify.stderr);
    assert!(
        verify.stdout.contains("7 events"),
        "verify said: {}",
        verify.stdout
    );
}

#[test]
fn ids_count_up_and_the_list_shows_open_incidents_before_resolved_ones() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    assert_eq!(
        common::open_incident(data, "alice", "Checkout 500s", "sev2"),
        "INC-1"
    );
    assert_eq!(
        common::open_incident(data, "bob", "Search latency", "sev3"),
        "INC-2"
    );
    let ran = run({
        let mut c = warroom(data, "alice");
        c.args(["resolve", "inc-1"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);

    let list = run({
        let mut c = warroom(data, "reader");
        c.args(["list", "--json"]);
        c
    });
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let ids: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, vec![("INC-2", "investigating"), ("INC-1", "resolved")]);

    // The table names both, one row each, under a header.
    let table = run({
        let mut c = warroom(data, "reader");
        c.args(["list"]);
        c
    });
    assert_eq!(table.code, Some(0));
    let rows: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(rows.len(), 3, "{}", table.stdout);
    assert!(rows[1].starts_with("INC-2") && rows[1].contains("Search latency"));
    assert!(rows[2].starts_with("INC-1") && rows[2].contains("resolved"));
}

trait Floor {
    /// Log lines show whole seconds; compare against the start rounded down to one.
    fn with_nanosecond_floor(self) -> Self;
}

impl Floor for DateTime<Utc> {
    fn with_nanosecond_floor(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap()
    }
}
