//! The practice on the incident screen: the open decision with its countdown for
//! objections, the exit criteria panel (which hold, for how long, which do not and why), the
//! executive summary's clock in the header, and the checklist's open items on one line.

use crate::console::state::{Current, State};
use crate::console::text::cut_lines;
use crate::console::theme::{Meaning, Theme};
use crate::domain::practice::{Criterion, ExitCheck};
use crate::domain::{Incident, clock, human_number, short_duration};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The open decision: proposal, countdown (or "time is up"), objections so far.
pub fn decision_lines<'a>(c: &Current, theme: &Theme, now: DateTime<Utc>) -> Vec<Line<'a>> {
    let Some(i) = c.incident.as_ref().filter(|i| !i.is_resolved()) else {
        return vec![];
    };
    let Some(d) = i.practice.open_decision() else {
        return vec![];
    };
    let left = d.remaining(now);
    let (when, style) = if left > chrono::Duration::zero() {
        (
            format!("any strong objections? {} left", clock(left)),
            Meaning::Warning,
        )
    } else {
        ("time is up — D closes it".to_string(), Meaning::Critical)
    };
    let objections = match d.objections.len() {
        0 => "no objection".to_string(),
        1 => "1 objection".to_string(),
        n => format!("{n} objections"),
    };
    // The clock and the objections first: the proposal is in the log whole, and is what a
    // narrow screen may cut.
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(" D{} PROPOSED ", d.id),
            theme.style(Meaning::Banner),
        ),
        Span::raw(" "),
        Span::styled(when, theme.style(style)),
        Span::styled(
            format!(" · {objections} (o) · "),
            theme.style(Meaning::Muted),
        ),
        Span::styled(
            d.proposal.lines().next().unwrap_or_default().to_string(),
            theme.style(Meaning::Text),
        ),
    ])];
    if let Some(o) = d.objections.last() {
        lines.push(Line::styled(
            format!(
                "   ✋ {}: {}",
                o.by,
                o.reason.lines().next().unwrap_or_default()
            ),
            theme.style(Meaning::Warning),
        ));
    }
    lines
}

/// The checklist's open items for the phase now, on one line; none once all are answered.
pub fn checklist_line<'a>(
    state: &State,
    c: &Current,
    theme: &Theme,
    now: DateTime<Utc>,
) -> Option<Line<'a>> {
    let i = c.incident.as_ref().filter(|_| c.leading())?;
    let open = state.practice.checklists.open_items(i, now);
    let (phase, _) = open.first()?;
    let items: Vec<&str> = open
        .iter()
        .filter(|(p, _)| p == phase)
        .map(|(_, item)| item.text.as_str())
        .collect();
    let more = open.len() - items.len();
    let tail = if more > 0 {
        format!(" (+{more} later)")
    } else {
        String::new()
    };
    Some(Line::styled(
        format!(" ☐ {phase}: {}{tail} — v", items.join(" · ")),
        theme.style(Meaning::Muted),
    ))
}

/// Rows the exit criteria panel takes: none without criteria, else its border and up to
/// five criteria.
pub fn criteria_height(c: &Current, height: u16) -> u16 {
    let n = c.incident.as_ref().map_or(0, |i| i.practice.criteria.len());
    if n == 0 || height < 20 {
        return u16::from(n > 0);
    }
    (n.min(5) as u16) + 2
}

