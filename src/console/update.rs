//! The reducer: `update(&mut State, Action, now) -> Vec<Effect>`. Pure: no I/O, no clock
//! reads, so every key sequence can be tested with a fixed clock.

use super::action::{Action, Draft, Effect, Lead, Purpose};
use super::keymap::{Chord, Command, Mode, Resolution};
use super::state::{
    Current, Flash, Modal, Pane, Picker, PickerKind, SilenceForm, State, TaskForm, text_input,
    text_of,
};
use crate::backends::webhook::UpdateMessage;
use crate::domain::{
    Event, Incident, NoteKind, Role, Severity, Status, handoff_summary, status_update_draft,
};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

pub fn update(state: &mut State, action: Action, now: DateTime<Utc>) -> Vec<Effect> {
    match action {
        Action::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key, now),
        Action::Key(_) => vec![],
        Action::Resize { width, height } => {
            state.size = (width, height);
            vec![]
        }
        Action::Tick => check_due(state, now),
        Action::Paste(text) => on_paste(state, &text, now),
        Action::Incidents(list) => {
            state.incidents = list;
            state.loaded = true;
            let n = state.listed().len();
            state.list_cursor = state.list_cursor.min(n.saturating_sub(1));
            vec![]
        }
        Action::Opened {
            id,
            entries,
            lead,
            draft,
        } => {
            let incident = Incident::fold(&id, &entries);
            if let Lead::ReadOnly { holder } = &lead {
                flash(
                    state,
                    now,
                    format!("{id} is led by {holder}: read-only here"),
                    true,
                );
            }
            state.current = Some(Current {
                id,
                entries,
                incident,
                lead,
                scroll: 0,
                kind_filter: Default::default(),
                text_filter: String::new(),
                draft: draft.clone(),
                prompted_for: None,
                rung_for: None,
                focus: Pane::Log,
                alert_cursor: 0,
            });
            if let Some(d) = draft {
                state.modal = Some(Modal::DraftOffer(d));
            }
            vec![]
        }
        Action::Appended {
            id,
            entries,
            cleared_draft,
        } => {
            state.saving = state.saving.saturating_sub(1);
            if cleared_draft && let Some(c) = state.current.as_mut().filter(|c| c.id == id) {
                c.draft = None;
            }
            // Our own append is the last of these; a status update goes out to chat now.
            let resolved_by_us = entries
                .last()
                .is_some_and(|e| matches!(e.event, Event::Resolved { .. }) && e.by == state.me);
            let deliver = entries.last().and_then(|e| match &e.event {
                Event::StatusUpdate { text } if e.by == state.me => {
                    Some((e.seq, e.at, text.clone()))
                }
                _ => None,
            });
            add_entries(state, &id, entries);
            if resolved_by_us
                && let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref())
            {
                let live: Vec<(String, String)> = i
                    .live_silences(now)
                    .map(|s| (s.source.clone(), s.id.clone()))
                    .collect();
                if !live.is_empty() {
                    state.modal = Some(Modal::ExpireSilences(live));
                }
            }
            let incident = state
                .current
                .as_ref()
                .filter(|c| c.id == id)
                .and_then(|c| c.incident.clone());
            match (deliver, incident) {
                (Some((seq, at, text)), Some(i)) => vec![Effect::Deliver {
                    id: id.clone(),
                    message: UpdateMessage::new(&i, seq, at, &state.me, &text),
                }],
                _ => vec![],
            }
        }
        Action::Entries { id, entries } => {
            add_entries(state, &id, entries);
            vec![]
        }
        Action::AppendFailed { id, reason } => {
            state.saving = state.saving.saturating_sub(1);
            let kept = state
                .current
                .as_ref()
                .is_some_and(|c| c.id == id && c.draft.is_some());
            let tail = if kept {
                " (your text is kept as a draft)"
            } else {
                ""
            };
            flash(
                state,
                now,
                format!("{id}: not recorded — {reason}{tail}"),
                true,
            );
            vec![]
        }
        Action::Created { id } => {
            state.saving = state.saving.saturating_sub(1);
            vec![Effect::Open { id }]
        }
        Action::Problem(p) => {
            state.problems.push(p);
            vec![]
        }
        Action::AlertReport(report) => {
            report.apply(&mut state.board);
            let n = state.alert_rows().len();
            if let Some(c) = state.current.as_mut() {
                c.alert_cursor = c.alert_cursor.min(n.saturating_sub(1));
            }
            state.recompute_blast();
            let mut fx = observe_alerts(state, now);
            fx.extend(observe_blast(state));
            fx
        }
        Action::Metrics(report) => {
            if report.errors.is_empty() || !report.values.is_empty() {
                state.metrics = report.values;
                state.metrics_ok = Some(report.at);
            }
            state.metrics_error = match report.errors.first() {
                Some(e) => Some((
                    state
                        .metrics_error
                        .as_ref()
                        .map_or(report.at, |(since, _)| *since),
                    e.clone(),
                )),
                None => None,
            };
            for (service, points) in report.history {
                state.history.insert(service, points);
            }
            state.recompute_blast();
            observe_blast(state)
        }
        Action::Terminate => {
            state.quit = true;
            vec![Effect::Quit]
        }
    }
}

