//! `warroom store init|status|push|pull`: the shared PostgreSQL store. `init` creates or
//! migrates warroom's tables, `status` says where the store is and what it holds, `push` and
//! `pull` copy incidents between the data directory and the store, line for line, verifying
//! both sides.
//!
//! The store's URL: `--store URL`, else the variable `[store] url_env` names (default
//! `WARROOM_STORE_URL`), else `[store] url`. A password is refused in `--store` (every user
//! sees a command's arguments in `ps`) and never printed: messages show the URL without it.

use super::{Context, Failure};
use crate::journal::{
    FileStore, Journal, PgStore, Record, SCHEMA_VERSION, StoreChoice, StoreOptions,
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

fn init(options: &StoreOptions) -> Result<(), Failure> {
    let before = PgStore::status(options)
        .map_err(Failure::nothing_recorded)?
        .schema_version;
    let store = PgStore::connect(options).map_err(Failure::nothing_recorded)?;
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
    let store = PgStore::connect(options).map_err(Failure::nothing_recorded)?;
    let files = FileStore::new(ctx.paths.data_dir.clone());
    for id in ids {
        let mut from = files.open(id)?;
        super::warn_all(&mut from);
        // One transaction: a store gone meanwhile copied nothing of this incident.
        let added = store
            .import(from.id(), from.records())
            .map_err(Failure::nothing_recorded)?;
        let to = store.open(from.id())?;
        same(from.records(), to.records(), &to.location())?;
        report(from.id(), added, from.records(), store.shown())?;
    }
    Ok(())
}

fn pull(ctx: &Context, options: &StoreOptions, ids: &[String]) -> Result<(), Failure> {
    let store = PgStore::connect(options).map_err(Failure::nothing_recorded)?;
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
        .find(|(_, (a, b))| a.line() != b.line())
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
        .map_or("", |r| &r.hash()[..16.min(r.hash().len())]);
    let n = records.len();
    if added == 0 {
        say!("{id}: already in {place}, {n} entries, hash chain intact (head {head})");
    } else {
        say!("{id}: {added} of {n} entries copied into {place}, hash chain intact (head {head})");
    }
    Ok(())
}
