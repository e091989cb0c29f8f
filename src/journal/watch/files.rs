//! The data directory's subscription, [`FileWatch`]: the kernel says when a journal changed
//! (inotify on `incidents/` and on each incident's directory, so a journal renamed over by a
//! redaction or an upgrade is seen like an append), and a look at every journal's size,
//! inode and time is kept behind it: once a second while inotify answers for every incident,
//! every [`POLL_EVERY`] when it cannot be had (no instance left, no watch left, an error).
//! Whatever the kernel misses, the look finds; a change found twice only wakes a reader twice.

use super::{POLL_EVERY, Wake, Watch};
use crate::journal::JournalError;
use crate::journal::file::{JOURNAL, normalize_id};
use std::collections::{HashMap, VecDeque};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often every journal is looked at while inotify answers for all of them.
pub const SLOW_LOOK: Duration = Duration::from_secs(1);

/// How a [`FileWatch`] starts: where its inotify instance comes from, and how often it looks
/// at every journal while that instance answers (tests replace both).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub init: fn() -> io::Result<OwnedFd>,
    pub slow_look: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            init: inotify_init,
            slow_look: SLOW_LOOK,
        }
    }
}

/// A new inotify instance (non-blocking, closed on exec).
pub fn inotify_init() -> io::Result<OwnedFd> {
    // SAFETY: inotify_init1 takes flags only and returns a new descriptor or -1.
    let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// What is watched in `incidents/` itself: incidents made or moved in, and its own end.
const ROOT_MASK: u32 = libc::IN_CREATE
    | libc::IN_MOVED_TO
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF
    | libc::IN_ONLYDIR;
/// What is watched in an incident's directory: the journal written, made, or renamed over.
const INCIDENT_MASK: u32 = libc::IN_MODIFY | libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_ONLYDIR;

/// A journal as last looked at: a change in any of these is a change to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

/// The data directory's subscription (see the module's description).
#[derive(Debug)]
pub struct FileWatch {
    incidents: PathBuf,
    settings: Settings,
    /// None: inotify could not be had (or failed since): looks every [`POLL_EVERY`].
    fd: Option<OwnedFd>,
    /// The watch on `incidents/` (None until it exists and is watched).
    root: Option<i32>,
    /// Watched incident directories: descriptor → incident id, and back.
    ids: HashMap<i32, String>,
    wds: HashMap<String, i32>,
    /// An incident's directory could not be watched: the looks keep the fast pace.
    short: bool,
    seen: HashMap<String, Seen>,
    pending: VecDeque<Wake>,
    started: bool,
    next_look: Instant,
}

impl FileWatch {
    /// Watches the incidents under `incidents` (`<data dir>/incidents`).
    pub fn new(incidents: PathBuf) -> FileWatch {
        FileWatch::with(incidents, Settings::default())
    }

    pub fn with(incidents: PathBuf, settings: Settings) -> FileWatch {
        FileWatch {
            incidents,
            settings,
            fd: None,
            root: None,
            ids: HashMap::new(),
            wds: HashMap::new(),
            short: false,
            seen: HashMap::new(),
            pending: VecDeque::new(),
            started: false,
            next_look: Instant::now(),
        }
    }

    /// Whether the kernel answers for every incident (else the looks are the fast poll).
    pub fn notified(&self) -> bool {
        self.fd.is_some() && self.root.is_some() && !self.short
    }

    fn look_every(&self) -> Duration {
        if self.notified() {
            self.settings.slow_look
        } else {
            POLL_EVERY
        }
    }

    fn push(&mut self, wake: Wake) {
        if !self.pending.contains(&wake) {
            self.pending.push_back(wake);
        }
    }

    /// Watches `dir` with `mask`; false when it cannot be (it is gone, or no watch is left).
    fn add(&mut self, dir: &Path, mask: u32) -> Option<i32> {
        let fd = self.fd.as_ref()?;
        let path = CString::new(dir.as_os_str().as_bytes()).ok()?;
        // SAFETY: the descriptor is an inotify instance we own; the path is NUL-terminated.
        let wd = unsafe { libc::inotify_add_watch(fd.as_raw_fd(), path.as_ptr(), mask) };
        (wd >= 0).then_some(wd)
    }

    fn watch_incident(&mut self, id: &str) {
        if self.fd.is_none() || self.wds.contains_key(id) {
            return;
        }
        match self.add(&self.incidents.join(id), INCIDENT_MASK) {
            Some(wd) => {
                self.ids.insert(wd, id.to_string());
                self.wds.insert(id.to_string(), wd);
            }
            // Gone already, or no watch left: the looks find its changes meanwhile.
            None => self.short = true,
        }
    }

    /// Looks at every journal: a new or changed one is announced (not on the first look,
    /// which the first `Resync` covers); every incident not yet watched is watched.
    fn look(&mut self, first: bool) {
        if self.fd.is_some() && self.root.is_none() {
            self.root = self.add(&self.incidents.clone(), ROOT_MASK);
            if self.root.is_some() && !first {
                // Watched from now on; what came before it is read once.
                self.push(Wake::Resync);
            }
        }
        let Ok(dir) = std::fs::read_dir(&self.incidents) else {
            self.seen.clear();
            return;
        };
        self.short = false;
        let mut now = HashMap::with_capacity(self.seen.len());
        for item in dir.flatten() {
            let name = item.file_name();
            let Some(id) = name
                .to_str()
                .filter(|n| normalize_id(n).as_deref() == Some(*n))
            else {
                continue;
            };
            self.watch_incident(id);
            let Ok(meta) = std::fs::metadata(item.path().join(JOURNAL)) else {
                continue;
            };
            let seen = Seen {
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
            };
            if !first && self.seen.get(id) != Some(&seen) {
                self.push(Wake::Changed { id: id.to_string() });
            }
            now.insert(id.to_string(), seen);
        }
        self.seen = now;
    }

    /// Reads what the kernel has to say, announcing the journals it names.
    fn drain(&mut self) {
        let Some(fd) = self.fd.as_ref() else { return };
        let raw = fd.as_raw_fd();
        let mut buf = [0u8; 16 * 1024];
        loop {
            // SAFETY: reads at most buf.len() bytes into buf, which we own.
            let n = unsafe { libc::read(raw, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::WouldBlock => return,
                    io::ErrorKind::Interrupted => continue,
                    _ => return self.lose(),
                }
            }
            if n == 0 {
                return;
            }
            for (wd, mask, name) in events(&buf[..n as usize]) {
                self.event(wd, mask, name);
            }
        }
    }

    fn event(&mut self, wd: i32, mask: u32, name: &[u8]) {
        if mask & libc::IN_Q_OVERFLOW != 0 {
            // The kernel's queue ran over: anything may have changed.
            self.push(Wake::Resync);
            return;
        }
        if Some(wd) == self.root {
            if mask & libc::IN_IGNORED != 0
                || mask & (libc::IN_DELETE_SELF | libc::IN_MOVE_SELF) != 0
            {
                // `incidents/` itself went away: looked for at the fast pace until it is back.
                self.root = None;
                return;
            }
            if mask & libc::IN_ISDIR != 0
                && let Some(id) = std::str::from_utf8(name)
                    .ok()
                    .filter(|n| normalize_id(n).as_deref() == Some(*n))
            {
                // A new incident: watched, then read (its journal may be written already).
                let id = id.to_string();
                self.watch_incident(&id);
                self.push(Wake::Changed { id });
            }
            return;
        }
        let Some(id) = self.ids.get(&wd).cloned() else {
            return;
        };
        if mask & libc::IN_IGNORED != 0 {
            // The directory went away (or the watch was taken back): watched again if it comes
            // back.
            self.ids.remove(&wd);
            self.wds.remove(&id);
            return;
        }
        if name == JOURNAL.as_bytes() {
            self.push(Wake::Changed { id });
        }
    }

    /// inotify failed: the looks take over at the fast pace, and anything may have changed.
    fn lose(&mut self) {
        self.fd = None;
        self.root = None;
        self.ids.clear();
        self.wds.clear();
        self.push(Wake::Resync);
    }

    /// Waits at most `wait` for the kernel to have something to say.
    fn wait(&mut self, wait: Duration) {
        let Some(fd) = self.fd.as_ref() else {
            std::thread::sleep(wait);
            return;
        };
        let mut poll = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = wait.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one pollfd, which we own, for the duration of the call.
        let n = unsafe { libc::poll(&mut poll, 1, ms) };
        if n > 0 {
            self.drain();
        } else if n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            self.lose();
        }
    }
}

