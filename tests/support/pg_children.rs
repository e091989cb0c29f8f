//! Writers on the PostgreSQL store as separate processes, as they would be on separate
//! machines: the test binary runs itself again (`--exact <CHILD_TEST>`) with
//! `WARROOM_PG_ROLE` saying what to do, and reads what it reports on stdout, one line each after [`MARK`]:
//! `READY`, `ACK <text>` once an append returned (the entry is committed), `ERR <text>: <why>`,
//! `ID <incident>`, `DONE`. Each child is killed when its handle is dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The test that plays a child's role (a no-op when not run as a child).
pub const CHILD_TEST: &str = "store_pg_concurrency::child_process_plays_its_role";

/// What each report line of a child starts with (the test harness may have written on the
/// same line before it).
pub const MARK: &str = "@@";

/// The environment variable naming the role.
pub const ROLE: &str = "WARROOM_PG_ROLE";

pub struct Child {
    pub name: String,
    process: std::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// A file whose creation starts every child waiting on it at the same moment.
pub struct Go {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Go {
    pub fn new() -> Go {
        let dir = tempfile::tempdir().unwrap();
        Go {
            path: dir.path().join("go"),
            _dir: dir,
        }
    }
    pub fn fire(&self) {
        std::fs::write(&self.path, "go").unwrap();
    }
}

/// Starts a child appending `count` notes `<name>-<i>` to `ids` in turn (on `url`, its
/// sessions named `warroom-<name>`), after `go` fires when given.
pub fn appender(url: &str, ids: &[String], name: &str, count: usize, go: Option<&Path>) -> Child {
    spawn(
        "append",
        name,
        &[
            ("WARROOM_PG_URL", url_named(url, name)),
            ("WARROOM_PG_IDS", ids.join(",")),
            ("WARROOM_PG_COUNT", count.to_string()),
            (
                "WARROOM_PG_GO",
                go.map(|p| p.display().to_string()).unwrap_or_default(),
            ),
        ],
    )
}

/// Starts a child that opens one incident once `go` fires.
pub fn opener(url: &str, name: &str, go: &Path) -> Child {
    spawn(
        "open",
        name,
        &[
            ("WARROOM_PG_URL", url_named(url, name)),
            ("WARROOM_PG_GO", go.display().to_string()),
        ],
    )
}

/// `url` with its sessions named `warroom-<name>` (seen in `pg_stat_activity`).
fn url_named(url: &str, name: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name=warroom-{name}")
}

fn spawn(role: &str, name: &str, env: &[(&str, String)]) -> Child {
    let exe = std::env::current_exe().expect("the test binary");
    let mut c = Command::new(exe);
    c.args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env("WARROOM_PG_NAME", name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut process = c.spawn().expect("start a child process");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let out = process.stdout.take().unwrap();
    let err = process.stderr.take().unwrap();
    let readers = vec![
        {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    lines.lock().unwrap().push(line);
                }
            })
        },
        {
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = BufReader::new(err).read_to_string(&mut s);
                stderr.lock().unwrap().push_str(&s);
            })
        },
    ];
    Child {
        name: name.to_string(),
        process,
        lines,
        stderr,
        readers,
    }
}

impl Child {
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Its report lines so far that start with `prefix` (the prefix cut off).
    pub fn said(&self, prefix: &str) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| {
                l.split_once(MARK)?
                    .1
                    .strip_prefix(prefix)
                    .map(str::to_string)
            })
            .collect()
    }

    /// Waits until it said `READY` (or died, or 60 s passed).
    pub fn wait_ready(&mut self) {
        let until = Instant::now() + Duration::from_secs(60);
        while self.said("READY").is_empty() {
            if let Ok(Some(status)) = self.process.try_wait() {
                panic!(
                    "child {} ended ({status}) before it was ready:\n{}",
                    self.name,
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < until,
                "child {} never ready; it said {:?}\n{}",
                self.name,
                self.lines.lock().unwrap(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for it to end (at most `limit`: a child that hangs is a failure, killed), and
    /// for everything it said.
    pub fn finish(&mut self, limit: Duration) -> std::process::ExitStatus {
        let until = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.process.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > until {
                let _ = self.process.kill();
                panic!(
                    "child {} still running after {limit:?}: it hangs\n{}",
                    self.name,
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        status
    }

    /// SIGKILL, and everything it said before dying.
    pub fn kill(&mut self) {
        let _ = self.process.kill();
        self.finish(Duration::from_secs(30));
    }

    /// Stops (SIGSTOP) or continues (SIGCONT) it.
    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.process.id() as i32, sig);
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
