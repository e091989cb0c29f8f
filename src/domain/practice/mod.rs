//! The practice a call leader follows and no tool enforced: decisions by objection
//! (`decision.rs`), exit criteria (`exit.rs`), the executive summary's cadence and the
//! checklists per phase (`checklist.rs`). Each is a fold of its own events, kept in
//! [`Practice`] inside the incident, with the rules that say which of its events make sense.

mod checklist;
mod decision;
mod exit;

pub use checklist::{
    Checklist, ChecklistItem, ChecklistOutcome, ChecklistPhase, Checklists, ItemDone,
};
pub use decision::{DEFAULT_OBJECTION_WINDOW, Decision, DecisionOutcome, Objection};
pub use exit::{Comparison, Criterion, ExitCheck, Waiver, parse_criterion};

use super::{Entry, Event, Rejected};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the practice's events say about an incident.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Practice {
    /// Decisions put to the call, oldest first.
    pub decisions: Vec<Decision>,
    /// What "resolved" means, in the order set.
    pub criteria: Vec<Criterion>,
    /// Resolutions called with criteria unmet, and why.
    pub waivers: Vec<Waiver>,
    /// Executive summaries written: when and by whom.
    pub executive_summaries: Vec<(DateTime<Utc>, String)>,
    /// Checklist items ticked or dismissed.
    pub checklist: Vec<ItemDone>,
}

impl Practice {
    /// Nothing of the practice was recorded: the post-mortem leaves its sections out.
    pub fn is_empty(&self) -> bool {
        self.decisions.is_empty()
            && self.criteria.is_empty()
            && self.waivers.is_empty()
            && self.executive_summaries.is_empty()
            && self.checklist.is_empty()
    }

    /// Applies an entry if it is one of the practice's; false when it is not.
    pub fn apply(&mut self, entry: &Entry) -> bool {
        match &entry.event {
            Event::DecisionProposed { .. }
            | Event::DecisionObjected { .. }
            | Event::DecisionClosed { .. } => decision::apply(&mut self.decisions, entry),
            Event::ExitCriterionSet { .. }
            | Event::ExitCriterionMet { .. }
            | Event::ExitCriterionBroken { .. }
            | Event::ExitCriteriaWaived { .. } => exit::apply(self, entry),
            Event::ExecutiveSummary { .. } => {
                self.executive_summaries.push((entry.at, entry.by.clone()))
            }
            Event::ChecklistItem {
                phase,
                item,
                outcome,
            } => self.checklist.push(ItemDone {
                phase: *phase,
                item: item.clone(),
                outcome: *outcome,
                at: entry.at,
                by: entry.by.clone(),
            }),
            _ => return false,
        }
        true
    }

    /// Checks one of the practice's events; `None` when `event` is not one of them.
    pub fn check(&self, event: &Event) -> Option<Result<(), Rejected>> {
        Some(match event {
            Event::DecisionProposed { .. }
            | Event::DecisionObjected { .. }
            | Event::DecisionClosed { .. } => decision::check(&self.decisions, event),
            Event::ExitCriterionSet { .. }
            | Event::ExitCriterionMet { .. }
            | Event::ExitCriterionBroken { .. }
            | Event::ExitCriteriaWaived { .. } => exit::check(self, event),
            Event::ExecutiveSummary { text } => super::incident::check_text("summary", text),
            Event::ChecklistItem { item, .. } => {
                if self.checklist.iter().any(|d| d.item == *item) {
                    Err(Rejected(format!(
                        "checklist item '{item}' is already answered"
                    )))
                } else {
                    super::incident::check_line("checklist item", item)
                }
            }
            _ => return None,
        })
    }

    /// The decision still open (proposed, not closed), if any.
    pub fn open_decision(&self) -> Option<&Decision> {
        self.decisions.iter().rev().find(|d| d.outcome.is_none())
    }

    pub fn next_decision_id(&self) -> u32 {
        self.decisions.iter().map(|d| d.id).max().unwrap_or(0) + 1
    }

    pub fn next_criterion_id(&self) -> u32 {
        self.criteria.iter().map(|c| c.id).max().unwrap_or(0) + 1
    }

    /// Criteria not met now.
    pub fn unmet(&self) -> impl Iterator<Item = &Criterion> {
        self.criteria.iter().filter(|c| !c.is_met())
    }

    /// True when criteria are set and every one holds.
    pub fn all_met(&self) -> bool {
        !self.criteria.is_empty() && self.criteria.iter().all(Criterion::is_met)
    }

    /// Resolving is refused while a criterion is unmet and no waiver since covers it: the
    /// reason for resolving anyway must be on record first.
    pub fn check_resolution(&self) -> Result<(), Rejected> {
        let unmet: Vec<&Criterion> = self.unmet().collect();
        if unmet.is_empty() {
            return Ok(());
        }
        let waived = self
            .waivers
            .last()
            .is_some_and(|w| unmet.iter().all(|c| w.unmet.contains(&c.id)));
        if waived {
            return Ok(());
        }
        let names: Vec<String> = unmet
            .iter()
            .map(|c| format!("C{} {}", c.id, c.check))
            .collect();
        Err(Rejected(format!(
            "exit criteria not met: {}; say why you resolve anyway (--anyway REASON)",
            names.join("; ")
        )))
    }

    pub fn last_executive_summary(&self) -> Option<DateTime<Utc>> {
        self.executive_summaries.last().map(|(at, _)| *at)
    }
}

/// One line for the outage log for the practice's events.
pub fn describe(event: &Event) -> String {
    match event {
        Event::DecisionProposed {
            decision,
            proposal,
            alternatives,
            closes_at,
        } => {
            let alts = if alternatives.is_empty() {
                String::new()
            } else {
                format!(" (alternatives: {})", alternatives.join("; "))
            };
            format!(
                "decision D{decision} proposed: {proposal}{alts} — objections until {}",
                closes_at.format("%H:%M:%SZ")
            )
        }
        Event::DecisionObjected { decision, reason } => {
            format!("objection to D{decision}: {reason}")
        }
        Event::DecisionClosed {
            decision,
            outcome,
            text,
        } => match text {
            Some(t) => format!("decision D{decision} {outcome}: {t}"),
            None => format!("decision D{decision} {outcome}"),
        },
        Event::ExitCriterionSet { criterion, check } => {
            format!("exit criterion C{criterion}: {check}")
        }
        Event::ExitCriterionMet {
            criterion,
            since,
            value,
        } => match (since, value) {
            (Some(s), Some(v)) => format!(
                "exit criterion C{criterion} met (holding since {}, now {})",
                s.format("%H:%M:%SZ"),
                super::human_number(*v)
            ),
            _ => format!("exit criterion C{criterion} met"),
        },
        Event::ExitCriterionBroken { criterion, value } => match value {
            Some(v) => format!(
                "exit criterion C{criterion} broken (now {})",
                super::human_number(*v)
            ),
            None => format!("exit criterion C{criterion} broken"),
        },
        Event::ExitCriteriaWaived { reason, unmet } => {
            let ids: Vec<String> = unmet.iter().map(|i| format!("C{i}")).collect();
            format!("resolving with {} unmet: {reason}", ids.join(", "))
        }
        Event::ExecutiveSummary { text } => format!("executive summary: {text}"),
        Event::ChecklistItem {
            phase,
            item,
            outcome,
        } => match outcome {
            ChecklistOutcome::Done => format!("checklist ({phase}): done — {item}"),
            ChecklistOutcome::Dismissed => format!("checklist ({phase}): skipped — {item}"),
        },
        _ => String::new(),
    }
}
