//! End to end, on the release binary in tmux: one incident led across two "machines" — two
//! sets of processes, each with its own data and config directory, both on one PostgreSQL
//! database (`WARROOM_STORE_URL`). Alice's console leads INC-1; Bob, on the other machine,
//! adds notes and a status update from the command line and from a second console, which is
//! read-only and names Alice; both consoles show every entry live; a third console (Carol's)
//! is read-only and names the leader; Alice hands over to Bob and quits, and Bob's console
//! becomes the leader by itself; `verify` passes and the log holds exactly what was done.
#![cfg(target_os = "linux")]

use crate::support::postgres;
use crate::support::release;
use crate::support::tmux::{Pane, Tmux, has_line, quote};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The longest any single wait may take before the test fails, showing the screen.
const DEADLINE: Duration = Duration::from_secs(15);
/// What another process committed must show this fast: the console looks every 400 ms (the
/// bound leaves room for a machine busy with other builds; the times seen are printed).
const LIVE: Duration = Duration::from_secs(3);
/// Printed after a console exits with status 0.
const EXIT_OK: &str = "warroom-exit-0";

/// One "machine": its own data and config directory, one user, the shared database.
pub(crate) struct Machine {
    dir: tempfile::TempDir,
    user: &'static str,
    url: String,
}

impl Machine {
    pub(crate) fn new(url: &str, user: &'static str) -> Machine {
        Machine {
            dir: tempfile::tempdir().unwrap(),
            user,
            url: url.to_string(),
        }
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config").join("config.toml")
    }

    /// This machine's warroom environment, for `env` on a command line.
    fn env_line(&self) -> String {
        format!(
            "env -u WARROOM_THEME -u NO_COLOR WARROOM_USER={} WARROOM_DATA_DIR={} \
             WARROOM_CONFIG={} WARROOM_STORE_URL={}",
            self.user,
            quote(&self.data().display().to_string()),
            quote(&self.config().display().to_string()),
            quote(&self.url),
        )
    }

    /// Runs a verb of the release binary on this machine; it must succeed. Its output.
    pub(crate) fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(release::warroom())
            .env_remove("WARROOM_THEME")
            .env("WARROOM_USER", self.user)
            .env("WARROOM_DATA_DIR", self.data())
            .env("WARROOM_CONFIG", self.config())
            .env("WARROOM_STORE_URL", &self.url)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "warroom {args:?} as {}: {}",
            self.user,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A console of this machine's user in a new tmux session, on incident `id` entered from
    /// the list.
    pub(crate) fn console<'t>(&self, tmux: &'t Tmux, id: &str) -> Pane<'t> {
        let pane = tmux.shell(self.user, &format!("exec {}", self.env_line()));
        pane.run_line(&format!(
            "{}; echo warroom-exit-$?",
            quote(&release::warroom().display().to_string())
        ));
        pane.wait_line(&format!("{id} in {}'s list", self.user), &[id, TITLE]);
        pane.press(&["Enter"]);
        pane
    }
}

pub(crate) const TITLE: &str = "Checkout 500s";

