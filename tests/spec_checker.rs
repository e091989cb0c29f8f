//! The request-conformance checker (tests/support/spec.rs) that holds every HTTP double to the
//! vendor's published API description: real requests sent over loopback to a double, checked
//! against a small OpenAPI 3 and Swagger 2 self-test spec and against the vendored PagerDuty
//! REST spec. Right requests pass; each kind of wrong request is rejected, naming the problem.

use crate::support;

use serde_json::{Value, json};
use support::spec::{Spec, assert_conforms};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A double that answers 200 to anything, so the checker alone judges the requests.
async fn double() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

/// Sends one request over loopback and returns it as the double received it.
async fn send(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> wiremock::Request {
    let server = double().await;
    let client = warroom::backends::http_client().unwrap();
    let mut rb = client.request(
        method.parse().unwrap(),
        format!("{}{path_and_query}", server.uri()),
    );
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    rb.send().await.unwrap();
    let mut got = server.received_requests().await.unwrap();
    assert_eq!(got.len(), 1);
    got.remove(0)
}

fn passes(spec: &Spec, req: &wiremock::Request) {
    if let Err(e) = spec.check(req) {
        panic!("{} {} should conform: {e}", req.method, req.url);
    }
}

/// The request is rejected, and the message says each of `needles`.
fn rejected(spec: &Spec, req: &wiremock::Request, needles: &[&str]) {
    let err = spec
        .check(req)
        .expect_err(&format!("{} {} should be rejected", req.method, req.url));
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in: {err}");
    }
    assert!(
        err.starts_with(&format!("{} {}", req.method, req.url.path())),
        "the message names the method and path: {err}"
    );
}

const BEARER: (&str, &str) = ("authorization", "Bearer t0ken");
const ACCEPT: (&str, &str) = ("accept", "application/json");

fn item(v: Value) -> String {
    v.to_string()
}

#[tokio::test]
async fn openapi3_right_requests_pass() {
    let spec = Spec::load("selftest/openapi3.json");
    let get = send(
        "GET",
        "/api/v1/items?state=open&limit=5&tags[]=a&tags[]=b&ids=1,2",
        &[BEARER, ACCEPT],
        None,
    )
    .await;
    passes(&spec, &get);
    let body = item(json!({
        "name": "disk",
        "priority": null,
        "targets": [{"user": {"id": "U1", "type": "user_reference"}}, {"email": "a@example.com"}],
        "urgency": 2
    }));
    let post = send(
        "POST",
        "/api/v1/items",
        &[("x-api-key", "k"), ACCEPT, ("from", "ic@example.com")],
        Some(&body),
    )
    .await;
    passes(&spec, &post);
    // A literal segment wins over a template: /items/count needs no credentials, /items/{id} does.
    passes(&spec, &send("GET", "/api/v1/items/count", &[], None).await);
    passes(
        &spec,
        &send("GET", "/api/v1/items/I%2F1", &[BEARER, ACCEPT], None).await,
    );
    passes(
        &spec,
        &send("PUT", "/api/v1/items/7/weight", &[BEARER], Some("1.5")).await,
    );
}

#[tokio::test]
async fn openapi3_wrong_paths_and_methods_are_rejected() {
    let spec = Spec::load("selftest/openapi3.json");
    rejected(
        &spec,
        &send("GET", "/api/v1/itemz?state=open", &[BEARER, ACCEPT], None).await,
        &["no path in the spec matches it"],
    );
    // The servers' base path is part of the address.
    rejected(
        &spec,
        &send("GET", "/items?state=open", &[BEARER, ACCEPT], None).await,
        &["no path in the spec matches it", "/api/v1"],
    );
    rejected(
        &spec,
        &send("PATCH", "/api/v1/items/I1", &[BEARER, ACCEPT], None).await,
        &["method PATCH is not allowed on /items/{id} (the spec has GET, DELETE)"],
    );
    rejected(
        &spec,
        &send("PUT", "/api/v1/items/seven/weight", &[BEARER], Some("1.5")).await,
        &["path parameter `id` `seven` is not of type integer"],
    );
}

