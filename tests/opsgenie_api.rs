//! OpsGenie (Alert API v2) and Jira Service Management operations alerts against local
//! doubles held to the vendors' API descriptions (tests/fixtures/specs/opsgenie, …/jsm): every
//! request warroom sends is checked against the spec, and every answer the doubles give is
//! checked against the spec's response schema. Each case runs for both dialects: open alerts
//! read across pages and mapped to services, the pages bounded, acknowledge / note / close
//! followed to their asynchronous outcome and journaled with it (a request that fails later
//! included), a rejected key that never shows, 429 waited out or reported.

use crate::support;

use serde_json::{Value, json};
use std::time::Duration;
use support::opsgenie::*;
use support::spec::{Spec, assert_conforms};
use warroom::backends::AlertSource;
use warroom::backends::alertmanager::AlertFilter;
use warroom::backends::sources::write_back_event;
use warroom::config::ServiceField;
use warroom::domain::{Event, WriteBack};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[tokio::test]
async fn open_alerts_are_read_across_two_pages_and_mapped_to_services() {
    for api in BOTH {
        let spec = api.spec();
        let server = MockServer::start().await;
        let list = api.prefix();
        let size = match api {
            Api::OpsGenie => "limit",
            Api::Jsm => "size",
        };
        let first: Vec<Value> = (0..100)
            .map(|n| item(n, "P1", &["service:payments", "env:prod"]))
            .collect();
        given(api, "GET", &list)
            .and(query_param("query", "status:open"))
            .and(query_param("offset", "0"))
            .and(query_param(size, "100"))
            .respond_with(reply(&spec, api, "GET", &list, 200, api.page(first, true)))
            .expect(1)
            .mount(&server)
            .await;
        let second = vec![
            item(100, "P3", &["service:checkout"]),
            item(101, "P5", &["Critical"]),
        ];
        given(api, "GET", &list)
            .and(query_param("offset", "100"))
            .respond_with(reply(
                &spec,
                api,
                "GET",
                &list,
                200,
                api.page(second, false),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let alerts = api
            .source(&server)
            .fetch(&AlertFilter::default())
            .await
            .unwrap_or_else(|e| panic!("{api:?}: {e}"));
        assert_eq!(alerts.len(), 102, "{api:?}");
        let a0 = &alerts[0];
        assert_eq!(a0.name(), "alert number 0", "{api:?}");
        assert_eq!(a0.label("service"), Some("payments"), "{api:?}");
        assert_eq!(a0.label("severity"), Some("critical"), "{api:?}");
        assert_eq!(a0.label("env"), Some("prod"), "{api:?}");
        assert_eq!(alerts[100].label("service"), Some("checkout"), "{api:?}");
        assert_eq!(alerts[100].label("severity"), Some("warning"), "{api:?}");
        assert_eq!(alerts[101].label("service"), None, "{api:?}");
        assert_eq!(alerts[101].label("severity"), Some("info"), "{api:?}");
        assert_eq!(alerts[101].label("tags"), Some("Critical"), "{api:?}");
        // A service given by the team responder instead.
        let by_team = AlertSource::OpsGenie {
            name: api.name().into(),
            client: Box::new(api.client(&server).with_service_field(ServiceField::Team)),
        };
        server.reset().await;
        given(api, "GET", &list)
            .respond_with(reply(
                &spec,
                api,
                "GET",
                &list,
                200,
                api.page(vec![item(7, "P2", &[])], false),
            ))
            .mount(&server)
            .await;
        let alerts = by_team.fetch(&AlertFilter::default()).await.unwrap();
        assert_eq!(
            alerts[0].label("service"),
            Some("8418d193-2dab-4490-b331-8c02cdd196b7"),
            "{api:?}"
        );
        assert_conforms(&server, &spec).await;
    }
}

#[tokio::test]
async fn the_pages_read_are_bounded() {
    for api in BOTH {
        let spec = api.spec();
        let server = MockServer::start().await;
        let full: Vec<Value> = (0..100).map(|n| item(n, "P3", &[])).collect();
        given(api, "GET", &api.prefix())
            .respond_with(reply(
                &spec,
                api,
                "GET",
                &api.prefix(),
                200,
                api.page(full, true),
            ))
            .expect(3)
            .mount(&server)
            .await;
        let client = api.client(&server).with_max_pages(3);
        let alerts = client.alerts(api.name()).await.unwrap();
        assert_eq!(alerts.len(), 300, "{api:?}");
        assert_conforms(&server, &spec).await;
    }
}

/// Answers a request's status 404 (not processed yet) `pending` times, then `then`.
struct Pending {
    pending: usize,
    seen: std::sync::atomic::AtomicUsize,
    then: Value,
}

impl Respond for Pending {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n < self.pending {
            ResponseTemplate::new(404).set_body_json(not_yet())
        } else {
            ResponseTemplate::new(200).set_body_json(self.then.clone())
        }
    }
}

/// OpsGenie's answer about a request not processed yet.
fn not_yet() -> Value {
    json!({"message": "Request not found. It might not be processed, yet.", "took": 0.01, "requestId": "r"})
}

/// The alert `a-7` as the source lists it.
async fn listed_alert(api: Api, server: &MockServer, spec: &Spec) -> warroom::domain::Alert {
    given(api, "GET", &api.prefix())
        .respond_with(reply(
            spec,
            api,
            "GET",
            &api.prefix(),
            200,
            api.page(vec![item(7, "P1", &["service:payments"])], false),
        ))
        .mount(server)
        .await;
    let mut alerts = api
        .source(server)
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    alerts.remove(0)
}

#[tokio::test]
async fn acknowledge_note_and_close_are_followed_to_their_outcome_and_journaled() {
    for api in BOTH {
        let spec = api.spec();
        for (kind, action, verb, done) in [
            (
                WriteBack::Acknowledge,
                "acknowledge",
                "Acknowledge",
                "Alert acknowledged",
            ),
            (WriteBack::Comment, "notes", "AddNote", "Note added"),
            (WriteBack::Close, "close", "Close", "Alert closed"),
        ] {
            let server = MockServer::start().await;
            let alert = listed_alert(api, &server, &spec).await;
            let rid = format!("req-{action}");
            let write = format!("{}/a-7/{action}", api.prefix());
            let mut body = json!({"note": "INC-1: on it"});
            if let Api::OpsGenie = api {
                body["user"] = json!("alice");
                body["source"] = json!("warroom");
            }
            given(api, "POST", &write)
                .and(wiremock::matchers::body_json(&body))
                .respond_with(reply(&spec, api, "POST", &write, 202, api.accepted(&rid)))
                .expect(1)
                .mount(&server)
                .await;
            let status_path = format!("{}/requests/{rid}", api.prefix());
            let then = api.status(verb, true, done);
            spec.check_response("GET", &status_path, 200, &then)
                .unwrap();
            spec.check_response("GET", &status_path, 404, &not_yet())
                .unwrap();
            Mock::given(method("GET"))
                .and(path(status_path.as_str()))
                .respond_with(Pending {
                    pending: 1,
                    seen: Default::default(),
                    then,
                })
                .expect(2)
                .mount(&server)
                .await;
            let event =
                write_back_event(&api.source(&server), &alert, kind, "INC-1: on it", "alice").await;
            match &event {
                Event::AlertWriteBack {
                    source,
                    fingerprint,
                    alert: name,
                    action: journaled,
                    ok,
                    detail,
                    ..
                } => {
                    assert_eq!(source, api.name());
                    assert_eq!(fingerprint, &alert.fingerprint);
                    assert_eq!(name, "alert number 7");
                    assert_eq!(journaled, kind.name());
                    assert!(*ok, "{api:?} {action}: {detail}");
                    assert_eq!(detail, &format!("{done} (request {rid})"), "{api:?}");
                }
                other => panic!("{other:?}"),
            }
            assert_conforms(&server, &spec).await;
        }
    }
}

#[tokio::test]
async fn a_request_that_fails_later_is_journaled_as_not_taken_with_the_vendors_reason() {
    for api in BOTH {
        let spec = api.spec();
        let server = MockServer::start().await;
        let alert = listed_alert(api, &server, &spec).await;
        let write = format!("{}/a-7/close", api.prefix());
        given(api, "POST", &write)
            .respond_with(reply(
                &spec,
                api,
                "POST",
                &write,
                202,
                api.accepted("req-9"),
            ))
            .mount(&server)
            .await;
        let status_path = format!("{}/requests/req-9", api.prefix());
        given(api, "GET", &status_path)
            .respond_with(reply(
                &spec,
                api,
                "GET",
                &status_path,
                200,
                api.status("Close", false, "Alert is already closed"),
            ))
            .mount(&server)
            .await;
        let event = write_back_event(
            &api.source(&server),
            &alert,
            WriteBack::Close,
            "done",
            "alice",
        )
        .await;
        let Event::AlertWriteBack { ok, detail, .. } = &event else {
            panic!("{event:?}")
        };
        assert!(!ok, "{api:?}");
        assert!(
            detail.contains("refused the request req-9")
                && detail.contains("Alert is already closed"),
            "{api:?}: {detail}"
        );
        // Never processed within the looks: said so, not claimed done.
        server.reset().await;
        listed_alert(api, &server, &spec).await;
        given(api, "POST", &write)
            .respond_with(reply(
                &spec,
                api,
                "POST",
                &write,
                202,
                api.accepted("req-10"),
            ))
            .mount(&server)
            .await;
        let event = write_back_event(
            &api.source(&server),
            &alert,
            WriteBack::Close,
            "done",
            "alice",
        )
        .await;
        let Event::AlertWriteBack { detail, .. } = &event else {
            panic!("{event:?}")
        };
        assert!(
            detail.contains("accepted (request req-10); not processed after 3 looks"),
            "{api:?}: {detail}"
        );
        assert_conforms(&server, &spec).await;
    }
}

#[tokio::test]
async fn a_rejected_key_is_a_clear_error_that_never_shows_the_key() {
    for api in BOTH {
        let spec = api.spec();
        let server = MockServer::start().await;
        // The server echoes the credentials back, as a careless proxy might.
        let body = json!({"message": format!("Could not authenticate {}", api.auth_header()), "took": 0.0, "requestId": "r-401"});
        spec.check_response("GET", &api.prefix(), 401, &body)
            .unwrap();
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401).set_body_json(body))
            .mount(&server)
            .await;
        let err = api
            .source(&server)
            .fetch(&AlertFilter::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("token rejected (HTTP 401)") && err.contains("Could not authenticate"),
            "{api:?}: {err}"
        );
        assert!(
            !err.contains(api.secret()),
            "{api:?}: the secret leaked: {err}"
        );
        assert_conforms(&server, &spec).await;
    }
}

