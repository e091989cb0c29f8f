//! `services.toml`: the service catalog and dependency map behind the blast radius.
//!
//! ```toml
//! [[service]]
//! name = "checkout"
//! tier = 1
//! customer_facing = true
//! public_name = "Checkout"               # what customers call it, for external messages
//! team = "payments-eng"
//! depends_on = ["payments", "cart"]
//! match = { service = "checkout" }      # default { service = name }
//! runbook_url = "https://…"
//! [[service.metric]]
//! name = "error ratio"
//! promql = 'sum(rate(http_requests_errors_total{service="checkout"}[1m])) / sum(rate(http_requests_total{service="checkout"}[1m]))'
//! degraded_above = 0.01
//! down_above = 0.2
//! [[service.metric]]
//! name = "orders/s"
//! graphite = "sumSeries(stats.checkout.orders)"   # a Graphite target instead of PromQL
//! degraded_below = 5                               # low bands: too little is bad too
//! down_below = 0.5
//! ```
//!
//! Each metric has exactly one query: `promql` (read from `[prometheus]`), `graphite` (read
//! from `[graphite]`), `cloudwatch = { namespace, metric, dimensions, stat, period }` (read
//! from `[cloudwatch]`, see [`super::cloudwatch`]), `datadog` (a Datadog metrics query, read
//! from `[datadog]`) or `nrql` (an NRQL `SELECT … FROM … WHERE …`
//! read from the first `[[newrelic]]`; `{service}` in it is the service's name, escaped for an
//! NRQL string: `WHERE appName = '{service}'`; warroom adds `SINCE`, `UNTIL`, `TIMESERIES`).

