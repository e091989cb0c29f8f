//! Blast radius: which services are failing, which depend on them, how bad it is. Pure: from
//! the service catalog, the firing alerts and the latest metric values to each service's
//! state with the evidence for it.
//!
//! A service is `down` or `degraded` on its own evidence (an alert that maps to it, a metric
//! over a threshold), `at_risk` when it is healthy itself but depends, directly or through
//! others, on a down or degraded service, and `ok` otherwise. Alerts that map to no service
//! are listed as unmapped, never dropped. Cycles in `depends_on` are tolerated.

use super::{Alert, AlertState, ServiceMetric};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

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

/// The strongly connected components of the graph `edges` (node → the nodes it points to),
/// by Tarjan's algorithm with an explicit stack, so a chain of any length cannot overflow
/// the call stack.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut order = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut groups = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if order[root] != UNSEEN {
            continue;
        }
        // (node, how many of its edges are done)
        let mut walk: Vec<(usize, usize)> = vec![(root, 0)];
        order[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut done)) = walk.last_mut() {
            if let Some(&w) = edges[v].get(*done) {
                *done += 1;
                if order[w] == UNSEEN {
                    order[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    walk.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                let mut group = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                groups.push(group);
            }
        }
    }
    groups
}

/// A shortest path from `start` back to itself inside `group` (breadth first).
fn cycle_through(start: usize, group: &[usize], edges: &[Vec<usize>]) -> Vec<usize> {
    let inside: HashSet<usize> = group.iter().copied().collect();
    let mut came_from: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &edges[v] {
            if w == start {
                let mut back = Vec::new();
                let mut at = v;
                while at != start {
                    back.push(at);
                    match came_from.get(&at) {
                        Some(&from) => at = from,
                        None => break,
                    }
                }
                let mut path = vec![start];
                path.extend(back.into_iter().rev());
                path.push(start);
                return path;
            }
            if inside.contains(&w) && !came_from.contains_key(&w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start, start]
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
        alert: String,
        severity: Option<String>,
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
        service: String,
        /// Where the failure starts.
        root: String,
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

/// Computes the blast radius. With an empty catalog, services are discovered from the
/// `service` label of the alerts.
pub fn blast_radius<A: AsRef<Alert>>(
    catalog: &ServiceCatalog,
    alerts: &[A],
    metrics: &MetricValues,
) -> BlastRadius {
    let discovered;
    let catalog = if catalog.services.is_empty() {
        let names: BTreeSet<&str> = alerts
            .iter()
            .filter_map(|a| a.as_ref().label("service"))
            .collect();
        discovered = ServiceCatalog {
            services: names.into_iter().map(Service::discovered).collect(),
        };
        &discovered
    } else {
        catalog
    };

    // Own evidence first. Services are indexed by their first matcher, so each alert costs a
    // few look-ups instead of a scan of the catalog.
    let mut index: std::collections::HashMap<(&str, &str), Vec<usize>> =
        std::collections::HashMap::new();
    for (n, s) in catalog.services.iter().enumerate() {
        if let Some((k, v)) = s.matchers.iter().next() {
            index.entry((k.as_str(), v.as_str())).or_default().push(n);
        }
    }
    let mut own: Vec<(ServiceState, Vec<Evidence>)> =
        vec![(ServiceState::Ok, Vec::new()); catalog.services.len()];
    // Each service's alerts by kind (name, severity label, pending), in the order first seen:
    // counted, not listed one by one.
    let mut kinds: Vec<AlertKinds> = (0..catalog.services.len())
        .map(|_| AlertKinds::default())
        .collect();
    let mut unmapped = Vec::new();
    for a in alerts
        .iter()
        .map(AsRef::as_ref)
        .filter(|a| a.is_firing() || a.state == AlertState::Pending)
    {
        let mut mapped = false;
        let pending = a.state == AlertState::Pending;
        let severity = a.label("severity");
        let level = if pending {
            ServiceState::AtRisk
        } else if severity.is_some_and(|s| {
            ["critical", "page", "sev1", "p1", "error"]
                .iter()
                .any(|c| s.eq_ignore_ascii_case(c))
        }) {
            ServiceState::Down
        } else {
            ServiceState::Degraded
        };
        for (k, v) in &a.labels {
            let Some(candidates) = index.get(&(k, v)) else {
                continue;
            };
            for &n in candidates {
                if !catalog.services[n].matches(&a.labels) {
                    continue;
                }
                mapped = true;
                own[n].0 = own[n].0.min(level);
                kinds[n].add((a.name(), severity, pending), &a.fingerprint);
            }
        }
        if !mapped && a.is_firing() {
            unmapped.push(a.clone());
        }
    }
    let mut key_metrics: Vec<Option<(String, f64)>> = vec![None; catalog.services.len()];
    for (n, s) in catalog.services.iter().enumerate() {
        let Some(values) = metrics.get(&s.name) else {
            continue;
        };
        for (k, m) in s.metrics.iter().enumerate() {
            let Some(v) = values.get(&m.name).copied().filter(|v| v.is_finite()) else {
                continue;
            };
            if k == 0 {
                key_metrics[n] = Some((m.name.clone(), v));
            }
            if let Some(c) = m.bands.crossing(v) {
                own[n].0 = own[n].0.min(c.level);
                own[n].1.push(Evidence::Metric {
                    metric: m.name.clone(),
                    value: v,
                    threshold: c.threshold,
                    level: c.level,
                    below: c.below,
                });
            }
        }
    }

    // Then spread, once for all: a breadth-first walk from every failing service at the
    // same time, over "is depended on by" edges. Each service keeps the nearest failing
    // services it depends on (at most MAX_ROOTS, each once) and the dependency they come
    // through. A visited check per root ends cycles.
    const MAX_ROOTS: usize = 3;
    let position: std::collections::HashMap<&str, usize> = catalog
        .services
        .iter()
        .enumerate()
        .map(|(n, s)| (s.name.as_str(), n))
        .collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); catalog.services.len()];
    for (n, s) in catalog.services.iter().enumerate() {
        for d in &s.depends_on {
            if let Some(&m) = position.get(d.as_str())
                && m != n
            {
                dependents[m].push(n);
            }
        }
    }
    let mut reached: Vec<Vec<(usize, usize)>> = vec![Vec::new(); catalog.services.len()];
    let mut queue: VecDeque<(usize, usize)> = (0..catalog.services.len())
        .filter(|n| own[*n].0.is_failing())
        .map(|n| (n, n))
        .collect();
    while let Some((node, root)) = queue.pop_front() {
        for &d in &dependents[node] {
            if d == root
                || reached[d].len() >= MAX_ROOTS
                || reached[d].iter().any(|(r, _)| *r == root)
            {
                continue;
            }
            reached[d].push((root, node));
            queue.push_back((d, root));
        }
    }
    let own_states: Vec<ServiceState> = own.iter().map(|(s, _)| *s).collect();
    let mut impacts = Vec::with_capacity(catalog.services.len());
    for (n, s) in catalog.services.iter().enumerate() {
        let own_state = own_states[n];
        let mut evidence = std::mem::take(&mut kinds[n]).evidence();
        evidence.append(&mut own[n].1);
        let failing_dependency = !reached[n].is_empty();
        for &(root, via) in &reached[n] {
            evidence.push(Evidence::DependsOn {
                service: catalog.services[via].name.clone(),
                root: catalog.services[root].name.clone(),
                root_state: own_states[root],
            });
        }
        let state = if failing_dependency && own_state == ServiceState::Ok {
            ServiceState::AtRisk
        } else {
            own_state
        };
        impacts.push(ServiceImpact {
            name: s.name.clone(),
            state,
            root_suspect: state.is_failing() && !failing_dependency,
            evidence,
            tier: s.tier,
            customer_facing: s.customer_facing,
            public_name: s.public_name.clone(),
            team: s.team.clone(),
            key_metric: key_metrics[n].take(),
            key_metric_peak: None,
        });
    }
    impacts.sort_by(|a, b| (a.state, a.tier, &a.name).cmp(&(b.state, b.tier, &b.name)));
    BlastRadius {
        services: impacts,
        unmapped,
    }
}

