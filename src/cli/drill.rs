//! `warroom drill list` and `warroom drill run NAME|./file.toml [--fast]`: the built-in
//! scenarios, and one played like the demo (a simulated Alertmanager and Prometheus, the
//! ordinary console) with its incident marked as a drill.
//!
//! `warroom drill review ID [--format markdown|json] [-o FILE]`: the drill's review as
//! journaled when it ended, with each score compared with the team's last earlier drill of the
//! same scenario (found through the store). Records nothing.

use super::{Context, Failure, warn_all};
use crate::domain::ExportFormat;
use crate::drill::review;
use crate::drill::scenario::{self, Scenario};
use std::path::{Path, PathBuf};

/// `30m`, `1h`, `1h30m`: a scenario's length.
fn length(secs: f64) -> String {
    let m = (secs / 60.0).round() as i64;
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// One line per built-in scenario: name, length, what happens.
pub fn list() -> Result<(), Failure> {
    let all = scenario::builtins();
    let width = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in &all {
        println!(
            "{:width$}  {:>5}  {}",
            s.name,
            length(s.duration_secs),
            crate::domain::for_terminal(&s.summary)
        );
    }
    println!(
        "warroom drill run NAME [--fast] plays one; warroom drill run ./my-scenario.toml plays yours"
    );
    Ok(())
}

/// The scenario named on the command line; a file that cannot be used is exit 2, naming its
/// file, line and column.
pub fn load(name_or_path: &str) -> Result<Scenario, Failure> {
    scenario::load(name_or_path).map_err(|e| Failure::bad_input(e.to_string()))
}

pub fn run(
    ctx: &Context,
    name_or_path: &str,
    fast: bool,
    data_dir: Option<PathBuf>,
    theme: Option<String>,
) -> Result<(), Failure> {
    let scenario = load(name_or_path)?;
    crate::demo::run(crate::demo::Options {
        fast,
        data_dir,
        author: ctx.author.clone(),
        theme,
        scenario: Some(scenario),
    })
}

pub fn review(
    ctx: &Context,
    id: &str,
    format: ExportFormat,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let store = ctx.store()?.clone();
    let mut journal = store.open(id)?;
    warn_all(journal.as_mut());
    let id = journal.id().to_string();
    let Some(this) = review::journaled(journal.records()) else {
        return Err(Failure::bad_input(format!(
            "{id} has no drill review: it is not a drill, or its drill has not ended \
             (a drill is reviewed when its incident is resolved or its run ends)"
        )));
    };
    let (previous, unread) = review::previous(store.as_ref(), &id, &this)?;
    for u in unread {
        eprintln!(
            "warroom: warning: left out of the comparison: {}",
            crate::domain::for_terminal_line(&u)
        );
    }
    let text = match format {
        ExportFormat::Markdown => review::markdown(&id, &this, &previous),
        ExportFormat::Json => {
            let mut t = serde_json::to_string_pretty(&review::json(&id, &this, &previous))
                .map_err(|e| Failure::runtime(format!("cannot write the review: {e}")))?;
            t.push('\n');
            t
        }
    };
    match output {
        Some(path) => {
            crate::postmortem::write_text(path, &ctx.paths.data_dir, "the review", &text).map_err(
                |e| match e {
                    crate::postmortem::WriteError::Refused(m) => Failure::bad_input(m),
                    crate::postmortem::WriteError::Failed(m) => Failure::runtime(m),
                },
            )?;
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            eprintln!(
                "warroom: drill review of {id} written to {}",
                crate::domain::for_terminal_line(&shown.display().to_string())
            );
        }
        None => super::out::write_all(text.as_bytes()),
    }
    Ok(())
}

/// `warroom drill live NAME [--via alertmanager|pushgateway] [--wait 5m] [--json]`: the
/// scenario's alerts through the real alerting pipeline ([`crate::drill::live`]). Exit 2
/// when a source it would touch is not marked `drills = true`, exit 1 when an expected alert
/// never came back or something of the drill is left over.
pub fn live(
    ctx: &Context,
    name: &str,
    via: Option<&str>,
    wait: &str,
    json: bool,
) -> Result<(), Failure> {
    use crate::drill::live;
    let scenario =
        crate::drill::scenario::load(name).map_err(|e| Failure::bad_input(e.to_string()))?;
    let given = via
        .map(live::Via::parse)
        .transpose()
        .map_err(Failure::bad_input)?;
    let wait = crate::domain::parse_duration(wait)
        .map_err(|e| Failure::bad_input(format!("--wait: {e}")))?
        .to_std()
        .map_err(|e| Failure::bad_input(format!("--wait: {e}")))?;
    let config = ctx.config()?;
    let via = live::Via::choose(given, &config);
    if let Some(why) = live::refusal(&config, via, &ctx.paths.config_file) {
        return Err(Failure::bad_input(why));
    }
    let client = crate::backends::http_client().map_err(Failure::runtime)?;
    let timing = live::Timing {
        wait,
        interval: config
            .alerts
            .poll_interval()
            .min(std::time::Duration::from_secs(1)),
        timeout: config.alerts.timeout(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot run the drill: {e}")))?;
    let report = runtime
        .block_on(live::run(&config, &scenario, via, timing, &client))
        .map_err(Failure::runtime)?;
    if json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::runtime(format!("cannot write the report: {e}")))?;
        println!("{text}");
    } else {
        super::out::write_all(crate::domain::for_terminal(&live::text(&report)).as_bytes());
    }
    if !report.findings.is_empty() || !report.leftovers.is_empty() {
        return Err(Failure::runtime(format!(
            "drill {}: {} finding(s), {} left over",
            report.scenario,
            report.findings.len(),
            report.leftovers.len()
        )));
    }
    Ok(())
}
