//! Who is on call for a catalog service now, and paging one of them for an incident: the one
//! type the console and the CLI use, whichever vendor answers. PagerDuty today
//! (`oncall/pagerduty.rs`: the service's escalation policy, its on-calls, responder requests
//! on the PagerDuty incident linked to ours).

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
    /// Escalation level; 1 is paged first.
    pub level: u32,
    /// When this shift ends; `None` when permanently on call.
    pub until: Option<DateTime<Utc>>,
    /// The vendor's ID for them (what a page is sent to).
    pub id: String,
    /// The schedule or policy that puts them on call.
    pub via: String,
}

impl OnCallPerson {
    /// `L1  Lee Turner <lee@example.com>  until 17:00Z 21 Nov  (Payments primary)`, safe to
    /// show on a terminal.
    pub fn line(&self) -> String {
        let handle = if self.handle.is_empty() {
            String::new()
        } else {
            format!(" <{}>", self.handle)
        };
        let until = self.until.map_or_else(
            || "permanently".to_string(),
            |u| format!("until {}", u.format("%H:%MZ %d %b")),
        );
        let via = if self.via.is_empty() {
            String::new()
        } else {
            format!("  ({})", self.via)
        };
        crate::domain::for_terminal_line(&format!(
            "L{}  {}{handle}  {until}{via}",
            self.level, self.name
        ))
        .into_owned()
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

/// The on-call vendor configured for the catalog's services.
#[derive(Debug, Clone)]
pub enum OnCall {
    PagerDuty(pagerduty::PagerDutyOnCall),
}

impl OnCall {
    /// The vendor `config.toml` sets up for on-call (`[pagerduty] oncall_services`), `None`
    /// when none is; an error names the setting at fault.
    pub fn from_config(
        client: reqwest::Client,
        config: &crate::config::Config,
        timeout: Duration,
    ) -> Result<Option<OnCall>, String> {
        match &config.pagerduty {
            Some(pd) if !pd.oncall_services.is_empty() => Ok(Some(OnCall::PagerDuty(
                pagerduty::PagerDutyOnCall::from_config(client, pd, timeout)?,
            ))),
            _ => Ok(None),
        }
    }

    /// `PagerDuty`, for messages and the journal.
    pub fn vendor(&self) -> &'static str {
        match self {
            OnCall::PagerDuty(_) => "PagerDuty",
        }
    }

    /// The catalog services this vendor knows, sorted.
    pub fn services(&self) -> Vec<String> {
        match self {
            OnCall::PagerDuty(p) => p.services(),
        }
    }

    /// Who is on call for catalog service `service` now, by escalation level then name.
    pub async fn who(&self, service: &str) -> Result<Vec<OnCallPerson>, String> {
        match self {
            OnCall::PagerDuty(p) => p.who(service).await,
        }
    }

    /// Pages one person; never fails, the outcome says how it went.
    pub async fn page(&self, req: &PageRequest<'_>) -> PageOutcome {
        match self {
            OnCall::PagerDuty(p) => p.page(req).await,
        }
    }
}

/// What to say when nothing is configured for on-call.
pub const NOT_CONFIGURED: &str =
    "no on-call source: set [pagerduty] oncall_services (catalog service = PagerDuty service ID)";
