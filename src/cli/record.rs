//! The verbs that record one event on an open incident: note, update, severity, status,
//! assign, resolve. Each checks the event against the incident as of the newest entry, under
//! the journal's append lock, so a refused event writes nothing; and what only the leader may
//! record is refused to whoever does not lead an incident someone else leads
//! ([`refuse_unless_leader`]).

use super::{Context, Failure, warn_all};
use crate::domain::{Event, NoteKind, Role, Severity, Status, non_leader_may};
use crate::journal::{Journal, LockHolder};
use chrono::{DateTime, Utc};
use std::io::Read;

pub(super) fn append(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    make: impl Fn(&crate::domain::Incident) -> Event,
) -> Result<crate::journal::BoxJournal, Failure> {
    let mut journal = ctx.store()?.open(id)?;
    if let Some(incident) = journal.incident() {
        refuse_unless_leader(ctx, journal.id(), &make(incident))?;
    }
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
    Ok(journal)
}

/// Refuses `event` (exit 2, nothing recorded) when it is one only the leader may record
/// (`domain::non_leader_may`, the rule the console keeps too) and someone other than the CLI's
/// user leads incident `id` now: a console holding the lock file or the lease. Nobody leading,
/// or the leader's own user, records anything. Asked of the store once, before the append.
pub(super) fn refuse_unless_leader(ctx: &Context, id: &str, event: &Event) -> Result<(), Failure> {
    match other_leader(ctx, id, event)? {
        None => Ok(()),
        Some(holder) => Err(Failure::bad_input(format!(
            "{id} is led by {holder}: only its leader records a {} — nothing was recorded (ask \
             {}; notes, check-ins, status updates and task results are open to all)",
            event.type_name().replace('_', " "),
            holder.user,
        ))),
    }
}

/// Who leads `id`, when `event` is the leader's and the leader is someone else.
pub(super) fn other_leader(
    ctx: &Context,
    id: &str,
    event: &Event,
) -> Result<Option<LockHolder>, Failure> {
    if non_leader_may(event) {
        return Ok(None);
    }
    let holder = ctx.store()?.leader(id).map_err(Failure::nothing_recorded)?;
    Ok(holder.filter(|h| h.user != ctx.author))
}

/// The text argument, or standard input when it is "-".
pub(super) fn text_arg(text: &str) -> Result<String, Failure> {
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
    .map(drop)
}

pub fn update(ctx: &Context, now: DateTime<Utc>, id: &str, text: &str) -> Result<(), Failure> {
    let config = ctx.config_for("update", &["webhook", "pagerduty"])?;
    let text = text_arg(text)?;
    let mut journal = append(ctx, now, id, |_| Event::StatusUpdate { text: text.clone() })?;
    // The update is committed; now post it, and record how each post went.
    let (seq, incident) = match (journal.records().last(), journal.incident()) {
        (Some(r), Some(i)) => (r.entry.seq, i.clone()),
        _ => return Ok(()),
    };
    if config.webhooks.is_empty() && incident.pagerduty.is_empty() {
        return Ok(());
    }
    let msg = crate::backends::webhook::UpdateMessage::new(&incident, seq, now, &ctx.author, &text);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("update #{seq} recorded, but not posted: {e}")))?;
    let client = crate::backends::http_client()
        .map_err(|e| Failure::runtime(format!("update #{seq} recorded, but not posted: {e}")))?;
    let outcomes = runtime.block_on(crate::backends::webhook::deliver_all(
        &client,
        &config.webhooks,
        config.pagerduty.as_ref(),
        &msg,
    ));
    let mut not_posted = Vec::new();
    for o in outcomes {
        if o.ok {
            say_err!("warroom: posted to {} ({})", o.target, o.detail);
        } else {
            say_err!("warroom: warning: NOT posted to {}: {}", o.target, o.detail);
            not_posted.push(o.target.clone());
        }
        let event = Event::UpdateDelivered {
            update_seq: seq,
            target: o.target.clone(),
            ok: o.ok,
            detail: o.detail.clone(),
            attempts: o.attempts,
        };
        if let Err(e) = journal.append(&ctx.author, chrono::Utc::now(), event) {
            say_err!(
                "warroom: warning: delivery to {} not journaled: {e}",
                o.target
            );
        }
    }
    if not_posted.is_empty() {
        Ok(())
    } else {
        // Exit 1 so a script notices; the update itself is recorded, so running the same
        // command again would record it twice.
        Err(Failure::runtime(format!(
            "update #{seq} is recorded in {id} but was NOT posted to {}; post it there by hand \
             (running this again would record it twice)",
            not_posted.join(", ")
        )))
    }
}

pub fn severity(ctx: &Context, now: DateTime<Utc>, id: &str, to: Severity) -> Result<(), Failure> {
    append(ctx, now, id, |i| Event::SeverityChanged {
        from: i.severity,
        to,
    })
    .map(drop)
}

pub fn status(ctx: &Context, now: DateTime<Utc>, id: &str, to: Status) -> Result<(), Failure> {
    append(ctx, now, id, |i| Event::StatusChanged {
        from: i.status,
        to,
    })
    .map(drop)
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
    .map(drop)
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
    .map(drop)
}
