//! Running an `http` action: one request with the runbook's method, URL, headers and JSON
//! body, bounded by the action's timeout; the status decides the outcome (by default any
//! 2xx), and the start of the answer is shown, redacted, as output.

use super::runbook::ExpectStatus;
use super::{Cancel, RunResult, Sink, Stream};
use crate::domain::ActionOutcome;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use std::time::{Duration, Instant};

/// The most of an answer that is read and shown.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One request, ready to send.
pub(super) struct HttpCall<'a> {
    pub method: &'a reqwest::Method,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Option<&'a str>,
    pub expect_status: &'a ExpectStatus,
    pub timeout: Duration,
}

pub(super) async fn run(
    client: &reqwest::Client,
    call: &HttpCall<'_>,
    sink: &mut Sink,
    cancel: &mut Cancel,
) -> RunResult {
    let started = Instant::now();
    let mut req = client
        .request(call.method.clone(), call.url)
        .timeout(call.timeout);
    let mut has_type = false;
    for (k, v) in call.headers {
        let name = match HeaderName::from_bytes(k.as_bytes()) {
            Ok(n) => n,
            Err(_) => {
                sink.warroom(format!("bad header name {k:?}"));
                return sink.result(ActionOutcome::Failed, None, None, started);
            }
        };
        let mut value = match HeaderValue::from_str(v) {
            Ok(v) => v,
            Err(_) => {
                sink.warroom(format!("header {k} has characters HTTP cannot carry"));
                return sink.result(ActionOutcome::Failed, None, None, started);
            }
        };
        // Header values may carry a token: never shown in Debug output.
        value.set_sensitive(true);
        has_type |= name == CONTENT_TYPE;
        req = req.header(name, value);
    }
    if let Some(body) = call.body {
        if !has_type {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        req = req.body(body.to_string());
    }
    sink.warroom(format!("{} {}", call.method, call.url));
    let exchange = async {
        let mut resp = req.send().await?;
        let status = resp.status();
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if room <= chunk.len() {
                break;
            }
        }
        Ok::<_, reqwest::Error>((status, body))
    };
    // reqwest's own timeout covers the exchange; this one is the backstop.
    let outcome = tokio::select! {
        r = tokio::time::timeout(call.timeout + Duration::from_secs(1), exchange) => r,
        () = cancel.cancelled() => {
            sink.warroom("cancelled: the request was abandoned".into());
            return sink.result(ActionOutcome::Cancelled, None, None, started);
        }
    };
    match outcome {
        Err(_) => {
            sink.warroom(format!(
                "no answer within {}: timed out",
                super::exec::secs(call.timeout)
            ));
            sink.result(ActionOutcome::TimedOut, None, None, started)
        }
        Ok(Err(e)) if e.is_timeout() => {
            sink.warroom(format!(
                "no answer within {}: timed out",
                super::exec::secs(call.timeout)
            ));
            sink.result(ActionOutcome::TimedOut, None, None, started)
        }
        Ok(Err(e)) => {
            let why = if e.is_connect() {
                "connection refused or host unreachable".to_string()
            } else {
                error_chain(&e)
            };
            sink.warroom(format!("request failed: {why}"));
            sink.result(ActionOutcome::Failed, None, None, started)
        }
        Ok(Ok((status, body))) => {
            let text = String::from_utf8_lossy(&body);
            for line in text.lines() {
                sink.line(Stream::Stdout, line.to_string());
            }
            let code = status.as_u16();
            let ok = call.expect_status.accepts(code);
            let outcome = if ok {
                ActionOutcome::Succeeded
            } else {
                ActionOutcome::Failed
            };
            sink.warroom(format!(
                "HTTP {status}{} after {} — {outcome}",
                if ok {
                    String::new()
                } else {
                    format!(" (expected {})", call.expect_status)
                },
                super::exec::secs(started.elapsed())
            ));
            sink.result(outcome, None, Some(code), started)
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        source = inner.source();
    }
    s
}
