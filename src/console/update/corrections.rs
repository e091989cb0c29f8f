//! Corrections from the console: on the selected log entry, amend (`E`), retract (`r`) and
//! move (`V`); on the incidents list, mark as a duplicate (`D`). Each opens a form with a
//! required reason, asks "sure?", then appends (amend, retract) or has the journal worker
//! write to both incidents (move, merge). The rule of who may correct what is the CLI's
//! (`domain::may_correct`), checked here before anything is sent.

use super::*;
use crate::console::action::Across;
use crate::console::state::{CorrectForm, CorrectKind};
use crate::domain::{Corrected, NoteKind, may_correct, parse_occurred_at};

/// The entry detail popup: the entry whole, and for a corrected one its history, oldest
/// first, from the original as recorded to each correction with who and why.
pub(super) fn detail(row: &Corrected) -> Detail {
    let e = &row.entry;
    let (tag, _, text) = crate::console::views::entry_text(e);
    let mut title = format!("{tag} by {} at {}", e.by, row.when().format("%H:%M:%S"));
    if let Some(s) = &row.source {
        title = format!("{title} (from {s})");
    }
    let mut body = text;
    if let Some(why) = &row.retracted {
        body.push_str(&format!("\n\nRETRACTED: {why}"));
    }
    if row.is_corrected() {
        body.push_str("\n\nHistory:");
        let original = row.original.as_deref().unwrap_or(&e.event);
        body.push_str(&format!(
            "\n{} recorded by {}: {}",
            e.at.format("%H:%M:%S"),
            e.by,
            original.describe()
        ));
        for c in &row.changes {
            body.push_str(&format!(
                "\n{} #{} by {}: {} — {}",
                c.at.format("%H:%M:%S"),
                c.seq,
                c.by,
                c.what,
                c.reason
            ));
        }
    }
    Detail {
        title,
        text: body,
        scroll: 0,
    }
}

/// Opens the form for `cmd` on the selected entry (or, for a duplicate, the selected
/// incident), or says why not.
pub(super) fn open(state: &mut State, cmd: Command, now: DateTime<Utc>) -> Vec<Effect> {
    let form = match cmd {
        Command::MarkDuplicate => {
            let Some(i) = state.listed().get(state.list_cursor).copied() else {
                return vec![];
            };
            if i.is_resolved() {
                flash(state, now, format!("{} is resolved", i.id), true);
                return vec![];
            }
            CorrectForm {
                kind: CorrectKind::Duplicate,
                id: i.id.clone(),
                seq: 0,
                what: format!("{} {}", i.id, i.title),
                recorded_at: i.opened_at,
                text: Some(text_input("", "the incident that carries on, e.g. INC-2")),
                at: None,
                note_kind: None,
                reason: text_input("", "why they are one outage"),
                field: 0,
                confirming: false,
            }
        }
        _ => {
            let Some(c) = state.current.as_ref() else {
                return vec![];
            };
            let Some(row) = c.selected_row() else {
                flash(
                    state,
                    now,
                    "select a log entry first (tab to the log, j/k to move)".into(),
                    true,
                );
                return vec![];
            };
            if let Some(s) = &row.source {
                let m = format!("this entry was recorded in {s}: correct it there");
                flash(state, now, m, true);
                return vec![];
            }
            let kind = match cmd {
                Command::Amend => CorrectKind::Amend,
                Command::Retract => CorrectKind::Retract,
                Command::Redact => CorrectKind::Redact,
                _ => CorrectKind::Move,
            };
            let e = &row.entry;
            let (note_text, note_kind) = match &e.event {
                Event::Note { text, kind } => (Some(text.clone()), Some(*kind)),
                _ => (None, None),
            };
            let (text, at) = match kind {
                CorrectKind::Amend => (
                    note_text
                        .as_deref()
                        .map(|t| text_input(t, "the corrected text")),
                    Some(text_input(
                        &row.when().format("%H:%M:%S").to_string(),
                        "when it happened, HH:MM:SS UTC",
                    )),
                ),
                CorrectKind::Move => (
                    Some(text_input("", "the incident it belongs to, e.g. INC-2")),
                    None,
                ),
                _ => (None, None),
            };
            let what = e.event.describe();
            CorrectForm {
                kind,
                id: c.id.clone(),
                seq: e.seq,
                what: what.lines().next().unwrap_or_default().to_string(),
                recorded_at: e.at,
                text,
                at,
                note_kind: note_kind.filter(|_| kind == CorrectKind::Amend),
                reason: text_input("", "why it is corrected (required)"),
                field: 0,
                confirming: false,
            }
        }
    };
    let mut form = Box::new(form);
    form.field = first_field(&form);
    // Refused early when it cannot go through: not a note, retracted, not yours.
    if let Some(why) = refusal(state, &form) {
        flash(state, now, why, true);
        return vec![];
    }
    state.modal = Some(Modal::Correct(form));
    vec![]
}

