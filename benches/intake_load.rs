//! The intake under a steady push rate: the release `warroom serve` (`WARROOM_BIN`, else
//! `target/release/warroom`) with one Alertmanager source, sent Alertmanager webhook pushes at
//! 1,000 a second for 10 seconds (open loop: each push leaves at its time whatever the answers
//! before it), over 1,000 distinct alerts, each push carrying its sequence number. Reported:
//! pushes answered 200, any other answer, latency p50/p99/max, whether the spool holds every
//! alert's last pushed state (nothing lost), and the server's peak resident memory (`VmHWM`).
//!
//! The reference is the same posts to the same server with no `[[intake]]`: the route answers
//! 404 and discards the body, so the difference is the intake's own cost.
//!
//! `RATE` and `SECONDS_` change the load. Loopback only; a `harness = false` bench.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SECRET: &str = "bench-intake-secret-0123456789";

fn start(bin: &str, intake: bool) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut config = format!("[share]\nlisten = \"127.0.0.1:{port}\"\n");
    if intake {
        config.push_str("\n[[intake]]\nname = \"am\"\nkind = \"alertmanager\"\nsecret_env = \"BENCH_SECRET\"\nrate = 100000\n");
    }
    std::fs::write(dir.path().join("config.toml"), config).expect("config");
    let child = Command::new(bin)
        .env_remove("WARROOM_STORE_URL")
        .env("WARROOM_DATA_DIR", dir.path().join("data"))
        .env("WARROOM_CONFIG", dir.path().join("config.toml"))
        .env("BENCH_SECRET", SECRET)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "warroom serve did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        url: format!("http://{addr}/v1/intake/am"),
        dir,
    }
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn body(seq: usize, alerts: usize) -> String {
    let n = seq % alerts;
    serde_json::json!({
        "version": "4", "groupKey": format!("{{}}:{{service=\"svc-{n}\"}}"), "truncatedAlerts": 0,
        "status": "firing", "receiver": "warroom", "groupLabels": {"service": format!("svc-{n}")},
        "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
        "alerts": [{"status": "firing",
            "labels": {"alertname": "HighErrorRate", "service": format!("svc-{n}"), "severity": "critical"},
            "annotations": {"summary": "5xx above 5%", "seq": seq.to_string()},
            "startsAt": "2026-01-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": format!("fp{n:04}")}]
    })
    .to_string()
}

struct Outcome {
    statuses: HashMap<u16, usize>,
    failed: usize,
    latencies: Vec<Duration>,
    /// fingerprint → highest seq answered 200.
    last_ok: HashMap<String, usize>,
}

async fn run(url: &str, rate: usize, seconds: usize, alerts: usize) -> Outcome {
    let client = warroom::backends::http_client().expect("client");
    let total = rate * seconds;
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for seq in 0..total {
        let at = start + Duration::from_micros((seq as u64) * 1_000_000 / rate as u64);
        tokio::time::sleep_until(at).await;
        let client = client.clone();
        let url = url.to_string();
        let body = body(seq, alerts);
        tasks.spawn(async move {
            let t = Instant::now();
            let r = client
                .post(&url)
                .bearer_auth(SECRET)
                .header("content-type", "application/json")
                .timeout(Duration::from_secs(30))
                .body(body)
                .send()
                .await;
            let status = match r {
                Ok(resp) => {
                    let s = resp.status().as_u16();
                    let _ = resp.bytes().await;
                    Some(s)
                }
                Err(_) => None,
            };
            (seq, status, t.elapsed())
        });
    }
    let mut out = Outcome {
        statuses: HashMap::new(),
        failed: 0,
        latencies: Vec::with_capacity(total),
        last_ok: HashMap::new(),
    };
    while let Some(r) = tasks.join_next().await {
        let (seq, status, took) = r.expect("task");
        out.latencies.push(took);
        match status {
            Some(s) => {
                *out.statuses.entry(s).or_default() += 1;
                if s == 200 {
                    let fp = format!("fp{:04}", seq % alerts);
                    let e = out.last_ok.entry(fp).or_insert(seq);
                    *e = (*e).max(seq);
                }
            }
            None => out.failed += 1,
        }
    }
    out.latencies.sort();
    out
}

fn pct(v: &[Duration], p: f64) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    format!("{:.1} ms", v[i].as_secs_f64() * 1000.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let bin = std::env::var("WARROOM_BIN").unwrap_or_else(|_| "target/release/warroom".into());
    if !std::path::Path::new(&bin).exists() {
        eprintln!("SKIPPED: {bin} not built (cargo build --release)");
        return;
    }
    let rate: usize = std::env::var("RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let seconds: usize = std::env::var("SECONDS_")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let alerts = 1000;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "intake_load: {rate} pushes/s for {seconds} s over {alerts} alerts, loadavg {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "| server | answers | other / failed | p50 | p99 | max | last state of every alert kept | VmHWM |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for intake in [false, true] {
        let server = start(&bin, intake);
        let pid = server.child.id();
        let before = status_kb(pid, "VmHWM:");
        let out = runtime.block_on(run(&server.url, rate, seconds, alerts));
        std::thread::sleep(Duration::from_millis(500));
        let hwm = status_kb(pid, "VmHWM:");
        let kept = if intake {
            let spool = warroom::backends::intake::load(&warroom::backends::intake::spool_path(
                &server.dir.path().join("data"),
                "am",
            ))
            .expect("spool");
            let lost = out
                .last_ok
                .iter()
                .filter(|(fp, seq)| {
                    !spool.alerts.iter().any(|a| {
                        &a.fingerprint == *fp
                            && a.annotations.get("seq") == Some(&seq.to_string()[..])
                    })
                })
                .count();
            format!(
                "{} of {} ({lost} lost)",
                out.last_ok.len() - lost,
                out.last_ok.len()
            )
        } else {
            "- (discarded)".into()
        };
        let mut answers: Vec<_> = out.statuses.iter().collect();
        answers.sort();
        let main_status = if intake { 200 } else { 404 };
        let others: usize = out
            .statuses
            .iter()
            .filter(|(s, _)| **s != main_status)
            .map(|(_, n)| n)
            .sum();
        println!(
            "| {} | {} × {main_status} | {others} / {} | {} | {} | {} | {kept} | {} MB (at start {} MB) |",
            if intake {
                "with [[intake]]"
            } else {
                "reference: no intake, 404 discards"
            },
            out.statuses.get(&main_status).copied().unwrap_or(0),
            out.failed,
            pct(&out.latencies, 0.5),
            pct(&out.latencies, 0.99),
            pct(&out.latencies, 1.0),
            hwm / 1024,
            before / 1024,
        );
        drop(server);
    }
}
