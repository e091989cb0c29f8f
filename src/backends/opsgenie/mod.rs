//! OpsGenie's Alert API v2 and Jira Service Management's operations alerts (OpsGenie's
//! successor; OpsGenie's REST APIs end on 2027-04-05): one client, two dialects.
//!
//! What they share: the open alerts by a search query, read in pages (`offset` and a page
//! size of 100, at most `max_pages` of them); acknowledge, close and add a note, each answered
//! `202 Accepted` with a `requestId` and done later, so the outcome is looked up at
//! `…/alerts/requests/{requestId}` a bounded number of times; 429 waited out as `Retry-After`
//! says (bounded); OpsGenie's error objects (`{"message": …}`) read into the message.
//!
//! What differs ([`Dialect`]): the host and path prefix (`https://api.opsgenie.com/v2/…`,
//! `api.eu.opsgenie.com` for the EU; `https://api.atlassian.com/jsm/ops/api/{cloudId}/v1/…`),
//! authentication (`Authorization: GenieKey <key>`; basic with an Atlassian account's email
//! and API token), the page size parameter (`limit`; `size`), the list's envelope
//! (`{"data": […]}`; `{"values": […]}`), and the write bodies (OpsGenie takes `user` and
//! `source` besides `note`; JSM acts as the token's account).

mod alert;

pub use alert::severity_of;

use super::http::{BackendError, Endpoint, Reply, RetryPolicy, check_status, encode_segment};
use super::http::{decode, null_default, one_line, one_line_cut};
use super::listing::Listing;
use crate::config::{OpsGenieApi, OpsGenieAuth, OpsGenieConfig, ServiceField};
use crate::domain::{Alert, WriteBack};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// Alerts asked for per page (both APIs' maximum).
pub const PAGE: usize = 100;

/// The longest answer read: a page of 100 alerts is well under 1 MiB.
const MAX_BODY: usize = 8 << 20;

/// Which API a client speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialect {
    OpsGenie,
    Jsm { cloud_id: String },
}

impl Dialect {
    /// The path prefix of the API under the host: `v2`, or `jsm/ops/api/{cloudId}/v1`.
    pub(crate) fn api(&self) -> String {
        match self {
            Dialect::OpsGenie => "v2".into(),
            Dialect::Jsm { cloud_id } => format!("jsm/ops/api/{}/v1", encode_segment(cloud_id)),
        }
    }

    /// The path prefix of the alert API under the host.
    pub(crate) fn prefix(&self) -> String {
        format!("{}/alerts", self.api())
    }

    /// The vendor's name, for messages.
    pub fn vendor(&self) -> &'static str {
        match self {
            Dialect::OpsGenie => "OpsGenie",
            Dialect::Jsm { .. } => "Jira Service Management",
        }
    }
}

/// How often and how far apart the outcome of an accepted write is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowPolicy {
    pub looks: u32,
    pub every: Duration,
}

impl Default for FollowPolicy {
    fn default() -> Self {
        FollowPolicy {
            looks: 5,
            every: Duration::from_millis(500),
        }
    }
}

/// One OpsGenie account or JSM site.
#[derive(Debug, Clone)]
pub struct OpsGenie {
    endpoint: Endpoint,
    dialect: Dialect,
    query: String,
    max_pages: u32,
    service_field: ServiceField,
    retry: RetryPolicy,
    follow: FollowPolicy,
}

impl OpsGenie {
    /// A client for `host` (scheme, host, optional port and prefix) with `auth`.
    pub fn new(
        client: reqwest::Client,
        host: &str,
        dialect: Dialect,
        auth: &OpsGenieAuth,
        timeout: Duration,
    ) -> Result<OpsGenie, BackendError> {
        let endpoint = Endpoint::new(client, host, timeout)?
            .with_max_body(MAX_BODY)
            .with_header("Accept", "application/json")?;
        let endpoint = match auth {
            OpsGenieAuth::GenieKey(key) => {
                endpoint.with_authorization(&format!("GenieKey {}", key.trim()))?
            }
            OpsGenieAuth::Basic { email, token } => endpoint.with_basic(email, token.trim())?,
        };
        Ok(OpsGenie {
            endpoint,
            dialect,
            query: "status:open".into(),
            max_pages: 10,
            service_field: ServiceField::Tag("service".into()),
            retry: RetryPolicy::default(),
            follow: FollowPolicy::default(),
        })
    }

