//! The demo's HTTP server: the subset of the Alertmanager v2 and Prometheus v1 APIs that
//! warroom reads, answered from the [`Simulator`], and the `/demo/...` endpoints the demo
//! runbook's actions call. Served on a loopback port by [`serve`]; axum + hyper as in
//! [`crate::share::server`].
//!
//! Alertmanager: `GET /api/v2/alerts`, `GET /api/v2/alerts/groups`, `GET|POST
//! /api/v2/silences`, `GET|DELETE /api/v2/silence/{id}`, `GET /api/v2/status`.
//! Prometheus: `GET /api/v1/query`, `/api/v1/query_range`, `/api/v1/alerts`, `/api/v1/rules`,
//! `/api/v1/status/buildinfo`.
//! Drill: `GET /demo/state` (the levers, the actions run, every service's numbers), `POST
//! /drill/actions/{name}` (the scenario's action, its parameters as a JSON object of strings,
//! `{"version": "v2.30"}`; a missing one takes its default): what the runbook's actions call.

mod alertmanager;
mod prometheus;

use super::simulator::{Refused, Simulator};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where the server's "now" comes from: the wall clock, or a test's hand-set clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The simulator and its clock, shared by every request.
pub struct Shared {
    sim: Mutex<Simulator>,
    clock: Clock,
    started: DateTime<Utc>,
}

impl Shared {
    pub fn new(sim: Simulator, clock: Clock) -> Arc<Shared> {
        let started = clock();
        Arc::new(Shared {
            sim: Mutex::new(sim),
            clock,
            started,
        })
    }

    /// Runs `f` on the simulator at the clock's now.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Simulator, DateTime<Utc>) -> T,
    ) -> Result<T, Box<Response>> {
        let now = (self.clock)();
        let mut sim = self.sim.lock().map_err(|_| {
            Box::new(plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "simulator poisoned",
            ))
        })?;
        Ok(f(&mut sim, now))
    }
}

/// Requests served at once; more wait in the kernel's accept queue.
const MAX_CONNECTIONS: usize = 64;
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/-/ready", get(ready))
        .route("/-/healthy", get(ready))
        .route("/api/v2/alerts", get(alertmanager::am_alerts))
        .route("/api/v2/alerts/groups", get(alertmanager::am_groups))
        .route(
            "/api/v2/silences",
            get(alertmanager::am_silences).post(alertmanager::am_post_silence),
        )
        .route(
            "/api/v2/silence/{id}",
            get(alertmanager::am_get_silence).delete(alertmanager::am_delete_silence),
        )
        .route("/api/v2/status", get(alertmanager::am_status))
        .route("/api/v1/query", get(prometheus::prom_query))
        .route("/api/v1/query_range", get(prometheus::prom_query_range))
        .route("/api/v1/alerts", get(prometheus::prom_alerts))
        .route("/api/v1/rules", get(prometheus::prom_rules))
        .route("/api/v1/status/buildinfo", get(prometheus::prom_buildinfo))
        .route("/demo/state", get(demo_state))
        .route("/drill/actions/{name}", post(drill_action))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

/// Serves `router` on `listener` until `shutdown` completes; the connections in flight end
/// with the runtime.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let app = router(shared);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return Ok(()) },
            _ = &mut shutdown => return Ok(()),
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

// ---------------------------------------------------------------------------------------------
// answers
// ---------------------------------------------------------------------------------------------

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn refused(r: Refused) -> Response {
    match r {
        Refused::NotFound(m) => plain(StatusCode::NOT_FOUND, &m),
        Refused::Invalid(m) => plain(StatusCode::BAD_REQUEST, &m),
    }
}

type Params = Query<Vec<(String, String)>>;

fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------------
// index and health
// ---------------------------------------------------------------------------------------------

async fn index() -> Response {
    plain(
        StatusCode::OK,
        "warroom drill: a simulated Alertmanager (/api/v2/...) and Prometheus (/api/v1/...).\n\
         GET /demo/state shows the scenario; POST /drill/actions/NAME runs one of its actions \
         (parameters as a JSON object, e.g. {\"version\": \"v2.30\"}).",
    )
}

async fn ready() -> Response {
    plain(StatusCode::OK, "OK")
}

// ---------------------------------------------------------------------------------------------
// the demo's own controls
// ---------------------------------------------------------------------------------------------

async fn demo_state(State(shared): State<Arc<Shared>>) -> Response {
    match shared.with(|sim, now| sim.snapshot(now)) {
        Ok(s) => json_response(StatusCode::OK, &s),
        Err(r) => *r,
    }
}

/// The JSON object of a control's body; an empty body is `{}`.
fn body_object(body: &str) -> Result<serde_json::Map<String, Value>, Box<Response>> {
    if body.trim().is_empty() {
        return Ok(Default::default());
    }
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Box::new(plain(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
        ))),
    }
}

async fn drill_action(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: String,
) -> Response {
    let m = match body_object(&body) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let mut params = std::collections::BTreeMap::new();
    for (k, v) in m {
        let Some(v) = v.as_str() else {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("parameter {k:?} must be a string"),
            );
        };
        params.insert(k, v.to_string());
    }
    match shared.with(|sim, now| sim.act(now, &name, &params)) {
        Ok(Ok(ran)) => json_response(
            StatusCode::OK,
            &json!({
                "action": ran.action,
                "params": ran.params,
                "output": ran.output,
            }),
        ),
        Ok(Err(e)) => refused(e),
        Err(r) => *r,
    }
}
