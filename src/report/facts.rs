//! What one incident contributes to the report, read off its entries and its fold with the
//! post-mortem's own measures (`postmortem::measures`) and the status-update clock's
//! punctuality (`domain::due_updates`): nothing here is measured a second way.

use crate::domain::{
    AlertVerdict, DueUpdate, Entry, Event, FollowUpKind, Incident, NoteKind, Severity, Status,
    StatusCadence, due_updates,
};
use crate::postmortem::{StatusChange, measures};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Changed whenever what [`Facts`] holds or how any of it is measured changes, so facts kept
/// beside a journal by an earlier build are folded again rather than trusted.
pub const FACTS_FORMAT: u32 = 2;

/// One incident, as the report counts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub id: String,
    pub title: String,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The worst severity it reached: what it is counted under.
    pub severity: Severity,
    pub drill: bool,
    pub detect: Option<i64>,
    pub engage: Option<i64>,
    pub mitigate: Option<i64>,
    pub resolve: Option<i64>,
    /// Seconds at each severity, up to resolution (or the end of the window).
    pub time_in_severity: Vec<(Severity, i64)>,
    /// Services the blast radius recorded as not ok, by name.
    pub services: Vec<String>,
    /// The services the responders named as the cause: every service the incident knows
    /// (its blast radius, its alerts' `service` labels) named as a word in a hypothesis or
    /// decision note, a proposed decision or the resolution's summary (the post-mortem's).
    /// When none was named, the blast radius's own suspects: the services failing (down or
    /// degraded) first, where the trouble started.
    pub root_suspects: Vec<String>,
    /// `service` labels of the alerts that fired (for `--service`).
    pub alert_services: Vec<String>,
    pub updates: Vec<DueUpdate>,
    pub follow_ups: Vec<FollowUpFact>,
    pub alerts: Vec<AlertFact>,
    /// Alerts that should have fired and did not.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpFact {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub kind: FollowUpKind,
    pub text: String,
    pub owner: Option<String>,
    /// When it was closed (`follow_up_closed`); none while open.
    pub closed_at: Option<DateTime<Utc>>,
}

/// An alert that fired in the incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertFact {
    /// `HighErrorRate{service=checkout}`.
    pub name: String,
    /// Started firing: once, plus each time it fired again.
    pub firings: u32,
    /// The review's verdict, when one was given.
    pub verdict: Option<AlertVerdict>,
    /// Without a verdict: whether the incident it fired in recorded action (a runbook action,
    /// a task, or a mitigation).
    pub acted: bool,
}

