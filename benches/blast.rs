//! Blast radius over 2,000 services and 10,000 alerts (aim: 2 ms or less), with two references
//! measured in the same process: one pass over the alerts counting them per `service` label,
//! the least any computation that maps alerts to services must do; and a copy of the finished
//! answer (every service's impact and line of evidence allocated, then dropped), the least any
//! computation that hands back a new answer must do.
//!
//! Run: `cargo bench --bench blast`

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use warroom::domain::{
    Alert, AlertState, Bands, MetricQuery, MetricValues, Service, ServiceCatalog, ServiceMetric,
    blast_radius,
};

/// A deterministic pseudo-random sequence (xorshift), so every run measures the same data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn catalog(services: usize, rng: &mut Rng) -> ServiceCatalog {
    let services = (0..services)
        .map(|n| {
            let mut s = Service::discovered(&format!("svc-{n:04}"));
            s.tier = 1 + (n % 3) as u8;
            s.customer_facing = n % 10 == 0;
            // Mostly depend on "lower" services (a layered graph), sometimes on any (cycles).
            s.depends_on = (0..3)
                .filter_map(|_| {
                    let d = if rng.below(20) == 0 {
                        rng.below(services as u64)
                    } else {
                        rng.below(n.max(1) as u64)
                    };
                    (d as usize != n).then(|| format!("svc-{d:04}"))
                })
                .collect();
            s.metrics = vec![ServiceMetric {
                name: "error ratio".into(),
                query: MetricQuery::Promql(String::new()),
                bands: Bands {
                    degraded_above: Some(0.01),
                    down_above: Some(0.2),
                    ..Bands::default()
                },
            }];
            s
        })
        .collect();
    ServiceCatalog { services }
}

fn alerts(count: usize, services: usize, rng: &mut Rng) -> Vec<Alert> {
    let t = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    (0..count)
        .map(|n| {
            // Most alerts on a few services (an outage), a long tail elsewhere, some unmapped.
            let service = if n % 3 == 0 {
                rng.below(20)
            } else {
                rng.below(services as u64 + 50)
            };
            let labels = BTreeMap::from([
                ("alertname".to_string(), format!("Alert{}", n % 40)),
                ("service".to_string(), format!("svc-{service:04}")),
                (
                    "severity".to_string(),
                    if n % 4 == 0 { "critical" } else { "warning" }.to_string(),
                ),
                ("instance".to_string(), format!("host-{}:9100", n % 500)),
            ]);
            Alert {
                fingerprint: format!("{n:016x}"),
                labels: labels.into(),
                annotations: Default::default(),
                starts_at: t,
                ends_at: None,
                generator_url: None,
                state: if n % 17 == 0 {
                    AlertState::Suppressed
                } else {
                    AlertState::Active
                },
                silenced_by: vec![],
                inhibited_by: vec![],
                sources: vec![],
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let catalog = catalog(2_000, &mut rng);
    let alerts = alerts(10_000, 2_000, &mut rng);
    let mut metrics = MetricValues::new();
    for n in (0..2_000).step_by(7) {
        metrics.insert(
            format!("svc-{n:04}"),
            BTreeMap::from([("error ratio".to_string(), (n % 50) as f64 / 100.0)]),
        );
    }
    let b = blast_radius(&catalog, &alerts, &metrics);
    eprintln!(
        "blast radius: {} services, {} affected, {} unmapped alerts",
        b.services.len(),
        b.affected().count(),
        b.unmapped.len()
    );
    let mut g = c.benchmark_group("blast_radius");
    g.bench_function("2000_services_10000_alerts", |bench| {
        bench.iter(|| blast_radius(black_box(&catalog), black_box(&alerts), black_box(&metrics)))
    });
    g.bench_function("reference_count_alerts_per_service", |bench| {
        bench.iter(|| {
            let mut per: HashMap<&str, usize> = HashMap::new();
            for a in black_box(&alerts) {
                if let Some(s) = a.labels.get("service") {
                    *per.entry(s).or_default() += 1;
                }
            }
            per.len()
        })
    });
    g.bench_function("reference_clone_the_answer", |bench| {
        bench.iter(|| black_box(&b).clone())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
