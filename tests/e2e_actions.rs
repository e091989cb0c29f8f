//! End to end in tmux: the real `warroom` console runs two runbook actions from the keyboard
//! — a confirmed one (pick, choose the flag, read the exact command, `y`) and a dangerous one
//! (its name typed) — shows their output live while they run, and the log holds both runs.
//!
//! The harness is `tests/support/tmux.rs` (a private tmux server per test, killed by a guard;
//! every wait polls the screen against a deadline). Without tmux the test prints a loud
//! SKIPPED line, except under CI, where it fails.
#![cfg(target_os = "linux")]

use crate::common;
use crate::support::release;
use crate::support::tmux;

use common::{log_json, open_incident};
use std::time::Duration;
use tmux::{Tmux, alive, quote};

const DEADLINE: Duration = Duration::from_secs(15);

const RUNBOOK: &str = r#"
[[action]]
name = "flag-off"
description = "Turn a feature flag off"
kind = "exec"
argv = ["sh", "-c", 'for i in 1 2 3 4 5; do echo "flag $1: step $i of 5"; sleep 0.5; done; echo "flag $1 is off"', "flag-off", "{flag}"]
timeout = "30s"
confirm = true
undo = "rollback"
[[action.param]]
name = "flag"
choices = ["new-pricing", "checkout-v2"]

[[action]]
name = "rollback"
description = "Roll a service back to its previous version"
kind = "exec"
argv = ["sh", "-c", 'echo "rolling back $1"; sleep 2; echo "rollback of $1 done"', "rollback", "{service}"]
timeout = "30s"
dangerous = true
[[action.param]]
name = "service"
from = "blast_radius"
"#;

#[test]
fn a_confirmed_and_a_dangerous_action_run_from_the_console_and_are_logged() {
    let Some(tmux) = Tmux::new("confirmed-and-dangerous", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("runbook.toml"), RUNBOOK).unwrap();
    let id = open_incident(&data, "alice", "Checkout 500s", "sev1");

    let pane = tmux.session(
        "lead",
        &format!(
            "env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} WARROOM_CONFIG={} {} --as alice",
            quote(&data.display().to_string()),
            quote(&conf.join("config.toml").display().to_string()),
            quote(&release::warroom().display().to_string()),
        ),
    );
    pane.wait_for("the incident list", |s| {
        s.contains(&id) && s.contains("Checkout 500s")
    });
    pane.press(&["Enter"]);
    pane.wait_for("the incident with the runbook in the Actions pane", |s| {
        s.contains("Actions") && s.contains("flag-off") && s.contains("rollback")
    });
    // The first status update prompt may open by itself later; none is due yet (sev1, 10m).

    // A confirmed action: pick it by typing, choose the flag, read the command, say yes.
    pane.press(&["A"]);
    pane.wait_for("the action picker", |s| s.contains("Run an action"));
    pane.type_text("flag");
    pane.press(&["Enter"]);
    pane.wait_for("the parameter form", |s| {
        s.contains("flag-off — parameters")
    });
    pane.press(&["Right", "Enter"]);
    pane.wait_for("the exact command before running", |s| {
        s.contains("Run flag-off?")
            && s.contains("$ sh -c 'for i in 1 2 3 4 5;")
            && s.contains("flag-off checkout-v2")
    });
    pane.press(&["y"]);
    pane.wait_for("live output while the action runs", |s| {
        s.contains("R1 flag-off — running") && s.contains("flag checkout-v2: step 1 of 5")
    });
    pane.wait_for("the end of the run", |s| {
        s.contains("flag checkout-v2 is off") && s.contains("R1 flag-off — succeeded")
    });
    pane.press(&["Escape"]);
    pane.wait_for("the run in the outage log", |s| {
        s.contains("action R1 flag-off succeeded")
    });

    // A dangerous action: y is not enough; its name must be typed.
    pane.press(&["A"]);
    pane.wait_for("the action picker", |s| s.contains("Run an action"));
    pane.type_text("rollb");
    pane.press(&["Enter"]);
    pane.wait_for("the rollback form", |s| s.contains("rollback — parameters"));
    pane.type_text("checkout");
    pane.press(&["Enter"]);
    pane.wait_for("the dangerous confirmation", |s| {
        s.contains("DANGEROUS — run rollback?") && s.contains("Type rollback to run it")
    });
    pane.press(&["y", "Enter"]);
    pane.wait_for("a refusal of the wrong word", |s| {
        s.contains("type rollback exactly to run it")
    });
    pane.press(&["BSpace"]);
    pane.type_text("rollback");
    pane.press(&["Enter"]);
    pane.wait_for("live output of the rollback", |s| {
        s.contains("R2 rollback — running") && s.contains("rolling back checkout")
    });
    pane.wait_for("the rollback's end", |s| {
        s.contains("rollback of checkout done") && s.contains("R2 rollback — succeeded")
    });
    pane.press(&["Escape"]);
    pane.wait_for("both runs in the Actions pane", |s| {
        s.contains("R1 succeeded") && s.contains("R2 succeeded")
    });

    pane.press(&["q"]);
    pane.wait_for("the quit confirmation", |s| s.contains("quit?"));
    pane.press(&["y"]);
    tmux.wait_gone("lead");

    let events: Vec<serde_json::Value> = log_json(&data, &id)
        .iter()
        .filter(|l| l["by"] == "alice")
        .map(|l| l["event"].clone())
        .filter(|e| e["type"].as_str().unwrap_or("").starts_with("action_"))
        .collect();
    let summary: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["run_id"].as_str().unwrap().to_string(),
                e["outcome"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| e["params"].to_string()),
            )
        })
        .collect();
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        summary,
        [
            s("action_started", "R1", r#"{"flag":"checkout-v2"}"#),
            s("action_finished", "R1", "succeeded"),
            s("action_started", "R2", r#"{"service":"checkout"}"#),
            s("action_finished", "R2", "succeeded"),
        ]
    );
    assert!(
        events[1]["output_tail"]
            .as_str()
            .unwrap()
            .contains("out| flag checkout-v2 is off"),
        "{}",
        events[1]
    );
}

