//! One incident's journal in PostgreSQL: read in seq order and checked line by line exactly as
//! the file journal checks its file; appended in one transaction under the incident's head row.

use super::{CHANNEL, Fail, PgStore, append, new_event_id};
use crate::domain::Event;
use crate::journal::line::parse_line;
use crate::journal::{
    Decide, FORMAT, Folded, GENESIS, Journal, JournalError, Record, Redaction, check_author,
};
use chrono::{DateTime, Utc};
use tokio_postgres::Row;

/// The event id an append is recorded under; `given`: it came from the caller (an outbox
/// entry), so an earlier process may have committed it already.
#[derive(Clone, Copy)]
struct EventId<'a> {
    id: &'a str,
    given: bool,
}

/// One incident's journal in a [`PgStore`], with every committed entry read and folded.
pub struct PgJournal {
    store: PgStore,
    folded: Folded,
    warnings: Vec<String>,
}

impl std::fmt::Debug for PgJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgJournal")
            .field("store", &self.store)
            .field("id", &self.id())
            .field("records", &self.records().len())
            .finish()
    }
}

impl PgJournal {
    pub(super) fn load(store: PgStore, id: String) -> Result<PgJournal, JournalError> {
        let mut journal = PgJournal {
            store,
            folded: Folded::new(id),
            warnings: Vec::new(),
        };
        let store = journal.store.clone();
        let exists = store.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(client.query_opt(
                "SELECT 1 FROM warroom_incidents WHERE id = $1",
                &[&journal.id()],
            ))?
            .map(|row| row.is_some())
            .map_err(|e| s.fail(&e))
        })?;
        if !exists {
            return Err(JournalError::NotFound(journal.id().to_string()));
        }
        journal.refresh()?;
        Ok(journal)
    }

    /// Where this journal is, for messages: `postgres://user@host:port/db/INC-7`.
    pub fn location(&self) -> String {
        format!("{}/{}", self.store.shown(), self.id())
    }

    fn damaged(&self, seq: u64, reason: String) -> JournalError {
        JournalError::Damaged {
            path: self.location().into(),
            line: seq as usize,
            reason,
        }
    }

    /// Checks rows (seq, event id, line), which must follow the known records, and takes
    /// them. Returns the record whose event id is `ours`, when one is.
    fn take_rows(
        &mut self,
        rows: &[Row],
        ours: Option<&str>,
    ) -> Result<Option<Record>, JournalError> {
        let mut found = None;
        let location = self.location();
        self.folded.reserve(rows.len());
        for row in rows {
            let event_id: &str = row.get(1);
            take_row(&mut self.folded, &location, row.get(0), row.get(2))?;
            if ours == Some(event_id) {
                found = self.folded.records.last().cloned();
            }
        }
        Ok(found)
    }

    fn known_seq(&self) -> i64 {
        self.records().last().map_or(0, |r| r.entry.seq as i64)
    }

    /// One try: when this handle may decide on what it holds, a compare-and-swap of the head
    /// (one round trip, see `append.rs`); when another writer came first, or this is a try
    /// again after a lost answer, the locked path.
    fn try_append(
        &mut self,
        client: &mut tokio_postgres::Client,
        by: &str,
        at: DateTime<Utc>,
        key: EventId<'_>,
        decide: &mut Decide<'_>,
        decided: &mut Option<(u64, Event)>,
    ) -> Result<Option<Record>, Fail> {
        let client: &tokio_postgres::Client = client;
        // An id given by the caller may be committed already, and a try after a lost answer
        // may have committed: both are looked up under the lock.
        if !key.given
            && decided.is_none()
            && let Some(record) = self.try_swap(client, by, at, key.id, decide, decided)?
        {
            return Ok(Some(record));
        }
        let store = self.store.clone();
        let mut open = false;
        let locked = self.try_locked(client, by, at, key, decide, decided, &mut open);
        if open && !matches!(locked, Err(Fail::Lost(_))) {
            // Ended now: an open transaction keeps the head row locked until this connection
            // is next used.
            store
                .block(append::rollback(client))?
                .map_err(|e| store.fail(&e))?;
        }
        locked
    }

    /// Decides against the incident as this handle holds it and swaps the head: the record
    /// when committed; none when the decision needs the newest entries (the head moved, or the
    /// decision was to record nothing or to refuse, which only the newest entries may say).
    fn try_swap(
        &mut self,
        client: &tokio_postgres::Client,
        by: &str,
        at: DateTime<Utc>,
        event_id: &str,
        decide: &mut Decide<'_>,
        decided: &mut Option<(u64, Event)>,
    ) -> Result<Option<Record>, Fail> {
        let Ok(Some(event)) = decide(self.incident()) else {
            return Ok(None);
        };
        let (prev, seq) = self.folded.next();
        let record = crate::journal::line::encode(self.folded.format(), prev, seq, at, by, &event)?;
        let prev = prev.to_string();
        *decided = Some((seq - 1, event));
        let store = self.store.clone();
        let id = self.id().to_string();
        let committed = store
            .block(append::swap_committed(
                client, &id, &record, &prev, event_id,
            ))?
            .map_err(|e| store.fail(&e))?;
        if !committed {
            // Nothing was written: decided afresh under the lock.
            *decided = None;
            return Ok(None);
        }
        // Committed: COMMIT returned.
        self.folded.push(record.clone());
        Ok(Some(record))
    }

    /// One locked try: lock the head, read what others committed, decide, swap the head,
    /// commit. `open`: the transaction is still open when this returns.
    #[allow(clippy::too_many_arguments)]
    fn try_locked(
        &mut self,
        client: &tokio_postgres::Client,
        by: &str,
        at: DateTime<Utc>,
        key: EventId<'_>,
        decide: &mut Decide<'_>,
        decided: &mut Option<(u64, Event)>,
        open: &mut bool,
    ) -> Result<Option<Record>, Fail> {
        let EventId {
            id: event_id,
            given,
        } = key;
        let store = self.store.clone();
        let id = self.id().to_string();
        let known = self.known_seq();
        *open = true;
        let locked = store
            .block(append::lock(client, &id, known, given.then_some(event_id)))?
            .map_err(|e| store.fail(&e))?;
        let Some(head) = locked.head else {
            return Err(Fail::Final(JournalError::NotFound(id)));
        };
        if let Some(record) = self.take_rows(&locked.rows, Some(event_id))? {
            // An earlier try committed, and only its answer was lost.
            return Ok(Some(record));
        }
        if let Some(seq) = locked.earlier {
            // An id given by the caller, committed by an earlier process among the entries
            // this handle read before.
            return match self.records().get((seq as usize).saturating_sub(1)) {
                Some(record) if record.entry.seq == seq as u64 => Ok(Some(record.clone())),
                _ => Err(Fail::Final(self.damaged(
                    seq as u64,
                    "an entry's event id names an entry this journal did not read".into(),
                ))),
            };
        }
        if self.known_seq() != head {
            return Err(Fail::Final(self.damaged(
                head as u64,
                format!(
                    "the head says entry {head} is the last, but entries end at {}",
                    self.known_seq()
                ),
            )));
        }
        let event = match decided.take() {
            // Decided already against this very head by a try whose connection was lost.
            Some((seq, event)) if seq == head as u64 => event,
            _ => match decide(self.incident()) {
                Ok(Some(event)) => event,
                // Nothing to record, or refused.
                outcome => return outcome.map(|_| None).map_err(Fail::from),
            },
        };
        *decided = Some((head as u64, event.clone()));
        let (prev, seq) = self.folded.next();
        let record = crate::journal::line::encode(self.folded.format(), prev, seq, at, by, &event)?;
        let prev = prev.to_string();
        let swapped = store
            .block(append::commit_swap(client, &id, &record, &prev, event_id))?
            .map_err(|e| store.fail(&e))?;
        *open = false;
        if !swapped {
            return Err(Fail::Final(self.damaged(
                seq,
                "the head row does not name the last entry, though it was locked".into(),
            )));
        }
        // Committed: COMMIT returned.
        self.folded.push(record.clone());
        Ok(Some(record))
    }
}

