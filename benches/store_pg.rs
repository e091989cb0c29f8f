//! The journal on PostgreSQL, against PostgreSQL itself, measured in the same run on the same
//! throwaway cluster (`fsync=on`, `synchronous_commit=on`, its data on the disk of target/tmp):
//!
//! * append latency (p50, p99) and throughput with 1, 8 and 32 writers at once, each a store
//!   and connection of its own, all on one incident (as during an outage; a writer alone
//!   appends by compare-and-swap of the head in one round trip, writers that meet take the
//!   locked path, see src/journal/pg/append.rs), against a bare
//!   `BEGIN; INSERT …; COMMIT` of the same line into a table of the same shape by as many
//!   connections (the floor: what any durable insert costs); and, to tell apart what that
//!   floor does not pay, the same insert with a `pg_notify` in its transaction, and the same
//!   insert and notify queued on the incident's head row `FOR UPDATE`, as a chain must be;
//! * replay: opening a 100,000-entry incident (read in seq order, every line parsed and its
//!   hash checked, folded), against the bare `SELECT` of the same rows.
//!
//! `cargo bench --bench store_pg`. Shorter: `WARROOM_BENCH_PG_SECONDS=2` (per writer count,
//! default 5), `WARROOM_BENCH_PG_REPLAY=20000` (entries, default 100000). Needs PostgreSQL 15
//! (Debian's `postgresql` package); says SKIPPED without it.

#[path = "../tests/support/postgres.rs"]
mod postgres;
mod support;

/// What tests/support/postgres.rs needs of its neighbours.
mod servers {
    pub fn free_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        l.local_addr().expect("local addr").port()
    }
}

use chrono::Utc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use support::{filesystem, loadavg};
use warroom::domain::{Event, NoteKind, Severity};
use warroom::journal::{FORMAT, FileStore, Journal, PgStore, Record, StoreOptions, encode_line};

fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn store(url: &str) -> PgStore {
    PgStore::connect(&StoreOptions {
        url: url.to_string(),
        ..StoreOptions::default()
    })
    .expect("connect to the bench cluster")
}

fn note(text: String) -> Event {
    Event::Note {
        kind: NoteKind::Observation,
        text,
    }
}

