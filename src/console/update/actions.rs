//! Compensating actions in the reducer: choose an action (filter as you type), fill its
//! parameters (services offered from the blast radius), see the exact command, confirm
//! (typing the name when it is dangerous), then follow the run's output and cancel it.
//!
//! Nothing runs from here: a confirmed run becomes `Effect::StartRun`; the app loop prepares
//! it, the journal worker records `action_started` (choosing the run id under the append
//! lock), and only then is it spawned (`Effect::SpawnRun`). Output and the end come back as
//! actions.

use super::{flash, text_input, text_of};
use crate::actions::{CompensatingAction, OutputLine, ParamRule};
use crate::console::action::Effect;
use crate::console::runs::{
    ActionConfirm, ActionForm, ActionModal, LiveRun, ParamField, VerifyState,
};
use crate::console::state::{Modal, State};
use crate::domain::{ActionOutcome, Entry, VerifyResult};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// `A`: the action picker, or why there is none.
pub(super) fn open_picker(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if state.current.is_none() {
        return vec![];
    }
    if state.actions.runbook.actions.is_empty() {
        flash(
            state,
            now,
            "no runbook — add runbook.toml beside config.toml (see docs/runbook.example.toml)"
                .into(),
            true,
        );
        return vec![];
    }
    state.modal = Some(Modal::Action(Box::new(ActionModal::Picker {
        query: String::new(),
        selected: 0,
    })));
    vec![]
}

/// `O`: the output of the newest run of this incident started here.
pub(super) fn open_output(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(id) = state.current.as_ref().map(|c| c.id.clone()) else {
        return vec![];
    };
    match state.actions.runs.iter().rev().find(|r| r.incident == id) {
        Some(r) => {
            state.modal = Some(Modal::Action(Box::new(ActionModal::Output {
                run_id: r.run_id.clone(),
                scroll: 0,
            })));
        }
        None => flash(
            state,
            now,
            "no action has run from this console yet (A runs one)".into(),
            false,
        ),
    }
    vec![]
}

/// Actions matching the typed filter: name first, then description; subsequences last.
pub fn picker_matches<'a>(state: &'a State, query: &str) -> Vec<&'a CompensatingAction> {
    let q = query.trim().to_lowercase();
    let mut scored: Vec<(u8, usize, &CompensatingAction)> = state
        .actions
        .runbook
        .actions
        .iter()
        .enumerate()
        .filter_map(|(n, a)| {
            let name = a.name.to_lowercase();
            let score = if q.is_empty() || name == q {
                0
            } else if name.starts_with(&q) {
                1
            } else if name.contains(&q) {
                2
            } else if a.description.to_lowercase().contains(&q) {
                3
            } else if super::commands::is_subsequence(&q, &name) {
                4
            } else {
                return None;
            };
            Some((score, n, a))
        })
        .collect();
    scored.sort_by_key(|(s, n, _)| (*s, *n));
    scored.into_iter().map(|(_, _, a)| a).collect()
}

