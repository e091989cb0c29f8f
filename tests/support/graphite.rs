//! A real StatsD → carbon → graphite-web stack for the Graphite tests, on free loopback ports
//! with all storage in a temp dir: Debian's `carbon-cache` in the foreground (retention
//! `1s:1h`), graphite-web under Debian's `/usr/bin/python3` (Django's dev server, after
//! `graphite-manage migrate` on a throwaway sqlite database), and Etsy's `statsd` under node
//! flushing every second to carbon. Each is polled for readiness with a deadline and killed
//! when the stack is dropped, even on panic.
//!
//! When a part is missing: outside CI the test prints a loud `SKIPPED: …` and returns; under
//! `CI=true` it panics (CI must run them). `STATSD_DIR` names the directory holding statsd's
//! `stats.js` (default `/opt/statsd/node_modules/statsd`).
#![allow(dead_code)]

use super::servers::{find_binary, free_port, http_status};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_WITHIN: Duration = Duration::from_secs(90);
const PYTHON: &str = "/usr/bin/python3";
const GRAPHITE_WEB: &str = "/usr/lib/python3/dist-packages/graphite";

/// The running stack; every process is killed on drop.
pub struct Graphite {
    /// graphite-web's base URL.
    pub url: String,
    /// Where statsd listens for UDP.
    pub statsd: String,
    /// carbon's plaintext line receiver (`127.0.0.1:PORT`).
    pub carbon: String,
    pub dir: tempfile::TempDir,
    children: Vec<(&'static str, Child)>,
    socket: UdpSocket,
}

impl Drop for Graphite {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn missing(what: &str) -> Option<Graphite> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI must run the Graphite tests");
    }
    eprintln!();
    eprintln!("************************************************************");
    eprintln!("SKIPPED: {what} not installed");
    eprintln!("************************************************************");
    None
}

fn statsd_dir() -> PathBuf {
    std::env::var_os("STATSD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/statsd/node_modules/statsd"))
}

