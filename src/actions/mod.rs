//! Compensating actions: the runbook (`runbook.toml`) as a checked model, and running one of
//! its actions safely — a program without a shell in a process group of its own, or one HTTP
//! request — with a timeout, cancel, output streamed line by line, secrets redacted, and
//! afterwards a check against Prometheus that it helped.
//!
//! Nothing here touches the journal: callers record `action_started` before [`execute`] and
//! `action_finished` / `action_verified` from what it returns.

pub mod exec;
pub mod http;
mod procs;
pub use crate::domain::redact;
pub mod runbook;
mod runbook_toml;
pub mod verify;

pub use redact::{REDACTED, Redactor};
pub use runbook::{
    ActionKind, CompensatingAction, Expectation, ParamError, ParamRule, ParamSpec, PrepareError,
    PreparedRun, Request, Runbook, VerifySpec,
};
pub use runbook_toml::{load_runbook, parse_runbook};
pub use verify::{Verification, verify};

use crate::domain::ActionOutcome;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// How much of the output the journal keeps.
pub const TAIL_BYTES: usize = 4096;

/// Where a line of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
    /// What warroom says about the run (timeout, kill, exit status, HTTP status).
    Warroom,
}

impl Stream {
    pub fn tag(self) -> &'static str {
        match self {
            Stream::Stdout => "out",
            Stream::Stderr => "err",
            Stream::Warroom => "warroom",
        }
    }
}

/// One line of a run's output, secrets already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    pub stream: Stream,
    pub text: String,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    pub outcome: ActionOutcome,
    pub exit_code: Option<i32>,
    pub http_status: Option<u16>,
    pub duration: Duration,
    /// The last [`TAIL_BYTES`] of the merged, tagged output, redacted.
    pub output_tail: String,
}

/// Asks a run to stop (the console's cancel key, ctrl-c at `warroom run`).
#[derive(Debug, Clone)]
pub struct CancelHandle(watch::Sender<bool>);

impl CancelHandle {
    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

/// The run's side of a [`CancelHandle`].
#[derive(Debug)]
pub struct Cancel {
    rx: watch::Receiver<bool>,
    _keep: Option<watch::Sender<bool>>,
}

impl Cancel {
    pub fn pair() -> (CancelHandle, Cancel) {
        let (tx, rx) = watch::channel(false);
        (CancelHandle(tx), Cancel { rx, _keep: None })
    }

    /// A run nobody can cancel (only its timeout stops it).
    pub fn never() -> Cancel {
        let (tx, rx) = watch::channel(false);
        Cancel {
            rx,
            _keep: Some(tx),
        }
    }

    /// Resolves when cancel is asked for; never, once the handle is gone without asking.
    pub async fn cancelled(&mut self) {
        if self.rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Redacts, keeps the tail and passes lines on.
pub(crate) struct Sink {
    out: mpsc::UnboundedSender<OutputLine>,
    redactor: Redactor,
    tail: String,
}

impl Sink {
    fn new(out: mpsc::UnboundedSender<OutputLine>, redactor: Redactor) -> Sink {
        Sink {
            out,
            redactor,
            tail: String::new(),
        }
    }

    pub(crate) fn line(&mut self, stream: Stream, text: String) {
        let line = OutputLine {
            stream,
            text: self.redactor.redact(&text),
        };
        self.tail.push_str(&line.tagged());
        self.tail.push('\n');
        if self.tail.len() > 4 * TAIL_BYTES {
            self.tail = cut_tail(&self.tail, TAIL_BYTES);
        }
        let _ = self.out.send(line);
    }

    pub(crate) fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    pub(crate) fn warroom(&mut self, text: String) {
        self.line(Stream::Warroom, text);
    }

    pub(crate) fn result(
        &self,
        outcome: ActionOutcome,
        exit_code: Option<i32>,
        http_status: Option<u16>,
        started: Instant,
    ) -> RunResult {
        RunResult {
            outcome,
            exit_code,
            http_status,
            duration: started.elapsed(),
            output_tail: cut_tail(self.tail.trim_end_matches('\n'), TAIL_BYTES),
        }
    }
}

/// The last `max` bytes of `s`, cut at a character boundary.
pub fn cut_tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s[start..].to_string()
}

/// Runs a prepared action to its end: each output line goes to `out` as it comes; `cancel`
/// stops it. `client` carries HTTP actions (see [`crate::backends::http_client`]); without
/// one an HTTP action fails saying so.
pub async fn execute(
    run: &PreparedRun,
    client: Option<&reqwest::Client>,
    out: mpsc::UnboundedSender<OutputLine>,
    mut cancel: Cancel,
) -> RunResult {
    let mut sink = Sink::new(out, run.redactor.clone());
    match &run.request {
        Request::Exec { argv, dir, env } => {
            exec::run(
                argv,
                dir.as_deref(),
                env,
                run.timeout,
                &mut sink,
                &mut cancel,
            )
            .await
        }
        Request::Http {
            method,
            url,
            headers,
            body,
            expect_status,
        } => {
            let req = http::HttpCall {
                method,
                url,
                headers,
                body: body.as_deref(),
                expect_status,
                timeout: run.timeout,
            };
            match client {
                Some(c) => http::run(c, &req, &mut sink, &mut cancel).await,
                None => {
                    sink.warroom("no HTTP client could be set up: nothing was sent".into());
                    sink.result(ActionOutcome::Failed, None, None, Instant::now())
                }
            }
        }
    }
}
