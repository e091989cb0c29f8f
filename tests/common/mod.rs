//! Helpers shared by the integration tests: running the real binary against a throwaway data
//! directory, reading journals back, and re-executing the test binary as a child process.
#![allow(dead_code)] // each test file uses its own subset

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// The real `warroom` binary, pointed at `data` and speaking as `user`, with nothing from the
/// caller's environment leaking in.
pub fn warroom(data: &Path, user: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("warroom").unwrap();
    cmd.env("WARROOM_DATA_DIR", data)
        .env_remove("WARROOM_USER")
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_STORE_URL")
        .arg("--as")
        .arg(user);
    cmd
}

/// The same binary for `std::process::Command` (for spawning many at once).
pub fn warroom_std(data: &Path, user: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.env("WARROOM_DATA_DIR", data)
        .env_remove("WARROOM_USER")
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_STORE_URL")
        .arg("--as")
        .arg(user);
    cmd
}

/// What a finished command did, as text.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(mut cmd: assert_cmd::Command) -> Ran {
    let out = cmd.output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// `warroom open TITLE --severity SEV` → the new ID.
pub fn open_incident(data: &Path, user: &str, title: &str, severity: &str) -> String {
    let ran = run({
        let mut c = warroom(data, user);
        c.args(["open", title, "--severity", severity]);
        c
    });
    assert_eq!(ran.code, Some(0), "open failed: {}", ran.stderr);
    ran.stdout.trim().to_string()
}

pub fn journal_path(data: &Path, id: &str) -> PathBuf {
    data.join("incidents").join(id).join("journal.jsonl")
}

/// `warroom log ID --json`, each line parsed.
pub fn log_json(data: &Path, id: &str) -> Vec<serde_json::Value> {
    let ran = run({
        let mut c = warroom(data, "reader");
        c.args(["log", id, "--json"]);
        c
    });
    assert_eq!(ran.code, Some(0), "log --json failed: {}", ran.stderr);
    ran.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Asserts the entries are numbered 1..=N with no gap or repeat.
pub fn assert_dense(lines: &[serde_json::Value]) {
    let seqs: Vec<u64> = lines.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (1..=lines.len() as u64).collect();
    assert_eq!(seqs, expected, "sequence numbers are not dense from 1");
}

/// Every file and directory under `root` with its bytes (None for directories): a snapshot
/// to prove a command changed nothing on disk.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut all = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for item in read {
            let path = item.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                all.insert(rel, None);
                todo.push(path);
            } else {
                all.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    all
}

/// `snapshot` without what warroom keeps beside a journal to save work (the list summaries
/// and the kept report facts): rebuilt from the journal whenever it is missing or stale, so
/// writing them is not changing the data.
pub fn snapshot_without_kept(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut all = snapshot(root);
    all.retain(|p, _| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        !matches!(name.as_deref(), Some(n) if n == warroom::journal::SUMMARY
            || n == warroom::journal::SUMMARY_JSON
            || (n.starts_with("kept-") && n.ends_with(".json")))
    });
    all
}

/// Files in an incident directory whose name starts with `journal.torn-`.
pub fn torn_files(data: &Path, id: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data.join("incidents").join(id))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("journal.torn-")
        })
        .collect();
    v.sort();
    v
}

/// This machine's name as the kernel reports it.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap()
}

/// A pseudo-random number from the system clock (no extra crate): good enough to pick a
/// moment to kill a process.
pub fn clock_random(salt: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    // splitmix64 finaliser, so neighbouring clock readings spread out
    let mut z = nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// This test binary run again as a child, running only the test `test_name` of the module
/// `module` (pass `module_path!()`), with `env` telling that test what to do. Its stdout is
/// piped.
pub fn reexec(module: &str, test_name: &str, env: (&str, String)) -> std::process::Command {
    // Test names leave out the crate: `suite::crash_safety` runs `crash_safety::child_appender`.
    let module = module.split_once("::").map_or("", |(_, m)| m);
    let exact = if module.is_empty() {
        test_name.to_string()
    } else {
        format!("{module}::{test_name}")
    };
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", &exact, "--nocapture", "--test-threads=1"])
        .env(env.0, env.1)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

/// A child process that is killed (SIGKILL) and reaped if the test ends early, so a failing
/// test never leaves a writer running.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Reads a child's stdout lines on a thread, so the test can wait for one without blocking
/// forever (every wait has a generous deadline and fails loudly).
pub fn line_reader(stdout: ChildStdout) -> (Receiver<String>, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // Keep draining after the test stops listening, so the child never meets a
            // closed pipe when it prints its last lines and exits.
            let _ = tx.send(line);
        }
    });
    (rx, handle)
}

/// Waits for a line satisfying `want`, returning it; panics after `deadline`.
pub fn wait_for_line(
    rx: &Receiver<String>,
    deadline: Duration,
    want: impl Fn(&str) -> bool,
) -> String {
    let until = std::time::Instant::now() + deadline;
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if want(&line) => return line,
            Ok(_) => continue,
            Err(e) => panic!("the child never printed the expected line: {e}"),
        }
    }
}

/// The token in `warroom share`'s output (the end of its `status page:` line).
pub fn printed_token(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("status page: "))
        .and_then(|l| l.rsplit_once(':'))
        .map(|(_, t)| t.to_string())
        .expect("the status page line")
}
