//! `warroom report [--since 90d] [--until DATE] [--severity S]… [--service NAME]…
//! [--format markdown|html|json] [-o FILE] [--drills]`: the figures across every incident of
//! the store (`report`), and `warroom review-alert`: the per-alert review.

use super::{Context, Failure};
use crate::domain::{AlertVerdict, Event, Severity};
use crate::report::{self, Figures, Filter};
use chrono::{DateTime, NaiveDate, Utc};
use std::path::Path;

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Html,
    Json,
}

/// What `warroom report` was asked for, as typed.
pub struct Args<'a> {
    pub since: &'a str,
    pub until: Option<&'a str>,
    pub severities: &'a [Severity],
    pub services: &'a [String],
    pub format: ReportFormat,
    pub output: Option<&'a Path>,
    pub drills: bool,
}

/// `90d`, `12w`, `36h` back from `until`, or a date (`2026-01-01`, midnight UTC) or an RFC 3339
/// time.
pub fn parse_since(text: &str, until: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let unit = t.chars().last().unwrap_or(' ');
    let digits = &t[..t.len().saturating_sub(unit.len_utf8())];
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("--since: '{text}' is too long a time"))?;
        let hours = match unit {
            'h' => Some(1),
            'd' => Some(24),
            'w' => Some(24 * 7),
            _ => None,
        };
        if let Some(h) = hours {
            if n > 100 * 366 * 24 / h {
                return Err(format!("--since: '{text}' is more than a hundred years"));
            }
            return Ok(until - chrono::Duration::hours(n * h));
        }
    }
    parse_time(t).map_err(|_| {
        format!("--since: '{text}' is neither a time back (90d, 12w, 36h) nor a date (2026-01-31)")
    })
}

/// `2026-01-31` (midnight UTC) or `2026-01-31T12:00:00Z`.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc())
            .ok_or_else(|| format!("'{text}' is not a date"));
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            format!("'{text}' is not a date (2026-01-31) or a time (2026-01-31T12:00:00Z)")
        })
}

/// The filter the flags ask for, as of `now`.
pub fn filter(args: &Args, now: DateTime<Utc>) -> Result<Filter, Failure> {
    let until = match args.until {
        Some(u) => parse_time(u).map_err(|e| Failure::bad_input(format!("--until: {e}")))?,
        None => now,
    };
    let since = parse_since(args.since, until).map_err(Failure::bad_input)?;
    if since >= until {
        return Err(Failure::bad_input(format!(
            "--since ({}) must be before --until ({})",
            since.format("%Y-%m-%d %H:%M UTC"),
            until.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    let mut services = Vec::new();
    for s in args.services {
        let s = s.trim();
        if s.is_empty() || s.chars().any(char::is_control) {
            return Err(Failure::bad_input(format!(
                "--service: {s:?} is not a service name"
            )));
        }
        services.push(s.to_string());
    }
    Ok(Filter {
        since,
        until,
        severities: args.severities.to_vec(),
        services,
        drills: args.drills,
    })
}

/// The report in `format`.
pub fn render(figures: &Figures, format: ReportFormat) -> String {
    match format {
        ReportFormat::Markdown => report::markdown::render(figures),
        ReportFormat::Html => report::html::render(figures),
        ReportFormat::Json => figures.json() + "\n",
    }
}

pub fn run(ctx: &Context, now: DateTime<Utc>, args: &Args) -> Result<(), Failure> {
    let filter = filter(args, now)?;
    let cadence = ctx.config()?.cadence;
    let mut warnings = Vec::new();
    let facts = report::read_store(ctx.store()?.as_ref(), &cadence, filter.until, &mut warnings)?;
    for w in &warnings {
        say_err!("warroom: warning: {w}");
    }
    let figures = Figures::fold(&facts, &filter);
    let text = render(&figures, args.format);
    match args.output {
        Some(path) => {
            crate::postmortem::write_text(path, &ctx.paths.data_dir, "the report", &text).map_err(
                |e| match e {
                    crate::postmortem::WriteError::Refused(m) => Failure::bad_input(m),
                    crate::postmortem::WriteError::Failed(m) => Failure::runtime(m),
                },
            )?;
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            say_err!("warroom: report written to {}", shown.display());
        }
        None if args.format == ReportFormat::Json => say_json!(text.trim_end()),
        None => say!("{}", text.trim_end()),
    }
    Ok(())
}

/// `warroom review-alert ID ALERT actionable|noise`, or `warroom review-alert ID --missing
/// TEXT`.
pub fn review(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    alert: Option<&str>,
    verdict: Option<AlertVerdict>,
    missing: Option<&str>,
) -> Result<(), Failure> {
    match (alert, verdict, missing) {
        (Some(alert), Some(verdict), None) => super::record::append(ctx, now, id, |incident| {
            crate::domain::review_event(incident, alert, verdict)
        })
        .map(drop),
        (None, None, Some(text)) => {
            let text = super::record::text_arg(text)?;
            super::record::append(ctx, now, id, |_| Event::AlertMissing {
                text: text.trim().to_string(),
            })
            .map(drop)
        }
        _ => Err(Failure::bad_input(
            "review-alert: give ALERT and actionable|noise, or --missing TEXT",
        )),
    }
}
