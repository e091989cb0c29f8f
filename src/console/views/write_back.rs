//! The acknowledge / comment / close form of an alert's details: the text to send, then the question
//! naming what will be written where.

use super::modal::{centered, hint};
use super::pane;
use crate::console::state::WriteBackForm;
use crate::console::theme::{Meaning, Theme};
use crate::domain::{WriteBack, for_terminal_line};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

pub fn render(form: &WriteBackForm, theme: &Theme, area: Rect, frame: &mut Frame) {
    let r = centered(area, 78, 8);
    frame.render_widget(Clear, r);
    let verb = match form.kind {
        WriteBack::Acknowledge => "Acknowledge",
        WriteBack::Comment => "Comment on",
        WriteBack::Silence => "Silence",
        WriteBack::Close => "Close",
    };
    let title = format!(
        "{verb} {} on {}",
        for_terminal_line(form.alert.name()),
        for_terminal_line(&form.sources.join(", "))
    );
    let block = pane(&title, theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [body, keys] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    if form.confirming {
        let text = crate::console::update::write_back::text(form);
        let q = Line::from(vec![Span::raw(format!(
            "{} {} on {} with:",
            verb,
            for_terminal_line(form.alert.name()),
            for_terminal_line(&form.sources.join(", "))
        ))]);
        let t = Line::styled(for_terminal_line(&text), theme.style(Meaning::Accent));
        frame.render_widget(Paragraph::new(vec![q, t]).wrap(Wrap { trim: false }), body);
        frame.render_widget(
            hint(theme, &[("y", form.kind.name()), ("n esc", "edit again")]),
            keys,
        );
    } else {
        frame.render_widget(&form.text, body);
        frame.render_widget(hint(theme, &[("enter", "next"), ("esc", "cancel")]), keys);
    }
}