pub(super) fn on_key(
    state: &mut State,
    modal: ActionModal,
    key: KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    match modal {
        ActionModal::Picker {
            mut query,
            mut selected,
        } => {
            let n = picker_matches(state, &query).len();
            match key.code {
                KeyCode::Esc => return vec![],
                KeyCode::Enter => {
                    let name = picker_matches(state, &query)
                        .get(selected)
                        .map(|a| a.name.clone());
                    return match name {
                        Some(name) => begin(state, &name, now),
                        None => {
                            keep(state, ActionModal::Picker { query, selected });
                            vec![]
                        }
                    };
                }
                KeyCode::Up => selected = selected.saturating_sub(1),
                KeyCode::Down => selected = (selected + 1).min(n.saturating_sub(1)),
                KeyCode::Backspace => {
                    query.pop();
                    selected = 0;
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    query.push(c);
                    selected = 0;
                }
                _ => {}
            }
            keep(state, ActionModal::Picker { query, selected });
            vec![]
        }
        ActionModal::Form(mut form) => {
            let n = form.fields.len();
            match key.code {
                KeyCode::Esc => return vec![],
                KeyCode::Tab | KeyCode::Down => form.field = (form.field + 1) % n.max(1),
                KeyCode::BackTab | KeyCode::Up => form.field = (form.field + n - 1) % n.max(1),
                KeyCode::Enter => return submit_form(state, form, now),
                KeyCode::Left | KeyCode::Right
                    if form
                        .fields
                        .get(form.field)
                        .is_some_and(|f| !f.options.is_empty()) =>
                {
                    if let Some(f) = form.fields.get_mut(form.field) {
                        let m = f.options.len();
                        f.selected = if key.code == KeyCode::Right {
                            (f.selected + 1) % m
                        } else {
                            (f.selected + m - 1) % m
                        };
                    }
                }
                _ => {
                    if let Some(f) = form.fields.get_mut(form.field)
                        && f.options.is_empty()
                    {
                        f.input.input(key);
                        form.error = None;
                    }
                }
            }
            keep(state, ActionModal::Form(form));
            vec![]
        }
        ActionModal::Confirm(mut c) => {
            if key.code == KeyCode::Esc
                || (!c.dangerous && matches!(key.code, KeyCode::Char('n') | KeyCode::Char('N')))
            {
                flash(state, now, format!("{} not run", c.action), false);
                return vec![];
            }
            if c.dangerous {
                if key.code == KeyCode::Enter {
                    if text_of(&c.typed).trim() == c.action {
                        return start(state, c);
                    }
                    flash(
                        state,
                        now,
                        format!("type {} exactly to run it", c.action),
                        true,
                    );
                } else {
                    c.typed.input(key);
                }
                keep(state, ActionModal::Confirm(c));
                return vec![];
            }
            let go = match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => true,
                // Without `confirm`, the preview itself is the last look: Enter runs.
                KeyCode::Enter => !c.confirm,
                _ => false,
            };
            if go {
                return start(state, c);
            }
            keep(state, ActionModal::Confirm(c));
            vec![]
        }
        ActionModal::Output { run_id, scroll } => {
            let lines = state.actions.run(&run_id).map_or(0, |r| r.lines.len());
            let page = state.size.1.saturating_sub(10).max(1) as usize;
            let scroll = match key.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => return vec![],
                KeyCode::Char('x') => return cancel(state, run_id, scroll, now),
                KeyCode::Up | KeyCode::Char('k') => (scroll + 1).min(lines.saturating_sub(1)),
                KeyCode::Down | KeyCode::Char('j') => scroll.saturating_sub(1),
                KeyCode::PageUp => (scroll + page).min(lines.saturating_sub(1)),
                KeyCode::PageDown => scroll.saturating_sub(page),
                KeyCode::Left | KeyCode::Right => {
                    let id = state.current.as_ref().map(|c| c.id.clone());
                    let ids: Vec<String> = state
                        .actions
                        .runs
                        .iter()
                        .filter(|r| Some(&r.incident) == id.as_ref())
                        .map(|r| r.run_id.clone())
                        .collect();
                    let at = ids.iter().position(|r| *r == run_id).unwrap_or(0);
                    let next = if key.code == KeyCode::Left {
                        at.saturating_sub(1)
                    } else {
                        (at + 1).min(ids.len().saturating_sub(1))
                    };
                    let run_id = ids.get(next).cloned().unwrap_or(run_id);
                    keep(state, ActionModal::Output { run_id, scroll: 0 });
                    return vec![];
                }
                _ => scroll,
            };
            keep(state, ActionModal::Output { run_id, scroll });
            vec![]
        }
    }
}

fn keep(state: &mut State, m: ActionModal) {
    state.modal = Some(Modal::Action(Box::new(m)));
}