fn first_field(form: &CorrectForm) -> usize {
    fields(form)[0]
}

/// The form's fields in order: text (0), time (1), kind (3), reason (2), those it has.
fn fields(form: &CorrectForm) -> Vec<usize> {
    let mut v = Vec::new();
    if form.text.is_some() {
        v.push(0);
    }
    if form.at.is_some() {
        v.push(1);
    }
    if form.note_kind.is_some() {
        v.push(3);
    }
    v.push(2);
    v
}

/// Why the form's correction cannot be made, checked as the journal would (the reason and
/// the fields filled in with placeholders).
fn refusal(state: &State, form: &CorrectForm) -> Option<String> {
    // A redaction is decided under the journal's lock (`domain::redaction`).
    if matches!(form.kind, CorrectKind::Duplicate | CorrectKind::Redact) {
        return None;
    }
    let i = state.current.as_ref()?.incident.as_ref()?;
    let probe = match form.kind {
        CorrectKind::Amend => Event::Amended {
            entry: form.seq,
            text: None,
            kind: None,
            occurred_at: Some(form.recorded_at),
            reason: "-".into(),
        },
        CorrectKind::Retract => Event::Retracted {
            entry: form.seq,
            reason: "-".into(),
        },
        _ => Event::Moved {
            entry: form.seq,
            to: "-".into(),
            to_seq: 0,
            reason: "-".into(),
        },
    };
    i.check(&probe)
        .and_then(|()| may_correct(i, &state.me, &probe))
        .err()
        .map(|r| r.0)
}

/// Keys in the form: typing, tab between fields, enter (on the reason: then `y` to record),
/// esc.
pub(super) fn on_key(
    state: &mut State,
    mut form: Box<CorrectForm>,
    key: KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if form.confirming {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => submit(state, form, now),
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') => {
                form.confirming = false;
                state.modal = Some(Modal::Correct(form));
                vec![]
            }
            _ => {
                state.modal = Some(Modal::Correct(form));
                vec![]
            }
        };
    }
    let order = fields(&form);
    let at = order.iter().position(|f| *f == form.field).unwrap_or(0);
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Tab | KeyCode::Down => form.field = order[(at + 1) % order.len()],
        KeyCode::BackTab | KeyCode::Up => form.field = order[(at + order.len() - 1) % order.len()],
        KeyCode::Enter if form.field != 2 => form.field = order[(at + 1) % order.len()],
        KeyCode::Enter => match build(state, &form) {
            Ok(_) => form.confirming = true,
            Err(why) => flash(state, now, why, true),
        },
        // The kind is chosen, not typed: ←/→ (or space) step through them, 1–3 pick one.
        _ if form.field == 3 => {
            if let Some(k) = form.note_kind {
                let kinds = NoteKind::ALL;
                let i = kinds.iter().position(|x| *x == k).unwrap_or(0);
                let n = kinds.len();
                form.note_kind = Some(match key.code {
                    KeyCode::Right | KeyCode::Char(' ') => kinds[(i + 1) % n],
                    KeyCode::Left => kinds[(i + n - 1) % n],
                    KeyCode::Char(c @ '1'..='9') => {
                        kinds.get(c as usize - '1' as usize).copied().unwrap_or(k)
                    }
                    _ => k,
                });
            }
        }
        _ => {
            let area = match form.field {
                0 => form.text.as_mut(),
                1 => form.at.as_mut(),
                _ => Some(&mut form.reason),
            };
            if let Some(a) = area {
                a.input(key);
            }
        }
    }
    state.modal = Some(Modal::Correct(form));
    vec![]
}

