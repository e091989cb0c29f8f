//! The reducer: `update(&mut State, Action, now) -> Vec<Effect>`. Pure: no I/O, no clock
//! reads, so every key sequence can be tested with a fixed clock. This file routes actions;
//! the submodules handle keys on screens, keys in modals, the status-update clock, and alerts.

use super::action::{Action, Draft, Effect, Lead, Purpose};
use super::keymap::{Chord, Command, Mode, Resolution};
use super::state::{
    Current, Detail, Flash, Modal, Pane, Picker, PickerKind, SilenceForm, State, TaskForm,
    text_input, text_of,
};
use crate::backends::webhook::UpdateMessage;
use crate::domain::{
    Event, Incident, NoteKind, Role, Severity, Status, handoff_summary, status_update_details,
    status_update_draft,
};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

mod actions;
mod alerts;
mod cadence;
mod commands;
mod corrections;
mod drill;
mod modals;
mod oncall;
mod pagerduty;
mod postmortem;
mod practice;
mod resolve;
mod roll;
pub mod write_back;

pub use actions::picker_matches as action_matches;
use alerts::*;
use cadence::*;
use commands::*;
pub use commands::{available, palette_matches, quit_asks, run};
use modals::*;
pub use practice::executive_due;
pub use roll::shown_notices;

pub fn update(state: &mut State, action: Action, now: DateTime<Utc>) -> Vec<Effect> {
    let effects = route(state, action, now);
    if state.follow.is_none() {
        return effects;
    }
    // A follower records nothing, whatever asked it to: the keys are already absent from
    // help and refused by the commands, and this is the last line of defence.
    let (kept, refused): (Vec<Effect>, Vec<Effect>) = effects
        .into_iter()
        .partition(|e| matches!(e, Effect::Quit | Effect::Bell | Effect::ExportCopy { .. }));
    if !refused.is_empty() {
        flash(
            state,
            now,
            "read-only: following a shared incident; nothing is recorded from here".into(),
            true,
        );
    }
    kept
}

