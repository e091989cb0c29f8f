//! `warroom pagerduty list|link|unlink`: the PagerDuty incidents of the configured services,
//! and which of them an incident is tied to. Status updates of an incident are added as notes
//! to every PagerDuty incident linked to it (see `warroom update` and the console).

use super::record::append;
use super::{Context, Failure};
use crate::backends::http::BackendError;
use crate::backends::http::one_line_cut as one_line;
use crate::backends::pagerduty::{Incident as PdIncident, PagerDuty};
use crate::domain::{Event, check_pagerduty_id};
use crate::journal::Journal;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The client for `[pagerduty]`, or exit 2 saying what is missing.
fn client(ctx: &Context) -> Result<(PagerDuty, crate::config::PagerDutyConfig), Failure> {
    let config = ctx.config_for("pagerduty", &["pagerduty"])?.pagerduty.ok_or_else(|| {
        Failure::bad_input(format!(
            "{}: no [pagerduty] section (token_env, from, service_ids); see docs/configuration.md",
            ctx.paths.config_file.display()
        ))
    })?;
    let http = crate::backends::http_client().map_err(Failure::runtime)?;
    let pd = PagerDuty::from_config(http, &config, Duration::from_secs(10))
        .map_err(Failure::bad_input)?;
    Ok((pd, config))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start: {e}")))
}

/// Triggered and acknowledged incidents of `[pagerduty] service_ids`, newest first.
pub fn list(ctx: &Context, json: bool) -> Result<(), Failure> {
    let (pd, config) = client(ctx)?;
    let mut incidents = runtime()?
        .block_on(pd.open_incidents(&config.service_ids))
        .map_err(|e| Failure::runtime(format!("PagerDuty: {e}")))?;
    incidents.sort_by_key(|i| std::cmp::Reverse(i.created_at));
    if json {
        let rows: Vec<serde_json::Value> = incidents.iter().map(row_json).collect();
        say_json!(serde_json::Value::Array(rows).to_string());
        return Ok(());
    }
    if incidents.is_empty() {
        say!("no triggered or acknowledged PagerDuty incidents");
        return Ok(());
    }
    for i in &incidents {
        say!(
            "{:<10} #{:<6} {:<12} {:<5} {:<24} {}",
            i.id,
            i.incident_number,
            i.status,
            i.urgency,
            one_line(&i.service.summary, 24),
            i.title_line(80)
        );
    }
    Ok(())
}

fn row_json(i: &PdIncident) -> serde_json::Value {
    serde_json::json!({
        "id": i.id,
        "number": i.incident_number,
        "title": i.shown_title(),
        "status": i.status,
        "urgency": i.urgency,
        "service": i.service.summary,
        "created_at": i.created_at,
        "url": i.html_url,
    })
}

/// Ties PagerDuty incident `pd_id` to incident `id`, after PagerDuty confirms it exists.
pub fn link(ctx: &Context, now: DateTime<Utc>, id: &str, pd_id: &str) -> Result<(), Failure> {
    check_pagerduty_id(pd_id).map_err(|e| Failure::bad_input(e.to_string()))?;
    // The incident first: a wrong ID should not cost a round trip to PagerDuty.
    let journal = ctx.store()?.open(id)?;
    let id = journal.id().to_string();
    drop(journal);
    let (pd, _) = client(ctx)?;
    let found = runtime()?
        .block_on(pd.incident(pd_id))
        .map_err(|e| match e {
            BackendError::Http { status: 404, .. } => {
                Failure::bad_input(format!("PagerDuty has no incident {pd_id}"))
            }
            e => Failure::runtime(format!("PagerDuty: {e}")),
        })?;
    let url = found.html_url.clone();
    let number = Some(found.incident_number).filter(|n| *n > 0);
    let name = found.title_line(crate::domain::MAX_LINE_CHARS);
    append(ctx, now, &id, |_| Event::PagerdutyLinked {
        incident: found.id.clone(),
        number,
        title: name.clone(),
        url: url.clone(),
    })?;
    say!(
        "{id}: PagerDuty incident {}{} linked ({}); status updates will be added to it as notes",
        found.id,
        number.map(|n| format!(" #{n}")).unwrap_or_default(),
        if found.status.is_empty() {
            "status unknown"
        } else {
            found.status.as_str()
        }
    );
    Ok(())
}

pub fn unlink(ctx: &Context, now: DateTime<Utc>, id: &str, pd_id: &str) -> Result<(), Failure> {
    append(ctx, now, id, |_| Event::PagerdutyUnlinked {
        incident: pd_id.to_string(),
    })?;
    say!("{id}: PagerDuty incident {pd_id} unlinked");
    Ok(())
}
