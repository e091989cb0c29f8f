//! Seyren (Graphite threshold checks) through its REST API: enabled checks in ERROR or WARN
//! (`GET /api/checks?state=ERROR&state=WARN&enabled=true`) become alerts. Read-only: Seyren
//! takes nothing back.
//!
//! Every alert carries the labels `alertname` and `check` (the check's name), `target` (its
//! Graphite target), `state` (`ERROR`, `WARN`), `severity` (`critical`, `warning`),
//! `check_id` and `seyren` (the source's name): a catalog service takes them with
//! `match = { check = "checkout latency" }` or `{ target = "…" }`. A check carries no time
//! its state began, so an alert starts when this source first saw it in that state.

use super::http::{BackendError, Endpoint, encode_segment, one_line_cut};
use crate::domain::{Alert, AlertState, Labels, fingerprint_of};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A Seyren: its root URL, and when each failing check was first seen failing.
#[derive(Debug, Clone)]
pub struct Seyren {
    api: Endpoint,
    first_seen: Arc<Mutex<BTreeMap<String, DateTime<Utc>>>>,
}

/// Seyren 1.5 answers `{"values": [...], "items", "start", "total"}`; older ones a bare list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Checks {
    Wrapped { values: Vec<Check> },
    Bare(Vec<Check>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Check {
    #[serde(default)]
    id: String,
    #[serde(default, deserialize_with = "super::http::null_default")]
    name: String,
    #[serde(default, deserialize_with = "super::http::null_default")]
    description: String,
    #[serde(default, deserialize_with = "super::http::null_default")]
    target: String,
    #[serde(default)]
    warn: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "super::http::null_default")]
    state: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    last_check: Option<i64>,
}

fn severity(state: &str) -> Option<&'static str> {
    match state {
        "ERROR" => Some("critical"),
        "WARN" => Some("warning"),
        _ => None,
    }
}

/// A threshold as Seyren writes it (a string or a number).
fn threshold(v: &Option<serde_json::Value>) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) => Some(one_line_cut(s, 40)),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

impl Seyren {
    pub fn new(api: Endpoint) -> Seyren {
        Seyren {
            api,
            first_seen: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }

    /// The `[[seyren]]` of `config.toml`.
    pub fn from_config(
        client: &reqwest::Client,
        config: &crate::config::SeyrenConfig,
        timeout: std::time::Duration,
    ) -> Result<Seyren, BackendError> {
        Ok(Seyren::new(Endpoint::new(
            client.clone(),
            config.url.get_ref(),
            timeout,
        )?))
    }

    /// Every enabled check in ERROR or WARN, as alerts of `source`.
    pub async fn alerts(&self, source: &str) -> Result<Vec<Alert>, BackendError> {
        let req = self.api.request(Method::GET, "api/checks").query(&[
            ("state", "ERROR"),
            ("state", "WARN"),
            ("enabled", "true"),
        ]);
        let checks = match self.api.json::<Checks>(req).await? {
            Checks::Wrapped { values } => values,
            Checks::Bare(list) => list,
        };
        let now = Utc::now();
        let mut alerts: Vec<Alert> = checks
            .iter()
            .filter_map(|c| self.alert(source, c, now))
            .collect();
        // Each alert starts when it was first seen failing; checks no longer failing are
        // forgotten, so one that fails again starts anew.
        let mut seen = self
            .first_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.retain(|fp, _| alerts.iter().any(|a| &a.fingerprint == fp));
        for a in &mut alerts {
            a.starts_at = *seen.entry(a.fingerprint.clone()).or_insert(a.starts_at);
        }
        Ok(alerts)
    }

    fn alert(&self, source: &str, c: &Check, now: DateTime<Utc>) -> Option<Alert> {
        let severity = severity(&c.state)?;
        let name = one_line_cut(&c.name, 200);
        let target = one_line_cut(&c.target, 400);
        let labels: Vec<(&str, &str)> = vec![
            ("alertname", &name),
            ("check", &name),
            ("target", &target),
            ("state", &c.state),
            ("severity", severity),
            ("check_id", &c.id),
            ("seyren", source),
        ];
        let mut annotations: Vec<(&str, String)> = Vec::new();
        let summary = if c.description.trim().is_empty() {
            format!("{} is {}", target, c.state)
        } else {
            one_line_cut(&c.description, 2_000)
        };
        annotations.push(("summary", summary));
        if let Some(w) = threshold(&c.warn) {
            annotations.push(("warn", w));
        }
        if let Some(e) = threshold(&c.error) {
            annotations.push(("error", e));
        }
        if let Some(t) = c.last_check.and_then(DateTime::from_timestamp_millis) {
            annotations.push(("last_check", t.to_rfc3339()));
        }
        let link = format!("#/checks/{}", encode_segment(&c.id));
        Some(Alert {
            fingerprint: fingerprint_of([("seyren", source), ("check_id", c.id.as_str())]),
            labels: labels.into_iter().collect::<Labels>(),
            annotations: annotations.into_iter().collect::<Labels>(),
            starts_at: now,
            ends_at: None,
            generator_url: Some(self.api.url(&link)),
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            sources: vec![source.to_string()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_error_and_warn_are_alerts() {
        assert_eq!(severity("ERROR"), Some("critical"));
        assert_eq!(severity("WARN"), Some("warning"));
        for s in ["OK", "UNKNOWN", "EXCEPTION", ""] {
            assert_eq!(severity(s), None, "{s}");
        }
    }

    #[test]
    fn both_answer_shapes_read() {
        let wrapped: Checks = serde_json::from_str(
            r#"{"values":[{"id":"a","state":"WARN"}],"items":0,"start":0,"total":1}"#,
        )
        .unwrap();
        assert!(matches!(wrapped, Checks::Wrapped { values } if values.len() == 1));
        let bare: Checks = serde_json::from_str(r#"[{"id":"a","state":"ERROR"}]"#).unwrap();
        assert!(matches!(bare, Checks::Bare(v) if v.len() == 1));
    }
}
