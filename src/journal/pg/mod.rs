//! The journal in PostgreSQL: the same lines, hashes and rules as the file journal, kept in a
//! database several machines share.
//!
//! Tables (see `schema.rs`): `warroom_incidents` holds each incident's head (its last seq and
//! hash), the row every append locks; `warroom_events` holds the lines under
//! `PRIMARY KEY (incident, seq)`, each with the client-made `event_id` (UNIQUE) that tells a
//! retried commit from a new one; `warroom_ids` is the counter incident IDs come from.
//!
//! Sync over async: the `Journal` trait and the CLI are synchronous, tokio-postgres is not. A
//! `PgStore` owns a small current-thread tokio runtime and one connection, and blocks on each
//! step (`Runtime::block_on`). Clones share both. Called from inside an async task, where a
//! `block_on` would panic, it runs the step on a scoped plain thread and waits for it: that
//! still holds the task's thread, so async callers should reach it through `spawn_blocking`.

mod append;
mod journal;
mod lease;
mod schema;
mod shares;
mod target;
mod upgrade;
mod watch;

pub use journal::PgJournal;
pub use lease::{LEASE, PgLease};
pub use schema::LATEST as SCHEMA_VERSION;
pub use target::{SslMode, StoreOptions, Target, has_password};
pub use watch::PgWatch;

use super::{GENESIS, JournalError, Record, VerifyReport, normalize_id};
use crate::domain::Severity;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio_postgres::Client;

/// The NOTIFY channel; each payload is `INCIDENT:SEQ` of a committed entry.
pub const CHANNEL: &str = "warroom_events";

/// All incidents in one PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    shared: Arc<Shared>,
}

struct Shared {
    /// Always `Some` until dropped.
    rt: Option<tokio::runtime::Runtime>,
    target: Target,
    client: Mutex<Option<Client>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Close the session, then let the runtime go without waiting: a runtime dropped the
        // ordinary way inside an async task panics.
        if let Ok(slot) = self.client.get_mut() {
            *slot = None;
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgStore({})", self.shared.target.shown())
    }
}

/// What `warroom store status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStatus {
    /// Where, without the password.
    pub shown: String,
    pub server_version: String,
    /// 0: warroom's tables are not there yet.
    pub schema_version: i32,
    /// Each incident's ID and number of entries, by number.
    pub incidents: Vec<(String, u64)>,
    /// Who leads which incident (leases that have not run out).
    pub leaders: Vec<(String, super::LockHolder)>,
}

/// A step that failed: because the connection went away (the outcome of a COMMIT then is
/// unknown until looked up), or for good.
pub(super) enum Fail {
    Lost(String),
    Final(JournalError),
}

impl From<JournalError> for Fail {
    fn from(e: JournalError) -> Fail {
        Fail::Final(e)
    }
}

impl From<crate::domain::Rejected> for Fail {
    fn from(e: crate::domain::Rejected) -> Fail {
        Fail::Final(JournalError::Rejected(e))
    }
}

/// Whether an error means the session is gone (or the transaction must simply be tried
/// again), rather than a refusal that trying again would repeat.
fn is_lost(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if tls_refused(e) {
        return false;
    }
    match e.code() {
        Some(c) => {
            let c = c.code();
            c.starts_with("08") || c.starts_with("57P") || c == "40001" || c == "40P01"
        }
        None => e.as_db_error().is_none(),
    }
}

/// A TLS handshake that failed on its merits (a certificate not trusted, a name that does not
/// match): trying again would fail the same way.
fn tls_refused(e: &tokio_postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        // io::Error's source() skips the error it wraps, so look inside it too.
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|i| i.is::<rustls::Error>());
        if inner || s.is::<rustls::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                s.push_str(&format!(": {inner}"));
                source = inner.source();
            }
            s
        }
    }
}

/// How long one step (connecting, a statement, the statements of a transaction) may go
/// without an answer before the session is given up as lost. The server is told the same
/// (`statement_timeout`), so it stops working on what nobody waits for any more. Without it a
/// database that stops answering, rather than going away, would hold a command forever: the
/// kernel acknowledges what is sent, so TCP sees nothing wrong.
pub(crate) const STEP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long one operation keeps being tried while the connection goes away under it or the
/// server is not there: long enough for a database restart (crash recovery included), short
/// enough for a person waiting on a command.
const KEEP_TRYING: std::time::Duration = std::time::Duration::from_secs(10);

