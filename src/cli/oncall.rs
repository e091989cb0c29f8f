//! `warroom oncall SERVICE` (who is on call for a catalog service now) and `warroom page ID
//! --service S` (page one of them for the incident, confirmed with --yes, journaled with the
//! outcome). The vendor (PagerDuty, OpsGenie or Jira Service Management, per service) is
//! behind `backends::oncall`.

use super::record::{append, refuse_unless_leader};
use super::{Context, Failure};
use crate::backends::oncall::{NOT_CONFIGURED, OnCall, OnCallPerson, PageRequest};
use crate::domain::{Event, for_terminal_line};
use chrono::{DateTime, Utc};
use std::time::Duration;

fn source(ctx: &Context, verb: &str) -> Result<OnCall, Failure> {
    let config = ctx.config_for(verb, &["pagerduty", "opsgenie"])?;
    let http = crate::backends::http_client().map_err(Failure::runtime)?;
    OnCall::from_config(http, &config, Duration::from_secs(10))
        .map_err(Failure::bad_input)?
        .ok_or_else(|| {
            Failure::bad_input(format!(
                "{}: {NOT_CONFIGURED}; see docs/configuration.md",
                ctx.paths.config_file.display()
            ))
        })
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start: {e}")))
}

fn who(oncall: &OnCall, service: &str) -> Result<Vec<OnCallPerson>, Failure> {
    if !oncall.services().iter().any(|s| s == service) {
        return Err(Failure::bad_input(format!(
            "no on-call mapping for service `{service}`; known: {}",
            oncall.services().join(", ")
        )));
    }
    runtime()?
        .block_on(oncall.who(service))
        .map_err(Failure::runtime)
}

/// Who is on call for `service` now.
pub fn oncall(ctx: &Context, service: &str, json: bool) -> Result<(), Failure> {
    let oncall = source(ctx, "oncall")?;
    let people = who(&oncall, service)?;
    if json {
        let v = serde_json::json!({"service": service, "via": oncall.vendor(service), "oncall": people});
        say_json!(v.to_string());
        return Ok(());
    }
    if people.is_empty() {
        say!(
            "nobody is on call for {service} ({})",
            oncall.vendor(service)
        );
        return Ok(());
    }
    say!("on call for {service} now ({}):", oncall.vendor(service));
    for p in &people {
        say!("  {}", p.line());
    }
    Ok(())
}

/// Options of `warroom page`.
pub struct PageArgs<'a> {
    pub id: &'a str,
    pub service: &'a str,
    pub person: Option<&'a str>,
    pub message: &'a str,
    pub yes: bool,
}

/// Whether `p` is the person `wanted` names: name, handle, or the handle before its `@`.
fn is_named(p: &OnCallPerson, wanted: &str) -> bool {
    let local = p.handle.split('@').next().unwrap_or("");
    [p.name.as_str(), p.handle.as_str(), local, p.id.as_str()]
        .iter()
        .any(|k| !k.is_empty() && k.eq_ignore_ascii_case(wanted.trim()))
}

/// Pages someone on call for `service` (the first on call, or `person`) for incident `id`.
pub fn page(ctx: &Context, now: DateTime<Utc>, args: PageArgs) -> Result<(), Failure> {
    if !args.yes {
        return Err(Failure::bad_input(
            "paging reaches a person: say --yes to page (nothing was sent)",
        ));
    }
    if args.message.trim().is_empty() {
        return Err(Failure::bad_input("--message: what to tell them"));
    }
    let journal = ctx.store()?.open(args.id)?;
    let id = journal.id().to_string();
    let incident = journal
        .incident()
        .ok_or_else(|| Failure::runtime(format!("{id} has no opening entry")))?;
    if incident.drill.as_ref().is_some_and(|d| !d.write_backs) {
        return Err(Failure::bad_input(format!(
            "{id} is a drill whose scenario keeps write-backs off: nobody is paged"
        )));
    }
    let linked: Vec<String> = incident.pagerduty.iter().map(|l| l.id.clone()).collect();
    let oncall = source(ctx, "page")?;
    let probe = Event::Paged {
        person: "someone".into(),
        handle: String::new(),
        service: args.service.to_string(),
        via: oncall.vendor(args.service).to_string(),
        message: args.message.to_string(),
        ok: false,
        detail: String::new(),
    };
    // Refused before anything is sent: a page that cannot be journaled is not sent.
    incident
        .check(&probe)
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    refuse_unless_leader(ctx, &id, &probe)?;
    drop(journal);
    let people = who(&oncall, args.service)?;
    let person = match args.person {
        Some(wanted) => people.iter().find(|p| is_named(p, wanted)).ok_or_else(|| {
            Failure::bad_input(format!(
                "{wanted} is not on call for {}; on call: {}",
                args.service,
                names(&people)
            ))
        })?,
        None => people.first().ok_or_else(|| {
            Failure::runtime(format!("nobody is on call for {} to page", args.service))
        })?,
    };
    let req = PageRequest {
        service: args.service,
        person,
        message: args.message,
        linked: &linked,
    };
    let outcome = runtime()?.block_on(oncall.page(&req));
    let event = outcome.event(&req, oncall.vendor(args.service));
    let line = event.describe();
    append(ctx, now, &id, |_| event.clone())?;
    if outcome.ok {
        say!("{id}: {}", for_terminal_line(&line));
        Ok(())
    } else {
        Err(Failure::runtime(format!("{id}: {line}")))
    }
}

fn names(people: &[OnCallPerson]) -> String {
    if people.is_empty() {
        return "nobody".to_string();
    }
    people
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