    /// The client one `[[opsgenie]]` describes, its key or token read now.
    pub fn from_config(
        config: &OpsGenieConfig,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> Result<OpsGenie, BackendError> {
        let which = config.display_name();
        let auth = config
            .auth()
            .map_err(|e| BackendError::Setup(format!("{which}: {e}")))?;
        let dialect = match config.api() {
            OpsGenieApi::OpsGenie => Dialect::OpsGenie,
            OpsGenieApi::Jsm { cloud_id } => Dialect::Jsm { cloud_id },
        };
        Ok(
            OpsGenie::new(client.clone(), &config.host(), dialect, &auth, timeout)?
                .with_query(&config.query())
                .with_max_pages(config.max_pages())
                .with_service_field(config.service_field()),
        )
    }

    pub fn with_query(mut self, query: &str) -> OpsGenie {
        self.query = query.to_string();
        self
    }

    pub fn with_max_pages(mut self, pages: u32) -> OpsGenie {
        self.max_pages = pages.max(1);
        self
    }

    pub fn with_service_field(mut self, field: ServiceField) -> OpsGenie {
        self.service_field = field;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> OpsGenie {
        self.retry = retry;
        self
    }

    pub fn with_follow(mut self, follow: FollowPolicy) -> OpsGenie {
        self.follow = follow;
        self
    }

    pub fn dialect(&self) -> &Dialect {
        &self.dialect
    }

    /// The host and the headers every request carries (authentication included).
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Every alert the query finds, newest first, `source` naming them: at most
    /// `max_pages` pages of [`PAGE`].
    pub async fn alerts(&self, source: &str) -> Result<Vec<Alert>, BackendError> {
        self.listing(source).await.map(|l| l.alerts)
    }

    /// [`OpsGenie::alerts`], cut short when `max_pages` full pages were read and the vendor
    /// still offered a next one.
    pub async fn listing(&self, source: &str) -> Result<Listing, BackendError> {
        let path = self.dialect.prefix();
        let size_param = match self.dialect {
            Dialect::OpsGenie => "limit",
            Dialect::Jsm { .. } => "size",
        };
        let mut out = Vec::new();
        let mut cut_short = false;
        for page in 0..self.max_pages as usize {
            let offset = (page * PAGE).to_string();
            let reply = self
                .send(|| {
                    self.endpoint.request(Method::GET, &path).query(&[
                        ("query", self.query.as_str()),
                        ("offset", offset.as_str()),
                        (size_param, "100"),
                        ("sort", "createdAt"),
                        ("order", "desc"),
                    ])
                })
                .await?;
            let list: List = decode(&reply.url, &reply.body)?;
            let (items, next) = match &self.dialect {
                Dialect::OpsGenie => (list.data, list.paging.next),
                Dialect::Jsm { .. } => (list.values, list.links.next),
            };
            let items = items.ok_or_else(|| BackendError::Decode {
                url: reply.url.clone(),
                detail: match self.dialect {
                    Dialect::OpsGenie => "no \"data\" list in the answer".into(),
                    Dialect::Jsm { .. } => "no \"values\" list in the answer".into(),
                },
            })?;
            let got = items.len();
            out.extend(
                items
                    .into_iter()
                    .filter_map(|i| i.into_alert(source, &self.service_field)),
            );
            if got < PAGE || next.is_none_or(|n| n.trim().is_empty()) {
                break;
            }
            cut_short = page + 1 == self.max_pages as usize;
        }
        Ok(Listing {
            alerts: out,
            cut_short,
        })
    }

    /// Writes `kind` back for `alert` (one of this source's) with `text`, as `by`, and
    /// follows the request to its outcome: `Ok` with what the vendor said was done,
    /// `Err` when it refused at once or failed later.
    pub async fn write_back(
        &self,
        alert: &Alert,
        kind: WriteBack,
        text: &str,
        by: &str,
    ) -> Result<String, BackendError> {
        let id = alert
            .annotations
            .get("alert_id")
            .filter(|i| !i.trim().is_empty())
            .ok_or_else(|| {
                BackendError::Setup(format!(
                    "{}: not a {} alert (it has no alert id)",
                    alert.name(),
                    self.dialect.vendor()
                ))
            })?
            .to_string();
        let text = match text.trim() {
            "" => format!("{} in warroom by {by}", kind.done()),
            t => t.to_string(),
        };
        let action = match kind {
            WriteBack::Acknowledge => "acknowledge",
            WriteBack::Comment => "notes",
            WriteBack::Close => "close",
            WriteBack::Silence => {
                return Err(BackendError::Setup(format!(
                    "{}: takes no silence from warroom (snooze the alert there)",
                    self.dialect.vendor()
                )));
            }
        };
        let path = format!("{}/{}/{action}", self.dialect.prefix(), encode_segment(&id));
        let body = match self.dialect {
            Dialect::OpsGenie => json!({"user": by, "source": "warroom", "note": text}),
            Dialect::Jsm { .. } => json!({"note": text}),
        };
        let reply = self
            .send(|| {
                let req = self.endpoint.request(Method::POST, &path);
                let req = match self.dialect {
                    Dialect::OpsGenie => req.query(&[("identifierType", "id")]),
                    Dialect::Jsm { .. } => req,
                };
                req.json(&body)
            })
            .await?;
        self.followed(reply).await
    }

    /// An accepted (`202`) write's outcome: its `requestId` followed until it is processed.
    pub(crate) async fn followed(&self, reply: Reply) -> Result<String, BackendError> {
        let accepted: Accepted = decode(&reply.url, &reply.body)?;
        let request_id = accepted.request_id.trim().to_string();
        if request_id.is_empty() {
            return Err(BackendError::Decode {
                url: reply.url,
                detail: "no requestId in the answer".into(),
            });
        }
        self.follow(&request_id).await
    }

    /// Looks the request up until it is processed, at most `follow.looks` times.
    pub(crate) async fn follow(&self, request_id: &str) -> Result<String, BackendError> {
        let path = format!(
            "{}/requests/{}",
            self.dialect.prefix(),
            encode_segment(request_id)
        );
        let rid = one_line_cut(request_id, 80);
        for look in 0..self.follow.looks.max(1) {
            if look > 0 {
                tokio::time::sleep(self.follow.every).await;
            }
            let reply = self
                .endpoint
                .send_retrying(|| self.endpoint.request(Method::GET, &path), self.retry)
                .await?;
            // Not processed yet: OpsGenie answers 404 until it is.
            if reply.status == StatusCode::NOT_FOUND {
                continue;
            }
            checked(&reply)?;
            let status: RequestStatus = decode::<StatusAnswer>(&reply.url, &reply.body)?.into();
            let said = one_line(&status.status);
            let said = if said.is_empty() {
                one_line(&status.action)
            } else {
                said
            };
            return match status.is_success {
                Some(true) => Ok(format!("{said} (request {rid})")),
                Some(false) => Err(BackendError::Api {
                    url: reply.url,
                    error_type: format!("{} refused the request {rid}", self.dialect.vendor()),
                    message: said,
                }),
                None => continue,
            };
        }
        Ok(format!(
            "accepted (request {rid}); not processed after {} looks, so not confirmed",
            self.follow.looks.max(1)
        ))
    }

    /// Sends with the retry policy; a 2xx, or the vendor's error as the message.
    pub(crate) async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Reply, BackendError> {
        let reply = self.endpoint.send_retrying(build, self.retry).await?;
        checked(&reply)?;
        Ok(reply)
    }
}

/// A 2xx passes; otherwise [`check_status`]'s error with the vendor's `message` (or
/// `errorMessages`) in place of the raw body.
fn checked(reply: &Reply) -> Result<(), BackendError> {
    match check_status(reply) {
        Ok(()) => Ok(()),
        Err(BackendError::Http { url, status, .. }) => Err(BackendError::Http {
            url,
            status,
            body: error_message(&reply.body),
        }),
        Err(BackendError::Unauthorized { url, status, .. }) => Err(BackendError::Unauthorized {
            url,
            status,
            detail: error_message(&reply.body),
        }),
        Err(e) => Err(e),
    }
}

/// `{"message": …}` (OpsGenie's `ErrorResponse`; JSM's errors) or `{"errorMessages": […]}`
/// (Atlassian's gateway) as one line, else the body's start.
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ErrorBody {
        #[serde(default, deserialize_with = "null_default")]
        message: String,
        #[serde(default, deserialize_with = "null_default")]
        error_messages: Vec<String>,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) if !e.message.trim().is_empty() => one_line(&e.message),
        Ok(e) if !e.error_messages.is_empty() => one_line(&e.error_messages.join("; ")),
        _ => one_line(&String::from_utf8_lossy(body)),
    }
}