impl PgJournal {
    /// One try of a redaction: lock the head, read what others committed, decide, replace the
    /// entry's line by its placeholder, insert the `redacted` entry, move the head, commit.
    fn try_redact(
        &mut self,
        client: &mut tokio_postgres::Client,
        by: &str,
        at: DateTime<Utc>,
        event_id: &str,
        request: &Redaction<'_>,
    ) -> Result<(Record, Option<Record>), Fail> {
        let store = self.store.clone();
        let id = self.id().to_string();
        let known = self.known_seq();
        let (tx, head, rows) = store
            .block(async {
                let tx = client.transaction().await?;
                let (head, rows) = lock_head(&tx, &id, known).await?;
                Ok((tx, head, rows))
            })?
            .map_err(|e| store.fail(&e))?;
        if head.is_none() {
            return Err(Fail::Final(JournalError::NotFound(id)));
        }
        if let Some(record) = self.take_rows(&rows, Some(event_id))? {
            // An earlier try committed, and only its answer was lost: the placeholder is
            // read again with the journal.
            store.block(tx.rollback())?.map_err(|e| store.fail(&e))?;
            return Ok((record, None));
        }
        let (placeholder, record) = match crate::journal::redaction(&self.folded, by, at, request) {
            Ok(decided) => decided,
            Err(refused) => {
                store.block(tx.rollback())?.map_err(|e| store.fail(&e))?;
                return Err(Fail::Final(refused));
            }
        };
        let seq = placeholder.entry.seq as i64;
        let replaced = store
            .block(async {
                let replaced = tx
                    .execute(
                        "UPDATE warroom_events SET line = $3 WHERE incident = $1 AND seq = $2",
                        &[&id, &seq, &placeholder.line],
                    )
                    .await?;
                let mut dropped = 0;
                if replaced == 1 {
                    // The line an upgrade kept of it goes too: the text leaves the database.
                    dropped = tx
                        .execute(
                            "DELETE FROM warroom_upgraded_lines WHERE incident = $1 AND seq = $2",
                            &[&id, &seq],
                        )
                        .await?;
                    insert(&tx, &id, &record, event_id).await?;
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                Ok((replaced == 1, dropped))
            })?
            .map_err(|e| store.fail(&e))?;
        let (replaced, dropped) = replaced;
        if dropped > 0 {
            self.warnings.push(format!(
                "the line of #{seq} kept in warroom_upgraded_lines when {id} was upgraded is                  removed with it: the kept format-1 chain now lacks #{seq}"
            ));
        }
        if !replaced {
            return Err(Fail::Final(self.damaged(
                placeholder.entry.seq,
                "the entry to redact is not in the store".into(),
            )));
        }
        self.folded.replace(placeholder.clone());
        self.folded.push(record.clone());
        Ok((record, Some(placeholder)))
    }
}

/// Inserts entry `record` of incident `id` and moves the head to it, announcing it on
/// [`CHANNEL`] (delivered at COMMIT). The caller holds the head row.
pub(super) async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    id: &str,
    record: &Record,
    event_id: &str,
) -> Result<(), tokio_postgres::Error> {
    let seq = record.entry.seq as i64;
    tx.execute(
        "INSERT INTO warroom_events (incident, seq, event_id, line) VALUES ($1, $2, $3, $4)",
        &[&id, &seq, &event_id, &record.line],
    )
    .await?;
    tx.execute(
        "UPDATE warroom_incidents SET head_seq = $2, head_hash = $3 WHERE id = $1",
        &[&id, &seq, &record.hash()],
    )
    .await?;
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &format!("{id}:{seq}")],
    )
    .await?;
    Ok(())
}

