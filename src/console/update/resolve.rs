//! Resolving: while a linked alert still fires, a service is down, or no commander was ever
//! assigned, the leader is asked once, with the list; a "yes" is journaled as a decision next
//! to the resolution, so the post-mortem shows what was known to be wrong when it was called.

use super::*;

/// What is still wrong with the incident on screen, one line each; empty when all is well.
pub(super) fn still_wrong(state: &State) -> Vec<String> {
    let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref()) else {
        return vec![];
    };
    let mut wrong: Vec<String> = i
        .linked_alerts
        .iter()
        .filter(|l| l.firing)
        .map(|l| match l.alert.labels.get("service") {
            Some(s) => format!("alert {} ({s}) still fires", l.alert.name),
            None => format!("alert {} still fires", l.alert.name),
        })
        .collect();
    let down: Vec<&str> = state
        .blast
        .services
        .iter()
        .filter(|s| s.state == crate::domain::ServiceState::Down)
        .map(|s| s.name.as_str())
        .collect();
    const NAMED: usize = 5;
    match down.len() {
        0 => {}
        1 => wrong.push(format!("service {} is down", down[0])),
        n if n <= NAMED => wrong.push(format!("services {} are down", down.join(", "))),
        n => wrong.push(format!(
            "services {} and {} more are down",
            down[..NAMED].join(", "),
            n - NAMED
        )),
    }
    if i.holder(Role::Commander).is_none() {
        wrong.push("no commander was ever assigned".into());
    }
    for c in i.practice.unmet() {
        wrong.push(format!("exit criterion C{} not met: {}", c.id, c.check));
    }
    wrong
}

/// `R`: the question first if something is still wrong, else the summary editor.
pub(super) fn start(state: &mut State) -> Vec<Effect> {
    let wrong = still_wrong(state);
    if wrong.is_empty() {
        return open_editor(state, Purpose::Resolve);
    }
    state.modal = Some(Modal::ConfirmResolve {
        wrong,
        summary: None,
    });
    vec![]
}

/// Sending the summary: asks now if what is wrong was not answered yet (the editor can be
/// reached from a kept draft, or things went wrong while typing); else records.
pub(super) fn submit(
    state: &mut State,
    text: ratatui_textarea::TextArea<'static>,
    event: Event,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref()) else {
        return vec![];
    };
    // With exit criteria unmet, the summary says why: it is recorded as the waiver.
    let unmet: Vec<u32> = i.practice.unmet().map(|c| c.id).collect();
    let summary = match &event {
        Event::Resolved { summary } => summary.clone(),
        _ => None,
    };
    let waiver = match (unmet.is_empty(), &summary) {
        (true, _) => None,
        (false, Some(reason)) => Some(Event::ExitCriteriaWaived {
            reason: reason.clone(),
            unmet,
        }),
        (false, None) => {
            flash(
                state,
                now,
                "exit criteria are not met: the summary must say why you resolve anyway".into(),
                true,
            );
            state.modal = Some(Modal::Editor {
                purpose: Purpose::Resolve,
                text,
            });
            return vec![];
        }
    };
    let mut after = i.clone();
    if let Some(w) = &waiver {
        after.apply(&crate::domain::Entry {
            seq: after.last_seq + 1,
            at: now,
            by: state.me.clone(),
            event: w.clone(),
        });
    }
    if let Err(r) = waiver
        .iter()
        .try_for_each(|w| i.check(w))
        .and_then(|()| after.check(&event))
    {
        flash(state, now, r.0, true);
        state.modal = Some(Modal::Editor {
            purpose: Purpose::Resolve,
            text,
        });
        return vec![];
    }
    let wrong = still_wrong(state);
    let answered = state
        .current
        .as_ref()
        .is_some_and(|c| wrong.iter().all(|w| c.resolve_answered.contains(w)));
    if !answered {
        state.modal = Some(Modal::ConfirmResolve {
            wrong,
            summary: Some(text),
        });
        return vec![];
    }
    let mut fx = Vec::new();
    if let Some(w) = waiver {
        fx.extend(append(state, w, false));
    }
    if !wrong.is_empty() {
        let note = Event::Note {
            kind: NoteKind::Decision,
            text: format!("Resolved although: {}", wrong.join("; ")),
        };
        fx.extend(append(state, note, false));
    }
    fx.extend(append(state, event, true));
    fx
}

/// The answer to "resolve anyway?": `y` goes on (to the editor, or records what was sent);
/// anything else resolves nothing.
pub(super) fn on_key(
    state: &mut State,
    wrong: Vec<String>,
    summary: Option<ratatui_textarea::TextArea<'static>>,
    key: KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let yes = matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y'));
    if !yes {
        let id = state
            .current
            .as_ref()
            .map(|c| c.id.clone())
            .unwrap_or_default();
        match summary {
            // Back to the summary, as typed.
            Some(text) => {
                state.modal = Some(Modal::Editor {
                    purpose: Purpose::Resolve,
                    text,
                });
                flash(state, now, format!("{id} not resolved yet"), false);
            }
            None => flash(state, now, format!("{id} not resolved"), false),
        }
        return vec![];
    }
    if let Some(c) = state.current.as_mut() {
        c.resolve_answered = wrong;
    }
    match summary {
        None => open_editor(state, Purpose::Resolve),
        Some(text) => submit_editor(state, Purpose::Resolve, text, now),
    }
}
