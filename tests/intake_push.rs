//! Alerts pushed to `warroom serve` at `/v1/intake/{source}`: what each kind of sender posts
//! lands on the board `warroom alerts --json` shows, marked with its source, and resolves;
//! a wrong or missing secret gets 401 and records nothing; a 10 MB body gets 413 without
//! being read; malformed JSON gets 400 saying why; a source past its rate gets 429 with
//! Retry-After.

use crate::support;

use std::io::{Read, Write};
use std::time::Duration;
use support::intake::Serve;

const SECRET: &str = "s3cret-intake-token-0123456789";
const WRONG: &str = "s3cret-intake-token-0123456788";

fn serve() -> Serve {
    Serve::start(
        r#"
[[intake]]
name = "am"
kind = "alertmanager"
secret_env = "TEST_INTAKE_SECRET"

[[intake]]
name = "gf"
kind = "grafana"
secret_env = "TEST_INTAKE_SECRET"

[[intake]]
name = "hooks"
kind = "json"
secret_env = "TEST_INTAKE_SECRET"
fields = { alerts = "/events", name = "/title", labels = "/tags", status = "/state", fingerprint = "/id" }

[[intake]]
name = "slow"
kind = "alertmanager"
secret_env = "TEST_INTAKE_SECRET"
rate = 3
"#,
        &[("TEST_INTAKE_SECRET", SECRET)],
    )
}

fn am_body(status: &str, service: &str) -> serde_json::Value {
    let ends = if status == "resolved" {
        chrono::Utc::now().to_rfc3339()
    } else {
        "0001-01-01T00:00:00Z".into()
    };
    serde_json::json!({
        "version": "4", "groupKey": "{}:{service=\"x\"}", "truncatedAlerts": 0, "status": status,
        "receiver": "warroom", "groupLabels": {"service": service}, "commonLabels": {},
        "commonAnnotations": {}, "externalURL": "http://am.example:9093",
        "alerts": [{"status": status, "labels": {"alertname": "HighErrorRate", "service": service},
            "annotations": {"summary": format!("{service} 5xx above 5%")},
            "startsAt": "2026-01-01T10:00:00Z", "endsAt": ends,
            "generatorURL": "http://prometheus.example/graph", "fingerprint": format!("fp-{service}")}]
    })
}

async fn post(
    url: &str,
    auth: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, String, reqwest::header::HeaderMap) {
    let mut req = warroom::backends::http_client()
        .expect("http client")
        .post(url)
        .header("content-type", "application/json")
        .timeout(Duration::from_secs(10))
        .body(body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = req.send().await.expect("post");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.text().await.unwrap_or_default(), headers)
}

