//! Service metrics for the blast radius and for verifying actions, whatever source answers
//! them: [`MetricReaders`] holds the configured sources and turns a [`MetricQuery`] into a
//! value now ([`MetricReaders::instant`]) or a history ([`MetricReaders::range`]). The
//! poller reads every catalog metric (instant queries) and, every third round, the last 30
//! minutes of each service's key metric (range queries, for the sparklines).
//!
//! Adding a source is a field in [`MetricReaders`] and one arm in each of its three reads.

use super::cloudwatch::CloudWatch;
use super::datadog::Datadog;
use super::graphite::Graphite;
use super::http::{BackendError, Endpoint};
use super::newrelic::NewRelic;
use super::prometheus::Prometheus;
use crate::config::Config;
use crate::domain::{MetricQuery, MetricValues, ServiceCatalog};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How far back sparklines reach, and their resolution (Graphite answers at its own).
pub const HISTORY: chrono::Duration = chrono::Duration::minutes(30);
pub const HISTORY_STEP: Duration = Duration::from_secs(30);
/// How far back a Graphite value "now" may come from: the newest non-`null` point in this
/// window (the current interval is often not written yet).
pub const GRAPHITE_LOOKBACK: chrono::Duration = chrono::Duration::minutes(5);
/// How many of its periods back a CloudWatch value "now" may come from (at least
/// [`GRAPHITE_LOOKBACK`]): the newest datapoint in that window, since CloudWatch writes a
/// period's statistic once the period is over.
pub const CLOUDWATCH_LOOKBACK_PERIODS: i32 = 3;

pub use crate::domain::MetricPoints as Points;

/// The configured metrics sources.
#[derive(Debug, Clone, Default)]
pub struct MetricReaders {
    pub prometheus: Option<Prometheus>,
    pub graphite: Option<Graphite>,
    pub cloudwatch: Option<CloudWatch>,
    pub datadog: Option<Datadog>,
    /// The first `[[newrelic]]`, for NRQL.
    pub newrelic: Option<NewRelic>,
}

