//! Blast radius: which services are failing, which depend on them, how bad it is. Pure: from
//! the service catalog, the firing alerts and the latest metric values to each service's
//! state with the evidence for it.
//!
//! A service is `down` or `degraded` on its own evidence (an alert that maps to it, a metric
//! over a threshold), `at_risk` when it is healthy itself but depends, directly or through
//! others, on a down or degraded service, and `ok` otherwise. Alerts that map to no service
//! are listed as unmapped, never dropped. Cycles in `depends_on` are tolerated.

mod changes;
mod cycles;
#[cfg(test)]
mod plain;
mod radius;
#[cfg(test)]
mod radius_tests;

pub use changes::{ServiceChange, ServiceHistory, service_changes};
pub use radius::blast_radius;

use super::{Alert, ServiceMetric};
use cycles::{cycle_through, strongly_connected};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// A service as the catalog (`services.toml`) describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    /// 1 is the most important.
    pub tier: u8,
    pub customer_facing: bool,
    /// What customers call it (`services.toml` `public_name`), for messages to them.
    #[serde(default)]
    pub public_name: Option<String>,
    pub team: Option<String>,
    pub depends_on: Vec<String>,
    /// Alert labels that identify it (all must match); default `{ service = name }`.
    pub matchers: BTreeMap<String, String>,
    pub runbook_url: Option<String>,
    pub metrics: Vec<ServiceMetric>,
}

impl Service {
    /// A service known only from alerts carrying `service = name`.
    pub fn discovered(name: &str) -> Service {
        Service {
            name: name.to_string(),
            tier: 3,
            customer_facing: false,
            public_name: None,
            team: None,
            depends_on: Vec::new(),
            matchers: BTreeMap::from([("service".to_string(), name.to_string())]),
            runbook_url: None,
            metrics: Vec::new(),
        }
    }

    pub fn matches(&self, labels: &(impl super::LabelLookup + ?Sized)) -> bool {
        !self.matchers.is_empty()
            && self
                .matchers
                .iter()
                .all(|(k, v)| labels.lookup(k).is_some_and(|l| l == v))
    }
}

/// The services of `services.toml`; empty means "discover them from alert labels".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceCatalog {
    pub services: Vec<Service>,
}

impl ServiceCatalog {
    pub fn get(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The dependency cycles, for `check-config`: one per group of services that depend on
    /// each other in a circle (a strongly connected component, or a service depending on
    /// itself), named as a path that closes, `a → b → c → a`, from the group's first service
    /// in catalog order. Dependencies on services not in the catalog are not cycles. Linear in
    /// services plus dependencies (Tarjan's algorithm, without recursion).
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let index: HashMap<&str, usize> = self
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        let edges: Vec<Vec<usize>> = self
            .services
            .iter()
            .map(|s| {
                s.depends_on
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .collect()
            })
            .collect();
        let mut found = Vec::new();
        for group in strongly_connected(&edges) {
            let start = group.iter().copied().min().unwrap_or_default();
            if group.len() == 1 && !edges[start].contains(&start) {
                continue;
            }
            let path = cycle_through(start, &group, &edges);
            found.push((
                start,
                path.iter()
                    .map(|&i| self.services[i].name.clone())
                    .collect::<Vec<String>>(),
            ));
        }
        found.sort();
        found.into_iter().map(|(_, path)| path).collect()
    }

    /// This catalog, or when it is empty the services the alerts' `service` labels name, in
    /// name order (see [`Service::discovered`]).
    pub fn or_discovered<A: AsRef<Alert>>(&self, alerts: &[A]) -> Cow<'_, ServiceCatalog> {
        if !self.services.is_empty() {
            return Cow::Borrowed(self);
        }
        let names: BTreeSet<&str> = alerts
            .iter()
            .filter_map(|a| a.as_ref().label("service"))
            .collect();
        Cow::Owned(ServiceCatalog {
            services: names.into_iter().map(Service::discovered).collect(),
        })
    }

    /// Dependencies naming no service in the catalog: (service, missing dependency).
    pub fn unknown_dependencies(&self) -> Vec<(String, String)> {
        let names: HashSet<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
        let mut out = Vec::new();
        for s in &self.services {
            for d in &s.depends_on {
                if !names.contains(d.as_str()) {
                    out.push((s.name.clone(), d.clone()));
                }
            }
        }
        out
    }
}

/// How a service is doing, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Down,
    Degraded,
    AtRisk,
    Ok,
}

impl ServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Down => "down",
            ServiceState::Degraded => "degraded",
            ServiceState::AtRisk => "at_risk",
            ServiceState::Ok => "ok",
        }
    }
    /// Failing on its own evidence.
    pub fn is_failing(self) -> bool {
        matches!(self, ServiceState::Down | ServiceState::Degraded)
    }
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a service is in its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Evidence {
    Alert {
        fingerprint: String,
        alert: Arc<str>,
        severity: Option<Arc<str>>,
        /// An alert still pending in Prometheus: an early warning, not a failure.
        pending: bool,
        /// How many alerts of this name, severity and pendingness map to the service;
        /// `fingerprint` is the first of them.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        count: usize,
    },
    /// Alerts beyond the few kinds listed for a service, counted.
    MoreAlerts {
        alerts: usize,
        /// Distinct (name, severity) kinds among them.
        kinds: usize,
    },
    Metric {
        metric: String,
        value: f64,
        threshold: f64,
        /// `down` or `degraded`: which threshold it crossed.
        level: ServiceState,
        /// Under a low band (`degraded_below`, `down_below`) rather than over a high one.
        #[serde(default, skip_serializing_if = "is_false")]
        below: bool,
    },
    DependsOn {
        /// The dependency through which the failure reaches this service.
        service: Arc<str>,
        /// Where the failure starts.
        root: Arc<str>,
        root_state: ServiceState,
    },
}

