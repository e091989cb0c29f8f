//! The statements of an append, each step one round trip.
//!
//! * **Compare and swap (the usual case, one round trip).** The writer already knows the head it
//!   decided against (its last entry's seq and hash). `BEGIN`, [`SWAP`] and `COMMIT` go out
//!   together, pipelined: [`SWAP`] moves the head only when it is still that entry (the `UPDATE`
//!   takes the head row's lock, waiting for a writer that holds it, then looks again), inserts
//!   the line only when the head moved, and notifies only when the line went in. One round
//!   trip, one WAL flush. When the head had moved (another writer came first) nothing is
//!   written, and the append takes the locked path.
//! * **Locked (someone else came first, two round trips).** `BEGIN`, the head row
//!   `SELECT … FOR UPDATE` and the read of the entries committed since go out together; the
//!   writer decides against the incident as of the newest entry; [`SWAP`] (which cannot miss
//!   under the lock) and `COMMIT` go out together.
//!
//! Why compare-and-swap rather than locking first: a decision is only ever valid against the
//! newest committed entry, and the `UPDATE … WHERE head_seq = n AND head_hash = h` proves that
//! it was, atomically with the insert, in the same transaction; so the lock needs holding only
//! for the statement, not across the client's round trips, and a writer alone on an incident
//! (the common case) pays one round trip instead of seven. Every statement is sent with its
//! parameter types (`query_typed`): no separate prepare round trip, nothing cached per
//! connection to go stale when a connection is made again.

use super::CHANNEL;
use crate::journal::Record;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};

/// Moves incident `$1`'s head from (`$2 - 1`, `$4`) to (`$2`, `$3`), inserts entry `$2` with
/// event id `$5` and line `$6`, and notifies `$7` with `$8`: all or nothing. One row when done.
const SWAP: &str = "WITH head AS ( \
       UPDATE warroom_incidents SET head_seq = $2, head_hash = $3 \
       WHERE id = $1 AND head_seq = $2 - 1 AND head_hash = $4 RETURNING id), \
     entry AS ( \
       INSERT INTO warroom_events (incident, seq, event_id, line) \
       SELECT id, $2, $5, $6 FROM head RETURNING seq) \
     SELECT seq, pg_notify($7, $8) FROM entry";

const LOCK: &str = "SELECT head_seq, head_hash FROM warroom_incidents WHERE id = $1 FOR UPDATE";

const SINCE: &str = "SELECT seq, event_id, line FROM warroom_events \
     WHERE incident = $1 AND seq > $2 ORDER BY seq";

const EARLIER: &str = "SELECT seq FROM warroom_events \
     WHERE incident = $1 AND event_id = $2 AND seq <= $3";

/// Runs [`SWAP`] for `record` (following `prev`) in the current transaction: whether it wrote.
async fn swap(
    client: &Client,
    id: &str,
    record: &Record,
    prev: &str,
    event_id: &str,
) -> Result<bool, tokio_postgres::Error> {
    let seq = record.entry.seq as i64;
    let payload = format!("{id}:{seq}");
    let params: [(&(dyn ToSql + Sync), Type); 8] = [
        (&id, Type::TEXT),
        (&seq, Type::INT8),
        (&record.hash(), Type::TEXT),
        (&prev, Type::TEXT),
        (&event_id, Type::TEXT),
        (&record.line, Type::TEXT),
        (&CHANNEL, Type::TEXT),
        (&payload, Type::TEXT),
    ];
    Ok(client.query_typed(SWAP, &params).await?.len() == 1)
}

/// `BEGIN`, [`SWAP`], `COMMIT` in one round trip: true when the entry was committed, false when
/// the head was no longer `prev` (nothing written).
pub(super) async fn swap_committed(
    client: &Client,
    id: &str,
    record: &Record,
    prev: &str,
    event_id: &str,
) -> Result<bool, tokio_postgres::Error> {
    // Polled in this order, so sent in this order, before any answer is read.
    let (begun, swapped, committed) = futures::join!(
        client.simple_query("BEGIN"),
        swap(client, id, record, prev, event_id),
        client.simple_query("COMMIT"),
    );
    begun?;
    // A failed SWAP ends the transaction, and the COMMIT then rolls back: its error first.
    let swapped = swapped?;
    committed?;
    Ok(swapped)
}

/// What the locked path read under the head row's lock.
pub(super) struct Locked {
    /// The head's seq; none when the incident is not in the database.
    pub head: Option<i64>,
    /// Entries after the known ones: seq, event id, line.
    pub rows: Vec<Row>,
    /// The seq of an entry at or before the known ones that has the append's event id.
    pub earlier: Option<i64>,
}

/// `BEGIN`, the head row locked and the entries after `known` read, in one round trip. The
/// transaction stays open: [`commit_swap`] or a `ROLLBACK` ends it.
pub(super) async fn lock(
    client: &Client,
    id: &str,
    known: i64,
    given: Option<&str>,
) -> Result<Locked, tokio_postgres::Error> {
    let lock_params: [(&(dyn ToSql + Sync), Type); 1] = [(&id, Type::TEXT)];
    let since_params: [(&(dyn ToSql + Sync), Type); 2] = [(&id, Type::TEXT), (&known, Type::INT8)];
    let (begun, head, rows, earlier) = futures::join!(
        client.simple_query("BEGIN"),
        client.query_typed_opt(LOCK, &lock_params),
        client.query_typed(SINCE, &since_params),
        async {
            match given {
                Some(event_id) => {
                    client
                        .query_typed_opt(
                            EARLIER,
                            &[
                                (&id, Type::TEXT),
                                (&event_id, Type::TEXT),
                                (&known, Type::INT8),
                            ],
                        )
                        .await
                }
                None => Ok(None),
            }
        },
    );
    begun?;
    Ok(Locked {
        head: head?.map(|r| r.get(0)),
        rows: rows?,
        earlier: earlier?.map(|r| r.get(0)),
    })
}

/// [`SWAP`] and `COMMIT` of the transaction [`lock`] began, in one round trip: whether the
/// entry was written (under the lock it always is, unless the head row says otherwise than
/// the entries do).
pub(super) async fn commit_swap(
    client: &Client,
    id: &str,
    record: &Record,
    prev: &str,
    event_id: &str,
) -> Result<bool, tokio_postgres::Error> {
    let (swapped, committed) = futures::join!(
        swap(client, id, record, prev, event_id),
        client.simple_query("COMMIT"),
    );
    let swapped = swapped?;
    committed?;
    Ok(swapped)
}

/// Ends the transaction [`lock`] began without writing anything.
pub(super) async fn rollback(client: &Client) -> Result<(), tokio_postgres::Error> {
    client.simple_query("ROLLBACK").await.map(|_| ())
}
