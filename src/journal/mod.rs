//! The journal: the append-only record of one incident, and the only way incident state
//! changes.
//!
//! Format (one JSON object per line, `journal.jsonl`; the formats are described in `line.rs`):
//! format 2 is
//! `{"v":2,"seq":N,"at":"RFC3339 UTC","by":"alice","event":{…},"salt":"…","digest":"…","prev":"<hex>","hash":"<hex>"}`
//! with `digest = sha256(salt "\n" event)` and `hash = sha256(prev "\n" seq "\n" at "\n"
//! by "\n" digest)`, so a redacted entry (no `event`, no `salt`) still chains; format 1
//! (no `"v"`, `hash` over the event's bytes) keeps reading. The rest of a line is proved by its
//! form: it must be byte for byte the line warroom writes for those fields. An append counts
//! as committed only after `write` and `sync_data`; its newline is the last byte of its one
//! write, so only a last line without a newline can be a crash's leftover. A redaction or an
//! upgrade writes a new file and renames it over the journal, under the append lock.
//!
//! Concurrency: every writer (the console and each CLI verb) takes an exclusive `flock` on
//! `journal.jsonl` for the duration of one append, first reading whatever others appended
//! since it last looked, so sequence numbers stay dense and nothing is reordered. Readers take
//! a shared lock, so they never see a half-written line from a live writer. Leading an
//! incident from a console is a separate, long-held lock on `journal.lock`, which records who
//! holds it.

mod at;
mod cores;
pub mod corrections;
mod file;
mod import;
mod line;
mod lock;
mod outbox;
mod pg;
mod reserve;
pub mod shares;
mod store;
mod summary;
pub mod watch;

pub(crate) use file::check_author;
pub use file::{FileJournal, FileStore, Upgrade, VerifyReport, normalize_id, read_line};
pub use line::{FORMAT, chain_hash, chain_hash_v2, encode_line, event_digest, format_of};
pub use lock::{LeaderLock, LockHolder};
pub use outbox::{Drained, OUTBOX, Outbox, Queued, new_key};
pub use pg::{
    LEASE, PgJournal, PgLease, PgStore, PgWatch, SCHEMA_VERSION, SslMode, StoreOptions,
    StoreStatus, Target, has_password,
};
pub use reserve::RESERVE;
pub use shares::{FileShares, ShareRecord, Shares};
pub use store::{BoxJournal, Lead, Opening, Store, StoreChoice};
pub use summary::{
    KeptFold, KeptValue, Listed, SUMMARY, SUMMARY_JSON, Stamp, Summary, incident_json, json_array,
};
pub use watch::{Wake, Watch};

use crate::domain::{Authority, Entry, Event, Incident, Rejected, Role};
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// A committed entry with its place in the hash chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub entry: Entry,
    /// The line exactly as the journal holds it (without the newline), whichever version
    /// wrote it: fields this version does not read are kept, and the hash still matches.
    /// Its `prev` and `hash` are read from it ([`Record::prev`], [`Record::hash`]) rather than
    /// kept twice.
    line: String,
}

impl Record {
    /// The line exactly as the journal holds it (without the newline).
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The hash of the line before it (its `prev`).
    pub fn prev(&self) -> &str {
        line::prev_of(&self.line)
    }

    /// Its hash, which the next line names as its `prev`.
    pub fn hash(&self) -> &str {
        line::hash_of(&self.line)
    }
}

impl AsRef<Entry> for Record {
    fn as_ref(&self) -> &Entry {
        &self.entry
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: journal damaged: {reason} (the file is left as it is)", path.display())]
    Damaged {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A journal written in a format newer than this version reads.
    #[error(
        "{}: journal format {found} is newer than this version of warroom reads (format \
         {supported} at most); use a newer warroom",
        path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("no incident '{0}' (see `warroom list --all`)")]
    NotFound(String),
    #[error("{id} is already being led by {holder}")]
    Led { id: String, holder: LockHolder },
    /// The lead was handed to `person`, and is kept for them until `until`.
    #[error(
        "{id} was handed to {person}: nobody leads it, and only {person} may take the lead \
         until {} (anyone may after that)",
        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )]
    Reserved {
        id: String,
        person: String,
        until: DateTime<Utc>,
    },
    #[error("{0}")]
    Rejected(#[from] Rejected),
    /// The shared store could not be reached, or refused (the message says where, never with
    /// the password).
    #[error("{0}")]
    Store(String),
}

