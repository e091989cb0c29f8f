//! The loop: one task owns `State` and the terminal and waits on key presses, actions from the
//! journal worker, a 1 Hz clock (armed only while a countdown is on screen) and signals. It
//! drains everything pending, then draws once, and only if something changed: idle is idle.

use super::action::{Action, Effect};
use super::state::State;
use super::terminal::Tui;
use super::theme::Theme;
use super::update::update;
use super::views::render;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use std::sync::mpsc::Sender;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;

pub async fn run(
    terminal: &mut Tui,
    state: &mut State,
    theme: &Theme,
    worker: &Sender<Effect>,
    mut actions: UnboundedReceiver<Action>,
) -> std::io::Result<()> {
    let mut keys = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if let Ok(size) = terminal.size() {
        state.size = (size.width, size.height);
    }
    let mut dirty = true;
    loop {
        if dirty {
            draw(terminal, state, theme)?;
            dirty = false;
        }
        if state.quit {
            return Ok(());
        }
        let action = tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => Action::Key(k),
                Some(Ok(TermEvent::Resize(width, height))) => Action::Resize { width, height },
                Some(Ok(TermEvent::Paste(text))) => Action::Paste(text),
                Some(Ok(_)) => continue,
                // The terminal went away: leave as on SIGHUP.
                Some(Err(_)) | None => Action::Terminate,
            },
            Some(a) = actions.recv() => a,
            _ = clock.tick(), if state.countdown_visible() => Action::Tick,
            _ = sigterm.recv() => Action::Terminate,
            _ = sighup.recv() => Action::Terminate,
        };
        apply(state, action, worker);
        while let Ok(a) = actions.try_recv() {
            apply(state, a, worker);
        }
        dirty = true;
    }
}

fn apply(state: &mut State, action: Action, worker: &Sender<Effect>) {
    let now = chrono::Utc::now();
    for effect in update(state, action, now) {
        if effect == Effect::Quit {
            continue;
        }
        if worker.send(effect).is_err() {
            state.problems.push(
                "the journal worker stopped; nothing more can be recorded — restart warroom".into(),
            );
        }
    }
}

fn draw(terminal: &mut Tui, state: &State, theme: &Theme) -> std::io::Result<()> {
    let now = chrono::Utc::now();
    // Synchronized update: the terminal shows the whole frame at once, never half of one.
    let _ = execute!(std::io::stdout(), BeginSynchronizedUpdate);
    let result = terminal.draw(|f| render(state, theme, now, f)).map(|_| ());
    let _ = execute!(std::io::stdout(), EndSynchronizedUpdate);
    result
}