#[tokio::test]
async fn openapi3_parameters_are_held_to_their_schemas() {
    let spec = Spec::load("selftest/openapi3.json");
    let get = |q: &'static str| send("GET", q, &[BEARER, ACCEPT], None);
    rejected(
        &spec,
        &get("/api/v1/items?state=pending").await,
        &["\"pending\" is not one of [\"open\",\"closed\"] at query parameter `state`"],
    );
    rejected(
        &spec,
        &get("/api/v1/items?state=open&limit=ten").await,
        &["query parameter `limit` `ten` is not of type integer"],
    );
    rejected(
        &spec,
        &get("/api/v1/items?state=open&tags[]=a&tags[]=z").await,
        &["\"z\" is not one of [\"a\",\"b\"] at query parameter `tags[]`[1]"],
    );
    rejected(
        &spec,
        &get("/api/v1/items?state=open&ids=1,x").await,
        &["query parameter `ids` `x` is not of type integer"],
    );
    rejected(
        &spec,
        &get("/api/v1/items?limit=5").await,
        &["required query parameter `state` is missing"],
    );
    rejected(
        &spec,
        &get("/api/v1/items?state=open&page=2").await,
        &["query parameter `page` is not declared by GET /items"],
    );
    rejected(
        &spec,
        &send("GET", "/api/v1/items?state=open", &[BEARER], None).await,
        &["\"*/*\" is not one of [\"application/json\"] at header `Accept`"],
    );
    let body = item(json!({"name": "disk", "targets": []}));
    rejected(
        &spec,
        &send("POST", "/api/v1/items", &[BEARER, ACCEPT], Some(&body)).await,
        &["required header `From` is missing"],
    );
}

#[tokio::test]
async fn openapi3_credentials_are_required_where_the_spec_asks() {
    let spec = Spec::load("selftest/openapi3.json");
    rejected(
        &spec,
        &send("GET", "/api/v1/items?state=open", &[ACCEPT], None).await,
        &[
            "the authentication the operation requires is missing",
            "bearer",
            "`X-Api-Key` header",
        ],
    );
    rejected(
        &spec,
        &send(
            "GET",
            "/api/v1/items?state=open",
            &[ACCEPT, ("authorization", "Basic YTpi")],
            None,
        )
        .await,
        &["the authentication the operation requires is missing"],
    );
    // DELETE asks for the key alone: a bearer token is not enough.
    rejected(
        &spec,
        &send("DELETE", "/api/v1/items/I1", &[BEARER], None).await,
        &["key (the `X-Api-Key` header)"],
    );
    passes(
        &spec,
        &send("DELETE", "/api/v1/items/I1", &[("x-api-key", "k")], None).await,
    );
}

#[tokio::test]
async fn openapi3_bodies_are_validated_with_the_offending_pointer() {
    let spec = Spec::load("selftest/openapi3.json");
    let post = |b: Value| async move {
        let body = b.to_string();
        send(
            "POST",
            "/api/v1/items",
            &[BEARER, ACCEPT, ("from", "ic@example.com")],
            Some(&body),
        )
        .await
    };
    rejected(
        &spec,
        &post(json!({"name": "disk"})).await,
        &["required property `targets` is missing at body#"],
    );
    rejected(
        &spec,
        &post(json!({"name": "disk", "targets": [], "priority": "high"})).await,
        &["string \"high\" is not of type integer at body#/priority"],
    );
    rejected(
        &spec,
        &post(json!({"name": "disk", "targets": [], "colour": "red"})).await,
        &["property `colour` is not allowed at body#"],
    );
    rejected(
        &spec,
        &post(json!({"name": "a very long name", "targets": []})).await,
        &["16 characters, longer than maxLength 10 at body#/name"],
    );
    rejected(
        &spec,
        &post(json!({"name": "d", "targets": [{"email": "a"}, {"email": "b"}, {"email": "c"}]}))
            .await,
        &["3 items, more than maxItems 2 at body#/targets"],
    );
    rejected(
        &spec,
        &post(json!({"name": "d", "targets": [{"user": {"id": "U1", "type": "robot"}}]})).await,
        &[
            "matches none of the 2 oneOf alternatives at body#/targets/0",
            "\"robot\" is not one of [\"user_reference\",\"team_reference\"] at body#/targets/0/user/type",
        ],
    );
    rejected(
        &spec,
        &post(json!({"name": "d", "targets": [], "urgency": true})).await,
        &["matches none of the 2 anyOf alternatives at body#/urgency"],
    );
    rejected(
        &spec,
        &send(
            "POST",
            "/api/v1/items",
            &[BEARER, ACCEPT, ("from", "x")],
            Some("{\"name\":"),
        )
        .await,
        &["the body is not JSON"],
    );
    rejected(
        &spec,
        &send("GET", "/api/v1/items/count", &[], Some("{}")).await,
        &["GET /items/count takes no request body, but one was sent"],
    );
    rejected(
        &spec,
        &send(
            "POST",
            "/api/v1/items",
            &[BEARER, ACCEPT, ("from", "x")],
            None,
        )
        .await,
        &["the required request body is missing"],
    );
}

