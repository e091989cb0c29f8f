//! On-call from OpsGenie or Jira Service Management (one `[[opsgenie]]` entry, either
//! dialect): a catalog service maps to a schedule (`oncall_schedules`), whose on-call
//! participants now say who is on call (OpsGenie: `GET /v2/schedules/{identifier}/on-calls`
//! with `scheduleIdentifierType`, `flat=false` and `date`; JSM:
//! `GET /jsm/ops/api/{cloudId}/v1/schedules/{scheduleId}/on-calls` with `flat` and `date`).
//! A page is a new alert with the person as its one responder (`POST /v2/alerts`; JSM's
//! `POST …/v1/alerts`), sent once and followed to its outcome through the request status, as
//! the alert source's write-backs are (`backends::opsgenie`).
//!
//! Neither API says when a schedule's shift ends, nor gives an escalation level: the people
//! are listed at level 0 ("on call now"), in the order the vendor gives them.

use super::{OnCallPerson, PageOutcome, PageRequest};
use crate::backends::http::{BackendError, encode_segment, null_default, one_line_cut};
use crate::backends::opsgenie::{Dialect, OpsGenie};
use crate::config::OpsGenieConfig;
use chrono::{SecondsFormat, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// OpsGenie's longest alert message (longer text goes in the description).
const MAX_MESSAGE: usize = 130;

/// How deep nested participants (an escalation's, a team's) are read.
const MAX_DEPTH: usize = 4;

#[derive(Debug, Clone)]
pub struct OpsGenieOnCall {
    client: OpsGenie,
    /// The entry's name, for messages.
    name: String,
    /// Catalog service → schedule (name or id).
    schedules: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct OnCalls {
    #[serde(rename = "_parent", default)]
    parent: Option<Parent>,
    #[serde(default)]
    on_call_participants: Option<Vec<Participant>>,
}

#[derive(Deserialize)]
struct Parent {
    #[serde(default, deserialize_with = "null_default")]
    name: String,
}

/// OpsGenie wraps the on-calls in `data`; JSM answers them bare.
#[derive(Deserialize)]
struct OnCallsAnswer {
    #[serde(default)]
    data: Option<OnCalls>,
    #[serde(flatten)]
    bare: OnCalls,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Participant {
    #[serde(default, deserialize_with = "null_default")]
    id: String,
    #[serde(default, deserialize_with = "null_default")]
    name: String,
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    kind: String,
    #[serde(default, deserialize_with = "null_default")]
    on_call_participants: Vec<Participant>,
}

impl OpsGenieOnCall {
    /// The on-call source one `[[opsgenie]]` with `oncall_schedules` describes.
    pub fn from_config(
        client: &reqwest::Client,
        config: &OpsGenieConfig,
        timeout: Duration,
    ) -> Result<OpsGenieOnCall, String> {
        let og = OpsGenie::from_config(config, client, timeout).map_err(|e| e.to_string())?;
        Ok(OpsGenieOnCall::new(
            og,
            &config.display_name(),
            config.oncall_map(),
        ))
    }

    pub fn new(client: OpsGenie, name: &str, schedules: BTreeMap<String, String>) -> Self {
        OpsGenieOnCall {
            client,
            name: name.to_string(),
            schedules,
        }
    }

    pub fn vendor(&self) -> &'static str {
        self.client.dialect().vendor()
    }

    pub fn services(&self) -> Vec<String> {
        self.schedules.keys().cloned().collect()
    }

    fn schedule(&self, service: &str) -> Result<&str, String> {
        self.schedules
            .get(service)
            .map(String::as_str)
            .ok_or_else(|| {
                format!(
                    "opsgenie {}: oncall_schedules names no schedule for `{service}`",
                    self.name
                )
            })
    }

    pub async fn who(&self, service: &str) -> Result<Vec<OnCallPerson>, String> {
        let schedule = self.schedule(service)?;
        self.people(schedule)
            .await
            .map_err(|e| format!("{} on-call for {service}: {e}", self.vendor()))
    }

    async fn people(&self, schedule: &str) -> Result<Vec<OnCallPerson>, BackendError> {
        let c = &self.client;
        let dialect = c.dialect();
        let path = format!(
            "{}/schedules/{}/on-calls",
            dialect.api(),
            encode_segment(schedule)
        );
        let date = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut query: Vec<(&str, &str)> = vec![("flat", "false"), ("date", &date)];
        if *dialect == Dialect::OpsGenie {
            query.insert(0, ("scheduleIdentifierType", identifier_type(schedule)));
        }
        let reply = c
            .send(|| c.endpoint().request(Method::GET, &path).query(&query))
            .await?;
        let answer: OnCallsAnswer = crate::backends::http::decode(&reply.url, &reply.body)?;
        let on_calls = answer.data.unwrap_or(answer.bare);
        let Some(participants) = on_calls.on_call_participants else {
            return Err(BackendError::Decode {
                url: reply.url,
                detail: "no \"onCallParticipants\" list in the answer".into(),
            });
        };
        let via = on_calls
            .parent
            .map(|p| p.name)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| schedule.to_string());
        let mut people = Vec::new();
        users(&participants, &via, 0, &mut people);
        Ok(people)
    }

    pub async fn page(&self, req: &PageRequest<'_>) -> PageOutcome {
        let vendor = self.vendor();
        match self.create_alert(req).await {
            Ok(said) => PageOutcome {
                ok: true,
                detail: format!(
                    "{vendor} alert for {} as its responder: {said}",
                    req.person.name
                ),
            },
            Err(e) => PageOutcome {
                ok: false,
                detail: format!("{vendor}: {e}"),
            },
        }
    }

    /// One new alert with the person as its only responder, followed to its outcome.
    async fn create_alert(&self, req: &PageRequest<'_>) -> Result<String, BackendError> {
        let c = &self.client;
        let message = one_line_cut(&format!("{}: {}", req.service, req.message), MAX_MESSAGE);
        let description = format!(
            "Paged from warroom for {} (on call through {}): {}",
            req.service, req.person.via, req.message
        );
        let body = json!({
            "message": message,
            "description": description,
            "responders": [{"type": "user", "id": req.person.id}],
            "tags": ["warroom", "page"],
            "details": {"service": req.service},
            "source": "warroom",
        });
        let path = c.dialect().prefix();
        let reply = c
            .send(|| c.endpoint().request(Method::POST, &path).json(&body))
            .await?;
        c.followed(reply).await
    }
}

/// `id` for a schedule given by its id (a UUID), else `name`.
fn identifier_type(schedule: &str) -> &'static str {
    let uuid = schedule.len() == 36
        && schedule.chars().enumerate().all(|(i, ch)| match i {
            8 | 13 | 18 | 23 => ch == '-',
            _ => ch.is_ascii_hexdigit(),
        });
    if uuid { "id" } else { "name" }
}

