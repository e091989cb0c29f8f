//! End to end: the real `warroom` binary, full screen, driven in tmux the way a call leader
//! drives it — keys in with `send-keys`, the screen read back with `capture-pane` — and the
//! outcome checked with `warroom log --json`.
//!
//! Each test runs its own tmux server (`tmux -L <unique socket>`) on a throwaway data
//! directory, and kills that server when it ends, failed or not. Every wait polls the screen
//! (or a file) against a deadline; no fixed sleep is used to synchronise.
//!
//! tmux must be installed. Without it the tests print a loud SKIPPED line and pass — except
//! under CI (`CI=true`), where a missing tmux fails them.
#![cfg(target_os = "linux")]

use crate::common;
use crate::support::release;
use crate::support::tmux;

use common::{assert_dense, log_json, open_incident, run, warroom};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tmux::{Pane, Tmux, alive, children_named, has_line, loud, quote};

/// The longest any single wait may take before the test fails, showing the screen.
const DEADLINE: Duration = Duration::from_secs(10);
/// CLI appends made while a console watches must show this fast (the console looks for
/// other processes' entries every 400 ms).
const LIVE_DEADLINE: Duration = Duration::from_secs(3);

/// Printed after each console exits cleanly; the typed command line says `exit-$?`, so the
/// screen holds `warroom-exit-0` only once it has really run.
const EXIT_OK: &str = "warroom-exit-0";

/// A private tmux server for this test, each wait bounded by [`DEADLINE`].
fn tmux_for(test: &str) -> Option<Tmux> {
    Tmux::new(test, DEADLINE)
}

/// A 120x40 shell with the data directory and an absent config file in its environment.
fn shell<'a>(tmux: &'a Tmux, name: &str, data: &Path) -> Pane<'a> {
    tmux.shell(name, &format!("exec {}", console_env(data)))
}

/// `env …` setting the data directory and an absent config file, and clearing the rest of
/// warroom's environment, for a command line.
fn console_env(data: &Path) -> String {
    format!(
        "env -u WARROOM_USER -u WARROOM_CONFIG -u WARROOM_THEME -u NO_COLOR \
         WARROOM_DATA_DIR={} WARROOM_CONFIG={}",
        quote(&data.display().to_string()),
        quote(&data.join("no-config.toml").display().to_string()),
    )
}

