//! End to end on the release binary in tmux: two incidents opened for one outage are merged
//! from the console's list (`D`); the survivor's console shows one timeline with the
//! duplicate's entries marked; on the log, a note's time is amended (`E`), a pasted password
//! redacted (`Z`) and a note retracted (`r`), each with a reason and a confirmation. The
//! post-mortem uses the corrected times and says which were corrected, the password is in no
//! file under the data directory, and both journals verify.
#![cfg(target_os = "linux")]

use crate::common;
use crate::support::release;
use crate::support::tmux;

use common::{open_incident, run, warroom};
use std::path::Path;
use std::time::Duration;
use tmux::{Pane, Tmux, quote};

const DEADLINE: Duration = Duration::from_secs(10);
const EXIT_OK: &str = "warroom-exit-0";

fn cli(data: &Path, who: &str, args: &[&str]) -> common::Ran {
    let r = run({
        let mut c = warroom(data, who);
        c.args(args);
        c
    });
    assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    r
}

fn start_console<'a>(tmux: &'a Tmux, data: &Path, user: &str) -> Pane<'a> {
    let pane = tmux.shell(
        "lead",
        &format!(
            "exec env -u WARROOM_USER -u WARROOM_CONFIG -u WARROOM_THEME -u NO_COLOR \
             WARROOM_DATA_DIR={} WARROOM_CONFIG={}",
            quote(&data.display().to_string()),
            quote(&data.join("no-config.toml").display().to_string()),
        ),
    );
    pane.run_line(&format!(
        "{} --as {user}; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
    pane
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                found.push(p.display().to_string());
            }
        }
    }
    found
}

/// The reason prompt, then "sure?": typed and confirmed.
fn reason_and_confirm(pane: &Pane<'_>, reason: &str, question: &str) {
    pane.type_text(reason);
    pane.press(&["Enter"]);
    pane.wait_for(question, |s| s.contains(question));
    pane.press(&["y"]);
}

#[test]
fn a_merged_duplicate_and_corrected_entries_reach_the_console_the_postmortem_and_no_file_keeps_the_password()
 {
    let Some(tmux) = Tmux::new("corrections", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // One outage, two incidents: the survivor (sev1, listed first) and its duplicate.
    let survivor = open_incident(data, "alice", "Checkout 500s", "sev1");
    let dup = open_incident(data, "bob", "Payments failing", "sev2");
    cli(data, "bob", &["note", &dup, "payments 502 from checkout"]);
    cli(data, "alice", &["note", &survivor, "pricing v42 deployed"]);

    let pane = start_console(&tmux, data, "alice");
    pane.wait_for("both incidents listed", |s| {
        s.contains("Checkout 500s") && s.contains("Payments failing")
    });
    // Mark the second one a duplicate of the first.
    pane.press(&["j", "D"]);
    pane.wait_for("the duplicate form", |s| s.contains("a duplicate"));
    pane.type_text(&survivor);
    pane.press(&["Tab"]);
    reason_and_confirm(&pane, "one outage", "Close it as a duplicate");
    pane.wait_for("the merge done", |s| {
        s.contains("merged into") && !s.contains("Payments failing")
    });
    pane.press(&["g", "g", "Enter"]);
    pane.wait_line(
        "the duplicate's note within the survivor, marked",
        &["bob", "NOTE", &format!("[{dup}]"), "payments 502"],
    );

    // Amend the time of the newest note.
    cli(
        data,
        "bob",
        &["note", &survivor, "checkout errors seen on the dashboard"],
    );
    pane.wait_line("the note", &["bob", "NOTE", "checkout errors seen"]);
    let earlier = (chrono::Utc::now() - chrono::Duration::minutes(30))
        .format("%H:%M:%S")
        .to_string();
    pane.press(&["E"]);
    pane.wait_for("the amend form", |s| s.contains("Amend #"));
    pane.press(&["Tab"]);
    pane.press(&["BSpace"; 8]);
    pane.type_text(&earlier);
    // Past the kind, left as it is, to the reason.
    pane.press(&["Tab", "Tab"]);
    reason_and_confirm(
        &pane,
        "seen 30 minutes before it was typed",
        "Record this amendment?",
    );
    pane.wait_line(
        "the note at its corrected time, marked",
        &[&earlier, "bob", "NOTE", "✎"],
    );

    // Redact a pasted password.
    let secret = "hunter2-Tr0ub4dor";
    cli(
        data,
        "alice",
        &["note", &survivor, &format!("db password is {secret}")],
    );
    pane.wait_line("the pasted password", &["alice", "NOTE", secret]);
    pane.press(&["Z"]);
    pane.wait_for("the redact form", |s| s.contains("Redact #"));
    reason_and_confirm(&pane, "a password pasted by mistake", "Redact it?");
    pane.wait_for("the password gone from the screen", |s| {
        !s.contains(secret) && s.contains("REDACTED")
    });

    // Retract a note.
    cli(data, "alice", &["note", &survivor, "pricing pod restarted"]);
    pane.wait_line("the note", &["alice", "NOTE", "pricing pod restarted"]);
    pane.press(&["r"]);
    pane.wait_for("the retract form", |s| s.contains("Retract #"));
    reason_and_confirm(&pane, "it was the cart pod", "Retract it?");
    pane.wait_line(
        "the note struck through with why",
        &["pricing pod restarted", "retracted:"],
    );

    pane.press(&["q"]);
    pane.wait_for("the quit question", |s| {
        s.contains("y") && s.contains("quit")
    });
    pane.press(&["y"]);
    pane.wait_for("the console to exit with status 0", |s| s.contains(EXIT_OK));

    // The post-mortem: one timeline in order, sources marked, corrected times said.
    let draft = cli(data, "reader", &["export", &survivor]).stdout;
    let timeline = &draft[draft.find("## Timeline").unwrap()..];
    let at = |needle: &str| {
        timeline
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in the timeline:\n{timeline}"))
    };
    assert!(
        at("checkout errors seen") < at("pricing v42 deployed"),
        "{timeline}"
    );
    assert!(timeline.contains(&format!("bob \\[{dup}\\]")), "{timeline}");
    assert!(
        !timeline[..timeline.find("## Corrections").unwrap()].contains("pricing pod restarted")
    );
    assert!(
        draft.contains("Times corrected after they were recorded: #"),
        "{draft}"
    );
    assert!(
        draft.contains("seen 30 minutes before it was typed"),
        "{draft}"
    );
    assert!(!draft.contains(secret), "{draft}");
    // The password is in no file under the data directory; both journals verify.
    assert_eq!(files_containing(data, secret), Vec::<String>::new());
    for id in [&survivor, &dup] {
        cli(data, "reader", &["verify", id]);
    }
}
