//! The roll call in the post-mortem: who was on the incident, in which roles, for how long,
//! how often they checked in and what they last reported, and the roll calls made. Check-ins
//! and roll calls are in the timeline as well; this is the board at the end. Absent (from the
//! Markdown and the JSON alike) when nobody checked in and no roll was called.

use crate::domain::{Entry, Event, Incident, PracticeRules, Role, board};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The roll at the end of the incident (or at export, while it is open).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct RollCallSummary {
    /// When each roll was called, oldest first.
    pub calls: Vec<String>,
    pub people: Vec<RollMember>,
    /// Sub-teams still formed at the end.
    pub teams: Vec<String>,
}

impl RollCallSummary {
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.people.iter().all(|p| p.check_ins == 0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollMember {
    pub person: String,
    pub roles: Vec<Role>,
    /// Seconds on the incident, from first appearing to the end.
    pub on_incident_seconds: i64,
    pub check_ins: u32,
    /// The last check-in, `C: … · A: … · N: …`.
    pub last_check_in: Option<String>,
}

pub fn summary<E: AsRef<Entry>>(
    entries: &[E],
    incident: &Incident,
    now: DateTime<Utc>,
) -> RollCallSummary {
    let b = board(incident, &PracticeRules::default(), now);
    let mut calls = Vec::new();
    let mut counts: std::collections::BTreeMap<&str, u32> = Default::default();
    for e in entries.iter().map(AsRef::as_ref) {
        match &e.event {
            Event::RollCalled {} => calls.push(super::report::rfc3339(&e.at)),
            Event::CheckIn { .. } => *counts.entry(e.by.as_str()).or_default() += 1,
            _ => {}
        }
    }
    RollCallSummary {
        calls,
        people: b
            .people
            .iter()
            .map(|p| RollMember {
                person: p.person.clone(),
                roles: p.roles.clone(),
                on_incident_seconds: super::report::seconds(p.on_for),
                check_ins: counts.get(p.person.as_str()).copied().unwrap_or(0),
                last_check_in: p.check_in.as_ref().map(|c| c.summary()),
            })
            .collect(),
        teams: b
            .teams
            .iter()
            .map(|t| format!("{} (lead {}): {}", t.name, t.lead, t.goal))
            .collect(),
    }
}
