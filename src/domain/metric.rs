//! A service metric: which source answers it (the query, in that source's language) and the
//! bands that make its service degraded or down, high (`degraded_above`, `down_above`) and low
//! (`degraded_below`, `down_below`: throughput falling to zero is as much an outage as errors
//! climbing). Pure: the readers live in `backends::metrics`.

use super::{CloudWatchQuery, ServiceState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A metric's history: points in time order, `None` where the source has a gap (a Graphite
/// `null`: nothing was written then), which is never read as zero.
pub type MetricPoints = Vec<(DateTime<Utc>, Option<f64>)>;

/// A query for one metrics source. Adding a source is one variant here, one arm in
/// each method below, and one in `backends::metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricQuery {
    /// A PromQL expression for `[prometheus]`.
    Promql(String),
    /// A Graphite target (`sumSeries(stats.checkout.errors)`) for `[graphite]`.
    Graphite(String),
    /// A CloudWatch metric and statistic for `[cloudwatch]` (GetMetricData).
    #[serde(rename = "cloudwatch")]
    CloudWatch(CloudWatchQuery),
    /// A Datadog metrics query (`avg:trace.http.request.errors{service:checkout}`) for
    /// `[datadog]` (the v1 query API).
    Datadog(String),
    /// An NRQL `SELECT … FROM … WHERE …` for `[[newrelic]]` (its first entry); warroom adds
    /// `SINCE`, `UNTIL` and `TIMESERIES` itself.
    Nrql(String),
}

impl MetricQuery {
    /// The `config.toml` section that answers it, and the key naming it in `services.toml`.
    pub fn source(&self) -> &'static str {
        match self {
            MetricQuery::Promql(_) => "prometheus",
            MetricQuery::Graphite(_) => "graphite",
            MetricQuery::CloudWatch(_) => "cloudwatch",
            MetricQuery::Datadog(_) => "datadog",
            MetricQuery::Nrql(_) => "newrelic",
        }
    }

    /// Its key in `services.toml` and in a runbook's `verify`.
    pub fn key(&self) -> &'static str {
        match self {
            MetricQuery::Promql(_) => "promql",
            MetricQuery::Graphite(_) => "graphite",
            MetricQuery::CloudWatch(_) => "cloudwatch",
            MetricQuery::Datadog(_) => "datadog",
            MetricQuery::Nrql(_) => "nrql",
        }
    }

    /// The query's text pieces (what a runbook's `{param}`s may appear in): for CloudWatch
    /// its namespace, metric and dimension values, in that order.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            MetricQuery::Promql(q)
            | MetricQuery::Graphite(q)
            | MetricQuery::Datadog(q)
            | MetricQuery::Nrql(q) => {
                vec![q.as_str()]
            }
            MetricQuery::CloudWatch(q) => [q.namespace.as_str(), q.metric.as_str()]
                .into_iter()
                .chain(q.dimensions.values().map(String::as_str))
                .collect(),
        }
    }

    /// The same query with each text piece passed through `f` (filling in parameters).
    pub fn map_texts(&self, mut f: impl FnMut(&str) -> String) -> MetricQuery {
        match self {
            MetricQuery::Promql(q) => MetricQuery::Promql(f(q)),
            MetricQuery::Graphite(q) => MetricQuery::Graphite(f(q)),
            MetricQuery::Datadog(q) => MetricQuery::Datadog(f(q)),
            MetricQuery::Nrql(q) => MetricQuery::Nrql(f(q)),
            MetricQuery::CloudWatch(q) => MetricQuery::CloudWatch(CloudWatchQuery {
                namespace: f(&q.namespace),
                metric: f(&q.metric),
                dimensions: q
                    .dimensions
                    .iter()
                    .map(|(k, v)| (k.clone(), f(v)))
                    .collect(),
                stat: q.stat.clone(),
                period_secs: q.period_secs,
            }),
        }
    }
}

impl fmt::Display for MetricQuery {
    /// The query as a person reads it: its text, for a PromQL expression or a Graphite target.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let MetricQuery::CloudWatch(q) = self {
            return fmt::Display::fmt(q, f);
        }
        f.write_str(&self.texts().join(" "))
    }
}

/// `s` as the inside of an NRQL string literal (`'…'`): a backslash and a single quote are
/// escaped with a backslash, so a value can never end the literal and become NRQL.
pub fn nrql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An NRQL template with each `{service}` replaced by `service`, escaped for a string literal
/// (the template writes the quotes: `WHERE appName = '{service}'`).
pub fn nrql_for_service(template: &str, service: &str) -> String {
    template.replace("{service}", &nrql_string(service))
}

/// The NRQL clauses warroom writes itself after a configured query, which the query must
/// therefore not hold (found case-insensitively as words).
pub fn nrql_reserved_clause(nrql: &str) -> Option<&'static str> {
    let words: Vec<String> = nrql
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .map(str::to_ascii_uppercase)
        .collect();
    ["SINCE", "UNTIL", "TIMESERIES"]
        .into_iter()
        .find(|k| words.iter().any(|w| w == k))
}

