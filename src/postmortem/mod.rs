//! The blameless post-mortem draft: a pure render of an incident from its journal entries, the
//! incident folded from them, and a fixed `now` (the time of export, which ends the durations
//! of an incident still open). The only I/O is in [`write`], which writes a draft to a file or
//! a stream; the CLI and the console journal the export.
//!
//! [`Report::build`] computes every fact once; [`markdown`] and [`json`] render that one value,
//! so the two formats always say the same thing. [`blameless`] flags blameful phrasing for
//! review and never rewrites it.

pub mod blameless;
mod corrections;
pub mod json;
pub mod markdown;
pub(crate) mod measures;
mod practice;
mod report;
mod roll;
pub mod write;

pub use blameless::{BlamelessCheck, Finding, Rule};
pub use corrections::{CorrectedTime, Corrections, Retraction};
pub use report::{
    Action, Alert, Delivery, Detection, FORMAT_NAME, FORMAT_VERSION, FollowUp, Impact, Link,
    Messaging, Note, Peak, Report, Responder, Response, ServiceImpact, ServicePeriod,
    SeverityPeriod, SeverityTime, StatusChange, StatusUpdate, TimelineRow,
};
pub use roll::{RollCallSummary, RollMember};
pub use write::{WriteError, write_file, write_path, write_text, write_to};

use crate::domain::{Entry, ExportFormat, Incident};
use chrono::{DateTime, Utc};

/// The draft in `format`, with the blameless findings it lists.
pub fn render<E: AsRef<Entry> + Sync>(
    format: ExportFormat,
    entries: &[E],
    incident: &Incident,
    now: DateTime<Utc>,
) -> (String, Vec<Finding>) {
    let corrected = corrections::prepare(entries, incident);
    let report = build(entries, incident, &corrected, now);
    let text = match format {
        ExportFormat::Markdown => markdown::render(&report),
        ExportFormat::Json => json::render(&report),
    };
    (text, report.review)
}

/// [`render`], handing the draft to `emit` in pieces (about 4 MB each for Markdown; JSON in
/// one) as they are ready, so they can be written while the rest is rendered.
pub fn render_chunked<E: AsRef<Entry> + Sync>(
    format: ExportFormat,
    entries: &[E],
    incident: &Incident,
    now: DateTime<Utc>,
    emit: &mut dyn FnMut(String),
) -> Vec<Finding> {
    const CHUNK: usize = 4 << 20;
    let corrected = corrections::prepare(entries, incident);
    let report = build(entries, incident, &corrected, now);
    match format {
        ExportFormat::Markdown => markdown::render_chunked(&report, CHUNK, emit),
        ExportFormat::Json => emit(json::render(&report)),
    }
    report.review
}

/// The report from the corrected record when there is one, else from the entries as they are.
fn build<'a, E: AsRef<Entry> + Sync>(
    entries: &'a [E],
    incident: &Incident,
    corrected: &'a Option<(Vec<Entry>, Incident, Corrections)>,
    now: DateTime<Utc>,
) -> Report<'a> {
    match corrected {
        Some((facts, folded, said)) => {
            let mut report = Report::build(facts, folded, now);
            report.corrections = said.clone();
            report
        }
        None => Report::build(entries, incident, now),
    }
}

/// `INC-7-postmortem.md` / `INC-7-postmortem.json`.
pub fn file_name(id: &str, format: ExportFormat) -> String {
    let ext = match format {
        ExportFormat::Markdown => "md",
        ExportFormat::Json => "json",
    };
    format!("{id}-postmortem.{ext}")
}

/// One line per finding, for a terminal: where it is, what was matched, what to write instead.
pub fn finding_line(f: &Finding) -> String {
    format!(
        "#{} {} {} by {}: \"{}\" — {}. {}",
        f.seq,
        f.at.format("%Y-%m-%d %H:%M:%SZ"),
        f.source.replace('_', " "),
        f.by,
        f.phrase,
        f.rule.describe(),
        f.suggestion
    )
}