fn add_entries(state: &mut State, id: &str, entries: Vec<crate::domain::Entry>) {
    let Some(c) = state.current.as_mut().filter(|c| c.id == id) else {
        return;
    };
    let last = c.entries.last().map_or(0, |e| e.seq);
    for e in entries.into_iter().filter(|e| e.seq > last) {
        match c.incident.as_mut() {
            Some(i) => i.apply(&e),
            None => c.incident = Incident::fold(&c.id, [&e]),
        }
        if c.scroll > 0 {
            // Keep the lines the reader is looking at in place while new ones arrive.
            c.scroll += 1;
        }
        c.entries.push(e);
    }
}

fn flash(state: &mut State, now: DateTime<Utc>, text: String, error: bool) {
    state.flash = Some(Flash {
        text,
        error,
        at: now,
    });
}

fn on_key(state: &mut State, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    if state.modal.is_some() {
        return on_modal_key(state, key, now);
    }
    // Any key dismisses an old message; problems stay until `esc`.
    state.flash = None;
    if key.code == KeyCode::Esc && !state.problems.is_empty() && state.pending_keys.is_empty() {
        state.problems.clear();
        return vec![];
    }
    state.pending_keys.push(Chord::from_event(&key));
    match state.keymap.resolve(state.mode(), &state.pending_keys) {
        Resolution::Pending => vec![],
        Resolution::Unbound => {
            state.pending_keys.clear();
            vec![]
        }
        Resolution::Run(cmd) => {
            state.pending_keys.clear();
            run(state, cmd, now)
        }
    }
}

