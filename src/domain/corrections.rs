//! Corrections are events: amending a note's text, kind or the time it refers to, retracting
//! an entry, moving a note to another incident, and merging a duplicate incident into the one
//! that carries on. Nothing already in a journal changes: each correction is a new entry that
//! names the entry it corrects by its seq, with a reason, and every view folds them into the
//! corrected view ([`corrected_log`]) while keeping each entry's history.
//!
//! Who may correct: the author of an entry, or the incident's commander (the person who
//! opened it while no commander is named), as a call leader expects: people fix their own
//! notes, the leader fixes anyone's ([`may_correct`]). Merging is the commander's call.

use super::incident::{check_line, check_text};
use super::{Entry, Event, Incident, NoteKind, Rejected, Role, Task, TaskState, UnknownEvent};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One entry of a merged duplicate, as committed in the duplicate's own journal (whose hash
/// chain it still belongs to): copied into the `merged` event so that the surviving journal,
/// its followers and its post-mortem show the whole timeline on their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub event: serde_json::Value,
}

impl MergedEntry {
    pub fn of(e: &Entry) -> MergedEntry {
        MergedEntry {
            seq: e.seq,
            at: e.at,
            by: e.by.clone(),
            event: serde_json::from_str(&e.event.to_json()).unwrap_or(serde_json::Value::Null),
        }
    }

    /// The entry again; an event this version cannot read is kept raw, never dropped.
    pub fn entry(&self) -> Entry {
        let json = self.event.to_string();
        let event = Event::from_json(&json).unwrap_or_else(|_| {
            Event::Unknown(UnknownEvent {
                type_name: "?".into(),
                json,
            })
        });
        Entry {
            seq: self.seq,
            at: self.at,
            by: self.by.clone(),
            event,
        }
    }
}

/// What the incident fold keeps about corrections: enough to check a new one (does the
/// entry exist, is it a note, who wrote it) and to say what was corrected.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Corrections {
    #[serde(skip)]
    authors: Vec<String>,
    /// `(seq, index into authors)` of every entry, seqs ascending.
    #[serde(skip)]
    by: Vec<(u64, u32)>,
    /// Entries whose text and kind can be amended, and that can be retracted or moved.
    #[serde(skip)]
    notes: BTreeSet<u64>,
    /// Entries that are corrections or merges themselves: never corrected.
    #[serde(skip)]
    corrections: BTreeSet<u64>,
    /// Retracted (or moved away) entries and why.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub retracted: BTreeMap<u64, String>,
    /// Entries amended at least once.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub amended: BTreeSet<u64>,
    /// The time an entry refers to, where one was given.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub occurred_at: BTreeMap<u64, DateTime<Utc>>,
    /// The incident this one duplicates (it is closed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Duplicates merged into this incident, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<String>,
}

impl Corrections {
    pub(super) fn opened(entry: &Entry) -> Corrections {
        let mut c = Corrections::default();
        c.record(entry);
        c
    }

    pub fn is_empty(&self) -> bool {
        self.retracted.is_empty()
            && self.amended.is_empty()
            && self.occurred_at.is_empty()
            && self.duplicate_of.is_none()
            && self.merged.is_empty()
    }

    fn record(&mut self, entry: &Entry) {
        let n = match self.authors.iter().position(|a| *a == entry.by) {
            Some(n) => n,
            None => {
                self.authors.push(entry.by.clone());
                self.authors.len() - 1
            }
        };
        self.by
            .push((entry.seq, u32::try_from(n).unwrap_or(u32::MAX)));
        match entry.event {
            Event::Note { .. } | Event::MovedIn { .. } => {
                self.notes.insert(entry.seq);
            }
            // A redaction is not corrected either.
            Event::Redacted { .. } => {
                self.corrections.insert(entry.seq);
            }
            _ if is_correction(&entry.event) => {
                self.corrections.insert(entry.seq);
            }
            _ => {}
        }
    }

    /// Who wrote entry `seq`, if there is one.
    pub fn author_of(&self, seq: u64) -> Option<&str> {
        let i = self.by.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
        self.authors.get(self.by[i].1 as usize).map(String::as_str)
    }

    /// Whether `seq` was corrected (amended, retracted or moved).
    pub fn corrected(&self, seq: u64) -> bool {
        self.amended.contains(&seq) || self.retracted.contains_key(&seq)
    }
}

