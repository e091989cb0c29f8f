//! Real Alertmanager, Prometheus and Pushgateway servers for the backend tests: each started
//! as a child process on a free loopback port with its storage in a temp dir, polled for
//! readiness with a deadline (never a fixed sleep), and killed when dropped.
//!
//! When a binary is missing: outside CI the test prints a loud `SKIPPED: …` and returns;
//! under `CI=true` it panics (CI must run them).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to become ready.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A running server; killed (and its storage removed) on drop.
pub struct Server {
    /// Base URL, with the route prefix when one was given.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    pub dir: tempfile::TempDir,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Everything the server printed so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id (to signal it: `kill -HUP` reloads Prometheus).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it now (to test a source that goes away).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The first of `names` found on PATH.
pub fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The binary, or `None` after a loud SKIPPED message; panics under `CI=true`.
pub fn require(what: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = find_binary(names) {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed ({names:?} not on PATH), and CI must run these tests");
    }
    eprintln!();
    eprintln!("************************************************************");
    eprintln!(
        "SKIPPED: {what} not installed ({} not on PATH)",
        names.join(" / ")
    );
    eprintln!("************************************************************");
    None
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// `GET path` on `addr` with a short timeout; the status code, if any answer came.
pub fn http_status(addr: &str, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Starts `binary` with `args` in `dir` and waits until `GET ready_path` on `addr` answers 200.
pub fn start(
    what: &str,
    binary: &Path,
    args: Vec<String>,
    dir: tempfile::TempDir,
    addr: String,
    url: String,
    ready_path: &str,
) -> Server {
    let log = dir.path().join("server.log");
    let out = std::fs::File::create(&log).expect("create server log");
    let err = out.try_clone().expect("clone log handle");
    let child = Command::new(binary)
        .args(&args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what} ({}): {e}", binary.display()));
    let mut server = Server {
        url,
        addr,
        dir,
        child,
        log,
    };
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if http_status(&server.addr, ready_path) == Some(200) {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("{what} exited ({status}) before ready:\n{}", server.log());
        }
        if Instant::now() > deadline {
            let log = server.log();
            server.kill();
            panic!("{what} not ready within {READY_WITHIN:?} at {ready_path}:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Joins a route prefix such as `/api/alertmanager/grafana` to `path`.
fn prefixed(prefix: Option<&str>, path: &str) -> String {
    match prefix {
        Some(p) => format!("/{}{path}", p.trim_matches('/')),
        None => path.to_string(),
    }
}

/// A lone Alertmanager routing everything to a null receiver, grouped by `service`.
/// `route_prefix` serves it under a path (as Grafana does: `/api/alertmanager/grafana`).
pub fn alertmanager(route_prefix: Option<&str>) -> Option<Server> {
    let bin = require(
        "Alertmanager (Debian package prometheus-alertmanager)",
        &["prometheus-alertmanager", "alertmanager"],
    )?;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: 'null'\n  group_by: ['service']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: 'null'\n",
    )
    .expect("write alertmanager.yml");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let prefix = route_prefix.map(|p| format!("/{}", p.trim_matches('/')));
    let url = format!("http://{addr}{}", prefix.clone().unwrap_or_default());
    let mut args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", dir.path().join("data").display()),
        format!("--web.listen-address={addr}"),
        format!("--web.external-url={url}"),
        "--cluster.listen-address=".to_string(),
        "--log.level=warn".to_string(),
    ];
    if let Some(p) = &prefix {
        args.push(format!("--web.route-prefix={p}"));
    }
    let ready = prefixed(route_prefix, "/-/ready");
    Some(start("alertmanager", &bin, args, dir, addr, url, &ready))
}

/// A Pushgateway (its data in a temp file).
pub fn pushgateway() -> Option<Server> {
    let bin = require(
        "Pushgateway (Debian package prometheus-pushgateway)",
        &["prometheus-pushgateway", "pushgateway"],
    )?;
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let args = vec![
        format!("--web.listen-address={addr}"),
        format!(
            "--persistence.file={}",
            dir.path().join("pushgateway.data").display()
        ),
        "--log.level=warn".to_string(),
    ];
    let url = format!("http://{addr}");
    Some(start("pushgateway", &bin, args, dir, addr, url, "/-/ready"))
}

/// A Prometheus scraping `scrape` (a Pushgateway's `host:port`) every second and evaluating
/// `rules` (a rule file's YAML) every second.
pub fn prometheus(scrape: &str, rules: &str, route_prefix: Option<&str>) -> Option<Server> {
    let bin = require("Prometheus (Debian package prometheus)", &["prometheus"])?;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rules.yml"), rules).expect("write rules.yml");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - rules.yml\nscrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ['{scrape}']\n"
        ),
    )
    .expect("write prometheus.yml");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let prefix = route_prefix.map(|p| format!("/{}", p.trim_matches('/')));
    let url = format!("http://{addr}{}", prefix.clone().unwrap_or_default());
    let mut args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address={addr}"),
        "--rules.alert.resend-delay=1s".to_string(),
        "--log.level=warn".to_string(),
    ];
    if let Some(p) = &prefix {
        args.push(format!("--web.route-prefix={p}"));
        args.push(format!("--web.external-url={url}"));
    }
    let ready = prefixed(route_prefix, "/-/ready");
    Some(start("prometheus", &bin, args, dir, addr, url, &ready))
}

/// A Prometheus evaluating `rules` (its `rules.yml`) every second and sending its alerts to
/// the Alertmanager at `alertmanager` (`host:port`), resending every second; scrapes nothing.
/// [`set_rules`] changes the rules while it runs.
pub fn prometheus_alerting(rules: &str, alertmanager: &str) -> Option<Server> {
    let bin = require("Prometheus (Debian package prometheus)", &["prometheus"])?;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rules.yml"), rules).expect("write rules.yml");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  evaluation_interval: 1s\nrule_files:\n  - rules.yml\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{alertmanager}']\n"
        ),
    )
    .expect("write prometheus.yml");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address={addr}"),
        "--rules.alert.resend-delay=1s".to_string(),
        "--log.level=warn".to_string(),
    ];
    let url = format!("http://{addr}");
    Some(start("prometheus", &bin, args, dir, addr, url, "/-/ready"))
}

