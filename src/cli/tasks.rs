//! `warroom task`, `warroom done`, `warroom handoff`: time-boxed work and handing over command.

use super::record::append;
use super::{Context, Failure};
use crate::domain::{Event, Rejected, handoff_summary, parse_duration};
use crate::journal::Journal;
use chrono::{DateTime, Utc};

pub fn assign(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    person: &str,
    what: &str,
    due: &str,
) -> Result<(), Failure> {
    let within = parse_duration(due).map_err(|e| Failure::bad_input(format!("--due: {e}")))?;
    if within <= chrono::Duration::zero() {
        return Err(Failure::bad_input("--due: must be more than zero"));
    }
    let journal = append(ctx, now, id, |i| Event::TaskAssigned {
        task: i.next_task_id(),
        person: person.trim().to_string(),
        what: what.trim().to_string(),
        due_at: now + within,
    })?;
    if let Some(Event::TaskAssigned { task, .. }) = journal.records().last().map(|r| &r.entry.event)
    {
        say!("T{task}");
    }
    Ok(())
}

/// `T3`, `t3` or `3` → 3.
fn task_number(s: &str) -> Result<u32, Failure> {
    let t = s.trim();
    let digits = t.strip_prefix(['T', 't']).unwrap_or(t);
    digits
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Failure::bad_input(format!("'{s}' is not a task number (e.g. T1)")))
}

pub fn done(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    task: &str,
    cancel: bool,
) -> Result<(), Failure> {
    let task = task_number(task)?;
    append(ctx, now, id, |_| {
        if cancel {
            Event::TaskCancelled { task }
        } else {
            Event::TaskDone { task }
        }
    })
    .map(drop)
}

pub fn handoff(ctx: &Context, now: DateTime<Utc>, id: &str, person: &str) -> Result<(), Failure> {
    let to = person.trim().to_string();
    let mut journal = ctx.store()?.open(id)?;
    let entries: Vec<_> = journal.records().iter().map(|r| r.entry.clone()).collect();
    let probe = Event::Handoff {
        from: None,
        to: to.clone(),
        summary: String::new(),
    };
    super::record::refuse_unless_leader(ctx, journal.id(), &probe)?;
    let result = journal.append_with(&ctx.author, now, &mut |incident| {
        let i = incident.ok_or_else(|| Rejected(format!("{id} has no opening entry")))?;
        let event = Event::Handoff {
            from: i.holder(crate::domain::Role::Commander).map(str::to_string),
            to: to.clone(),
            summary: handoff_summary(i, &entries, &to, now),
        };
        i.check(&event)?;
        Ok(event)
    });
    super::warn_all(&mut journal);
    result?;
    if let Some(r) = journal.records().last() {
        say!("{}", r.entry.event.describe());
    }
    Ok(())
}