impl Watch for FileWatch {
    fn next(&mut self, timeout: Duration) -> Result<Option<Wake>, JournalError> {
        if !self.started {
            self.started = true;
            self.fd = (self.settings.init)().ok();
            self.look(true);
            self.next_look = Instant::now() + self.look_every();
            return Ok(Some(Wake::Resync));
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(wake) = self.pending.pop_front() {
                return Ok(Some(wake));
            }
            let now = Instant::now();
            if now >= self.next_look {
                self.look(false);
                self.next_look = now + self.look_every();
                continue;
            }
            if now >= deadline {
                return Ok(None);
            }
            self.wait(deadline.min(self.next_look) - now);
        }
    }
}

/// The events in `buf` as read from an inotify descriptor: (watch, mask, name without its
/// padding).
fn events(buf: &[u8]) -> Vec<(i32, u32, &[u8])> {
    const HEAD: usize = 16;
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEAD <= buf.len() {
        let word = |i: usize| {
            let b = &buf[at + i..at + i + 4];
            [b[0], b[1], b[2], b[3]]
        };
        let wd = i32::from_ne_bytes(word(0));
        let mask = u32::from_ne_bytes(word(4));
        let len = u32::from_ne_bytes(word(12)) as usize;
        let Some(name) = buf.get(at + HEAD..at + HEAD + len) else {
            break;
        };
        let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
        out.push((wd, mask, &name[..end]));
        at += HEAD + len;
    }
    out
}
