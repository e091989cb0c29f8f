//! Sensu Go as an alert source, against a double held to the published API reference
//! (`tests/fixtures/specs/sensu/`): events with a non-zero check status are alerts (1 warning,
//! 2 critical, 3 unknown; 0 is not shown), mapped to catalog services by entity, check or the
//! check's labels; pages followed by their `Sensu-Continue` token, and no further than a bound;
//! a silence from `warroom write-back … silence` (the console's `m` hands the same write-back
//! to the app loop) becomes a silencing entry and is journaled, taken or not; a refused key is
//! reported without the key.

use crate::support;

use serde_json::{Value, json};
use std::time::Duration;
use support::cli::{setup, stderr};
use support::sensu::event;
use support::spec::{Spec, assert_conforms};
use warroom::backends::alertmanager::AlertFilter;
use warroom::backends::sensu::Sensu;
use warroom::backends::{AlertSource, BackendError, Endpoint, http_client};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "83abef1e-e7d7-4beb-91fc-79ad90084d5b";
const EVENTS: &str = "/api/core/v2/namespaces/default/events";
const SILENCED: &str = "/api/core/v2/namespaces/default/silenced";

fn spec() -> Spec {
    Spec::load("sensu/core-v2.json")
}

fn sensu(url: &str, key: &str) -> AlertSource {
    let api = Endpoint::new(http_client().unwrap(), url, Duration::from_secs(5))
        .unwrap()
        .with_authorization(&format!("Key {key}"))
        .unwrap();
    AlertSource::Sensu {
        name: "sensu".into(),
        client: Box::new(Sensu::new(api, "default", Duration::from_secs(3600))),
    }
}

