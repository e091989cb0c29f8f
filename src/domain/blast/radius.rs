//! Computing the blast radius: alerts and metrics to each service's own state, then spread
//! over the dependency graph.
//!
//! It runs on every change of the alert board (10,000 alerts and 2,000 services are the sizes
//! it is measured at, `benches/blast.rs`), so it is written to touch each alert once with a
//! few look-ups and to allocate per service, not per alert: services are found by the value
//! of their first matcher's label, alert kinds are counted in one table for all services, and
//! the dependency graph and the roots reached are flat arrays. `plain.rs` is the same
//! computation written plainly; a property test holds the two to the same answer.

use super::{
    ALERT_KINDS_LISTED, BlastRadius, Evidence, MetricValues, Service, ServiceCatalog,
    ServiceImpact, ServiceState,
};
use crate::domain::{Alert, AlertState};
use std::collections::VecDeque;
use std::sync::Arc;

/// A hash map with a fast hasher: keys here are label values and names, hashed thousands of
/// times a call. foldhash is seeded per process, so crafted label values cannot aim at it.
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// No index: the end of a chain.
const NONE: u32 = u32::MAX;

/// The failing services a service depends on that it keeps as evidence, nearest first.
const MAX_ROOTS: usize = 3;

/// Computes the blast radius. With an empty catalog, services are discovered from the
/// `service` label of the alerts.
pub fn blast_radius<A: AsRef<Alert>>(
    catalog: &ServiceCatalog,
    alerts: &[A],
    metrics: &MetricValues,
) -> BlastRadius {
    let catalog = catalog.or_discovered(alerts);
    let services = &catalog.services;
    let index = ServiceIndex::new(services);
    let Mapped {
        kinds,
        unmapped,
        mut own,
    } = index.map(alerts);
    let mut metric_evidence: Vec<Vec<Evidence>> = vec![Vec::new(); services.len()];
    let mut key_metrics: Vec<Option<(&str, f64)>> = vec![None; services.len()];
    for (n, s) in services.iter().enumerate() {
        if s.metrics.is_empty() {
            continue;
        }
        let Some(values) = metrics.get(&s.name) else {
            continue;
        };
        for (k, m) in s.metrics.iter().enumerate() {
            let Some(v) = values.get(&m.name).copied().filter(|v| v.is_finite()) else {
                continue;
            };
            if k == 0 {
                key_metrics[n] = Some((&m.name, v));
            }
            if let Some(c) = m.bands.crossing(v) {
                own[n] = own[n].min(c.level);
                metric_evidence[n].push(Evidence::Metric {
                    metric: m.name.clone(),
                    value: v,
                    threshold: c.threshold,
                    level: c.level,
                    below: c.below,
                });
            }
        }
    }
    let reached = spread(services, &own);
    let states: Vec<ServiceState> = (0..services.len())
        .map(|n| {
            if !reached[n].is_empty() && own[n] == ServiceState::Ok {
                ServiceState::AtRisk
            } else {
                own[n]
            }
        })
        .collect();
    // Worst first, then by tier and name; a stable sort of positions, so equal keys keep
    // catalog order and no service is moved more than once.
    let mut order: Vec<usize> = (0..services.len()).collect();
    order.sort_by(|&a, &b| {
        (states[a], services[a].tier, &services[a].name).cmp(&(
            states[b],
            services[b].tier,
            &services[b].name,
        ))
    });
    // Each service named in a dependency's evidence is named by one shared string.
    let mut shared: Vec<Option<Arc<str>>> = vec![None; services.len()];
    for roots in &reached {
        for &(root, via) in roots.as_slice() {
            for n in [root, via] {
                shared[n as usize].get_or_insert_with(|| services[n as usize].name.as_str().into());
            }
        }
    }
    let out = Out {
        services,
        kinds,
        metric_evidence: &metric_evidence,
        key_metrics: &key_metrics,
        reached: &reached,
        own: &own,
        states: &states,
        shared: &shared,
    };
    BlastRadius {
        services: out.impacts(&order),
        unmapped,
    }
}

