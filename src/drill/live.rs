//! `warroom drill live NAME`: a scenario's alerts through the team's real alerting pipeline.
//!
//! Either its synthetic alerts are posted into the configured Alertmanagers (`--via
//! alertmanager`), or its metrics at the fault's full strength are pushed through the
//! `[pushgateway]` (`--via pushgateway`, the default when one is configured) so that the team's
//! own Prometheus rules must fire. Every alert and series carries `drill="true"` and this run's
//! `drill_run`. warroom's own alert sources (the pollers' fetch) are then asked every interval
//! until each expected alert came back, or the wait is over: how long each took is reported,
//! and one that never arrived is the drill's first finding. At the end everything is cleaned
//! up: the pushed group deleted, the alerts expired (posted again with `endsAt` now), and what
//! is left of the run in the Alertmanagers or the Pushgateway is reported.
//!
//! A source the drill touches must say `drills = true` in its table, else the drill refuses to
//! start (exit 2, naming the table and the file).

use super::scenario::{Condition, Scenario};
use crate::backends::alertmanager::{AlertFilter, Alertmanager, PostableAlert};
use crate::backends::http::Endpoint;
use crate::backends::matcher::Matcher;
use crate::backends::pushgateway::Pushgateway;
use crate::backends::sources::{poll_once, sources_from_config};
use crate::config::Config;
use chrono::Utc;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// The Pushgateway group's job.
pub const JOB: &str = "warroom-drill";

/// Which way the alerts are made to fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Alertmanager,
    Pushgateway,
}

impl Via {
    pub fn parse(s: &str) -> Result<Via, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "alertmanager" => Ok(Via::Alertmanager),
            "pushgateway" => Ok(Via::Pushgateway),
            _ => Err(format!(
                "unknown --via '{s}' (expected one of: alertmanager pushgateway)"
            )),
        }
    }

    /// `--via` given, else the Pushgateway when one is configured.
    pub fn choose(given: Option<Via>, config: &Config) -> Via {
        given.unwrap_or(if config.pushgateway.is_some() {
            Via::Pushgateway
        } else {
            Via::Alertmanager
        })
    }
}

/// Why the drill may not run against this configuration (a source it touches is not marked
/// for drills, or missing); `None` when it may.
pub fn refusal(config: &Config, via: Via, file: &Path) -> Option<String> {
    let f = file.display();
    let unmarked = |table: &str| {
        format!(
            "{f}: {table} is not marked for drills: add drills = true to that table to let \
             `warroom drill live` push into it (it pushes alerts or metrics labelled \
             drill=\"true\" and removes them at the end)"
        )
    };
    if config.alertmanagers.is_empty() && via == Via::Alertmanager {
        return Some(format!(
            "{f}: no [[alertmanager]] to push the drill's alerts into (add one with drills = \
             true, or a [pushgateway] with drills = true)"
        ));
    }
    if let Some(am) = config.alertmanagers.iter().find(|a| !a.drills) {
        return Some(unmarked(&format!(
            "[[alertmanager]] \"{}\"",
            am.display_name()
        )));
    }
    if via == Via::Pushgateway {
        match &config.pushgateway {
            None => {
                return Some(format!(
                    "{f}: no [pushgateway] to push the drill's metrics through (add one with \
                     drills = true, or use --via alertmanager)"
                ));
            }
            Some(p) if !p.drills => return Some(unmarked("[pushgateway]")),
            Some(_) => {}
        }
        match &config.prometheus {
            Some(p) if !p.drills => return Some(unmarked("[prometheus]")),
            _ => {}
        }
    }
    None
}

/// An alert the drill expects to come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub alert: String,
    pub service: Option<String>,
    /// Its labels as posted (Alertmanager way).
    pub labels: BTreeMap<String, String>,
    pub summary: String,
}

/// The scenario's alerts that its fault makes fire: a rule over a signal whose value at the
/// fault's full strength crosses its threshold. Alerts firing all along are not the drill's.
pub fn expected(scenario: &Scenario, run: &str) -> Vec<Expected> {
    scenario
        .alerts
        .iter()
        .filter(|r| {
            let broken = match (&r.signal, &r.service) {
                (Some(sig), Some(svc)) => scenario
                    .service(svc)
                    .and_then(|s| s.curves.get(sig))
                    .map(|c| c.broken),
                _ => None,
            };
            match (r.condition, broken) {
                (Condition::Above(t), Some(v)) => v > t,
                (Condition::Below(t), Some(v)) => v < t,
                _ => false,
            }
        })
        .map(|r| {
            let mut labels = r.labels.clone();
            labels.insert("alertname".into(), r.name.clone());
            labels.insert("severity".into(), r.severity.clone());
            labels.insert("team".into(), r.team.clone());
            if let Some(s) = &r.service {
                labels.insert("service".into(), s.clone());
            }
            labels.insert("drill".into(), "true".into());
            labels.insert("drill_run".into(), run.into());
            Expected {
                alert: r.name.clone(),
                service: r.service.clone(),
                labels,
                summary: format!("[DRILL] {}", r.summary),
            }
        })
        .collect()
}