use super::{ConfigError, parse_toml};
use crate::domain::{Bands, MetricQuery, Service, ServiceCatalog, ServiceMetric};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesFile {
    #[serde(default, rename = "service")]
    services: Vec<ServiceEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceEntry {
    name: toml::Spanned<String>,
    #[serde(default = "default_tier")]
    tier: toml::Spanned<u8>,
    #[serde(default)]
    customer_facing: bool,
    public_name: Option<String>,
    team: Option<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(rename = "match")]
    matchers: Option<BTreeMap<String, String>>,
    runbook_url: Option<String>,
    #[serde(default, rename = "metric")]
    metrics: Vec<MetricEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricEntry {
    name: toml::Spanned<String>,
    promql: Option<toml::Spanned<String>>,
    graphite: Option<toml::Spanned<String>>,
    cloudwatch: Option<toml::Spanned<super::cloudwatch::CloudWatchEntry>>,
    datadog: Option<toml::Spanned<String>>,
    nrql: Option<toml::Spanned<String>>,
    degraded_above: Option<toml::Spanned<f64>>,
    down_above: Option<toml::Spanned<f64>>,
    degraded_below: Option<toml::Spanned<f64>>,
    down_below: Option<toml::Spanned<f64>>,
}

/// The one query of a metric or a runbook verification, from its `promql` / `graphite` /
/// `cloudwatch` keys: exactly one must be given, and not empty. `what` names the place (`service checkout,
/// metric error ratio`), `here` is where to point when none is given. Returns the query and
/// where it stands in the file.
pub(crate) fn one_query<const N: usize>(
    choices: [(&str, Option<toml::Spanned<String>>); N],
    cloudwatch: Option<toml::Spanned<super::cloudwatch::CloudWatchEntry>>,
    what: &str,
    here: std::ops::Range<usize>,
) -> Result<(MetricQuery, std::ops::Range<usize>), (std::ops::Range<usize>, String)> {
    let mut keys: Vec<&str> = choices.iter().map(|(k, _)| *k).collect();
    keys.push("cloudwatch");
    let mut given = choices.into_iter().filter_map(|(k, v)| v.map(|v| (k, v)));
    if let Some(cw) = cloudwatch {
        if let Some((key, _)) = given.next() {
            return Err((
                cw.span(),
                format!("{what}: has both {key} and cloudwatch; give exactly one query"),
            ));
        }
        let span = cw.span();
        return Ok((MetricQuery::CloudWatch(cw.into_inner().query(what)?), span));
    }
    let Some((key, text)) = given.next() else {
        return Err((
            here,
            format!("{what}: needs a query: one of {}", keys.join(", ")),
        ));
    };
    if let Some((other, v)) = given.next() {
        return Err((
            v.span(),
            format!("{what}: has both {key} and {other}; give exactly one query"),
        ));
    }
    let span = text.span();
    let text = text.into_inner();
    if text.trim().is_empty() {
        return Err((span, format!("{what}: {key} is empty")));
    }
    let query = match key {
        "graphite" => MetricQuery::Graphite(text),
        "datadog" => MetricQuery::Datadog(text),
        "nrql" => {
            if let Some(clause) = crate::domain::nrql_reserved_clause(&text) {
                return Err((
                    span,
                    format!(
                        "{what}: nrql has {clause}; warroom adds SINCE, UNTIL and TIMESERIES itself"
                    ),
                ));
            }
            MetricQuery::Nrql(text)
        }
        _ => MetricQuery::Promql(text),
    };
    Ok((query, span))
}

fn default_tier() -> toml::Spanned<u8> {
    toml::Spanned::new(0..0, 3)
}

/// Reads the catalog; a missing file is an empty catalog (services are then discovered from
/// alert labels).
pub fn load_services(path: &Path) -> Result<ServiceCatalog, ConfigError> {
    super::load_or_default(path, parse_services)
}

pub fn parse_services(path: &Path, text: &str) -> Result<ServiceCatalog, ConfigError> {
    let file: ServicesFile = parse_toml(path, text)?;
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    let mut services: Vec<Service> = Vec::new();
    let mut names: std::collections::HashSet<String> = std::collections::HashSet::new();
    for e in file.services {
        let name = e.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(at(e.name.span(), "service.name: empty".into()));
        }
        if !names.insert(name.clone()) {
            return Err(at(
                e.name.span(),
                format!("service.name: '{name}' is defined twice"),
            ));
        }
        let tier = *e.tier.get_ref();
        if !(1..=5).contains(&tier) {
            return Err(at(
                e.tier.span(),
                format!("service {name}: tier must be 1 to 5, not {tier}"),
            ));
        }
        let matchers = e
            .matchers
            .unwrap_or_else(|| BTreeMap::from([("service".to_string(), name.clone())]));
        if matchers.is_empty() {
            return Err(at(
                e.name.span(),
                format!("service {name}: match is empty, so no alert could map to it"),
            ));
        }
        let mut metrics = Vec::new();
        for m in e.metrics {
            let mname = m.name.get_ref().trim().to_string();
            let here = m.name.span();
            if mname.is_empty() {
                return Err(at(here, format!("service {name}: metric name is empty")));
            }
            let what = format!("service {name}, metric {mname}");
            let (query, _) = one_query(
                [
                    ("promql", m.promql),
                    ("graphite", m.graphite),
                    ("datadog", m.datadog),
                    ("nrql", m.nrql),
                ],
                m.cloudwatch,
                &what,
                here.clone(),
            )
            .map_err(|(span, reason)| at(span, reason))?;
            // `{service}` in NRQL is this service's name, escaped for an NRQL string.
            let query = match query {
                MetricQuery::Nrql(q) => {
                    MetricQuery::Nrql(crate::domain::nrql_for_service(&q, &name))
                }
                q => q,
            };
            for (field, v) in [
                ("degraded_above", &m.degraded_above),
                ("down_above", &m.down_above),
                ("degraded_below", &m.degraded_below),
                ("down_below", &m.down_below),
            ] {
                if let Some(v) = v
                    && !v.get_ref().is_finite()
                {
                    return Err(at(
                        v.span(),
                        format!(
                            "{what}: {field} must be a finite number, not {}",
                            v.get_ref()
                        ),
                    ));
                }
            }
            let value = |v: Option<toml::Spanned<f64>>| v.map(toml::Spanned::into_inner);
            let bands = Bands {
                degraded_above: value(m.degraded_above),
                down_above: value(m.down_above),
                degraded_below: value(m.degraded_below),
                down_below: value(m.down_below),
            };
            if let (Some(d), Some(x)) = (bands.degraded_above, bands.down_above)
                && d > x
            {
                return Err(at(
                    here,
                    format!("{what}: degraded_above ({d}) is above down_above ({x})"),
                ));
            }
            if let (Some(d), Some(x)) = (bands.degraded_below, bands.down_below)
                && d < x
            {
                return Err(at(
                    here,
                    format!("{what}: degraded_below ({d}) is under down_below ({x})"),
                ));
            }
            metrics.push(ServiceMetric {
                name: mname,
                query,
                bands,
            });
        }
        services.push(Service {
            name,
            tier,
            customer_facing: e.customer_facing,
            public_name: e
                .public_name
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty()),
            team: e.team,
            depends_on: e.depends_on,
            matchers,
            runbook_url: e.runbook_url,
            metrics,
        });
    }
    Ok(ServiceCatalog { services })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServiceCatalog, ConfigError> {
        parse_services(Path::new("services.toml"), text)
    }

    #[test]
    fn the_documented_example_reads() {
        let c = parse(
            r#"
[[service]]
name = "checkout"
tier = 1
customer_facing = true
team = "payments-eng"
depends_on = ["payments", "cart"]
match = { service = "checkout" }
runbook_url = "https://runbooks/checkout"
[[service.metric]]
name = "error ratio"
promql = 'sum(rate(x[1m]))'
degraded_above = 0.01
down_above = 0.2

[[service]]
name = "payments"
"#,
        )
        .unwrap();
        assert_eq!(c.services.len(), 2);
        assert_eq!(c.services[0].metrics[0].bands.down_above, Some(0.2));
        assert_eq!(c.services[1].tier, 3);
        assert_eq!(c.services[1].matchers["service"], "payments");
    }

    #[test]
    fn mistakes_name_the_line() {
        let e = parse("[[service]]\nname = \"a\"\n\n[[service]]\nname = \"a\"\n").unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (5, "service.name: 'a' is defined twice")
        );
        let e = parse("[[service]]\nname = \"a\"\ntier = 9\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = parse("[[service]]\nname = \"a\"\ndepends = [\"b\"]\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.reason.contains("depends"), "{e}");
        let e = parse("[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\npromql = \"x\"\ndegraded_above = 0.5\ndown_above = 0.1\n").unwrap_err();
        assert_eq!(e.line, 4);
    }

    const METRIC: &str = "[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\n";

    #[test]
    fn a_metric_is_a_graphite_target_or_promql_never_both_or_neither() {
        let c = parse(&format!(
            "{METRIC}graphite = \"sumSeries(stats.a.orders)\"\ndegraded_below = 5\ndown_below = 0.5\n"
        ))
        .unwrap();
        let m = &c.services[0].metrics[0];
        assert_eq!(
            m.query,
            MetricQuery::Graphite("sumSeries(stats.a.orders)".into())
        );
        assert_eq!(
            (m.bands.degraded_below, m.bands.down_below),
            (Some(5.0), Some(0.5))
        );
        let e = parse(&format!("{METRIC}promql = \"up\"\ngraphite = \"a.b\"\n")).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.reason.contains("both promql and graphite"), "{e}");
        let e = parse(&format!("{METRIC}down_above = 1\n")).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.reason.contains("one of promql, graphite"), "{e}");
        let e = parse(&format!("{METRIC}graphite = \" \"\n")).unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (5, "service a, metric m: graphite is empty")
        );
    }

    #[test]
    fn low_bands_are_checked_like_high_ones() {
        let e = parse(&format!(
            "{METRIC}graphite = \"x\"\ndegraded_below = 0.5\ndown_below = 5\n"
        ))
        .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.reason
                .contains("degraded_below (0.5) is under down_below (5)"),
            "{e}"
        );
        let e = parse(&format!("{METRIC}graphite = \"x\"\ndown_below = nan\n")).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(
            e.reason.contains("down_below must be a finite number"),
            "{e}"
        );
    }
}
