//! Datadog, through a local server standing in for its API v1 (it cannot run here), every
//! request held to Datadog's published OpenAPI description: monitors' groups in Alert, Warn
//! and No Data are alerts of the services their tags name (OK is none), paged; the metrics
//! query feeds the blast radius and verification with a `null` kept as a gap; the site picks
//! the host; a refused key (403) and a rate limit (429) are clear reasons that never show a
//! key. Status updates as events: `datadog_events.rs`.

use crate::support;

use serde_json::Value;
use std::time::Duration;
use support::cli::Setup;
use support::datadog::{self as dd, API_KEY, APP_KEY, event_created, monitor, query_answer};
use warroom::backends::datadog::Datadog;
use warroom::backends::http_client;
use warroom::backends::metrics::{self, MetricReaders};
use warroom::domain::MetricQuery;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SERVICES: &str = r#"
[[service]]
name = "checkout"
tier = 1
customer_facing = true
depends_on = ["payments"]
[[service.metric]]
name = "error ratio"
datadog = "avg:trace.http.request.errors{service:checkout}"
down_above = 0.2

[[service]]
name = "payments"
tier = 1

[[service]]
name = "search"
tier = 2

[[service]]
name = "orders"
tier = 2
"#;

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", support::cli::stderr(out)))
}

fn client(url: &str) -> Datadog {
    Datadog::new(
        http_client().unwrap(),
        url,
        API_KEY,
        Some(APP_KEY),
        Duration::from_secs(5),
    )
    .unwrap()
}

