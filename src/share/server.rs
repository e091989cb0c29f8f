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
//! whether an incident exists. No route mutates an incident; other methods get 405, but for
//! `POST /v1/intake/{source}`, where alerts are pushed ([`crate::intake`]). A revoked or
//! rotated token ends the streams opened with it within a second. With `[share] tls_cert` and
//! `tls_key` every connection is TLS ([`super::tls`]). Stopping the server closes every
//! connection it accepted. docs/responders.md has the whole security model.

pub use super::feed::Hub;
use super::tokens;
use crate::journal::normalize_id;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Connections served at once, at most; fewer when the process's file limit is lower (see
/// [`connection_cap`]).
const MAX_CONNECTIONS: usize = 1024;
/// Descriptors kept free for everything but connections: the journals and share records the
/// server reads, the console's journal worker, pollers, actions.
const FD_HEADROOM: usize = 128;
/// Time allowed for a client to send its request headers (slow-loris guard).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head accepted.
const MAX_HEAD_BYTES: usize = 16 * 1024;

const PAGE: &str = include_str!("page.html");

/// This machine's directory for incident `id` in its data directory (the console keeps its
/// drafts there), whichever store holds the journal.
pub fn share_dir(data_dir: &std::path::Path, id: &str) -> std::path::PathBuf {
    crate::journal::FileStore::new(data_dir)
        .incidents_dir()
        .join(id)
}

/// The `views` a server sends when no console computes alerts or a blast radius for it:
/// followers say so instead of waiting for a view that will not come.
pub const NO_VIEWS: &str = r#"{"shared":false}"#;

#[derive(serde::Deserialize)]
struct EventsQuery {
    after: Option<u64>,
}

pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .route("/v1/incidents/{id}/events", get(events))
        .route("/v1/intake/{source}", axum::routing::post(intake))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(hub)
}

/// A push of alerts: [`crate::intake`] answers, or 404 when no `[[intake]]` is configured.
async fn intake(
    State(hub): State<Arc<Hub>>,
    Path(source): Path<String>,
    request: axum::extract::Request,
) -> Response {
    match hub.intake.get() {
        Some(intake) => intake.handle(&source, request).await,
        None => (StatusCode::NOT_FOUND, "no intake is configured here\n").into_response(),
    }
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

/// Why a request gets no stream. Each answer is the same whatever the incident: a 403 says
/// nothing about whether the incident exists.
enum Refused {
    /// No `Authorization: Bearer` header (a token elsewhere, such as the query string, is
    /// not looked at).
    NoToken,
    /// Wrong token, another incident's token, or no such incident.
    Forbidden,
    /// The share record could not be read just now: no verdict, try again.
    Unavailable,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::NoToken => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
            )
                .into_response(),
            Refused::Forbidden => StatusCode::FORBIDDEN.into_response(),
            Refused::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
            )
                .into_response(),
        }
    }
}

/// The token of an `Authorization: Bearer TOKEN` header (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// What a request may stream: the incident, the token it showed, and the share record.
struct Granted {
    id: String,
    token: String,
    record: tokens::ShareRecord,
}

/// The incident's ID and the token if `headers` carry its current token.
async fn authorize(hub: &Arc<Hub>, id: &str, headers: &HeaderMap) -> Result<Granted, Refused> {
    let token = bearer(headers).ok_or(Refused::NoToken)?;
    // Only a well-formed ID (`INC-<digits>`) ever becomes a path: `..`, slashes and the like
    // are refused here, before any file is looked at.
    let id = normalize_id(id).ok_or(Refused::Forbidden)?;
    let record = hub
        .share_record(&id)
        .await
        .map_err(|_| Refused::Unavailable)?;
    // Compare even when there is nothing to compare with, so both take about as long.
    let ok = match &record {
        Some(r) => tokens::accepts(r, token),
        None => {
            let _ = tokens::constant_time_eq(&tokens::digest(token), &[0; 32]);
            false
        }
    };
    match record {
        Some(record) if ok => Ok(Granted {
            id,
            token: token.to_string(),
            record,
        }),
        _ => Err(Refused::Forbidden),
    }
}

fn entry(seq: u64, line: &str) -> Event {
    Event::default()
        .id(seq.to_string())
        .event("entry")
        .data(line)
}

