//! Sensu Go through its backend API (`core/v2`): events whose check status is not 0 become
//! alerts (1 warning, 2 critical, anything else unknown), read page by page
//! (`limit`/`continue`, the next page's token in the `Sensu-Continue` header); a silence from
//! the console becomes a silencing entry (`POST …/silenced`) for the check on that entity
//! (subscription `entity:<name>`). Every request carries `Authorization: Key <api key>`.
//!
//! Every alert carries the labels `alertname` (`entity/check`), `entity`, `check`, `status`
//! (the check's exit status), `state` (`WARNING`, `CRITICAL`, `UNKNOWN`), `severity`,
//! `namespace` and `sensu` (the source's name), then the check's and the entity's own labels
//! (`metadata.labels`) where they do not clash: a catalog service takes them with
//! `match = { entity = "checkout-db" }`, `{ check = "disk" }` or one of its own labels.

use super::http::{BackendError, Endpoint, encode_segment, one_line_cut};
use crate::domain::{Alert, AlertState, Labels, fingerprint_of};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Events asked for per page.
pub const PAGE: usize = 500;
/// Pages read at most in one look: 50,000 events. A backend that offers more pages (or
/// hands back the same token again) is refused with that reason rather than followed forever.
pub const MAX_PAGES: usize = 100;
/// Largest page read (500 events with long outputs fit many times over).
const MAX_PAGE_BYTES: usize = 32 << 20;
/// Longest check output kept as an alert's summary.
const MAX_OUTPUT: usize = 2_000;

/// A Sensu Go backend: its API, the namespace read, and how long a silence lasts.
#[derive(Debug, Clone)]
pub struct Sensu {
    api: Endpoint,
    namespace: String,
    silence_for: Duration,
}

