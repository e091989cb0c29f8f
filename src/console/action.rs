//! What can happen to the console (`Action`) and what it asks the outside world to do
//! (`Effect`). The reducer turns one into the other; only the effects runner does I/O.

use crate::domain::{Entry, Event, NoteKind, Severity};
use crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The once-a-second clock, armed only while a countdown is on screen.
    Tick,
    /// The incident list, re-read because something changed.
    Incidents(Vec<crate::journal::Summary>),
    /// The report across incidents `:report` asked for (boxed: it is large).
    ReportLoaded(Box<crate::report::Figures>),
    /// An incident was opened in the console, led by us or (led elsewhere) read-only.
    Opened {
        id: String,
        entries: Vec<Entry>,
        lead: Lead,
        draft: Option<Draft>,
    },
    /// The lead of incident `id` changed while it was on screen: this console's lead was lost
    /// (a lease that ran out and was taken), or it took the lead (of an incident handed to
    /// its user, once the leader let go).
    LeadChanged {
        id: String,
        lead: Lead,
    },
    /// Our own append is committed; `entries` holds it and anything others appended before it.
    Appended {
        id: String,
        entries: Vec<Entry>,
        cleared_draft: bool,
    },
    /// Entries appended by another process (a CLI verb, a script).
    Entries {
        id: String,
        entries: Vec<Entry>,
    },
    /// Saving the typed text as a draft failed (`error`), or works again after failing (None).
    DraftSaved {
        id: String,
        error: Option<String>,
    },
    /// Whether the store answers: `Some(why)` while it cannot be reached (what is typed then
    /// goes to this machine's outbox), `None` once it answers again.
    StoreDown(Option<String>),
    /// What of incident `id` is not shared yet: kept in this machine's outbox, waiting for the
    /// store (`None`), or refused by it when drained (`Some(why)`), in the order typed. The
    /// whole list each time.
    Unshared {
        id: String,
        entries: Vec<(Entry, Option<String>)>,
    },
    /// Entries of the outbox committed now that the store answers again, with anything others
    /// appended before them; `ours`: the seqs of the drained ones.
    Drained {
        id: String,
        entries: Vec<Entry>,
        ours: Vec<u64>,
    },
    /// An append was refused or failed; nothing was written.
    AppendFailed {
        id: String,
        reason: String,
    },
    /// A new incident exists; the console enters it.
    Created {
        id: String,
    },
    /// Something the call leader should know (a torn journal line moved aside, …).
    Problem(String),
    /// How a correction across two incidents (a move, a merge) went: what to say, and
    /// whether it failed.
    Corrected {
        message: String,
        error: bool,
    },
    /// What sharing an incident gave: the text for the share popup.
    Shared {
        id: String,
        text: String,
    },
    /// News from the share server this console follows.
    Follow(crate::share::follower::FollowEvent),
    /// One alert source answered (or failed).
    AlertReport(crate::backends::poller::SourceReport),
    /// A round of service metrics from Prometheus.
    Metrics(crate::backends::metrics::MetricsReport),
    /// A look along the alerting chain (Prometheus's rules, the dead man's switch).
    Chain(crate::domain::ChainLook),
    /// `action_started` is committed as `run_id`: the run `local` may be spawned.
    RunCommitted {
        id: String,
        local: u64,
        run_id: String,
        entries: Vec<Entry>,
    },
    /// The run `local` was not started (not prepared, or refused by the journal).
    RunRefused {
        local: u64,
        reason: String,
    },
    /// One line of a run's output, secrets redacted.
    RunOutput {
        run_id: String,
        line: crate::actions::OutputLine,
    },
    /// A run ended (`action_finished` is on its way to the journal); `verifying` when its
    /// effect is being checked now.
    RunEnded {
        run_id: String,
        outcome: crate::domain::ActionOutcome,
        verifying: bool,
    },
    /// A run's verification concluded.
    RunVerified {
        run_id: String,
        result: crate::domain::VerifyResult,
    },
    /// The post-mortem draft is written to `path` and its export recorded.
    Exported {
        id: String,
        path: String,
        findings: usize,
        still_open: bool,
    },
    /// A follower's copy of the draft could not be written.
    ExportFailed {
        id: String,
        reason: String,
    },
    /// PagerDuty's open incidents, asked for by `P` on incident `id` (or why not).
    PagerDutyListed {
        id: String,
        result: Result<Vec<super::state::PagerDutyChoice>, String>,
    },
    /// Who is on call for `service`, asked for by `W` on incident `id` (or why not).
    OnCallListed {
        id: String,
        service: String,
        result: Result<Vec<crate::backends::oncall::OnCallPerson>, String>,
    },
    /// A round of readings of the exit criteria's metrics (criterion number → value, or why
    /// not).
    CriteriaValues {
        id: String,
        at: chrono::DateTime<chrono::Utc>,
        values: std::collections::BTreeMap<u32, Result<Option<f64>, String>>,
    },
    /// SIGTERM or SIGHUP: leave cleanly.
    Terminate,
}

