//! `warroom drill review ID [--format markdown|json] [-o FILE]`: the drill's review as
//! journaled when it ended, with each score compared with the team's last earlier drill of the
//! same scenario (found through the store). Records nothing.

use super::{Context, Failure, warn_all};
use crate::domain::ExportFormat;
use crate::drill::review;
use std::path::Path;

pub fn review(
    ctx: &Context,
    id: &str,
    format: ExportFormat,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let store = ctx.store()?.clone();
    let mut journal = store.open(id)?;
    warn_all(journal.as_mut());
    let id = journal.id().to_string();
    let Some(this) = review::journaled(journal.records()) else {
        return Err(Failure::bad_input(format!(
            "{id} has no drill review: it is not a drill, or its drill has not ended \
             (a drill is reviewed when its incident is resolved or its run ends)"
        )));
    };
    let (previous, unread) = review::previous(store.as_ref(), &id, &this)?;
    for u in unread {
        eprintln!(
            "warroom: warning: left out of the comparison: {}",
            crate::domain::for_terminal_line(&u)
        );
    }
    let text = match format {
        ExportFormat::Markdown => review::markdown(&id, &this, &previous),
        ExportFormat::Json => {
            let mut t = serde_json::to_string_pretty(&review::json(&id, &this, &previous))
                .map_err(|e| Failure::runtime(format!("cannot write the review: {e}")))?;
            t.push('\n');
            t
        }
    };
    match output {
        Some(path) => {
            crate::postmortem::write_text(&text, "the review", path, &ctx.paths.data_dir).map_err(
                |e| match e {
                    crate::postmortem::WriteError::Refused(m) => Failure::bad_input(m),
                    crate::postmortem::WriteError::Failed(m) => Failure::runtime(m),
                },
            )?;
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            eprintln!(
                "warroom: drill review of {id} written to {}",
                crate::domain::for_terminal_line(&shown.display().to_string())
            );
        }
        None => super::out::write_all(text.as_bytes()),
    }
    Ok(())
}
