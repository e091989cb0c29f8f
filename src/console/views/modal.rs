//! Everything drawn on top of a screen: help, the command palette, the editor, pickers and
//! confirmations.

use super::pane;
use crate::console::keymap::Mode;
use crate::console::state::{Modal, State};
use crate::console::theme::{Meaning, Theme};
use crate::console::update::palette_matches;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

pub fn render(state: &State, modal: &Modal, theme: &Theme, area: Rect, frame: &mut Frame) {
    match modal {
        Modal::Help { scroll } => help(state, *scroll, theme, area, frame),
        Modal::Palette { query, selected } => palette(state, query, *selected, theme, area, frame),
        Modal::Editor { purpose, text } => {
            let r = centered(area, 76, 14);
            frame.render_widget(Clear, r);
            let block = pane(purpose.title(), theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let [edit, keys] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
            frame.render_widget(text, edit);
            let keys_text: &[(&str, &str)] =
                if *purpose == crate::console::action::Purpose::StatusUpdate {
                    &[
                        ("ctrl-s", "post"),
                        ("alt-i", "details"),
                        ("alt-2/alt-5", "snooze"),
                        ("esc", "later, keep draft"),
                    ]
                } else {
                    &[("ctrl-s", "send"), ("esc", "close, keep draft")]
                };
            frame.render_widget(hint(theme, keys_text), keys);
        }
        Modal::Picker(p) => {
            // As wide as its longest line (PagerDuty's incidents have titles), and scrolled
            // to the selection when there are more options than rows.
            let numbered: Vec<String> = p
                .options
                .iter()
                .enumerate()
                .map(|(n, o)| format!(" {} {o}", n + 1))
                .collect();
            let widest = numbered
                .iter()
                .map(|l| Line::from(l.as_str()).width())
                .chain([Line::from(p.kind.title()).width() + 4])
                .max()
                .unwrap_or(0);
            let w = u16::try_from(widest + 3).unwrap_or(u16::MAX).max(34);
            let r = centered(area, w, p.options.len() as u16 + 3);
            frame.render_widget(Clear, r);
            let block = pane(p.kind.title(), theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let rows = usize::from(inner.height.saturating_sub(1)).max(1);
            let first = p.selected.saturating_sub(rows - 1);
            let mut lines: Vec<Line> = numbered
                .into_iter()
                .enumerate()
                .skip(first)
                .take(rows)
                .map(|(n, o)| {
                    let style = if n == p.selected {
                        theme.style(Meaning::Selection)
                    } else {
                        theme.style(Meaning::Text)
                    };
                    Line::styled(o, style)
                })
                .collect();
            lines.push(Line::styled(
                " ↑↓ enter · esc cancel",
                theme.style(Meaning::Muted),
            ));
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Modal::NewIncident { title, severity } => {
            let r = centered(area, 70, 7);
            frame.render_widget(Clear, r);
            let block = pane("Open a new incident", theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let [t, s, _, k] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Length(1),
            ])
            .areas(inner);
            let [label, input] =
                Layout::horizontal([Constraint::Length(10), Constraint::Fill(1)]).areas(t);
            frame.render_widget(
                Paragraph::new("Title").style(theme.style(Meaning::Muted)),
                label,
            );
            frame.render_widget(title, input);
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled("Severity  ", theme.style(Meaning::Muted)),
                    Span::styled(format!(" {} ", severity.label()), theme.severity(*severity)),
                ])),
                s,
            );
            frame.render_widget(
                hint(
                    theme,
                    &[("tab", "severity"), ("enter", "open"), ("esc", "cancel")],
                ),
                k,
            );
        }
        Modal::AssignPerson { role, person } => {
            let r = centered(area, 50, 4);
            frame.render_widget(Clear, r);
            let title = format!("Who is {role}?");
            let block = pane(&title, theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let [i, k] =
                Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
            frame.render_widget(person, i);
            frame.render_widget(hint(theme, &[("enter", "assign"), ("esc", "cancel")]), k);
        }
        Modal::Handoff { person } => {
            let r = centered(area, 56, 5);
            frame.render_widget(Clear, r);
            let block = pane("Hand over command", theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let [q, i, k] = Layout::vertical([Constraint::Length(1); 3]).areas(inner);
            frame.render_widget(
                Paragraph::new("Who takes command? A handoff brief is recorded.")
                    .style(theme.style(Meaning::Muted)),
                q,
            );
            frame.render_widget(person, i);
            frame.render_widget(hint(theme, &[("enter", "hand over"), ("esc", "cancel")]), k);
        }
        Modal::Task(form) => {
            let r = centered(area, 64, 6);
            frame.render_widget(Clear, r);
            let block = pane("Hand out a task", theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let rows: [Rect; 4] = Layout::vertical([Constraint::Length(1); 4]).areas(inner);
            form_fields(
                frame,
                theme,
                &rows,
                form.field,
                &[
                    ("Who", &form.person),
                    ("What", &form.what),
                    ("Minutes", &form.minutes),
                ],
            );
            frame.render_widget(
                hint(
                    theme,
                    &[
                        ("tab", "next field"),
                        ("enter", "hand out"),
                        ("esc", "cancel"),
                    ],
                ),
                rows[3],
            );
        }
        Modal::Filter { text } => {
            let r = Rect {
                x: area.x,
                y: area.bottom().saturating_sub(2),
                width: area.width,
                height: 1,
            };
            frame.render_widget(Clear, r);
            let [l, i] = Layout::horizontal([Constraint::Length(8), Constraint::Fill(1)]).areas(r);
            frame.render_widget(
                Paragraph::new(" filter ").style(theme.style(Meaning::Accent)),
                l,
            );
            frame.render_widget(text, i);
        }
        // Drawn by `views::render`, which knows the time (a run's clock).
        Modal::Action(_) => {}
        Modal::Dependencies { scroll } => {
            super::blast::render_dependencies(state, *scroll, theme, area, frame)
        }
        Modal::AlertDetail(a) => {
            let r = centered(area, 90, area.height.saturating_sub(4));
            frame.render_widget(Clear, r);
            let title = format!("Alert {}", a.name());
            let block = pane(&title, theme, true);
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
            lines.push(Line::styled(
                "l link/unlink · m silence · esc close",
                theme.style(Meaning::Muted),
            ));
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                r,
            );
        }
        Modal::Silence(form) => {
            let r = centered(area, 78, 7);
            frame.render_widget(Clear, r);
            let title = format!("Silence on {}", form.sources.join(", "));
            let block = pane(&title, theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let rows: [Rect; 5] = Layout::vertical([Constraint::Length(1); 5]).areas(inner);
            form_fields(
                frame,
                theme,
                &rows,
                form.field,
                &[
                    ("Matchers", &form.matchers),
                    ("For", &form.duration),
                    ("Comment", &form.comment),
                ],
            );
            frame.render_widget(
                hint(
                    theme,
                    &[
                        ("tab", "next field"),
                        ("enter", "silence"),
                        ("esc", "cancel"),
                    ],
                ),
                rows[4],
            );
        }
        Modal::ExpireSilences(list) => {
            let q = format!(
                "{} silence{} created during this incident still run{}:\n{}\nExpire {} now?",
                list.len(),
                if list.len() == 1 { "" } else { "s" },
                if list.len() == 1 { "s" } else { "" },
                list.iter()
                    .map(|(s, id)| format!("  {id} on {s}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                if list.len() == 1 { "it" } else { "them" },
            );
            confirm(
                &q,
                &[("y", "expire"), ("any other key", "leave them")],
                theme,
                area,
                frame,
            );
        }
        Modal::Share { text } => {
            // Never wrapped: a follow line broken over two rows would paste as two commands.
            let lines = text.lines().count() as u16;
            let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0) as u16;
            let r = centered(area, widest + 2, lines + 2);
            frame.render_widget(Clear, r);
            let block = pane("Share read-only", theme, true);
            frame.render_widget(Paragraph::new(text.clone()).block(block), r);
        }
        Modal::FollowUp(form) => super::followup::render(form, theme, area, frame),
        Modal::ConfirmQuit => {
            let id = state.current.as_ref().map(|c| c.id.as_str()).unwrap_or("");
            // Quitting stops what the runbook started here: say so before, not after.
            let running = state.actions.running().count();
            let runs = match running {
                0 => String::new(),
                1 => "\n1 action is running: quitting kills it.".into(),
                n => format!("\n{n} actions are running: quitting kills them."),
            };
            confirm(
                &format!("Stop leading {id} and quit?{runs}"),
                &[("y", "quit"), ("any other key", "stay")],
                theme,
                area,
                frame,
            );
        }
        Modal::DraftOffer(d) => {
            let preview: String = d.text.chars().take(120).collect();
            let q = format!(
                "Unsent {} from {}:\n{}",
                d.purpose.title().to_lowercase(),
                d.saved_at.format("%H:%M:%S UTC"),
                preview
            );
            confirm(
                &q,
                &[("enter", "continue it"), ("d", "discard"), ("esc", "later")],
                theme,
                area,
                frame,
            );
        }
    }
}

fn confirm(question: &str, keys: &[(&str, &str)], theme: &Theme, area: Rect, frame: &mut Frame) {
    let lines = question.lines().count() as u16;
    let r = centered(area, 60, lines + 4);
    frame.render_widget(Clear, r);
    let block = pane("Confirm", theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [q, k] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(
        Paragraph::new(question.to_string()).wrap(Wrap { trim: false }),
        q,
    );
    frame.render_widget(hint(theme, keys), k);
}

pub(super) fn hint<'a>(theme: &Theme, keys: &[(&str, &str)]) -> Paragraph<'a> {
    let mut spans = Vec::new();
    for (k, what) in keys {
        spans.push(Span::styled(k.to_string(), theme.style(Meaning::Accent)));
        spans.push(Span::styled(
            format!(" {what}  "),
            theme.style(Meaning::Muted),
        ));
    }
    Paragraph::new(Line::from(spans))
}

fn help(state: &State, scroll: u16, theme: &Theme, area: Rect, frame: &mut Frame) {
    let r = centered(area, 72, area.height.saturating_sub(2));
    frame.render_widget(Clear, r);
    let block = pane("Keys (esc closes)", theme, true);
    let read_only = state.follow.is_some() || state.current.as_ref().is_some_and(|c| !c.leading());
    let mut lines = Vec::new();
    for mode in [state.mode(), Mode::Global] {
        lines.push(Line::styled(
            match mode {
                Mode::Global => "Everywhere",
                Mode::List => "Incident list",
                Mode::Incident => "Incident",
            },
            theme.style(Meaning::Title),
        ));
        // One row per command, all its keys together.
        let mut rows: Vec<(String, crate::console::keymap::Command)> = Vec::new();
        for b in state.keymap.bindings(mode) {
            if read_only
                && b.command.mutates()
                && !(state.follow.is_some() && b.command.follower_may())
            {
                continue;
            }
            match rows.iter_mut().find(|(_, c)| *c == b.command) {
                Some((keys, _)) => {
                    keys.push(' ');
                    keys.push_str(&b.keys_text());
                }
                None => rows.push((b.keys_text(), b.command)),
            }
        }
        for (keys, cmd) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<12}"), theme.style(Meaning::Accent)),
                Span::styled(format!("{:<16}", cmd.name()), theme.style(Meaning::Text)),
                Span::styled(cmd.description(), theme.style(Meaning::Muted)),
            ]));
        }
    }
    if !read_only {
        lines.push(Line::styled("In an editor", theme.style(Meaning::Title)));
        for (k, d) in [
            ("ctrl-s", "send"),
            ("esc", "close; the text is kept as a draft"),
            (
                "alt-i",
                "status update: insert the details the short draft leaves out",
            ),
            ("alt-2 alt-5", "status update: snooze it 2 or 5 minutes"),
        ] {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<12}"), theme.style(Meaning::Accent)),
                Span::styled(d, theme.style(Meaning::Muted)),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), r);
}

