//! The follow-up form: what to do after the incident, its type, and who owns it.

use super::modal::{centered, hint};
use super::pane;
use crate::console::state::FollowUpForm;
use crate::console::theme::{Meaning, Theme};
use crate::domain::FollowUpKind;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

pub fn render(form: &FollowUpForm, theme: &Theme, area: Rect, frame: &mut Frame) {
    let r = centered(area, 70, 6);
    frame.render_widget(Clear, r);
    let block = pane("Follow-up", theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let rows: [Rect; 4] = Layout::vertical([Constraint::Length(1); 4]).areas(inner);
    let label = |n: usize, text: &str, at: Rect, frame: &mut Frame| {
        let [l, f] = Layout::horizontal([Constraint::Length(8), Constraint::Fill(1)]).areas(at);
        let (style, marker) = if form.field == n {
            (Meaning::Accent, "›")
        } else {
            (Meaning::Muted, " ")
        };
        frame.render_widget(
            Paragraph::new(format!("{marker}{text}")).style(theme.style(style)),
            l,
        );
        f
    };
    for (n, name, input) in [(0, "What", &form.text), (2, "Owner", &form.owner)] {
        let f = label(n, name, rows[n], frame);
        if form.field == n {
            frame.render_widget(input, f);
        } else {
            frame.render_widget(Paragraph::new(input.lines().join(" ")), f);
        }
    }
    let f = label(1, "Type", rows[1], frame);
    let mut spans = Vec::new();
    for (n, k) in FollowUpKind::ALL.iter().enumerate() {
        let style = if *k == form.kind {
            theme.style(Meaning::Selection)
        } else {
            theme.style(Meaning::Muted)
        };
        // The chosen type is marked, not only coloured: ◉ chosen, ○ not.
        let mark = if *k == form.kind { "◉" } else { "○" };
        spans.push(Span::styled(format!(" {} {mark} {k} ", n + 1), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), f);
    frame.render_widget(
        hint(
            theme,
            &[
                ("tab", "next field"),
                ("←→", "type"),
                ("enter", "add"),
                ("esc", "cancel"),
            ],
        ),
        rows[3],
    );
}
