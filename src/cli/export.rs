//! `warroom export ID [--format markdown|json] [-o FILE]`: the blameless post-mortem draft.
//! Writes the draft (to FILE, or standard output), prints the blameless check's findings to
//! standard error, and records one `postmortem_exported` entry — nothing else in the journal
//! changes (nothing at all on an incident someone else leads: the draft is then a copy). Resolved incidents can be exported; an open one gets a "DRAFT — incident still
//! open" banner.

use super::{Context, Failure, warn_all};
use crate::domain::{Event, ExportFormat};
use crate::journal::Journal;
use crate::postmortem;
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::Path;

pub fn run(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    format: ExportFormat,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let mut journal = ctx.store()?.open(id)?;
    warn_all(&mut journal);
    let id = journal.id().to_string();
    let Some(incident) = journal.incident() else {
        return Err(Failure::bad_input(format!(
            "{id} has no opening entry; its journal is empty"
        )));
    };
    // Written first: a draft that could not be written was not exported.
    let (findings, recorded_path) = match output {
        Some(path) => {
            let findings = postmortem::write_path(
                format,
                journal.records(),
                incident,
                now,
                path,
                &ctx.paths.data_dir,
            )
            .map_err(|e| match e {
                postmortem::WriteError::Refused(m) => Failure::bad_input(m),
                postmortem::WriteError::Failed(m) => Failure::runtime(m),
            })?;
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            (findings, Some(shown.display().to_string()))
        }
        None => {
            let sink = Box::new(std::io::stdout());
            let (findings, written) =
                postmortem::write_to(format, journal.records(), incident, now, sink);
            match written {
                Ok(()) => {}
                // A closed pipe (`warroom export ID | head`) is the reader's choice.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    return Err(Failure::runtime(format!("cannot write the draft: {e}")));
                }
            }
            (findings, None)
        }
    };
    let mut err = std::io::stderr().lock();
    for f in &findings {
        let _ = writeln!(
            err,
            "warroom: review before sharing: {}",
            crate::domain::for_terminal_line(&postmortem::finding_line(f))
        );
    }
    let exported = Event::PostmortemExported {
        format,
        path: recorded_path.clone(),
    };
    // On an incident someone else leads the draft is this user's copy, recorded nowhere (as
    // a follower's), since only the leader records an export.
    match super::record::other_leader(ctx, &id, &exported)? {
        None => {
            journal.append(&ctx.author, now, exported)?;
        }
        Some(holder) => {
            let _ = writeln!(
                err,
                "warroom: {id} is led by {}: this draft is your copy, not recorded in the \
                 journal",
                crate::domain::for_terminal_line(&holder.to_string())
            );
        }
    }
    if let Some(p) = recorded_path {
        let open = if incident_open(journal.as_ref()) {
            " (DRAFT — incident still open)"
        } else {
            ""
        };
        let p = crate::domain::for_terminal_line(&p);
        let _ = writeln!(err, "warroom: post-mortem draft written to {p}{open}");
    }
    // The process ends right after this. Freeing a large incident's records one by one (six
    // allocations each) took a tenth of its export; the memory goes back with the process.
    std::mem::forget(journal);
    Ok(())
}

fn incident_open(journal: &dyn Journal) -> bool {
    journal.incident().is_some_and(|i| !i.is_resolved())
}