/// Waits (up to 10 s) until `warroom alerts --json` lists exactly `want` (sorted).
async fn board_shows(s: &Serve, want: &[&str]) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let alerts = s.alerts();
        let mut names = s.alert_names();
        names.sort();
        if names == want {
            return alerts;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the board shows {names:?}, not {want:?}: {alerts}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_alerts_join_the_board_marked_with_their_source_and_resolve() {
    let s = serve();
    let bearer = format!("Bearer {SECRET}");
    let (status, body, _) = post(
        &format!("{}/v1/intake/am", s.url),
        Some(&bearer),
        am_body("firing", "checkout").to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Grafana's webhook contact point, with basic auth as Grafana can send it.
    let grafana = serde_json::json!({
        "receiver": "warroom", "status": "firing", "orgId": 1,
        "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "grafana_folder": "infra"},
            "annotations": {"summary": "disk 95%"}, "startsAt": "2026-01-01T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://grafana/alerting/grafana/x/view",
            "fingerprint": "57c6d9296de2ad39", "silenceURL": "http://grafana/alerting/silence/new",
            "dashboardURL": "", "panelURL": "", "values": {"A": 95}, "valueString": "[ var='A' value=95 ]"}],
        "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://grafana/", "version": "1", "groupKey": "{}:{alertname=\"DiskFull\"}",
        "truncatedAlerts": 0, "title": "[FIRING:1] DiskFull", "state": "alerting", "message": "..."
    });
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("grafana:{SECRET}"))
    );
    let (status, body, _) = post(
        &format!("{}/v1/intake/gf", s.url),
        Some(&basic),
        grafana.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Generic JSON, the secret in the query string.
    let hooks = r#"{"events":[{"id":"e1","title":"QueueBacklog","state":"open","tags":{"service":"billing"}}]}"#;
    let (status, body, _) = post(
        &format!("{}/v1/intake/hooks?secret={SECRET}", s.url),
        None,
        hooks,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let board = board_shows(&s, &["DiskFull", "HighErrorRate", "QueueBacklog"]).await;
    let by_name = |n: &str| {
        board["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["labels"]["alertname"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        by_name("HighErrorRate")["sources"],
        serde_json::json!(["am"])
    );
    assert_eq!(by_name("DiskFull")["sources"], serde_json::json!(["gf"]));
    assert_eq!(
        by_name("DiskFull")["annotations"]["value"],
        "[ var='A' value=95 ]"
    );
    assert_eq!(
        by_name("QueueBacklog")["sources"],
        serde_json::json!(["hooks"])
    );

    // Resolved by the sender: it leaves the board.
    let (status, _, _) = post(
        &format!("{}/v1/intake/am", s.url),
        Some(&bearer),
        am_body("resolved", "checkout").to_string(),
    )
    .await;
    assert_eq!(status, 200);
    let closed = r#"{"events":[{"id":"e1","title":"QueueBacklog","state":"resolved"}]}"#;
    let (status, _, _) = post(&format!("{}/v1/intake/hooks", s.url), Some(&bearer), closed).await;
    assert_eq!(status, 200);
    board_shows(&s, &["DiskFull"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_secret_gets_401_and_records_nothing() {
    let s = serve();
    let url = format!("{}/v1/intake/am", s.url);
    let body = am_body("firing", "checkout").to_string();
    for auth in [
        None,
        Some(format!("Bearer {WRONG}")),
        Some("Bearer ".to_string()),
        Some("Basic !!!".to_string()),
    ] {
        let (status, text, headers) = post(&url, auth.as_deref(), body.clone()).await;
        assert_eq!(status, 401, "{auth:?}: {text}");
        assert_eq!(
            headers.get("www-authenticate").map(|v| v.to_str().unwrap()),
            Some("Bearer")
        );
        assert!(!text.contains(SECRET));
    }
    let (status, _, _) = post(&format!("{url}?secret={WRONG}"), None, body.clone()).await;
    assert_eq!(status, 401);
    // A source nobody configured.
    let (status, _, _) = post(
        &format!("{}/v1/intake/nope", s.url),
        Some(&format!("Bearer {SECRET}")),
        body,
    )
    .await;
    assert_eq!(status, 404);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!s.spool("am").exists(), "a refused push was written down");
    assert_eq!(s.alert_names(), Vec::<String>::new());
}

/// Sends a request head declaring `declared` bytes (or chunked when `None`), then up to 10 MB
/// of body while the server reads, and returns the status line the server answered with.
fn raw_big_post(addr: &str, declared: Option<usize>) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let length = match declared {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_string(),
    };
    write!(
        s,
        "POST /v1/intake/am HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {SECRET}\r\nContent-Type: application/json\r\n{length}\r\n"
    )
    .unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0usize;
    while sent < 10 * 1024 * 1024 {
        let ok = match declared {
            Some(_) => s.write_all(&chunk).is_ok(),
            None => {
                write!(s, "{:x}\r\n", chunk.len()).is_ok()
                    && s.write_all(&chunk).is_ok()
                    && s.write_all(b"\r\n").is_ok()
            }
        };
        if !ok {
            break; // the server stopped reading: it has answered
        }
        sent += chunk.len();
    }
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    text.lines().next().unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_gets_413_and_malformed_json_400_with_the_reason() {
    let s = serve();
    let addr = s.addr.clone();
    let (declared, chunked) = tokio::task::spawn_blocking(move || {
        (
            raw_big_post(&addr, Some(10 * 1024 * 1024)),
            raw_big_post(&addr, None),
        )
    })
    .await
    .unwrap();
    assert!(declared.contains(" 413 "), "declared 10 MB: {declared:?}");
    assert!(chunked.contains(" 413 "), "chunked 10 MB: {chunked:?}");

    let bearer = format!("Bearer {SECRET}");
    let url = format!("{}/v1/intake/am", s.url);
    let (status, text, _) = post(
        &url,
        Some(&bearer),
        r#"{"version":"4","alerts":[{"status":"firing""#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        text.starts_with("malformed JSON: EOF while parsing"),
        "{text}"
    );
    let (status, text, _) = post(&url, Some(&bearer), r#"{"version":"4"}"#).await;
    assert_eq!(status, 400);
    assert!(text.contains("missing field `alerts`"), "{text}");
    let (status, text, _) = post(&url, Some(&bearer), r#"{"version":"3","alerts":[]}"#).await;
    assert_eq!(status, 400);
    assert!(text.contains("version 3 is not 4"), "{text}");
    let (status, text, _) = post(
        &format!("{}/v1/intake/hooks", s.url),
        Some(&bearer),
        r#"{"events":[{"state":"open"}]}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(text.trim(), "alert 0: no name at /title (fields.name)");
    assert!(!s.spool("am").exists() && !s.spool("hooks").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_past_its_rate_gets_429_with_retry_after() {
    let s = serve();
    let bearer = format!("Bearer {SECRET}");
    let url = format!("{}/v1/intake/slow", s.url);
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..6 {
        let (status, _, headers) = post(
            &url,
            Some(&bearer),
            am_body("firing", "checkout").to_string(),
        )
        .await;
        statuses.push(status);
        if status == 429 {
            retry = headers
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    assert_eq!(retry.as_deref(), Some("1"));
    // Other sources keep their own rate.
    let (status, _, _) = post(
        &format!("{}/v1/intake/am", s.url),
        Some(&bearer),
        am_body("firing", "cart").to_string(),
    )
    .await;
    assert_eq!(status, 200);
}
