//! Decisions by objection: the commander states a proposal with the alternatives considered
//! and asks "are there any strong objections?"; anyone who can write may object, with a
//! reason, until the commander closes it as decided, withdrawn or amended.

use super::super::incident::{check_line, check_text};
use super::super::{Entry, Event, Rejected};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How long the call is given to object when nothing else is configured
/// (`[practice] objection_window`).
pub const DEFAULT_OBJECTION_WINDOW: chrono::Duration = chrono::Duration::seconds(60);

/// How a decision ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    /// Taken as proposed.
    Decided,
    /// Dropped: nothing was decided.
    Withdrawn,
    /// Taken in a changed form (the closing text says which).
    Amended,
}

impl DecisionOutcome {
    pub const ALL: [DecisionOutcome; 3] = [
        DecisionOutcome::Decided,
        DecisionOutcome::Withdrawn,
        DecisionOutcome::Amended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionOutcome::Decided => "decided",
            DecisionOutcome::Withdrawn => "withdrawn",
            DecisionOutcome::Amended => "amended",
        }
    }

    pub fn parse(s: &str) -> Result<DecisionOutcome, String> {
        DecisionOutcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("'{s}' is not an outcome (decided, withdrawn or amended)"))
    }
}

impl fmt::Display for DecisionOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An objection raised while a decision was open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objection {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
    /// Raised after the countdown ran out (still before the decision was closed).
    pub late: bool,
}

/// A decision put to the call and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub id: u32,
    pub proposed_at: DateTime<Utc>,
    pub proposed_by: String,
    pub proposal: String,
    pub alternatives: Vec<String>,
    /// When the countdown for objections runs out.
    pub closes_at: DateTime<Utc>,
    pub objections: Vec<Objection>,
    /// Set once closed: how, when, and the amended text if any.
    pub outcome: Option<DecisionOutcome>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closing_text: Option<String>,
}

impl Decision {
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// Seconds left for objections at `now` (zero once the countdown ran out).
    pub fn remaining(&self, now: DateTime<Utc>) -> chrono::Duration {
        (self.closes_at - now).max(chrono::Duration::zero())
    }

    /// What was decided in the end, in words: the proposal, the amended text, or nothing.
    pub fn decided_text(&self) -> Option<&str> {
        match self.outcome? {
            DecisionOutcome::Decided => Some(&self.proposal),
            DecisionOutcome::Amended => self.closing_text.as_deref().or(Some(&self.proposal)),
            DecisionOutcome::Withdrawn => None,
        }
    }
}

pub(super) fn apply(decisions: &mut Vec<Decision>, entry: &Entry) {
    match &entry.event {
        Event::DecisionProposed {
            decision,
            proposal,
            alternatives,
            closes_at,
        } => decisions.push(Decision {
            id: *decision,
            proposed_at: entry.at,
            proposed_by: entry.by.clone(),
            proposal: proposal.clone(),
            alternatives: alternatives.clone(),
            closes_at: *closes_at,
            objections: Vec::new(),
            outcome: None,
            closed_at: None,
            closing_text: None,
        }),
        Event::DecisionObjected { decision, reason } => {
            if let Some(d) = decisions
                .iter_mut()
                .find(|d| d.id == *decision && d.is_open())
            {
                d.objections.push(Objection {
                    at: entry.at,
                    by: entry.by.clone(),
                    reason: reason.clone(),
                    late: entry.at > d.closes_at,
                });
            }
        }
        Event::DecisionClosed {
            decision,
            outcome,
            text,
        } => {
            if let Some(d) = decisions
                .iter_mut()
                .find(|d| d.id == *decision && d.is_open())
            {
                d.outcome = Some(*outcome);
                d.closed_at = Some(entry.at);
                d.closing_text = text.clone();
            }
        }
        _ => {}
    }
}

pub(super) fn check(decisions: &[Decision], event: &Event) -> Result<(), Rejected> {
    let open = |id: u32| -> Result<&Decision, Rejected> {
        match decisions.iter().find(|d| d.id == id) {
            None => Err(Rejected(format!("there is no decision D{id}"))),
            Some(d) if !d.is_open() => Err(Rejected(format!(
                "decision D{id} is already closed ({})",
                d.outcome.map(DecisionOutcome::as_str).unwrap_or_default()
            ))),
            Some(d) => Ok(d),
        }
    };
    match event {
        Event::DecisionProposed {
            decision,
            proposal,
            alternatives,
            ..
        } => {
            if let Some(d) = decisions.iter().find(|d| d.is_open()) {
                return Err(Rejected(format!(
                    "decision D{} is still open: close it first (decided, withdrawn or amended)",
                    d.id
                )));
            }
            let next = decisions.iter().map(|d| d.id).max().unwrap_or(0) + 1;
            if *decision != next {
                return Err(Rejected(format!(
                    "decision number D{decision} is taken; the next is D{next}"
                )));
            }
            check_text("proposal", proposal)?;
            if alternatives.len() > 20 {
                return Err(Rejected("at most 20 alternatives".into()));
            }
            for a in alternatives {
                check_line("alternative", a)?;
            }
            Ok(())
        }
        Event::DecisionObjected { decision, reason } => {
            open(*decision)?;
            check_text("objection", reason)
        }
        Event::DecisionClosed {
            decision,
            outcome,
            text,
        } => {
            open(*decision)?;
            match (outcome, text) {
                (DecisionOutcome::Amended, None) => Err(Rejected(
                    "an amended decision needs the text it was amended to".into(),
                )),
                (_, Some(t)) => check_text("decision text", t),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}
