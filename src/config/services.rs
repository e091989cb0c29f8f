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
//! ```

use super::{ConfigError, parse_toml};
use crate::domain::{Service, ServiceCatalog, ServiceMetric};
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
    promql: String,
    degraded_above: Option<toml::Spanned<f64>>,
    down_above: Option<toml::Spanned<f64>>,
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
            if m.promql.trim().is_empty() {
                return Err(at(
                    here,
                    format!("service {name}, metric {mname}: promql is empty"),
                ));
            }
            for (field, v) in [
                ("degraded_above", &m.degraded_above),
                ("down_above", &m.down_above),
            ] {
                if let Some(v) = v
                    && !v.get_ref().is_finite()
                {
                    return Err(at(
                        v.span(),
                        format!(
                            "service {name}, metric {mname}: {field} must be a finite number, not {}",
                            v.get_ref()
                        ),
                    ));
                }
            }
            let degraded_above = m.degraded_above.map(toml::Spanned::into_inner);
            let down_above = m.down_above.map(toml::Spanned::into_inner);
            if let (Some(d), Some(x)) = (degraded_above, down_above)
                && d > x
            {
                return Err(at(
                    here,
                    format!(
                        "service {name}, metric {mname}: degraded_above ({d}) is above down_above ({x})"
                    ),
                ));
            }
            metrics.push(ServiceMetric {
                name: mname,
                promql: m.promql,
                degraded_above,
                down_above,
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
        assert_eq!(c.services[0].metrics[0].down_above, Some(0.2));
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
}
