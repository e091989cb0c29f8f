//! Roll call in the console: `i` checks in (a CAN form), `K` calls the roll (confirmed), `w`
//! shows the roll call and the work board; `esc` dismisses the practice notice on screen, and
//! the dismissal is journaled so it is not shown again, here or after a restart.

use super::*;
use crate::console::state::CheckInForm;
use crate::domain::Notice;

/// The notices the call leader sees now: only on a console that leads (it alone can dismiss
/// them), never for a follower or a read-only console.
pub fn shown_notices(state: &State, now: DateTime<Utc>) -> Vec<Notice> {
    let Some(c) = state.current.as_ref().filter(|c| c.leading()) else {
        return Vec::new();
    };
    let Some(i) = c.incident.as_ref() else {
        return Vec::new();
    };
    crate::domain::notices(i, &state.roll_rules, now)
        .into_iter()
        .filter(|n| !state.dismissing.contains(&n.key()))
        .collect()
}

/// `esc` on a screen showing a notice: dismiss it (journaled). `None` when no notice shows.
pub(super) fn dismiss_notice(state: &mut State, now: DateTime<Utc>) -> Option<Vec<Effect>> {
    let notice = shown_notices(state, now).into_iter().next()?;
    let key = notice.key();
    state.dismissing.push(key.clone());
    Some(append(state, Event::NoticeDismissed { notice: key }, false))
}

/// Forgets dismissals in flight once the journal has them (or refused them).
pub(super) fn settle_dismissals(state: &mut State) {
    let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref()) else {
        return;
    };
    state.dismissing.retain(|k| !i.roll.dismissed.contains(k));
}

pub(super) fn open_check_in(state: &mut State) -> Vec<Effect> {
    if state.current.is_none() {
        return vec![];
    }
    state.modal = Some(Modal::CheckIn(Box::new(CheckInForm {
        conditions: text_input("", "what you see"),
        actions: text_input("", "what you are doing (optional)"),
        needs: text_input("", "what you need (optional)"),
        field: 0,
    })));
    vec![]
}

pub(super) fn on_check_in_key(
    state: &mut State,
    mut form: Box<CheckInForm>,
    key: KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if is_submit(&key) {
        return submit(state, form, now);
    }
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Tab | KeyCode::Down => form.field = (form.field + 1) % 3,
        KeyCode::BackTab | KeyCode::Up => form.field = (form.field + 2) % 3,
        // Enter moves on to the next part; on Needs, it checks in.
        KeyCode::Enter if form.field < 2 => form.field += 1,
        KeyCode::Enter => return submit(state, form, now),
        _ => {
            match form.field {
                0 => form.conditions.input(key),
                1 => form.actions.input(key),
                _ => form.needs.input(key),
            };
        }
    }
    state.modal = Some(Modal::CheckIn(form));
    vec![]
}

pub(super) fn paste_check_in(form: &mut CheckInForm, text: &str) {
    let one_line = text.replace(['\n', '\r'], " ");
    match form.field {
        0 => form.conditions.insert_str(one_line),
        1 => form.actions.insert_str(one_line),
        _ => form.needs.insert_str(one_line),
    };
}

fn submit(state: &mut State, form: Box<CheckInForm>, now: DateTime<Utc>) -> Vec<Effect> {
    let optional = |t: &ratatui_textarea::TextArea<'static>| {
        Some(text_of(t).trim().to_string()).filter(|s| !s.is_empty())
    };
    let event = Event::CheckIn {
        conditions: text_of(&form.conditions).trim().to_string(),
        actions: optional(&form.actions),
        needs: optional(&form.needs),
    };
    let checked = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .map(|i| i.check(&event));
    match checked {
        Some(Err(r)) => {
            flash(state, now, r.0, true);
            state.modal = Some(Modal::CheckIn(form));
            vec![]
        }
        Some(Ok(())) => append(state, event, false),
        None => vec![],
    }
}

pub(super) fn ask_roll_call(state: &mut State) -> Vec<Effect> {
    if state.current.is_some() {
        state.modal = Some(Modal::ConfirmRollCall);
    }
    vec![]
}

pub(super) fn on_confirm_roll_call(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.code == KeyCode::Char('y') {
        // The roll call view shows the answers as they come.
        state.modal = Some(Modal::Board {
            work: false,
            scroll: 0,
        });
        append(state, Event::RollCalled {}, false)
    } else {
        vec![]
    }
}

pub(super) fn on_board_key(
    state: &mut State,
    work: bool,
    scroll: u16,
    key: KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let (work, scroll) = match key.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('w') => return vec![],
        KeyCode::Tab | KeyCode::BackTab => (!work, 0),
        KeyCode::Down | KeyCode::Char('j') => (work, scroll.saturating_add(1)),
        KeyCode::Up | KeyCode::Char('k') => (work, scroll.saturating_sub(1)),
        KeyCode::Home | KeyCode::Char('g') => (work, 0),
        // The incident's own roll call keys work from here too.
        _ => {
            let pressed = [Chord::from_event(&key)];
            if let Resolution::Run(cmd @ (Command::CheckIn | Command::RollCall)) =
                state.keymap.resolve(Mode::Incident, &pressed)
            {
                if let Some(r) = refusal(state, cmd) {
                    flash(state, now, r, true);
                } else if cmd == Command::CheckIn {
                    return open_check_in(state);
                } else {
                    return ask_roll_call(state);
                }
            }
            (work, scroll)
        }
    };
    let max = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .map_or(0, |i| i.roll.members.len() + i.roll.teams.len());
    state.modal = Some(Modal::Board {
        work,
        scroll: scroll.min(u16::try_from(max).unwrap_or(u16::MAX)),
    });
    vec![]
}