/// Latencies of everything every writer did, and how long the whole took.
struct Run {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Run {
    fn pct(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l[((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1]
    }
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
    fn line(&self, what: &str, writers: usize) -> String {
        format!(
            "| {what} | {writers} | {} | {:.2} ms | {:.2} ms | {:.0}/s |",
            self.latencies.len(),
            ms(self.pct(0.50)),
            ms(self.pct(0.99)),
            self.per_second()
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `writers` threads, each doing `op` (after `setup`) for `seconds`; every latency.
fn measure<S: Send + 'static>(
    writers: usize,
    seconds: u64,
    setup: impl Fn(usize) -> S + Send + Sync + 'static,
    op: impl Fn(&mut S, usize, u64) + Send + Sync + 'static,
) -> Run {
    let start = Arc::new(Barrier::new(writers + 1));
    let (setup, op) = (Arc::new(setup), Arc::new(op));
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let (start, setup, op) = (start.clone(), setup.clone(), op.clone());
            std::thread::spawn(move || {
                let mut state = setup(w);
                start.wait();
                let until = Instant::now() + Duration::from_secs(seconds);
                let mut times = Vec::new();
                let mut i = 0;
                while Instant::now() < until {
                    let t = Instant::now();
                    op(&mut state, w, i);
                    times.push(t.elapsed());
                    i += 1;
                }
                times
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    let latencies: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("a bench writer panicked"))
        .collect();
    Run {
        latencies,
        wall: t.elapsed(),
    }
}

/// A plain client on `url` with its own runtime, for the bare reference.
struct Bare {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

fn bare(url: &str) -> Bare {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = rt.block_on(async {
        let (client, conn) = url
            .parse::<tokio_postgres::Config>()
            .expect("the bench URL")
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        client
    });
    Bare { rt, client }
}

/// The records of a `n`-entry incident: a real opening, then notes chained as warroom chains
/// them (the same shape as benches/journal.rs's lines, built faster).
fn records(n: usize) -> Vec<Record> {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = FileStore::new(dir.path());
    let opened = files
        .create(
            "alice",
            Utc::now(),
            "Checkout 500s",
            Severity::Sev1,
            Some("customers cannot pay"),
        )
        .expect("open");
    let mut out = vec![opened.records()[0].clone()];
    for seq in 2..=n as u64 {
        let prev = out.last().map(|r| r.hash().to_string()).unwrap_or_default();
        let at = format!(
            "2026-03-14T{:02}:{:02}:{:02}.000Z",
            10 + seq / 3600 % 12,
            seq / 60 % 60,
            seq % 60
        );
        let by = support::PEOPLE[seq as usize % support::PEOPLE.len()];
        let event = format!(
            r#"{{"type":"note","kind":"observation","text":"p99 latency on checkout-api still above 2 s, entry {seq}"}}"#
        );
        out.push(encode_line(FORMAT, &prev, seq, &at, by, &event).expect("a well-formed line"));
    }
    out
}

fn main() {
    // Under `cargo test --benches` (no `--bench` argument) there is nothing to measure.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let seconds = env_or("WARROOM_BENCH_PG_SECONDS", 5);
    let replay_n = env_or("WARROOM_BENCH_PG_REPLAY", 100_000) as usize;
    let Some(cluster) = postgres::start() else {
        println!("store_pg: SKIPPED (PostgreSQL 15 is not installed)");
        return;
    };
    let version = cluster.admin("SELECT version()");
    let settings = cluster.admin(
        "SELECT current_setting('fsync') || ' / ' || current_setting('synchronous_commit') \
         || ' / ' || current_setting('wal_sync_method')",
    );
    let url = cluster.database("bench");
    let tmp = std::env::temp_dir();
    println!(
        "store_pg: {} | fsync / synchronous_commit / wal_sync_method: {} | data on {} [{}] | \
         {} cores | load average at start: {}",
        version[0][0].as_deref().unwrap_or("?"),
        settings[0][0].as_deref().unwrap_or("?"),
        tmp.display(),
        filesystem(&tmp),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    // The line every bare insert writes: the very bytes of a warroom note.
    let sample = {
        let s = store(&url);
        let mut j = s
            .create("alice", Utc::now(), "sample", Severity::Sev2, None)
            .expect("open");
        j.append(
            "alice",
            Utc::now(),
            note("p99 latency on checkout-api still above 2 s".into()),
        )
        .expect("append")
        .line()
        .to_string()
    };
    {
        let b = bare(&url);
        b.rt.block_on(b.client.batch_execute(
            "CREATE TABLE bare_events (incident text NOT NULL, seq bigint NOT NULL, \
             event_id text NOT NULL UNIQUE, line text NOT NULL, PRIMARY KEY (incident, seq)); \
             CREATE TABLE bare_heads (incident text PRIMARY KEY, seq bigint NOT NULL)",
        ))
        .expect("create the reference table");
    }

    println!();
    println!("| what | writers | appends | p50 | p99 | throughput |");
    println!("|---|---|---|---|---|---|");
    // All writers on one incident (as during an outage: they queue on its head row), then each
    // on an incident of its own (they do not).
    for (writers, spread) in [
        (1usize, false),
        (8, false),
        (32, false),
        (8, true),
        (32, true),
    ] {
        let ids: Vec<String> = (0..if spread { writers } else { 1 })
            .map(|_| {
                store(&url)
                    .create("lead", Utc::now(), "bench", Severity::Sev1, None)
                    .expect("open")
                    .id()
                    .to_string()
            })
            .collect();
        let what = if spread {
            "warroom append, an incident each"
        } else {
            "warroom append, one incident"
        };
        let run = {
            let url = url.clone();
            measure(
                writers,
                seconds,
                move |w| {
                    store(&url)
                        .open(&ids[w % ids.len()])
                        .expect("open the bench incident")
                },
                |journal, w, i| {
                    journal
                        .append(
                            &format!("w{w}"),
                            Utc::now(),
                            note(format!("w{w} entry {i}")),
                        )
                        .expect("append");
                },
            )
        };
        println!("{}", run.line(what, writers));
        let reference = {
            let (url, line) = (url.clone(), sample.clone());
            measure(
                writers,
                seconds,
                move |_| bare(&url),
                move |b, w, i| {
                    let incident = format!("BARE-{writers}-{spread}-{w}");
                    let (seq, event_id) = (i as i64 + 1, format!("{writers}-{spread}-{w}-{i}"));
                    let sql = "INSERT INTO bare_events (incident, seq, event_id, line) \
                               VALUES ($1, $2, $3, $4)";
                    b.rt.block_on(async {
                        let tx = b.client.transaction().await?;
                        tx.execute(sql, &[&incident, &seq, &event_id, &line])
                            .await?;
                        tx.commit().await
                    })
                    .expect("bare insert");
                },
            )
        };
        println!("{}", reference.line("bare INSERT+COMMIT", writers));
        println!(
            "| ratio warroom / bare (throughput: bare / warroom) | {writers} | | {:.2}x | {:.2}x | {:.2}x |",
            ms(run.pct(0.5)) / ms(reference.pct(0.5)),
            ms(run.pct(0.99)) / ms(reference.pct(0.99)),
            reference.per_second() / run.per_second()
        );
        // Two more references, to tell apart what the bare insert does not pay: the same insert
        // with a `pg_notify` in its transaction (PostgreSQL serialises the commits of notifying
        // transactions), and the same insert and notify queued on the incident's head row, as
        // a chain must be (entry n+1 is decided after entry n commits).
        for locked in [false, true] {
            let line = sample.clone();
            let url = url.clone();
            let floor = measure(
                writers,
                seconds,
                move |_| bare(&url),
                move |b, w, i| {
                    let incident = if locked && !spread {
                        format!("HEAD-{writers}")
                    } else {
                        format!("NOTIFY-{writers}-{spread}-{locked}-{w}")
                    };
                    let event_id = format!("n-{writers}-{spread}-{locked}-{w}-{i}");
                    b.rt.block_on(async {
                        let tx = b.client.transaction().await?;
                        let seq: i64 = if locked {
                            tx.execute(
                                "INSERT INTO bare_heads (incident, seq) VALUES ($1, 0) \
                                 ON CONFLICT DO NOTHING",
                                &[&incident],
                            )
                            .await?;
                            let row = tx
                                .query_one(
                                    "SELECT seq FROM bare_heads WHERE incident = $1 FOR UPDATE",
                                    &[&incident],
                                )
                                .await?;
                            row.get::<_, i64>(0) + 1
                        } else {
                            i as i64 + 1
                        };
                        tx.execute(
                            "INSERT INTO bare_events (incident, seq, event_id, line) \
                             VALUES ($1, $2, $3, $4)",
                            &[&incident, &seq, &event_id, &line],
                        )
                        .await?;
                        if locked {
                            tx.execute(
                                "UPDATE bare_heads SET seq = $2 WHERE incident = $1",
                                &[&incident, &seq],
                            )
                            .await?;
                        }
                        let payload = format!("{incident}:{seq}");
                        tx.execute("SELECT pg_notify('bare_bench', $1)", &[&payload])
                            .await?;
                        tx.commit().await
                    })
                    .expect("bare insert with notify");
                },
            );
            let what = if locked {
                "bare INSERT+NOTIFY+COMMIT, queued on a head row FOR UPDATE"
            } else {
                "bare INSERT+NOTIFY+COMMIT"
            };
            println!("{}", floor.line(what, writers));
            println!(
                "| ratio warroom / that (throughput: that / warroom) | {writers} | | {:.2}x | {:.2}x | {:.2}x |",
                ms(run.pct(0.5)) / ms(floor.pct(0.5)),
                ms(run.pct(0.99)) / ms(floor.pct(0.99)),
                floor.per_second() / run.per_second()
            );
        }
    }

    println!();
    let s = store(&url);
    let records = records(replay_n);
    let t = Instant::now();
    s.import("INC-1000", &records)
        .expect("copy the replay incident in");
    println!(
        "replay: {replay_n}-entry incident copied in ({} bytes of lines) in {:.2?}",
        records.iter().map(|r| r.line().len() + 1).sum::<usize>(),
        t.elapsed()
    );
    let mut opens = Vec::new();
    let mut selects = Vec::new();
    let b = bare(&url);
    for _ in 0..5 {
        let t = Instant::now();
        let j = s.open("INC-1000").expect("replay");
        assert_eq!(j.records().len(), replay_n);
        opens.push(t.elapsed());
        drop(j);
        let t = Instant::now();
        let rows =
            b.rt.block_on(b.client.query(
                "SELECT seq, event_id, line FROM warroom_events WHERE incident = $1 ORDER BY seq",
                &[&"INC-1000"],
            ))
            .expect("select");
        assert_eq!(rows.len(), replay_n);
        selects.push(t.elapsed());
    }
    opens.sort();
    selects.sort();
    println!(
        "replay: open (read, check every hash, fold) median {:.0} ms (min {:.0} ms) vs the bare \
         SELECT of the same rows median {:.0} ms (min {:.0} ms), 5 runs each",
        ms(opens[2]),
        ms(opens[0]),
        ms(selects[2]),
        ms(selects[0])
    );
    println!("store_pg: load average at end: {}", loadavg());
}