/// Everything the services' impacts are written from.
struct Out<'a, 'k> {
    services: &'a [Service],
    kinds: Kinds<'a>,
    metric_evidence: &'k [Vec<Evidence>],
    key_metrics: &'k [Option<(&'a str, f64)>],
    reached: &'k [Roots],
    own: &'k [ServiceState],
    states: &'k [ServiceState],
    shared: &'k [Option<Arc<str>>],
}

impl Out<'_, '_> {
    /// The impacts of the services at `order`, in that order.
    fn impacts(mut self, order: &[usize]) -> Vec<ServiceImpact> {
        let name_of = |n: u32| -> Arc<str> {
            match &self.shared[n as usize] {
                Some(name) => Arc::clone(name),
                None => self.services[n as usize].name.as_str().into(),
            }
        };
        let mut impacts = Vec::with_capacity(order.len());
        for &n in order {
            let s = &self.services[n];
            let roots = self.reached[n].as_slice();
            let metric = &self.metric_evidence[n];
            let mut evidence =
                Vec::with_capacity(self.kinds.listed(n) + metric.len() + roots.len());
            self.kinds.evidence(n, &mut evidence);
            evidence.extend(metric.iter().cloned());
            for &(root, via) in roots {
                evidence.push(Evidence::DependsOn {
                    service: name_of(via),
                    root: name_of(root),
                    root_state: self.own[root as usize],
                });
            }
            let state = self.states[n];
            impacts.push(ServiceImpact {
                name: s.name.clone(),
                state,
                root_suspect: state.is_failing() && roots.is_empty(),
                evidence,
                tier: s.tier,
                customer_facing: s.customer_facing,
                public_name: s.public_name.clone(),
                team: s.team.clone(),
                key_metric: self.key_metrics[n].map(|(name, v)| (name.to_string(), v)),
                key_metric_peak: None,
            });
        }
        impacts
    }
}

/// Services by their first matcher: the label's name, then its value, to the first service
/// with that pair; `same` chains the others. An alert then costs one label look-up and one
/// hash look-up per distinct matcher name (usually one: `service`).
struct ServiceIndex<'a> {
    services: &'a [Service],
    by_label: Vec<(&'a str, FastMap<&'a str, u32>)>,
    same: Vec<u32>,
}

/// What the alerts say of the services.
struct Mapped<'a> {
    kinds: Kinds<'a>,
    /// Firing alerts that match no service.
    unmapped: Vec<Alert>,
    /// Each service's state on its alerts alone.
    own: Vec<ServiceState>,
}

impl<'a> ServiceIndex<'a> {
    fn new(services: &'a [Service]) -> ServiceIndex<'a> {
        let mut by_label: Vec<(&str, FastMap<&str, u32>)> = Vec::new();
        let mut same = vec![NONE; services.len()];
        for (n, s) in services.iter().enumerate() {
            let Some((k, v)) = s.matchers.iter().next() else {
                continue;
            };
            let slot = match by_label.iter().position(|(name, _)| name == k) {
                Some(slot) => slot,
                None => {
                    by_label.push((k, FastMap::default()));
                    by_label.len() - 1
                }
            };
            if let Some(first) = by_label[slot].1.insert(v, n as u32) {
                same[n] = first;
            }
        }
        ServiceIndex {
            services,
            by_label,
            same,
        }
    }

    /// Maps each firing or pending alert to the services it matches: their own state worsens
    /// to the alert's level and the alert is counted under its kind.
    fn map<'b, A: AsRef<Alert>>(&self, alerts: &'b [A]) -> Mapped<'b> {
        let services = self.services;
        let mut own = vec![ServiceState::Ok; services.len()];
        let mut kinds = Kinds::new(services.len());
        let mut unmapped = Vec::new();
        for a in alerts
            .iter()
            .map(AsRef::as_ref)
            .filter(|a| a.is_firing() || a.state == AlertState::Pending)
        {
            let pending = a.state == AlertState::Pending;
            let (name, severity) = (
                a.labels.get_shared("alertname"),
                a.labels.get_shared("severity"),
            );
            let mut mapped = false;
            for (label, values) in &self.by_label {
                let Some(value) = a.labels.get(label) else {
                    continue;
                };
                let mut at = values.get(value).copied().unwrap_or(NONE);
                while at != NONE {
                    let n = at as usize;
                    at = self.same[n];
                    // One matcher is the label just looked up; more must all match too.
                    if services[n].matchers.len() > 1 && !services[n].matches(&a.labels) {
                        continue;
                    }
                    mapped = true;
                    let level = kinds.add(n, name, severity, pending, &a.fingerprint);
                    own[n] = own[n].min(level);
                }
            }
            if !mapped && a.is_firing() {
                unmapped.push(a.clone());
            }
        }
        Mapped {
            kinds,
            unmapped,
            own,
        }
    }
}

