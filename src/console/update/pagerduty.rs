//! `P`: link a PagerDuty incident to the incident on screen, or unlink one. The console asks
//! PagerDuty for the triggered and acknowledged incidents of `[pagerduty] service_ids`
//! ([`Effect::ListPagerDuty`]), offers them with the ones already linked, and records the
//! choice as `warroom pagerduty link|unlink` would.

use super::*;
use crate::console::state::PagerDutyChoice;

/// `P`: ask PagerDuty, or say why it cannot be asked.
pub(super) fn ask(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(c) = state.current.as_ref() else {
        return vec![];
    };
    let id = c.id.clone();
    if !state.pagerduty_configured {
        flash(
            state,
            now,
            "no [pagerduty] in config.toml (token_env, from, service_ids): see docs/configuration.md"
                .into(),
            true,
        );
        return vec![];
    }
    flash(
        state,
        now,
        "asking PagerDuty for open incidents…".into(),
        false,
    );
    vec![Effect::ListPagerDuty { id }]
}

/// PagerDuty answered: the picker, PagerDuty's incidents first, then links it did not list.
pub(super) fn listed(
    state: &mut State,
    id: &str,
    result: Result<Vec<PagerDutyChoice>, String>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(c) = state.current.as_ref().filter(|c| c.id == id && c.leading()) else {
        return vec![];
    };
    let linked: Vec<PagerDutyChoice> = c
        .incident
        .as_ref()
        .map(|i| {
            i.pagerduty
                .iter()
                .map(|l| PagerDutyChoice {
                    id: l.id.clone(),
                    number: l.number,
                    title: l.title.clone(),
                    status: String::new(),
                    url: l.url.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut choices = match result {
        Ok(found) => found,
        Err(reason) => {
            flash(state, now, format!("PagerDuty: {reason}"), true);
            return vec![];
        }
    };
    for l in linked.iter() {
        if !choices.iter().any(|c| c.id == l.id) {
            choices.push(l.clone());
        }
    }
    if choices.is_empty() {
        flash(
            state,
            now,
            "PagerDuty lists no triggered or acknowledged incident ([pagerduty] service_ids)"
                .into(),
            false,
        );
        return vec![];
    }
    // Keys typed meanwhile went somewhere: do not pull the screen from under them.
    if state.modal.is_some() {
        flash(
            state,
            now,
            "PagerDuty answered: press P again".into(),
            false,
        );
        return vec![];
    }
    let options = choices
        .iter()
        .map(|ch| {
            let is_linked = linked.iter().any(|l| l.id == ch.id);
            let number = ch.number.map(|n| format!("#{n} ")).unwrap_or_default();
            let status = if is_linked {
                "linked".to_string()
            } else {
                ch.status.clone()
            };
            let shown_id = crate::backends::http::one_line_cut(&ch.id, 20);
            format!("{shown_id} {number}[{status}] {}", ch.title)
        })
        .collect();
    state.pagerduty_choices = choices;
    state.modal = Some(Modal::Picker(Picker {
        kind: PickerKind::PagerDuty,
        options,
        selected: 0,
    }));
    vec![]
}

/// Enter in the picker: link what is not linked, unlink what is.
pub(super) fn chosen(state: &mut State, selected: usize) -> Vec<Effect> {
    let Some(choice) = state.pagerduty_choices.get(selected).cloned() else {
        return vec![];
    };
    let linked = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .is_some_and(|i| i.pagerduty.iter().any(|l| l.id == choice.id));
    let event = if linked {
        Event::PagerdutyUnlinked {
            incident: choice.id,
        }
    } else {
        Event::PagerdutyLinked {
            incident: choice.id,
            number: choice.number,
            title: choice.title,
            url: choice.url,
        }
    };
    append(state, event, false)
}
