//! Bodies shaped like NerdGraph's answers (the vendored schema, tests/fixtures/specs/newrelic/),
//! for the local servers that stand in for New Relic (none can run here), and a double that
//! answers issues, acknowledgements and NRQL.
#![allow(dead_code)]

use serde_json::{Value, json};

/// The user key the tests put in the environment (never to be seen anywhere else).
pub const KEY: &str = "NRAK-TESTKEY0123456789ABCDEFGHIJ";
pub const ACCOUNT: i64 = 3141592;

/// An issue in the schema's shape, with the fields warroom selects.
pub fn issue(id: &str, title: &str, priority: &str, entities: &[&str]) -> Value {
    json!({
        "issueId": id,
        "title": [title],
        "priority": priority,
        "state": "ACTIVATED",
        "entityNames": entities,
        "entityGuids": entities.iter().map(|e| format!("MzE0MTU5MnxBUE18QVBQTElDQVRJT058{}", e.len())).collect::<Vec<_>>(),
        "activatedAt": 1_796_400_000_000i64,
        "createdAt": 1_796_399_940_000i64,
        "acknowledgedAt": null,
        "description": [format!("{title} on {}", entities.join(", "))],
        "deepLinkUrl": [format!("https://radar-api.service.newrelic.com/accounts/{ACCOUNT}/issues/{id}")]
    })
}

/// One page of issues.
pub fn issues_page(issues: Vec<Value>, next: Option<&str>) -> Value {
    json!({"data": {"actor": {"account": {"aiIssues": {"issues": {
        "issues": issues,
        "nextCursor": next
    }}}}}})
}

/// What `aiIssuesAckIssue` answers when it took the acknowledgement.
pub fn acked(id: &str) -> Value {
    json!({"data": {"aiIssuesAckIssue": {
        "result": {"issueId": id, "action": "ACK"},
        "error": null
    }}})
}

/// An NRQL answer: one `TIMESERIES` bucket per `(begin seconds, value)`; `None` is a bucket
/// without data (`null`, as NRDB writes it).
pub fn timeseries(key: &str, step: i64, buckets: &[(i64, Option<f64>)]) -> Value {
    let results: Vec<Value> = buckets
        .iter()
        .map(|(t, v)| json!({"beginTimeSeconds": t, "endTimeSeconds": t + step, key: v}))
        .collect();
    json!({"data": {"actor": {"account": {"nrql": {"results": results}}}}})
}

/// A GraphQL error answered with a 200, as NerdGraph does.
pub fn graphql_error(message: &str) -> Value {
    json!({"data": null, "errors": [{"message": message, "locations": [{"line": 1, "column": 2}], "path": ["actor"]}]})
}

/// The vendored NerdGraph schema, read once.
pub fn schema() -> std::sync::Arc<super::graphql::Schema> {
    static SCHEMA: std::sync::OnceLock<std::sync::Arc<super::graphql::Schema>> =
        std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            std::sync::Arc::new(super::graphql::Schema::load("newrelic/nerdgraph.json"))
        })
        .clone()
}

/// `body` as the double's answer, held to the schema.
pub fn answer(body: Value) -> super::graphql::Answer {
    super::graphql::Answer::new(schema(), body)
}

/// A `config.toml` with one `[[newrelic]]` at `url`, its key in `NR_TEST_KEY`.
pub fn config(url: &str, extra: &str) -> String {
    format!(
        "[[newrelic]]\naccount_id = {ACCOUNT}\napi_key_env = \"NR_TEST_KEY\"\nurl = \"{url}\"\n{extra}\n[alerts]\ntimeout = \"5s\"\n"
    )
}
