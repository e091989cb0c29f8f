//! What a push says, read into alerts: Alertmanager's webhook (payload version 4), Grafana's
//! webhook contact point, and any JSON through a `[intake.fields]` mapping. Every error is one
//! line saying what is wrong and where, for the 400 answer.

use crate::config::JsonFields;
use crate::domain::{Alert, AlertState, Labels, fingerprint_of};
use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// One alert of a push, firing or resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub alert: Alert,
    pub resolved: bool,
}

/// Alertmanager's and Grafana's webhook body (the fields warroom reads).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookBody {
    version: Option<String>,
    alerts: Vec<WebhookAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookAlert {
    status: String,
    #[serde(default)]
    labels: Labels,
    #[serde(default)]
    annotations: Labels,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
    /// Grafana: the values that made it fire, as text (`[ var='A' labels={} value=3 ]`).
    #[serde(default)]
    value_string: Option<String>,
}

/// Alertmanager and Grafana write `0001-01-01T00:00:00Z` for "no end yet".
fn real_time(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.filter(|t| t.year() > 1)
}

fn webhook(body: &[u8], want_version: Option<&str>) -> Result<Vec<Pushed>, String> {
    let body: WebhookBody =
        serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    if let Some(want) = want_version
        && body.version.as_deref() != Some(want)
    {
        return Err(format!(
            "webhook payload version {} is not {want} (Alertmanager's webhook_config sends version 4)",
            body.version.as_deref().unwrap_or("(none)")
        ));
    }
    body.alerts
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let resolved = match a.status.as_str() {
                "firing" => false,
                "resolved" => true,
                other => {
                    return Err(format!(
                        "alerts[{i}].status: {other:?} is neither \"firing\" nor \"resolved\""
                    ));
                }
            };
            if a.labels.is_empty() {
                return Err(format!("alerts[{i}].labels: no labels"));
            }
            let mut annotations = a.annotations;
            if let Some(v) = a.value_string.filter(|v| !v.is_empty())
                && !annotations.contains_key("value")
            {
                let mut pairs: Vec<(Arc<str>, Arc<str>)> = annotations
                    .iter()
                    .map(|(k, v)| (Arc::from(k), Arc::from(v)))
                    .collect();
                pairs.push((Arc::from("value"), Arc::from(v.as_str())));
                annotations = Labels::from_pairs(pairs);
            }
            let fingerprint = a
                .fingerprint
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| fingerprint_of(a.labels.iter()));
            Ok(Pushed {
                alert: Alert {
                    fingerprint,
                    labels: a.labels,
                    annotations,
                    starts_at: real_time(a.starts_at).unwrap_or(DateTime::UNIX_EPOCH),
                    ends_at: real_time(a.ends_at),
                    generator_url: a.generator_url.filter(|u| !u.is_empty()),
                    state: AlertState::Active,
                    silenced_by: Vec::new(),
                    inhibited_by: Vec::new(),
                    sources: Vec::new(),
                },
                resolved,
            })
        })
        .collect()
}

/// Alertmanager's `webhook_config` body, payload version 4.
pub fn alertmanager(body: &[u8]) -> Result<Vec<Pushed>, String> {
    webhook(body, Some("4"))
}

/// Grafana's webhook contact point body (its `version` is Grafana's own, not checked).
pub fn grafana(body: &[u8]) -> Result<Vec<Pushed>, String> {
    webhook(body, None)
}

/// The value at JSON pointer `p` as text: strings as they are, numbers and booleans written
/// out; `None` for null, objects and arrays.
fn text_at<'a>(v: &'a Value, p: &str) -> Option<std::borrow::Cow<'a, str>> {
    match v.pointer(p)? {
        Value::String(s) => Some(s.as_str().into()),
        Value::Number(n) => Some(n.to_string().into()),
        Value::Bool(b) => Some(b.to_string().into()),
        _ => None,
    }
}

/// A label's name and value.
type Pair = (Arc<str>, Arc<str>);

/// An object at `p` as pairs of text; an absent or null one is empty.
fn pairs_at(v: &Value, p: Option<&str>, what: &str) -> Result<Vec<Pair>, String> {
    let Some(p) = p else { return Ok(Vec::new()) };
    match v.pointer(p) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => Ok(m
            .iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((Arc::from(k.as_str()), Arc::from(v)))
            })
            .collect()),
        Some(_) => Err(format!("{what} at {p} is not an object")),
    }
}

fn time_at(v: &Value, p: Option<&str>, what: &str) -> Result<Option<DateTime<Utc>>, String> {
    let Some(p) = p else { return Ok(None) };
    match v.pointer(p) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| real_time(Some(t.with_timezone(&Utc))))
            .map_err(|e| format!("{what} at {p}: {s:?} is not an RFC 3339 time: {e}")),
        Some(_) => Err(format!("{what} at {p} is not a time string")),
    }
}