/// Runs a command from a key or the palette.
pub fn run(state: &mut State, cmd: Command, now: DateTime<Utc>) -> Vec<Effect> {
    let mode = state.mode();
    if cmd.mutates() && mode == Mode::Incident {
        let refusal = match &state.current {
            Some(c) if !c.leading() => Some(format!("{} is read-only here (led elsewhere)", c.id)),
            Some(c) if c.incident.as_ref().is_some_and(Incident::is_resolved) => {
                Some(format!("{} is resolved", c.id))
            }
            _ => None,
        };
        if let Some(r) = refusal {
            flash(state, now, r, true);
            return vec![];
        }
    }
    match cmd {
        Command::Quit => {
            if state.current.as_ref().is_some_and(Current::leading) {
                state.modal = Some(Modal::ConfirmQuit);
                vec![]
            } else {
                state.quit = true;
                vec![Effect::Quit]
            }
        }
        Command::Help => {
            state.modal = Some(Modal::Help { scroll: 0 });
            vec![]
        }
        Command::Palette => {
            state.modal = Some(Modal::Palette {
                query: String::new(),
                selected: 0,
            });
            vec![]
        }
        Command::Up
        | Command::Down
        | Command::PageUp
        | Command::PageDown
        | Command::Top
        | Command::Bottom => {
            navigate(state, cmd);
            vec![]
        }
        Command::Enter => match mode {
            Mode::List => {
                let id = state.listed().get(state.list_cursor).map(|i| i.id.clone());
                id.map(|id| vec![Effect::Open { id }]).unwrap_or_default()
            }
            _ => {
                if let Some(a) = selected_alert(state) {
                    state.modal = Some(Modal::AlertDetail(Box::new(a)));
                }
                vec![]
            }
        },
        Command::FocusNext => {
            if let Some(c) = state.current.as_mut() {
                let alerts = !state.board.sources.is_empty();
                let blast = alerts || state.metrics_expected;
                c.focus = match c.focus {
                    Pane::Log if alerts => Pane::Alerts,
                    Pane::Log | Pane::Alerts if blast => Pane::Blast,
                    _ => Pane::Log,
                };
            }
            vec![]
        }
        Command::LinkAlert => link_alert(state, now),
        Command::Dependencies => {
            state.modal = Some(Modal::Dependencies { scroll: 0 });
            vec![]
        }
        Command::Silence => open_silence(state, now),
        Command::Back => match state.current.take() {
            Some(c) if c.leading() => vec![Effect::Leave { id: c.id }],
            _ => vec![],
        },
        Command::NewIncident => {
            state.modal = Some(Modal::NewIncident {
                title: text_input("", "what is broken, in a few words"),
                severity: Severity::Sev2,
            });
            vec![]
        }
        Command::ToggleResolved => {
            state.show_resolved = !state.show_resolved;
            state.list_cursor = 0;
            vec![]
        }
        Command::Note => open_editor(
            state,
            Purpose::Note {
                note_kind: NoteKind::Observation,
            },
        ),
        Command::Hypothesis => open_editor(
            state,
            Purpose::Note {
                note_kind: NoteKind::Hypothesis,
            },
        ),
        Command::Decision => open_editor(
            state,
            Purpose::Note {
                note_kind: NoteKind::Decision,
            },
        ),
        Command::StatusUpdate => open_editor(state, Purpose::StatusUpdate),
        Command::Resolve => open_editor(state, Purpose::Resolve),
        Command::Severity => open_picker(state, PickerKind::Severity),
        Command::Snooze => open_picker(state, PickerKind::Snooze),
        Command::TaskDone => open_picker(state, PickerKind::Task),
        Command::Task => {
            state.modal = Some(Modal::Task(Box::new(TaskForm {
                person: text_input("", "who"),
                what: text_input("", "what, e.g. check the primary DB"),
                minutes: text_input("5", ""),
                field: 0,
            })));
            vec![]
        }
        Command::Handoff => {
            state.modal = Some(Modal::Handoff {
                person: text_input("", "who takes command"),
            });
            vec![]
        }
        Command::Status => open_picker(state, PickerKind::Status),
        Command::Assign => open_picker(state, PickerKind::Role),
        Command::Filter => {
            if let Some(c) = &state.current {
                state.modal = Some(Modal::Filter {
                    text: text_input(&c.text_filter, "text to look for"),
                });
            }
            vec![]
        }
        Command::KindFilter => {
            if let Some(c) = state.current.as_mut() {
                c.kind_filter = c.kind_filter.next();
                c.scroll = 0;
            }
            vec![]
        }
        Command::ClearFilter => {
            if let Some(c) = state.current.as_mut() {
                c.kind_filter = Default::default();
                c.text_filter.clear();
                c.scroll = 0;
            }
            vec![]
        }
    }
}

fn navigate(state: &mut State, cmd: Command) {
    let page = state.size.1.saturating_sub(8).max(1) as usize;
    match state.current.as_mut() {
        None => {
            let n = state.listed().len();
            let last = n.saturating_sub(1);
            state.list_cursor = match cmd {
                Command::Up => state.list_cursor.saturating_sub(1),
                Command::Down => (state.list_cursor + 1).min(last),
                Command::PageUp => state.list_cursor.saturating_sub(page),
                Command::PageDown => (state.list_cursor + page).min(last),
                Command::Top => 0,
                _ => last,
            };
        }
        Some(c) if c.focus == Pane::Alerts => {
            let last = state.board.merged().len().saturating_sub(1);
            c.alert_cursor = match cmd {
                Command::Up => c.alert_cursor.saturating_sub(1),
                Command::Down => (c.alert_cursor + 1).min(last),
                Command::PageUp => c.alert_cursor.saturating_sub(page),
                Command::PageDown => (c.alert_cursor + page).min(last),
                Command::Top => 0,
                _ => last,
            };
        }
        Some(c) => {
            let max = c.visible().count().saturating_sub(1);
            c.scroll = match cmd {
                Command::Up => (c.scroll + 1).min(max),
                Command::Down => c.scroll.saturating_sub(1),
                Command::PageUp => (c.scroll + page).min(max),
                Command::PageDown => c.scroll.saturating_sub(page),
                Command::Top => max,
                _ => 0,
            };
        }
    }
}

fn open_editor(state: &mut State, purpose: Purpose) -> Vec<Effect> {
    let Some(c) = &state.current else {
        return vec![];
    };
    let initial = match &c.draft {
        Some(d) if d.purpose == purpose => d.text.clone(),
        _ => String::new(),
    };
    let placeholder = match purpose {
        Purpose::Note { .. } => "what you saw, suspect or decided",
        Purpose::StatusUpdate => "Conditions: …\nActions: …\nNeeds: …",
        Purpose::Resolve => "how it ended (optional)",
    };
    state.modal = Some(Modal::Editor {
        purpose,
        text: text_input(&initial, placeholder),
    });
    vec![]
}

