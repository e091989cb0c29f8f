//! The practice in the console: `D` proposes a decision (or closes the open one), `o`
//! objects, `X` sets or ticks exit criteria, `U` writes the executive summary, `v` answers the
//! checklist; the exit criteria's metrics as read live turn into met / broken events, the
//! executive summary's clock prompts once per due time, and each checklist item is brought up
//! once.

use super::*;
use crate::domain::practice::{ChecklistOutcome, DecisionOutcome, ExitCheck, parse_criterion};
use std::collections::BTreeMap;

fn incident(state: &State) -> Option<&Incident> {
    state.current.as_ref().and_then(|c| c.incident.as_ref())
}

/// `D`: a new proposal, or — while one is open — how it ends.
pub(super) fn propose(state: &mut State) -> Vec<Effect> {
    let Some(i) = incident(state) else {
        return vec![];
    };
    if i.practice.open_decision().is_some() {
        state.modal = Some(Modal::Picker(Picker {
            kind: PickerKind::DecisionClose,
            options: DecisionOutcome::ALL
                .iter()
                .map(|o| o.as_str().to_string())
                .collect(),
            selected: 0,
        }));
        return vec![];
    }
    open_editor(state, Purpose::Proposal)
}

/// `o`: an objection to the open decision.
pub(super) fn object(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(i) = incident(state) else {
        return vec![];
    };
    if i.practice.open_decision().is_none() {
        flash(
            state,
            now,
            "no decision is open (D proposes one)".into(),
            true,
        );
        return vec![];
    }
    open_editor(state, Purpose::Objection)
}

/// `X`: the criteria, to set a new one or tick a manual one.
pub(super) fn criteria(state: &mut State) -> Vec<Effect> {
    let Some(i) = incident(state) else {
        return vec![];
    };
    let mut options = vec!["+ set a new exit criterion".to_string()];
    options.extend(i.practice.criteria.iter().map(|c| {
        let mark = if c.is_met() { "✓" } else { "✗" };
        let how = match c.check {
            ExitCheck::Manual { .. } if c.is_met() => " (enter: no longer met)",
            ExitCheck::Manual { .. } => " (enter: met)",
            ExitCheck::Metric { .. } => " (read live)",
        };
        format!("C{} {mark} {}{how}", c.id, c.check)
    }));
    state.modal = Some(Modal::Picker(Picker {
        kind: PickerKind::Criteria,
        options,
        selected: 0,
    }));
    vec![]
}

/// `U`: the executive summary editor.
pub(super) fn executive(state: &mut State) -> Vec<Effect> {
    open_editor(state, Purpose::ExecutiveSummary)
}

/// `v`: the checklist's open items.
pub(super) fn checklist(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(i) = incident(state) else {
        return vec![];
    };
    let options = open_items(&state.practice.checklists, i, now);
    if options.is_empty() {
        flash(state, now, "nothing on the checklist now".into(), false);
        return vec![];
    }
    state.modal = Some(Modal::Picker(Picker {
        kind: PickerKind::Checklist,
        options,
        selected: 0,
    }));
    vec![]
}

/// The checklist's open items now, as the picker and the message line name them.
fn open_items(
    lists: &crate::domain::practice::Checklists,
    i: &Incident,
    now: DateTime<Utc>,
) -> Vec<String> {
    lists
        .open_items(i, now)
        .into_iter()
        .map(|(phase, item)| format!("{phase}: {}", item.text))
        .collect()
}