/// Copies `records` (a verified chain) in as incident `id`: all when it is new, the missing
/// ones when what is here is a beginning of the same chain. `Ok(Err(why))` when what is here
/// differs. Each line gets event id `<batch>-<seq>`. `limit`: how long its statements may take.
pub(super) async fn import(
    client: &mut tokio_postgres::Client,
    id: &str,
    number: i64,
    records: &[Record],
    batch: &str,
    limit: std::time::Duration,
) -> Result<Result<usize, String>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    // The server's statement limit, raised for this transaction as the client's is.
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {}",
        limit.as_millis()
    ))
    .await?;
    tx.execute(
        "INSERT INTO warroom_incidents (id, number, head_seq, head_hash) \
         VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING",
        &[&id, &number, &GENESIS],
    )
    .await?;
    // New IDs start after every incident copied in.
    tx.execute(
        "UPDATE warroom_ids SET last = greatest(last, $1) WHERE name = 'incident'",
        &[&number],
    )
    .await?;
    tx.query_one(
        "SELECT head_seq FROM warroom_incidents WHERE id = $1 FOR UPDATE",
        &[&id],
    )
    .await?;
    let here = tx
        .query(
            "SELECT line FROM warroom_events WHERE incident = $1 ORDER BY seq",
            &[&id],
        )
        .await?;
    if here.len() > records.len()
        || here
            .iter()
            .zip(records)
            .any(|(row, r)| row.get::<_, &str>(0) != r.line)
    {
        return Ok(Err(format!(
            "{id} is already in the store with {} entries that differ from the ones copied \
             ({}); nothing was copied",
            here.len(),
            records.len()
        )));
    }
    let rest = &records[here.len()..];
    let Some(last) = rest.last() else {
        return Ok(Ok(0));
    };
    let seqs: Vec<i64> = rest.iter().map(|r| r.entry.seq as i64).collect();
    let ids: Vec<String> = seqs.iter().map(|s| format!("{batch}-{s}")).collect();
    let lines: Vec<&str> = rest.iter().map(|r| r.line.as_str()).collect();
    tx.execute(
        "INSERT INTO warroom_events (incident, seq, event_id, line) \
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[])",
        &[&id, &seqs, &ids, &lines],
    )
    .await?;
    let last_seq = last.entry.seq as i64;
    tx.execute(
        "UPDATE warroom_incidents SET head_seq = $2, head_hash = $3 WHERE id = $1",
        &[&id, &last_seq, &last.hash()],
    )
    .await?;
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &format!("{id}:{last_seq}")],
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(rest.len()))
}