fn open_picker(state: &mut State, kind: PickerKind) -> Vec<Effect> {
    let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref()) else {
        return vec![];
    };
    let (options, selected): (Vec<String>, usize) = match kind {
        PickerKind::Severity => (
            Severity::ALL
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            Severity::ALL
                .iter()
                .position(|s| *s == i.severity)
                .unwrap_or(0),
        ),
        PickerKind::Status => (
            Status::ALL
                .iter()
                .filter(|s| **s != Status::Resolved)
                .map(|s| s.as_str().to_string())
                .collect(),
            Status::ALL.iter().position(|s| *s == i.status).unwrap_or(0),
        ),
        PickerKind::Role => (
            Role::ALL.iter().map(|r| r.as_str().to_string()).collect(),
            0,
        ),
        PickerKind::Snooze => (vec!["2 minutes".into(), "5 minutes".into()], 0),
        PickerKind::Task => {
            let open: Vec<String> = i
                .open_tasks()
                .map(|t| format!("T{} {}: {}", t.id, t.person, t.what))
                .collect();
            if open.is_empty() {
                state.flash = Some(Flash {
                    text: "no open tasks".into(),
                    error: false,
                    at: i.updated_at,
                });
                return vec![];
            }
            (open, 0)
        }
    };
    state.modal = Some(Modal::Picker(Picker {
        kind,
        options,
        selected,
    }));
    vec![]
}

fn is_submit(key: &KeyEvent) -> bool {
    (key.code == KeyCode::Char('s') && key.modifiers.contains(KeyModifiers::CONTROL))
        || (key.code == KeyCode::Enter && key.modifiers.contains(KeyModifiers::ALT))
}

