//! The PagerDuty client against a local server answering with bodies shaped like PagerDuty's
//! REST API v2 schema (no real PagerDuty can run here): paginated incident lists followed to
//! the end, acknowledge and resolve with `From:`, notes, log entries, a rejected token, and a
//! 429 waited out as `Retry-After` says.

use crate::support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::pagerduty::incident;
use warroom::backends::pagerduty::{PagerDuty, RetryPolicy};
use warroom::backends::{BackendError, http_client};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "u+testtoken";
const FROM: &str = "ic@example.com";

fn pd(server: &MockServer) -> PagerDuty {
    PagerDuty::new(
        http_client().unwrap(),
        &server.uri(),
        TOKEN,
        FROM,
        Duration::from_secs(5),
    )
    .unwrap()
}

fn page(incidents: Vec<Value>, offset: usize, more: bool) -> Value {
    json!({"incidents": incidents, "limit": 100, "offset": offset, "more": more, "total": null})
}

fn tok() -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", "Token token=u+testtoken")
}

fn acc() -> wiremock::matchers::HeaderExactMatcher {
    header("accept", "application/vnd.pagerduty+json;version=2")
}

#[tokio::test]
async fn open_incidents_are_listed_across_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(tok())
        .and(acc())
        .and(query_param("service_ids[]", "PSVC001"))
        .and(query_param("statuses[]", "acknowledged"))
        .and(query_param("limit", "100"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![
                incident("PINC001", 101, "triggered"),
                incident("PINC002", 102, "acknowledged"),
            ],
            0,
            true,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(tok())
        .and(acc())
        .and(query_param("offset", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![incident("PINC003", 103, "triggered")],
            2,
            false,
        )))
        .expect(1)
        .mount(&server)
        .await;

    let list = pd(&server)
        .open_incidents(&["PSVC001".to_string()])
        .await
        .unwrap();
    let ids: Vec<&str> = list.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["PINC001", "PINC002", "PINC003"]);
    let first = &list[0];
    assert_eq!(first.incident_number, 101);
    assert_eq!(first.title, "Checkout 5xx above 5%");
    assert_eq!(first.status, "triggered");
    assert_eq!(first.urgency, "high");
    assert_eq!(first.service.summary, "Checkout API");
    assert_eq!(first.priority.as_ref().unwrap().summary, "P1");
    assert!(first.created_at.is_some());
    // Both statuses asked for, on every page.
    let requests = server.received_requests().await.unwrap();
    for r in &requests {
        let q = r.url.query().unwrap_or("");
        assert!(q.contains("statuses%5B%5D=triggered"), "{q}");
        assert!(q.contains("statuses%5B%5D=acknowledged"), "{q}");
    }
    server.verify().await;
    support::pagerduty::assert_conforms(&server).await;
}

