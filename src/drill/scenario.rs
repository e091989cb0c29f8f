//! A drill's scenario as data: what a TOML scenario file says, checked. The format (every key)
//! is in `docs/drills.md`; [`parse`] reads it with `file:line:column` errors like every
//! config file, and [`builtin`] holds the scenarios shipped with warroom
//! (`src/drill/scenarios/*.toml`).
//!
//! The model, in scenario seconds (0 is when the drill starts; the fault may begin before):
//! - **levers** are the fault's moving parts, each a level between 0 and 1 (the share of pods
//!   on a broken build, the traffic still on a flag's new path, a region's poisoned cache…);
//!   a lever starts at `level` and the fault moves it (`fault = { at, to, over }`);
//! - a **signal** (a metric family) of a service reads `healthy × wave(t) × (1 − badness(t)) +
//!   broken × badness(t)`, where badness is the product of the levers the signal follows (all
//!   of them unless `follows` names some) and wave a slow ±`wiggle` so healthy numbers look
//!   alive;
//! - **alerts** are rules over one signal of one service (`above`/`below` for `for`), or fire
//!   all along (`always`), as Prometheus evaluates them;
//! - **actions** are the runbook the responders get: each moves levers (`moves`, possibly
//!   depending on a parameter's value) and/or tells a fact (`reveals`, a diagnostic's output).
//!   `[fault] fixed_by` names the actions meant to fix it; the others must not.

mod parse;

pub use parse::{note_times, parse};

use crate::config::ConfigError;
use crate::domain::Severity;
use std::collections::BTreeMap;
use std::path::Path;

/// A scenario, checked: every name it refers to exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short name, as `warroom drill run NAME` takes it.
    pub name: String,
    /// One line for `warroom drill list`.
    pub summary: String,
    /// How long the drill is meant to run, seconds.
    pub duration_secs: f64,
    /// Whether write-backs (PagerDuty, an alert source's acknowledge and comment) stay on
    /// during the drill; off unless the scenario says so.
    pub write_backs: bool,
    pub incident: Opening,
    pub fault: Fault,
    /// Targets the review scores the call against, seconds from the drill's start.
    pub targets: Targets,
    pub signals: Vec<Signal>,
    pub services: Vec<ServiceSpec>,
    pub levers: Vec<Lever>,
    pub alerts: Vec<Rule>,
    pub actions: Vec<ScenarioAction>,
}

/// How the incident is opened when the drill starts, as the on-call engineer would have.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    pub title: String,
    pub severity: Severity,
    /// Who opened it (the one the pager woke).
    pub opened_by: String,
    /// The alert that paged, linked to the incident when it is firing at the start.
    pub paged_by: Option<String>,
    /// What they know so far, as observations. `{at:-60s}` stands for the wall-clock time
    /// (`HH:MM:SS` UTC) of that scenario second.
    pub notes: Vec<String>,
}

/// What is broken and what fixes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The root suspect: the service where the fault is.
    pub service: String,
    pub description: String,
    /// The actions meant to fix it (any one of them does); every other action must not.
    pub fixed_by: Vec<String>,
    /// What "fixed" reads as: each of these holds (a signal of a service above or below a
    /// number).
    pub fixed_when: Vec<Check>,
}

/// A signal of a service compared with a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub service: String,
    pub signal: String,
    /// `Above` or `Below` only.
    pub condition: Condition,
}

/// The review's targets; `None` where the scenario sets none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    pub take_command_secs: Option<f64>,
    pub first_update_secs: Option<f64>,
    pub fix_secs: Option<f64>,
}

/// A metric family the simulated Prometheus serves, one series per service that has a curve
/// for it (`metric{service="…"}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// What services' curves and rules call it (`errors`).
    pub key: String,
    /// The metric name (`service:http_errors:ratio_rate1m`).
    pub metric: String,
    /// Its name in `services.toml` (`error ratio`); `None` keeps it out of the catalog.
    pub catalog: Option<String>,
    pub bands: Bands,
    /// The healthy number's slow wave: ± this share, on a `period` of seconds.
    pub wiggle: f64,
    pub period: f64,
    /// The levers this signal follows; empty: all of them.
    pub follows: Vec<String>,
}

/// The catalog's high and low bands for a signal.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bands {
    pub degraded_above: Option<f64>,
    pub down_above: Option<f64>,
    pub degraded_below: Option<f64>,
    pub down_below: Option<f64>,
}

/// A service: its place in the catalog and its curves.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSpec {
    pub name: String,
    pub tier: u8,
    pub customer_facing: bool,
    pub public_name: Option<String>,
    pub team: String,
    pub depends_on: Vec<String>,
    /// Signal key → curve.
    pub curves: BTreeMap<String, Curve>,
}