fn route(state: &mut State, action: Action, now: DateTime<Utc>) -> Vec<Effect> {
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
        Action::LeadChanged { id, lead } => {
            let Some(c) = state.current.as_mut().filter(|c| c.id == id) else {
                return vec![];
            };
            let (text, error) = match &lead {
                Lead::Leading => (format!("you lead {id} now"), false),
                Lead::ReadOnly { holder } => (format!("{id} is led by {holder} now"), false),
                Lead::Unled => (
                    format!("nobody leads {id} now: esc, then enter, to lead it"),
                    false,
                ),
                Lead::Lost { holder: Some(h) } => (
                    format!("lead of {id} lost: {h} leads it now; read-only here"),
                    true,
                ),
                _ => (
                    format!("lead of {id} lost: read-only here until you enter it again"),
                    true,
                ),
            };
            c.lead = lead;
            flash(state, now, text, error);
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
                log: crate::domain::corrected_log(&entries),
                entries,
                incident,
                lead,
                scroll: 0,
                kind_filter: Default::default(),
                text_filter: String::new(),
                draft: draft.clone(),
                draft_unsaved: None,
                prompted_for: None,
                rung_for: None,
                focus: Pane::Log,
                alert_cursor: 0,
                resolve_answered: Vec::new(),
                blast_scroll: 0,
                practice: Default::default(),
                unshared: Vec::new(),
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
                    Some((e.seq, e.at, text.clone(), false))
                }
                Event::ExecutiveSummary { text } if e.by == state.me => {
                    Some((e.seq, e.at, format!("Executive summary: {text}"), true))
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
            let mut reviewed = if resolved_by_us {
                drill::on_resolved(state, &id, now)
            } else {
                vec![]
            };
            reviewed.extend(match (deliver, incident) {
                (Some((seq, at, text, false)), Some(i)) => vec![Effect::Deliver {
                    id: id.clone(),
                    message: UpdateMessage::new(&i, seq, at, &state.me, &text),
                }],
                (Some((seq, at, text, true)), Some(i)) => {
                    let mut message = UpdateMessage::new(&i, seq, at, &state.me, &text);
                    // Its own channels: not the PagerDuty notes the status updates go to.
                    message.pagerduty.clear();
                    vec![Effect::DeliverExecutive {
                        id: id.clone(),
                        message,
                    }]
                }
                _ => vec![],
            });
            reviewed
        }
        Action::Entries { id, entries } => {
            add_entries(state, &id, entries);
            vec![]
        }
        Action::StoreDown(why) => {
            state.store_down = why;
            vec![]
        }
        Action::Unshared { id, entries } => {
            if let Some(c) = state.current.as_mut().filter(|c| c.id == id) {
                c.unshared = entries;
            }
            vec![]
        }
        Action::Drained { id, entries, ours } => {
            // A status update typed while the store was gone goes out to chat now.
            let updates: Vec<(u64, DateTime<Utc>, String)> = entries
                .iter()
                .filter(|e| ours.contains(&e.seq) && e.by == state.me)
                .filter_map(|e| match &e.event {
                    Event::StatusUpdate { text } => Some((e.seq, e.at, text.clone())),
                    _ => None,
                })
                .collect();
            add_entries(state, &id, entries);
            let Some(i) = state
                .current
                .as_ref()
                .filter(|c| c.id == id)
                .and_then(|c| c.incident.clone())
            else {
                return vec![];
            };
            updates
                .into_iter()
                .map(|(seq, at, text)| Effect::Deliver {
                    id: id.clone(),
                    message: UpdateMessage::new(&i, seq, at, &state.me, &text),
                })
                .collect()
        }
        Action::PagerDutyListed { id, result } => pagerduty::listed(state, &id, result, now),
        Action::OnCallListed {
            id,
            service,
            result,
        } => oncall::listed(state, &id, service, result, now),
        Action::ExportFailed { id, reason } => {
            state.saving = state.saving.saturating_sub(1);
            flash(
                state,
                now,
                format!("{id}: post-mortem draft not written — {reason}"),
                true,
            );
            vec![]
        }
        Action::DraftSaved { id, error } => {
            if let Some(c) = state.current.as_mut().filter(|c| c.id == id) {
                c.draft_unsaved = error;
            }
            vec![]
        }
        Action::AppendFailed { id, reason } => {
            state.saving = state.saving.saturating_sub(1);
            // A dismissal refused shows its notice again.
            state.dismissing.clear();
            // "Kept" is said only of a draft on disk.
            let tail = match state.current.as_ref().filter(|c| c.id == id) {
                Some(c) if c.draft.is_some() => match &c.draft_unsaved {
                    None => " (your text is kept as a draft)".to_string(),
                    Some(why) => format!(
                        " (your text could not be saved as a draft either: {why}; it is only in this console until then — open the same editor to get it back)"
                    ),
                },
                _ => String::new(),
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
        Action::ReportLoaded(f) => {
            if matches!(state.modal, Some(Modal::Report(_))) {
                state.modal = Some(Modal::Report(Some(f)));
            }
            vec![]
        }
        Action::Corrected { message, error } => {
            flash(state, now, message, error);
            vec![]
        }
        Action::AlertReport(report) => {
            // The same alerts again (the usual poll during a long outage): nothing derived
            // from them changes, so nothing is merged, sorted or computed again.
            if report.apply(&mut state.board) {
                state.refresh_alerts();
            }
            let n = state.alert_rows().len();
            if let Some(c) = state.current.as_mut() {
                c.alert_cursor = c.alert_cursor.min(n.saturating_sub(1));
            }
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
        Action::Chain(look) => {
            state.watch.observe(look);
            vec![]
        }
        Action::Shared { id, text } => {
            if state.current.as_ref().is_some_and(|c| c.id == id) {
                state.modal = Some(Modal::Share { text });
            }
            vec![]
        }
        Action::Follow(event) => {
            on_follow(state, event, now);
            vec![]
        }
        Action::RunCommitted {
            id,
            local,
            run_id,
            entries,
        } => actions::committed(state, id, local, run_id, entries, now),
        Action::RunRefused { local, reason } => {
            actions::refused(state, local, reason, now);
            vec![]
        }
        Action::RunOutput { run_id, line } => {
            actions::output(state, &run_id, line);
            vec![]
        }
        Action::RunEnded {
            run_id,
            outcome,
            verifying,
        } => {
            actions::ended(state, &run_id, outcome, verifying, now);
            vec![]
        }
        Action::RunVerified { run_id, result } => {
            actions::verified(state, &run_id, result, now);
            vec![]
        }
        Action::Exported {
            path,
            findings,
            still_open,
            ..
        } => postmortem::exported(state, &path, findings, still_open, now),
        Action::CriteriaValues { id, at, values } => practice::readings(state, &id, at, values),
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
    // Grown by a little, not doubled: a long log's entries would otherwise take twice their
    // room after the first append.
    if c.entries.capacity() - c.entries.len() < entries.len() {
        c.entries
            .reserve_exact(entries.len() + c.entries.len() / 64);
    }
    for e in entries.into_iter().filter(|e| e.seq > last) {
        // A redacted entry's text leaves the screen too, here and on every follower.
        if let Event::Redacted { entry, .. } = &e.event
            && let Some(gone) = c.entries.iter_mut().find(|g| g.seq == *entry)
        {
            gone.event = Event::Expunged;
        }
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
    if c.entries.last().map_or(0, |e| e.seq) > last {
        // The old log is let go before the new one is built, so two are never held.
        drop(std::mem::take(&mut c.log));
        c.log = crate::domain::corrected_log(&c.entries);
    }
    roll::settle_dismissals(state);
}

fn flash(state: &mut State, now: DateTime<Utc>, text: String, error: bool) {
    state.flash = Some(Flash {
        text,
        error,
        at: now,
    });
}

fn append(state: &mut State, event: Event, clears_draft: bool) -> Vec<Effect> {
    let Some(c) = state.current.as_ref() else {
        return vec![];
    };
    // Defence in depth: the commands that lead here are refused already when not leading.
    if !c.leading() && !crate::domain::non_leader_may(&event) {
        return vec![];
    }
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

/// A follower's news: entries (checked already), the leader's views, the link's state.
fn on_follow(state: &mut State, event: crate::share::follower::FollowEvent, now: DateTime<Utc>) {
    use super::state::{FollowViews, Link};
    use crate::share::follower::FollowEvent;
    let Some(follow) = state.follow.as_mut() else {
        return;
    };
    match event {
        FollowEvent::Connected => follow.link = Link::Live,
        FollowEvent::Reconnecting { since, reason, .. } => {
            follow.link = Link::Reconnecting { since, reason }
        }
        FollowEvent::Stopped(why) => follow.link = Link::Stopped(why),
        FollowEvent::NoViews => follow.views = FollowViews::NotShared,
        FollowEvent::Views { alerts, blast } => {
            follow.views = FollowViews::Shared;
            let mut board = crate::domain::AlertBoard::with_sources(["leader"]);
            board.report_ok("leader", alerts, now);
            state.set_board(board);
            if let Some(b) = blast {
                state.blast = b;
            }
        }
        FollowEvent::Entries(entries) => {
            let (id, source) = (follow.id.clone(), follow.source.clone());
            if state.current.is_none() {
                let incident = Incident::fold(&id, &entries);
                state.current = Some(Current {
                    id,
                    log: crate::domain::corrected_log(&entries),
                    entries,
                    incident,
                    lead: Lead::Follower { source },
                    scroll: 0,
                    kind_filter: Default::default(),
                    text_filter: String::new(),
                    draft: None,
                    draft_unsaved: None,
                    prompted_for: None,
                    rung_for: None,
                    focus: Pane::Log,
                    alert_cursor: 0,
                    resolve_answered: Vec::new(),
                    blast_scroll: 0,
                    practice: Default::default(),
                    unshared: Vec::new(),
                });
                state.loaded = true;
            } else {
                add_entries(state, &id, entries);
            }
        }
    }
}
