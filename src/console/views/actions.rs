//! Runbook actions on screen: the Actions pane (what the runbook offers, what runs now with
//! a spinner and its time, how each action last ended), and the modals of a run — picker,
//! parameters, the exact command before confirming, and the live output.

use super::modal::{centered, hint};
use super::pane;
use crate::actions::Stream;
use crate::console::runs::{ActionModal, VerifyState};
use crate::console::state::{Current, State};
use crate::console::theme::{Meaning, Theme};
use crate::domain::{ActionOutcome, ActionRun, VerifyResult, clock};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

fn spinner(now: DateTime<Utc>) -> &'static str {
    SPINNER[now.timestamp().rem_euclid(SPINNER.len() as i64) as usize]
}

/// Runs of the incident still going (from here or from `warroom run` elsewhere).
fn in_progress(c: &Current) -> Vec<&ActionRun> {
    c.incident
        .as_ref()
        .map(|i| i.action_runs.iter().filter(|r| r.in_progress()).collect())
        .unwrap_or_default()
}

pub fn render_pane(
    state: &State,
    c: &Current,
    theme: &Theme,
    now: DateTime<Utc>,
    area: Rect,
    frame: &mut Frame,
) {
    let running = in_progress(c);
    let verifying: Vec<&str> = state
        .actions
        .runs
        .iter()
        .filter(|r| r.incident == c.id && r.verify == VerifyState::Running)
        .map(|r| r.run_id.as_str())
        .collect();
    let title = match (running.len(), verifying.len()) {
        (0, 0) => "Actions".to_string(),
        (0, v) => format!("Actions — {v} verifying"),
        (n, _) => format!("Actions — {n} running"),
    };
    let block = pane(&title, theme, false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    // A follower runs nothing: its own runbook means nothing here, only the leader's runs.
    let follower = state.follow.is_some();
    if running.is_empty() && (follower || state.actions.runbook.actions.is_empty()) {
        lines.push(Line::styled(
            if follower {
                "no action running"
            } else {
                "no runbook — add runbook.toml"
            },
            theme.style(Meaning::Muted),
        ));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    for r in &running {
        let cancelling = state.actions.run(&r.run_id).is_some_and(|l| l.cancelling);
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", spinner(now)), theme.style(Meaning::Accent)),
            Span::styled(
                format!("{} {} ", r.run_id, r.action),
                theme.style(Meaning::Text),
            ),
            Span::styled(clock(now - r.started_at), theme.style(Meaning::Accent)),
            Span::styled(
                if cancelling {
                    " cancelling…"
                } else {
                    " running"
                },
                theme.style(Meaning::Warning),
            ),
        ]));
    }
    for run_id in &verifying {
        if let Some(r) = c
            .incident
            .as_ref()
            .and_then(|i| i.action_runs.iter().find(|r| r.run_id == *run_id))
        {
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", spinner(now)), theme.style(Meaning::Info)),
                Span::styled(
                    format!("{} {} verifying…", r.run_id, r.action),
                    theme.style(Meaning::Info),
                ),
            ]));
        }
    }
    let width = state
        .actions
        .runbook
        .actions
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for a in &state.actions.runbook.actions {
        let last = c.incident.as_ref().and_then(|i| {
            i.action_runs
                .iter()
                .rev()
                .find(|r| r.action == a.name && !r.dry_run)
        });
        let (text, meaning) = match last {
            None => ("—".to_string(), Meaning::Muted),
            Some(r) => (format!("{} {}", r.run_id, r.summary()), outcome_meaning(r)),
        };
        lines.push(Line::from(vec![
            Span::styled(
                if a.dangerous { "! " } else { "  " },
                theme.style(Meaning::Critical),
            ),
            Span::styled(
                format!("{:<width$} ", a.name, width = width),
                theme.style(Meaning::Text),
            ),
            Span::styled(text, theme.style(meaning)),
        ]));
    }
    let key = |cmd| {
        state
            .keymap
            .key_for(crate::console::keymap::Mode::Incident, cmd)
    };
    if inner.height as usize > lines.len()
        && let Some(k) = key(crate::console::keymap::Command::Actions)
    {
        let mut spans = vec![
            Span::styled(k, theme.style(Meaning::Accent)),
            Span::styled(" run an action", theme.style(Meaning::Muted)),
        ];
        if let Some(o) = key(crate::console::keymap::Command::ActionOutput)
            && state.actions.runs.iter().any(|r| r.incident == c.id)
        {
            spans.push(Span::styled("  ", theme.style(Meaning::Muted)));
            spans.push(Span::styled(o, theme.style(Meaning::Accent)));
            spans.push(Span::styled(" output", theme.style(Meaning::Muted)));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn outcome_meaning(r: &ActionRun) -> Meaning {
    match (&r.finished, &r.verification) {
        (None, _) => Meaning::Warning,
        (Some(_), Some(v)) if v.result == VerifyResult::Effective => Meaning::Ok,
        (Some(_), Some(_)) => Meaning::Warning,
        (Some(e), None) if e.outcome == ActionOutcome::Succeeded => Meaning::Ok,
        (Some(_), None) => Meaning::Critical,
    }
}

/// The Actions part of the one-line strip under the log on narrow screens.
pub fn strip(state: &State, c: &Current) -> String {
    let running = in_progress(c).len();
    let key = state
        .keymap
        .key_for(
            crate::console::keymap::Mode::Incident,
            crate::console::keymap::Command::Actions,
        )
        .unwrap_or_else(|| ":actions".into());
    match (running, state.actions.runbook.actions.len()) {
        (0, _) if state.follow.is_some() => "Actions: none running".to_string(),
        (0, 0) => "Actions: no runbook".to_string(),
        (0, n) => format!("Actions: {n} in runbook ({key})"),
        (n, _) => format!("Actions: {n} running"),
    }
}

pub fn render_modal(
    state: &State,
    m: &ActionModal,
    theme: &Theme,
    now: DateTime<Utc>,
    area: Rect,
    frame: &mut Frame,
) {
    match m {
        ActionModal::Picker { query, selected } => {
            picker(state, query, *selected, theme, area, frame)
        }
        ActionModal::Form(form) => {
            let h = (form.fields.len() as u16) * 2 + 4;
            let r = centered(area, 76, h);
            frame.render_widget(Clear, r);
            let title = format!("{} — parameters", form.action);
            let block = pane(&title, theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let mut rows = vec![Constraint::Length(2); form.fields.len()];
            rows.push(Constraint::Length(1));
            rows.push(Constraint::Length(1));
            let areas = Layout::vertical(rows).split(inner);
            for (n, f) in form.fields.iter().enumerate() {
                let [top, bottom] =
                    Layout::vertical([Constraint::Length(1), Constraint::Length(1)])
                        .areas(areas[n]);
                let [label, value] =
                    Layout::horizontal([Constraint::Length(14), Constraint::Fill(1)]).areas(top);
                let active = form.field == n;
                frame.render_widget(
                    Paragraph::new(format!("{}{}", if active { "›" } else { " " }, f.name)).style(
                        theme.style(if active {
                            Meaning::Accent
                        } else {
                            Meaning::Muted
                        }),
                    ),
                    label,
                );
                if f.options.is_empty() {
                    if active {
                        frame.render_widget(&f.input, value);
                    } else {
                        frame.render_widget(Paragraph::new(f.input.lines().join(" ")), value);
                    }
                } else {
                    let chosen = f.options.get(f.selected).cloned().unwrap_or_default();
                    frame.render_widget(
                        Paragraph::new(format!(
                            "‹ {chosen} ›  ({}/{})",
                            f.selected + 1,
                            f.options.len()
                        ))
                        .style(theme.style(if active {
                            Meaning::Selection
                        } else {
                            Meaning::Text
                        })),
                        value,
                    );
                }
                frame.render_widget(
                    Paragraph::new(format!("{:14}{}", "", f.hint))
                        .style(theme.style(Meaning::Muted)),
                    bottom,
                );
            }
            let err = areas[form.fields.len()];
            if let Some(e) = &form.error {
                frame.render_widget(
                    Paragraph::new(e.clone()).style(theme.style(Meaning::Critical)),
                    err,
                );
            }
            frame.render_widget(
                hint(
                    theme,
                    &[
                        ("tab", "next"),
                        ("←/→", "choose"),
                        ("enter", "review"),
                        ("esc", "cancel"),
                    ],
                ),
                areas[form.fields.len() + 1],
            );
        }
        ActionModal::Confirm(c) => {
            let body: Vec<Line> = c
                .preview
                .iter()
                .enumerate()
                .map(|(n, l)| {
                    let safe = sanitize(l);
                    if n == 0 {
                        Line::from(vec![
                            Span::styled("$ ", theme.style(Meaning::Muted)),
                            Span::styled(safe, theme.style(Meaning::Title)),
                        ])
                    } else {
                        Line::styled(format!("  {safe}"), theme.style(Meaning::Muted))
                    }
                })
                .collect();
            let h = body.len() as u16 + 7;
            let r = centered(area, 96, h);
            frame.render_widget(Clear, r);
            let title = if c.dangerous {
                format!("DANGEROUS — run {}?", c.action)
            } else {
                format!("Run {}?", c.action)
            };
            let block = pane(&title, theme, true);
            let inner = block.inner(r);
            frame.render_widget(block, r);
            let [text, _, ask, keys] = Layout::vertical([
                Constraint::Min(1),
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Length(1),
            ])
            .areas(inner);
            let mut lines = vec![Line::styled(
                "This will run exactly:",
                theme.style(Meaning::Muted),
            )];
            lines.extend(body);
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
            if c.dangerous {
                let [l, i] = Layout::horizontal([
                    Constraint::Length(c.action.chars().count() as u16 + 20),
                    Constraint::Fill(1),
                ])
                .areas(ask);
                frame.render_widget(
                    Paragraph::new(format!("Type {} to run it: ", c.action))
                        .style(theme.style(Meaning::Critical)),
                    l,
                );
                frame.render_widget(&c.typed, i);
                frame.render_widget(hint(theme, &[("enter", "run"), ("esc", "cancel")]), keys);
            } else if c.confirm {
                frame.render_widget(
                    Paragraph::new("Run it now?").style(theme.style(Meaning::Warning)),
                    ask,
                );
                frame.render_widget(hint(theme, &[("y", "run"), ("n/esc", "cancel")]), keys);
            } else {
                frame.render_widget(hint(theme, &[("enter", "run"), ("esc", "cancel")]), keys);
            }
        }
        ActionModal::Output { run_id, scroll } => {
            output(state, run_id, *scroll, theme, now, area, frame)
        }
    }
}

fn picker(
    state: &State,
    query: &str,
    selected: usize,
    theme: &Theme,
    area: Rect,
    frame: &mut Frame,
) {
    let matches = crate::console::update::action_matches(state, query);
    let h = (matches.len() as u16 + 4).clamp(6, area.height.saturating_sub(2));
    let r = centered(area, 80, h);
    frame.render_widget(Clear, r);
    let block = pane("Run an action", theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [q, list, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("› ", theme.style(Meaning::Accent)),
            Span::styled(query.to_string(), theme.style(Meaning::Text)),
            Span::styled("▏", theme.style(Meaning::Accent)),
        ])),
        q,
    );
    let width = matches
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = matches
        .iter()
        .enumerate()
        .map(|(n, a)| {
            let flags = if a.dangerous {
                "dangerous"
            } else if a.confirm {
                "confirm"
            } else {
                ""
            };
            let line = Line::from(vec![
                Span::styled(format!(" {:<width$} ", a.name), theme.style(Meaning::Text)),
                Span::styled(format!("{:<5}", a.kind.name()), theme.style(Meaning::Muted)),
                Span::styled(
                    format!("{flags:<10}"),
                    theme.style(if a.dangerous {
                        Meaning::Critical
                    } else {
                        Meaning::Warning
                    }),
                ),
                Span::styled(a.description.clone(), theme.style(Meaning::Muted)),
            ]);
            if n == selected {
                line.style(theme.style(Meaning::Selection))
            } else {
                line
            }
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            " no action matches",
            theme.style(Meaning::Muted),
        ));
    }
    let offset = selected.saturating_sub((list.height as usize).saturating_sub(1));
    frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), list);
    frame.render_widget(
        hint(
            theme,
            &[
                ("type", "filter"),
                ("↑↓", "choose"),
                ("enter", "next"),
                ("esc", "cancel"),
            ],
        ),
        keys,
    );
}

