//! How services' states moved between what an incident recorded and the blast radius now.

use super::{BlastRadius, Evidence, ServiceState, WHY_LINES, plural};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How one service's state moved, for the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChange {
    pub service: String,
    pub from: ServiceState,
    pub to: ServiceState,
    #[serde(default)]
    pub customer_facing: bool,
    /// What customers call the service (`public_name` in `services.toml`), if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_name: Option<String>,
    /// The evidence for the new state, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<String>,
    /// On a change to a better state: the key metric's peak in the period it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<crate::domain::MetricPeak>,
}

impl ServiceChange {
    /// `first affected`, `worsened`, `improved`, `recovered`.
    pub fn kind(&self) -> &'static str {
        match (self.from, self.to) {
            (ServiceState::Ok, _) => "first affected",
            (_, ServiceState::Ok) => "recovered",
            (f, t) if t < f => "worsened",
            _ => "improved",
        }
    }
}

/// What an incident has recorded of each service's state: service → (state, since).
pub type ServiceHistory = BTreeMap<String, (ServiceState, DateTime<Utc>)>;

/// Changes between what the incident last recorded and the blast radius now.
pub fn service_changes(recorded: &ServiceHistory, now: &BlastRadius) -> Vec<ServiceChange> {
    let mut out = Vec::new();
    for s in &now.services {
        let before = recorded
            .get(&s.name)
            .map_or(ServiceState::Ok, |(st, _)| *st);
        if before != s.state {
            out.push(ServiceChange {
                service: s.name.clone(),
                from: before,
                to: s.state,
                customer_facing: s.customer_facing,
                public_name: s.public_name.clone(),
                why: why(&s.evidence),
                // Better than before: the worst it got while in the state it leaves.
                peak: (s.state > before)
                    .then(|| s.key_metric_peak.clone())
                    .flatten(),
            });
        }
    }
    // A service that left the catalog (or was only discovered from alerts now gone) recovered.
    for (name, (state, _)) in recorded {
        if *state != ServiceState::Ok && now.get(name).is_none() {
            out.push(ServiceChange {
                service: name.clone(),
                from: *state,
                to: ServiceState::Ok,
                customer_facing: false,
                public_name: None,
                why: vec!["no longer reported".into()],
                peak: None,
            });
        }
    }
    out
}

/// The evidence in words for the journal: at most [`WHY_LINES`] lines, the last one counting
/// what it leaves out.
fn why(evidence: &[Evidence]) -> Vec<String> {
    if evidence.len() <= WHY_LINES {
        return evidence.iter().map(Evidence::describe).collect();
    }
    let (shown, rest) = evidence.split_at(WHY_LINES - 1);
    let mut out: Vec<String> = shown.iter().map(Evidence::describe).collect();
    let alerts: usize = rest.iter().map(Evidence::alerts).sum();
    let other = rest
        .iter()
        .filter(|e| !matches!(e, Evidence::Alert { .. } | Evidence::MoreAlerts { .. }))
        .count();
    out.push(match (alerts, other) {
        (0, n) => format!("and {n} more reason{}", plural(n)),
        (a, 0) => format!("and {a} more alert{}", plural(a)),
        (a, n) => format!(
            "and {a} more alert{} and {n} more reason{}",
            plural(a),
            plural(n)
        ),
    });
    out
}