#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    check: Option<Check>,
    #[serde(default)]
    entity: Option<Entity>,
    /// Seconds since the epoch.
    #[serde(default)]
    timestamp: i64,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    name: String,
    #[serde(default, deserialize_with = "super::http::null_default")]
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Check {
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    status: u32,
    #[serde(default)]
    output: String,
    #[serde(default)]
    executed: i64,
    #[serde(default)]
    last_ok: i64,
    #[serde(default)]
    occurrences: i64,
    #[serde(default, deserialize_with = "super::http::null_default")]
    history: Vec<History>,
    #[serde(default)]
    is_silenced: bool,
    #[serde(default, deserialize_with = "super::http::null_default")]
    silenced: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct History {
    #[serde(default)]
    status: u32,
    #[serde(default)]
    executed: i64,
}

#[derive(Debug, Deserialize)]
struct Entity {
    #[serde(default)]
    metadata: Metadata,
}

/// The state a non-zero status stands for: 1 warning, 2 critical, others unknown.
fn state_of(status: u32) -> Option<(&'static str, &'static str)> {
    match status {
        0 => None,
        1 => Some(("WARNING", "warning")),
        2 => Some(("CRITICAL", "critical")),
        _ => Some(("UNKNOWN", "warning")),
    }
}

fn seconds(s: i64) -> Option<DateTime<Utc>> {
    (s > 0).then(|| DateTime::from_timestamp(s, 0)).flatten()
}

impl Sensu {
    /// `api` is the backend's API with its `Authorization: Key …` header.
    pub fn new(api: Endpoint, namespace: &str, silence_for: Duration) -> Sensu {
        Sensu {
            api: api.with_max_body(MAX_PAGE_BYTES),
            namespace: namespace.to_string(),
            silence_for,
        }
    }

    /// The `[[sensu]]` of `config.toml`, its API key read from its variable now.
    pub fn from_config(
        client: &reqwest::Client,
        config: &crate::config::SensuConfig,
        timeout: Duration,
    ) -> Result<Sensu, BackendError> {
        let key = config
            .api_key()
            .map_err(|r| BackendError::Setup(format!("{}: {r}", config.display_name())))?;
        let api = Endpoint::new(client.clone(), config.url.get_ref(), timeout)?
            .with_authorization(&format!("Key {key}"))?;
        Ok(Sensu::new(api, config.namespace(), config.silence_for()))
    }

    fn path(&self, what: &str) -> String {
        format!(
            "api/core/v2/namespaces/{}/{what}",
            encode_segment(&self.namespace)
        )
    }

    /// Every event of the namespace whose check status is not 0, as alerts of `source`.
    pub async fn alerts(&self, source: &str) -> Result<Vec<Alert>, BackendError> {
        let path = self.path("events");
        let limit = PAGE.to_string();
        let mut token: Option<String> = None;
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut query: Vec<(&str, &str)> = vec![("limit", &limit)];
            if let Some(t) = &token {
                query.push(("continue", t));
            }
            let reply = self
                .api
                .send_ok(self.api.request(Method::GET, &path).query(&query))
                .await?;
            let events: Vec<Event> = super::http::decode(&reply.url, &reply.body)?;
            let now = Utc::now();
            out.extend(events.iter().filter_map(|e| self.alert(source, e, now)));
            let next = reply
                .headers
                .get("Sensu-Continue")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            match next {
                None => return Ok(out),
                Some(t) if seen.contains(&t) => {
                    return Err(BackendError::Api {
                        url: reply.url,
                        error_type: "paging".into(),
                        message: "the backend handed back a continue token it gave before".into(),
                    });
                }
                Some(t) => {
                    seen.push(t.clone());
                    token = Some(t);
                }
            }
        }
        Err(BackendError::Api {
            url: self.api.url(&path),
            error_type: "paging".into(),
            message: format!(
                "more than {} events ({MAX_PAGES} pages of {PAGE}); not reading further",
                MAX_PAGES * PAGE
            ),
        })
    }

    fn alert(&self, source: &str, e: &Event, now: DateTime<Utc>) -> Option<Alert> {
        let check = e.check.as_ref()?;
        let (state, severity) = state_of(check.status)?;
        let entity = e
            .entity
            .as_ref()
            .map(|en| en.metadata.name.as_str())
            .unwrap_or("");
        let name = &check.metadata.name;
        let alertname = format!("{entity}/{name}");
        let status = check.status.to_string();
        let mut labels: BTreeMap<String, String> = [
            ("alertname", alertname.as_str()),
            ("entity", entity),
            ("check", name.as_str()),
            ("status", status.as_str()),
            ("state", state),
            ("severity", severity),
            ("namespace", self.namespace.as_str()),
            ("sensu", source),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let own = check
            .metadata
            .labels
            .iter()
            .chain(e.entity.iter().flat_map(|en| en.metadata.labels.iter()));
        for (k, v) in own {
            labels
                .entry(one_line_cut(k, 100))
                .or_insert_with(|| one_line_cut(v, 200));
        }
        let identity = [
            ("sensu", source),
            ("namespace", self.namespace.as_str()),
            ("entity", entity),
            ("check", name.as_str()),
        ];
        let started = started_at(check)
            .or_else(|| seconds(e.timestamp))
            .unwrap_or(now);
        let mut annotations: Vec<(&str, String)> = vec![
            ("summary", one_line_cut(&check.output, MAX_OUTPUT)),
            ("occurrences", check.occurrences.to_string()),
        ];
        if let Some(ok) = seconds(check.last_ok) {
            annotations.push(("last_ok", ok.to_rfc3339()));
        }
        let silenced = check.is_silenced || !check.silenced.is_empty();
        Some(Alert {
            fingerprint: fingerprint_of(identity),
            labels: labels.into_iter().collect::<Labels>(),
            annotations: annotations.into_iter().collect::<Labels>(),
            starts_at: started,
            ends_at: None,
            generator_url: None,
            state: if silenced {
                AlertState::Suppressed
            } else {
                AlertState::Active
            },
            silenced_by: check
                .silenced
                .iter()
                .map(|s| one_line_cut(s, 200))
                .collect(),
            inhibited_by: vec![],
            sources: vec![source.to_string()],
        })
    }

    /// Silences the check of `alert` on its entity for the configured time: a silencing
    /// entry with subscription `entity:<entity>`, `text` as its reason and `by` as its
    /// creator. `Ok` says which entry, until when.
    pub async fn silence(
        &self,
        alert: &Alert,
        text: &str,
        by: &str,
    ) -> Result<String, BackendError> {
        let (Some(entity), Some(check)) = (alert.label("entity"), alert.label("check")) else {
            return Err(BackendError::Setup(format!(
                "alert {} has no entity and check labels: not a Sensu event",
                alert.name()
            )));
        };
        let subscription = format!("entity:{entity}");
        let name = format!("{subscription}:{check}");
        let now = Utc::now();
        let expire = self.silence_for.as_secs();
        let body = serde_json::json!({
            "metadata": {"name": name, "namespace": self.namespace},
            "check": check,
            "subscription": subscription,
            "begin": now.timestamp(),
            "expire": expire,
            "expire_on_resolve": false,
            "creator": by,
            "reason": text,
        });
        self.api
            .send_ok(
                self.api
                    .request(Method::POST, &self.path("silenced"))
                    .json(&body),
            )
            .await?;
        let until = now + chrono::Duration::seconds(i64::try_from(expire).unwrap_or(i64::MAX));
        Ok(format!(
            "Sensu silenced {name} until {}",
            until.format("%Y-%m-%d %H:%MZ")
        ))
    }
}

/// When the check's current run of failures began: the first non-zero status after the last
/// 0 in its history; else its last run.
fn started_at(check: &Check) -> Option<DateTime<Utc>> {
    let mut first_failing = None;
    for h in check.history.iter().rev() {
        if h.status == 0 {
            break;
        }
        first_failing = Some(h.executed);
    }
    first_failing
        .and_then(seconds)
        .or_else(|| seconds(check.executed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_1_is_a_warning_2_critical_anything_else_unknown() {
        assert_eq!(state_of(0), None);
        assert_eq!(state_of(1), Some(("WARNING", "warning")));
        assert_eq!(state_of(2), Some(("CRITICAL", "critical")));
        assert_eq!(state_of(3), Some(("UNKNOWN", "warning")));
        assert_eq!(state_of(127), Some(("UNKNOWN", "warning")));
    }

    #[test]
    fn a_failure_starts_at_the_first_failing_run_after_the_last_ok() {
        let check: Check = serde_json::from_value(serde_json::json!({
            "status": 2, "executed": 1700000300,
            "history": [
                {"status": 2, "executed": 1700000000},
                {"status": 0, "executed": 1700000100},
                {"status": 1, "executed": 1700000200},
                {"status": 2, "executed": 1700000300}
            ]
        }))
        .unwrap();
        assert_eq!(started_at(&check), seconds(1700000200));
        let no_history: Check =
            serde_json::from_value(serde_json::json!({"status": 2, "executed": 1700000300}))
                .unwrap();
        assert_eq!(started_at(&no_history), seconds(1700000300));
    }
}
