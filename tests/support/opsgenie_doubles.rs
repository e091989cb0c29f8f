//! Bodies shaped like OpsGenie's Alert API v2 description (tests/fixtures/specs/opsgenie), for
//! the local servers that stand in for OpsGenie (it cannot run here).
#![allow(dead_code)]

use super::spec::Spec;
use serde_json::{Value, json};
use std::sync::OnceLock;
use wiremock::ResponseTemplate;

/// The integration key the tests give warroom (a secret: it must never show).
pub const KEY: &str = "eb243592-faa2-4ba2-a551q-1afdf565c889";
/// The alerts' path.
pub const ALERTS: &str = "/v2/alerts";

/// OpsGenie's published Alert API description, loaded once.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::load("opsgenie/alert.json"))
}

/// An open alert `a-N` as the list gives it, saying `message`, with `tags`.
pub fn item(n: usize, message: &str, priority: &str, tags: &[&str]) -> Value {
    json!({
        "id": format!("a-{n}"), "tinyId": n.to_string(), "alias": format!("event_{n}"),
        "message": message, "status": "open", "acknowledged": false,
        "isSeen": false, "tags": tags, "snoozed": false, "count": 1,
        "lastOccurredAt": "2026-12-05T01:50:00.000Z", "createdAt": "2026-12-05T01:50:00.000Z",
        "updatedAt": "2026-12-05T01:50:00.000Z", "source": "prometheus", "owner": "",
        "priority": priority,
        "responders": [{"type": "team", "id": "8418d193-2dab-4490-b331-8c02cdd196b7"}]
    })
}

/// `body` answered with `status` to `verb path`, checked first to be what the spec says such
/// an answer is.
pub fn answer(verb: &str, path: &str, status: u16, body: Value) -> ResponseTemplate {
    spec()
        .check_response(verb, path, status, &body)
        .unwrap_or_else(|e| panic!("the OpsGenie double's own answer is wrong: {e}"));
    ResponseTemplate::new(status).set_body_json(body)
}

/// The list answer with `items`, offering a next page when `more`.
pub fn page(items: Vec<Value>, more: bool) -> ResponseTemplate {
    let mut paging = json!({"first": "https://api.opsgenie.com/v2/alerts?offset=0"});
    if more {
        paging["next"] = json!("https://api.opsgenie.com/v2/alerts?offset=100");
    }
    answer(
        "GET",
        ALERTS,
        200,
        json!({"data": items, "paging": paging, "took": 0.605,
            "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9"}),
    )
}

/// The 202 answer to a write, naming its request.
pub fn accepted(path: &str, request_id: &str) -> ResponseTemplate {
    answer(
        "POST",
        path,
        202,
        json!({"result": "Request will be processed", "took": 0.107, "requestId": request_id}),
    )
}

/// A request's status: processed, successfully, saying `status`.
pub fn processed(request_id: &str, action: &str, status: &str) -> ResponseTemplate {
    answer(
        "GET",
        &format!("{ALERTS}/requests/{request_id}"),
        200,
        json!({"data": {"action": action, "processedAt": "2026-12-05T02:00:01.000Z",
            "integrationId": "c9cec2cb-e782-4ebb-bc1d-1b2fa703cf03", "isSuccess": true,
            "status": status, "alertId": "a-0", "alias": "event_0"},
            "took": 0.022, "requestId": "ec7e1d8e-1c75-442e-a271-731070a7fa4d"}),
    )
}

/// `[[opsgenie]]` reading from `url`, with the key in `WARROOM_E2E_OG_KEY`.
pub fn config(url: &str, max_pages: u32) -> String {
    format!("[[opsgenie]]\nurl = \"{url}\"\napi_key_env = \"{KEY_ENV}\"\nmax_pages = {max_pages}\n")
}

/// The variable [`config`] names.
pub const KEY_ENV: &str = "WARROOM_E2E_OG_KEY";
