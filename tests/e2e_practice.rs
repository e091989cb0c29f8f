//! The practice end to end on the release binary in a real terminal: a decision put to the
//! call with its countdown on screen and an objection from another writer, an exit criterion
//! on a real Prometheus series (pushed through a Pushgateway) going from unmet to met for its
//! duration, then the resolution; `log --json` holds exactly those events and the exported
//! post-mortem shows them.

use crate::support;

use std::time::Duration;
use support::servers;
use support::tmux::Tmux;

/// Replaces the `practice` job's metrics on the Pushgateway (plain HTTP PUT).
fn push(pushgateway: &str, body: &str) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(pushgateway).expect("connect to the Pushgateway");
    let request = format!(
        "PUT /metrics/job/practice HTTP/1.1\r\nHost: {pushgateway}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.1 202"),
        "the Pushgateway said {answer}"
    );
}

#[test]
fn a_decision_by_objection_and_exit_criteria_on_a_live_series_then_resolve() {
    let Some(t) = Tmux::new("practice", Duration::from_secs(60)) else {
        return;
    };
    let Some(pg) = servers::pushgateway() else {
        return;
    };
    let Some(prom) = servers::prometheus(&pg.addr, "groups: []\n", None) else {
        return;
    };
    push(&pg.addr, "checkout_error_ratio 0.2\n");
    let setup = support::e2e::E2e::new(
        &format!(
            "[prometheus]\nurl = \"{}\"\n\n[alerts]\npoll_interval = \"1s\"\n\n[practice]\nobjection_window = \"45s\"\n",
            prom.url
        ),
        &[],
    );
    // No checklist: its one-line nags are not what this test is about.
    std::fs::write(setup.config.with_file_name("checklists.toml"), "").unwrap();
    let id = setup
        .run_as("alice", &["open", "Checkout 500s", "--severity", "sev1"])
        .trim()
        .to_string();

    let pane = setup.console(&t, "e2e", "alice");
    pane.wait_for("the incident list", |s| s.contains(&id));
    pane.press(&["Enter"]);
    pane.wait_for("the incident screen", |s| s.contains("next update in"));
    pane.press(&["C"]);
    pane.wait_for("alice in command", |s| s.contains("alice is commander"));

    // Roll call: bob has written, so he is on the roll; the leader calls it, bob answers from
    // his shell, the leader checks in through the CAN form.
    setup.run_as("bob", &["note", &id, "checkout 500s since the deploy"]);
    pane.press(&["K"]);
    pane.wait_for("the question", |s| s.contains("Call the roll?"));
    pane.press(&["y"]);
    pane.wait_for("the roll call waiting for everyone", |s| {
        s.contains("Roll call") && s.contains("0 of 2 answered; waiting for alice, bob")
    });
    setup.run_as(
        "bob",
        &["checkin", &id, "replication lag 40s", "--needs", "a DBA"],
    );
    pane.wait_for("bob answered", |s| {
        s.contains("1 of 2 answered; waiting for alice")
            && s.contains("C: replication lag 40s · N: a DBA")
    });
    pane.press(&["i"]);
    pane.wait_for("the CAN form", |s| {
        s.contains("Check in: Conditions, Actions, Needs")
    });
    pane.type_text("error ratio 20% on checkout");
    pane.press(&["Tab"]);
    pane.type_text("running the call");
    pane.press(&["C-s"]);
    pane.press(&["w"]);
    pane.wait_for("everyone answered", |s| {
        s.contains("2 of 2 answered, everyone")
    });
    pane.press(&["Escape"]);
    pane.wait_for("the incident screen again", |s| {
        s.contains("next update in") && !s.contains("2 of 2 answered")
    });

    // A decision by objection: the proposal, its alternatives, the countdown on screen.
    pane.press(&["D"]);
    pane.wait_for("the proposal editor", |s| s.contains("Propose a decision"));
    pane.type_text("roll back pricing to v41");
    pane.press(&["Enter"]);
    pane.type_text("- fix forward");
    pane.press(&["C-s"]);
    pane.wait_for("the countdown", |s| {
        s.contains("D1 PROPOSED") && s.contains("any strong objections? 00:4")
    });
    // Another writer objects from a shell; the console shows it.
    setup.run_as("bob", &["object", &id, "v41 has the tax bug"]);
    pane.wait_for("bob's objection", |s| {
        s.contains("bob: v41 has the tax bug") && s.contains("1 objection")
    });
    // D again: decided.
    pane.press(&["D"]);
    pane.wait_for("how the decision ends", |s| {
        s.contains("Close the decision")
    });
    pane.press(&["Enter"]);
    pane.wait_for("the decision taken", |s| {
        s.contains("decision D1 decided") && !s.contains("D1 PROPOSED")
    });

    // An exit criterion on the live series: unmet while the ratio is 0.2.
    pane.press(&["X"]);
    pane.wait_for("the criteria picker", |s| {
        s.contains("set a new exit criterion")
    });
    pane.press(&["Enter"]);
    pane.type_text("checkout errors: promql checkout_error_ratio < 0.05 for 5s");
    pane.press(&["C-s"]);
    pane.wait_for("the criterion unmet", |s| {
        s.contains("0 of 1 hold") && s.contains("does not hold · now 0.2")
    });
    // The fix lands: the ratio drops, holds for five seconds, and the criterion is met.
    push(&pg.addr, "checkout_error_ratio 0.01\n");
    pane.wait_for("the criterion holding", |s| s.contains("holding "));
    pane.wait_for("the criterion met", |s| {
        s.contains("all 1 hold: S monitoring, R resolve") && s.contains("exit criterion C1 met")
    });

    // Resolve: nothing unmet, so straight to the summary.
    pane.press(&["R"]);
    pane.wait_for("the resolve editor", |s| s.contains("Resolve"));
    pane.type_text("rolled back pricing; errors under 5 %");
    pane.press(&["C-s"]);
    pane.wait_for("resolved", |s| s.contains("RESOLVED"));
    pane.press(&["q"]);
    t.wait_gone("e2e");

    let events: Vec<serde_json::Value> = setup
        .run_as("alice", &["log", &id, "--json"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].clone())
        .collect();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        vec![
            "opened",
            "role_assigned",
            "note",
            "roll_called",
            "check_in",
            "check_in",
            "decision_proposed",
            "decision_objected",
            "decision_closed",
            "exit_criterion_set",
            "exit_criterion_met",
            "resolved"
        ],
        "{events:#?}"
    );
    assert_eq!(events[6]["alternatives"][0], "fix forward");
    assert_eq!(events[8]["outcome"], "decided");
    assert_eq!(
        events[9]["check"]["query"]["promql"],
        "checkout_error_ratio"
    );
    let met = &events[10];
    assert!(met["value"].as_f64().is_some_and(|v| v < 0.05), "{met}");
    // Met once it had held for five seconds: `since` is at least that before the entry.
    let lines: Vec<serde_json::Value> = setup
        .run_as("alice", &["log", &id, "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at =
        |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let held = at(&lines[10]["at"]) - at(&met["since"]);
    assert!(held >= chrono::Duration::seconds(5), "held only {held}");

    let md = setup.run_as("alice", &["export", &id]);
    for part in [
        "## Roll call",
        "## Decisions by objection",
        "### D1: roll back pricing to v41",
        "  - fix forward",
        "(bob): v41 has the tax bug",
        "- Outcome: **decided**",
        "## Exit criteria",
        // `<` escaped for Markdown.
        "| C1 checkout errors \\< 0.05 for 5s | promql `checkout_error_ratio` |",
    ] {
        assert!(md.contains(part), "{part:?} not in\n{md}");
    }
}
