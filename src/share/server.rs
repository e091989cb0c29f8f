//! The share server: read-only, live views of incidents for responders and stakeholders.
//!
//! `GET /v1/incidents/{ID}/events` with `Authorization: Bearer TOKEN` streams the journal's
//! lines as Server-Sent Events (`id:` is the seq; resume with `?after=SEQ` or
//! `Last-Event-ID`), then new lines as they are committed, and `event: views` snapshots of the
//! alerts and blast radius that followers cannot compute themselves. `GET /` serves the
//! stakeholder page, which reads the token from the URL fragment (never sent to a server).
//!
//! Tokens are accepted only in the `Authorization` header, never in a query string (query
//! strings end up in logs and browser history). Missing token: 401. Wrong token, another
//! incident's token, or an incident that does not exist: the same 403, so nothing reveals
//! whether an incident exists. No route mutates anything; other methods get 405. A revoked or
//! rotated token ends the streams opened with it within a second.

use super::tokens;
use crate::journal::{FileStore, Journal, normalize_id};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, broadcast, watch};

/// How often a feed looks for lines appended to its journal.
const WATCH_EVERY: Duration = Duration::from_millis(50);
/// How often an open stream re-checks that its token is still the incident's.
const RECHECK_TOKEN_EVERY: Duration = Duration::from_millis(500);
/// Connections served at once; more wait in the kernel's accept queue.
const MAX_CONNECTIONS: usize = 1024;
/// Time allowed for a client to send its request headers (slow-loris guard).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head accepted.
const MAX_HEAD_BYTES: usize = 16 * 1024;

const PAGE: &str = include_str!("page.html");

/// What the server shares: the incidents of one data directory, and the latest derived views.
pub struct Hub {
    store: FileStore,
    feeds: Mutex<HashMap<String, Arc<Feed>>>,
    views: watch::Sender<Option<Arc<str>>>,
}

/// A journal line with its seq, shared by every stream that sends it.
type Line = (u64, Arc<str>);

/// One incident's journal, watched once for every follower.
struct Feed {
    lines: Mutex<Vec<Line>>,
    tx: broadcast::Sender<Line>,
}

impl Hub {
    pub fn new(store: FileStore) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            feeds: Mutex::new(HashMap::new()),
            views: watch::channel(None).0,
        })
    }

    /// Publishes the alerts and blast radius snapshot (JSON) to every follower.
    pub fn publish_views(&self, json: String) {
        let _ = self.views.send(Some(Arc::from(json)));
    }

    fn incident_dir(&self, id: &str) -> std::path::PathBuf {
        self.store.incidents_dir().join(id)
    }

    /// The feed of `id`, started on first use.
    fn feed(self: &Arc<Self>, id: &str) -> Result<Arc<Feed>, String> {
        let mut feeds = self
            .feeds
            .lock()
            .map_err(|_| "feed table poisoned".to_string())?;
        if let Some(f) = feeds.get(id) {
            return Ok(f.clone());
        }
        let mut journal = self.store.open(id).map_err(|e| e.to_string())?;
        let lines = journal
            .records()
            .iter()
            .map(|r| (r.entry.seq, Arc::<str>::from(r.line.as_str())))
            .collect();
        let feed = Arc::new(Feed {
            lines: Mutex::new(lines),
            tx: broadcast::channel(4096).0,
        });
        feeds.insert(id.to_string(), feed.clone());
        let watched = feed.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(WATCH_EVERY);
            loop {
                tick.tick().await;
                let before = journal.records().len();
                // The journal is read under its shared lock; a short blocking read.
                if journal.refresh().is_err() {
                    continue;
                }
                let _ = journal.take_warnings();
                let new: Vec<Line> = journal.records()[before..]
                    .iter()
                    .map(|r| (r.entry.seq, Arc::<str>::from(r.line.as_str())))
                    .collect();
                if new.is_empty() {
                    continue;
                }
                if let Ok(mut lines) = watched.lines.lock() {
                    for l in &new {
                        lines.push(l.clone());
                        let _ = watched.tx.send(l.clone());
                    }
                }
            }
        });
        Ok(feed)
    }

    /// Lines after `after`, and a receiver for the ones that follow, with no gap between.
    fn subscribe(feed: &Feed, after: u64) -> (Vec<Line>, broadcast::Receiver<Line>) {
        // Taken under the same lock the watcher appends under: nothing falls between.
        match feed.lines.lock() {
            Ok(lines) => {
                let rx = feed.tx.subscribe();
                let start = lines.partition_point(|(seq, _)| *seq <= after);
                (lines[start..].to_vec(), rx)
            }
            Err(_) => (Vec::new(), feed.tx.subscribe()),
        }
    }
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    after: Option<u64>,
}

pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .route("/v1/incidents/{id}/events", get(events))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(hub)
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(PAGE),
    )
        .into_response()
}

/// The incident's directory if `headers` carry its current token; else 401 or 403.
fn authorize(hub: &Hub, id: &str, headers: &HeaderMap) -> Result<(String, String), StatusCode> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let id = normalize_id(id).ok_or(StatusCode::FORBIDDEN)?;
    let record = tokens::load(&hub.incident_dir(&id));
    // Compare even when there is nothing to compare with, so both take about as long.
    let ok = match &record {
        Some(r) => tokens::accepts(r, token),
        None => {
            let _ = tokens::constant_time_eq(&tokens::digest(token), &[0; 32]);
            false
        }
    };
    if ok {
        Ok((id, token.to_string()))
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

async fn events(
    State(hub): State<Arc<Hub>>,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
) -> Response {
    let (id, token) = match authorize(&hub, &id, &headers) {
        Ok(x) => x,
        Err(code) => return code.into_response(),
    };
    let after = q.after.or_else(|| {
        headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    });
    let feed = match hub.feed(&id) {
        Ok(f) => f,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let (backlog, mut rx) = Hub::subscribe(&feed, after.unwrap_or(0));
    let mut views = hub.views.subscribe();
    let dir = hub.incident_dir(&id);
    let stream = async_stream(move |tx: tokio::sync::mpsc::Sender<Event>| async move {
        let mut last = after.unwrap_or(0);
        for (seq, line) in backlog {
            last = seq;
            if tx
                .send(
                    Event::default()
                        .id(seq.to_string())
                        .event("entry")
                        .data(&*line),
                )
                .await
                .is_err()
            {
                return;
            }
        }
        let current = views.borrow_and_update().clone();
        if let Some(v) = current
            && tx
                .send(Event::default().event("views").data(&*v))
                .await
                .is_err()
        {
            return;
        }
        let mut recheck = tokio::time::interval(RECHECK_TOKEN_EVERY);
        loop {
            tokio::select! {
                got = rx.recv() => match got {
                    Ok((seq, line)) if seq > last => {
                        last = seq;
                        if tx.send(Event::default().id(seq.to_string()).event("entry").data(&*line)).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    // Too slow to keep up: end; the follower resumes from its last seq.
                    Err(_) => return,
                },
                changed = views.changed() => {
                    if changed.is_err() { return; }
                    let v = views.borrow_and_update().clone();
                    if let Some(v) = v && tx.send(Event::default().event("views").data(&*v)).await.is_err() {
                        return;
                    }
                }
                _ = recheck.tick() => {
                    let still = tokens::load(&dir).is_some_and(|r| tokens::accepts(&r, &token));
                    if !still {
                        let _ = tx.send(Event::default().event("revoked").data("the share token was revoked or rotated")).await;
                        return;
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// A stream fed by a task: the task ends when the client goes away (the channel closes).
fn async_stream<F, Fut>(run: F) -> impl futures::Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Event>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    tokio::spawn(run(tx));
    futures::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
    )
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    hub: Arc<Hub>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let app = router(hub);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return Ok(());
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEAD_BYTES);
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
