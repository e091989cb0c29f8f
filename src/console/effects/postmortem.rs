//! The journal worker's side of `e` (and a follower's copy): render the post-mortem draft from the journal as
//! committed, write it, then record `postmortem_exported` — the one entry an export adds.

use super::JournalWorker;
use crate::console::action::Action;
use crate::domain::{Event, ExportFormat};
use crate::journal::Journal;
use chrono::Utc;
use std::path::Path;

impl JournalWorker {
    pub(super) fn export(&mut self, id: &str, format: ExportFormat, dir: Option<&Path>) {
        let failed = |w: &Self, reason: String| {
            w.send(Action::AppendFailed {
                id: id.to_string(),
                reason,
            })
        };
        if !self.journals.contains_key(id) {
            match self.store.open(id) {
                Ok(j) => {
                    self.journals.insert(id.to_string(), j);
                }
                Err(e) => return failed(self, e.to_string()),
            }
        }
        let Some(journal) = self.journals.get_mut(id) else {
            return;
        };
        // Everything committed so far, other processes' appends included.
        if let Err(e) = journal.refresh() {
            return failed(self, e.to_string());
        }
        let Some(incident) = journal.incident() else {
            return failed(self, format!("{id} has no opening entry"));
        };
        let still_open = !incident.is_resolved();
        let now = Utc::now();
        let (shown, findings) = match crate::postmortem::write_file(
            format,
            journal.records(),
            incident,
            now,
            dir,
            &self.data_dir,
        ) {
            Ok(written) => written,
            Err(e) => return failed(self, e),
        };
        let event = Event::PostmortemExported {
            format,
            path: Some(shown.clone()),
        };
        if let Err(e) = journal.append(&self.me, now, event) {
            return failed(self, e.to_string());
        }
        if self.current.as_ref().is_some_and(|(c, _)| c == id) {
            let entries = self.unsent(id);
            if !entries.is_empty() {
                self.send(Action::Entries {
                    id: id.to_string(),
                    entries,
                });
            }
        }
        self.send(Action::Exported {
            id: id.to_string(),
            path: shown,
            findings: findings.len(),
            still_open,
        });
    }
}

/// Writes a follower's copy of the draft; answers as the journal worker answers an export.
pub fn export_copy(
    id: String,
    entries: &[crate::domain::Entry],
    dir: Option<std::path::PathBuf>,
    data_dir: &Path,
) -> Action {
    use crate::domain::ExportFormat;
    let Some(incident) = crate::domain::Incident::fold(&id, entries) else {
        return Action::ExportFailed {
            id,
            reason: "the incident has no opening entry yet".into(),
        };
    };
    match crate::postmortem::write_file(
        ExportFormat::Markdown,
        entries,
        &incident,
        chrono::Utc::now(),
        dir.as_deref(),
        data_dir,
    ) {
        Ok((path, findings)) => Action::Exported {
            id,
            path,
            findings: findings.len(),
            still_open: !incident.is_resolved(),
        },
        Err(reason) => Action::ExportFailed { id, reason },
    }
}
