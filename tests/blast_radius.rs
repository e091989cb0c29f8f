//! The blast radius computed from a catalog, alerts and metric values: exact states and
//! evidence for the shapes outages take.

use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;
use warroom::domain::{
    Alert, AlertState, Bands, Evidence, MetricQuery, MetricValues, Service, ServiceCatalog,
    ServiceMetric, ServiceState, blast_radius,
};

fn svc(name: &str, deps: &[&str]) -> Service {
    let mut s = Service::discovered(name);
    s.tier = 1;
    s.depends_on = deps.iter().map(|d| d.to_string()).collect();
    s
}

fn alert(fp: &str, name: &str, labels: &[(&str, &str)]) -> Alert {
    let mut l: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.insert("alertname".into(), name.into());
    Alert {
        fingerprint: fp.into(),
        labels: l.into(),
        annotations: Default::default(),
        starts_at: Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap(),
        ends_at: None,
        generator_url: None,
        state: AlertState::Active,
        silenced_by: vec![],
        inhibited_by: vec![],
        sources: vec![],
    }
}

fn critical(fp: &str, service: &str) -> Alert {
    alert(
        fp,
        "ServiceDown",
        &[("service", service), ("severity", "critical")],
    )
}

fn states(
    catalog: &ServiceCatalog,
    alerts: &[Alert],
    metrics: &MetricValues,
) -> Vec<(String, ServiceState)> {
    let b = blast_radius(catalog, alerts, metrics);
    let mut v: Vec<(String, ServiceState)> = b
        .services
        .iter()
        .map(|s| (s.name.clone(), s.state))
        .collect();
    v.sort();
    v
}

fn s(name: &str, st: ServiceState) -> (String, ServiceState) {
    (name.to_string(), st)
}

#[test]
fn a_diamond_puts_both_paths_and_the_top_at_risk_once() {
    // web → (checkout, search) → db. The database is down.
    let catalog = ServiceCatalog {
        services: vec![
            svc("web", &["checkout", "search"]),
            svc("checkout", &["db"]),
            svc("search", &["db"]),
            svc("db", &[]),
        ],
    };
    let alerts = [critical("f1", "db")];
    assert_eq!(
        states(&catalog, &alerts, &MetricValues::new()),
        vec![
            s("checkout", ServiceState::AtRisk),
            s("db", ServiceState::Down),
            s("search", ServiceState::AtRisk),
            s("web", ServiceState::AtRisk)
        ]
    );
    let b = blast_radius(&catalog, &alerts, &MetricValues::new());
    let web = b.get("web").unwrap();
    // Reached through two paths, the failing database is named once, via the first path.
    assert_eq!(
        web.evidence,
        vec![Evidence::DependsOn {
            service: "checkout".into(),
            root: "db".into(),
            root_state: ServiceState::Down
        }]
    );
    assert!(b.get("db").unwrap().root_suspect);
    assert!(!web.root_suspect);
}

#[test]
fn a_chain_carries_risk_all_the_way_up() {
    let catalog = ServiceCatalog {
        services: vec![
            svc("a", &["b"]),
            svc("b", &["c"]),
            svc("c", &["d"]),
            svc("d", &[]),
        ],
    };
    let alerts = [alert(
        "f",
        "Slow",
        &[("service", "d"), ("severity", "warning")],
    )];
    let b = blast_radius(&catalog, &alerts, &MetricValues::new());
    assert_eq!(b.get("d").unwrap().state, ServiceState::Degraded);
    assert_eq!(
        b.get("a").unwrap().evidence,
        vec![Evidence::DependsOn {
            service: "b".into(),
            root: "d".into(),
            root_state: ServiceState::Degraded
        }]
    );
    assert_eq!(
        b.get("a").unwrap().evidence[0].describe(),
        "depends on b, which needs d (degraded)"
    );
    assert_eq!(b.affected().count(), 4);
}

