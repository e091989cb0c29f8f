//! Keys while something is open on top of the screen: editors, pickers, forms,
//! confirmations; and text pasted into them.

use super::*;

pub(super) fn is_submit(key: &KeyEvent) -> bool {
    (key.code == KeyCode::Char('s') && key.modifiers.contains(KeyModifiers::CONTROL))
        || (key.code == KeyCode::Enter && key.modifiers.contains(KeyModifiers::ALT))
}

pub(super) fn on_modal_key(state: &mut State, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(modal) = state.modal.take() else {
        return vec![];
    };
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    match modal {
        Modal::Help { scroll } => {
            let max = crate::console::views::help_max_scroll(state);
            let page = state.size.1.saturating_sub(6).max(1);
            let scroll = match key.code {
                KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(page),
                KeyCode::PageUp => scroll.saturating_sub(page),
                KeyCode::Home | KeyCode::Char('g') => 0,
                KeyCode::End | KeyCode::Char('G') => max,
                _ => return vec![],
            };
            state.modal = Some(Modal::Help {
                scroll: scroll.min(max),
            });
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
        // Any key closes the chart: `I` again, `esc`, or the next command.
        Modal::Impact(_) => vec![],
        Modal::Detail(mut d) => {
            let max = crate::console::views::detail::max_scroll(state.size, &d.text);
            let page = state.size.1.saturating_sub(6).max(1);
            d.scroll = match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => return vec![],
                KeyCode::Down | KeyCode::Char('j') => d.scroll.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => d.scroll.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => d.scroll.saturating_add(page),
                KeyCode::PageUp => d.scroll.saturating_sub(page),
                KeyCode::Home | KeyCode::Char('g') => 0,
                KeyCode::End | KeyCode::Char('G') => max,
                _ => d.scroll,
            }
            .min(max);
            state.modal = Some(Modal::Detail(d));
            vec![]
        }
        Modal::AlertDetail(a, scroll) => {
            // The popup's own keys (write-backs), then the incident's (overrides included),
            // acting on the alert shown.
            let pressed = [Chord::from_event(&key)];
            let cmd = match state.keymap.resolve(Mode::Alert, &pressed) {
                Resolution::Run(
                    cmd @ (Command::Acknowledge
                    | Command::Comment
                    | Command::ReviewActionable
                    | Command::ReviewNoise),
                ) => Some(cmd),
                _ => match state.keymap.resolve(Mode::Incident, &pressed) {
                    Resolution::Run(cmd @ (Command::LinkAlert | Command::Silence)) => Some(cmd),
                    _ => None,
                },
            };
            match cmd {
                Some(cmd) => {
                    if let Some(r) = refusal(state, cmd) {
                        flash(state, now, r, true);
                        state.modal = Some(Modal::AlertDetail(a, scroll));
                        return vec![];
                    }
                    if matches!(cmd, Command::ReviewActionable | Command::ReviewNoise) {
                        // The verdict is recorded and the details stay open.
                        let effects = super::alerts::review(state, Some((*a).clone()), cmd, now);
                        state.modal = Some(Modal::AlertDetail(a, scroll));
                        effects
                    } else if let Some(kind) = write_back::kind_of(cmd) {
                        let shown = (a.clone(), scroll);
                        let effects = write_back::open(state, Some(*a), kind, now);
                        if state.modal.is_none() {
                            // Refused (this source takes none): the details stay open.
                            state.modal = Some(Modal::AlertDetail(shown.0, shown.1));
                        }
                        effects
                    } else if cmd == Command::LinkAlert {
                        link_alert(state, Some(*a), now)
                    } else {
                        open_silence(state, Some(*a), now)
                    }
                }
                None if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) => {
                    vec![]
                }
                None => {
                    // A long alert scrolls, like a log entry shown whole.
                    let max =
                        crate::console::views::alert_detail::max_scroll(state, &a, state.size);
                    let page = state.size.1.saturating_sub(6).max(1);
                    let scroll = match key.code {
                        KeyCode::Down => scroll.saturating_add(1),
                        KeyCode::Up => scroll.saturating_sub(1),
                        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(page),
                        KeyCode::PageUp => scroll.saturating_sub(page),
                        KeyCode::Home => 0,
                        KeyCode::End => max,
                        _ => scroll,
                    }
                    .min(max);
                    state.modal = Some(Modal::AlertDetail(a, scroll));
                    vec![]
                }
            }
        }
        Modal::WriteBack(form) => write_back::on_key(state, form, key, now),
        Modal::CheckIn(form) => super::roll::on_check_in_key(state, form, key, now),
        Modal::ConfirmRollCall => super::roll::on_confirm_roll_call(state, key),
        Modal::ConfirmPage { service, person } => {
            super::oncall::on_confirm(state, service, *person, key, now)
        }
        // Any key closes the report.
        Modal::Report(_) => vec![],
        Modal::Board { work, scroll } => super::roll::on_board_key(state, work, scroll, key, now),
        Modal::ConfirmResolve { wrong, summary } => {
            super::resolve::on_key(state, wrong, summary, key, now)
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
        Modal::Share { text } => {
            let target = match (&state.share_base, &state.current) {
                (Some(b), Some(c)) => Some((b.clone(), c.id.clone())),
                _ => None,
            };
            match (key.code, target) {
                (KeyCode::Char('r'), Some((base, id))) => vec![Effect::Share {
                    id,
                    base,
                    rotate: true,
                    revoke: false,
                }],
                (KeyCode::Char('x'), Some((base, id))) => vec![Effect::Share {
                    id,
                    base,
                    rotate: false,
                    revoke: true,
                }],
                (KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q'), _) => vec![],
                _ => {
                    state.modal = Some(Modal::Share { text });
                    vec![]
                }
            }
        }
        Modal::ConfirmQuit => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                state.quit = true;
                vec![Effect::Quit]
            }
            _ => vec![],
        },
        Modal::Action(m) => super::actions::on_key(state, *m, key, now),
        Modal::FollowUp(form) => super::postmortem::on_follow_up_key(state, form, key, now),
        Modal::Correct(form) => super::corrections::on_key(state, form, key, now),
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
            if purpose == Purpose::StatusUpdate
                && key.modifiers.contains(KeyModifiers::ALT)
                && key.code == KeyCode::Char('i')
                && let Some(c) = state.current.as_ref()
                && let Some(i) = c.incident.as_ref()
            {
                // The details the short draft leaves out, inserted at the end.
                let details = status_update_details(i, &c.entries, now);
                text.move_cursor(ratatui_textarea::CursorMove::Bottom);
                text.move_cursor(ratatui_textarea::CursorMove::End);
                text.insert_str(format!("\n\n{}", details.trim_end()));
                return saved_edit(state, purpose, text, now);
            }
            if text.input(key) {
                return saved_edit(state, purpose, text, now);
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
                KeyCode::Char('x') if p.kind == PickerKind::Checklist => {
                    return super::practice::pick(state, p, true, now);
                }
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
                // Nothing typed: the role goes to whoever is at this console, as the field offers.
                let who = if who.is_empty() {
                    state.me.clone()
                } else {
                    who
                };
                let event = Event::RoleAssigned { role, person: who };
                if let Some(Err(r)) = state
                    .current
                    .as_ref()
                    .and_then(|c| c.incident.as_ref())
                    .map(|i| i.check(&event))
                {
                    flash(state, now, r.0, true);
                    state.modal = Some(Modal::AssignPerson { role, person });
                    return vec![];
                }
                append(state, event, false)
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

/// The editor after a change, its text saved as a draft (nothing typed is lost).
fn saved_edit(
    state: &mut State,
    purpose: Purpose,
    text: ratatui_textarea::TextArea<'static>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let typed = text_of(&text);
    state.modal = Some(Modal::Editor { purpose, text });
    save_draft(state, purpose, typed, now)
}

/// Keeps what an editor holds as the incident's draft, in memory and on disk.
fn save_draft(
    state: &mut State,
    purpose: Purpose,
    text: String,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let draft = Draft {
        purpose,
        text,
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

pub(super) fn pick(state: &mut State, p: Picker, now: DateTime<Utc>) -> Vec<Effect> {
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
        PickerKind::PagerDuty => return super::pagerduty::chosen(state, p.selected),
        PickerKind::OnCall => return super::oncall::chosen(state, p.selected),
        PickerKind::DecisionClose | PickerKind::Criteria | PickerKind::Checklist => {
            return super::practice::pick(state, p, false, now);
        }
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
                person: text_input("", &format!("{} (enter), or type a name", state.me)),
            });
            return vec![];
        }
    };
    let _ = now;
    append(state, event, false)
}

