//! `warroom demo`: a simulated outage to lead in five minutes, on the real code paths.
//!
//! The demo starts, in this process, a small HTTP server on a free loopback port
//! (`127.0.0.1:0`) that speaks the parts of the Alertmanager v2 and Prometheus v1 APIs warroom
//! reads ([`api`]), driven by a scripted scenario ([`simulator`], [`scenario`]): a bad
//! pricing deploy makes checkout fail, cart and payments degrade, search is unaffected. It
//! writes a `config.toml`, `services.toml` and `runbook.toml` pointing at that server into a
//! temporary config directory, opens the first incident as the on-call engineer would have,
//! and then runs the ordinary console on those files: nothing in the console knows it is a
//! demo. When the console ends, the server stops with its runtime and the temporary
//! directories are removed (the incidents too, unless `--data-dir` was given).

pub mod api;
pub mod files;
mod promql;
pub mod silences;
pub mod simulator;

use crate::config::Paths;
use crate::context::{Context, Failure};
use crate::domain::{Alert, AlertRef, AlertState, Event, NoteKind};
use crate::drill::scenario::Scenario;
use crate::journal::{FileStore, Journal, StoreChoice};
use chrono::{DateTime, Utc};
use simulator::Simulator;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How much faster than the wall clock the scenario runs with `--fast`.
pub const FAST_SPEED: f64 = 10.0;

/// What `warroom demo` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// Scenario time runs [`FAST_SPEED`] times faster; status updates are due every minute.
    pub fast: bool,
    /// Keep the incidents here instead of a temporary directory.
    pub data_dir: Option<PathBuf>,
    pub author: String,
    pub theme: Option<String>,
    /// The scenario played: the demo's bad deploy unless a drill names another.
    pub scenario: Option<Scenario>,
}

/// `--data-dir` as given on the command line, and only then: the demo never writes into the
/// data directory `WARROOM_DATA_DIR` names for real incidents unless asked explicitly.
pub fn explicit_data_dir(parsed: Option<PathBuf>) -> Option<PathBuf> {
    let given = std::env::args_os().any(|a| {
        let a = a.to_string_lossy();
        a == "--data-dir" || a.starts_with("--data-dir=")
    });
    parsed.filter(|_| given)
}

