//! Keys for the post-mortem: follow-ups typed into a small form (text, type, owner), and the
//! draft exported to a file. The reducer only asks for the export; the journal worker renders
//! it, writes the file and records `postmortem_exported`, then answers with
//! [`Action::Exported`].

use super::*;
use crate::console::state::FollowUpForm;
use crate::domain::{ExportFormat, FollowUpKind};

pub(super) fn open_follow_up(state: &mut State) -> Vec<Effect> {
    if state.current.is_some() {
        state.modal = Some(Modal::FollowUp(Box::new(FollowUpForm {
            text: text_input("", "what to do, e.g. validate the tax config in CI"),
            kind: FollowUpKind::Prevent,
            owner: text_input("", "who owns it (optional)"),
            field: 0,
        })));
    }
    vec![]
}

pub(super) fn on_follow_up_key(
    state: &mut State,
    mut form: Box<FollowUpForm>,
    key: KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let kinds = FollowUpKind::ALL;
    let at = kinds.iter().position(|k| *k == form.kind).unwrap_or(0);
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Enter => return submit(state, form, now),
        KeyCode::Tab | KeyCode::Down => form.field = (form.field + 1) % 3,
        KeyCode::BackTab | KeyCode::Up => form.field = (form.field + 2) % 3,
        KeyCode::Right | KeyCode::Char(' ') | KeyCode::Char('l') if form.field == 1 => {
            form.kind = kinds[(at + 1) % kinds.len()];
        }
        KeyCode::Left | KeyCode::Char('h') if form.field == 1 => {
            form.kind = kinds[(at + kinds.len() - 1) % kinds.len()];
        }
        KeyCode::Char(c @ '1'..='3') if form.field == 1 => {
            form.kind = kinds[c as usize - '1' as usize];
        }
        _ => {
            match form.field {
                0 => form.text.input(key),
                2 => form.owner.input(key),
                _ => false,
            };
        }
    }
    state.modal = Some(Modal::FollowUp(form));
    vec![]
}

/// Pasted text goes into the field being typed in, on one line.
pub(super) fn paste_follow_up(form: &mut FollowUpForm, text: &str) {
    let one_line = text.replace(['\n', '\r'], " ");
    match form.field {
        0 => form.text.insert_str(one_line),
        2 => form.owner.insert_str(one_line),
        _ => false,
    };
}

fn submit(state: &mut State, form: Box<FollowUpForm>, now: DateTime<Utc>) -> Vec<Effect> {
    let owner = text_of(&form.owner).trim().to_string();
    let event = Event::FollowUp {
        text: text_of(&form.text).trim().to_string(),
        kind: form.kind,
        owner: (!owner.is_empty()).then_some(owner),
    };
    let checked = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .map(|i| i.check(&event));
    if let Some(Err(r)) = checked {
        flash(state, now, r.0, true);
        state.modal = Some(Modal::FollowUp(form));
        return vec![];
    }
    append(state, event, false)
}

/// Asks the journal worker for the Markdown draft of the incident on screen.
pub(super) fn export(state: &mut State) -> Vec<Effect> {
    let Some(c) = state.current.as_ref() else {
        return vec![];
    };
    let id = c.id.clone();
    state.saving += 1;
    vec![Effect::Export {
        id,
        format: ExportFormat::Markdown,
        dir: state.export_dir.clone(),
    }]
}

/// A follower's own copy of the draft, from the entries it received; recorded nowhere.
pub(super) fn export_copy(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(c) = state.current.as_ref().filter(|c| c.incident.is_some()) else {
        flash(state, now, "nothing to export yet".into(), true);
        return vec![];
    };
    let effect = Effect::ExportCopy {
        id: c.id.clone(),
        entries: c.entries.clone(),
        dir: state.export_dir.clone(),
    };
    state.saving += 1;
    vec![effect]
}

/// The draft is written and its export recorded: say where, and what to review.
pub(super) fn exported(
    state: &mut State,
    path: &str,
    findings: usize,
    still_open: bool,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    state.saving = state.saving.saturating_sub(1);
    let mut text = format!("Post-mortem draft written to {path}");
    if state.follow.is_some() {
        text.push_str(" (your copy; nothing recorded)");
    }
    if still_open {
        text.push_str(" (DRAFT — incident still open)");
    }
    match findings {
        0 => {}
        1 => text.push_str("; 1 phrase to review before sharing"),
        n => text.push_str(&format!("; {n} phrases to review before sharing")),
    }
    flash(state, now, text, false);
    vec![]
}
