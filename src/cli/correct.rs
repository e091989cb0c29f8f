//! The verbs that correct the record without rewriting it: `amend`, `retract`, `move` and
//! `merge`. Each appends events (checked, like every event, against the incident as of the
//! newest entry under the append lock) naming the entry they correct and why; a refused
//! correction writes nothing and exits 2 naming what was wrong.

use super::record::text_arg;
use super::{Context, Failure, warn_all};
use crate::domain::{Event, Incident, MergedEntry, NoteKind, Rejected, may_correct};
use crate::journal::{BoxJournal, Journal};
use chrono::{DateTime, NaiveTime, Utc};

/// What `warroom amend` changes.
pub struct Amendment<'a> {
    pub text: Option<&'a str>,
    pub kind: Option<NoteKind>,
    pub at: Option<&'a str>,
    pub reason: &'a str,
}

/// `5` or `#5`: the entry's seq as `warroom log` shows it.
pub fn parse_seq(s: &str) -> Result<u64, Failure> {
    s.trim()
        .trim_start_matches('#')
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            Failure::bad_input(format!(
                "SEQ {s:?}: expected an entry's number as `warroom log` shows it, like 5 or #5"
            ))
        })
}

/// `--at`: an RFC 3339 time, or `HH:MM[:SS]` (UTC) on the day the entry was recorded.
pub fn parse_at(s: &str, day_of: DateTime<Utc>) -> Result<DateTime<Utc>, Failure> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveTime::parse_from_str(s.trim(), "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M"))
        .map(|t| day_of.date_naive().and_time(t).and_utc())
        .map_err(|_| {
            Failure::bad_input(format!(
                "--at {s:?}: expected HH:MM or HH:MM:SS (UTC, on the day the entry was \
                 recorded) or an RFC 3339 time like 2026-11-21T10:02:00Z"
            ))
        })
}

fn reason_arg(reason: &str) -> Result<String, Failure> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Failure::bad_input(
            "--reason is empty: say why the record is corrected",
        ));
    }
    Ok(r.to_string())
}

/// Appends the event `make` decides, after the incident's own checks and the rule of who may
/// correct what.
fn append(
    journal: &mut BoxJournal,
    author: &str,
    now: DateTime<Utc>,
    make: &dyn Fn(&Incident) -> Result<Event, Rejected>,
) -> Result<crate::journal::Record, Failure> {
    let id = journal.id().to_string();
    let result = journal.append_with(author, now, &mut |incident| {
        let incident = incident
            .ok_or_else(|| Rejected(format!("{id} has no opening entry; its journal is empty")))?;
        let event = make(incident)?;
        incident.check(&event)?;
        may_correct(incident, author, &event)?;
        Ok(event)
    });
    warn_all(journal);
    Ok(result?)
}

fn recorded_at(journal: &BoxJournal, seq: u64) -> Option<DateTime<Utc>> {
    journal
        .records()
        .iter()
        .find(|r| r.entry.seq == seq)
        .map(|r| r.entry.at)
}

pub fn amend(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    seq: &str,
    change: Amendment,
) -> Result<(), Failure> {
    let seq = parse_seq(seq)?;
    let reason = reason_arg(change.reason)?;
    let text = change.text.map(text_arg).transpose()?;
    if text.is_none() && change.kind.is_none() && change.at.is_none() {
        return Err(Failure::bad_input(
            "nothing to amend: give --text, --kind or --at",
        ));
    }
    let mut journal = ctx.store()?.open(id)?;
    let occurred_at = match change.at {
        Some(at) => Some(parse_at(at, recorded_at(&journal, seq).unwrap_or(now))?),
        None => None,
    };
    let r = append(&mut journal, &ctx.author, now, &|_| {
        Ok(Event::Amended {
            entry: seq,
            text: text.clone(),
            kind: change.kind,
            occurred_at,
            reason: reason.clone(),
        })
    })?;
    say!("{} #{}: amended #{seq}", journal.id(), r.entry.seq);
    Ok(())
}

pub fn retract(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    seq: &str,
    reason: &str,
) -> Result<(), Failure> {
    let seq = parse_seq(seq)?;
    let reason = reason_arg(reason)?;
    let mut journal = ctx.store()?.open(id)?;
    let r = append(&mut journal, &ctx.author, now, &|_| {
        Ok(Event::Retracted {
            entry: seq,
            reason: reason.clone(),
        })
    })?;
    say!("{} #{}: retracted #{seq}", journal.id(), r.entry.seq);
    Ok(())
}