/// A choice in one of the practice's pickers; `dismiss` is `x` in the checklist.
pub(super) fn pick(state: &mut State, p: Picker, dismiss: bool, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(i) = incident(state) else {
        return vec![];
    };
    match p.kind {
        PickerKind::DecisionClose => {
            let Some(d) = i.practice.open_decision() else {
                return vec![];
            };
            let id = d.id;
            match DecisionOutcome::ALL.get(p.selected) {
                Some(DecisionOutcome::Amended) => open_editor(state, Purpose::Amendment),
                Some(outcome) => checked(
                    state,
                    Event::DecisionClosed {
                        decision: id,
                        outcome: *outcome,
                        text: None,
                    },
                    now,
                ),
                None => vec![],
            }
        }
        PickerKind::Criteria => {
            if p.selected == 0 {
                return open_editor(state, Purpose::ExitCriterion);
            }
            let Some(c) = i.practice.criteria.get(p.selected - 1) else {
                return vec![];
            };
            if matches!(c.check, ExitCheck::Metric { .. }) {
                let text = format!("C{} is read live from its metric", c.id);
                flash(state, now, text, false);
                return vec![];
            }
            let event = if c.is_met() {
                Event::ExitCriterionBroken {
                    criterion: c.id,
                    value: None,
                }
            } else {
                Event::ExitCriterionMet {
                    criterion: c.id,
                    since: None,
                    value: None,
                }
            };
            checked(state, event, now)
        }
        PickerKind::Checklist => {
            let open = state.practice.checklists.open_items(i, now);
            let Some((phase, item)) = open.get(p.selected) else {
                return vec![];
            };
            let event = Event::ChecklistItem {
                phase: *phase,
                item: item.text.clone(),
                outcome: if dismiss {
                    ChecklistOutcome::Dismissed
                } else {
                    ChecklistOutcome::Done
                },
            };
            checked(state, event, now)
        }
        _ => vec![],
    }
}

/// Appends `event` if the incident takes it; else says why.
fn checked(state: &mut State, event: Event, now: DateTime<Utc>) -> Vec<Effect> {
    if let Some(Err(r)) = incident(state).map(|i| i.check(&event)) {
        flash(state, now, r.0, true);
        return vec![];
    }
    append(state, event, false)
}