pub fn run(opts: Options) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Failure::bad_input(
            "the demo runs the console, which needs a terminal (run it in a terminal window)",
        ));
    }
    let root = TempRoot::create().map_err(|e| {
        Failure::runtime(format!(
            "cannot create a temporary directory for the demo: {e}"
        ))
    })?;
    let config_dir = root.path().join("config");
    let data_dir = opts
        .data_dir
        .clone()
        .unwrap_or_else(|| root.path().join("data"));
    for d in [&config_dir, &data_dir] {
        std::fs::create_dir_all(d)
            .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", d.display())))?;
    }
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| Failure::runtime(format!("cannot listen on 127.0.0.1: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::runtime(format!("cannot read the demo's port: {e}")))?;
    let base_url = format!("http://{addr}");
    let scenario = match opts.scenario.clone() {
        Some(s) => s,
        None => crate::drill::scenario::demo().map_err(|e| Failure::runtime(e.to_string()))?,
    };
    write_config(&config_dir, &scenario, &base_url, opts.fast)?;

    let origin = Utc::now();
    let sim = Simulator::new(
        Arc::new(scenario),
        origin,
        if opts.fast { FAST_SPEED } else { 1.0 },
    );
    let store = FileStore::new(data_dir.clone());
    let opened = open_first_incident(&store, &sim, origin)?;
    let server = Server::start(listener, api::Shared::new(sim, Arc::new(Utc::now)))
        .map_err(|e| Failure::runtime(format!("cannot start the demo's server: {e}")))?;

    let speed = if opts.fast { " (10× fast)" } else { "" };
    let root_shown = root.path().display().to_string();
    say(&format!(
        "warroom demo: simulated Alertmanager and Prometheus at {base_url}{speed}; {}; config in {}",
        match &opts.data_dir {
            Some(d) => format!("incidents kept in {}", d.display()),
            None => format!("incidents in {}, deleted when you quit", data_dir.display()),
        },
        config_dir.display()
    ));
    let mut notices = vec![format!(
        "demo: outage simulated at {addr}{speed}; {}",
        match &opts.data_dir {
            Some(d) => format!("incidents kept in {}", d.display()),
            None => format!("deleted on quit: {root_shown}"),
        }
    )];
    notices.extend(key_hints(opened.as_deref()));
    let ctx = Context::new(
        Paths {
            data_dir: data_dir.clone(),
            config_file: config_dir.join("config.toml"),
        },
        opts.author.clone(),
        StoreChoice::Files(store.data_dir().to_path_buf()),
    );
    let result = crate::console::run_with(&ctx, opts.theme.as_deref(), notices);
    drop(server);
    drop(root);
    match &opts.data_dir {
        Some(d) => say(&format!(
            "warroom demo: over; the incidents stay in {} (`warroom --data-dir {} log INC-1`)",
            d.display(),
            d.display()
        )),
        None => say(&format!("warroom demo: over; removed {root_shown}")),
    }
    result
}

/// One line to standard error (a plain write: `eprintln!` panics on a closed stderr).
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// What a new user needs first: which keys lead the incident, as notices for the console,
/// each short enough for an 80-column status line. The status line shows the newest notice
/// first, so they are returned last line first.
pub fn key_hints(opened: Option<&str>) -> Vec<String> {
    use crate::console::keymap::{Command, Keymap, Mode};
    let keys = Keymap::default();
    let key = |cmd: Command, mode: Mode, what: &str| {
        keys.key_for(mode, cmd).map(|k| format!("{k} {what}"))
    };
    let first: Vec<String> = opened
        .map(|id| format!("enter opens {id}"))
        .into_iter()
        .chain(key(Command::TakeCommand, Mode::Incident, "take command"))
        .chain(key(Command::StatusUpdate, Mode::Incident, "update"))
        .collect();
    let second: Vec<String> = [
        key(Command::Dependencies, Mode::Incident, "blast radius"),
        key(Command::Actions, Mode::Incident, "actions"),
        key(Command::Resolve, Mode::Incident, "resolve"),
        key(Command::Help, Mode::Global, "keys"),
    ]
    .into_iter()
    .flatten()
    .collect();
    vec![
        format!("demo: {}", second.join(" · ")),
        format!("demo: {}", first.join(" · ")),
    ]
}

/// Writes `config.toml`, `services.toml` and `runbook.toml` of `scenario` for the server at
/// `base_url`.
pub fn write_config(
    dir: &Path,
    scenario: &Scenario,
    base_url: &str,
    fast: bool,
) -> Result<(), Failure> {
    for (name, text) in [
        ("config.toml", files::config_toml(base_url, fast)),
        ("services.toml", files::services_toml(scenario)),
        ("runbook.toml", files::runbook_toml(scenario, base_url)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Opens the scenario's incident as the on-call engineer did when the first alert paged, with
/// that alert linked and what they know so far; only into a data directory with no
/// incidents. Returns its ID.
pub fn open_first_incident(
    store: &FileStore,
    sim: &Simulator,
    now: DateTime<Utc>,
) -> Result<Option<String>, Failure> {
    if !store.ids()?.is_empty() {
        return Ok(None);
    }
    let scenario = sim.scenario();
    let opening = &scenario.incident;
    let first = opening.paged_by.as_deref().and_then(|n| scenario.alert(n));
    let paged = first.and_then(|r| sim.rule_alert(r, now));
    let summary = first.map(|r| format!("Paged by {}: {}", r.name, r.summary));
    let by = opening.opened_by.as_str();
    let mut journal = store.create(
        by,
        now,
        &opening.title,
        opening.severity,
        summary.as_deref(),
    )?;
    if let Some(a) = paged.filter(|a| a.firing()) {
        let alert = Alert {
            fingerprint: simulator::fingerprint(&a.labels),
            labels: (&a.labels).into(),
            annotations: (&a.annotations).into(),
            starts_at: a.fired_at.unwrap_or(a.active_at),
            ends_at: None,
            generator_url: None,
            state: AlertState::Active,
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            sources: Vec::new(),
        };
        journal.append(
            by,
            now,
            Event::AlertLinked {
                alert: AlertRef::of(&alert),
                firing: true,
            },
        )?;
    }
    for note in &opening.notes {
        journal.append(
            by,
            now,
            Event::Note {
                kind: NoteKind::Observation,
                text: with_times(note, sim),
            },
        )?;
    }
    Ok(Some(journal.id().to_string()))
}

/// A note with each `{at:-60s}` written as that scenario second's wall-clock `HH:MM:SS`.
fn with_times(note: &str, sim: &Simulator) -> String {
    let Ok(places) = crate::drill::scenario::note_times(note) else {
        return note.to_string();
    };
    let mut out = String::new();
    let mut last = 0;
    for (range, secs) in places {
        out.push_str(&note[last..range.start]);
        out.push_str(&sim.wall(secs).format("%H:%M:%S").to_string());
        last = range.end;
    }
    out.push_str(&note[last..]);
    out
}

/// The demo's server on its own thread and runtime; stopped (and its connections ended) when
/// dropped.
pub struct Server {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `shared` on `listener` (already bound, so the port is known before).
    pub fn start(
        listener: std::net::TcpListener,
        shared: Arc<api::Shared>,
    ) -> std::io::Result<Server> {
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("warroom-demo".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let _ = api::serve(listener, shared, async {
                        let _ = stopped.await;
                    })
                    .await;
                });
                // Dropping the runtime here ends every connection still open.
            })?;
        Ok(Server {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A private temporary directory, removed with everything in it when dropped.
pub struct TempRoot {
    path: PathBuf,
}

impl TempRoot {
    pub fn create() -> std::io::Result<TempRoot> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::temp_dir();
        let pid = std::process::id();
        let mut last = None;
        for n in 0..16u32 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let tag = (nanos ^ pid.rotate_left(17)).wrapping_add(n.wrapping_mul(0x9e37_79b9));
            let path = base.join(format!("warroom-demo-{tag:08x}"));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(TempRoot { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free name")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Severity;

    #[test]
    fn the_written_config_reads_back() {
        let dir = TempRoot::create().unwrap();
        let scenario = crate::drill::scenario::demo().unwrap();
        write_config(dir.path(), &scenario, "http://127.0.0.1:9", true).unwrap();
        let config = crate::config::Config::load(&dir.path().join("config.toml")).unwrap();
        assert_eq!(config.alertmanagers.len(), 1);
        assert_eq!(
            config.cadence.every(Severity::Sev2),
            Some(chrono::Duration::minutes(1))
        );
        let catalog = crate::config::load_services(&dir.path().join("services.toml")).unwrap();
        assert_eq!(catalog.services.len(), scenario.services.len());
        assert!(catalog.cycles().is_empty());
        assert!(catalog.unknown_dependencies().is_empty());
        let slow = files::config_toml("http://127.0.0.1:9", false);
        let config = crate::config::Config::parse(Path::new("config.toml"), &slow).unwrap();
        assert_eq!(
            config.cadence.every(Severity::Sev1),
            Some(chrono::Duration::minutes(10))
        );
        let gone = dir.path().to_path_buf();
        drop(dir);
        assert!(!gone.exists());
    }
}
