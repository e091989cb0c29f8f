//! Rendering: `render(&State, &Theme, now, &mut Frame)` is pure; one file per screen or modal.

mod actions;
pub mod alert_detail;
pub mod blast;
mod correct;
pub mod detail;
mod followup;
mod impact;
mod incident;
mod lines;
mod list;
mod modal;
mod practice;
mod report;
mod roll;
mod write_back;

pub use incident::entry_text;
pub use modal::help_max_scroll;

use super::keymap::{Command, Mode};
use super::state::{MIN_HEIGHT, MIN_WIDTH, State};
use super::theme::{Meaning, Theme};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn render(state: &State, theme: &Theme, now: DateTime<Utc>, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        // Keys do nothing here but quit (`update::on_key`): say so, and show the quit
        // question when it is asked.
        let quit = state
            .keymap
            .key_for(Mode::Global, Command::Quit)
            .unwrap_or_else(|| "ctrl-c".into());
        let tail = match &state.modal {
            Some(super::state::Modal::ConfirmQuit) => format!(
                "\n{}\ny quits, any other key stays",
                modal::quit_question(state)
            ),
            _ => format!("\n{quit} quits."),
        };
        let msg = format!(
            "Terminal too small: {}×{}.\nEnlarge to {MIN_WIDTH}×{MIN_HEIGHT}.{tail}",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme.style(Meaning::Warning))
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let status = status_lines(state, theme, now, area.width.into());
    let status_height = u16::try_from(status.len())
        .unwrap_or(u16::MAX)
        .min(area.height / 3);
    let [body, status_area, footer] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(status_height),
        Constraint::Length(1),
    ])
    .areas(area);
    match &state.current {
        Some(c) => incident::render(state, c, theme, now, body, frame),
        None => list::render(state, theme, now, body, frame),
    }
    frame.render_widget(
        lines::Lines::new(super::text::cut_lines(status, status_area.width.into())),
        status_area,
    );
    render_footer(state, theme, footer, frame);
    match &state.modal {
        // Action runs show their clock: rendered here, where the time is known.
        Some(super::state::Modal::Action(m)) => {
            actions::render_modal(state, m, theme, now, area, frame)
        }
        Some(super::state::Modal::Board { work, scroll }) => {
            roll::render(state, *work, *scroll, theme, now, area, frame)
        }
        Some(m) => modal::render(state, m, theme, area, frame),
        None => {}
    }
}

/// The newest three problems and the flash, each wrapped to `width` between words rather
/// than cut: a problem or a message is read whole where it stands.
fn status_lines(
    state: &State,
    theme: &Theme,
    now: DateTime<Utc>,
    width: usize,
) -> Vec<Line<'static>> {
    let blind = super::health::may_be_blind_text(&state.may_be_blind(now), state.current.is_none())
        .map(|t| (format!("⚠ {t}"), theme.style(Meaning::Warning)));
    let mut texts: Vec<(String, ratatui::style::Style)> = blind
        .into_iter()
        .chain(state.problems.iter().rev().take(3).map(|p| {
            (
                format!("⚠ {p}  (esc to dismiss)"),
                theme.style(Meaning::Warning),
            )
        }))
        .collect();
    // The practice's notice to the call leader, one at a time, until dismissed.
    if state.problems.is_empty() {
        let notices = super::update::shown_notices(state, now);
        if let Some(n) = notices.first() {
            let more = match notices.len() {
                1 => String::new(),
                k => format!(", {} more", k - 1),
            };
            texts.push((
                format!("⚑ {}  (esc dismisses{more})", n.text()),
                theme.style(Meaning::Warning),
            ));
        }
    }
    if let Some(f) = &state.flash {
        let style = theme.style(if f.error {
            Meaning::Critical
        } else {
            Meaning::Info
        });
        texts.push((f.text.clone(), style));
    }
    texts
        .into_iter()
        .flat_map(|(text, style)| {
            super::text::wrap(&text, width)
                .into_iter()
                .map(move |row| Line::styled(row, style))
        })
        .collect()
}

