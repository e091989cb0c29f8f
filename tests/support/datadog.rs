//! Local servers standing in for Datadog's API v1 (it cannot run here), answering with bodies
//! built to the response schemas of Datadog's own OpenAPI description
//! (`tests/fixtures/specs/datadog/v1.json`: `Monitor`, `MetricsQueryResponse`,
//! `EventCreateResponse`, `APIErrorResponse`), and the keys the tests give warroom.
#![allow(dead_code)]

use serde_json::{Value, json};
use wiremock::MockServer;

/// The API key the tests set (a secret: it must never show).
pub const API_KEY: &str = "ddapi-5e1f0c2b9a7d4e3f8c6b1a0d9e8f7c6b";
/// The application key the tests set (a secret too).
pub const APP_KEY: &str = "ddapp-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e";
/// The variables `config.toml` names.
pub const API_ENV: &str = "WARROOM_TEST_DD_API_KEY";
pub const APP_ENV: &str = "WARROOM_TEST_DD_APP_KEY";

/// The vendored description every request is held to.
pub const SPEC: &str = "datadog/v1.json";

/// `[datadog]` reading from `url`.
pub fn config(url: &str) -> String {
    format!(
        "[datadog]\nurl = \"{url}\"\napi_key_env = \"{API_ENV}\"\napp_key_env = \"{APP_ENV}\"\n"
    )
}

/// The environment holding both keys.
pub fn env() -> [(&'static str, &'static str); 2] {
    [(API_ENV, API_KEY), (APP_ENV, APP_KEY)]
}

/// A monitor in the `Monitor` schema's shape, with `groups` as (group, status) in its
/// `state.groups`, and fields warroom does not read, as the real API sends.
pub fn monitor(
    id: i64,
    name: &str,
    tags: &[&str],
    priority: Option<i64>,
    groups: &[(&str, &str)],
) -> Value {
    let worst = ["Alert", "No Data", "Warn", "OK"]
        .into_iter()
        .find(|s| groups.iter().any(|(_, g)| g == s))
        .unwrap_or("OK");
    let groups: serde_json::Map<String, Value> = groups
        .iter()
        .map(|(g, status)| {
            (
                g.to_string(),
                json!({
                    "name": g,
                    "status": status,
                    "last_triggered_ts": 1_764_900_000,
                    "last_notified_ts": 1_764_900_060,
                    "last_resolved_ts": 1_764_800_000,
                    "last_nodata_ts": 1_764_900_120,
                }),
            )
        })
        .collect();
    json!({
        "id": id,
        "name": name,
        "type": "query alert",
        "query": format!("avg(last_5m):avg:trace.http.request.errors{{*}} by {{service}} > 5"),
        "message": "Errors are up. @pagerduty-payments",
        "tags": tags,
        "priority": priority,
        "options": {"notify_no_data": true, "no_data_timeframe": 20, "thresholds": {"critical": 5.0, "warning": 2.0}},
        "overall_state": worst,
        "overall_state_modified": "2026-12-05T01:00:00+00:00",
        "created": "2026-11-01T09:00:00.000000+00:00",
        "modified": "2026-11-20T09:00:00.000000+00:00",
        "creator": {"email": "ops@example.com", "handle": "ops@example.com", "name": "Ops"},
        "multi": true,
        "deleted": null,
        "restricted_roles": null,
        "state": {"groups": groups},
    })
}

/// A `MetricsQueryResponse` for `query` with one series of `points` ([ms, value or null]).
pub fn query_answer(query: &str, scope: &str, points: &[(i64, Option<f64>)]) -> Value {
    let pointlist: Vec<Value> = points.iter().map(|(t, v)| json!([*t as f64, v])).collect();
    let (start, end) = (
        points.first().map_or(0, |p| p.0),
        points.last().map_or(0, |p| p.0),
    );
    json!({
        "status": "ok",
        "res_type": "time_series",
        "query": query,
        "from_date": start,
        "to_date": end,
        "group_by": [],
        "message": "",
        "series": [{
            "aggr": "avg",
            "display_name": "trace.http.request.errors",
            "expression": query,
            "metric": "trace.http.request.errors",
            "scope": scope,
            "tag_set": [scope],
            "interval": 60_000,
            "length": points.len(),
            "start": start,
            "end": end,
            "pointlist": pointlist,
            "query_index": 0,
        }],
    })
}

/// The spec's own `EventCreateResponse` example, with `id`.
pub fn event_created(id: i64) -> Value {
    json!({
        "event": {
            "alert_type": "info",
            "date_happened": 1_674_842_440,
            "id": id,
            "id_str": id.to_string(),
            "priority": "normal",
            "tags": ["environment:test"],
            "text": "Oh boy!",
            "title": "Did you hear the news today?",
            "url": format!("/event/event?id={id}"),
        },
        "status": "ok",
    })
}

/// An `APIErrorResponse`.
pub fn errors(text: &str) -> Value {
    json!({ "errors": [text] })
}

/// Every request `server` received is held to Datadog's published description.
pub async fn held_to_spec(server: &MockServer) {
    super::spec::assert_conforms(server, &super::spec::Spec::load(SPEC)).await;
}
