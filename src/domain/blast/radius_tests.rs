//! The fast blast radius against the plain one: on arbitrary catalogs (empty, repeated names,
//! several matchers, unknown and circular dependencies), alerts of every state and metrics,
//! both give the same services in the same order with the same evidence.

use super::plain::plain_blast_radius;
use super::{MetricValues, Service, ServiceCatalog, blast_radius};
use crate::domain::{Alert, AlertState, Bands, MetricQuery, ServiceMetric};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use std::collections::BTreeMap;

const NAMES: [&str; 6] = ["api", "db", "cache", "queue", "web", "auth"];
const LABELS: [&str; 3] = ["service", "team", "env"];
const VALUES: [&str; 4] = ["api", "db", "ops", "prod"];

fn service() -> impl Strategy<Value = Service> {
    (
        0..NAMES.len(),
        1u8..4,
        any::<bool>(),
        prop::collection::vec(0..NAMES.len() + 1, 0..4),
        prop::collection::vec((0..LABELS.len(), 0..VALUES.len()), 0..3),
        prop::option::of(0.0f64..1.0),
    )
        .prop_map(|(name, tier, customer_facing, deps, matchers, band)| {
            let mut s = Service::discovered(NAMES[name]);
            s.tier = tier;
            s.customer_facing = customer_facing;
            s.depends_on = deps
                .into_iter()
                .map(|d| NAMES.get(d).copied().unwrap_or("elsewhere").to_string())
                .collect();
            if !matchers.is_empty() {
                s.matchers = matchers
                    .into_iter()
                    .map(|(k, v)| (LABELS[k].to_string(), VALUES[v].to_string()))
                    .collect();
            }
            s.metrics = band
                .map(|b| ServiceMetric {
                    name: "errors".into(),
                    query: MetricQuery::Promql(String::new()),
                    bands: Bands {
                        degraded_above: Some(b / 2.0),
                        down_above: Some(b),
                        ..Bands::default()
                    },
                })
                .into_iter()
                .collect();
            s
        })
}

fn alert() -> impl Strategy<Value = (u8, Vec<(usize, usize)>, u8, u8)> {
    (
        0u8..4,
        prop::collection::vec((0..LABELS.len(), 0..VALUES.len()), 0..4),
        0u8..8,
        0u8..4,
    )
}

fn build_alert(
    n: usize,
    (name, labels, severity, state): (u8, Vec<(usize, usize)>, u8, u8),
) -> Alert {
    let mut map: BTreeMap<String, String> = labels
        .into_iter()
        .map(|(k, v)| (LABELS[k].to_string(), VALUES[v].to_string()))
        .collect();
    map.insert("alertname".into(), format!("Alert{name}"));
    // 6 and 7: no severity label.
    let severities = ["critical", "CRITICAL", "warning", "page", "info", "error"];
    if let Some(s) = severities.get(usize::from(severity)) {
        map.insert("severity".into(), (*s).to_string());
    }
    Alert {
        fingerprint: format!("{n:016x}"),
        labels: map.into(),
        annotations: Default::default(),
        starts_at: Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap(),
        ends_at: None,
        generator_url: None,
        state: [
            AlertState::Active,
            AlertState::Suppressed,
            AlertState::Pending,
            AlertState::Unprocessed,
        ][usize::from(state % 4)],
        silenced_by: vec![],
        inhibited_by: vec![],
        sources: vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn the_fast_blast_radius_is_the_plain_one(
        services in prop::collection::vec(service(), 0..8),
        alerts in prop::collection::vec(alert(), 0..40),
        values in prop::collection::vec((0..NAMES.len(), 0.0f64..1.2), 0..6),
    ) {
        let catalog = ServiceCatalog { services };
        let alerts: Vec<Alert> = alerts.into_iter().enumerate().map(|(n, a)| build_alert(n, a)).collect();
        let mut metrics = MetricValues::new();
        for (s, v) in values {
            metrics.insert(NAMES[s].to_string(), BTreeMap::from([("errors".to_string(), v)]));
        }
        let plain = plain_blast_radius(&catalog, &alerts, &metrics);
        prop_assert_eq!(blast_radius(&catalog, &alerts, &metrics), plain);
    }
}
