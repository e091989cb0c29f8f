//! Alert backend benchmark: `cargo bench --bench backends`.
//!
//! Starts a real Alertmanager (Debian's `prometheus-alertmanager`) on a loopback port, posts
//! 10,000 alerts (50 services), then measures, against the same server:
//!
//! 1. `warroom_client_fetch_decode_merge`: `Alertmanager::alerts` (GET /api/v2/alerts, read,
//!    decode into `Alert`s) plus `AlertBoard::report_ok` + `merged()`, in process;
//! 2. `warroom_binary_alerts_json`: the `warroom alerts --json` process (start, config, fetch,
//!    decode, merge, print JSON to a pipe);
//! 3. `raw_fetch` (what the server and the wire cost: GET and read the body, no decoding) and
//!    `warroom_decode_merge` (decode a body fetched beforehand + merge: warroom's own cost);
//! 4. `amtool_query_json`: the `amtool alert query -o json --alertmanager.url=…` process (start,
//!    fetch, decode, print JSON to a pipe) — the reference.
//!
//! After the run, the medians and the ratios measured in this process are printed. Skips
//! (loudly) when Alertmanager or amtool is not installed.

#[path = "../tests/support/servers.rs"]
mod servers;
#[path = "support/mod.rs"]
mod support;
use support::loadavg;

use criterion::{Criterion, SamplingMode};
use serde_json::{Value, json};
use std::fs::{self, File};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};
use warroom::backends::alertmanager::{AlertFilter, Alertmanager, parse_alerts};
use warroom::backends::{Endpoint, http_client};
use warroom::domain::AlertBoard;

const ALERTS: usize = 10_000;

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn alerts() -> Value {
    Value::Array(
        (0..ALERTS)
            .map(|n| {
                json!({
                    "labels": {
                        "alertname": format!("Load{}", n % 200),
                        "service": format!("svc{}", n % 50),
                        "instance": format!("10.0.{}.{}:9100", n / 250, n % 250),
                        "severity": if n % 3 == 0 { "critical" } else { "warning" },
                    },
                    "annotations": {
                        "summary": format!("instance {n} is over its error budget"),
                        "runbook_url": "https://runbooks.example/load",
                    },
                    "generatorURL": "http://prometheus.example/graph?g0.expr=up",
                })
            })
            .collect(),
    )
}