#[test]
fn a_cycle_terminates_and_is_reported() {
    let catalog = ServiceCatalog {
        services: vec![
            svc("a", &["b"]),
            svc("b", &["c"]),
            svc("c", &["a"]),
            svc("d", &["a"]),
        ],
    };
    let alerts = [critical("f", "b")];
    assert_eq!(
        states(&catalog, &alerts, &MetricValues::new()),
        vec![
            s("a", ServiceState::AtRisk),
            s("b", ServiceState::Down),
            s("c", ServiceState::AtRisk),
            s("d", ServiceState::AtRisk)
        ]
    );
    // b is down and (through the cycle) depends on itself: it is still its own root suspect
    // only if no *other* failing service explains it.
    let b = blast_radius(&catalog, &alerts, &MetricValues::new());
    assert!(b.get("b").unwrap().root_suspect);
    assert_eq!(
        catalog.cycles(),
        vec![vec!["a".to_string(), "b".into(), "c".into(), "a".into()]]
    );
}

#[test]
fn alerts_that_map_to_no_service_are_listed_not_dropped() {
    let catalog = ServiceCatalog {
        services: vec![svc("checkout", &[])],
    };
    let alerts = [
        critical("f1", "checkout"),
        alert("f2", "DiskFull", &[("instance", "db-7")]),
        alert("f3", "ServiceDown", &[("service", "billing")]),
    ];
    let b = blast_radius(&catalog, &alerts, &MetricValues::new());
    let unmapped: Vec<&str> = b.unmapped.iter().map(|a| a.fingerprint.as_str()).collect();
    assert_eq!(unmapped, vec!["f2", "f3"]);
}

#[test]
fn a_metric_over_threshold_with_no_alert_degrades_the_service() {
    let mut checkout = svc("checkout", &[]);
    checkout.metrics = vec![ServiceMetric {
        name: "error ratio".into(),
        query: MetricQuery::Promql("x".into()),
        bands: Bands {
            degraded_above: Some(0.01),
            down_above: Some(0.2),
            ..Bands::default()
        },
    }];
    let catalog = ServiceCatalog {
        services: vec![checkout, svc("web", &["checkout"])],
    };
    let mut m = MetricValues::new();
    m.insert(
        "checkout".into(),
        BTreeMap::from([("error ratio".to_string(), 0.05)]),
    );
    let b = blast_radius::<Alert>(&catalog, &[], &m);
    let c = b.get("checkout").unwrap();
    assert_eq!(c.state, ServiceState::Degraded);
    assert_eq!(
        c.evidence,
        vec![Evidence::Metric {
            metric: "error ratio".into(),
            value: 0.05,
            threshold: 0.01,
            level: ServiceState::Degraded,
            below: false,
        }]
    );
    assert_eq!(
        c.evidence[0].describe(),
        "error ratio 0.0500 > 0.0100 (degraded)"
    );
    assert_eq!(c.key_metric, Some(("error ratio".into(), 0.05)));
    assert_eq!(b.get("web").unwrap().state, ServiceState::AtRisk);
    // Over the down threshold, down; NaN (no traffic) is no evidence.
    m.insert(
        "checkout".into(),
        BTreeMap::from([("error ratio".to_string(), 0.5)]),
    );
    assert_eq!(
        blast_radius::<Alert>(&catalog, &[], &m)
            .get("checkout")
            .unwrap()
            .state,
        ServiceState::Down
    );
    m.insert(
        "checkout".into(),
        BTreeMap::from([("error ratio".to_string(), f64::NAN)]),
    );
    assert_eq!(
        blast_radius::<Alert>(&catalog, &[], &m)
            .get("checkout")
            .unwrap()
            .state,
        ServiceState::Ok
    );
}

#[test]
fn with_no_catalog_services_are_discovered_from_alert_labels() {
    let alerts = [
        critical("f1", "checkout"),
        alert(
            "f2",
            "Slow",
            &[("service", "search"), ("severity", "warning")],
        ),
        alert("f3", "DiskFull", &[("instance", "db-7")]),
    ];
    let b = blast_radius(&ServiceCatalog::default(), &alerts, &MetricValues::new());
    let got: Vec<(&str, ServiceState)> = b
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.state))
        .collect();
    assert_eq!(
        got,
        vec![
            ("checkout", ServiceState::Down),
            ("search", ServiceState::Degraded)
        ]
    );
    assert_eq!(b.unmapped.len(), 1);
}

#[test]
fn silenced_alerts_still_count_and_pending_ones_only_warn() {
    let catalog = ServiceCatalog {
        services: vec![svc("checkout", &[]), svc("cart", &[])],
    };
    let mut muted = critical("f1", "checkout");
    muted.state = AlertState::Suppressed;
    let mut pending = critical("f2", "cart");
    pending.state = AlertState::Pending;
    let b = blast_radius(&catalog, &[muted, pending], &MetricValues::new());
    assert_eq!(b.get("checkout").unwrap().state, ServiceState::Down);
    assert_eq!(b.get("cart").unwrap().state, ServiceState::AtRisk);
    assert!(b.unmapped.is_empty());
}

