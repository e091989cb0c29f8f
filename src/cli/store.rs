//! `warroom store init|status|push|pull`: the shared PostgreSQL store. `init` creates or
//! migrates warroom's tables, `status` says where the store is and what it holds, `push` and
//! `pull` copy incidents between the data directory and the store, line for line, verifying
//! both sides.
//!
//! The store's URL: `--store URL`, else the variable `[store] url_env` names (default
//! `WARROOM_STORE_URL`), else `[store] url`. A password is refused in `--store` (every user
//! sees a command's arguments in `ps`) and never printed: messages show the URL without it.

use super::{Context, Failure};
use crate::config::Paths;
use crate::journal::{
    FileStore, Journal, PgStore, Record, SCHEMA_VERSION, SslMode, StoreChoice, StoreOptions,
};

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub command: StoreCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Create warroom's tables in the store, or bring them up to this version.
    Init,
    /// Where the store is (without the password), whether it answers, its schema version and
    /// its incidents. Changes nothing.
    Status,
    /// Copy incidents from the data directory into the store, line for line; both sides are
    /// verified and must end in the same hash.
    Push {
        /// The incidents to copy into the store (INC-7, inc-7 or 7).
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
    },
    /// Copy incidents from the store into the data directory (an offline copy, an archive),
    /// line for line; both sides are verified and must end in the same hash.
    Pull {
        /// The incidents to copy out of the store (INC-7, inc-7 or 7).
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
    },
}

pub fn run(ctx: &Context, args: StoreArgs) -> Result<(), Failure> {
    let StoreChoice::Shared(options) = ctx.choice()? else {
        return Err(Failure::bad_input(format!(
            "no store: give --store URL, set WARROOM_STORE_URL (or the variable [store] url_env \
             names), or [store] url in {}",
            ctx.paths.config_file.display()
        )));
    };
    let options = options.clone();
    match args.command {
        StoreCommand::Init => init(&options),
        StoreCommand::Status => status(&options),
        StoreCommand::Push { ids } => push(ctx, &options, &ids),
        StoreCommand::Pull { ids } => pull(ctx, &options, &ids),
    }
}

/// The URL and TLS settings from the flag, the environment and `[store]`; `None` when none
/// names a store (the data directory then keeps the incidents). Only `[store]` of config.toml
/// is read here: another broken part is for the verbs that use it to report.
pub(super) fn options(
    paths: &Paths,
    flag: Option<String>,
) -> Result<Option<StoreOptions>, Failure> {
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

fn init(options: &StoreOptions) -> Result<(), Failure> {
    let before = PgStore::status(options)?.schema_version;
    let store = PgStore::connect(options)?;
    let what = match before {
        0 => "created".to_string(),
        v if v == SCHEMA_VERSION => "already up to date".to_string(),
        v => format!("migrated from version {v}"),
    };
    say!(
        "{}: schema version {SCHEMA_VERSION} ({what})",
        store.shown()
    );
    Ok(())
}

fn status(options: &StoreOptions) -> Result<(), Failure> {
    let s = PgStore::status(options)?;
    say!("store:     {}", s.shown);
    say!("reachable: yes (PostgreSQL {})", s.server_version);
    let schema = match s.schema_version {
        0 => "none yet (`warroom store init` creates it)".to_string(),
        v if v == SCHEMA_VERSION => format!("version {v}"),
        v if v > SCHEMA_VERSION => format!(
            "version {v}, newer than this warroom knows ({SCHEMA_VERSION}): use a newer warroom"
        ),
        v => format!("version {v} (this warroom migrates it to {SCHEMA_VERSION} on first use)"),
    };
    say!("schema:    {schema}");
    say!("incidents: {}", s.incidents.len());
    for (id, entries) in &s.incidents {
        match s.leaders.iter().find(|(led, _)| led == id) {
            Some((_, holder)) => say!("  {id}\t{entries} entries\tled by {holder}"),
            None => say!("  {id}\t{entries} entries"),
        }
    }
    Ok(())
}

fn push(ctx: &Context, options: &StoreOptions, ids: &[String]) -> Result<(), Failure> {
    let store = PgStore::connect(options)?;
    let files = FileStore::new(ctx.paths.data_dir.clone());
    for id in ids {
        let mut from = files.open(id)?;
        super::warn_all(&mut from);
        let added = store.import(from.id(), from.records())?;
        let to = store.open(from.id())?;
        same(from.records(), to.records(), &to.location())?;
        report(from.id(), added, from.records(), store.shown())?;
    }
    Ok(())
}

fn pull(ctx: &Context, options: &StoreOptions, ids: &[String]) -> Result<(), Failure> {
    let store = PgStore::connect(options)?;
    for id in ids {
        let from = store.open(id)?;
        let files = FileStore::new(ctx.paths.data_dir.clone());
        let added = files.import(from.id(), from.records())?;
        let mut to = files.open(from.id())?;
        super::warn_all(&mut to);
        same(
            from.records(),
            to.records(),
            &to.path().display().to_string(),
        )?;
        let place = ctx.paths.data_dir.display().to_string();
        report(from.id(), added, from.records(), &place)?;
    }
    Ok(())
}

/// Both sides hold the very same lines (and so the same hashes).
fn same(from: &[Record], to: &[Record], where_to: &str) -> Result<(), Failure> {
    if from.len() != to.len() {
        return Err(Failure::runtime(format!(
            "{where_to}: {} entries after copying {}",
            to.len(),
            from.len()
        )));
    }
    if let Some((n, _)) = from
        .iter()
        .zip(to)
        .enumerate()
        .find(|(_, (a, b))| a.line != b.line)
    {
        return Err(Failure::runtime(format!(
            "{where_to}: entry {} differs from the one copied",
            n + 1
        )));
    }
    Ok(())
}

fn report(id: &str, added: usize, records: &[Record], place: &str) -> Result<(), Failure> {
    let head = records
        .last()
        .map_or("", |r| &r.hash[..16.min(r.hash.len())]);
    let n = records.len();
    if added == 0 {
        say!("{id}: already in {place}, {n} entries, hash chain intact (head {head})");
    } else {
        say!("{id}: {added} of {n} entries copied into {place}, hash chain intact (head {head})");
    }
    Ok(())
}
