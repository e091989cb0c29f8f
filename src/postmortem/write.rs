//! Writing a draft: the one place the post-mortem touches a file or a stream. The Markdown is
//! handed to a writer thread in pieces as it is rendered ([`super::render_chunked`]), so a
//! large draft (32 MB for 100,000 events) is written while the rest is still being rendered.

use super::{Finding, file_name, render_chunked};
use crate::domain::{Entry, ExportFormat, Incident};
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::Path;

/// Renders the draft into `sink` from a second thread; the findings, and whether every piece
/// was written and flushed.
pub fn write_to<E: AsRef<Entry> + Sync>(
    format: ExportFormat,
    entries: &[E],
    incident: &Incident,
    now: DateTime<Utc>,
    mut sink: Box<dyn Write + Send>,
) -> (Vec<Finding>, std::io::Result<()>) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<String>(4);
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        for piece in rx {
            sink.write_all(piece.as_bytes())?;
        }
        sink.flush()
    });
    // Once the writer has failed it stops listening: the rest is rendered and dropped, and
    // its error is what is reported.
    let findings = render_chunked(format, entries, incident, now, &mut |piece| {
        let _ = tx.send(piece);
    });
    drop(tx);
    let written = writer
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the writer stopped")));
    (findings, written)
}

/// Writes `INC-7-postmortem.md` (or `.json`) in `dir` (none: the current directory); its
/// absolute path and the findings, or `cannot write PATH: why`.
pub fn write_file<E: AsRef<Entry> + Sync>(
    format: ExportFormat,
    entries: &[E],
    incident: &Incident,
    now: DateTime<Utc>,
    dir: Option<&Path>,
) -> Result<(String, Vec<Finding>), String> {
    let path = dir
        .unwrap_or(Path::new("."))
        .join(file_name(&incident.id, format));
    let path = std::path::absolute(&path).unwrap_or(path);
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(&path).map_err(failed)?;
    let (findings, written) = write_to(format, entries, incident, now, Box::new(file));
    written.map_err(failed)?;
    Ok((path.display().to_string(), findings))
}