/// Monitors answered a page at a time: page 0 full (100, all OK but one), page 1 the rest.
async fn monitors_server() -> MockServer {
    let server = MockServer::start().await;
    let mut first: Vec<Value> = (0..99)
        .map(|n| {
            monitor(
                1000 + n,
                &format!("quiet {n}"),
                &["team:core"],
                Some(3),
                &[("service:search", "OK")],
            )
        })
        .collect();
    first.push(monitor(
        42,
        "Payments errors [P1]",
        &["team:payments", "env:prod"],
        Some(1),
        &[
            ("service:payments", "Alert"),
            ("service:search", "Warn"),
            ("service:checkout", "OK"),
        ],
    ));
    let second = vec![monitor(
        43,
        "Orders queue lag",
        &["service:orders", "frontend"],
        None,
        &[("env:prod,region:eu", "No Data")],
    )];
    for (page, body) in [("0", first), ("1", second)] {
        Mock::given(method("GET"))
            .and(path("/api/v1/monitor"))
            .and(query_param("group_states", "alert,warn,no data"))
            .and(query_param("page", page))
            .and(query_param("page_size", "100"))
            .and(header("DD-API-KEY", API_KEY))
            .and(header("DD-APPLICATION-KEY", APP_KEY))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    // The checkout metric: a gap (`null`) between two values, the newest over its band.
    let now_ms = chrono::Utc::now().timestamp_millis();
    Mock::given(method("GET"))
        .and(path("/api/v1/query"))
        .and(query_param(
            "query",
            "avg:trace.http.request.errors{service:checkout}",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(query_answer(
            "avg:trace.http.request.errors{service:checkout}",
            "service:checkout",
            &[
                (now_ms - 120_000, Some(0.05)),
                (now_ms - 60_000, None),
                (now_ms - 20_000, Some(0.4)),
            ],
        )))
        .mount(&server)
        .await;
    server
}

fn setup_with(server: &MockServer, extra: &str) -> Setup {
    let s = support::cli::setup(&format!("{}{extra}", dd::config(&server.uri())), &dd::env());
    std::fs::write(s.config.with_file_name("services.toml"), SERVICES).unwrap();
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn monitors_in_alert_warn_and_no_data_are_alerts_of_their_services_and_ok_is_none() {
    let server = monitors_server().await;
    let s = setup_with(&server, "");
    let s = blocking(move || {
        let out = s.run(&["alerts", "--json"]);
        assert!(out.status.success(), "{}", support::cli::stderr(&out));
        let v = json_of(&out);
        let mut alerts: Vec<(String, String, String, String)> = v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let l = |k: &str| a["labels"][k].as_str().unwrap_or("-").to_string();
                (l("alertname"), l("service"), l("state"), l("severity"))
            })
            .collect();
        alerts.sort();
        assert_eq!(
            alerts,
            vec![
                (
                    "Orders queue lag".to_string(),
                    "orders".to_string(),
                    "no data".to_string(),
                    "warning".to_string()
                ),
                (
                    "Payments errors [P1]".into(),
                    "payments".into(),
                    "alert".into(),
                    "critical".into()
                ),
                (
                    "Payments errors [P1]".into(),
                    "search".into(),
                    "warn".into(),
                    "warning".into()
                ),
            ],
            "one alert per group in Alert, Warn or No Data; the OK group and the 99 quiet monitors none"
        );
        let payments = v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["labels"]["service"] == "payments")
            .unwrap();
        assert_eq!(payments["labels"]["team"], "payments");
        assert_eq!(payments["labels"]["monitor_id"], "42");
        assert_eq!(payments["labels"]["priority"], "P1");
        assert_eq!(payments["labels"]["group"], "service:payments");
        assert_eq!(
            payments["annotations"]["summary"],
            "Payments errors [P1] (alert for service:payments)"
        );
        assert_eq!(payments["sources"], serde_json::json!(["datadog"]));
        assert_eq!(v["sources"][0]["name"], "datadog");
        assert_eq!(v["sources"][0]["ok"], true);

        // The blast radius maps them by their tags, and reads checkout's Datadog metric.
        let out = s.run(&["blast", &s.id, "--json"]);
        assert!(out.status.success(), "{}", support::cli::stderr(&out));
        let doc = json_of(&out);
        let state = |name: &str| {
            doc["services"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["name"] == name)
                .map(|x| x["state"].as_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("{name} missing: {doc}"))
        };
        assert_eq!(state("checkout"), "down", "{doc}");
        assert_eq!(state("payments"), "down", "{doc}");
        assert_ne!(state("search"), "ok", "{doc}");
        assert_ne!(state("orders"), "ok", "{doc}");
        // The probe reaches it and says the keys were accepted.
        let out = s.run(&["check-config", "--probe"]);
        let probe = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{probe}{}", support::cli::stderr(&out));
        assert!(
            probe.contains("probe datadog (")
                && probe.contains("ok, keys accepted (3 monitor groups alerting)"),
            "{probe}"
        );
        let all = format!("{doc}{v}{probe}");
        assert!(!all.contains(API_KEY) && !all.contains(APP_KEY));
        s
    })
    .await;
    drop(s);
    // Paged: page 0 was full, so page 1 was read, and its short page ended the list (for
    // `alerts`, `blast` and the probe).
    let pages: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v1/monitor")
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(pages, ["0", "1", "0", "1", "0", "1"]);
    dd::held_to_spec(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_metric_query_reads_the_newest_value_and_keeps_a_null_as_a_gap() {
    let server = monitors_server().await;
    let readers = MetricReaders::from(client(&server.uri()));
    let q = MetricQuery::Datadog("avg:trace.http.request.errors{service:checkout}".into());
    assert!(readers.answers(&q));
    let now = chrono::Utc::now();
    let points = readers
        .range(
            &q,
            now - chrono::Duration::minutes(30),
            now,
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let values: Vec<Option<f64>> = points.iter().map(|(_, v)| *v).collect();
    assert_eq!(
        values,
        vec![Some(0.05), None, Some(0.4)],
        "the gap is kept, never 0"
    );
    assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    // Now: the newest value that is not a gap.
    assert_eq!(readers.instant(&q, now).await.unwrap(), Some(0.4));
    // And the same through a round of the metrics poller, history included.
    let catalog =
        warroom::config::parse_services(std::path::Path::new("services.toml"), SERVICES).unwrap();
    let report = metrics::read(&readers, &catalog, now, true).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.values["checkout"]["error ratio"], 0.4);
    assert_eq!(report.history["checkout"][1].1, None);
    // The query went as the spec says: from and to in seconds, the query itself.
    let received = server.received_requests().await.unwrap();
    let query = received
        .iter()
        .find(|r| r.url.path() == "/api/v1/query")
        .unwrap();
    let param = |k: &str| {
        query
            .url
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let (from, to): (i64, i64) = (param("from").parse().unwrap(), param("to").parse().unwrap());
    assert_eq!(to - from, 30 * 60);
    dd::held_to_spec(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_is_a_clear_reason_that_never_shows_a_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_json(dd::errors("Forbidden")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(dd::errors("Forbidden")))
        .mount(&server)
        .await;
    let hook = format!(
        "[[webhook]]\nkind = \"datadog\"\nurl = \"{}\"\napi_key_env = \"{}\"\n",
        server.uri(),
        dd::API_ENV
    );
    let s = setup_with(&server, &hook);
    let s = blocking(move || {
        let out = s.run(&["alerts", "--json"]);
        let v = json_of(&out);
        let error = v["sources"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            error.contains("/api/v1/monitor: token rejected (HTTP 403): Forbidden"),
            "{v}"
        );
        // The update is recorded; its post is journaled as refused, with why.
        let out = s.run(&["update", &s.id, "still investigating"]);
        assert_eq!(out.status.code(), Some(1));
        let d = s.of_type("update_delivered");
        assert_eq!(d[0]["ok"], false);
        let detail = d[0]["detail"].as_str().unwrap();
        assert!(
            detail.contains("token rejected (HTTP 403): Forbidden"),
            "{detail}"
        );
        assert_eq!(d[0]["attempts"], 1, "a refusal is not retried");
        let all = format!(
            "{v}{}{}{d:?}",
            String::from_utf8_lossy(&out.stdout),
            support::cli::stderr(&out)
        );
        assert!(!all.contains(API_KEY) && !all.contains(APP_KEY), "{all}");
        s
    })
    .await;
    drop(s);
    dd::held_to_spec(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_is_waited_out_once_then_reported() {
    let limited = || {
        ResponseTemplate::new(429)
            .insert_header("X-RateLimit-Reset", "1")
            .insert_header("X-RateLimit-Remaining", "0")
            .set_body_json(dd::errors(
                "Rate limit of 1000 requests in 3600 seconds reached",
            ))
    };
    // Once limited, then answered: waited out, as the reset says.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(limited())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![monitor(
            5,
            "Checkout latency",
            &[],
            Some(2),
            &[("service:checkout", "Alert")],
        )]))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let alerts = client(&server.uri()).alerts().await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].label("service"), Some("checkout"));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for the reset"
    );
    dd::held_to_spec(&server).await;

    // Limited on every try: a clear reason.
    let always = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(limited())
        .mount(&always)
        .await;
    let err = client(&always.uri()).alerts().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("rate limited (HTTP 429) after 2 tries"),
        "{err}"
    );
    assert_eq!(always.received_requests().await.unwrap().len(), 2);
    dd::held_to_spec(&always).await;
}

