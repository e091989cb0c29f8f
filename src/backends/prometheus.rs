//! Prometheus HTTP API v1: instant and range queries, the alerts Prometheus itself holds
//! (pending and firing), alerting rules, build info.
//!
//! Every answer is the `{status, data, errorType, error}` envelope; `status: "error"` becomes
//! [`BackendError::Api`] with Prometheus' own words, whatever the HTTP status. Sample values
//! arrive as strings and may be `NaN`, `+Inf` or `-Inf`; they become the matching `f64`.

use super::http::{BackendError, Endpoint, Reply, decode, null_default, one_line};
use crate::domain::{Alert, AlertState, RuleGroupLook, fingerprint_of};
use chrono::Datelike;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::time::Duration;

/// One value of an instant vector (or the scalar result, with no labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// One series of a range query.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// An alerting rule and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertingRule {
    pub group: String,
    pub file: String,
    pub name: String,
    pub query: String,
    /// The rule's `for:` duration.
    pub for_secs: f64,
    /// `inactive`, `pending` or `firing`.
    pub state: String,
    /// `ok`, `err` or `unknown`.
    pub health: String,
    pub last_error: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// How many alerts the rule currently has (pending or firing).
    pub active_alerts: usize,
}

/// `GET /api/v1/status/buildinfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub revision: String,
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub go_version: String,
}

/// A Prometheus (or an API-compatible one: Grafana's `/api/prometheus/grafana`, Thanos,
/// Mimir) at a base URL; `/api/v1/...` is appended.
#[derive(Debug, Clone)]
pub struct Prometheus {
    endpoint: Endpoint,
}

