//! The PostgreSQL store under faults, its writers separate processes: the database crashing
//! (`pg_ctl stop -m immediate`) and restarting, writers SIGKILLed in the middle of a
//! transaction, sessions terminated by the server at random moments, connections cut right
//! after a `COMMIT` was sent (by a proxy between warroom and the server), and a database that
//! stops answering. In every case: no acknowledged entry lost, none recorded twice, seq dense,
//! every chain verifies; and a hung database is an error within seconds, not a hang.

use crate::store_pg_concurrency::{assert_once, note, notes, open_three};
use crate::support::pg_children::{self, Child, Go};
use crate::support::pg_proxy::{Mode, Proxy};
use crate::support::postgres::{self, Postgres};
use crate::support::stores::pg;
use chrono::Utc;
use std::time::{Duration, Instant};
use warroom::domain::Severity;
use warroom::journal::{Journal, PgStore, StoreOptions};

/// Everything the children acknowledged, after they ended; their refusals printed.
fn acknowledged(children: &mut [Child]) -> Vec<String> {
    let mut acked = Vec::new();
    for c in children {
        c.finish(Duration::from_secs(300));
        for e in c.said("ERR ") {
            eprintln!("{}: {e}", c.name);
        }
        acked.extend(c.said("ACK "));
    }
    acked
}

#[test]
fn postgres_crashing_mid_append_and_restarting_loses_and_repeats_nothing_acknowledged() {
    // Its own cluster: this test stops it.
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let url = cluster.database("crashes");
    let ids = open_three(&url);
    let mut acked = Vec::new();
    let mut refused = Vec::new();
    for round in 0..5u64 {
        let mut writers: Vec<_> = (0..3)
            .map(|w| pg_children::appender(&url, &ids, &format!("r{round}w{w}"), 40, None))
            .collect();
        for w in &mut writers {
            w.wait_ready();
        }
        std::thread::sleep(Duration::from_millis(100 + 50 * round));
        cluster.stop_immediate();
        std::thread::sleep(Duration::from_millis(300));
        cluster.restart();
        acked.extend(acknowledged(&mut writers));
        for w in &writers {
            refused.extend(w.said("ERR "));
        }
    }
    assert!(!acked.is_empty(), "nothing was ever acknowledged");
    for e in &refused {
        assert!(
            e.contains("nothing was recorded") || e.contains("may or may not have been recorded"),
            "a refusal that does not say what became of the entry: {e}"
        );
        assert!(!e.contains(&cluster.password), "{e}");
    }
    eprintln!(
        "{} acknowledged, {} refused while the database was down",
        acked.len(),
        refused.len()
    );
    assert_once(&notes(&pg(&url)), &acked);
}

/// Whether the session of the child named `name` is inside a transaction right now.
fn in_transaction(cluster: &Postgres, name: &str) -> bool {
    !cluster
        .admin(&format!(
            "SELECT pid FROM pg_stat_activity \
             WHERE application_name = 'warroom-{name}' AND xact_start IS NOT NULL"
        ))
        .is_empty()
}

#[test]
fn writers_sigkilled_mid_transaction_lose_and_repeat_nothing_acknowledged() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("sigkilled");
    let ids = open_three(&url);
    let mut n = 0;
    let spawn = |n: &mut usize| {
        *n += 1;
        let mut c = pg_children::appender(&url, &ids, &format!("k{n}"), 100_000, None);
        c.wait_ready();
        c
    };
    let mut running: Vec<Child> = (0..4).map(|_| spawn(&mut n)).collect();
    let mut dead: Vec<Child> = Vec::new();
    let (mut kills, mut mid_transaction) = (0, 0);
    let mut rng: u64 = 11;
    while mid_transaction < 6 && kills < 40 {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis(50 + (rng >> 57)));
        let mut victim = running.remove((rng >> 33) as usize % running.len());
        // Frozen where it stands, then looked at from the server's side, then killed.
        victim.signal(libc::SIGSTOP);
        std::thread::sleep(Duration::from_millis(20));
        if in_transaction(&cluster, &victim.name) {
            mid_transaction += 1;
        }
        victim.kill();
        kills += 1;
        dead.push(victim);
        running.push(spawn(&mut n));
    }
    assert!(
        mid_transaction > 0,
        "no writer was ever killed inside a transaction ({kills} kills)"
    );
    // The locks the dead held are gone: a last writer gets every one of its appends through.
    let mut last = pg_children::appender(&url, &ids, "last", 30, None);
    last.finish(Duration::from_secs(120));
    assert_eq!(last.said("ERR "), Vec::<String>::new(), "{}", last.stderr());
    assert_eq!(last.said("ACK ").len(), 30);
    for mut c in running {
        c.kill();
        dead.push(c);
    }
    let mut acked = last.said("ACK ");
    for c in &dead {
        assert_eq!(c.said("ERR "), Vec::<String>::new(), "{}", c.name);
        acked.extend(c.said("ACK "));
    }
    eprintln!(
        "{kills} writers killed ({mid_transaction} inside a transaction), {} appends \
         acknowledged",
        acked.len()
    );
    assert_once(&notes(&pg(&url)), &acked);
}

