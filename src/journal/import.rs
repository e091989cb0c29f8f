//! Copying an incident into the file journal from another store (`warroom store pull`): the
//! lines byte for byte, so the hashes stay what they were.

use super::file::{JOURNAL, io, sync_dir};
use super::{FileStore, Journal, JournalError, Record, normalize_id};
use std::fs;
use std::io::Write;

impl FileStore {
    /// Writes `records` (a verified chain) as incident `id`'s journal, all at once (a new file
    /// renamed into place, so a reader sees all of it or none). When the incident is here
    /// already with the very same lines, copies nothing (returns 0); with other lines, refuses.
    pub fn import(&self, id: &str, records: &[Record]) -> Result<usize, JournalError> {
        let id = normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))?;
        let dir = self.incidents_dir();
        fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        let incident_dir = dir.join(&id);
        let path = incident_dir.join(JOURNAL);
        match fs::create_dir(&incident_dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.exists() => {
                let here = self.open(&id)?;
                let same = here.records().len() == records.len()
                    && here
                        .records()
                        .iter()
                        .zip(records)
                        .all(|(a, b)| a.line == b.line);
                return if same {
                    Ok(0)
                } else {
                    Err(JournalError::Damaged {
                        path,
                        line: 0,
                        reason: format!(
                            "{id} is already here with {} entries that differ from the {} \
                             copied; nothing was copied",
                            here.records().len(),
                            records.len()
                        ),
                    })
                };
            }
            // A directory left by a copy that was cut short: finish it.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(&incident_dir, e)),
        }
        let partial = incident_dir.join(format!("{JOURNAL}.copying"));
        let mut text = String::with_capacity(records.iter().map(|r| r.line.len() + 1).sum());
        for r in records {
            text.push_str(&r.line);
            text.push('\n');
        }
        let written = fs::File::create(&partial)
            .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
        written.map_err(|e| io(&partial, e))?;
        // A hard link, unlike a rename, never replaces a journal that appeared meanwhile.
        let linked = fs::hard_link(&partial, &path).map_err(|e| io(&path, e));
        let _ = fs::remove_file(&partial);
        linked?;
        sync_dir(&incident_dir)?;
        sync_dir(&dir)?;
        Ok(records.len())
    }
}
