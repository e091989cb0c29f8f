//! The roll call and the work board (`w`; tab switches): who is on the incident, who has
//! answered the last roll call and whose report is stale; then one line per person (roles,
//! open tasks with their countdowns, last check-in, time on the incident, relief) or per
//! sub-team, and the workstreams the call leader tracks directly.

use super::modal::{centered, hint};
use super::pane;
use crate::console::state::State;
use crate::console::text::{cut, more_hint, width, window};
use crate::console::theme::{Meaning, Theme};
use crate::domain::{
    Board, PersonLine, Report, SPAN_OF_CONTROL, TeamLine, board, clock, for_terminal_line,
    short_duration,
};
use chrono::{DateTime, Duration, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

pub fn render(
    state: &State,
    work: bool,
    scroll: u16,
    theme: &Theme,
    now: DateTime<Utc>,
    area: Rect,
    frame: &mut Frame,
) {
    let Some((id, incident)) = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref().map(|i| (c.id.as_str(), i)))
    else {
        return;
    };
    let b = board(incident, &state.roll_rules, now);
    let r = centered(
        area,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, r);
    let title = if work {
        format!("Work board — {id}")
    } else {
        format!("Roll call — {id}")
    };
    let block = pane(&title, theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [head, body, foot, keys] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let w = usize::from(inner.width);
    let (headline, meaning) = if work {
        work_headline(&b)
    } else {
        roll_headline(&b, now)
    };
    // Two rows, so the names of those not yet answering are read, not cut.
    let mut rows = crate::console::text::wrap(&for_terminal_line(&headline), w);
    if rows.len() > 2 {
        let rest = rows[1..].join(" ");
        rows.truncate(1);
        rows.push(cut(&rest, w).into_owned());
    }
    frame.render_widget(
        Paragraph::new(
            rows.into_iter()
                .map(|r| Line::styled(r, theme.style(meaning)))
                .collect::<Vec<_>>(),
        ),
        head,
    );
    let rows: Vec<Line> = if work {
        b.direct()
            .map(|p| work_line(p, theme, w))
            .chain(b.teams.iter().map(|t| team_line(t, theme, w)))
            .chain(
                incident
                    .paging
                    .awaited()
                    .into_iter()
                    .map(|p| paged_line(p, theme, w)),
            )
            .collect()
    } else {
        b.people
            .iter()
            .flat_map(|p| roll_lines(p, theme, w))
            .collect()
    };
    let total = rows.len();
    let height = usize::from(body.height);
    let (first, below) = window(total, height, usize::from(scroll));
    let mut lines: Vec<Line> = rows.into_iter().skip(first).take(height).collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            "nobody on the roll yet",
            theme.style(Meaning::Muted),
        ));
    }
    frame.render_widget(Paragraph::new(lines), body);
    let footnote = if first > 0 || below > 0 {
        more_hint(first, below)
    } else if work {
        format!(
            "check-ins stale after {}, relief after {}",
            short_duration(state.roll_rules.stale_after),
            short_duration(state.roll_rules.relief_after)
        )
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            cut(&footnote, w).into_owned(),
            theme.style(Meaning::Muted),
        )),
        foot,
    );
    let read_only = state.follow.is_some() || state.current.as_ref().is_some_and(|c| !c.leading());
    let mut k: Vec<(&str, &str)> = vec![("tab", if work { "roll call" } else { "work board" })];
    if !read_only && !incident.is_resolved() {
        k.push(("i", "check in"));
        k.push(("K", "call the roll"));
    }
    k.push(("↑↓", "scroll"));
    k.push(("esc", "close"));
    frame.render_widget(hint(theme, &k), keys);
}

fn roll_headline(b: &Board, now: DateTime<Utc>) -> (String, Meaning) {
    match &b.called {
        None => (
            format!(
                "{} on the roll; no roll called yet (K calls it)",
                b.people.len()
            ),
            Meaning::Muted,
        ),
        Some((at, by)) => {
            let waiting: Vec<&str> = b.waiting().map(|p| p.person.as_str()).collect();
            let answered = b.people.len() - waiting.len();
            let said = format!(
                "roll called by {by} at {} ({} ago): {answered} of {} answered",
                at.format("%H:%M"),
                short_duration(now - *at),
                b.people.len()
            );
            if waiting.is_empty() {
                (format!("{said}, everyone"), Meaning::Ok)
            } else {
                (
                    format!("{said}; waiting for {}", waiting.join(", ")),
                    Meaning::Warning,
                )
            }
        }
    }
}

fn work_headline(b: &Board) -> (String, Meaning) {
    let n = b.workstreams;
    if n > SPAN_OF_CONTROL {
        (
            format!(
                "{n} workstreams tracked directly — more than {SPAN_OF_CONTROL}: name a deputy or form sub-teams"
            ),
            Meaning::Warning,
        )
    } else {
        (
            format!("{n} workstreams tracked directly (at most {SPAN_OF_CONTROL})"),
            Meaning::Muted,
        )
    }
}

/// `name       roles       `: the first columns of both views.
fn who(p: &PersonLine, theme: &Theme, w: usize) -> Vec<Span<'static>> {
    let name_w = if w >= 100 { 14 } else { 10 };
    let roles_w = if w >= 100 { 16 } else { 11 };
    let roles: Vec<String> = p.roles.iter().map(|r| r.to_string()).collect();
    vec![
        Span::styled(pad(&p.person, name_w), theme.style(Meaning::Text)),
        Span::styled(pad(&roles.join(","), roles_w), theme.style(Meaning::Info)),
    ]
}

