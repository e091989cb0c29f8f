//! Many writers on one PostgreSQL store, and connections cut under them: every acknowledged
//! append is present exactly once, seq stays dense, every chain verifies, and incidents opened
//! at the same moment get distinct IDs. Each writer has its own store and connection, as a
//! process on another machine would.

use crate::support::postgres::{self, Postgres};
use crate::support::stores::pg;
use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use warroom::domain::{Event, NoteKind, Severity};
use warroom::journal::{Journal, PgStore};

fn note(text: String) -> Event {
    Event::Note {
        kind: NoteKind::Observation,
        text,
    }
}

/// Every note text in every incident, with how often it appears; checks each chain.
fn notes(store: &PgStore) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for id in store.ids().unwrap() {
        let report = store.verify(&id).unwrap();
        let j = store.open(&id).unwrap();
        assert_eq!(report.events, j.records().len());
        for (n, r) in j.records().iter().enumerate() {
            assert_eq!(r.entry.seq, n as u64 + 1, "{id}: seq not dense");
            if let Event::Note { text, .. } = &r.entry.event {
                *seen.entry(text.clone()).or_insert(0) += 1;
            }
        }
    }
    seen
}

/// Checks that every acknowledged note is there exactly once, and nothing is there twice.
fn assert_once(seen: &BTreeMap<String, usize>, acked: &[String]) {
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "recorded more than once: {twice:?}");
    let lost: Vec<_> = acked.iter().filter(|t| !seen.contains_key(*t)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

fn open_three(url: &str) -> Vec<String> {
    let store = pg(url);
    (0..3)
        .map(|n| {
            let j = store
                .create(
                    "lead",
                    Utc::now(),
                    &format!("incident {n}"),
                    Severity::Sev2,
                    None,
                )
                .unwrap();
            j.id().to_string()
        })
        .collect()
}

#[test]
fn eight_writers_times_two_hundred_appends_over_three_incidents_land_once_each() {
    const WRITERS: usize = 8;
    const EACH: usize = 200;
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("eight_writers");
    let ids = open_three(&url);
    let start = Arc::new(Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (url, ids, start) = (url.clone(), ids.clone(), start.clone());
            std::thread::spawn(move || {
                let store = pg(&url);
                let mut journals: Vec<_> = ids.iter().map(|id| store.open(id).unwrap()).collect();
                start.wait();
                let mut acked = Vec::new();
                for i in 0..EACH {
                    let text = format!("w{w}-{i}");
                    journals[(w + i) % 3]
                        .append(&format!("w{w}"), Utc::now(), note(text.clone()))
                        .unwrap_or_else(|e| panic!("{text}: {e}"));
                    acked.push(text);
                }
                acked
            })
        })
        .collect();
    let acked: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(acked.len(), WRITERS * EACH);
    let seen = notes(&pg(&url));
    assert_once(&seen, &acked);
    assert_eq!(seen.len(), WRITERS * EACH);
}

#[test]
fn eight_incidents_opened_at_once_get_eight_ids() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("eight_opens");
    let start = Arc::new(Barrier::new(8));
    let openers: Vec<_> = (0..8)
        .map(|n| {
            let (url, start) = (url.clone(), start.clone());
            std::thread::spawn(move || {
                let store = pg(&url);
                start.wait();
                store
                    .create(
                        "lead",
                        Utc::now(),
                        &format!("outage {n}"),
                        Severity::Sev1,
                        None,
                    )
                    .unwrap()
                    .id()
                    .to_string()
            })
        })
        .collect();
    let mut ids: Vec<String> = openers.into_iter().map(|o| o.join().unwrap()).collect();
    ids.sort_by_key(|id| id[4..].parse::<u64>().unwrap());
    let expected: Vec<String> = (1..=8).map(|n| format!("INC-{n}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(pg(&url).ids().unwrap(), expected);
}

/// Terminates every warroom session on `db` (as an operator, or a failing pooler, would).
fn terminate_all(cluster: &Postgres, db: &str) -> usize {
    cluster
        .admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'warroom' AND datname = '{db}'"
        ))
        .len()
}

