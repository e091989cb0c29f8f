//! End to end, the release binary in tmux against a real PostgreSQL: the database is stopped
//! while a console leads an incident; the header says so, a note and a status update typed
//! meanwhile are shown as not yet shared and kept on disk, survive a SIGKILL of the console,
//! and land in order once the database is back and the console is started again; `verify`
//! passes.
#![cfg(target_os = "linux")]

use crate::support::postgres;
use crate::support::release;
use crate::support::tmux::{self, Pane, Tmux, alive, children_named, has_line, quote};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `warroom` (debug build) on `data` with the store URL in the environment.
fn cli(data: &Path, url: &str, args: &[&str]) -> std::process::Output {
    crate::common::warroom_std(data, "alice")
        .env("WARROOM_STORE_URL", url)
        .env("WARROOM_CONFIG", data.join("no-config.toml"))
        .args(args)
        .output()
        .unwrap()
}

/// A shell with the data directory and the store URL (password included: the variable is how
/// a password is given) in its environment.
fn shell<'a>(tmux: &'a Tmux, name: &str, data: &Path, url: &str) -> Pane<'a> {
    tmux.shell(
        name,
        &format!(
            "exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} \
             WARROOM_CONFIG={} WARROOM_STORE_URL={}",
            quote(&data.display().to_string()),
            quote(&data.join("no-config.toml").display().to_string()),
            quote(url)
        ),
    )
}

fn start_console(pane: &Pane<'_>) {
    pane.run_line(&format!(
        "{} --as alice; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
}

#[test]
fn notes_and_an_update_typed_while_the_database_is_stopped_survive_a_sigkill_and_land_in_order() {
    // Its own cluster: this test stops it.
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let Some(tmux) = Tmux::new("outbox", Duration::from_secs(30)) else {
        return;
    };
    let url = cluster.url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let opened = cli(data, &url, &["open", "Checkout 500s", "--severity", "sev1"]);
    assert!(opened.status.success(), "{opened:?}");
    let id = "INC-1";

    let pane = shell(&tmux, "lead", data, &url);
    let shell_pid = pane.pid();
    start_console(&pane);
    pane.wait_line("the incident in the list", &[id, "Checkout 500s"]);
    pane.press(&["Enter"]);
    pane.wait_line("the opening entry", &["alice", "OPENED", "Checkout 500s"]);

    cluster.stop_immediate();
    let note = "the database is down too";
    pane.press(&["n"]);
    pane.wait_for("the note editor", |s| s.contains("Observation"));
    pane.type_text(note);
    pane.press(&["C-s"]);
    pane.wait_for("the header saying the store is unreachable", |s| {
        s.contains("STORE UNREACHABLE")
    });
    pane.wait_line(
        "the note, not yet shared",
        &["alice", "not yet shared", note],
    );
    let update = "Checkout is failing; on it";
    pane.press(&["u"]);
    pane.wait_for("the status update editor", |s| s.contains("Status update"));
    pane.type_text(update);
    pane.press(&["C-s"]);
    pane.wait_line(
        "the update, not yet shared",
        &["UPDATE", "not yet shared", update],
    );
    let later = "failing over to db-2";
    pane.press(&["n"]);
    pane.wait_for("the note editor", |s| s.contains("Observation"));
    pane.type_text(later);
    pane.press(&["C-s"]);
    let screen = pane.wait_line(
        "the second note, not yet shared",
        &["not yet shared", later],
    );
    assert!(
        screen.contains("(3 not yet shared)"),
        "the header counts what waits:\n{screen}"
    );

    let console = children_named(shell_pid, "warroom")
        .first()
        .copied()
        .expect("the console's pid under the shell");
    let killed = Command::new("kill")
        .args(["-KILL", &console.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tmux::wait_until(Duration::from_secs(10), "the console to be gone", || {
        !alive(console)
    });
    let outbox = std::fs::read_to_string(data.join("incidents").join(id).join("outbox.jsonl"))
        .expect("the outbox on disk after the kill");
    assert_eq!(outbox.lines().count(), 3, "{outbox}");

    cluster.restart();
    start_console(&pane);
    pane.wait_line("the incident in the list", &[id, "Checkout 500s"]);
    pane.press(&["Enter"]);
    pane.wait_for("the entries shared, the mark gone", |s| {
        has_line(s, &["alice", "NOTE", later])
            && has_line(s, &["alice", "UPDATE", update])
            && !s.contains("not yet shared")
            && !s.contains("STORE UNREACHABLE")
    });
    pane.press(&["q"]);

    let log = cli(data, &url, &["log", id, "--json"]);
    assert!(log.status.success(), "{log:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&log.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let texts: Vec<String> = lines[1..]
        .iter()
        .map(|l| l["event"]["text"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(texts, vec![note, update, later], "in the order typed");
    let verify = cli(data, &url, &["verify", id]);
    assert!(verify.status.success(), "{verify:?}");
    assert!(
        !data
            .join("incidents")
            .join(id)
            .join("outbox.jsonl")
            .exists()
    );
}
