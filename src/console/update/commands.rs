//! Keys in the screens: the keymap turns them into commands, and commands into state changes
//! and effects; the palette offers the same commands by name.

use super::*;

pub(super) fn on_key(state: &mut State, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    if state.too_small() {
        return on_key_too_small(state, key, now);
    }
    if state.modal.is_some() {
        return on_modal_key(state, key, now);
    }
    // Any key dismisses an old message; problems stay until `esc`.
    state.flash = None;
    if key.code == KeyCode::Esc && !state.problems.is_empty() && state.pending_keys.is_empty() {
        state.problems.clear();
        return vec![];
    }
    // Then the practice notice on screen, one per key; its dismissal is journaled.
    if key.code == KeyCode::Esc
        && state.pending_keys.is_empty()
        && let Some(effects) = super::roll::dismiss_notice(state, now)
    {
        return effects;
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

/// While the screen shows only "Terminal too small", nothing the user cannot see may happen:
/// every key is ignored but quit (and the answer to the quit question, which that screen
/// shows).
fn on_key_too_small(state: &mut State, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    state.pending_keys.clear();
    if matches!(state.modal, Some(Modal::ConfirmQuit)) {
        return on_modal_key(state, key, now);
    }
    match state
        .keymap
        .resolve(Mode::Global, &[Chord::from_event(&key)])
    {
        Resolution::Run(Command::Quit) => run(state, Command::Quit, now),
        _ => vec![],
    }
}

/// Why `cmd` may not record here, if it may not: following, led elsewhere, resolved.
pub(super) fn refusal(state: &State, cmd: Command) -> Option<String> {
    let mode = state.mode();
    // The report reads every incident of the store, which a follower does not have.
    if cmd == Command::Report && state.follow.is_some() {
        return Some(
            "the report reads every incident of the store: run it where the incidents are kept \
             (warroom report)"
                .to_string(),
        );
    }
    // A follower records nothing, even before its incident has arrived (list mode).
    if !(cmd.mutates() && (mode == Mode::Incident || state.follow.is_some())) {
        return None;
    }
    match &state.current {
        Some(c) if matches!(c.lead, Lead::Follower { .. }) => {
            Some(format!("{} is read-only here: you are following it", c.id))
        }
        Some(c) if !c.leading() && !cmd.open_to_all() => Some(match c.led_by() {
            Some(holder) => format!(
                "{} is read-only here (led by {holder}): only notes, hypotheses, status updates \
                 and task results are recorded from here",
                c.id
            ),
            None => format!(
                "{} is read-only here (not led from this console): only notes, hypotheses, \
                 status updates and task results are recorded from here",
                c.id
            ),
        }),
        Some(c)
            if !cmd.after_resolution()
                && c.incident.as_ref().is_some_and(Incident::is_resolved) =>
        {
            Some(format!("{} is resolved", c.id))
        }
        None if state.follow.is_some() => {
            Some("read-only: you are following a shared incident".to_string())
        }
        _ => None,
    }
}

/// Whether quitting should ask first: while leading an open incident, or while actions run.
pub fn quit_asks(state: &State) -> bool {
    let open_led = state
        .current
        .as_ref()
        .is_some_and(|c| c.leading() && !c.incident.as_ref().is_some_and(Incident::is_resolved));
    open_led || state.actions.running().next().is_some()
}

/// Runs a command from a key or the palette.
pub fn run(state: &mut State, cmd: Command, now: DateTime<Utc>) -> Vec<Effect> {
    let mode = state.mode();
    // A follower's export is a local copy: nothing is recorded, so the guard below is not
    // for it.
    if state.follow.is_some() && cmd.follower_may() && mode == Mode::Incident {
        return super::postmortem::export_copy(state, now);
    }
    if let Some(r) = refusal(state, cmd) {
        flash(state, now, r, true);
        return vec![];
    }
    match cmd {
        Command::Quit => {
            if quit_asks(state) {
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
                    state.modal = Some(Modal::AlertDetail(Box::new(a), 0));
                } else if let Some(d) = selected_entry(state) {
                    state.modal = Some(Modal::Detail(Box::new(d)));
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
        Command::LinkAlert => {
            let a = selected_alert(state);
            link_alert(state, a, now)
        }
        Command::Actions => super::actions::open_picker(state, now),
        Command::ActionOutput => super::actions::open_output(state, now),
        Command::Export => super::postmortem::export(state),
        Command::FollowUp => super::postmortem::open_follow_up(state),
        Command::PagerDuty => super::pagerduty::ask(state, now),
        Command::OnCall => super::oncall::ask(state, now),
        Command::Share => match (&state.share_base, &state.current) {
            (Some(base), Some(c)) => vec![Effect::Share {
                id: c.id.clone(),
                base: base.clone(),
                rotate: false,
                revoke: false,
            }],
            _ => {
                flash(
                    state,
                    now,
                    "to share, set [share] listen = \"127.0.0.1:7420\" in config.toml".into(),
                    true,
                );
                vec![]
            }
        },
        Command::Dependencies => {
            state.modal = Some(Modal::Dependencies { scroll: 0 });
            vec![]
        }
        Command::ImpactChart => {
            if let Some(c) = &state.current
                && let Some(incident) = &c.incident
            {
                let chart = crate::postmortem::impact::impact_chart(&c.entries, incident, now);
                state.modal = Some(Modal::Impact(Box::new(chart)));
            }
            vec![]
        }
        Command::CheckIn => super::roll::open_check_in(state),
        Command::RollCall => super::roll::ask_roll_call(state),
        Command::Board => {
            if state.current.is_some() {
                state.modal = Some(Modal::Board {
                    work: false,
                    scroll: 0,
                });
            }
            vec![]
        }
        Command::Propose => super::practice::propose(state),
        Command::Object => super::practice::object(state, now),
        Command::ExitCriteria => super::practice::criteria(state),
        Command::ExecutiveSummary => super::practice::executive(state),
        Command::Checklist => super::practice::checklist(state, now),
        Command::Review => super::drill::open(state, now),
        Command::Silence => {
            let a = selected_alert(state);
            open_silence(state, a, now)
        }
        Command::Amend
        | Command::Retract
        | Command::MoveEntry
        | Command::Redact
        | Command::MarkDuplicate => super::corrections::open(state, cmd, now),
        Command::MissingAlert => open_editor(state, Purpose::MissingAlert),
        Command::Report => {
            state.modal = Some(Modal::Report(None));
            vec![Effect::LoadReport {
                cadence: state.cadence,
                now,
            }]
        }
        Command::ReviewActionable | Command::ReviewNoise => {
            let a = selected_alert(state);
            super::alerts::review(state, a, cmd, now)
        }
        Command::Acknowledge | Command::Comment => {
            let a = selected_alert(state);
            match super::write_back::kind_of(cmd) {
                Some(kind) => super::write_back::open(state, a, kind, now),
                None => vec![],
            }
        }
        // A follower has only the incident it follows: nothing to go back to.
        Command::Back if state.follow.is_some() => vec![],
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
        Command::Resolve => super::resolve::start(state),
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
        Command::TakeCommand => take_command(state, now),
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

/// `C`: whoever is at this console becomes the commander, in one key.
fn take_command(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(c) = state.current.as_ref() else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref() else {
        return vec![];
    };
    if i.holder(Role::Commander) == Some(state.me.as_str()) {
        let text = format!("you are already commander of {}", c.id);
        flash(state, now, text, false);
        return vec![];
    }
    let event = Event::RoleAssigned {
        role: Role::Commander,
        person: state.me.clone(),
    };
    if let Err(r) = i.check(&event) {
        flash(state, now, r.0, true);
        return vec![];
    }
    append(state, event, false)
}

/// The log entry at the bottom of the log (the selected one), whole, with its history when it
/// was corrected, for the detail popup.
fn selected_entry(state: &State) -> Option<Detail> {
    let row = state.current.as_ref()?.selected_row()?;
    Some(super::corrections::detail(row))
}

pub(super) fn navigate(state: &mut State, cmd: Command) {
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
            let last = state.alerts_view.rows.len().saturating_sub(1);
            c.alert_cursor = match cmd {
                Command::Up => c.alert_cursor.saturating_sub(1),
                Command::Down => (c.alert_cursor + 1).min(last),
                Command::PageUp => c.alert_cursor.saturating_sub(page),
                Command::PageDown => (c.alert_cursor + page).min(last),
                Command::Top => 0,
                _ => last,
            };
        }
        Some(c) if c.focus == Pane::Blast => {
            let last = state.blast.affected().count().saturating_sub(1);
            c.blast_scroll = match cmd {
                Command::Up => c.blast_scroll.saturating_sub(1),
                Command::Down => (c.blast_scroll + 1).min(last),
                Command::PageUp => c.blast_scroll.saturating_sub(page / 2),
                Command::PageDown => (c.blast_scroll + page / 2).min(last),
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

pub(super) fn open_editor(state: &mut State, purpose: Purpose) -> Vec<Effect> {
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
        Purpose::Proposal => "roll back pricing to v41\n- fix forward\n- shed load",
        Purpose::Objection => "why not",
        Purpose::Amendment => "what was decided instead",
        Purpose::ExitCriterion => {
            "checkout errors: promql sum(rate(errors[5m])) < 0.01 for 15m — or a manual check"
        }
        Purpose::ExecutiveSummary => "for executives: impact, customers, what is next, when",
        Purpose::MissingAlert => "the alert that should have fired: what, on which signal",
    };
    state.modal = Some(Modal::Editor {
        purpose,
        text: text_input(&initial, placeholder),
    });
    vec![]
}

pub(super) fn open_picker(state: &mut State, kind: PickerKind) -> Vec<Effect> {
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
        // Offered once PagerDuty answers (`pagerduty::listed`), not from here.
        PickerKind::PagerDuty | PickerKind::OnCall => return vec![],
        // Built by `practice` from the incident's decisions, criteria and checklist.
        PickerKind::DecisionClose | PickerKind::Criteria | PickerKind::Checklist => {
            return vec![];
        }
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

/// Commands the palette offers here, best match first: the exact name, then names starting
/// with the query, containing it, or matching it as a subsequence; alphabetically within
/// each of these (so an empty query lists every command in alphabetical order).
pub fn palette_matches(state: &State, query: &str) -> Vec<Command> {
    let mode = state.mode();
    let q = query.trim().to_lowercase();
    let mut scored: Vec<(u8, &str, Command)> = Command::ALL
        .iter()
        .copied()
        .filter(|c| available(*c, mode) && !state.refuses_here(*c))
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
            Some((score, name, c))
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
        Command::NewIncident | Command::ToggleResolved | Command::MarkDuplicate => {
            mode == Mode::List
        }
        Command::Report => true,
        _ => mode == Mode::Incident,
    }
}

pub(super) fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut h = hay.chars();
    needle.chars().all(|n| h.any(|c| c == n))
}
