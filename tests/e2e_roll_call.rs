//! Roll call end to end on the release binary in a real terminal: the leader calls the roll
//! (`K`, confirmed), the roll call view waits for everyone; bob checks in from a shell and the
//! view shows him answered; the leader checks in through the CAN form (`i`); the work board
//! (`tab`) shows the task's countdown; `log --json` holds exactly those events.

use crate::support;

use std::time::Duration;
use support::e2e::E2e;
use support::tmux::Tmux;

#[test]
fn the_leader_calls_the_roll_and_sees_who_answered_live() {
    let Some(t) = Tmux::new("roll_call", Duration::from_secs(60)) else {
        return;
    };
    let e = E2e::new("", &[]);
    let id = e.open("Checkout 500s");
    e.run_as(
        "alice",
        &["task", &id, "bob", "check the primary DB", "--due", "10m"],
    );
    let pane = e.console(&t, "e2e", "alice");
    pane.wait_for("the incident list", |s| s.contains(&id));
    pane.press(&["Enter"]);
    pane.wait_for("the incident screen", |s| s.contains("next update in"));

    pane.press(&["K"]);
    pane.wait_for("the question", |s| s.contains("Call the roll?"));
    pane.press(&["y"]);
    pane.wait_for("the roll call waiting for everyone", |s| {
        s.contains("Roll call") && s.contains("0 of 2 answered; waiting for alice, bob")
    });
    // bob answers from his own shell; the console sees it within its look for new entries.
    e.run_as(
        "bob",
        &["checkin", &id, "replication lag 40s", "--needs", "a DBA"],
    );
    pane.wait_for("bob answered", |s| {
        s.contains("1 of 2 answered; waiting for alice")
            && s.contains("C: replication lag 40s · N: a DBA")
    });
    // The leader checks in through the form, from the view.
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
    pane.press(&["Tab"]);
    pane.wait_for("the work board", |s| {
        s.contains("Work board") && s.contains("T1 check the primary DB 0")
    });
    pane.press(&["Escape"]);
    pane.press(&["q"]);
    pane.wait_for("the quit question", |s| s.contains("and quit?"));
    pane.press(&["y"]);
    t.wait_gone("e2e");

    let events: Vec<serde_json::Value> = e
        .run_as("alice", &["log", &id, "--json"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| {
            matches!(
                l["event"]["type"].as_str(),
                Some("roll_called" | "check_in")
            )
        })
        .map(|l| serde_json::json!({"by": l["by"], "event": l["event"]}))
        .collect();
    assert_eq!(
        events,
        [
            serde_json::json!({"by": "alice", "event": {"type": "roll_called"}}),
            serde_json::json!({"by": "bob", "event": {"type": "check_in", "conditions": "replication lag 40s", "needs": "a DBA"}}),
            serde_json::json!({"by": "alice", "event": {"type": "check_in", "conditions": "error ratio 20% on checkout", "actions": "running the call"}}),
        ]
    );
}