#[test]
fn the_site_picks_the_api_host_and_check_config_says_which() {
    for (site, host) in [
        ("US1", "https://api.datadoghq.com"),
        ("EU", "https://api.datadoghq.eu"),
        ("US3", "https://api.us3.datadoghq.com"),
        ("US5", "https://api.us5.datadoghq.com"),
        ("AP1", "https://api.ap1.datadoghq.com"),
    ] {
        let config = format!(
            "[datadog]\nsite = \"{site}\"\napi_key_env = \"{}\"\napp_key_env = \"{}\"\n\n[[webhook]]\nkind = \"datadog\"\nsite = \"{site}\"\napi_key_env = \"{}\"\n",
            dd::API_ENV,
            dd::APP_ENV,
            dd::API_ENV
        );
        let s = support::cli::setup(&config, &dd::env());
        let out = s.run(&["check-config"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}{}", support::cli::stderr(&out));
        assert!(
            text.contains(&format!("datadog: {host} (keys set)")),
            "{site}: {text}"
        );
        assert!(
            text.contains(&format!(
                "webhook datadog (datadog): events to {host} (API key set)"
            )),
            "{site}: {text}"
        );
        assert!(!text.contains(API_KEY) && !text.contains(APP_KEY));
    }
    // A key's variable unset: said, by its name.
    let config = format!(
        "[datadog]\nsite = \"EU\"\napi_key_env = \"{}\"\napp_key_env = \"{}\"\n",
        dd::API_ENV,
        dd::APP_ENV
    );
    let s = support::cli::setup(&config, &[(dd::API_ENV, API_KEY)]);
    let out = s.run(&["check-config"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(&format!(
            "datadog: https://api.datadoghq.eu WARNING: environment variable {} is not set",
            dd::APP_ENV
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_action_is_verified_through_a_datadog_query_with_its_parameter_filled_in() {
    use std::collections::BTreeMap;
    use warroom::domain::VerifyResult;
    let server = MockServer::start().await;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let q = "avg:trace.http.request.errors{service:checkout}";
    Mock::given(method("GET"))
        .and(path("/api/v1/query"))
        .and(query_param("query", q))
        .respond_with(ResponseTemplate::new(200).set_body_json(query_answer(
            q,
            "service:checkout",
            &[
                (now_ms - 60_000, Some(0.3)),
                (now_ms - 10_000, Some(0.002)),
                (now_ms, None),
            ],
        )))
        .mount(&server)
        .await;
    let text = "[[action]]\nname = \"flag-off\"\nkind = \"exec\"\nargv = [\"true\"]\n\
        verify = { datadog = \"avg:trace.http.request.errors{service:{svc}}\", expect = \"< 0.01\", within = \"5s\", every = \"1s\" }\n\
        [[action.param]]\nname = \"svc\"\nchoices = [\"checkout\", \"payments\"]\n";
    let mut rb = warroom::actions::parse_runbook(std::path::Path::new("runbook.toml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    let spec = rb.actions.remove(0).verify.unwrap();
    let params = BTreeMap::from([("svc".to_string(), "checkout".to_string())]);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let readers = MetricReaders::from(client(&server.uri()));
    let v = warroom::actions::verify(&readers, &spec, &params, &tx).await;
    assert_eq!(v.result, VerifyResult::Effective, "{v:?}");
    // Without [datadog], it cannot verify and says so.
    let v = warroom::actions::verify(&MetricReaders::default(), &spec, &params, &tx).await;
    assert_eq!(v.result, VerifyResult::Failed);
    assert!(v.detail.contains("[datadog]"), "{}", v.detail);
    dd::held_to_spec(&server).await;
}

#[tokio::test]
async fn the_doubles_answer_as_the_spec_says_and_a_request_it_does_not_allow_fails() {
    use support::spec::Spec;
    let spec = Spec::load(dd::SPEC);
    let now_ms = chrono::Utc::now().timestamp_millis();
    for (m, p, status, body) in [
        (
            "GET",
            "/api/v1/monitor",
            200,
            serde_json::json!([
                monitor(1, "a", &["service:x"], Some(1), &[("service:x", "Alert")]),
                monitor(2, "b", &[], None, &[("*", "No Data")])
            ]),
        ),
        (
            "GET",
            "/api/v1/query",
            200,
            query_answer("avg:x{*}", "*", &[(now_ms, Some(1.0)), (now_ms + 1, None)]),
        ),
        ("POST", "/api/v1/events", 202, event_created(9)),
        ("GET", "/api/v1/monitor", 403, dd::errors("Forbidden")),
        ("GET", "/api/v1/monitor", 429, dd::errors("Rate limited")),
    ] {
        spec.check_response(m, p, status, &body)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // What Datadog would refuse, the checker refuses: reading monitors without the
    // application key, a query without its `to`, an event without its text.
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let http = reqwest::Client::new();
    let base = server.uri();
    http.get(format!("{base}/api/v1/monitor?group_states=alert"))
        .header("DD-API-KEY", API_KEY)
        .send()
        .await
        .unwrap();
    http.get(format!("{base}/api/v1/query?from=1&query=avg:x{{*}}"))
        .header("DD-API-KEY", API_KEY)
        .header("DD-APPLICATION-KEY", APP_KEY)
        .send()
        .await
        .unwrap();
    http.post(format!("{base}/api/v1/events"))
        .header("DD-API-KEY", API_KEY)
        .json(&serde_json::json!({"title": "t"}))
        .send()
        .await
        .unwrap();
    for r in server.received_requests().await.unwrap() {
        assert!(spec.check(&r).is_err(), "{} {} passed", r.method, r.url);
    }
}
