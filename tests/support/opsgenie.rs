//! OpsGenie (Alert API v2) and Jira Service Management operations: the two dialects as the
//! tests' doubles speak them (paths, credentials, envelopes, answers checked against the
//! vendored specs tests/fixtures/specs/opsgenie and …/jsm), shared by the alert source's tests
//! and the on-call ones.
#![allow(dead_code)]

use super::spec::Spec;
use serde_json::{Value, json};
use std::time::Duration;
use warroom::backends::AlertSource;
use warroom::backends::http::RetryPolicy;
use warroom::backends::http_client;
use warroom::backends::opsgenie::{Dialect, FollowPolicy, OpsGenie};
use warroom::config::OpsGenieAuth;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const KEY: &str = "eb243592-faa2-4ba2-a551q-1afdf565c889";
pub const EMAIL: &str = "ops@example.com";
pub const TOKEN: &str = "ATATT3xFfGF0-jsm-token-x9";
pub const CLOUD: &str = "8f1c2a6e-22b4-4f0e-9d1c-3b5e7a9c0d11";

/// One of the two APIs: where its paths are, how it authenticates, its envelopes.
#[derive(Clone, Copy, Debug)]
pub enum Api {
    OpsGenie,
    Jsm,
}

pub const BOTH: [Api; 2] = [Api::OpsGenie, Api::Jsm];

impl Api {
    pub fn spec(self) -> Spec {
        match self {
            Api::OpsGenie => Spec::load("opsgenie/alert.json"),
            Api::Jsm => Spec::load("jsm/alerts.json"),
        }
    }

    pub fn prefix(self) -> String {
        match self {
            Api::OpsGenie => "/v2/alerts".into(),
            Api::Jsm => format!("/jsm/ops/api/{CLOUD}/v1/alerts"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Api::OpsGenie => "opsgenie",
            Api::Jsm => "jsm",
        }
    }

    pub fn auth_header(self) -> String {
        match self {
            Api::OpsGenie => format!("GenieKey {KEY}"),
            Api::Jsm => {
                use base64_helper::encode;
                format!("Basic {}", encode(format!("{EMAIL}:{TOKEN}").as_bytes()))
            }
        }
    }

    pub fn secret(self) -> &'static str {
        match self {
            Api::OpsGenie => KEY,
            Api::Jsm => TOKEN,
        }
    }

    pub fn client(self, server: &MockServer) -> OpsGenie {
        let (dialect, auth) = match self {
            Api::OpsGenie => (Dialect::OpsGenie, OpsGenieAuth::GenieKey(KEY.into())),
            Api::Jsm => (
                Dialect::Jsm {
                    cloud_id: CLOUD.into(),
                },
                OpsGenieAuth::Basic {
                    email: EMAIL.into(),
                    token: TOKEN.into(),
                },
            ),
        };
        OpsGenie::new(
            http_client().unwrap(),
            &server.uri(),
            dialect,
            &auth,
            Duration::from_secs(5),
        )
        .unwrap()
        .with_retry(RetryPolicy {
            tries: 2,
            max_wait: Duration::from_secs(2),
        })
        .with_follow(FollowPolicy {
            looks: 3,
            every: Duration::from_millis(20),
        })
    }

    pub fn source(self, server: &MockServer) -> AlertSource {
        AlertSource::OpsGenie {
            name: self.name().into(),
            client: Box::new(self.client(server)),
        }
    }

    /// A list answer with `items`, saying a next page exists when `more`.
    pub fn page(self, items: Vec<Value>, more: bool) -> Value {
        let next = if more { "https://next-page" } else { "" };
        match self {
            Api::OpsGenie => {
                let mut paging = json!({"first": "https://first"});
                if more {
                    paging["next"] = json!(next);
                }
                json!({"data": items, "paging": paging, "took": 0.605, "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9"})
            }
            Api::Jsm => {
                json!({"values": items, "count": items.len(), "links": {"next": next}})
            }
        }
    }

    /// The 202 answer to a write.
    pub fn accepted(self, request_id: &str) -> Value {
        json!({"result": "Request will be processed", "took": 0.107, "requestId": request_id})
    }

    /// A request's status, processed, `ok` or not, saying `status`.
    pub fn status(self, action: &str, ok: bool, status: &str) -> Value {
        let s = json!({"action": action, "processedAt": "2026-12-05T02:00:01.000Z",
            "integrationId": "c9cec2cb-e782-4ebb-bc1d-1b2fa703cf03", "isSuccess": ok,
            "status": status, "alertId": "a-7", "alias": "event_7"});
        match self {
            Api::OpsGenie => {
                json!({"data": s, "took": 0.022, "requestId": "ec7e1d8e-1c75-442e-a271-731070a7fa4d"})
            }
            Api::Jsm => s,
        }
    }
}

