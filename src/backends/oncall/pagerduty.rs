//! On-call from PagerDuty: a catalog service maps to a PagerDuty service
//! (`[pagerduty] oncall_services`), whose escalation policy (`GET /services/{id}`) says who is
//! on call (`GET /oncalls?escalation_policy_ids[]=…&include[]=users`). A page is a responder
//! request (`POST /incidents/{id}/responder_requests`) on the PagerDuty incident linked to
//! ours, from the `[pagerduty] from` user (found by `GET /users?query=…`).

use super::{OnCallPerson, PageOutcome, PageRequest};
use crate::backends::http::{BackendError, decode, encode_segment, null_default};
use crate::backends::pagerduty::{PagerDuty, Reference};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct PagerDutyOnCall {
    client: PagerDuty,
    /// Catalog service name → PagerDuty service ID.
    services: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct OnCallEntry {
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    schedule: Option<Reference>,
    #[serde(default)]
    escalation_policy: Option<Reference>,
    #[serde(default)]
    escalation_level: u32,
    #[serde(default)]
    end: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct User {
    #[serde(default, deserialize_with = "null_default")]
    id: String,
    #[serde(default, deserialize_with = "null_default")]
    summary: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

impl PagerDutyOnCall {
    pub fn from_config(
        client: reqwest::Client,
        config: &crate::config::PagerDutyConfig,
        timeout: Duration,
    ) -> Result<PagerDutyOnCall, String> {
        Ok(PagerDutyOnCall {
            client: PagerDuty::from_config(client, config, timeout)?,
            services: config.oncall_map(),
        })
    }

    pub fn new(client: PagerDuty, services: BTreeMap<String, String>) -> PagerDutyOnCall {
        PagerDutyOnCall { client, services }
    }

    pub fn services(&self) -> Vec<String> {
        self.services.keys().cloned().collect()
    }

    fn service_id(&self, service: &str) -> Result<&str, String> {
        self.services
            .get(service)
            .map(String::as_str)
            .ok_or_else(|| {
                format!("pagerduty.oncall_services names no PagerDuty service for `{service}`")
            })
    }

    pub async fn who(&self, service: &str) -> Result<Vec<OnCallPerson>, String> {
        let id = self.service_id(service)?;
        self.people(id)
            .await
            .map_err(|e| format!("PagerDuty on-call for {service}: {e}"))
    }

    async fn people(&self, service_id: &str) -> Result<Vec<OnCallPerson>, BackendError> {
        #[derive(Deserialize)]
        struct One {
            service: Service,
        }
        #[derive(Deserialize)]
        struct Service {
            #[serde(default)]
            escalation_policy: Option<Reference>,
        }
        let c = &self.client;
        let path = format!("services/{}", encode_segment(service_id));
        let reply = c.send(|| c.endpoint().request(Method::GET, &path)).await?;
        let one: One = decode(&reply.url, &reply.body)?;
        let Some(policy) = one.service.escalation_policy.filter(|p| !p.id.is_empty()) else {
            return Ok(Vec::new());
        };
        #[derive(Deserialize)]
        struct Page {
            #[serde(flatten)]
            page: crate::backends::pagerduty::Page,
            #[serde(default, deserialize_with = "null_default")]
            oncalls: Vec<OnCallEntry>,
        }
        let q = vec![
            ("escalation_policy_ids[]", policy.id.clone()),
            ("include[]", "users".to_string()),
        ];
        let entries = c
            .paged("oncalls", &q, |p: Page| (p.page, p.oncalls))
            .await?;
        let mut people: Vec<OnCallPerson> = Vec::new();
        for e in entries {
            let Some(u) = e.user.filter(|u| !u.id.is_empty()) else {
                continue;
            };
            if people
                .iter()
                .any(|p| p.id == u.id && p.level == e.escalation_level)
            {
                continue;
            }
            let via = e
                .schedule
                .or(e.escalation_policy)
                .map(|r| r.summary)
                .unwrap_or_default();
            people.push(OnCallPerson {
                name: u.name.filter(|n| !n.trim().is_empty()).unwrap_or(u.summary),
                handle: u.email.unwrap_or_default(),
                level: e.escalation_level,
                until: e.end,
                id: u.id,
                via,
            });
        }
        people.sort_by(|a, b| a.level.cmp(&b.level).then(a.name.cmp(&b.name)));
        Ok(people)
    }

    pub async fn page(&self, req: &PageRequest<'_>) -> PageOutcome {
        let Some(incident) = req.linked.last() else {
            return PageOutcome {
                ok: false,
                detail: "no PagerDuty incident is linked to this incident, so there is nothing \
                         to add a responder to: link one first (`warroom pagerduty link`, or P \
                         in the console)"
                    .to_string(),
            };
        };
        match self.responder_request(incident, req).await {
            Ok(()) => PageOutcome {
                ok: true,
                detail: format!(
                    "responder request sent to {} on PagerDuty incident {incident}",
                    req.person.name
                ),
            },
            Err(e) => PageOutcome {
                ok: false,
                detail: format!("PagerDuty incident {incident}: {e}"),
            },
        }
    }

    async fn responder_request(
        &self,
        incident: &str,
        req: &PageRequest<'_>,
    ) -> Result<(), BackendError> {
        let requester = self.requester().await?;
        let c = &self.client;
        let body = json!({
            "requester_id": requester,
            "message": req.message,
            "responder_request_targets": [
                {"responder_request_target": {"id": req.person.id, "type": "user_reference"}}
            ],
        });
        let path = format!("incidents/{}/responder_requests", encode_segment(incident));
        c.send(|| {
            c.endpoint()
                .request(Method::POST, &path)
                .header("From", c.from())
                .json(&body)
        })
        .await?;
        Ok(())
    }

    /// The ID of the `[pagerduty] from` user, who asks for the responders.
    async fn requester(&self) -> Result<String, BackendError> {
        #[derive(Deserialize)]
        struct Users {
            #[serde(default, deserialize_with = "null_default")]
            users: Vec<User>,
        }
        let c = &self.client;
        let from = c.from().to_string();
        let reply = c
            .send(|| {
                c.endpoint()
                    .request(Method::GET, "users")
                    .query(&[("query", from.as_str())])
            })
            .await?;
        let users: Users = decode(&reply.url, &reply.body)?;
        users
            .users
            .into_iter()
            .find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&from))
            })
            .map(|u| u.id)
            .ok_or_else(|| {
                BackendError::Setup(format!(
                    "PagerDuty has no user with the email {from} (pagerduty.from)"
                ))
            })
    }
}
