//! The facts of a post-mortem, computed once from the journal entries and the folded incident.
//! Markdown and JSON both render this one value, so they can never disagree. Field names here
//! are the JSON contract (`docs/postmortem-format.md`): snake_case, durations in whole seconds,
//! times RFC 3339 in UTC.

use super::blameless::{self, Finding};
use super::measures;
use crate::domain::{Entry, Event, Incident, NoteKind, Role, ServiceState, Severity, Status};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// Names the document in JSON, so a reader can tell what it holds.
pub const FORMAT_NAME: &str = "warroom-postmortem";
/// Bumped only when a field changes meaning or goes away; new fields do not bump it.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report<'a> {
    pub format: &'static str,
    pub version: u32,
    pub id: String,
    pub title: String,
    /// Always `draft`: a person finishes the post-mortem.
    pub document_status: &'static str,
    /// Where the incident stands; anything but `resolved` means the draft is provisional.
    pub incident_status: Status,
    pub still_open: bool,
    #[serde(serialize_with = "time")]
    pub generated_at: DateTime<Utc>,
    pub severity: Severity,
    pub opened_severity: Severity,
    pub highest_severity: Severity,
    #[serde(serialize_with = "time")]
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    #[serde(serialize_with = "opt_time")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// The summary given at resolution.
    pub summary: Option<String>,
    /// The summary given at opening, if any.
    pub opening_summary: Option<String>,
    pub responders: Vec<Responder>,
    /// Everyone who recorded something, in order of their first entry.
    pub participants: Vec<String>,
    pub impact: Impact,
    pub detection: Detection,
    pub response: Response<'a>,
    pub timeline: Vec<TimelineRow<'a>>,
    pub status_updates: Vec<StatusUpdate<'a>>,
    pub notes: Vec<Note<'a>>,
    pub follow_ups: Vec<FollowUp>,
    pub messaging: Messaging,
    /// Phrases to reword before sharing (the blameless check); the text is never changed.
    pub review: Vec<Finding>,
    /// Times corrected, entries retracted, duplicates merged.
    #[serde(skip_serializing_if = "super::Corrections::is_empty")]
    pub corrections: super::Corrections,
    /// Roll calls, check-ins and the roll at the end; left out when there were none.
    #[serde(skip_serializing_if = "super::roll::RollCallSummary::is_empty")]
    pub roll_call: super::roll::RollCallSummary,
    /// Decisions by objection, exit criteria (and when each was met), waivers, executive
    /// summaries, checklist answers.
    #[serde(skip_serializing_if = "crate::domain::Practice::is_empty")]
    pub practice: crate::domain::Practice,
    /// The impact chart's file name beside a Markdown draft, when one was written with it.
    #[serde(skip)]
    pub impact_chart: Option<String>,
    /// Each fired alert's verdict (actionable, noise) and the alerts found missing; left
    /// out when no review was recorded.
    #[serde(skip_serializing_if = "crate::domain::AlertReview::is_empty")]
    pub alert_review: crate::domain::AlertReview,
}

/// One person holding one role for a while.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Responder {
    pub role: Role,
    pub person: String,
    #[serde(serialize_with = "time")]
    pub from: DateTime<Utc>,
    /// When someone else took the role; none while they still hold it.
    #[serde(serialize_with = "opt_time")]
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    /// Opened → resolved (or → `generated_at` while still open).
    pub duration_seconds: i64,
    pub severity_periods: Vec<SeverityPeriod>,
    /// Total time at each severity the incident had, worst first.
    pub time_in_severity: Vec<SeverityTime>,
    pub services: Vec<ServiceImpact>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeverityPeriod {
    pub severity: Severity,
    #[serde(serialize_with = "time")]
    pub from: DateTime<Utc>,
    #[serde(serialize_with = "time")]
    pub until: DateTime<Utc>,
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeverityTime {
    pub severity: Severity,
    pub seconds: i64,
}

/// A service the blast radius recorded as not ok at some point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceImpact {
    pub service: String,
    pub customer_facing: bool,
    /// What customers call it (`public_name` in `services.toml`), as last recorded.
    pub public_name: Option<String>,
    pub worst_state: ServiceState,
    #[serde(serialize_with = "time")]
    pub first_affected_at: DateTime<Utc>,
    /// When it was last recorded back to ok; none if it never was.
    #[serde(serialize_with = "opt_time")]
    pub recovered_at: Option<DateTime<Utc>>,
    /// Time in any state but ok, up to resolution (or `generated_at`).
    pub affected_seconds: i64,
    pub periods: Vec<ServicePeriod>,
    /// The highest value its key metric reached, as recorded when it got better.
    pub peak: Option<Peak>,
}