impl Graphite {
    /// Everything each part printed so far (for failure messages).
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for name in ["carbon", "web", "statsd", "migrate"] {
            let text = std::fs::read_to_string(self.dir.path().join(format!("{name}.log")))
                .unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            out.push_str(&format!("--- {name}\n"));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    /// Sends one StatsD line (`checkout.errors:1|c`, `checkout.latency:250|ms`) over UDP.
    pub fn send(&self, line: &str) {
        self.socket
            .send_to(line.as_bytes(), &self.statsd)
            .expect("send to statsd");
    }

    /// Starts the stack, or `None` (SKIPPED) when a part is not installed outside CI.
    pub fn start() -> Option<Graphite> {
        let Some(carbon) = find_binary(&["carbon-cache"]) else {
            return missing("carbon-cache (Debian graphite-carbon)");
        };
        if !Path::new(PYTHON).is_file() || !Path::new(GRAPHITE_WEB).is_dir() {
            return missing("graphite-web (Debian graphite-web, under /usr/bin/python3)");
        }
        let Some(node) = find_binary(&["node", "nodejs"]) else {
            return missing("node (for statsd)");
        };
        let stats_js = statsd_dir().join("stats.js");
        if !stats_js.is_file() {
            return missing(&format!("statsd ({} not found)", stats_js.display()));
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["storage/whisper", "storage/lists", "log", "weblog", "web"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let (line_port, pickle_port, query_port) = (free_port(), free_port(), free_port());
        let (web_port, statsd_port, mgmt_port) = (free_port(), free_port(), free_port());
        let path = |p: &str| d.join(p).display().to_string();
        std::fs::write(
            d.join("carbon.conf"),
            format!(
                "[cache]\n\
                 STORAGE_DIR = {storage}/\n\
                 LOCAL_DATA_DIR = {storage}/whisper/\n\
                 WHITELISTS_DIR = {storage}/lists/\n\
                 CONF_DIR = {conf}/\n\
                 LOG_DIR = {log}/\n\
                 PID_DIR = {conf}/\n\
                 DATABASE = whisper\n\
                 ENABLE_LOGROTATION = False\n\
                 MAX_CACHE_SIZE = inf\n\
                 MAX_UPDATES_PER_SECOND = inf\n\
                 MAX_CREATES_PER_MINUTE = inf\n\
                 LINE_RECEIVER_INTERFACE = 127.0.0.1\n\
                 LINE_RECEIVER_PORT = {line_port}\n\
                 ENABLE_UDP_LISTENER = False\n\
                 PICKLE_RECEIVER_INTERFACE = 127.0.0.1\n\
                 PICKLE_RECEIVER_PORT = {pickle_port}\n\
                 CACHE_QUERY_INTERFACE = 127.0.0.1\n\
                 CACHE_QUERY_PORT = {query_port}\n\
                 CACHE_WRITE_STRATEGY = sorted\n",
                storage = path("storage"),
                conf = d.display(),
                log = path("log"),
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("storage-schemas.conf"),
            "[everything]\npattern = .*\nretentions = 1s:1h\n",
        )
        .unwrap();
        std::fs::write(
            d.join("web/warroom_graphite_settings.py"),
            format!(
                "SECRET_KEY = 'warroom-test-only'\n\
                 CONF_DIR = '{web}'\n\
                 STORAGE_DIR = '{storage}'\n\
                 WHISPER_DIR = '{storage}/whisper'\n\
                 STANDARD_DIRS = ['{storage}/whisper']\n\
                 INDEX_FILE = '{storage}/index'\n\
                 LOG_DIR = '{weblog}'\n\
                 CARBONLINK_HOSTS = ['127.0.0.1:{query_port}']\n\
                 DEFAULT_XFILES_FACTOR = 0\n\
                 DATABASES = {{'default': {{'NAME': '{db}', 'ENGINE': 'django.db.backends.sqlite3'}}}}\n",
                web = path("web"),
                storage = path("storage"),
                weblog = path("weblog"),
                db = path("graphite.db"),
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("statsd.js"),
            format!(
                "{{ graphiteHost: '127.0.0.1', graphitePort: {line_port}, address: '127.0.0.1', \
                 port: {statsd_port}, mgmt_address: '127.0.0.1', mgmt_port: {mgmt_port}, \
                 flushInterval: 1000, backends: ['./backends/graphite'] }}\n"
            ),
        )
        .unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut g = Graphite {
            url: format!("http://127.0.0.1:{web_port}"),
            statsd: format!("127.0.0.1:{statsd_port}"),
            carbon: format!("127.0.0.1:{line_port}"),
            dir,
            children: Vec::new(),
            socket,
        };
        let web_dir = g.dir.path().join("web");
        let web_env = |c: &mut Command| {
            c.env("GRAPHITE_SETTINGS_MODULE", "warroom_graphite_settings")
                .env("PYTHONPATH", &web_dir)
                .env("DJANGO_SETTINGS_MODULE", "graphite.settings");
        };
        // The throwaway database first (graphite-web refuses to serve without its tables).
        let mut migrate = Command::new(PYTHON);
        migrate.args(["-m", "django", "migrate", "--run-syncdb", "-v0"]);
        web_env(&mut migrate);
        let status = g
            .spawn("migrate", migrate)
            .wait()
            .expect("wait for graphite-manage migrate");
        assert!(status.success(), "migrate failed:\n{}", g.logs());

        let mut c = Command::new(PYTHON);
        c.arg(&carbon).args([
            &format!("--config={}", g.dir.path().join("carbon.conf").display()),
            "--nodaemon",
            "start",
        ]);
        let child = g.spawn("carbon", c);
        g.children.push(("carbon", child));

        let mut c = Command::new(PYTHON);
        c.args([
            "-m",
            "django",
            "runserver",
            &format!("127.0.0.1:{web_port}"),
            "--noreload",
        ]);
        web_env(&mut c);
        let child = g.spawn("web", c);
        g.children.push(("web", child));

        let mut c = Command::new(node);
        c.arg(&stats_js)
            .arg(g.dir.path().join("statsd.js"))
            .current_dir(statsd_dir());
        let child = g.spawn("statsd", c);
        g.children.push(("statsd", child));

        let web = format!("127.0.0.1:{web_port}");
        let mgmt = format!("127.0.0.1:{mgmt_port}");
        let carbon_line = g.carbon.clone();
        g.wait_ready("carbon", || connects(&carbon_line));
        g.wait_ready("statsd", || connects(&mgmt));
        g.wait_ready("graphite-web", || {
            http_status(&web, "/version") == Some(200)
        });
        Some(g)
    }

    fn spawn(&self, name: &str, mut c: Command) -> Child {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let err = log.try_clone().unwrap();
        c.stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"))
    }

    fn wait_ready(&mut self, what: &str, ready: impl Fn() -> bool) {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if ready() {
                return;
            }
            let exited = self
                .children
                .iter_mut()
                .find_map(|(name, c)| c.try_wait().ok().flatten().map(|s| (*name, s)));
            if let Some((name, status)) = exited {
                panic!("{name} exited ({status}) before ready:\n{}", self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "{what} not ready within {READY_WITHIN:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn connects(addr: &str) -> bool {
    addr.parse()
        .ok()
        .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).ok())
        .is_some()
}
