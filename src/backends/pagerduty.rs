//! PagerDuty REST API v2: open incidents of some services, acknowledge, resolve, notes and
//! log entries.
//!
//! Every request carries `Authorization: Token token=…` and
//! `Accept: application/vnd.pagerduty+json;version=2`; writes carry `From:` (the email of a
//! PagerDuty user, as the API requires). A 401 is "token rejected"; a 429 waits as
//! `Retry-After` says (bounded) and tries again a bounded number of times.

use super::http::{
    BackendError, Endpoint, Reply, check_status_saying, decode, encode_segment, null_default,
    one_line,
};
use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;

/// PagerDuty's API root; tests and EU accounts may point elsewhere.
pub const DEFAULT_URL: &str = crate::config::url::PAGERDUTY_URL;
const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";
/// Page size when listing (PagerDuty's maximum).
const PAGE: usize = 100;
/// The largest answer read: a page holds at most 100 items, so anything near this is not
/// PagerDuty's (a 25,000-character note's incident, with every field, is far below it).
pub const MAX_PAGE_BYTES: usize = 8 << 20;
/// Pages followed at most (10,000 items), so a server that always says `more` cannot hold us.
const MAX_PAGES: usize = 100;

/// A reference to another PagerDuty object (service, user, priority…).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Reference {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    #[serde(default, rename = "type", deserialize_with = "null_default")]
    pub kind: String,
    /// The object's name (`My Mail Service`, `P2`, a person's name).
    #[serde(default, deserialize_with = "null_default")]
    pub summary: String,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// An incident, with the fields a call leader looks at.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Incident {
    pub id: String,
    #[serde(default)]
    pub incident_number: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub title: String,
    #[serde(default, deserialize_with = "null_default")]
    pub summary: String,
    /// `triggered`, `acknowledged` or `resolved`.
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    /// `high` or `low`.
    #[serde(default, deserialize_with = "null_default")]
    pub urgency: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub service: Reference,
    #[serde(default)]
    pub priority: Option<Reference>,
    #[serde(default)]
    pub incident_key: Option<String>,
}

impl Incident {
    /// The title, or the summary when the title is empty.
    pub fn shown_title(&self) -> &str {
        if self.title.trim().is_empty() {
            &self.summary
        } else {
            &self.title
        }
    }

    /// [`Incident::shown_title`] on one line, at most `max` characters.
    pub fn title_line(&self, max: usize) -> String {
        super::http::one_line_cut(self.shown_title(), max)
    }
}

/// A note on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Note {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub content: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub user: Option<Reference>,
}

/// One entry of an incident's log (trigger, acknowledge, notify, annotate, resolve…).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// `trigger_log_entry`, `acknowledge_log_entry`, …
    #[serde(default, rename = "type", deserialize_with = "null_default")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_default")]
    pub summary: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Who or what did it.
    #[serde(default)]
    pub agent: Option<Reference>,
}

pub use super::http::RetryPolicy;

/// A PagerDuty account, reached with a REST API token.
#[derive(Debug, Clone)]
pub struct PagerDuty {
    endpoint: Endpoint,
    from: String,
    retry: RetryPolicy,
}

impl PagerDuty {
    /// The account `[pagerduty]` names, its token read from `token_env`; an error names the
    /// setting at fault.
    pub fn from_config(
        client: reqwest::Client,
        config: &crate::config::PagerDutyConfig,
        timeout: Duration,
    ) -> Result<PagerDuty, String> {
        let token = config
            .token()
            .map_err(|e| format!("pagerduty.token_env: {e}"))?;
        PagerDuty::new(
            client,
            &config.url(),
            &token,
            config.from.get_ref(),
            timeout,
        )
        .map_err(|e| format!("pagerduty: {e}"))
    }

