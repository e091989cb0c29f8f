//! Posting status updates to chat: every outcome (delivered, refused, timed out, retried) is
//! journaled next to the update, and the update itself is never lost.

use crate::support;

use serde_json::Value;
use support::cli::Setup;
use support::receiver::{Receiver, Reply};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn setup(config: &str) -> Setup {
    support::cli::setup(config, &[])
}

fn deliveries(s: &Setup) -> Vec<Value> {
    s.of_type("update_delivered")
}

fn events(s: &Setup) -> Vec<Value> {
    s.events()
}

fn post(s: &Setup, text: &str) -> std::process::Output {
    // An unset SLACK_HOOK is what the url_env test is about.
    s.command()
        .env_remove("SLACK_HOOK")
        .args(["update", &s.id, text])
        .output()
        .unwrap()
}

#[test]
fn a_delivered_update_is_journaled_as_delivered() {
    let rx = Receiver::start(vec![Reply::Status(200, "ok")]);
    let s = setup(&format!(
        "[[webhook]]\nkind = \"json\"\nname = \"status-page\"\nurl = \"{}\"\n",
        rx.url
    ));
    let out = post(&s, "Conditions: recovering");
    assert!(out.status.success());
    let body: Value = serde_json::from_str(&rx.received()[0]).unwrap();
    assert_eq!(body["update"]["text"], "Conditions: recovering");
    assert_eq!(body["incident"]["id"], s.id.as_str());
    assert_eq!(body["incident"]["severity"], "sev1");
    let d = deliveries(&s);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["target"], "status-page");
    assert_eq!(d[0]["ok"], true);
    assert_eq!(d[0]["update_seq"], 2);
    assert_eq!(d[0]["attempts"], 1);
}

#[test]
fn a_server_error_is_retried_and_the_retry_is_journaled() {
    let rx = Receiver::start(vec![Reply::Status(500, "oops"), Reply::Status(200, "ok")]);
    let s = setup(&format!(
        "[[webhook]]\nkind = \"mattermost\"\nurl = \"{}\"\n",
        rx.url
    ));
    assert!(post(&s, "retry me").status.success());
    assert_eq!(rx.received().len(), 2);
    let d = deliveries(&s);
    assert_eq!(
        (d[0]["ok"].as_bool(), d[0]["attempts"].as_u64()),
        (Some(true), Some(2))
    );
    let body: Value = serde_json::from_str(&rx.received()[1]).unwrap();
    assert!(body["text"].as_str().unwrap().contains("retry me"));
}

#[test]
fn a_webhook_that_never_answers_times_out_and_the_update_stays() {
    let rx = Receiver::start(vec![Reply::Silence]);
    let s = setup(&format!(
        "[[webhook]]\nkind = \"json\"\nurl = \"{}\"\ntimeout = \"1s\"\nretries = 1\n",
        rx.url
    ));
    let out = post(&s, "still here");
    // Exit 1 tells a script the post failed; the update is recorded all the same.
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("NOT posted to json: no answer within 1s"),
        "{stderr}"
    );
    assert!(
        stderr.contains("update #2 is recorded in INC-1 but was NOT posted to json"),
        "{stderr}"
    );
    let ev = events(&s);
    assert!(
        ev.iter()
            .any(|e| e["type"] == "status_update" && e["text"] == "still here")
    );
    let d = deliveries(&s);
    assert_eq!(d[0]["ok"], false);
    assert_eq!(d[0]["attempts"], 2);
    assert_eq!(d[0]["detail"], "no answer within 1s");
}

#[test]
fn connection_refused_is_journaled_as_not_delivered() {
    // Bind and drop: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = setup(&format!(
        "[[webhook]]\nkind = \"slack\"\nurl = \"http://127.0.0.1:{port}/x\"\nretries = 0\n"
    ));
    assert_eq!(post(&s, "x").status.code(), Some(1));
    let d = deliveries(&s);
    assert_eq!(d[0]["ok"], false);
    assert_eq!(d[0]["detail"], "connection refused or unreachable");
}