/// Any JSON, read through `fields`: the alerts at `fields.alerts` (or the body as one alert,
/// or an array of them), each with its name, labels, annotations, status and times.
pub fn json(body: &[u8], fields: &JsonFields) -> Result<Vec<Pushed>, String> {
    let root: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let items: Vec<&Value> = match &fields.alerts {
        Some(p) => match root.pointer(p) {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(_) => return Err(format!("alerts at {p} is not an array")),
            None => return Err(format!("no alerts at {p}")),
        },
        None => match &root {
            Value::Array(a) => a.iter().collect(),
            one => vec![one],
        },
    };
    let name_at = fields.name.as_deref().unwrap_or("/name");
    let resolved_values: Vec<String> = fields
        .resolved_values
        .clone()
        .unwrap_or_else(|| vec!["resolved".into(), "ok".into(), "inactive".into()]);
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = |e: String| format!("alert {i}: {e}");
            let name = text_at(item, name_at)
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| at(format!("no name at {name_at} (fields.name)")))?;
            let mut labels = pairs_at(item, fields.labels.as_deref(), "labels").map_err(at)?;
            labels.push((Arc::from("alertname"), Arc::from(name.as_ref())));
            let labels = Labels::from_pairs(labels);
            let annotations = Labels::from_pairs(
                pairs_at(item, fields.annotations.as_deref(), "annotations").map_err(at)?,
            );
            let resolved = match fields.status.as_deref() {
                Some(p) => text_at(item, p).is_some_and(|s| {
                    resolved_values
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(s.trim()))
                }),
                None => false,
            };
            let starts_at = time_at(item, fields.starts_at.as_deref(), "starts_at").map_err(at)?;
            let ends_at = time_at(item, fields.ends_at.as_deref(), "ends_at").map_err(at)?;
            let fingerprint = fields
                .fingerprint
                .as_deref()
                .and_then(|p| text_at(item, p))
                .map(|f| f.into_owned())
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| fingerprint_of(labels.iter()));
            Ok(Pushed {
                alert: Alert {
                    fingerprint,
                    labels,
                    annotations,
                    starts_at: starts_at.unwrap_or(DateTime::UNIX_EPOCH),
                    ends_at,
                    generator_url: None,
                    state: AlertState::Active,
                    silenced_by: Vec::new(),
                    inhibited_by: Vec::new(),
                    sources: Vec::new(),
                },
                resolved,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alertmanager_v4_push_reads_its_alerts_and_refuses_another_version() {
        let body = br#"{"version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0,"status":"firing","receiver":"warroom","groupLabels":{"alertname":"HighLatency"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093","alerts":[
            {"status":"firing","labels":{"alertname":"HighLatency","service":"checkout"},"annotations":{"summary":"p99 high"},"startsAt":"2026-01-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"abc123"},
            {"status":"resolved","labels":{"alertname":"HighLatency","service":"cart"},"annotations":{},"startsAt":"2026-01-01T09:00:00Z","endsAt":"2026-01-01T10:01:00Z","generatorURL":"","fingerprint":"def456"}]}"#;
        let got = alertmanager(body).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].alert.name(), "HighLatency");
        assert_eq!(got[0].alert.summary(), "p99 high");
        assert_eq!(got[0].alert.ends_at, None, "year 1 means no end");
        assert!(!got[0].resolved);
        assert!(got[1].resolved);
        assert_eq!(got[1].alert.fingerprint, "def456");
        let v3 = br#"{"version":"3","alerts":[]}"#;
        assert!(alertmanager(v3).unwrap_err().contains("version 3 is not 4"));
        let err = alertmanager(b"{\"version\":\"4\",").unwrap_err();
        assert!(err.starts_with("malformed JSON: "), "{err}");
    }

    #[test]
    fn generic_json_is_read_through_its_pointers() {
        let fields = JsonFields {
            alerts: Some("/items".into()),
            name: Some("/title".into()),
            labels: Some("/tags".into()),
            status: Some("/state".into()),
            fingerprint: Some("/id".into()),
            ..JsonFields::default()
        };
        let body = br#"{"items":[{"id":7,"title":"Disk full","state":"alerting","tags":{"host":"db1","sev":2}},{"id":8,"title":"CPU","state":"OK"}]}"#;
        let got = json(body, &fields).unwrap();
        assert_eq!(got[0].alert.name(), "Disk full");
        assert_eq!(got[0].alert.label("sev"), Some("2"));
        assert_eq!(got[0].alert.fingerprint, "7");
        assert!(!got[0].resolved);
        assert!(got[1].resolved, "OK is one of the resolved values");
        let err = json(br#"{"items":[{"state":"x"}]}"#, &fields).unwrap_err();
        assert_eq!(err, "alert 0: no name at /title (fields.name)");
    }
}
