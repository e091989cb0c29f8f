//! End to end on the release binary in tmux: two incidents opened for one outage are merged
//! from the console's list (`D`); the survivor's console shows one timeline with the
//! duplicate's entries marked; on the log, a note's time is amended (`E`), a pasted password
//! redacted (`Z`) and a note retracted (`r`), each with a reason and a confirmation. The
//! post-mortem uses the corrected times and says which were corrected, the password is in no
//! file under the data directory, and both journals verify. And a merge seen by followers:
//! one following the survivor sees one timeline in order with the duplicate's entries marked,
//! as the leader's console and the post-mortem do; one following the duplicate is told where
//! the outage is followed now.
#![cfg(target_os = "linux")]

use crate::common;
use crate::support::release;
use crate::support::tmux;

use common::{open_incident, run, warroom};
use std::path::Path;
use std::time::Duration;
use tmux::{Pane, Tmux, has_line, quote};

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
    let pane = window(tmux, "lead", data, &data.join("no-config.toml"));
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

/// On the list of "Checkout 500s" (first) and "Payments failing": `D` on the second marks it
/// a duplicate of `survivor`, with a reason and a confirmation; then the survivor is opened.
fn merge_from_the_list(pane: &Pane<'_>, survivor: &str) {
    pane.wait_for("both incidents listed", |s| {
        s.contains("Checkout 500s") && s.contains("Payments failing")
    });
    pane.press(&["j", "D"]);
    pane.wait_for("the duplicate form", |s| s.contains("a duplicate"));
    pane.type_text(survivor);
    pane.press(&["Tab"]);
    reason_and_confirm(pane, "one outage", "Close it as a duplicate");
    pane.wait_for("the merge done", |s| {
        s.contains("merged into") && !s.contains("Payments failing")
    });
    pane.press(&["g", "g", "Enter"]);
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
    merge_from_the_list(&pane, &survivor);
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

/// `env …` for a window: the data directory, config file `config`, nothing else of warroom's.
fn window<'a>(tmux: &'a Tmux, name: &str, data: &Path, config: &Path) -> Pane<'a> {
    tmux.shell(
        name,
        &format!(
            "exec env -u WARROOM_USER -u WARROOM_CONFIG -u WARROOM_THEME -u NO_COLOR \
             WARROOM_DATA_DIR={} WARROOM_CONFIG={}",
            quote(&data.display().to_string()),
            quote(&config.display().to_string()),
        ),
    )
}

/// `warroom share ID`: the URL and `--token=…` of the follow line it prints.
fn share(data: &Path, config: &Path, id: &str) -> (String, String) {
    let r = run({
        let mut c = warroom(data, "alice");
        c.env("WARROOM_CONFIG", config).args(["share", id]);
        c
    });
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let line = r
        .stdout
        .lines()
        .find_map(|l| Some(l[l.find("warroom follow ")?..].to_string()))
        .unwrap_or_else(|| panic!("no follow line: {}", r.stdout));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(
        words.len() >= 4 && words[3].starts_with("--token="),
        "{line}"
    );
    (words[2].to_string(), words[3].to_string())
}

/// Where each of `needles` is on `screen` (the first line holding it), in the order given:
/// panics naming the one missing.
fn rows_of(screen: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| {
            screen
                .lines()
                .position(|l| l.contains(n))
                .unwrap_or_else(|| panic!("{n:?} not on the screen:\n{screen}"))
        })
        .collect()
}

