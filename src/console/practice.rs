//! What the console keeps about the practice besides the journal: the settings from
//! `[practice]` and `checklists.toml`, and per incident the exit criteria's live readings,
//! the executive summary's prompt and the checklist items already shown (so none nags twice).

use crate::domain::MetricQuery;
use crate::domain::practice::{Checklists, ExitCheck};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct PracticeSettings {
    /// How long `D` gives the call to object.
    pub objection_window: Duration,
    /// The executive summary's cadence; `None`: no clock.
    pub executive_every: Option<Duration>,
    /// The webhooks (by name) the executive summary goes to.
    pub executive_channels: Vec<String>,
    pub checklists: Checklists,
}

impl Default for PracticeSettings {
    fn default() -> Self {
        PracticeSettings {
            objection_window: crate::domain::practice::DEFAULT_OBJECTION_WINDOW,
            // The console sets it from `[practice] executive_summary` (30 minutes unless
            // configured); a state made without a config has no clock.
            executive_every: None,
            executive_channels: Vec::new(),
            checklists: Checklists::default(),
        }
    }
}

/// One exit criterion's metric as last read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub at: Option<DateTime<Utc>>,
    pub value: Option<f64>,
    /// Why it could not be read (the source down, no series).
    pub error: Option<String>,
    /// Since when the condition has held without a break, as read.
    pub holding_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PracticeLive {
    pub readings: BTreeMap<u32, Reading>,
    /// Met (true) or broken (false) sent to the journal and not yet seen back.
    pub pending: BTreeMap<u32, bool>,
    /// The due time the executive summary prompt was opened for.
    pub executive_prompted_for: Option<DateTime<Utc>>,
    /// Checklist items already brought up (by text): never again.
    pub nagged: Vec<String>,
    /// Whether "all exit criteria hold" was offered already for this set of criteria.
    pub all_met_offered: bool,
}

/// The led incident's metric criteria: what the criteria reader reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Watched {
    pub id: String,
    pub queries: Vec<(u32, MetricQuery)>,
}

impl Watched {
    pub fn of(state: &super::state::State) -> Watched {
        match state.current.as_ref() {
            Some(c) if c.leading() => Watched {
                id: c.id.clone(),
                queries: c.incident.as_ref().map(watched).unwrap_or_default(),
            },
            _ => Watched::default(),
        }
    }
}

/// Reads the watched criteria's metrics every `interval` (at once when they change) and
/// reports each round as [`Action::CriteriaValues`](super::action::Action::CriteriaValues).
pub fn spawn_criteria_reader(
    readers: crate::backends::metrics::MetricReaders,
    interval: std::time::Duration,
    mut watch: tokio::sync::watch::Receiver<Watched>,
    tx: tokio::sync::mpsc::UnboundedSender<super::action::Action>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let w = watch.borrow_and_update().clone();
            if !w.queries.is_empty() {
                let now = Utc::now();
                let answers = futures::future::join_all(w.queries.iter().map(|(n, q)| {
                    let readers = &readers;
                    async move {
                        let r = if readers.answers(q) {
                            readers.instant(q, now).await.map_err(|e| e.to_string())
                        } else {
                            Err(format!("no [{}] in config.toml", q.source()))
                        };
                        (*n, r)
                    }
                }))
                .await;
                let action = super::action::Action::CriteriaValues {
                    id: w.id.clone(),
                    at: now,
                    values: answers.into_iter().collect(),
                };
                if tx.send(action).is_err() {
                    return;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                changed = watch.changed() => if changed.is_err() { return },
            }
        }
    })
}

/// The metric criteria of an incident: what the console reads live.
pub fn watched(incident: &crate::domain::Incident) -> Vec<(u32, MetricQuery)> {
    if incident.is_resolved() {
        return Vec::new();
    }
    incident
        .practice
        .criteria
        .iter()
        .filter_map(|c| match &c.check {
            ExitCheck::Metric { query, .. } => Some((c.id, query.clone())),
            ExitCheck::Manual { .. } => None,
        })
        .collect()
}