impl PgJournal {
    /// Reads and takes every entry after the known ones. The rows are parsed and checked on a
    /// thread of their own while the next ones are still arriving, so a long incident costs
    /// about the longer of reading and checking rather than both (see docs/performance.md,
    /// "Shared store"). A connection lost midway is read again from the last entry taken.
    fn refresh_rows(&mut self) -> Result<usize, JournalError> {
        let store = self.store.clone();
        let location = self.location();
        let id = self.id().to_string();
        let before = self.records().len();
        let folded = &mut self.folded;
        store.retry(|s, slot| {
            let client = s.client(slot)?;
            stream_into(s, client, &id, folded, &location)
        })?;
        Ok(self.records().len() - before)
    }

    /// Entries redacted by the `redacted` records read since record `from` (by another
    /// process) are read again, so this handle holds their placeholders, not their text.
    fn reread_redacted(&mut self, from: usize) -> Result<(), JournalError> {
        let targets: Vec<i64> = self.records()[from..]
            .iter()
            .filter_map(|r| match r.entry.event {
                Event::Redacted { entry, .. } => Some(entry),
                _ => None,
            })
            .filter(|seq| {
                self.records()
                    .iter()
                    .any(|r| r.entry.seq == *seq && !r.is_redacted())
            })
            .map(|seq| seq as i64)
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let store = self.store.clone();
        let rows = store.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(client.query(
                "SELECT seq, line FROM warroom_events WHERE incident = $1 AND seq = ANY($2)",
                &[&self.id(), &targets],
            ))?
            .map_err(|e| s.fail(&e))
        })?;
        for row in rows {
            let seq = row.get::<_, i64>(0) as u64;
            let line: &str = row.get(1);
            let Some(known) = self.records().iter().find(|r| r.entry.seq == seq) else {
                continue;
            };
            let record = parse_line(line.as_bytes(), known.prev(), seq)
                .map_err(|bad| self.damaged(seq, bad.reason))?;
            if record.hash() != known.hash() {
                return Err(self.damaged(seq, "its hash changed after it was read".into()));
            }
            self.folded.replace(record);
        }
        Ok(())
    }

    fn append_rows(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Record>, JournalError> {
        let event_id = new_event_id().map_err(|e| {
            JournalError::Store(format!("{}: no random event id: {e}", self.location()))
        })?;
        self.append_keyed(by, at, &event_id, false, decide)
    }

    fn append_once_rows(
        &mut self,
        key: &str,
        by: &str,
        at: DateTime<Utc>,
        event: &Event,
    ) -> Result<Record, JournalError> {
        let appended = self.append_keyed(by, at, key, true, &mut |incident| {
            if let Some(i) = incident {
                i.check(event)?;
            }
            Ok(Some(event.clone()))
        })?;
        appended.ok_or_else(|| {
            JournalError::Rejected(crate::domain::Rejected("nothing to record".into()))
        })
    }
}

