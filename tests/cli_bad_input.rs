//! Bad input to every verb: exit code 2, one clear line on stderr naming what was wrong, and
//! nothing changes, on disk or in the store: each check runs on both stores
//! (`support::stores::cli_stores`: the data directory, and PostgreSQL started once for this
//! file). Clap's own usage errors exit 2 too and name the argument.

use crate::common;
use crate::support::stores::{CliStore, cli_stores};

use common::run;
use std::path::Path;

/// INC-1: open, sev1, bob is commander. INC-2: resolved.
fn two_incidents(store: &CliStore, data: &Path) {
    assert_eq!(
        store.open_incident(data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    assert_eq!(
        store.open_incident(data, "alice", "Search latency", "sev3"),
        "INC-2"
    );
    for args in [
        &["assign", "INC-1", "commander", "bob"][..],
        &["resolve", "INC-2", "--summary", "cache warmed"][..],
    ] {
        let ran = run({
            let mut c = store.warroom(data, "alice");
            c.args(args);
            c
        });
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.stderr);
    }
}

/// Runs `args` (with `stdin` if given) and checks: exit 2, nothing on stdout, nothing changed
/// on disk or in the store; returns stderr.
fn refused(store: &CliStore, data: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let what = store.name;
    let before = store.kept(data);
    let ran = run({
        let mut c = store.warroom(data, "carol");
        c.args(args);
        c.write_stdin(stdin.unwrap_or(""));
        c
    });
    assert_eq!(
        ran.code,
        Some(2),
        "{what}: {args:?} should exit 2; stderr: {}",
        ran.stderr
    );
    assert_eq!(ran.stdout, "", "{what}: {args:?} printed to stdout");
    assert_eq!(
        store.kept(data),
        before,
        "{what}: {args:?} changed what is kept"
    );
    ran.stderr
}

#[test]
fn bad_input_to_every_verb_exits_2_with_one_line_naming_the_problem_and_changes_nothing() {
    for store in cli_stores("cli_bad_input") {
        bad_input_changes_nothing(&store);
    }
}

fn bad_input_changes_nothing(store: &CliStore) {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    two_incidents(store, data);
    let long_title = "x".repeat(201);

    // (arguments, text the one-line message must contain)
    let cases: &[(&[&str], &str)] = &[
        // open
        (&["open", "", "--severity", "sev1"], "title is empty"),
        (&["open", "   ", "--severity", "sev1"], "title is empty"),
        (
            &["open", "Checkout\n500s", "--severity", "sev1"],
            "title must be one line",
        ),
        (
            &["open", &long_title, "--severity", "sev1"],
            "title is 201 characters long",
        ),
        (
            &[
                "open",
                "Checkout 500s",
                "--severity",
                "sev2",
                "--summary",
                " ",
            ],
            "summary is empty",
        ),
        // note
        (&["note", "INC-99", "db cpu high"], "no incident 'INC-99'"),
        (&["note", "../x", "db cpu high"], "no incident '../x'"),
        (
            &["note", "INC-1/../INC-2", "db cpu high"],
            "no incident 'INC-1/../INC-2'",
        ),
        (&["note", "/etc", "db cpu high"], "no incident '/etc'"),
        (&["note", "INC-0", "db cpu high"], "no incident 'INC-0'"),
        (&["note", "INC-1", ""], "note is empty"),
        (&["note", "INC-1", " \t "], "note is empty"),
        (&["note", "INC-2", "one more thing"], "INC-2 is resolved"),
        // update
        (&["update", "INC-1", ""], "status update is empty"),
        (&["update", "INC-42", "still down"], "no incident 'INC-42'"),
        (&["update", "INC-2", "still down"], "INC-2 is resolved"),
        // severity
        (&["severity", "INC-1", "sev1"], "INC-1 is already sev1"),
        (&["severity", "../INC-1", "sev2"], "no incident '../INC-1'"),
        (&["severity", "INC-2", "sev1"], "INC-2 is resolved"),
        // status
        (
            &["status", "INC-1", "investigating"],
            "INC-1 is already investigating",
        ),
        (&["status", "INC-1", "resolved"], "use resolve"),
        (&["status", "INC-2", "monitoring"], "INC-2 is resolved"),
        (&["status", "INC-9", "monitoring"], "no incident 'INC-9'"),
        // assign
        (&["assign", "INC-1", "commander", ""], "person is empty"),
        (
            &["assign", "INC-1", "commander", "bob\nsmith"],
            "person must be one line",
        ),
        (
            &["assign", "INC-1", "commander", "bob"],
            "bob is already commander of INC-1",
        ),
        (&["assign", "INC-2", "scribe", "dave"], "INC-2 is resolved"),
        (&["assign", "..", "scribe", "dave"], "no incident '..'"),
        // resolve
        (&["resolve", "INC-2"], "INC-2 is resolved"),
        (&["resolve", "INC-1", "--summary", ""], "summary is empty"),
        (&["resolve", "INC-7"], "no incident 'INC-7'"),
        // log, verify
        (&["log", "INC-99"], "no incident 'INC-99'"),
        (
            &["log", "../../etc/passwd", "--json"],
            "no incident '../../etc/passwd'",
        ),
        (&["verify", "INC-99"], "no incident 'INC-99'"),
        (&["verify", "INC-1/../../x"], "no incident 'INC-1/../../x'"),
    ];
    for (args, says) in cases {
        let stderr = refused(store, data, args, None);
        assert_one_line(store, args, &stderr, says);
    }

    // Text read from standard input is checked the same way.
    let stderr = refused(store, data, &["note", "INC-1", "-"], Some("\n\n"));
    assert_one_line(store, &["note", "INC-1", "-"], &stderr, "note is empty");
    let stderr = refused(store, data, &["update", "INC-2", "-"], Some("late\n"));
    assert_one_line(
        store,
        &["update", "INC-2", "-"],
        &stderr,
        "INC-2 is resolved",
    );

    // So is the author.
    let before = store.kept(data);
    let ran = run({
        let mut c = store.warroom(data, "carol\nmallory");
        c.args(["note", "INC-1", "hello"]);
        c
    });
    assert_eq!(ran.code, Some(2), "{}: {}", store.name, ran.stderr);
    assert_one_line(store, &["--as", "carol\\nmallory"], &ran.stderr, "author");
    assert_eq!(store.kept(data), before, "{}", store.name);
}

fn assert_one_line(store: &CliStore, args: &[&str], stderr: &str, says: &str) {
    let what = store.name;
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: {args:?}: expected one line on stderr, got {stderr:?}"
    );
    assert!(
        lines[0].starts_with("warroom: "),
        "{what}: {args:?}: {:?} does not say it is from warroom",
        lines[0]
    );
    assert!(
        lines[0].contains(says),
        "{what}: {args:?}: {:?} should say {says:?}",
        lines[0]
    );
}