/// The exit criteria: each one's state, with the value read and how long it has held.
pub fn criteria_panel(
    c: &Current,
    theme: &Theme,
    now: DateTime<Utc>,
    area: Rect,
    frame: &mut Frame,
) {
    let Some(i) = c.incident.as_ref() else {
        return;
    };
    let p = &i.practice;
    let held = p.criteria.iter().filter(|c| c.is_met()).count();
    let title = if p.all_met() && !i.is_resolved() {
        format!(
            "Exit criteria — all {} hold: S monitoring, R resolve",
            p.criteria.len()
        )
    } else {
        format!("Exit criteria — {held} of {} hold (X)", p.criteria.len())
    };
    if area.height == 1 {
        // A small screen: one line.
        let style = if p.all_met() {
            Meaning::Ok
        } else {
            Meaning::Warning
        };
        frame.render_widget(
            Paragraph::new(cut_lines(
                vec![Line::styled(format!(" {title}"), theme.style(style))],
                area.width.into(),
            )),
            area,
        );
        return;
    }
    let block = super::pane(&title, theme, false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut rows: Vec<&Criterion> = p.criteria.iter().collect();
    // Unmet first: what still stands between the call and "resolved".
    rows.sort_by_key(|c| (c.is_met(), c.id));
    let shown = inner.height as usize;
    let mut lines: Vec<Line> = rows
        .iter()
        .take(shown)
        .map(|crit| criterion_line(c, crit, theme, now))
        .collect();
    if rows.len() > shown && shown > 0 {
        lines.truncate(shown - 1);
        lines.push(Line::styled(
            format!(" +{} more (X)", rows.len() - (shown - 1)),
            theme.style(Meaning::Muted),
        ));
    }
    frame.render_widget(Paragraph::new(cut_lines(lines, inner.width.into())), inner);
}

fn criterion_line<'a>(
    c: &Current,
    crit: &Criterion,
    theme: &Theme,
    now: DateTime<Utc>,
) -> Line<'a> {
    let reading = c.practice.readings.get(&crit.id);
    let (mark, style) = if crit.is_met() {
        ("✓", Meaning::Ok)
    } else {
        ("✗", Meaning::Warning)
    };
    let state_text = match (&crit.check, crit.met_at) {
        (ExitCheck::Manual { .. }, Some(at)) => format!(
            "ticked by {} at {}",
            crit.met_by.as_deref().unwrap_or("?"),
            at.format("%H:%M")
        ),
        (ExitCheck::Manual { .. }, None) => "to check by hand".to_string(),
        (ExitCheck::Metric { .. }, met) => {
            let value = match reading {
                Some(r) => match (&r.error, r.value) {
                    (Some(e), _) => format!("not read: {e}"),
                    (None, Some(v)) => format!("now {}", human_number(v)),
                    (None, None) => "no value".to_string(),
                },
                None => "not read yet".to_string(),
            };
            let since = reading.and_then(|r| r.holding_since).or(crit.holding_since);
            match (met, since) {
                (Some(_), Some(s)) => format!("holds for {} · {value}", short_duration(now - s)),
                (Some(at), None) => format!("met at {} · {value}", at.format("%H:%M")),
                (None, Some(s)) => format!(
                    "holding {} of {} · {value}",
                    short_duration(now - s),
                    short_duration(crit.check.hold().unwrap_or_default())
                ),
                (None, None) => format!("does not hold · {value}"),
            }
        }
    };
    Line::from(vec![
        Span::styled(format!(" {mark} C{} ", crit.id), theme.style(style)),
        Span::styled(format!("{}  ", crit.check), theme.style(Meaning::Text)),
        Span::styled(state_text, theme.style(Meaning::Muted)),
    ])
}

/// The executive summary's clock, for the header: when it is owed, or how late.
pub fn executive_clock<'a>(
    state: &State,
    i: &Incident,
    theme: &Theme,
    now: DateTime<Utc>,
) -> Vec<Span<'a>> {
    match crate::console::update::executive_due(i, state.practice.executive_every) {
        None => vec![],
        Some(due) if due <= now => vec![
            Span::raw("  ·  "),
            Span::styled(
                format!(" EXEC SUMMARY OVERDUE {} (U) ", clock(now - due)),
                theme.style(Meaning::Critical),
            ),
        ],
        Some(due) => vec![Span::raw(format!(
            "  ·  exec summary in {}",
            clock(due - now)
        ))],
    }
}