#[test]
fn sessions_terminated_at_random_moments_lose_and_repeat_nothing_acknowledged() {
    const WRITERS: usize = 4;
    const EACH: usize = 60;
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("terminated");
    let ids = open_three(&url);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let (cluster, done) = (cluster.clone(), done.clone());
        std::thread::spawn(move || {
            let mut kills = 0;
            let mut n: u64 = 7;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                kills += terminate_all(&cluster, "terminated");
                // Irregular gaps, so the cuts fall at different points of a transaction.
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                std::thread::sleep(Duration::from_millis(5 + (n >> 59)));
            }
            kills
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (url, ids) = (url.clone(), ids.clone());
            std::thread::spawn(move || {
                let store = pg(&url);
                let mut journals: Vec<_> = ids.iter().map(|id| store.open(id).unwrap()).collect();
                let (mut acked, mut failed) = (Vec::new(), Vec::new());
                for i in 0..EACH {
                    let text = format!("w{w}-{i}");
                    match journals[i % 3].append("w", Utc::now(), note(text.clone())) {
                        Ok(r) => {
                            assert!(r.line.contains(&text));
                            acked.push(text);
                        }
                        Err(e) => failed.push(format!("{text}: {e}")),
                    }
                }
                (acked, failed)
            })
        })
        .collect();
    let mut acked = Vec::new();
    let mut failed = Vec::new();
    for w in writers {
        let (a, f) = w.join().unwrap();
        acked.extend(a);
        failed.extend(f);
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let kills = killer.join().unwrap();
    assert!(
        kills > 0,
        "no session was ever terminated: the test tested nothing"
    );
    // The store retries on a new connection; most appends get through despite the cuts.
    assert!(
        acked.len() >= WRITERS * EACH / 2,
        "only {} of {} acknowledged; failures: {failed:?}",
        acked.len(),
        WRITERS * EACH
    );
    for f in &failed {
        assert!(!f.contains(&cluster.password), "{f}");
    }
    assert_once(&notes(&pg(&url)), &acked);
}

/// The hardest moment: COMMIT sent, the transaction committed, the answer never read. The
/// server here waits for a synchronous standby that does not exist, so a commit is durable
/// locally and then hangs; the session is terminated right there. The append must report
/// success (the entry is in), and the entry must be there once.
#[test]
fn a_commit_whose_answer_is_lost_is_found_not_repeated() {
    // Its own cluster: this test changes the server's settings.
    let Some(cluster) = postgres::start() else {
        return;
    };
    let url = cluster.database("commit_lost");
    let store = pg(&url);
    let id = store
        .create("lead", Utc::now(), "Checkout 500s", Severity::Sev1, None)
        .unwrap()
        .id()
        .to_string();
    cluster.admin("ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
    cluster.admin("SELECT pg_reload_conf()");
    let writer = {
        let (url, id) = (url.clone(), id.clone());
        std::thread::spawn(move || {
            let store = pg(&url);
            let mut j = store.open(&id).unwrap();
            j.append("bob", Utc::now(), note("the answer is lost".into()))
                .map(|r| r.entry.seq)
                .map_err(|e| e.to_string())
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid = loop {
        let waiting = cluster.admin(
            "SELECT pid FROM pg_stat_activity \
             WHERE application_name = 'warroom' AND wait_event = 'SyncRep'",
        );
        if let Some(pid) = waiting.first().and_then(|r| r[0].clone()) {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the commit never waited for the standby"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    cluster.admin(&format!("SELECT pg_terminate_backend({pid})"));
    cluster.admin("ALTER SYSTEM RESET synchronous_standby_names");
    cluster.admin("SELECT pg_reload_conf()");
    assert_eq!(writer.join().unwrap(), Ok(2));
    let seen = notes(&store);
    assert_eq!(seen.get("the answer is lost"), Some(&1), "{seen:?}");
    assert_eq!(store.open(&id).unwrap().records().len(), 2);
}

/// The database itself crashes (`pg_ctl stop -m immediate`, no shutdown checkpoint) in the
/// middle of each of five rounds of appends, and comes back: what was acknowledged survives the
/// crash once, nothing is recorded twice, and the chains verify.
#[test]
fn postgres_crashing_mid_append_and_restarting_loses_and_repeats_nothing_acknowledged() {
    // Its own cluster: this test stops it.
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let url = cluster.database("crashes");
    let ids = open_three(&url);
    let mut acked = Vec::new();
    let mut failed = 0;
    for round in 0..5 {
        let ready = Arc::new(Barrier::new(2));
        let writer = {
            let (url, ids, ready) = (url.clone(), ids.clone(), ready.clone());
            std::thread::spawn(move || {
                let store = pg(&url);
                let mut journals: Vec<_> = ids.iter().map(|id| store.open(id).unwrap()).collect();
                ready.wait();
                let (mut acked, mut failed) = (Vec::new(), 0);
                for i in 0..40 {
                    let text = format!("r{round}-{i}");
                    match journals[i % 3].append("w", Utc::now(), note(text.clone())) {
                        Ok(_) => acked.push(text),
                        Err(e) => {
                            eprintln!("{text}: {e}");
                            failed += 1;
                        }
                    }
                }
                (acked, failed)
            })
        };
        ready.wait();
        std::thread::sleep(Duration::from_millis(100 + 50 * round));
        cluster.stop_immediate();
        std::thread::sleep(Duration::from_millis(300));
        cluster.restart();
        let (a, f) = writer.join().unwrap();
        acked.extend(a);
        failed += f;
    }
    assert!(!acked.is_empty(), "nothing was ever acknowledged");
    eprintln!(
        "{} acknowledged, {failed} refused while the database was down",
        acked.len()
    );
    assert_once(&notes(&pg(&url)), &acked);
}
