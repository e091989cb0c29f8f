//! The small part of PromQL the demo's Prometheus understands: a selector
//! (`name{label="value", other=~"re"}`), optionally inside one aggregation (`sum`, `max`,
//! `min`, `avg`, `count`) without grouping. That is every expression `services.toml` and the
//! runbook's checks use; anything else is answered with Prometheus' own `bad_data` error.

use super::simulator::Simulator;
use crate::backends::matcher::{LabelFilter, Matcher};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    Sum,
    Max,
    Min,
    Avg,
    Count,
}

/// A parsed expression.
#[derive(Debug, Clone)]
pub struct Expr {
    aggregation: Option<Aggregation>,
    filter: LabelFilter,
}

pub type Labels = BTreeMap<String, String>;

/// Parses an expression of the subset; the error reads like Prometheus' (`bad_data`).
pub fn parse(text: &str) -> Result<Expr, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("parse error: no expression found in input".into());
    }
    let (aggregation, inner) = match t.find('(') {
        Some(open) if t.ends_with(')') => {
            let word = t[..open].trim();
            let agg = match word {
                "sum" => Aggregation::Sum,
                "max" => Aggregation::Max,
                "min" => Aggregation::Min,
                "avg" => Aggregation::Avg,
                "count" => Aggregation::Count,
                _ => return Err(unsupported(text)),
            };
            (Some(agg), t[open + 1..t.len() - 1].trim())
        }
        _ => (None, t),
    };
    let (name, braces) = match inner.find('{') {
        Some(open) => {
            let close = inner
                .rfind('}')
                .filter(|c| *c > open && inner[c + 1..].trim().is_empty())
                .ok_or_else(|| format!("parse error: unclosed '{{' in {text:?}"))?;
            (inner[..open].trim(), Some(&inner[open + 1..close]))
        }
        None => (inner, None),
    };
    let mut matchers = Vec::new();
    if !name.is_empty() {
        if !is_metric_name(name) {
            return Err(unsupported(text));
        }
        matchers.push(Matcher::equal("__name__", name));
    }
    if let Some(b) = braces {
        for part in split_matchers(b) {
            if part.trim().is_empty() {
                continue;
            }
            matchers.push(Matcher::parse(part).map_err(|e| format!("parse error: {e}"))?);
        }
    }
    if matchers.is_empty() {
        return Err(format!(
            "parse error: vector selector must contain at least one non-empty matcher: {text:?}"
        ));
    }
    let filter = LabelFilter::new(&matchers).map_err(|e| format!("parse error: {e}"))?;
    if filter.matches(&Labels::new()) {
        return Err(format!(
            "parse error: vector selector must contain at least one non-empty matcher: {text:?}"
        ));
    }
    Ok(Expr {
        aggregation,
        filter,
    })
}

fn unsupported(text: &str) -> String {
    format!(
        "the drill's Prometheus answers selectors such as metric{{service=\"checkout\"}}, \
         optionally inside sum/max/min/avg/count(...); not {text:?}"
    )
}

fn is_metric_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == ':')
}

/// Splits `a="x", b=~"y,z"` at the commas outside quotes.
fn split_matchers(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Every series the scenario has, at scenario second `t`: each service's signals, and the
/// levers' gauges.
fn series(sim: &Simulator, t: f64) -> Vec<(Labels, f64)> {
    let scenario = sim.scenario();
    let mut out = Vec::with_capacity(scenario.services.len() * scenario.signals.len() + 1);
    for svc in &scenario.services {
        for sig in &scenario.signals {
            if let Some(v) = sim.value_of(sig, svc, t) {
                let labels = Labels::from([
                    ("__name__".to_string(), sig.metric.clone()),
                    ("service".to_string(), svc.name.clone()),
                ]);
                out.push((labels, v));
            }
        }
    }
    for lever in &scenario.levers {
        let Some(g) = &lever.gauge else { continue };
        let mut labels = g.labels.clone();
        labels.insert("__name__".to_string(), g.metric.clone());
        let on = if sim.target(&lever.name, t) > 0.5 {
            1.0
        } else {
            0.0
        };
        out.push((labels, on));
    }
    out
}

/// The expression's value at scenario second `t`: one sample per matching series, or one
/// label-less sample for an aggregation (none when nothing matches, as in Prometheus).
pub fn evaluate(sim: &Simulator, expr: &Expr, t: f64) -> Vec<(Labels, f64)> {
    let matched: Vec<(Labels, f64)> = series(sim, t)
        .into_iter()
        .filter(|(l, _)| expr.filter.matches(l))
        .collect();
    let Some(agg) = expr.aggregation else {
        return matched;
    };
    if matched.is_empty() {
        return Vec::new();
    }
    let values = matched.iter().map(|(_, v)| *v);
    let n = matched.len() as f64;
    let v = match agg {
        Aggregation::Sum => values.sum(),
        Aggregation::Max => values.fold(f64::NEG_INFINITY, f64::max),
        Aggregation::Min => values.fold(f64::INFINITY, f64::min),
        Aggregation::Avg => values.sum::<f64>() / n,
        Aggregation::Count => n,
    };
    vec![(Labels::new(), v)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_aggregations_parse() {
        let scenario = std::sync::Arc::new(crate::drill::scenario::demo().unwrap());
        let sim = Simulator::new(scenario, chrono::DateTime::UNIX_EPOCH, 1.0);
        let one = parse(r#"service:http_errors:ratio_rate1m{service="checkout"}"#).unwrap();
        let got = evaluate(&sim, &one, 0.0);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0["service"], "checkout");
        let all = parse("max(service:http_errors:ratio_rate1m)").unwrap();
        let got = evaluate(&sim, &all, 0.0);
        assert_eq!(got.len(), 1);
        assert!(got[0].0.is_empty());
        let re =
            parse(r#"count({__name__="service:http_latency_p99:seconds", service=~"web|cart"})"#)
                .unwrap();
        assert_eq!(evaluate(&sim, &re, 0.0)[0].1, 2.0);
        assert!(evaluate(&sim, &parse("nothing_here").unwrap(), 0.0).is_empty());
        for bad in ["", "rate(x[5m])", "{}", r#"{a=""}"#, "x{a=\"1\"", "1 + 1"] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
