//! One journal line, the same in every store: how an entry is written as a line (and checked
//! to read back as itself), so the file journal and the PostgreSQL journal hold the very same
//! bytes and hashes. Reading a line is `file::parse_line` (through [`super::read_line`]).

use super::{Record, chain_hash, read_line};
use crate::domain::{Event, Rejected};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

/// A journal line's fields in the order and form warroom writes them (what makes a line
/// canonical: the file journal's reader compares a line with this).
#[derive(Serialize)]
pub(super) struct LineOut<'a> {
    pub(super) seq: u64,
    pub(super) at: &'a str,
    pub(super) by: &'a str,
    pub(super) event: &'a RawValue,
    pub(super) prev: &'a str,
    pub(super) hash: &'a str,
}

/// Entry `seq` after the line whose hash is `prev`, as its line (in [`Record::line`], without
/// the newline) and as replay will read it back (the time at the millisecond precision
/// written). Refuses what replay would read differently or not at all (event JSON that spans
/// lines or is not an object with a "type", a time past year 9999, …): such a line would later
/// be taken for a torn one, or stop the journal.
pub fn encode(
    prev: &str,
    seq: u64,
    at: DateTime<Utc>,
    by: &str,
    event: &Event,
) -> Result<Record, Rejected> {
    let at_text = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let event_json = event.to_json();
    let hash = chain_hash(prev, seq, &at_text, by, &event_json);
    let raw = RawValue::from_string(event_json)
        .map_err(|e| Rejected(format!("event is not valid JSON: {e}")))?;
    let line = serde_json::to_string(&LineOut {
        seq,
        at: &at_text,
        by,
        event: &raw,
        prev,
        hash: &hash,
    })
    .map_err(|e| Rejected(format!("cannot encode event: {e}")))?;
    let read_back = if line.contains('\n') {
        Err("its JSON spans more than one line".to_string())
    } else {
        read_line(&line, prev, seq)
    };
    read_back
        .and_then(|r| {
            if &r.entry.event == event && r.entry.by == by {
                Ok(r)
            } else {
                Err("it would read back as a different event".to_string())
            }
        })
        .map_err(|why| {
            Rejected(format!(
                "cannot record this {} event: {why}",
                event.type_name()
            ))
        })
}