/// The event an editor of the practice's sends, or why its text will not do.
pub(super) fn event_of(
    state: &State,
    purpose: Purpose,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Event, String> {
    let i = incident(state).ok_or("no incident")?;
    let open = || {
        i.practice
            .open_decision()
            .map(|d| d.id)
            .ok_or_else(|| "no decision is open any more".to_string())
    };
    Ok(match purpose {
        Purpose::Proposal => {
            let mut proposal = Vec::new();
            let mut alternatives = Vec::new();
            for line in text.lines() {
                match line.trim().strip_prefix("- ") {
                    Some(alt) if !alt.trim().is_empty() => {
                        alternatives.push(alt.trim().to_string())
                    }
                    Some(_) => {}
                    None => proposal.push(line),
                }
            }
            Event::DecisionProposed {
                decision: i.practice.next_decision_id(),
                proposal: proposal.join("\n").trim().to_string(),
                alternatives,
                closes_at: now + state.practice.objection_window,
            }
        }
        Purpose::Objection => Event::DecisionObjected {
            decision: open()?,
            reason: text.to_string(),
        },
        Purpose::Amendment => Event::DecisionClosed {
            decision: open()?,
            outcome: DecisionOutcome::Amended,
            text: Some(text.to_string()),
        },
        Purpose::ExitCriterion => Event::ExitCriterionSet {
            criterion: i.practice.next_criterion_id(),
            check: parse_criterion(text)?,
        },
        Purpose::ExecutiveSummary => Event::ExecutiveSummary {
            text: text.to_string(),
        },
        _ => return Err("not an editor of the practice".into()),
    })
}

/// A round of the exit criteria's metrics: a condition that has held for its duration is
/// recorded met, one that stops holding after it was met is recorded broken. A value that
/// cannot be read breaks the run of holding (it cannot be vouched for) but records nothing.
pub(super) fn readings(
    state: &mut State,
    id: &str,
    at: DateTime<Utc>,
    values: BTreeMap<u32, Result<Option<f64>, String>>,
) -> Vec<Effect> {
    let Some(c) = state.current.as_mut().filter(|c| c.id == id) else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref().filter(|i| !i.is_resolved()) else {
        return vec![];
    };
    if !c.leading() {
        return vec![];
    }
    let mut fx = Vec::new();
    for crit in &i.practice.criteria {
        let Some(hold) = crit.check.hold() else {
            continue;
        };
        let Some(answer) = values.get(&crit.id) else {
            continue;
        };
        let r = c.practice.readings.entry(crit.id).or_default();
        r.at = Some(at);
        let (value, holds) = match answer {
            Ok(Some(v)) => {
                r.error = None;
                (Some(*v), crit.check.holds(*v))
            }
            Ok(None) => {
                r.error = Some("no value".into());
                (None, false)
            }
            Err(e) => {
                r.error = Some(e.clone());
                (None, false)
            }
        };
        r.value = value;
        if c.practice.pending.get(&crit.id) == Some(&crit.is_met()) {
            c.practice.pending.remove(&crit.id);
        }
        if holds {
            let since = *r.holding_since.get_or_insert(at);
            if !crit.is_met() && at - since >= hold && !c.practice.pending.contains_key(&crit.id) {
                c.practice.pending.insert(crit.id, true);
                fx.push(Effect::Record {
                    id: id.to_string(),
                    event: Event::ExitCriterionMet {
                        criterion: crit.id,
                        since: Some(since),
                        value,
                    },
                });
            }
        } else {
            r.holding_since = None;
            if crit.is_met() && value.is_some() && !c.practice.pending.contains_key(&crit.id) {
                c.practice.pending.insert(crit.id, false);
                fx.push(Effect::Record {
                    id: id.to_string(),
                    event: Event::ExitCriterionBroken {
                        criterion: crit.id,
                        value,
                    },
                });
            }
        }
    }
    fx
}

/// Once a second: the executive summary's clock (its prompt opens once per due time, like
/// the status update's), the offer to move on once every exit criterion holds, and each
/// checklist item brought up once.
pub(super) fn tick(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let editor_free = state.modal.is_none();
    let every = state.practice.executive_every;
    let Some(c) = state.current.as_mut() else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref().filter(|_| c.leading()) else {
        return vec![];
    };
    if i.is_resolved() {
        return vec![];
    }
    // The offer to move on, once per time the criteria all come to hold.
    if i.practice.all_met() {
        if !c.practice.all_met_offered {
            c.practice.all_met_offered = true;
            let text = format!(
                "every exit criterion holds: S to move {} to monitoring, R to resolve",
                c.id
            );
            flash(state, now, text, false);
            return vec![];
        }
    } else {
        c.practice.all_met_offered = false;
    }
    if let Some(due) = executive_due(i, every)
        && now >= due
        && editor_free
        && c.practice.executive_prompted_for != Some(due)
    {
        c.practice.executive_prompted_for = Some(due);
        state.modal = Some(Modal::Editor {
            purpose: Purpose::ExecutiveSummary,
            text: text_input("", "for executives: impact, customers, what is next, when"),
        });
        return vec![];
    }
    let open = open_items(&state.practice.checklists, i, now);
    let Some(c) = state.current.as_mut() else {
        return vec![];
    };
    let new: Vec<String> = open
        .into_iter()
        .filter(|t| !c.practice.nagged.contains(t))
        .collect();
    if !new.is_empty() && state.flash.is_none() {
        c.practice.nagged.extend(new.iter().cloned());
        let text = format!("Checklist — {} (v)", new.join(" · "));
        flash(state, now, text, false);
    }
    vec![]
}

/// When the executive summary is next owed: a cadence after the last one (or the opening).
pub fn executive_due(i: &Incident, every: Option<chrono::Duration>) -> Option<DateTime<Utc>> {
    if i.is_resolved() {
        return None;
    }
    let base = i.practice.last_executive_summary().unwrap_or(i.opened_at);
    base.checked_add_signed(every?)
}
