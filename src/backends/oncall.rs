//! Who is on call for a catalog service now, and paging one of them for an incident: the one
//! type the console and the CLI use, whichever vendor answers. PagerDuty
//! (`oncall/pagerduty.rs`: the service's escalation policy, its on-calls, responder requests
//! on the PagerDuty incident linked to ours) and OpsGenie or Jira Service Management
//! (`oncall/opsgenie.rs`: the schedule an `[[opsgenie]]` entry maps the service to, a new alert
//! with the person as its responder). With several configured, each service is answered by
//! the first that maps it: `[pagerduty]`, then the `[[opsgenie]]` entries in their order.

pub mod opsgenie;
pub mod pagerduty;

use crate::domain::Event;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// One person on call for a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnCallPerson {
    pub name: String,
    /// Their email or handle: how warroom knows them when they check in.
    pub handle: String,
    /// Escalation level; 1 is paged first. 0: on call through a schedule that gives no
    /// level and no end (OpsGenie, Jira Service Management).
    pub level: u32,
    /// When this shift ends; `None` when permanently on call.
    pub until: Option<DateTime<Utc>>,
    /// The vendor's ID for them (what a page is sent to).
    pub id: String,
    /// The schedule or policy that puts them on call.
    pub via: String,
}

impl OnCallPerson {
    /// `L1  Lee Turner <lee@example.com>  until 17:00Z 21 Nov  (Payments primary)` (level 0:
    /// `kim@example.com  on call now  (Payments_Schedule)`), safe to show on a terminal.
    pub fn line(&self) -> String {
        let who = crate::domain::with_handle(&self.name, &self.handle);
        let until = self.until.map_or_else(
            || "permanently".to_string(),
            |u| format!("until {}", u.format("%H:%MZ %d %b")),
        );
        let via = if self.via.is_empty() {
            String::new()
        } else {
            format!("  ({})", self.via)
        };
        let line = if self.level == 0 {
            format!("{who}  on call now{via}")
        } else {
            format!("L{}  {who}  {until}{via}", self.level)
        };
        crate::domain::for_terminal_line(&line).into_owned()
    }
}

/// What to page: a person on call for `service`, for our incident, with a message.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    pub service: &'a str,
    pub person: &'a OnCallPerson,
    pub message: &'a str,
    /// The vendor's incidents linked to ours (PagerDuty IDs), oldest first.
    pub linked: &'a [String],
}

/// How a page went: a line for the journal either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOutcome {
    pub ok: bool,
    pub detail: String,
}

impl PageOutcome {
    /// The `paged` event recording this outcome.
    pub fn event(&self, req: &PageRequest<'_>, via: &str) -> Event {
        Event::Paged {
            person: req.person.name.clone(),
            handle: req.person.handle.clone(),
            service: req.service.to_string(),
            via: via.to_string(),
            message: req.message.to_string(),
            ok: self.ok,
            detail: self.detail.clone(),
        }
    }
}

/// The on-call vendors configured for the catalog's services.
#[derive(Debug, Clone)]
pub enum OnCall {
    PagerDuty(pagerduty::PagerDutyOnCall),
    /// One `[[opsgenie]]` entry (OpsGenie or Jira Service Management).
    OpsGenie(opsgenie::OpsGenieOnCall),
    /// Several: each service answered by the first that maps it.
    Several(Vec<OnCall>),
}

impl OnCall {
    /// The vendors `config.toml` sets up for on-call (`[pagerduty] oncall_services`,
    /// `[[opsgenie]] oncall_schedules`), `None` when none is; an error names the setting at
    /// fault.
    pub fn from_config(
        client: reqwest::Client,
        config: &crate::config::Config,
        timeout: Duration,
    ) -> Result<Option<OnCall>, String> {
        OnCall::from_parts(
            client,
            config.pagerduty.as_ref(),
            &config.opsgenies,
            timeout,
        )
    }

    /// The same from the sections themselves (the console keeps them).
    pub fn from_parts(
        client: reqwest::Client,
        pagerduty: Option<&crate::config::PagerDutyConfig>,
        opsgenies: &[crate::config::OpsGenieConfig],
        timeout: Duration,
    ) -> Result<Option<OnCall>, String> {
        let mut all = Vec::new();
        if let Some(pd) = pagerduty.filter(|pd| !pd.oncall_services.is_empty()) {
            all.push(OnCall::PagerDuty(pagerduty::PagerDutyOnCall::from_config(
                client.clone(),
                pd,
                timeout,
            )?));
        }
        for og in opsgenies
            .iter()
            .filter(|og| !og.oncall_schedules.is_empty())
        {
            all.push(OnCall::OpsGenie(opsgenie::OpsGenieOnCall::from_config(
                &client, og, timeout,
            )?));
        }
        Ok(match all.len() {
            0 => None,
            1 => all.pop(),
            _ => Some(OnCall::Several(all)),
        })
    }

    /// The catalog services some on-call setting maps, sorted, without reading a secret.
    pub fn configured_services(config: &crate::config::Config) -> Vec<String> {
        let mut all: Vec<String> = config
            .pagerduty
            .iter()
            .flat_map(|p| p.oncall_services.keys().cloned())
            .chain(
                config
                    .opsgenies
                    .iter()
                    .flat_map(|o| o.oncall_schedules.keys().cloned()),
            )
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// The vendor that answers for `service` (the first that maps it).
    fn answering(&self, service: &str) -> &OnCall {
        match self {
            OnCall::Several(all) => all
                .iter()
                .find(|o| o.services().iter().any(|s| s == service))
                .or(all.first())
                .map_or(self, |o| o.answering(service)),
            _ => self,
        }
    }

    /// `PagerDuty`, `OpsGenie` or `Jira Service Management`: who answers for `service`, for
    /// messages and the journal.
    pub fn vendor(&self, service: &str) -> &'static str {
        match self.answering(service) {
            OnCall::PagerDuty(_) => "PagerDuty",
            OnCall::OpsGenie(o) => o.vendor(),
            OnCall::Several(_) => "on-call",
        }
    }

    /// The catalog services these vendors know, sorted.
    pub fn services(&self) -> Vec<String> {
        match self {
            OnCall::PagerDuty(p) => p.services(),
            OnCall::OpsGenie(o) => o.services(),
            OnCall::Several(all) => {
                let mut s: Vec<String> = all.iter().flat_map(OnCall::services).collect();
                s.sort();
                s.dedup();
                s
            }
        }
    }

    /// Who is on call for catalog service `service` now, by escalation level then name.
    pub async fn who(&self, service: &str) -> Result<Vec<OnCallPerson>, String> {
        match self.answering(service) {
            OnCall::PagerDuty(p) => p.who(service).await,
            OnCall::OpsGenie(o) => o.who(service).await,
            OnCall::Several(_) => Err(format!("no on-call mapping for service `{service}`")),
        }
    }

    /// Pages one person; never fails, the outcome says how it went.
    pub async fn page(&self, req: &PageRequest<'_>) -> PageOutcome {
        match self.answering(req.service) {
            OnCall::PagerDuty(p) => p.page(req).await,
            OnCall::OpsGenie(o) => o.page(req).await,
            OnCall::Several(_) => PageOutcome {
                ok: false,
                detail: format!("no on-call mapping for service `{}`", req.service),
            },
        }
    }
}

/// What to say when nothing is configured for on-call.
pub const NOT_CONFIGURED: &str = "no on-call source: set [pagerduty] oncall_services (catalog service = PagerDuty service ID) or oncall_schedules in an [[opsgenie]] entry (catalog service = schedule)";
