//! A reader that goes away (`warroom list | head -1`) ends every verb that prints quietly, as
//! it ends any Unix tool: no message, no panic, and exit 0 (the reader's choice is not a
//! failure). Each verb runs with its standard output a pipe whose reading end is already
//! closed, so the very first write fails (deterministic, unlike a race with `head`).

use crate::common;

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// A loopback HTTP server answering every request with `body` (JSON), until the test ends.
fn answering(body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn refused_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

struct Ran {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

/// `warroom ARGS` with the given data directory and config, standard output either read
/// (`closed = false`) or a pipe nobody reads any more.
fn warroom(data: &Path, config: &Path, args: &[&str], closed: bool) -> Ran {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.env("WARROOM_DATA_DIR", data)
        .env("WARROOM_CONFIG", config)
        .env("PD_TOKEN", "t0ken")
        .env_remove("WARROOM_USER")
        .args(["--as", "alice"])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    if closed {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        cmd.stdout(writer);
        let out = cmd.output().unwrap();
        Ran {
            status: out.status,
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    } else {
        let out = cmd.stdout(Stdio::piped()).output().unwrap();
        Ran {
            status: out.status,
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

#[test]
fn a_closed_standard_output_ends_every_verb_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[alertmanager]]\nurl = \"{}\"\n\n[pagerduty]\ntoken_env = \"PD_TOKEN\"\nfrom = \"ic@example.com\"\nurl = \"{}\"\n\n[share]\nlisten = \"127.0.0.1:7420\"\n",
            refused_url(),
            answering(r#"{"incidents": [], "more": false}"#),
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("services.toml"),
        "[[service]]\nname = \"checkout\"\ndepends_on = [\"payments\"]\n\n[[service]]\nname = \"payments\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("runbook.toml"),
        "[[action]]\nname = \"say-hi\"\nkind = \"exec\"\nargv = [\"echo\", \"hi\"]\n",
    )
    .unwrap();
    assert_eq!(
        common::open_incident(&data, "alice", "Checkout 500s", "sev1"),
        "INC-1"
    );
    for args in [
        &["note", "INC-1", "db cpu high"][..],
        &["followup", "INC-1", "add an alert", "--type", "prevent"],
    ] {
        let ran = warroom(&data, &config, args, false);
        assert!(ran.status.success(), "{args:?}: {}", ran.stderr);
    }

    let verbs: &[&[&str]] = &[
        &["open", "Search latency", "--severity", "sev3"],
        &["list"],
        &["list", "--all"],
        &["list", "--json"],
        &["task", "INC-1", "bob", "check the db"],
        &["handoff", "INC-1", "carol"],
        &["log", "INC-1"],
        &["log", "INC-1", "--json"],
        &["verify", "INC-1"],
        &["export", "INC-1"],
        &["export", "INC-1", "--format", "json"],
        &["check-config"],
        &["alerts"],
        &["alerts", "--json"],
        &["blast", "INC-1"],
        &["blast", "INC-1", "--json"],
        &["actions"],
        &["actions", "--json"],
        &["share", "INC-1"],
        &["pagerduty", "list"],
        &["pagerduty", "list", "--json"],
        &["completions", "bash"],
        &["completions", "zsh"],
        &["completions", "fish"],
        &["completions", "elvish"],
        &["completions", "powershell"],
        &["man"],
        &["help"],
        &["help", "list"],
        &["--help"],
        &["list", "--help"],
        &["--version"],
    ];
    for args in verbs {
        // Read, the verb prints something: the case is real.
        let read = warroom(&data, &config, args, false);
        assert!(
            !read.stdout.is_empty(),
            "{args:?} printed nothing when read: {}",
            read.stderr
        );
        // Handing over twice to the same person is refused: the second time, to another.
        let again: &[&str] = if args[0] == "handoff" {
            &["handoff", "INC-1", "dave"]
        } else {
            args
        };
        let closed = warroom(&data, &config, again, true);
        for bad in ["panicked", "Broken pipe", "broken pipe", "os error 32"] {
            assert!(
                !closed.stderr.contains(bad),
                "{args:?} with a closed standard output said {:?}",
                closed.stderr
            );
        }
        assert!(
            closed.status.success(),
            "{args:?} with a closed standard output ended with {:?} (signal {:?}): {}",
            closed.status,
            closed.status.signal(),
            closed.stderr
        );
    }

    // `run` streams the action's output: a closed pipe does not stop a compensating action
    // halfway; it finishes and is recorded.
    let ran = warroom(&data, &config, &["run", "INC-1", "say-hi", "--yes"], true);
    assert!(
        !ran.stderr.contains("panicked"),
        "run with a closed standard output: {}",
        ran.stderr
    );
    let log = common::log_json(&data, "INC-1");
    assert!(
        log.iter().any(|l| l["event"]["type"] == "action_finished"),
        "the run was not recorded: {log:?}"
    );
}