/// Whether this console may record on the incident it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lead {
    Leading,
    /// Someone else leads it: shown, but nothing can be recorded from here.
    ReadOnly {
        holder: String,
    },
    /// Nobody leads it now (its leader let go): read-only here until entered again, which
    /// takes the lead.
    Unled,
    /// This console led it and lost the lead (its lease ran out, and `holder`, if anyone,
    /// took it): it records only what is open to all, until the incident is entered again.
    Lost {
        holder: Option<String>,
    },
    /// Followed from a share server: read-only, live, verified.
    Follower {
        source: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read every incident of the store and fold the report of the 90 days up to `now`.
    LoadReport {
        cadence: crate::domain::StatusCadence,
        now: chrono::DateTime<chrono::Utc>,
    },
    /// Take the lead of an incident (or open it read-only) and load it.
    Open {
        id: String,
    },
    /// Give up the lead.
    Leave {
        id: String,
    },
    /// Append an event; with `clears_draft`, the saved draft goes once it is committed.
    Append {
        id: String,
        event: Event,
        clears_draft: bool,
    },
    /// A correction recorded in two incidents (`journal::corrections`).
    CorrectAcross(Across),
    /// Redact entry `seq` of the led incident: its event leaves the journal.
    Redact {
        id: String,
        seq: u64,
        reason: String,
    },
    Create {
        title: String,
        severity: Severity,
    },
    SaveDraft {
        id: String,
        draft: Draft,
    },
    DiscardDraft {
        id: String,
    },
    /// Post a committed status update to the configured webhooks; each outcome is recorded.
    Deliver {
        id: String,
        message: crate::backends::webhook::UpdateMessage,
    },
    /// Post a committed executive summary to the webhooks `[practice] executive_channels`
    /// names (none: it stays in the journal); each outcome is recorded.
    DeliverExecutive {
        id: String,
        message: crate::backends::webhook::UpdateMessage,
    },
    /// Append a fact the console learned (a delivery outcome), not something typed.
    Record {
        id: String,
        event: Event,
    },
    /// Record how the linked alerts changed, if they did — decided under the journal's lock,
    /// so each change is journaled exactly once.
    ObserveAlerts {
        id: String,
        alerts: Vec<std::sync::Arc<crate::domain::Alert>>,
    },
    /// Record the services whose state changed, if any — decided under the journal's lock.
    ObserveBlast {
        id: String,
        blast: crate::domain::BlastRadius,
    },
    /// Create a silence on the named sources; each one created is recorded.
    CreateSilence {
        id: String,
        sources: Vec<String>,
        matchers: Vec<String>,
        ends_at: chrono::DateTime<chrono::Utc>,
        comment: String,
    },
    /// Write an acknowledgement or a comment back to an alert's sources; each outcome, taken
    /// or not, is recorded as `alert_write_back`.
    WriteBack {
        id: String,
        sources: Vec<String>,
        alert: Box<crate::domain::Alert>,
        kind: crate::domain::WriteBack,
        text: String,
    },
    /// Expire silences created during the incident (source, silence id).
    ExpireSilences {
        id: String,
        silences: Vec<(String, String)>,
    },
    /// Share an incident: issue a token (or a new one with `rotate`), or revoke it.
    Share {
        id: String,
        base: String,
        rotate: bool,
        revoke: bool,
    },
    /// Tell the leader something went wrong outside (a silence not created).
    Problem(String),
    /// Ring the terminal bell (an update just became overdue).
    Bell,
    /// Run a runbook action on an incident: prepared by the app loop, recorded by the
    /// journal worker (`RecordRunStart`), then spawned (`SpawnRun`).
    StartRun {
        id: String,
        local: u64,
        action: String,
        params: std::collections::BTreeMap<String, String>,
    },
    /// Record `action_started` for a prepared run, choosing its run id under the lock.
    RecordRunStart {
        id: String,
        local: u64,
        action: String,
        params: std::collections::BTreeMap<String, String>,
        command: String,
    },
    /// Start the prepared run `local`, now recorded as `run_id`.
    SpawnRun {
        id: String,
        local: u64,
        run_id: String,
    },
    /// Stop a run: its whole process group, SIGTERM then SIGKILL.
    CancelRun {
        run_id: String,
    },
    /// Render the post-mortem draft, write it to `dir` (none: the current directory) and
    /// record `postmortem_exported`.
    Export {
        id: String,
        format: crate::domain::ExportFormat,
        dir: Option<std::path::PathBuf>,
    },
    /// A follower's own copy of the post-mortem draft: rendered from the entries it received
    /// (each checked against the hash chain), written to `dir` (none: the current directory),
    /// recorded nowhere — the incident is the leader's.
    ExportCopy {
        id: String,
        entries: Vec<crate::domain::Entry>,
        dir: Option<std::path::PathBuf>,
    },
    /// Ask PagerDuty for the triggered and acknowledged incidents of `[pagerduty] service_ids`,
    /// to offer them for linking to `id`.
    ListPagerDuty {
        id: String,
    },
    /// Ask the on-call source who is on call for `service`, to offer them for paging.
    ListOnCall {
        id: String,
        service: String,
    },
    /// Page `person` for `service` to incident `id`; the outcome is recorded as `paged`.
    Page {
        id: String,
        service: String,
        person: Box<crate::backends::oncall::OnCallPerson>,
        message: String,
        /// The PagerDuty incidents linked to `id`, oldest first.
        linked: Vec<String>,
    },
    Quit,
}