#[tokio::test]
async fn a_429_is_waited_out_as_retry_after_says_or_reported() {
    for api in BOTH {
        let spec = api.spec();
        let server = MockServer::start().await;
        let limited = json!({"message": "Too many requests", "took": 0.0, "requestId": "r-429"});
        spec.check_response("GET", &api.prefix(), 429, &limited)
            .unwrap();
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "1")
                    .set_body_json(limited.clone()),
            )
            .up_to_n_times(1)
            .mount(&server)
            .await;
        given(api, "GET", &api.prefix())
            .respond_with(reply(
                &spec,
                api,
                "GET",
                &api.prefix(),
                200,
                api.page(vec![item(1, "P2", &[])], false),
            ))
            .mount(&server)
            .await;
        let started = std::time::Instant::now();
        let alerts = api
            .source(&server)
            .fetch(&AlertFilter::default())
            .await
            .unwrap();
        assert_eq!(alerts.len(), 1, "{api:?}");
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{api:?}: waited as told"
        );
        assert_conforms(&server, &spec).await;
        // Always limited: reported after the policy's tries.
        server.reset().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "0")
                    .set_body_json(limited.clone()),
            )
            .mount(&server)
            .await;
        let err = api
            .source(&server)
            .fetch(&AlertFilter::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rate limited (HTTP 429) after 2 tries"),
            "{api:?}: {err}"
        );
    }
}