impl Evidence {
    pub fn describe(&self) -> String {
        match self {
            Evidence::Alert {
                alert,
                severity,
                pending,
                count,
                ..
            } => format!(
                "{}alert {alert}{}{}",
                if *pending { "pending " } else { "" },
                severity
                    .as_ref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
                if *count > 1 {
                    format!(" × {count}")
                } else {
                    String::new()
                }
            ),
            Evidence::MoreAlerts { alerts, kinds } => format!(
                "and {alerts} more alert{} ({kinds} other kind{})",
                plural(*alerts),
                plural(*kinds)
            ),
            Evidence::Metric {
                metric,
                value,
                threshold,
                level,
                below,
            } => {
                format!(
                    "{metric} {} {} {} ({level})",
                    fmt_value(*value),
                    if *below { "<" } else { ">" },
                    fmt_value(*threshold)
                )
            }
            Evidence::DependsOn {
                service,
                root,
                root_state,
            } => {
                if service == root {
                    format!("depends on {root} ({root_state})")
                } else {
                    format!("depends on {service}, which needs {root} ({root_state})")
                }
            }
        }
    }

    /// The metric and value of a metric's evidence as [`Evidence::describe`] wrote it in a
    /// `blast_radius_changed` entry's `why` (`error ratio 0.3010 > 0.0500 (down)`), the one
    /// reading of it a journal keeps; none for any other line.
    pub fn metric_reading(line: &str) -> Option<(&str, f64)> {
        let rest = line
            .strip_suffix(" (down)")
            .or_else(|| line.strip_suffix(" (degraded)"))?;
        let (rest, threshold) = rest.rsplit_once(' ')?;
        threshold.parse::<f64>().ok()?;
        let rest = rest
            .strip_suffix(" >")
            .or_else(|| rest.strip_suffix(" <"))?;
        let (metric, value) = rest.rsplit_once(' ')?;
        let value = value.parse::<f64>().ok().filter(|v| v.is_finite())?;
        (!metric.is_empty()).then_some((metric, value))
    }

    /// How many alerts this piece of evidence stands for.
    pub fn alerts(&self) -> usize {
        match self {
            Evidence::Alert { count, .. } => *count,
            Evidence::MoreAlerts { alerts, .. } => *alerts,
            _ => 0,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Kinds of alert (name, severity, pending) listed one by one in a service's evidence; the
/// rest are counted in one [`Evidence::MoreAlerts`], so a service with 5,000 alerts costs a
/// few lines, on screen and in the journal.
pub const ALERT_KINDS_LISTED: usize = 5;

/// Lines of evidence a `blast_radius_changed` entry keeps per service; the rest are counted.
pub const WHY_LINES: usize = 4;

fn fmt_value(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceImpact {
    pub name: String,
    pub state: ServiceState,
    pub evidence: Vec<Evidence>,
    pub tier: u8,
    pub customer_facing: bool,
    /// What customers call it, when the catalog says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_name: Option<String>,
    pub team: Option<String>,
    /// Failing itself with no failing dependency to explain it: where to look first.
    pub root_suspect: bool,
    /// Latest value of the key metric, if it has one.
    pub key_metric: Option<(String, f64)>,
    /// The key metric's highest recent value (see [`super::attach_peaks`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_metric_peak: Option<super::MetricPeak>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlastRadius {
    /// Every known service, worst first, then by tier and name.
    pub services: Vec<ServiceImpact>,
    /// Firing alerts that map to no service.
    pub unmapped: Vec<Alert>,
}

impl BlastRadius {
    /// The services not `ok`.
    pub fn affected(&self) -> impl Iterator<Item = &ServiceImpact> {
        self.services.iter().filter(|s| s.state != ServiceState::Ok)
    }
    pub fn customers_affected(&self) -> bool {
        self.services
            .iter()
            .any(|s| s.customer_facing && s.state != ServiceState::Ok)
    }
    pub fn get(&self, name: &str) -> Option<&ServiceImpact> {
        self.services.iter().find(|s| s.name == name)
    }
}

/// Latest values: service → metric name → value.
pub type MetricValues = BTreeMap<String, BTreeMap<String, f64>>;

#[cfg(test)]
mod reading_tests {
    use super::{Evidence, ServiceState};

    #[test]
    fn a_metric_line_reads_back_its_metric_and_value() {
        for (value, threshold, level, below) in [
            (0.301, 0.05, ServiceState::Down, false),
            (2.5, 1.0, ServiceState::Degraded, false),
            (120.0, 500.0, ServiceState::Down, true),
            (-3.25, 0.0, ServiceState::Degraded, true),
        ] {
            let line = Evidence::Metric {
                metric: "p99 latency (checkout)".into(),
                value,
                threshold,
                level,
                below,
            }
            .describe();
            assert_eq!(
                Evidence::metric_reading(&line),
                Some(("p99 latency (checkout)", value)),
                "{line}"
            );
        }
        for other in [
            "alert HighErrorRate (critical)",
            "and 3 more alerts (2 other kinds)",
            "no longer reported",
            "depends on db (down)",
            "x > 1 (down)",
        ] {
            assert_eq!(Evidence::metric_reading(other), None, "{other}");
        }
    }
}