/// A key metric's highest value and when it was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peak {
    pub metric: String,
    pub value: f64,
    #[serde(serialize_with = "time")]
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServicePeriod {
    pub state: ServiceState,
    #[serde(serialize_with = "time")]
    pub from: DateTime<Utc>,
    #[serde(serialize_with = "time")]
    pub until: DateTime<Utc>,
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// The linked alert that started firing first.
    pub first_alert: Option<Alert>,
    /// First alert's start → opened; negative when the incident was opened before it fired.
    pub time_to_detect_seconds: Option<i64>,
    #[serde(serialize_with = "opt_time")]
    pub engaged_at: Option<DateTime<Utc>>,
    /// What counted as engagement, e.g. `alice assigned commander`.
    pub engaged_by: Option<String>,
    /// Opened → first commander assignment, handoff or acknowledgement.
    pub time_to_engage_seconds: Option<i64>,
    pub alerts: Vec<Alert>,
}

/// An alert linked to the incident, with its firing history as the journal saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub name: String,
    pub fingerprint: String,
    pub labels: BTreeMap<String, String>,
    #[serde(serialize_with = "time")]
    pub starts_at: DateTime<Utc>,
    /// When it last resolved; none while it still fires.
    #[serde(serialize_with = "opt_time")]
    pub ends_at: Option<DateTime<Utc>>,
    pub firing: bool,
    #[serde(serialize_with = "time")]
    pub linked_at: DateTime<Utc>,
    pub linked_by: String,
    /// Times it started firing again after resolving.
    pub refired: u32,
    pub generator_url: Option<String>,
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response<'a> {
    pub actions: Vec<Action>,
    pub status_changes: Vec<StatusChange<'a>>,
    #[serde(serialize_with = "opt_time")]
    pub mitigated_at: Option<DateTime<Utc>>,
    /// What counted as mitigation, e.g. `R2 flag-off (flag=x) verified effective`.
    pub mitigated_by: Option<String>,
    /// Opened → first effective action or status → monitoring.
    pub time_to_mitigate_seconds: Option<i64>,
    /// Opened → resolved.
    pub time_to_resolve_seconds: Option<i64>,
}

/// One run of a compensating action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub run_id: String,
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub dry_run: bool,
    pub command: String,
    #[serde(serialize_with = "time")]
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    #[serde(serialize_with = "opt_time")]
    pub finished_at: Option<DateTime<Utc>>,
    /// `succeeded`, `failed`, `timed_out`, `cancelled`; none while running or for a dry run.
    pub outcome: Option<String>,
    pub exit_code: Option<i32>,
    pub http_status: Option<u16>,
    pub duration_ms: Option<u64>,
    /// `effective`, `not_effective`, `failed`; none when not verified.
    pub verification: Option<String>,
    pub verification_detail: Option<String>,
    #[serde(serialize_with = "opt_time")]
    pub verified_at: Option<DateTime<Utc>>,
    /// Verified effective: counts as mitigation.
    pub effective: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange<'a> {
    pub seq: u64,
    #[serde(serialize_with = "time")]
    pub at: DateTime<Utc>,
    pub by: &'a str,
    pub from: Status,
    pub to: Status,
}

/// One line of the timeline. What the journal holds is borrowed from its entries (a large
/// incident has 100,000 rows); only the row's text is made here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineRow<'a> {
    pub seq: u64,
    #[serde(serialize_with = "time")]
    pub at: DateTime<Utc>,
    pub by: &'a str,
    #[serde(rename = "type")]
    pub type_name: &'a str,
    pub text: String,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusUpdate<'a> {
    pub seq: u64,
    #[serde(serialize_with = "time")]
    pub at: DateTime<Utc>,
    pub by: &'a str,
    pub text: &'a str,
    pub deliveries: Vec<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub target: String,
    pub ok: bool,
    pub detail: String,
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note<'a> {
    pub seq: u64,
    #[serde(serialize_with = "time")]
    pub at: DateTime<Utc>,
    pub by: &'a str,
    pub kind: NoteKind,
    pub text: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    pub seq: u64,
    #[serde(serialize_with = "time")]
    pub at: DateTime<Utc>,
    pub by: String,
    pub kind: crate::domain::FollowUpKind,
    pub text: String,
    pub owner: Option<String>,
}

/// Announcements built from the facts above only; a person edits them before sending.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Messaging {
    pub internal: String,
    pub external: String,
}

