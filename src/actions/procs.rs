//! Every process one run started, wherever it went. A program runs in a process group of its
//! own, but a descendant may leave the group (`setsid()`, like a daemon) and its parent may
//! exit. So warroom is the child subreaper of its actions (`PR_SET_CHILD_SUBREAPER`: such an
//! orphan becomes warroom's child, not init's), and every run's program gets a mark in its
//! environment ([`MARK_VAR`]) that its descendants inherit. A run's processes are then those
//! in its group, those below its program, and those below warroom that carry its mark; a
//! timeout, a cancel or the end of the run signals all of them, and the run reaps those that
//! became warroom's children (no zombie stays behind).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that marks a run's processes.
pub const MARK_VAR: &str = "WARROOM_ACTION_RUN";

/// Makes warroom the subreaper of what its actions start (once; harmless if refused).
pub(super) fn become_subreaper() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_CHILD_SUBREAPER takes one integer argument and touches no memory.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0);
        }
    });
}

/// A mark no other run of any warroom process carries: our pid and a counter.
pub(super) fn new_mark() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// One process as `/proc/PID/stat` tells it.
#[derive(Debug, Clone, Copy)]
struct Proc {
    ppid: i32,
    pgrp: i32,
    zombie: bool,
}

fn stat(pid: i32) -> Option<Proc> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
    let close = text.rfind(')')?;
    let mut rest = text[close + 1..].split_whitespace();
    let state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgrp = rest.next()?.parse().ok()?;
    Some(Proc {
        ppid,
        pgrp,
        zombie: matches!(state, "Z" | "X"),
    })
}

fn all_procs() -> HashMap<i32, Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .collect()
}

/// Whether `pid`'s environment holds `MARK_VAR=mark`.
fn carries(pid: i32, mark: &str) -> bool {
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let want = format!("{MARK_VAR}={mark}");
    env.split(|b| *b == 0).any(|kv| kv == want.as_bytes())
}

/// The processes of one run.
pub(super) struct RunProcs {
    /// The program warroom started (tokio reaps it), also the run's process group.
    child: i32,
    mark: String,
    /// Every process seen as the run's, to reap it once it has become our zombie.
    known: BTreeSet<i32>,
    /// Every process ever seen as the run's: a zombie cannot show its mark, and one whose
    /// parent died between two looks is ours to reap all the same.
    ever: BTreeSet<i32>,
}

impl RunProcs {
    pub(super) fn new(child: i32, mark: String) -> RunProcs {
        RunProcs {
            child,
            mark,
            known: BTreeSet::new(),
            ever: BTreeSet::new(),
        }
    }

    /// The run's processes now (zombies included); remembers them.
    fn scan(&mut self) -> Vec<(i32, Proc)> {
        let me = std::process::id() as i32;
        let procs = all_procs();
        let mut found = Vec::new();
        for (&pid, &p) in &procs {
            if pid == me {
                continue;
            }
            let mut below_child = pid == self.child || p.pgrp == self.child;
            let mut below_me = false;
            let mut at = p.ppid;
            // A parent chain is short; the bound only guards against a loop in a racing read.
            for _ in 0..procs.len() {
                if at == self.child {
                    below_child = true;
                }
                if at == me {
                    below_me = true;
                    break;
                }
                match procs.get(&at) {
                    Some(up) if at > 1 => at = up.ppid,
                    _ => break,
                }
            }
            // A zombie's environment cannot be read: it is known from an earlier look.
            let marked = if p.zombie {
                self.known.contains(&pid) || self.ever.contains(&pid)
            } else {
                carries(pid, &self.mark)
            };
            if below_me && (below_child || marked) {
                found.push((pid, p));
            }
        }
        // A pid gone from the list may be reused: only what is found now is remembered.
        self.known = found.iter().map(|(pid, _)| *pid).collect();
        self.ever.extend(self.known.iter().copied());
        found
    }

    /// Whether any process of the run is still alive (not a zombie).
    pub(super) fn alive(&mut self) -> bool {
        self.scan().iter().any(|(_, p)| !p.zombie)
    }

    /// Sends `signal` to the run's group and to each of its processes.
    pub(super) fn signal(&mut self, signal: i32) {
        if self.child > 1 {
            // SAFETY: killpg only sends a signal; an absent group is ESRCH, which is fine.
            unsafe {
                libc::killpg(self.child, signal);
            }
        }
        for (pid, p) in self.scan() {
            if !p.zombie && pid > 1 {
                // SAFETY: kill only sends a signal.
                unsafe {
                    libc::kill(pid, signal);
                }
            }
        }
    }

    /// Reaps the run's processes that ended as warroom's children (all but the program,
    /// which its own waiter reaps), learning the run's processes on the way.
    pub(super) fn reap(&mut self) {
        let me = std::process::id() as i32;
        for (pid, p) in self.scan() {
            if p.zombie && p.ppid == me && pid != self.child {
                let mut status = 0;
                // SAFETY: waitpid on one pid that is our zombie child; WNOHANG never blocks.
                unsafe {
                    libc::waitpid(pid, &mut status, libc::WNOHANG);
                }
                self.known.remove(&pid);
            }
        }
    }

    /// Whether none of the run's processes is left but the program, dead or alive (an
    /// orphan reaches warroom only once its parent has died, so reaping may take a few looks).
    pub(super) fn settled(&mut self) -> bool {
        let child = self.child;
        self.scan().iter().all(|(pid, _)| *pid == child)
    }
}
