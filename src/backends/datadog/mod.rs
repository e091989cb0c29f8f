//! Datadog's API v1 on one site: monitors whose groups are in Alert, Warn or No Data as alerts
//! ([`monitors`]), the metrics query as a metrics source ([`Datadog::query`]), and status
//! updates posted as events ([`events`]). Every request carries `DD-API-KEY` (and, to read,
//! `DD-APPLICATION-KEY`), both remembered as secrets; the HTTP plumbing (timeouts, body caps,
//! errors) is [`super::http`]'s. The operations are held, in the tests, to Datadog's own
//! OpenAPI description (`tests/fixtures/specs/datadog/`).

pub mod events;
pub mod monitors;

use super::http::{
    BackendError, Endpoint, Reply, RetryPolicy, check_status_saying, decode, one_line,
};
use crate::domain::MetricPoints;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::{Method, RequestBuilder};
use serde::Deserialize;
use std::time::Duration;

/// The largest answer read: a page of 100 monitors with their groups, or a day of points of a
/// few hundred series, is a few megabytes.
pub const MAX_PAGE_BYTES: usize = 16 << 20;
/// How Datadog's 429 is waited out: two tries in all, waiting as `X-RateLimit-Reset` (seconds
/// until the window resets) or else `Retry-After` says, else one second; never more than 2 s.
const RETRY: RetryPolicy = RetryPolicy {
    tries: 2,
    max_wait: Duration::from_secs(2),
    wait_headers: &["x-ratelimit-reset", "retry-after"],
    first_wait: Duration::from_secs(1),
};

/// A client for Datadog's API on one site.
#[derive(Debug, Clone)]
pub struct Datadog {
    endpoint: Endpoint,
    monitor_tags: Option<String>,
}

/// One series of a metrics query: its scope (`service:checkout`) and its points, `None` where
/// Datadog has no value (a gap, never read as zero).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub scope: String,
    pub points: MetricPoints,
}

impl Datadog {
    /// `base_url` is the site's API host (or a test server); `app_key` is needed to read
    /// monitors and metrics, not to post events.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        api_key: &str,
        app_key: Option<&str>,
        timeout: Duration,
    ) -> Result<Datadog, BackendError> {
        let mut endpoint = Endpoint::new(client, base_url, timeout)?
            .with_max_body(MAX_PAGE_BYTES)
            .with_secret_header("DD-API-KEY", api_key.trim())?;
        if let Some(app) = app_key {
            endpoint = endpoint.with_secret_header("DD-APPLICATION-KEY", app.trim())?;
        }
        Ok(Datadog {
            endpoint,
            monitor_tags: None,
        })
    }

    /// The client `[datadog]` describes, its keys read from the environment now.
    pub fn from_config(
        config: &crate::config::DatadogConfig,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> Result<Datadog, BackendError> {
        let setup = |e: String| BackendError::Setup(format!("datadog: {e}"));
        let url = config.url().map_err(setup)?;
        let api = config.api_key().map_err(setup)?;
        let app = config.app_key().map_err(setup)?;
        Ok(
            Datadog::new(client.clone(), &url, &api, Some(&app), timeout)?
                .with_monitor_tags(config.monitor_tags.as_deref()),
        )
    }

    /// Only monitors with these tags (comma separated, as Datadog's `monitor_tags` takes them).
    pub fn with_monitor_tags(mut self, tags: Option<&str>) -> Datadog {
        self.monitor_tags = tags
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        self
    }

    pub fn base_url(&self) -> &str {
        self.endpoint.base_url()
    }

    /// The series of `query` between `from` and `to` (`GET /api/v1/query`), points oldest
    /// first, `null` values kept as gaps.
    pub async fn query(
        &self,
        query: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Series>, BackendError> {
        let params = [
            ("from", from.timestamp().to_string()),
            ("to", to.timestamp().to_string()),
            ("query", query.to_string()),
        ];
        let reply = self
            .send(|| {
                self.endpoint
                    .request(Method::GET, "/api/v1/query")
                    .query(&params)
            })
            .await?;
        let answer: WireQuery = decode(&reply.url, &reply.body)?;
        if answer.status.as_deref().is_some_and(|s| s != "ok") {
            return Err(BackendError::Api {
                url: reply.url,
                error_type: "query".into(),
                message: one_line(answer.error.as_deref().unwrap_or("status is not ok")),
            });
        }
        answer
            .series
            .into_iter()
            .map(|s| {
                let mut points = Vec::with_capacity(s.pointlist.len());
                for p in s.pointlist {
                    let [t, v] = p.as_slice() else {
                        return Err(self.decode_error(format!(
                            "a point of {} values, not [time, value]",
                            p.len()
                        )));
                    };
                    let at = t
                        .filter(|t| t.is_finite())
                        .and_then(|ms| Utc.timestamp_millis_opt(ms as i64).single())
                        .ok_or_else(|| self.decode_error("a point without a time".into()))?;
                    points.push((at, v.filter(|v| v.is_finite())));
                }
                points.sort_by_key(|(t, _)| *t);
                Ok(Series {
                    scope: s.scope,
                    points,
                })
            })
            .collect()
    }

    fn decode_error(&self, detail: String) -> BackendError {
        BackendError::Decode {
            url: self.endpoint.url("/api/v1/query"),
            detail,
        }
    }

    /// Sends (rebuilding the request for each try), waiting out a 429 as Datadog says
    /// ([`RETRY`]); requires a 2xx. An error answer names Datadog's own `errors`.
    pub(crate) async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Reply, BackendError> {
        let reply = self.endpoint.send_retrying(build, RETRY).await?;
        check_status_saying(&reply, error_message)?;
        Ok(reply)
    }
}

/// Datadog's `{"errors": [...]}` on one line, or the start of whatever the body is.
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<String>,
    }
    match serde_json::from_slice::<Errors>(body) {
        Ok(e) if !e.errors.is_empty() => one_line(&e.errors.join("; ")),
        _ => one_line(&String::from_utf8_lossy(body)),
    }
}

#[derive(Debug, Deserialize)]
struct WireQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, deserialize_with = "super::http::null_default")]
    series: Vec<WireSeries>,
}

#[derive(Debug, Deserialize)]
struct WireSeries {
    #[serde(default, deserialize_with = "super::http::null_default")]
    scope: String,
    #[serde(default, deserialize_with = "super::http::null_default")]
    pointlist: Vec<Vec<Option<f64>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_datadog_writes_them() {
        assert_eq!(
            error_message(br#"{"errors": ["Forbidden", "API key invalid"]}"#),
            "Forbidden; API key invalid"
        );
        assert_eq!(
            error_message(b"<html>\n<b>oops</b></html>"),
            "<html> <b>oops</b></html>"
        );
    }
}
