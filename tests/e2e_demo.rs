//! End to end: `warroom demo --fast`, the release build (built once by `support/release.rs`)
//! in tmux, led the way a new user would lead it — open the pre-opened incident, see the
//! alerts and the blast radius, take command, post a status update, turn the feature flag off
//! from the runbook and watch the errors fall, resolve, quit — then check the journal, that
//! the temporary directories are gone and that nothing is left listening.
//!
//! Each test runs its own tmux server (`tmux -L <unique socket>`), killed when the test ends,
//! failed or not. Every wait polls the screen against a deadline; no fixed sleep is used to
//! synchronise. tmux must be installed; without it the tests print a loud SKIPPED line and
//! pass, except under CI (`CI=true`), where a missing tmux fails them.
#![cfg(target_os = "linux")]

use crate::common;
use crate::support::release;
use crate::support::tmux;

use common::{log_json, run, warroom};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tmux::{Pane, Tmux, children_named, has_line, quote};

/// The longest any single wait may take before the test fails, showing the screen. The
/// scenario runs 10× fast: everything it plays happens within a few seconds of wall time.
const DEADLINE: Duration = Duration::from_secs(20);
const EXIT_OK: &str = "warroom-exit-0";

/// A 120x40 bash in `cwd` with `TMPDIR=tmp` (where the demo makes its directory) and a data
/// directory in the environment the demo must not use.
fn shell<'a>(tmux: &'a Tmux, cwd: &Path, tmp: &Path) -> Pane<'a> {
    tmux.shell(
        "demo",
        &format!(
            "cd {} && exec env -u WARROOM_USER -u WARROOM_CONFIG -u WARROOM_THEME -u NO_COLOR \
             TMPDIR={} WARROOM_DATA_DIR={}",
            quote(&cwd.display().to_string()),
            quote(&tmp.display().to_string()),
            quote(&cwd.join("not-for-the-demo").display().to_string()),
        ),
    )
}

/// The demo's `host:port`, from the `url = "http://127.0.0.1:PORT"` of its config.toml.
fn demo_addr(config: &str) -> Option<String> {
    let at = config.find("http://127.0.0.1:")? + "http://".len();
    let rest = &config[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// The one `warroom-demo-*` directory under `tmp`, while the demo runs.
fn demo_root(tmp: &Path) -> Option<PathBuf> {
    std::fs::read_dir(tmp)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("warroom-demo-"))
        })
}