pub(super) fn submit_editor(
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
        Purpose::MissingAlert => Event::AlertMissing {
            text: trimmed.to_string(),
        },
        other => match super::practice::event_of(state, other, trimmed, now) {
            Ok(e) => e,
            Err(why) => {
                flash(state, now, why, true);
                state.modal = Some(Modal::Editor { purpose, text });
                return vec![];
            }
        },
    };
    // Resolving checks itself: with exit criteria unmet, the waiver comes first.
    if purpose == Purpose::Resolve {
        return super::resolve::submit(state, text, event, now);
    }
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

/// The task number of a picker line `T3 bob: …`.
pub(super) fn task_of(option: &str) -> Option<u32> {
    option.strip_prefix('T')?.split(' ').next()?.parse().ok()
}

pub(super) fn submit_task(state: &mut State, form: TaskForm, now: DateTime<Utc>) -> Vec<Effect> {
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

/// Pasted text goes into whatever text input is open, in one piece; elsewhere it is ignored
/// (a paste must never be read as a burst of commands).
pub(super) fn on_paste(state: &mut State, text: &str, now: DateTime<Utc>) -> Vec<Effect> {
    match state.modal.as_mut() {
        Some(Modal::Editor {
            purpose,
            text: area,
        }) => {
            area.insert_str(text);
            let (purpose, typed) = (*purpose, text_of(area));
            save_draft(state, purpose, typed, now)
        }
        Some(Modal::NewIncident { title: area, .. })
        | Some(Modal::AssignPerson { person: area, .. })
        | Some(Modal::Filter { text: area }) => {
            area.insert_str(text.replace(['\n', '\r'], " "));
            vec![]
        }
        Some(Modal::Action(m)) => {
            super::actions::on_paste(m, text);
            vec![]
        }
        Some(Modal::FollowUp(form)) => {
            super::postmortem::paste_follow_up(form, text);
            vec![]
        }
        Some(Modal::Correct(form)) => {
            super::corrections::paste(form, text);
            vec![]
        }
        Some(Modal::CheckIn(form)) => {
            super::roll::paste_check_in(form, text);
            vec![]
        }
        _ => vec![],
    }
}