/// Pasted text goes into the field being typed (one line).
pub(super) fn on_paste(m: &mut ActionModal, text: &str) {
    let one_line = text.replace(['\n', '\r'], " ");
    match m {
        ActionModal::Form(f) => {
            if let Some(field) = f.fields.get_mut(f.field)
                && field.options.is_empty()
            {
                field.input.insert_str(one_line);
            }
        }
        ActionModal::Confirm(c) if c.dangerous => {
            c.typed.insert_str(one_line);
        }
        _ => {}
    }
}

/// The chosen action: its form, or straight to the confirmation when it takes nothing.
fn begin(state: &mut State, name: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(a) = state.actions.runbook.get(name).cloned() else {
        return vec![];
    };
    if a.params.is_empty() {
        return confirm(state, &a, BTreeMap::new(), now);
    }
    let affected: Vec<String> = state.blast.affected().map(|s| s.name.clone()).collect();
    let fields = a
        .params
        .iter()
        .map(|p| {
            let options = match &p.rule {
                ParamRule::Choices(list) => list.clone(),
                ParamRule::BlastRadius(_) => affected.clone(),
                ParamRule::Pattern(_) => vec![],
            };
            let selected = p
                .default
                .as_ref()
                .and_then(|d| options.iter().position(|o| o == d))
                .unwrap_or(0);
            let typed = if options.is_empty() {
                p.default.clone().unwrap_or_default()
            } else {
                String::new()
            };
            ParamField {
                name: p.name.clone(),
                hint: match (&p.rule, options.is_empty()) {
                    (ParamRule::BlastRadius(_), false) => "affected service (←/→)".into(),
                    (ParamRule::BlastRadius(_), true) => "no service affected now: type one".into(),
                    (ParamRule::Choices(_), _) => "←/→ to choose".into(),
                    _ => p.hint(),
                },
                options,
                selected,
                input: text_input(&typed, p.description.as_deref().unwrap_or("")),
            }
        })
        .collect();
    state.modal = Some(Modal::Action(Box::new(ActionModal::Form(Box::new(
        ActionForm {
            action: a.name.clone(),
            fields,
            field: 0,
            error: None,
        },
    )))));
    vec![]
}

fn submit_form(state: &mut State, mut form: Box<ActionForm>, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(a) = state.actions.runbook.get(&form.action).cloned() else {
        return vec![];
    };
    let given: BTreeMap<String, String> = form
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.value()))
        .collect();
    match a.check_params(&given) {
        Ok(params) => confirm(state, &a, params, now),
        Err(e) => {
            if let Some(n) = form.fields.iter().position(|f| f.name == e.param) {
                form.field = n;
            }
            form.error = Some(e.to_string());
            keep(state, ActionModal::Form(form));
            vec![]
        }
    }
}

/// The dry-run preview: the exact command, then the question.
fn confirm(
    state: &mut State,
    a: &CompensatingAction,
    params: BTreeMap<String, String>,
    _now: DateTime<Utc>,
) -> Vec<Effect> {
    let c = ActionConfirm {
        action: a.name.clone(),
        preview: a.preview(&params),
        params,
        confirm: a.confirm,
        dangerous: a.dangerous,
        typed: text_input("", &a.name),
    };
    keep(state, ActionModal::Confirm(Box::new(c)));
    vec![]
}

fn start(state: &mut State, c: Box<ActionConfirm>) -> Vec<Effect> {
    let c = *c;
    let Some(id) = state.current.as_ref().map(|cur| cur.id.clone()) else {
        return vec![];
    };
    state.flash = None;
    let local = state.actions.next_local;
    state.actions.next_local += 1;
    state.actions.starting.push(local);
    vec![Effect::StartRun {
        id,
        local,
        action: c.action,
        params: c.params,
    }]
}

