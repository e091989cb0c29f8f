//! Monitors as alerts: `GET /api/v1/monitor?group_states=alert,warn,no data`, paged, and one
//! alert for each group in Alert, Warn or No Data (a group's state is in the monitor's
//! `state.groups`; a monitor without groups is one alert when its overall state is one of
//! those).
//!
//! Labels, so a catalog's `match = { service = "payments" }` finds them: the monitor's tags
//! and the group's (`key:value`, the group's winning), then `alertname` (the monitor's name),
//! `monitor_id`, `group` (absent for `*`), `state` (`alert`, `warn`, `no data`), `priority`
//! (`P1`…`P5`, when set) and `severity`: `critical` for a group in Alert of a P1/P2 monitor or
//! one without a priority, `warning` for Alert of P3 and for Warn and No Data, `info` for P4/P5.

use super::Datadog;
use crate::backends::http::{BackendError, decode, null_default};
use crate::backends::listing::Listing;
use crate::domain::{Alert, AlertState, Labels, fingerprint_of};
use chrono::{DateTime, TimeZone, Utc};
use reqwest::Method;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Monitors asked for a page.
pub const PAGE_SIZE: usize = 100;
/// Pages read at most (10,000 monitors).
pub const MAX_PAGES: usize = 100;
/// The group states asked for: every other state (OK, Ignored, Skipped, Unknown) is no alert.
pub const GROUP_STATES: &str = "alert,warn,no data";

impl Datadog {
    /// Every group of every monitor in Alert, Warn or No Data, as alerts.
    pub async fn alerts(&self) -> Result<Vec<Alert>, BackendError> {
        self.listing().await.map(|l| l.alerts)
    }

    /// [`Datadog::alerts`], cut short when [`MAX_PAGES`] full pages were read.
    pub async fn listing(&self) -> Result<Listing, BackendError> {
        let mut out = Vec::new();
        let mut cut_short = false;
        for page in 0..MAX_PAGES {
            let mut params = vec![
                ("group_states", GROUP_STATES.to_string()),
                ("page", page.to_string()),
                ("page_size", PAGE_SIZE.to_string()),
            ];
            if let Some(tags) = &self.monitor_tags {
                params.push(("monitor_tags", tags.clone()));
            }
            let reply = self
                .send(|| {
                    self.endpoint
                        .request(Method::GET, "/api/v1/monitor")
                        .query(&params)
                })
                .await?;
            let monitors: Vec<WireMonitor> = decode(&reply.url, &reply.body)?;
            let got = monitors.len();
            out.extend(monitors.into_iter().flat_map(monitor_alerts));
            if got < PAGE_SIZE {
                break;
            }
            cut_short = page + 1 == MAX_PAGES;
        }
        Ok(Listing {
            alerts: out,
            cut_short,
        })
    }
}

#[derive(Debug, Deserialize)]
struct WireMonitor {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    name: String,
    #[serde(default, deserialize_with = "null_default")]
    message: String,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    tags: Vec<String>,
    #[serde(default)]
    overall_state: Option<String>,
    #[serde(default)]
    overall_state_modified: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    state: WireState,
}

#[derive(Debug, Default, Deserialize)]
struct WireState {
    #[serde(default, deserialize_with = "null_default")]
    groups: BTreeMap<String, WireGroup>,
}

#[derive(Debug, Deserialize)]
struct WireGroup {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    last_triggered_ts: Option<i64>,
    #[serde(default)]
    last_nodata_ts: Option<i64>,
}

/// A monitor state warroom shows, in the `state` label's words.
fn shown_state(status: &str) -> Option<&'static str> {
    match status {
        "Alert" => Some("alert"),
        "Warn" => Some("warn"),
        "No Data" => Some("no data"),
        _ => None,
    }
}

fn severity(state: &str, priority: Option<i64>) -> &'static str {
    match (state, priority) {
        (_, Some(4..=5)) => "info",
        ("alert", Some(1..=2) | None) => "critical",
        _ => "warning",
    }
}

