//! The hosted services from the console, end to end: the release binary full screen in tmux,
//! driven the way a call leader drives it, against local doubles of PagerDuty, OpsGenie and
//! Sensu Go held to their published API descriptions (every request checked against the
//! vendored spec; every answer built to it). What the leader sees is asserted on the screen;
//! what was recorded, with `log --json`.
//!
//! - `W`: who is on call for the blast radius's service, paging one (asked first), the
//!   `paged` entry in the log, the person awaited on the work board until they check in.
//! - `C` in an OpsGenie alert's details: asked first, one close request, the outcome in the
//!   log; refused, saying so, for an alert whose source takes no close; the source's page
//!   limit said on the alerts pane.
//! - `m` on a Sensu alert: a silencing entry, asked first, journaled.
#![cfg(target_os = "linux")]

use crate::support;

use serde_json::{Value, json};
use std::time::Duration;
use support::e2e::E2e;
use support::opsgenie_doubles as og;
use support::sensu;
use support::spec::{Spec, assert_conforms};
use support::tmux::{Pane, Tmux, has_line};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The longest any single wait may take (a poll of the sources every second; a write-back
/// followed to its outcome).
const DEADLINE: Duration = Duration::from_secs(20);

const PD_TOKEN: &str = "u+e2e-pd-token";
const SENSU_KEY: &str = "83abef1e-e7d7-4beb-91fc-79ad90084d5b";

/// Polls every second, so a double's alerts reach the screen quickly.
const FAST_POLL: &str = "[alerts]\npoll_interval = \"1s\"\n\n";

const SERVICES: &str = "[[service]]\nname = \"payments\"\ntier = 1\ncustomer_facing = true\n\
     match = { service = \"payments\" }\n\n[[service]]\nname = \"checkout\"\ntier = 1\n\
     match = { service = \"checkout\" }\n";

/// The doubles live on this runtime's threads while the test drives the terminal.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// The requests `server` received with `verb` on `p`.
fn received(rt: &tokio::runtime::Runtime, server: &MockServer, verb: &str, p: &str) -> Vec<Value> {
    rt.block_on(server.received_requests())
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

/// An OpsGenie double listing `items` (a next page offered when `more`), with the key.
async fn opsgenie(items: Vec<Value>, more: bool) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(og::ALERTS))
        .and(header(
            "authorization",
            format!("GenieKey {}", og::KEY).as_str(),
        ))
        .respond_with(og::page(items, more))
        .mount(&server)
        .await;
    server
}

