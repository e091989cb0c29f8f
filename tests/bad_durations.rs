//! Durations out of range, through every place a duration is read: the `--due` of
//! `warroom task`, every duration field of config.toml and runbook.toml (through
//! `check-config` and `actions`), and the console's task and silence forms (through the
//! reducer). Each is refused with a message naming the field; nothing panics.

use crate::common;
use crate::support;

use common::{run, snapshot, warroom};
use crossterm::event::KeyCode;
use support::console::*;
use warroom::console::state::Modal;

/// Too long for any clock: overflowing chrono's `Duration`, `i64` or 30 days.
const TOO_LONG: &[&str] = &[
    "9999999999999h",
    "2562047788015h1h",
    "999999999999999",
    "99999999999999999999999999s",
    "9223372036854775807s",
    "106751991167d",
    "31d",
    "30d1s",
    "43201",
    "1h99999999999999999m",
];

#[test]
fn task_due_out_of_range_is_refused_not_a_panic() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    assert_eq!(
        common::open_incident(data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    for due in TOO_LONG {
        let before = snapshot(data);
        let ran = run({
            let mut c = warroom(data, "alice");
            c.args(["task", "1", "bob", "check the db", "--due", due]);
            c
        });
        assert_eq!(ran.code, Some(2), "--due {due}: {}", ran.stderr);
        assert!(
            ran.stderr.starts_with("warroom: --due: ") && ran.stderr.lines().count() == 1,
            "--due {due}: {}",
            ran.stderr
        );
        assert!(ran.stderr.contains("30 days"), "{}", ran.stderr);
        assert_eq!(snapshot(data), before, "--due {due} changed the journal");
    }
    // The longest accepted time box still works.
    let ran = run({
        let mut c = warroom(data, "alice");
        c.args(["task", "1", "bob", "check the db", "--due", "30d"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
}

/// `check-config` (and `actions` for the runbook) with one file holding `text`.
fn check(file: &str, text: &str, verb: &str) -> common::Ran {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text).unwrap();
    let config = dir.path().join("config.toml");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    run({
        let mut c = warroom(&dir.path().join("data"), "alice");
        c.env("WARROOM_CONFIG", &config).arg(verb);
        c
    })
}

#[test]
fn every_duration_field_of_every_config_file_refuses_out_of_range() {
    // (file, text with {} for the duration, field named in the error, line, verbs)
    let action = "[[action]]\nname = \"x\"\nkind = \"exec\"\nargv = [\"true\"]\n";
    let fields: Vec<(&str, String, &str, usize, &[&str])> = vec![
        (
            "config.toml",
            "[status_updates]\nsev1 = \"{}\"\n".into(),
            "status_updates.sev1",
            2,
            &["check-config"],
        ),
        (
            "config.toml",
            "[status_updates]\nsev2 = \"10m\"\nsev4 = \"{}\"\n".into(),
            "status_updates.sev4",
            3,
            &["check-config"],
        ),
        (
            "config.toml",
            "[alerts]\npoll_interval = \"{}\"\n".into(),
            "alerts.poll_interval",
            2,
            &["check-config", "alerts"],
        ),
        (
            "config.toml",
            "[alerts]\ntimeout = \"{}\"\n".into(),
            "alerts.timeout",
            2,
            &["check-config", "alerts"],
        ),
        (
            "config.toml",
            "[watchdog]\nalert = \"Watchdog\"\ninterval = \"{}\"\n".into(),
            "watchdog.interval",
            3,
            &["check-config", "doctor"],
        ),
        (
            "config.toml",
            "[[webhook]]\nkind = \"json\"\nurl = \"http://127.0.0.1:9/\"\ntimeout = \"{}\"\n"
                .into(),
            "webhook #1: timeout",
            4,
            &["check-config"],
        ),
        (
            "runbook.toml",
            format!("{action}timeout = \"{{}}\"\n"),
            "timeout",
            5,
            &["check-config", "actions"],
        ),
        (
            "runbook.toml",
            format!(
                "{action}verify = {{ promql = \"up\", expect = \"< 1\", within = \"{{}}\" }}\n"
            ),
            "verify.within",
            5,
            &["check-config", "actions"],
        ),
        (
            "runbook.toml",
            format!("{action}verify = {{ promql = \"up\", expect = \"< 1\", every = \"{{}}\" }}\n"),
            "verify.every",
            5,
            &["check-config", "actions"],
        ),
    ];
    for (file, template, field, line, verbs) in &fields {
        for d in TOO_LONG.iter().chain(&["5m", "2562047788015h1h"]) {
            let text = template.replace("{}", d);
            for verb in *verbs {
                let ran = check(file, &text, verb);
                if *d == "5m" {
                    // The template itself is sound: only the duration is wrong.
                    assert!(
                        ran.code != Some(101) && !ran.stderr.contains(&format!("{file}:{line}:")),
                        "{file} {text:?} {verb}: {}",
                        ran.stderr
                    );
                    continue;
                }
                assert_eq!(ran.code, Some(2), "{file} {text:?} {verb}: {}", ran.stderr);
                let first = ran.stderr.lines().next().unwrap_or("");
                assert!(
                    first.contains(&format!("{file}:{line}:")) && first.contains(field),
                    "{file} {text:?} {verb}: {first:?} should name {file}:{line} and {field}"
                );
            }
        }
    }
}

#[test]
fn the_consoles_task_form_refuses_a_time_box_out_of_range_and_keeps_the_form() {
    for d in TOO_LONG {
        let mut s = leading();
        press(&mut s, vec![key(KeyCode::Char('t'))]);
        type_text(&mut s, "bob");
        press(&mut s, vec![key(KeyCode::Tab)]);
        type_text(&mut s, "check the db");
        press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Backspace)]);
        type_text(&mut s, d);
        let fx = press(&mut s, vec![key(KeyCode::Enter)]);
        assert!(appends(&fx).is_empty(), "{d}: {fx:?}");
        let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
        assert!(flash.contains("30 days"), "{d}: {flash:?}");
        assert!(matches!(s.modal, Some(Modal::Task(_))), "{d}: form closed");
    }
}

#[test]
fn the_consoles_silence_form_refuses_a_duration_out_of_range_and_keeps_the_form() {
    for d in TOO_LONG {
        let mut s = leading();
        s.set_board(board_with_alerts());
        press(
            &mut s,
            vec![
                key(KeyCode::Tab),
                key(KeyCode::Down),
                key(KeyCode::Char('m')),
                key(KeyCode::Tab),
            ],
        );
        // The prefilled "1h" goes, the duration is typed instead.
        press(
            &mut s,
            vec![key(KeyCode::Backspace), key(KeyCode::Backspace)],
        );
        type_text(&mut s, d);
        let fx = press(&mut s, vec![key(KeyCode::Enter)]);
        assert!(fx.is_empty(), "{d}: {fx:?}");
        let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
        assert!(flash.contains("30 days"), "{d}: {flash:?}");
        assert!(
            matches!(s.modal, Some(Modal::Silence(_))),
            "{d}: form closed"
        );
    }
}
