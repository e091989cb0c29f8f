//! What the console holds about compensating actions: the runbook it offers, the runs it
//! started (with their live output), and the modals that lead to a run — the picker, the
//! parameter form, the confirmation with the exact command, and the output view.
//!
//! The journal stays the truth about runs (`Incident::action_runs`); this is only what the
//! journal does not hold: output as it streams, and the state of the forms.

use crate::actions::{OutputLine, Runbook};
use crate::domain::{ActionOutcome, VerifyResult};
use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;
use std::collections::{BTreeMap, VecDeque};

/// Lines of output kept per run on screen (the journal keeps the last 4 KB).
pub const KEPT_LINES: usize = 500;

#[derive(Debug, Default)]
pub struct ActionsState {
    pub runbook: Runbook,
    /// Runs started from this console, oldest first.
    pub runs: Vec<LiveRun>,
    /// Numbers the starts sent and not yet committed.
    pub next_local: u64,
    /// Starts asked for and not yet answered.
    pub starting: Vec<u64>,
}

impl ActionsState {
    pub fn running(&self) -> impl Iterator<Item = &LiveRun> {
        self.runs.iter().filter(|r| r.ended.is_none())
    }

    pub fn any_running(&self) -> bool {
        self.runs
            .iter()
            .any(|r| r.ended.is_none() || r.verify == VerifyState::Running)
    }

    pub fn run(&self, run_id: &str) -> Option<&LiveRun> {
        self.runs.iter().find(|r| r.run_id == run_id)
    }

    pub fn run_mut(&mut self, run_id: &str) -> Option<&mut LiveRun> {
        self.runs.iter_mut().find(|r| r.run_id == run_id)
    }
}

/// A run this console started and owns.
#[derive(Debug, Clone)]
pub struct LiveRun {
    pub incident: String,
    pub run_id: String,
    pub action: String,
    pub command: String,
    pub started_at: DateTime<Utc>,
    pub lines: VecDeque<OutputLine>,
    /// Lines dropped from the front to keep [`KEPT_LINES`].
    pub dropped: usize,
    pub ended: Option<(ActionOutcome, DateTime<Utc>)>,
    pub verify: VerifyState,
    pub cancelling: bool,
}

impl LiveRun {
    pub fn push(&mut self, line: OutputLine) {
        if self.lines.len() >= KEPT_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyState {
    /// The action has no `verify`, or has not succeeded (yet).
    None,
    Running,
    Done(VerifyResult),
}

/// The modals of the actions flow.
#[derive(Debug)]
pub enum ActionModal {
    /// Choose an action; typing filters.
    Picker {
        query: String,
        selected: usize,
    },
    Form(Box<ActionForm>),
    Confirm(Box<ActionConfirm>),
    /// The live output of one run.
    Output {
        run_id: String,
        scroll: usize,
    },
}

/// Filling in an action's parameters.
#[derive(Debug)]
pub struct ActionForm {
    pub action: String,
    pub fields: Vec<ParamField>,
    pub field: usize,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct ParamField {
    pub name: String,
    pub hint: String,
    /// Choices (or the services in the blast radius): chosen with ←/→; empty means typed.
    pub options: Vec<String>,
    pub selected: usize,
    pub input: TextArea<'static>,
}

impl ParamField {
    pub fn value(&self) -> String {
        match self.options.get(self.selected) {
            Some(o) if !self.options.is_empty() => o.clone(),
            _ => super::state::text_of(&self.input).trim().to_string(),
        }
    }
}

/// The exact command, shown before anything runs.
#[derive(Debug)]
pub struct ActionConfirm {
    pub action: String,
    pub params: BTreeMap<String, String>,
    /// The dry-run preview: the command (or request), then its details.
    pub preview: Vec<String>,
    pub confirm: bool,
    pub dangerous: bool,
    /// For a dangerous action: the name, typed.
    pub typed: TextArea<'static>,
}
