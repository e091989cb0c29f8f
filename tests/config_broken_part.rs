//! One mistake in config.toml: `check-config` still refuses it (exit 2, file:line), and so
//! does a verb that needs the broken part; a verb that does not need it works, warning once;
//! the console starts, showing the problem with its file and line, and runs without it.

use crate::common;
use crate::support::release;
use crate::support::tmux::{Pane, Tmux, quote};

use common::{open_incident, run, warroom};
use std::path::Path;
use std::time::Duration;

/// `[prometheus]` misspelt on line 4; a valid `[alerts]` after it.
const MISSPELT: &str = "# warroom\ntheme = \"default\"\n\n[promethues]\nurl = \"http://127.0.0.1:9\"\n\n[alerts]\ngroup_by = \"team\"\n";

fn with_config(data: &Path, config: &Path, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(data, "alice");
        c.env("WARROOM_CONFIG", config);
        c.args(args);
        c
    })
}

#[test]
fn a_misspelt_part_stops_only_the_verbs_that_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, MISSPELT).unwrap();
    assert_eq!(
        open_incident(&data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    let at = format!("{}:4:", config.display());

    // check-config reads the file whole: exit 2, naming the line.
    let checked = with_config(&data, &config, &["check-config"]);
    assert_eq!(checked.code, Some(2), "{}", checked.stderr);
    assert!(checked.stderr.contains(&at), "{}", checked.stderr);

    // A status update needs webhooks, not Prometheus: recorded, with one warning.
    let update = with_config(
        &data,
        &config,
        &["update", "INC-1", "Conditions: rolling back"],
    );
    assert_eq!(update.code, Some(0), "{}", update.stderr);
    assert!(update.stderr.contains(&at), "{}", update.stderr);
    assert!(update.stderr.contains("promethues"), "{}", update.stderr);
    let log = common::log_json(&data, "INC-1");
    assert!(
        log.iter().any(|l| l["event"]["type"] == "status_update"),
        "{log:?}"
    );

    // Reading alerts needs [prometheus], which is what the misspelt part meant: exit 2.
    let alerts = with_config(&data, &config, &["alerts"]);
    assert_eq!(alerts.code, Some(2), "{}", alerts.stderr);
    assert!(alerts.stderr.contains(&at), "{}", alerts.stderr);
}

/// The release binary's console as alice in a 120×40 pane, on `data` with `config`.
fn console<'a>(tmux: &'a Tmux, data: &Path, config: &Path) -> Pane<'a> {
    let pane = tmux.shell(
        "lead",
        &format!(
            "exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} WARROOM_CONFIG={}",
            quote(&data.display().to_string()),
            quote(&config.display().to_string()),
        ),
    );
    pane.run_line(&format!(
        "{} --as alice; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
    pane
}

#[test]
fn the_console_starts_with_a_broken_part_and_names_it() {
    let Some(tmux) = Tmux::new("broken-config", Duration::from_secs(10)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, MISSPELT).unwrap();
    // Built first: a build under load must not leave the incident's first update overdue.
    release::warroom();
    assert_eq!(
        open_incident(&data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    let pane = console(&tmux, &data, &config);
    pane.wait_for("the incident list with the problem named", |s| {
        s.contains("Checkout 500s") && s.contains("config.toml:4:")
    });
    // It runs: the incident opens.
    pane.press(&["Enter"]);
    pane.wait_for("the incident", |s| {
        s.contains("INC-1") && s.contains("next update in")
    });
    pane.press(&["q"]);
    pane.wait_for("the quit question", |s| s.contains("quit?"));
    pane.press(&["y"]);
    pane.wait_for("the console to exit with status 0", |s| {
        s.contains("warroom-exit-0")
    });
}

#[test]
fn keys_do_nothing_behind_terminal_too_small() {
    let Some(tmux) = Tmux::new("too-small", Duration::from_secs(10)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Built first: a build under load must not leave the incident's first update overdue.
    release::warroom();
    assert_eq!(
        open_incident(&data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    let pane = console(&tmux, &data, &dir.path().join("no-config.toml"));
    pane.wait_for("the incident list", |s| s.contains("Checkout 500s"));
    tmux.tmux(&["resize-window", "-t", "lead", "-x", "40", "-y", "10"]);
    pane.wait_for("the enlarge message", |s| s.contains("Terminal too small"));
    // Enter would take the lead of INC-1; n would open an editor nobody sees.
    pane.press(&["Enter"]);
    pane.press(&["n"]);
    tmux.tmux(&["resize-window", "-t", "lead", "-x", "80", "-y", "24"]);
    let screen = pane.wait_for("the list again", |s| s.contains("Open incidents"));
    assert!(
        !screen.contains("Observation"),
        "an editor opened:\n{screen}"
    );
    assert!(
        !screen.contains("next update in"),
        "the incident was entered behind the message:\n{screen}"
    );
    // At 80×24 the same keys work.
    pane.press(&["Enter"]);
    pane.wait_for("the incident", |s| s.contains("next update in"));
    pane.press(&["q"]);
    pane.wait_for("the quit question", |s| s.contains("quit?"));
    pane.press(&["y"]);
    pane.wait_for("the console to exit", |s| s.contains("warroom-exit-0"));
}

/// Every alert and metrics source is a part the verbs that read it need: broken, it stops
/// them (exit 2, naming the line) instead of being left out with a warning that says the
/// verb does not use it.
#[test]
fn a_broken_source_of_any_kind_stops_the_verbs_that_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert_eq!(
        open_incident(&data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    let cases: &[(&str, &[&str])] = &[
        ("[cloudwatch]\nregion = \"no such region!\"\n", &["alerts"]),
        (
            "[cloudwatch]\nregion = \"no such region!\"\n",
            &["blast", "INC-1"],
        ),
        (
            "[[icinga]]\nurl = \"https://127.0.0.1:9\"\nuser = \"\"\npassword_env = \"ICINGA_PW\"\n",
            &["write-back", "INC-1", "web1/http", "comment", "looking"],
        ),
    ];
    for (text, args) in cases {
        let config = dir.path().join("config.toml");
        std::fs::write(&config, text).unwrap();
        let ran = with_config(&data, &config, args);
        assert_eq!(ran.code, Some(2), "{args:?} with {text:?}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!("{}:", config.display()))
                && !ran.stderr.contains("does not use it"),
            "{args:?} with {text:?}: {}",
            ran.stderr
        );
    }
}