impl MetricReaders {
    /// The sources `config.toml` names, each request bounded by `timeout`; a source that
    /// cannot be set up (a bad URL, an unset password variable) is left out and said why.
    pub fn from_config(
        config: &Config,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> (MetricReaders, Vec<String>) {
        let mut readers = MetricReaders::default();
        let mut problems = Vec::new();
        if let Some(p) = &config.prometheus {
            match Endpoint::new(client.clone(), p.url.get_ref(), timeout) {
                Ok(e) => readers.prometheus = Some(Prometheus::new(e)),
                Err(e) => problems.push(format!("prometheus: {e}")),
            }
        }
        if let Some(g) = &config.graphite {
            let endpoint = Endpoint::new(client.clone(), g.url.get_ref(), timeout).and_then(|e| {
                match g.credentials().map_err(BackendError::Setup)? {
                    Some((user, password)) => e.with_basic(&user, &password),
                    None => Ok(e),
                }
            });
            match endpoint {
                Ok(e) => readers.graphite = Some(Graphite::new(e)),
                Err(e) => problems.push(format!("graphite: {e}")),
            }
        }
        if let Some(cw) = &config.cloudwatch {
            match super::sources::cloudwatch_from_config(cw, client, timeout) {
                Ok(c) => readers.cloudwatch = Some(c),
                Err(e) => problems.push(e.to_string()),
            }
        }
        if let Some(dd) = &config.datadog {
            match Datadog::from_config(dd, client, timeout) {
                Ok(d) => readers.datadog = Some(d),
                Err(e) => problems.push(e.to_string()),
            }
        }
        if let Some(nr) = config.newrelics.first() {
            match NewRelic::from_config(nr, client, timeout) {
                Ok(c) => readers.newrelic = Some(c),
                Err(e) => problems.push(e.to_string()),
            }
        }
        (readers, problems)
    }

    pub fn is_empty(&self) -> bool {
        self.prometheus.is_none()
            && self.graphite.is_none()
            && self.cloudwatch.is_none()
            && self.datadog.is_none()
            && self.newrelic.is_none()
    }

    /// Whether a configured source answers queries like `q`.
    pub fn answers(&self, q: &MetricQuery) -> bool {
        match q {
            MetricQuery::Promql(_) => self.prometheus.is_some(),
            MetricQuery::Graphite(_) => self.graphite.is_some(),
            MetricQuery::CloudWatch(_) => self.cloudwatch.is_some(),
            MetricQuery::Datadog(_) => self.datadog.is_some(),
            MetricQuery::Nrql(_) => self.newrelic.is_some(),
        }
    }

    fn missing(q: &MetricQuery) -> BackendError {
        BackendError::Setup(format!(
            "no [{}] in config.toml to ask for {} {q}",
            q.source(),
            q.key()
        ))
    }

    /// Every series' value at `at` (now when `None`): Prometheus' instant vector, Graphite's
    /// and Datadog's newest non-`null` point of each series within [`GRAPHITE_LOOKBACK`].
    pub async fn values(
        &self,
        q: &MetricQuery,
        at: Option<DateTime<Utc>>,
    ) -> Result<Vec<f64>, BackendError> {
        Ok(match q {
            MetricQuery::Promql(promql) => {
                let p = self.prometheus.as_ref().ok_or_else(|| Self::missing(q))?;
                let samples = p.query(promql, at).await?;
                samples.into_iter().map(|s| s.value).collect()
            }
            MetricQuery::Graphite(target) => {
                let g = self.graphite.as_ref().ok_or_else(|| Self::missing(q))?;
                let until = at.unwrap_or_else(Utc::now);
                let series = g.render(target, until - GRAPHITE_LOOKBACK, until).await?;
                series
                    .into_iter()
                    .filter_map(|s| s.points.into_iter().rev().find_map(|(_, v)| v))
                    .collect()
            }
            MetricQuery::CloudWatch(cq) => {
                let c = self.cloudwatch.as_ref().ok_or_else(|| Self::missing(q))?;
                let until = at.unwrap_or_else(Utc::now);
                let period = Duration::from_secs(cq.period_secs.max(1));
                let back = chrono::Duration::seconds(
                    i64::try_from(cq.period_secs).unwrap_or(i64::MAX / 8)
                        * i64::from(CLOUDWATCH_LOOKBACK_PERIODS),
                )
                .max(GRAPHITE_LOOKBACK);
                let points = c.get_metric_data(cq, until - back, until, period).await?;
                points.last().map(|(_, v)| *v).into_iter().collect()
            }
            MetricQuery::Datadog(query) => {
                let d = self.datadog.as_ref().ok_or_else(|| Self::missing(q))?;
                let until = at.unwrap_or_else(Utc::now);
                let series = d.query(query, until - GRAPHITE_LOOKBACK, until).await?;
                series
                    .into_iter()
                    .filter_map(|s| s.points.into_iter().rev().find_map(|(_, v)| v))
                    .collect()
            }
            MetricQuery::Nrql(nrql) => {
                // The newest bucket with a value within the look-back, as for Graphite.
                let n = self.newrelic.as_ref().ok_or_else(|| Self::missing(q))?;
                let until = at.unwrap_or_else(Utc::now);
                let points = n
                    .timeseries(
                        nrql,
                        until - GRAPHITE_LOOKBACK,
                        until,
                        Duration::from_secs(60),
                    )
                    .await?;
                points
                    .into_iter()
                    .rev()
                    .find_map(|(_, v)| v)
                    .into_iter()
                    .collect()
            }
        })
    }

    /// The value a query gives for a service at `at`: the worst (highest) of its series, so
    /// a query that forgot an aggregation still says something true about the worst
    /// instance. `None` when no series has a value.
    pub async fn instant(
        &self,
        q: &MetricQuery,
        at: DateTime<Utc>,
    ) -> Result<Option<f64>, BackendError> {
        let values = self.values(q, Some(at)).await?;
        Ok(values
            .into_iter()
            .filter(|v| v.is_finite())
            .reduce(f64::max))
    }

    /// The query between `from` and `to`: at each time, the worst of its series; `None`
    /// where no series has a value (a Graphite `null`). Prometheus is asked at `step`, CloudWatch
    /// at the metric's period;
    /// Graphite answers at its own resolution.
    pub async fn range(
        &self,
        q: &MetricQuery,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: Duration,
    ) -> Result<Points, BackendError> {
        let mut points: BTreeMap<DateTime<Utc>, Option<f64>> = BTreeMap::new();
        let mut add = |t: DateTime<Utc>, v: Option<f64>| {
            let v = v.filter(|v| v.is_finite());
            let e = points.entry(t).or_insert(v);
            *e = match (*e, v) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        };
        match q {
            MetricQuery::Promql(promql) => {
                let p = self.prometheus.as_ref().ok_or_else(|| Self::missing(q))?;
                for s in p.query_range(promql, from, to, step).await? {
                    // Prometheus has no gaps inside a series: a missing step is absent.
                    for (t, v) in s.points.into_iter().filter(|(_, v)| v.is_finite()) {
                        add(t, Some(v));
                    }
                }
            }
            MetricQuery::Graphite(target) => {
                let g = self.graphite.as_ref().ok_or_else(|| Self::missing(q))?;
                for s in g.render(target, from, to).await? {
                    for (t, v) in s.points {
                        add(t, v);
                    }
                }
            }
            MetricQuery::CloudWatch(cq) => {
                // At the metric's own period: a statistic over another period is another number.
                let c = self.cloudwatch.as_ref().ok_or_else(|| Self::missing(q))?;
                let period = Duration::from_secs(cq.period_secs.max(1));
                for (t, v) in c.get_metric_data(cq, from, to, period).await? {
                    add(t, Some(v));
                }
            }
            MetricQuery::Datadog(query) => {
                // At Datadog's own rollup for the span; a `null` stays a gap.
                let d = self.datadog.as_ref().ok_or_else(|| Self::missing(q))?;
                for s in d.query(query, from, to).await? {
                    for (t, v) in s.points {
                        add(t, v);
                    }
                }
            }
            MetricQuery::Nrql(nrql) => {
                // A bucket without data stays a gap (`None`), as a Graphite `null` does.
                let n = self.newrelic.as_ref().ok_or_else(|| Self::missing(q))?;
                for (t, v) in n.timeseries(nrql, from, to, step).await? {
                    add(t, v);
                }
            }
        }
        Ok(points.into_iter().collect())
    }
}

impl From<Prometheus> for MetricReaders {
    fn from(p: Prometheus) -> MetricReaders {
        MetricReaders {
            prometheus: Some(p),
            ..MetricReaders::default()
        }
    }
}

impl From<CloudWatch> for MetricReaders {
    fn from(c: CloudWatch) -> MetricReaders {
        MetricReaders {
            cloudwatch: Some(c),
            ..MetricReaders::default()
        }
    }
}

impl From<NewRelic> for MetricReaders {
    fn from(n: NewRelic) -> MetricReaders {
        MetricReaders {
            newrelic: Some(n),
            ..MetricReaders::default()
        }
    }
}

impl From<Datadog> for MetricReaders {
    fn from(d: Datadog) -> MetricReaders {
        MetricReaders {
            datadog: Some(d),
            ..MetricReaders::default()
        }
    }
}

impl From<Graphite> for MetricReaders {
    fn from(g: Graphite) -> MetricReaders {
        MetricReaders {
            graphite: Some(g),
            ..MetricReaders::default()
        }
    }
}

/// One round of metric reads.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsReport {
    pub at: DateTime<Utc>,
    /// Values read this round; a metric whose query failed or returned nothing is absent.
    pub values: MetricValues,
    /// Key metric per service over [`HISTORY`], when read this round; `None` is a gap.
    pub history: BTreeMap<String, Points>,
    /// Queries that failed, in words (a source down, a bad expression, no source for it…).
    pub errors: Vec<String>,
}

