//! The verbs that record one event on an open incident: note, update, severity, status,
//! assign, resolve. Each checks the event against the incident as of the newest entry, under
//! the journal's append lock, so a refused event writes nothing.

use super::{Context, Failure, warn_all};
use crate::domain::{Event, NoteKind, Role, Severity, Status};
use crate::journal::Journal;
use chrono::{DateTime, Utc};
use std::io::Read;

fn append(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    make: impl Fn(&crate::domain::Incident) -> Event,
) -> Result<(), Failure> {
    let mut journal = ctx.store.open(id)?;
    let result = journal.append_with(&ctx.author, now, &mut |incident| {
        let incident = incident.ok_or_else(|| {
            crate::domain::Rejected(format!("{id} has no opening entry; its journal is empty"))
        })?;
        let event = make(incident);
        incident.check(&event)?;
        Ok(event)
    });
    warn_all(&mut journal);
    result?;
    Ok(())
}

/// The text argument, or standard input when it is "-".
fn text_arg(text: &str) -> Result<String, Failure> {
    if text != "-" {
        return Ok(text.to_string());
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).map_err(|e| {
        Failure::bad_input(format!("cannot read the text from standard input: {e}"))
    })?;
    Ok(s.trim_end_matches('\n').to_string())
}

pub fn note(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    kind: NoteKind,
    text: &str,
) -> Result<(), Failure> {
    let text = text_arg(text)?;
    append(ctx, now, id, |_| Event::Note {
        kind,
        text: text.clone(),
    })
}

pub fn update(ctx: &Context, now: DateTime<Utc>, id: &str, text: &str) -> Result<(), Failure> {
    let text = text_arg(text)?;
    append(ctx, now, id, |_| Event::StatusUpdate { text: text.clone() })
}

pub fn severity(ctx: &Context, now: DateTime<Utc>, id: &str, to: Severity) -> Result<(), Failure> {
    append(ctx, now, id, |i| Event::SeverityChanged {
        from: i.severity,
        to,
    })
}

pub fn status(ctx: &Context, now: DateTime<Utc>, id: &str, to: Status) -> Result<(), Failure> {
    append(ctx, now, id, |i| Event::StatusChanged {
        from: i.status,
        to,
    })
}

pub fn assign(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    role: Role,
    person: &str,
) -> Result<(), Failure> {
    append(ctx, now, id, |_| Event::RoleAssigned {
        role,
        person: person.trim().to_string(),
    })
}

pub fn resolve(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    summary: Option<&str>,
) -> Result<(), Failure> {
    append(ctx, now, id, |_| Event::Resolved {
        summary: summary.map(str::to_string),
    })
}
