//! Alerts pushed to warroom: `POST /v1/intake/{source}` on the share server (`warroom serve`
//! and the console's), one `[[intake]]` per source.
//!
//! A push passes, in order: the source exists (404), its secret (401, nothing recorded; the
//! secret compared in constant time, see [`gate`]), its rate (429 with Retry-After), the body
//! cap (413 as soon as the body is known to be larger: from its Content-Length, or while it
//! arrives, without reading the rest), the payload (400 with the reason). What is taken
//! changes the source's firing alerts, kept in memory and written (at most ten times a
//! second) to its spool under the data directory, which every warroom process on the machine
//! reads as the source's alerts (`backends::intake`): the console's board, `warroom alerts`,
//! `warroom blast`. AWS SNS has its own path ([`sns`]): topics, signatures, confirmation.

pub mod gate;
pub mod payload;
pub mod sns;

use crate::backends::intake::{Spool, load, spool_path, store};
use crate::config::{Config, IntakeKind, JsonFields};
use crate::domain::Alert;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use payload::Pushed;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Largest body taken.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most firing alerts one source holds; a push that would add more is refused.
pub const MAX_ALERTS: usize = 10_000;
/// Shortest time between two writes of a source's spool.
const WRITE_EVERY: Duration = Duration::from_millis(100);

/// Every configured pushing source.
pub struct Intake {
    sources: HashMap<String, Arc<Source>>,
    sns: sns::Verifier,
}

/// One `[[intake]]` with what it has been sent.
struct Source {
    name: String,
    kind: IntakeKind,
    /// `Err`: its secret variable is not set (every push gets 503 saying so).
    secret: Result<Option<String>, String>,
    fields: JsonFields,
    topics: Vec<String>,
    bucket: Mutex<gate::Bucket>,
    board: Mutex<Board>,
    spool: PathBuf,
    dirty: Notify,
    writer: AtomicBool,
    /// Pushes taken since start (for the benchmark and `Intake::taken`).
    taken: AtomicU64,
}

/// A source's firing alerts by fingerprint.
#[derive(Default)]
struct Board {
    alerts: BTreeMap<String, Alert>,
    last_push: Option<DateTime<Utc>>,
}

/// Why a push is not taken: its status and one line.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub reason: String,
    pub retry_after: Option<Duration>,
}

impl Refusal {
    fn new(status: StatusCode, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{}\n", self.reason),
        )
            .into_response();
        let h = resp.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(v) = secs.max(1).to_string().parse() {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

impl Intake {
    /// The sources `config` names, their alerts so far read back from their spools in
    /// `data_dir`. `None` when there is no `[[intake]]`. Problems (an unset secret
    /// variable) are returned to be shown; such a source answers 503 until restarted.
    pub fn from_config(
        config: &Config,
        data_dir: &std::path::Path,
    ) -> Option<(Intake, Vec<String>)> {
        if config.intakes.is_empty() {
            return None;
        }
        let mut problems = Vec::new();
        let now = Instant::now();
        let sources = config
            .intakes
            .iter()
            .map(|i| {
                let secret = i.secret();
                if let Err(e) = &secret {
                    problems.push(e.clone());
                }
                let spool = spool_path(data_dir, i.name());
                let board = match load(&spool) {
                    Ok(Spool { last_push, alerts }) => Board {
                        alerts: alerts
                            .into_iter()
                            .map(|a| (a.fingerprint.clone(), a))
                            .collect(),
                        last_push,
                    },
                    Err(e) => {
                        problems.push(format!("intake {}: {e}; starting empty", i.name()));
                        Board::default()
                    }
                };
                let source = Source {
                    name: i.name().to_string(),
                    kind: i.kind(),
                    secret,
                    fields: i.fields.clone().unwrap_or_default(),
                    topics: i.topics.clone(),
                    bucket: Mutex::new(gate::Bucket::new(i.rate(), now)),
                    board: Mutex::new(board),
                    spool,
                    dirty: Notify::new(),
                    writer: AtomicBool::new(false),
                    taken: AtomicU64::new(0),
                };
                (i.name().to_string(), Arc::new(source))
            })
            .collect();
        Some((
            Intake {
                sources,
                sns: sns::Verifier::new(sns::Trust::aws()),
            },
            problems,
        ))
    }

    /// The same, trusting SNS signing certificates as `trust` says (tests: their own host and
    /// CA). Production builds it from [`Intake::from_config`] only, whose trust is AWS's.
    pub fn with_sns_trust(mut self, trust: sns::Trust) -> Intake {
        self.sns = sns::Verifier::new(trust);
        self
    }

    /// Pushes taken from source `name` since start.
    pub fn taken(&self, name: &str) -> u64 {
        self.sources
            .get(name)
            .map_or(0, |s| s.taken.load(Ordering::Relaxed))
    }

    /// Answers one `POST /v1/intake/{name}`.
    pub async fn handle(self: &Arc<Self>, name: &str, request: Request<Body>) -> Response {
        match self.take(name, request).await {
            Ok(summary) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                summary,
            )
                .into_response(),
            Err(refused) => refused.into_response(),
        }
    }

    async fn take(self: &Arc<Self>, name: &str, request: Request<Body>) -> Result<String, Refusal> {
        let source = self
            .sources
            .get(name)
            .ok_or_else(|| {
                Refusal::new(
                    StatusCode::NOT_FOUND,
                    format!("no intake source named {name:?}"),
                )
            })?
            .clone();
        let (parts, body) = request.into_parts();
        match &source.secret {
            Err(why) => return Err(Refusal::new(StatusCode::SERVICE_UNAVAILABLE, why.clone())),
            Ok(Some(secret)) => {
                let given = gate::presented(&parts.headers, parts.uri.query());
                // Compared even when none was given, so both take as long.
                let ok = gate::secret_matches(given.as_deref().unwrap_or(""), secret);
                if given.is_none() || !ok {
                    return Err(Refusal::new(
                        StatusCode::UNAUTHORIZED,
                        if given.is_none() {
                            "no secret: send Authorization: Bearer <secret> (or basic auth, X-Warroom-Secret, ?secret=)"
                        } else {
                            "wrong secret"
                        },
                    ));
                }
            }
            Ok(None) => {}
        }
        let allowed = source
            .bucket
            .lock()
            .map_err(|_| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "intake state lost"))?
            .take(Instant::now());
        if let Err(wait) = allowed {
            return Err(Refusal {
                retry_after: Some(wait),
                ..Refusal::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("{name}: more pushes than its rate allows; try again shortly"),
                )
            });
        }
        let body = read_capped(&parts.headers, body).await?;
        let pushed = match source.kind {
            IntakeKind::Alertmanager => payload::alertmanager(&body),
            IntakeKind::Grafana => payload::grafana(&body),
            IntakeKind::Json => payload::json(&body, &source.fields),
            IntakeKind::Sns => {
                return self
                    .sns
                    .take(&source.topics, &parts.headers, &body)
                    .await
                    .and_then(|outcome| match outcome {
                        sns::Outcome::Alerts(pushed) => source.apply(pushed),
                        sns::Outcome::Said(what) => {
                            Ok(format!("{{\"ok\":{}}}", serde_json::json!(what)))
                        }
                    });
            }
        }
        .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, e))?;
        source.apply(pushed)
    }
}

