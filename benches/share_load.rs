//! Load generator for the share server (run by `benches/share-load.sh`, which starts
//! `warroom serve`; not a criterion benchmark).
//!
//! Connects N followers (the real follower client: SSE, hash chain checked) to one shared
//! incident (spread in turn over every `--url` given: several share servers of one store), then appends notes with the real `warroom note` at a steady rate, each carrying
//! the wall-clock time taken just before the CLI started, and measures when every follower
//! received each note: append-to-follower latency p50/p99/max over all (note, follower) pairs.
//! It also reads the server's CPU time from `/proc/<pid>/stat` while idle with every follower
//! connected, and over the append phase.
//!
//! Bounded: loopback URLs only, at most 1,000 followers and 10,000 appends, and it gives up
//! after the append phase plus 60 s whatever happens.
//!
//! `cargo bench --bench share_load` with no arguments prints this usage and exits 0.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use warroom::share::follower::{self, FollowEvent, Target};

const USAGE: &str = "usage: share_load --url http://127.0.0.1:PORT/v1/incidents/INC-N --token T \
--warroom PATH --server-pid PID [--followers 200] [--rate 20] [--seconds 30] \
(--url and --server-pid may be repeated: followers are spread over the servers)";

struct Args {
    urls: Vec<String>,
    token: String,
    warroom: String,
    server_pids: Vec<u32>,
    followers: usize,
    rate: u32,
    seconds: u32,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut it = std::env::args().skip(1).filter(|a| a != "--bench");
    let (mut urls, mut token, mut warroom, mut pids) = (Vec::new(), None, None, Vec::new());
    let (mut followers, mut rate, mut seconds) = (200usize, 20u32, 30u32);
    let mut any = false;
    while let Some(flag) = it.next() {
        any = true;
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => urls.push(value()?),
            "--token" => token = Some(value()?),
            "--warroom" => warroom = Some(value()?),
            "--server-pid" => pids.push(value()?.parse().map_err(|_| "--server-pid: a pid")?),
            "--followers" => followers = value()?.parse().map_err(|_| "--followers: a number")?,
            "--rate" => rate = value()?.parse().map_err(|_| "--rate: a number")?,
            "--seconds" => seconds = value()?.parse().map_err(|_| "--seconds: a number")?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !any {
        return Ok(None);
    }
    let args = Args {
        urls,
        token: token.ok_or("--token is required")?,
        warroom: warroom.ok_or("--warroom is required")?,
        server_pids: pids,
        followers,
        rate,
        seconds,
    };
    if args.urls.is_empty() || args.server_pids.is_empty() {
        return Err("--url and --server-pid are required".into());
    }
    for url in &args.urls {
        let host = url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or("");
        let loopback = host.starts_with("127.")
            || host.starts_with("localhost:")
            || host.starts_with("[::1]:");
        if !loopback {
            return Err(format!("{url}: only loopback servers may be loaded"));
        }
    }
    if !(1..=1_000).contains(&args.followers) {
        return Err("--followers: 1 to 1000".into());
    }
    if args.rate == 0 || args.rate > 200 || args.seconds == 0 || args.rate * args.seconds > 10_000 {
        return Err("--rate × --seconds: at most 10,000 appends, rate 1..200".into());
    }
    Ok(Some(args))
}

/// utime + stime of every process in `pids`, in seconds.
fn cpu_seconds(pids: &[u32]) -> Option<f64> {
    pids.iter().map(|p| cpu_of(*p)).sum()
}

/// utime + stime of `pid`, in seconds.
fn cpu_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After "pid (comm) ": state is field 3, utime 14, stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = if ticks > 0 { ticks as f64 } else { 100.0 };
    Some((utime + stime) / ticks)
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// What every follower saw: per follower, the notes received (by number) and the latencies.
#[derive(Default)]
struct Seen {
    connected: Vec<bool>,
    notes: Vec<Vec<bool>>,
    latencies_us: Vec<u64>,
    duplicates: usize,
    stopped: Vec<String>,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}\n(run benches/share-load.sh)");
            return;
        }
        Err(e) => {
            eprintln!("share_load: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    // A socket per follower: the soft limit raised to the hard one, and room left for them.
    let limit = warroom::fds::raise_soft_limit();
    if let Some(limit) = limit
        && limit < args.followers as u64 + 64
    {
        eprintln!(
            "share_load: {} followers need {} file descriptors; the limit is {limit} (ulimit -n)",
            args.followers,
            args.followers + 64
        );
        std::process::exit(2);
    }
    let mut targets = Vec::new();
    for url in &args.urls {
        match Target::parse(url) {
            Ok(t) => targets.push(t),
            Err(e) => {
                eprintln!("share_load: {e}");
                std::process::exit(2);
            }
        }
    }
    let target = targets[0].clone();
    let total = (args.rate * args.seconds) as usize;
    let seen = Arc::new(Mutex::new(Seen {
        connected: vec![false; args.followers],
        notes: vec![vec![false; total]; args.followers],
        ..Seen::default()
    }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("share_load: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let client = match warroom::backends::http_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("share_load: {e}");
            std::process::exit(1);
        }
    };
    let mut tasks = Vec::new();
    for n in 0..args.followers {
        let seen = seen.clone();
        let send = move |e: FollowEvent| {
            let got = now_nanos();
            let Ok(mut s) = seen.lock() else {
                return false;
            };
            match e {
                FollowEvent::Entries(entries) => {
                    s.connected[n] = true;
                    for entry in entries {
                        let warroom::domain::Event::Note { text, .. } = &entry.event else {
                            continue;
                        };
                        // "load <i> <nanos before the CLI started>"
                        let mut w = text.split_whitespace();
                        let (Some("load"), Some(i), Some(t)) = (w.next(), w.next(), w.next())
                        else {
                            continue;
                        };
                        let (Ok(i), Ok(t)) = (i.parse::<usize>(), t.parse::<u128>()) else {
                            continue;
                        };
                        if i >= total {
                            continue;
                        }
                        if s.notes[n][i] {
                            s.duplicates += 1;
                        }
                        s.notes[n][i] = true;
                        s.latencies_us
                            .push((got.saturating_sub(t) / 1_000).min(u64::MAX as u128) as u64);
                    }
                }
                FollowEvent::Stopped(why) => s.stopped.push(why),
                _ => {}
            }
            true
        };
        tasks.push(runtime.spawn(follower::follow(
            client.clone(),
            targets[n % targets.len()].clone(),
            args.token.clone(),
            send,
        )));
    }

    // Every follower has the backlog: connected.
    let connect_deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (n, stopped) = match seen.lock() {
            Ok(s) => (
                s.connected.iter().filter(|c| **c).count(),
                s.stopped.clone(),
            ),
            Err(_) => (0, vec![]),
        };
        if !stopped.is_empty() {
            eprintln!("share_load: a follower stopped: {}", stopped[0]);
            std::process::exit(1);
        }
        if n == args.followers {
            break;
        }
        if Instant::now() > connect_deadline {
            eprintln!(
                "share_load: only {n} of {} followers connected in 30 s",
                args.followers
            );
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("followers connected: {}", args.followers);

    // Idle, everyone connected.
    let idle_for = Duration::from_secs(5);
    let (c0, t0) = (cpu_seconds(&args.server_pids), Instant::now());
    std::thread::sleep(idle_for);
    let idle_cpu = match (c0, cpu_seconds(&args.server_pids)) {
        (Some(a), Some(b)) => Some(100.0 * (b - a) / t0.elapsed().as_secs_f64()),
        _ => None,
    };

    // Appends at a steady rate, with the real CLI.
    let id = target.id.clone();
    let every = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let (c1, t1) = (cpu_seconds(&args.server_pids), Instant::now());
    let mut cli_ms: Vec<u64> = Vec::with_capacity(total);
    let mut failed = 0usize;
    // Each note at a random point of its slot: still RATE a second, but not in step with any
    // period of the server's (a fixed phase would measure one point of such a cycle).
    let mut jitter: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..total {
        jitter ^= jitter << 13;
        jitter ^= jitter >> 7;
        jitter ^= jitter << 17;
        let offset = every.mul_f64((jitter % 1_000) as f64 / 1_000.0);
        let due = t1 + every * i as u32 + offset;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let before = now_nanos();
        let started = Instant::now();
        let ok = Command::new(&args.warroom)
            .args(["note", &id, &format!("load {i} {before}")])
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        cli_ms.push(started.elapsed().as_millis() as u64);
        if !ok {
            failed += 1;
        }
    }
    let append_wall = t1.elapsed();
    let append_cpu = match (c1, cpu_seconds(&args.server_pids)) {
        (Some(a), Some(b)) => Some(100.0 * (b - a) / append_wall.as_secs_f64()),
        _ => None,
    };

    // Let the last ones arrive (at most 60 s).
    let drain_deadline = Instant::now() + Duration::from_secs(60);
    let complete = loop {
        let done = seen
            .lock()
            .map(|s| s.notes.iter().all(|f| f.iter().all(|x| *x)))
            .unwrap_or(false);
        if done || Instant::now() > drain_deadline {
            break done;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    for t in &tasks {
        t.abort();
    }
    let Ok(s) = seen.lock() else {
        eprintln!("share_load: results lost");
        std::process::exit(1);
    };
    let mut lat = s.latencies_us.clone();
    lat.sort_unstable();
    let missing: usize = s
        .notes
        .iter()
        .map(|f| f.iter().filter(|x| !**x).count())
        .sum();
    cli_ms.sort_unstable();
    let ms = |us: u64| us as f64 / 1_000.0;
    println!(
        "appends: {total} at {}/s over {:.1} s ({failed} failed)",
        args.rate,
        append_wall.as_secs_f64()
    );
    println!(
        "warroom note itself: p50 {} ms, p99 {} ms",
        percentile(&cli_ms, 50.0),
        percentile(&cli_ms, 99.0)
    );
    println!(
        "append-to-follower latency over {} deliveries: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 99.0)),
        ms(lat.last().copied().unwrap_or(0))
    );
    println!(
        "missing deliveries: {missing}, duplicates: {}, followers stopped: {}",
        s.duplicates,
        s.stopped.len()
    );
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.1}% of one core"));
    println!(
        "server CPU: idle with {} followers {}; during appends {}",
        args.followers,
        pct(idle_cpu),
        pct(append_cpu)
    );
    if !complete || failed > 0 {
        std::process::exit(1);
    }
}