fn output(
    state: &State,
    run_id: &str,
    scroll: usize,
    theme: &Theme,
    now: DateTime<Utc>,
    area: Rect,
    frame: &mut Frame,
) {
    let r = centered(area, 110, area.height.saturating_sub(2));
    frame.render_widget(Clear, r);
    let run = state.actions.run(run_id);
    let title = match run {
        None => format!("{run_id} — no output here"),
        Some(l) => match (&l.ended, &l.verify) {
            (None, _) if l.cancelling => format!("{run_id} {} — cancelling…", l.action),
            (None, _) => format!(
                "{run_id} {} — running {} {}",
                l.action,
                clock(now - l.started_at),
                spinner(now)
            ),
            (Some((o, _)), VerifyState::Running) => {
                format!("{run_id} {} — {o}, verifying…", l.action)
            }
            (Some((o, _)), VerifyState::Done(v)) => format!("{run_id} {} — {o}, {v}", l.action),
            (Some((o, _)), VerifyState::None) => format!("{run_id} {} — {o}", l.action),
        },
    };
    let block = pane(&title, theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [cmd, body, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    if let Some(l) = run {
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("$ ", theme.style(Meaning::Muted)),
                Span::styled(sanitize(&l.command), theme.style(Meaning::Title)),
            ])),
            cmd,
        );
        let height = body.height as usize;
        let end = l.lines.len().saturating_sub(scroll);
        let start = end.saturating_sub(height);
        let mut lines: Vec<Line> = Vec::new();
        if start == 0 && l.dropped > 0 {
            lines.push(Line::styled(
                format!("… {} earlier lines not kept on screen", l.dropped),
                theme.style(Meaning::Muted),
            ));
        }
        for line in l.lines.range(start..end) {
            let (tag, meaning) = match line.stream {
                Stream::Stdout => ("  ", Meaning::Text),
                Stream::Stderr => ("! ", Meaning::Warning),
                Stream::Warroom => ("» ", Meaning::Accent),
            };
            lines.push(Line::from(vec![
                Span::styled(tag, theme.style(meaning)),
                Span::styled(sanitize(&line.text), theme.style(meaning)),
            ]));
        }
        if lines.is_empty() {
            lines.push(Line::styled("(no output yet)", theme.style(Meaning::Muted)));
        }
        frame.render_widget(Paragraph::new(lines), body);
        let mut k: Vec<(&str, &str)> = Vec::new();
        if l.ended.is_none() {
            k.push(("x", "cancel (kills its process group)"));
        }
        k.extend([("←/→", "other runs"), ("↑↓", "scroll"), ("esc", "close")]);
        frame.render_widget(hint(theme, &k), keys);
    }
}

/// Control characters would move the terminal's cursor: shown, never sent.
fn sanitize(s: &str) -> String {
    crate::domain::for_terminal_line(s).into_owned()
}
