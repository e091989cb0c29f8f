//! The impact chart in the terminal (`I` on the incident screen): the most affected service's
//! key metric over the incident with ratatui's `Chart`, each milestone a vertical line numbered
//! on the row above the chart, the numbers explained under it. The same data as the SVG beside
//! the post-mortem ([`crate::postmortem::impact`]).

use super::pane;
use crate::charts::{ImpactChart, MilestoneKind, short_number};
use crate::console::theme::{Meaning, Theme};
use crate::domain::for_terminal_line;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Clear, Dataset, GraphType, Paragraph, Wrap};

fn meaning(kind: MilestoneKind) -> Meaning {
    match kind {
        MilestoneKind::Opened | MilestoneKind::Resolved => Meaning::Accent,
        MilestoneKind::Severity => Meaning::Critical,
        MilestoneKind::Action | MilestoneKind::Verified => Meaning::Ok,
        MilestoneKind::StatusUpdate => Meaning::Info,
    }
}

fn seconds(from: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    (t - from).num_milliseconds() as f64 / 1000.0
}

pub(super) fn render(chart: Option<&ImpactChart>, theme: &Theme, area: Rect, frame: &mut Frame) {
    let r = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    frame.render_widget(Clear, r);
    let title = match chart {
        Some(c) => format!(
            "Impact: {} — {} (any key closes)",
            for_terminal_line(&c.service),
            for_terminal_line(&c.metric)
        ),
        None => "Impact (any key closes)".to_string(),
    };
    let block = pane(&title, theme, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let Some(c) = chart else {
        frame.render_widget(
            Paragraph::new(
                "The journal holds no reading of an affected service's metric yet: the blast \
                 radius records one when a metric puts a service in a worse state, and its \
                 peak when the service gets better.",
            )
            .style(theme.style(Meaning::Text))
            .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let span = seconds(c.from, c.until).max(1.0);
    let segments = c.segments();
    let (bottom, top) = c.value_bounds();
    let marks: Vec<(usize, f64, &crate::charts::Milestone)> = c
        .milestones
        .iter()
        .filter(|m| m.at >= c.from && m.at <= c.until)
        .enumerate()
        .map(|(i, m)| (i + 1, seconds(c.from, m.at), m))
        .collect();

    // The legend: "1 10:02 opened SEV2", one after the other, wrapped between them (the
    // spaces within one are no-break spaces).
    let mut legend: Vec<Span> = Vec::new();
    for (n, _, m) in &marks {
        legend.push(Span::styled(format!("{n}"), theme.style(meaning(m.kind))));
        let item = format!(" {} {}", m.at.format("%H:%M"), for_terminal_line(&m.label));
        legend.push(Span::styled(
            item.replace(' ', "\u{a0}") + "   ",
            theme.style(Meaning::Text),
        ));
    }
    let legend = Paragraph::new(Line::from(legend)).wrap(Wrap { trim: true });
    let legend_rows = (legend.line_count(inner.width) as u16).min(inner.height / 3);
    let [ruler, plot, below] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(legend_rows),
    ])
    .areas(inner);

    let runs: Vec<Vec<(f64, f64)>> = segments
        .iter()
        .map(|run| run.iter().map(|(t, v)| (seconds(c.from, *t), *v)).collect())
        .collect();
    let lines: Vec<[(f64, f64); 2]> = marks
        .iter()
        .map(|(_, x, _)| [(*x, bottom), (*x, top)])
        .collect();
    let mut datasets: Vec<Dataset> = lines
        .iter()
        .zip(&marks)
        .map(|(line, (_, _, m))| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.style(meaning(m.kind)))
                .data(line)
        })
        .collect();
    for run in &runs {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(if run.len() == 1 {
                    GraphType::Scatter
                } else {
                    GraphType::Line
                })
                .style(theme.style(Meaning::Title))
                .data(run),
        );
    }
    let time = |s: f64| {
        (c.from + chrono::Duration::milliseconds((s * 1000.0) as i64))
            .format("%H:%M")
            .to_string()
    };
    let x_labels = vec![time(0.0), time(span / 2.0), time(span)];
    let y_labels = vec![
        short_number(bottom),
        short_number((bottom + top) / 2.0),
        short_number(top),
    ];
    let label_style = theme.style(Meaning::Muted);
    let y_width = y_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let x_first = x_labels[0].chars().count().saturating_sub(1);
    let chart_widget = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([0.0, span])
                .labels(x_labels)
                .style(label_style),
        )
        .y_axis(
            Axis::default()
                .bounds([bottom, top])
                .labels(y_labels)
                .style(label_style),
        )
        .style(Style::default());
    frame.render_widget(chart_widget, plot);

    // Where the chart draws time x: its graph starts after the y labels and the axis line,
    // and a braille cell holds two dots across (ratatui's layout and canvas mapping).
    let left = plot.x + (y_width.max(x_first) as u16).min(plot.width / 3) + 1;
    let width = plot.right().saturating_sub(left);
    let column = |x: f64| -> u16 {
        let dots = f64::from(width) * 2.0 - 1.0;
        left + ((x / span * dots).round() as u16) / 2
    };
    let buf = frame.buffer_mut();
    for (n, x, m) in &marks {
        let col = column(*x);
        let text = n.to_string();
        // A number already there (a milestone in the same column) keeps its place.
        if col < ruler.right() && buf[(col, ruler.y)].symbol() == " " {
            buf.set_string(col, ruler.y, &text, theme.style(meaning(m.kind)));
        }
    }
    frame.render_widget(legend, below);
}
