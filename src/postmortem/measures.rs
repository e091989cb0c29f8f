//! The numbers of a post-mortem: how long at each severity, how long each service was
//! affected, when the incident was detected, engaged, mitigated; who held which role. Each is
//! read off the entries as recorded, never estimated.

use super::report::{
    Action, Alert, Link, Messaging, Peak, Report, Responder, ServiceImpact, ServicePeriod,
    SeverityPeriod, SeverityTime, StatusChange, seconds,
};
use crate::domain::{
    ActionOutcome, Entry, Event, FollowUpKind, Incident, Role, ServiceState, Severity, Status,
    VerifyResult,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The severity the incident had from each change to the next, the last up to `end`.
pub(crate) fn severity_periods(
    history: &[(DateTime<Utc>, Severity)],
    end: DateTime<Utc>,
) -> Vec<SeverityPeriod> {
    history
        .iter()
        .enumerate()
        .map(|(n, (from, severity))| {
            let until = history.get(n + 1).map_or(end, |(t, _)| *t).max(*from);
            SeverityPeriod {
                severity: *severity,
                from: *from,
                until,
                seconds: seconds(until - *from),
            }
        })
        .collect()
}

pub(crate) fn time_in_severity(periods: &[SeverityPeriod]) -> Vec<SeverityTime> {
    let mut total: BTreeMap<Severity, i64> = BTreeMap::new();
    for p in periods {
        *total.entry(p.severity).or_default() += p.seconds;
    }
    total
        .into_iter()
        .map(|(severity, seconds)| SeverityTime { severity, seconds })
        .collect()
}

/// Links worth following from a timeline line: the alert sources' pages (http and https only).
pub(super) fn links_of(event: &Event) -> Vec<Link> {
    let refs: Vec<&crate::domain::AlertRef> = match event {
        Event::AlertLinked { alert, .. } => vec![alert],
        Event::AlertsChanged { firing, resolved } => firing.iter().chain(resolved).collect(),
        Event::PagerdutyLinked {
            incident,
            url: Some(url),
            ..
        } if is_web_url(url) => {
            return vec![Link {
                label: format!("PagerDuty {incident}"),
                url: url.clone(),
            }];
        }
        _ => return Vec::new(),
    };
    refs.into_iter()
        .filter_map(|a| {
            let url = a.generator_url.as_deref()?;
            is_web_url(url).then(|| Link {
                label: a.describe(),
                url: url.to_string(),
            })
        })
        .collect()
}

pub(super) fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The alerts linked to the incident (and not unlinked), in the order they were linked, with
/// their firing and resolving as the journal recorded it.
pub(crate) fn alerts<E: AsRef<Entry>>(entries: &[E]) -> Vec<Alert> {
    let mut out: Vec<Alert> = Vec::new();
    for e in entries.iter().map(AsRef::as_ref) {
        match &e.event {
            Event::AlertLinked { alert, firing } => {
                out.retain(|a| a.fingerprint != alert.fingerprint);
                out.push(Alert {
                    name: alert.name.clone(),
                    fingerprint: alert.fingerprint.clone(),
                    labels: alert.labels.clone(),
                    starts_at: alert.starts_at,
                    ends_at: if *firing { None } else { alert.ends_at },
                    firing: *firing,
                    linked_at: e.at,
                    linked_by: e.by.clone(),
                    refired: 0,
                    generator_url: alert.generator_url.clone(),
                    summary: alert.summary.clone(),
                });
            }
            Event::AlertUnlinked { fingerprint } => out.retain(|a| a.fingerprint != *fingerprint),
            Event::AlertsChanged { firing, resolved } => {
                for r in firing {
                    if let Some(a) = out.iter_mut().find(|a| a.fingerprint == r.fingerprint) {
                        if !a.firing {
                            a.refired += 1;
                        }
                        a.firing = true;
                        a.ends_at = None;
                        a.starts_at = a.starts_at.min(r.starts_at);
                    }
                }
                for r in resolved {
                    if let Some(a) = out.iter_mut().find(|a| a.fingerprint == r.fingerprint) {
                        a.firing = false;
                        a.ends_at = Some(r.ends_at.unwrap_or(e.at));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Each run of a compensating action, as the incident folded it.
pub(crate) fn actions(incident: &Incident) -> Vec<Action> {
    incident
        .action_runs
        .iter()
        .map(|r| {
            let verification = r.verification.as_ref();
            Action {
                run_id: r.run_id.clone(),
                action: r.action.clone(),
                params: r.params.clone(),
                dry_run: r.dry_run,
                command: r.command.clone(),
                started_at: r.started_at,
                started_by: r.started_by.clone(),
                finished_at: r.finished.as_ref().map(|f| f.at),
                outcome: r.finished.as_ref().map(|f| {
                    match f.outcome {
                        ActionOutcome::Succeeded => "succeeded",
                        ActionOutcome::Failed => "failed",
                        ActionOutcome::TimedOut => "timed_out",
                        ActionOutcome::Cancelled => "cancelled",
                    }
                    .to_string()
                }),
                exit_code: r.finished.as_ref().and_then(|f| f.exit_code),
                http_status: r.finished.as_ref().and_then(|f| f.http_status),
                duration_ms: r.finished.as_ref().map(|f| f.duration_ms),
                verification: verification.map(|v| {
                    match v.result {
                        VerifyResult::Effective => "effective",
                        VerifyResult::NotEffective => "not_effective",
                        VerifyResult::Failed => "failed",
                    }
                    .to_string()
                }),
                // Readings recorded in full (`0.0018174245924825177`) read as people write them.
                verification_detail: verification
                    .map(|v| crate::domain::humanize_numbers(&v.detail)),
                verified_at: verification.map(|v| v.at),
                effective: !r.dry_run
                    && verification.is_some_and(|v| v.result == VerifyResult::Effective),
            }
        })
        .collect()
}

/// `R2 flag-off (flag=checkout-v2)`.
pub(super) fn action_label(a: &Action) -> String {
    if a.params.is_empty() {
        return format!("{} {}", a.run_id, a.action);
    }
    let p: Vec<String> = a.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{} {} ({})", a.run_id, a.action, p.join(", "))
}

/// The first mitigation: an action verified effective (at the time it finished), or the
/// status moving to monitoring, whichever came first.
pub(crate) fn mitigation(
    actions: &[Action],
    status_changes: &[StatusChange],
) -> (Option<DateTime<Utc>>, Option<String>) {
    let by_action = actions.iter().filter(|a| a.effective).filter_map(|a| {
        let at = a.finished_at.or(a.verified_at)?;
        Some((at, format!("{} verified effective", action_label(a))))
    });
    let by_status = status_changes
        .iter()
        .filter(|c| c.to == Status::Monitoring)
        .map(|c| (c.at, format!("status {} → monitoring ({})", c.from, c.by)));
    match by_action.chain(by_status).min_by_key(|(at, _)| *at) {
        Some((at, why)) => (Some(at), Some(why)),
        None => (None, None),
    }
}

/// The first sign someone took charge: a commander assigned, a handoff, or an
/// acknowledgement recorded by a newer version (a type ending in `acknowledged`).
pub(crate) fn engagement<E: AsRef<Entry>>(
    entries: &[E],
    opened_at: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<String>) {
    entries
        .iter()
        .map(AsRef::as_ref)
        .filter(|e| e.at >= opened_at)
        .find_map(|e| {
            let why = match &e.event {
                Event::RoleAssigned {
                    role: Role::Commander,
                    person,
                } => format!("{person} assigned commander"),
                Event::Handoff { to, .. } => format!("{to} took command"),
                other if other.type_name().ends_with("acknowledged") => {
                    format!("acknowledged by {}", e.by)
                }
                _ => return None,
            };
            Some((e.at, why))
        })
        .map_or((None, None), |(at, why)| (Some(at), Some(why)))
}

/// Every service the blast radius recorded as not ok, with each state it went through, up to
/// `end` (resolution, or now while open).
pub(crate) fn services<E: AsRef<Entry>>(entries: &[E], end: DateTime<Utc>) -> Vec<ServiceImpact> {
    struct Track {
        customer_facing: bool,
        public_name: Option<String>,
        peak: Option<Peak>,
        open: Option<(ServiceState, DateTime<Utc>)>,
        periods: Vec<ServicePeriod>,
        recovered_at: Option<DateTime<Utc>>,
    }
    let close = |t: &mut Track, at: DateTime<Utc>| {
        if let Some((state, from)) = t.open.take() {
            let until = at.min(end).max(from);
            t.periods.push(ServicePeriod {
                state,
                from,
                until,
                seconds: seconds(until - from),
            });
        }
    };
    let mut tracks: BTreeMap<&str, Track> = BTreeMap::new();
    for e in entries.iter().map(AsRef::as_ref).filter(|e| e.at <= end) {
        let Event::BlastRadiusChanged { changes } = &e.event else {
            continue;
        };
        for c in changes {
            let t = tracks.entry(c.service.as_str()).or_insert(Track {
                customer_facing: c.customer_facing,
                public_name: None,
                peak: None,
                open: None,
                periods: Vec::new(),
                recovered_at: None,
            });
            t.customer_facing = c.customer_facing;
            if c.public_name.is_some() {
                t.public_name = c.public_name.clone();
            }
            if let Some(p) = &c.peak
                && t.peak.as_ref().is_none_or(|old| p.value > old.value)
            {
                t.peak = Some(Peak {
                    metric: p.metric.clone(),
                    value: p.value,
                    at: p.at,
                });
            }
            if t.open.is_some_and(|(s, _)| s == c.to) {
                continue;
            }
            close(t, e.at);
            if c.to == ServiceState::Ok {
                if !t.periods.is_empty() {
                    t.recovered_at = Some(e.at);
                }
            } else {
                t.open = Some((c.to, e.at));
                t.recovered_at = None;
            }
        }
    }
    let mut out: Vec<ServiceImpact> = tracks
        .into_iter()
        .filter_map(|(name, mut t)| {
            close(&mut t, end);
            let first = t.periods.first()?.from;
            Some(ServiceImpact {
                service: name.to_string(),
                customer_facing: t.customer_facing,
                public_name: t.public_name,
                peak: t.peak,
                worst_state: t.periods.iter().map(|p| p.state).min()?,
                first_affected_at: first,
                recovered_at: t.recovered_at,
                affected_seconds: t.periods.iter().map(|p| p.seconds).sum(),
                periods: t.periods,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.first_affected_at, &a.service).cmp(&(b.first_affected_at, &b.service)));
    out
}

/// Who held each role and for how long: single roles pass from one person to the next; every
/// subject-matter expert stays one until the end.
pub(super) fn responders<E: AsRef<Entry>>(entries: &[E]) -> Vec<Responder> {
    let mut out: Vec<Responder> = Vec::new();
    let mut take = |role: Role, person: &str, at: DateTime<Utc>| {
        if role.is_single() {
            for r in out.iter_mut() {
                if r.role == role && r.until.is_none() {
                    r.until = Some(at);
                }
            }
        } else if out.iter().any(|r| r.role == role && r.person == person) {
            return;
        }
        out.push(Responder {
            role,
            person: person.to_string(),
            from: at,
            until: None,
        });
    };
    for e in entries.iter().map(AsRef::as_ref) {
        match &e.event {
            Event::RoleAssigned { role, person } => take(*role, person, e.at),
            Event::Handoff { to, .. } => take(Role::Commander, to, e.at),
            _ => {}
        }
    }
    out.sort_by_key(|r| (r.role, r.from));
    out
}

fn day_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn state_words(s: ServiceState) -> &'static str {
    match s {
        ServiceState::Down => "unavailable",
        ServiceState::Degraded => "degraded",
        ServiceState::AtRisk => "at risk",
        ServiceState::Ok => "working",
    }
}

/// Internal and external announcements from the facts in the report, and nothing else;
/// whatever the journal does not say is left as a bracketed blank to fill in.
pub(super) fn messaging(r: &Report) -> Messaging {
    let duration = super::markdown::human(r.impact.duration_seconds);
    let mut internal = format!(
        "[{}] {} — {} at worst, {}.\n",
        r.id,
        r.title,
        r.highest_severity.label(),
        if r.still_open {
            format!("still open ({}), {duration} so far", r.incident_status)
        } else {
            format!("resolved after {duration}")
        }
    );
    internal.push_str(&format!("Opened {}", day_time(r.opened_at)));
    if let Some(t) = r.resolved_at {
        internal.push_str(&format!(", resolved {}", day_time(t)));
    }
    internal.push_str(".\n");
    if r.impact.services.is_empty() {
        internal.push_str("Impact: no service impact was recorded; [describe the impact].\n");
    } else {
        let parts: Vec<String> = r
            .impact
            .services
            .iter()
            .map(|s| {
                format!(
                    "{}{} {} for {}{}",
                    s.service,
                    if s.customer_facing {
                        " (customer-facing)"
                    } else {
                        ""
                    },
                    state_words(s.worst_state),
                    super::markdown::human(s.affected_seconds),
                    s.peak.as_ref().map_or(String::new(), |p| format!(
                        ", {} peaked at {}",
                        p.metric,
                        crate::domain::human_number(p.value)
                    ))
                )
            })
            .collect();
        internal.push_str(&format!("Impact: {}.\n", parts.join("; ")));
    }
    if let (Some(at), Some(by)) = (r.response.mitigated_at, &r.response.mitigated_by) {
        internal.push_str(&format!("Mitigated {}: {by}.\n", day_time(at)));
    }
    if let Some(s) = &r.summary {
        internal.push_str(&format!("Resolution: {}\n", s.trim()));
    }
    if !r.follow_ups.is_empty() {
        let count = |k: FollowUpKind| r.follow_ups.iter().filter(|f| f.kind == k).count();
        internal.push_str(&format!(
            "Follow-ups: {} ({} mitigate, {} prevent, {} process).\n",
            r.follow_ups.len(),
            count(FollowUpKind::Mitigate),
            count(FollowUpKind::Prevent),
            count(FollowUpKind::Process)
        ));
    }
    internal.push_str("A blameless post-mortem draft is being written.");

    Messaging {
        internal,
        external: external(r),
    }
}

/// What customers saw, by the public names of the customer-facing services that were down
/// (could not be used) or degraded (errors, slowness); services without a public name are
/// "other parts of our service", never their internal name.
fn customers_saw(facing: &[&ServiceImpact]) -> String {
    let names = |state: ServiceState| -> (Vec<&str>, bool) {
        let hit: Vec<&&ServiceImpact> = facing.iter().filter(|s| s.worst_state == state).collect();
        let mut named: Vec<&str> = Vec::new();
        for s in &hit {
            if let Some(p) = s.public_name.as_deref()
                && !named.contains(&p)
            {
                named.push(p);
            }
        }
        let unnamed = hit.iter().any(|s| s.public_name.is_none());
        (named, unnamed)
    };
    let mut parts: Vec<String> = Vec::new();
    let (down, down_other) = names(ServiceState::Down);
    match (down.is_empty(), down_other) {
        (false, false) => parts.push(format!("some customers could not use {}", and_list(&down))),
        (false, true) => parts.push(format!(
            "some customers could not use {} and other parts of our service [which ones, in \
             customers' words]",
            and_list(&down)
        )),
        (true, true) => parts.push(
            "some customers could not use parts of our service [which ones, in customers' words]"
                .into(),
        ),
        (true, false) => {}
    }
    let (slow, slow_other) = names(ServiceState::Degraded);
    let who = if parts.is_empty() {
        "some customers"
    } else {
        "others"
    };
    match (slow.is_empty(), slow_other) {
        (false, false) => parts.push(format!(
            "{who} saw errors or slow responses from {}",
            and_list(&slow)
        )),
        (false, true) => parts.push(format!(
            "{who} saw errors or slow responses from {} and other parts of our service [which \
             ones, in customers' words]",
            and_list(&slow)
        )),
        (true, true) => parts.push(format!(
            "{who} saw errors or slow responses [where, in customers' words]"
        )),
        (true, false) => {}
    }
    if parts.is_empty() {
        return "[describe what customers saw; no customer-facing service impact was recorded]"
            .into();
    }
    parts.join("; ")
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The message for customers: what they saw, from the customer-facing services' worst state
/// only, in plain words and without any service's internal name; when; whether a fix is in
/// place; and where it stands. What the journal cannot say is a bracketed blank.
fn external(r: &Report) -> String {
    let facing: Vec<_> = r
        .impact
        .services
        .iter()
        .filter(|s| s.customer_facing)
        .collect();
    let (from, until) = if facing.is_empty() {
        (Some(r.opened_at), r.resolved_at)
    } else {
        let from = facing.iter().map(|s| s.first_affected_at).min();
        let until = if facing.iter().all(|s| s.recovered_at.is_some()) {
            facing.iter().filter_map(|s| s.recovered_at).max()
        } else {
            None
        };
        (from, until.or(r.resolved_at))
    };
    let when = match (from, until) {
        (Some(f), Some(u)) if f.date_naive() == u.date_naive() => format!(
            "Between {} and {} UTC on {}",
            f.format("%H:%M"),
            u.format("%H:%M"),
            f.format("%Y-%m-%d")
        ),
        (Some(f), Some(u)) => format!("Between {} and {}", day_time(f), day_time(u)),
        (Some(f), None) => format!("Since {}", day_time(f)),
        (None, _) => "[When]".to_string(),
    };
    let mut text = format!("{when}, {}.", customers_saw(&facing));
    if let Some(at) = r.response.mitigated_at {
        text.push_str(&format!(
            " A fix was in place at {} UTC.",
            at.format("%H:%M")
        ));
    }
    text.push_str(if r.still_open {
        " We are working on it and will post another update."
    } else {
        " The issue is resolved."
    });
    text
}