/// A kind of alert: its name, its severity label, whether it is pending.
type AlertKind<'a> = (&'a str, Option<&'a str>, bool);

/// One service's alerts by kind.
#[derive(Default)]
struct AlertKinds<'a> {
    /// Where each kind is in `counts`.
    index: std::collections::HashMap<AlertKind<'a>, usize>,
    /// Per kind, in the order first seen: the kind, its first fingerprint, how many.
    counts: Vec<(AlertKind<'a>, &'a str, usize)>,
}

impl<'a> AlertKinds<'a> {
    fn add(&mut self, kind: AlertKind<'a>, fingerprint: &'a str) {
        match self.index.get(&kind) {
            Some(&i) => self.counts[i].2 += 1,
            None => {
                self.index.insert(kind, self.counts.len());
                self.counts.push((kind, fingerprint, 1));
            }
        }
    }

    /// The first [`ALERT_KINDS_LISTED`] kinds with their counts, then the rest counted.
    fn evidence(self) -> Vec<Evidence> {
        let mut out = Vec::new();
        let (mut more, mut more_kinds) = (0, 0);
        for (i, ((name, severity, pending), fingerprint, count)) in
            self.counts.into_iter().enumerate()
        {
            if i < ALERT_KINDS_LISTED {
                out.push(Evidence::Alert {
                    fingerprint: fingerprint.to_string(),
                    alert: name.to_string(),
                    severity: severity.map(str::to_ascii_lowercase),
                    pending,
                    count,
                });
            } else {
                more += count;
                more_kinds += 1;
            }
        }
        if more > 0 {
            out.push(Evidence::MoreAlerts {
                alerts: more,
                kinds: more_kinds,
            });
        }
        out
    }
}