#[test]
fn quitting_while_an_action_runs_stops_its_process_group_and_records_the_cancel() {
    let Some(tmux) = Tmux::new("quit-mid-run", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    let pidfile = dir.path().join("sleep.pid");
    std::fs::write(
        conf.join("runbook.toml"),
        format!(
            "[[action]]\nname = \"drain\"\nkind = \"exec\"\n\
             argv = [\"sh\", \"-c\", 'sleep 300 & echo $! > \"$1\"; echo draining; wait', \"drain\", {:?}]\n\
             timeout = \"10m\"\n",
            pidfile.display().to_string()
        ),
    )
    .unwrap();
    let id = open_incident(&data, "alice", "Queue backlog", "sev2");
    let pane = tmux.session(
        "lead",
        &format!(
            "env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} WARROOM_CONFIG={} {} --as alice",
            quote(&data.display().to_string()),
            quote(&conf.join("config.toml").display().to_string()),
            quote(&release::warroom().display().to_string()),
        ),
    );
    pane.wait_for("the incident list", |s| s.contains(&id));
    pane.press(&["Enter"]);
    pane.wait_for("the Actions pane", |s| s.contains("drain"));
    pane.press(&["A"]);
    pane.wait_for("the picker", |s| s.contains("Run an action"));
    pane.press(&["Enter"]);
    pane.wait_for("the preview", |s| s.contains("$ sh -c"));
    pane.press(&["Enter"]);
    pane.wait_for("the run going", |s| {
        s.contains("R1 drain — running") && s.contains("  draining")
    });
    pane.press(&["Escape"]);
    pane.wait_for("the spinner in the pane", |s| {
        s.contains("Actions — 1 running")
    });
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(pid));
    pane.press(&["q"]);
    pane.wait_for("the warning that quitting kills the run", |s| {
        s.contains("1 action is running: quitting kills it.")
    });
    pane.press(&["y"]);
    tmux.wait_gone("lead");
    assert!(!alive(pid), "the action's sleep {pid} outlived the console");
    let finished: Vec<serde_json::Value> = log_json(&data, &id)
        .iter()
        .map(|l| l["event"].clone())
        .filter(|e| e["type"] == "action_finished")
        .collect();
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0]["outcome"], "cancelled");
}