/// A label value in the exposition format.
fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Every series of the scenario at the fault's full strength, labelled `drill="true"`, in the
/// exposition format (the Pushgateway adds `job` and `drill_run` from the group).
pub fn series_text(scenario: &Scenario) -> String {
    let mut out = String::new();
    for s in &scenario.services {
        for (key, curve) in &s.curves {
            let Some(signal) = scenario.signal(key) else {
                continue;
            };
            out.push_str(&format!(
                "{}{{service=\"{}\",drill=\"true\"}} {}\n",
                signal.metric,
                label_value(&s.name),
                curve.broken
            ));
        }
    }
    out
}

/// How one expected alert fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arrival {
    pub alert: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Seconds from the push to the first poll that saw it; `None`: never within the wait.
    pub latency_secs: Option<f64>,
    /// The source it came back through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What a live drill found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveReport {
    pub scenario: String,
    pub via: Via,
    pub run: String,
    pub wait_secs: f64,
    pub arrivals: Vec<Arrival>,
    /// The drill's findings: expected alerts that never came back.
    pub findings: Vec<String>,
    /// What was cleaned up.
    pub cleanup: Vec<String>,
    /// What of the drill is still there after cleaning up (should be nothing).
    pub leftovers: Vec<String>,
}

/// How long to wait and how often to look.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub wait: Duration,
    pub interval: Duration,
    pub timeout: Duration,
}

fn endpoint(client: &reqwest::Client, url: &str, timeout: Duration) -> Result<Endpoint, String> {
    Endpoint::new(client.clone(), url, timeout).map_err(|e| e.to_string())
}