    /// `base_url` is [`DEFAULT_URL`] unless testing; `from` is the acting user's email.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        token: &str,
        from: &str,
        timeout: Duration,
    ) -> Result<PagerDuty, BackendError> {
        let endpoint = Endpoint::new(client, base_url, timeout)?
            .with_max_body(MAX_PAGE_BYTES)
            .with_authorization(&format!("Token token={}", token.trim()))?
            .with_header("Accept", ACCEPT)?;
        Ok(PagerDuty {
            endpoint,
            from: from.to_string(),
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> PagerDuty {
        self.retry = retry;
        self
    }

    /// Incidents of `service_ids` (all services when empty) in `statuses`, every page.
    pub async fn incidents(
        &self,
        service_ids: &[String],
        statuses: &[&str],
    ) -> Result<Vec<Incident>, BackendError> {
        let mut q: Vec<(&str, String)> = Vec::new();
        q.extend(service_ids.iter().map(|s| ("service_ids[]", s.clone())));
        q.extend(statuses.iter().map(|s| ("statuses[]", s.to_string())));
        self.paged("incidents", &q, |p: IncidentPage| (p.page, p.incidents))
            .await
    }

    /// Triggered and acknowledged incidents of `service_ids`.
    pub async fn open_incidents(
        &self,
        service_ids: &[String],
    ) -> Result<Vec<Incident>, BackendError> {
        self.incidents(service_ids, &["triggered", "acknowledged"])
            .await
    }

    /// One incident by its ID (`GET /incidents/{id}`); a 404 is `BackendError::Http` 404.
    pub async fn incident(&self, id: &str) -> Result<Incident, BackendError> {
        #[derive(Deserialize)]
        struct One {
            incident: Incident,
        }
        let path = format!("incidents/{}", encode_segment(id));
        let reply = self
            .send(|| self.endpoint.request(Method::GET, &path))
            .await?;
        let one: One = decode(&reply.url, &reply.body)?;
        Ok(one.incident)
    }

    /// Acknowledges the incidents; returns them as PagerDuty now has them.
    pub async fn acknowledge(&self, ids: &[&str]) -> Result<Vec<Incident>, BackendError> {
        self.set_status(ids, "acknowledged").await
    }

    /// Resolves the incidents; returns them as PagerDuty now has them.
    pub async fn resolve(&self, ids: &[&str]) -> Result<Vec<Incident>, BackendError> {
        self.set_status(ids, "resolved").await
    }

    async fn set_status(&self, ids: &[&str], status: &str) -> Result<Vec<Incident>, BackendError> {
        let body = json!({
            "incidents": ids
                .iter()
                .map(|id| json!({"id": id, "type": "incident_reference", "status": status}))
                .collect::<Vec<_>>(),
        });
        let reply = self
            .send(|| {
                self.endpoint
                    .request(Method::PUT, "incidents")
                    .header("From", &self.from)
                    .json(&body)
            })
            .await?;
        let page: IncidentPage = decode(&reply.url, &reply.body)?;
        Ok(page.incidents)
    }

    /// Adds a note to incident `id`.
    pub async fn add_note(&self, id: &str, content: &str) -> Result<Note, BackendError> {
        #[derive(Serialize)]
        struct NoteBody<'a> {
            note: NoteContent<'a>,
        }
        #[derive(Serialize)]
        struct NoteContent<'a> {
            content: &'a str,
        }
        #[derive(Deserialize)]
        struct Created {
            note: Note,
        }
        let path = format!("incidents/{}/notes", encode_segment(id));
        let body = NoteBody {
            note: NoteContent { content },
        };
        let reply = self
            .send(|| {
                self.endpoint
                    .request(Method::POST, &path)
                    .header("From", &self.from)
                    .json(&body)
            })
            .await?;
        let created: Created = decode(&reply.url, &reply.body)?;
        Ok(created.note)
    }

    /// Incident `id`'s log, oldest first as PagerDuty returns it, every page.
    pub async fn log_entries(&self, id: &str) -> Result<Vec<LogEntry>, BackendError> {
        let path = format!("incidents/{}/log_entries", encode_segment(id));
        self.paged(&path, &[], |p: LogPage| (p.page, p.log_entries))
            .await
    }

    /// One cheap authenticated call (`GET /incidents?limit=1`): Ok when the token works.
    pub async fn check_token(&self) -> Result<(), BackendError> {
        self.send(|| {
            self.endpoint
                .request(Method::GET, "incidents")
                .query(&[("limit", "1")])
        })
        .await
        .map(|_| ())
    }

    /// The endpoint every request goes through (its token and `Accept:`).
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The acting user's email (the `From:` of writes).
    pub(crate) fn from(&self) -> &str {
        &self.from
    }

    /// Follows `limit`/`offset` pages while `more` is true.
    pub(crate) async fn paged<P, T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        split: impl Fn(P) -> (Page, Vec<T>),
    ) -> Result<Vec<T>, BackendError>
    where
        P: serde::de::DeserializeOwned,
    {
        let mut out = Vec::new();
        let mut offset = 0usize;
        for _ in 0..MAX_PAGES {
            let reply = self
                .send(|| {
                    self.endpoint
                        .request(Method::GET, path)
                        .query(query)
                        .query(&[("limit", PAGE), ("offset", offset)])
                })
                .await?;
            let (page, items) = split(decode(&reply.url, &reply.body)?);
            let got = items.len();
            out.extend(items);
            if !page.more || got == 0 {
                break;
            }
            offset += got;
        }
        Ok(out)
    }

    /// Sends (rebuilding the request for each try), waiting out 429s; requires a 2xx.
    pub(crate) async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Reply, BackendError> {
        let reply = self.endpoint.send_retrying(build, self.retry).await?;
        check_status_saying(&reply, error_message)?;
        Ok(reply)
    }
}

/// PagerDuty's `{"error": {"message", "errors": [...]}}` as one line, else the body.
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Wrapper {
        error: ErrorBody,
    }
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(default, deserialize_with = "null_default")]
        message: String,
        #[serde(default, deserialize_with = "null_default")]
        errors: Vec<String>,
    }
    match serde_json::from_slice::<Wrapper>(body) {
        Ok(w) if w.error.errors.is_empty() => one_line(&w.error.message),
        Ok(w) => one_line(&format!(
            "{} ({})",
            w.error.message,
            w.error.errors.join("; ")
        )),
        Err(_) => one_line(&String::from_utf8_lossy(body)),
    }
}

/// The paging fields of a list answer.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Page {
    #[serde(default, deserialize_with = "null_default")]
    more: bool,
}

#[derive(Deserialize)]
struct IncidentPage {
    #[serde(flatten)]
    page: Page,
    #[serde(default, deserialize_with = "null_default")]
    incidents: Vec<Incident>,
}

#[derive(Deserialize)]
struct LogPage {
    #[serde(flatten)]
    page: Page,
    #[serde(default, deserialize_with = "null_default")]
    log_entries: Vec<LogEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_read_as_one_line() {
        let b = br#"{"error":{"message":"Invalid Input Provided","code":2001,"errors":["Incident Reference is invalid."]}}"#;
        assert_eq!(
            error_message(b),
            "Invalid Input Provided (Incident Reference is invalid.)"
        );
        assert_eq!(error_message(b"<html>x</html>"), "<html>x</html>");
    }
}
