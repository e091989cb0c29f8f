//! Helpers for the share tests: a leader's data directory with incidents and tokens, the real
//! share server started in this process on a loopback port (and stopped on demand), and a
//! raw HTTP client for requests a well-behaved client would never send.
#![allow(dead_code)] // each test file uses its own subset

use chrono::Utc;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use warroom::domain::{Event, NoteKind, Severity};
use warroom::journal::{FileStore, Journal};
use warroom::share::{server, tokens};

/// A leader's data directory: incidents are created and written straight into the journal,
/// as the console or the CLI would.
pub struct Leader {
    pub dir: tempfile::TempDir,
    pub store: FileStore,
}

impl Leader {
    /// The data directory is `<temp>/data`, so a test can put files beside it that an
    /// escaping path would reach (`incidents/../../x` is `<temp>/x`).
    pub fn new() -> Leader {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = FileStore::new(dir.path().join("data"));
        Leader { dir, store }
    }

    /// Opens an incident; its ID.
    pub fn open(&self, title: &str, severity: Severity) -> String {
        let journal = self
            .store
            .create("alice", Utc::now(), title, severity, None)
            .expect("create incident");
        journal.id().to_string()
    }

    pub fn incident_dir(&self, id: &str) -> PathBuf {
        self.store.incidents_dir().join(id)
    }

    /// Issues (or rotates) the incident's share token.
    pub fn share(&self, id: &str) -> String {
        tokens::issue(&self.incident_dir(id), "alice", Utc::now()).expect("issue token")
    }

    pub fn revoke(&self, id: &str) {
        assert!(tokens::revoke(&self.incident_dir(id)).expect("revoke"));
    }

    pub fn append(&self, id: &str, event: Event) {
        let mut journal = self.store.open(id).expect("open journal");
        journal
            .append("alice", Utc::now(), event)
            .expect("append event");
    }

    pub fn note(&self, id: &str, text: &str) {
        self.append(
            id,
            Event::Note {
                kind: NoteKind::Observation,
                text: text.to_string(),
            },
        );
    }

    /// Appends `n` notes `"{prefix} {i}"` through one journal handle (as a console does),
    /// calling `each(i)` after each commit.
    pub fn notes(&self, id: &str, n: u32, prefix: &str, mut each: impl FnMut(u32)) {
        let mut journal = self.store.open(id).expect("open journal");
        for i in 0..n {
            journal
                .append(
                    "alice",
                    Utc::now(),
                    Event::Note {
                        kind: NoteKind::Observation,
                        text: format!("{prefix} {i}"),
                    },
                )
                .expect("append note");
            each(i);
        }
    }

    /// The journal's lines, exactly as written.
    pub fn lines(&self, id: &str) -> Vec<String> {
        let journal = self.store.open(id).expect("open journal");
        journal
            .records()
            .iter()
            .map(|r| r.line().to_string())
            .collect()
    }
}

/// The real share server, serving in a task of this test's runtime until stopped.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Serves `store` on `addr` (`127.0.0.1:0` for any free port).
    pub async fn start(store: &FileStore, addr: &str) -> Running {
        // Re-binding a port just let go of may briefly fail; try for a few seconds.
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    eprintln!("bind {addr}: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot bind {addr}: {e}"),
            }
        };
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let hub = server::Hub::new(std::sync::Arc::new(store.clone()), store.data_dir());
        let task = tokio::spawn(server::serve(listener, hub, async {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn events_url(&self, id: &str) -> String {
        format!("http://{}/v1/incidents/{id}/events", self.addr)
    }

    /// Stops it and waits until every connection it had is closed.
    pub async fn stop(mut self) {
        self.halt().await;
    }

    async fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let ended = tokio::time::timeout(Duration::from_secs(10), task).await;
            let result = ended.expect("the server stops within 10 s");
            result.expect("server task").expect("server result");
        }
    }

    /// True while the server task has not ended (it never should on its own).
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A client for the well-formed requests.
pub fn client() -> reqwest::Client {
    warroom::backends::http_client().expect("http client")
}

/// What came back on a raw connection: the status (if a status line arrived) and the text.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: Option<u16>,
    pub text: String,
}

/// Sends `request` as is on a new connection and reads the answer until the server closes it
/// or `within` passes.
pub async fn raw(addr: SocketAddr, request: &[u8], within: Duration) -> RawAnswer {
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The server may answer and close before it has read everything (a head that is too
    // large): a failed write is part of the answer, not a test failure.
    let _ = conn.write_all(request).await;
    let mut got = Vec::new();
    let _ = tokio::time::timeout(within, async {
        let mut buf = [0u8; 8192];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&got).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok());
    RawAnswer { status, text }
}

/// A GET of `path` with `Connection: close` and optional extra header lines.
pub fn get(path: &str, headers: &[&str]) -> Vec<u8> {
    let mut r = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// One Server-Sent Event as the tests read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sse {
    pub id: Option<String>,
    pub kind: String,
    pub data: String,
}

/// Reads SSE blocks from a streaming response body.
pub struct SseReader {
    resp: reqwest::Response,
    buf: String,
}

impl SseReader {
    pub fn new(resp: reqwest::Response) -> SseReader {
        SseReader {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (comments skipped), `None` when the stream ends, panics after `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(cut) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..cut + 2).collect();
                let mut ev = Sse {
                    id: None,
                    kind: "message".into(),
                    data: String::new(),
                };
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        ev.id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        ev.kind = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                    }
                }
                if data.is_empty() && ev.id.is_none() {
                    continue; // a keep-alive comment
                }
                ev.data = data.join("\n");
                return Some(ev);
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .unwrap_or_else(|_| panic!("no event within {within:?}"));
            match chunk {
                Ok(Some(bytes)) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(None) | Err(_) => return None,
            }
        }
    }
}
