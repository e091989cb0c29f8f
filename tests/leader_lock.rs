//! One leader per incident, across real processes: a second console is refused with a message
//! naming who leads (user, pid, host), and the lead comes free when the leader exits — even
//! when it is killed with SIGKILL and never gets to clean up.
//!
//! The other leader is this test binary run again (see `child_leader`).

use crate::common;

use common::{ChildGuard, line_reader, reexec, wait_for_line};
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use warroom::journal::{FileStore, Journal, JournalError};

const CHILD_ENV: &str = "WARROOM_TEST_LEADER";
const CHILD_USER: &str = "dana-oncall";
const CHILD_TEST: &str = "child_leader";

/// The child side: with `WARROOM_TEST_LEADER=<dir>|<id>`, leads the incident, prints
/// "leading", and holds the lead until its stdin closes.
#[test]
fn child_leader() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (dir, id) = spec.split_once('|').unwrap();
    match FileStore::new(dir).lead(id, CHILD_USER, chrono::Utc::now()) {
        Ok((_journal, _lock)) => {
            // The harness has printed "test child_leader ... " without a newline: end it.
            println!("\nleading");
            let mut rest = Vec::new();
            std::io::stdin().read_to_end(&mut rest).unwrap();
        }
        Err(e) => {
            println!("\nrefused: {e}");
            panic!("could not lead {id}");
        }
    }
}

fn incident(data: &Path) -> String {
    let journal = FileStore::new(data)
        .create(
            "alice",
            chrono::Utc::now(),
            "Checkout 500s",
            warroom::domain::Severity::Sev1,
            None,
        )
        .unwrap();
    journal.id().to_string()
}

/// Starts a child that leads `id` and returns once it says so.
fn child_leads(data: &Path, id: &str) -> ChildGuard {
    let mut cmd = reexec(
        module_path!(),
        CHILD_TEST,
        (CHILD_ENV, format!("{}|{id}", data.display())),
    );
    cmd.stdin(Stdio::piped());
    let mut child = ChildGuard(cmd.spawn().unwrap());
    let (rx, _reader) = line_reader(child.0.stdout.take().unwrap());
    wait_for_line(&rx, Duration::from_secs(60), |l| l == "leading");
    child
}

/// Asserts that leading `id` from this process is refused because `pid` leads it.
fn refused_naming(store: &FileStore, id: &str, pid: u32) {
    let err = store
        .lead(id, "erin", chrono::Utc::now())
        .expect_err("a second leader was let in");
    let message = err.to_string();
    let JournalError::Led { id: led, holder } = err else {
        panic!("expected a refusal naming the leader, got: {message}");
    };
    assert_eq!(led, id);
    assert_eq!(holder.pid, pid);
    assert_eq!(holder.user, CHILD_USER);
    assert_eq!(holder.host, common::hostname());
    for part in [
        id.to_string(),
        CHILD_USER.to_string(),
        format!("pid {pid}"),
        common::hostname(),
    ] {
        assert!(
            message.contains(&part),
            "the refusal should name {part:?}: {message}"
        );
    }
}

#[test]
fn a_second_leader_is_refused_with_the_holders_name_pid_and_host_until_the_first_exits() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = incident(data);
    let store = FileStore::new(data);

    let mut child = child_leads(data, &id);
    let pid = child.0.id();
    refused_naming(&store, &id, pid);
    // Asking again changes nothing: still refused, still the same holder.
    refused_naming(&store, &id, pid);

    // The leader quits normally: the lead is free.
    drop(child.0.stdin.take());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "the leader failed: {status}");
    let (journal, lock) = store
        .lead(&id, "erin", chrono::Utc::now())
        .expect("the lead should be free once its holder exited");
    assert_eq!(journal.records().len(), 1);

    // While this process leads, a new child is refused in turn (its `lead` fails, so it
    // exits with a failure instead of printing "leading").
    let out = reexec(
        module_path!(),
        CHILD_TEST,
        (CHILD_ENV, format!("{}|{id}", data.display())),
    )
    .output()
    .unwrap();
    assert!(!out.status.success(), "a second leader process was let in");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.lines().any(|l| l == "leading"), "{stdout}");
    let refusal = stdout
        .lines()
        .find(|l| l.starts_with("refused: "))
        .unwrap_or_else(|| panic!("the child was not refused: {stdout}"));
    assert!(
        refusal.contains(&format!("pid {}", std::process::id())) && refusal.contains("erin"),
        "the refused child should have been told who leads: {refusal}"
    );
    drop(lock);
}

#[test]
fn a_leader_killed_with_sigkill_does_not_leave_the_incident_locked() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = incident(data);
    let store = FileStore::new(data);

    let mut child = child_leads(data, &id);
    let pid = child.0.id();
    refused_naming(&store, &id, pid);

    child.0.kill().unwrap(); // SIGKILL: no destructor runs
    child.0.wait().unwrap();

    let (_journal, _lock) = store
        .lead(&id, "erin", chrono::Utc::now())
        .expect("the OS releases the lead of a killed process");
    // The lock now names this process, not the dead one.
    let err = store.lead(&id, "frank", chrono::Utc::now()).unwrap_err();
    let JournalError::Led { holder, .. } = err else {
        panic!("expected Led, got {err}");
    };
    assert_eq!(holder.pid, std::process::id());
    assert_eq!(holder.user, "erin");
}