impl PgStore {
    /// Connects, and creates or migrates warroom's schema on first use. A database whose
    /// schema is newer than this binary's is refused and left as it is.
    pub fn connect(options: &StoreOptions) -> Result<PgStore, JournalError> {
        let store = PgStore::unchecked(options)?;
        store.init()?;
        Ok(store)
    }

    /// A store on `options` that has not yet looked at the schema (it connects on first use).
    pub(crate) fn unchecked(options: &StoreOptions) -> Result<PgStore, JournalError> {
        PgStore::on(Target::new(options).map_err(JournalError::Store)?)
    }

    /// Another store on the same database, with a connection of its own.
    fn sibling(&self) -> Result<PgStore, JournalError> {
        PgStore::on(self.shared.target.clone())
    }

    fn on(target: Target) -> Result<PgStore, JournalError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| JournalError::Store(format!("cannot start the store's runtime: {e}")))?;
        let store = PgStore {
            shared: Arc::new(Shared {
                rt: Some(rt),
                target,
                client: Mutex::new(None),
            }),
        };
        Ok(store)
    }

    /// Creates or migrates the schema; returns the version found before (0: none).
    pub fn init(&self) -> Result<i32, JournalError> {
        self.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(schema::ensure(client))?.map_err(|e| match e {
                schema::SchemaError::Newer(v) => Fail::Final(JournalError::Store(format!(
                    "{}: the schema is version {v}, newer than this warroom {} knows \
                     (version {}); use a newer warroom. The database was not changed.",
                    s.shown(),
                    env!("CARGO_PKG_VERSION"),
                    schema::LATEST
                ))),
                schema::SchemaError::NotUtf8(enc) => Fail::Final(JournalError::Store(format!(
                    "{}: the database's encoding is {enc}; warroom needs UTF8 \
                     (CREATE DATABASE … ENCODING 'UTF8')",
                    s.shown()
                ))),
                schema::SchemaError::Sql(e) => s.fail(&e),
            })
        })
    }

    /// Where the store is, without the password.
    pub fn shown(&self) -> &str {
        self.shared.target.shown()
    }

    /// Reads where the store is and what it holds, changing nothing.
    pub fn status(options: &StoreOptions) -> Result<StoreStatus, JournalError> {
        let store = PgStore::unchecked(options)?;
        store.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(async {
                let server_version: String = client
                    .query_one("SELECT current_setting('server_version')", &[])
                    .await?
                    .get(0);
                let schema_version = schema::version(client).await?;
                let mut incidents = Vec::new();
                let leaders = if schema_version >= 2 {
                    lease::holders(client).await?
                } else {
                    Vec::new()
                };
                if schema_version >= 1 {
                    for row in client
                        .query(
                            "SELECT id, head_seq FROM warroom_incidents ORDER BY number",
                            &[],
                        )
                        .await?
                    {
                        incidents.push((row.get(0), row.get::<_, i64>(1) as u64));
                    }
                }
                Ok(StoreStatus {
                    shown: s.shown().to_string(),
                    server_version,
                    schema_version,
                    incidents,
                    leaders,
                })
            })?
            .map_err(|e| s.fail(&e))
        })
    }

    /// IDs of every incident, oldest first.
    pub fn ids(&self) -> Result<Vec<String>, JournalError> {
        self.retry(|s, slot| {
            let client = s.client(slot)?;
            let rows = s
                .block(client.query("SELECT id FROM warroom_incidents ORDER BY number", &[]))?
                .map_err(|e| s.fail(&e))?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    /// Opens a new incident: the database allocates the next ID, in the same transaction that
    /// commits its `opened` entry.
    pub fn create(
        &self,
        by: &str,
        at: DateTime<Utc>,
        title: &str,
        severity: Severity,
        summary: Option<&str>,
    ) -> Result<PgJournal, JournalError> {
        let event = super::store::opening(by, title, severity, summary)?;
        let event_id = new_event_id().map_err(|e| JournalError::Store(e.to_string()))?;
        let id = self.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(async {
                let tx = client.transaction().await?;
                // A COMMIT whose answer was lost may have gone through.
                if let Some(row) = tx
                    .query_opt(
                        "SELECT incident FROM warroom_events WHERE event_id = $1",
                        &[&event_id],
                    )
                    .await?
                {
                    return Ok(Ok(row.get::<_, String>(0)));
                }
                let id = loop {
                    let n: i64 = tx
                        .query_one(
                            "UPDATE warroom_ids SET last = last + 1 WHERE name = 'incident' \
                             RETURNING last",
                            &[],
                        )
                        .await?
                        .get(0);
                    let id = format!("INC-{n}");
                    let claimed = tx
                        .execute(
                            "INSERT INTO warroom_incidents (id, number, head_seq, head_hash) \
                             VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING",
                            &[&id, &n, &GENESIS],
                        )
                        .await?;
                    if claimed == 1 {
                        break id;
                    }
                };
                let record = match super::line::encode(super::FORMAT, GENESIS, 1, at, by, &event) {
                    Ok(r) => r,
                    Err(rejected) => {
                        // At once: a dropped transaction keeps the counter row locked.
                        tx.rollback().await?;
                        return Ok(Err(rejected));
                    }
                };
                journal::insert(&tx, &id, &record, &event_id).await?;
                tx.commit().await?;
                Ok(Ok(id))
            })?
            .map_err(|e| s.fail(&e))?
            .map_err(|r| Fail::Final(JournalError::Rejected(r)))
        })?;
        self.open(&id)
    }

    /// A subscription to every entry committed to this database from now on: `LISTEN` on a
    /// connection of its own, made again whenever it is lost.
    pub fn watch(&self) -> Result<PgWatch, JournalError> {
        PgWatch::start(self.shared.target.clone())
    }

    /// Reads an incident's journal, checking its whole chain.
    pub fn open(&self, id: &str) -> Result<PgJournal, JournalError> {
        let id = normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))?;
        PgJournal::load(self.clone(), id)
    }

    /// Opens an incident to lead it, with the lease that says so to everyone else; refused
    /// (naming the holder) while another holds a lease that has not run out.
    pub fn lead(
        &self,
        id: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<(PgJournal, PgLease), JournalError> {
        let journal = self.open(id)?;
        let handoff = crate::journal::reserve::last_handoff(&journal);
        let lease = self.lease(id, user, now, handoff.as_ref())?;
        // What was committed while the lease was being taken.
        let mut journal = journal;
        crate::journal::Journal::refresh(&mut journal)?;
        Ok((journal, lease))
    }

    /// Checks the whole hash chain of an incident without changing anything.
    pub fn verify(&self, id: &str) -> Result<VerifyReport, JournalError> {
        Ok(super::store::report(&mut self.open(id)?))
    }

    /// Copies an incident's lines, byte for byte, in (from another store): all of them when the
    /// incident is not here yet, the missing ones when this store holds a beginning of the
    /// same chain. Refuses when what is here differs. Returns how many lines were added.
    pub fn import(&self, id: &str, records: &[Record]) -> Result<usize, JournalError> {
        let id = normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))?;
        let number: i64 = id
            .trim_start_matches("INC-")
            .parse()
            .map_err(|_| JournalError::NotFound(id.clone()))?;
        let batch = new_event_id().map_err(|e| JournalError::Store(e.to_string()))?;
        // A copy is one transaction however long: a millisecond more per line than a step.
        let limit = STEP_TIMEOUT + std::time::Duration::from_millis(records.len() as u64);
        self.retry(|s, slot| {
            let client = s.client(slot)?;
            let added = s
                .block_for(
                    limit,
                    journal::import(client, &id, number, records, &batch, limit),
                )?
                .map_err(|e| s.fail(&e))?;
            added.map_err(|reason| {
                Fail::Final(JournalError::Damaged {
                    path: format!("{}/{id}", s.shown()).into(),
                    line: 0,
                    reason,
                })
            })
        })
    }

    fn slot(&self) -> MutexGuard<'_, Option<Client>> {
        self.shared
            .client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The connection, made again when it was lost.
    fn client<'a>(&self, slot: &'a mut Option<Client>) -> Result<&'a mut Client, Fail> {
        if slot.as_ref().is_some_and(|c| c.is_closed()) {
            *slot = None;
        }
        if slot.is_none() {
            let target = &self.shared.target;
            let connected = self.block(async {
                match &target.tls {
                    None => {
                        let (client, conn) = target.config.connect(tokio_postgres::NoTls).await?;
                        tokio::spawn(conn);
                        Ok(client)
                    }
                    Some(tls) => {
                        let (client, conn) = target.config.connect(tls.clone()).await?;
                        tokio::spawn(conn);
                        Ok(client)
                    }
                }
            })?;
            match connected {
                Ok(c) => *slot = Some(c),
                // A refusal (a wrong password, an untrusted certificate, no such database) is
                // final; a server that is not there (yet) is worth another try.
                Err(e) => return Err(self.fail(&e)),
            }
        }
        slot.as_mut()
            .ok_or_else(|| Fail::Lost("not connected".into()))
    }

    /// Runs `f` on the store's runtime, blocking this thread until it is done, or until
    /// [`STEP_TIMEOUT`] passed without it being done: the session is then as good as lost.
    pub(super) fn block<F>(&self, f: F) -> Result<F::Output, Fail>
    where
        F: Future + Send,
        F::Output: Send,
    {
        self.block_for(STEP_TIMEOUT, f)
    }

    /// The same with a limit of its own, for a step that does more than usual.
    pub(super) fn block_for<F>(&self, limit: std::time::Duration, f: F) -> Result<F::Output, Fail>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(rt) = self.shared.rt.as_ref() else {
            unreachable!("the runtime goes only when the store is dropped");
        };
        let f = async { tokio::time::timeout(limit, f).await };
        let out = if tokio::runtime::Handle::try_current().is_ok() {
            // Inside someone's runtime a block_on would panic: wait on a plain thread instead.
            std::thread::scope(|scope| match scope.spawn(|| rt.block_on(f)).join() {
                Ok(out) => out,
                Err(panic) => std::panic::resume_unwind(panic),
            })
        } else {
            rt.block_on(f)
        };
        out.map_err(|_| {
            Fail::Lost(format!(
                "the database did not answer within {} s",
                limit.as_secs()
            ))
        })
    }

    /// A failed statement: the session lost (try again on a new connection), or an error for
    /// good.
    pub(super) fn fail(&self, e: &tokio_postgres::Error) -> Fail {
        if is_lost(e) {
            Fail::Lost(self.shared.target.redact(&describe(e)))
        } else {
            Fail::Final(self.sql_error(e))
        }
    }

    pub(super) fn sql_error(&self, e: &tokio_postgres::Error) -> JournalError {
        JournalError::Store(self.shared.target.redact(&format!(
            "{}: {}",
            self.shown(),
            describe(e)
        )))
    }

    /// Runs `op` once; `None` when it failed (a lost session is not reused).
    pub(super) fn once<T>(
        &self,
        op: impl FnOnce(&PgStore, &mut Option<Client>) -> Result<T, Fail>,
    ) -> Option<T> {
        let mut slot = self.slot();
        match op(self, &mut slot) {
            Ok(v) => Some(v),
            Err(Fail::Lost(_)) => {
                *slot = None;
                None
            }
            Err(Fail::Final(_)) => None,
        }
    }

    /// Whether the database answers now: one try, no retry.
    pub fn ping(&self) -> Result<(), JournalError> {
        let mut slot = self.slot();
        let tried = self.client(&mut slot).and_then(|client| {
            self.block(client.simple_query("SELECT 1"))?
                .map_err(|e| self.fail(&e))
        });
        match tried {
            Ok(_) => Ok(()),
            Err(Fail::Lost(why)) => {
                *slot = None;
                Err(JournalError::Store(format!(
                    "{}: cannot reach the store: {why}",
                    self.shown()
                )))
            }
            Err(Fail::Final(e)) => Err(e),
        }
    }

    /// Runs `op` again (after a short wait) while the connection keeps going away under it.
    pub(super) fn retry<T>(
        &self,
        mut op: impl FnMut(&PgStore, &mut Option<Client>) -> Result<T, Fail>,
    ) -> Result<T, JournalError> {
        let mut slot = self.slot();
        let mut last = String::new();
        let until = std::time::Instant::now() + KEEP_TRYING;
        for attempt in 0u32.. {
            if attempt > 0 {
                if std::time::Instant::now() >= until {
                    break;
                }
                // 100 ms, 200 ms, 400 ms, then every 800 ms.
                std::thread::sleep(std::time::Duration::from_millis(100 << attempt.min(4) >> 1));
            }
            match op(self, &mut slot) {
                Ok(v) => return Ok(v),
                Err(Fail::Final(e)) => return Err(e),
                Err(Fail::Lost(why)) => {
                    // Never reuse a session that failed under us: its state is unknown.
                    *slot = None;
                    last = why;
                }
            }
        }
        Err(JournalError::Store(format!(
            "{}: cannot reach the store: {last}",
            self.shown()
        )))
    }
}

/// 128 random bits from the kernel, as hex: the id a retried commit is recognised by.
pub(in crate::journal) fn new_event_id() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(super::hex(&bytes))
}
