//! One leader per incident on both stores, through `Store::lead`: a second leader is refused
//! naming the holder (user, host, pid), and the lead is free once the holder lets go. In
//! PostgreSQL the lead is a lease its holder's heartbeat renews: a live holder keeps it past
//! the lease's length, and one killed with SIGKILL (which never lets go) loses it within
//! seconds. The other leader is this test binary run again (`child_pg_leader`).

use crate::common::{self, ChildGuard, line_reader, reexec, wait_for_line};
use crate::support::postgres;
use crate::support::stores::pg;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};
use warroom::domain::Severity;
use warroom::journal::{FileStore, JournalError, LEASE, Opening, Store};

const CHILD_ENV: &str = "WARROOM_TEST_PG_LEADER";

fn opening() -> Opening<'static> {
    Opening {
        title: "Checkout 500s",
        severity: Severity::Sev1,
        summary: None,
    }
}

/// Asserts that `user` leading `id` is refused, naming `pid` (and this host) as the holder.
fn refused_naming(store: &dyn Store, id: &str, holder_pid: u32, holder_user: &str) {
    let err = store
        .lead(id, "erin", chrono::Utc::now())
        .map(drop)
        .expect_err("a second leader must be refused");
    let JournalError::Led { id: led, holder } = &err else {
        panic!("expected Led, got {err}");
    };
    assert_eq!(led, id);
    assert_eq!(holder.pid, holder_pid, "{err}");
    assert_eq!(holder.user, holder_user, "{err}");
    assert_eq!(holder.host, common::hostname(), "{err}");
    let said = err.to_string();
    assert!(
        said.contains(holder_user) && said.contains(&holder_pid.to_string()),
        "{said}"
    );
}

#[test]
fn one_leader_per_incident_on_both_stores_until_it_lets_go() {
    let dir = tempfile::tempdir().unwrap();
    let mut stores: Vec<Box<dyn Store>> = vec![Box::new(FileStore::new(dir.path()))];
    let cluster = postgres::shared();
    if let Some(c) = &cluster {
        stores.push(Box::new(pg(&c.database("lead_both"))));
    }
    for store in &stores {
        let id = store
            .create("alice", chrono::Utc::now(), opening())
            .unwrap()
            .id()
            .to_string();
        let (journal, lead) = store.lead(&id, "dana", chrono::Utc::now()).unwrap();
        assert_eq!(journal.id(), id, "{store:?}");
        assert!(lead.is_held());
        refused_naming(store.as_ref(), &id, std::process::id(), "dana");
        // Reading and recording need no lead.
        assert!(store.open(&id).is_ok(), "{store:?}");
        drop(lead);
        let (_, again) = store
            .lead(&id, "erin", chrono::Utc::now())
            .unwrap_or_else(|e| panic!("{store:?}: the lead was let go: {e}"));
        drop(again);
        let none = store.lead("INC-99", "erin", chrono::Utc::now()).map(drop);
        assert!(
            matches!(none, Err(JournalError::NotFound(_))),
            "{store:?}: {none:?}"
        );
    }
}

/// The child side: with `WARROOM_TEST_PG_LEADER=<url>|<id>`, leads the incident, prints
/// "leading", and holds the lead until its stdin closes (or it is killed).
#[test]
fn child_pg_leader() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (url, id) = spec.rsplit_once('|').unwrap();
    let store = pg(url);
    let (_journal, _lease) = store
        .lead(id, "dana-oncall", chrono::Utc::now())
        .unwrap_or_else(|e| panic!("could not lead {id}: {e}"));
    // The harness has printed "test child_pg_leader ... " without a newline: end it.
    println!("\nleading");
    let mut rest = Vec::new();
    std::io::stdin().read_to_end(&mut rest).unwrap();
}

#[test]
fn a_lease_outlives_its_length_while_the_holder_lives_and_goes_within_seconds_when_killed() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("lead_killed");
    let store = pg(&url);
    let id = Store::create(&store, "alice", chrono::Utc::now(), opening())
        .unwrap()
        .id()
        .to_string();
    let mut cmd = reexec(
        module_path!(),
        "child_pg_leader",
        (CHILD_ENV, format!("{url}|{id}")),
    );
    cmd.stdin(Stdio::piped());
    let mut child = ChildGuard(cmd.spawn().unwrap());
    let (rx, _reader) = line_reader(child.0.stdout.take().unwrap());
    wait_for_line(&rx, Duration::from_secs(60), |l| l == "leading");
    let pid = child.0.id();
    refused_naming(&store, &id, pid, "dana-oncall");
    // `warroom store status` names the leader.
    let data = tempfile::tempdir().unwrap();
    let status = common::warroom(data.path(), "erin")
        .env("WARROOM_STORE_URL", &url)
        .args(["store", "status"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(
        said.contains(&format!(
            "  {id}\t1 entries\tled by dana-oncall (pid {pid} on "
        )),
        "{said}"
    );
    // Past the lease's length, the heartbeat has kept it.
    std::thread::sleep(LEASE + Duration::from_secs(2));
    refused_naming(&store, &id, pid, "dana-oncall");

    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let killed = Instant::now();
    let taken = loop {
        match store.lead(&id, "erin", chrono::Utc::now()) {
            Ok(taken) => break taken,
            Err(JournalError::Led { .. }) if killed.elapsed() < LEASE * 3 => {
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => panic!("the killed leader's lease was not given up: {e}"),
        }
    };
    assert!(taken.1.is_held());
}
