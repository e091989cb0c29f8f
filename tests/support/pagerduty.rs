//! Bodies shaped like PagerDuty's REST API v2 schema, for the local servers that stand in for
//! PagerDuty (none can run here).
#![allow(dead_code)]

use super::spec::Spec;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// PagerDuty's published REST API description (tests/fixtures/specs/pagerduty), loaded once.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::load("pagerduty/rest.json"))
}

/// Every request the PagerDuty double received conforms to PagerDuty's REST spec.
pub async fn assert_conforms(server: &wiremock::MockServer) {
    super::spec::assert_conforms(server, spec()).await;
}

/// An incident in the schema's shape (with fields we do not read, as the real API sends).
pub fn incident(id: &str, number: u64, status: &str) -> Value {
    json!({
        "id": id,
        "type": "incident",
        "summary": format!("[#{number}] Checkout 5xx above 5%"),
        "self": format!("https://api.pagerduty.com/incidents/{id}"),
        "html_url": format!("https://acme.pagerduty.com/incidents/{id}"),
        "incident_number": number,
        "title": "Checkout 5xx above 5%",
        "created_at": "2026-11-21T09:00:00Z",
        "updated_at": "2026-11-21T09:05:00Z",
        "status": status,
        "incident_key": format!("key-{number}"),
        "service": {
            "id": "PSVC001",
            "type": "service_reference",
            "summary": "Checkout API",
            "self": "https://api.pagerduty.com/services/PSVC001",
            "html_url": "https://acme.pagerduty.com/service-directory/PSVC001"
        },
        "assignments": [],
        "assigned_via": "escalation_policy",
        "last_status_change_at": "2026-11-21T09:05:00Z",
        "alert_counts": {"all": 1, "triggered": 1, "resolved": 0},
        "is_mergeable": true,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": {"id": "PESC001", "type": "escalation_policy_reference", "summary": "Checkout on-call"},
        "teams": [],
        "pending_actions": [],
        "acknowledgements": [],
        "priority": {"id": "PPRI001", "type": "priority_reference", "summary": "P1"},
        "incidents_responders": [],
        "responder_requests": [],
        "urgency": "high"
    })
}

/// A `ResponseTemplate` answering `body`, after checking it against the spec's response
/// schema for `method path status` (a double's answer is held to the vendor too).
pub fn answer(method: &str, path: &str, status: u16, body: Value) -> wiremock::ResponseTemplate {
    if let Err(e) = spec().check_response(method, path, status, &body) {
        panic!("the double's answer does not fit PagerDuty's spec: {e}");
    }
    wiremock::ResponseTemplate::new(status).set_body_json(body)
}

/// One on-call entry: `user` (with the details `include[]=users` adds) at `level` of the
/// escalation policy `PT20YPA`, until `end` (`None`: permanently).
pub fn oncall(user: (&str, &str, &str), level: u32, end: Option<&str>) -> Value {
    let (id, name, email) = user;
    let mut v = json!({
        "user": {
            "id": id, "type": "user_reference", "summary": name, "name": name, "email": email,
            "self": format!("https://api.pagerduty.com/users/{id}"),
            "html_url": format!("https://acme.pagerduty.com/users/{id}")
        },
        "schedule": {
            "id": "PI7DH85", "type": "schedule_reference", "summary": "Payments primary",
            "self": "https://api.pagerduty.com/schedules/PI7DH85"
        },
        "escalation_policy": {
            "id": "PT20YPA", "type": "escalation_policy_reference", "summary": "Payments",
            "self": "https://api.pagerduty.com/escalation_policies/PT20YPA"
        },
        "escalation_level": level,
        "start": "2026-11-21T08:00:00Z"
    });
    if let Some(e) = end {
        v["end"] = json!(e);
    }
    v
}
