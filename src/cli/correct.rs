//! The verbs that correct the record without rewriting it: `amend`, `retract`, `move` and
//! `merge`. Each appends events (checked, like every event, against the incident as of the
//! newest entry under the append lock) naming the entry they correct and why; a refused
//! correction writes nothing and exits 2 naming what was wrong.

use super::record::text_arg;
use super::{Context, Failure, warn_all};
use crate::domain::{Event, NoteKind};
use crate::journal::corrections::{self, TwoStepError, append_correction};
use crate::journal::{BoxJournal, Journal};
use chrono::{DateTime, Utc};

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

/// `--at`: [`crate::domain::parse_occurred_at`], exit 2 naming the option.
pub fn parse_at(s: &str, day_of: DateTime<Utc>) -> Result<DateTime<Utc>, Failure> {
    crate::domain::parse_occurred_at(s, day_of).map_err(|e| Failure::bad_input(format!("--at {e}")))
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

fn append(
    journal: &mut BoxJournal,
    author: &str,
    now: DateTime<Utc>,
    make: &dyn Fn(&crate::domain::Incident) -> Result<Event, crate::domain::Rejected>,
) -> Result<crate::journal::Record, Failure> {
    let result = append_correction(&mut **journal, author, now, make);
    warn_all(journal);
    Ok(result?)
}

fn two_step(e: TwoStepError) -> Failure {
    match e {
        TwoStepError::Refused(e) => e.into(),
        TwoStepError::Halfway(m) => Failure::runtime(m),
    }
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

/// Moves note `seq` of `id` to `to` (`journal::corrections::move_note`).
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
    let result = corrections::move_note(&mut *here, &mut *there, &ctx.author, now, seq, &reason);
    warn_all(&mut here);
    warn_all(&mut there);
    let to_seq = result.map_err(two_step)?;
    say!("{} #{seq} moved to {} #{to_seq}", here.id(), there.id());
    Ok(())
}

/// Merges duplicate `dup` into `into` (`journal::corrections::merge`).
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
    let result = corrections::merge(&mut *duplicate, &mut *survivor, &ctx.author, now, &reason);
    warn_all(&mut duplicate);
    warn_all(&mut survivor);
    let (r, n) = result.map_err(two_step)?;
    say!(
        "{} merged into {} (#{}): {n} entries",
        duplicate.id(),
        survivor.id(),
        r.entry.seq
    );
    Ok(())
}