fn leftovers(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn wait_until(what: &str, want: impl Fn() -> bool) {
    tmux::wait_until(DEADLINE, what, want)
}

/// `warroom blast INC-1 --json` against the running demo: the headless path reads the same
/// simulated backends through the demo's config.
fn blast_states(data: &Path, config: &Path) -> Vec<(String, String)> {
    let ran = run({
        let mut c = warroom(data, "reader");
        c.env("WARROOM_CONFIG", config)
            .args(["blast", "INC-1", "--json"]);
        c
    });
    assert_eq!(ran.code, Some(0), "blast: {}", ran.stderr);
    let v: Value = serde_json::from_str(&ran.stdout).unwrap();
    let services = v["services"]
        .as_array()
        .or_else(|| v["blast"]["services"].as_array())
        .unwrap_or_else(|| panic!("no services in {v}"));
    services
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or("").to_string(),
                s["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn state<'a>(states: &'a [(String, String)], service: &str) -> &'a str {
    states
        .iter()
        .find(|(n, _)| n == service)
        .map(|(_, s)| s.as_str())
        .unwrap_or_else(|| panic!("{service} not in {states:?}"))
}

/// A whole demo incident from the keyboard: the alerts and the blast radius as the scenario
/// plays them, command taken, a status update, the flag turned off from the runbook and the
/// errors falling, resolved, quit. The journal holds it; nothing is left behind.
#[test]
fn a_new_user_leads_the_demo_outage_from_alert_to_resolution() {
    let Some(tmux) = Tmux::new("lead", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&tmp).unwrap();
    let pane = shell(&tmux, dir.path(), &tmp);
    let shell = pane.pid();
    pane.run_line(&format!(
        "{} demo --fast --data-dir {} --as alice; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string()),
        quote(&data.display().to_string())
    ));

    // The list: the incident the on-call engineer opened, and the demo's notices.
    let screen = pane.wait_line(
        "the pre-opened incident",
        &["INC-1", "SEV2", "Checkout errors"],
    );
    assert!(
        has_line(
            &screen,
            &["demo: outage simulated at 127.0.0.1:", "10× fast"]
        ),
        "the notice says what runs where:\n{screen}"
    );
    assert!(
        has_line(&screen, &["demo: enter opens INC-1"]),
        "the hint:\n{screen}"
    );
    let root = demo_root(&tmp).expect("the demo's temporary directory");
    let config = root.join("config").join("config.toml");
    let addr =
        demo_addr(&std::fs::read_to_string(&config).unwrap()).expect("the URL in config.toml");
    assert!(
        std::net::TcpStream::connect(&addr).is_ok(),
        "{addr} listens"
    );
    assert!(
        !dir.path().join("not-for-the-demo").exists(),
        "WARROOM_DATA_DIR is not the demo's"
    );

    // The incident: the on-call's notes, then the alerts as they fire.
    pane.press(&["Enter"]);
    pane.wait_line(
        "the on-call's note",
        &["sam", "NOTE", "deploy log: pricing v2.31"],
    );
    pane.wait_for("the critical alert firing", |s| {
        has_line(s, &["CRIT", "CheckoutHighErrorRate"])
    });
    pane.wait_for(
        "the blast radius: checkout down, cart and payments hurt",
        |s| {
            has_line(s, &["DOWN", "checkout"])
                && (has_line(s, &["DEGR", "cart"]) || has_line(s, &["RISK", "cart"]))
                && (has_line(s, &["DEGR", "payments"]) || has_line(s, &["RISK", "payments"]))
        },
    );
    let states = blast_states(&data, &config);
    assert_eq!(state(&states, "checkout"), "down", "{states:?}");
    for hurt in ["cart", "payments"] {
        assert!(
            ["degraded", "at_risk"].contains(&state(&states, hurt)),
            "{hurt}: {states:?}"
        );
    }
    assert_eq!(state(&states, "search"), "ok", "{states:?}");
    // The dependency view names the root suspect.
    pane.press(&["b"]);
    pane.wait_line("pricing as the root suspect", &["pricing", "root suspect"]);
    pane.press(&["Escape"]);
    pane.wait_for("the dependency view closed", |s| {
        !s.contains("How the failure spreads")
    });

    // Take command: one key.
    pane.press(&["C"]);
    pane.wait_for("alice as commander", |s| {
        has_line(s, &["alice", "commander"]) && !s.contains("Commander none")
    });

    // A status update.
    let update = "Conditions: ~30% of checkouts fail since pricing v2.31";
    pane.press(&["u"]);
    pane.wait_for("the status update editor", |s| s.contains("Status update"));
    pane.type_text(update);
    pane.press(&["C-s"]);
    pane.wait_line(
        "the update in the log",
        &["alice", "UPDATE", "Conditions: ~30%"],
    );

    // Compensate: the flag off, from the runbook; the check after it sees the errors fall.
    pane.press(&["A"]);
    pane.wait_for("the action picker", |s| s.contains("flag-off"));
    pane.type_text("flag-off");
    pane.press(&["Enter"]);
    pane.wait_for("the exact request", |s| {
        s.contains("POST http://127.0.0.1:") && s.contains("/drill/actions/flag-off")
    });
    pane.press(&["y"]);
    pane.wait_for("the check to find the errors gone", |s| {
        s.contains("effective")
    });
    pane.press(&["Escape"]);
    pane.wait_for("the alerts resolved and the blast radius clear", |s| {
        !has_line(s, &["CRIT", "CheckoutHighErrorRate"]) && s.contains("all services ok")
    });
    let states = blast_states(&data, &config);
    assert!(
        states.iter().all(|(_, s)| s == "ok"),
        "after the flag: {states:?}"
    );

    // The next update falls due (every minute with --fast): the prompt opens by itself,
    // short, and is posted as it is.
    pane.wait_within(Duration::from_secs(75), "the status-update prompt", |s| {
        s.contains("Status update") && s.contains("alt-i details")
    });
    pane.press(&["C-s"]);
    pane.wait_for("the prompted update posted", |s| {
        !s.contains("alt-i details")
    });

    // Resolve (all is well again: nothing to ask), then quit.
    let summary = "pricing-v2 flag off; checkout errors back to 0.2%";
    pane.press(&["R"]);
    // The linked alert's resolution is journaled by the next poll; if R comes before it, the
    // console rightly asks first.
    let screen = pane.wait_for("the resolve editor or the question", |s| {
        s.contains("Resolve — summary") || s.contains("anyway?")
    });
    if screen.contains("anyway?") {
        pane.press(&["y"]);
    }
    pane.wait_for("the resolve editor", |s| s.contains("Resolve — summary"));
    pane.type_text(summary);
    pane.press(&["C-s"]);
    pane.wait_for("the resolved banner", |s| s.contains("RESOLVED"));

    // The post-mortem draft, written where the demo was started.
    pane.press(&["e"]);
    pane.wait_for("the draft written", |s| {
        s.contains("Post-mortem draft written to")
    });
    let draft = dir.path().join("INC-1-postmortem.md");
    wait_until("the draft file", || draft.is_file());
    let markdown = std::fs::read_to_string(&draft).unwrap();
    assert!(markdown.contains("Checkout errors"), "{markdown}");
    assert!(
        markdown.contains("flag-off"),
        "the action is in the draft:\n{markdown}"
    );
    // A resolved incident has nothing left to lead: q quits without asking.
    pane.press(&["q"]);
    let screen = pane.wait_for("the demo to exit with status 0", |s| s.contains(EXIT_OK));
    assert!(
        screen.contains("warroom demo: over; the incidents stay in"),
        "{screen}"
    );

    // Nothing left: no process, no listener, no temporary directory.
    wait_until("no warroom process under the shell", || {
        children_named(shell, "warroom").is_empty()
    });
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "{addr} still accepts connections"
    );
    assert!(!root.exists(), "{} left behind", root.display());
    assert_eq!(leftovers(&tmp), Vec::<String>::new());

    // The journal: what sam recorded, then what alice did, in order.
    let log = log_json(&data, "INC-1");
    let types: Vec<&str> = log
        .iter()
        .map(|l| l["event"]["type"].as_str().unwrap())
        .collect();
    for want in [
        "opened",
        "alert_linked",
        "role_assigned",
        "status_update",
        "action_started",
        "action_finished",
        "resolved",
        "postmortem_exported",
    ] {
        assert!(types.contains(&want), "{want} missing from {types:?}");
    }
    let update_entry = log
        .iter()
        .find(|l| l["event"]["type"] == "status_update")
        .unwrap();
    assert_eq!(update_entry["by"], "alice");
    assert_eq!(update_entry["event"]["text"], update);
    // The prompted one says where things stand after the fix, in under 300 characters.
    let prompted = log
        .iter()
        .filter(|l| l["event"]["type"] == "status_update")
        .nth(1)
        .and_then(|l| l["event"]["text"].as_str())
        .unwrap_or_else(|| panic!("no prompted update: {log:?}"));
    assert!(prompted.chars().count() < 300, "{prompted}");
    for want in ["mitigated", "flag-off", "worked", "next update"] {
        assert!(prompted.contains(want), "{want} missing from: {prompted}");
    }
    assert_eq!(log[0]["by"], "sam");
    let verify = run({
        let mut c = warroom(&data, "reader");
        c.args(["verify", "INC-1"]);
        c
    });
    assert_eq!(verify.code, Some(0), "verify: {}", verify.stderr);
}

/// Without --data-dir everything lives in one temporary directory, removed on quit; quitting
/// from the list needs no confirmation (nothing is led yet).
#[test]
fn the_demo_without_a_data_dir_leaves_nothing_behind() {
    let Some(tmux) = Tmux::new("temp", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let pane = shell(&tmux, dir.path(), &tmp);
    pane.run_line(&format!(
        "{} demo --fast; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
    let screen = pane.wait_line("the pre-opened incident", &["INC-1", "Checkout errors"]);
    let root = demo_root(&tmp).expect("the demo's temporary directory");
    assert!(
        has_line(&screen, &["(10× fast); deleted on quit: /"]),
        "{screen}"
    );
    assert!(root.join("data").join("incidents").join("INC-1").is_dir());
    pane.press(&["q"]);
    let screen = pane.wait_for("the demo to exit with status 0", |s| s.contains(EXIT_OK));
    assert!(
        has_line(&screen, &["warroom demo: over; removed", "warroom-demo-"]),
        "{screen}"
    );
    assert!(!root.exists());
    assert_eq!(leftovers(&tmp), Vec::<String>::new());
    assert!(
        !dir.path().join("not-for-the-demo").exists(),
        "WARROOM_DATA_DIR is not the demo's"
    );
}
