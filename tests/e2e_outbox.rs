//! End to end, on the release binary in tmux: the database goes away mid-incident. A console
//! leads INC-1 on PostgreSQL; the cluster is stopped (`pg_ctl stop -m immediate`); two notes
//! and a status update typed in the console are shown as "not yet shared" under a header that
//! says the store is unreachable; the console is SIGKILLed; the database comes back; a console
//! started again shares the outbox: every entry lands once, in the order typed, with the time
//! it was typed at, and `warroom verify` passes.
#![cfg(target_os = "linux")]

use crate::e2e_two_machines::{Machine, TITLE, write};
use crate::support::postgres;
use crate::support::tmux::{Tmux, children_named, has_line, wait_until};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// The longest any single wait may take before the test fails, showing the screen. The first
/// append after the database went away keeps trying for 10 s before it goes to the outbox.
const DEADLINE: Duration = Duration::from_secs(30);
const UNREACHABLE: &str = "STORE UNREACHABLE";

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|r| !r.trim_start().starts_with('Z'))
    })
}

#[test]
fn typed_while_the_database_is_down_survives_a_sigkill_and_lands_once_in_order() {
    let Some(tmux) = Tmux::new("outbox", DEADLINE) else {
        return;
    };
    // A cluster of its own: this test stops it.
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let url = cluster.url();
    let alice = Machine::new(&url, "alice");
    let id = alice
        .cli(&["open", TITLE, "--severity", "sev1"])
        .trim()
        .to_string();
    assert_eq!(id, "INC-1");

    let first = alice.console(&tmux, &id);
    first.wait_for("alice leading", |s| {
        s.contains(TITLE) && s.contains("take command") && !s.contains("READ-ONLY")
    });

    cluster.stop_immediate();
    // Short enough to show whole beside the mark in the log's 72 columns.
    let typed = [
        ("n", "Observation", "db-1 lost with its array"),
        ("u", "Status update", "Checkout down; on it"),
        ("n", "Observation", "failing over to site B"),
    ];
    let down_from = Utc::now();
    for (n, (key, editor, text)) in typed.iter().enumerate() {
        write(&first, key, editor, text);
        let waiting = format!("({} not yet shared)", n + 1);
        first.wait_for(&format!("{text:?} kept as not yet shared"), |s| {
            has_line(s, &[UNREACHABLE, &waiting]) && has_line(s, &["not yet shared ·", text])
        });
    }
    let typed_until = Utc::now();
    let outbox = alice
        .data()
        .join("incidents")
        .join(&id)
        .join("outbox.jsonl");
    let kept = std::fs::read_to_string(&outbox).unwrap_or_default();
    assert_eq!(kept.lines().count(), 3, "the outbox on disk: {kept}");

    // The console dies as a power cut would have it.
    let console = children_named(first.pid(), "warroom")
        .first()
        .copied()
        .expect("the console's pid under the shell");
    let killed = Command::new("kill")
        .args(["-KILL", &console.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -KILL {console}");
    wait_until(
        Duration::from_secs(5),
        "the killed console to be gone",
        || !alive(console),
    );
    // Its window goes with it, so the console started next can take the same session name.
    tmux.tmux(&["kill-session", "-t", "alice"]);

    cluster.restart();
    let back_at = Utc::now();
    let second = alice.console(&tmux, &id);
    for (_, _, text) in &typed {
        second.wait_for(&format!("{text:?} shared"), |s| {
            has_line(s, &["alice", text])
                && !s.contains("not yet shared")
                && !s.contains(UNREACHABLE)
        });
    }
    let outbox_gone = || !outbox.exists();
    wait_until(
        Duration::from_secs(5),
        "the drained outbox removed",
        outbox_gone,
    );

    // Exactly once each, in the order typed, with the times typed.
    let log: Vec<Value> = alice
        .cli(&["log", &id, "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, String, String)> = log
        .iter()
        .map(|l| {
            let e = &l["event"];
            (
                l["by"].as_str().unwrap_or_default().to_string(),
                e["type"].as_str().unwrap_or_default().to_string(),
                e["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = [("opened", "")]
        .into_iter()
        .chain([
            ("note", typed[0].2),
            ("status_update", typed[1].2),
            ("note", typed[2].2),
        ])
        .map(|(t, text)| ("alice".to_string(), t.to_string(), text.to_string()))
        .collect();
    assert_eq!(got, want, "the log");
    for l in &log[1..] {
        let at: DateTime<Utc> = l["at"].as_str().unwrap().parse().unwrap();
        assert!(
            at >= down_from - chrono::Duration::seconds(1)
                && at <= typed_until + chrono::Duration::seconds(1)
                && at < back_at,
            "{l}: recorded at {at}, typed between {down_from} and {typed_until}, \
             the database back at {back_at}"
        );
    }
    let seqs: Vec<u64> = log.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    let verified = alice.cli(&["verify", &id]);
    assert!(
        verified.contains(&format!("{id}: 4 events, hash chain intact")),
        "{verified}"
    );
}
