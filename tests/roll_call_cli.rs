//! Roll call from the command line, through the real binary, on both stores: check-ins in the
//! CAN form by people who do not lead (and, with a shared store, from another machine), the
//! roll called and answered, people added, sub-teams; bad input exits 2 naming the field and
//! writes nothing.

use crate::support::cli::{Setup, setup, stderr};
use crate::support::stores::{CliStore, cli_stores};
use serde_json::{Value, json};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok(s: &Setup, store: &CliStore, args: &[&str]) -> String {
    let out = s.run(args);
    assert!(
        out.status.success(),
        "{}: warroom {args:?} failed: {}",
        store.name,
        stderr(&out)
    );
    stdout(&out)
}

/// `warroom` as `user` on another machine: its own data directory when the store is shared
/// (the file journal is one machine's, so there the same directory).
fn as_other(s: &Setup, store: &CliStore, dir: &std::path::Path, user: &str, args: &[&str]) {
    let data = if store.is_shared() {
        dir.to_path_buf()
    } else {
        s.data.clone()
    };
    let out = s
        .command()
        .env("WARROOM_DATA_DIR", data)
        .env("WARROOM_USER", user)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {user}: warroom {args:?} failed: {}",
        store.name,
        stderr(&out)
    );
}

/// The incident's lines as `log --json` prints them: (author, event).
fn lines(s: &Setup) -> Vec<(String, Value)> {
    let out = s.run(&["log", &s.id, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["by"].as_str().unwrap().to_string(), v["event"].clone())
        })
        .collect()
}

#[test]
fn check_ins_from_anyone_answer_the_roll_on_both_stores() {
    for store in cli_stores("roll_call_cli") {
        let what = store.name;
        let s = setup("[roll_call]\nstale_after = \"15m\"\n", &store.env());
        let elsewhere = tempfile::tempdir().unwrap();
        ok(&s, &store, &["assign", &s.id, "commander", "alice"]);
        ok(&s, &store, &["roll", &s.id, "--add", "dana"]);
        // Conditions only, as most check-ins are said.
        as_other(
            &s,
            &store,
            elsewhere.path(),
            "carol",
            &[
                "checkin",
                &s.id,
                "pricing deploy at 08:57 looks like the trigger",
            ],
        );
        let called = ok(&s, &store, &["roll", &s.id, "--call"]);
        assert!(called.contains("roll called by alice"), "{what}: {called}");
        as_other(
            &s,
            &store,
            elsewhere.path(),
            "bob",
            &[
                "checkin",
                &s.id,
                "looking at the primary's replication lag",
                "--actions",
                "failing over to the replica",
                "--needs",
                "a DBA",
            ],
        );
        let roll = ok(&s, &store, &["roll", &s.id]);
        assert!(
            roll.contains("1 answered, waiting for alice, dana, carol"),
            "{what}: {roll}"
        );
        assert!(
            roll.lines().any(|l| l.starts_with("  bob: answered; ")
                && l.contains(" ago: C: looking at the primary's replication lag · A: failing over to the replica · N: a DBA;")),
            "{what}: {roll}"
        );
        assert!(
            roll.contains("dana: WAITING; no check-in"),
            "{what}: {roll}"
        );
        assert!(
            roll.lines().any(|l| l.starts_with("  carol: WAITING; ")
                && l.contains(" ago: C: pricing deploy at 08:57")),
            "{what}: {roll}"
        );
        let team = ok(
            &s,
            &store,
            &[
                "team",
                &s.id,
                "--lead",
                "bob",
                "--goal",
                "fail over the primary",
                "--member",
                "dana",
                "--for",
                "20m",
            ],
        );
        assert!(
            team.starts_with("team Alpha formed, led by bob with dana: fail over the primary"),
            "{what}: {team}"
        );
        let roll = ok(&s, &store, &["roll", &s.id]);
        assert!(
            roll.contains("team Alpha (lead bob, 1 member): fail over the primary — 19m left")
                || roll
                    .contains("team Alpha (lead bob, 1 member): fail over the primary — 20m left"),
            "{what}: {roll}"
        );
        ok(&s, &store, &["team", &s.id, "Alpha", "--disband"]);

        let log = lines(&s);
        let kept: Vec<(String, Value)> = log
            .into_iter()
            .filter(|(_, e)| {
                matches!(
                    e["type"].as_str(),
                    Some("check_in" | "roll_called" | "roll_added" | "team_disbanded")
                )
            })
            .collect();
        assert_eq!(
            kept,
            [
                (
                    "alice".to_string(),
                    json!({"type": "roll_added", "person": "dana"})
                ),
                (
                    "carol".to_string(),
                    json!({"type": "check_in", "conditions": "pricing deploy at 08:57 looks like the trigger"})
                ),
                ("alice".to_string(), json!({"type": "roll_called"})),
                (
                    "bob".to_string(),
                    json!({"type": "check_in", "conditions": "looking at the primary's replication lag", "actions": "failing over to the replica", "needs": "a DBA"})
                ),
                (
                    "alice".to_string(),
                    json!({"type": "team_disbanded", "team": "Alpha"})
                ),
            ],
            "{what}"
        );
        // The chain holds whoever wrote from wherever.
        let verified = ok(&s, &store, &["verify", &s.id]);
        assert!(verified.contains("hash chain intact"), "{what}: {verified}");
        // The post-mortem: check-ins and the roll call in the timeline, and the roll at the end.
        let pm = ok(&s, &store, &["export", &s.id]);
        assert!(
            pm.contains("check-in: C: looking at the primary's replication lag · A: failing over to the replica · N: a DBA"),
            "{what}: {pm}"
        );
        assert!(
            pm.contains("roll called: everyone checks in"),
            "{what}: {pm}"
        );
        assert!(
            pm.contains("## Roll call\n\nThe roll was called once."),
            "{what}: {pm}"
        );
        assert!(
            pm.lines()
                .any(|l| l.starts_with("| bob |") && l.contains("| 1 | C: looking at")),
            "{what}: {pm}"
        );
        let json = ok(&s, &store, &["export", &s.id, "--format", "json"]);
        let json: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            json["roll_call"]["calls"].as_array().map(Vec::len),
            Some(1),
            "{what}"
        );
    }
}