/// Starts the console in `pane`'s shell as `user`; the shell prints [`EXIT_OK`] when it exits
/// with status 0.
fn start_console(pane: &Pane<'_>, user: &str) {
    pane.run_line(&format!(
        "{} --as {user}; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
}

/// The start of a text as the outage log surely shows it: the pane cuts long lines at its
/// width, which depends on the layout. `log --json` checks the whole text.
fn shown(text: &str) -> &str {
    text.char_indices()
        .nth(24)
        .map_or(text, |(i, _)| &text[..i])
}

// ---------------------------------------------------------------------------------------------
// processes and files
// ---------------------------------------------------------------------------------------------

/// Polls until `want` holds; fails after [`DEADLINE`].
fn wait_until(what: &str, want: impl Fn() -> bool) {
    tmux::wait_until(DEADLINE, what, want)
}

fn draft_path(data: &Path, id: &str, user: &str) -> PathBuf {
    data.join("incidents")
        .join(id)
        .join(format!("draft.{user}.json"))
}

/// The text of the saved draft, if there is one and it parses.
fn draft_text(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v["text"].as_str().map(str::to_string)
}

/// The `event` objects of an incident's log, oldest first, after checking numbering and
/// authorship.
fn events(data: &Path, id: &str, authors: &[&str]) -> Vec<Value> {
    let log = log_json(data, id);
    assert_dense(&log);
    let by: Vec<&str> = log.iter().map(|l| l["by"].as_str().unwrap()).collect();
    assert_eq!(by, authors, "authors of the log entries");
    log.iter().map(|l| l["event"].clone()).collect()
}

fn the_only_incident(data: &Path) -> String {
    let ids: Vec<String> = std::fs::read_dir(data.join("incidents"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids.len(), 1, "expected exactly one incident, found {ids:?}");
    ids[0].clone()
}

// ---------------------------------------------------------------------------------------------
// the tests
// ---------------------------------------------------------------------------------------------

/// A whole (short) incident led from the console: open it with a title and severity, write a
/// note and a status update, raise the severity, resolve, quit. The journal holds exactly
/// that, authored by the console's user.
#[test]
fn an_incident_led_from_the_console_is_exactly_what_the_log_holds() {
    let Some(tmux) = tmux_for("whole-incident") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let title = "Paiement échoue — checkout 500s";
    let note = "db-1 primary at 100% cpu since 14:02";
    let update_lines = [
        "Conditions: 30% of checkouts fail",
        "Actions: failing over to db-2",
    ];
    let summary = "failover to db-2 done; error rate back to 0.1%";

    let pane = shell(&tmux, "lead", data);
    start_console(&pane, "alice");
    pane.wait_for("the empty incident list", |s| {
        s.contains("No open incidents") && s.contains("Press o to open one")
    });

    // Open: title, then Tab once (sev2 → sev3), then Enter creates and enters it.
    pane.press(&["o"]);
    pane.wait_for("the new-incident form", |s| {
        s.contains("Open a new incident")
    });
    pane.type_text(title);
    pane.press(&["Tab"]);
    pane.wait_for("the title and sev3 in the form", |s| {
        has_line(s, &["Title", title]) && has_line(s, &["Severity", "SEV3"])
    });
    pane.press(&["Enter"]);
    pane.wait_line(
        "the new incident's opening entry",
        &["alice", "OPENED", "SEV3", shown(title)],
    );
    pane.wait_for("the incident header", |s| {
        has_line(s, &["INC-", "SEV3", "INVESTIGATING", title]) && s.contains("next update in")
    });

    // A note.
    pane.press(&["n"]);
    pane.wait_for("the note editor", |s| s.contains("Observation"));
    pane.type_text(note);
    pane.press(&["C-s"]);
    pane.wait_line(
        "the note in the outage log",
        &["alice", "NOTE", shown(note)],
    );

    // A two-line status update (Enter is a new line in the editor; ctrl-s sends).
    pane.press(&["u"]);
    pane.wait_for("the status update editor", |s| s.contains("Status update"));
    pane.type_text(update_lines[0]);
    pane.press(&["Enter"]);
    pane.type_text(update_lines[1]);
    pane.press(&["C-s"]);
    pane.wait_for("the status update in the outage log", |s| {
        has_line(s, &["alice", "UPDATE", shown(update_lines[0])])
            && has_line(s, &[shown(update_lines[1])])
            && !s.contains("Status update ─")
    });

    // Severity: the picker, digit 1.
    pane.press(&["s"]);
    pane.wait_for("the severity picker", |s| s.contains("1 sev1"));
    pane.press(&["1"]);
    pane.wait_line("the severity change in the log", &["SEV", "SEV3 → SEV1"]);
    pane.wait_line("SEV1 in the header", &["INC-", "SEV1", title]);

    // Resolve with a summary. Nobody took command: the console asks first, and the answer
    // goes to the log.
    pane.press(&["R"]);
    pane.wait_for("the question before resolving", |s| {
        s.contains("no commander was ever assigned") && s.contains("anyway?")
    });
    pane.press(&["y"]);
    pane.wait_for("the resolve editor", |s| s.contains("Resolve — summary"));
    pane.type_text(summary);
    pane.press(&["C-s"]);
    pane.wait_line(
        "the resolution in the log",
        &["alice", "RESOLVED", shown(summary)],
    );
    pane.wait_for("the resolved banner", |s| {
        s.contains("RESOLVED — the log is closed")
    });

    // Quit: a resolved incident has nothing left to lead, so q quits without asking.
    pane.press(&["q"]);
    pane.wait_for("the console to exit with status 0", |s| s.contains(EXIT_OK));

    let id = the_only_incident(data);
    let got = events(data, &id, &["alice"; 6]);
    let want = vec![
        json!({"type": "opened", "title": title, "severity": "sev3"}),
        json!({"type": "note", "kind": "observation", "text": note}),
        json!({"type": "status_update", "text": update_lines.join("\n")}),
        json!({"type": "severity_changed", "from": "sev3", "to": "sev1"}),
        json!({"type": "note", "kind": "decision", "text": "Resolved although: no commander was ever assigned"}),
        json!({"type": "resolved", "summary": summary}),
    ];
    assert_eq!(got, want, "the log of {id}");
    assert!(
        !draft_path(data, &id, "alice").exists(),
        "sent text must leave no draft behind"
    );
    let verify = run({
        let mut c = warroom(data, "reader");
        c.args(["verify", &id]);
        c
    });
    assert_eq!(verify.code, Some(0), "verify: {}", verify.stderr);
}

/// The console killed with SIGKILL mid-sentence: the shell gets a sane terminal back, the
/// typed text is offered again on the next start, and nothing committed is lost.
#[test]
fn text_typed_before_a_sigkill_is_offered_back_and_the_terminal_is_sane() {
    let Some(tmux) = tmux_for("sigkill") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Search latency p99 > 5s", "sev2");
    for args in [
        ["note", id.as_str(), "index rebuild started 13:50"],
        [
            "update",
            id.as_str(),
            "Conditions: search slow for all users",
        ],
    ] {
        let ran = run({
            let mut c = warroom(data, "alice");
            c.args(args);
            c
        });
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.stderr);
    }
    let typed = "replica lag 40s on search-2";

    let pane = shell(&tmux, "crash", data);
    let shell_pid = pane.pid();
    start_console(&pane, "alice");
    pane.wait_line("the incident in the list", &[&id, "Search latency"]);
    pane.press(&["Enter"]);
    pane.wait_line(
        "the earlier status update",
        &["UPDATE", "search slow for all users"],
    );
    pane.press(&["n"]);
    pane.wait_for("the note editor", |s| s.contains("Observation"));
    pane.type_text(typed);
    let draft = draft_path(data, &id, "alice");
    wait_until("the draft file to hold the typed text", || {
        draft_text(&draft).as_deref() == Some(typed)
    });

    let console = children_named(shell_pid, "warroom")
        .first()
        .copied()
        .expect("the console's pid under the shell");
    let killed = Command::new("kill")
        .args(["-KILL", &console.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -KILL {console}");
    wait_until("the killed console to be gone", || !alive(console));

    // The terminal as the shell left it for the next command: bash puts back the modes it
    // saved when a foreground job dies of a signal. If it did not, `stty sane` is needed —
    // and that is reported loudly rather than hidden.
    let stty = dir.path().join("stty.txt");
    let check_stty = |attempt: &str| -> Vec<String> {
        let _ = std::fs::remove_file(&stty);
        let tmp = dir.path().join("stty.tmp");
        pane.run_line_lf(&format!(
            "stty -a | tee {} && mv {} {}",
            quote(&tmp.display().to_string()),
            quote(&tmp.display().to_string()),
            quote(&stty.display().to_string())
        ));
        wait_until(&format!("stty -a to run in the pane ({attempt})"), || {
            stty.exists()
        });
        let text = std::fs::read_to_string(&stty).unwrap();
        let flags: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ';')
            .collect();
        ["echo", "icanon", "isig", "icrnl", "opost"]
            .iter()
            .filter(|f| !flags.contains(f))
            .map(|f| f.to_string())
            .collect()
    };
    let missing = check_stty("after the kill");
    if !missing.is_empty() {
        loud(&format!(
            "NOTE: after SIGKILL the shell's terminal lacked {missing:?}; the test typed `stty sane`"
        ));
        pane.run_line_lf("stty sane");
        let still = check_stty("after stty sane");
        assert!(
            still.is_empty(),
            "terminal still lacks {still:?} after stty sane"
        );
    }
    // And as a person would notice it: a line typed to a program reading the terminal is
    // echoed by the terminal (once), then printed back by the program (twice in all).
    pane.run_line("head -n 1; echo head-done");
    pane.wait_for("head to start", |s| s.contains("e2e$ head -n 1"));
    pane.run_line("typed-to-head");
    pane.wait_for("the line echoed by the terminal and printed by head", |s| {
        // (the killed console's last frame is still on screen beside the shell's lines)
        let first = |l: &str| l.split_whitespace().next().unwrap_or("").to_string();
        s.lines().filter(|l| first(l) == "typed-to-head").count() == 2
            && s.lines().any(|l| first(l) == "head-done")
    });

    // Start again in the same pane: the unsent note is offered, with its text.
    start_console(&pane, "alice");
    // (The killed console never left the alternate screen, so its last frame is still there:
    // wait for the list, which that frame did not show.)
    pane.wait_for("the incident in the list again", |s| {
        s.contains("Open incidents") && has_line(s, &[&id, "Search latency"])
    });
    pane.press(&["Enter"]);
    let offer = pane.wait_for("the unsent-draft offer", |s| {
        s.contains("Unsent observation") && s.contains("continue it")
    });
    // The new console starts from a clean screen: nothing of the old frame or the shell
    // shows through, and the typed text is there once — in the offer.
    assert!(
        !offer.contains("warroom-exit-137") && !offer.contains("Killed"),
        "the old screen shows through the console:\n{offer}"
    );
    assert!(
        has_line(&offer, &["│", typed, "│"]) && offer.matches(typed).count() == 1,
        "the offer should show the typed text once:\n{offer}"
    );
    pane.press(&["Enter"]);
    pane.wait_for("the note editor holding the draft", |s| {
        s.contains("Observation") && s.contains(typed) && !s.contains("Unsent")
    });
    pane.type_text(" (lag now 2s)");
    pane.press(&["C-s"]);
    let sent = format!("{typed} (lag now 2s)");
    pane.wait_line(
        "the continued note in the log",
        &["alice", "NOTE", shown(&sent)],
    );
    pane.press(&["q"]);
    pane.wait_for("the quit confirmation", |s| s.contains("quit?"));
    pane.press(&["y"]);
    pane.wait_for("the console to exit with status 0", |s| s.contains(EXIT_OK));

    let got = events(data, &id, &["alice"; 4]);
    let want = vec![
        json!({"type": "opened", "title": "Search latency p99 > 5s", "severity": "sev2"}),
        json!({"type": "note", "kind": "observation", "text": "index rebuild started 13:50"}),
        json!({"type": "status_update", "text": "Conditions: search slow for all users"}),
        json!({"type": "note", "kind": "observation", "text": sent}),
    ];
    assert_eq!(got, want, "the log of {id}");
    assert!(!draft.exists(), "the sent draft must be gone");
}

/// One leader per incident: a second console on the same incident is read-only and names
/// the leader; entries appended by the CLI meanwhile show on both screens promptly.
#[test]
fn a_second_console_is_read_only_and_cli_appends_show_live() {
    let Some(tmux) = tmux_for("read-only") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Login page blank", "sev2");

    let lead = shell(&tmux, "lead", data);
    start_console(&lead, "alice");
    lead.wait_line("the incident in alice's list", &[&id, "Login page blank"]);
    lead.press(&["Enter"]);
    lead.wait_for("alice leading the incident", |s| {
        has_line(s, &[&id, "INVESTIGATING", "Login page blank"]) && s.contains("next update in")
    });
    assert!(
        !lead.screen().contains("READ-ONLY"),
        "the first console leads"
    );

    let view = shell(&tmux, "view", data);
    start_console(&view, "bob");
    view.wait_line("the incident in bob's list", &[&id, "Login page blank"]);
    view.press(&["Enter"]);
    view.wait_for("bob's read-only view naming alice", |s| {
        s.contains("READ-ONLY — led by alice") && has_line(s, &[&id, "Login page blank"])
    });
    // What only the leader records is refused in the read-only view, and says why.
    view.press(&["s"]);
    view.wait_for("the refusal to record", |s| {
        s.contains(&format!("{id} is read-only here"))
    });

    // A note from the command line shows on both consoles without a key press.
    let text = "CDN checked: clean, 0 errors";
    let sent_at = Instant::now();
    let ran = run({
        let mut c = warroom(data, "carol");
        c.args(["note", &id, text]);
        c
    });
    assert_eq!(ran.code, Some(0), "warroom note: {}", ran.stderr);
    lead.wait_within(LIVE_DEADLINE, "the CLI note on alice's screen", |s| {
        has_line(s, &["carol", "NOTE", shown(text)])
    });
    let on_lead = sent_at.elapsed();
    view.wait_within(LIVE_DEADLINE, "the CLI note on bob's screen", |s| {
        has_line(s, &["carol", "NOTE", shown(text)])
    });
    let on_view = sent_at.elapsed();
    eprintln!(
        "CLI note appeared on the leading console after {} ms, on the read-only one after {} ms",
        on_lead.as_millis(),
        on_view.as_millis()
    );

    // The viewer leads nothing: it quits without asking. The leader is asked.
    view.press(&["q"]);
    view.wait_for("bob's console to exit", |s| s.contains(EXIT_OK));
    lead.press(&["q"]);
    lead.wait_for("the quit confirmation", |s| s.contains("quit?"));
    lead.press(&["y"]);
    lead.wait_for("alice's console to exit", |s| s.contains(EXIT_OK));

    let got = events(data, &id, &["alice", "carol"]);
    assert_eq!(
        got,
        vec![
            json!({"type": "opened", "title": "Login page blank", "severity": "sev2"}),
            json!({"type": "note", "kind": "observation", "text": text}),
        ]
    );
}

/// Closing the terminal under a running console — a closed window, a dropped ssh session,
/// i.e. SIGHUP and a terminal that answers every write with EIO — ends it cleanly: exit
/// status 0 (no panic on the way out), the typed text kept as a draft, the journal intact.
#[test]
fn closing_the_terminal_ends_the_console_cleanly_and_keeps_the_draft() {
    let Some(tmux) = tmux_for("hangup") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Payments webhook backlog", "sev2");
    let status = dir.path().join("exit-status");
    // The shell waits for the console, then records how it ended; its trap keeps it alive
    // through the SIGHUP the closing terminal sends to both. The console's standard error
    // stays the terminal, as it is for a person.
    let pane = tmux.session(
        "hangup",
        &format!(
            "trap true HUP; {} {} --as alice; echo $? > {}",
            console_env(data),
            quote(&release::warroom().display().to_string()),
            quote(&status.display().to_string())
        ),
    );
    pane.wait_line("the incident in the list", &[&id, "Payments webhook"]);
    pane.press(&["Enter"]);
    pane.wait_for("alice leading the incident", |s| {
        s.contains("next update in")
    });
    pane.press(&["n"]);
    pane.wait_for("the note editor", |s| s.contains("Observation"));
    let typed = "queue depth 120k and climbing";
    pane.type_text(typed);
    let draft = draft_path(data, &id, "alice");
    wait_until("the draft file to hold the typed text", || {
        draft_text(&draft).as_deref() == Some(typed)
    });

    tmux.tmux(&["kill-session", "-t", "hangup"]);
    wait_until("the console's exit status", || {
        std::fs::read_to_string(&status).is_ok_and(|s| s.ends_with('\n'))
    });
    let code = std::fs::read_to_string(&status).unwrap();
    assert_eq!(
        code.trim(),
        "0",
        "the console should leave cleanly when its terminal closes (101 is a panic)"
    );
    assert_eq!(
        draft_text(&draft).as_deref(),
        Some(typed),
        "the draft is kept"
    );
    let got = events(data, &id, &["alice"]);
    assert_eq!(
        got,
        vec![json!({"type": "opened", "title": "Payments webhook backlog", "severity": "sev2"})]
    );
}

/// Following from another terminal: the leader's console hosts the share server (`[share]
/// listen` in its config); the leader takes the follow line from the share popup (`p`), a
/// responder runs it in a second terminal, and what the leader types shows on the follower's
/// screen promptly (measured and printed). The follower records nothing; revoking from the
/// popup stops it.
#[test]
fn a_follower_sees_the_leaders_note_live() {
    let Some(tmux) = tmux_for("follow") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s for EU shoppers", "sev1");
    let port = free_loopback_port();
    let config = data.join("leader-config.toml");
    std::fs::write(&config, format!("[share]\nlisten = \"127.0.0.1:{port}\"\n")).unwrap();

    let lead = tmux.session(
        "lead",
        &format!(
            "{} WARROOM_CONFIG={} HISTFILE=/dev/null PS1='e2e$ ' bash --norc --noprofile",
            console_env(data),
            quote(&config.display().to_string())
        ),
    );
    lead.wait_for("the leader's shell", |s| s.contains("e2e$"));
    start_console(&lead, "alice");
    lead.wait_line("the incident in the list", &[&id, "Checkout 500s"]);
    lead.press(&["Enter"]);
    lead.wait_for("alice leading the incident", |s| {
        s.contains("next update in")
    });
    lead.press(&["p"]);
    let popup = lead.wait_for("the share popup with the follow line", |s| {
        s.contains("warroom follow http://") && s.contains("--token=")
    });
    let follow_line = popup
        .lines()
        .find_map(|l| {
            let start = l.find("warroom follow ")?;
            let rest = &l[start..];
            // The popup's right border follows the token directly.
            let end = rest.find('│').unwrap_or(rest.len());
            Some(rest[..end].trim().to_string())
        })
        .expect("a follow line");
    let words: Vec<&str> = follow_line.split_whitespace().collect();
    assert_eq!(
        (words.len(), words[0], words[1], &words[3][..8]),
        (4, "warroom", "follow", "--token="),
        "{follow_line}"
    );
    assert_eq!(
        words[2],
        format!("http://127.0.0.1:{port}/v1/incidents/{id}")
    );
    // Pressing p again says the incident is shared and the token cannot be shown again.
    lead.press(&["Escape"]);
    lead.press(&["p"]);
    lead.wait_for("the already-shared popup", |s| {
        s.contains("is shared since") && s.contains("Press r for a new link")
    });
    lead.press(&["Escape"]);

    let view = shell(&tmux, "view", data);
    // The follower works in a directory of its own, where its copy of the draft goes.
    let copies = tempfile::tempdir().unwrap();
    view.run_line(&format!(
        "cd {}",
        quote(&copies.path().display().to_string())
    ));
    view.run_line(&format!(
        "{} --as bob follow {} {}; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string()),
        words[2],
        words[3]
    ));
    view.wait_for("the followed incident on bob's screen", |s| {
        s.contains("READ-ONLY — following") && has_line(s, &[&id, "Checkout 500s"])
    });

    // The leader writes a note; it shows on the follower's screen.
    let note = "EU payment provider answers 503 since 14:02";
    lead.press(&["n"]);
    lead.wait_for("the note editor", |s| s.contains("Observation"));
    lead.type_text(note);
    let sent = Instant::now();
    lead.press(&["C-s"]);
    view.wait_within(LIVE_DEADLINE, "the leader's note on bob's screen", |s| {
        has_line(s, &["alice", "NOTE", shown(note)])
    });
    let took = sent.elapsed();
    loud(&format!(
        "the leader's note appeared on the follower's screen {} ms after ctrl-s",
        took.as_millis()
    ));

    // The follower cannot record.
    view.press(&["n"]);
    view.wait_for("the follower's refusal", |s| s.contains("read-only"));
    assert!(!view.screen().contains("Observation"), "no editor opens");

    // It can write its own copy of the post-mortem draft, which records nothing.
    view.press(&["e"]);
    view.wait_for("the follower's copy written", |s| {
        s.contains("Post-mortem draft written to") && s.contains("your copy")
    });
    let copy = std::fs::read_to_string(copies.path().join(format!("{id}-postmortem.md")))
        .expect("the follower's copy of the draft");
    assert!(
        copy.contains(note),
        "the copy holds the leader's note:\n{copy}"
    );
    assert!(
        log_json(data, &id)
            .iter()
            .all(|l| l["event"]["type"] != "postmortem_exported"),
        "a follower's copy is recorded nowhere"
    );

    // Revoked from the leader's popup: the follower stops, saying why.
    lead.press(&["p"]);
    lead.wait_for("the share popup", |s| s.contains("Press r for a new link"));
    lead.press(&["x"]);
    lead.wait_for("the revocation", |s| s.contains("Sharing revoked"));
    view.wait_for("the follower stopped", |s| {
        s.contains("stopped following") && s.contains("revoked")
    });
    view.press(&["q"]);
    view.wait_for("bob's console to exit", |s| s.contains(EXIT_OK));
    lead.press(&["Escape"]);
    lead.press(&["q"]);
    lead.wait_for("the quit confirmation", |s| s.contains("quit?"));
    lead.press(&["y"]);
    lead.wait_for("alice's console to exit", |s| s.contains(EXIT_OK));

    let got = events(data, &id, &["alice", "alice"]);
    assert_eq!(
        got[1],
        json!({"type": "note", "kind": "observation", "text": note})
    );
}

/// A loopback port that was free a moment ago.
fn free_loopback_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}
