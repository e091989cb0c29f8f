//! `warroom blast ID [--json]`: the blast radius now, from every configured alert source,
//! the service metrics (Prometheus, Graphite) and `services.toml`, with when each service was first
//! affected during the incident. Reads only; records nothing.

use super::{Context, Failure};
use crate::backends::alertmanager::AlertFilter;
use crate::backends::{metrics, sources};
use crate::domain::{AlertBoard, BlastRadius, MetricValues, ServiceState, blast_radius};
use crate::journal::Journal;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

pub fn run(ctx: &Context, now: DateTime<Utc>, id: &str, as_json: bool) -> Result<(), Failure> {
    let journal = ctx.store()?.open(id)?;
    let incident = journal
        .incident()
        .cloned()
        .ok_or_else(|| Failure::bad_input(format!("{id} has no opening entry")))?;
    let needs = [crate::config::ALERT_PARTS, crate::config::METRIC_PARTS].concat();
    let config = ctx.config_for("blast", &needs)?;
    let catalog = crate::config::load_services(&ctx.paths.config_dir().join("services.toml"))
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    let client = crate::backends::http_client().map_err(Failure::runtime)?;
    let poll = crate::backends::poller::PollSettings::from_config(&config);
    let alert_sources =
        sources::sources_with_intake(&config, &client, poll.timeout, &ctx.paths.data_dir);
    let (readers, setup_problems) =
        metrics::MetricReaders::from_config(&config, &client, poll.timeout);
    let readers = Some(readers)
        .filter(|r| !r.is_empty() && catalog.services.iter().any(|s| !s.metrics.is_empty()));
    if alert_sources.is_empty() && readers.is_none() {
        return Err(Failure::bad_input(format!(
            "{}: no alert source and no metrics source with service metrics to compute the blast radius from",
            ctx.paths.config_file.display()
        )));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start: {e}")))?;
    let deadline = poll.timeout + std::time::Duration::from_millis(500);
    let filter = AlertFilter::default();
    let (reports, metrics_report) = runtime.block_on(async {
        let alerts = sources::poll_once(&alert_sources, &filter, deadline);
        let m = async {
            match &readers {
                Some(r) => Some(metrics::read(r, &catalog, now, false).await),
                None => None,
            }
        };
        futures::join!(alerts, m)
    });
    let mut board = AlertBoard::with_sources(alert_sources.iter().map(|s| s.name().to_string()));
    let mut problems: Vec<String> = setup_problems;
    let all_failed = !reports.is_empty() && reports.iter().all(|r| r.result.is_err());
    for r in reports {
        if let Err(e) = &r.result {
            problems.push(format!("{}: {e}", r.source));
        }
        r.apply(&mut board);
    }
    let values = match metrics_report {
        Some(m) => {
            problems.extend(m.errors.iter().map(|e| format!("metrics: {e}")));
            m.values
        }
        None => MetricValues::new(),
    };
    let blast = blast_radius(&catalog, &board.merged(), &values);
    for p in &problems {
        say_err!("warroom: warning: {p}");
    }
    if as_json {
        say_json!(to_json(&incident, &blast, &board, now));
    } else {
        print_text(&incident, &blast, now);
    }
    if all_failed && readers.is_none() {
        return Err(Failure::runtime(
            "every alert source failed; the blast radius above is empty for want of data",
        ));
    }
    Ok(())
}

fn to_json(
    incident: &crate::domain::Incident,
    b: &BlastRadius,
    board: &AlertBoard,
    now: DateTime<Utc>,
) -> String {
    let services: Vec<serde_json::Value> = b
        .services
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "state": s.state,
                "tier": s.tier,
                "customer_facing": s.customer_facing,
                "team": s.team,
                "root_suspect": s.root_suspect,
                "evidence": s.evidence,
                "key_metric": s.key_metric.as_ref().map(|(n, v)| json!({"name": n, "value": v})),
                "first_affected": incident.first_affected.get(&s.name).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            })
        })
        .collect();
    let unmapped: Vec<serde_json::Value> = b
        .unmapped
        .iter()
        .map(|a| json!({"fingerprint": a.fingerprint, "name": a.name(), "labels": a.labels, "starts_at": a.starts_at, "sources": a.sources}))
        .collect();
    let sources: Vec<serde_json::Value> = board
        .sources
        .iter()
        .map(|s| json!({"name": s.name, "ok": s.error.is_none(), "error": s.error}))
        .collect();
    let doc = json!({
        "incident": incident.id,
        "at": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "customers_affected": b.customers_affected(),
        "services": services,
        "unmapped": unmapped,
        "sources": sources,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn print_text(incident: &crate::domain::Incident, b: &BlastRadius, now: DateTime<Utc>) {
    let affected: Vec<_> = b.affected().collect();
    if affected.is_empty() {
        say!(
            "{}: all {} known services ok",
            incident.id,
            b.services.len()
        );
    } else {
        say!(
            "{}: {} of {} services affected{}",
            incident.id,
            affected.len(),
            b.services.len(),
            if b.customers_affected() {
                " — customers affected"
            } else {
                ""
            }
        );
        say!(
            "{:<9} {:<16} {:<4} {:<3} {:<8} EVIDENCE",
            "STATE",
            "SERVICE",
            "TIER",
            "CF",
            "SINCE"
        );
        for s in affected {
            let since = incident
                .first_affected
                .get(&s.name)
                .map(|t| crate::domain::short_duration(now - *t))
                .unwrap_or_else(|| "-".into());
            let evidence: Vec<String> = s.evidence.iter().map(|e| e.describe()).collect();
            say!(
                "{:<9} {:<16} {:<4} {:<3} {:<8} {}{}",
                s.state.as_str(),
                s.name,
                s.tier,
                if s.customer_facing { "yes" } else { "" },
                since,
                if s.root_suspect && s.state != ServiceState::AtRisk {
                    "[root suspect] "
                } else {
                    ""
                },
                evidence.join("; ")
            );
        }
    }
    if !b.unmapped.is_empty() {
        say!("Alerts mapping to no service:");
        for a in &b.unmapped {
            let labels: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            say!("  {} {{{}}}", a.name(), labels.join(", "));
        }
    }
}