/// The median (ns) of one benchmark, if it was measured by this process.
fn median_ns(out: &Path, group: &str, name: &str, since: SystemTime) -> Option<f64> {
    let path = out.join(group).join(name).join("new/estimates.json");
    let fresh = fs::metadata(&path).ok()?.modified().ok()? >= since;
    if !fresh {
        return None;
    }
    let v: Value = serde_json::from_reader(File::open(&path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn ms(ns: f64) -> String {
    format!("{:.2} ms", ns / 1e6)
}

fn run_quiet(cmd: &mut Command) -> usize {
    let out = cmd.stderr(Stdio::null()).output().expect("run");
    assert!(out.status.success(), "{cmd:?} failed");
    out.stdout.len()
}

fn main() {
    let Some(am) = servers::alertmanager(None) else {
        return;
    };
    let Some(amtool) = servers::require(
        "amtool (Debian package prometheus-alertmanager)",
        &["amtool"],
    ) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Alertmanager::new(
        Endpoint::new(
            http_client().expect("http"),
            &am.url,
            Duration::from_secs(30),
        )
        .expect("endpoint"),
    );
    rt.block_on(async {
        servers::post_alerts(&am.url, &alerts()).await;
        servers::eventually("10,000 alerts listed", Duration::from_secs(60), || async {
            let n = client.alerts(&AlertFilter::default()).await.ok()?.len();
            (n == ALERTS).then_some(())
        })
        .await;
    });

    let config = am.dir.path().join("config.toml");
    fs::write(
        &config,
        format!(
            "[[alertmanager]]\nurl = \"{}\"\n[alerts]\ntimeout = \"30s\"\n",
            am.url
        ),
    )
    .expect("write config");
    let warroom_cmd = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
        c.env("WARROOM_CONFIG", &config)
            .env("WARROOM_DATA_DIR", am.dir.path().join("data"))
            .args(["alerts", "--json"]);
        c
    };
    let amtool_cmd = || {
        let mut c = Command::new(&amtool);
        c.args([
            "alert",
            "query",
            "-o",
            "json",
            &format!("--alertmanager.url={}", am.url),
        ]);
        c
    };
    // Same answer from both: every alert.
    let amtool_out = amtool_cmd().output().expect("amtool");
    let amtool_n = serde_json::from_slice::<Value>(&amtool_out.stdout)
        .ok()
        .and_then(|v| v.as_array().map(Vec::len));
    let warroom_out = warroom_cmd().output().expect("warroom");
    let warroom_n = serde_json::from_slice::<Value>(&warroom_out.stdout)
        .ok()
        .and_then(|v| v["alerts"].as_array().map(Vec::len));
    assert_eq!(amtool_n, Some(ALERTS), "amtool lists every alert");
    assert_eq!(warroom_n, Some(ALERTS), "warroom lists every alert");
    println!(
        "alertmanager {} at {}; {ALERTS} alerts; /api/v2/alerts body {} bytes; cores {}",
        rt.block_on(client.status())
            .map(|s| s.version)
            .unwrap_or_default(),
        am.url,
        rt.block_on(fetch_body(&am.url)).len(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    println!("load average at start: {}", loadavg());
    let started = SystemTime::now();
    let out = target_dir().join("criterion");
    let mut c = Criterion::default()
        .output_directory(&out)
        .sample_size(20)
        .measurement_time(Duration::from_secs(15))
        .configure_from_args();
    let mut group = c.benchmark_group("alerts_10k");
    // Iterations of 0.06–0.6 s: the same count per sample keeps each inside its time.
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("warroom_client_fetch_decode_merge", |b| {
        b.iter(|| {
            let alerts = rt
                .block_on(client.alerts(&AlertFilter::default()))
                .expect("alerts");
            let mut board = AlertBoard::with_sources(["am"]);
            board.report_ok("am", alerts, chrono::Utc::now());
            black_box(board.merged().len())
        })
    });
    let body = rt.block_on(fetch_body(&am.url));
    assert!(!body.is_empty());
    group.bench_function("raw_fetch", |b| {
        b.iter(|| black_box(rt.block_on(fetch_body(&am.url)).len()))
    });
    group.bench_function("warroom_decode_merge", |b| {
        b.iter(|| {
            let alerts = parse_alerts(&body).expect("decode");
            let mut board = AlertBoard::with_sources(["am"]);
            board.report_ok("am", alerts, chrono::Utc::now());
            black_box(board.merged().len())
        })
    });
    group.bench_function("warroom_binary_alerts_json", |b| {
        b.iter(|| black_box(run_quiet(&mut warroom_cmd())))
    });
    group.bench_function("amtool_query_json", |b| {
        b.iter(|| black_box(run_quiet(&mut amtool_cmd())))
    });
    group.finish();
    c.final_summary();

    println!("load average at end: {}", loadavg());
    let get = |name| median_ns(&out, "alerts_10k", name, started);
    if let (Some(raw), Some(decode)) = (get("raw_fetch"), get("warroom_decode_merge")) {
        println!(
            "alerts_10k medians: raw fetch (server + wire) {} | warroom decode + merge {}",
            ms(raw),
            ms(decode)
        );
    }
    if let (Some(client), Some(binary), Some(amtool)) = (
        get("warroom_client_fetch_decode_merge"),
        get("warroom_binary_alerts_json"),
        get("amtool_query_json"),
    ) {
        println!(
            "alerts_10k medians: warroom client {} | warroom alerts --json {} | amtool alert query -o json {}",
            ms(client),
            ms(binary),
            ms(amtool)
        );
        println!(
            "ratios: amtool / warroom binary = {:.2}x; amtool / warroom client = {:.2}x",
            amtool / binary,
            amtool / client
        );
    }
}

/// The raw answer of `GET /api/v2/alerts` (empty on failure).
async fn fetch_body(url: &str) -> Vec<u8> {
    let Ok(c) = http_client() else {
        return Vec::new();
    };
    match c
        .get(format!("{url}/api/v2/alerts"))
        .timeout(Duration::from_secs(30))
        .send()
        .await
    {
        Ok(r) => r.bytes().await.map_or(Vec::new(), |b| b.to_vec()),
        Err(_) => Vec::new(),
    }
}