/// Answers the events list with `events`, on one page, to the right key only.
async fn serving(events: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(header("Authorization", format!("Key {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(events)))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn events_with_a_non_zero_status_are_alerts_mapped_to_catalog_services() {
    let server = serving(vec![
        event("web1", "check-ok", 0, json!(null)),
        event("web1", "check-http", 1, json!({"service": "storefront"})),
        event("db1", "check-disk", 2, json!(null)),
        event("db1", "check-backup", 3, json!({"team": "dba"})),
    ])
    .await;
    let mut alerts = sensu(&server.uri(), KEY)
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    alerts.sort_by(|a, b| a.name().cmp(b.name()));
    let seen: Vec<(&str, Option<&str>, Option<&str>)> = alerts
        .iter()
        .map(|a| (a.name(), a.label("state"), a.label("severity")))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("db1/check-backup", Some("UNKNOWN"), Some("warning")),
            ("db1/check-disk", Some("CRITICAL"), Some("critical")),
            ("web1/check-http", Some("WARNING"), Some("warning")),
        ],
        "status 0 is not an alert"
    );
    let http = &alerts[2];
    assert_eq!(http.label("entity"), Some("web1"));
    assert_eq!(http.label("check"), Some("check-http"));
    assert_eq!(http.label("sensu"), Some("sensu"));
    assert_eq!(
        http.annotations.get("summary"),
        Some("check-http output, status 1")
    );
    // The failure began with the first failing run after the last OK one.
    assert_eq!(http.starts_at.timestamp(), 1796400000);
    assert_eq!(http.sources, vec!["sensu".to_string()]);

    // The catalog takes them by entity, by check, or by the check's own labels.
    let catalog = warroom::config::parse_services(
        std::path::Path::new("services.toml"),
        r#"
[[service]]
name = "storefront"
match = { service = "storefront" }

[[service]]
name = "orders-db"
match = { entity = "db1", check = "check-disk" }

[[service]]
name = "backups"
match = { team = "dba" }
"#,
    )
    .unwrap();
    let service_of = |a: &warroom::domain::Alert| {
        catalog
            .services
            .iter()
            .find(|s| s.matches(&a.labels))
            .map(|s| s.name.clone())
    };
    assert_eq!(service_of(&alerts[0]).as_deref(), Some("backups"));
    assert_eq!(service_of(&alerts[1]).as_deref(), Some("orders-db"));
    assert_eq!(service_of(&alerts[2]).as_deref(), Some("storefront"));
    assert_conforms(&server, &spec()).await;
}

#[tokio::test]
async fn pages_are_followed_by_their_continue_token_and_no_further_than_the_bound() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(query_param("limit", "500"))
        .and(query_param("continue", "L2RlZmF1bHQvd2ViMQA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([event(
            "db1",
            "check-disk",
            2,
            json!(null)
        )])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(query_param("limit", "500"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Sensu-Continue", "L2RlZmF1bHQvd2ViMQA")
                .set_body_json(json!([event("web1", "check-http", 1, json!(null))])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let alerts = sensu(&server.uri(), KEY)
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    let mut names: Vec<&str> = alerts.iter().map(|a| a.name()).collect();
    names.sort();
    assert_eq!(names, vec!["db1/check-disk", "web1/check-http"]);
    server.verify().await;
    assert_conforms(&server, &spec()).await;

    // A backend that always offers one more page is followed a bounded number of times.
    let endless = MockServer::start().await;
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = counter.clone();
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .respond_with(move |_: &wiremock::Request| {
            let n = c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ResponseTemplate::new(200)
                .insert_header("Sensu-Continue", format!("page{n}").as_str())
                .set_body_json(json!([]))
        })
        .mount(&endless)
        .await;
    let err = sensu(&endless.uri(), KEY)
        .fetch(&AlertFilter::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("more than 50000 events"), "{err}");
    assert_eq!(
        counter.load(std::sync::atomic::Ordering::SeqCst),
        warroom::backends::sensu::MAX_PAGES
    );
    // One that hands back the same token would loop: refused at once.
    let looping = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Sensu-Continue", "again")
                .set_body_json(json!([])),
        )
        .expect(2)
        .mount(&looping)
        .await;
    let err = sensu(&looping.uri(), KEY)
        .fetch(&AlertFilter::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("continue token"), "{err}");
    assert_conforms(&endless, &spec()).await;
    assert_conforms(&looping, &spec()).await;
}

#[tokio::test]
async fn a_refused_key_is_reported_without_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string(format!("{{\"message\":\"bad key Key {KEY}-wrong\"}}")),
        )
        .mount(&server)
        .await;
    let wrong = format!("{KEY}-wrong");
    let err = sensu(&server.uri(), &wrong)
        .fetch(&AlertFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, BackendError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(!text.contains(&wrong), "the key leaked: {text}");
    assert!(!text.contains("83abef1e"), "part of the key leaked: {text}");
    assert_conforms(&server, &spec()).await;
}

fn config(url: &str) -> String {
    format!("[[sensu]]\nurl = \"{url}\"\napi_key_env = \"SENSU_TEST_KEY\"\nsilence_for = \"2h\"\n")
}