#[test]
fn usage_errors_exit_2_and_the_first_line_names_the_argument() {
    for store in cli_stores("cli_usage_errors") {
        usage_errors_name_the_argument(&store);
    }
}

fn usage_errors_name_the_argument(store: &CliStore) {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    two_incidents(store, data);

    // (arguments, what the first line of the error must name)
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["open", "x", "--severity", "sev5"],
            &["sev5", "--severity"],
        ),
        (&["list", "--bogus"], &["--bogus"]),
        (&["list", "INC-1"], &["INC-1"]),
        (
            &["note", "INC-1", "x", "--kind", "rumour"],
            &["rumour", "--kind"],
        ),
        (&["severity", "INC-1", "sev0"], &["sev0", "<SEVERITY>"]),
        (&["status", "INC-1", "fixed"], &["fixed", "<STATUS>"]),
        (&["assign", "INC-1", "boss", "bob"], &["boss", "<ROLE>"]),
        (&["resolve", "INC-1", "--summry", "x"], &["--summry"]),
        (&["log", "INC-1", "--yaml"], &["--yaml"]),
        (&["verify", "INC-1", "INC-2"], &["INC-2"]),
        (&["frobnicate"], &["frobnicate"]),
    ];
    for (args, names) in cases {
        let stderr = refused(store, data, args, None);
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.starts_with("error: "), "{args:?}: {stderr}");
        for name in *names {
            assert!(
                first.contains(name),
                "{args:?}: first line {first:?} should name {name:?}"
            );
        }
    }

    // A missing argument: clap lists the missing ones right under its first line.
    let missing: &[(&[&str], &[&str])] = &[
        (&["open"], &["<TITLE>", "--severity"]),
        (&["open", "Checkout 500s"], &["--severity"]),
        (&["note", "INC-1"], &["<TEXT>"]),
        (&["note"], &["<ID>", "<TEXT>"]),
        (&["update", "INC-1"], &["<TEXT>"]),
        (&["severity", "INC-1"], &["<SEVERITY>"]),
        (&["status", "INC-1"], &["<STATUS>"]),
        (&["assign", "INC-1", "commander"], &["<PERSON>"]),
        (&["resolve"], &["<ID>"]),
        (&["log"], &["<ID>"]),
        (&["verify"], &["<ID>"]),
    ];
    for (args, names) in missing {
        let stderr = refused(store, data, args, None);
        let mut lines = stderr.lines();
        let first = lines.next().unwrap_or("");
        assert!(
            first.starts_with("error: ") && first.contains("required"),
            "{args:?}: {stderr}"
        );
        let listed: Vec<&str> = lines.take_while(|l| !l.is_empty()).collect();
        for name in *names {
            assert!(
                listed.iter().any(|l| l.contains(name)),
                "{args:?}: the error should name {name:?}: {stderr}"
            );
        }
    }
}
