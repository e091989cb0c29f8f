//! The status-update clock in the console: the prompt at zero, the bell, waiting while the
//! leader types something else.

use super::*;

/// The status-update clock, once a second: at zero, open the prompt (pre-filled with what
/// changed) unless the leader is typing something else — then only the header flashes.
pub(super) fn check_due(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let mut fx = status_due(state, now);
    fx.extend(super::practice::tick(state, now));
    fx
}

fn status_due(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let bell = state.bell;
    let editor_free = state.modal.is_none();
    let Some(c) = state.current.as_mut() else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref().filter(|_| c.leading()) else {
        return vec![];
    };
    let Some(due) = state.cadence.next_due(i).filter(|d| now >= *d) else {
        return vec![];
    };
    let mut fx = Vec::new();
    if bell && c.rung_for != Some(due) {
        c.rung_for = Some(due);
        fx.push(Effect::Bell);
    }
    if editor_free && c.prompted_for != Some(due) {
        c.prompted_for = Some(due);
        // Posted now, the next one falls due a cadence from now.
        let next = state.cadence.every(i.severity).map(|every| now + every);
        let text = match &c.draft {
            Some(d) if d.purpose == Purpose::StatusUpdate => d.text.clone(),
            _ => status_update_draft(i, &c.entries, now, next),
        };
        state.modal = Some(Modal::Editor {
            purpose: Purpose::StatusUpdate,
            text: text_input(&text, ""),
        });
    }
    fx
}
