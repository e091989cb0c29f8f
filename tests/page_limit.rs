//! A source whose listing was cut short by its page limit says so: `warroom alerts` (text and
//! JSON) names the source and how many alerts it shows, instead of passing a partial list off
//! as the whole. Against doubles held to the vendors' API descriptions (OpsGenie's OpenAPI,
//! Datadog's v1 OpenAPI): every request checked, every answer built to the spec.

use crate::support;

use serde_json::Value;
use support::opsgenie_doubles as og;
use support::spec::{Spec, assert_conforms};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn alerts_of(s: support::cli::Setup, json: bool) -> (String, support::cli::Setup) {
    tokio::task::spawn_blocking(move || {
        let args: &[&str] = if json {
            &["alerts", "--json"]
        } else {
            &["alerts"]
        };
        let out = s.run(args);
        assert!(out.status.success(), "{}", support::cli::stderr(&out));
        (String::from_utf8(out.stdout).unwrap(), s)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn opsgenie_cut_short_by_max_pages_says_so_and_a_whole_list_does_not() {
    let spec = og::spec();
    let server = MockServer::start().await;
    let full: Vec<Value> = (0..100)
        .map(|n| og::item(n, &format!("alert number {n}"), "P2", &["service:payments"]))
        .collect();
    Mock::given(method("GET"))
        .and(path(og::ALERTS))
        .respond_with(og::page(full, true))
        .expect(2)
        .mount(&server)
        .await;
    let s = support::cli::setup(&og::config(&server.uri(), 1), &[(og::KEY_ENV, og::KEY)]);
    let (out, s) = alerts_of(s, true).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["alerts"].as_array().unwrap().len(), 100);
    assert_eq!(
        v["sources"][0]["cut_short"], "opsgenie: first 100 alerts shown (page limit)",
        "{:#}",
        v["sources"]
    );
    let (text, _s) = alerts_of(s, false).await;
    assert!(
        text.contains("opsgenie: first 100 alerts shown (page limit)"),
        "{text}"
    );
    assert_conforms(&server, spec).await;

    // The same source whose list ends within the limit says nothing of the kind.
    let whole = MockServer::start().await;
    let three: Vec<Value> = (0..3)
        .map(|n| og::item(n, &format!("alert number {n}"), "P2", &[]))
        .collect();
    Mock::given(method("GET"))
        .and(path(og::ALERTS))
        .respond_with(og::page(three, false))
        .mount(&whole)
        .await;
    let s = support::cli::setup(&og::config(&whole.uri(), 1), &[(og::KEY_ENV, og::KEY)]);
    let (out, s) = alerts_of(s, true).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["sources"][0]["cut_short"], Value::Null, "{v:#}");
    let (text, _s) = alerts_of(s, false).await;
    assert!(!text.contains("page limit"), "{text}");
    assert_conforms(&whole, spec).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn datadog_cut_short_by_its_page_bound_says_so() {
    use support::datadog as dd;
    let spec = Spec::load(dd::SPEC);
    let server = MockServer::start().await;
    // Every page is full, of monitors of its own: there is always one more.
    Mock::given(method("GET"))
        .and(path("/api/v1/monitor"))
        .respond_with(|req: &wiremock::Request| {
            let page: i64 = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let monitors: Vec<Value> = (0..100)
                .map(|n| {
                    let id = page * 100 + n;
                    let group = format!("service:s{id}");
                    dd::monitor(
                        id,
                        &format!("monitor {id}"),
                        &["team:core"],
                        Some(2),
                        &[(group.as_str(), "Alert")],
                    )
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(monitors)
        })
        .mount(&server)
        .await;
    let s = support::cli::setup(&dd::config(&server.uri()), &dd::env());
    let (out, _s) = alerts_of(s, true).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    let shown = v["alerts"].as_array().unwrap().len();
    assert_eq!(
        v["sources"][0]["cut_short"],
        format!("datadog: first {shown} alerts shown (page limit)"),
        "{:#}",
        v["sources"]
    );
    assert_conforms(&server, &spec).await;
}