/// How bad an alert says its service is: pending is a warning, a critical-like severity is
/// down, anything else degraded.
fn alert_level(severity: Option<&str>, pending: bool) -> ServiceState {
    if pending {
        ServiceState::AtRisk
    } else if severity.is_some_and(|s| {
        ["critical", "page", "sev1", "p1", "error"]
            .iter()
            .any(|c| s.eq_ignore_ascii_case(c))
    }) {
        ServiceState::Down
    } else {
        ServiceState::Degraded
    }
}

/// The failing services each service depends on, directly or through others: a breadth-first
/// walk from every failing service at once over "is depended on by" edges. Each service keeps
/// the nearest [`MAX_ROOTS`] roots, each once, with the dependency the failure comes through
/// (root, via); a root already kept is not walked again, which ends cycles.
fn spread(services: &[Service], own: &[ServiceState]) -> Vec<Roots> {
    let count = services.len();
    let position: FastMap<&str, u32> = services
        .iter()
        .enumerate()
        .map(|(n, s)| (s.name.as_str(), n as u32))
        .collect();
    // "Is depended on by" as one flat array: `dependents[start[m]..start[m + 1]]` are the
    // services that depend on m, in catalog order.
    let edge = |n: usize, d: &String| {
        position
            .get(d.as_str())
            .map(|&m| m as usize)
            .filter(|&m| m != n)
    };
    let mut start = vec![0u32; count + 1];
    for (n, s) in services.iter().enumerate() {
        for m in s.depends_on.iter().filter_map(|d| edge(n, d)) {
            start[m + 1] += 1;
        }
    }
    for m in 0..count {
        start[m + 1] += start[m];
    }
    let mut fill: Vec<u32> = start[..count].to_vec();
    let mut dependents = vec![0u32; start[count] as usize];
    for (n, s) in services.iter().enumerate() {
        for m in s.depends_on.iter().filter_map(|d| edge(n, d)) {
            dependents[fill[m] as usize] = n as u32;
            fill[m] += 1;
        }
    }
    let mut reached = vec![Roots::default(); count];
    let mut queue: VecDeque<(u32, u32)> = (0..count as u32)
        .filter(|&n| own[n as usize].is_failing())
        .map(|n| (n, n))
        .collect();
    while let Some((node, root)) = queue.pop_front() {
        let node = node as usize;
        for &d in &dependents[start[node] as usize..start[node + 1] as usize] {
            let r = &mut reached[d as usize];
            if d == root || r.is_full() || r.has(root) {
                continue;
            }
            r.push(root, node as u32);
            queue.push_back((d, root));
        }
    }
    reached
}

/// Up to [`MAX_ROOTS`] (root, via) pairs, kept inline.
#[derive(Clone, Copy, Default)]
struct Roots {
    len: u8,
    pairs: [(u32, u32); MAX_ROOTS],
}

impl Roots {
    fn as_slice(&self) -> &[(u32, u32)] {
        &self.pairs[..self.len as usize]
    }
    fn is_empty(&self) -> bool {
        self.len == 0
    }
    fn is_full(&self) -> bool {
        self.len as usize >= MAX_ROOTS
    }
    fn has(&self, root: u32) -> bool {
        self.as_slice().iter().any(|(r, _)| *r == root)
    }
    fn push(&mut self, root: u32, via: u32) {
        self.pairs[self.len as usize] = (root, via);
        self.len += 1;
    }
}

/// A kind of alert: its name, its severity label, whether it is pending.
type AlertKind<'a> = (&'a str, Option<&'a str>, bool);