#[tokio::test]
async fn swagger2_requests_are_held_to_their_parameters_and_body() {
    let spec = Spec::load("selftest/swagger2.json");
    let key = ("authorization", "GenieKey abc");
    passes(
        &spec,
        &send(
            "GET",
            "/v2/alerts?query=status%3Aopen&limit=20&order=asc&fields=id,message",
            &[key],
            None,
        )
        .await,
    );
    let note = item(json!({"note": "rolled back", "user": "alice", "source": null}));
    passes(
        &spec,
        &send(
            "POST",
            "/v2/alerts/abc/notes?identifierType=alias",
            &[key],
            Some(&note),
        )
        .await,
    );
    rejected(
        &spec,
        &send("GET", "/v2/alerts?fields=id,colour", &[key], None).await,
        &["\"colour\" is not one of [\"id\",\"message\"] at query parameter `fields`[1]"],
    );
    rejected(
        &spec,
        &send("GET", "/v2/alerts?sort=createdAt", &[key], None).await,
        &["query parameter `sort` is not declared"],
    );
    rejected(
        &spec,
        &send("GET", "/v2/alerts", &[], None).await,
        &["GenieKey (the `Authorization` header)"],
    );
    rejected(
        &spec,
        &send("DELETE", "/v2/alerts", &[key], None).await,
        &["method DELETE is not allowed on /alerts (the spec has GET)"],
    );
    rejected(
        &spec,
        &send(
            "POST",
            "/v2/alerts/abc/notes",
            &[key],
            Some("{\"user\":\"alice\"}"),
        )
        .await,
        &["required property `note` is missing at body#"],
    );
    let long = item(json!({"note": "x".repeat(26)}));
    rejected(
        &spec,
        &send(
            "POST",
            "/v2/alerts/abc/notes?identifierType=name",
            &[key],
            Some(&long),
        )
        .await,
        &[
            "\"name\" is not one of [\"id\",\"alias\",\"tiny\"] at query parameter `identifierType`",
            "26 characters, longer than maxLength 25 at body#/note",
        ],
    );
}

const PD_TOKEN: (&str, &str) = ("authorization", "Token token=u+testtoken");
const PD_ACCEPT: (&str, &str) = ("accept", "application/vnd.pagerduty+json;version=2");
const PD_FROM: (&str, &str) = ("from", "ic@example.com");

#[tokio::test]
async fn the_pagerduty_spec_passes_right_requests_and_rejects_wrong_ones() {
    let spec = Spec::load("pagerduty/rest.json");
    let list = "/incidents?service_ids%5B%5D=PSVC001&statuses%5B%5D=triggered&statuses%5B%5D=acknowledged&limit=100&offset=0";
    passes(
        &spec,
        &send("GET", list, &[PD_TOKEN, PD_ACCEPT], None).await,
    );
    let ack = item(
        json!({"incidents": [{"id": "PINC001", "type": "incident_reference", "status": "acknowledged"}]}),
    );
    passes(
        &spec,
        &send(
            "PUT",
            "/incidents",
            &[PD_TOKEN, PD_ACCEPT, PD_FROM],
            Some(&ack),
        )
        .await,
    );
    let page = item(json!({
        "requester_id": "PL1JMK5",
        "message": "Please join the bridge",
        "responder_request_targets": [{"responder_request_target": {"id": "PJ25ZYX", "type": "user_reference"}}]
    }));
    passes(
        &spec,
        &send(
            "POST",
            "/incidents/PT4KHLK/responder_requests",
            &[PD_TOKEN, PD_ACCEPT, PD_FROM],
            Some(&page),
        )
        .await,
    );

    rejected(
        &spec,
        &send("GET", "/incident?limit=100", &[PD_TOKEN, PD_ACCEPT], None).await,
        &["no path in the spec matches it"],
    );
    rejected(
        &spec,
        &send("DELETE", "/incidents/PT4KHLK", &[PD_TOKEN, PD_ACCEPT], None).await,
        &["method DELETE is not allowed on /incidents/{id} (the spec has GET, PUT)"],
    );
    rejected(
        &spec,
        &send(
            "POST",
            "/incidents/PT4KHLK/notes",
            &[PD_TOKEN, PD_ACCEPT, PD_FROM],
            Some("{\"note\":{}}"),
        )
        .await,
        &["required property `content` is missing at body#/note"],
    );
    let closed = item(
        json!({"incidents": [{"id": "PINC001", "type": "incident_reference", "status": "closed"}]}),
    );
    rejected(
        &spec,
        &send(
            "PUT",
            "/incidents",
            &[PD_TOKEN, PD_ACCEPT, PD_FROM],
            Some(&closed),
        )
        .await,
        &[
            "\"closed\" is not one of [\"resolved\",\"acknowledged\",\"triggered\"] at body#/incidents/0/status",
        ],
    );
    rejected(
        &spec,
        &send("GET", "/incidents?limit=ten", &[PD_TOKEN, PD_ACCEPT], None).await,
        &["query parameter `limit` `ten` is not of type integer"],
    );
    rejected(
        &spec,
        &send("GET", "/incidents?state=open", &[PD_TOKEN, PD_ACCEPT], None).await,
        &["query parameter `state` is not declared by GET /incidents"],
    );
    rejected(
        &spec,
        &send("GET", "/incidents", &[PD_ACCEPT], None).await,
        &[
            "the authentication the operation requires is missing: api_key (the `Authorization` header)",
        ],
    );
    rejected(
        &spec,
        &send("PUT", "/incidents", &[PD_TOKEN, PD_ACCEPT], Some(&ack)).await,
        &["required header `From` is missing"],
    );
}