/// A writer that freezes inside its transaction (a laptop whose lid closes, a process
/// stopped) holds the incident's head row: the others wait for seconds, not forever, and the
/// frozen one, woken, neither loses nor repeats what it acknowledged. A writer alone on an
/// incident sends its whole transaction at once (compare-and-swap of the head), so it is never
/// caught inside one: a rival on the same incident makes it take the locked path, which waits
/// on the client between locking the head and writing.
#[test]
fn a_writer_frozen_mid_transaction_holds_up_the_others_for_seconds_not_forever() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("frozen");
    let ids = open_three(&url)[..1].to_vec();
    let mut frozen = pg_children::appender(&url, &ids, "frozen", 100_000, None);
    let mut rival = pg_children::appender(&url, &ids, "rival", 100_000, None);
    frozen.wait_ready();
    rival.wait_ready();
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        frozen.signal(libc::SIGSTOP);
        std::thread::sleep(Duration::from_millis(20));
        // Waiting on the client, the head row locked (FOR UPDATE took a transaction id).
        let idle = cluster.admin(
            "SELECT pid FROM pg_stat_activity \
             WHERE application_name = 'warroom-frozen' AND state = 'idle in transaction' \
             AND backend_xid IS NOT NULL",
        );
        if !idle.is_empty() {
            break;
        }
        frozen.signal(libc::SIGCONT);
        assert!(Instant::now() < until, "never caught inside a transaction");
        std::thread::sleep(Duration::from_millis(3));
    }
    let mut other = pg_children::appender(&url, &ids, "other", 5, None);
    other.finish(Duration::from_secs(120));
    assert_eq!(
        other.said("ERR "),
        Vec::<String>::new(),
        "{}",
        other.stderr()
    );
    assert_eq!(other.said("ACK ").len(), 5);
    frozen.signal(libc::SIGCONT);
    std::thread::sleep(Duration::from_millis(500));
    frozen.kill();
    rival.kill();
    let mut acked = other.said("ACK ");
    acked.extend(frozen.said("ACK "));
    acked.extend(rival.said("ACK "));
    assert_once(&notes(&pg(&url)), &acked);
}

/// Terminates every warroom session on `db` (as an operator, or a failing pooler, would).
fn terminate_all(cluster: &Postgres, db: &str) -> usize {
    cluster
        .admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name LIKE 'warroom%' AND datname = '{db}'"
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
    let go = Go::new();
    let mut writers: Vec<_> = (0..WRITERS)
        .map(|w| pg_children::appender(&url, &ids, &format!("t{w}"), EACH, Some(&go.path)))
        .collect();
    for w in &mut writers {
        w.wait_ready();
    }
    go.fire();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
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
    let acked = acknowledged(&mut writers);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let kills = killer.join().unwrap();
    assert!(
        kills > 0,
        "no session was ever terminated: the test tested nothing"
    );
    let failed: Vec<String> = writers.iter().flat_map(|w| w.said("ERR ")).collect();
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

/// A proxy between the writers and the server forwards a COMMIT and then cuts the connection
/// before the answer comes back, one commit in three: the server committed, the writer never
/// heard it. Each append must still be acknowledged once (the retry finds it committed) and
/// be there once.
#[test]
fn connections_cut_right_after_commit_was_sent_record_each_entry_once() {
    const WRITERS: usize = 3;
    const EACH: usize = 40;
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let direct = cluster.database("commit_cut");
    let ids = open_three(&direct);
    let proxy = Proxy::start(cluster.port, Mode::CutAfterCommit { every: 3 });
    let url = proxy.url(&direct, cluster.port);
    let go = Go::new();
    let mut writers: Vec<_> = (0..WRITERS)
        .map(|w| pg_children::appender(&url, &ids, &format!("c{w}"), EACH, Some(&go.path)))
        .collect();
    for w in &mut writers {
        w.wait_ready();
    }
    go.fire();
    let acked = acknowledged(&mut writers);
    assert!(proxy.cuts() >= 10, "only {} cuts", proxy.cuts());
    for w in &writers {
        assert_eq!(w.said("ERR "), Vec::<String>::new(), "{}", w.name);
    }
    assert_eq!(acked.len(), WRITERS * EACH);
    let seen = notes(&pg(&direct));
    assert_once(&seen, &acked);
    assert_eq!(seen.len(), WRITERS * EACH);
}

/// Runs `f` on a thread and waits at most `limit` for it: a hang is a failure, not a stuck
/// test.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still waiting after {limit:?}: warroom hangs"))
}

