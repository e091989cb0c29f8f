//! What the post-mortem says about corrections: the draft is built from the corrected log
//! (each entry at the time it refers to, retracted entries left out, a merged duplicate's
//! entries within the timeline marked with their source), and a section says which times were
//! corrected, what was retracted and which duplicates were merged, so a reader knows the
//! record was fixed and by whom.

use super::markdown::esc;
use super::report::{Report, rfc3339};
use crate::domain::{Entry, Event, Incident, corrected_entries, corrected_incident};
use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

/// One entry whose time was corrected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrectedTime {
    pub seq: u64,
    /// What the entry says (its first line).
    pub what: String,
    #[serde(serialize_with = "time")]
    pub recorded_at: DateTime<Utc>,
    #[serde(serialize_with = "time")]
    pub occurred_at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

/// One retracted entry and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retraction {
    pub seq: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Corrections {
    pub corrected_times: Vec<CorrectedTime>,
    pub retracted: Vec<Retraction>,
    /// Duplicates merged into this incident.
    pub merged: Vec<String>,
}

impl Corrections {
    pub fn is_empty(&self) -> bool {
        self.corrected_times.is_empty() && self.retracted.is_empty() && self.merged.is_empty()
    }
}

fn time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(t))
}

/// The entries and incident the draft is built from when the record was corrected (`None`:
/// nothing was, use them as they are), and what to say about it.
pub(super) fn prepare<E: AsRef<Entry>>(
    entries: &[E],
    incident: &Incident,
) -> Option<(Vec<Entry>, Incident, Corrections)> {
    if incident.corrections.is_empty() {
        return None;
    }
    let own: Vec<Entry> = entries.iter().map(|e| e.as_ref().clone()).collect();
    let (facts, log) = corrected_entries(&own);
    let folded = corrected_incident(&incident.id, &own)?;
    let mut said = Corrections {
        merged: incident.corrections.merged.clone(),
        ..Corrections::default()
    };
    for e in &own {
        match &e.event {
            Event::Amended {
                entry,
                occurred_at: Some(t),
                reason,
                ..
            } => {
                let Some(row) = log
                    .iter()
                    .find(|r| r.source.is_none() && r.entry.seq == *entry)
                else {
                    continue;
                };
                let text = row.entry.event.describe();
                let item = CorrectedTime {
                    seq: *entry,
                    what: text.lines().next().unwrap_or_default().to_string(),
                    recorded_at: row.entry.at,
                    occurred_at: *t,
                    by: e.by.clone(),
                    reason: reason.clone(),
                };
                // The latest correction of an entry's time is the one that counts.
                said.corrected_times.retain(|c| c.seq != *entry);
                said.corrected_times.push(item);
            }
            Event::Retracted { entry, reason } => said.retracted.push(Retraction {
                seq: *entry,
                reason: reason.clone(),
            }),
            Event::Moved {
                entry, to, reason, ..
            } => said.retracted.push(Retraction {
                seq: *entry,
                reason: format!("moved to {to}: {reason}"),
            }),
            _ => {}
        }
    }
    said.corrected_times.sort_by_key(|c| c.seq);
    Some((facts, folded, said))
}

/// The Markdown section: one line saying which times were corrected, then each.
pub(super) fn markdown(out: &mut String, r: &Report) {
    use std::fmt::Write;
    let c = &r.corrections;
    if c.is_empty() {
        return;
    }
    out.push_str("## Corrections to the record\n\n");
    if !c.corrected_times.is_empty() {
        let seqs: Vec<String> = c
            .corrected_times
            .iter()
            .map(|t| format!("#{}", t.seq))
            .collect();
        let _ = writeln!(
            out,
            "Times corrected after they were recorded: {} (the timeline and the figures use \
             the corrected times).\n",
            seqs.join(", ")
        );
        for t in &c.corrected_times {
            let _ = writeln!(
                out,
                "- #{} {}: happened at {}, recorded at {} (corrected by {}: {})",
                t.seq,
                esc(&t.what),
                rfc3339(&t.occurred_at),
                rfc3339(&t.recorded_at),
                esc(&t.by),
                esc(&t.reason)
            );
        }
        out.push('\n');
    }
    if !c.retracted.is_empty() {
        let items: Vec<String> = c
            .retracted
            .iter()
            .map(|t| format!("#{} ({})", t.seq, esc(&t.reason)))
            .collect();
        let _ = writeln!(
            out,
            "Retracted, and left out of this draft: {}.\n",
            items.join(", ")
        );
    }
    if !c.merged.is_empty() {
        let _ = writeln!(
            out,
            "Merged duplicates: {}; their entries are in the timeline, marked with the \
             incident they were recorded in.\n",
            esc(&c.merged.join(", "))
        );
    }
}