/// `assert_conforms` fails a test with every violation listed, and when nothing was sent.
#[tokio::test]
async fn assert_conforms_lists_every_violation_and_refuses_silence() {
    async fn panic_of(server: MockServer) -> String {
        let spec = Spec::load("pagerduty/rest.json");
        let outcome = tokio::spawn(async move { assert_conforms(&server, &spec).await }).await;
        match outcome {
            Ok(()) => String::new(),
            Err(e) => {
                let p = e.into_panic();
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            }
        }
    }
    let client = warroom::backends::http_client().unwrap();
    let server = double().await;
    for path in ["/incidents?limit=5", "/incidents?limit=five", "/nowhere"] {
        client
            .get(format!("{}{path}", server.uri()))
            .header(PD_TOKEN.0, PD_TOKEN.1)
            .header(PD_ACCEPT.0, PD_ACCEPT.1)
            .send()
            .await
            .unwrap();
    }
    let said = panic_of(server).await;
    assert!(said.contains("2 of 3 requests break the spec"), "{said}");
    assert!(
        said.contains("GET /incidents breaks pagerduty/rest.json"),
        "{said}"
    );
    assert!(said.contains("`five` is not of type integer"), "{said}");
    assert!(said.contains("GET /nowhere breaks"), "{said}");

    let said = panic_of(double().await).await;
    assert!(said.contains("no request reached the double"), "{said}");

    let server = double().await;
    client
        .get(format!("{}/incidents?limit=5", server.uri()))
        .header(PD_TOKEN.0, PD_TOKEN.1)
        .header(PD_ACCEPT.0, PD_ACCEPT.1)
        .send()
        .await
        .unwrap();
    assert_eq!(panic_of(server).await, "", "a conforming request passes");
}

/// The doubles' answers are held to the spec's response schemas, and its own examples fit them.
#[test]
fn answers_are_checked_against_the_response_schema() {
    let spec = Spec::load("pagerduty/rest.json");
    let example = spec
        .example("GET", "/oncalls", 200)
        .expect("the spec has an example");
    assert!(example["oncalls"].is_array(), "{example}");
    spec.check_response("GET", "/oncalls", 200, &example)
        .unwrap();
    let mut wrong = example.clone();
    wrong["oncalls"][0]["escalation_level"] = json!("first");
    let err = spec
        .check_response("GET", "/oncalls", 200, &wrong)
        .unwrap_err();
    assert!(
        err.contains(
            "string \"first\" is not of type integer at response#/oncalls/0/escalation_level"
        ),
        "{err}"
    );
    let err = spec
        .check_response("GET", "/oncalls", 200, &json!({"limit": 25}))
        .unwrap_err();
    assert!(
        err.contains("required property `oncalls` is missing at response#"),
        "{err}"
    );
    assert!(
        spec.check_response("GET", "/nowhere", 200, &json!({}))
            .unwrap_err()
            .contains("matches no path")
    );
}