#[derive(Deserialize)]
struct List {
    #[serde(default)]
    data: Option<Vec<alert::Item>>,
    #[serde(default)]
    values: Option<Vec<alert::Item>>,
    #[serde(default, deserialize_with = "null_default")]
    paging: Links,
    #[serde(default, deserialize_with = "null_default")]
    links: Links,
}

#[derive(Default, Deserialize)]
struct Links {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    #[serde(default, deserialize_with = "null_default")]
    request_id: String,
}

/// A request's status: OpsGenie wraps it in `data`; JSM answers it bare.
#[derive(Deserialize)]
struct StatusAnswer {
    #[serde(default)]
    data: Option<RequestStatus>,
    #[serde(flatten)]
    bare: RequestStatus,
}

impl From<StatusAnswer> for RequestStatus {
    fn from(a: StatusAnswer) -> RequestStatus {
        a.data.unwrap_or(a.bare)
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestStatus {
    #[serde(default)]
    is_success: Option<bool>,
    #[serde(default, deserialize_with = "null_default")]
    status: String,
    #[serde(default, deserialize_with = "null_default")]
    action: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_the_vendors_message() {
        assert_eq!(
            error_message(br#"{"message":"Could not authenticate","took":0.0,"requestId":"r"}"#),
            "Could not authenticate"
        );
        assert_eq!(
            error_message(br#"{"errorMessages":["Unauthorized; scope does not match"]}"#),
            "Unauthorized; scope does not match"
        );
        assert_eq!(
            error_message(b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn a_request_status_reads_wrapped_or_bare() {
        let s: RequestStatus = serde_json::from_str::<StatusAnswer>(
            r#"{"data":{"success":true,"action":"Acknowledge","isSuccess":true,"status":"Alert acknowledged"},"took":0.1,"requestId":"r"}"#,
        )
        .unwrap()
        .into();
        assert_eq!(
            (s.is_success, s.status.as_str()),
            (Some(true), "Alert acknowledged")
        );
        let s: RequestStatus = serde_json::from_str::<StatusAnswer>(
            r#"{"action":"Close","isSuccess":false,"status":"Alert is already closed"}"#,
        )
        .unwrap()
        .into();
        assert_eq!(
            (s.is_success, s.status.as_str()),
            (Some(false), "Alert is already closed")
        );
    }

    #[test]
    fn the_dialects_place_the_alert_api() {
        assert_eq!(Dialect::OpsGenie.prefix(), "v2/alerts");
        assert_eq!(
            Dialect::Jsm {
                cloud_id: "8f1c-22".into()
            }
            .prefix(),
            "jsm/ops/api/8f1c-22/v1/alerts"
        );
    }
}
