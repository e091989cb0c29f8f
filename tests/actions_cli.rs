//! `warroom actions`, `warroom run` and the runbook checks through the real binary: bad
//! runbooks are refused by `check-config`, `run` and the console's start with file:line and
//! the reason (exit 2); parameters are checked by name; confirmation is asked for or refused
//! without a terminal; a dry run runs nothing; exit codes say how the action ended.

use crate::common;

use common::{log_json, open_incident, run, warroom};
use std::path::{Path, PathBuf};

/// A config directory holding `runbook.toml` (and no config.toml: defaults).
fn conf(dir: &Path, runbook: &str) -> PathBuf {
    let c = dir.join("conf");
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(c.join("runbook.toml"), runbook).unwrap();
    c.join("config.toml")
}

fn with_conf(data: &Path, config: &Path, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(data, "alice");
        c.env("WARROOM_CONFIG", config).args(args);
        c
    })
}

const GOOD: &str = r#"
[[action]]
name = "flag-off"
description = "Turn a feature flag off"
kind = "exec"
argv = ["sh", "-c", 'echo "flag $1 off"', "flag-off", "{flag}"]
timeout = "10s"
confirm = true
undo = "flag-on"
[[action.param]]
name = "flag"
pattern = "[a-z0-9-]+"

[[action]]
name = "flag-on"
kind = "exec"
argv = ["sh", "-c", 'echo "flag $1 on" >&2; exit 4', "flag-on", "{flag}"]
[[action.param]]
name = "flag"
pattern = "[a-z0-9-]+"

[[action]]
name = "rollback"
kind = "exec"
argv = ["sh", "-c", 'touch "$1"', "rollback", "{marker}"]
dangerous = true
[[action.param]]
name = "marker"
pattern = "/.+"
"#;

#[test]
fn bad_runbooks_are_refused_everywhere_with_file_line_and_reason() {
    let cases: [(&str, &str, usize, &str); 5] = [
        (
            "unknown kind",
            "[[action]]\nname = \"a\"\nkind = \"shell\"\nargv = [\"true\"]\n",
            3,
            "kind: must be \"exec\" or \"http\", not \"shell\"",
        ),
        (
            "missing argv",
            "[[action]]\nname = \"a\"\nkind = \"exec\"\n",
            3,
            "needs argv",
        ),
        (
            "bad duration",
            "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\ntimeout = \"3 fortnights\"\n",
            5,
            "action a: timeout: '3 fortnights' is not a duration",
        ),
        (
            "undo naming a missing action",
            "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\nundo = \"b\"\n",
            5,
            "undo = \"b\" names no action in this runbook",
        ),
        (
            "duplicate names",
            "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\n[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\n",
            6,
            "action.name: 'a' is defined twice",
        ),
    ];
    for (what, text, line, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let config = conf(dir.path(), text);
        let runbook = config.with_file_name("runbook.toml");
        let id = open_incident(&data, "alice", "Checkout 500s", "sev2");
        let want = format!("{}:{line}:", runbook.display());
        for args in [
            vec!["check-config"],
            vec!["run", id.as_str(), "a", "--yes"],
            vec!["actions"],
            // No command: the console, which refuses to start on a bad runbook.
            vec![],
        ] {
            let r = with_conf(&data, &config, &args);
            assert_eq!(r.code, Some(2), "{what}: warroom {args:?}: {}", r.stderr);
            assert!(
                r.stderr.contains(&want) && r.stderr.contains(reason),
                "{what}: warroom {args:?} should name {want} and say {reason:?}; said: {}",
                r.stderr
            );
            assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
        }
    }
}

