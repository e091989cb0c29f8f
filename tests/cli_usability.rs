//! The command line explains itself: usage lines never show the global options as required
//! (even when their `WARROOM_*` variables are set), every argument of every verb has a
//! description in `warroom help VERB`, incident IDs are read however they are commonly
//! written, and `warroom run` without a runbook says where it looked and how to make one.

use crate::common;

use clap::CommandFactory;
use common::{run, warroom};
use warroom::cli::Cli;

const GLOBALS: &[&str] = &["--data-dir", "--config", "--as", "--theme"];

/// Every verb (and sub-verb), as the words that name it.
fn verbs() -> Vec<(Vec<String>, clap::Command)> {
    let mut out = Vec::new();
    let mut todo: Vec<(Vec<String>, clap::Command)> = Cli::command()
        .get_subcommands()
        .map(|c| (vec![c.get_name().to_string()], c.clone()))
        .collect();
    while let Some((path, cmd)) = todo.pop() {
        for sub in cmd.get_subcommands() {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            todo.push((p, sub.clone()));
        }
        out.push((path, cmd));
    }
    out
}

#[test]
fn usage_lines_never_show_the_global_options_as_required() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("config.toml");
    let mut checked = 0;
    for (path, cmd) in verbs() {
        let needs_something =
            cmd.get_arguments().any(|a| a.is_required_set()) || cmd.has_subcommands();
        if !needs_something {
            continue;
        }
        // Missing arguments: clap's error shows the usage line.
        let ran = run({
            let mut c = warroom(data.path(), "alice");
            c.env("WARROOM_CONFIG", &config)
                .env("WARROOM_USER", "bob")
                .env("WARROOM_THEME", "light")
                .args(&path);
            c
        });
        assert_eq!(ran.code, Some(2), "{path:?}: {}", ran.stderr);
        let usage = ran
            .stderr
            .lines()
            .find(|l| l.starts_with("Usage: "))
            .unwrap_or_else(|| panic!("{path:?}: no usage line in {}", ran.stderr));
        for g in GLOBALS {
            assert!(
                !usage.contains(g),
                "{path:?}: the usage line shows {g} as required: {usage}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} verbs checked");
}

#[test]
fn the_global_options_still_come_from_their_variables_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let env_data = dir.path().join("from-env");
    let flag_data = dir.path().join("from-flag");
    let ran = run({
        let mut c = warroom(&env_data, "alice");
        c.env_remove("WARROOM_USER")
            .env("WARROOM_USER", "bob")
            .args(["open", "Checkout 500s", "--severity", "sev2"]);
        c
    });
    // `warroom()` passes --as alice, which wins over WARROOM_USER.
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(common::log_json(&env_data, "INC-1")[0]["by"], "alice");
    let ran = run({
        let mut c = assert_cmd::Command::cargo_bin("warroom").unwrap();
        c.env("WARROOM_DATA_DIR", &env_data)
            .env("WARROOM_USER", "bob")
            .env_remove("WARROOM_CONFIG")
            .args(["note", "INC-1", "from the environment"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(common::log_json(&env_data, "INC-1")[1]["by"], "bob");
    let ran = run({
        let mut c = warroom(&env_data, "alice");
        c.arg("--data-dir")
            .arg(&flag_data)
            .args(["open", "Search latency", "--severity", "sev3"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(common::journal_path(&flag_data, "INC-1").is_file());
    assert!(!common::journal_path(&env_data, "INC-2").exists());
}

#[test]
fn every_argument_of_every_verb_is_described() {
    let mut missing = Vec::new();
    for (path, cmd) in verbs() {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg
                .get_help()
                .is_none_or(|h| h.to_string().trim().is_empty())
            {
                missing.push(format!("{} {id}", path.join(" ")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "arguments without a description: {missing:?}"
    );
    // And `warroom help VERB` shows them.
    let data = tempfile::tempdir().unwrap();
    let ran = run({
        let mut c = warroom(data.path(), "alice");
        c.args(["help", "note"]);
        c
    });
    let id_line = ran
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("<ID>"))
        .unwrap_or("");
    assert!(
        id_line.trim_start().trim_start_matches("<ID>").trim().len() > 5,
        "{}",
        ran.stdout
    );
}

#[test]
fn incident_ids_are_read_as_commonly_written() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    assert_eq!(
        common::open_incident(data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    for id in ["INC-1", "inc-1", "1", "INC1", "inc1", " INC1 "] {
        let ran = run({
            let mut c = warroom(data, "alice");
            c.args(["note", id, &format!("written as {id:?}")]);
            c
        });
        assert_eq!(ran.code, Some(0), "{id:?}: {}", ran.stderr);
    }
    assert_eq!(common::log_json(data, "INC1").len(), 7);
    for id in ["INC", "INC-", "INC--1", "INC1a", "IN1", "INC-0", "INC0"] {
        let ran = run({
            let mut c = warroom(data, "alice");
            c.args(["note", id, "x"]);
            c
        });
        assert_eq!(ran.code, Some(2), "{id:?} was accepted");
    }
}

#[test]
fn run_without_a_runbook_says_where_it_looked_and_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("etc").join("config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    assert_eq!(
        common::open_incident(&data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    let run_it = || {
        run({
            let mut c = warroom(&data, "alice");
            c.env("WARROOM_CONFIG", &config)
                .args(["run", "INC-1", "flag-off", "--yes"]);
            c
        })
    };
    let runbook = dir.path().join("etc").join("runbook.toml");
    let ran = run_it();
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    let said = ran.stderr.trim();
    assert!(
        said.contains(&format!("no runbook at {}", runbook.display()))
            && said.contains("runbook.example.toml"),
        "{said}"
    );
    assert!(!said.contains("has no actions"), "{said}");
    // A runbook without actions is another matter, and says so.
    std::fs::write(&runbook, "# nothing yet\n").unwrap();
    let ran = run_it();
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains(&format!("{} has no actions", runbook.display())),
        "{}",
        ran.stderr
    );
}
