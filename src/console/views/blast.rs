//! The blast radius: affected services worst first with their evidence, key-metric sparkline
//! and time since first affected; and the dependency view, drawn as trees from the root
//! suspects out to the services at risk.

use super::pane;
use crate::console::health::Sight;
use crate::console::state::{Current, State};
use crate::console::text::cut_lines;
use crate::console::theme::{Meaning, Theme};
use crate::domain::{ServiceImpact, ServiceState, short_duration};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use std::collections::BTreeSet;

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` points as block characters scaled between their min and max; a gap in
/// the history (`None`: nothing was written then) is a space, never drawn as a value.
pub fn sparkline(points: &[(DateTime<Utc>, Option<f64>)], width: usize) -> String {
    let values: Vec<Option<f64>> = points
        .iter()
        .rev()
        .take(width)
        .map(|(_, v)| v.filter(|v| v.is_finite()))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let Some((lo, hi)) = values
        .iter()
        .flatten()
        .fold(None, |acc: Option<(f64, f64)>, v| {
            Some(acc.map_or((*v, *v), |(lo, hi)| (lo.min(*v), hi.max(*v))))
        })
    else {
        return " ".repeat(values.len());
    };
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if (hi - lo).abs() < f64::EPSILON => BLOCKS[0],
            Some(v) => BLOCKS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize],
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
    let sight = state.sight();
    let customers = if state.blast.customers_affected() {
        ", CUSTOMERS"
    } else {
        ""
    };
    let title = match (sight, affected.len()) {
        (Sight::Unknown, _) => "Blast radius — UNKNOWN".to_string(),
        (Sight::Partial, 0) => "Blast radius — partial".to_string(),
        (Sight::Partial, n) => format!("Blast radius — {n} affected{customers}, partial"),
        (_, 0) => "Blast radius".to_string(),
        (_, n) => format!("Blast radius — {n} affected{customers}"),
    };
    let focus = c.focus == crate::console::state::Pane::Blast;
    let block = pane(&title, theme, focus);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(note) = state.follow.as_ref().and_then(|f| f.views.note()) {
        lines.push(Line::styled(note, theme.style(Meaning::Muted)));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    if sight == Sight::NotConnected {
        lines.push(Line::styled(
            "not connected — needs alerts or [prometheus] with services.toml metrics (or [graphite])",
            theme.style(Meaning::Muted),
        ));
    }
    // What cannot be seen, and since when: unknown is not ok.
    for b in state.blind() {
        lines.push(Line::styled(
            format!(
                "⚠ {} {} since {} — {}",
                b.name,
                b.verb,
                b.since.format("%H:%M:%S"),
                b.why
            ),
            theme.style(Meaning::Warning),
        ));
    }
    match (sight, affected.is_empty()) {
        (Sight::Clear, true) => {
            lines.push(Line::styled("all services ok", theme.style(Meaning::Ok)))
        }
        (Sight::Unknown, _) => lines.push(Line::styled(
            "blast radius unknown: no source answers now",
            theme.style(Meaning::Warning),
        )),
        (Sight::Partial, true) => lines.push(Line::styled(
            "no failure seen in what answers; the rest is unknown",
            theme.style(Meaning::Warning),
        )),
        (Sight::Waiting, true) => lines.push(Line::styled(
            "waiting for the first answer…",
            theme.style(Meaning::Muted),
        )),
        _ => {}
    }
    let unmapped = (!state.blast.unmapped.is_empty()).then(|| {
        Line::styled(
            format!(
                "{} alert(s) map to no service (see the alerts pane)",
                state.blast.unmapped.len()
            ),
            theme.style(Meaning::Warning),
        )
    });
    let spark_width = (inner.width as usize).saturating_sub(36).clamp(0, 16);
    // Each service takes its row and its evidence's; what does not fit is counted, and the
    // arrow keys (tab to this pane) scroll to it.
    let first = c.blast_scroll.min(affected.len().saturating_sub(1));
    let rows = usize::from(inner.height)
        .saturating_sub(lines.len() + usize::from(unmapped.is_some()) + usize::from(first > 0));
    // When the services and their evidence do not all fit, one row each: more of them in
    // sight (the evidence is in the dependency view, b).
    let full: usize = affected[first..]
        .iter()
        .map(|s| 1 + usize::from(!s.evidence.is_empty()))
        .sum();
    let evidence = full <= rows;
    let mut shown: Vec<Line> = Vec::new();
    let mut next = first;
    while next < affected.len() {
        let block = service_lines(c, state, affected[next], spark_width, theme, now, evidence);
        let left_after = affected.len() - next - 1;
        // Room for this service, and for the "+N more" row if others follow it.
        if shown.len() + block.len() + usize::from(left_after > 0) > rows {
            break;
        }
        shown.extend(block);
        next += 1;
    }
    let below = affected.len() - next;
    lines.extend(shown);
    if below > 0 || first > 0 {
        let above = if first > 0 {
            format!("↑ {first} above · ")
        } else {
            String::new()
        };
        let more = if below > 0 && focus {
            format!("+{below} more (↓)")
        } else if below > 0 {
            format!("+{below} more (tab here, then ↓)")
        } else {
            "end".to_string()
        };
        lines.push(Line::styled(
            format!("{above}{more}"),
            theme.style(Meaning::Muted),
        ));
    }
    lines.extend(unmapped);
    frame.render_widget(
        super::lines::Lines::new(cut_lines(lines, inner.width.into())),
        inner,
    );
}

/// One affected service's rows: state, name, tier, sparkline, key value, time affected; then
/// its first evidence, when asked for.
fn service_lines<'a>(
    c: &Current,
    state: &State,
    s: &ServiceImpact,
    spark_width: usize,
    theme: &Theme,
    now: DateTime<Utc>,
    evidence: bool,
) -> Vec<Line<'a>> {
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
    let mut out = vec![Line::from(vec![
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
    ])];
    if let Some(e) = s.evidence.first().filter(|_| evidence) {
        out.push(Line::styled(
            format!("         {}", e.describe()),
            theme.style(Meaning::Muted),
        ));
    }
    out
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
    let lines = dependency_lines(state, theme);
    let shown = usize::from(r.height.saturating_sub(2));
    let (first, below) = crate::console::text::window(lines.len(), shown, usize::from(scroll));
    let foot = match crate::console::text::more_hint(first, below) {
        h if h.is_empty() => h,
        h => format!(" {h} "),
    };
    let block = pane("How the failure spreads (esc closes)", theme, true)
        .title_bottom(Span::styled(foot, theme.style(Meaning::Muted)));
    let lines: Vec<Line> = lines.into_iter().skip(first).take(shown).collect();
    frame.render_widget(
        Paragraph::new(cut_lines(lines, usize::from(r.width.saturating_sub(2)))).block(block),
        r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn points(values: &[Option<f64>]) -> Vec<(DateTime<Utc>, Option<f64>)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (Utc.timestamp_opt(1_800_000_000 + i as i64, 0).unwrap(), *v))
            .collect()
    }

    #[test]
    fn a_gap_is_drawn_as_a_space_never_as_the_lowest_bar() {
        let p = points(&[Some(0.0), None, Some(7.0), None, None, Some(3.5)]);
        assert_eq!(sparkline(&p, 10), "▁ █  ▅");
        // The newest `width` points only, scaled among themselves.
        assert_eq!(sparkline(&p, 3), "  ▁");
        // Nothing but gaps: blanks as wide as the history, no bar.
        assert_eq!(sparkline(&points(&[None, None]), 10), "  ");
        assert_eq!(sparkline(&points(&[]), 10), "");
        // A flat line stays the lowest bar.
        assert_eq!(sparkline(&points(&[Some(2.0), Some(2.0)]), 10), "▁▁");
    }
}
