//! Leading an incident kept in PostgreSQL: a lease row in `warroom_leases` naming the user,
//! host, pid and since, renewed by a heartbeat every [`RENEW_EVERY`] on a connection of its own.
//! A holder that dies, or loses the network, stops renewing, and the lease is free once its
//! last renewal is [`LEASE`] old (measured by the database's clock, so the machines' clocks do
//! not matter). Letting go ends the lease at once (the row stays, saying who led last and
//! since when the lead is free, for a handoff that keeps the lead for the person named).

use super::{PgStore, new_event_id};
use crate::journal::lock::hostname;
use crate::journal::reserve::{self, LastLead};
use crate::journal::{JournalError, LockHolder, normalize_id};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How long a lease lasts after its last renewal.
pub const LEASE: Duration = Duration::from_secs(10);
/// How often the holder renews it: several renewals may fail before the lease runs out.
pub const RENEW_EVERY: Duration = Duration::from_secs(2);

/// The lead of one incident, held while this lives (and renewed in the background).
#[derive(Debug)]
pub struct PgLease {
    holder: LockHolder,
    /// Set when a renewal found the lease taken by someone else (it had run out).
    lost: Arc<AtomicBool>,
    /// Dropped to stop the heartbeat, which then lets the lease go.
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<std::thread::JoinHandle<()>>,
}

impl PgLease {
    /// Who holds it: this process.
    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }

    /// False once the lease ran out and someone else took it.
    pub fn is_held(&self) -> bool {
        !self.lost.load(Ordering::Relaxed)
    }
}

impl Drop for PgLease {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
    }
}

impl PgStore {
    /// Takes the lead of incident `id` for `user`, or says who holds it (or, after `handoff`,
    /// the newest handoff, for whom it is kept: [`crate::journal::RESERVE`]).
    pub(super) fn lease(
        &self,
        id: &str,
        user: &str,
        now: DateTime<Utc>,
        handoff: Option<&(String, DateTime<Utc>)>,
    ) -> Result<PgLease, JournalError> {
        let id = normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))?;
        let token = new_event_id().map_err(|e| JournalError::Store(e.to_string()))?;
        let me = LockHolder {
            user: user.to_string(),
            pid: std::process::id(),
            host: hostname(),
            since: now,
        };
        let secs = LEASE.as_secs_f64();
        let pid = me.pid as i32;
        // As the holder's clock had it, RFC 3339: only shown, never compared.
        let since = me.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let taken = self.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(async {
                let tx = client.transaction().await?;
                if tx
                    .query_opt(
                        "SELECT 1 FROM warroom_incidents WHERE id = $1 FOR SHARE",
                        &[&id],
                    )
                    .await?
                    .is_none()
                {
                    // Ended now, not when the connection is next used: until then a dropped
                    // transaction keeps its locks.
                    tx.rollback().await?;
                    return Ok(Err(None));
                }
                // A lease that ran out (or was let go): who held it and when it became free,
                // by the database's clock, for a handoff that keeps the lead for someone.
                let last = tx
                    .query_opt(
                        "SELECT username, since, \
                           extract(epoch FROM renewed_at)::float8 + $2, \
                           extract(epoch FROM now())::float8, \
                           renewed_at < now() - make_interval(secs => $2) \
                         FROM warroom_leases WHERE incident = $1 FOR UPDATE",
                        &[&id, &secs],
                    )
                    .await?;
                let live = last.as_ref().is_some_and(|row| !row.get::<_, bool>(4));
                if live {
                    // Someone holds it: the INSERT below is refused, naming them.
                } else if let Some(row) = last {
                    let at = |secs: f64| {
                        DateTime::from_timestamp_millis((secs * 1000.0) as i64)
                            .unwrap_or(DateTime::UNIX_EPOCH)
                    };
                    let last = LastLead {
                        user: row.get(0),
                        since: DateTime::parse_from_rfc3339(row.get(1))
                            .map(|t| t.with_timezone(&Utc))
                            .unwrap_or(DateTime::UNIX_EPOCH),
                        freed: Some(at(row.get(2))),
                    };
                    if let Err(kept) =
                        reserve::check(&id, handoff, Some(&last), user, at(row.get(3)))
                    {
                        tx.rollback().await?;
                        return Ok(Err(Some(Refused::Kept(kept))));
                    }
                } else if let Err(kept) = reserve::check(&id, handoff, None, user, now) {
                    // Nobody has led it since it was opened.
                    tx.rollback().await?;
                    return Ok(Err(Some(Refused::Kept(kept))));
                }
                let won = tx
                    .query_opt(
                        "INSERT INTO warroom_leases \
                           (incident, holder, username, host, pid, since, renewed_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, now()) \
                         ON CONFLICT (incident) DO UPDATE SET holder = EXCLUDED.holder, \
                           username = EXCLUDED.username, host = EXCLUDED.host, \
                           pid = EXCLUDED.pid, since = EXCLUDED.since, renewed_at = now() \
                         WHERE warroom_leases.renewed_at < now() - make_interval(secs => $7) \
                            OR warroom_leases.holder = EXCLUDED.holder \
                         RETURNING holder",
                        &[&id, &token, &me.user, &me.host, &pid, &since, &secs],
                    )
                    .await?;
                if won.is_some() {
                    tx.commit().await?;
                    return Ok(Ok(()));
                }
                // The INSERT locked the holder's row, which its heartbeat renews: let go at once.
                let row = tx
                    .query_one(
                        "SELECT username, host, pid, since FROM warroom_leases \
                         WHERE incident = $1",
                        &[&id],
                    )
                    .await?;
                tx.rollback().await?;
                Ok(Err(Some(Refused::Led(holder(&row, 0)))))
            })?
            .map_err(|e| s.fail(&e))
        })?;
        match taken {
            Ok(()) => {}
            Err(None) => return Err(JournalError::NotFound(id)),
            Err(Some(Refused::Led(holder))) => return Err(JournalError::Led { id, holder }),
            Err(Some(Refused::Kept(kept))) => return Err(kept),
        }
        // The heartbeat has a connection of its own: a long append never delays a renewal.
        let beat = self.sibling()?;
        let lost = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = mpsc::channel::<()>();
        let heartbeat = {
            let (lost, id, token) = (lost.clone(), id.clone(), token.clone());
            std::thread::Builder::new()
                .name(format!("lease {id}"))
                .spawn(move || heartbeat(&beat, &id, &token, &lost, &stopped))
                .map_err(|e| JournalError::Store(format!("cannot start the heartbeat: {e}")))?
        };
        Ok(PgLease {
            holder: me,
            lost,
            stop: Some(stop),
            heartbeat: Some(heartbeat),
        })
    }
}