/// Moves note `seq` of `id` to `to`: recorded there first (with its time, author and a
/// reference back), then retracted here naming where it went, so the note is never in
/// neither incident.
pub fn move_note(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    seq: &str,
    to: &str,
    reason: &str,
) -> Result<(), Failure> {
    let seq = parse_seq(seq)?;
    let reason = reason_arg(reason)?;
    let store = ctx.store()?;
    let mut here = store.open(id)?;
    let mut there = store.open(to)?;
    let (from, to) = (here.id().to_string(), there.id().to_string());
    if from == to {
        return Err(Failure::bad_input(format!("#{seq} is already in {to}")));
    }
    // Everything that can be checked here is checked before anything is written there.
    let incident = here
        .incident()
        .ok_or_else(|| Failure::bad_input(format!("{from} has no opening entry")))?;
    let probe = Event::Moved {
        entry: seq,
        to: to.clone(),
        to_seq: 0,
        reason: reason.clone(),
    };
    incident
        .check(&probe)
        .map_err(|r| Failure::bad_input(r.0))?;
    may_correct(incident, &ctx.author, &probe).map_err(|r| Failure::bad_input(r.0))?;
    let note = here
        .records()
        .iter()
        .find(|r| r.entry.seq == seq)
        .map(|r| r.entry.clone())
        .ok_or_else(|| Failure::bad_input(format!("{from} has no entry #{seq}")))?;
    let occurred_at = incident.corrections.occurred_at.get(&seq).copied();
    // The note as it stands now: its amendments travel with it.
    let current = crate::domain::corrected_log(&here.records_entries())
        .into_iter()
        .find(|r| r.source.is_none() && r.entry.seq == seq)
        .map(|r| r.entry.event)
        .unwrap_or(note.event.clone());
    let Event::Note { kind, text } = current else {
        return Err(Failure::bad_input(format!("#{seq} is not a note")));
    };
    let landed = append(&mut there, &ctx.author, now, &|_| {
        Ok(Event::MovedIn {
            from: from.clone(),
            entry: seq,
            at: note.at,
            by: note.by.clone(),
            kind,
            text: text.clone(),
            occurred_at,
            reason: reason.clone(),
        })
    })?;
    let to_seq = landed.entry.seq;
    append(&mut here, &ctx.author, now, &|_| {
        Ok(Event::Moved {
            entry: seq,
            to: to.clone(),
            to_seq,
            reason: reason.clone(),
        })
    })
    .map_err(|f| {
        Failure::runtime(format!(
            "#{seq} is recorded in {to} as #{to_seq} but could not be retracted from {from}: {}; \
             retract it there with `warroom retract {from} {seq}`",
            f.message
        ))
    })?;
    say!("{from} #{seq} moved to {to} #{to_seq}");
    Ok(())
}

/// Merges duplicate `dup` into `into`: `dup` records that it is a duplicate (and closes),
/// then `into` records the merge with `dup`'s entries as committed. Run again after a failure
/// between the two, it completes the merge.
pub fn merge(
    ctx: &Context,
    now: DateTime<Utc>,
    dup: &str,
    into: &str,
    reason: &str,
) -> Result<(), Failure> {
    let reason = reason_arg(reason)?;
    let store = ctx.store()?;
    let mut duplicate = store.open(dup)?;
    let mut survivor = store.open(into)?;
    let (dup, into) = (duplicate.id().to_string(), survivor.id().to_string());
    if dup == into {
        return Err(Failure::bad_input(format!(
            "{dup} cannot be merged into itself"
        )));
    }
    let survivor_now = survivor
        .incident()
        .ok_or_else(|| Failure::bad_input(format!("{into} has no opening entry")))?;
    let probe = Event::Merged {
        from: dup.clone(),
        reason: reason.clone(),
        through: 0,
        entries: Vec::new(),
    };
    survivor_now
        .check(&probe)
        .and_then(|()| may_correct(survivor_now, &ctx.author, &probe))
        .map_err(|r| Failure::bad_input(r.0))?;
    let already = duplicate
        .incident()
        .and_then(|i| i.corrections.duplicate_of.clone());
    match already {
        Some(of) if of == into => {}
        Some(of) => {
            return Err(Failure::bad_input(format!(
                "{dup} is already a duplicate of {of}"
            )));
        }
        None => {
            append(&mut duplicate, &ctx.author, now, &|_| {
                Ok(Event::MarkedDuplicate {
                    of: into.clone(),
                    reason: reason.clone(),
                })
            })?;
        }
    }
    let entries: Vec<MergedEntry> = duplicate
        .records()
        .iter()
        .map(|r| MergedEntry::of(&r.entry))
        .collect();
    let through = entries.last().map_or(0, |e| e.seq);
    let r = append(&mut survivor, &ctx.author, now, &|_| {
        Ok(Event::Merged {
            from: dup.clone(),
            reason: reason.clone(),
            through,
            entries: entries.clone(),
        })
    })
    .map_err(|f| {
        Failure::runtime(format!(
            "{dup} is closed as a duplicate of {into}, but the merge was not recorded in {into}: \
             {}; run the same command again to complete it",
            f.message
        ))
    })?;
    say!(
        "{dup} merged into {into} (#{}): {} entries, through #{through}",
        r.entry.seq,
        entries.len()
    );
    Ok(())
}

trait Entries {
    fn records_entries(&self) -> Vec<crate::domain::Entry>;
}

impl Entries for BoxJournal {
    fn records_entries(&self) -> Vec<crate::domain::Entry> {
        self.records().iter().map(|r| r.entry.clone()).collect()
    }
}
