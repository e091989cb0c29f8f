//! End to end: a drill of the bad deploy (`warroom drill run bad-deploy --fast`, the release
//! build in tmux) led by keys — command taken, the first status update posted at once, the next two on time
//! when the prompt comes, the fourth late, no scribe named, resolved — ends with its review on
//! screen, and `warroom drill review INC-1 --format json` gives the same scores, each matching
//! what the journal says the test did (command and first update at their seconds, the
//! cadence kept 2 of 3 times, no scribe).
#![cfg(target_os = "linux")]

use crate::common;
use crate::support::release;
use crate::support::tmux;

use common::{log_json, run, warroom};
use serde_json::Value;
use std::time::Duration;
use tmux::{Tmux, has_line, quote};

const DEADLINE: Duration = Duration::from_secs(20);
/// An update falls due every minute with --fast; the prompt opens then.
const DUE: Duration = Duration::from_secs(80);

/// Whole seconds from entry `a` to entry `b`, as the review counts them (the difference of
/// the recorded times, cut to whole seconds; not the difference of two cut times).
fn seconds_between(a: &Value, b: &Value) -> i64 {
    let t = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    (t(b) - t(a)) / 1000
}

#[test]
fn a_drill_led_by_keys_ends_with_a_review_that_scores_what_was_done() {
    let Some(tmux) = Tmux::new("drillreview", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&tmp).unwrap();
    let pane = tmux.shell(
        "drill",
        &format!(
            "cd {} && exec env -u WARROOM_USER -u WARROOM_CONFIG -u WARROOM_THEME -u NO_COLOR \
             TMPDIR={}",
            quote(&dir.path().display().to_string()),
            quote(&tmp.display().to_string()),
        ),
    );
    pane.run_line(&format!(
        "{} drill run bad-deploy --fast --data-dir {} --as alice; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string()),
        quote(&data.display().to_string())
    ));
    pane.wait_line("the pre-opened incident", &["INC-1", "Checkout errors"]);
    pane.press(&["Enter"]);
    pane.wait_line("the on-call's note", &["sam", "NOTE", "deploy log"]);

    // Command, then the first update at once.
    pane.press(&["C"]);
    pane.wait_for("alice as commander", |s| {
        has_line(s, &["alice", "commander"])
    });
    pane.press(&["u"]);
    pane.wait_for("the status update editor", |s| s.contains("Status update"));
    pane.type_text("first: checkout errors, looking at pricing");
    pane.press(&["C-s"]);
    pane.wait_line("the first update", &["UPDATE", "first: checkout errors"]);

    // The next two when the prompt comes, posted as drafted: on time.
    for _ in 0..2 {
        pane.wait_within(DUE, "the status-update prompt", |s| {
            s.contains("Status update") && s.contains("alt-i details")
        });
        pane.press(&["C-s"]);
        pane.wait_for("the prompted update posted", |s| {
            !s.contains("alt-i details")
        });
    }
    // The fourth comes late: the prompt waits, unanswered, well past its due time.
    pane.wait_within(DUE, "the status-update prompt", |s| {
        s.contains("Status update") && s.contains("alt-i details")
    });
    std::thread::sleep(Duration::from_secs(15));
    pane.press(&["C-s"]);
    pane.wait_for("the late update posted", |s| !s.contains("alt-i details"));

    // Resolve (the alerts still fire: the console asks first), and the review comes up.
    pane.press(&["R"]);
    let screen = pane.wait_for("the resolve editor or the question", |s| {
        s.contains("Resolve — summary") || s.contains("anyway?")
    });
    if screen.contains("anyway?") {
        pane.press(&["y"]);
    }
    pane.wait_for("the resolve editor", |s| s.contains("Resolve — summary"));
    pane.type_text("drill over");
    pane.press(&["C-s"]);
    let screen = pane.wait_for("the drill's review", |s| s.contains("DRILL REVIEW"));
    assert!(has_line(&screen, &["✓", "command taken"]), "{screen}");
    assert!(
        has_line(&screen, &["✓", "first status update", "(target 5m00s)"]),
        "{screen}"
    );
    assert!(
        has_line(&screen, &["✗", "update cadence", "kept 2 of 3"]),
        "{screen}"
    );
    assert!(
        has_line(&screen, &["✗", "scribe named", "never"]),
        "{screen}"
    );
    assert!(
        has_line(&screen, &["✗", "compensating action", "never"]),
        "{screen}"
    );
    pane.press(&["Escape"]);
    pane.wait_for("the review closed", |s| !s.contains("DRILL REVIEW"));
    // `:review` shows it again.
    pane.press(&[":"]);
    pane.type_text("review");
    pane.press(&["Enter"]);
    pane.wait_for("the review again", |s| s.contains("DRILL REVIEW"));
    pane.press(&["Escape"]);
    pane.press(&["q"]);
    pane.wait_for("the drill to exit", |s| s.contains("warroom-exit-0"));

    // The journaled review matches the journal, and the screen.
    let log = log_json(&data, "INC-1");
    let of = |t: &str| -> Vec<&Value> { log.iter().filter(|l| l["event"]["type"] == t).collect() };
    let opened = of("opened")[0];
    let command = of("role_assigned")[0];
    let updates = of("status_update");
    assert_eq!(updates.len(), 4, "{log:?}");
    assert_eq!(of("drill_reviewed").len(), 1, "reviewed once: {log:?}");
    let ran = run({
        let mut c = warroom(&data, "reader");
        c.args(["drill", "review", "INC-1", "--format", "json"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let v: Value = serde_json::from_str(&ran.stdout).unwrap();
    let score = |k: &str| {
        v["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["score"] == k)
            .unwrap()
            .clone()
    };
    assert_eq!(v["scenario"], "bad-deploy");
    assert_eq!(
        score("take_command")["seconds"],
        seconds_between(opened, command)
    );
    assert_eq!(score("take_command")["met"], true);
    assert_eq!(
        score("first_update")["seconds"],
        seconds_between(opened, updates[0])
    );
    assert_eq!(score("first_update")["met"], true);
    assert_eq!(score("cadence")["kept"], 2);
    assert_eq!(score("cadence")["due"], 3);
    assert_eq!(score("cadence")["met"], false);
    assert_eq!(score("scribe")["met"], false);
    assert!(score("scribe")["seconds"].is_null());
    assert_eq!(score("fix")["met"], false);
}
