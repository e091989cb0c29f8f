//! Who is on call for a catalog service, and paging them from the incident
//! (`warroom oncall`, `warroom page`), against a PagerDuty double held to PagerDuty's
//! published REST spec: every request warroom sends is checked, every answer fits the spec.

use crate::support;

use serde_json::{Value, json};
use support::cli::{Setup, posts, run, stderr};
use support::pagerduty::{PD_INCIDENT as PD, answer, mount_oncall};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer};

fn setup(server: &MockServer) -> Setup {
    support::cli::setup(
        &format!(
            "[pagerduty]\ntoken_env = \"PD_TEST_TOKEN\"\nfrom = \"ic@example.com\"\n\
             url = \"{}\"\n\n[pagerduty.oncall_services]\npayments = \"PSVC002\"\n",
            server.uri()
        ),
        &[("PD_TEST_TOKEN", "u+testtoken")],
    )
}

/// PagerDuty with the payments service, its escalation policy's on-calls (one at level 2, two
/// at level 1, one of them twice through two schedules), the acting user, an incident to link
/// (all from [`mount_oncall`]) and responder requests accepted.
async fn pagerduty() -> MockServer {
    let server = MockServer::start().await;
    mount_oncall(&server).await;
    let created = support::pagerduty::spec()
        .example("POST", "/incidents/PT4KHLK/responder_requests", 200)
        .unwrap();
    Mock::given(method("POST"))
        .and(path(format!("/incidents/{PD}/responder_requests")))
        .and(body_json(json!({
            "requester_id": "PIC0001",
            "message": "Payments 5xx: join the bridge",
            "responder_request_targets": [
                {"responder_request_target": {"id": "PKIM001", "type": "user_reference"}}
            ]
        })))
        .respond_with(answer(
            "POST",
            "/incidents/PT4KHLK/responder_requests",
            200,
            created,
        ))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn who_is_on_call_is_read_through_the_services_escalation_policy() {
    let server = pagerduty().await;
    let s = setup(&server);
    let (out, s) = run(s, &["oncall", "payments", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["via"], "PagerDuty");
    let rows: Vec<(String, String, u64)> = v["oncall"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["handle"].as_str().unwrap().to_string(),
                p["level"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Kim Park".into(), "kim@example.com".into(), 1),
            ("Lee Turner".into(), "lee@example.com".into(), 1),
            ("Dana Ode".into(), "dana@example.com".into(), 2),
        ],
        "by level then name, each person once per level"
    );
    assert_eq!(v["oncall"][1]["until"], "2026-11-21T17:00:00Z");
    assert_eq!(v["oncall"][2]["until"], Value::Null);
    let (out, s) = run(s, &["oncall", "payments"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("on call for payments now (PagerDuty):"),
        "{text}"
    );
    assert!(
        text.contains("L1  Lee Turner <lee@example.com>  until 17:00Z 21 Nov  (Payments primary)"),
        "{text}"
    );
    assert!(
        text.contains("L2  Dana Ode <dana@example.com>  permanently"),
        "{text}"
    );
    let (out, _s) = run(s, &["oncall", "checkout"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no on-call mapping for service `checkout`; known: payments"));
    support::pagerduty::assert_conforms(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_is_confirmed_sent_once_journaled_and_awaited_until_the_person_checks_in() {
    let server = pagerduty().await;
    let s = setup(&server);
    let id = s.id.clone();
    let msg = "Payments 5xx: join the bridge";
    // Without --yes: refused, nothing sent, nothing recorded.
    let (out, s) = run(
        s,
        &[
            "page",
            &id,
            "--service",
            "payments",
            "--person",
            "kim",
            "--message",
            msg,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("say --yes to page (nothing was sent)"),
        "{}",
        stderr(&out)
    );
    assert!(server.received_requests().await.unwrap().is_empty());
    // No PagerDuty incident linked: said clearly, journaled as not sent.
    let page = [
        "page",
        &id,
        "--service",
        "payments",
        "--person",
        "kim",
        "--message",
        msg,
        "--yes",
    ];
    let (out, s) = run(s, &page).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no PagerDuty incident is linked to this incident"),
        "{}",
        stderr(&out)
    );
    assert_eq!(posts(&server).await, 0);
    // Linked: the responder request goes out once, to Kim, from the acting user.
    let (out, s) = run(s, &["pagerduty", "link", &id, PD]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let (out, s) = run(s, &page).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("paged Kim Park <kim@example.com> for payments via PagerDuty"),
        "{said}"
    );
    assert_eq!(posts(&server).await, 1);
    let paged = s.of_type("paged");
    assert_eq!(paged.len(), 2);
    assert_eq!(paged[0]["ok"], false);
    assert_eq!(paged[1]["ok"], true);
    assert_eq!(paged[1]["person"], "Kim Park");
    assert_eq!(paged[1]["handle"], "kim@example.com");
    assert_eq!(paged[1]["service"], "payments");
    assert_eq!(paged[1]["message"], msg);
    assert_eq!(
        paged[1]["detail"],
        "responder request sent to Kim Park on PagerDuty incident PT4KHLK"
    );
    // On the work board until Kim checks in.
    let (out, s) = run(s, &["roll", &id]).await;
    let board = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        board.contains("Kim Park <kim@example.com>: paged")
            && board.contains("via PagerDuty for payments — not checked in"),
        "{board}"
    );
    let (out, s) = tokio::task::spawn_blocking(move || {
        let out = s
            .command()
            .env("WARROOM_USER", "kim")
            .args(["checkin", &s.id, "on the bridge"])
            .output()
            .unwrap();
        (out, s)
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (out, _s) = run(s, &["roll", &id]).await;
    let board = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!board.contains("not checked in"), "{board}");
    assert!(board.contains("kim"), "{board}");
    support::pagerduty::assert_conforms(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_not_on_call_or_no_mapping_is_refused_before_anything_is_sent() {
    let server = pagerduty().await;
    let s = setup(&server);
    let id = s.id.clone();
    let (out, s) = run(s, &["pagerduty", "link", &id, PD]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let (out, s) = run(
        s,
        &[
            "page",
            &id,
            "--service",
            "payments",
            "--person",
            "zed",
            "--message",
            "x",
            "--yes",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("zed is not on call for payments; on call: Kim Park, Lee Turner, Dana Ode"),
        "{}",
        stderr(&out)
    );
    let (out, s) = run(
        s,
        &[
            "page",
            &id,
            "--service",
            "checkout",
            "--message",
            "x",
            "--yes",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(posts(&server).await, 0);
    assert!(s.of_type("paged").is_empty());
    // Without the mapping, the verbs say what to configure.
    let bare = support::cli::setup("", &[]);
    let out = tokio::task::spawn_blocking(move || bare.run(&["oncall", "payments"]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("set [pagerduty] oncall_services"),
        "{}",
        stderr(&out)
    );
    support::pagerduty::assert_conforms(&server).await;
}
