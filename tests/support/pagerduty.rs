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

/// The incident [`mount_oncall`] serves.
pub const PD_INCIDENT: &str = "PT4KHLK";

/// Mounts on `server` PagerDuty's side of who is on call and paging, short of the responder
/// request itself: the payments service `PSVC002` with its escalation policy `PT20YPA`, whose
/// on-calls are Kim Park and Lee Turner (level 1; Lee twice, through two schedules) and Dana
/// Ode (level 2); the acting user `ic@example.com` (`PIC0001`); the incident
/// [`PD_INCIDENT`] (#42) to link.
pub async fn mount_oncall(server: &wiremock::MockServer) {
    use wiremock::Mock;
    use wiremock::matchers::{method, path, query_param};
    let mut service = spec().example("GET", "/services/PSVC002", 200).unwrap();
    service["service"]["id"] = json!("PSVC002");
    service["service"]["name"] = json!("Payments API");
    service["service"]["escalation_policy"]["id"] = json!("PT20YPA");
    Mock::given(method("GET"))
        .and(path("/services/PSVC002"))
        .respond_with(answer("GET", "/services/PSVC002", 200, service))
        .mount(server)
        .await;
    let lee = ("PL7A2O4", "Lee Turner", "lee@example.com");
    let kim = ("PKIM001", "Kim Park", "kim@example.com");
    let dana = ("PDAN001", "Dana Ode", "dana@example.com");
    Mock::given(method("GET"))
        .and(path("/oncalls"))
        .and(query_param("escalation_policy_ids[]", "PT20YPA"))
        .and(query_param("include[]", "users"))
        .respond_with(answer(
            "GET",
            "/oncalls",
            200,
            json!({
                "oncalls": [
                    oncall(dana, 2, None),
                    oncall(lee, 1, Some("2026-11-21T17:00:00Z")),
                    oncall(kim, 1, Some("2026-11-21T20:00:00Z")),
                    oncall(lee, 1, Some("2026-11-21T17:00:00Z")),
                ],
                "limit": 100, "offset": 0, "more": false, "total": null
            }),
        ))
        .mount(server)
        .await;
    let mut users = spec().example("GET", "/users", 200).unwrap();
    users["users"][0]["id"] = json!("PIC0001");
    users["users"][0]["email"] = json!("ic@example.com");
    Mock::given(method("GET"))
        .and(path("/users"))
        .and(query_param("query", "ic@example.com"))
        .respond_with(answer("GET", "/users", 200, users))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/incidents/{PD_INCIDENT}")))
        .respond_with(answer(
            "GET",
            "/incidents/PT4KHLK",
            200,
            json!({"incident": incident(PD_INCIDENT, 42, "acknowledged")}),
        ))
        .mount(server)
        .await;
}
