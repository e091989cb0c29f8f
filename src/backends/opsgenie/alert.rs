//! An OpsGenie (or Jira Service Management) alert as warroom's [`Alert`]: the list item both
//! APIs answer with, read leniently, and where it names its catalog service.
//!
//! Labels: `alertname` (the message), `priority` (`P1`…`P5`), `severity` (P1 and P2
//! `critical`, P3 `warning`, P4 and P5 `info`), `status`, `source`, `owner`, `alias`,
//! `tiny_id`, `team` (the first team responder, by name or id), each tag `KEY:VALUE` as
//! `KEY=VALUE` (unless it is one of those names), plain tags joined in `tags`, and `service`
//! from the configured field. The alert's id is kept in the annotation `alert_id`: the
//! write-backs address the alert by it.

use super::super::http::null_default;
use crate::config::ServiceField;
use crate::domain::{Alert, AlertState, Labels, fingerprint_of};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The labels warroom sets itself; a tag by one of these names is left out.
const OWN_LABELS: &[&str] = &[
    "alertname",
    "priority",
    "severity",
    "status",
    "source",
    "owner",
    "alias",
    "tiny_id",
    "team",
    "tags",
    "service",
];

/// The longest message kept.
const MAX_MESSAGE: usize = 500;

/// One alert of a list answer (OpsGenie's `BaseAlert`; JSM's alert has the same fields).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Item {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    tiny_id: String,
    #[serde(default, deserialize_with = "null_default")]
    alias: String,
    #[serde(default, deserialize_with = "null_default")]
    message: String,
    #[serde(default, deserialize_with = "null_default")]
    status: String,
    #[serde(default, deserialize_with = "null_default")]
    acknowledged: bool,
    #[serde(default, deserialize_with = "null_default")]
    snoozed: bool,
    #[serde(default, deserialize_with = "null_default")]
    tags: Vec<serde_json::Value>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    source: String,
    #[serde(default, deserialize_with = "null_default")]
    owner: String,
    #[serde(default, deserialize_with = "null_default")]
    priority: String,
    #[serde(default, deserialize_with = "null_default")]
    responders: Vec<Responder>,
}

#[derive(Debug, Default, Deserialize)]
struct Responder {
    #[serde(default, rename = "type", deserialize_with = "null_default")]
    kind: String,
    #[serde(default, deserialize_with = "null_default")]
    id: String,
    #[serde(default, deserialize_with = "null_default")]
    name: String,
}

/// `P1`…`P5` as warroom's severity words; anything else is a warning (OpsGenie's default
/// priority is P3).
pub fn severity_of(priority: &str) -> &'static str {
    match priority.trim().to_ascii_uppercase().as_str() {
        "P1" | "P2" => "critical",
        "P4" | "P5" => "info",
        _ => "warning",
    }
}

