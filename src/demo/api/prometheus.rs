//! The Prometheus v1 subset: instant and range queries (over the PromQL the demo knows, see
//! [`crate::demo::promql`]), the alerts and alerting rules, build info. Answers wear
//! Prometheus' `{status, data}` envelope and its `bad_data` errors.

use super::{Params, Shared, json_response, param, ts};
use crate::demo::promql;
use crate::demo::simulator::RuleAlert;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

/// Prometheus' own limit on points per series in a range query.
const MAX_POINTS: f64 = 11_000.0;

/// Prometheus' success envelope.
fn prom_ok(data: Value) -> Response {
    json_response(StatusCode::OK, &json!({"status": "success", "data": data}))
}

/// Prometheus' error envelope (`bad_data` is a 400).
fn prom_err(message: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"status": "error", "errorType": "bad_data", "error": message}),
    )
}

/// `time`/`start`/`end` as Prometheus reads them: Unix seconds (with a fraction) or RFC 3339.
fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(secs) = v.trim().parse::<f64>() {
        if !secs.is_finite() {
            return None;
        }
        return DateTime::from_timestamp_millis((secs * 1000.0).round() as i64);
    }
    DateTime::parse_from_rfc3339(v.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `step` as Prometheus reads it: seconds (with a fraction) or a duration such as `30s`.
fn parse_step(v: &str) -> Option<f64> {
    if let Ok(secs) = v.trim().parse::<f64>() {
        return (secs.is_finite() && secs > 0.0).then_some(secs);
    }
    crate::domain::parse_duration(v)
        .ok()
        .map(|d| d.num_milliseconds() as f64 / 1000.0)
        .filter(|s| *s > 0.0)
}

fn unix(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)` is close enough: the shortest exact form.
fn value_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

fn expr_of(q: &[(String, String)]) -> Result<promql::Expr, Box<Response>> {
    let text = param(q, "query")
        .ok_or_else(|| Box::new(prom_err("invalid parameter \"query\": missing")))?;
    promql::parse(text)
        .map_err(|e| Box::new(prom_err(&format!("invalid parameter \"query\": {e}"))))
}

pub(super) async fn prom_query(State(shared): State<Arc<Shared>>, Query(q): Params) -> Response {
    let expr = match expr_of(&q) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let at = match param(&q, "time") {
        None => None,
        Some(v) => match parse_time(v) {
            Some(t) => Some(t),
            None => return prom_err(&format!("invalid parameter \"time\": cannot parse {v:?}")),
        },
    };
    let answer = shared.with(|sim, now| {
        let at = at.unwrap_or(now);
        let t = sim.scenario_secs(at);
        promql::evaluate(sim, &expr, t)
            .into_iter()
            .map(|(labels, v)| json!({"metric": labels, "value": [unix(at), value_text(v)]}))
            .collect::<Vec<_>>()
    });
    match answer {
        Ok(result) => prom_ok(json!({"resultType": "vector", "result": result})),
        Err(r) => *r,
    }
}

pub(super) async fn prom_query_range(
    State(shared): State<Arc<Shared>>,
    Query(q): Params,
) -> Response {
    let expr = match expr_of(&q) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let time = |key: &str| {
        param(&q, key).and_then(parse_time).ok_or_else(|| {
            Box::new(prom_err(&format!(
                "invalid parameter \"{key}\": missing or not a time"
            )))
        })
    };
    let (start, end) = match (time("start"), time("end")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let Some(step) = param(&q, "step").and_then(parse_step) else {
        return prom_err(
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        );
    };
    if end < start {
        return prom_err("end timestamp must not be before start time");
    }
    let span = (end - start).num_milliseconds() as f64 / 1000.0;
    if span / step > MAX_POINTS {
        return prom_err(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        );
    }
    let answer = shared.with(|sim, _| {
        let mut series: std::collections::BTreeMap<String, (promql::Labels, Vec<Value>)> =
            Default::default();
        let steps = (span / step).floor() as u64;
        for k in 0..=steps {
            let at_ms = start.timestamp_millis() as f64 + k as f64 * step * 1000.0;
            let Some(at) = DateTime::from_timestamp_millis(at_ms.round() as i64) else {
                continue;
            };
            for (labels, v) in promql::evaluate(sim, &expr, sim.scenario_secs(at)) {
                let key = serde_json::to_string(&labels).unwrap_or_default();
                series
                    .entry(key)
                    .or_insert_with(|| (labels, Vec::new()))
                    .1
                    .push(json!([unix(at), value_text(v)]));
            }
        }
        series
            .into_values()
            .map(|(labels, values)| json!({"metric": labels, "values": values}))
            .collect::<Vec<_>>()
    });
    match answer {
        Ok(result) => prom_ok(json!({"resultType": "matrix", "result": result})),
        Err(r) => *r,
    }
}

fn prom_alert_json(a: &RuleAlert) -> Value {
    json!({
        "labels": a.labels,
        "annotations": a.annotations,
        "state": if a.firing() { "firing" } else { "pending" },
        "activeAt": ts(a.active_at),
        "value": format!("{:e}", a.value),
    })
}

pub(super) async fn prom_alerts(State(shared): State<Arc<Shared>>) -> Response {
    match shared.with(|sim, now| sim.rule_alerts(now)) {
        Ok(alerts) => prom_ok(json!({
            "alerts": alerts.iter().map(prom_alert_json).collect::<Vec<_>>()
        })),
        Err(r) => *r,
    }
}

pub(super) async fn prom_rules(State(shared): State<Arc<Shared>>, Query(q): Params) -> Response {
    if param(&q, "type") == Some("record") {
        return prom_ok(json!({"groups": []}));
    }
    let answer = shared.with(|sim, now| {
        let scenario = sim.scenario();
        scenario
            .alerts
            .iter()
            .map(|rule| {
                let alert = sim.rule_alert(rule, now);
                let state = match &alert {
                    Some(a) if a.firing() => "firing",
                    Some(_) => "pending",
                    None => "inactive",
                };
                let mut labels = serde_json::Map::new();
                labels.insert("severity".into(), json!(rule.severity));
                labels.insert("team".into(), json!(rule.team));
                json!({
                    "type": "alerting",
                    "name": rule.name,
                    "query": scenario.rule_query(rule),
                    "duration": rule.for_secs,
                    "labels": labels,
                    "annotations": {"summary": rule.summary},
                    "alerts": alert.iter().map(prom_alert_json).collect::<Vec<_>>(),
                    "health": "ok",
                    "state": state,
                    "lastError": "",
                })
            })
            .collect::<Vec<_>>()
    });
    match answer {
        Ok(rules) => prom_ok(json!({"groups": [{
            "name": "demo.rules",
            "file": "/etc/prometheus/rules/demo.yml",
            "interval": 1,
            "rules": rules,
        }]})),
        Err(r) => *r,
    }
}

pub(super) async fn prom_buildinfo() -> Response {
    prom_ok(json!({
        "version": concat!("warroom-demo-", env!("CARGO_PKG_VERSION")),
        "revision": "",
        "branch": "",
        "buildUser": "",
        "buildDate": "",
        "goVersion": "",
    }))
}