/// A series' value when healthy and at the fault's full strength.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    pub healthy: f64,
    pub broken: f64,
}

/// One of the fault's moving parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Lever {
    pub name: String,
    pub description: String,
    /// Its level before anything moves it, 0 to 1.
    pub level: f64,
    /// How the fault moves it.
    pub fault: Option<Move>,
    /// A gauge exposing what was last asked of it (1 when asked for a level above ½): the
    /// state a flag service or a deploy system would show.
    pub gauge: Option<Gauge>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub metric: String,
    pub labels: BTreeMap<String, String>,
}

/// A lever moving linearly from wherever it is to `to` over `over_secs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    pub lever: String,
    /// Scenario second it starts (for the fault's move; an action's move starts when run).
    pub at: f64,
    pub to: f64,
    pub over_secs: f64,
    /// Only when each of these parameters has one of the values listed.
    pub when: BTreeMap<String, Vec<String>>,
}

/// An alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub service: Option<String>,
    pub signal: Option<String>,
    pub condition: Condition,
    pub for_secs: f64,
    pub severity: String,
    pub team: String,
    pub summary: String,
    /// Labels beside `alertname`, `severity`, `team`, `env` and `service`.
    pub labels: BTreeMap<String, String>,
    /// The rule's expression as `/api/v1/rules` shows it; by default written from the
    /// condition.
    pub query: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    Above(f64),
    Below(f64),
    /// Fires all along, since this scenario second: an alert unrelated to the outage.
    Always {
        since: f64,
    },
}

/// A runbook action of the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioAction {
    pub name: String,
    pub description: String,
    pub confirm: bool,
    pub undo: Option<String>,
    pub params: Vec<Param>,
    pub verify: Option<Verify>,
    pub moves: Vec<Move>,
    /// What running it tells the responder (a diagnostic's output).
    pub reveals: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub description: String,
    pub choices: Vec<String>,
    pub default: Option<String>,
}

/// The action's check: a signal of a service, as `expect` says, within a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Verify {
    pub signal: String,
    pub service: String,
    /// `"< 0.02"`, as the runbook writes it.
    pub expect: String,
    pub within: String,
    pub every: String,
}

impl Scenario {
    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn signal(&self, key: &str) -> Option<&Signal> {
        self.signals.iter().find(|s| s.key == key)
    }

    pub fn lever(&self, name: &str) -> Option<&Lever> {
        self.levers.iter().find(|l| l.name == name)
    }

    pub fn alert(&self, name: &str) -> Option<&Rule> {
        self.alerts.iter().find(|r| r.name == name)
    }

    pub fn action(&self, name: &str) -> Option<&ScenarioAction> {
        self.actions.iter().find(|a| a.name == name)
    }

    pub fn public_name(&self, service: &str) -> Option<&str> {
        self.service(service)?.public_name.as_deref()
    }

    /// The PromQL selector of a signal's series for a service.
    pub fn selector(&self, signal: &str, service: &str) -> Option<String> {
        let s = self.signal(signal)?;
        Some(format!("{}{{service=\"{service}\"}}", s.metric))
    }

    /// A rule's expression, as `/api/v1/rules` shows it.
    pub fn rule_query(&self, rule: &Rule) -> String {
        if let Some(q) = &rule.query {
            return q.clone();
        }
        let selector = match (&rule.signal, &rule.service) {
            (Some(sig), Some(svc)) => self.selector(sig, svc).unwrap_or_default(),
            _ => String::new(),
        };
        match rule.condition {
            Condition::Above(v) => format!("{selector} > {v}"),
            Condition::Below(v) => format!("{selector} < {v}"),
            Condition::Always { .. } => "vector(1)".into(),
        }
    }
}

/// A built-in scenario's file name and text.
const BUILTIN: &[(&str, &str)] = &[
    ("bad-deploy.toml", include_str!("scenarios/bad-deploy.toml")),
    (
        "db-failover.toml",
        include_str!("scenarios/db-failover.toml"),
    ),
    (
        "sms-provider.toml",
        include_str!("scenarios/sms-provider.toml"),
    ),
    ("dns-cache.toml", include_str!("scenarios/dns-cache.toml")),
    (
        "backup-silent.toml",
        include_str!("scenarios/backup-silent.toml"),
    ),
    (
        "traffic-spike.toml",
        include_str!("scenarios/traffic-spike.toml"),
    ),
];

