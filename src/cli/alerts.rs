//! `warroom alerts [--json] [--filter 'service="checkout"']...`: asks every configured alert
//! source once and prints the merged, de-duplicated view — grouped by the `[alerts] group_by`
//! label as text; as JSON `{"alerts": [...], "sources": [...]}`. Exit 1 when every source
//! failed (the output still says why, per source).

use super::{Context, Failure};
use crate::backends::alertmanager::AlertFilter;
use crate::backends::matcher::{LabelFilter, Matcher};
use crate::backends::{http_client, poll_once, sources_with_intake};
use crate::domain::{Alert, AlertBoard, AlertState, SourceStatus, short_duration};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

pub fn run(
    ctx: &Context,
    now: DateTime<Utc>,
    json: bool,
    filters: &[String],
) -> Result<(), Failure> {
    let config = ctx.config_for("alerts", crate::config::ALERT_PARTS)?;
    let matchers = filters
        .iter()
        .map(|f| Matcher::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::bad_input(format!("--filter {e}")))?;
    let labels = LabelFilter::new(&matchers).map_err(Failure::bad_input)?;
    let client = http_client().map_err(Failure::runtime)?;
    let timeout = config.alerts.timeout();
    let sources = sources_with_intake(&config, &client, timeout, &ctx.paths.data_dir);
    if sources.is_empty() {
        return Err(Failure::bad_input(format!(
            "{}: no alert source configured; add [[alertmanager]], [prometheus], [grafana], [[nagios]], [[icinga]], [cloudwatch], [datadog], [[newrelic]] or [[intake]]",
            ctx.paths.config_file.display()
        )));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot ask the alert sources: {e}")))?;
    let filter = AlertFilter::matching(&matchers);
    let reports = runtime.block_on(poll_once(
        &sources,
        &filter,
        timeout + Duration::from_millis(500),
    ));
    let mut board = AlertBoard::with_sources(sources.iter().map(|s| s.name().to_string()));
    for r in reports {
        r.apply(&mut board);
    }
    let alerts: Vec<Alert> = board
        .merged()
        .into_iter()
        .filter(|a| labels.matches(&a.labels))
        .collect();
    if json {
        print_json(&alerts, &board.sources)?;
    } else {
        print_text(&alerts, &board.sources, config.alerts.group_by(), now);
    }
    let failed: Vec<&SourceStatus> = board.sources.iter().filter(|s| s.error.is_some()).collect();
    if failed.len() == board.sources.len() {
        let why: Vec<String> = failed
            .iter()
            .map(|s| s.error.clone().unwrap_or_default())
            .collect();
        return Err(Failure::runtime(format!(
            "every alert source failed: {}",
            why.join("; ")
        )));
    }
    Ok(())
}

#[derive(Serialize)]
struct SourceLine<'a> {
    name: &'a str,
    ok: bool,
    alerts: usize,
    error: Option<&'a str>,
    /// Set when the source's page limit cut its list short.
    cut_short: Option<&'a str>,
}

#[derive(Serialize)]
struct Output<'a> {
    alerts: &'a [Alert],
    sources: Vec<SourceLine<'a>>,
}

fn print_json(alerts: &[Alert], sources: &[SourceStatus]) -> Result<(), Failure> {
    let out = Output {
        alerts,
        sources: sources
            .iter()
            .map(|s| SourceLine {
                name: &s.name,
                ok: s.error.is_none(),
                alerts: s.alerts.len(),
                error: s.error.as_deref(),
                cut_short: s.cut_short.as_deref(),
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&out)
        .map_err(|e| Failure::runtime(format!("cannot encode the alerts: {e}")))?;
    say_json!(text);
    Ok(())
}

fn state_word(s: AlertState) -> &'static str {
    match s {
        AlertState::Active => "FIRING",
        AlertState::Suppressed => "silenced",
        AlertState::Pending => "pending",
        AlertState::Unprocessed => "new",
    }
}

/// Server text is shown on a terminal: no control characters, bounded length.
fn clean(s: &str, max: usize) -> String {
    let mut out: String = crate::domain::for_terminal_line(s)
        .chars()
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

fn print_text(alerts: &[Alert], sources: &[SourceStatus], group_by: &str, now: DateTime<Utc>) {
    let mut groups: BTreeMap<Option<&str>, Vec<&Alert>> = BTreeMap::new();
    for a in alerts {
        groups.entry(a.label(group_by)).or_default().push(a);
    }
    if alerts.is_empty() {
        say!("no alerts");
    }
    // Named groups first (alphabetically), the alerts without the label last.
    let ordered = groups
        .iter()
        .filter(|(k, _)| k.is_some())
        .chain(groups.iter().filter(|(k, _)| k.is_none()));
    for (key, members) in ordered {
        let title = match key {
            Some(v) => format!("{group_by}={}", clean(v, 60)),
            None => format!("(no {group_by})"),
        };
        let n = members.len();
        say!("{title}  ({n} alert{})", if n == 1 { "" } else { "s" });
        for a in members {
            let severity = a.severity().unwrap_or_else(|| "-".into());
            let age = short_duration(now - a.starts_at);
            // The summary falls back to the name; do not print the name twice.
            let summary = if a.summary() == a.name() {
                ""
            } else {
                a.summary()
            };
            say!(
                "  {:<8} {:<9} {:<28} {}  ({age}; {})",
                state_word(a.state),
                clean(&severity, 9),
                clean(a.name(), 28),
                clean(summary, 80),
                a.sources.join(", "),
            );
        }
    }
    let lines: Vec<String> = sources
        .iter()
        .map(|s| match &s.error {
            None => format!("{} ok ({})", s.name, s.alerts.len()),
            Some(e) => format!("{} FAILED: {}", s.name, clean(e, 200)),
        })
        .collect();
    say!("sources: {}", lines.join("; "));
    for s in sources {
        if let Some(note) = &s.cut_short {
            say!("⚠ {}", clean(note, 200));
        }
    }
}
