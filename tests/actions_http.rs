//! `http` actions against a real HTTP/1.1 server on loopback (std `TcpListener`): the method,
//! path, headers and JSON body arrive as the runbook says, with parameters escaped as JSON
//! strings and secrets from the environment; the expected status decides success; a wrong
//! status, a silent server and a closed port each end the run as they should.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use warroom::actions::{Cancel, OutputLine, RunResult, execute};
use warroom::domain::ActionOutcome;

/// One request as the server read it.
#[derive(Debug, Clone, Default)]
struct Seen {
    request_line: String,
    headers: BTreeMap<String, String>,
    body: String,
}

/// Answers every request with `status` and `reply` (or, with `status` 0, never answers).
struct FlagService {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FlagService {
    fn start(status: u16, reply: &'static str) -> FlagService {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut s = Seen::default();
                let _ = reader.read_line(&mut s.request_line);
                s.request_line = s.request_line.trim_end().to_string();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        s.headers
                            .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let length: usize = s
                    .headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                s.body = String::from_utf8_lossy(&body).into_owned();
                log.lock().unwrap().push(s);
                if status == 0 {
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_secs(30));
                        drop(stream);
                    });
                    continue;
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        FlagService { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn action(body: &str) -> warroom::actions::CompensatingAction {
    let text = format!("[[action]]\nname = \"flag-off\"\nkind = \"http\"\n{body}");
    let rb = warroom::actions::parse_runbook(Path::new("runbook.toml"), &text)
        .unwrap_or_else(|e| panic!("runbook: {e}\n{text}"));
    rb.actions.into_iter().next().unwrap()
}

async fn run(
    a: &warroom::actions::CompensatingAction,
    params: &[(&str, &str)],
    env: &[(&str, &str)],
) -> (RunResult, Vec<OutputLine>) {
    let p: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let prepared = a.prepare(&p, &|v| env.get(v).cloned()).unwrap();
    let client = warroom::backends::http_client().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let r = execute(&prepared, Some(&client), tx, Cancel::never()).await;
    let mut lines = Vec::new();
    while let Ok(l) = rx.try_recv() {
        lines.push(l);
    }
    (r, lines)
}

fn unleash_style(url: &str, expect: &str) -> warroom::actions::CompensatingAction {
    action(&format!(
        r#"method = "POST"
url = "{url}/api/admin/projects/default/features/{{flag}}/environments/production/off"
headers = {{ Authorization = "${{UNLEASH_TOKEN}}", X-Reason = "incident {{flag}}" }}
body = '{{"reason": "{{reason}}", "by": "warroom", "tags": ["{{flag}}"]}}'
timeout = "3s"
{expect}
[[action.param]]
name = "flag"
pattern = "[a-z0-9-]+"
[[action.param]]
name = "reason"
pattern = ".+"
"#
    ))
}

#[tokio::test]
async fn the_request_carries_the_body_template_headers_and_secret_and_the_status_decides() {
    let flags = FlagService::start(201, "{\"feature\":\"checkout-v2\",\"enabled\":false}");
    let a = unleash_style(&flags.url, "expect_status = 201");
    let reason = "5xx on \"checkout\" \\ since 09:58 — INC-1 {flag} ${UNLEASH_TOKEN}";
    let (r, lines) = run(
        &a,
        &[("flag", "checkout-v2"), ("reason", reason)],
        &[("UNLEASH_TOKEN", "user:abc123secret")],
    )
    .await;
    assert_eq!(r.outcome, ActionOutcome::Succeeded, "{lines:?}");
    assert_eq!(r.http_status, Some(201));
    let seen = flags.seen();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(
        s.request_line,
        "POST /api/admin/projects/default/features/checkout-v2/environments/production/off HTTP/1.1"
    );
    assert_eq!(s.headers["authorization"], "user:abc123secret");
    assert_eq!(s.headers["x-reason"], "incident checkout-v2");
    assert_eq!(s.headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_str(&s.body).expect("the body is JSON");
    assert_eq!(
        body,
        serde_json::json!({"reason": reason, "by": "warroom", "tags": ["checkout-v2"]})
    );
    // The answer is shown; the token is not.
    let shown: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert!(
        shown.contains(&"{\"feature\":\"checkout-v2\",\"enabled\":false}"),
        "{shown:?}"
    );
    assert!(!r.output_tail.contains("abc123secret"));
}

#[tokio::test]
async fn a_status_other_than_the_expected_one_is_a_failure() {
    let flags = FlagService::start(500, "flag store unavailable");
    let a = unleash_style(&flags.url, "");
    let (r, lines) = run(
        &a,
        &[("flag", "checkout-v2"), ("reason", "x")],
        &[("UNLEASH_TOKEN", "user:0f1e2d3c")],
    )
    .await;
    assert_eq!(r.outcome, ActionOutcome::Failed);
    assert_eq!(r.http_status, Some(500));
    let last = &lines.last().unwrap().text;
    assert!(last.starts_with("HTTP 500"), "{last}");
    assert!(last.contains("expected 2xx"), "{last}");

    // 200 is a success by default, but not when the runbook asks for 202.
    let ok = FlagService::start(200, "");
    let a = unleash_style(&ok.url, "expect_status = [202, 204]");
    let (r, _) = run(
        &a,
        &[("flag", "checkout-v2"), ("reason", "x")],
        &[("UNLEASH_TOKEN", "user:0f1e2d3c")],
    )
    .await;
    assert_eq!(
        (r.outcome, r.http_status),
        (ActionOutcome::Failed, Some(200))
    );
    let a = unleash_style(&ok.url, "");
    let (r, _) = run(
        &a,
        &[("flag", "checkout-v2"), ("reason", "x")],
        &[("UNLEASH_TOKEN", "user:0f1e2d3c")],
    )
    .await;
    assert_eq!(r.outcome, ActionOutcome::Succeeded);
}

#[tokio::test]
async fn a_silent_flag_service_times_out_and_a_closed_port_fails() {
    let silent = FlagService::start(0, "");
    let a = action(&format!("url = \"{}/off\"\ntimeout = \"1s\"\n", silent.url));
    let started = std::time::Instant::now();
    let (r, lines) = run(&a, &[], &[]).await;
    assert_eq!(r.outcome, ActionOutcome::TimedOut, "{lines:?}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let a = action(&format!("url = \"http://127.0.0.1:{port}/off\"\n"));
    let (r, lines) = run(&a, &[], &[]).await;
    assert_eq!(r.outcome, ActionOutcome::Failed);
    assert_eq!(r.http_status, None);
    assert!(
        lines.iter().any(|l| l.text.contains("connection refused")),
        "{lines:?}"
    );
}

/// The request `warroom run` shows before it sends (and records) is the request the server
/// gets: a parameter in the URL's path and query arrives as one literal value whatever it
/// holds, and one that would make a path segment `.` or `..` (which every URL parser resolves
/// away, sending the request elsewhere) is refused before anything is sent.
#[test]
fn the_url_shown_is_the_request_line_the_server_receives_whatever_the_parameter() {
    let server = FlagService::start(200, "ok");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("runbook.toml"),
        format!(
            "[[action]]\nname = \"echo\"\nkind = \"http\"\nmethod = \"POST\"\n\
             url = \"{}/echo/{{x}}/end?q={{x}}\"\n[[action.param]]\nname = \"x\"\npattern = \".+\"\n",
            server.url
        ),
    )
    .unwrap();
    let id = crate::common::open_incident(&data, "alice", "URLs", "sev3");
    let send = |value: &str| {
        crate::common::run({
            let mut c = crate::common::warroom(&data, "alice");
            c.env("WARROOM_CONFIG", conf.join("config.toml"))
                .args(["run", &id, "echo", "--yes", "--param"])
                .arg(format!("x={value}"));
            c
        })
    };
    for value in [
        "/",
        "?",
        "#",
        "%",
        "a b",
        "ünï 日本",
        "../..",
        "%2e%2e",
        ".%2E",
        "x/../y",
        "...",
        ".a",
        "a.",
    ] {
        let ran = send(value);
        assert_eq!(ran.code, Some(0), "{value:?}: {}", ran.stderr);
        let shown = ran
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("echo: POST "))
            .unwrap_or_else(|| panic!("{value:?}: no command shown:\n{}", ran.stdout));
        let path = shown
            .strip_prefix(server.url.as_str())
            .unwrap_or_else(|| panic!("{value:?}: {shown} is not on {}", server.url));
        let got = server.seen().last().unwrap().request_line.clone();
        assert_eq!(
            got,
            format!("POST {path} HTTP/1.1"),
            "{value:?}: shown {shown}"
        );
        assert!(
            path.starts_with("/echo/") && path.contains("/end?q="),
            "{path}"
        );
    }
    let before = server.seen().len();
    for value in [".", ".."] {
        let ran = send(value);
        assert_eq!(ran.code, Some(2), "{value:?}: {}{}", ran.stdout, ran.stderr);
        assert!(
            ran.stderr.contains("parameter x") && ran.stderr.contains("path segment"),
            "{value:?}: {}",
            ran.stderr
        );
    }
    assert_eq!(server.seen().len(), before, "a refused run sent nothing");
}
