//! `:report`: the report's figures for the last 90 days in a popup, with sparklines of the
//! incidents per week and the median time to resolve per week.

use super::modal::centered;
use super::pane;
use crate::console::text::cut_lines;
use crate::console::theme::{Meaning, Theme};
use crate::postmortem::markdown::human;
use crate::report::Figures;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Sparkline};

/// The figures as lines: what the popup says in words.
pub fn lines(f: &Figures) -> Vec<String> {
    let mut out = vec![format!(
        "{} incidents in the last 90 days{}",
        f.incidents,
        if f.drills_left_out > 0 {
            format!(" ({} drill(s) left out)", f.drills_left_out)
        } else {
            String::new()
        }
    )];
    if let Some(n) = &f.note {
        out.push(n.clone());
    }
    let by: Vec<String> = f
        .by_severity
        .iter()
        .map(|c| format!("{} {}", c.severity.label(), c.incidents))
        .collect();
    out.push(by.join("  "));
    for r in &f.response {
        let m = |s: &Option<crate::report::Stat>| {
            s.as_ref().map_or("—".to_string(), |s| {
                format!("{} (p90 {})", human(s.median_seconds), human(s.p90_seconds))
            })
        };
        out.push(format!(
            "{}: engage {}  mitigate {}  resolve {}",
            r.severity.label(),
            m(&r.engage),
            m(&r.mitigate),
            m(&r.resolve)
        ));
    }
    let p = &f.punctuality;
    out.push(match p.on_time_percent {
        Some(pct) => format!(
            "Status updates on time: {pct}% ({} of {}){}",
            p.on_time,
            p.due,
            p.worst_late.as_ref().map_or(String::new(), |w| format!(
                ", worst {} late ({})",
                human(w.seconds),
                w.incident
            ))
        ),
        None => "No status update fell due.".into(),
    });
    out.push(format!(
        "Follow-ups open: {}{}",
        f.follow_ups.open,
        f.follow_ups
            .oldest_open
            .first()
            .map_or(String::new(), |o| format!(
                ", oldest {} #{} ({})",
                o.incident,
                o.seq,
                human(o.age_seconds)
            ))
    ));
    if let Some(a) = f.alerts.first() {
        out.push(format!(
            "Most frequent alert: {} in {} incidents, {}% actionable",
            a.alert, a.incidents, a.signal_percent
        ));
    }
    out
}

pub fn render(f: Option<&Figures>, theme: &Theme, area: Rect, frame: &mut Frame) {
    let r = centered(
        area,
        area.width.saturating_sub(4).min(100),
        area.height.saturating_sub(2).min(24),
    );
    frame.render_widget(Clear, r);
    let block = pane("Report: last 90 days (any key closes)", theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let Some(f) = f else {
        frame.render_widget(Paragraph::new("Reading every incident…"), inner);
        return;
    };
    let [text, label1, spark1, label2, spark2] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    let width = usize::from(inner.width);
    let words: Vec<Line> = lines(f).into_iter().map(Line::from).collect();
    frame.render_widget(Paragraph::new(cut_lines(words, width)), text);
    // The newest weeks that fit.
    let fit = usize::from(inner.width);
    let weeks = &f.weekly[f.weekly.len().saturating_sub(fit)..];
    let counts: Vec<u64> = weeks.iter().map(|w| w.incidents as u64).collect();
    let resolve: Vec<u64> = weeks
        .iter()
        .map(|w| w.median_resolve_seconds.map_or(0, |s| s.max(0) as u64))
        .collect();
    let muted = theme.style(Meaning::Muted);
    let most = counts.iter().max().copied().unwrap_or(0);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            format!("Incidents per week (most {most}), oldest left"),
            muted,
        ))),
        label1,
    );
    frame.render_widget(
        Sparkline::default()
            .data(&counts)
            .style(theme.style(Meaning::Accent)),
        spark1,
    );
    let longest = resolve.iter().max().copied().unwrap_or(0);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            format!(
                "Median time to resolve per week (longest {})",
                human(longest as i64)
            ),
            muted,
        ))),
        label2,
    );
    frame.render_widget(
        Sparkline::default()
            .data(&resolve)
            .style(theme.style(Meaning::Info)),
        spark2,
    );
}