#[test]
fn an_unset_url_variable_is_reported_not_crashed_on() {
    let s = setup("[[webhook]]\nkind = \"slack\"\nurl_env = \"SLACK_HOOK\"\n");
    let out = post(&s, "x");
    assert_eq!(out.status.code(), Some(1));
    let d = deliveries(&s);
    assert_eq!(d[0]["detail"], "environment variable SLACK_HOOK is not set");
}

async fn slack_says(status: u16, body: &'static str) -> (MockServer, Setup) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/x"))
        .respond_with(ResponseTemplate::new(status).set_body_string(body))
        .mount(&server)
        .await;
    let s = setup(&format!(
        "[[webhook]]\nkind = \"slack\"\nurl = \"{}/services/T0/B0/x\"\nretries = 2\n",
        server.uri()
    ));
    (server, s)
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_invalid_payload_is_final_at_once() {
    let (server, s) = slack_says(400, "invalid_payload").await;
    let out = tokio::task::spawn_blocking(move || (post(&s, "x"), s))
        .await
        .unwrap();
    let (out, s) = out;
    assert_eq!(out.status.code(), Some(1));
    let d = deliveries(&s);
    assert_eq!(d[0]["detail"], "HTTP 400: invalid_payload");
    assert_eq!(d[0]["attempts"], 1, "a refused payload is not retried");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_channel_not_found_is_reported() {
    let (_server, s) = slack_says(404, "channel_not_found").await;
    let (_, s) = tokio::task::spawn_blocking(move || (post(&s, "x"), s))
        .await
        .unwrap();
    assert_eq!(deliveries(&s)[0]["detail"], "HTTP 404: channel_not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_500_is_retried_then_reported() {
    let (server, s) = slack_says(500, "").await;
    let (_, s) = tokio::task::spawn_blocking(move || (post(&s, "x"), s))
        .await
        .unwrap();
    let d = deliveries(&s);
    assert_eq!(d[0]["detail"], "HTTP 500");
    assert_eq!(d[0]["attempts"], 3);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    // Slack's body is `{"text": …}` with the incident in bold first.
    let req = &server.received_requests().await.unwrap()[0];
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("*INC-1 SEV1 — Checkout 500s (investigating)*\nx")
    );
}

#[test]
fn emoji_ten_kilobytes_and_control_characters_arrive_as_valid_json_and_are_stored_intact() {
    let rx = Receiver::start(vec![Reply::Status(200, "ok")]);
    let s = setup(&format!(
        "[[webhook]]\nkind = \"json\"\nurl = \"{}\"\n",
        rx.url
    ));
    let mut text =
        String::from("🔥 checkout down — ünïcödé \"quoted\" \\ back\u{1}\u{7}\u{1b}[31m\ttab\r\n");
    while text.len() < 10 * 1024 {
        text.push_str("payments degraded; 🚒 rollback in progress. ");
    }
    // Through standard input, as a script would pipe a long update.
    let out = s
        .command()
        .args(["update", &s.id, "-"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_str(&rx.received()[0]).expect("the receiver got valid JSON");
    let stored = events(&s)
        .into_iter()
        .find(|e| e["type"] == "status_update")
        .unwrap();
    // Standard input loses only its trailing newlines; everything else is byte for byte.
    let expected = text.trim_end_matches('\n');
    assert_eq!(got["update"]["text"], expected);
    assert_eq!(stored["text"], expected);
    let verify = s.command().args(["verify", &s.id]).output().unwrap();
    assert!(verify.status.success());
}

#[test]
fn a_bad_webhook_config_is_refused_naming_the_line() {
    let s = setup("");
    std::fs::write(
        &s.config,
        "[status_updates]\nsev1 = \"5m\"\n\n[[webhook]]\nkind = \"teams\"\nurl = \"http://x\"\n",
    )
    .unwrap();
    let out = post(&s, "x");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:5:"), "{err}");
    assert!(err.contains("teams"), "{err}");
    assert_eq!(events(&s).len(), 1, "nothing recorded on a bad config");
}

/// A server that echoes back what it was sent, secrets included, in a 500's body — as some
/// proxies and frameworks do; it answers PagerDuty's `GET /incidents/PECHO01` so the incident
/// can be linked.
fn echo_server() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut auth = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if lower.starts_with("authorization:") {
                    auth = line["authorization:".len()..].trim().to_string();
                }
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            let request_line = request_line.trim_end();
            let (status, reply) = if request_line.starts_with("GET /incidents/PECHO01 ") {
                (
                    200,
                    serde_json::json!({
                        "incident": crate::support::pagerduty::incident("PECHO01", 7, "triggered")
                    })
                    .to_string(),
                )
            } else {
                (
                    500,
                    format!(
                        "no route for {request_line} (authorization {auth}) at {url_of}",
                        url_of = request_line.split(' ').nth(1).unwrap_or("")
                    ),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    url
}

/// A failed delivery's error text is journaled and shown, but never the secrets: not the
/// webhook URL from `url_env` (nor its path, nor its key), not the PagerDuty token, even when
/// the server echoes them back in its answer. Checked in stderr, the journal file, `warroom
/// log`, `log --json` and both exports.
#[test]
fn secrets_echoed_back_in_error_answers_are_redacted_everywhere() {
    let server = echo_server();
    let key = "XyZq8secretKey4Pq2Lm7Nv9Wb";
    let hook = format!("{server}/hooks/T0SEC1234/B0SEC5678/{key}");
    let token = "u+PdSecretToken-9Qx7Rz";
    let s = support::cli::setup(
        &format!(
            "[[webhook]]\nkind = \"slack\"\nname = \"ops-chat\"\nurl_env = \"WARROOM_TEST_HOOK\"\nretries = 0\n\
             [pagerduty]\ntoken_env = \"PD_ECHO_TOKEN\"\nfrom = \"ic@example.com\"\nurl = \"{server}\"\n"
        ),
        &[
            ("WARROOM_TEST_HOOK", hook.as_str()),
            ("PD_ECHO_TOKEN", token),
        ],
    );
    let link = s.run(&["pagerduty", "link", &s.id, "PECHO01"]);
    assert!(link.status.success(), "{}", support::cli::stderr(&link));
    let out = s.run(&["update", &s.id, "Mitigated: flag off"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = support::cli::stderr(&out);
    // The errors themselves are there (what the server said, minus the secrets).
    assert!(
        stderr.contains("NOT posted to ops-chat: HTTP 500"),
        "{stderr}"
    );
    assert!(
        stderr.contains("NOT posted to pagerduty:PECHO01"),
        "{stderr}"
    );
    assert!(stderr.contains("[redacted]"), "{stderr}");

    let secrets = [
        hook.as_str(),
        key,
        "T0SEC1234",
        "B0SEC5678",
        token,
        "PdSecretToken",
    ];
    let export_md = s.run(&["export", &s.id]);
    let export_json = s.run(&["export", &s.id, "--format", "json"]);
    let log = s.run(&["log", &s.id]);
    let log_json = s.run(&["log", &s.id, "--json"]);
    let journal =
        std::fs::read_to_string(s.data.join("incidents").join(&s.id).join("journal.jsonl"))
            .unwrap();
    let delivered = s.of_type("update_delivered");
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    for (what, text) in [
        ("stderr", stderr.clone()),
        ("the journal", journal),
        (
            "warroom log",
            String::from_utf8_lossy(&log.stdout).into_owned(),
        ),
        (
            "log --json",
            String::from_utf8_lossy(&log_json.stdout).into_owned(),
        ),
        (
            "the Markdown export",
            String::from_utf8_lossy(&export_md.stdout).into_owned(),
        ),
        (
            "the JSON export",
            String::from_utf8_lossy(&export_json.stdout).into_owned(),
        ),
    ] {
        assert!(!text.is_empty(), "{what} is empty");
        for secret in secrets {
            assert!(!text.contains(secret), "{what} holds {secret}:\n{text}");
        }
    }
}