#[test]
fn warroom_write_back_closes_an_alert_and_journals_the_outcome() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = Api::OpsGenie;
    let spec = api.spec();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        listed_alert(api, &server, &spec).await;
        given(api, "POST", &format!("{}/a-7/close", api.prefix()))
            .respond_with(reply(
                &spec,
                api,
                "POST",
                &format!("{}/a-7/close", api.prefix()),
                202,
                api.accepted("req-c"),
            ))
            .expect(1)
            .mount(&server)
            .await;
        given(api, "GET", &format!("{}/requests/req-c", api.prefix()))
            .respond_with(reply(
                &spec,
                api,
                "GET",
                &format!("{}/requests/req-c", api.prefix()),
                200,
                api.status("Close", true, "Alert closed"),
            ))
            .mount(&server)
            .await;
        server
    });
    let config = format!(
        "[[opsgenie]]\nname = \"og-eu\"\nregion = \"eu\"\napi_key_env = \"OG_TEST_KEY\"\nurl = \"{}\"\n",
        server.uri()
    );
    let s = support::cli::setup(&config, &[("OG_TEST_KEY", KEY)]);
    let out = s.run(&[
        "write-back",
        &s.id,
        "alert number 7",
        "close",
        "rolled back",
    ]);
    assert!(out.status.success(), "{}", support::cli::stderr(&out));
    let wbs = s.of_type("alert_write_back");
    assert_eq!(wbs.len(), 1, "{wbs:?}");
    assert_eq!(wbs[0]["source"], "og-eu");
    assert_eq!(wbs[0]["action"], "close");
    assert_eq!(wbs[0]["ok"], true);
    assert_eq!(wbs[0]["detail"], "Alert closed (request req-c)");
    let log = String::from_utf8(s.run(&["log", &s.id]).stdout).unwrap();
    assert!(
        log.contains("closed alert number 7 on og-eu: rolled back"),
        "{log}"
    );
    assert!(!log.contains(KEY));
    rt.block_on(assert_conforms(&server, &spec));
}