impl JournalError {
    /// True when the user asked for something that cannot be (bad ID, refused event), as
    /// opposed to a failure of the machine or the file.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            JournalError::NotFound(_)
                | JournalError::Rejected(_)
                | JournalError::NewerFormat { .. }
        )
    }
}

/// Chooses, under the append lock, what (if anything) to append given the incident as of
/// the newest committed entry.
pub type Decide<'a> = dyn FnMut(Option<&Incident>) -> Result<Option<Event>, Rejected> + 'a;

/// What every journal keeps of its incident: the ID, each record read so far (checked), and
/// the incident they fold into.
#[derive(Debug)]
pub struct Folded {
    id: String,
    records: Vec<Record>,
    incident: Option<Incident>,
}

impl Folded {
    pub(crate) fn new(id: String) -> Folded {
        Folded {
            id,
            records: Vec::new(),
            incident: None,
        }
    }

    /// Takes a checked record, folding it into the incident.
    pub(crate) fn push(&mut self, record: Record) {
        match self.incident.as_mut() {
            Some(i) => i.apply(&record.entry),
            None => self.incident = Incident::fold(&self.id, [&record.entry]),
        }
        self.records.push(record);
    }

    /// Takes checked records in order, folding each; the first records a journal reads
    /// become its list as they are, without a copy.
    pub(crate) fn extend(&mut self, records: Vec<Record>) {
        for record in &records {
            match self.incident.as_mut() {
                Some(i) => i.apply(&record.entry),
                None => self.incident = Incident::fold(&self.id, [&record.entry]),
            }
        }
        if self.records.is_empty() {
            self.records = records;
        } else {
            // Grown by a little, not doubled: a long journal's records would otherwise take
            // twice their room after the first append.
            if self.records.capacity() - self.records.len() < records.len() {
                self.records
                    .reserve_exact(records.len() + self.records.len() / 64);
            }
            self.records.extend(records);
        }
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        self.records.reserve(n);
    }

    /// The journal's format: its first line's, or the newest for a journal still empty.
    pub(crate) fn format(&self) -> u32 {
        self.records.first().map_or(line::FORMAT, Record::format)
    }

    /// Checks that `record`, read after the known records, is in the journal's format.
    pub(crate) fn check_format(&self, record: &Record) -> Result<(), String> {
        match self.records.first() {
            Some(first) if first.format() != record.format() => Err(format!(
                "a format-{} line in a format-{} journal",
                record.format(),
                first.format()
            )),
            _ => Ok(()),
        }
    }

    /// Puts `placeholder` in place of the entry it redacts and folds the incident again.
    pub(crate) fn replace(&mut self, placeholder: Record) {
        let Some(at) = self
            .records
            .iter()
            .position(|r| r.entry.seq == placeholder.entry.seq)
        else {
            return;
        };
        self.records[at] = placeholder;
        self.incident = Incident::fold(&self.id, self.records.iter().map(|r| &r.entry));
    }

    /// The hash the next line follows and its seq.
    pub(crate) fn next(&self) -> (&str, u64) {
        match self.records.last() {
            Some(r) => (r.hash(), r.entry.seq + 1),
            None => (GENESIS, 1),
        }
    }
}