/// What an unsent editor was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Purpose {
    Note {
        note_kind: NoteKind,
    },
    StatusUpdate,
    Resolve,
    /// A decision put to the call: the proposal, then `- ` lines for the alternatives.
    Proposal,
    /// An objection to the open decision.
    Objection,
    /// What the open decision was amended to.
    Amendment,
    /// A new exit criterion, in its one-line form.
    ExitCriterion,
    /// The executive summary.
    ExecutiveSummary,
    /// An alert that should have fired and did not.
    MissingAlert,
}

impl Purpose {
    pub fn title(self) -> &'static str {
        match self {
            Purpose::Note {
                note_kind: NoteKind::Observation,
            } => "Observation",
            Purpose::Note {
                note_kind: NoteKind::Hypothesis,
            } => "Hypothesis",
            Purpose::Note {
                note_kind: NoteKind::Decision,
            } => "Decision",
            Purpose::StatusUpdate => "Status update",
            Purpose::Resolve => "Resolve — summary (optional)",
            Purpose::Proposal => "Propose a decision — then \"- \" lines: alternatives considered",
            Purpose::Objection => "Objection — why",
            Purpose::Amendment => "Amended decision — what it became",
            Purpose::ExitCriterion => "Exit criterion",
            Purpose::ExecutiveSummary => "Executive summary",
            Purpose::MissingAlert => "Missing alert",
        }
    }
}

/// Typed text not yet sent, kept on disk so that nothing typed is lost to a crash or a quit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub purpose: Purpose,
    pub text: String,
    pub saved_at: chrono::DateTime<chrono::Utc>,
}

/// A correction that writes to two incidents, each an event in its own journal.
#[derive(Debug, Clone, PartialEq)]
pub enum Across {
    /// Note `seq` of `id` moves to `to`.
    Move {
        id: String,
        seq: u64,
        to: String,
        reason: String,
    },
    /// `dup` closes as a duplicate of `into`, which shows its timeline.
    Merge {
        dup: String,
        into: String,
        reason: String,
    },
}