#[test]
fn bad_check_ins_and_teams_exit_2_naming_the_field_and_write_nothing() {
    for store in cli_stores("roll_call_bad") {
        let what = store.name;
        let s = setup("", &store.env());
        ok(&s, &store, &["checkin", &s.id, "here"]);
        let before = lines(&s);
        let bad: &[(&[&str], &str)] = &[
            (&["checkin", &s.id, "  "], "conditions is empty"),
            (
                &["checkin", &s.id, "lag", "--actions", ""],
                "actions is empty",
            ),
            (&["checkin", &s.id, "lag", "--needs", " "], "needs is empty"),
            (&["checkin", "INC-99", "lag"], "INC-99"),
            (
                &["roll", &s.id, "--add", "alice"],
                "alice is already on the roll",
            ),
            (&["roll", &s.id, "--add", "a\tb"], "person must be one line"),
            (&["team", &s.id, "--goal", "x"], "--lead"),
            (&["team", &s.id, "--lead", "bob"], "--goal"),
            (
                &["team", &s.id, "--lead", "bob", "--goal", "x", "--for", "0s"],
                "--for: must be more than zero",
            ),
            (
                &[
                    "team", &s.id, "--lead", "bob", "--goal", "x", "--for", "soon",
                ],
                "--for",
            ),
            (&["team", &s.id, "Zulu", "--disband"], "has no team Zulu"),
        ];
        for (args, says) in bad {
            let out = s.run(args);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{what}: {args:?}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains(says),
                "{what}: {args:?}: {}",
                stderr(&out)
            );
        }
        assert_eq!(lines(&s), before, "{what}: something was written");
    }
}

#[test]
fn a_bad_roll_call_setting_is_named_with_its_place_in_config_toml() {
    let s = setup("", &[]);
    std::fs::write(&s.config, "[roll_call]\nstale_after = \"soon\"\n").unwrap();
    let out = s.run(&["roll", &s.id]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("config.toml:2:"), "{err}");
    assert!(err.contains("roll_call.stale_after"), "{err}");
    std::fs::write(&s.config, "[roll_call]\nrelief_after = \"30s\"\n").unwrap();
    let out = s.run(&["roll", &s.id]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("roll_call.relief_after: must be at least 1m"),
        "{}",
        stderr(&out)
    );
    // A check-in does not need [roll_call]: a mistake there does not stop it.
    let out = s.run(&["checkin", &s.id, "here"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