/// The database stops answering (the connection stays open, nothing comes back): connecting,
/// reading and appending each end in an error that says so, instead of waiting forever; once
/// it answers again, the same store works.
#[test]
fn a_database_that_stops_answering_gives_a_clear_error_not_a_hang() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let direct = cluster.database("silent");
    let proxy = std::sync::Arc::new(Proxy::start(cluster.port, Mode::Forward));
    let url = proxy.url(&direct, cluster.port);
    let store = pg(&url);
    let id = store
        .create("lead", Utc::now(), "Checkout 500s", Severity::Sev1, None)
        .unwrap()
        .id()
        .to_string();
    let mut journal = store.open(&id).unwrap();
    proxy.set_mode(Mode::Silent);
    let limit = Duration::from_secs(90);

    let started = Instant::now();
    let (appended, journal) = within(limit, move || {
        let r = journal.append("bob", Utc::now(), note("into the void".into()));
        (
            r.map(|r| r.line().to_string()).map_err(|e| e.to_string()),
            journal,
        )
    });
    let err = appended.expect_err("an append on a silent database cannot succeed");
    eprintln!("append: {err} (after {:?})", started.elapsed());
    assert!(err.contains("did not answer within"), "{err}");
    assert!(err.contains("postgres://warroom@127.0.0.1:"), "{err}");
    assert!(
        err.contains("may or may not have been recorded") || err.contains("nothing was recorded"),
        "{err}"
    );
    assert!(!err.contains(&cluster.password), "{err}");

    let read = {
        let store = store.clone();
        within(limit, move || store.ids().map_err(|e| e.to_string()))
    };
    let err = read.expect_err("a read on a silent database cannot succeed");
    assert!(err.contains("did not answer within"), "{err}");

    let connect = {
        let url = url.clone();
        within(limit, move || {
            PgStore::connect(&StoreOptions {
                url,
                ..StoreOptions::default()
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
        })
    };
    let err = connect.expect_err("connecting to a silent database cannot succeed");
    assert!(err.contains("did not answer within"), "{err}");
    assert!(!err.contains(&cluster.password), "{err}");

    // It answers again: the same store and journal carry on.
    proxy.set_mode(Mode::Forward);
    let mut journal = journal;
    let r = journal
        .append("bob", Utc::now(), note("back".into()))
        .unwrap();
    let seen = notes(&pg(&direct));
    assert_eq!(seen.get("back"), Some(&1));
    assert!(seen.get("into the void").is_none_or(|n| *n == 1));
    assert_eq!(
        r.entry.seq as usize,
        pg(&direct).open(&id).unwrap().records().len()
    );
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

/// Failover the database's own way: a primary and a synchronous streaming replica on
/// loopback, warroom given both hosts with `target_session_attrs=read-write`. The primary
/// crashes (`-m immediate`) while a writer process appends, the replica is promoted, and the
/// writer carries on on the new primary by itself, within seconds; what was acknowledged is
/// there once, the chain intact.
#[test]
fn appends_continue_on_a_promoted_replica_after_the_primary_crashes() {
    // Its own clusters: this test stops the primary.
    let Some(mut primary) = postgres::start() else {
        return;
    };
    primary.database("failover");
    let replica = primary.replica(true);
    let url = format!(
        "postgres://warroom:{}@127.0.0.1:{},127.0.0.1:{}/failover\
         ?sslmode=disable&target_session_attrs=read-write",
        primary.password, primary.port, replica.port
    );
    let ids = open_three(&url);
    let mut writer = pg_children::appender(&url, &ids, "f", 100_000, None);
    writer.wait_ready();
    let until = Instant::now() + Duration::from_secs(60);
    while writer.said("ACK ").len() < 20 {
        assert!(Instant::now() < until, "no appends before the crash");
        std::thread::sleep(Duration::from_millis(20));
    }
    primary.stop_immediate();
    let at_crash = writer.said("ACK ").len();
    std::thread::sleep(Duration::from_millis(300));
    replica.promote();
    let promoted = Instant::now();
    while writer.said("ACK ").len() < at_crash + 20 {
        assert!(
            promoted.elapsed() < Duration::from_secs(30),
            "the writer did not carry on on the new primary: {:?}\n{}",
            writer.said("ERR "),
            writer.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "appends carried on {:?} after the promotion",
        promoted.elapsed()
    );
    writer.kill();
    assert_eq!(writer.said("ERR "), Vec::<String>::new());
    let acked = writer.said("ACK ");
    let seen = notes(&pg(&replica.url_of("failover")));
    assert_once(&seen, &acked);
}