fn palette(
    state: &State,
    query: &str,
    selected: usize,
    theme: &Theme,
    area: Rect,
    frame: &mut Frame,
) {
    let matches = palette_matches(state, query);
    let height = (matches.len() as u16 + 3)
        .min(area.height.saturating_sub(2))
        .max(4);
    let r = Rect {
        height,
        ..centered(area, 60, height)
    };
    let r = Rect { y: area.y + 1, ..r };
    frame.render_widget(Clear, r);
    let block = pane("Command", theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let mut lines = vec![Line::from(vec![
        Span::styled(":", theme.style(Meaning::Accent)),
        Span::styled(query.to_string(), theme.style(Meaning::Text)),
        Span::styled("▏", theme.style(Meaning::Accent)),
    ])];
    if matches.is_empty() {
        lines.push(Line::styled("no such command", theme.style(Meaning::Muted)));
    }
    for (n, cmd) in matches.iter().enumerate() {
        let key = state.keymap.key_for(state.mode(), *cmd).unwrap_or_default();
        let style = if n == selected {
            theme.style(Meaning::Selection)
        } else {
            theme.style(Meaning::Text)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<16}", cmd.name()), style),
            Span::styled(format!("{:<8}", key), theme.style(Meaning::Accent)),
            Span::styled(cmd.description(), theme.style(Meaning::Muted)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A rectangle of at most `w`×`h` in the middle of `area`.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The labelled one-line fields of a form; the focused one is live and marked.
fn form_fields(
    frame: &mut Frame,
    theme: &Theme,
    rows: &[Rect],
    focused: usize,
    fields: &[(&str, &ratatui_textarea::TextArea<'static>)],
) {
    for (n, (label, input)) in fields.iter().enumerate() {
        let [l, f] =
            Layout::horizontal([Constraint::Length(10), Constraint::Fill(1)]).areas(rows[n]);
        let (style, marker) = if focused == n {
            (Meaning::Accent, "›")
        } else {
            (Meaning::Muted, " ")
        };
        frame.render_widget(
            Paragraph::new(format!("{marker}{label}")).style(theme.style(style)),
            l,
        );
        if focused == n {
            frame.render_widget(*input, f);
        } else {
            frame.render_widget(Paragraph::new(input.lines().join(" ")), f);
        }
    }
}