/// The store of one incident's events: [`FileJournal`] (the embedded default) and
/// [`PgJournal`] (a shared PostgreSQL database); the trait is what the console, the CLI and the
/// share server program against.
pub trait Journal {
    /// The records read so far and their incident.
    fn folded(&self) -> &Folded;
    fn id(&self) -> &str {
        &self.folded().id
    }
    /// Every entry committed so far, as this handle last saw them.
    fn records(&self) -> &[Record] {
        &self.folded().records
    }
    /// The incident folded from [`Journal::records`].
    fn incident(&self) -> Option<&Incident> {
        self.folded().incident.as_ref()
    }
    /// Picks up entries appended by other processes; returns how many were new.
    fn refresh(&mut self) -> Result<usize, JournalError>;
    /// Appends at most one event atomically with respect to other writers: `decide` sees the
    /// incident as of the newest committed entry and returns the event to append, `None` when
    /// there is nothing to record (then nothing is written), or refuses.
    fn append_if(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Record>, JournalError>;
    /// Warnings met while reading (a torn last line moved aside, …), oldest first.
    fn take_warnings(&mut self) -> Vec<String>;
    /// Keeps what recording needs open from now on (the file journal's file), so that the
    /// incident a console leads can be recorded to when the process has no file descriptor
    /// to spare; nothing to do for a store that holds its connection anyway.
    fn hold_open(&mut self) -> Result<(), JournalError> {
        Ok(())
    }
    /// Lets go of what [`Journal::hold_open`] kept.
    fn release(&mut self) {}
    /// Redacts entry `request.seq` atomically with respect to other writers: its event
    /// leaves the journal (a placeholder that keeps its digest takes its place, so the chain
    /// still verifies) and a `redacted` event naming the entry, its author's reason and the
    /// role claimed is appended after it. Decided against the incident as of the newest entry
    /// ([`crate::domain::redaction`]); refused in a format-1 journal. Returns the `redacted`
    /// entry.
    fn redact(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        request: &Redaction<'_>,
    ) -> Result<Record, JournalError>;

    /// Appends `event` (checked against the incident as of the newest entry) at most once for
    /// `key`, the key of an [`Outbox`] entry, which may be drained again after a crash: when
    /// an entry recorded under `key` is already committed, by this handle or by any earlier
    /// process, that entry is returned and nothing is written. PostgreSQL knows the entry by
    /// its event id (`UNIQUE`); the file journal, which keeps no key, by `by`, `at` (to the
    /// millisecond, as lines keep it) and the event.
    fn append_once(
        &mut self,
        key: &str,
        by: &str,
        at: DateTime<Utc>,
        event: &Event,
    ) -> Result<Record, JournalError> {
        let _ = key;
        self.refresh()?;
        let at_ms = at.timestamp_millis();
        if let Some(found) = self.records().iter().find(|r| {
            r.entry.by == by && r.entry.at.timestamp_millis() == at_ms && r.entry.event == *event
        }) {
            return Ok(found.clone());
        }
        self.append(by, at, event.clone())
    }

    /// Appends exactly one event atomically with respect to other writers: `decide` sees the
    /// incident as of the newest committed entry and returns the event to append, or refuses.
    fn append_with(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        decide: &mut dyn FnMut(Option<&Incident>) -> Result<Event, Rejected>,
    ) -> Result<Record, JournalError> {
        self.append_if(by, at, &mut |incident| decide(incident).map(Some))?
            .ok_or_else(|| JournalError::Rejected(Rejected("nothing to record".into())))
    }

    /// Appends `event` after checking it against the current incident.
    fn append(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        event: Event,
    ) -> Result<Record, JournalError> {
        // Checked afresh on each call: a store may decide again after a lost connection.
        self.append_with(by, at, &mut |incident| {
            if let Some(i) = incident {
                i.check(&event)?;
            }
            Ok(event.clone())
        })
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// What to redact, why, and on what authority.
#[derive(Debug, Clone, Copy)]
pub struct Redaction<'a> {
    pub seq: u64,
    pub reason: &'a str,
    pub authority: Authority,
    /// The roles configuration lets redact besides the leader (`[journal] redact_roles`).
    pub allowed: &'a [Role],
}

/// Under the store's lock, with `folded` as of the newest entry: the placeholder of the entry
/// to redact and the `redacted` entry to append after the last one.
pub(crate) fn redaction(
    folded: &Folded,
    by: &str,
    at: DateTime<Utc>,
    request: &Redaction<'_>,
) -> Result<(Record, Record), JournalError> {
    check_author(by)?;
    let Some(incident) = folded.incident.as_ref() else {
        return Err(Rejected(format!("{} has no opening entry", folded.id)).into());
    };
    let target = folded
        .records
        .iter()
        .find(|r| r.entry.seq == request.seq)
        .ok_or_else(|| {
            Rejected(format!(
                "{} has no entry #{} (its entries are #1 to #{})",
                folded.id,
                request.seq,
                folded.records.len()
            ))
        })?;
    let event = crate::domain::redaction(
        incident,
        &target.entry,
        by,
        request.reason,
        request.authority,
        request.allowed,
    )?;
    incident.check(&event)?;
    let placeholder = line::placeholder(target)?;
    let (prev, seq) = folded.next();
    let record = line::encode(folded.format(), prev, seq, at, by, &event)?;
    Ok((placeholder, record))
}

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