/// Waits until every pane shows a line with all of `parts`; prints how long each took.
fn all_show(panes: &[&Pane<'_>], what: &str, parts: &[&str]) {
    let since = Instant::now();
    for pane in panes {
        pane.wait_within(LIVE, &format!("{what} on {}'s screen", pane.target), |s| {
            has_line(s, parts)
        });
        eprintln!(
            "{what}: on {}'s screen after {} ms",
            pane.target,
            since.elapsed().as_millis()
        );
    }
}

/// Types `text` into the editor `key` opens, and sends it.
pub(crate) fn write(pane: &Pane<'_>, key: &str, title: &str, text: &str) {
    pane.press(&[key]);
    pane.wait_for(&format!("the {title} editor"), |s| s.contains(title));
    pane.type_text(text);
    pane.press(&["C-s"]);
}

#[test]
fn two_machines_lead_write_and_hand_over_one_incident_on_one_database() {
    let Some(tmux) = Tmux::new("two-machines", DEADLINE) else {
        return;
    };
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("e2e_two_machines");
    let (a, b, c) = (
        Machine::new(&url, "alice"),
        Machine::new(&url, "bob"),
        Machine::new(&url, "carol"),
    );
    let id = a
        .cli(&["open", TITLE, "--severity", "sev1"])
        .trim()
        .to_string();
    assert_eq!(id, "INC-1");

    // Alice leads from machine A.
    let alice = a.console(&tmux, &id);
    alice.wait_for("alice leading", |s| {
        has_line(s, &[&id, TITLE]) && s.contains("next update in")
    });
    assert!(!alice.screen().contains("READ-ONLY"), "{}", alice.screen());

    // Bob's console on machine B is read-only and names Alice.
    let bob = b.console(&tmux, &id);
    bob.wait_for("bob's read-only view naming alice", |s| {
        s.contains("READ-ONLY — led by alice") && has_line(s, &[&id, TITLE])
    });

    // Bob writes from the command line: both consoles show it.
    b.cli(&["note", &id, "pool exhausted on db-2"]);
    all_show(
        &[&alice, &bob],
        "bob's CLI note",
        &["bob", "NOTE", "pool exhausted"],
    );
    b.cli(&["update", &id, "Checkout failing for 30% of users"]);
    all_show(
        &[&alice, &bob],
        "bob's CLI update",
        &["bob", "UPDATE", "failing for 30%"],
    );

    // And from his console, under his own name.
    write(&bob, "n", "Observation", "db-2 connections at max");
    all_show(
        &[&alice, &bob],
        "bob's console note",
        &["bob", "NOTE", "connections at max"],
    );
    write(&bob, "u", "Status update", "Conditions: payments retried");
    all_show(
        &[&alice, &bob],
        "bob's console update",
        &["bob", "UPDATE", "payments retried"],
    );
    // What only the leader records is refused there.
    bob.press(&["s"]);
    bob.wait_for("the refusal of a severity change", |s| {
        s.contains(&format!("{id} is read-only here"))
    });

    // A third console, Carol's, is read-only and names the leader.
    let carol = c.console(&tmux, &id);
    carol.wait_for("carol's read-only view naming alice", |s| {
        s.contains("READ-ONLY — led by alice") && has_line(s, &["bob", "UPDATE", "payments"])
    });

    // Alice hands over to Bob, then quits; Bob's console takes the lead by itself.
    alice.press(&["H"]);
    alice.wait_for("the handoff form", |s| s.contains("Who takes command?"));
    alice.type_text("bob");
    alice.press(&["Enter"]);
    all_show(
        &[&alice, &bob, &carol],
        "the handoff",
        &["alice", "HANDOFF", "bob"],
    );
    assert!(
        bob.screen().contains("READ-ONLY — led by alice"),
        "alice leads until she quits"
    );
    alice.press(&["q"]);
    alice.wait_for("the quit question", |s| s.contains("quit?"));
    alice.press(&["y"]);
    alice.wait_for("alice's console to exit", |s| s.contains(EXIT_OK));
    bob.wait_for("bob leading", |s| {
        s.contains(&format!("you lead {id} now")) && !s.contains("READ-ONLY")
    });
    carol.wait_for("carol's header naming bob", |s| {
        s.contains("READ-ONLY — led by bob")
    });

    // Bob now changes the severity, which only the leader may.
    bob.press(&["s"]);
    bob.wait_for("the severity picker", |s| s.contains("sev2"));
    bob.press(&["2"]);
    all_show(
        &[&bob, &carol],
        "bob's severity change",
        &["bob", "SEV1 → SEV2"],
    );

    bob.press(&["q"]);
    bob.wait_for("bob's quit question", |s| s.contains("quit?"));
    bob.press(&["y"]);
    bob.wait_for("bob's console to exit", |s| s.contains(EXIT_OK));
    carol.press(&["q"]);
    carol.wait_for("carol's console to exit", |s| s.contains(EXIT_OK));

    // The chain verifies, from either machine, and holds exactly this.
    for m in [&a, &b] {
        let verified = m.cli(&["verify", &id]);
        assert!(
            verified.contains(&format!("{id}: 7 events, hash chain intact")),
            "{verified}"
        );
    }
    let log: Vec<Value> = b
        .cli(&["log", &id, "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let done: Vec<(String, String)> = log
        .iter()
        .map(|l| {
            (
                l["by"].as_str().unwrap().to_string(),
                l["event"]["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("alice", "opened"),
        ("bob", "note"),
        ("bob", "status_update"),
        ("bob", "note"),
        ("bob", "status_update"),
        ("alice", "handoff"),
        ("bob", "severity_changed"),
    ];
    assert_eq!(
        done,
        want.map(|(by, t)| (by.to_string(), t.to_string())),
        "the log"
    );
    // Kept in the database, not in either machine's data directory.
    for m in [&a, &b, &c] {
        assert!(
            !m.data()
                .join("incidents")
                .join(&id)
                .join("journal.jsonl")
                .exists(),
            "{}'s data directory holds no journal",
            m.user
        );
    }
}
