//! Status updates posted as Datadog events through a local server standing in for Datadog's
//! API v1, every request held to Datadog's published OpenAPI description: the event's title,
//! tags and Markdown-escaped text, and its outcome journaled next to the update.

use crate::support;

use serde_json::Value;
use support::datadog::{self as dd, API_KEY, event_created};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_status_update_is_posted_as_an_event_escaped_for_markdown_and_journaled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/events"))
        .and(header("DD-API-KEY", API_KEY))
        .respond_with(ResponseTemplate::new(202).set_body_json(event_created(7001)))
        .expect(1)
        .mount(&server)
        .await;
    let hook = format!(
        "[[webhook]]\nkind = \"datadog\"\nname = \"dd-events\"\nurl = \"{}\"\napi_key_env = \"{}\"\n",
        server.uri(),
        dd::API_ENV
    );
    let s = support::cli::setup(&hook, &dd::env());
    let s = blocking(move || {
        let out = s.run(&[
            "update",
            &s.id,
            "Rolled back [v2](http://evil.example) *now* %%%\n# not a heading",
        ]);
        assert!(out.status.success(), "{}", support::cli::stderr(&out));
        let d = s.of_type("update_delivered");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0]["target"], "dd-events");
        assert_eq!(d[0]["ok"], true);
        assert_eq!(d[0]["detail"], "event 7001 posted");
        assert_eq!(d[0]["attempts"], 1);
        s
    })
    .await;
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert!(received[0].headers.get("DD-APPLICATION-KEY").is_none());
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    let id = s.id.clone();
    assert_eq!(
        body["title"],
        format!("{id} SEV1 — Checkout 500s (investigating): status update")
    );
    let tags: Vec<&str> = body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&format!("incident:{}", id.to_lowercase()).as_str()),
        "{tags:?}"
    );
    assert!(tags.contains(&"severity:sev1"), "{tags:?}");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("%%% \n") && text.ends_with("\n %%%"),
        "{text}"
    );
    let inner = &text[5..text.len() - 5];
    assert!(
        !inner.contains("%%%"),
        "the block cannot be closed early: {inner}"
    );
    assert!(
        inner.contains(r"Rolled back \[v2\]\(http\:\/\/evil\.example\) \*now\*"),
        "no link, no emphasis: {inner}"
    );
    assert!(inner.contains("  \n\\# not a heading"), "{inner}");
    assert!(inner.contains("status update by alice"), "{inner}");
    assert!(body["date_happened"].as_i64().is_some());
    drop(s);
    dd::held_to_spec(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_is_retried_and_the_attempts_are_journaled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/events"))
        .respond_with(ResponseTemplate::new(503).set_body_json(dd::errors("Service Unavailable")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/events"))
        .respond_with(ResponseTemplate::new(202).set_body_json(event_created(7002)))
        .mount(&server)
        .await;
    let hook = format!(
        "[[webhook]]\nkind = \"datadog\"\nurl = \"{}\"\napi_key_env = \"{}\"\nretries = 1\n",
        server.uri(),
        dd::API_ENV
    );
    let s = support::cli::setup(&hook, &dd::env());
    let s = blocking(move || {
        let out = s.run(&["update", &s.id, "retry me"]);
        assert!(out.status.success(), "{}", support::cli::stderr(&out));
        let d = s.of_type("update_delivered");
        assert_eq!(d[0]["target"], "datadog");
        assert_eq!(
            (d[0]["ok"].as_bool(), d[0]["attempts"].as_u64()),
            (Some(true), Some(2)),
            "{d:?}"
        );
        assert_eq!(d[0]["detail"], "event 7002 posted");
        s
    })
    .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    drop(s);
    dd::held_to_spec(&server).await;
}