fn on_modal_key(state: &mut State, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(modal) = state.modal.take() else {
        return vec![];
    };
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    match modal {
        Modal::Help { scroll } => {
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    state.modal = Some(Modal::Help { scroll: scroll + 1 })
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    state.modal = Some(Modal::Help {
                        scroll: scroll.saturating_sub(1),
                    })
                }
                _ => {}
            }
            vec![]
        }
        Modal::Dependencies { scroll } => {
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    state.modal = Some(Modal::Dependencies { scroll: scroll + 1 })
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    state.modal = Some(Modal::Dependencies {
                        scroll: scroll.saturating_sub(1),
                    })
                }
                _ => {}
            }
            vec![]
        }
        Modal::AlertDetail(a) => {
            if !matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                state.modal = Some(Modal::AlertDetail(a));
            }
            vec![]
        }
        Modal::ExpireSilences(list) => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => match state.current.as_ref() {
                Some(c) => vec![Effect::ExpireSilences {
                    id: c.id.clone(),
                    silences: list,
                }],
                None => vec![],
            },
            _ => {
                flash(
                    state,
                    now,
                    "Silences left in place; they run out by themselves".into(),
                    false,
                );
                vec![]
            }
        },
        Modal::Silence(mut form) => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Tab | KeyCode::Down => {
                form.field = (form.field + 1) % 3;
                state.modal = Some(Modal::Silence(form));
                vec![]
            }
            KeyCode::BackTab | KeyCode::Up => {
                form.field = (form.field + 2) % 3;
                state.modal = Some(Modal::Silence(form));
                vec![]
            }
            KeyCode::Enter => submit_silence(state, form, now),
            _ => {
                match form.field {
                    0 => form.matchers.input(key),
                    1 => form.duration.input(key),
                    _ => form.comment.input(key),
                };
                state.modal = Some(Modal::Silence(form));
                vec![]
            }
        },
        Modal::ConfirmQuit => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                state.quit = true;
                vec![Effect::Quit]
            }
            _ => vec![],
        },
        Modal::DraftOffer(draft) => match key.code {
            KeyCode::Enter => open_editor(state, draft.purpose),
            KeyCode::Char('d') => {
                let id = state.current.as_mut().map(|c| {
                    c.draft = None;
                    c.id.clone()
                });
                id.map(|id| vec![Effect::DiscardDraft { id }])
                    .unwrap_or_default()
            }
            KeyCode::Esc => vec![],
            _ => {
                state.modal = Some(Modal::DraftOffer(draft));
                vec![]
            }
        },
        Modal::Editor { purpose, mut text } => {
            if key.code == KeyCode::Esc || ctrl_c {
                // Closing keeps what was typed: it is saved as a draft on every change.
                if text_of(&text).trim().is_empty() {
                    return discard_draft(state);
                }
                flash(
                    state,
                    now,
                    "Draft kept — open the same editor to continue it".into(),
                    false,
                );
                return vec![];
            }
            if is_submit(&key) {
                return submit_editor(state, purpose, text, now);
            }
            if purpose == Purpose::StatusUpdate
                && key.modifiers.contains(KeyModifiers::ALT)
                && let KeyCode::Char(d @ ('2' | '5')) = key.code
            {
                // Snoozing keeps the text: it is already saved as a draft.
                let minutes = if d == '2' { 2 } else { 5 };
                return append(state, Event::StatusUpdateSnoozed { minutes }, false);
            }
            if text.input(key) {
                let draft = Draft {
                    purpose,
                    text: text_of(&text),
                    saved_at: now,
                };
                state.modal = Some(Modal::Editor { purpose, text });
                if let Some(c) = state.current.as_mut() {
                    c.draft = Some(draft.clone());
                    return vec![Effect::SaveDraft {
                        id: c.id.clone(),
                        draft,
                    }];
                }
                return vec![];
            }
            state.modal = Some(Modal::Editor { purpose, text });
            vec![]
        }
        Modal::Picker(mut p) => {
            let n = p.options.len();
            match key.code {
                KeyCode::Esc => return vec![],
                KeyCode::Up | KeyCode::Char('k') => p.selected = p.selected.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => p.selected = (p.selected + 1).min(n - 1),
                KeyCode::Char(c) if c.is_ascii_digit() => {
                    let d = c as usize - '0' as usize;
                    if (1..=n).contains(&d) {
                        p.selected = d - 1;
                        return pick(state, p, now);
                    }
                }
                KeyCode::Enter => return pick(state, p, now),
                KeyCode::Char('x') if p.kind == PickerKind::Task => {
                    return match p.options.get(p.selected).and_then(|o| task_of(o)) {
                        Some(task) => append(state, Event::TaskCancelled { task }, false),
                        None => vec![],
                    };
                }
                _ => {}
            }
            state.modal = Some(Modal::Picker(p));
            vec![]
        }
        Modal::AssignPerson { role, mut person } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter => {
                let who = text_of(&person).trim().to_string();
                if who.is_empty() {
                    flash(state, now, "name the person to assign".into(), true);
                    state.modal = Some(Modal::AssignPerson { role, person });
                    return vec![];
                }
                append(state, Event::RoleAssigned { role, person: who }, false)
            }
            _ => {
                person.input(key);
                state.modal = Some(Modal::AssignPerson { role, person });
                vec![]
            }
        },
        Modal::Handoff { mut person } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter => {
                let to = text_of(&person).trim().to_string();
                let Some(c) = state.current.as_ref() else {
                    return vec![];
                };
                let Some(i) = c.incident.as_ref() else {
                    return vec![];
                };
                let event = Event::Handoff {
                    from: i.holder(Role::Commander).map(str::to_string),
                    to: to.clone(),
                    summary: handoff_summary(i, &c.entries, &to, now),
                };
                if let Err(r) = i.check(&event) {
                    flash(state, now, r.0, true);
                    state.modal = Some(Modal::Handoff { person });
                    return vec![];
                }
                append(state, event, false)
            }
            _ => {
                person.input(key);
                state.modal = Some(Modal::Handoff { person });
                vec![]
            }
        },
        Modal::Task(mut form) => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Tab | KeyCode::Down => {
                form.field = (form.field + 1) % 3;
                state.modal = Some(Modal::Task(form));
                vec![]
            }
            KeyCode::BackTab | KeyCode::Up => {
                form.field = (form.field + 2) % 3;
                state.modal = Some(Modal::Task(form));
                vec![]
            }
            KeyCode::Enter => submit_task(state, *form, now),
            _ => {
                match form.field {
                    0 => form.person.input(key),
                    1 => form.what.input(key),
                    _ => form.minutes.input(key),
                };
                state.modal = Some(Modal::Task(form));
                vec![]
            }
        },
        Modal::NewIncident {
            mut title,
            severity,
        } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Tab => {
                let i = Severity::ALL
                    .iter()
                    .position(|s| *s == severity)
                    .unwrap_or(0);
                let severity = Severity::ALL[(i + 1) % Severity::ALL.len()];
                state.modal = Some(Modal::NewIncident { title, severity });
                vec![]
            }
            KeyCode::BackTab => {
                let i = Severity::ALL
                    .iter()
                    .position(|s| *s == severity)
                    .unwrap_or(0);
                let severity = Severity::ALL[(i + Severity::ALL.len() - 1) % Severity::ALL.len()];
                state.modal = Some(Modal::NewIncident { title, severity });
                vec![]
            }
            KeyCode::Enter => {
                let t = text_of(&title).trim().to_string();
                if let Err(r) = crate::domain::check_opening(&t, None) {
                    flash(state, now, r.0, true);
                    state.modal = Some(Modal::NewIncident { title, severity });
                    return vec![];
                }
                state.saving += 1;
                vec![Effect::Create { title: t, severity }]
            }
            _ => {
                title.input(key);
                state.modal = Some(Modal::NewIncident { title, severity });
                vec![]
            }
        },
        Modal::Filter { mut text } => match key.code {
            KeyCode::Esc => {
                if let Some(c) = state.current.as_mut() {
                    c.text_filter.clear();
                }
                vec![]
            }
            KeyCode::Enter => vec![],
            _ => {
                text.input(key);
                if let Some(c) = state.current.as_mut() {
                    c.text_filter = text_of(&text);
                    c.scroll = 0;
                }
                state.modal = Some(Modal::Filter { text });
                vec![]
            }
        },
        Modal::Palette {
            mut query,
            mut selected,
        } => {
            let matches = palette_matches(state, &query);
            match key.code {
                KeyCode::Esc => return vec![],
                KeyCode::Enter => {
                    return match matches.get(selected) {
                        Some(cmd) => run(state, *cmd, now),
                        None => vec![],
                    };
                }
                KeyCode::Tab => {
                    if let Some(cmd) = matches.get(selected) {
                        query = cmd.name().to_string();
                        selected = 0;
                    }
                }
                KeyCode::Up => selected = selected.saturating_sub(1),
                KeyCode::Down => selected = (selected + 1).min(matches.len().saturating_sub(1)),
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
            state.modal = Some(Modal::Palette { query, selected });
            vec![]
        }
    }
}

