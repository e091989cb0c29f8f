//! Corrections that touch two journals — moving a note, merging a duplicate — as events in
//! each, for the CLI and the console alike. Nothing is copied into a chain it did not come
//! from: each journal gets its own new entry, checked under its own append lock.

use super::{Journal, JournalError, Record};
use crate::domain::{Event, Incident, MergedEntry, Rejected, corrected_log, may_correct};
use chrono::{DateTime, Utc};

/// Why a two-journal correction stopped, and whether the first half was written.
#[derive(Debug, thiserror::Error)]
pub enum TwoStepError {
    /// Nothing was written.
    #[error("{0}")]
    Refused(#[from] JournalError),
    /// The first event is committed, the second is not: the message says how to finish.
    #[error("{0}")]
    Halfway(String),
}

impl TwoStepError {
    pub fn is_bad_input(&self) -> bool {
        matches!(self, TwoStepError::Refused(e) if e.is_bad_input())
    }
}

/// Appends the correction `make` decides after the incident's checks and the rule of who may
/// correct what ([`may_correct`]).
pub fn append_correction(
    journal: &mut dyn Journal,
    author: &str,
    now: DateTime<Utc>,
    make: &dyn Fn(&Incident) -> Result<Event, Rejected>,
) -> Result<Record, JournalError> {
    let id = journal.id().to_string();
    journal.append_with(author, now, &mut |incident| {
        let incident = incident
            .ok_or_else(|| Rejected(format!("{id} has no opening entry; its journal is empty")))?;
        let event = make(incident)?;
        incident.check(&event)?;
        may_correct(incident, author, &event)?;
        Ok(event)
    })
}

fn refused(message: String) -> TwoStepError {
    TwoStepError::Refused(JournalError::Rejected(Rejected(message)))
}

/// Moves note `seq` of `here` to `there`: recorded there first (as it stands now, with its
/// time, author and a reference back), then retracted here naming where it went, so the note
/// is never in neither incident. Returns its seq there.
pub fn move_note(
    here: &mut dyn Journal,
    there: &mut dyn Journal,
    author: &str,
    now: DateTime<Utc>,
    seq: u64,
    reason: &str,
) -> Result<u64, TwoStepError> {
    let (from, to) = (here.id().to_string(), there.id().to_string());
    if from == to {
        return Err(refused(format!("#{seq} is already in {to}")));
    }
    here.refresh()?;
    // Everything that can be checked here is checked before anything is written there.
    let incident = here
        .incident()
        .ok_or_else(|| refused(format!("{from} has no opening entry")))?;
    let probe = Event::Moved {
        entry: seq,
        to: to.clone(),
        to_seq: 0,
        reason: reason.to_string(),
    };
    incident
        .check(&probe)
        .and_then(|()| may_correct(incident, author, &probe))
        .map_err(|r| refused(r.0))?;
    let occurred_at = incident.corrections.occurred_at.get(&seq).copied();
    let entries: Vec<_> = here.records().iter().map(|r| r.entry.clone()).collect();
    let note = corrected_log(&entries)
        .into_iter()
        .find(|r| r.source.is_none() && r.entry.seq == seq)
        .ok_or_else(|| refused(format!("{from} has no entry #{seq}")))?;
    let Event::Note { kind, text } = note.entry.event else {
        return Err(refused(format!("#{seq} is not a note")));
    };
    let landed = append_correction(there, author, now, &|_| {
        Ok(Event::MovedIn {
            from: from.clone(),
            entry: seq,
            at: note.entry.at,
            by: note.entry.by.clone(),
            kind,
            text: text.clone(),
            occurred_at,
            reason: reason.to_string(),
        })
    })?;
    let to_seq = landed.entry.seq;
    append_correction(here, author, now, &|_| {
        Ok(Event::Moved {
            entry: seq,
            to: to.clone(),
            to_seq,
            reason: reason.to_string(),
        })
    })
    .map_err(|e| {
        TwoStepError::Halfway(format!(
            "#{seq} is recorded in {to} as #{to_seq} but could not be retracted from {from}: \
             {e}; retract it there with `warroom retract {from} {seq}`"
        ))
    })?;
    Ok(to_seq)
}

/// Merges `dup` into `survivor`: `dup` records that it is a duplicate (and closes), then
/// `survivor` records the merge with `dup`'s entries as committed. Run again after a failure
/// between the two, it completes the merge. Returns the merge's entry and how many entries
/// came with it.
pub fn merge(
    dup: &mut dyn Journal,
    survivor: &mut dyn Journal,
    author: &str,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<(Record, usize), TwoStepError> {
    let (from, into) = (dup.id().to_string(), survivor.id().to_string());
    if from == into {
        return Err(refused(format!("{from} cannot be merged into itself")));
    }
    dup.refresh()?;
    survivor.refresh()?;
    let survivor_now = survivor
        .incident()
        .ok_or_else(|| refused(format!("{into} has no opening entry")))?;
    let probe = Event::Merged {
        from: from.clone(),
        reason: reason.to_string(),
        through: 0,
        entries: Vec::new(),
    };
    survivor_now
        .check(&probe)
        .and_then(|()| may_correct(survivor_now, author, &probe))
        .map_err(|r| refused(r.0))?;
    match dup
        .incident()
        .and_then(|i| i.corrections.duplicate_of.clone())
    {
        Some(of) if of == into => {}
        Some(of) => return Err(refused(format!("{from} is already a duplicate of {of}"))),
        None => {
            append_correction(dup, author, now, &|_| {
                Ok(Event::MarkedDuplicate {
                    of: into.clone(),
                    reason: reason.to_string(),
                })
            })?;
        }
    }
    let entries: Vec<MergedEntry> = dup
        .records()
        .iter()
        .map(|r| MergedEntry::of(&r.entry))
        .collect();
    let through = entries.last().map_or(0, |e| e.seq);
    let n = entries.len();
    let r = append_correction(survivor, author, now, &|_| {
        Ok(Event::Merged {
            from: from.clone(),
            reason: reason.to_string(),
            through,
            entries: entries.clone(),
        })
    })
    .map_err(|e| {
        TwoStepError::Halfway(format!(
            "{from} is closed as a duplicate of {into}, but the merge was not recorded in \
             {into}: {e}; merge again to complete it"
        ))
    })?;
    Ok((r, n))
}