impl PgStore {
    /// Who leads incident `id` now: the holder of a lease that has not run out, if any.
    /// Asked once, without retrying: an unreachable database is an error at once.
    pub fn leader(&self, id: &str) -> Result<Option<LockHolder>, JournalError> {
        let id = normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))?;
        let secs = LEASE.as_secs_f64();
        self.once(|s, slot| {
            let client = s.client(slot)?;
            s.block(client.query_opt(
                "SELECT username, host, pid, since FROM warroom_leases \
                 WHERE incident = $1 AND renewed_at >= now() - make_interval(secs => $2)",
                &[&id, &secs],
            ))?
            .map_err(|e| s.fail(&e))
        })
        .map(|row| row.map(|row| holder(&row, 0)))
        .ok_or_else(|| JournalError::Store(format!("{}: not reachable", self.shown())))
    }
}

/// Why the lease was not taken.
enum Refused {
    Led(LockHolder),
    Kept(JournalError),
}

/// Renews the lease until told to stop (or the lease is lost), then lets it go.
fn heartbeat(store: &PgStore, id: &str, token: &str, lost: &AtomicBool, stop: &mpsc::Receiver<()>) {
    // Until stopped (the sender dropped): then the lease is let go below.
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(RENEW_EVERY) {
        let renewed = store.once(|s, slot| {
            let client = s.client(slot)?;
            s.block(client.execute(
                "UPDATE warroom_leases SET renewed_at = now() \
                 WHERE incident = $1 AND holder = $2",
                &[&id, &token],
            ))?
            .map_err(|e| s.fail(&e))
        });
        // A renewal that could not reach the database is tried again at the next beat; one
        // that found the row someone else's means the lease ran out meanwhile.
        if renewed == Some(0) {
            lost.store(true, Ordering::Relaxed);
            return;
        }
    }
    // Let go: the row stays, run out as of now, so that who led last and when the lead
    // became free are known (a handoff keeps the lead for the person named from then).
    let _ = store.once(|s, slot| {
        let client = s.client(slot)?;
        s.block(client.execute(
            "UPDATE warroom_leases \
             SET renewed_at = now() - make_interval(secs => $3) - interval '1 millisecond' \
             WHERE incident = $1 AND holder = $2",
            &[&id, &token, &LEASE.as_secs_f64()],
        ))?
        .map_err(|e| s.fail(&e))
    });
}

/// Every lease that has not run out: the incident and who holds it.
pub(super) async fn holders(
    client: &tokio_postgres::Client,
) -> Result<Vec<(String, LockHolder)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT incident, username, host, pid, since FROM warroom_leases \
             WHERE renewed_at >= now() - make_interval(secs => $1) ORDER BY incident",
            &[&LEASE.as_secs_f64()],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.get(0), holder(row, 1)))
        .collect())
}

/// The holder in columns `at..at + 4` (username, host, pid, since).
fn holder(row: &tokio_postgres::Row, at: usize) -> LockHolder {
    LockHolder {
        user: row.get(at),
        host: row.get(at + 1),
        pid: row.get::<_, i32>(at + 2) as u32,
        since: DateTime::parse_from_rfc3339(row.get(at + 3))
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(DateTime::UNIX_EPOCH),
    }
}