#[test]
fn custom_matchers_map_alerts_by_other_labels() {
    let mut payments = svc("payments", &[]);
    payments.matchers = BTreeMap::from([
        ("app".to_string(), "pay-api".to_string()),
        ("env".to_string(), "prod".to_string()),
    ]);
    let catalog = ServiceCatalog {
        services: vec![payments],
    };
    let prod = alert(
        "f1",
        "Errors",
        &[
            ("app", "pay-api"),
            ("env", "prod"),
            ("severity", "critical"),
        ],
    );
    let staging = alert("f2", "Errors", &[("app", "pay-api"), ("env", "staging")]);
    let b = blast_radius(&catalog, &[prod, staging], &MetricValues::new());
    assert_eq!(b.get("payments").unwrap().state, ServiceState::Down);
    assert_eq!(b.unmapped.len(), 1);
}

/// An outage of 100,000 alerts over 200 services (500 alerts each, of ten alert names and two
/// severities): each service's evidence is counted and summarised, not listed alert by alert,
/// and the `blast_radius_changed` line the journal gets stays small.
#[test]
fn a_hundred_thousand_alerts_are_counted_in_the_evidence_and_the_journal_line_stays_small() {
    let alerts: Vec<Alert> = (0..100_000)
        .map(|n| {
            let service = format!("svc-{:03}", n % 200);
            let severity = if n % 7 == 0 { "warning" } else { "critical" };
            let name = format!("A{}", (n / 200) % 10);
            let instance = format!("host-{n}:9100");
            alert(
                &format!("{n:016x}"),
                &name,
                &[
                    ("service", &service),
                    ("severity", severity),
                    ("instance", &instance),
                ],
            )
        })
        .collect();
    let b = blast_radius(&ServiceCatalog::default(), &alerts, &MetricValues::new());
    assert_eq!(b.services.len(), 200);
    for s in &b.services {
        assert_eq!(s.state, ServiceState::Down, "{}", s.name);
        assert!(
            s.evidence.len() <= 8,
            "{} keeps {} pieces of evidence",
            s.name,
            s.evidence.len()
        );
        let described: Vec<String> = s.evidence.iter().map(Evidence::describe).collect();
        // Every one of its 500 alerts is counted, in a few lines.
        let counted: usize = described
            .iter()
            .map(|d| {
                if let Some(more) = d.strip_prefix("and ") {
                    more.split(' ').next().unwrap().parse::<usize>().unwrap()
                } else if let Some((_, n)) = d.rsplit_once(" × ") {
                    n.parse::<usize>().unwrap()
                } else {
                    1
                }
            })
            .sum();
        assert_eq!(counted, 500, "{}: {described:?}", s.name);
        assert!(
            described
                .iter()
                .any(|d| d.starts_with("alert A") && d.contains("(critical) × ")),
            "{}: {described:?}",
            s.name
        );
    }

    // What the console journals for it.
    let opened = warroom::domain::Entry {
        seq: 1,
        at: Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap(),
        by: "alice".into(),
        event: warroom::domain::Event::Opened {
            title: "Everything is down".into(),
            severity: warroom::domain::Severity::Sev1,
            summary: None,
        },
    };
    let incident = warroom::domain::Incident::fold("INC-1", [&opened]).unwrap();
    let event = incident.blast_changes(&b).expect("200 services changed");
    let json = event.to_json();
    assert!(
        json.len() <= 64 * 1024,
        "the blast_radius_changed line is {} bytes",
        json.len()
    );
    let warroom::domain::Event::BlastRadiusChanged { changes } = &event else {
        panic!("{json}")
    };
    assert_eq!(changes.len(), 200);
    for c in changes {
        assert!(c.why.len() <= 4, "{}: {:?}", c.service, c.why);
        assert!(!c.why.is_empty());
        assert_eq!(
            c.why.iter().filter(|w| w.contains("alert A0")).count(),
            c.why
                .iter()
                .filter(|w| w.contains("alert A0"))
                .count()
                .min(1),
            "{}: {:?}",
            c.service,
            c.why
        );
    }
}
