//! Redaction from the binary and the share server: only the leader or an allowed role
//! redacts, the text leaves `log --json`, the export and every file; tampering after
//! redactions is still caught, naming the line; a running share server streams the
//! placeholder. (Random runs of corrections and redactions on both stores:
//! `journal_redaction_property`.)

use crate::journal_redaction_property::{contains, files_under};
use crate::support::cli::{Setup, setup, stderr};
use crate::support::stores::cli_stores;
use chrono::Utc;
use warroom::domain::Authority;
use warroom::journal::{Journal, Redaction};

/// The binary on both stores: an incident with a pasted password, redacted by its leader.
fn redacted_incident(store: &crate::support::stores::CliStore) -> Setup {
    let s = setup("[journal]\nredact_roles = [\"scribe\"]\n", &store.env());
    let run_ok = |args: &[&str]| {
        let out = s.run(args);
        assert!(
            out.status.success(),
            "{}: {args:?}: {}",
            store.name,
            stderr(&out)
        );
    };
    run_ok(&["assign", &s.id, "scribe", "bob"]);
    run_ok(&["note", &s.id, "the admin password is Tr0ub4dor&3"]);
    run_ok(&["note", &s.id, "rolled back pricing"]);
    s
}

#[test]
fn only_the_leader_or_an_allowed_role_redacts_and_the_text_leaves_every_output() {
    for store in cli_stores("redact_cli") {
        let s = redacted_incident(&store);
        let what = store.name;
        // #3 is the password (#1 opened, #2 the scribe).
        let refused = s
            .command()
            .args([
                "--as", "carol", "redact", &s.id, "3", "--reason", "password",
            ])
            .output()
            .unwrap();
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{what}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("only the leader"),
            "{what}: {}",
            stderr(&refused)
        );
        let as_scribe_unlisted = s
            .command()
            .args([
                "--as", "carol", "redact", &s.id, "3", "--reason", "x", "--role", "deputy",
            ])
            .output()
            .unwrap();
        assert_eq!(as_scribe_unlisted.status.code(), Some(2), "{what}");
        assert!(
            stderr(&as_scribe_unlisted).contains("redact_roles"),
            "{what}"
        );
        let by_scribe = s
            .command()
            .args([
                "--as",
                "bob",
                "redact",
                &s.id,
                "3",
                "--reason",
                "a pasted password",
            ])
            .args(["--role", "scribe"])
            .output()
            .unwrap();
        assert!(by_scribe.status.success(), "{what}: {}", stderr(&by_scribe));
        let verify = s.run(&["verify", &s.id]);
        assert!(verify.status.success(), "{what}: {}", stderr(&verify));
        let said = String::from_utf8_lossy(&verify.stdout);
        assert!(said.contains("redacted: #3"), "{what}: {said}");
        let log = s.run(&["log", &s.id, "--json"]);
        let log = String::from_utf8_lossy(&log.stdout).into_owned();
        let export = s.run(&["export", &s.id]);
        assert!(export.status.success(), "{what}: {}", stderr(&export));
        let export = String::from_utf8_lossy(&export.stdout).into_owned();
        for (place, text) in [("log --json", &log), ("export", &export)] {
            assert!(
                !text.contains("Tr0ub4dor"),
                "{what}: password in {place}:\n{text}"
            );
            assert!(
                text.contains("rolled back pricing"),
                "{what}: {place} lost a note"
            );
            assert!(
                text.contains("a pasted password"),
                "{what}: {place} lacks the reason"
            );
        }
        if !store.is_shared() {
            for (place, bytes) in files_under(&s.data) {
                assert!(!contains(&bytes, "Tr0ub4dor"), "password in {place}");
            }
        }
    }
}