/// Standard base64 for the expected basic header (the client has its own).
pub mod base64_helper {
    pub fn encode(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in bytes.chunks(3) {
            let b = |i: usize| u32::from(c.get(i).copied().unwrap_or(0));
            let n = (b(0) << 16) | (b(1) << 8) | b(2);
            for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                out.push(if k <= c.len() {
                    A[((n >> shift) & 63) as usize] as char
                } else {
                    '='
                });
            }
        }
        out
    }
}

/// An alert as both APIs list it.
pub fn item(n: usize, priority: &str, tags: &[&str]) -> Value {
    json!({
        "id": format!("a-{n}"), "tinyId": n.to_string(), "alias": format!("event_{n}"),
        "message": format!("alert number {n}"), "status": "open", "acknowledged": false,
        "isSeen": false, "tags": tags, "snoozed": false, "count": 1,
        "lastOccurredAt": "2026-12-05T01:50:00.000Z", "createdAt": "2026-12-05T01:50:00.000Z",
        "updatedAt": "2026-12-05T01:50:00.000Z", "source": "prometheus", "owner": "",
        "priority": priority,
        "responders": [{"type": "team", "id": "8418d193-2dab-4490-b331-8c02cdd196b7"}]
    })
}

/// `body` as the answer with `status` to `verb p`, checked first to be what the spec says
/// such an answer is.
pub fn reply(
    spec: &Spec,
    api: Api,
    verb: &str,
    p: &str,
    status: u16,
    body: Value,
) -> ResponseTemplate {
    spec.check_response(verb, p, status, &body)
        .unwrap_or_else(|e| panic!("{api:?}: the double's own answer is wrong: {e}"));
    ResponseTemplate::new(status).set_body_json(body)
}

/// `verb p` with the API's credentials.
pub fn given(api: Api, verb: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(p))
        .and(header("authorization", api.auth_header().as_str()))
}

/// The variable the on-call configs name for the key or token.
pub const KEY_ENV: &str = "OG_TEST_KEY";

/// OpsGenie's schedule by name; JSM's by id.
pub const SCHEDULE_NAME: &str = "Payments_Schedule";
pub const SCHEDULE_ID: &str = "d8751a44-9b4e-4219-a803-0c26936d18de";

impl Api {
    /// An `[[opsgenie]]` entry for this API at `url`, payments on call through its schedule.
    pub fn oncall_config(self, url: &str) -> String {
        match self {
            Api::OpsGenie => format!(
                "[[opsgenie]]\napi_key_env = \"{KEY_ENV}\"\nurl = \"{url}\"\n\
                 oncall_schedules = {{ payments = \"{SCHEDULE_NAME}\" }}\n"
            ),
            Api::Jsm => format!(
                "[[opsgenie]]\napi = \"jsm\"\ncloud_id = \"{CLOUD}\"\nemail = \"{EMAIL}\"\n\
                 api_token_env = \"{KEY_ENV}\"\nurl = \"{url}\"\n\
                 oncall_schedules = {{ payments = \"{SCHEDULE_ID}\" }}\n"
            ),
        }
    }

    /// `{KEY_ENV}` set to the key or token.
    pub fn env(self) -> [(&'static str, &'static str); 1] {
        [(KEY_ENV, self.secret())]
    }

    /// Where the payments schedule's on-calls are.
    pub fn oncalls_path(self) -> String {
        match self {
            Api::OpsGenie => format!("/v2/schedules/{SCHEDULE_NAME}/on-calls"),
            Api::Jsm => format!("/jsm/ops/api/{CLOUD}/v1/schedules/{SCHEDULE_ID}/on-calls"),
        }
    }

    /// The on-calls answer with `participants` (`flat=false`).
    pub fn oncalls(self, participants: Value) -> Value {
        match self {
            Api::OpsGenie => json!({
                "data": {
                    "_parent": {"id": "c7b8e1f2-3a4b-4c5d-8e9f-0a1b2c3d4e5f", "name": SCHEDULE_NAME, "enabled": true},
                    "onCallParticipants": participants
                },
                "took": 0.011, "requestId": "3ce33f53-69be-4b92-8d34-a1df0efe642e"
            }),
            Api::Jsm => json!({"onCallParticipants": participants}),
        }
    }

    /// A user on call: OpsGenie names them by username, JSM by account id alone.
    pub fn user(self, id: &str, username: &str) -> Value {
        match self {
            Api::OpsGenie => json!({"id": id, "name": username, "type": "user"}),
            Api::Jsm => json!({"id": id, "type": "user"}),
        }
    }

    /// An escalation whose own on-call is `inner`.
    pub fn escalation(self, inner: Vec<Value>) -> Value {
        let mut v = json!({"id": "7a24e9d7-7a4f-4f86-a1df-21ca9c3112ac", "type": "escalation", "onCallParticipants": inner});
        if let Api::OpsGenie = self {
            v["name"] = json!("Payments_Escalation");
        }
        v
    }
}