/// `key:value` tags as label pairs (a tag without a value is left out: no label to match).
fn tag_pairs<'a>(tags: impl Iterator<Item = &'a str>) -> Vec<(Arc<str>, Arc<str>)> {
    tags.filter_map(|t| t.trim().split_once(':'))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .map(|(k, v)| (Arc::from(k), Arc::from(v)))
        .collect()
}

fn monitor_alerts(m: WireMonitor) -> Vec<Alert> {
    let groups: Vec<(Option<&str>, &str, Option<i64>)> = if m.state.groups.is_empty() {
        m.overall_state
            .as_deref()
            .and_then(shown_state)
            .map(|s| (None, s, None))
            .into_iter()
            .collect()
    } else {
        m.state
            .groups
            .iter()
            .filter_map(|(name, g)| {
                let state = shown_state(g.status.as_deref()?)?;
                let since = if state == "no data" {
                    g.last_nodata_ts.or(g.last_triggered_ts)
                } else {
                    g.last_triggered_ts
                };
                Some((Some(name.as_str()).filter(|n| *n != "*"), state, since))
            })
            .collect()
    };
    let modified = m
        .overall_state_modified
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    groups
        .into_iter()
        .map(|(group, state, since)| {
            let mut pairs = tag_pairs(m.tags.iter().map(String::as_str));
            pairs.extend(tag_pairs(group.unwrap_or("").split(',')));
            let mut own = |k: &str, v: String| pairs.push((Arc::from(k), Arc::from(v)));
            own("alertname", m.name.clone());
            if let Some(id) = m.id {
                own("monitor_id", id.to_string());
            }
            if let Some(g) = group {
                own("group", g.to_string());
            }
            own("state", state.to_string());
            if let Some(p) = m.priority {
                own("priority", format!("P{p}"));
            }
            own("severity", severity(state, m.priority).to_string());
            let labels = Labels::from_pairs(pairs);
            let mut notes: Vec<(Arc<str>, Arc<str>)> = vec![(
                Arc::from("summary"),
                Arc::from(match group {
                    Some(g) => format!("{} ({state} for {g})", m.name),
                    None => format!("{} ({state})", m.name),
                }),
            )];
            if !m.message.trim().is_empty() {
                notes.push((Arc::from("description"), Arc::from(m.message.trim())));
            }
            let id = m.id.map_or_else(|| m.name.clone(), |i| i.to_string());
            Alert {
                fingerprint: fingerprint_of([
                    ("datadog_monitor", id.as_str()),
                    ("group", group.unwrap_or("*")),
                ]),
                labels,
                annotations: Labels::from_pairs(notes),
                starts_at: since
                    .and_then(|s| Utc.timestamp_opt(s, 0).single())
                    .or(modified)
                    .unwrap_or(DateTime::UNIX_EPOCH),
                ends_at: None,
                generator_url: None,
                state: AlertState::Active,
                silenced_by: Vec::new(),
                inhibited_by: Vec::new(),
                sources: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_follows_state_then_priority() {
        assert_eq!(severity("alert", None), "critical");
        assert_eq!(severity("alert", Some(1)), "critical");
        assert_eq!(severity("alert", Some(3)), "warning");
        assert_eq!(severity("warn", Some(1)), "warning");
        assert_eq!(severity("no data", None), "warning");
        assert_eq!(severity("alert", Some(5)), "info");
    }

    #[test]
    fn a_monitor_without_groups_is_one_alert_in_its_overall_state() {
        let m: WireMonitor = serde_json::from_str(
            r#"{"id": 7, "name": "Site down", "overall_state": "Alert", "tags": ["service:web", "frontend"], "state": {"groups": {}}, "priority": null}"#,
        )
        .unwrap();
        let a = monitor_alerts(m);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].label("service"), Some("web"));
        assert_eq!(a[0].label("group"), None);
        assert_eq!(a[0].severity().as_deref(), Some("critical"));
        let ok: WireMonitor =
            serde_json::from_str(r#"{"id": 8, "name": "fine", "overall_state": "OK"}"#).unwrap();
        assert!(monitor_alerts(ok).is_empty());
    }
}