#[tokio::test]
async fn acknowledge_resolve_and_note_send_from_and_incident_references() {
    let server = MockServer::start().await;
    for status in ["acknowledged", "resolved"] {
        Mock::given(method("PUT"))
            .and(path("/incidents"))
            .and(tok())
            .and(acc())
            .and(header("from", FROM))
            .and(body_json(json!({"incidents": [
                {"id": "PINC001", "type": "incident_reference", "status": status},
                {"id": "PINC002", "type": "incident_reference", "status": status}
            ]})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "incidents": [incident("PINC001", 101, status), incident("PINC002", 102, status)]
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/incidents/PINC001/notes"))
        .and(tok())
        .and(header("from", FROM))
        .and(body_json(
            json!({"note": {"content": "Rolled back to v41; errors falling"}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"note": {
            "id": "PNOTE01",
            "user": {"id": "PUSR001", "type": "user_reference", "summary": "Alice Example"},
            "channel": {"summary": "The PagerDuty website or APIs"},
            "content": "Rolled back to v41; errors falling",
            "created_at": "2026-11-21T09:10:00-05:00",
            "updated_at": "2026-11-21T09:10:00-05:00"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents/PINC001/log_entries"))
        .and(tok())
        .and(acc())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "log_entries": [
                {
                    "id": "PLOG001", "type": "trigger_log_entry",
                    "summary": "Triggered through the API",
                    "created_at": "2026-11-21T09:00:00Z",
                    "agent": {"id": "PSVC001", "type": "service_reference", "summary": "Checkout API"},
                    "channel": {"type": "api"},
                    "incident": {"id": "PINC001", "type": "incident_reference"},
                    "teams": [], "contexts": [],
                    "event_details": {"description": "5xx above 5%"}
                },
                {
                    "id": "PLOG002", "type": "acknowledge_log_entry",
                    "summary": "Acknowledged by Alice Example",
                    "created_at": "2026-11-21T09:02:00Z",
                    "agent": {"id": "PUSR001", "type": "user_reference", "summary": "Alice Example"},
                    "channel": {"type": "web_ui"},
                    "acknowledgement_timeout": 1800
                }
            ],
            "limit": 100, "offset": 0, "more": false, "total": null
        })))
        .mount(&server)
        .await;

    let c = pd(&server);
    let acked = c.acknowledge(&["PINC001", "PINC002"]).await.unwrap();
    assert!(acked.iter().all(|i| i.status == "acknowledged"));
    let resolved = c.resolve(&["PINC001", "PINC002"]).await.unwrap();
    assert!(resolved.iter().all(|i| i.status == "resolved"));
    let note = c
        .add_note("PINC001", "Rolled back to v41; errors falling")
        .await
        .unwrap();
    assert_eq!(note.id, "PNOTE01");
    assert_eq!(note.user.unwrap().summary, "Alice Example");
    assert_eq!(
        note.created_at.unwrap().to_rfc3339(),
        "2026-11-21T14:10:00+00:00"
    );
    let log = c.log_entries("PINC001").await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].kind, "trigger_log_entry");
    assert_eq!(log[1].agent.as_ref().unwrap().summary, "Alice Example");
    server.verify().await;
    support::pagerduty::assert_conforms(&server).await;
}

#[tokio::test]
async fn a_rejected_token_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"message": "Unauthorized", "code": 2006}
        })))
        .mount(&server)
        .await;
    let err = pd(&server).open_incidents(&[]).await.unwrap_err();
    assert!(
        matches!(err, BackendError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(shown.contains("token rejected"), "{shown}");
    assert!(!shown.contains(TOKEN), "the token never shows: {shown}");
    assert!(pd(&server).check_token().await.is_err());
    support::pagerduty::assert_conforms(&server).await;
}

#[tokio::test]
async fn rate_limits_are_waited_out_then_given_up_on() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"error": {"message": "Rate Limit Exceeded", "code": 2020}})),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![incident("PINC001", 101, "triggered")],
            0,
            false,
        )))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    let list = pd(&server).open_incidents(&[]).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was honoured"
    );
    server.verify().await;

    // Always 429, asking for far too long a wait: bounded tries, bounded waits, then a clear error.
    let always = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/incidents"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(3)
        .mount(&always)
        .await;
    let c = pd(&always).with_retry(RetryPolicy {
        tries: 3,
        max_wait: Duration::from_millis(200),
        ..RetryPolicy::default()
    });
    let err = c.acknowledge(&["PINC001"]).await.unwrap_err();
    assert!(
        matches!(err, BackendError::RateLimited { tries: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("rate limited"), "{err}");
    always.verify().await;
    support::pagerduty::assert_conforms(&server).await;
    support::pagerduty::assert_conforms(&always).await;
}

#[tokio::test]
async fn other_refusals_carry_pagerdutys_message() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/incidents"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "Invalid Input Provided", "code": 2001,
                      "errors": ["Requester User Not Found"]}
        })))
        .mount(&server)
        .await;
    let err = pd(&server).resolve(&["PINC001"]).await.unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("HTTP 400"), "{shown}");
    assert!(
        shown.contains("Invalid Input Provided (Requester User Not Found)"),
        "{shown}"
    );
    support::pagerduty::assert_conforms(&server).await;
}

/// The bodies these doubles answer with fit PagerDuty's response schemas.
#[test]
fn the_doubles_answer_with_bodies_the_spec_describes() {
    let spec = support::pagerduty::spec();
    let one = incident("PINC001", 101, "triggered");
    let checks = [
        ("GET", "/incidents", 200, page(vec![one.clone()], 0, true)),
        ("GET", "/incidents/PINC001", 200, json!({"incident": one})),
        ("PUT", "/incidents", 200, json!({"incidents": [one]})),
        (
            "GET",
            "/incidents",
            401,
            json!({"error": {"message": "Unauthorized", "code": 2006}}),
        ),
    ];
    for (m, p, status, body) in checks {
        if let Err(e) = spec.check_response(m, p, status, &body) {
            panic!("{e}");
        }
    }
}
