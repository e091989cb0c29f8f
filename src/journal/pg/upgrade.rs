//! `warroom upgrade ID` in PostgreSQL: a format-1 journal (pushed from a data directory by
//! `warroom store push`, which copies lines byte for byte) rewritten in the newest format in
//! one transaction under the incident's head row: every old line is kept in
//! `warroom_upgraded_lines` (incident, format, seq, line), every row of `warroom_events` gets
//! its new line (the same seq, time, author and event bytes; new digests and hashes), and the
//! head its new hash. Both are read back whole and checked to the same entries.

use super::{PgStore, STEP_TIMEOUT};
use crate::journal::line::{self, parse_line};
use crate::journal::{FORMAT, Folded, GENESIS, Journal, JournalError, Upgrade};
use chrono::{DateTime, Utc};

/// Where the old lines are kept.
pub const KEPT: &str = "warroom_upgraded_lines";

impl PgStore {
    /// Upgrades incident `id`'s journal to the newest format. Holds the lead for the time it
    /// takes (refused while a console leads it: its chain is about to change).
    pub fn upgrade(
        &self,
        id: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Upgrade, JournalError> {
        let (journal, _lease) = self.lead(id, user, now)?;
        let id = journal.id().to_string();
        let from = journal.folded().format();
        let old_head = journal.folded().next().0.to_string();
        let mut done = Upgrade {
            id: id.clone(),
            events: journal.records().len(),
            from,
            to: FORMAT,
            old_head: old_head.clone(),
            new_head: old_head,
            kept: None,
        };
        if from == FORMAT {
            return Ok(done);
        }
        let damaged = |line: usize, reason: String| JournalError::Damaged {
            path: journal.location().into(),
            line,
            reason,
        };
        let mut upgraded = Folded::new(id.clone());
        for (n, r) in journal.records().iter().enumerate() {
            let record = line::upgraded(r, upgraded.next().0)
                .map_err(|why| damaged(n + 1, format!("cannot be upgraded: {why}")))?;
            upgraded.push(record);
        }
        let seqs: Vec<i64> = journal
            .records()
            .iter()
            .map(|r| r.entry.seq as i64)
            .collect();
        let old: Vec<String> = journal.records().iter().map(|r| r.line.clone()).collect();
        let new: Vec<String> = upgraded.records.iter().map(|r| r.line.clone()).collect();
        let head = upgraded.next().0.to_string();
        let format = from as i32;
        // One transaction however long: a millisecond more per line than a step.
        let limit = STEP_TIMEOUT + std::time::Duration::from_millis(seqs.len() as u64);
        let swapped = self.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block_for(limit, swap(client, &id, format, &seqs, &old, &new, &head))?
                .map_err(|e| s.fail(&e))
        })?;
        swapped.map_err(|reason| damaged(0, reason))?;
        // Both read back whole, checked line by line, to the same entries.
        let now_read = self.open(&id)?;
        let kept = self.kept_lines(&id, format)?;
        let mut prev = GENESIS.to_string();
        let mut kept_entries = Vec::with_capacity(kept.len());
        for (n, l) in kept.iter().enumerate() {
            let r = parse_line(l.as_bytes(), &prev, n as u64 + 1)
                .map_err(|bad| damaged(n + 1, format!("{KEPT}: {}", bad.reason)))?;
            prev = r.hash().to_string();
            kept_entries.push(r.entry);
        }
        let entries: Vec<_> = now_read.records().iter().map(|r| r.entry.clone()).collect();
        let before: Vec<_> = journal.records().iter().map(|r| r.entry.clone()).collect();
        if entries != before || kept_entries != before || now_read.folded().format() != FORMAT {
            return Err(damaged(
                0,
                format!("the upgraded journal does not read as the old one (kept in {KEPT})"),
            ));
        }
        done.new_head = head;
        done.kept = Some(format!("table {KEPT} (format {from}) of {}", self.shown()));
        Ok(done)
    }

    /// The format-`format` lines of incident `id` an upgrade kept, in seq order.
    fn kept_lines(&self, id: &str, format: i32) -> Result<Vec<String>, JournalError> {
        let sql =
            format!("SELECT line FROM {KEPT} WHERE incident = $1 AND format = $2 ORDER BY seq");
        self.retry(|s, slot| {
            let client = s.client(slot)?;
            let rows = s
                .block(client.query(&sql, &[&id, &format]))?
                .map_err(|e| s.fail(&e))?;
            Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
        })
    }
}

/// The transaction: the head row locked, the lines checked to be the ones upgraded, the old
/// ones kept, the new ones written, the head moved. `Ok(Err(why))` when nothing was done.
/// Done already (a commit whose answer was lost) is done.
async fn swap(
    client: &mut tokio_postgres::Client,
    id: &str,
    format: i32,
    seqs: &[i64],
    old: &[String],
    new: &[String],
    head: &str,
) -> Result<Result<(), String>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.query_one(
        "SELECT head_seq FROM warroom_incidents WHERE id = $1 FOR UPDATE",
        &[&id],
    )
    .await?;
    let here: Vec<String> = tx
        .query(
            "SELECT line FROM warroom_events WHERE incident = $1 ORDER BY seq",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let kept: i64 = tx
        .query_one(
            &format!("SELECT count(*) FROM {KEPT} WHERE incident = $1 AND format = $2"),
            &[&id, &format],
        )
        .await?
        .get(0);
    if here == new && kept as usize == old.len() {
        tx.rollback().await?;
        return Ok(Ok(()));
    }
    if here != old {
        tx.rollback().await?;
        return Ok(Err(format!(
            "{id} changed while it was being upgraded ({} entries, {} read); nothing was \
             changed: upgrade it again",
            here.len(),
            old.len()
        )));
    }
    if kept > 0 {
        tx.rollback().await?;
        return Ok(Err(format!(
            "{KEPT} holds format-{format} lines of {id} already; nothing was changed"
        )));
    }
    tx.execute(
        &format!(
            "INSERT INTO {KEPT} (incident, format, seq, line) \
             SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[])"
        ),
        &[&id, &format, &seqs, &old],
    )
    .await?;
    tx.execute(
        "UPDATE warroom_events e SET line = u.line \
         FROM unnest($2::bigint[], $3::text[]) AS u(seq, line) \
         WHERE e.incident = $1 AND e.seq = u.seq",
        &[&id, &seqs, &new],
    )
    .await?;
    tx.execute(
        "UPDATE warroom_incidents SET head_hash = $2 WHERE id = $1",
        &[&id, &head],
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