impl Item {
    /// The alert; none for an item without an id (nothing could be written back to it).
    pub(super) fn into_alert(self, source: &str, field: &ServiceField) -> Option<Alert> {
        let clean = |s: &str| super::super::http::one_line_cut(s, MAX_MESSAGE);
        let id = self.id.trim().to_string();
        if id.is_empty() {
            return None;
        }
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let mut plain = Vec::new();
        let mut tagged: BTreeMap<String, String> = BTreeMap::new();
        for t in &self.tags {
            let Some(t) = t.as_str().map(clean).filter(|t| !t.is_empty()) else {
                continue;
            };
            match t.split_once(':').or_else(|| t.split_once('=')) {
                Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                    tagged
                        .entry(k.trim().to_string())
                        .or_insert_with(|| v.trim().to_string());
                }
                _ => plain.push(t),
            }
        }
        let team = self
            .responders
            .iter()
            .find(|r| r.kind == "team")
            .map(|r| {
                if r.name.trim().is_empty() {
                    clean(&r.id)
                } else {
                    clean(&r.name)
                }
            })
            .filter(|t| !t.is_empty());
        let service = match field {
            ServiceField::Tag(key) => tagged.get(key).cloned(),
            ServiceField::Team => team.clone(),
            ServiceField::Source => Some(clean(&self.source)),
            ServiceField::Owner => Some(clean(&self.owner)),
            ServiceField::Alias => Some(clean(&self.alias)),
        }
        .filter(|s| !s.is_empty());
        for (k, v) in tagged {
            if !OWN_LABELS.contains(&k.as_str()) {
                labels.insert(k, v);
            }
        }
        let message = match clean(&self.message) {
            m if m.is_empty() => format!("alert {}", clean(&self.tiny_id)),
            m => m,
        };
        let priority = clean(&self.priority);
        labels.insert("alertname".into(), message.clone());
        labels.insert("severity".into(), severity_of(&priority).into());
        for (k, v) in [
            ("priority", priority),
            ("status", clean(&self.status)),
            ("source", clean(&self.source)),
            ("owner", clean(&self.owner)),
            ("alias", clean(&self.alias)),
            ("tiny_id", clean(&self.tiny_id)),
            ("tags", plain.join(",")),
        ] {
            if !v.is_empty() {
                labels.insert(k.into(), v);
            }
        }
        if let Some(t) = team {
            labels.insert("team".into(), t);
        }
        if let Some(s) = service {
            labels.insert("service".into(), s);
        }
        let mut annotations = vec![
            ("summary".to_string(), message),
            ("alert_id".to_string(), id.clone()),
        ];
        if self.acknowledged {
            annotations.push(("acknowledged".into(), "yes".into()));
        }
        if self.snoozed {
            annotations.push(("snoozed".into(), "yes".into()));
        }
        let starts_at = self
            .created_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(DateTime::UNIX_EPOCH);
        Some(Alert {
            fingerprint: fingerprint_of([("opsgenie", source), ("id", id.as_str())]),
            labels: Labels::from(labels),
            annotations: annotations.into_iter().collect(),
            starts_at,
            ends_at: None,
            generator_url: None,
            state: if self.acknowledged || self.snoozed {
                AlertState::Suppressed
            } else {
                AlertState::Active
            },
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            sources: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(json: &str, field: ServiceField) -> Option<Alert> {
        serde_json::from_str::<Item>(json)
            .unwrap()
            .into_alert("og", &field)
    }

    #[test]
    fn an_alert_carries_priority_severity_tags_team_and_its_id() {
        let a = alert(
            r#"{"id":"70413a06-38d6-4c85-92b8-5ebc900d42e2","tinyId":"1791","alias":"event_573",
            "message":"payments-api 5xx\nabove 2%","status":"open","acknowledged":false,
            "tags":["service:payments","env:prod","OverwriteQuietHours",7,"alertname:x"],
            "createdAt":"2017-09-12T12:33:57.183Z","source":"Isengard","owner":"morpheus@opsgenie.com",
            "priority":"P1","responders":[{"type":"user","id":"u1"},{"type":"team","id":"t1","name":"payments-sre"}]}"#,
            ServiceField::Tag("service".into()),
        )
        .unwrap();
        assert_eq!(a.name(), "payments-api 5xx above 2%");
        assert_eq!(a.label("priority"), Some("P1"));
        assert_eq!(a.label("severity"), Some("critical"));
        assert_eq!(a.label("service"), Some("payments"));
        assert_eq!(a.label("env"), Some("prod"));
        assert_eq!(a.label("tags"), Some("OverwriteQuietHours"));
        assert_eq!(a.label("team"), Some("payments-sre"));
        assert_eq!(a.label("tiny_id"), Some("1791"));
        assert_eq!(
            a.annotations.get("alert_id"),
            Some("70413a06-38d6-4c85-92b8-5ebc900d42e2")
        );
        assert_eq!(a.starts_at.timestamp(), 1_505_219_637);
        assert_eq!(a.state, AlertState::Active);
    }

    #[test]
    fn the_configured_field_names_the_service_and_acknowledged_is_suppressed() {
        let json = r#"{"id":"a1","message":"m","source":"checkout","owner":"o","alias":"al",
            "acknowledged":true,"priority":"P4","responders":[{"type":"team","id":"t9"}],"tags":null}"#;
        for (field, service) in [
            (ServiceField::Source, Some("checkout")),
            (ServiceField::Owner, Some("o")),
            (ServiceField::Alias, Some("al")),
            (ServiceField::Team, Some("t9")),
            (ServiceField::Tag("service".into()), None),
        ] {
            let a = alert(json, field.clone()).unwrap();
            assert_eq!(a.label("service"), service, "{field:?}");
            assert_eq!(a.state, AlertState::Suppressed);
            assert_eq!(a.label("severity"), Some("info"));
        }
        assert!(alert(r#"{"message":"no id"}"#, ServiceField::Team).is_none());
        assert_eq!(severity_of("P2"), "critical");
        assert_eq!(severity_of("p3"), "warning");
        assert_eq!(severity_of(""), "warning");
    }
}