#[test]
fn actions_lists_the_runbook_for_people_and_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = conf(dir.path(), GOOD);
    let r = with_conf(&data, &config, &["actions"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("flag-off  [exec]  asks to confirm"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("rollback  [exec]  DANGEROUS"),
        "{}",
        r.stdout
    );
    let r = with_conf(&data, &config, &["actions", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v[0]["name"], "flag-off");
    assert_eq!(v[0]["undo"], "flag-on");
    assert_eq!(v[0]["params"][0]["pattern"], "[a-z0-9-]+");
    assert_eq!(v[2]["dangerous"], true);
    let r = with_conf(&data, &config, &["check-config"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("runbook.toml: 3 actions"), "{}", r.stdout);
}

#[test]
fn run_checks_parameters_by_name_before_anything_happens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = conf(dir.path(), GOOD);
    let id = open_incident(&data, "alice", "Checkout 500s", "sev2");
    for (args, says) in [
        (
            vec!["--param", "flag=x; rm -rf /"],
            "parameter flag: 'x; rm -rf /' does not match the pattern [a-z0-9-]+",
        ),
        (vec![], "parameter flag: missing"),
        (
            vec!["--param", "flag=a", "--param", "colour=red"],
            "parameter colour: not a parameter of flag-off",
        ),
        (vec!["--param", "flag"], "--param 'flag': write NAME=VALUE"),
    ] {
        let mut all = vec!["run", id.as_str(), "flag-off", "--yes"];
        all.extend(args.iter().copied());
        let r = with_conf(&data, &config, &all);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    let r = with_conf(&data, &config, &["run", &id, "flag-offf", "--yes"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("no action 'flag-offf'"), "{}", r.stderr);
    assert_eq!(log_json(&data, &id).len(), 1, "nothing recorded");
}

#[test]
fn without_a_terminal_a_confirmation_needs_yes_and_a_dry_run_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = conf(dir.path(), GOOD);
    let id = open_incident(&data, "alice", "Checkout 500s", "sev2");
    let marker = dir.path().join("rolled-back");
    let m = format!("marker={}", marker.display());

    let r = with_conf(
        &data,
        &config,
        &["run", &id, "flag-off", "--param", "flag=checkout-v2"],
    );
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr
            .contains("flag-off asks for confirmation: run it on a terminal, or pass --yes"),
        "{}",
        r.stderr
    );
    let r = with_conf(&data, &config, &["run", &id, "rollback", "--param", &m]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("(it is marked dangerous)"),
        "{}",
        r.stderr
    );
    assert!(!marker.exists());

    let r = with_conf(
        &data,
        &config,
        &["run", &id, "rollback", "--param", &m, "--dry-run"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.starts_with(&format!(
            "rollback: sh -c 'touch \"$1\"' rollback {}\n",
            marker.display()
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("dry run R1: nothing was run"),
        "{}",
        r.stdout
    );
    assert!(!marker.exists(), "a dry run ran the action");

    let r = with_conf(
        &data,
        &config,
        &["run", &id, "rollback", "--param", &m, "--yes"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(marker.exists());

    let events: Vec<serde_json::Value> = log_json(&data, &id)
        .iter()
        .map(|l| l["event"].clone())
        .collect();
    assert_eq!(events[1]["type"], "action_started");
    assert_eq!(events[1]["dry_run"], true);
    assert_eq!(events[2]["type"], "action_started");
    assert_eq!(events[2]["run_id"], "R2");
    assert_eq!(events[3]["type"], "action_finished");
    assert_eq!(events[3]["outcome"], "succeeded");
    assert_eq!(events.len(), 4, "refused runs record nothing");
}

#[test]
fn exit_codes_say_how_the_action_ended_and_output_is_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = conf(dir.path(), GOOD);
    let id = open_incident(&data, "alice", "Checkout 500s", "sev2");
    let r = with_conf(
        &data,
        &config,
        &[
            "run",
            &id,
            "flag-off",
            "--param",
            "flag=checkout-v2",
            "--yes",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("flag-off: sh -c 'echo \"flag $1 off\"' flag-off checkout-v2\n")
    );
    assert!(r.stdout.contains("flag checkout-v2 off\n"), "{}", r.stdout);

    let r = with_conf(
        &data,
        &config,
        &["run", &id, "flag-on", "--param", "flag=checkout-v2"],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("flag checkout-v2 on\n"), "{}", r.stderr);
    assert!(
        r.stderr.contains("warroom: R2 flag-on failed"),
        "{}",
        r.stderr
    );
    let finished: Vec<serde_json::Value> = log_json(&data, &id)
        .iter()
        .map(|l| l["event"].clone())
        .filter(|e| e["type"] == "action_finished")
        .collect();
    assert_eq!(finished[1]["exit_code"], 4);
    assert!(
        finished[1]["output_tail"]
            .as_str()
            .unwrap()
            .starts_with("err| flag checkout-v2 on\n"),
        "{}",
        finished[1]
    );

    run({
        let mut c = warroom(&data, "alice");
        c.args(["resolve", &id]);
        c
    });
    let r = with_conf(
        &data,
        &config,
        &["run", &id, "flag-off", "--param", "flag=a", "--yes"],
    );
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("is resolved"), "{}", r.stderr);
}
