//! Who is on call and paging them through OpsGenie and Jira Service Management (`warroom
//! oncall`, `warroom page`, `warroom check-config --probe`), each case for both dialects,
//! against doubles held to the vendored specs (tests/fixtures/specs/opsgenie, …/jsm): every
//! request warroom sends is checked against the spec, every answer the doubles give against
//! the spec's response schema.

use crate::support;

use serde_json::{Value, json};
use support::cli::{Setup, posts, run, stderr};
use support::opsgenie::*;
use support::spec::{Spec, assert_conforms};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KIM: &str = "4513b7ea-3b91-438f-b7e4-e3e54af9147c";
const LEE: &str = "bb4d9938-c3c2-455d-aaab-727aa701c0d8";
const REQUEST: &str = "43a29c5c-3dbf-4fa4-9c26-f4f71023e120";
const MESSAGE: &str = "Payments 5xx: join the bridge";

/// How each API names Kim: OpsGenie by username, JSM by account id.
fn kim(api: Api) -> &'static str {
    match api {
        Api::OpsGenie => "kim@example.com",
        Api::Jsm => KIM,
    }
}

/// The payments schedule: Kim on call directly, Lee through an escalation that also has Kim.
async fn oncalls_mounted(api: Api, server: &MockServer, spec: &Spec) {
    let participants = json!([
        api.user(KIM, "kim@example.com"),
        api.escalation(vec![
            api.user(LEE, "lee@example.com"),
            api.user(KIM, "kim@example.com"),
        ]),
        {"id": "8418d193-2dab-4490-b331-8c02cdd196b7", "type": "team", "name": "payments-team"},
    ]);
    given(api, "GET", &api.oncalls_path())
        .and(query_param("flat", "false"))
        .respond_with(reply(
            spec,
            api,
            "GET",
            &api.oncalls_path(),
            200,
            api.oncalls(participants),
        ))
        .mount(server)
        .await;
}

/// The alert API accepting a new alert and its request processed.
async fn paging_mounted(api: Api, server: &MockServer, spec: &Spec) {
    given(api, "POST", &api.prefix())
        .respond_with(reply(
            spec,
            api,
            "POST",
            &api.prefix(),
            202,
            api.accepted(REQUEST),
        ))
        .mount(server)
        .await;
    let status_path = format!("{}/requests/{REQUEST}", api.prefix());
    given(api, "GET", &status_path)
        .respond_with(reply(
            spec,
            api,
            "GET",
            &status_path,
            200,
            api.status("Create", true, "Created alert"),
        ))
        .mount(server)
        .await;
}

async fn double(api: Api) -> (MockServer, Spec) {
    let server = MockServer::start().await;
    let spec = api.spec();
    oncalls_mounted(api, &server, &spec).await;
    (server, spec)
}

fn setup(api: Api, server: &MockServer) -> Setup {
    support::cli::setup(&api.oncall_config(&server.uri()), &api.env())
}

