//! The correction form (amend, retract, move a log entry; mark an incident a duplicate): the
//! entry it is about, its fields and the reason, then the question naming what will be
//! recorded.

use super::modal::{centered, hint};
use super::pane;
use crate::console::state::{CorrectForm, CorrectKind};
use crate::console::theme::{Meaning, Theme};
use crate::domain::for_terminal_line;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;

fn title(form: &CorrectForm) -> String {
    match form.kind {
        CorrectKind::Amend => format!("Amend #{}", form.seq),
        CorrectKind::Retract => format!("Retract #{}", form.seq),
        CorrectKind::Redact => format!("Redact #{}", form.seq),
        CorrectKind::Move => format!("Move #{} to another incident", form.seq),
        CorrectKind::Duplicate => format!("Mark {} a duplicate", form.id),
    }
}

fn text_label(form: &CorrectForm) -> &'static str {
    match form.kind {
        CorrectKind::Amend => "Text",
        CorrectKind::Move => "To",
        _ => "Of",
    }
}

/// A text field: the input itself while typed in, else its text on one line.
fn input(t: &TextArea<'static>, typing: bool, at: Rect, frame: &mut Frame) {
    if typing {
        frame.render_widget(t, at);
    } else {
        let shown = for_terminal_line(&t.lines().join(" ")).into_owned();
        frame.render_widget(Paragraph::new(shown), at);
    }
}

pub fn render(form: &CorrectForm, theme: &Theme, area: Rect, frame: &mut Frame) {
    let r = centered(area, 76, 9);
    frame.render_widget(Clear, r);
    let title = title(form);
    let block = pane(&title, theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let rows: [Rect; 7] = Layout::vertical([Constraint::Length(1); 7]).areas(inner);
    let what = Line::styled(
        for_terminal_line(&form.what).into_owned(),
        theme.style(Meaning::Muted),
    );
    frame.render_widget(Paragraph::new(what), rows[0]);
    if form.confirming {
        let q = match form.kind {
            CorrectKind::Amend => "Record this amendment? The original stays in the history.",
            CorrectKind::Retract => "Retract it? It stays in the log, struck through.",
            CorrectKind::Redact => "Redact it? Its text leaves the journal for good.",
            CorrectKind::Move => "Move it? It is recorded there and retracted here.",
            CorrectKind::Duplicate => "Close it as a duplicate and merge its timeline?",
        };
        frame.render_widget(
            Paragraph::new(q)
                .style(theme.style(Meaning::Accent))
                .wrap(Wrap { trim: false }),
            rows[2],
        );
        let reason = format!("Reason: {}", form.reason.lines().join(" "));
        frame.render_widget(
            Paragraph::new(for_terminal_line(&reason).into_owned()),
            rows[3],
        );
        frame.render_widget(
            hint(theme, &[("y", "record"), ("n esc", "edit again")]),
            rows[6],
        );
        return;
    }
    let label = |n: usize, text: &str, at: Rect, frame: &mut Frame| {
        let [l, f] = Layout::horizontal([Constraint::Length(9), Constraint::Fill(1)]).areas(at);
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
    let mut row = 2;
    if let Some(t) = form.text.as_ref() {
        let f = label(0, text_label(form), rows[row], frame);
        input(t, form.field == 0, f, frame);
        row += 1;
    }
    if let Some(t) = form.at.as_ref() {
        let f = label(1, "When", rows[row], frame);
        input(t, form.field == 1, f, frame);
        row += 1;
    }
    if let Some(k) = form.note_kind {
        let f = label(3, "Kind", rows[row], frame);
        let shown = if form.field == 3 {
            format!("‹ {k} ›  ←/→ to change")
        } else {
            k.to_string()
        };
        frame.render_widget(Paragraph::new(shown), f);
        row += 1;
    }
    let f = label(2, "Reason", rows[row], frame);
    input(&form.reason, form.field == 2, f, frame);
    frame.render_widget(
        hint(
            theme,
            &[
                ("tab", "next field"),
                ("enter", "on the reason: record"),
                ("esc", "cancel"),
            ],
        ),
        rows[6],
    );
}
