//! Events: every fact about an incident, in the order the journal committed them.
//!
//! Event types are named by their `type` field. A type this version does not know (written
//! by a newer warroom) is kept verbatim as [`Event::Unknown`] and shown raw, never dropped.

use super::{ExportFormat, FollowUpKind, NoteKind, Role, Severity, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An alert as the journal keeps it: enough to name it, find it again by fingerprint, and
/// tell when it started and ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRef {
    pub fingerprint: String,
    pub name: String,
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl AlertRef {
    pub fn of(a: &super::Alert) -> AlertRef {
        AlertRef {
            fingerprint: a.fingerprint.clone(),
            name: a.name().to_string(),
            labels: a.labels.to_map(),
            starts_at: a.starts_at,
            ends_at: None,
            generator_url: a.generator_url.clone(),
            summary: Some(a.summary().to_string()).filter(|s| s != a.name()),
        }
    }

    /// `HighErrorRate{service=checkout}`.
    pub fn describe(&self) -> String {
        match self.labels.get("service") {
            Some(s) => format!("{}{{service={s}}}", self.name),
            None => self.name.clone(),
        }
    }
}

/// One committed event with its place in the journal: sequence number, time, and author.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub event: Event,
}

/// Lets what reads a run of entries (the post-mortem) take `&[Entry]`, `&[&Entry]` or the
/// journal's records alike, without copying them.
impl AsRef<Entry> for Entry {
    fn as_ref(&self) -> &Entry {
        self
    }
}

