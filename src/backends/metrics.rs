//! Service metrics for the blast radius: the current value of every catalog metric (instant
//! queries) and the last 30 minutes of each service's key metric (range queries, for the
//! sparklines), read from Prometheus on a fixed interval.

use super::prometheus::Prometheus;
use crate::domain::{MetricValues, ServiceCatalog};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How far back sparklines reach, and their resolution.
pub const HISTORY: chrono::Duration = chrono::Duration::minutes(30);
pub const HISTORY_STEP: Duration = Duration::from_secs(30);

/// One round of metric reads.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsReport {
    pub at: DateTime<Utc>,
    /// Values read this round; a metric whose query failed or returned nothing is absent.
    pub values: MetricValues,
    /// Key metric per service over [`HISTORY`], when read this round.
    pub history: BTreeMap<String, Vec<(DateTime<Utc>, f64)>>,
    /// Queries that failed, in words (Prometheus down, a bad expression…).
    pub errors: Vec<String>,
}

/// The value a query gives for a service: the worst (highest) of its samples, so a query
/// that forgot an aggregation still says something true about the worst instance.
fn worst(samples: &[super::prometheus::Sample]) -> Option<f64> {
    samples
        .iter()
        .map(|s| s.value)
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| a.max(v)))
        })
}

/// Reads every metric once; with `with_history`, also the key metrics' last 30 minutes.
pub async fn read(
    prom: &Prometheus,
    catalog: &ServiceCatalog,
    now: DateTime<Utc>,
    with_history: bool,
) -> MetricsReport {
    let mut report = MetricsReport {
        at: now,
        values: MetricValues::new(),
        history: BTreeMap::new(),
        errors: Vec::new(),
    };
    let queries = catalog
        .services
        .iter()
        .flat_map(|s| s.metrics.iter().map(move |m| (s, m)));
    let answers = futures::future::join_all(queries.map(|(s, m)| async move {
        (
            s.name.clone(),
            m.name.clone(),
            prom.query(&m.promql, Some(now)).await,
        )
    }))
    .await;
    for (service, metric, answer) in answers {
        match answer {
            Ok(samples) => {
                if let Some(v) = worst(&samples) {
                    report.values.entry(service).or_default().insert(metric, v);
                }
            }
            Err(e) => report.errors.push(format!("{service} {metric}: {e}")),
        }
    }
    if with_history {
        let keyed = catalog.services.iter().filter_map(|s| {
            s.metrics
                .first()
                .map(|m| (s.name.clone(), m.promql.clone()))
        });
        let series = futures::future::join_all(keyed.map(|(service, promql)| async move {
            let r = prom
                .query_range(&promql, now - HISTORY, now, HISTORY_STEP)
                .await;
            (service, r)
        }))
        .await;
        for (service, r) in series {
            match r {
                Ok(series) => {
                    // Several series: keep, at each step, the worst.
                    let mut points: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
                    for s in series {
                        for (t, v) in s.points.into_iter().filter(|(_, v)| v.is_finite()) {
                            let e = points.entry(t).or_insert(v);
                            *e = e.max(v);
                        }
                    }
                    report.history.insert(service, points.into_iter().collect());
                }
                Err(e) => report.errors.push(format!("{service} history: {e}")),
            }
        }
    }
    report
}

/// Reads every `interval` until the receiver is dropped; history every third round.
pub fn spawn(
    prom: Prometheus,
    catalog: ServiceCatalog,
    interval: Duration,
    tx: UnboundedSender<MetricsReport>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut round: u64 = 0;
        loop {
            let report = tokio::select! {
                r = read(&prom, &catalog, Utc::now(), round.is_multiple_of(3)) => r,
                _ = tx.closed() => return,
            };
            round += 1;
            if tx.send(report).is_err() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = tx.closed() => return,
            }
        }
    })
}
