//! The call leader's checklist per phase of an incident, as data (`checklists.toml`, read
//! by `config::checklists`): which items the current phase asks for, and which were ticked or
//! dismissed (each an event, so nothing nags twice).

use super::super::{Incident, Severity, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A phase of the incident, with its own checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistPhase {
    /// From opening.
    Start,
    /// Once the start is done, or ten minutes in.
    During,
    /// After the severity was raised.
    Escalation,
    /// While monitoring, or once every exit criterion holds.
    BeforeResolving,
}

impl ChecklistPhase {
    pub const ALL: [ChecklistPhase; 4] = [
        ChecklistPhase::Start,
        ChecklistPhase::During,
        ChecklistPhase::Escalation,
        ChecklistPhase::BeforeResolving,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChecklistPhase::Start => "start",
            ChecklistPhase::During => "during",
            ChecklistPhase::Escalation => "escalation",
            ChecklistPhase::BeforeResolving => "before_resolving",
        }
    }

    pub fn from_name(s: &str) -> Option<ChecklistPhase> {
        ChecklistPhase::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether this phase's list applies to `incident` at `now`.
    pub fn active(self, incident: &Incident, now: DateTime<Utc>) -> bool {
        if incident.is_resolved() {
            return false;
        }
        match self {
            ChecklistPhase::Start => true,
            ChecklistPhase::During => incident.elapsed(now) >= chrono::Duration::minutes(10),
            ChecklistPhase::Escalation => escalated(incident, now),
            ChecklistPhase::BeforeResolving => {
                incident.status == Status::Monitoring || incident.practice.all_met()
            }
        }
    }
}

/// True once (by `now`) the severity was raised above the one the incident opened at.
fn escalated(incident: &Incident, now: DateTime<Utc>) -> bool {
    let first: Option<Severity> = incident.severity_history.first().map(|(_, s)| *s);
    first.is_some_and(|f| {
        incident
            .severity_history
            .iter()
            .any(|(at, s)| *s < f && *at <= now)
    })
}

impl fmt::Display for ChecklistPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChecklistPhase::BeforeResolving => "before resolving",
            p => p.as_str(),
        })
    }
}

/// How an item was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistOutcome {
    Done,
    /// Not done, on purpose: the post-mortem lists it as skipped.
    Dismissed,
}

/// One item of a phase's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    pub text: String,
}

/// One phase's items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub phase: ChecklistPhase,
    pub items: Vec<ChecklistItem>,
}

/// Every phase's list, in phase order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Checklists {
    pub lists: Vec<Checklist>,
}

/// An item answered during the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemDone {
    pub phase: ChecklistPhase,
    pub item: String,
    pub outcome: ChecklistOutcome,
    pub at: DateTime<Utc>,
    pub by: String,
}

impl Checklists {
    /// The items still to answer now: every active phase's, not yet ticked or dismissed.
    pub fn open_items(
        &self,
        incident: &Incident,
        now: DateTime<Utc>,
    ) -> Vec<(ChecklistPhase, &ChecklistItem)> {
        self.lists
            .iter()
            .filter(|l| l.phase.active(incident, now))
            .flat_map(|l| l.items.iter().map(move |i| (l.phase, i)))
            .filter(|(_, i)| !incident.practice.checklist.iter().any(|d| d.item == i.text))
            .collect()
    }
}