/// How one service's state moved, for the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChange {
    pub service: String,
    pub from: ServiceState,
    pub to: ServiceState,
    #[serde(default)]
    pub customer_facing: bool,
    /// What customers call the service (`public_name` in `services.toml`), if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_name: Option<String>,
    /// The evidence for the new state, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<String>,
    /// On a change to a better state: the key metric's peak in the period it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<super::MetricPeak>,
}

impl ServiceChange {
    /// `first affected`, `worsened`, `improved`, `recovered`.
    pub fn kind(&self) -> &'static str {
        match (self.from, self.to) {
            (ServiceState::Ok, _) => "first affected",
            (_, ServiceState::Ok) => "recovered",
            (f, t) if t < f => "worsened",
            _ => "improved",
        }
    }
}

/// What an incident has recorded of each service's state: service → (state, since).
pub type ServiceHistory = BTreeMap<String, (ServiceState, DateTime<Utc>)>;

/// Changes between what the incident last recorded and the blast radius now.
pub fn service_changes(recorded: &ServiceHistory, now: &BlastRadius) -> Vec<ServiceChange> {
    let mut out = Vec::new();
    for s in &now.services {
        let before = recorded
            .get(&s.name)
            .map_or(ServiceState::Ok, |(st, _)| *st);
        if before != s.state {
            out.push(ServiceChange {
                service: s.name.clone(),
                from: before,
                to: s.state,
                customer_facing: s.customer_facing,
                public_name: s.public_name.clone(),
                why: why(&s.evidence),
                // Better than before: the worst it got while in the state it leaves.
                peak: (s.state > before)
                    .then(|| s.key_metric_peak.clone())
                    .flatten(),
            });
        }
    }
    // A service that left the catalog (or was only discovered from alerts now gone) recovered.
    for (name, (state, _)) in recorded {
        if *state != ServiceState::Ok && now.get(name).is_none() {
            out.push(ServiceChange {
                service: name.clone(),
                from: *state,
                to: ServiceState::Ok,
                customer_facing: false,
                public_name: None,
                why: vec!["no longer reported".into()],
                peak: None,
            });
        }
    }
    out
}

/// The evidence in words for the journal: at most [`WHY_LINES`] lines, the last one counting
/// what it leaves out.
fn why(evidence: &[Evidence]) -> Vec<String> {
    if evidence.len() <= WHY_LINES {
        return evidence.iter().map(Evidence::describe).collect();
    }
    let (shown, rest) = evidence.split_at(WHY_LINES - 1);
    let mut out: Vec<String> = shown.iter().map(Evidence::describe).collect();
    let alerts: usize = rest.iter().map(Evidence::alerts).sum();
    let other = rest
        .iter()
        .filter(|e| !matches!(e, Evidence::Alert { .. } | Evidence::MoreAlerts { .. }))
        .count();
    out.push(match (alerts, other) {
        (0, n) => format!("and {n} more reason{}", plural(n)),
        (a, 0) => format!("and {a} more alert{}", plural(a)),
        (a, n) => format!(
            "and {a} more alert{} and {n} more reason{}",
            plural(a),
            plural(n)
        ),
    });
    out
}

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