/// The incident screen's footer, most useful first: taking command only while this console's
/// user is not the commander (dropped with the first element).
const INCIDENT_KEYS: [Command; 16] = [
    Command::TakeCommand,
    Command::Note,
    Command::Hypothesis,
    Command::Decision,
    Command::StatusUpdate,
    Command::Severity,
    Command::Status,
    Command::Assign,
    Command::Resolve,
    Command::Dependencies,
    Command::Actions,
    Command::Share,
    Command::FollowUp,
    Command::Export,
    Command::Filter,
    Command::Back,
];

/// The keys that work right now, from the keymap itself.
fn render_footer(state: &State, theme: &Theme, area: Rect, frame: &mut Frame) {
    let mode = state.mode();
    let read_only = state.follow.is_some() || state.current.as_ref().is_some_and(|c| !c.leading());
    let resolved = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .is_some_and(|i| i.is_resolved());
    let commander = read_only
        || resolved
        || state
            .current
            .as_ref()
            .and_then(|c| c.incident.as_ref())
            .is_some_and(|i| i.holder(crate::domain::Role::Commander) == Some(state.me.as_str()));
    let alerts_focus = state
        .current
        .as_ref()
        .is_some_and(|c| c.focus == super::state::Pane::Alerts);
    let wanted: &[Command] = match mode {
        Mode::Incident if alerts_focus => &[
            Command::Enter,
            Command::LinkAlert,
            Command::Silence,
            Command::FocusNext,
            Command::Back,
        ],
        Mode::List => &[
            Command::Enter,
            Command::NewIncident,
            Command::ToggleResolved,
        ],
        // With no commander of mine, taking command comes first.
        _ if !commander => &INCIDENT_KEYS[..],
        _ => &INCIDENT_KEYS[1..],
    };
    let item = |cmd: &Command| {
        state
            .keymap
            .key_for(mode, *cmd)
            .map(|k| (k, short_name(*cmd, mode)))
    };
    let always: Vec<(String, &str)> = [Command::Palette, Command::Help, Command::Quit]
        .iter()
        .filter_map(item)
        .collect();
    let width = |items: &[(String, &str)]| -> usize {
        items
            .iter()
            .map(|(k, n)| k.chars().count() + n.chars().count() + 3)
            .sum()
    };
    // Keep help and quit in sight; the rest as far as the width allows, most useful first.
    let mut budget = (area.width as usize).saturating_sub(width(&always) + 9);
    let mut items: Vec<(String, &str)> = Vec::new();
    // Only what works here: a read-only view records nothing (a follower may still export
    // its own copy), a resolved incident only takes the post-mortem's follow-ups and export.
    for cmd in wanted.iter().filter(|c| {
        !c.mutates()
            || (state.follow.is_some() && c.follower_may())
            || (state.follow.is_none()
                && !state.refuses_here(**c)
                && (!resolved || c.after_resolution()))
    }) {
        if let Some(it) = item(cmd) {
            let w = width(std::slice::from_ref(&it));
            if w > budget {
                break;
            }
            budget -= w;
            items.push(it);
        }
    }
    items.extend(always);
    let mut spans: Vec<Span> = Vec::new();
    if state.saving > 0 {
        spans.push(Span::styled("saving… ", theme.style(Meaning::Warning)));
    }
    for (k, name) in items {
        spans.push(Span::styled(k, theme.style(Meaning::Accent)));
        spans.push(Span::styled(
            format!(" {name}  "),
            theme.style(Meaning::Muted),
        ));
    }
    frame.render_widget(lines::Lines::new(vec![Line::from(spans)]), area);
}

fn short_name(cmd: Command, mode: Mode) -> &'static str {
    match cmd {
        Command::Enter if mode == Mode::Incident => "details",
        Command::Enter => "open",
        Command::FocusNext => "log/alerts",
        Command::LinkAlert => "link",
        Command::NewIncident => "new",
        Command::ToggleResolved => "resolved",
        Command::StatusUpdate => "update",
        Command::Hypothesis => "hypo",
        Command::Severity => "sev",
        Command::Palette => "cmd",
        Command::Dependencies => "blast",
        Command::TakeCommand => "take command",
        other => other.name(),
    }
}

/// A bordered block with a title, in the theme's colours.
pub(crate) fn pane<'a>(title: &'a str, theme: &Theme, focus: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(if focus {
            Meaning::BorderFocus
        } else {
            Meaning::Border
        }))
        .title(Span::styled(
            format!(" {title} "),
            theme.style(Meaning::Title),
        ))
}
