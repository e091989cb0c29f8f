//! Everything drawn on top of a screen: help, the command palette, the editor, pickers and
//! confirmations.

use super::pane;
use crate::console::keymap::Mode;
use crate::console::state::{Modal, State};
use crate::console::text::{cut_lines, wrap};
use crate::console::theme::{Meaning, Theme};
use crate::console::update::palette_matches;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

pub fn render(state: &State, modal: &Modal, theme: &Theme, area: Rect, frame: &mut Frame) {
    match modal {
        Modal::Correct(form) => super::correct::render(form, theme, area, frame),
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
                .map(|(n, o)| format!("{} {} {o}", marker(n == p.selected), n + 1))
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
            frame.render_widget(Paragraph::new(cut_lines(lines, inner.width.into())), inner);
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
        // Drawn by `views::render`, which knows the time (a run's clock, ages of check-ins).
        Modal::Action(_) | Modal::Board { .. } => {}
        Modal::CheckIn(form) => {
            let r = centered(area, 78, 6);
            frame.render_widget(Clear, r);
            let block = pane("Check in: Conditions, Actions, Needs", theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let rows: [Rect; 4] = Layout::vertical([Constraint::Length(1); 4]).areas(inner);
            form_fields(
                frame,
                theme,
                &rows,
                form.field,
                &[
                    ("I see", &form.conditions),
                    ("I do", &form.actions),
                    ("I need", &form.needs),
                ],
            );
            frame.render_widget(
                hint(
                    theme,
                    &[("tab", "next"), ("ctrl-s", "check in"), ("esc", "cancel")],
                ),
                rows[3],
            );
        }
        Modal::Report(f) => super::report::render(f.as_deref(), theme, area, frame),
        Modal::ConfirmRollCall => {
            let n = state
                .current
                .as_ref()
                .and_then(|c| c.incident.as_ref())
                .map_or(0, |i| i.roll.members.len());
            confirm(
                &format!(
                    "Call the roll? The {n} on it are asked to check in\n(Conditions, Actions, Needs)."
                ),
                &[("y", "call the roll"), ("any other key", "not now")],
                theme,
                area,
                frame,
            );
        }
        Modal::ConfirmPage { service, person } => {
            let name = crate::domain::with_handle(&person.name, &person.handle);
            let on_call = match person.level {
                0 if person.via.is_empty() => format!("On call for {service} now"),
                0 => format!("On call for {service} now ({})", person.via),
                level => format!("On call for {service} (level {level})"),
            };
            confirm(
                &crate::domain::for_terminal(&format!("Page {name}?\n{on_call}; asked to join.")),
                &[("y", "page"), ("any other key", "not now")],
                theme,
                area,
                frame,
            );
        }
        Modal::Dependencies { scroll } => {
            super::blast::render_dependencies(state, *scroll, theme, area, frame)
        }
        Modal::Impact(chart) => super::impact::render(chart.as_ref().as_ref(), theme, area, frame),
        Modal::AlertDetail(a, scroll) => {
            super::alert_detail::render(state, a, *scroll, theme, area, frame)
        }
        Modal::Detail(d) => super::detail::render(d, theme, area, frame),
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
        Modal::ConfirmResolve { wrong, .. } => {
            let q = format!(
                "Still wrong:\n{}\nResolve {} anyway?",
                wrong
                    .iter()
                    .map(|w| format!("  • {w}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                state.current.as_ref().map(|c| c.id.as_str()).unwrap_or(""),
            );
            confirm(
                &q,
                &[("y", "resolve, noting this"), ("any other key", "not yet")],
                theme,
                area,
                frame,
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
        Modal::Share { text } => share(text, theme, area, frame),
        Modal::WriteBack(form) => super::write_back::render(form, theme, area, frame),
        Modal::FollowUp(form) => super::followup::render(form, theme, area, frame),
        Modal::ConfirmQuit => confirm(
            &quit_question(state),
            &[("y", "quit"), ("any other key", "stay")],
            theme,
            area,
            frame,
        ),
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

/// The question before quitting: what quitting ends (the lead of an open incident, runs).
pub(super) fn quit_question(state: &State) -> String {
    let led = state
        .current
        .as_ref()
        .filter(|c| c.leading() && !c.incident.as_ref().is_some_and(|i| i.is_resolved()));
    let question = match led {
        Some(c) => format!("Stop leading {} and quit?", c.id),
        None => "Quit?".to_string(),
    };
    // Quitting stops what the runbook started here: say so before, not after.
    let runs = match state.actions.running().count() {
        0 => String::new(),
        1 => "\n1 action is running: quitting kills it.".into(),
        n => format!("\n{n} actions are running: quitting kills them."),
    };
    format!("{question}{runs}")
}

/// The share popup. A line that fits is never broken (a follow line over two rows pastes as
/// two commands); one that does not is broken where the row ends, keeping every character,
/// and the popup says so: the token is shown once and must never be cut.
fn share(text: &str, theme: &Theme, area: Rect, frame: &mut Frame) {
    use crate::console::text::{width, wrap_exact};
    let room = usize::from(area.width.saturating_sub(2));
    let mut rows: Vec<Line> = Vec::new();
    let mut broken = false;
    for line in text.lines() {
        let command = line.starts_with("warroom ");
        let words_fit = line
            .split(' ')
            .all(|w| width(w) + if command { 2 } else { 0 } <= room);
        if width(line) <= room {
            rows.push(Line::raw(line.to_string()));
        } else if command && words_fit {
            // Between words, each row but the last ended with a shell's line continuation:
            // pasted, the rows are still one command.
            let parts = wrap(line, room.saturating_sub(2));
            let last = parts.len().saturating_sub(1);
            rows.extend(
                parts
                    .into_iter()
                    .enumerate()
                    .map(|(n, p)| Line::raw(if n < last { format!("{p} \\") } else { p })),
            );
        } else if words_fit && !line.contains("://") {
            rows.extend(wrap(line, room).into_iter().map(Line::raw));
        } else {
            broken = true;
            rows.extend(wrap_exact(line, room).into_iter().map(Line::raw));
        }
    }
    if broken {
        rows.push(Line::styled(
            "(a line is broken to fit: join its rows, or widen the terminal)",
            theme.style(Meaning::Warning),
        ));
    }
    let widest = rows.iter().map(Line::width).max().unwrap_or(0);
    let w = u16::try_from(widest + 2).unwrap_or(u16::MAX);
    let h = u16::try_from(rows.len() + 2).unwrap_or(u16::MAX);
    let r = centered(area, w, h);
    frame.render_widget(Clear, r);
    let block = pane("Share read-only", theme, true);
    let rows = crate::console::text::cut_lines(rows, usize::from(r.width.saturating_sub(2)));
    frame.render_widget(Paragraph::new(rows).block(block), r);
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

/// Help's box on a screen of `area`: as wide as the screen allows, as tall as it needs.
fn help_area(state: &State, area: Rect) -> (Rect, Vec<Vec<(String, Meaning)>>) {
    let w = area.width.saturating_sub(4);
    let rows = help_rows(state, usize::from(w.saturating_sub(2)));
    let h = u16::try_from(rows.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    (centered(area, w, h), rows)
}

/// The furthest help scrolls on the console's screen.
pub fn help_max_scroll(state: &State) -> u16 {
    let (r, rows) = help_area(state, Rect::new(0, 0, state.size.0, state.size.1));
    u16::try_from(
        rows.len()
            .saturating_sub(usize::from(r.height.saturating_sub(2))),
    )
    .unwrap_or(u16::MAX)
}

/// Every key of this screen and of everywhere, one command a row (all its keys together),
/// the description wrapped between words under itself in `width` columns.
fn help_rows(state: &State, width: usize) -> Vec<Vec<(String, Meaning)>> {
    const KEYS: usize = 14;
    const NAME: usize = 18;
    // Descriptions beside the names when there is room, else under them.
    let beside = width >= KEYS + NAME + 24;
    let indent = if beside { KEYS + NAME } else { 4 };
    let desc_width = width.saturating_sub(indent).max(8);
    let mut out: Vec<Vec<(String, Meaning)>> = Vec::new();
    let entry = |keys: &str, name: &str, desc: &str, out: &mut Vec<Vec<(String, Meaning)>>| {
        let keys = format!("  {keys:<12}");
        let head = vec![
            (keys.clone(), Meaning::Accent),
            (format!("{name:<NAME$}"), Meaning::Text),
        ];
        let mut wrapped = wrap(desc, desc_width).into_iter();
        if beside || name.is_empty() {
            let mut first = head;
            if name.is_empty() {
                first.truncate(1);
                first[0].0 = format!("{:<width$}", keys, width = indent);
            }
            first.push((wrapped.next().unwrap_or_default(), Meaning::Muted));
            out.push(first);
        } else {
            out.push(head);
        }
        for rest in wrapped {
            out.push(vec![
                (" ".repeat(indent), Meaning::Muted),
                (rest, Meaning::Muted),
            ]);
        }
    };
    // In an incident, the alert details popup's own keys too.
    let modes: &[Mode] = match state.mode() {
        Mode::Incident if !state.write_backs.is_empty() => {
            &[Mode::Incident, Mode::Alert, Mode::Global]
        }
        m => &[m, Mode::Global],
    };
    for &mode in modes {
        out.push(vec![(
            match mode {
                Mode::Global => "Everywhere",
                Mode::List => "Incident list",
                Mode::Incident => "Incident",
                Mode::Alert => "In an alert's details",
            }
            .to_string(),
            Meaning::Title,
        )]);
        let mut rows: Vec<(String, crate::console::keymap::Command)> = Vec::new();
        for b in state.keymap.bindings(mode) {
            if state.refuses_here(b.command) {
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
            entry(&keys, cmd.name(), cmd.description(), &mut out);
        }
    }
    if !state.refuses_here(crate::console::keymap::Command::Note) {
        out.push(vec![("In an editor".to_string(), Meaning::Title)]);
        for (k, d) in [
            ("ctrl-s", "send"),
            ("esc", "close; the text is kept as a draft"),
            (
                "alt-i",
                "status update: insert the details the short draft leaves out",
            ),
            ("alt-2 alt-5", "status update: snooze it 2 or 5 minutes"),
        ] {
            entry(k, "", d, &mut out);
        }
    }
    out
}

fn help(state: &State, scroll: u16, theme: &Theme, area: Rect, frame: &mut Frame) {
    let (r, rows) = help_area(state, area);
    let shown = usize::from(r.height.saturating_sub(2));
    let (first, below) = crate::console::text::window(rows.len(), shown, usize::from(scroll));
    let foot = match crate::console::text::more_hint(first, below) {
        h if h.is_empty() => h,
        h => format!(" {h} "),
    };
    frame.render_widget(Clear, r);
    let block = pane("Keys (esc closes)", theme, true)
        .title_bottom(Span::styled(foot, theme.style(Meaning::Muted)));
    let lines: Vec<Line> = rows
        .into_iter()
        .skip(first)
        .take(shown)
        .map(|spans| {
            Line::from(
                spans
                    .into_iter()
                    .map(|(t, m)| Span::styled(t, theme.style(m)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let width = usize::from(r.width.saturating_sub(2));
    frame.render_widget(Paragraph::new(cut_lines(lines, width)).block(block), r);
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
            Span::styled(
                format!("{}{:<18}", marker(n == selected), cmd.name()),
                style,
            ),
            Span::styled(format!("{:<8}", key), theme.style(Meaning::Accent)),
            Span::styled(cmd.description(), theme.style(Meaning::Muted)),
        ]));
    }
    frame.render_widget(Paragraph::new(cut_lines(lines, inner.width.into())), inner);
}

/// The mark of the selected line in a list, so the selection shows without colour too.
pub(crate) fn marker(selected: bool) -> &'static str {
    if selected { "›" } else { " " }
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