/// Commands the palette offers here, best match first: the exact name, then names starting
/// with the query, containing it, or matching it as a subsequence; shorter names first.
pub fn palette_matches(state: &State, query: &str) -> Vec<Command> {
    let mode = state.mode();
    let read_only = state.current.as_ref().is_some_and(|c| !c.leading());
    let q = query.trim().to_lowercase();
    let mut scored: Vec<(u8, usize, Command)> = Command::ALL
        .iter()
        .copied()
        .filter(|c| available(*c, mode) && !(read_only && c.mutates()))
        .filter_map(|c| {
            let name = c.name();
            let score = if name == q {
                0
            } else if name.starts_with(&q) {
                1
            } else if name.contains(&q) {
                2
            } else if is_subsequence(&q, name) {
                3
            } else {
                return None;
            };
            // Among equals, the shortest name is the likeliest meant.
            Some((score, name.len(), c))
        })
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, _, c)| c).collect()
}

/// Whether a command means anything in this mode.
pub fn available(cmd: Command, mode: Mode) -> bool {
    match cmd {
        Command::Quit | Command::Help | Command::Palette => true,
        Command::Up
        | Command::Down
        | Command::PageUp
        | Command::PageDown
        | Command::Top
        | Command::Bottom => true,
        Command::Enter => true,
        Command::NewIncident | Command::ToggleResolved => mode == Mode::List,
        _ => mode == Mode::Incident,
    }
}

fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut h = hay.chars();
    needle.chars().all(|n| h.any(|c| c == n))
}

fn pick(state: &mut State, p: Picker, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref()) else {
        return vec![];
    };
    let chosen = p.options.get(p.selected).cloned().unwrap_or_default();
    let event = match p.kind {
        PickerKind::Severity => match chosen.parse::<Severity>() {
            Ok(to) if to != i.severity => Event::SeverityChanged {
                from: i.severity,
                to,
            },
            _ => return vec![],
        },
        PickerKind::Status => match chosen.parse::<Status>() {
            Ok(to) if to != i.status => Event::StatusChanged { from: i.status, to },
            _ => return vec![],
        },
        PickerKind::Snooze => Event::StatusUpdateSnoozed {
            minutes: if p.selected == 0 { 2 } else { 5 },
        },
        PickerKind::Task => match task_of(&chosen) {
            Some(task) => Event::TaskDone { task },
            None => return vec![],
        },
        PickerKind::Role => {
            let Ok(role) = chosen.parse::<Role>() else {
                return vec![];
            };
            state.modal = Some(Modal::AssignPerson {
                role,
                person: text_input("", "who"),
            });
            return vec![];
        }
    };
    let _ = now;
    append(state, event, false)
}