fn page_args<'a>(id: &'a str, person: &'a str) -> Vec<&'a str> {
    vec![
        "page",
        id,
        "--service",
        "payments",
        "--person",
        person,
        "--message",
        MESSAGE,
        "--yes",
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn who_is_on_call_is_read_from_the_schedule_the_service_maps_to() {
    for api in BOTH {
        let (server, spec) = double(api).await;
        let s = setup(api, &server);
        let (out, s) = run(s, &["oncall", "payments"]).await;
        assert!(out.status.success(), "{api:?}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (vendor, lee) = match api {
            Api::OpsGenie => ("OpsGenie", "lee@example.com"),
            Api::Jsm => ("Jira Service Management", LEE),
        };
        let via = match api {
            Api::OpsGenie => SCHEDULE_NAME,
            Api::Jsm => SCHEDULE_ID,
        };
        assert_eq!(
            text,
            format!(
                "on call for payments now ({vendor}):\n  {}  on call now  ({via})\n  {lee}  on call now  ({via})\n",
                kim(api)
            ),
            "{api:?}: each person once, the escalation's too, no team"
        );
        let (out, s) = run(s, &["oncall", "payments", "--json"]).await;
        assert!(out.status.success(), "{api:?}: {}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["via"], vendor);
        let ids: Vec<&str> = v["oncall"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![KIM, LEE], "{api:?}");
        let (out, _s) = run(s, &["oncall", "checkout"]).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("no on-call mapping for service `checkout`; known: payments"),
            "{api:?}: {}",
            stderr(&out)
        );
        let asked = server.received_requests().await.unwrap();
        assert_eq!(asked.len(), 2, "{api:?}: one look per answer");
        let query: Vec<(String, String)> = asked[0].url.query_pairs().into_owned().collect();
        let named = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(named("flat"), Some("false"), "{api:?}");
        assert!(
            named("date").is_some_and(|d| chrono::DateTime::parse_from_rfc3339(d).is_ok()),
            "{api:?}: {query:?}"
        );
        if let Api::OpsGenie = api {
            assert_eq!(named("scheduleIdentifierType"), Some("name"));
        }
        assert_conforms(&server, &spec).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_is_confirmed_sent_once_as_an_alert_to_the_person_and_journaled() {
    for api in BOTH {
        let (server, spec) = double(api).await;
        paging_mounted(api, &server, &spec).await;
        let s = setup(api, &server);
        let id = s.id.clone();
        // Without --yes: refused, nothing sent, nothing recorded.
        let mut unconfirmed = page_args(&id, kim(api));
        unconfirmed.pop();
        let (out, s) = run(s, &unconfirmed).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("say --yes to page (nothing was sent)"),
            "{api:?}: {}",
            stderr(&out)
        );
        assert!(server.received_requests().await.unwrap().is_empty());
        // Confirmed: one new alert, Kim its only responder, followed to its outcome.
        let (out, s) = run(s, &page_args(&id, kim(api))).await;
        assert!(out.status.success(), "{api:?}: {}", stderr(&out));
        let vendor = match api {
            Api::OpsGenie => "OpsGenie",
            Api::Jsm => "Jira Service Management",
        };
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            said.contains(&format!(
                "paged {} for payments via {vendor}: \"{MESSAGE}\"",
                kim(api)
            )),
            "{api:?}: the person named once: {said}"
        );
        assert_eq!(posts(&server).await, 1, "{api:?}: sent once");
        let sent = server.received_requests().await.unwrap();
        let post = sent.iter().find(|r| r.method.as_str() == "POST").unwrap();
        let body: Value = serde_json::from_slice(&post.body).unwrap();
        assert_eq!(body["responders"], json!([{"type": "user", "id": KIM}]));
        assert_eq!(body["message"], format!("payments: {MESSAGE}"));
        assert!(body["description"].as_str().unwrap().contains(MESSAGE));
        let paged = s.of_type("paged");
        assert_eq!(paged.len(), 1, "{api:?}");
        assert_eq!(paged[0]["ok"], true);
        assert_eq!(paged[0]["via"], vendor);
        assert_eq!(paged[0]["person"], kim(api));
        assert_eq!(paged[0]["service"], "payments");
        assert_eq!(paged[0]["message"], MESSAGE);
        let detail = paged[0]["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("{vendor} alert for {}", kim(api)))
                && detail.contains("Created alert"),
            "{api:?}: {detail}"
        );
        // On the work board until they check in.
        let (out, s) = run(s, &["roll", &id]).await;
        let board = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            board.contains(&format!("{}: paged ", kim(api)))
                && board.contains(&format!("via {vendor} for payments — not checked in")),
            "{api:?}: {board}"
        );
        if let Api::OpsGenie = api {
            // Kim checks in as kim, the username's part before the @.
            let out = s
                .command()
                .env("WARROOM_USER", "kim")
                .args(["checkin", &id, "on the bridge"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            let (out, _s) = run(s, &["roll", &id]).await;
            let board = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(!board.contains("not checked in"), "{board}");
        }
        assert_conforms(&server, &spec).await;
    }
}

/// What each failure looks like at the vendor, for the look and for the page.
fn failures() -> Vec<(&'static str, ResponseTemplate, &'static str)> {
    let error = |status: u16, message: &str| {
        ResponseTemplate::new(status)
            .set_body_json(json!({"message": message, "took": 0.0, "requestId": REQUEST}))
    };
    vec![
        ("401", error(401, "Could not authenticate"), "401"),
        ("403", error(403, "You are not authorized"), "403"),
        (
            "429",
            error(429, "Too many requests").insert_header("Retry-After", "1"),
            "429",
        ),
        ("500", error(500, "Internal error"), "500"),
        (
            "garbage",
            ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html"),
            "unreadable answer",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_and_garbage_name_the_vendor_and_nothing_is_journaled_as_paged() {
    for api in BOTH {
        let vendor = match api {
            Api::OpsGenie => "OpsGenie",
            Api::Jsm => "Jira Service Management",
        };
        for (what, answer, says) in failures() {
            // The look fails: said, naming the vendor, the key never shown.
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path(api.oncalls_path()))
                .respond_with(answer.clone())
                .mount(&server)
                .await;
            let s = setup(api, &server);
            let (out, s) = run(s, &["oncall", "payments"]).await;
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{api:?} {what}: {err}");
            assert!(
                err.contains(&format!("{vendor} on-call for payments:")) && err.contains(says),
                "{api:?} {what}: {err}"
            );
            assert!(!err.contains(api.secret()), "{api:?} {what}: {err}");
            let id = s.id.clone();
            let (out, s) = run(s, &page_args(&id, kim(api))).await;
            assert_eq!(out.status.code(), Some(1), "{api:?} {what}");
            assert_eq!(posts(&server).await, 0, "{api:?} {what}: nobody to page");
            assert!(s.of_type("paged").is_empty(), "{api:?} {what}");
            assert_conforms(&server, &api.spec()).await;

            // The page fails: journaled as not sent, with the vendor's reason.
            let (server, spec) = double(api).await;
            Mock::given(method("POST"))
                .and(path(api.prefix()))
                .respond_with(answer)
                .mount(&server)
                .await;
            let s = setup(api, &server);
            let id = s.id.clone();
            let (out, s) = run(s, &page_args(&id, kim(api))).await;
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{api:?} {what}: {err}");
            assert!(
                err.contains(vendor) && err.contains(says),
                "{api:?} {what}: {err}"
            );
            assert!(!err.contains(api.secret()), "{api:?} {what}: {err}");
            let tries = if what == "429" { 4 } else { 1 };
            assert_eq!(posts(&server).await, tries, "{api:?} {what}");
            let paged = s.of_type("paged");
            assert_eq!(paged.len(), 1, "{api:?} {what}");
            assert_eq!(paged[0]["ok"], false, "{api:?} {what}");
            let detail = paged[0]["detail"].as_str().unwrap();
            assert!(
                detail.starts_with(&format!("{vendor}: ")) && detail.contains(says),
                "{api:?} {what}: {detail}"
            );
            assert!(!detail.contains(api.secret()));
            assert_conforms(&server, &spec).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pagerduty_and_opsgenie_each_answer_for_the_services_they_map() {
    let (server, spec) = double(Api::OpsGenie).await;
    let config = format!(
        "[pagerduty]\ntoken_env = \"PD_TEST_TOKEN\"\nfrom = \"ic@example.com\"\n\
         url = \"http://127.0.0.1:9\"\n\n[pagerduty.oncall_services]\ncheckout = \"PSVC001\"\n\n{}",
        Api::OpsGenie.oncall_config(&server.uri())
    );
    let mut env = Api::OpsGenie.env().to_vec();
    env.push(("PD_TEST_TOKEN", "u+testtoken"));
    let s = support::cli::setup(&config, &env);
    let (out, s) = run(s, &["oncall", "payments"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("on call for payments now (OpsGenie):")
    );
    // checkout is PagerDuty's (unreachable here): asked there, not at OpsGenie.
    let (out, _s) = run(s, &["oncall", "checkout"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("PagerDuty on-call for checkout"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_conforms(&server, &spec).await;
    // Neither configured: both settings named.
    let bare = support::cli::setup("", &[]);
    let out = tokio::task::spawn_blocking(move || bare.run(&["oncall", "payments"]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("[pagerduty] oncall_services")
            && err.contains("oncall_schedules in an [[opsgenie]] entry"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_config_probe_says_whether_each_opsgenie_source_answers() {
    let og = MockServer::start().await;
    let og_spec = Api::OpsGenie.spec();
    given(Api::OpsGenie, "GET", "/v2/alerts")
        .respond_with(reply(
            &og_spec,
            Api::OpsGenie,
            "GET",
            "/v2/alerts",
            200,
            Api::OpsGenie.page(vec![item(1, "P1", &["service:payments"])], false),
        ))
        .mount(&og)
        .await;
    let jsm = MockServer::start().await;
    let jsm_alerts = Api::Jsm.prefix();
    Mock::given(method("GET"))
        .and(path(jsm_alerts.as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errorMessages": ["Unauthorized; scope does not match"]})),
        )
        .mount(&jsm)
        .await;
    let config = format!(
        "{}\n{}",
        Api::OpsGenie.oncall_config(&og.uri()),
        Api::Jsm
            .oncall_config(&jsm.uri())
            .replace(KEY_ENV, "JSM_TEST_TOKEN")
    );
    let s = support::cli::setup(
        &config,
        &[(KEY_ENV, KEY), ("JSM_TEST_TOKEN", Api::Jsm.secret())],
    );
    let (out, _s) = run(s, &["check-config", "--probe"]).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{text}"))
            .to_string()
    };
    let ok = line("probe opsgenie opsgenie (OpsGenie, ");
    assert!(
        ok.ends_with(": ok, key accepted (1 alerts match the query)"),
        "{ok}"
    );
    let refused = line("probe opsgenie jsm (Jira Service Management, ");
    assert!(
        refused.contains("FAILED")
            && refused.contains("401")
            && refused.contains("scope does not match"),
        "{refused}"
    );
    assert!(
        !text.contains(KEY) && !text.contains(Api::Jsm.secret()),
        "{text}"
    );
    assert!(
        text.contains("on call for payments (key set)"),
        "the description names the mapped services: {text}"
    );
    assert_conforms(&og, &og_spec).await;
    assert_conforms(&jsm, &Api::Jsm.spec()).await;
}

/// The console's `W` on a service answered through a schedule: the person listed as on call
/// now with the schedule, and "page them?" saying so (no escalation level to show).
#[test]
fn the_console_offers_someone_on_call_through_a_schedule_and_asks_before_paging() {
    use crossterm::event::KeyCode;
    use support::console::*;
    use warroom::backends::oncall::OnCallPerson;
    use warroom::console::action::{Action, Effect};
    use warroom::console::update::update;

    let mut s = leading_with_blast();
    s.oncall_services = vec!["payments".into()];
    s.modal = None;
    let fx = press(&mut s, vec![key(KeyCode::Char('W'))]);
    assert!(
        matches!(fx.as_slice(), [Effect::ListOnCall { .. }]),
        "{fx:?}"
    );
    let kim = OnCallPerson {
        name: "kim@example.com".into(),
        handle: "kim@example.com".into(),
        level: 0,
        until: None,
        id: KIM.into(),
        via: SCHEDULE_NAME.into(),
    };
    update(
        &mut s,
        Action::OnCallListed {
            id: "INC-1".into(),
            service: "payments".into(),
            result: Ok(vec![kim]),
        },
        at(12, 0),
    );
    let text = screen(&mut s, 140, 40);
    assert!(
        text.contains(&format!(
            "payments: kim@example.com  on call now  ({SCHEDULE_NAME})"
        )),
        "{text}"
    );
    assert!(press(&mut s, vec![key(KeyCode::Enter)]).is_empty());
    let text = screen(&mut s, 140, 40);
    assert!(
        text.contains("Page kim@example.com?")
            && text.contains(&format!(
                "On call for payments now ({SCHEDULE_NAME}); asked to"
            )),
        "{text}"
    );
    assert!(!text.contains("level 0"), "{text}");
}