/// An event whose `type` this version does not know, kept as the exact JSON it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEvent {
    pub type_name: String,
    pub json: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Opened {
        title: String,
        severity: Severity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    SeverityChanged {
        from: Severity,
        to: Severity,
    },
    StatusChanged {
        from: Status,
        to: Status,
    },
    RoleAssigned {
        role: Role,
        person: String,
    },
    Note {
        #[serde(default = "observation")]
        kind: NoteKind,
        text: String,
    },
    StatusUpdate {
        text: String,
    },
    StatusUpdateSnoozed {
        minutes: u32,
    },
    Resolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    /// A time-boxed piece of work handed to someone: "Bob, check the database, 3 minutes".
    TaskAssigned {
        task: u32,
        person: String,
        what: String,
        due_at: DateTime<Utc>,
    },
    TaskDone {
        task: u32,
    },
    TaskCancelled {
        task: u32,
    },
    /// The commander hands over; `summary` is the handoff brief as recorded.
    Handoff {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        to: String,
        summary: String,
    },
    /// The outcome of posting the status update `update_seq` to one webhook.
    UpdateDelivered {
        update_seq: u64,
        target: String,
        ok: bool,
        detail: String,
        attempts: u32,
    },
    /// A PagerDuty incident is tied to this one: status updates are added to it as notes.
    PagerdutyLinked {
        /// PagerDuty's incident ID (`PT4KHLK`).
        incident: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number: Option<u64>,
        #[serde(default)]
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    PagerdutyUnlinked {
        incident: String,
    },
    /// An alert is tied to this incident: its firing and resolving are tracked from now on.
    AlertLinked {
        alert: AlertRef,
        firing: bool,
    },
    AlertUnlinked {
        fingerprint: String,
    },
    /// Linked alerts that started firing again or resolved, as the sources reported them.
    AlertsChanged {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        firing: Vec<AlertRef>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        resolved: Vec<AlertRef>,
    },
    SilenceCreated {
        silence_id: String,
        source: String,
        matchers: Vec<String>,
        ends_at: DateTime<Utc>,
        comment: String,
    },
    SilenceExpired {
        silence_id: String,
        source: String,
    },
    /// Something written back to an alert's source (an acknowledgement, a comment), and
    /// whether the source took it: recorded either way, `detail` saying what the source
    /// answered or why it failed.
    AlertWriteBack {
        source: String,
        fingerprint: String,
        /// The alert's name as shown (`checkout-db/disk`).
        alert: String,
        /// `acknowledge`, `comment` or `close` ([`super::WriteBack::name`]).
        action: String,
        text: String,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// Services whose state changed: first affected, worsened, improved, recovered.
    BlastRadiusChanged {
        changes: Vec<super::ServiceChange>,
    },
    /// Work to do after the incident (mitigate, prevent, process), captured during it or in
    /// the post-mortem; allowed after resolution.
    FollowUp {
        text: String,
        kind: FollowUpKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
    },
    /// A post-mortem draft was exported; `path` is the file written (none: standard output).
    PostmortemExported {
        format: ExportFormat,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// A runbook action was started (or, with `dry_run`, only shown); `command` is the exact
    /// argv or `METHOD url`, secrets redacted.
    ActionStarted {
        run_id: String,
        action: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        params: BTreeMap<String, String>,
        #[serde(default)]
        dry_run: bool,
        command: String,
    },
    /// How a runbook action ended, with the last 4 KB of its output, secrets redacted.
    ActionFinished {
        run_id: String,
        action: String,
        outcome: super::ActionOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        http_status: Option<u16>,
        duration_ms: u64,
        #[serde(default)]
        output_tail: String,
    },
    /// Whether the metric the runbook names moved as hoped after a run.
    ActionVerified {
        run_id: String,
        action: String,
        result: super::VerifyResult,
        detail: String,
    },
    /// A correction of entry `entry`: its note's new text or kind, or the time it refers to
    /// (`occurred_at`, when it happened rather than when it was recorded). Why is required.
    Amended {
        entry: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<NoteKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurred_at: Option<DateTime<Utc>>,
        reason: String,
    },
    /// Entry `entry` is withdrawn: it stays in the log, struck through, with the reason.
    Retracted {
        entry: u64,
        reason: String,
    },
    /// Entry `entry` belongs to incident `to`, where it was recorded as `to_seq`; here it
    /// counts as retracted.
    Moved {
        entry: u64,
        to: String,
        to_seq: u64,
        reason: String,
    },
    /// A note moved here from entry `entry` of incident `from`, with its original time and
    /// author.
    MovedIn {
        from: String,
        entry: u64,
        at: DateTime<Utc>,
        by: String,
        #[serde(default = "observation")]
        kind: NoteKind,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurred_at: Option<DateTime<Utc>>,
        reason: String,
    },
    /// This incident is a duplicate of `of`, where its timeline is shown: it closes.
    MarkedDuplicate {
        of: String,
        reason: String,
    },
    /// Duplicate incident `from` is merged into this one: its entries up to `through` (as
    /// committed in its own journal, whose chain they still belong to) are shown within this
    /// incident's timeline; its alerts and open tasks carry over.
    Merged {
        from: String,
        reason: String,
        through: u64,
        entries: Vec<super::corrections::MergedEntry>,
    },
    /// A check-in in the CAN form: what I see (Conditions), what I am doing (Actions), what I
    /// need (Needs). Anyone who can write may check in; it answers a roll call.
    CheckIn {
        conditions: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actions: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        needs: Option<String>,
    },
    /// The leader calls the roll: everyone on it is asked for a check-in.
    RollCalled {},
    /// The leader puts someone on the roll who has not written yet.
    RollAdded {
        person: String,
    },
    /// A sub-team (Alpha, Bravo, …) with its own lead, goal and time-box; its members report
    /// to its lead, not to the call leader.
    TeamFormed {
        team: String,
        lead: String,
        goal: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        members: Vec<String>,
        until: DateTime<Utc>,
    },
    TeamDisbanded {
        team: String,
    },
    /// A practice notice (span of control, the resolver reminder, relief) dismissed: it is not
    /// shown again. `notice` is its key ([`super::Notice::key`]).
    NoticeDismissed {
        notice: String,
    },
    /// A decision put to the call: objections are taken until `closes_at`, then the
    /// commander closes it.
    DecisionProposed {
        decision: u32,
        proposal: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        alternatives: Vec<String>,
        closes_at: DateTime<Utc>,
    },
    /// Someone objects to an open decision, with a reason.
    DecisionObjected {
        decision: u32,
        reason: String,
    },
    /// How a decision ended; `text` is what it was amended to (or a closing word).
    DecisionClosed {
        decision: u32,
        outcome: super::DecisionOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// One thing "resolved" means: a metric condition held for a while, or a manual check.
    ExitCriterionSet {
        criterion: u32,
        check: super::ExitCheck,
    },
    /// A criterion holds: a metric condition held since `since`, or a manual check ticked.
    ExitCriterionMet {
        criterion: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
    },
    /// A criterion that held no longer does.
    ExitCriterionBroken {
        criterion: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
    },
    /// Resolving with exit criteria unmet: which, and why.
    ExitCriteriaWaived {
        reason: String,
        unmet: Vec<u32>,
    },
    /// The executive summary, on its own cadence, for its own channels.
    ExecutiveSummary {
        text: String,
    },
    /// A checklist item ticked or dismissed.
    ChecklistItem {
        phase: super::ChecklistPhase,
        item: String,
        outcome: super::ChecklistOutcome,
    },
    /// Entry `entry` (an event of type `of`) was redacted: its event left the journal, only
    /// its digest stays, so the chain still verifies. Says who (the entry's author) and why,
    /// never the text; `role` is the role claimed to redact it, when not as the leader.
    Redacted {
        entry: u64,
        of: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
    },
    /// A drill's review: its scores against the practice and the scenario's targets, as
    /// computed when the drill ended.
    DrillReviewed {
        review: super::DrillReview,
    },
    /// What a redacted entry reads as: its event is gone, only its digest stays in the line.
    /// Never written as an event.
    #[serde(skip)]
    Expunged,
    /// Written by a newer version; see the module docs.
    #[serde(skip)]
    Unknown(UnknownEvent),
    /// An alert that fired in the incident, reviewed: it called for action, or it was noise.
    /// The newest verdict on an alert stands (`alert_review.rs`).
    AlertReviewed {
        fingerprint: String,
        /// The alert's name as shown (`HighErrorRate{service=checkout}`).
        alert: String,
        verdict: super::AlertVerdict,
    },
    /// An alert that should have fired and did not ("validate your alerts").
    AlertMissing {
        text: String,
    },
    /// The incident is a drill, not a real outage: recorded right after `opened`, before
    /// anything else, by `warroom drill run`. Names the scenario; write-backs (PagerDuty, an
    /// alert source's acknowledge and comment) stay off unless the scenario enables them.
    Drill {
        scenario: String,
        #[serde(default)]
        write_backs: bool,
    },
    /// Someone on call for `service` was paged through `via` (`PagerDuty`), with whether it
    /// went through and what the vendor answered. They stay on the work board, waiting, until
    /// they check in (`paging.rs`).
    Paged {
        person: String,
        /// Their email or handle, to know them when they check in.
        #[serde(default)]
        handle: String,
        service: String,
        via: String,
        #[serde(default)]
        message: String,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// A follow-up (the `follow_up` entry `seq`) is closed: its work done, or settled
    /// otherwise (`note` says how). Allowed on a resolved incident, as follow-ups are.
    FollowUpClosed {
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

fn observation() -> NoteKind {
    NoteKind::Observation
}

impl Event {
    /// The event's `type` as written in the journal.
    pub fn type_name(&self) -> &str {
        match self {
            Event::Opened { .. } => "opened",
            Event::SeverityChanged { .. } => "severity_changed",
            Event::StatusChanged { .. } => "status_changed",
            Event::RoleAssigned { .. } => "role_assigned",
            Event::Note { .. } => "note",
            Event::StatusUpdate { .. } => "status_update",
            Event::StatusUpdateSnoozed { .. } => "status_update_snoozed",
            Event::Resolved { .. } => "resolved",
            Event::TaskAssigned { .. } => "task_assigned",
            Event::TaskDone { .. } => "task_done",
            Event::TaskCancelled { .. } => "task_cancelled",
            Event::Handoff { .. } => "handoff",
            Event::UpdateDelivered { .. } => "update_delivered",
            Event::PagerdutyLinked { .. } => "pagerduty_linked",
            Event::PagerdutyUnlinked { .. } => "pagerduty_unlinked",
            Event::AlertLinked { .. } => "alert_linked",
            Event::AlertUnlinked { .. } => "alert_unlinked",
            Event::AlertsChanged { .. } => "alerts_changed",
            Event::SilenceCreated { .. } => "silence_created",
            Event::SilenceExpired { .. } => "silence_expired",
            Event::AlertWriteBack { .. } => "alert_write_back",
            Event::BlastRadiusChanged { .. } => "blast_radius_changed",
            Event::FollowUp { .. } => "follow_up",
            Event::PostmortemExported { .. } => "postmortem_exported",
            Event::ActionStarted { .. } => "action_started",
            Event::ActionFinished { .. } => "action_finished",
            Event::ActionVerified { .. } => "action_verified",
            Event::Amended { .. } => "amended",
            Event::Retracted { .. } => "retracted",
            Event::Moved { .. } => "moved",
            Event::MovedIn { .. } => "moved_in",
            Event::MarkedDuplicate { .. } => "marked_duplicate",
            Event::Merged { .. } => "merged",
            Event::CheckIn { .. } => "check_in",
            Event::RollCalled {} => "roll_called",
            Event::RollAdded { .. } => "roll_added",
            Event::TeamFormed { .. } => "team_formed",
            Event::TeamDisbanded { .. } => "team_disbanded",
            Event::NoticeDismissed { .. } => "notice_dismissed",
            Event::DecisionProposed { .. } => "decision_proposed",
            Event::DecisionObjected { .. } => "decision_objected",
            Event::DecisionClosed { .. } => "decision_closed",
            Event::ExitCriterionSet { .. } => "exit_criterion_set",
            Event::ExitCriterionMet { .. } => "exit_criterion_met",
            Event::ExitCriterionBroken { .. } => "exit_criterion_broken",
            Event::ExitCriteriaWaived { .. } => "exit_criteria_waived",
            Event::ExecutiveSummary { .. } => "executive_summary",
            Event::ChecklistItem { .. } => "checklist_item",
            Event::Redacted { .. } => "redacted",
            Event::DrillReviewed { .. } => "drill_reviewed",
            Event::Expunged => "expunged",
            Event::Unknown(u) => &u.type_name,
            Event::AlertReviewed { .. } => "alert_reviewed",
            Event::AlertMissing { .. } => "alert_missing",
            Event::Drill { .. } => "drill",
            Event::Paged { .. } => "paged",
            Event::FollowUpClosed { .. } => "follow_up_closed",
        }
    }

    /// The compact JSON this event is stored as. Unknown events give back exactly what was read.
    pub fn to_json(&self) -> String {
        match self {
            Event::Unknown(u) => u.json.clone(),
            // A derived Serialize over strings, enums and integers cannot fail.
            known => serde_json::to_string(known).unwrap_or_else(|_| "{}".to_string()),
        }
    }

    /// Reads an event; a `type` this version does not know, or a known type in a shape it does
    /// not understand, becomes [`Event::Unknown`] so nothing is lost. Only JSON that is not an
    /// object with a string `type` is an error.
    pub fn from_json(json: &str) -> Result<Event, String> {
        match serde_json::from_str::<Event>(json) {
            Ok(e) => Ok(e),
            Err(err) => {
                #[derive(Deserialize)]
                struct Tag {
                    #[serde(rename = "type")]
                    type_name: String,
                }
                match serde_json::from_str::<Tag>(json) {
                    Ok(tag) => Ok(Event::Unknown(UnknownEvent {
                        type_name: tag.type_name,
                        json: json.to_string(),
                    })),
                    Err(_) => Err(format!("event is not an object with a \"type\": {err}")),
                }
            }
        }
    }

    /// One line for the outage log, without time or author.
    pub fn describe(&self) -> String {
        match self {
            Event::Opened {
                title, severity, ..
            } => format!("opened {} \"{}\"", severity.label(), title),
            Event::Drill {
                scenario,
                write_backs,
            } => format!(
                "DRILL: this incident is a drill (scenario {scenario}), not a real outage; write-backs {}",
                if *write_backs { "on" } else { "off" }
            ),
            Event::SeverityChanged { from, to } => {
                format!("severity {} → {}", from.label(), to.label())
            }
            Event::StatusChanged { from, to } => format!("status {from} → {to}"),
            Event::RoleAssigned { role, person } => format!("{person} is {role}"),
            Event::Note { kind, text } => format!("{kind}: {text}"),
            Event::StatusUpdate { text } => format!("status update: {text}"),
            Event::StatusUpdateSnoozed { minutes } => {
                format!("status update snoozed {minutes}m")
            }
            Event::Resolved { summary } => match summary {
                Some(s) => format!("resolved: {s}"),
                None => "resolved".to_string(),
            },
            Event::TaskAssigned {
                task,
                person,
                what,
                due_at,
            } => format!(
                "task T{task} for {person}: {what} (due {})",
                due_at.format("%H:%M:%SZ")
            ),
            Event::TaskDone { task } => format!("task T{task} done"),
            Event::TaskCancelled { task } => format!("task T{task} cancelled"),
            Event::Handoff { from, to, summary } => match from {
                Some(f) => format!("handoff {f} → {to}: {summary}"),
                None => format!("handoff to {to}: {summary}"),
            },
            Event::UpdateDelivered {
                update_seq,
                target,
                ok,
                detail,
                attempts,
            } => format!(
                "update #{update_seq} to {target}: {} ({detail}{})",
                if *ok { "delivered" } else { "NOT delivered" },
                if *attempts > 1 {
                    format!(", {attempts} attempts")
                } else {
                    String::new()
                }
            ),
            Event::PagerdutyLinked {
                incident,
                number,
                title,
                ..
            } => match number {
                Some(n) => format!("PagerDuty incident {incident} (#{n}) linked: {title}"),
                None => format!("PagerDuty incident {incident} linked: {title}"),
            },
            Event::PagerdutyUnlinked { incident } => {
                format!("PagerDuty incident {incident} unlinked")
            }
            Event::AlertLinked { alert, firing } => format!(
                "alert linked: {} ({})",
                alert.describe(),
                if *firing { "firing" } else { "not firing" }
            ),
            Event::AlertUnlinked { fingerprint } => format!("alert {fingerprint} unlinked"),
            Event::AlertsChanged { firing, resolved } => {
                let mut parts = Vec::new();
                if !firing.is_empty() {
                    let names: Vec<String> = firing.iter().map(AlertRef::describe).collect();
                    parts.push(format!("firing: {}", names.join(", ")));
                }
                if !resolved.is_empty() {
                    let names: Vec<String> = resolved.iter().map(AlertRef::describe).collect();
                    parts.push(format!("resolved: {}", names.join(", ")));
                }
                format!("alerts {}", parts.join("; "))
            }
            Event::SilenceCreated {
                silence_id,
                source,
                matchers,
                ends_at,
                ..
            } => format!(
                "silence {silence_id} on {source}: {} until {}",
                matchers.join(", "),
                ends_at.format("%H:%MZ")
            ),
            Event::SilenceExpired { silence_id, source } => {
                format!("silence {silence_id} on {source} expired")
            }
            Event::AlertWriteBack {
                source,
                alert,
                action,
                text,
                ok,
                detail,
                ..
            } => {
                let kind = super::WriteBack::from_name(action);
                let with_detail = |s: String| {
                    if detail.is_empty() {
                        s
                    } else {
                        format!("{s} ({detail})")
                    }
                };
                if *ok {
                    let done = match kind {
                        Some(k) => k.done(),
                        None => action.as_str(),
                    };
                    with_detail(format!("{done} {alert} on {source}: {text}"))
                } else {
                    with_detail(format!("could NOT {action} {alert} on {source}: {text}"))
                }
            }
            Event::BlastRadiusChanged { changes } => {
                let parts: Vec<String> = changes
                    .iter()
                    .map(|c| match &c.peak {
                        Some(p) => format!(
                            "{} {} ({} → {}; {})",
                            c.service,
                            c.kind(),
                            c.from,
                            c.to,
                            p.describe()
                        ),
                        None => format!("{} {} ({} → {})", c.service, c.kind(), c.from, c.to),
                    })
                    .collect();
                format!("blast radius: {}", parts.join("; "))
            }
            Event::FollowUp { text, kind, owner } => match owner {
                Some(o) => format!("follow-up ({kind}, {o}): {text}"),
                None => format!("follow-up ({kind}): {text}"),
            },
            Event::PostmortemExported { format, path } => match path {
                Some(p) => format!("post-mortem draft exported ({format}) to {p}"),
                None => format!("post-mortem draft exported ({format})"),
            },
            Event::ActionStarted { .. }
            | Event::ActionFinished { .. }
            | Event::ActionVerified { .. } => super::action_run::ActionEvent::of(self)
                .map(|e| super::action_run::describe(&e))
                .unwrap_or_default(),
            Event::Amended { .. }
            | Event::Retracted { .. }
            | Event::Moved { .. }
            | Event::MovedIn { .. }
            | Event::MarkedDuplicate { .. }
            | Event::Merged { .. } => super::corrections::describe(self),
            Event::CheckIn { .. }
            | Event::RollCalled {}
            | Event::RollAdded { .. }
            | Event::TeamFormed { .. }
            | Event::TeamDisbanded { .. }
            | Event::NoticeDismissed { .. } => super::roll::describe(self),
            Event::DecisionProposed { .. }
            | Event::DecisionObjected { .. }
            | Event::DecisionClosed { .. }
            | Event::ExitCriterionSet { .. }
            | Event::ExitCriterionMet { .. }
            | Event::ExitCriterionBroken { .. }
            | Event::ExitCriteriaWaived { .. }
            | Event::ExecutiveSummary { .. }
            | Event::ChecklistItem { .. } => super::practice::describe(self),
            Event::Redacted {
                entry, of, reason, ..
            } => format!("redacted entry #{entry} ({of}): {reason}"),
            Event::DrillReviewed { review } => {
                format!("drill review ({}): {}", review.scenario, review.summary())
            }
            Event::Expunged => "(redacted)".to_string(),
            Event::Unknown(u) => format!("[{}] {}", u.type_name, u.json),
            Event::AlertReviewed { .. } | Event::AlertMissing { .. } => {
                super::alert_review::describe(self)
            }
            Event::Paged { .. } => super::paging::describe(self),
            Event::FollowUpClosed { seq, note } => match note {
                Some(n) => format!("follow-up #{seq} closed: {n}"),
                None => format!("follow-up #{seq} closed"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_events_round_trip_through_json() {
        let e = Event::Note {
            kind: NoteKind::Decision,
            text: "roll back \"pricing\" 🔥\u{7}".into(),
        };
        let json = e.to_json();
        assert_eq!(Event::from_json(&json), Ok(e));
    }

    #[test]
    fn an_event_from_a_newer_version_is_kept_verbatim() {
        let json = r#"{"type":"pager_escalated","to":"db-oncall","level":2}"#;
        let e = Event::from_json(json).unwrap();
        assert_eq!(e.type_name(), "pager_escalated");
        assert_eq!(e.to_json(), json);
    }

    #[test]
    fn a_known_type_with_extra_fields_still_reads() {
        let json = r#"{"type":"note","kind":"hypothesis","text":"db","tags":["x"]}"#;
        assert_eq!(
            Event::from_json(json),
            Ok(Event::Note {
                kind: NoteKind::Hypothesis,
                text: "db".into()
            })
        );
    }

    #[test]
    fn a_write_back_reads_as_what_was_done_or_that_it_failed() {
        let mut e = Event::AlertWriteBack {
            source: "nagios".into(),
            fingerprint: "f1".into(),
            alert: "checkout-db/disk".into(),
            action: "acknowledge".into(),
            text: "on it".into(),
            ok: true,
            detail: String::new(),
        };
        assert_eq!(e.type_name(), "alert_write_back");
        assert_eq!(
            e.describe(),
            "acknowledged checkout-db/disk on nagios: on it"
        );
        assert_eq!(Event::from_json(&e.to_json()), Ok(e.clone()));
        if let Event::AlertWriteBack {
            ok, detail, action, ..
        } = &mut e
        {
            *ok = false;
            *detail = "HTTP 500".into();
            *action = "comment".into();
        }
        assert_eq!(
            e.describe(),
            "could NOT comment checkout-db/disk on nagios: on it (HTTP 500)"
        );
    }

    #[test]
    fn json_without_a_type_is_an_error() {
        assert!(Event::from_json(r#"{"text":"x"}"#).is_err());
        assert!(Event::from_json("[1,2]").is_err());
    }
}