/// The users among `participants` and those nested in them (an escalation's, a team's), each
/// once, in the vendor's order.
fn users(participants: &[Participant], via: &str, depth: usize, out: &mut Vec<OnCallPerson>) {
    for p in participants {
        if p.kind == "user" && !p.id.is_empty() {
            if out.iter().any(|o| o.id == p.id) {
                continue;
            }
            // OpsGenie names a user by their username (an email); JSM gives only the
            // account id.
            let name = if p.name.trim().is_empty() {
                p.id.clone()
            } else {
                p.name.clone()
            };
            let handle = if name.contains('@') {
                name.clone()
            } else {
                String::new()
            };
            out.push(OnCallPerson {
                name,
                handle,
                level: 0,
                until: None,
                id: p.id.clone(),
                via: via.to_string(),
            });
        } else if depth < MAX_DEPTH {
            users(&p.on_call_participants, via, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_named_by_id_only_when_it_is_a_uuid() {
        assert_eq!(identifier_type("Payments_Schedule"), "name");
        assert_eq!(
            identifier_type("d875alp4-9b4e-4219-a803-0c26936d18de"),
            "name"
        );
        assert_eq!(
            identifier_type("d8751a44-9b4e-4219-a803-0c26936d18de"),
            "id"
        );
    }

    #[test]
    fn nested_users_are_listed_once_in_the_vendors_order() {
        let answer: OnCallsAnswer = serde_json::from_str(
            r#"{"data":{"_parent":{"id":"s","name":"Payments","enabled":true},
            "onCallParticipants":[
              {"id":"u2","name":"kim@example.com","type":"user"},
              {"id":"e1","name":"Payments escalation","type":"escalation","onCallParticipants":[
                {"id":"u1","name":"lee@example.com","type":"user"},
                {"id":"u2","name":"kim@example.com","type":"user"}]},
              {"id":"t1","name":"payments-team","type":"team"}]},"took":0.1,"requestId":"r"}"#,
        )
        .unwrap();
        let on_calls = answer.data.unwrap();
        let mut people = Vec::new();
        users(
            &on_calls.on_call_participants.unwrap(),
            "Payments",
            0,
            &mut people,
        );
        let got: Vec<(&str, &str)> = people
            .iter()
            .map(|p| (p.id.as_str(), p.handle.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("u2", "kim@example.com"), ("u1", "lee@example.com")]
        );
        // JSM: bare, account ids only.
        let answer: OnCallsAnswer = serde_json::from_str(
            r#"{"onCallParticipants":[{"id":"5b2b0e011b3a756623f4e25e","type":"user"}]}"#,
        )
        .unwrap();
        let on_calls = answer.data.unwrap_or(answer.bare);
        let mut people = Vec::new();
        users(&on_calls.on_call_participants.unwrap(), "s", 0, &mut people);
        assert_eq!(people[0].name, "5b2b0e011b3a756623f4e25e");
        assert_eq!(people[0].handle, "");
    }
}
