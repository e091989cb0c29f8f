//! `warroom write-back ID ALERT acknowledge|comment|silence|close TEXT`: acknowledges an alert
//! in its source, comments on it there, silences it (Sensu) or closes it there (OpsGenie, Jira
//! Service Management), and records the outcome in the incident,
//! taken or not. ALERT is the alert's fingerprint or its name as `warroom alerts` shows it.
//! Exit 1 when a source did not take it (the log says why), 2 for bad input.

use super::{Context, Failure};
use crate::backends::alertmanager::AlertFilter;
use crate::backends::sources::write_back_event;
use crate::backends::{http_client, poll_once, sources_from_config};
use crate::domain::{Alert, Event, WriteBack};
use crate::journal::Journal;
use chrono::{DateTime, Utc};
use std::time::Duration;

pub fn run(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    alert: &str,
    action: &str,
    text: &str,
) -> Result<(), Failure> {
    let kind = WriteBack::from_name(action).ok_or_else(|| {
        Failure::bad_input(format!(
            "unknown write-back '{action}' (expected one of {})",
            WriteBack::names()
        ))
    })?;
    let text = super::record::text_arg(text)?;
    let text = text
        .split(char::is_control)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string();
    let config = ctx.config_for("write-back", crate::config::ALERT_PARTS)?;
    // Refused before anything is sent: an incident that does not take the record.
    {
        let journal = ctx.store()?.open(id)?;
        let incident = journal.incident().ok_or_else(|| {
            Failure::runtime(format!("{id} has no opening entry; its journal is empty"))
        })?;
        let probe = Event::AlertWriteBack {
            source: "source".into(),
            fingerprint: String::new(),
            alert: alert.to_string(),
            action: kind.name().to_string(),
            text: text.clone(),
            ok: true,
            detail: String::new(),
        };
        incident
            .check(&probe)
            .map_err(|e| Failure::bad_input(e.to_string()))?;
        if !incident.write_backs_allowed() {
            return Err(Failure::bad_input(format!(
                "{id} is a drill: write-backs are off (its scenario does not enable them)"
            )));
        }
    }
    let client = http_client().map_err(Failure::runtime)?;
    let timeout = config.alerts.timeout();
    let sources: Vec<_> = sources_from_config(&config, &client, timeout)
        .into_iter()
        .filter(|s| s.write_backs().contains(&kind))
        .collect();
    if sources.is_empty() {
        return Err(Failure::bad_input(format!(
            "{}: no configured alert source takes {} ([[nagios]], [[icinga]] and [[newrelic]] acknowledge, [[nagios]] and [[icinga]] comment, [[sensu]] silences, [[opsgenie]] all but silences)",
            ctx.paths.config_file.display(),
            kind.name()
        )));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot ask the alert sources: {e}")))?;
    let by = ctx.author.clone();
    let events = runtime.block_on(async {
        let reports = poll_once(
            &sources,
            &AlertFilter::default(),
            timeout + Duration::from_millis(500),
        )
        .await;
        let mut found: Vec<(usize, Alert)> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        for (n, r) in reports.into_iter().enumerate() {
            match r.result {
                Ok(alerts) => found.extend(
                    alerts
                        .into_iter()
                        .filter(|a| a.fingerprint == alert || a.name() == alert)
                        .map(|a| (n, a)),
                ),
                Err(e) => errors.push(e),
            }
        }
        let mut events = Vec::new();
        for (n, a) in &found {
            events.push(write_back_event(&sources[*n], a, kind, &text, &by).await);
        }
        (events, errors)
    });
    let (events, errors) = events;
    if events.is_empty() {
        let mut why = format!(
            "no current alert {alert} in the sources that take {}",
            kind.name()
        );
        if !errors.is_empty() {
            why.push_str(&format!(" ({})", errors.join("; ")));
            return Err(Failure::runtime(why));
        }
        return Err(Failure::bad_input(why));
    }
    let mut failed = 0;
    for event in events {
        if matches!(event, Event::AlertWriteBack { ok: false, .. }) {
            failed += 1;
        }
        let line = event.describe();
        super::record::append(ctx, now, id, |_| event.clone())?;
        say!("{line}");
    }
    if failed > 0 {
        return Err(Failure::runtime(format!(
            "{failed} source(s) did not take the {}",
            kind.name()
        )));
    }
    Ok(())
}