/// Every built-in scenario, in the order `warroom drill list` shows them.
pub fn builtins() -> Vec<Scenario> {
    BUILTIN
        .iter()
        .filter_map(|(file, text)| parse(Path::new(file), text).ok())
        .collect()
}

/// The built-in scenario called `name`.
pub fn builtin(name: &str) -> Option<Scenario> {
    builtins().into_iter().find(|s| s.name == name)
}

/// The scenario the demo plays: the bad deploy behind a flag.
pub fn demo() -> Result<Scenario, ConfigError> {
    let (file, text) = BUILTIN[0];
    parse(Path::new(file), text)
}

/// The demo's scenario's name.
pub const DEMO: &str = "bad-deploy";

/// A scenario named on the command line: a built-in's name, or a path to a TOML file
/// (anything with a `/` or ending in `.toml`).
pub fn load(name_or_path: &str) -> Result<Scenario, ConfigError> {
    let is_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
    if !is_path {
        return builtin(name_or_path).ok_or_else(|| ConfigError {
            file: name_or_path.to_string(),
            line: 0,
            column: 0,
            reason: format!(
                "no built-in scenario of that name (built in: {}); a scenario file is named \
                 by its path, e.g. ./my-scenario.toml",
                builtins()
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let path = Path::new(name_or_path);
    match crate::config::read_text(path)? {
        Some(text) => parse(path, &text),
        None => Err(ConfigError {
            file: name_or_path.to_string(),
            line: 0,
            column: 0,
            reason: "no such file".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        for (file, text) in BUILTIN {
            if let Err(e) = parse(Path::new(file), text) {
                panic!("{e}");
            }
        }
        assert_eq!(builtins().len(), BUILTIN.len());
    }

    /// The demo's file with `from` replaced by `to` (once).
    fn edited(from: &str, to: &str) -> String {
        let text = BUILTIN[0].1;
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1)
    }

    fn error_of(text: &str) -> String {
        parse(Path::new("my.toml"), text).unwrap_err().to_string()
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn errors_name_file_line_column_and_key() {
        let cases = [
            // (replace, with, the line holding, the message says)
            (
                "lever = \"flag\"\nto = 0",
                "lever = \"flg\"\nto = 0",
                "lever = \"flg\"",
                "action.move.lever: no lever \"flg\"",
            ),
            (
                "fixed_by = [\"flag-off\"",
                "fixed_by = [\"flag-of\"",
                "fixed_by",
                "fault.fixed_by: no action \"flag-of\"",
            ),
            (
                "rps = [45, 47.7]",
                "rps = [45, \"x\"]",
                "rps = [45, \"x\"]",
                "service.curves.rps",
            ),
            (
                "duration = \"15m\"",
                "duration = \"fifteen\"",
                "duration = ",
                "duration: 'fifteen' is not a duration",
            ),
            (
                "depends_on = [\"pricing\"]",
                "depends_on = [\"prcing\"]",
                "depends_on = [\"prcing\"]",
                "service.depends_on: no service \"prcing\"",
            ),
            (
                "above = 0.10\n",
                "above = 0.10\nbelow = 0.5\n",
                "name = \"CheckoutHighErrorRate\"",
                "exactly one of above, below",
            ),
            (
                "level = 1\n",
                "level = 2\n",
                "level = 2",
                "lever.level: a level is between 0 and 1",
            ),
            (
                "paged_by = \"CheckoutErrorBudgetBurn\"",
                "paged_by = \"Nope\"",
                "paged_by",
                "incident.paged_by: no alert \"Nope\"",
            ),
            (
                "severity = \"sev2\"",
                "severity = \"sev9\"",
                "severity = \"sev9\"",
                "incident.severity",
            ),
            (
                "summary = \"a pricing",
                "colour = 1\nsummary = \"a pricing",
                "colour = 1",
                "unknown field `colour`",
            ),
            ("{at:-60s}", "{at:-sixty}", "deploy log", "incident.notes"),
        ];
        for (from, to, line_with, says) in cases {
            let text = edited(from, to);
            let e = error_of(&text);
            let want = format!("my.toml:{}:", line_of(&text, line_with));
            assert!(e.starts_with(&want), "{e} (want {want})");
            assert!(e.contains(says), "{e} (want {says})");
        }
    }

    #[test]
    fn a_name_or_a_path_loads() {
        assert_eq!(load("bad-deploy").unwrap().name, "bad-deploy");
        let e = load("no-such-drill").unwrap_err().to_string();
        assert!(e.contains("bad-deploy"), "{e}");
        let e = load("./missing.toml").unwrap_err().to_string();
        assert!(
            e.contains("./missing.toml") && e.contains("no such file"),
            "{e}"
        );
    }
}