/// A Sensu double whose one failing event is checkout's `web1/check-http`, taking silences.
async fn sensu_double() -> MockServer {
    let server = MockServer::start().await;
    let events = json!([sensu::event(
        "web1",
        "check-http",
        2,
        json!({"service": "checkout"})
    )]);
    Mock::given(method("GET"))
        .and(path(sensu::EVENTS))
        .and(header("Authorization", format!("Key {SENSU_KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(events))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(sensu::SILENCED))
        .and(header("Authorization", format!("Key {SENSU_KEY}").as_str()))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    server
}

fn sensu_config(url: &str) -> String {
    format!(
        "[[sensu]]\nurl = \"{url}\"\napi_key_env = \"WARROOM_E2E_SENSU_KEY\"\nsilence_for = \"2h\"\n\n"
    )
}

/// Enters the incident `id` from the list and waits for `ready` on its screen.
fn enter(pane: &Pane<'_>, id: &str, what: &str, ready: impl Fn(&str) -> bool) {
    pane.wait_for("the incident list", |s| s.contains(id));
    pane.press(&["Enter"]);
    pane.wait_for(what, ready);
}

/// Quits the console (asked first) and waits for it to end.
fn quit(t: &Tmux, pane: &Pane<'_>) {
    pane.press(&["q"]);
    pane.wait_for("the quit question", |s| s.contains("uit?"));
    pane.press(&["y"]);
    t.wait_gone(&pane.target);
}

#[test]
fn w_shows_who_is_on_call_pages_one_once_and_the_board_awaits_them_until_they_check_in() {
    let Some(t) = Tmux::new("hosted-oncall", DEADLINE) else {
        return;
    };
    let rt = runtime();
    let (pd, ogs) = rt.block_on(async {
        let pd = MockServer::start().await;
        support::pagerduty::mount_oncall(&pd).await;
        let created = support::pagerduty::spec()
            .example("POST", "/incidents/PT4KHLK/responder_requests", 200)
            .unwrap();
        Mock::given(method("POST"))
            .and(path("/incidents/PT4KHLK/responder_requests"))
            .respond_with(support::pagerduty::answer(
                "POST",
                "/incidents/PT4KHLK/responder_requests",
                200,
                created,
            ))
            .mount(&pd)
            .await;
        let item = og::item(0, "Payments 5xx above 5%", "P1", &["service:payments"]);
        (pd, opsgenie(vec![item], false).await)
    });
    let e = E2e::new(
        &format!(
            "{FAST_POLL}{}\n[pagerduty]\ntoken_env = \"WARROOM_E2E_PD_TOKEN\"\n\
             from = \"ic@example.com\"\nurl = \"{}\"\n\n[pagerduty.oncall_services]\n\
             payments = \"PSVC002\"\n",
            og::config(&ogs.uri(), 10),
            pd.uri()
        ),
        &[("WARROOM_E2E_PD_TOKEN", PD_TOKEN), (og::KEY_ENV, og::KEY)],
    );
    e.services(SERVICES);
    let id = e.open("Payments 5xx");
    e.run_as(
        "alice",
        &["pagerduty", "link", &id, support::pagerduty::PD_INCIDENT],
    );
    let pane = e.console(&t, "lead", "alice");
    enter(
        &pane,
        &id,
        "the payments alert and the linked PagerDuty incident",
        |s| s.contains("Payments 5xx above 5%") && s.contains("PagerDuty #42"),
    );

    // Who is on call for payments, the blast radius's affected service: everyone, by level.
    pane.press(&["W"]);
    let shown = pane.wait_for("who is on call", |s| {
        has_line(s, &["payments: L1", "Kim Park <kim@example.com>"])
    });
    for who in [
        ["payments: L1", "Lee Turner <lee@example.com>"],
        ["payments: L2", "Dana Ode <dana@example.com>"],
    ] {
        assert!(has_line(&shown, &who), "{who:?} on call too:\n{shown}");
    }
    // Kim (the first) is chosen: asked first, nothing sent yet.
    pane.press(&["Enter"]);
    pane.wait_for("the question before paging", |s| {
        s.contains("Page Kim Park <kim@example.com>?")
            && s.contains("On call for payments (level 1)")
    });
    let requests = "/incidents/PT4KHLK/responder_requests";
    assert!(received(&rt, &pd, "POST", requests).is_empty());
    pane.press(&["y"]);
    pane.wait_for("the page in the log", |s| {
        has_line(s, &["PAGED", "paged Kim Park"])
    });
    let sent = received(&rt, &pd, "POST", requests);
    assert_eq!(sent.len(), 1, "one responder request: {sent:#?}");
    assert_eq!(sent[0]["requester_id"], "PIC0001");
    assert_eq!(
        sent[0]["responder_request_targets"],
        json!([{"responder_request_target": {"id": "PKIM001", "type": "user_reference"}}])
    );
    assert!(
        sent[0]["message"].as_str().unwrap().contains(&id),
        "the message names the incident: {sent:#?}"
    );
    let paged = e.of_type(&id, "paged");
    assert_eq!(paged.len(), 1, "{paged:#?}");
    assert_eq!(paged[0]["ok"], true);
    assert_eq!(paged[0]["person"], "Kim Park");
    assert_eq!(paged[0]["via"], "PagerDuty");
    assert_eq!(
        paged[0]["detail"],
        "responder request sent to Kim Park on PagerDuty incident PT4KHLK"
    );

    // The work board awaits Kim until she checks in.
    pane.press(&["w"]);
    pane.wait_for("the roll call board", |s| s.contains("Roll call"));
    pane.press(&["Tab"]);
    pane.wait_for("Kim awaited on the work board", |s| {
        s.contains("Work board")
            && has_line(
                s,
                &[
                    "Kim Park <kim@example.com>",
                    "via PagerDuty for payments — not checked in",
                ],
            )
    });
    e.run_as("kim", &["checkin", &id, "on the bridge"]);
    let board = pane.wait_for("Kim no longer awaited", |s| {
        s.contains("Work board") && !s.contains("not checked in")
    });
    assert!(!board.contains("Kim Park <kim@example.com>"), "{board}");
    pane.press(&["Escape"]);
    quit(&t, &pane);
    assert_eq!(received(&rt, &pd, "POST", requests).len(), 1);
    rt.block_on(support::pagerduty::assert_conforms(&pd));
    rt.block_on(assert_conforms(&ogs, og::spec()));
}

#[test]
fn c_closes_an_opsgenie_alert_once_asked_first_and_refuses_a_source_without_close() {
    let Some(t) = Tmux::new("hosted-close", DEADLINE) else {
        return;
    };
    let rt = runtime();
    let close = format!("{}/a-0/close", og::ALERTS);
    let (ogs, sensu) = rt.block_on(async {
        // A full first page with a next one offered, and a page limit of one: cut short.
        let mut items = vec![og::item(
            0,
            "Payments 5xx above 5%",
            "P1",
            &["service:payments"],
        )];
        items.extend(
            (1..100).map(|n| og::item(n, &format!("search lag {n}"), "P4", &["service:search"])),
        );
        let ogs = opsgenie(items, true).await;
        Mock::given(method("POST"))
            .and(path(close.as_str()))
            .respond_with(og::accepted(&close, "req-close-1"))
            .mount(&ogs)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{}/requests/req-close-1", og::ALERTS)))
            .respond_with(og::processed("req-close-1", "Close", "Alert closed"))
            .mount(&ogs)
            .await;
        (ogs, sensu_double().await)
    });
    let e = E2e::new(
        &format!(
            "{FAST_POLL}{}\n{}",
            og::config(&ogs.uri(), 1),
            sensu_config(&sensu.uri())
        ),
        &[(og::KEY_ENV, og::KEY), ("WARROOM_E2E_SENSU_KEY", SENSU_KEY)],
    );
    e.services(SERVICES);
    let id = e.open("Payments 5xx");
    let pane = e.console(&t, "lead", "alice");
    enter(
        &pane,
        &id,
        "both sources' alerts and the page limit said",
        |s| {
            s.contains("Payments 5xx above 5%")
                && s.contains("web1/check-http")
                && s.contains("opsgenie: first 100 alerts shown")
        },
    );
    // The alerts pane: checkout's Sensu alert first, then payments'.
    pane.press(&["Tab"]);
    pane.press(&["Enter"]);
    pane.wait_for("the Sensu alert's details, offering no close", |s| {
        s.contains("m silence") && s.contains("esc close") && !s.contains("C close")
    });
    pane.press(&["C"]);
    pane.wait_for("the refusal", |s| {
        s.contains("sensu takes no close from warroom")
    });
    pane.press(&["Escape"]);
    pane.press(&["Down"]);
    pane.press(&["Enter"]);
    pane.wait_for("the OpsGenie alert's details offering close", |s| {
        s.contains("C close")
    });
    pane.press(&["C"]);
    pane.wait_for("the close form", |s| {
        s.contains("Close Payments 5xx above 5% on opsgenie")
    });
    pane.type_text("rolled back, recovered");
    pane.press(&["Enter"]);
    pane.wait_for("the question before closing", |s| {
        s.contains("Close Payments 5xx above 5% on opsgenie with:")
    });
    assert!(
        received(&rt, &ogs, "POST", &close).is_empty(),
        "asked first"
    );
    pane.press(&["y"]);
    pane.wait_for("the outcome in the log", |s| {
        has_line(s, &["closed Payments 5xx above 5% on opsgenie"])
    });
    let sent = received(&rt, &ogs, "POST", &close);
    let text = format!("{id}: rolled back, recovered");
    assert_eq!(
        sent,
        vec![json!({"note": text, "user": "alice", "source": "warroom"})]
    );
    let journaled = e.of_type(&id, "alert_write_back");
    assert_eq!(journaled.len(), 1, "only the close: {journaled:#?}");
    assert_eq!(journaled[0]["source"], "opsgenie");
    assert_eq!(journaled[0]["action"], "close");
    assert_eq!(journaled[0]["ok"], true);
    assert_eq!(journaled[0]["text"], text);
    assert_eq!(journaled[0]["detail"], "Alert closed (request req-close-1)");
    quit(&t, &pane);
    assert!(
        received(&rt, &sensu, "POST", sensu::SILENCED).is_empty(),
        "nothing written to Sensu"
    );
    rt.block_on(assert_conforms(&ogs, og::spec()));
    rt.block_on(assert_conforms(&sensu, &Spec::load("sensu/core-v2.json")));
}

#[test]
fn m_on_a_sensu_alert_silences_it_at_sensu_asked_first_and_journaled() {
    let Some(t) = Tmux::new("hosted-silence", DEADLINE) else {
        return;
    };
    let rt = runtime();
    let sensu = rt.block_on(sensu_double());
    let e = E2e::new(
        &format!("{FAST_POLL}{}", sensu_config(&sensu.uri())),
        &[("WARROOM_E2E_SENSU_KEY", SENSU_KEY)],
    );
    e.services(SERVICES);
    let id = e.open("Checkout 500s");
    let pane = e.console(&t, "lead", "alice");
    enter(&pane, &id, "the Sensu alert", |s| {
        s.contains("web1/check-http")
    });
    pane.press(&["Tab"]);
    pane.press(&["m"]);
    pane.wait_for("the silence form, pre-filled", |s| {
        s.contains("Silence web1/check-http on sensu")
            && s.contains(&format!("{id}: Checkout 500s (silenced by alice)"))
    });
    pane.press(&["Enter"]);
    pane.wait_for("the question before silencing", |s| {
        s.contains("Silence web1/check-http on sensu with:")
    });
    assert!(
        received(&rt, &sensu, "POST", sensu::SILENCED).is_empty(),
        "asked first"
    );
    pane.press(&["y"]);
    pane.wait_for("the outcome in the log", |s| {
        has_line(s, &["silenced web1/check-http on sensu"])
    });
    let sent = received(&rt, &sensu, "POST", sensu::SILENCED);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let text = format!("{id}: Checkout 500s (silenced by alice)");
    for (k, v) in [
        ("check", json!("check-http")),
        ("subscription", json!("entity:web1")),
        ("expire", json!(7200)),
        ("creator", json!("alice")),
        ("reason", json!(text)),
    ] {
        assert_eq!(sent[0][k], v, "{k}: {:#}", sent[0]);
    }
    let journaled = e.of_type(&id, "alert_write_back");
    assert_eq!(journaled.len(), 1, "{journaled:#?}");
    assert_eq!(journaled[0]["source"], "sensu");
    assert_eq!(journaled[0]["action"], "silence");
    assert_eq!(journaled[0]["ok"], true);
    assert_eq!(journaled[0]["text"], text);
    quit(&t, &pane);
    rt.block_on(assert_conforms(&sensu, &Spec::load("sensu/core-v2.json")));
}
