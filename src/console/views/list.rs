//! The incidents screen: what is open, how bad, who leads, when the next update is due.

use super::pane;
use crate::console::state::State;
use crate::console::text::cut;
use crate::console::theme::{Meaning, Theme};
use crate::domain::{clock, short_duration};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

pub fn render(state: &State, theme: &Theme, now: DateTime<Utc>, area: Rect, frame: &mut Frame) {
    let listed = state.listed();
    let title = if state.show_resolved {
        "Incidents (all)"
    } else {
        "Open incidents"
    };
    // A follower has no list: until its incident arrives, say how the link is doing (a
    // refused token must not look like a slow disk).
    if let Some(f) = &state.follow {
        use crate::console::state::Link;
        let (status, meaning) = match &f.link {
            Link::Connecting | Link::Live => ("connecting…".to_string(), Meaning::Muted),
            Link::Reconnecting { reason, .. } => {
                (format!("reconnecting… ({reason})"), Meaning::Warning)
            }
            Link::Stopped(why) => (format!("stopped: {why}"), Meaning::Critical),
        };
        let text = vec![
            Line::from(""),
            Line::styled(
                format!("  Following {} at {}", f.id, f.source),
                theme.style(Meaning::Text),
            ),
            Line::styled(format!("  {status}"), theme.style(meaning)),
        ];
        let block = pane("Following (read-only)", theme, true);
        frame.render_widget(
            Paragraph::new(text)
                .block(block)
                .wrap(ratatui::widgets::Wrap { trim: false }),
            area,
        );
        return;
    }
    let block = pane(title, theme, true);
    if !state.loaded {
        frame.render_widget(Paragraph::new("Reading incidents…").block(block), area);
        return;
    }
    if listed.is_empty() {
        let key = state
            .keymap
            .key_for(state.mode(), crate::console::keymap::Command::NewIncident)
            .unwrap_or_else(|| ":new-incident".into());
        let text = vec![
            Line::from(""),
            Line::styled("  No open incidents.", theme.style(Meaning::Ok)),
            Line::from(vec![
                Span::styled("  Press ", theme.style(Meaning::Muted)),
                Span::styled(key, theme.style(Meaning::Accent)),
                Span::styled(" to open one.", theme.style(Meaning::Muted)),
            ]),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    // The title takes what the other columns leave (and the gaps between the seven); what
    // does not fit is cut with "…", like every cut.
    let title_width = usize::from(area.width.saturating_sub(2)).saturating_sub(57 + 6);
    let rows = listed.iter().enumerate().map(|(n, i)| {
        let due = if i.is_resolved() {
            Span::styled("resolved", theme.style(Meaning::Muted))
        } else {
            match i.next_due(&state.cadence) {
                Some(due) if due <= now => Span::styled(
                    format!("OVERDUE {}", clock(now - due)),
                    theme.style(Meaning::Critical),
                ),
                Some(due) => Span::styled(
                    format!("in {}", clock(due - now)),
                    theme.style(Meaning::Text),
                ),
                None => Span::raw("-"),
            }
        };
        let row = Row::new(vec![
            Cell::from(format!(
                "{}{}",
                super::modal::marker(n == state.list_cursor),
                cut(&i.id, 8)
            )),
            Cell::from(Span::styled(i.severity.label(), theme.severity(i.severity))),
            Cell::from(i.status.as_str()),
            Cell::from(cut(&crate::domain::for_terminal_line(&i.title), title_width).into_owned()),
            Cell::from(cut(i.commander.as_deref().unwrap_or("—"), 10).into_owned()),
            Cell::from(short_duration(i.elapsed(now))),
            Cell::from(due),
        ]);
        if n == state.list_cursor {
            row.style(theme.style(Meaning::Selection))
        } else {
            row
        }
    });
    let header = Row::new([
        " ID",
        "SEV",
        "STATUS",
        "TITLE",
        "COMMANDER",
        "AGE",
        "NEXT UPDATE",
    ])
    .style(theme.style(Meaning::Muted));
    let table = Table::new(
        rows,
        [
            Constraint::Length(9),
            Constraint::Length(5),
            Constraint::Length(13),
            Constraint::Fill(1),
            Constraint::Length(10),
            Constraint::Length(6),
            Constraint::Length(14),
        ],
    )
    .header(header)
    .block(block);
    frame.render_widget(table, area);
}