/// The events that correct or merge rather than record something new.
pub fn is_correction(e: &Event) -> bool {
    matches!(
        e,
        Event::Amended { .. }
            | Event::Retracted { .. }
            | Event::Moved { .. }
            | Event::MarkedDuplicate { .. }
            | Event::Merged { .. }
    )
}

/// Called by the incident fold for every entry after the opening.
pub(super) fn see(i: &mut Incident, entry: &Entry) {
    i.corrections.record(entry);
}

/// Folds one correction into the incident.
pub(super) fn apply(i: &mut Incident, entry: &Entry) {
    let c = &mut i.corrections;
    match &entry.event {
        Event::Amended {
            entry: seq,
            occurred_at,
            ..
        } => {
            c.amended.insert(*seq);
            if let Some(t) = occurred_at {
                c.occurred_at.insert(*seq, *t);
            }
        }
        Event::Retracted { entry: seq, reason } => {
            c.retracted.insert(*seq, reason.clone());
        }
        Event::Moved {
            entry: seq,
            to,
            to_seq,
            reason,
        } => {
            c.retracted
                .insert(*seq, format!("moved to {to} #{to_seq}: {reason}"));
        }
        Event::MovedIn { .. } => i.notes += 1,
        Event::MarkedDuplicate { of, .. } => {
            c.duplicate_of = Some(of.clone());
            i.status = super::Status::Resolved;
            i.resolved_at = Some(entry.at);
            i.resolution = Some(format!("duplicate of {of}"));
        }
        Event::Merged { from, entries, .. } => {
            c.merged.push(from.clone());
            let entries: Vec<Entry> = entries.iter().map(MergedEntry::entry).collect();
            let Some(dup) = Incident::fold(from, &entries) else {
                return;
            };
            // Its alerts and its open tasks carry over; a task gets the next free number here.
            for l in dup.linked_alerts {
                if !i
                    .linked_alerts
                    .iter()
                    .any(|m| m.alert.fingerprint == l.alert.fingerprint)
                {
                    i.linked_alerts.push(l);
                }
            }
            for t in dup.tasks.into_iter().filter(Task::is_open) {
                let id = i.next_task_id();
                i.tasks.push(Task {
                    id,
                    what: format!("{} (from {from} T{})", t.what, t.id),
                    state: TaskState::Open,
                    ..t
                });
            }
        }
        _ => {}
    }
}

/// When an entry happened, as typed: `HH:MM` or `HH:MM:SS` (UTC) on the day of `day_of` (the
/// day the entry was recorded), or an RFC 3339 time. The error quotes what was typed.
pub fn parse_occurred_at(s: &str, day_of: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(t) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(t, "%H:%M"))
        .map(|time| day_of.date_naive().and_time(time).and_utc())
        .map_err(|_| {
            format!(
                "{s:?}: expected HH:MM or HH:MM:SS (UTC, on the day the entry was recorded) or \
                 an RFC 3339 time like 2026-11-21T10:02:00Z"
            )
        })
}

fn reason_given(reason: &str) -> Result<(), Rejected> {
    check_line("reason", reason)
}

/// The entry a correction names: it must exist, not be a correction, not be retracted.
fn target(i: &Incident, seq: u64, note: bool) -> Result<(), Rejected> {
    let c = &i.corrections;
    if c.author_of(seq).is_none() {
        return Err(Rejected(format!("{} has no entry #{seq}", i.id)));
    }
    if c.corrections.contains(&seq) {
        return Err(Rejected(format!(
            "#{seq} is itself a correction; correct the entry it names instead"
        )));
    }
    if let Some(why) = c.retracted.get(&seq) {
        return Err(Rejected(format!("#{seq} was retracted ({why})")));
    }
    if note && !c.notes.contains(&seq) {
        return Err(Rejected(format!(
            "#{seq} is not a note; only a note's text and kind can be changed, and only notes \
             can be retracted or moved (any entry's time can be amended)"
        )));
    }
    Ok(())
}