/// A metric that says how healthy a service is; the first one is its key metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceMetric {
    pub name: String,
    pub query: MetricQuery,
    #[serde(flatten)]
    pub bands: Bands,
}

/// Thresholds of a metric. A value strictly over an `_above` or strictly under a `_below`
/// crosses it; a value equal to a threshold does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    pub degraded_above: Option<f64>,
    pub down_above: Option<f64>,
    #[serde(default)]
    pub degraded_below: Option<f64>,
    #[serde(default)]
    pub down_below: Option<f64>,
}

/// Which threshold a value crossed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    pub level: ServiceState,
    pub threshold: f64,
    /// Under a low band (`_below`), not over a high one.
    pub below: bool,
}

impl Bands {
    /// The worst band `value` falls in: down before degraded, high before low. A value that
    /// is not finite crosses nothing (it says nothing about the service).
    pub fn crossing(&self, value: f64) -> Option<Crossing> {
        if !value.is_finite() {
            return None;
        }
        let over = |t: Option<f64>| t.filter(|t| value > *t);
        let under = |t: Option<f64>| t.filter(|t| value < *t);
        let found = [
            (over(self.down_above), ServiceState::Down, false),
            (under(self.down_below), ServiceState::Down, true),
            (over(self.degraded_above), ServiceState::Degraded, false),
            (under(self.degraded_below), ServiceState::Degraded, true),
        ];
        found.into_iter().find_map(|(t, level, below)| {
            t.map(|threshold| Crossing {
                level,
                threshold,
                below,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bands() -> Bands {
        Bands {
            degraded_above: Some(0.05),
            down_above: Some(0.2),
            degraded_below: Some(10.0),
            down_below: Some(1.0),
        }
    }

    fn level(b: &Bands, v: f64) -> Option<(ServiceState, f64, bool)> {
        b.crossing(v).map(|c| (c.level, c.threshold, c.below))
    }

    #[test]
    fn low_bands_mark_degraded_then_down() {
        let b = Bands {
            degraded_above: None,
            down_above: None,
            ..bands()
        };
        assert_eq!(level(&b, 50.0), None);
        assert_eq!(level(&b, 9.5), Some((ServiceState::Degraded, 10.0, true)));
        assert_eq!(level(&b, 0.5), Some((ServiceState::Down, 1.0, true)));
        assert_eq!(level(&b, 0.0), Some((ServiceState::Down, 1.0, true)));
        assert_eq!(level(&b, -3.0), Some((ServiceState::Down, 1.0, true)));
    }

    #[test]
    fn a_value_equal_to_a_threshold_crosses_nothing() {
        let low = Bands {
            degraded_below: Some(10.0),
            down_below: Some(1.0),
            ..Bands::default()
        };
        assert_eq!(level(&low, 10.0), None);
        assert_eq!(level(&low, 1.0), Some((ServiceState::Degraded, 10.0, true)));
        let high = Bands {
            degraded_above: Some(0.05),
            down_above: Some(0.2),
            ..Bands::default()
        };
        assert_eq!(level(&high, 0.05), None);
        assert_eq!(
            level(&high, 0.2),
            Some((ServiceState::Degraded, 0.05, false))
        );
    }

    #[test]
    fn down_wins_over_degraded_and_high_and_low_both_apply() {
        // Degraded by the high band (0.1 > 0.05) and down by the low band (0.1 < 1): down.
        let b = bands();
        assert_eq!(level(&b, 0.1), Some((ServiceState::Down, 1.0, true)));
        assert_eq!(level(&b, 0.5), Some((ServiceState::Down, 0.2, false)));
        let only_high = Bands {
            degraded_above: Some(5.0),
            down_above: Some(20.0),
            ..Bands::default()
        };
        assert_eq!(
            level(&only_high, 6.0),
            Some((ServiceState::Degraded, 5.0, false))
        );
        assert_eq!(
            level(&only_high, 25.0),
            Some((ServiceState::Down, 20.0, false))
        );
        assert_eq!(level(&Bands::default(), 1e300), None);
    }

    #[test]
    fn values_that_are_not_numbers_cross_nothing() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(level(&bands(), v), None, "{v}");
        }
    }

    #[test]
    fn a_query_names_its_source_and_fills_its_text() {
        let q = MetricQuery::Graphite("sumSeries(stats.{svc}.errors)".into());
        assert_eq!(q.source(), "graphite");
        let filled = q.map_texts(|t| t.replace("{svc}", "checkout"));
        assert_eq!(
            filled,
            MetricQuery::Graphite("sumSeries(stats.checkout.errors)".into())
        );
        assert_eq!(filled.to_string(), "sumSeries(stats.checkout.errors)");
        assert_eq!(MetricQuery::Promql("up".into()).source(), "prometheus");
    }
}