/// `verify` on a journal changed behind warroom's back: exit 1, naming the line.
fn assert_damaged(s: &Setup, what: &str, change: &str, line: u64) {
    let out = s.run(&["verify", &s.id]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: {change}: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    let named = if what == "files" {
        format!("journal.jsonl:{line}:")
    } else {
        format!("{}:{line}:", s.id)
    };
    assert!(
        err.contains(&named),
        "{what}: {change}: not naming {named}: {err}"
    );
}

/// A change to one line.
type Edit = dyn Fn(&str) -> String;

#[test]
fn tampering_after_redactions_is_caught_naming_the_line() {
    for store in cli_stores("redact_tamper") {
        let what = store.name;
        let s = redacted_incident(&store);
        let out = s.run(&["redact", &s.id, "3", "--reason", "a pasted password"]);
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        // Line 3 is the placeholder, line 4 a note, line 5 the redaction.
        let changes: [(&str, u64, &Edit); 3] = [
            ("the placeholder's digest", 3, &|l| {
                let at = l.find("\"digest\":\"").unwrap() + 10;
                let flipped = if &l[at..at + 1] == "0" { "1" } else { "0" };
                format!("{}{flipped}{}", &l[..at], &l[at + 1..])
            }),
            ("a note's text", 4, &|l| {
                l.replace("rolled back", "rolled forward")
            }),
            ("the redaction's reason", 5, &|l| {
                l.replace("a pasted password", "a typo")
            }),
        ];
        for (change, line, edit) in changes {
            let restore = tamper(&s, &store, line, edit);
            assert_damaged(&s, what, change, line);
            restore();
            let out = s.run(&["verify", &s.id]);
            assert!(out.status.success(), "{what}: restored: {}", stderr(&out));
        }
    }
}

/// Rewrites entry `line` with `edit` where the store keeps it; returns how to put it back.
fn tamper<'a>(
    s: &'a Setup,
    store: &'a crate::support::stores::CliStore,
    line: u64,
    edit: &dyn Fn(&str) -> String,
) -> Box<dyn Fn() + 'a> {
    match &store.cluster {
        None => {
            let path = s.data.join("incidents").join(&s.id).join("journal.jsonl");
            let before = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<String> = before
                .lines()
                .enumerate()
                .map(|(n, l)| {
                    if n as u64 + 1 == line {
                        edit(l)
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            assert_ne!(lines.join("\n") + "\n", before, "the edit changed nothing");
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            Box::new(move || std::fs::write(&path, &before).unwrap())
        }
        Some(cluster) => {
            let db = "redact_tamper";
            let sql = format!(
                "SELECT line FROM warroom_events WHERE incident = '{}' AND seq = {line}",
                s.id
            );
            let before = cluster.admin_on(db, &sql)[0][0].clone().unwrap();
            let after = edit(&before);
            assert_ne!(after, before, "the edit changed nothing");
            let set = |text: &str| {
                format!(
                    "UPDATE warroom_events SET line = '{}' WHERE incident = '{}' AND seq = {line}",
                    text.replace('\'', "''"),
                    s.id
                )
            };
            cluster.admin_on(db, &set(&after));
            let restore = set(&before);
            Box::new(move || {
                cluster.admin_on(db, &restore);
            })
        }
    }
}

/// The data lines a new follower is streamed, up to entry `last`.
async fn streamed(
    server: &crate::share_common::Running,
    id: &str,
    token: &str,
    last: u64,
) -> Vec<String> {
    let answer = crate::share_common::client()
        .get(server.events_url(id))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let mut sse = crate::share_common::SseReader::new(answer);
    let mut lines = Vec::new();
    while let Some(ev) = sse.next(std::time::Duration::from_secs(10)).await {
        if ev.kind != "entry" {
            continue;
        }
        let seq: u64 = ev.id.as_deref().unwrap_or("0").parse().unwrap_or(0);
        lines.push(ev.data);
        if seq >= last {
            break;
        }
    }
    lines
}

#[tokio::test]
async fn a_running_share_server_streams_the_placeholder_after_a_redaction() {
    let leader = crate::share_common::Leader::new();
    let id = leader.open("Checkout 500s", warroom::domain::Severity::Sev2);
    let token = leader.share(&id);
    leader.note(&id, "the admin password is Tr0ub4dor&3");
    leader.note(&id, "rolled back pricing");
    let server = crate::share_common::Running::start(&leader.store, "127.0.0.1:0").await;
    // The server has read the journal, password included, before the redaction.
    let before = streamed(&server, &id, &token, 3).await;
    assert!(before.iter().any(|l| l.contains("Tr0ub4dor")), "{before:?}");
    let mut journal = leader.store.open(&id).unwrap();
    let request = Redaction {
        seq: 2,
        reason: "a pasted password",
        authority: Authority::Lead,
        allowed: &[],
    };
    journal.redact("alice", Utc::now(), &request).unwrap();
    // A follower that comes once the server has read the redaction gets it, and never the
    // password. (One that connects between the rewrite and the server's next read is streamed
    // the lines as they were, then the `redacted` entry live: it is asked again.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let after = loop {
        let after = streamed(&server, &id, &token, 4).await;
        let whole = after.len() >= 4 && after.iter().all(|l| !l.contains("Tr0ub4dor"));
        if whole || std::time::Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().all(|l| !l.contains("Tr0ub4dor")), "{after:?}");
    assert!(after[3].contains("a pasted password"), "{after:?}");
    // The lines a follower checks the chain with: the placeholder still follows and is followed.
    let mut prev = warroom::journal::GENESIS.to_string();
    for (n, line) in after.iter().enumerate() {
        let record = warroom::journal::read_line(line, &prev, n as u64 + 1).unwrap();
        prev = record.hash().to_string();
    }
    server.stop().await;
}
