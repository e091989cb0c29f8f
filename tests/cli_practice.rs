//! The practice from a shell: `warroom decide`, `object`, `exit`, `resolve --anyway`, with
//! what a script needs — the numbers printed, bad input and refusals (nothing open, already
//! met, criteria unmet) exit 2 naming the problem with nothing recorded — and a broken
//! `checklists.toml` named by file and line.

use crate::support;

use support::cli::{setup, stderr};

#[test]
fn a_decision_by_objection_from_the_shell() {
    let s = setup("[practice]\nobjection_window = \"90s\"\n", &[]);
    let out = s.run(&[
        "decide",
        &s.id,
        "roll back pricing to v41",
        "--alternative",
        "fix forward",
        "--alternative",
        "shed load",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("D1: objections until "),
        "{out:?}"
    );
    let proposed = &s.of_type("decision_proposed")[0];
    assert_eq!(proposed["alternatives"][1], "shed load");
    // The window from [practice]: 90 seconds after the entry.
    let lines: Vec<serde_json::Value> = String::from_utf8(s.run(&["log", &s.id, "--json"]).stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at =
        |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let window = at(&proposed["closes_at"]) - at(&lines[1]["at"]);
    assert!(
        (window.num_milliseconds() - 90_000).abs() < 2_000,
        "{window}"
    );
    // A second proposal while one is open is refused, nothing recorded.
    let out = s.run(&["decide", &s.id, "restart checkout"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("decision D1 is still open"),
        "{}",
        stderr(&out)
    );
    for (who, reason) in [("bob", "v41 has the tax bug"), ("carol", "20 minutes")] {
        let out = s
            .command()
            .env("WARROOM_USER", who)
            .args(["object", &s.id, reason])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Amended needs the text it became; a bad outcome is bad input.
    let out = s.run(&["decide", &s.id, "--close", "amended"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = s.run(&["decide", &s.id, "--close", "maybe"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("decided, withdrawn or amended"),
        "{}",
        stderr(&out)
    );
    let out = s.run(&[
        "decide",
        &s.id,
        "--close",
        "amended",
        "--text",
        "roll back pricing to v40",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Nothing is open now: an objection says so.
    let out = s.run(&["object", &s.id, "late"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no decision is open"),
        "{}",
        stderr(&out)
    );
    let types: Vec<String> = s
        .events()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "opened",
            "decision_proposed",
            "decision_objected",
            "decision_objected",
            "decision_closed"
        ]
    );
    let md = String::from_utf8(s.run(&["export", &s.id]).stdout).unwrap();
    assert!(md.contains("(carol): 20 minutes"), "{md}");
    assert!(md.contains("- Outcome: **amended**"), "{md}");
}

#[test]
fn exit_criteria_from_the_shell_and_resolving_with_one_unmet() {
    let s = setup("", &[]);
    let out = s.run(&[
        "exit",
        &s.id,
        "checkout errors: promql sum(rate(errors[5m])) < 1% for 15m",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "exit criterion C1: checkout errors < 0.01 for 15m"
    );
    let out = s.run(&["exit", &s.id, "support queue back to normal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A metric line that does not read is bad input, naming what is missing.
    let out = s.run(&["exit", &s.id, "promql up < 1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("for DURATION"), "{}", stderr(&out));
    assert!(s.run(&["exit", &s.id, "--met", "C2"]).status.success());
    let out = s.run(&["exit", &s.id, "--met", "C2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already met"), "{}", stderr(&out));
    let out = s.run(&["exit", &s.id, "--met", "C9"]);
    assert_eq!(out.status.code(), Some(2));
    // C1 is unmet: resolving is refused until the reason is given.
    let out = s.run(&["resolve", &s.id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("exit criteria not met: C1 checkout errors < 0.01 for 15m"),
        "{}",
        stderr(&out)
    );
    assert!(s.of_type("resolved").is_empty());
    let out = s.run(&[
        "resolve",
        &s.id,
        "--anyway",
        "the ratio lags; errors are gone",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let waived = &s.of_type("exit_criteria_waived")[0];
    assert_eq!(waived["unmet"], serde_json::json!([1]));
    assert_eq!(waived["reason"], "the ratio lags; errors are gone");
    assert_eq!(s.of_type("resolved").len(), 1);
    let md = String::from_utf8(s.run(&["export", &s.id]).stdout).unwrap();
    assert!(md.contains("## Exit criteria"), "{md}");
    assert!(
        md.contains("| C2 support queue back to normal | manual |"),
        "{md}"
    );
    assert!(
        md.contains("with C1 unmet: the ratio lags; errors are gone"),
        "{md}"
    );
}

#[test]
fn a_broken_checklists_toml_is_named_by_file_and_line() {
    let s = setup("", &[]);
    let file = s.config.parent().unwrap().join("checklists.toml");
    std::fs::write(
        &file,
        "start = [\"assign a scribe\"]\nduring = [\"assign a scribe\"]\n",
    )
    .unwrap();
    let out = s.run(&["check-config"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("checklists.toml:2:")
            && stderr(&out).contains("'assign a scribe' is listed twice"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(&file).unwrap();
    let out = s.run(&["check-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("checklists.toml: absent, the built-in checklists (10 items)"),
        "{out:?}"
    );
}
