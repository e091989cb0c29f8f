//! New Relic through NerdGraph, against a double held to New Relic's published schema
//! (tests/fixtures/specs/newrelic/): active issues over two pages become alerts mapped to
//! catalog services, paging is bounded, acknowledging sends the mutation once and is
//! journaled with its outcome, GraphQL errors in a 200 and a 401 are failures that never show
//! the key, and NRQL TIMESERIES (with a bucket without data) drives the blast radius. Every
//! request warroom sent is checked against the schema, and the checker itself rejects a
//! misspelt field.

use crate::support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::cli::{setup, stderr};
use support::graphql::assert_conforms;
use support::newrelic::{self as nr, ACCOUNT, KEY, answer, schema};
use warroom::backends::alertmanager::AlertFilter;
use warroom::backends::metrics::{self, MetricReaders};
use warroom::backends::newrelic::{MAX_PAGES, NewRelic};
use warroom::backends::{AlertSource, http_client};
use wiremock::matchers::{body_partial_json, body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn client(url: &str, services: &[(&str, &str)]) -> NewRelic {
    NewRelic::new(
        http_client().unwrap(),
        url,
        KEY,
        ACCOUNT,
        services
            .iter()
            .map(|(e, s)| (e.to_string(), s.to_string()))
            .collect::<BTreeMap<_, _>>(),
        Duration::from_secs(5),
    )
    .unwrap()
}

fn source(url: &str, services: &[(&str, &str)]) -> AlertSource {
    AlertSource::NewRelic {
        name: "newrelic".into(),
        client: Box::new(client(url, services)),
    }
}

/// The JSON body of a request the double received.
fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

const ISSUES_QUERY: &str = "query($accountId: Int!, $cursor: String) { actor { account(id: $accountId) { aiIssues { issues(cursor: $cursor, filter: {states: [ACTIVATED, CREATED]}) { issues { issueId title priority state entityNames } nextCursor } } } } }";

#[test]
fn the_checker_takes_a_good_query_and_rejects_a_misspelt_field_and_wrong_types() {
    let s = schema();
    let vars = json!({"accountId": ACCOUNT, "cursor": null});
    s.check_document(ISSUES_QUERY, &vars).unwrap();
    for (query, vars, says) in [
        (
            ISSUES_QUERY.replace("issueId", "issueID"),
            vars.clone(),
            "AiIssuesIssue has no field \"issueID\"",
        ),
        (
            ISSUES_QUERY.replace("$accountId: Int!", "$accountId: String!"),
            json!({"accountId": "1", "cursor": null}),
            "$accountId is String!, the argument takes Int!",
        ),
        (
            ISSUES_QUERY.replace("ACTIVATED, CREATED", "ACTIVATED, OPEN"),
            vars.clone(),
            "is not a value of enum AiIssuesIssueState",
        ),
        (
            ISSUES_QUERY.replace("account(id: $accountId)", "account(accountId: $accountId)"),
            vars.clone(),
            "Actor.account takes no argument \"accountId\"",
        ),
        (
            "query($accountId: Int!) { actor { account(id: $accountId) { aiIssues } } }"
                .to_string(),
            json!({"accountId": ACCOUNT}),
            "needs a selection of fields",
        ),
        (
            ISSUES_QUERY.to_string(),
            json!({"accountId": "3141592", "cursor": null}),
            "variable $accountId (Int!)",
        ),
        (
            ISSUES_QUERY.to_string(),
            json!({"accountId": ACCOUNT, "cursor": null, "limit": 5}),
            "the query does not define",
        ),
    ] {
        let e = s.check_document(&query, &vars).unwrap_err();
        assert!(e.contains(says), "{query}\n{e}");
    }
    // An answer missing a field the schema says is never null is refused too.
    let mut page = nr::issues_page(vec![nr::issue("i-1", "t", "HIGH", &["web"])], None);
    // The double's full issue has more fields than this query selects: refused as well.
    let e = s.check_response(ISSUES_QUERY, &page).unwrap_err();
    assert!(e.contains("was not selected"), "{e}");
    let lean = json!({"issueId": "i-1", "title": ["t"], "priority": "HIGH", "state": "ACTIVATED", "entityNames": ["web"]});
    page["data"]["actor"]["account"]["aiIssues"]["issues"]["issues"] = json!([lean]);
    s.check_response(ISSUES_QUERY, &page).unwrap();
    page["data"]["actor"]["account"]["aiIssues"]["issues"]["issues"][0]["priority"] = Value::Null;
    let e = s.check_response(ISSUES_QUERY, &page).unwrap_err();
    assert!(e.contains("AiIssuesIssue.priority: null"), "{e}");
}

#[tokio::test]
async fn active_issues_over_two_pages_are_alerts_mapped_to_catalog_services() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains("aiIssues"))
        .and(body_partial_json(json!({"variables": {"cursor": null}})))
        .respond_with(answer(nr::issues_page(
            vec![
                nr::issue(
                    "iss-1",
                    "Checkout error rate > 5%",
                    "CRITICAL",
                    &["checkout-prod"],
                ),
                nr::issue("iss-2", "Payments latency high", "MEDIUM", &["payments"]),
            ],
            Some("page-2"),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_partial_json(
            json!({"variables": {"cursor": "page-2"}}),
        ))
        .respond_with(answer(nr::issues_page(
            vec![nr::issue(
                "iss-3",
                "Host cpu",
                "LOW",
                &["ip-10-0-0-7", "checkout-prod"],
            )],
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;

    let alerts = source(&server.uri(), &[("checkout-prod", "checkout")])
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    let seen: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.name(),
                a.label("service"),
                a.label("severity"),
                a.annotations.get("newrelic_issue"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "Checkout error rate > 5%",
                Some("checkout"),
                Some("critical"),
                Some("iss-1")
            ),
            (
                "Payments latency high",
                Some("payments"),
                Some("warning"),
                Some("iss-2")
            ),
            // The mapped entity wins over the first one named.
            ("Host cpu", Some("checkout"), Some("info"), Some("iss-3")),
        ]
    );
    assert!(alerts.iter().all(|a| a.is_firing()));
    assert_eq!(
        alerts[0].starts_at.timestamp_millis(),
        1_796_400_000_000,
        "activatedAt"
    );
    let requests = server.received_requests().await.unwrap();
    for r in &requests {
        assert_eq!(r.headers.get("api-key").unwrap(), KEY);
        let b = body(r);
        assert_eq!(b["variables"]["accountId"], ACCOUNT);
        assert!(
            !b["query"].as_str().unwrap().contains("page-2"),
            "the cursor travels as a variable"
        );
    }
    assert_conforms(&server, &schema()).await;
}

/// Answers every issues request with one more page, a new cursor each time.
struct Endless(AtomicUsize);

impl Respond for Endless {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        let id = format!("iss-{n}");
        let page = nr::issues_page(
            vec![nr::issue(&id, "Flapping", "HIGH", &["web"])],
            Some(&format!("cursor-{n}")),
        );
        answer(page).respond(req)
    }
}

#[tokio::test]
async fn paging_stops_at_its_bound_when_the_cursor_never_ends() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(Endless(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    let alerts = source(&server.uri(), &[])
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(alerts.len(), MAX_PAGES);
    assert_eq!(server.received_requests().await.unwrap().len(), MAX_PAGES);
    assert_conforms(&server, &schema()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledging_sends_the_mutation_once_and_the_outcome_is_journaled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains("aiIssues {"))
        .respond_with(answer(nr::issues_page(
            vec![nr::issue(
                "iss-42",
                "Checkout error rate > 5%",
                "CRITICAL",
                &["checkout-prod"],
            )],
            None,
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains("aiIssuesAckIssue"))
        .and(body_partial_json(
            json!({"variables": {"accountId": ACCOUNT, "issueId": "iss-42"}}),
        ))
        .respond_with(answer(nr::acked("iss-42")))
        .expect(1)
        .mount(&server)
        .await;
    // A second account whose New Relic refuses: the outcome is journaled as not taken.
    let refusing = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains("aiIssues {"))
        .respond_with(answer(nr::issues_page(
            vec![nr::issue("iss-7", "Cart slow", "HIGH", &["cart"])],
            None,
        )))
        .mount(&refusing)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains("aiIssuesAckIssue"))
        .respond_with(answer(json!({"data": {"aiIssuesAckIssue": {
            "result": null,
            "error": "Issue iss-7 is already closed"
        }}})))
        .expect(1)
        .mount(&refusing)
        .await;

    let (url, other) = (server.uri(), refusing.uri());
    let (taken, refused, journal_text) = tokio::task::spawn_blocking(move || {
        let config = format!(
            "[[newrelic]]\naccount_id = {ACCOUNT}\napi_key_env = \"NR_TEST_KEY\"\nurl = \"{url}\"\nservices = {{ \"checkout-prod\" = \"checkout\" }}\n\n[[newrelic]]\nname = \"nr-eu\"\naccount_id = {ACCOUNT}\napi_key_env = \"NR_TEST_KEY\"\nurl = \"{other}\"\n\n[alerts]\ntimeout = \"5s\"\n"
        );
        let s = setup(&config, &[("NR_TEST_KEY", KEY)]);
        let out = s.run(&[
            "write-back",
            &s.id,
            "Checkout error rate > 5%",
            "acknowledge",
            "on it",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = s.run(&["write-back", &s.id, "Cart slow", "acknowledge", "mine"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let events = s.of_type("alert_write_back");
        let mut text = String::new();
        for e in walk(&s.data) {
            text.push_str(&std::fs::read_to_string(e).unwrap_or_default());
        }
        (events[0].clone(), events[1].clone(), text)
    })
    .await
    .unwrap();
    assert_eq!(
        (&taken["source"], &taken["action"], &taken["ok"]),
        (&json!("newrelic"), &json!("acknowledge"), &json!(true)),
        "{taken}"
    );
    assert_eq!(
        taken["detail"], "New Relic acknowledged issue iss-42",
        "{taken}"
    );
    assert_eq!(
        (&refused["source"], &refused["ok"]),
        (&json!("nr-eu"), &json!(false))
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .ends_with("aiIssuesAckIssue: Issue iss-7 is already closed"),
        "{refused}"
    );
    assert!(
        !journal_text.contains(KEY),
        "the key reached the data directory"
    );
    assert_conforms(&server, &schema()).await;
    assert_conforms(&refusing, &schema()).await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn graphql_errors_in_a_200_and_a_401_are_failures_that_never_show_the_key() {
    let errors = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(answer(nr::graphql_error(&format!(
            "Account {ACCOUNT} is not accessible with key {KEY}"
        ))))
        .mount(&errors)
        .await;
    let e = source(&errors.uri(), &[])
        .fetch(&AlertFilter::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("NerdGraph error: Account 3141592 is not accessible with key"),
        "{e}"
    );
    assert!(!e.contains(KEY), "{e}");
    assert_conforms(&errors, &schema()).await;

    let unauthorized = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errors": [{"message": format!("Invalid API key: {KEY}")}]
        })))
        .mount(&unauthorized)
        .await;
    let e = source(&unauthorized.uri(), &[])
        .fetch(&AlertFilter::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("token rejected (HTTP 401)"), "{e}");
    assert!(!e.contains(KEY), "{e}");
    assert_conforms(&unauthorized, &schema()).await;
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_as_retry_after_says_then_reported_if_it_lasts() {
    let limited = || {
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "1")
            .set_body_json(json!({"errors": [{"message": "Too many requests"}]}))
    };
    // Limited once, then answered: the issues are listed after the wait.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(limited())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(answer(nr::issues_page(
            vec![nr::issue(
                "iss-1",
                "Checkout down",
                "CRITICAL",
                &["checkout-prod"],
            )],
            None,
        )))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let alerts = source(&server.uri(), &[("checkout-prod", "checkout")])
        .fetch(&AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].label("service"), Some("checkout"));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited as Retry-After said"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert_conforms(&server, &schema()).await;

    // Limited on every try: a bounded number of tries, then a reason naming the rate limit.
    let always = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(limited())
        .mount(&always)
        .await;
    let e = source(&always.uri(), &[])
        .fetch(&AlertFilter::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("rate limited (HTTP 429) after"), "{e}");
    let tries = always.received_requests().await.unwrap().len();
    assert!((2..=4).contains(&tries), "{tries} tries");
    assert_conforms(&always, &schema()).await;
}