/// What an alert without an `alertname` label is called.
const UNNAMED: &str = "(unnamed)";

/// Every service's alerts by kind, in one table: each kind once per service with its first
/// fingerprint and how many alerts it counts, chained per service in the order first seen.
struct Kinds<'a> {
    /// (service, kind) to its row.
    index: FastMap<(u32, AlertKind<'a>), u32>,
    rows: Vec<KindRow>,
    /// Per service: its first and last row, and how many rows it has.
    first: Vec<u32>,
    last: Vec<u32>,
    rows_of: Vec<u32>,
}

struct KindRow {
    /// The kind as its evidence shows it, for the service's first [`ALERT_KINDS_LISTED`]
    /// kinds (the rest are only counted): written when its first alert is counted, while that
    /// alert is at hand, rather than looked up again among thousands at the end.
    shown: Option<Shown>,
    count: usize,
    /// The service's next row.
    next: u32,
}

struct Shown {
    fingerprint: String,
    alert: Arc<str>,
    severity: Option<Arc<str>>,
    pending: bool,
}

impl<'a> Kinds<'a> {
    fn new(services: usize) -> Kinds<'a> {
        Kinds {
            index: FastMap::default(),
            rows: Vec::new(),
            first: vec![NONE; services],
            last: vec![NONE; services],
            rows_of: vec![0; services],
        }
    }

    /// Counts one alert of a kind (name, severity, pending) for service `n`; returns the level
    /// the kind stands for.
    fn add(
        &mut self,
        n: usize,
        name: Option<&'a Arc<str>>,
        severity: Option<&'a Arc<str>>,
        pending: bool,
        fingerprint: &'a str,
    ) -> ServiceState {
        let kind = (
            name.map_or(UNNAMED, |s| &**s),
            severity.map(|s| &**s),
            pending,
        );
        let next = self.rows.len() as u32;
        let row = *self.index.entry((n as u32, kind)).or_insert(next);
        if row == next {
            let shown = (self.rows_of[n] < ALERT_KINDS_LISTED as u32).then(|| Shown {
                fingerprint: fingerprint.to_string(),
                alert: name.map_or_else(|| UNNAMED.into(), Arc::clone),
                severity: severity.map(|s| {
                    if s.bytes().any(|b| b.is_ascii_uppercase()) {
                        s.to_ascii_lowercase().into()
                    } else {
                        Arc::clone(s)
                    }
                }),
                pending,
            });
            self.rows.push(KindRow {
                shown,
                count: 1,
                next: NONE,
            });
            match self.last[n] {
                NONE => self.first[n] = row,
                last => self.rows[last as usize].next = row,
            }
            self.last[n] = row;
            self.rows_of[n] += 1;
        } else {
            self.rows[row as usize].count += 1;
        }
        alert_level(kind.1, kind.2)
    }

    /// How many pieces of evidence [`Kinds::evidence`] gives service `n`.
    fn listed(&self, n: usize) -> usize {
        let rows = self.rows_of[n] as usize;
        rows.min(ALERT_KINDS_LISTED) + usize::from(rows > ALERT_KINDS_LISTED)
    }

    /// Service `n`'s first [`ALERT_KINDS_LISTED`] kinds with their counts, then the rest
    /// counted in one [`Evidence::MoreAlerts`]. Each service's evidence is taken once.
    fn evidence(&mut self, n: usize, out: &mut Vec<Evidence>) {
        let (mut more, mut more_kinds) = (0, 0);
        let mut at = self.first[n];
        while at != NONE {
            let row = &mut self.rows[at as usize];
            at = row.next;
            match row.shown.take() {
                Some(shown) => out.push(Evidence::Alert {
                    fingerprint: shown.fingerprint,
                    alert: shown.alert,
                    severity: shown.severity,
                    pending: shown.pending,
                    count: row.count,
                }),
                None => {
                    more += row.count;
                    more_kinds += 1;
                }
            }
        }
        if more > 0 {
            out.push(Evidence::MoreAlerts {
                alerts: more,
                kinds: more_kinds,
            });
        }
    }
}