impl Source {
    /// Records `pushed` (resolved alerts leave, firing ones are added or replace theirs) and
    /// has the spool written.
    fn apply(self: &Arc<Self>, pushed: Vec<Pushed>) -> Result<String, Refusal> {
        let now = Utc::now();
        let (mut firing, mut resolved) = (0, 0);
        {
            let mut board = self.board.lock().map_err(|_| {
                Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "intake state lost")
            })?;
            let new = pushed
                .iter()
                .filter(|p| !p.resolved && !board.alerts.contains_key(&p.alert.fingerprint))
                .count();
            if board.alerts.len() + new > MAX_ALERTS {
                return Err(Refusal::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    format!("{}: holds {MAX_ALERTS} firing alerts at most", self.name),
                ));
            }
            for p in pushed {
                let ended = p.alert.ends_at.is_some_and(|end| end <= now);
                if p.resolved || ended {
                    board.alerts.remove(&p.alert.fingerprint);
                    resolved += 1;
                } else {
                    board.alerts.insert(p.alert.fingerprint.clone(), p.alert);
                    firing += 1;
                }
            }
            board.last_push = Some(now);
        }
        self.taken.fetch_add(1, Ordering::Relaxed);
        self.dirty.notify_one();
        if !self.writer.swap(true, Ordering::AcqRel) {
            tokio::spawn(write_spool(self.clone()));
        }
        Ok(format!("{{\"firing\":{firing},\"resolved\":{resolved}}}"))
    }
}

/// Writes `source`'s spool whenever it changed, at most every [`WRITE_EVERY`].
async fn write_spool(source: Arc<Source>) {
    loop {
        source.dirty.notified().await;
        let spool = match source.board.lock() {
            Ok(b) => Spool {
                last_push: b.last_push,
                alerts: b.alerts.values().cloned().collect(),
            },
            Err(_) => return,
        };
        let path = source.spool.clone();
        let _ = tokio::task::spawn_blocking(move || store(&path, &spool)).await;
        tokio::time::sleep(WRITE_EVERY).await;
    }
}

/// The body, up to [`MAX_BODY_BYTES`]: 413 at once for a larger Content-Length, else as soon
/// as more has arrived; the rest is never read.
async fn read_capped(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Refusal> {
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    use http_body_util::BodyExt;
    let mut body = body;
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}