async fn events(
    State(hub): State<Arc<Hub>>,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
) -> Response {
    let Granted { id, token, record } = match authorize(&hub, &id, &headers).await {
        Ok(x) => x,
        Err(refused) => return refused.into_response(),
    };
    let after = q.after.or_else(|| {
        headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    });
    let feed = match hub.feed(&id, Some(record)).await {
        Ok(f) => f,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let (backlog, mut rx) = Hub::subscribe(&feed, after.unwrap_or(0));
    let mut views = hub.views.subscribe();
    // Seen as it is now: the token was just checked against the file itself, and the feed's
    // copy may be half a second older.
    let mut share = feed.share.subscribe();
    drop(feed);
    let stream = async_stream(move |tx: tokio::sync::mpsc::Sender<Event>| async move {
        let mut last = after.unwrap_or(0);
        for (seq, line) in backlog {
            last = seq;
            if tx.send(entry(seq, &line)).await.is_err() {
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
        loop {
            tokio::select! {
                got = rx.recv() => match got {
                    Ok((seq, line)) if seq > last => {
                        last = seq;
                        if tx.send(entry(seq, &line)).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    // Too slow to keep up, or the feed is gone: end; the follower resumes
                    // from its last seq.
                    Err(_) => return,
                },
                changed = views.changed() => {
                    if changed.is_err() { return; }
                    let v = views.borrow_and_update().clone();
                    if let Some(v) = v && tx.send(Event::default().event("views").data(&*v)).await.is_err() {
                        return;
                    }
                }
                changed = share.changed() => {
                    // The feed is gone: the server is stopping.
                    if changed.is_err() { return; }
                    let still = share.borrow_and_update().as_ref().is_some_and(|r| tokens::accepts(r, &token));
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

/// Listens where `[share]` says, with TLS when it names a certificate and key. Fails (saying
/// why, naming the setting) before anything is served; `Err(true, _)` is a configuration
/// problem (a certificate that does not read), `Err(false, _)` one of the machine. Relative
/// certificate paths are taken from `config_dir`, where config.toml is.
pub async fn bind(
    config: &crate::config::ShareConfig,
    config_dir: &std::path::Path,
) -> Result<(tokio::net::TcpListener, Option<tokio_rustls::TlsAcceptor>), (bool, String)> {
    let tls = super::tls::from_config(config, config_dir).map_err(|e| (true, e))?;
    let listen = config.listen.get_ref();
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        (
            false,
            format!("cannot listen on {listen} (share.listen): {e}"),
        )
    })?;
    Ok((listener, tls))
}

/// Serves plain HTTP until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    hub: Arc<Hub>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, hub, None, shutdown).await
}

/// How many connections may be open at once: [`MAX_CONNECTIONS`], or fewer so that, with
/// `in_use` descriptors already open, [`FD_HEADROOM`] stay free under the file `limit`.
/// The process must never run out: a share record or journal that cannot be opened would
/// look to its readers like damage, and the console could not record.
pub fn connection_cap(limit: Option<u64>, in_use: usize) -> usize {
    let Some(limit) = limit else {
        return MAX_CONNECTIONS;
    };
    let room = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_sub(in_use);
    let cap = if room >= 2 * FD_HEADROOM {
        room - FD_HEADROOM
    } else {
        room / 2
    };
    cap.clamp(1, MAX_CONNECTIONS)
}

/// A connection being served, oldest first.
struct Open {
    task: tokio::task::AbortHandle,
    /// True until the connection's first request head has arrived.
    waiting: Arc<AtomicBool>,
}

/// Serves until `shutdown` completes, over TLS when `tls` is given. When it returns, every
/// connection it accepted is closed (open streams end; followers resume elsewhere or later).
///
/// Connections are counted against the process's file limit ([`connection_cap`]). When the
/// table is full, a new connection takes the place of the oldest one that has not yet sent a
/// request head (a slow client's); when every connection is serving a request, the new one is
/// closed at once. Streams already open are never closed to make room.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    hub: Arc<Hub>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let app = router(hub);
    let cap = connection_cap(
        crate::fds::soft_limit(),
        crate::fds::open_count().unwrap_or(0),
    );
    let mut open: std::collections::VecDeque<Open> = std::collections::VecDeque::new();
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // Forget connections that ended, so the set holds only live ones.
        while connections.try_join_next().is_some() {}
        open.retain(|c| !c.task.is_finished());
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            _ = &mut shutdown => break,
        };
        if open.len() >= cap {
            match open.iter().position(|c| c.waiting.load(Ordering::Relaxed)) {
                Some(i) => {
                    if let Some(oldest) = open.remove(i) {
                        oldest.task.abort();
                    }
                }
                None => {
                    drop(stream);
                    continue;
                }
            }
        }
        // Entries are small writes that must leave at once, not wait for an ACK.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        let waiting = Arc::new(AtomicBool::new(true));
        let headed = waiting.clone();
        let task = connections.spawn(async move {
            match tls {
                None => connection(stream, app, headed).await,
                Some(acceptor) => {
                    // The handshake gets no more time than a request head.
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await
                    {
                        connection(stream, app, headed).await;
                    }
                }
            }
        });
        open.push_back(Open { task, waiting });
    }
    // Stopping: close every connection (their streams end with them).
    connections.shutdown().await;
    Ok(())
}

/// One HTTP/1.1 connection, with the slow-client and head-size limits.
/// `waiting` is cleared when the first request head has arrived.
async fn connection<S>(stream: S, app: Router, waiting: Arc<AtomicBool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use hyper_util::rt::{TokioIo, TokioTimer};
    let service = Headed {
        inner: hyper_util::service::TowerToHyperService::new(app),
        waiting,
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES);
    let _ = http.serve_connection(TokioIo::new(stream), service).await;
}

/// A connection's service that notes when a request head has arrived.
struct Headed<S> {
    inner: S,
    waiting: Arc<AtomicBool>,
}

impl<S: hyper::service::Service<R>, R> hyper::service::Service<R> for Headed<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn call(&self, req: R) -> Self::Future {
        self.waiting.store(false, Ordering::Relaxed);
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::FileStore;

    #[test]
    fn views_published_before_anyone_follows_are_kept_for_the_first_follower() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::new(Arc::new(FileStore::new(dir.path())), dir.path());
        hub.publish_views(NO_VIEWS.to_string());
        let first = hub.views.subscribe().borrow().clone();
        assert_eq!(first.as_deref(), Some(NO_VIEWS));
    }

    #[test]
    fn connections_leave_room_under_the_file_limit() {
        // A common default, 1,024, with 20 descriptors in use: 128 stay free.
        assert_eq!(connection_cap(Some(1024), 20), 1024 - 20 - FD_HEADROOM);
        // A high limit: the fixed maximum.
        assert_eq!(connection_cap(Some(1 << 20), 20), MAX_CONNECTIONS);
        assert_eq!(connection_cap(None, 20), MAX_CONNECTIONS);
        // A tiny limit: half of what is left, and never none.
        assert_eq!(connection_cap(Some(100), 20), 40);
        assert_eq!(connection_cap(Some(10), 20), 1);
    }
}
