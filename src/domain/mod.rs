//! The incident domain: events, the incident as a pure fold of its events, and the
//! vocabulary of incident response (severity, status, roles, note kinds).
//!
//! Nothing here does I/O or reads a clock: time always arrives as a parameter, so every rule
//! can be tested with a fixed clock.

mod action_run;
mod alert;
mod alert_review;
mod blast;
mod board;
mod cadence;
mod cloudwatch;
mod corrections;
mod drill;
pub mod drill_review;
mod event;
mod incident;
mod labels;
mod lead;
mod metric;
mod number;
mod paging;
mod peak;
pub mod practice;
mod punctuality;
pub mod redact;
mod redaction;
mod roll;
mod text;
mod update_draft;
mod vocab;
mod watch;

pub use action_run::{
    ActionOutcome, ActionRun, RunEnd, RunVerification, VerifyResult, next_run_id,
};
pub use alert::{Alert, AlertBoard, AlertState, SourceStatus, WriteBack, fingerprint_of};
pub use alert_review::{AlertReview, AlertReviewed, AlertVerdict, MissingAlert, review_event};
pub use blast::{
    BlastRadius, Evidence, MetricValues, Service, ServiceCatalog, ServiceChange, ServiceHistory,
    ServiceImpact, ServiceState, blast_radius, service_changes,
};
pub use board::{
    Board, Notice, PersonLine, PracticeRules, Report, SPAN_OF_CONTROL, TeamLine, board, notices,
    workstreams,
};
pub use cadence::{MAX_DURATION, StatusCadence, clock, parse_duration, short_duration};
pub use cloudwatch::CloudWatchQuery;
pub use corrections::{
    Change, Corrected, Corrections, MergedEntry, corrected_entries, corrected_incident,
    corrected_log, is_correction, leader, may_correct, parse_occurred_at,
};
pub use drill::{DRILL_PREFIX, DrillMark};
pub use drill_review::{DrillReview, DrillSpec, ScoreKind, Targets, Trend};
pub use event::{AlertRef, Entry, Event, UnknownEvent};
pub use incident::{
    Delivery, FollowUp, Incident, LinkedAlert, PagerDutyLink, Rejected, RoleHolder, SilenceRecord,
    Task, TaskState, WriteBackRecord, check_opening, check_pagerduty_id,
};
pub use labels::{
    Interner, LabelLookup, Labels, LabelsVisitor, deserialize_shared, sharing_strings,
};
pub use lead::non_leader_may;
pub use metric::{
    Bands, Crossing, MetricPoints, MetricQuery, ServiceMetric, nrql_for_service,
    nrql_reserved_clause, nrql_string,
};
pub use number::{human_number, humanize_numbers};
pub use paging::{Page, Paging, with_handle};
pub use peak::{MetricPeak, attach_peaks};
pub use practice::{
    ChecklistOutcome, ChecklistPhase, Comparison, DecisionOutcome, ExitCheck, Practice,
};
pub use punctuality::{DueUpdate, due_updates};
pub use redaction::{Authority, redaction};
pub use roll::{CheckIn, Member, Roll, RollCall, Team};
pub use text::{SHOWN_CONTROL, for_terminal, for_terminal_line, json_for_terminal};
pub use update_draft::{handoff_summary, status_update_details, status_update_draft};
pub use vocab::{ExportFormat, FollowUpKind, NoteKind, ParseError, Role, Severity, Status};

/// Longest text accepted in one note or status update (bytes). Generous enough for a pasted
/// stack trace, small enough that one careless paste cannot bloat the journal.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Longest incident title or person name (characters).
pub const MAX_LINE_CHARS: usize = 200;
pub use watch::{
    BlindKind, Blindness, ChainLook, ChainWatch, Link, Patience, PrometheusLook, RuleGroupLook,
    Watchdog, stall_limit,
};