fn cancel(state: &mut State, run_id: String, scroll: usize, now: DateTime<Utc>) -> Vec<Effect> {
    let running = state
        .actions
        .run(&run_id)
        .is_some_and(|r| r.ended.is_none());
    keep(
        state,
        ActionModal::Output {
            run_id: run_id.clone(),
            scroll,
        },
    );
    if !running {
        flash(state, now, format!("{run_id} is not running"), false);
        return vec![];
    }
    if let Some(r) = state.actions.run_mut(&run_id) {
        r.cancelling = true;
    }
    vec![Effect::CancelRun { run_id }]
}

/// `action_started` is committed: the run may go.
pub(super) fn committed(
    state: &mut State,
    id: String,
    local: u64,
    run_id: String,
    entries: Vec<Entry>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    state.actions.starting.retain(|l| *l != local);
    // The committed entry itself says what runs (the leader may have left the incident
    // since the start was asked for).
    let started = entries.iter().find_map(|e| match &e.event {
        crate::domain::Event::ActionStarted {
            run_id: r,
            action,
            command,
            ..
        } if *r == run_id => Some((action.clone(), command.clone())),
        _ => None,
    });
    super::add_entries(state, &id, entries);
    let (action, command) = started
        .or_else(|| {
            state
                .current
                .as_ref()
                .filter(|c| c.id == id)
                .and_then(|c| c.incident.as_ref())
                .and_then(|i| i.action_runs.iter().find(|r| r.run_id == run_id))
                .map(|r| (r.action.clone(), r.command.clone()))
        })
        .unwrap_or_else(|| ("action".to_string(), String::new()));
    state.actions.runs.push(LiveRun {
        incident: id.clone(),
        run_id: run_id.clone(),
        action,
        command,
        started_at: now,
        lines: Default::default(),
        dropped: 0,
        ended: None,
        verify: VerifyState::None,
        cancelling: false,
    });
    let here = state.current.as_ref().is_some_and(|c| c.id == id);
    if here && state.modal.is_none() {
        state.modal = Some(Modal::Action(Box::new(ActionModal::Output {
            run_id: run_id.clone(),
            scroll: 0,
        })));
    }
    vec![Effect::SpawnRun { id, local, run_id }]
}

pub(super) fn refused(state: &mut State, local: u64, reason: String, now: DateTime<Utc>) {
    state.actions.starting.retain(|l| *l != local);
    flash(state, now, format!("action not started: {reason}"), true);
}

pub(super) fn output(state: &mut State, run_id: &str, line: OutputLine) {
    if let Some(r) = state.actions.run_mut(run_id) {
        r.push(line);
    }
}

pub(super) fn ended(
    state: &mut State,
    run_id: &str,
    outcome: ActionOutcome,
    verifying: bool,
    now: DateTime<Utc>,
) {
    let mut text = None;
    if let Some(r) = state.actions.run_mut(run_id) {
        r.ended = Some((outcome, now));
        r.cancelling = false;
        if verifying {
            r.verify = VerifyState::Running;
        }
        text = Some(format!(
            "{run_id} {} {outcome}{}",
            r.action,
            if verifying { " — verifying" } else { "" }
        ));
    }
    let shown = matches!(
        state.modal.as_ref(),
        Some(Modal::Action(m)) if matches!(m.as_ref(), ActionModal::Output { run_id: r, .. } if r == run_id)
    );
    if let Some(t) = text.filter(|_| !shown) {
        flash(state, now, t, outcome != ActionOutcome::Succeeded);
    }
}

pub(super) fn verified(state: &mut State, run_id: &str, result: VerifyResult, now: DateTime<Utc>) {
    let mut text = None;
    if let Some(r) = state.actions.run_mut(run_id) {
        r.verify = VerifyState::Done(result);
        text = Some(format!("{run_id} {}: {result}", r.action));
    }
    if let Some(t) = text {
        flash(state, now, t, result != VerifyResult::Effective);
    }
}
