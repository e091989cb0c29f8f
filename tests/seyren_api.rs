//! Seyren as an alert source, against a double held to its REST resources
//! (`tests/fixtures/specs/seyren/`): enabled checks in ERROR or WARN are alerts, asked for by
//! state; a check in OK (or any other state) is not one; each maps to a catalog service by
//! its name or its Graphite target; Seyren takes no write-back. Also `warroom alerts` with a
//! `[[seyren]]` in the config.

use crate::support;

use serde_json::{Value, json};
use std::time::Duration;
use support::cli::{setup, stderr};
use support::spec::{Spec, assert_conforms};
use warroom::backends::alertmanager::AlertFilter;
use warroom::backends::seyren::Seyren;
use warroom::backends::{AlertSource, Endpoint, http_client};
use warroom::domain::WriteBack;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A check as Seyren's API.md shows one, with this id, name, target and state.
fn check(id: &str, name: &str, target: &str, state: &str) -> Value {
    json!({
        "id": id, "name": name, "description": "",
        "target": target, "from": null, "until": null,
        "warn": "100", "error": "1000",
        "enabled": true, "live": false, "state": state,
        "lastCheck": 1796400000000i64,
        "subscriptions": []
    })
}

fn spec() -> Spec {
    Spec::load("seyren/api.json")
}

/// Answers `/api/checks` with `checks`, in the shape the spec gives (checked).
async fn serving(checks: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    let total = checks.len();
    let body = json!({"values": checks, "items": 0, "start": 0, "total": total});
    if let Err(e) = spec().check_response("GET", "/api/checks", 200, &body) {
        panic!("{e}");
    }
    Mock::given(method("GET"))
        .and(path("/api/checks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn seyren(url: &str) -> AlertSource {
    AlertSource::Seyren {
        name: "seyren".into(),
        client: Box::new(Seyren::new(
            Endpoint::new(http_client().unwrap(), url, Duration::from_secs(5)).unwrap(),
        )),
    }
}

#[tokio::test]
async fn checks_in_error_or_warn_are_alerts_and_ok_is_not() {
    let server = serving(vec![
        check(
            "a1",
            "checkout latency",
            "stats.timers.checkout.p99",
            "ERROR",
        ),
        check("a2", "queue depth", "stats.gauges.orders.queue", "WARN"),
        check("a3", "disk", "servers.db1.disk.used", "OK"),
    ])
    .await;
    let source = seyren(&server.uri());
    let mut alerts = source.fetch(&AlertFilter::default()).await.unwrap();
    alerts.sort_by(|a, b| a.name().cmp(b.name()));
    let seen: Vec<(&str, Option<&str>, Option<&str>)> = alerts
        .iter()
        .map(|a| (a.name(), a.label("state"), a.label("severity")))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("checkout latency", Some("ERROR"), Some("critical")),
            ("queue depth", Some("WARN"), Some("warning")),
        ]
    );
    assert_eq!(alerts[0].label("target"), Some("stats.timers.checkout.p99"));
    assert_eq!(alerts[0].annotations.get("error"), Some("1000"));
    // It asked for exactly those states, of enabled checks.
    let asked = server.received_requests().await.unwrap();
    assert_eq!(asked.len(), 1);
    let query: Vec<(String, String)> = asked[0]
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        query,
        vec![
            pair("state", "ERROR"),
            pair("state", "WARN"),
            pair("enabled", "true")
        ]
    );
    // An alert starts when it was first seen failing, and keeps that start.
    let first = alerts[0].starts_at;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = source.fetch(&AlertFilter::default()).await.unwrap();
    let same = again
        .iter()
        .find(|a| a.name() == "checkout latency")
        .unwrap();
    assert_eq!(same.starts_at, first);
    assert!(source.write_backs().is_empty());
    let refused = source
        .write_back(&alerts[0], WriteBack::Silence, "x", "alice")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("takes no silence"),
        "{refused}"
    );

    // Catalog services take them by check name or by target.
    let catalog = warroom::config::parse_services(
        std::path::Path::new("services.toml"),
        r#"
[[service]]
name = "checkout"
match = { check = "checkout latency" }

[[service]]
name = "orders"
match = { target = "stats.gauges.orders.queue" }
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
    assert_eq!(service_of(&alerts[0]).as_deref(), Some("checkout"));
    assert_eq!(service_of(&alerts[1]).as_deref(), Some("orders"));
    assert_conforms(&server, &spec()).await;
}

#[tokio::test]
async fn the_api_documents_own_example_reads_as_one_warning() {
    let example = spec()
        .example("GET", "/api/checks", 200)
        .expect("the spec's example");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/checks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example))
        .mount(&server)
        .await;
    let alerts = seyren(&server.uri())
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].name(), "Test");
    assert_eq!(alerts[0].label("severity"), Some("warning"));
    assert_eq!(alerts[0].annotations.get("summary"), Some("test"));
    assert_conforms(&server, &spec()).await;
}

#[tokio::test]
async fn warroom_alerts_lists_a_seyren_from_the_config() {
    let server = serving(vec![check(
        "a1",
        "checkout latency",
        "stats.timers.checkout.p99",
        "ERROR",
    )])
    .await;
    let s = setup(&format!("[[seyren]]\nurl = \"{}\"\n", server.uri()), &[]);
    let out = s.run(&["alerts"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("checkout latency"), "{said}");
    let out = s.run(&["check-config", "--probe"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &stderr(&out);
    assert!(
        said.contains("seyren seyren (") && said.contains("1 checks in ERROR or WARN"),
        "{said}"
    );
    assert_conforms(&server, &spec()).await;
}