fn pad(s: &str, w: usize) -> String {
    let c = cut(&for_terminal_line(s), w.saturating_sub(1)).into_owned();
    let n = width(&c);
    format!("{c}{}", " ".repeat(w.saturating_sub(n)))
}

fn report(p: &PersonLine) -> (String, Meaning) {
    match (&p.report, &p.check_in) {
        (Report::Fresh(age), Some(c)) => (
            format!("{} ago  {}", short_duration(*age), c.summary()),
            Meaning::Text,
        ),
        (Report::Stale(age), Some(c)) => (
            format!("STALE {}  {}", short_duration(*age), c.summary()),
            Meaning::Critical,
        ),
        _ => ("no check-in".to_string(), Meaning::Muted),
    }
}

/// A person's rows in the roll call: the report wraps under its column (three rows at most),
/// so Actions and Needs are read, not cut.
fn roll_lines(p: &PersonLine, theme: &Theme, w: usize) -> Vec<Line<'static>> {
    let mut spans = who(p, theme, w);
    let (answer, meaning) = match p.answered {
        Some(true) => ("answered", Meaning::Ok),
        Some(false) => ("waiting", Meaning::Warning),
        None => ("", Meaning::Muted),
    };
    spans.push(Span::styled(pad(answer, 10), theme.style(meaning)));
    let indent: usize = spans.iter().map(|s| width(&s.content)).sum();
    let room = w.saturating_sub(indent).max(10);
    let (text, meaning) = report(p);
    let mut rows = crate::console::text::wrap(&for_terminal_line(&text), room);
    if rows.len() > 3 {
        let rest = rows[2..].join(" ");
        rows.truncate(2);
        rows.push(cut(&rest, room).into_owned());
    }
    let mut out = Vec::new();
    for (n, row) in rows.into_iter().enumerate() {
        let line = if n == 0 {
            let mut first = spans.clone();
            first.push(Span::styled(row, theme.style(meaning)));
            Line::from(first)
        } else {
            Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(row, theme.style(meaning)),
            ])
        };
        out.push(crate::console::text::cut_line(line, w));
    }
    out
}

fn countdown(left: Duration) -> String {
    if left < Duration::zero() {
        format!("overdue {}", clock(-left))
    } else {
        clock(left)
    }
}

fn work_line(p: &PersonLine, theme: &Theme, w: usize) -> Line<'static> {
    let mut spans = who(p, theme, w);
    let on = format!("on {}", short_duration(p.on_for));
    spans.push(Span::styled(
        pad(&on, 10),
        theme.style(if p.relief {
            Meaning::Warning
        } else {
            Meaning::Muted
        }),
    ));
    if p.relief {
        spans.push(Span::styled(
            "relief due  ".to_string(),
            theme.style(Meaning::Warning),
        ));
    }
    for (id, what, left) in &p.tasks {
        spans.push(Span::styled(
            format!("T{id} {} ", for_terminal_line(what)),
            theme.style(Meaning::Text),
        ));
        spans.push(Span::styled(
            format!("{}  ", countdown(*left)),
            theme.style(if *left < Duration::zero() {
                Meaning::Critical
            } else {
                Meaning::Accent
            }),
        ));
    }
    let (text, meaning) = report(p);
    spans.push(Span::styled(
        for_terminal_line(&text).into_owned(),
        theme.style(meaning),
    ));
    crate::console::text::cut_line(Line::from(spans), w)
}

/// Someone paged who has not checked in yet: awaited, on the board until they do.
fn paged_line(p: &crate::domain::Page, theme: &Theme, w: usize) -> Line<'static> {
    let name = crate::domain::with_handle(&p.person, &p.handle);
    let spans = vec![
        Span::styled(
            format!("{}  ", for_terminal_line(&name)),
            theme.style(Meaning::Text),
        ),
        Span::styled(
            for_terminal_line(&p.waiting_line()).into_owned(),
            theme.style(Meaning::Warning),
        ),
    ];
    crate::console::text::cut_line(Line::from(spans), w)
}

fn team_line(t: &TeamLine, theme: &Theme, w: usize) -> Line<'static> {
    let members = match t.members.len() {
        0 => String::new(),
        1 => ", 1 member".to_string(),
        n => format!(", {n} members"),
    };
    let tasks = match t.open_tasks {
        0 => String::new(),
        1 => ", 1 open task".to_string(),
        n => format!(", {n} open tasks"),
    };
    let spans = vec![
        Span::styled(
            format!("team {} ", for_terminal_line(&t.name)),
            theme.style(Meaning::Accent),
        ),
        Span::styled(
            format!("(lead {}{members}{tasks})  ", for_terminal_line(&t.lead)),
            theme.style(Meaning::Info),
        ),
        Span::styled(
            format!("{}  ", countdown(t.left)),
            theme.style(if t.left < Duration::zero() {
                Meaning::Critical
            } else {
                Meaning::Accent
            }),
        ),
        Span::styled(
            for_terminal_line(&t.goal).into_owned(),
            theme.style(Meaning::Text),
        ),
    ];
    crate::console::text::cut_line(Line::from(spans), w)
}