fn submit_editor(
    state: &mut State,
    purpose: Purpose,
    text: ratatui_textarea::TextArea<'static>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let body = text_of(&text);
    let trimmed = body.trim();
    let event = match purpose {
        Purpose::Note { note_kind } => Event::Note {
            kind: note_kind,
            text: trimmed.to_string(),
        },
        Purpose::StatusUpdate => Event::StatusUpdate {
            text: trimmed.to_string(),
        },
        Purpose::Resolve => Event::Resolved {
            summary: (!trimmed.is_empty()).then(|| trimmed.to_string()),
        },
    };
    if let Some(Err(r)) = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .map(|i| i.check(&event))
    {
        flash(state, now, r.0, true);
        state.modal = Some(Modal::Editor { purpose, text });
        return vec![];
    }
    append(state, event, true)
}

fn append(state: &mut State, event: Event, clears_draft: bool) -> Vec<Effect> {
    let Some(c) = state.current.as_ref() else {
        return vec![];
    };
    state.saving += 1;
    vec![Effect::Append {
        id: c.id.clone(),
        event,
        clears_draft,
    }]
}

fn discard_draft(state: &mut State) -> Vec<Effect> {
    match state.current.as_mut() {
        Some(c) if c.draft.is_some() => {
            c.draft = None;
            vec![Effect::DiscardDraft { id: c.id.clone() }]
        }
        _ => vec![],
    }
}

/// Pasted text goes into whatever text input is open, in one piece; elsewhere it is ignored
/// (a paste must never be read as a burst of commands).
fn on_paste(state: &mut State, text: &str, now: DateTime<Utc>) -> Vec<Effect> {
    match state.modal.as_mut() {
        Some(Modal::Editor {
            purpose,
            text: area,
        }) => {
            area.insert_str(text);
            let draft = Draft {
                purpose: *purpose,
                text: text_of(area),
                saved_at: now,
            };
            match state.current.as_mut() {
                Some(c) => {
                    c.draft = Some(draft.clone());
                    vec![Effect::SaveDraft {
                        id: c.id.clone(),
                        draft,
                    }]
                }
                None => vec![],
            }
        }
        Some(Modal::NewIncident { title: area, .. })
        | Some(Modal::AssignPerson { person: area, .. })
        | Some(Modal::Filter { text: area }) => {
            area.insert_str(text.replace(['\n', '\r'], " "));
            vec![]
        }
        _ => vec![],
    }
}

/// The task number of a picker line `T3 bob: …`.
fn task_of(option: &str) -> Option<u32> {
    option.strip_prefix('T')?.split(' ').next()?.parse().ok()
}

/// The status-update clock, once a second: at zero, open the prompt (pre-filled with what
/// changed) unless the leader is typing something else — then only the header flashes.
fn check_due(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
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
        let text = match &c.draft {
            Some(d) if d.purpose == Purpose::StatusUpdate => d.text.clone(),
            _ => status_update_draft(i, &c.entries, now),
        };
        state.modal = Some(Modal::Editor {
            purpose: Purpose::StatusUpdate,
            text: text_input(&text, ""),
        });
    }
    fx
}

fn submit_task(state: &mut State, form: TaskForm, now: DateTime<Utc>) -> Vec<Effect> {
    let person = text_of(&form.person).trim().to_string();
    let what = text_of(&form.what).trim().to_string();
    let within = crate::domain::parse_duration(&text_of(&form.minutes));
    let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref()) else {
        return vec![];
    };
    let event = match within {
        Ok(d) if d > chrono::Duration::zero() => Event::TaskAssigned {
            task: i.next_task_id(),
            person,
            what,
            due_at: now + d,
        },
        Ok(_) => {
            flash(state, now, "time box must be more than zero".into(), true);
            state.modal = Some(Modal::Task(Box::new(form)));
            return vec![];
        }
        Err(e) => {
            flash(state, now, format!("time box: {e}"), true);
            state.modal = Some(Modal::Task(Box::new(form)));
            return vec![];
        }
    };
    if let Err(r) = i.check(&event) {
        flash(state, now, r.0, true);
        state.modal = Some(Modal::Task(Box::new(form)));
        return vec![];
    }
    append(state, event, false)
}

/// The alert under the cursor in the alerts pane, when it has the focus.
fn selected_alert(state: &State) -> Option<crate::domain::Alert> {
    let c = state.current.as_ref().filter(|c| c.focus == Pane::Alerts)?;
    state.alert_rows().into_iter().nth(c.alert_cursor)
}

