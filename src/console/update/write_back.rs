//! Writing back to an alert's source from its details (acknowledge, comment, close, a Sensu
//! silence): the text, a
//! confirmation, then an effect the app loop performs off the UI thread and records.

use super::*;
use crate::console::state::WriteBackForm;
use crate::domain::{Alert, WriteBack};

/// The command's write-back, for the commands that are one.
pub(super) fn kind_of(cmd: Command) -> Option<WriteBack> {
    match cmd {
        Command::Acknowledge => Some(WriteBack::Acknowledge),
        Command::Comment => Some(WriteBack::Comment),
        Command::CloseAlert => Some(WriteBack::Close),
        _ => None,
    }
}

/// The sources of `alert` that take `kind`, in the alert's order.
pub fn sources_taking(state: &State, alert: &Alert, kind: WriteBack) -> Vec<String> {
    alert
        .sources
        .iter()
        .filter(|s| state.write_backs.get(*s).is_some_and(|k| k.contains(&kind)))
        .cloned()
        .collect()
}

/// Opens the text form for `kind` on `alert` (the selected one, or the one whose details are
/// open), or says why not.
pub(super) fn open(
    state: &mut State,
    alert: Option<Alert>,
    kind: WriteBack,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(a) = super::alerts::alert_or_say(state, alert, now) else {
        return vec![];
    };
    let sources = sources_taking(state, &a, kind);
    if sources.is_empty() {
        flash(
            state,
            now,
            format!(
                "{} takes no {} from warroom",
                a.sources.join(", "),
                kind.name()
            ),
            true,
        );
        return vec![];
    }
    let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref()) else {
        return vec![];
    };
    // A drill writes to no real system unless its scenario enables write-backs.
    if !i.write_backs_allowed() {
        let msg = format!(
            "{} is a drill: write-backs are off (its scenario does not enable them)",
            i.id
        );
        flash(state, now, msg, true);
        return vec![];
    }
    let initial = match kind {
        WriteBack::Acknowledge => format!("{}: {}", i.id, i.title),
        WriteBack::Comment | WriteBack::Close => format!("{}: ", i.id),
        WriteBack::Silence => format!("{}: {} (silenced by {})", i.id, i.title, state.me),
    };
    state.modal = Some(Modal::WriteBack(Box::new(WriteBackForm {
        alert: a,
        kind,
        sources,
        text: text_input(&initial, "what to tell the source"),
        confirming: false,
    })));
    vec![]
}

/// Keys in the form: typing, enter (then `y` to send), esc.
pub(super) fn on_key(
    state: &mut State,
    mut form: Box<WriteBackForm>,
    key: KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if form.confirming {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => send(state, form),
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') => {
                form.confirming = false;
                state.modal = Some(Modal::WriteBack(form));
                vec![]
            }
            _ => {
                state.modal = Some(Modal::WriteBack(form));
                vec![]
            }
        };
    }
    match key.code {
        KeyCode::Esc => vec![],
        KeyCode::Enter => {
            if text(&form).is_empty() {
                flash(
                    state,
                    now,
                    format!("{} needs a text", form.kind.name()),
                    true,
                );
            } else {
                form.confirming = true;
            }
            state.modal = Some(Modal::WriteBack(form));
            vec![]
        }
        _ => {
            form.text.input(key);
            state.modal = Some(Modal::WriteBack(form));
            vec![]
        }
    }
}

/// The form's text as it will be sent: one line, trimmed (a source's command channel is
/// line-based; a pasted line break becomes a space).
pub fn text(form: &WriteBackForm) -> String {
    text_of(&form.text)
        .split(char::is_control)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

fn send(state: &mut State, form: Box<WriteBackForm>) -> Vec<Effect> {
    let Some(c) = state.current.as_ref() else {
        return vec![];
    };
    let text = text(&form);
    vec![Effect::WriteBack {
        id: c.id.clone(),
        sources: form.sources,
        alert: Box::new(form.alert),
        kind: form.kind,
        text,
    }]
}