#[tokio::test]
async fn a_silence_becomes_a_silencing_entry_and_is_journaled_taken_or_not() {
    let server = serving(vec![event("web1", "check-http", 2, json!(null))]).await;
    Mock::given(method("POST"))
        .and(path(SILENCED))
        .and(header("Authorization", format!("Key {KEY}").as_str()))
        .and(body_partial_json(json!({
            "metadata": {"name": "entity:web1:check-http", "namespace": "default"},
            "check": "check-http",
            "subscription": "entity:web1",
            "expire": 7200,
            "expire_on_resolve": false,
            "creator": "alice",
            "reason": "INC-1: deploy rolled back, checking"
        })))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let s = setup(&config(&server.uri()), &[("SENSU_TEST_KEY", KEY)]);
    let out = s.run(&[
        "write-back",
        &s.id,
        "web1/check-http",
        "silence",
        "INC-1: deploy rolled back, checking",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains("silenced web1/check-http on sensu")
            && said.contains("entity:web1:check-http"),
        "{said}"
    );
    let out = s.run(&["check-config", "--probe"]);
    let probed = String::from_utf8_lossy(&out.stdout).to_string() + &stderr(&out);
    assert!(
        probed.contains("key accepted (1 failing events in default)"),
        "{probed}"
    );
    assert!(!probed.contains(KEY), "{probed}");
    let events = s.of_type("alert_write_back");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["action"], "silence");
    assert_eq!(events[0]["ok"], true);
    assert_eq!(events[0]["source"], "sensu");
    server.verify().await;
    let body: Value = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .unwrap();
    assert_conforms(&server, &spec()).await;
    let begin = body["begin"].as_i64().unwrap();
    assert!(
        (chrono::Utc::now().timestamp() - begin).abs() < 60,
        "begin is now: {body}"
    );

    // Refused by Sensu: journaled as not taken, with Sensu's reason; exit 1.
    let refusing = serving(vec![event("web1", "check-http", 2, json!(null))]).await;
    Mock::given(method("POST"))
        .and(path(SILENCED))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"message": "etcdserver: request timed out", "code": 2})),
        )
        .mount(&refusing)
        .await;
    let s = setup(&config(&refusing.uri()), &[("SENSU_TEST_KEY", KEY)]);
    let out = s.run(&["write-back", &s.id, "web1/check-http", "silence", "noise"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let events = s.of_type("alert_write_back");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["ok"], false);
    let detail = events[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("HTTP 500") && detail.contains("etcdserver: request timed out"),
        "{detail}"
    );
    assert!(!detail.contains(KEY), "{detail}");
    assert_conforms(&refusing, &spec()).await;
}

#[tokio::test]
async fn the_doubles_answer_as_the_reference_shows() {
    let spec = spec();
    for status in [0, 1, 2, 3] {
        let body = json!([event(
            "web1",
            "check-http",
            status,
            json!({"service": "web"})
        )]);
        if let Err(e) = spec.check_response("GET", EVENTS, 200, &body) {
            panic!("{e}");
        }
    }
    // The reference's own example (a passing check) is read, and is no alert.
    let example = spec
        .example("GET", EVENTS, 200)
        .expect("the spec's example");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(example.clone()))
        .mount(&server)
        .await;
    let alerts = sensu(&server.uri(), KEY)
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    assert!(alerts.is_empty(), "{alerts:?}");
    // The same event failing is one.
    let mut failing = example;
    failing[0]["check"]["status"] = json!(2);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(failing))
        .mount(&server)
        .await;
    let alerts = sensu(&server.uri(), KEY)
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].name(), "server1/check_cpu");
    assert_conforms(&server, &spec).await;
}

/// The vendored description is not a rubber stamp: requests it does not allow fail the check.
#[tokio::test]
async fn requests_the_reference_does_not_allow_fail_the_check() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let client = http_client().unwrap();
    let key = format!("Key {KEY}");
    // No key; an unknown query parameter; a misspelt field; a status that is not a number.
    client
        .get(format!("{}{EVENTS}", server.uri()))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{}{EVENTS}?page=2", server.uri()))
        .header("Authorization", &key)
        .send()
        .await
        .unwrap();
    client
        .post(format!("{}{SILENCED}", server.uri()))
        .header("Authorization", &key)
        .json(&json!({"check": "check-http", "expires": 60}))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{}{EVENTS}?limit=many", server.uri()))
        .header("Authorization", &key)
        .send()
        .await
        .unwrap();
    let spec = spec();
    let verdicts: Vec<Result<(), String>> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| spec.check(r))
        .collect();
    assert_eq!(verdicts.len(), 4);
    for (v, names) in verdicts.iter().zip(["uthoriz", "page", "expires", "limit"]) {
        let e = v.as_ref().expect_err("refused");
        assert!(e.contains(names), "{e}");
    }
}