/// After new alert reports: if a linked alert fired or resolved, ask the journal worker to
/// record it (it decides again under the lock, so a change is recorded once).
fn observe_alerts(state: &State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(c) = state.current.as_ref().filter(|c| c.leading()) else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref() else {
        return vec![];
    };
    if i.linked_alerts.is_empty() || !state.alerts_complete() {
        return vec![];
    }
    let alerts = state.board.merged();
    match i.alert_changes(&alerts, now) {
        Some(_) => vec![Effect::ObserveAlerts {
            id: c.id.clone(),
            alerts,
        }],
        None => vec![],
    }
}

fn link_alert(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(a) = selected_alert(state) else {
        flash(
            state,
            now,
            "select an alert first (tab moves to the alerts)".into(),
            false,
        );
        return vec![];
    };
    let linked = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .is_some_and(|i| {
            i.linked_alerts
                .iter()
                .any(|l| l.alert.fingerprint == a.fingerprint)
        });
    let event = if linked {
        Event::AlertUnlinked {
            fingerprint: a.fingerprint.clone(),
        }
    } else {
        Event::AlertLinked {
            alert: crate::domain::AlertRef::of(&a),
            firing: a.is_firing(),
        }
    };
    append(state, event, false)
}

fn open_silence(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(a) = selected_alert(state) else {
        flash(
            state,
            now,
            "select an alert first (tab moves to the alerts)".into(),
            false,
        );
        return vec![];
    };
    let silenceable: Vec<String> = a
        .sources
        .iter()
        .filter(|s| !s.starts_with("prometheus"))
        .cloned()
        .collect();
    if silenceable.is_empty() {
        flash(
            state,
            now,
            "this alert comes only from Prometheus, which has no silences".into(),
            true,
        );
        return vec![];
    }
    // Prefilled with what identifies this alert, not every label: a silence that matches
    // only this one instance of the problem is rarely what the leader means.
    let keys = [
        "alertname",
        "service",
        "job",
        "instance",
        "cluster",
        "namespace",
    ];
    let matchers: Vec<String> = keys
        .iter()
        .filter_map(|k| a.label(k).map(|v| format!("{k}=\"{v}\"")))
        .collect();
    let (id, title) = match state.current.as_ref().and_then(|c| c.incident.as_ref()) {
        Some(i) => (i.id.clone(), i.title.clone()),
        None => return vec![],
    };
    state.modal = Some(Modal::Silence(Box::new(SilenceForm {
        sources: silenceable,
        matchers: text_input(&matchers.join(", "), "alertname=\"…\""),
        duration: text_input("1h", ""),
        comment: text_input(&format!("{id}: {title} (silenced by {})", state.me), ""),
        field: 0,
    })));
    vec![]
}

fn submit_silence(state: &mut State, form: Box<SilenceForm>, now: DateTime<Utc>) -> Vec<Effect> {
    let matchers: Vec<String> = text_of(&form.matchers)
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    let duration = crate::domain::parse_duration(&text_of(&form.duration));
    let comment = text_of(&form.comment).trim().to_string();
    let problem = if matchers.is_empty() {
        Some("a silence needs at least one matcher".to_string())
    } else if comment.is_empty() {
        Some("a silence needs a comment".to_string())
    } else {
        match &duration {
            Ok(d) if *d > chrono::Duration::zero() => None,
            Ok(_) => Some("duration must be more than zero".to_string()),
            Err(e) => Some(format!("duration: {e}")),
        }
    };
    if let Some(p) = problem {
        flash(state, now, p, true);
        state.modal = Some(Modal::Silence(form));
        return vec![];
    }
    let Some(c) = state.current.as_ref() else {
        return vec![];
    };
    vec![Effect::CreateSilence {
        id: c.id.clone(),
        sources: form.sources.clone(),
        matchers,
        ends_at: now + duration.unwrap_or_default(),
        comment,
    }]
}

/// After new alerts or metrics: if a service's state changed since the incident last
/// recorded it, ask the journal worker to record it (decided again under the lock).
fn observe_blast(state: &State) -> Vec<Effect> {
    let Some(c) = state.current.as_ref().filter(|c| c.leading()) else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref() else {
        return vec![];
    };
    if !state.blast_ready() || i.blast_changes(&state.blast).is_none() {
        return vec![];
    }
    vec![Effect::ObserveBlast {
        id: c.id.clone(),
        blast: state.blast.clone(),
    }]
}