impl Facts {
    /// The facts of `incident`, as of `until` for one still open.
    pub fn of<E: AsRef<Entry>>(
        entries: &[E],
        incident: &Incident,
        cadence: &StatusCadence,
        until: DateTime<Utc>,
    ) -> Facts {
        let end = incident
            .resolved_at
            .unwrap_or(until)
            .max(incident.opened_at);
        let opened = incident.opened_at;
        let secs = |t: DateTime<Utc>| (t - opened).num_seconds();
        let alerts = measures::alerts(entries);
        let actions = measures::actions(incident);
        let status_changes: Vec<StatusChange> = entries
            .iter()
            .map(AsRef::as_ref)
            .filter_map(|e| match &e.event {
                Event::StatusChanged { from, to } => Some(StatusChange {
                    seq: e.seq,
                    at: e.at,
                    by: &e.by,
                    from: *from,
                    to: *to,
                }),
                _ => None,
            })
            .collect();
        let (mitigated_at, _) = measures::mitigation(&actions, &status_changes);
        let (engaged_at, _) = measures::engagement(entries, opened);
        let first_alert = alerts.iter().map(|a| a.starts_at).min();
        let periods = measures::severity_periods(&incident.severity_history, end);
        let services = measures::services(entries, end);
        let root_suspects = root_suspects(entries, &services, &alerts);
        let acted = !actions.is_empty()
            || !incident.tasks.is_empty()
            || mitigated_at.is_some()
            || status_changes
                .iter()
                .any(|c| matches!(c.to, Status::Identified | Status::Monitoring));
        let records = entries.iter().map(AsRef::as_ref);
        Facts {
            id: incident.id.clone(),
            title: incident.title.clone(),
            opened_at: opened,
            resolved_at: incident.resolved_at,
            severity: incident
                .severity_history
                .iter()
                .map(|(_, s)| *s)
                .min()
                .unwrap_or(incident.severity),
            drill: is_drill(entries, incident),
            detect: first_alert.map(|t| (opened - t).num_seconds()),
            engage: engaged_at.map(secs),
            mitigate: mitigated_at.map(secs),
            resolve: incident.resolved_at.map(secs),
            time_in_severity: measures::time_in_severity(&periods)
                .into_iter()
                .map(|t| (t.severity, t.seconds))
                .collect(),
            root_suspects,
            services: services.into_iter().map(|s| s.service).collect(),
            alert_services: alerts
                .iter()
                .filter_map(|a| a.labels.get("service").cloned())
                .collect(),
            updates: due_updates(cadence, records, end),
            follow_ups: incident
                .follow_ups
                .iter()
                .map(|f| FollowUpFact {
                    seq: f.seq,
                    at: f.at,
                    kind: f.kind,
                    text: f.text.clone(),
                    owner: f.owner.clone(),
                    closed_at: f.closed_at,
                })
                .collect(),
            alerts: alerts
                .iter()
                .map(|a| AlertFact {
                    name: crate::domain::AlertRef {
                        fingerprint: a.fingerprint.clone(),
                        name: a.name.clone(),
                        labels: a.labels.clone(),
                        starts_at: a.starts_at,
                        ends_at: None,
                        generator_url: None,
                        summary: None,
                    }
                    .describe(),
                    firings: 1 + a.refired,
                    verdict: incident.alert_review.verdict(&a.fingerprint),
                    acted,
                })
                .collect(),
            missing: incident
                .alert_review
                .missing
                .iter()
                .map(|m| m.text.clone())
                .collect(),
        }
    }

    /// Whether it touched `service`: its blast radius or an alert's `service` label.
    pub fn touches(&self, service: &str) -> bool {
        self.services.iter().any(|s| s == service)
            || self.alert_services.iter().any(|s| s == service)
    }
}

/// The root suspects of [`Facts::root_suspects`], in the order of the service names.
fn root_suspects<E: AsRef<Entry>>(
    entries: &[E],
    services: &[crate::postmortem::ServiceImpact],
    alerts: &[crate::postmortem::Alert],
) -> Vec<String> {
    let mut known: Vec<&str> = services
        .iter()
        .map(|s| s.service.as_str())
        .chain(
            alerts
                .iter()
                .filter_map(|a| a.labels.get("service").map(String::as_str)),
        )
        .collect();
    known.sort_unstable();
    known.dedup();
    let said: Vec<&str> = entries
        .iter()
        .filter_map(|e| match &e.as_ref().event {
            Event::Note { kind, text } if *kind != NoteKind::Observation => Some(text.as_str()),
            Event::DecisionProposed { proposal, .. } => Some(proposal.as_str()),
            Event::Resolved {
                summary: Some(summary),
            } => Some(summary.as_str()),
            _ => None,
        })
        .collect();
    let named: Vec<String> = known
        .iter()
        .filter(|s| {
            said.iter()
                .any(|t| crate::domain::drill_review::names(t, s))
        })
        .map(|s| s.to_string())
        .collect();
    if !named.is_empty() {
        return named;
    }
    let first_failing = |s: &crate::postmortem::ServiceImpact| {
        s.periods
            .iter()
            .find(|p| p.state.is_failing())
            .map(|p| p.from)
    };
    let earliest = services.iter().filter_map(first_failing).min();
    services
        .iter()
        .filter(|s| earliest.is_some() && first_failing(s) == earliest)
        .map(|s| s.service.clone())
        .collect()
}

/// A drill, however it was marked: an incident's `drill` flag on its opening, a `drill…`
/// event, or a title starting `[DRILL]`. Read defensively so marks written by other
/// versions count too.
pub fn is_drill<E: AsRef<Entry>>(entries: &[E], incident: &Incident) -> bool {
    if incident.is_drill() || incident.title.trim_start().starts_with("[DRILL]") {
        return true;
    }
    entries.iter().map(AsRef::as_ref).any(|e| match &e.event {
        Event::Unknown(u) => u.type_name.starts_with("drill") || u.json.contains("\"drill\":true"),
        _ => false,
    })
}