/// Whether a correction makes sense for the incident as it stands.
pub(super) fn check(i: &Incident, event: &Event) -> Result<(), Rejected> {
    match event {
        Event::Amended {
            entry,
            text,
            kind,
            occurred_at,
            reason,
        } => {
            reason_given(reason)?;
            if text.is_none() && kind.is_none() && occurred_at.is_none() {
                return Err(Rejected(
                    "nothing to amend: give a new text, kind or time".into(),
                ));
            }
            target(i, *entry, text.is_some() || kind.is_some())?;
            if let Some(t) = text {
                check_text("text", t)?;
            }
            Ok(())
        }
        Event::Retracted { entry, reason } => {
            reason_given(reason)?;
            target(i, *entry, true)
        }
        Event::Moved {
            entry, to, reason, ..
        } => {
            reason_given(reason)?;
            if *to == i.id {
                return Err(Rejected(format!("#{entry} is already in {to}")));
            }
            target(i, *entry, true)
        }
        Event::MovedIn {
            from,
            by,
            text,
            reason,
            ..
        } => {
            reason_given(reason)?;
            check_line("author", by)?;
            if *from == i.id {
                return Err(Rejected(format!(
                    "a note cannot move from {from} to itself"
                )));
            }
            check_text("text", text)
        }
        Event::MarkedDuplicate { of, reason } => {
            reason_given(reason)?;
            if *of == i.id {
                return Err(Rejected(format!("{of} cannot be a duplicate of itself")));
            }
            match &i.corrections.duplicate_of {
                Some(d) => Err(Rejected(format!("{} is already a duplicate of {d}", i.id))),
                None => Ok(()),
            }
        }
        Event::Merged { from, reason, .. } => {
            reason_given(reason)?;
            if *from == i.id {
                return Err(Rejected(format!("{from} cannot be merged into itself")));
            }
            if let Some(d) = &i.corrections.duplicate_of {
                return Err(Rejected(format!(
                    "{} is itself a duplicate of {d}; merge into {d}",
                    i.id
                )));
            }
            if i.corrections.merged.contains(from) {
                return Err(Rejected(format!("{from} is already merged into {}", i.id)));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Who leads the incident for corrections: its commander, else whoever opened it.
pub fn leader(i: &Incident) -> &str {
    i.holder(Role::Commander).unwrap_or(&i.opened_by)
}

/// Whether `author` may record `event` (a correction) on the incident: the entry's author or
/// the leader corrects an entry; only the leader merges a duplicate in.
pub fn may_correct(i: &Incident, author: &str, event: &Event) -> Result<(), Rejected> {
    let leader = leader(i);
    match event {
        Event::Amended { entry, .. }
        | Event::Retracted { entry, .. }
        | Event::Moved { entry, .. } => match i.corrections.author_of(*entry) {
            Some(by) if by != author && author != leader => Err(Rejected(format!(
                "#{entry} was written by {by}: only {by} or the commander ({leader}) may \
                     correct it"
            ))),
            _ => Ok(()),
        },
        Event::Merged { from, .. } if author != leader => Err(Rejected(format!(
            "only the commander of {} ({leader}) may merge {from} into it",
            i.id
        ))),
        _ => Ok(()),
    }
}

/// One line of a correction, for the log.
pub(super) fn describe(e: &Event) -> String {
    match e {
        Event::Amended {
            entry,
            text,
            kind,
            occurred_at,
            reason,
        } => format!(
            "amended #{entry}: {} ({reason})",
            changes(text, kind, occurred_at)
        ),
        Event::Retracted { entry, reason } => format!("retracted #{entry} ({reason})"),
        Event::Moved {
            entry,
            to,
            to_seq,
            reason,
        } => format!("moved #{entry} to {to} #{to_seq} ({reason})"),
        Event::MovedIn {
            from,
            entry,
            kind,
            text,
            reason,
            ..
        } => format!("{kind} (moved from {from} #{entry}, {reason}): {text}"),
        Event::MarkedDuplicate { of, reason } => {
            format!("closed as a duplicate of {of} ({reason})")
        }
        Event::Merged {
            from,
            reason,
            entries,
            ..
        } => format!(
            "merged duplicate {from} ({} entries) into this incident ({reason})",
            entries.len()
        ),
        other => other.type_name().to_string(),
    }
}

fn changes(
    text: &Option<String>,
    kind: &Option<NoteKind>,
    occurred_at: &Option<DateTime<Utc>>,
) -> String {
    let mut parts = Vec::new();
    if let Some(t) = occurred_at {
        parts.push(format!("happened at {}", t.format("%Y-%m-%d %H:%M:%SZ")));
    }
    if let Some(k) = kind {
        parts.push(format!("kind {k}"));
    }
    if let Some(t) = text {
        parts.push(format!("text \"{t}\""));
    }
    parts.join(", ")
}

/// One change in an entry's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub what: String,
    pub reason: String,
}

/// One row of the corrected log: an entry as it stands after its corrections.
#[derive(Debug, Clone, PartialEq)]
pub struct Corrected {
    /// The duplicate incident it came from, or the incident a moved note came from.
    pub source: Option<String>,
    /// The entry as corrected (a note's current text and kind); `at` is when it was recorded.
    pub entry: Entry,
    /// When it happened, where a time was given.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Why it was retracted (or where it was moved).
    pub retracted: Option<String>,
    /// The entry as first recorded, when it was amended since.
    /// (Boxed: most entries are never amended, and an event inline would make every row of
    /// a long log as large as the largest event.)
    pub original: Option<Box<Event>>,
    /// Its corrections, oldest first.
    pub changes: Vec<Change>,
}

impl Corrected {
    /// The time it belongs at in the timeline: when it happened, else when it was recorded.
    pub fn when(&self) -> DateTime<Utc> {
        self.occurred_at.unwrap_or(self.entry.at)
    }

    /// Whether it has a history to show (amended, retracted or moved).
    pub fn is_corrected(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Whether it records a correction or merge rather than a fact.
    pub fn is_correction(&self) -> bool {
        is_correction(&self.entry.event)
    }
}

/// The corrected log of an incident: every entry (corrections included, as their own rows),
/// each note with its current text and kind, retractions marked, the entries of merged
/// duplicates within it (marked with their source), in timeline order: journal order, with
/// each entry that refers to another time (`occurred_at`) or came from another incident placed
/// by that time.
pub fn corrected_log(entries: &[Entry]) -> Vec<Corrected> {
    let mut rows: Vec<Corrected> = Vec::with_capacity(entries.len());
    let mut index: BTreeMap<u64, usize> = BTreeMap::new();
    for e in entries {
        let change = |what: String, reason: &str| Change {
            seq: e.seq,
            at: e.at,
            by: e.by.clone(),
            what,
            reason: reason.to_string(),
        };
        match &e.event {
            Event::Amended {
                entry,
                text,
                kind,
                occurred_at,
                reason,
            } => {
                if let Some(r) = index.get(entry).and_then(|&n| rows.get_mut(n)) {
                    if r.original.is_none() {
                        r.original = Some(Box::new(r.entry.event.clone()));
                    }
                    if let Event::Note {
                        kind: k, text: t, ..
                    } = &mut r.entry.event
                    {
                        if let Some(new) = text {
                            *t = new.clone();
                        }
                        if let Some(new) = kind {
                            *k = *new;
                        }
                    }
                    if occurred_at.is_some() {
                        r.occurred_at = *occurred_at;
                    }
                    r.changes
                        .push(change(changes(text, kind, occurred_at), reason));
                }
            }
            Event::Retracted { entry, reason } => {
                if let Some(r) = index.get(entry).and_then(|&n| rows.get_mut(n)) {
                    r.retracted = Some(reason.clone());
                    r.changes.push(change("retracted".into(), reason));
                }
            }
            Event::Moved {
                entry,
                to,
                to_seq,
                reason,
            } => {
                if let Some(r) = index.get(entry).and_then(|&n| rows.get_mut(n)) {
                    r.retracted = Some(format!("moved to {to} #{to_seq}: {reason}"));
                    r.changes
                        .push(change(format!("moved to {to} #{to_seq}"), reason));
                }
            }
            Event::Merged { from, entries, .. } => {
                let theirs: Vec<Entry> = entries.iter().map(MergedEntry::entry).collect();
                for mut r in corrected_log(&theirs) {
                    r.source.get_or_insert_with(|| from.clone());
                    rows.push(r);
                }
            }
            _ => {}
        }
        index.insert(e.seq, rows.len());
        rows.push(match &e.event {
            // A note moved here reads as the note it was, with its source and first time.
            Event::MovedIn {
                from,
                entry,
                at,
                by,
                kind,
                text,
                occurred_at,
                reason,
            } => Corrected {
                source: Some(from.clone()),
                entry: Entry {
                    seq: e.seq,
                    at: e.at,
                    by: by.clone(),
                    event: Event::Note {
                        kind: *kind,
                        text: text.clone(),
                    },
                },
                occurred_at: Some(occurred_at.unwrap_or(*at)),
                retracted: None,
                original: None,
                changes: vec![Change {
                    seq: e.seq,
                    at: e.at,
                    by: e.by.clone(),
                    what: format!("moved here from {from} #{entry}"),
                    reason: reason.clone(),
                }],
            },
            _ => Corrected {
                source: None,
                entry: e.clone(),
                occurred_at: None,
                retracted: None,
                original: None,
                changes: Vec::new(),
            },
        });
    }
    in_timeline_order(rows)
}

/// Entries keep their journal order; an entry that refers to another time (`occurred_at`)
/// or came from another incident goes before the first entry recorded after that time.
fn in_timeline_order(rows: Vec<Corrected>) -> Vec<Corrected> {
    let in_place = |r: &Corrected| r.occurred_at.is_none() && r.source.is_none();
    // Most logs have no such entry: then they are in order as they are, and no second copy
    // of a long log is made.
    let timed_rows = rows.iter().filter(|r| !in_place(r)).count();
    if timed_rows == 0 {
        return rows;
    }
    let mut placed = Vec::with_capacity(rows.len() - timed_rows);
    let mut timed = Vec::with_capacity(timed_rows);
    for r in rows {
        if in_place(&r) {
            placed.push(r);
        } else {
            timed.push(r);
        }
    }
    timed.sort_by_key(Corrected::when);
    let mut out = Vec::with_capacity(placed.len() + timed.len());
    let mut timed = timed.into_iter().peekable();
    for r in placed.drain(..) {
        while let Some(t) = timed.next_if(|t| t.when() < r.entry.at) {
            out.push(t);
        }
        out.push(r);
    }
    out.extend(timed);
    out
}

/// What the post-mortem is built from: the facts of the corrected log (no retracted entries,
/// no corrections), each at the time it refers to, a merged duplicate's author marked with
/// its source, in timeline order; and the corrected log itself.
pub fn corrected_entries(entries: &[Entry]) -> (Vec<Entry>, Vec<Corrected>) {
    let log = corrected_log(entries);
    let facts = log
        .iter()
        .filter(|r| r.retracted.is_none() && !r.is_correction())
        .map(|r| Entry {
            seq: r.entry.seq,
            at: r.when(),
            by: match &r.source {
                Some(s) => format!("{} [{s}]", r.entry.by),
                None => r.entry.by.clone(),
            },
            event: r.entry.event.clone(),
        })
        .collect();
    (facts, log)
}

/// The incident folded from its own entries at the times they refer to, so figures such as
/// the time to detect use corrected times (a merge carries the duplicate's alerts and tasks).
pub fn corrected_incident(id: &str, entries: &[Entry]) -> Option<Incident> {
    let as_recorded = Incident::fold(id, entries)?;
    let times = &as_recorded.corrections.occurred_at;
    if times.is_empty() {
        return Some(as_recorded);
    }
    let moved: Vec<Entry> = entries
        .iter()
        .map(|e| Entry {
            at: times.get(&e.seq).copied().unwrap_or(e.at),
            ..e.clone()
        })
        .collect();
    Incident::fold(id, &moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlertRef, Severity, Status};
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn entry(seq: u64, min: i64, by: &str, event: Event) -> Entry {
        Entry {
            seq,
            at: at(min),
            by: by.into(),
            event,
        }
    }

    fn note(text: &str) -> Event {
        Event::Note {
            kind: NoteKind::Observation,
            text: text.into(),
        }
    }

    fn opened(title: &str) -> Event {
        Event::Opened {
            title: title.into(),
            severity: Severity::Sev2,
            summary: None,
        }
    }

    /// Checks the event against the incident as of `log`, then appends it: as the journal does.
    fn record(log: &mut Vec<Entry>, min: i64, by: &str, event: Event) -> Result<(), Rejected> {
        let i = Incident::fold("INC-1", log.as_slice()).expect("opened");
        i.check(&event)?;
        may_correct(&i, by, &event)?;
        let seq = log.len() as u64 + 1;
        log.push(entry(seq, min, by, event));
        Ok(())
    }

    fn checkout() -> Vec<Entry> {
        vec![
            entry(1, 18, "alice", opened("Checkout 500s")),
            entry(2, 19, "bob", note("checkout 500s since the deploy")),
            entry(3, 20, "alice", note("pricing pod restarted")),
            entry(
                4,
                21,
                "alice",
                Event::StatusChanged {
                    from: Status::Investigating,
                    to: Status::Identified,
                },
            ),
        ]
    }

    #[test]
    fn an_amended_time_reorders_the_timeline_and_keeps_the_history() {
        let mut log = checkout();
        record(
            &mut log,
            25,
            "bob",
            Event::Amended {
                entry: 2,
                text: Some("checkout 500s since the 10:02 deploy".into()),
                kind: Some(NoteKind::Hypothesis),
                occurred_at: Some(at(2)),
                reason: "we noticed at 10:02, not when it was typed".into(),
            },
        )
        .unwrap();
        let rows = corrected_log(&log);
        // The note now comes first: 10:02 is before the opening at 10:18.
        assert_eq!(rows[0].entry.seq, 2);
        assert_eq!(rows[0].when(), at(2));
        assert_eq!(rows[0].entry.at, at(19), "the recorded time stays");
        assert_eq!(
            rows[0].entry.event,
            Event::Note {
                kind: NoteKind::Hypothesis,
                text: "checkout 500s since the 10:02 deploy".into()
            }
        );
        assert_eq!(
            rows[0].original.as_deref(),
            Some(&note("checkout 500s since the deploy"))
        );
        assert_eq!(rows[0].changes.len(), 1);
        assert_eq!(rows[0].changes[0].by, "bob");
        assert!(rows[0].changes[0].what.contains("10:02:00Z"));
        let i = Incident::fold("INC-1", &log).unwrap();
        assert!(i.corrections.corrected(2));
        assert_eq!(i.corrections.occurred_at.get(&2), Some(&at(2)));
    }

    #[test]
    fn an_amended_opening_time_is_the_opening_the_figures_use() {
        let mut log = checkout();
        record(
            &mut log,
            30,
            "alice",
            Event::Amended {
                entry: 1,
                text: None,
                kind: None,
                occurred_at: Some(at(2)),
                reason: "paged at 10:02".into(),
            },
        )
        .unwrap();
        assert_eq!(Incident::fold("INC-1", &log).unwrap().opened_at, at(18));
        assert_eq!(corrected_incident("INC-1", &log).unwrap().opened_at, at(2));
        let (facts, _) = corrected_entries(&log);
        assert_eq!(facts[0].at, at(2));
        assert!(facts.iter().all(|e| !is_correction(&e.event)));
    }

    #[test]
    fn every_correction_needs_an_entry_that_exists_and_a_reason() {
        let mut log = checkout();
        let retract = |entry: u64, reason: &str| Event::Retracted {
            entry,
            reason: reason.into(),
        };
        let amend = |entry: u64| Event::Amended {
            entry,
            text: Some("x".into()),
            kind: None,
            occurred_at: None,
            reason: "typo".into(),
        };
        let move_to = |entry: u64, to: &str| Event::Moved {
            entry,
            to: to.into(),
            to_seq: 1,
            reason: "wrong incident".into(),
        };
        let err = |log: &mut Vec<Entry>, e: Event| record(log, 30, "alice", e).unwrap_err().0;
        for e in [retract(9, "typo"), amend(9), move_to(9, "INC-2")] {
            assert_eq!(err(&mut log, e), "INC-1 has no entry #9");
        }
        assert_eq!(err(&mut log, retract(3, "  ")), "reason is empty");
        assert!(err(&mut log, amend(4)).contains("#4 is not a note"));
        assert!(err(&mut log, retract(4, "no")).contains("#4 is not a note"));
        assert_eq!(
            err(
                &mut log,
                Event::Amended {
                    entry: 3,
                    text: None,
                    kind: None,
                    occurred_at: None,
                    reason: "r".into()
                }
            ),
            "nothing to amend: give a new text, kind or time"
        );
        record(&mut log, 30, "alice", retract(3, "wrong pod")).unwrap();
        for e in [retract(3, "again"), amend(3), move_to(3, "INC-2")] {
            assert_eq!(err(&mut log, e), "#3 was retracted (wrong pod)");
        }
        for e in [retract(5, "x"), amend(5), move_to(5, "INC-2")] {
            assert!(err(&mut log, e).starts_with("#5 is itself a correction"));
        }
        assert_eq!(err(&mut log, move_to(2, "INC-1")), "#2 is already in INC-1");
    }

    #[test]
    fn a_retracted_note_stays_in_the_log_with_its_reason_and_leaves_the_facts() {
        let mut log = checkout();
        record(
            &mut log,
            22,
            "alice",
            Event::Retracted {
                entry: 3,
                reason: "it was the cart pod".into(),
            },
        )
        .unwrap();
        let rows = corrected_log(&log);
        let row = rows.iter().find(|r| r.entry.seq == 3).unwrap();
        assert_eq!(row.retracted.as_deref(), Some("it was the cart pod"));
        assert_eq!(row.entry.event, note("pricing pod restarted"));
        assert_eq!(rows.len(), 5, "the retraction is a row of its own");
        let (facts, _) = corrected_entries(&log);
        assert!(facts.iter().all(|e| e.seq != 3 && e.seq != 5));
    }

    #[test]
    fn people_correct_their_own_entries_and_the_commander_anyones() {
        let mut log = checkout();
        let retract = Event::Retracted {
            entry: 2,
            reason: "wrong".into(),
        };
        assert_eq!(
            record(&mut log, 30, "carol", retract.clone())
                .unwrap_err()
                .0,
            "#2 was written by bob: only bob or the commander (alice) may correct it"
        );
        record(
            &mut log,
            30,
            "alice",
            Event::RoleAssigned {
                role: Role::Commander,
                person: "dave".into(),
            },
        )
        .unwrap();
        assert!(record(&mut log, 31, "alice", retract.clone()).is_err());
        record(&mut log, 31, "dave", retract).unwrap();
        // bob, the author, may correct his own note.
        record(
            &mut log,
            32,
            "alice",
            Event::Note {
                kind: NoteKind::Decision,
                text: "roll back".into(),
            },
        )
        .unwrap();
        let amend = Event::Amended {
            entry: 7,
            text: None,
            kind: None,
            occurred_at: Some(at(31)),
            reason: "decided a minute earlier".into(),
        };
        assert!(record(&mut log, 33, "bob", amend.clone()).is_err());
        record(&mut log, 33, "alice", amend).unwrap();
    }

    #[test]
    fn corrections_are_allowed_after_resolution() {
        let mut log = checkout();
        log.push(entry(5, 40, "alice", Event::Resolved { summary: None }));
        record(
            &mut log,
            60,
            "alice",
            Event::Amended {
                entry: 3,
                text: None,
                kind: None,
                occurred_at: Some(at(10)),
                reason: "the restart was at 10:10".into(),
            },
        )
        .unwrap();
    }

    #[test]
    fn a_moved_note_is_retracted_here_and_recorded_there_with_a_reference_back() {
        let mut here = checkout();
        let mut there = vec![entry(1, 0, "carol", opened("Cart slow"))];
        let moved_in = Event::MovedIn {
            from: "INC-1".into(),
            entry: 3,
            at: at(20),
            by: "alice".into(),
            kind: NoteKind::Observation,
            text: "pricing pod restarted".into(),
            occurred_at: None,
            reason: "belongs to the cart outage".into(),
        };
        let i2 = Incident::fold("INC-2", &there).unwrap();
        i2.check(&moved_in).unwrap();
        there.push(entry(2, 30, "alice", moved_in));
        record(
            &mut here,
            30,
            "alice",
            Event::Moved {
                entry: 3,
                to: "INC-2".into(),
                to_seq: 2,
                reason: "belongs to the cart outage".into(),
            },
        )
        .unwrap();
        let rows = corrected_log(&here);
        let row = rows.iter().find(|r| r.entry.seq == 3).unwrap();
        assert_eq!(
            row.retracted.as_deref(),
            Some("moved to INC-2 #2: belongs to the cart outage")
        );
        let rows = corrected_log(&there);
        assert_eq!(rows[1].source.as_deref(), Some("INC-1"));
        assert_eq!(rows[1].when(), at(20), "it keeps the time it refers to");
        assert_eq!(rows[1].entry.by, "alice");
        assert_eq!(rows[1].entry.event, note("pricing pod restarted"));
        // Moved in, it is a note of INC-2 and can be corrected there.
        let i2 = Incident::fold("INC-2", &there).unwrap();
        assert_eq!(i2.notes, 1);
        assert!(
            i2.check(&Event::Retracted {
                entry: 2,
                reason: "dup".into()
            })
            .is_ok()
        );
    }

    #[test]
    fn a_merged_duplicate_shows_within_the_survivor_and_brings_its_alerts_and_tasks() {
        let alert = AlertRef {
            fingerprint: "f1".into(),
            name: "CartErrors".into(),
            labels: Default::default(),
            starts_at: at(1),
            ends_at: None,
            generator_url: None,
            summary: None,
        };
        let mut dup = vec![
            entry(1, 3, "bob", opened("Cart errors")),
            entry(
                2,
                4,
                "bob",
                Event::AlertLinked {
                    alert: alert.clone(),
                    firing: true,
                },
            ),
            entry(3, 5, "bob", note("cart 502s")),
            entry(
                4,
                6,
                "bob",
                Event::TaskAssigned {
                    task: 1,
                    person: "erin".into(),
                    what: "check the cart pods".into(),
                    due_at: at(11),
                },
            ),
        ];
        let mark = Event::MarkedDuplicate {
            of: "INC-1".into(),
            reason: "same outage".into(),
        };
        let d = Incident::fold("INC-2", &dup).unwrap();
        d.check(&mark).unwrap();
        dup.push(entry(5, 30, "alice", mark.clone()));
        let d = Incident::fold("INC-2", &dup).unwrap();
        assert_eq!(d.status, Status::Resolved);
        assert_eq!(d.resolution.as_deref(), Some("duplicate of INC-1"));
        assert_eq!(d.corrections.duplicate_of.as_deref(), Some("INC-1"));
        assert!(d.check(&mark).is_err());

        let mut log = checkout();
        log.push(entry(
            5,
            7,
            "alice",
            Event::TaskAssigned {
                task: 1,
                person: "bob".into(),
                what: "roll back pricing".into(),
                due_at: at(12),
            },
        ));
        let merged = Event::Merged {
            from: "INC-2".into(),
            reason: "same outage".into(),
            through: 5,
            entries: dup.iter().map(MergedEntry::of).collect(),
        };
        assert_eq!(
            record(&mut log, 31, "bob", merged.clone()).unwrap_err().0,
            "only the commander of INC-1 (alice) may merge INC-2 into it"
        );
        record(&mut log, 31, "alice", merged.clone()).unwrap();
        assert_eq!(
            record(&mut log, 32, "alice", merged).unwrap_err().0,
            "INC-2 is already merged into INC-1"
        );
        let i = Incident::fold("INC-1", &log).unwrap();
        assert_eq!(i.linked_alerts.len(), 1);
        assert_eq!(i.linked_alerts[0].alert.fingerprint, "f1");
        assert_eq!(i.tasks.len(), 2);
        assert_eq!(i.tasks[1].id, 2);
        assert_eq!(i.tasks[1].what, "check the cart pods (from INC-2 T1)");
        assert_eq!(i.corrections.merged, vec!["INC-2".to_string()]);

        let rows = corrected_log(&log);
        let order: Vec<(Option<&str>, u64)> = rows
            .iter()
            .map(|r| (r.source.as_deref(), r.entry.seq))
            .collect();
        assert_eq!(
            order,
            vec![
                (Some("INC-2"), 1),
                (Some("INC-2"), 2),
                (Some("INC-2"), 3),
                (Some("INC-2"), 4),
                // Entries of its own keep journal order, even recorded out of time order.
                (None, 1),
                (None, 2),
                (None, 3),
                (None, 4),
                (None, 5),
                (Some("INC-2"), 5),
                (None, 6),
            ]
        );
        let (facts, _) = corrected_entries(&log);
        assert!(facts.iter().any(|e| e.by == "bob [INC-2]"));
    }

    #[test]
    fn a_merged_event_reads_back_as_written() {
        let e = Event::Merged {
            from: "INC-2".into(),
            reason: "same".into(),
            through: 1,
            entries: vec![MergedEntry::of(&entry(1, 0, "bob", opened("Cart \"x\"")))],
        };
        assert_eq!(Event::from_json(&e.to_json()), Ok(e.clone()));
        assert_eq!(
            Event::from_json(&e.to_json())
                .map(|e| e.describe())
                .unwrap(),
            "merged duplicate INC-2 (1 entries) into this incident (same)"
        );
    }
}