impl<'a> Report<'a> {
    /// Everything the draft says, from the entries and their fold, as of `now`.
    pub fn build<E: AsRef<Entry> + Sync>(
        entries: &'a [E],
        incident: &Incident,
        now: DateTime<Utc>,
    ) -> Report<'a> {
        let end = incident.resolved_at.unwrap_or(now);
        let mut participants: Vec<String> = Vec::new();
        let mut timeline = Vec::with_capacity(entries.len());
        let mut status_updates = Vec::new();
        let mut notes = Vec::new();
        let mut status_changes = Vec::new();
        let mut deliveries: BTreeMap<u64, Vec<Delivery>> = BTreeMap::new();
        for d in &incident.deliveries {
            deliveries.entry(d.update_seq).or_default().push(Delivery {
                target: d.target.clone(),
                ok: d.ok,
                detail: d.detail.clone(),
                attempts: d.attempts,
            });
        }
        for e in entries.iter().map(AsRef::as_ref) {
            if !participants.contains(&e.by) {
                participants.push(e.by.clone());
            }
            match &e.event {
                Event::StatusUpdate { text } => status_updates.push(StatusUpdate {
                    seq: e.seq,
                    at: e.at,
                    by: &e.by,
                    text,
                    deliveries: deliveries.remove(&e.seq).unwrap_or_default(),
                }),
                Event::Note { kind, text } => notes.push(Note {
                    seq: e.seq,
                    at: e.at,
                    by: &e.by,
                    kind: *kind,
                    text,
                }),
                Event::StatusChanged { from, to } => status_changes.push(StatusChange {
                    seq: e.seq,
                    at: e.at,
                    by: &e.by,
                    from: *from,
                    to: *to,
                }),
                _ => {}
            }
            // Deliveries are listed under their status update; earlier exports are not part
            // of the incident's story.
            if !matches!(
                e.event,
                Event::UpdateDelivered { .. } | Event::PostmortemExported { .. }
            ) {
                timeline.push(TimelineRow {
                    seq: e.seq,
                    at: e.at,
                    by: &e.by,
                    type_name: e.event.type_name(),
                    text: e.event.describe(),
                    links: measures::links_of(&e.event),
                });
            }
        }
        let severity_periods = measures::severity_periods(&incident.severity_history, end);
        let opened_severity = incident
            .severity_history
            .first()
            .map_or(incident.severity, |(_, s)| *s);
        let highest_severity = incident
            .severity_history
            .iter()
            .map(|(_, s)| *s)
            .min()
            .unwrap_or(incident.severity);
        let alerts = measures::alerts(entries);
        let actions = measures::actions(incident);
        let (mitigated_at, mitigated_by) = measures::mitigation(&actions, &status_changes);
        let (engaged_at, engaged_by) = measures::engagement(entries, incident.opened_at);
        let first_alert = alerts.iter().min_by_key(|a| a.starts_at).cloned();
        let services = measures::services(entries, end);
        let follow_ups = incident
            .follow_ups
            .iter()
            .map(|f| FollowUp {
                seq: f.seq,
                at: f.at,
                by: f.by.clone(),
                kind: f.kind,
                text: f.text.clone(),
                owner: f.owner.clone(),
            })
            .collect();
        let mut report = Report {
            format: FORMAT_NAME,
            version: FORMAT_VERSION,
            id: incident.id.clone(),
            title: incident.title.clone(),
            document_status: "draft",
            incident_status: incident.status,
            still_open: !incident.is_resolved(),
            generated_at: now,
            severity: incident.severity,
            opened_severity,
            highest_severity,
            opened_at: incident.opened_at,
            opened_by: incident.opened_by.clone(),
            resolved_at: incident.resolved_at,
            summary: incident.resolution.clone(),
            opening_summary: incident.summary.clone(),
            practice: incident.practice.clone(),
            impact_chart: None,
            alert_review: incident.alert_review.clone(),
            responders: measures::responders(entries),
            participants,
            impact: Impact {
                duration_seconds: seconds(end - incident.opened_at),
                time_in_severity: measures::time_in_severity(&severity_periods),
                severity_periods,
                services,
            },
            detection: Detection {
                time_to_detect_seconds: first_alert
                    .as_ref()
                    .map(|a| seconds(incident.opened_at - a.starts_at)),
                first_alert,
                engaged_at,
                engaged_by,
                time_to_engage_seconds: engaged_at.map(|t| seconds(t - incident.opened_at)),
                alerts,
            },
            response: Response {
                actions,
                status_changes,
                time_to_mitigate_seconds: mitigated_at.map(|t| seconds(t - incident.opened_at)),
                mitigated_at,
                mitigated_by,
                time_to_resolve_seconds: incident
                    .resolved_at
                    .map(|t| seconds(t - incident.opened_at)),
            },
            timeline,
            status_updates,
            notes,
            follow_ups,
            messaging: Messaging {
                internal: String::new(),
                external: String::new(),
            },
            review: blameless::scan(entries),
            corrections: Default::default(),
            roll_call: super::roll::summary(entries, incident, now),
        };
        report.messaging = measures::messaging(&report);
        report
    }
}

/// Whole seconds, rounded towards zero.
pub fn seconds(d: chrono::Duration) -> i64 {
    d.num_seconds()
}

/// RFC 3339 in UTC with a `Z`, fractions only when there are any.
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(t))
}

fn opt_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(t)),
        None => s.serialize_none(),
    }
}
