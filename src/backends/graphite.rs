//! Graphite's HTTP API (graphite-web): `/render?format=json` for a target's datapoints and
//! `/metrics/find` for which series a path pattern names, plus `/version` for probing.
//!
//! Datapoints are `[value, timestamp]` pairs where `value` is `null` when nothing was
//! written in that interval: a gap, kept as `None`, never read as zero.

use super::http::{BackendError, Endpoint};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;

/// One series of a render answer.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphiteSeries {
    pub target: String,
    pub points: Vec<(DateTime<Utc>, Option<f64>)>,
}

/// A graphite-web at a base URL (a path prefix is fine); `/render` etc. are appended.
#[derive(Debug, Clone)]
pub struct Graphite {
    endpoint: Endpoint,
}

#[derive(Deserialize)]
struct WireSeries {
    #[serde(default)]
    target: String,
    #[serde(default)]
    datapoints: Vec<(Option<f64>, Option<f64>)>,
}

#[derive(Deserialize)]
struct WireNode {
    #[serde(default)]
    id: String,
}

impl Graphite {
    pub fn new(endpoint: Endpoint) -> Graphite {
        Graphite { endpoint }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `GET /render?target=…&format=json&from=…&until=…`: every series the target gives, its
    /// points in time order, `null`s kept as `None`. A point without a usable timestamp is
    /// left out; a value that is not finite is a gap.
    pub async fn render(
        &self,
        target: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<GraphiteSeries>, BackendError> {
        let q = [
            ("target", target.to_string()),
            ("format", "json".to_string()),
            ("from", from.timestamp().to_string()),
            ("until", until.timestamp().to_string()),
        ];
        let req = self.endpoint.request(Method::GET, "render").query(&q);
        let wire: Vec<WireSeries> = self.endpoint.json(req).await?;
        Ok(wire
            .into_iter()
            .map(|s| GraphiteSeries {
                target: s.target,
                points: s
                    .datapoints
                    .into_iter()
                    .filter_map(|(v, t)| {
                        let t = t.filter(|t| t.is_finite() && t.fract() == 0.0)?;
                        let at = DateTime::<Utc>::from_timestamp(t as i64, 0)?;
                        Some((at, v.filter(|v| v.is_finite())))
                    })
                    .collect(),
            })
            .collect())
    }

    /// `GET /metrics/find?query=…`: the names of the nodes a path pattern matches.
    pub async fn find(&self, pattern: &str) -> Result<Vec<String>, BackendError> {
        let req = self
            .endpoint
            .request(Method::GET, "metrics/find")
            .query(&[("query", pattern)]);
        let nodes: Vec<WireNode> = self.endpoint.json(req).await?;
        Ok(nodes.into_iter().map(|n| n.id).collect())
    }

    /// `GET /version`: graphite-web's version, for probing.
    pub async fn version(&self) -> Result<String, BackendError> {
        let req = self.endpoint.request(Method::GET, "version");
        let reply = self.endpoint.send_ok(req).await?;
        let text = String::from_utf8_lossy(&reply.body);
        let v = text.trim();
        if v.is_empty() || v.len() > 40 || !v.chars().all(|c| c.is_ascii_graphic()) {
            // An HTML page (a proxy, a login) is not graphite-web answering.
            return Err(BackendError::Decode {
                url: reply.url,
                detail: format!("not a version: {}", super::http::one_line_cut(v, 80)),
            });
        }
        Ok(v.to_string())
    }
}

/// The series paths a target names (`sumSeries(stats.a.*, stats.b)` → `stats.a.*`,
/// `stats.b`): what `/metrics/find` can look up. Function names, quoted strings and numbers
/// are left out.
pub fn target_paths(target: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = target;
    while !rest.is_empty() {
        let Some(start) = rest.find(|c: char| !matches!(c, '(' | ')' | ',' | ' ' | '\t')) else {
            break;
        };
        rest = &rest[start..];
        if let Some(q @ ('"' | '\'')) = rest.chars().next() {
            let end = rest[1..].find(q).map_or(rest.len(), |e| e + 2);
            rest = &rest[end..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '{' | '[' => depth += 1,
                '}' | ']' => depth = depth.saturating_sub(1),
                '(' | ')' | ' ' | '\t' => {
                    end = i;
                    break;
                }
                ',' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let token = &rest[..end];
        let is_call = rest[end..].starts_with('(');
        rest = &rest[end..];
        if !is_call && token.parse::<f64>().is_err() && !token.is_empty() {
            let t = token.to_string();
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_come_out_of_function_calls() {
        assert_eq!(
            target_paths("sumSeries(stats.checkout.errors)"),
            vec!["stats.checkout.errors"]
        );
        assert_eq!(
            target_paths("alias(divideSeries(stats.a.{x,y}.err, stats.a.total), 'ratio, x') "),
            vec!["stats.a.{x,y}.err", "stats.a.total"]
        );
        assert_eq!(
            target_paths("scale(stats.gauges.q, 0.5)"),
            vec!["stats.gauges.q"]
        );
        assert_eq!(
            target_paths("stats.timers.api.mean"),
            vec!["stats.timers.api.mean"]
        );
    }
}
