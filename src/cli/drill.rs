//! `warroom drill list` and `warroom drill run NAME|./file.toml [--fast]`: the built-in
//! scenarios, and one played like the demo (a simulated Alertmanager and Prometheus, the
//! ordinary console) with its incident marked as a drill.

use super::{Context, Failure};
use crate::drill::scenario::{self, Scenario};
use std::path::PathBuf;

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