/// Reads every metric once; with `with_history`, also the key metrics' last 30 minutes.
pub async fn read(
    readers: &MetricReaders,
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
            readers.instant(&m.query, now).await,
        )
    }))
    .await;
    for (service, metric, answer) in answers {
        match answer {
            Ok(Some(v)) => {
                report.values.entry(service).or_default().insert(metric, v);
            }
            Ok(None) => {}
            Err(e) => report.errors.push(format!("{service} {metric}: {e}")),
        }
    }
    if with_history {
        let keyed = catalog
            .services
            .iter()
            .filter_map(|s| s.metrics.first().map(|m| (s.name.clone(), &m.query)));
        let series = futures::future::join_all(keyed.map(|(service, query)| async move {
            let r = readers.range(query, now - HISTORY, now, HISTORY_STEP).await;
            (service, r)
        }))
        .await;
        for (service, r) in series {
            match r {
                Ok(points) => {
                    report.history.insert(service, points);
                }
                Err(e) => report.errors.push(format!("{service} history: {e}")),
            }
        }
    }
    report
}

/// Reads every `interval` until the receiver is dropped; history every third round.
pub fn spawn(
    readers: MetricReaders,
    catalog: ServiceCatalog,
    interval: Duration,
    tx: UnboundedSender<MetricsReport>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut round: u64 = 0;
        loop {
            let report = tokio::select! {
                r = read(&readers, &catalog, Utc::now(), round.is_multiple_of(3)) => r,
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
