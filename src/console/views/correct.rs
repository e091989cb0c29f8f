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
    let inputs = [
        (0, text_label(form), form.text.as_ref()),
        (1, "When", form.at.as_ref()),
        (2, "Reason", Some(&form.reason)),
    ];
    for (n, name, input) in inputs {
        let Some(input) = input else { continue };
        let f = label(n, name, rows[row], frame);
        if form.field == n {
            frame.render_widget(input, f);
        } else {
            let shown = for_terminal_line(&input.lines().join(" ")).into_owned();
            frame.render_widget(Paragraph::new(shown), f);
        }
        row += 1;
    }
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
