//! One alert whole: its state, labels, annotations and link, wrapped to the popup's width and
//! scrolled by the arrow keys, with what it still holds said at its foot, so a long annotation
//! is never cut out of reach.

use super::modal::centered;
use super::pane;
use crate::console::keymap::{Command, Mode};
use crate::console::state::State;
use crate::console::theme::{Meaning, Theme};
use crate::domain::Alert;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// The popup's place on a screen of `area`.
fn place(area: Rect) -> Rect {
    centered(area, 90, area.height.saturating_sub(4))
}

/// The alert's text, wrapped between words (rows are counted at the popup's inner width).
fn text<'a>(state: &State, a: &'a Alert, theme: &Theme) -> Paragraph<'a> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled("state      ", theme.style(Meaning::Muted)),
            Span::raw(format!("{:?}", a.state).to_lowercase()),
        ]),
        Line::from(vec![
            Span::styled("since      ", theme.style(Meaning::Muted)),
            Span::raw(a.starts_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        ]),
        Line::from(vec![
            Span::styled("from       ", theme.style(Meaning::Muted)),
            Span::raw(a.sources.join(", ")),
        ]),
        Line::from(vec![
            Span::styled("fingerprint ", theme.style(Meaning::Muted)),
            Span::raw(a.fingerprint.clone()),
        ]),
    ];
    if let Some(u) = &a.generator_url {
        lines.push(Line::from(vec![
            Span::styled("source     ", theme.style(Meaning::Muted)),
            Span::styled(u.clone(), theme.style(Meaning::Accent)),
        ]));
    }
    if !a.silenced_by.is_empty() {
        lines.push(Line::styled(
            format!("silenced by {}", a.silenced_by.join(", ")),
            theme.style(Meaning::Warning),
        ));
    }
    lines.push(Line::styled("Labels", theme.style(Meaning::Title)));
    for (k, v) in &a.labels {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k}="), theme.style(Meaning::Muted)),
            Span::raw(v.to_string()),
        ]));
    }
    lines.push(Line::styled("Annotations", theme.style(Meaning::Title)));
    for (k, v) in &a.annotations {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k}: "), theme.style(Meaning::Muted)),
            Span::raw(v.to_string()),
        ]));
    }
    // The incident's keys for these, overrides included; absent where nothing is
    // recorded from here.
    let mut keys: Vec<(String, &str)> = Vec::new();
    let read_only = state.follow.is_some() || state.current.as_ref().is_some_and(|c| !c.leading());
    for (cmd, what) in [
        (Command::LinkAlert, "link/unlink"),
        (Command::Silence, "silence"),
    ] {
        if let Some(k) = state
            .keymap
            .key_for(Mode::Incident, cmd)
            .filter(|_| !read_only)
        {
            keys.push((k, what));
        }
    }
    // What the alert's sources take back (acknowledge, comment): only those.
    for (cmd, kind) in [
        (Command::Acknowledge, crate::domain::WriteBack::Acknowledge),
        (Command::Comment, crate::domain::WriteBack::Comment),
        (Command::CloseAlert, crate::domain::WriteBack::Close),
    ] {
        if read_only
            || crate::console::update::write_back::sources_taking(state, a, kind).is_empty()
        {
            continue;
        }
        if let Some(k) = state.keymap.key_for(Mode::Alert, cmd) {
            keys.push((k, kind.name()));
        }
    }
    keys.push(("esc".into(), "close"));
    lines.push(Line::styled(
        keys.iter()
            .map(|(k, what)| format!("{k} {what}"))
            .collect::<Vec<_>>()
            .join(" · "),
        theme.style(Meaning::Muted),
    ));
    Paragraph::new(lines).wrap(Wrap { trim: false })
}

/// Rows the text takes at the popup's inner width, and rows the popup shows.
fn rows(state: &State, a: &Alert, theme: &Theme, r: Rect) -> (usize, usize) {
    let inner_w = r.width.saturating_sub(2).max(1);
    let total = text(state, a, theme).line_count(inner_w);
    (total, usize::from(r.height.saturating_sub(2)))
}

/// The furthest the alert's text scrolls on a screen of `size` (columns, rows).
pub fn max_scroll(state: &State, a: &Alert, size: (u16, u16)) -> u16 {
    let r = place(Rect::new(0, 0, size.0, size.1));
    let (total, shown) = rows(state, a, &Theme::monochrome(), r);
    u16::try_from(total.saturating_sub(shown)).unwrap_or(u16::MAX)
}

pub fn render(state: &State, a: &Alert, scroll: u16, theme: &Theme, area: Rect, frame: &mut Frame) {
    let r = place(area);
    frame.render_widget(Clear, r);
    let (total, shown) = rows(state, a, theme, r);
    let (first, below) = crate::console::text::window(total, shown, usize::from(scroll));
    let title = format!("Alert {}", crate::domain::for_terminal_line(a.name()));
    let mut block = pane(&title, theme, true);
    let hint = crate::console::text::more_hint(first, below);
    if !hint.is_empty() {
        block = block.title_bottom(Span::styled(
            format!(" {hint} · ↑↓ scroll "),
            theme.style(Meaning::Muted),
        ));
    }
    let first = u16::try_from(first).unwrap_or(u16::MAX);
    frame.render_widget(text(state, a, theme).block(block).scroll((first, 0)), r);
}