/// Runs the drill: push, wait for the alerts through warroom's sources, clean up.
pub async fn run(
    config: &Config,
    scenario: &Scenario,
    via: Via,
    timing: Timing,
    client: &reqwest::Client,
) -> Result<LiveReport, String> {
    let run = format!("{}-{}", scenario.name, Utc::now().timestamp_millis());
    let expected = expected(scenario, &run);
    let managers: Vec<(String, Alertmanager)> = config
        .alertmanagers
        .iter()
        .map(|a| {
            endpoint(client, a.url.get_ref(), timing.timeout)
                .map(|e| (a.display_name(), Alertmanager::new(e)))
        })
        .collect::<Result<_, _>>()?;
    let pushgateway = match (&config.pushgateway, via) {
        (Some(p), Via::Pushgateway) => Some(Pushgateway::new(endpoint(
            client,
            p.url.get_ref(),
            timing.timeout,
        )?)),
        _ => None,
    };
    let grouping = [("job", JOB), ("drill_run", run.as_str())];
    let started = Utc::now();
    let far = started + chrono::Duration::hours(1);
    // Posted again with `ends_at` now, the same alerts (same labels, same start) expire.
    let postable = |ends_at| -> Vec<PostableAlert> {
        expected
            .iter()
            .map(|e| PostableAlert {
                labels: e.labels.clone(),
                annotations: BTreeMap::from([("summary".to_string(), e.summary.clone())]),
                starts_at: started,
                ends_at,
            })
            .collect()
    };

    // Push.
    let pushed_at = Instant::now();
    match &pushgateway {
        Some(p) => p
            .push(&grouping, &series_text(scenario))
            .await
            .map_err(|e| format!("cannot push the drill's metrics: {e}"))?,
        None => {
            for (name, am) in &managers {
                am.post_alerts(&postable(far))
                    .await
                    .map_err(|e| format!("cannot post the drill's alerts to {name}: {e}"))?;
            }
        }
    }

    // Wait for them through warroom's own sources.
    let sources = sources_from_config(config, client, timing.timeout);
    let run_matcher = Matcher::parse(&format!("drill_run=\"{run}\"")).map_err(|e| e.to_string())?;
    let filter = AlertFilter::matching(std::slice::from_ref(&run_matcher));
    let mut arrivals: Vec<Arrival> = expected
        .iter()
        .map(|e| Arrival {
            alert: e.alert.clone(),
            service: e.service.clone(),
            latency_secs: None,
            source: None,
        })
        .collect();
    let deadline = pushed_at + timing.wait;
    loop {
        for report in poll_once(&sources, &filter, timing.timeout).await {
            let Ok(alerts) = &report.result else { continue };
            for a in alerts {
                // Pending is not firing yet: the rule's `for` is part of the latency.
                if a.labels.get("drill_run") != Some(run.as_str())
                    || a.state == crate::domain::AlertState::Pending
                {
                    continue;
                }
                for arrival in arrivals.iter_mut().filter(|x| x.latency_secs.is_none()) {
                    if a.labels.get("alertname") == Some(arrival.alert.as_str())
                        && a.labels.get("service") == arrival.service.as_deref()
                    {
                        arrival.latency_secs = Some(pushed_at.elapsed().as_secs_f64());
                        arrival.source = Some(report.source.clone());
                    }
                }
            }
        }
        if arrivals.iter().all(|a| a.latency_secs.is_some()) || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(timing.interval).await;
    }
    let findings: Vec<String> = arrivals
        .iter()
        .filter(|a| a.latency_secs.is_none())
        .map(|a| {
            let what = match &a.service {
                Some(s) => format!("{}{{service={s}}}", a.alert),
                None => a.alert.clone(),
            };
            match via {
                Via::Pushgateway => format!(
                    "{what} never came back within {}s: no rule of that name fired on the \
                     pushed metrics, or its alert did not reach warroom's sources",
                    timing.wait.as_secs()
                ),
                Via::Alertmanager => format!(
                    "{what} never came back within {}s: posted to the Alertmanager but not \
                     seen by warroom's sources",
                    timing.wait.as_secs()
                ),
            }
        })
        .collect();

    // Clean up.
    let mut cleanup = Vec::new();
    let mut problems = Vec::new();
    if let Some(p) = &pushgateway {
        match p.delete(&grouping).await {
            Ok(()) => cleanup.push(format!(
                "deleted the Pushgateway group job={JOB} drill_run={run}"
            )),
            Err(e) => problems.push(format!("cannot delete the pushed series: {e}")),
        }
        // The rules resolve once Prometheus scrapes the series gone; wait for that before
        // expiring what is left, or it would send them again.
        let until = Instant::now() + timing.wait;
        while Instant::now() < until {
            let reports = poll_once(&sources, &filter, timing.timeout).await;
            let firing = reports.iter().any(|r| {
                r.result.as_ref().is_ok_and(|a| {
                    a.iter()
                        .any(|a| a.labels.get("drill_run") == Some(run.as_str()))
                })
            });
            if !firing {
                break;
            }
            tokio::time::sleep(timing.interval).await;
        }
    }
    for (name, am) in &managers {
        let mut to_expire = if pushgateway.is_none() {
            postable(Utc::now())
        } else {
            Vec::new()
        };
        match am.alerts(&filter).await {
            Ok(left) => {
                for a in left {
                    let labels = a.labels.to_map();
                    if to_expire.iter().all(|p| p.labels != labels) {
                        to_expire.push(PostableAlert {
                            labels,
                            annotations: BTreeMap::new(),
                            starts_at: a.starts_at,
                            ends_at: Utc::now(),
                        });
                    }
                }
            }
            Err(e) => problems.push(format!("cannot read {name}'s alerts to clean up: {e}")),
        }
        if to_expire.is_empty() {
            continue;
        }
        match am.post_alerts(&to_expire).await {
            Ok(()) => cleanup.push(format!(
                "expired {} drill alert(s) in {name}",
                to_expire.len()
            )),
            Err(e) => problems.push(format!("cannot expire the drill's alerts in {name}: {e}")),
        }
    }

    // What is left of it.
    let mut leftovers = problems;
    for (name, am) in &managers {
        if let Ok(left) = am.alerts(&filter).await
            && !left.is_empty()
        {
            leftovers.push(format!("{} drill alert(s) still in {name}", left.len()));
        }
    }
    if let Some(p) = &pushgateway {
        match p.groups().await {
            Ok(groups) => {
                if groups
                    .iter()
                    .any(|g| g.get("drill_run").map(String::as_str) == Some(run.as_str()))
                {
                    leftovers.push(format!(
                        "the group drill_run={run} is still on the Pushgateway"
                    ));
                }
            }
            Err(e) => leftovers.push(format!("cannot list the Pushgateway's groups: {e}")),
        }
    }
    Ok(LiveReport {
        scenario: scenario.name.clone(),
        via,
        run,
        wait_secs: timing.wait.as_secs_f64(),
        arrivals,
        findings,
        cleanup,
        leftovers,
    })
}

/// The report as text for a terminal.
pub fn text(r: &LiveReport) -> String {
    let mut out = format!(
        "Live drill {} via {} (run {}): {} expected alert(s)\n",
        r.scenario,
        match r.via {
            Via::Alertmanager => "alertmanager",
            Via::Pushgateway => "pushgateway",
        },
        r.run,
        r.arrivals.len()
    );
    for a in &r.arrivals {
        let name = match &a.service {
            Some(s) => format!("{}{{service={s}}}", a.alert),
            None => a.alert.clone(),
        };
        match (a.latency_secs, &a.source) {
            (Some(l), Some(src)) => {
                out.push_str(&format!("  {name:<40} came back after {l:.1}s via {src}\n"))
            }
            _ => out.push_str(&format!(
                "  {name:<40} NEVER came back within {:.0}s\n",
                r.wait_secs
            )),
        }
    }
    if r.findings.is_empty() {
        out.push_str("Findings: none; every expected alert came back.\n");
    } else {
        out.push_str("Findings:\n");
        for (n, f) in r.findings.iter().enumerate() {
            out.push_str(&format!("  {}. {f}\n", n + 1));
        }
    }
    for c in &r.cleanup {
        out.push_str(&format!("Cleanup: {c}\n"));
    }
    for l in &r.leftovers {
        out.push_str(&format!("LEFT OVER: {l}\n"));
    }
    out
}