impl Prometheus {
    pub fn new(endpoint: Endpoint) -> Prometheus {
        Prometheus { endpoint }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Instant query at `time` (now when `None`). A scalar result is one label-less sample; a
    /// string result is an error (it has no number).
    pub async fn query(
        &self,
        promql: &str,
        time: Option<DateTime<Utc>>,
    ) -> Result<Vec<Sample>, BackendError> {
        let mut q = vec![("query", promql.to_string())];
        if let Some(t) = time {
            q.push(("time", unix(t)));
        }
        let (url, data): (String, QueryData) = self.get("api/v1/query", &q).await?;
        let bad = |detail: String| BackendError::Decode {
            url: url.clone(),
            detail,
        };
        match data.result_type.as_str() {
            "vector" => {
                let v: Vec<VectorItem> = serde_json::from_value(data.result)
                    .map_err(|e| bad(format!("vector result: {e}")))?;
                v.into_iter()
                    .map(|i| {
                        let (at, value) = point(&i.value).map_err(&bad)?;
                        Ok(Sample {
                            labels: i.metric,
                            at,
                            value,
                        })
                    })
                    .collect()
            }
            "scalar" => {
                let p: (f64, String) = serde_json::from_value(data.result)
                    .map_err(|e| bad(format!("scalar result: {e}")))?;
                let (at, value) = point(&p).map_err(&bad)?;
                Ok(vec![Sample {
                    labels: BTreeMap::new(),
                    at,
                    value,
                }])
            }
            other => Err(bad(format!(
                "result type {other:?}: expected a vector or a scalar"
            ))),
        }
    }

    /// Range query from `start` to `end` every `step` (at least one millisecond).
    pub async fn query_range(
        &self,
        promql: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<Vec<Series>, BackendError> {
        let step = step.max(Duration::from_millis(1));
        let q = [
            ("query", promql.to_string()),
            ("start", unix(start)),
            ("end", unix(end)),
            ("step", format!("{}", step.as_secs_f64())),
        ];
        let (url, data): (String, QueryData) = self.get("api/v1/query_range", &q).await?;
        let bad = |detail: String| BackendError::Decode {
            url: url.clone(),
            detail,
        };
        if data.result_type != "matrix" {
            return Err(bad(format!(
                "result type {:?}: expected a matrix",
                data.result_type
            )));
        }
        let m: Vec<MatrixItem> =
            serde_json::from_value(data.result).map_err(|e| bad(format!("matrix result: {e}")))?;
        m.into_iter()
            .map(|s| {
                let points = s
                    .values
                    .iter()
                    .map(point)
                    .collect::<Result<Vec<_>, String>>()
                    .map_err(&bad)?;
                Ok(Series {
                    labels: s.metric,
                    points,
                })
            })
            .collect()
    }

    /// `GET /api/v1/alerts`: the alerts Prometheus holds, `pending` → [`AlertState::Pending`],
    /// `firing` → [`AlertState::Active`]; the fingerprint is [`fingerprint_of`] the labels.
    pub async fn alerts(&self) -> Result<Vec<Alert>, BackendError> {
        let (_, data): (String, AlertsData) = self.get("api/v1/alerts", &[]).await?;
        Ok(data.alerts.into_iter().map(WireAlert::into_alert).collect())
    }

    /// `GET /api/v1/rules?type=alert`: every alerting rule with its state.
    pub async fn rules(&self) -> Result<Vec<AlertingRule>, BackendError> {
        let (_, data): (String, RulesData) = self
            .get("api/v1/rules", &[("type", "alert".to_string())])
            .await?;
        let mut out = Vec::new();
        for g in data.groups {
            for r in g.rules {
                if r.kind != "alerting" {
                    continue;
                }
                out.push(AlertingRule {
                    group: g.name.clone(),
                    file: g.file.clone(),
                    name: r.name,
                    query: r.query,
                    for_secs: r.duration,
                    state: r.state,
                    health: r.health,
                    last_error: r.last_error.filter(|e| !e.is_empty()),
                    labels: r.labels,
                    annotations: r.annotations,
                    active_alerts: r.alerts.len(),
                });
            }
        }
        Ok(out)
    }

    /// `GET /api/v1/rules`: every rule group (alerting and recording rules) with its
    /// interval, its last evaluation and the rules whose evaluation fails.
    pub async fn rule_groups(&self) -> Result<Vec<RuleGroupLook>, BackendError> {
        let (_, data): (String, RulesData) = self.get("api/v1/rules", &[]).await?;
        Ok(data
            .groups
            .into_iter()
            .map(|g| RuleGroupLook {
                interval: chrono::Duration::milliseconds((g.interval * 1000.0).round() as i64),
                // Go's zero time (year 1) means "not evaluated yet".
                last_evaluation: g.last_evaluation.filter(|t| t.year() > 1970),
                failing: g
                    .rules
                    .iter()
                    .filter(|r| r.health == "err")
                    .map(|r| {
                        (
                            r.name.clone(),
                            one_line(r.last_error.as_deref().unwrap_or("")),
                        )
                    })
                    .collect(),
                alerts: g
                    .rules
                    .iter()
                    .filter(|r| r.kind == "alerting")
                    .map(|r| r.name.clone())
                    .collect(),
                name: g.name,
                file: g.file,
            })
            .collect())
    }

    /// `GET /api/v1/status/buildinfo`, for probing.
    pub async fn build_info(&self) -> Result<BuildInfo, BackendError> {
        let (_, data) = self.get("api/v1/status/buildinfo", &[]).await?;
        Ok(data)
    }

    /// GETs `path`, unwraps the envelope and decodes `data` as `T`. Returns the URL too.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(String, T), BackendError> {
        let req = self.endpoint.request(Method::GET, path).query(query);
        let reply = self.endpoint.send(req).await?;
        let data = unwrap_envelope(&reply)?;
        let url = reply.url;
        let data = serde_json::from_value(data).map_err(|e| BackendError::Decode {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        Ok((url, data))
    }
}

/// The `data` of a Prometheus answer, or the error it carries. Prometheus answers errors with
/// 400/422/503 and a JSON body; a non-JSON error body (a proxy's page) is a plain HTTP error.
fn unwrap_envelope(reply: &Reply) -> Result<serde_json::Value, BackendError> {
    let parsed: Result<Envelope, _> = serde_json::from_slice(&reply.body);
    match parsed {
        Ok(env) if env.status == "error" || env.error.is_some() => Err(BackendError::Api {
            url: reply.url.clone(),
            error_type: env.error_type.unwrap_or_else(|| "error".into()),
            message: one_line(&env.error.unwrap_or_default()),
        }),
        Ok(env) if reply.status.is_success() => Ok(env.data),
        _ => {
            super::http::check_status(reply)?;
            // A 2xx whose body is not the envelope: say what serde says.
            decode::<Envelope>(&reply.url, &reply.body).map(|e| e.data)
        }
    }
}

fn unix(t: DateTime<Utc>) -> String {
    format!("{:.3}", t.timestamp_millis() as f64 / 1000.0)
}

/// `[1700000000.123, "1.5"]` → (time, value); `"NaN"`, `"+Inf"`, `"-Inf"` included.
fn point((ts, v): &(f64, String)) -> Result<(DateTime<Utc>, f64), String> {
    let at = DateTime::from_timestamp_millis((ts * 1000.0).round() as i64)
        .ok_or_else(|| format!("timestamp {ts} out of range"))?;
    Ok((at, parse_value(v)?))
}

/// Prometheus' textual float: Go's `strconv.FormatFloat` output plus `NaN`, `+Inf`, `-Inf`.
pub fn parse_value(v: &str) -> Result<f64, String> {
    match v {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        other => other
            .parse::<f64>()
            .map_err(|_| format!("sample value {other:?} is not a number")),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    status: String,
    #[serde(default)]
    data: serde_json::Value,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryData {
    #[serde(default)]
    result_type: String,
    #[serde(default)]
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct VectorItem {
    #[serde(default, deserialize_with = "null_default")]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

#[derive(Deserialize)]
struct MatrixItem {
    #[serde(default, deserialize_with = "null_default")]
    metric: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_default")]
    values: Vec<(f64, String)>,
}

#[derive(Deserialize)]
struct AlertsData {
    #[serde(default, deserialize_with = "null_default")]
    alerts: Vec<WireAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlert {
    #[serde(default, deserialize_with = "null_default")]
    labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_default")]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    active_at: Option<DateTime<Utc>>,
}

impl WireAlert {
    fn into_alert(self) -> Alert {
        let state = if self.state == "pending" {
            AlertState::Pending
        } else {
            AlertState::Active
        };
        Alert {
            fingerprint: fingerprint_of(&self.labels),
            labels: self.labels.into(),
            annotations: self.annotations.into(),
            starts_at: self.active_at.unwrap_or(DateTime::UNIX_EPOCH),
            ends_at: None,
            generator_url: None,
            state,
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            sources: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
struct RulesData {
    #[serde(default, deserialize_with = "null_default")]
    groups: Vec<WireGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireGroup {
    #[serde(default)]
    name: String,
    #[serde(default)]
    file: String,
    /// Seconds.
    #[serde(default)]
    interval: f64,
    #[serde(default)]
    last_evaluation: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_default")]
    rules: Vec<WireRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRule {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    duration: f64,
    #[serde(default)]
    state: String,
    #[serde(default)]
    health: String,
    #[serde(default)]
    last_error: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_default")]
    annotations: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_default")]
    alerts: Vec<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values_parse() {
        assert!(parse_value("NaN").unwrap().is_nan());
        assert_eq!(parse_value("+Inf").unwrap(), f64::INFINITY);
        assert_eq!(parse_value("-Inf").unwrap(), f64::NEG_INFINITY);
        assert_eq!(parse_value("1e-3").unwrap(), 0.001);
        assert!(parse_value("lots").is_err());
    }

    #[test]
    fn points_keep_milliseconds() {
        let (at, v) = point(&(1_700_000_000.123, "2".into())).unwrap();
        assert_eq!(at.timestamp_millis(), 1_700_000_000_123);
        assert_eq!(v, 2.0);
    }
}