/// Pasted text goes into the field being typed in, on one line.
pub(super) fn paste(form: &mut CorrectForm, text: &str) {
    let area = match form.field {
        0 => form.text.as_mut(),
        1 => form.at.as_mut(),
        _ => Some(&mut form.reason),
    };
    if let Some(a) = area {
        a.insert_str(text.replace(['\n', '\r'], " "));
    }
}

fn one_line(t: &ratatui_textarea::TextArea<'_>) -> String {
    text_of(t).replace(['\n', '\r'], " ").trim().to_string()
}

/// What the form will record.
pub enum Built {
    Append(Event),
    Across(Across),
    Redact { seq: u64, reason: String },
}

/// The correction as typed, checked, or why it cannot be recorded.
pub fn build(state: &State, form: &CorrectForm) -> Result<Built, String> {
    let reason = one_line(&form.reason);
    if reason.is_empty() {
        return Err("a reason is required: say why the record is corrected".into());
    }
    let other = form.text.as_ref().map(one_line).unwrap_or_default();
    let event = match form.kind {
        CorrectKind::Duplicate => {
            if other.is_empty() {
                return Err("name the incident that carries on, e.g. INC-2".into());
            }
            let into = crate::journal::normalize_id(&other).unwrap_or(other);
            return Ok(Built::Across(Across::Merge {
                dup: form.id.clone(),
                into,
                reason,
            }));
        }
        CorrectKind::Move => {
            if other.is_empty() {
                return Err("name the incident the note belongs to, e.g. INC-2".into());
            }
            let to = crate::journal::normalize_id(&other).unwrap_or(other);
            return Ok(Built::Across(Across::Move {
                id: form.id.clone(),
                seq: form.seq,
                to,
                reason,
            }));
        }
        CorrectKind::Retract => Event::Retracted {
            entry: form.seq,
            reason,
        },
        CorrectKind::Redact => {
            return Ok(Built::Redact {
                seq: form.seq,
                reason,
            });
        }
        CorrectKind::Amend => {
            let c = state.current.as_ref().ok_or("no incident")?;
            let row = c
                .log
                .iter()
                .find(|r| r.source.is_none() && r.entry.seq == form.seq)
                .ok_or(format!("{} has no entry #{}", c.id, form.seq))?;
            let text = match (&form.text, &row.entry.event) {
                (Some(t), Event::Note { text, .. }) => {
                    let typed = text_of(t);
                    (typed.trim() != text.trim()).then_some(typed)
                }
                _ => None,
            };
            let kind = match (form.note_kind, &row.entry.event) {
                (Some(k), Event::Note { kind, .. }) => (k != *kind).then_some(k),
                _ => None,
            };
            let typed_at = form.at.as_ref().map(one_line).unwrap_or_default();
            let occurred_at = if typed_at.is_empty() {
                None
            } else {
                let t = parse_occurred_at(&typed_at, form.recorded_at)?;
                (t != row.when()).then_some(t)
            };
            if text.is_none() && kind.is_none() && occurred_at.is_none() {
                return Err("nothing changed: edit the text, the kind or the time".into());
            }
            Event::Amended {
                entry: form.seq,
                text,
                kind,
                occurred_at,
                reason,
            }
        }
    };
    let i = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .ok_or("no incident")?;
    i.check(&event)
        .and_then(|()| may_correct(i, &state.me, &event))
        .map_err(|r| r.0)?;
    Ok(Built::Append(event))
}

fn submit(state: &mut State, form: Box<CorrectForm>, now: DateTime<Utc>) -> Vec<Effect> {
    match build(state, &form) {
        Ok(Built::Append(event)) => append(state, event, false),
        Ok(Built::Across(across)) => vec![Effect::CorrectAcross(across)],
        Ok(Built::Redact { seq, reason }) => vec![Effect::Redact {
            id: form.id.clone(),
            seq,
            reason,
        }],
        Err(why) => {
            flash(state, now, why, true);
            state.modal = Some(Modal::Correct(form));
            vec![]
        }
    }
}
