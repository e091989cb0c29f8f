//! Linking a PagerDuty incident to a warroom incident (`warroom pagerduty link|unlink|list`)
//! and status updates added to it as notes. PagerDuty cannot run here: a local server answers
//! with bodies shaped like its REST API v2 schema, and checks the headers it requires.

use crate::support;

use serde_json::{Value, json};
use support::cli::{Setup, stderr};
use support::pagerduty::incident;
use support::receiver::{Receiver, Reply};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PD: &str = "PT4KHLK";

fn setup(config: &str) -> Setup {
    support::cli::setup(config, &[("PD_TEST_TOKEN", "u+testtoken")])
}

pub(crate) fn pd_config(server: &MockServer) -> String {
    format!(
        "[pagerduty]\ntoken_env = \"PD_TEST_TOKEN\"\nfrom = \"ic@example.com\"\n\
         service_ids = [\"PSVC001\"]\nurl = \"{}\"\n",
        server.uri()
    )
}

fn run(s: &Setup, args: &[&str]) -> std::process::Output {
    s.run(args)
}

fn of_type(s: &Setup, t: &str) -> Vec<Value> {
    s.of_type(t)
}

/// PagerDuty as the API answers: the incident, and notes accepted (201) when the token and
/// `From:` are there.
pub(crate) async fn pagerduty() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/incidents/{PD}")))
        .and(header("authorization", "Token token=u+testtoken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"incident": incident(PD, 42, "acknowledged")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents/PNOSUCH"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"message": "Not Found", "code": 2100}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/incidents/{PD}/notes")))
        .and(header("authorization", "Token token=u+testtoken"))
        .and(header("from", "ic@example.com"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"note": {
            "id": "PWL7QXS",
            "user": {"id": "PXPGF42", "type": "user_reference", "summary": "Earline Greenholt"},
            "channel": {"summary": "The PagerDuty website or APIs"},
            "content": "…",
            "created_at": "2026-11-21T09:12:00Z"
        }})))
        .mount(&server)
        .await;
    server
}

