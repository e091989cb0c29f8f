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

/// Why a draft was not written to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The path is inside the data directory (a journal, a lock, a draft, the directory
    /// itself): nothing there is ever opened for writing by an export.
    Refused(String),
    /// The file system said no; an existing file at the path is as it was.
    Failed(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Refused(m) | WriteError::Failed(m) => f.write_str(m),
        }
    }
}

/// Writes `INC-7-postmortem.md` (or `.json`) in `dir` (none: the current directory), never
/// inside `data_dir`; its absolute path and the findings, or why not.
pub fn write_file<E: AsRef<Entry> + Sync>(
    format: ExportFormat,
    entries: &[E],
    incident: &Incident,
    now: DateTime<Utc>,
    dir: Option<&Path>,
    data_dir: &Path,
) -> Result<(String, Vec<Finding>), String> {
    let path = dir
        .unwrap_or(Path::new("."))
        .join(file_name(&incident.id, format));
    let path = std::path::absolute(&path).unwrap_or(path);
    let findings =
        write_path(format, entries, incident, now, &path, data_dir).map_err(|e| e.to_string())?;
    Ok((path.display().to_string(), findings))
}

/// Writes the draft to `path`, never inside `data_dir`: into a new temporary file beside it,
/// synced, then renamed over `path`, so a failed write leaves an existing file as it was.
pub fn write_path<E: AsRef<Entry> + Sync>(
    format: ExportFormat,
    entries: &[E],
    incident: &Incident,
    now: DateTime<Utc>,
    path: &Path,
    data_dir: &Path,
) -> Result<Vec<Finding>, WriteError> {
    write_safely(path, data_dir, "the draft", |file| {
        let (findings, written) = write_to(format, entries, incident, now, Box::new(file));
        written.map(|()| findings)
    })
}

/// Writes `text` (a report) to `path` as [`write_path`] writes a draft: never inside
/// `data_dir`, through a synced temporary file renamed over it.
pub fn write_text(path: &Path, data_dir: &Path, what: &str, text: &str) -> Result<(), WriteError> {
    write_safely(path, data_dir, what, |mut file| {
        file.write_all(text.as_bytes())?;
        file.flush()
    })
}

/// Refuses `path` inside `data_dir`; else lets `fill` write a new temporary file beside it,
/// syncs it and renames it over `path`.
fn write_safely<T>(
    path: &Path,
    data_dir: &Path,
    what: &str,
    fill: impl FnOnce(std::fs::File) -> std::io::Result<T>,
) -> Result<T, WriteError> {
    if inside(path, data_dir) {
        return Err(WriteError::Refused(format!(
            "refusing to write {what} to {}: it is inside the data directory {} \
             (journals, locks and drafts live there); choose a path outside it",
            path.display(),
            data_dir.display()
        )));
    }
    let failed =
        |e: std::io::Error| WriteError::Failed(format!("cannot write {}: {e}", path.display()));
    let name = path
        .file_name()
        .ok_or_else(|| failed(std::io::Error::other("not a file name")))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let stamp = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}-{stamp}.tmp", std::process::id()));
    let temp = parent.join(temp_name);
    let file = std::fs::File::create_new(&temp).map_err(failed)?;
    let written = (|| {
        let handle = file.try_clone()?;
        // A file being replaced keeps its permissions.
        if let Ok(meta) = std::fs::metadata(path)
            && meta.is_file()
        {
            handle.set_permissions(meta.permissions())?;
        }
        let out = fill(file)?;
        handle.sync_all()?;
        std::fs::rename(&temp, path)?;
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
        Ok(out)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        failed(e)
    })
}

/// True when `path`, with symbolic links and `..` resolved as far as it exists, is `data_dir`
/// or inside it.
fn inside(path: &Path, data_dir: &Path) -> bool {
    let resolve = |p: &Path| -> std::path::PathBuf {
        let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        if let Ok(real) = std::fs::canonicalize(&p) {
            return real;
        }
        // Not there yet: where its directory really is, and the name in it.
        match (p.parent(), p.file_name()) {
            (Some(dir), Some(name)) => std::fs::canonicalize(dir)
                .map(|d| d.join(name))
                .unwrap_or(p),
            _ => p,
        }
    };
    resolve(path).starts_with(resolve(data_dir))
}
