//! A real terminal for end-to-end tests: a private tmux server per test (`tmux -L <unique
//! socket>`, no user config), keys in with `send-keys`, the screen read back with
//! `capture-pane`. The server is killed, with every pane in it, when the guard drops — failed
//! test or not. Every wait polls the screen against a deadline; nothing sleeps a fixed time to
//! synchronise.
//!
//! tmux must be installed. Without it [`Tmux::new`] prints a loud SKIPPED line and returns
//! `None` — except under CI (`CI` set, not `false`/`0`), where a missing tmux panics.
#![allow(dead_code)]

use std::cell::OnceCell;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How often the screen is looked at while waiting.
pub const POLL: Duration = Duration::from_millis(50);

/// A private tmux server for one test; killed (with every pane in it) on drop.
pub struct Tmux {
    socket: String,
    /// The socket file, once the server runs: tmux leaves it behind, the guard removes it.
    socket_path: OnceCell<PathBuf>,
    /// The longest a [`Pane::wait_for`] may take before the test fails, showing the screen.
    pub deadline: Duration,
}

impl Tmux {
    /// Starts nothing yet: the server starts with the first session. `None` means "skip":
    /// tmux is absent and this is not CI.
    pub fn new(test: &str, deadline: Duration) -> Option<Tmux> {
        let present = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !present {
            let ci = std::env::var("CI").unwrap_or_default();
            if !ci.is_empty() && ci != "false" && ci != "0" {
                panic!("tmux is not installed, and CI={ci}: the end-to-end tests must run");
            }
            loud(&format!("SKIPPED: tmux not installed — {test} did not run"));
            return None;
        }
        static N: AtomicU32 = AtomicU32::new(0);
        Some(Tmux {
            socket: format!(
                "warroom-e2e-{}-{}-{test}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ),
            socket_path: OnceCell::new(),
            deadline,
        })
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        // No user config, and never talk to the tmux the tests might be running inside.
        c.args(["-L", &self.socket, "-f", "/dev/null"])
            .env_remove("TMUX")
            .env_remove("TMUX_PANE");
        c
    }

    /// Runs a tmux command on this server; fails the test if tmux says no.
    pub fn tmux(&self, args: &[&str]) -> Output {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux {args:?}: {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Waits for session `name` to end (its command exited); fails after the deadline.
    pub fn wait_gone(&self, name: &str) {
        let until = Instant::now() + self.deadline;
        while self
            .command()
            .args(["has-session", "-t", name])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            assert!(
                Instant::now() < until,
                "tmux session {name} did not end within {:?}",
                self.deadline
            );
            std::thread::sleep(POLL);
        }
    }

    /// A 120x40 session running `command` (through tmux's default shell).
    pub fn session(&self, name: &str, command: &str) -> Pane<'_> {
        self.tmux(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            name,
            command,
        ]);
        if self.socket_path.get().is_none() {
            let out = self.tmux(&["display-message", "-p", "#{socket_path}"]);
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let _ = self.socket_path.set(PathBuf::from(path));
        }
        Pane {
            tmux: self,
            target: name.to_string(),
        }
    }

    /// A 120x40 session running an interactive bash (no rc files, no history file, prompt
    /// `e2e$ `) after `prefix` — e.g. `cd DIR && exec env VAR=… ` — once its prompt shows.
    pub fn shell(&self, name: &str, prefix: &str) -> Pane<'_> {
        let pane = self.session(
            name,
            &format!("{prefix} HISTFILE=/dev/null PS1='e2e$ ' bash --norc --noprofile"),
        );
        pane.wait_for("the shell prompt", |s| s.contains("e2e$"));
        pane
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Ends every pane (their processes get SIGHUP) and the server; harmless if it is gone.
        let _ = self.command().arg("kill-server").output();
        if let Some(path) = self.socket_path.get() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One tmux pane: keys in, screen out.
pub struct Pane<'a> {
    pub tmux: &'a Tmux,
    pub target: String,
}

impl Pane<'_> {
    /// Types text literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.tmux
            .tmux(&["send-keys", "-t", &self.target, "-l", "--", text]);
    }

    /// Presses named keys: `Enter`, `Tab`, `Escape`, `C-s`, or single characters.
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.target];
        args.extend_from_slice(keys);
        self.tmux.tmux(&args);
    }

    /// Types a shell command line and runs it.
    pub fn run_line(&self, line: &str) {
        self.type_text(line);
        self.press(&["Enter"]);
    }

    /// Runs a command line ended with ctrl-j (a bare line feed), which a shell takes as the
    /// end of the line even on a terminal left raw, where Enter's carriage return is not
    /// turned into one.
    pub fn run_line_lf(&self, line: &str) {
        self.type_text(line);
        self.press(&["C-j"]);
    }

    pub fn screen(&self) -> String {
        let out = self.tmux.tmux(&["capture-pane", "-p", "-t", &self.target]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until `want` holds; fails after the server's deadline, showing the
    /// screen.
    pub fn wait_for(&self, what: &str, want: impl Fn(&str) -> bool) -> String {
        self.wait_within(self.tmux.deadline, what, want)
    }

    pub fn wait_within(
        &self,
        deadline: Duration,
        what: &str,
        want: impl Fn(&str) -> bool,
    ) -> String {
        let until = Instant::now() + deadline;
        loop {
            let screen = self.screen();
            if want(&screen) {
                return screen;
            }
            if Instant::now() >= until {
                panic!(
                    "waited {deadline:?} for {what} in tmux pane {}; the screen was:\n{screen}",
                    self.target
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for a screen line holding every one of `parts`.
    pub fn wait_line(&self, what: &str, parts: &[&str]) -> String {
        self.wait_for(what, |s| has_line(s, parts))
    }

    /// The pid of the process the pane runs (a shell, or the command given).
    pub fn pid(&self) -> u32 {
        let out = self
            .tmux
            .tmux(&["display-message", "-p", "-t", &self.target, "#{pane_pid}"]);
        let text = String::from_utf8_lossy(&out.stdout);
        text.trim()
            .parse()
            .unwrap_or_else(|e| panic!("tmux gave no pane pid ({e}): {text:?}"))
    }
}

/// Writes straight to standard error, past the test harness's output capture, so the line
/// shows even when the test passes.
pub fn loud(message: &str) {
    use std::io::Write;
    let bar = "=".repeat(72);
    let _ = writeln!(std::io::stderr().lock(), "\n{bar}\n{message}\n{bar}");
}

/// Whether one screen line holds every one of `parts`.
pub fn has_line(screen: &str, parts: &[&str]) -> bool {
    screen.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

/// `s` quoted for a POSIX shell command line.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Polls until `want` holds; fails after `deadline`.
pub fn wait_until(deadline: Duration, what: &str, want: impl Fn() -> bool) {
    let until = Instant::now() + deadline;
    while !want() {
        assert!(Instant::now() < until, "waited {deadline:?} for {what}");
        std::thread::sleep(POLL);
    }
}

/// Live (not zombie) children of `parent` named `name`, from /proc.
pub fn children_named(parent: u32, name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next().unwrap_or("");
        let ppid: u32 = rest.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid == parent && comm == name && state != "Z" {
            out.push(pid);
        }
    }
    out
}

pub use super::alive;