/// Notes PagerDuty received, as the `content` of each POST.
async fn notes(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body["note"]["content"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Runs the blocking CLI off the async test's runtime, where the mock server lives.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_linked_incident_gets_every_status_update_as_a_note_until_unlinked() {
    let server = pagerduty().await;
    let rx = Receiver::start(vec![Reply::Status(200, "ok")]);
    let s = setup(&format!(
        "{}[[webhook]]\nkind = \"json\"\nname = \"status-page\"\nurl = \"{}\"\n",
        pd_config(&server),
        rx.url
    ));
    let (link, s) = blocking(move || (run(&s, &["pagerduty", "link", "INC-1", PD]), s)).await;
    assert!(link.status.success(), "{}", stderr(&link));
    let said = String::from_utf8_lossy(&link.stdout);
    assert!(said.contains("PT4KHLK #42 linked (acknowledged)"), "{said}");
    let linked = of_type(&s, "pagerduty_linked");
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0]["incident"], PD);
    assert_eq!(linked[0]["number"], 42);
    assert_eq!(linked[0]["title"], "Checkout 5xx above 5%");
    assert_eq!(
        linked[0]["url"],
        "https://acme.pagerduty.com/incidents/PT4KHLK"
    );

    let (out, s) = blocking(move || {
        (
            run(
                &s,
                &[
                    "update",
                    "INC-1",
                    "Conditions: checkout failing; rollback underway",
                ],
            ),
            s,
        )
    })
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let got = notes(&server).await;
    assert_eq!(got.len(), 1, "one note per update");
    assert!(got[0].contains("INC-1 SEV1"), "{}", got[0]);
    assert!(
        got[0].contains("Conditions: checkout failing; rollback underway"),
        "{}",
        got[0]
    );
    assert!(got[0].ends_with("— alice"), "{}", got[0]);
    // The chat webhook got it too; both outcomes are journaled under the update.
    assert_eq!(rx.received().len(), 1);
    let d = of_type(&s, "update_delivered");
    let targets: Vec<(&str, bool)> = d
        .iter()
        .map(|e| (e["target"].as_str().unwrap(), e["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        targets,
        vec![("status-page", true), ("pagerduty:PT4KHLK", true)]
    );
    assert_eq!(d[1]["detail"], "note PWL7QXS added");
    assert_eq!(d[1]["update_seq"], 3);

    let (unlink, s) = blocking(move || (run(&s, &["pagerduty", "unlink", "INC-1", PD]), s)).await;
    assert!(unlink.status.success(), "{}", stderr(&unlink));
    let (out, s) = blocking(move || (run(&s, &["update", "INC-1", "recovering"]), s)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(notes(&server).await.len(), 1, "no note after unlinking");
    let d = of_type(&s, "update_delivered");
    assert_eq!(d.len(), 3, "only the webhook for the second update: {d:?}");
    assert_eq!(d[2]["target"], "status-page");
    support::pagerduty::assert_conforms(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_note_pagerduty_refuses_fails_the_command_but_keeps_the_update() {
    let server = pagerduty().await;
    let s = setup(&pd_config(&server));
    let (link, s) = blocking(move || (run(&s, &["pagerduty", "link", "INC-1", PD]), s)).await;
    assert!(link.status.success(), "{}", stderr(&link));
    // The token is revoked between the link and the update.
    server.reset().await;
    Mock::given(method("POST"))
        .and(path(format!("/incidents/{PD}/notes")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"error": {"message": "Authentication failed", "code": 2006}}),
            ),
        )
        .mount(&server)
        .await;
    let (out, s) = blocking(move || (run(&s, &["update", "INC-1", "still failing"]), s)).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("update #3 is recorded in INC-1 but was NOT posted to pagerduty:PT4KHLK"),
        "{err}"
    );
    let updates = of_type(&s, "status_update");
    assert_eq!(updates[0]["text"], "still failing");
    let d = of_type(&s, "update_delivered");
    assert_eq!(d[0]["ok"], false);
    let detail = d[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("token rejected (HTTP 401): Authentication failed"),
        "{detail}"
    );
    support::pagerduty::assert_conforms(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_too_long_for_pagerduty_is_cut_with_a_pointer_to_the_log() {
    let server = pagerduty().await;
    let s = setup(&pd_config(&server));
    let long = "payments degraded; rollback in progress. ".repeat(1000);
    let (out, s) = blocking(move || {
        let link = run(&s, &["pagerduty", "link", "INC-1", PD]);
        assert!(link.status.success(), "{}", stderr(&link));
        (run(&s, &["update", "INC-1", &long]), s)
    })
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let got = notes(&server).await;
    assert_eq!(got[0].chars().count(), 25_000);
    assert!(got[0].ends_with("[cut: the whole update is in warroom's log]"));
    // The journal keeps the whole text.
    let updates = of_type(&s, "status_update");
    assert_eq!(updates[0]["text"].as_str().unwrap().len(), 41_000);
    support::pagerduty::assert_conforms(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_that_cannot_be_made_are_refused_and_record_nothing() {
    let server = pagerduty().await;
    let s = setup(&pd_config(&server));
    let (outs, s) = blocking(move || {
        let outs = vec![
            run(&s, &["pagerduty", "link", "INC-1", "PNOSUCH"]),
            run(&s, &["pagerduty", "link", "INC-1", "../admin"]),
            run(&s, &["pagerduty", "link", "INC-9", PD]),
            run(&s, &["pagerduty", "unlink", "INC-1", PD]),
            run(&s, &["pagerduty", "link", "INC-1", PD]),
            run(&s, &["pagerduty", "link", "INC-1", PD]),
        ];
        (outs, s)
    })
    .await;
    let codes: Vec<Option<i32>> = outs.iter().map(|o| o.status.code()).collect();
    assert_eq!(
        codes,
        vec![Some(2), Some(2), Some(2), Some(2), Some(0), Some(2)],
        "{:?}",
        outs.iter().map(stderr).collect::<Vec<_>>()
    );
    assert!(stderr(&outs[0]).contains("PagerDuty has no incident PNOSUCH"));
    assert!(stderr(&outs[1]).contains("expected letters and digits, like PT4KHLK"));
    assert!(stderr(&outs[2]).contains("INC-9"));
    assert!(stderr(&outs[3]).contains("PagerDuty incident PT4KHLK is not linked to INC-1"));
    assert!(stderr(&outs[5]).contains("PagerDuty incident PT4KHLK is already linked to INC-1"));
    assert_eq!(of_type(&s, "pagerduty_linked").len(), 1);
    // The bad ID never reached PagerDuty.
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert!(paths.iter().all(|p| !p.contains("admin")), "{paths:?}");
    support::pagerduty::assert_conforms(&server).await;
}

#[test]
fn without_a_pagerduty_section_the_verbs_say_what_to_configure() {
    let s = setup("");
    for args in [
        vec!["pagerduty", "list"],
        vec!["pagerduty", "link", "INC-1", PD],
    ] {
        let out = run(&s, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("no [pagerduty] section"),
            "{}",
            stderr(&out)
        );
    }
    assert!(of_type(&s, "pagerduty_linked").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_the_open_incidents_of_the_configured_services() {
    let server = pagerduty().await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("service_ids[]", "PSVC001"))
        .and(query_param("statuses[]", "triggered"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incidents": [incident("PAAAAAA", 41, "triggered"), incident(PD, 42, "acknowledged")],
            "limit": 100, "offset": 0, "more": false, "total": null
        })))
        .mount(&server)
        .await;
    let s = setup(&pd_config(&server));
    let (out, _s) = blocking(move || (run(&s, &["pagerduty", "list", "--json"]), s)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["PAAAAAA", PD]);
    assert_eq!(rows[1]["number"], 42);
    assert_eq!(rows[1]["status"], "acknowledged");
    assert_eq!(rows[1]["service"], "Checkout API");
    support::pagerduty::assert_conforms(&server).await;
}
