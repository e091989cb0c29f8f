//! The impact chart's data, from the journal alone (so an export is the same offline, on any
//! machine, at any time): the key metric of the most affected service and the incident's
//! milestones.
//!
//! What a journal holds of a metric is sparse: the reading in the words of each
//! `blast_radius_changed` entry (the evidence `error ratio 0.3010 > 0.0500 (down)` when a
//! metric put the service in its state) and, on a change to a better state, the key metric's
//! peak in the period it ends, with its time. A change back to ok carries no reading: the line
//! is broken there, since nobody recorded what the metric did while the service was fine.
//! Readings between those changes are not journaled; the chart shows what was.

use crate::charts::{ImpactChart, Milestone, MilestoneKind};
use crate::domain::{Entry, Event, Evidence, Incident, ServiceState};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A metric's name and value as read, or none where the service went back to ok unread.
type Reading = Option<(String, f64)>;

/// What the journal recorded of one service.
#[derive(Default)]
struct Seen {
    worst: Option<ServiceState>,
    customer_facing: bool,
    /// (time, metric, value), or (time, none) where it went back to ok.
    readings: Vec<(DateTime<Utc>, Reading)>,
    /// The key metric, as named by a recorded peak.
    key_metric: Option<String>,
    /// When it was last recorded leaving ok, and the seconds it spent affected before.
    affected_since: Option<DateTime<Utc>>,
    affected_seconds: i64,
}

/// The impact chart of the incident, or none when its journal holds no metric reading of an
/// affected service. The most affected service is the one that got worst (down before
/// degraded), then the one affected longest, then a customer-facing one, then by name.
pub fn impact_chart<E: AsRef<Entry>>(
    entries: &[E],
    incident: &Incident,
    now: DateTime<Utc>,
) -> Option<ImpactChart> {
    let until = incident.resolved_at.unwrap_or(now);
    let mut seen: BTreeMap<&str, Seen> = BTreeMap::new();
    let mut milestones = Vec::new();
    for entry in entries {
        let entry = entry.as_ref();
        let at = entry.at;
        let mut mark = |label: String, kind| milestones.push(Milestone { at, label, kind });
        match &entry.event {
            Event::Opened { severity, .. } => mark(
                format!("opened {}", severity.label()),
                MilestoneKind::Opened,
            ),
            Event::SeverityChanged { from, to } => mark(
                format!("{} → {}", from.label(), to.label()),
                MilestoneKind::Severity,
            ),
            Event::ActionStarted {
                action, dry_run, ..
            } if !dry_run => mark(format!("ran {action}"), MilestoneKind::Action),
            Event::ActionVerified { action, result, .. } => mark(
                format!("{action} {}", result.as_str().replace('_', " ")),
                MilestoneKind::Verified,
            ),
            Event::StatusUpdate { .. } => {
                mark("status update".to_string(), MilestoneKind::StatusUpdate)
            }
            Event::Resolved { .. } => mark("resolved".to_string(), MilestoneKind::Resolved),
            Event::BlastRadiusChanged { changes } => {
                for c in changes {
                    let s = seen.entry(c.service.as_str()).or_default();
                    s.customer_facing |= c.customer_facing;
                    if c.to != ServiceState::Ok {
                        s.worst = Some(s.worst.map_or(c.to, |w| w.min(c.to)));
                        s.affected_since.get_or_insert(at);
                    } else if let Some(since) = s.affected_since.take() {
                        s.affected_seconds += (at - since).num_seconds();
                    }
                    if let Some(p) = &c.peak {
                        s.key_metric = Some(p.metric.clone());
                        s.readings.push((p.at, Some((p.metric.clone(), p.value))));
                    }
                    let read: Vec<_> = c
                        .why
                        .iter()
                        .filter_map(|w| Evidence::metric_reading(w))
                        .map(|(m, v)| (at, Some((m.to_string(), v))))
                        .collect();
                    if c.to == ServiceState::Ok && read.is_empty() {
                        s.readings.push((at, None));
                    }
                    s.readings.extend(read);
                }
            }
            _ => {}
        }
    }
    for s in seen.values_mut() {
        if let Some(since) = s.affected_since.take() {
            s.affected_seconds += (until - since).num_seconds();
        }
    }
    let (service, metric, s) = seen
        .iter()
        .filter(|(_, s)| s.worst.is_some_and(|w| w <= ServiceState::Degraded))
        .filter_map(|(name, s)| Some((*name, key_metric(s)?, s)))
        .min_by(|a, b| {
            (a.2.worst, -a.2.affected_seconds, !a.2.customer_facing, a.0).cmp(&(
                b.2.worst,
                -b.2.affected_seconds,
                !b.2.customer_facing,
                b.0,
            ))
        })?;
    let mut points: Vec<(DateTime<Utc>, Option<f64>)> = s
        .readings
        .iter()
        .filter_map(|(t, r)| match r {
            Some((m, v)) if *m == metric => Some((*t, Some(*v))),
            Some(_) => None,
            None => Some((*t, None)),
        })
        .collect();
    points.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.is_none().cmp(&b.1.is_none())));
    let first = points
        .iter()
        .map(|p| p.0)
        .chain([incident.opened_at])
        .min()?;
    let last = points.iter().map(|p| p.0).chain([until]).max()?;
    let pad = ((last - first) / 20).max(chrono::Duration::minutes(1));
    Some(ImpactChart {
        service: service.to_string(),
        metric,
        from: first - pad,
        until: last + pad,
        points,
        milestones,
    })
}

/// The metric to draw: the key metric a peak named, else the metric read most often.
fn key_metric(s: &Seen) -> Option<String> {
    if let Some(m) = &s.key_metric {
        return Some(m.clone());
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in &s.readings {
        if let Some((m, _)) = r {
            *counts.entry(m.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(m, _)| m.to_string())
}
