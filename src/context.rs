//! What every verb, the console and the demo share: who is speaking, where the incidents are
//! kept ([`Context`]), and why a command failed with which exit code ([`Failure`]). Below the
//! CLI, the console and the demo, so none of them imports another.

use crate::config::Paths;
use crate::journal::{JournalError, SslMode, Store, StoreChoice, StoreOptions};
use std::sync::{Arc, OnceLock};

/// Why a command failed, and the exit code that says so.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
    /// A store that could not be reached before anything was written: exit 1, saying so.
    pub fn nothing_recorded(e: JournalError) -> Failure {
        match e {
            JournalError::Store(why) if !why.contains("recorded") => {
                Failure::runtime(format!("{why}; nothing was recorded"))
            }
            e => Failure::from(e),
        }
    }
}

impl From<JournalError> for Failure {
    fn from(e: JournalError) -> Failure {
        Failure {
            code: if e.is_bad_input() { 2 } else { 1 },
            message: e.to_string(),
        }
    }
}

/// What every verb needs: where the incidents are and who is speaking.
pub struct Context {
    pub paths: Paths,
    pub author: String,
    /// `--store URL`, as given.
    store_flag: Option<String>,
    /// Where incidents are kept, chosen once, when a verb first asks ([`Context::choice`]).
    choice: OnceLock<StoreChoice>,
    /// The store of `choice`, connected on first use (verbs that keep nothing never connect).
    store: OnceLock<Arc<dyn Store>>,
}

impl Context {
    /// A context on `choice`, made by the program itself (the demo), not from the command line.
    pub fn new(paths: Paths, author: String, choice: StoreChoice) -> Context {
        Context {
            paths,
            author,
            store_flag: None,
            choice: OnceLock::from(choice),
            store: OnceLock::new(),
        }
    }

    /// Where incidents are kept: `--store`, else `WARROOM_STORE_URL` (or the variable
    /// `[store] url_env` names), else `[store] url`, else the data directory. Asked only by
    /// the verbs that keep incidents, so a mistake in `[store]` stops only those.
    pub fn choice(&self) -> Result<&StoreChoice, Failure> {
        if let Some(choice) = self.choice.get() {
            return Ok(choice);
        }
        let choice = match store_options(&self.paths, self.store_flag.clone())? {
            Some(options) => StoreChoice::Shared(options),
            None => StoreChoice::Files(self.paths.data_dir.clone()),
        };
        Ok(self.choice.get_or_init(|| choice))
    }

    /// The store every verb reads and records through. One that cannot be reached fails the
    /// verb (exit 1) before anything is recorded, and says so.
    pub fn store(&self) -> Result<&Arc<dyn Store>, Failure> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let store = self
            .choice()?
            .connect()
            .map_err(Failure::nothing_recorded)?;
        Ok(self.store.get_or_init(|| store))
    }

    /// [`Context::store`] for the console: a shared store that cannot be reached now is
    /// returned anyway (it connects once the database answers), with why it could not be
    /// reached.
    pub fn store_or_later(&self) -> Result<(&Arc<dyn Store>, Option<String>), Failure> {
        if let Some(store) = self.store.get() {
            return Ok((store, None));
        }
        let (store, down) = self
            .choice()?
            .connect_or_later()
            .map_err(Failure::nothing_recorded)?;
        Ok((self.store.get_or_init(|| store), down))
    }
}

impl Context {
    /// A context from the command line's parts: `--store URL` as given, if any.
    pub fn with_flag(paths: Paths, author: String, store_flag: Option<String>) -> Context {
        Context {
            paths,
            author,
            store_flag,
            choice: OnceLock::new(),
            store: OnceLock::new(),
        }
    }
}

impl Context {
    /// `config.toml`, checked whole; a bad file is bad input (exit 2) naming file and line.
    pub fn config(&self) -> Result<crate::config::Config, Failure> {
        crate::config::Config::load(&self.paths.config_file)
            .map_err(|e| Failure::bad_input(e.to_string()))
    }

    /// `config.toml` for the verb `warroom {verb}`, which uses the parts `needs`: one of those
    /// broken is bad input (exit 2) naming file and line; any other broken part is left out,
    /// with a warning, so a mistake in `[prometheus]` does not stop `warroom update`.
    pub fn config_for(&self, verb: &str, needs: &[&str]) -> Result<crate::config::Config, Failure> {
        let (config, broken) = crate::config::Config::load_lenient(&self.paths.config_file);
        if let Some(b) = broken.iter().find(|b| needs.iter().any(|n| b.breaks(n))) {
            return Err(Failure::bad_input(b.error.to_string()));
        }
        for b in &broken {
            use std::io::Write;
            // A plain write: `eprintln!` panics on a closed standard error.
            let _ = writeln!(
                std::io::stderr(),
                "warroom: warning: {b}; `warroom {verb}` does not use it"
            );
        }
        Ok(config)
    }
}

/// The URL and TLS settings from the flag, the environment and `[store]`; `None` when none
/// names a store (the data directory then keeps the incidents). Only `[store]` of config.toml
/// is read here: another broken part is for the verbs that use it to report.
fn store_options(paths: &Paths, flag: Option<String>) -> Result<Option<StoreOptions>, Failure> {
    let (config, broken) = crate::config::Config::load_lenient(&paths.config_file);
    if let Some(b) = broken
        .iter()
        .find(|b| b.written.is_empty() || b.written == "store")
    {
        return Err(Failure::bad_input(b.error.to_string()));
    }
    let store = config.store.unwrap_or_default();
    let var = store
        .url_env
        .clone()
        .unwrap_or_else(|| "WARROOM_STORE_URL".to_string());
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let url = match flag {
        Some(url) if crate::journal::has_password(&url) => {
            return Err(Failure::bad_input(
                "--store: the URL carries a password, which every user of this machine can \
                 read in `ps`; give it in WARROOM_STORE_URL (or the variable [store] url_env \
                 names) or in a password file (PGPASSFILE) instead",
            ));
        }
        Some(url) => url,
        None => match from_env(&var).or_else(|| from_env("WARROOM_STORE_URL")) {
            Some(url) => url,
            None => match &store.url {
                Some(url) => url.get_ref().clone(),
                None => return Ok(None),
            },
        },
    };
    let options = StoreOptions {
        url,
        // Checked when config.toml was read.
        sslmode: store
            .sslmode
            .as_ref()
            .and_then(|m| SslMode::parse(m.get_ref())),
        ca_file: store.ca_file.map(|f| paths.config_dir().join(f)),
    };
    // A URL that does not read, or a CA file that does not, is bad input (exit 2).
    crate::journal::Target::new(&options).map_err(Failure::bad_input)?;
    Ok(Some(options))
}
