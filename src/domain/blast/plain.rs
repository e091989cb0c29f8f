//! The blast radius computed the plain way: the reference that `radius.rs` is held to by a
//! property test. Each alert looks up its services by every label it carries, each service
//! keeps its own map of alert kinds, and the result is sorted at the end.

use super::{
    ALERT_KINDS_LISTED, BlastRadius, Evidence, MetricValues, ServiceCatalog, ServiceImpact,
    ServiceState,
};
use crate::domain::{Alert, AlertState};
use std::collections::VecDeque;

/// Computes the blast radius. With an empty catalog, services are discovered from the
/// `service` label of the alerts.
pub(super) fn plain_blast_radius<A: AsRef<Alert>>(
    catalog: &ServiceCatalog,
    alerts: &[A],
    metrics: &MetricValues,
) -> BlastRadius {
    let catalog = catalog.or_discovered(alerts);

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
                service: catalog.services[via].name.as_str().into(),
                root: catalog.services[root].name.as_str().into(),
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
                    alert: name.into(),
                    severity: severity.map(|s| s.to_ascii_lowercase().into()),
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