fn in_order(rows: &[usize]) -> bool {
    rows.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn a_merge_shows_one_timeline_to_the_leader_the_follower_and_the_postmortem_and_sends_the_duplicates_followers_on()
 {
    let Some(tmux) = Tmux::new("merge_follow", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let config = data.join("config.toml");
    std::fs::write(&config, format!("[share]\nlisten = \"127.0.0.1:{port}\"\n")).unwrap();
    // One outage, two incidents, their notes interleaved in time.
    let survivor = open_incident(data, "alice", "Checkout 500s", "sev1");
    let dup = open_incident(data, "bob", "Payments failing", "sev2");
    let notes = [
        (&dup, "bob", "payments 502 from checkout"),
        (&survivor, "alice", "pricing v42 deployed"),
        (&dup, "bob", "payment retries piling up"),
        (&survivor, "alice", "rolling back pricing"),
    ];
    for (id, who, text) in notes {
        cli(data, who, &["note", id, text]);
        // A second apart: the timeline's order is the clock's, to the second on screen.
        std::thread::sleep(Duration::from_millis(1100));
    }
    let texts: Vec<&str> = notes.iter().map(|n| n.2).collect();
    let (survivor_url, survivor_token) = share(data, &config, &survivor);
    let (dup_url, dup_token) = share(data, &config, &dup);

    let serve = window(&tmux, "serve", data, &config);
    serve.run_line(&format!(
        "{} --as alice serve",
        quote(&release::warroom().display().to_string())
    ));
    serve.wait_for("the share server listening", |s| {
        s.contains(&port.to_string())
    });
    let follow = |name: &str, who: &str, url: &str, token: &str| {
        let pane = window(&tmux, name, data, &data.join("no-config.toml"));
        pane.run_line(&format!(
            "{} --as {who} follow {url} {token}",
            quote(&release::warroom().display().to_string())
        ));
        pane
    };
    let view = follow("view", "carol", &survivor_url, &survivor_token);
    view.wait_for("carol following the survivor", |s| {
        s.contains("READ-ONLY — following") && s.contains("rolling back pricing")
    });
    let dup_view = follow("dupview", "dave", &dup_url, &dup_token);
    dup_view.wait_for("dave following the duplicate", |s| {
        s.contains("READ-ONLY — following") && s.contains("payment retries piling up")
    });

    let lead = start_console(&tmux, data, "alice");
    merge_from_the_list(&lead, &survivor);
    let marked = format!("[{dup}]");
    let shown = lead.wait_for("the survivor's console with the duplicate's notes", |s| {
        has_line(s, &["bob", &marked, "payment retries piling up"])
    });
    let rows = rows_of(&shown, &texts);
    assert!(
        in_order(&rows),
        "the leader's timeline out of order:\n{shown}"
    );
    for text in [texts[0], texts[2]] {
        assert!(
            has_line(&shown, &[&marked, text]),
            "{text} unmarked:\n{shown}"
        );
    }
    for text in [texts[1], texts[3]] {
        assert!(
            !has_line(&shown, &[&marked, text]),
            "{text} marked:\n{shown}"
        );
    }

    // The survivor's follower: the same timeline, live.
    let seen = view.wait_for("the merge on the follower's screen", |s| {
        has_line(s, &["bob", &marked, "payment retries piling up"])
    });
    let rows = rows_of(&seen, &texts);
    assert!(
        in_order(&rows),
        "the follower's timeline out of order:\n{seen}"
    );
    for text in [texts[0], texts[2]] {
        assert!(
            has_line(&seen, &[&marked, text]),
            "{text} unmarked:\n{seen}"
        );
    }
    // The duplicate's follower is told where to go.
    dup_view.wait_for("the duplicate's follower sent on", |s| {
        s.contains(&format!("closed as a duplicate of {survivor}"))
            && s.contains(&format!("follow {survivor}"))
    });

    // The post-mortem: the same timeline, the sources marked.
    let draft = cli(data, "reader", &["export", &survivor]).stdout;
    let timeline = &draft[draft.find("## Timeline").unwrap()..];
    let at: Vec<usize> = texts
        .iter()
        .map(|t| {
            timeline
                .find(t)
                .unwrap_or_else(|| panic!("{t:?} not in the timeline:\n{timeline}"))
        })
        .collect();
    assert!(in_order(&at), "{timeline}");
    assert!(timeline.contains(&format!("bob \\[{dup}\\]")), "{timeline}");
    for id in [&survivor, &dup] {
        cli(data, "reader", &["verify", id]);
    }
    lead.press(&["q"]);
    lead.wait_for("the quit question", |s| s.contains("quit"));
    lead.press(&["y"]);
    lead.wait_for("the console to exit with status 0", |s| s.contains(EXIT_OK));
}