const SERVICES: &str = r#"
[[service]]
name = "checkout"
tier = 1
customer_facing = true
[[service.metric]]
name = "error %"
nrql = "SELECT percentage(count(*), WHERE error IS true) FROM Transaction WHERE appName = '{service}'"
degraded_above = 5
down_above = 50
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nrql_timeseries_with_a_gap_drives_the_blast_radius() {
    let server = MockServer::start().await;
    let now = chrono::Utc::now().timestamp();
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains("nrql(query: $nrql)"))
        .respond_with(answer(nr::timeseries(
            "percentage",
            60,
            &[
                (now - 240, Some(1.0)),
                (now - 180, Some(12.5)),
                (now - 120, None),
                (now - 60, None),
            ],
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains("aiIssues {"))
        .respond_with(answer(nr::issues_page(vec![], None)))
        .mount(&server)
        .await;

    // The console's metrics poller: the history keeps the buckets without data as gaps.
    let catalog =
        warroom::config::parse_services(std::path::Path::new("services.toml"), SERVICES).unwrap();
    let readers = MetricReaders::from(client(&server.uri(), &[]));
    let report = metrics::read(&readers, &catalog, chrono::Utc::now(), true).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        report.values["checkout"]["error %"], 12.5,
        "the newest bucket with data"
    );
    let history: Vec<Option<f64>> = report.history["checkout"].iter().map(|(_, v)| *v).collect();
    assert_eq!(history, [Some(1.0), Some(12.5), None, None]);

    // What the double was asked: the NRQL as a variable, the service in its string, warroom's
    // own SINCE/UNTIL/TIMESERIES after it.
    let requests = server.received_requests().await.unwrap();
    let nrql: Vec<String> = requests
        .iter()
        .map(body)
        .filter(|b| b["query"].as_str().unwrap().contains("nrql("))
        .map(|b| {
            assert!(!b["query"].as_str().unwrap().contains("SELECT"), "{b}");
            b["variables"]["nrql"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(!nrql.is_empty());
    for q in &nrql {
        assert!(
            q.starts_with("SELECT percentage(count(*), WHERE error IS true) FROM Transaction WHERE appName = 'checkout' SINCE "),
            "{q}"
        );
        assert!(q.contains(" UNTIL ") && q.contains(" TIMESERIES "), "{q}");
    }
    assert!(
        nrql.iter().any(|q| q.ends_with("TIMESERIES 30 seconds")),
        "the history at the sparkline's step: {nrql:?}"
    );

    // `warroom blast`: checkout degraded by the NRQL value.
    let url = server.uri();
    let blast: Value = tokio::task::spawn_blocking(move || {
        let s = setup(&nr::config(&url, ""), &[("NR_TEST_KEY", KEY)]);
        std::fs::write(s.config.parent().unwrap().join("services.toml"), SERVICES).unwrap();
        let out = s.run(&["blast", &s.id, "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    })
    .await
    .unwrap();
    let checkout = &blast["services"][0];
    assert_eq!(
        (&checkout["name"], &checkout["state"]),
        (&json!("checkout"), &json!("degraded")),
        "{blast:#}"
    );
    assert_eq!(checkout["key_metric"]["value"], 12.5, "{blast:#}");
    assert_conforms(&server, &schema()).await;
}

#[test]
fn a_service_name_is_escaped_inside_the_nrql_string() {
    let services = SERVICES.replace("name = \"checkout\"", "name = \"shop's\\\\api\"");
    let catalog =
        warroom::config::parse_services(std::path::Path::new("services.toml"), &services).unwrap();
    let warroom::domain::MetricQuery::Nrql(q) = &catalog.services[0].metrics[0].query else {
        panic!("an NRQL query expected");
    };
    assert!(q.ends_with(r"WHERE appName = 'shop\'s\\api'"), "{q}");
    // And warroom's own clauses are refused in the configured text.
    let e = warroom::config::parse_services(
        std::path::Path::new("services.toml"),
        &SERVICES.replace("'{service}'", "'{service}' TIMESERIES"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("nrql has TIMESERIES"), "{e}");
}

#[test]
fn a_new_relic_source_offers_acknowledge_and_nothing_else() {
    // What the console's alert details offer (`a`) and `warroom write-back` accepts.
    let s = source("http://127.0.0.1:9", &[]);
    assert_eq!(s.write_backs(), [warroom::domain::WriteBack::Acknowledge]);
    // Nor does the key show when the source is printed for debugging.
    let shown = format!("{s:?}");
    assert!(
        shown.contains("newrelic") && !shown.contains(KEY),
        "{shown}"
    );
}

#[test]
fn a_runbook_verify_in_nrql_fills_its_parameters_escaped() {
    let runbook = warroom::actions::parse_runbook(
        std::path::Path::new("runbook.toml"),
        "[[action]]\nname = \"drain\"\nkind = \"exec\"\nargv = [\"true\"]\n\
         verify = { nrql = \"SELECT count(*) FROM TransactionError WHERE appName = '{service}'\", expect = \"< 1\" }\n\
         [[action.param]]\nname = \"service\"\nchoices = [\"checkout\", \"x' OR appName LIKE '%\"]\n",
    )
    .unwrap();
    let spec = runbook.get("drain").unwrap().verify.as_ref().unwrap();
    let params = BTreeMap::from([("service".to_string(), "x' OR appName LIKE '%".to_string())]);
    assert_eq!(
        warroom::actions::verify::fill(spec, &params),
        warroom::domain::MetricQuery::Nrql(
            r"SELECT count(*) FROM TransactionError WHERE appName = 'x\' OR appName LIKE \'%'"
                .into()
        ),
        "the value stays inside its string"
    );
}

#[tokio::test]
async fn a_long_range_asks_for_no_more_buckets_than_nrql_gives() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(answer(nr::timeseries("count", 240, &[])))
        .mount(&server)
        .await;
    let now = chrono::Utc::now();
    let points = client(&server.uri(), &[])
        .timeseries(
            "SELECT count(*) FROM Transaction",
            now - chrono::Duration::hours(24),
            now,
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(points.is_empty());
    let asked = body(&server.received_requests().await.unwrap()[0]);
    let nrql = asked["variables"]["nrql"].as_str().unwrap();
    // 24 hours in at most 360 buckets: 240 s each, not the 2,880 of 30 s NRQL would refuse.
    assert!(nrql.ends_with(" TIMESERIES 240 seconds"), "{nrql}");
    assert!(
        nrql.contains(&format!(
            " SINCE {} UNTIL {} ",
            (now - chrono::Duration::hours(24)).timestamp_millis(),
            now.timestamp_millis()
        )),
        "{nrql}"
    );
    assert_conforms(&server, &schema()).await;
}

#[tokio::test]
async fn the_console_offers_acknowledge_on_an_issue_and_hands_it_to_the_loop() {
    use crossterm::event::KeyCode;
    use support::console::{at, key, leading, press, screen, type_text};
    use warroom::console::action::Effect;
    use warroom::domain::{AlertBoard, WriteBack};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(answer(nr::issues_page(
            vec![nr::issue(
                "iss-42",
                "Checkout error rate > 5%",
                "CRITICAL",
                &["checkout-prod"],
            )],
            None,
        )))
        .mount(&server)
        .await;
    let src = source(&server.uri(), &[("checkout-prod", "checkout")]);
    let alerts = src.fetch(&AlertFilter::default()).await.unwrap();
    // As the console sets itself up from its sources.
    let mut s = leading();
    let mut board = AlertBoard::with_sources(["newrelic"]);
    board.report_ok("newrelic", alerts, at(11, 50));
    s.set_board(board);
    s.write_backs = [(src.name().to_string(), src.write_backs().to_vec())].into();
    press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Enter)]);
    let shown = screen(&mut s, 100, 30);
    assert!(shown.contains("Checkout error rate > 5%"), "{shown}");
    assert!(
        shown.contains("a acknowledge") && !shown.contains("c comment"),
        "{shown}"
    );
    press(&mut s, vec![key(KeyCode::Char('a'))]);
    type_text(&mut s, ", payments on it");
    press(&mut s, vec![key(KeyCode::Enter)]);
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    match fx.as_slice() {
        [
            Effect::WriteBack {
                sources,
                alert,
                kind,
                ..
            },
        ] => {
            assert_eq!(sources, &vec!["newrelic".to_string()]);
            assert_eq!(alert.annotations.get("newrelic_issue"), Some("iss-42"));
            assert_eq!(*kind, WriteBack::Acknowledge);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unset_key_variable_is_a_broken_source_saying_which() {
    let config = warroom::config::Config::parse(
        std::path::Path::new("config.toml"),
        "[[newrelic]]\naccount_id = 3141592\napi_key_env = \"NR_KEY_NOBODY_SETS\"\n",
    )
    .unwrap();
    let client = http_client().unwrap();
    let sources = warroom::backends::sources_from_config(&config, &client, Duration::from_secs(1));
    match sources.as_slice() {
        [AlertSource::Broken { name, reason }] => {
            assert_eq!(name, "newrelic");
            assert_eq!(
                reason,
                "newrelic: environment variable NR_KEY_NOBODY_SETS is not set"
            );
        }
        other => panic!("{other:?}"),
    }
    let (readers, problems) = MetricReaders::from_config(&config, &client, Duration::from_secs(1));
    assert!(readers.is_empty());
    assert_eq!(
        problems,
        ["newrelic: environment variable NR_KEY_NOBODY_SETS is not set"]
    );
}
