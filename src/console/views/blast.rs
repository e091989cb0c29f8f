//! The blast radius: affected services worst first with their evidence, key-metric sparkline
//! and time since first affected; and the dependency view, drawn as trees from the root
//! suspects out to the services at risk.

use super::pane;
use crate::console::state::{Current, State};
use crate::console::theme::{Meaning, Theme};
use crate::domain::{ServiceImpact, ServiceState, short_duration};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use std::collections::BTreeSet;

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` points as block characters scaled between their min and max.
pub fn sparkline(points: &[(DateTime<Utc>, f64)], width: usize) -> String {
    let values: Vec<f64> = points
        .iter()
        .rev()
        .take(width)
        .map(|(_, v)| *v)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if values.is_empty() {
        return String::new();
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    values
        .iter()
        .map(|v| {
            if (hi - lo).abs() < f64::EPSILON {
                BLOCKS[0]
            } else {
                BLOCKS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

pub fn state_style(s: ServiceState) -> (&'static str, Meaning) {
    match s {
        ServiceState::Down => ("✖ DOWN", Meaning::Critical),
        ServiceState::Degraded => ("▲ DEGR", Meaning::Warning),
        ServiceState::AtRisk => ("◆ RISK", Meaning::Info),
        ServiceState::Ok => ("● OK  ", Meaning::Ok),
    }
}

fn fmt_value(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn since(c: &Current, s: &ServiceImpact, now: DateTime<Utc>) -> String {
    c.incident
        .as_ref()
        .and_then(|i| i.first_affected.get(&s.name))
        .map(|t| short_duration(now - *t))
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
    let affected: Vec<&ServiceImpact> = state.blast.affected().collect();
    let title = if affected.is_empty() {
        "Blast radius".to_string()
    } else {
        format!(
            "Blast radius — {} affected{}",
            affected.len(),
            if state.blast.customers_affected() {
                ", CUSTOMERS"
            } else {
                ""
            }
        )
    };
    let block = pane(&title, theme, false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(note) = state.follow.as_ref().and_then(|f| f.views.note()) {
        lines.push(Line::styled(note, theme.style(Meaning::Muted)));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    if state.board.sources.is_empty() && !state.metrics_expected {
        lines.push(Line::styled(
            "not connected — needs alerts or [prometheus] with services.toml metrics",
            theme.style(Meaning::Muted),
        ));
    } else if let Some((since, why)) = &state.metrics_error {
        lines.push(Line::styled(
            format!("⚠ metrics stale since {} — {why}", since.format("%H:%M:%S")),
            theme.style(Meaning::Warning),
        ));
    }
    if affected.is_empty() && state.blast_ready() {
        lines.push(Line::styled("all services ok", theme.style(Meaning::Ok)));
    }
    let spark_width = (inner.width as usize).saturating_sub(36).clamp(0, 16);
    for s in &affected {
        let (tag, meaning) = state_style(s.state);
        let spark = state
            .history
            .get(&s.name)
            .map(|p| sparkline(p, spark_width))
            .unwrap_or_default();
        let value = s
            .key_metric
            .as_ref()
            .map(|(_, v)| fmt_value(*v))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{tag} "), theme.style(meaning)),
            Span::styled(format!("{:<12}", s.name), theme.style(Meaning::Text)),
            Span::styled(
                format!("T{}{} ", s.tier, if s.customer_facing { "★" } else { " " }),
                theme.style(if s.customer_facing {
                    Meaning::Accent
                } else {
                    Meaning::Muted
                }),
            ),
            Span::styled(
                format!("{spark:<width$} ", width = spark_width),
                theme.style(meaning),
            ),
            Span::styled(format!("{value:>6} "), theme.style(Meaning::Text)),
            Span::styled(since(c, s, now), theme.style(Meaning::Muted)),
        ]));
        if let Some(e) = s.evidence.first() {
            lines.push(Line::styled(
                format!("         {}", e.describe()),
                theme.style(Meaning::Muted),
            ));
        }
    }
    if !state.blast.unmapped.is_empty() {
        lines.push(Line::styled(
            format!(
                "{} alert(s) map to no service (see the alerts pane)",
                state.blast.unmapped.len()
            ),
            theme.style(Meaning::Warning),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Trees from each root suspect to the services that depend on it, directly or not.
pub fn dependency_lines<'a>(state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let b = &state.blast;
    let dependents = |name: &str| -> Vec<&ServiceImpact> {
        let catalog = if state.catalog.services.is_empty() {
            None
        } else {
            Some(&state.catalog)
        };
        b.services
            .iter()
            .filter(|s| {
                catalog
                    .and_then(|c| c.get(&s.name))
                    .is_some_and(|svc| svc.depends_on.iter().any(|d| d == name))
            })
            .collect()
    };
    let mut lines = Vec::new();
    let roots: Vec<&ServiceImpact> = b.services.iter().filter(|s| s.root_suspect).collect();
    if roots.is_empty() {
        lines.push(Line::styled(
            "No failing service: nothing spreads.",
            theme.style(Meaning::Ok),
        ));
        return lines;
    }
    for root in roots {
        let mut seen = BTreeSet::new();
        walk(
            root,
            "",
            true,
            true,
            &dependents,
            &mut seen,
            theme,
            &mut lines,
        );
        lines.push(Line::from(""));
    }
    lines
}

#[allow(clippy::too_many_arguments)]
fn walk<'a, 'b>(
    s: &'b ServiceImpact,
    prefix: &str,
    last: bool,
    root: bool,
    dependents: &dyn Fn(&str) -> Vec<&'b ServiceImpact>,
    seen: &mut BTreeSet<String>,
    theme: &Theme,
    out: &mut Vec<Line<'a>>,
) {
    let (tag, meaning) = state_style(s.state);
    let branch = if root {
        ""
    } else if last {
        "└── "
    } else {
        "├── "
    };
    let why = s.evidence.first().map(|e| e.describe()).unwrap_or_default();
    let repeat = !seen.insert(s.name.clone());
    out.push(Line::from(vec![
        Span::styled(format!("{prefix}{branch}"), theme.style(Meaning::Muted)),
        Span::styled(s.name.clone(), theme.style(Meaning::Title)),
        Span::raw(" "),
        Span::styled(tag.trim_end().to_string(), theme.style(meaning)),
        Span::styled(
            if s.customer_facing { " ★" } else { "" },
            theme.style(Meaning::Accent),
        ),
        Span::styled(
            if repeat {
                "  (shown above)".to_string()
            } else if root {
                format!("  root suspect: {why}")
            } else {
                String::new()
            },
            theme.style(Meaning::Muted),
        ),
    ]));
    if repeat {
        return;
    }
    let children = dependents(&s.name);
    let child_prefix = if root {
        String::new()
    } else {
        format!("{prefix}{}", if last { "    " } else { "│   " })
    };
    for (n, child) in children.iter().enumerate() {
        walk(
            child,
            &child_prefix,
            n + 1 == children.len(),
            false,
            dependents,
            seen,
            theme,
            out,
        );
    }
}

pub fn render_dependencies(
    state: &State,
    scroll: u16,
    theme: &Theme,
    area: Rect,
    frame: &mut Frame,
) {
    let r = Rect {
        x: area.x + 2,
        y: area.y + 1,
        width: area.width.saturating_sub(4),
        height: area.height.saturating_sub(2),
    };
    frame.render_widget(Clear, r);
    let block = pane("How the failure spreads (esc closes)", theme, true);
    frame.render_widget(
        Paragraph::new(dependency_lines(state, theme))
            .block(block)
            .scroll((scroll, 0)),
        r,
    );
}