/// A Prometheus scraping the Pushgateway at `scrape` (`host:port`, its labels honoured) and
/// evaluating `rules` every second, sending its alerts to the Alertmanager at `alertmanager`
/// (`host:port`): the whole pipeline a live drill goes through. [`set_rules`] changes them.
pub fn prometheus_pipeline(scrape: &str, rules: &str, alertmanager: &str) -> Option<Server> {
    let bin = require("Prometheus (Debian package prometheus)", &["prometheus"])?;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rules.yml"), rules).expect("write rules.yml");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - rules.yml\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{alertmanager}']\nscrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ['{scrape}']\n"
        ),
    )
    .expect("write prometheus.yml");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address={addr}"),
        "--rules.alert.resend-delay=1s".to_string(),
        "--log.level=warn".to_string(),
    ];
    let url = format!("http://{addr}");
    Some(start("prometheus", &bin, args, dir, addr, url, "/-/ready"))
}

/// Rewrites the rules of a Prometheus from [`prometheus_alerting`] and has it reload them
/// (SIGHUP); the caller waits for the change to show.
pub fn set_rules(prometheus: &Server, rules: &str) {
    std::fs::write(prometheus.dir.path().join("rules.yml"), rules).expect("write rules.yml");
    let ok = Command::new("kill")
        .args(["-HUP", &prometheus.pid().to_string()])
        .status()
        .expect("run kill -HUP")
        .success();
    assert!(ok, "kill -HUP {} failed", prometheus.pid());
}

/// Posts alerts (Alertmanager API v2 `postableAlerts` JSON) as a Prometheus would.
pub async fn post_alerts(am_url: &str, alerts: &serde_json::Value) {
    let resp = warroom::backends::http_client()
        .expect("http client")
        .post(format!("{am_url}/api/v2/alerts"))
        .timeout(Duration::from_secs(30))
        .json(alerts)
        .send()
        .await
        .expect("post alerts");
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    assert!(status.is_success(), "posting alerts: {status}: {body}");
}

/// Replaces the metrics of `job` on a Pushgateway with `text` (exposition format).
pub async fn push(pushgateway_url: &str, job: &str, text: &str) {
    let resp = warroom::backends::http_client()
        .expect("http client")
        .put(format!("{pushgateway_url}/metrics/job/{job}"))
        .timeout(Duration::from_secs(10))
        .body(text.to_string())
        .send()
        .await
        .expect("push metrics");
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    assert!(status.is_success(), "pushing metrics: {status}: {body}");
}

/// Polls `check` every 100 ms until it returns `Some`, or panics naming `what` after
/// `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