impl Journal for PgJournal {
    fn folded(&self) -> &Folded {
        &self.folded
    }

    fn refresh(&mut self) -> Result<usize, JournalError> {
        let before = self.records().len();
        let n = self.refresh_rows()?;
        self.reread_redacted(before)?;
        Ok(n)
    }

    fn append_if(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Record>, JournalError> {
        let before = self.records().len();
        let appended = self.append_rows(by, at, decide)?;
        self.reread_redacted(before)?;
        Ok(appended)
    }

    fn append_once(
        &mut self,
        key: &str,
        by: &str,
        at: DateTime<Utc>,
        event: &Event,
    ) -> Result<Record, JournalError> {
        let before = self.records().len();
        let appended = self.append_once_rows(key, by, at, event)?;
        self.reread_redacted(before)?;
        Ok(appended)
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn redact(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        request: &Redaction<'_>,
    ) -> Result<Record, JournalError> {
        check_author(by)?;
        let event_id = new_event_id().map_err(|e| {
            JournalError::Store(format!("{}: no random event id: {e}", self.location()))
        })?;
        let store = self.store.clone();
        let (record, placeholder) = store.retry(|s, slot| {
            let client = s.client(slot)?;
            self.try_redact(client, by, at, &event_id, request)
        })?;
        if placeholder.is_none() {
            // Committed by a try whose answer was lost: read the journal again, so this
            // handle holds the placeholder rather than the text.
            let mut fresh = PgJournal::load(self.store.clone(), self.id().to_string())?;
            std::mem::swap(&mut self.folded, &mut fresh.folded);
        }
        Ok(record)
    }
}

impl PgJournal {
    /// Appends under event id `event_id`; `given`: the id came from the caller (an outbox
    /// entry) and may already be committed by an earlier process.
    fn append_keyed(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        event_id: &str,
        given: bool,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Record>, JournalError> {
        check_author(by)?;
        let mut decided = None;
        let store = self.store.clone();
        let appended = store.retry(|s, slot| {
            let client = s.client(slot)?;
            let key = EventId {
                id: event_id,
                given,
            };
            self.try_append(client, by, at, key, decide, &mut decided)
        });
        match appended {
            Ok(appended) => Ok(appended),
            Err(JournalError::Store(why)) if decided.is_some() => {
                Err(JournalError::Store(format!(
                    "{why}; the entry may or may not have been recorded \
                     (`warroom log {}` shows)",
                    self.id()
                )))
            }
            Err(JournalError::Store(why)) => {
                Err(JournalError::Store(format!("{why}; nothing was recorded")))
            }
            Err(e) => Err(e),
        }
    }
}

/// Locks incident `id`'s head row in `tx` (none when the incident is not in the database) and
/// reads the entries after `known`, committed before the lock was taken: what an append or a
/// redaction decides against.
async fn lock_head(
    tx: &tokio_postgres::Transaction<'_>,
    id: &str,
    known: i64,
) -> Result<(Option<Row>, Vec<Row>), tokio_postgres::Error> {
    let head = tx
        .query_opt(
            "SELECT head_seq FROM warroom_incidents WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?;
    let rows = tx
        .query(
            "SELECT seq, event_id, line FROM warroom_events \
             WHERE incident = $1 AND seq > $2 ORDER BY seq",
            &[&id, &known],
        )
        .await?;
    Ok((head, rows))
}

/// Checks one row, which must follow `folded`'s records, and takes it.
fn take_row(folded: &mut Folded, location: &str, seq: i64, line: &str) -> Result<(), JournalError> {
    let (prev, expected) = folded.next();
    let checked = parse_line(line.as_bytes(), prev, expected);
    place_row(folded, location, seq, checked)
}

/// Takes row `seq`, whose line was parsed (`checked`) as the entry after `folded`'s records.
fn place_row(
    folded: &mut Folded,
    location: &str,
    seq: i64,
    checked: Result<Record, crate::journal::line::BadLine>,
) -> Result<(), JournalError> {
    let damaged = |line: u64, reason: String| JournalError::Damaged {
        path: location.into(),
        line: line as usize,
        reason,
    };
    let (_, expected) = folded.next();
    if seq as u64 != expected {
        return Err(damaged(
            expected,
            format!("entry {seq} where {expected} was expected (a gap)"),
        ));
    }
    let record = checked.map_err(|bad| match bad.newer {
        Some(found) => JournalError::NewerFormat {
            path: location.into(),
            found,
            supported: FORMAT,
        },
        None => damaged(expected, bad.reason),
    })?;
    folded
        .check_format(&record)
        .map_err(|why| damaged(expected, why))?;
    folded.push(record);
    Ok(())
}

/// Takes a batch of rows (seq, line): every line checked on its own on every core, as the
/// file journal checks its lines (`file/check.rs`), then each placed after the one before.
fn take_batch(folded: &mut Folded, location: &str, batch: &[Row]) -> Result<(), JournalError> {
    let lines: Vec<&[u8]> = batch
        .iter()
        .map(|row| row.get::<_, &str>(1).as_bytes())
        .collect();
    folded.reserve(batch.len());
    for (row, checked) in batch
        .iter()
        .zip(crate::journal::file::check::check_lines(&lines))
    {
        let (prev, expected) = folded.next();
        let placed = checked.place(prev, expected);
        place_row(folded, location, row.get(0), placed)?;
    }
    Ok(())
}

/// Rows handed from the reading to the checking thread at a time.
/// Enough that each batch is checked on every core (`file/check.rs` splits from 2,048 lines).
const BATCH: usize = 8_192;

/// Reads the incident's entries after `folded`'s last one in seq order, as one streamed
/// result, and takes them: the runtime's thread reads the rows while a second thread checks
/// and folds the batches already read.
fn stream_into(
    s: &PgStore,
    client: &tokio_postgres::Client,
    id: &str,
    folded: &mut Folded,
    location: &str,
) -> Result<(), Fail> {
    use futures::StreamExt;
    let known = folded.records.last().map_or(0, |r| r.entry.seq as i64);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
    std::thread::scope(|scope| {
        let checker = scope.spawn(move || -> Result<(), JournalError> {
            for batch in rx {
                take_batch(folded, location, &batch)?;
            }
            Ok(())
        });
        let read = s.block(async move {
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&id, &known];
            let rows = client
                .query_raw(
                    "SELECT seq, line FROM warroom_events \
                     WHERE incident = $1 AND seq > $2 ORDER BY seq",
                    params,
                )
                .await
                .map_err(|e| s.fail(&e))?;
            let mut rows = std::pin::pin!(rows);
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(row) = rows.next().await {
                batch.push(row.map_err(|e| s.fail(&e))?);
                // A closed channel: the checker stopped at a damaged entry, and says why.
                if batch.len() == BATCH
                    && tx
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    return Ok(());
                }
            }
            let _ = tx.send(batch);
            Ok(())
        });
        let checked = match checker.join() {
            Ok(checked) => checked,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        // A damaged entry is the answer, whatever the reading did after it; otherwise a lost
        // connection is tried again from the last entry taken.
        checked?;
        read?
    })
}
