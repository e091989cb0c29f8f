//! The stakeholder page in a real browser: headless Chromium opens
//! `http://127.0.0.1:PORT/#INC-1:TOKEN` from the real share server, and the page must show
//! the incident (title, severity) and follow it live (a status update posted by the leader
//! appears without a reload).
//!
//! The page is read through the DevTools protocol: Chromium listens on a port it picks
//! (written to `DevToolsActivePort` in its profile directory), and the test evaluates
//! `document.body.innerText` over a WebSocket.
//!
//! Chromium must be installed (`.ci/run` installs Debian's `chromium`). Without it the test
//! prints a loud SKIPPED line and passes — except under `CI=true`, where it fails.

use crate::share_common;
use crate::support;

use share_common::{Leader, Running};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use warroom::domain::{Event, Severity};

const DEADLINE: Duration = Duration::from_secs(30);

/// Chromium in its own process group, killed with all its children on drop.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    port: u16,
}

impl Browser {
    fn launch(binary: &Path, url: &str) -> Browser {
        use std::os::unix::process::CommandExt;
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut browser = Browser {
            child,
            _profile: profile,
            port: 0,
        };
        // Chromium writes the port it listens on to <profile>/DevToolsActivePort.
        let file = browser._profile.path().join("DevToolsActivePort");
        let until = Instant::now() + DEADLINE;
        browser.port = loop {
            if let Some(port) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
            {
                break port;
            }
            if let Ok(Some(status)) = browser.child.try_wait() {
                let mut err = String::new();
                if let Some(e) = browser.child.stderr.as_mut() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("chromium exited ({status}) before listening:\n{err}");
            }
            assert!(
                Instant::now() < until,
                "chromium did not start within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        browser
    }

    /// The DevTools WebSocket of the page showing `url_start`.
    fn page_socket(&self, url_start: &str) -> String {
        let until = Instant::now() + DEADLINE;
        loop {
            let list = http_get(self.port, "/json/list");
            let targets: serde_json::Value =
                serde_json::from_str(&list).unwrap_or(serde_json::Value::Null);
            if let Some(ws) = targets.as_array().and_then(|ts| {
                ts.iter().find_map(|t| {
                    (t["type"] == "page"
                        && t["url"].as_str().is_some_and(|u| u.starts_with(url_start)))
                    .then(|| t["webSocketDebuggerUrl"].as_str().map(str::to_string))
                    .flatten()
                })
            }) {
                return ws;
            }
            assert!(
                Instant::now() < until,
                "no page target for {url_start}: {list}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: the browser, its zygote, renderers and GPU process.
        let pgid = self.child.id() as i32;
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// A plain HTTP GET on loopback (the DevTools JSON endpoints).
fn http_get(port: u16, path: &str) -> String {
    use std::io::Write;
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// One DevTools session on a page.
struct Page {
    ws: tungstenite::WebSocket<std::net::TcpStream>,
    next_id: u64,
}

impl Page {
    fn connect(ws_url: &str) -> Page {
        let addr = ws_url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .expect("a ws:// URL");
        let stream = std::net::TcpStream::connect(addr).expect("connect to DevTools");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (ws, _) = tungstenite::client(ws_url, stream).expect("DevTools handshake");
        Page { ws, next_id: 1 }
    }

    /// Evaluates `expression` in the page; its value as a string.
    fn eval(&mut self, expression: &str) -> String {
        let id = self.next_id;
        self.next_id += 1;
        let msg = serde_json::json!({
            "id": id,
            "method": "Runtime.evaluate",
            "params": { "expression": expression, "returnByValue": true },
        });
        self.ws
            .send(tungstenite::Message::text(msg.to_string()))
            .expect("send to DevTools");
        // Events may come first; at most 1,000 messages before our answer.
        for _ in 0..1_000 {
            let got = self.ws.read().expect("read from DevTools");
            let tungstenite::Message::Text(text) = got else {
                continue;
            };
            let v: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
            if v["id"] == id {
                return v["result"]["result"]["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
            }
        }
        panic!("no answer from DevTools to {expression}");
    }

    /// Polls the page's text until `want` holds; returns it, or fails showing it.
    fn wait_text(&mut self, what: &str, want: impl Fn(&str) -> bool) -> (String, Duration) {
        let started = Instant::now();
        loop {
            let text = self.eval("document.body ? document.body.innerText : ''");
            if want(&text) {
                return (text, started.elapsed());
            }
            assert!(
                started.elapsed() < DEADLINE,
                "waited {DEADLINE:?} for {what}; the page shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn the_stakeholder_page_shows_the_incident_and_follows_it_live_in_chromium() {
    let Some(chromium) = support::servers::require(
        "chromium (Debian package chromium)",
        &["chromium", "chromium-browser", "google-chrome"],
    ) else {
        return;
    };
    let leader = Leader::new();
    let id = leader.open("Checkout 500s for EU shoppers", Severity::Sev1);
    leader.note(&id, "5xx on /checkout since 08:58");
    let token = leader.share(&id);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(Running::start(&leader.store, "127.0.0.1:0"));
    let base = server.url();
    let url = format!("{base}/#{id}:{token}");

    let browser = Browser::launch(&chromium, &url);
    let mut page = Page::connect(&browser.page_socket(&base));
    let (text, took) = page.wait_text("the incident's title, severity and live link", |t| {
        t.contains("Checkout 500s for EU shoppers") && t.contains("SEV1") && t.contains("live")
    });
    eprintln!("the page showed the incident {took:?} after DevTools attached");
    assert!(text.contains("5xx on /checkout since 08:58"), "{text}");
    assert!(text.contains("No status update yet"), "{text}");

    // The leader posts a status update and raises nothing else: the page shows it live.
    let update = "Conditions: 30% of EU checkouts fail. Actions: rolling back pricing v42.";
    let posted = Instant::now();
    leader.append(
        &id,
        Event::StatusUpdate {
            text: update.to_string(),
        },
    );
    let (text, _) = page.wait_text("the status update", |t| t.contains(update));
    eprintln!(
        "the status update showed on the page {:?} after it was appended",
        posted.elapsed()
    );
    assert!(!text.contains("No status update yet"), "{text}");

    // A severity change re-colours the header.
    leader.append(
        &id,
        Event::SeverityChanged {
            from: Severity::Sev1,
            to: Severity::Sev2,
        },
    );
    page.wait_text("the new severity", |t| t.contains("SEV2"));

    // Revoked: the page says so, and stops.
    leader.revoke(&id);
    page.wait_text("the revocation", |t| t.contains("access revoked"));

    // The token never reached the server in a URL: the page asked for it in the fragment.
    let requested =
        page.eval("performance.getEntriesByType('resource').map(e => e.name).join(' ')");
    assert!(
        !requested.contains(&token),
        "the token left in a URL: {requested}"
    );
    drop(browser);
    runtime.block_on(server.stop());
}
