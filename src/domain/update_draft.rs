//! Words the console offers the call leader to start from: the status-update draft in the
//! Conditions / Actions / Needs shape, and the handoff brief. Both only gather facts from the
//! log; they never invent any.

use super::cadence::{is_change, short_duration};
use super::{
    ActionOutcome, ActionRun, Entry, Event, Incident, NoteKind, ServiceState, Status, VerifyResult,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A status update pre-filled for the people who read it: where things stand now, the
/// customer impact now, what was done and whether it worked, what is next and when the next
/// update comes (`next_update`, from the cadence). Short on purpose: the details (every change
/// since the last update, findings, each run, open tasks) are [`status_update_details`], which
/// the editor inserts on request.
pub fn status_update_draft(
    incident: &Incident,
    entries: &[Entry],
    now: DateTime<Utc>,
    next_update: Option<DateTime<Utc>>,
) -> String {
    let facing = customer_facing(entries);
    let mitigation = mitigation(incident);
    let mut out = format!(
        "{} {}: {}",
        incident.severity.label(),
        incident.title.trim(),
        state_now(incident, &facing, mitigation.is_some())
    );
    let _ = writeln!(out, " ({} in).", short_duration(incident.elapsed(now)));
    let _ = writeln!(out, "Impact: {}.", impact_now(incident, &facing));
    let done = done_line(incident, &facing, mitigation);
    if !done.is_empty() {
        let _ = writeln!(out, "Done: {done}.");
    }
    if incident.is_resolved() {
        out.push_str("Next: the post-mortem; no further updates.");
        return out;
    }
    let _ = write!(out, "Next: {}", next_step(incident, mitigation.is_some()));
    match next_update {
        Some(t) => {
            let _ = write!(out, "; next update {} UTC.", t.format("%H:%M"));
        }
        None => out.push('.'),
    }
    out
}

/// What [`status_update_draft`] leaves out: each change since the last update (a service's
/// states folded into one path), findings, every run with its verification, tasks done and
/// open.
pub fn status_update_details(incident: &Incident, entries: &[Entry], now: DateTime<Utc>) -> String {
    let since_seq = incident.last_status_update_seq.unwrap_or(0);
    let recent: Vec<&Entry> = entries.iter().filter(|e| e.seq > since_seq).collect();
    let mut out = String::from("Details");
    match incident.last_status_update {
        Some(at) => {
            let _ = writeln!(out, " since the update at {}:", at.format("%H:%M"));
        }
        None => out.push_str(":\n"),
    }
    let changes: Vec<String> = recent
        .iter()
        .filter(|e| is_change(&e.event) && !matches!(e.event, Event::BlastRadiusChanged { .. }))
        .map(|e| e.event.describe())
        .collect();
    for c in changes {
        let _ = writeln!(out, "- {c}");
    }
    for (service, path) in service_paths(&recent) {
        let _ = writeln!(out, "- {service}: {}", path.join(" → "));
    }
    for e in &recent {
        if let Event::Note { kind, text } = &e.event {
            let _ = writeln!(out, "- ({kind}) {}", first_line(text));
        }
    }
    for r in actions_since(incident) {
        let _ = write!(out, "- {} {}: {}", r.run_id, r.label(), r.summary());
        if let Some(v) = &r.verification {
            let _ = write!(out, " — {}", super::humanize_numbers(&v.detail));
        }
        out.push('\n');
    }
    for e in &recent {
        if let Event::TaskDone { task } = &e.event
            && let Some(t) = incident.tasks.iter().find(|t| t.id == *task)
        {
            let _ = writeln!(out, "- done: T{} {} ({})", t.id, t.what, t.person);
        }
    }
    for t in incident.open_tasks() {
        let when = if t.due_at <= now {
            format!("overdue {}", short_duration(now - t.due_at))
        } else {
            format!("due in {}", short_duration(t.due_at - now))
        };
        let _ = writeln!(out, "- T{} {}: {} — {when}", t.id, t.person, t.what);
    }
    if out.lines().count() == 1 {
        out.push_str("- no change recorded\n");
    }
    out
}

/// Whether each service the blast radius recorded is customer-facing, as last recorded.
fn customer_facing(entries: &[Entry]) -> BTreeMap<&str, bool> {
    let mut out = BTreeMap::new();
    for e in entries {
        if let Event::BlastRadiusChanged { changes } = &e.event {
            for c in changes {
                out.insert(c.service.as_str(), c.customer_facing);
            }
        }
    }
    out
}

/// The run that mitigated: the first verified effective (dry runs never count).
fn mitigation(incident: &Incident) -> Option<&ActionRun> {
    incident.action_runs.iter().find(|r| {
        !r.dry_run
            && r.verification
                .as_ref()
                .is_some_and(|v| v.result == VerifyResult::Effective)
    })
}

/// Services failing now (down or degraded; at risk is only a warning), customer-facing
/// ones first when the catalog marks any.
fn failing_now<'a>(
    incident: &'a Incident,
    facing: &BTreeMap<&str, bool>,
) -> Vec<(&'a str, ServiceState, bool)> {
    let mut out: Vec<(&str, ServiceState, bool)> = incident
        .services
        .iter()
        .filter(|(_, (s, _))| s.is_failing())
        .map(|(name, (s, _))| {
            (
                name.as_str(),
                *s,
                facing.get(name.as_str()).copied().unwrap_or(false),
            )
        })
        .collect();
    out.sort_by_key(|(name, s, f)| (!*f, *s, *name));
    out
}

fn state_now(incident: &Incident, facing: &BTreeMap<&str, bool>, mitigated: bool) -> String {
    let customers_hit = failing_now(incident, facing).iter().any(|(_, _, f)| *f);
    match incident.status {
        Status::Resolved => "resolved".into(),
        Status::Monitoring => "mitigated, monitoring".into(),
        _ if mitigated && !customers_hit => "mitigated, monitoring".into(),
        Status::Identified => "cause identified, working on a fix".into(),
        Status::Investigating => "investigating".into(),
    }
}

/// `checkout down, cart degraded`; at most three named, then how many more.
fn impact_now(incident: &Incident, facing: &BTreeMap<&str, bool>) -> String {
    let failing = failing_now(incident, facing);
    let marked = facing.values().any(|f| *f);
    let hit: Vec<String> = failing
        .iter()
        .filter(|(_, _, f)| *f || !marked)
        .map(|(name, s, _)| format!("{name} {s}"))
        .collect();
    if hit.is_empty() {
        let recovered = incident.first_affected.len();
        return match (recovered, failing.len()) {
            (0, _) => "none recorded".into(),
            (_, 0) => "none now, all services back to ok".into(),
            (_, n) => format!("none on customer-facing services; {n} internal still affected"),
        };
    }
    let shown = hit.len().min(3);
    let mut text = hit[..shown].join(", ");
    if hit.len() > shown {
        let _ = write!(text, " and {} more", hit.len() - shown);
    }
    text
}

/// What was done since the last update and whether it worked; the mitigation always, with
/// the services that recovered after it started.
fn done_line(
    incident: &Incident,
    facing: &BTreeMap<&str, bool>,
    mitigation: Option<&ActionRun>,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = mitigation {
        // Customer-facing ones first.
        let mut recovered: Vec<&str> = incident
            .services
            .iter()
            .filter(|(name, (s, since))| {
                *s == ServiceState::Ok
                    && *since >= m.started_at
                    && incident.first_affected.contains_key(name.as_str())
            })
            .map(|(name, _)| name.as_str())
            .collect();
        recovered.sort_by_key(|name| (!facing.get(name).copied().unwrap_or(false), *name));
        let mut p = format!("{} at {} worked", m.label(), m.started_at.format("%H:%M"));
        if !recovered.is_empty() {
            let shown = recovered.len().min(3);
            let _ = write!(p, "; {} recovered", recovered[..shown].join(", "));
            if recovered.len() > shown {
                let _ = write!(p, " and {} more", recovered.len() - shown);
            }
        }
        parts.push(p);
    }
    for r in actions_since(incident).filter(|r| mitigation.is_none_or(|m| m.run_id != r.run_id)) {
        let effect = match (&r.finished, &r.verification) {
            (None, _) => "running".to_string(),
            (Some(f), _) if f.outcome != ActionOutcome::Succeeded => f.outcome.to_string(),
            (Some(_), Some(v)) => match v.result {
                VerifyResult::Effective => "worked".into(),
                VerifyResult::NotEffective => "did not help".into(),
                VerifyResult::Failed => "could not be verified".into(),
            },
            (Some(_), None) => "done, effect not yet known".into(),
        };
        parts.push(format!("{} {effect}", r.label()));
    }
    parts.join("; ")
}

/// What comes next: the open tasks when there are any, else the step the state calls for.
fn next_step(incident: &Incident, mitigated: bool) -> String {
    let open: Vec<String> = incident
        .open_tasks()
        .take(2)
        .map(|t| format!("{} {} (due {})", t.person, t.what, t.due_at.format("%H:%M")))
        .collect();
    let more = incident.open_tasks().count().saturating_sub(open.len());
    if !open.is_empty() {
        let mut text = open.join("; ");
        if more > 0 {
            let _ = write!(
                text,
                " and {more} more task{}",
                if more == 1 { "" } else { "s" }
            );
        }
        return text;
    }
    match incident.status {
        Status::Monitoring => "watching that it holds, then resolving".into(),
        _ if mitigated => "watching that it holds, then resolving".into(),
        Status::Identified => "putting the fix in place".into(),
        _ => "finding the cause".into(),
    }
}

/// Each service's states since the last update, folded: `checkout: down → degraded → ok`.
fn service_paths<'a>(recent: &[&'a Entry]) -> BTreeMap<&'a str, Vec<String>> {
    let mut out: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for e in recent {
        if let Event::BlastRadiusChanged { changes } = &e.event {
            for c in changes {
                let path = out
                    .entry(c.service.as_str())
                    .or_insert_with(|| vec![c.from.to_string()]);
                path.push(c.to.to_string());
            }
        }
    }
    out
}

/// Runbook actions started since the last status update, or started before it and ended or
/// verified since (dry runs left out): the update owes their outcome.
fn actions_since(incident: &Incident) -> impl Iterator<Item = &super::ActionRun> {
    let since_seq = incident.last_status_update_seq.unwrap_or(0);
    let since_at = incident.last_status_update;
    incident.action_runs.iter().filter(move |r| {
        let later = |at: DateTime<Utc>| since_at.is_none_or(|s| at > s);
        !r.dry_run
            && (r.started_seq > since_seq
                || r.finished.as_ref().is_some_and(|f| later(f.at))
                || r.verification.as_ref().is_some_and(|v| later(v.at)))
    })
}

/// The brief recorded when the commander hands over.
pub fn handoff_summary(
    incident: &Incident,
    entries: &[Entry],
    to: &str,
    now: DateTime<Utc>,
) -> String {
    let mut parts = vec![format!(
        "{} {}, {} in; {} takes command",
        incident.severity.label(),
        incident.status,
        short_duration(incident.elapsed(now)),
        to
    )];
    if let Some(last) = entries.iter().rev().find_map(|e| match &e.event {
        Event::StatusUpdate { text } => Some((e.at, text)),
        _ => None,
    }) {
        parts.push(format!(
            "last update {}: {}",
            last.0.format("%H:%M"),
            first_line(last.1)
        ));
    } else {
        parts.push("no status update yet".into());
    }
    let open: Vec<String> = incident
        .open_tasks()
        .map(|t| {
            format!(
                "T{} {}: {} (due {})",
                t.id,
                t.person,
                t.what,
                t.due_at.format("%H:%M")
            )
        })
        .collect();
    parts.push(if open.is_empty() {
        "no open tasks".into()
    } else {
        format!("open tasks: {}", open.join("; "))
    });
    for (kind, label) in [
        (NoteKind::Hypothesis, "hypotheses"),
        (NoteKind::Decision, "decisions"),
    ] {
        let notes: Vec<&str> = entries
            .iter()
            .filter_map(|e| match &e.event {
                Event::Note { kind: k, text } if *k == kind => Some(first_line(text)),
                _ => None,
            })
            .collect();
        if !notes.is_empty() {
            parts.push(format!("{label}: {}", notes.join("; ")));
        }
    }
    parts.join(". ") + "."
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Severity, Status};
    use chrono::{Duration, TimeZone};

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn log(events: Vec<(i64, Event)>) -> Vec<Entry> {
        events
            .into_iter()
            .enumerate()
            .map(|(i, (m, event))| Entry {
                seq: i as u64 + 1,
                at: at(m),
                by: "alice".into(),
                event,
            })
            .collect()
    }

    fn outage() -> Vec<Entry> {
        log(vec![
            (
                0,
                Event::Opened {
                    title: "Checkout 500s".into(),
                    severity: Severity::Sev2,
                    summary: None,
                },
            ),
            (
                4,
                Event::StatusUpdate {
                    text: "Conditions: failing".into(),
                },
            ),
            (
                5,
                Event::SeverityChanged {
                    from: Severity::Sev2,
                    to: Severity::Sev1,
                },
            ),
            (
                6,
                Event::Note {
                    kind: NoteKind::Hypothesis,
                    text: "pricing deploy".into(),
                },
            ),
            (
                7,
                Event::TaskAssigned {
                    task: 1,
                    person: "bob".into(),
                    what: "check the database".into(),
                    due_at: at(10),
                },
            ),
            (
                8,
                Event::StatusChanged {
                    from: Status::Investigating,
                    to: Status::Identified,
                },
            ),
        ])
    }

    #[test]
    fn the_draft_says_state_impact_and_next_and_the_details_what_changed() {
        let entries = outage();
        let i = Incident::fold("INC-1", &entries).unwrap();
        let draft = status_update_draft(&i, &entries, at(14), Some(at(24)));
        assert_eq!(
            draft,
            "SEV1 Checkout 500s: cause identified, working on a fix (14m in).\n\
             Impact: none recorded.\n\
             Next: bob check the database (due 09:10); next update 09:24 UTC."
        );
        assert_eq!(
            status_update_details(&i, &entries, at(14)),
            "Details since the update at 09:04:\n\
             - severity SEV2 → SEV1\n\
             - status investigating → identified\n\
             - (hypothesis) pricing deploy\n\
             - T1 bob: check the database — overdue 4m\n"
        );
    }

    #[test]
    fn runs_say_whether_they_worked_and_services_fold_into_one_path() {
        use crate::domain::{ActionOutcome, ServiceChange, VerifyResult};
        let mut events = outage();
        let started = |run: &str, action: &str, dry_run: bool| Event::ActionStarted {
            run_id: run.into(),
            action: action.into(),
            params: [("flag".to_string(), "checkout-v2".to_string())].into(),
            dry_run,
            command: "flagctl set checkout-v2 off".into(),
        };
        let change = |service: &str, from, to, customer_facing| ServiceChange {
            service: service.into(),
            from,
            to,
            customer_facing,
            public_name: None,
            why: vec![],
            peak: None,
        };
        use ServiceState::{AtRisk, Degraded, Down, Ok};
        let more = vec![
            (
                8,
                Event::BlastRadiusChanged {
                    changes: vec![
                        change("checkout", Ok, Degraded, true),
                        change("pricing", Ok, Degraded, false),
                        change("web", Ok, AtRisk, true),
                    ],
                },
            ),
            (
                8,
                Event::BlastRadiusChanged {
                    changes: vec![change("checkout", Degraded, Down, true)],
                },
            ),
            (9, started("R1", "flag-off", false)),
            (
                10,
                Event::ActionFinished {
                    run_id: "R1".into(),
                    action: "flag-off".into(),
                    outcome: ActionOutcome::Succeeded,
                    exit_code: Some(0),
                    http_status: None,
                    duration_ms: 1200,
                    output_tail: "ok".into(),
                },
            ),
            (
                11,
                Event::ActionVerified {
                    run_id: "R1".into(),
                    action: "flag-off".into(),
                    result: VerifyResult::Effective,
                    detail: "errors = 0.0018174245924825177, < 0.01 as wanted".into(),
                },
            ),
            (
                11,
                Event::BlastRadiusChanged {
                    changes: vec![
                        change("checkout", Down, Ok, true),
                        change("web", AtRisk, Ok, true),
                    ],
                },
            ),
            (12, started("R2", "shed-load", false)),
            (12, started("R3", "flag-off", true)),
        ];
        for (n, (m, e)) in more.into_iter().enumerate() {
            events.push(Entry {
                seq: 7 + n as u64,
                at: at(m),
                by: "alice".into(),
                event: e,
            });
        }
        let i = Incident::fold("INC-1", &events).unwrap();
        let draft = status_update_draft(&i, &events, at(14), Some(at(24)));
        assert_eq!(
            draft,
            "SEV1 Checkout 500s: mitigated, monitoring (14m in).\n\
             Impact: none on customer-facing services; 1 internal still affected.\n\
             Done: flag-off (flag=checkout-v2) at 09:09 worked; checkout, web recovered; \
             shed-load (flag=checkout-v2) running.\n\
             Next: bob check the database (due 09:10); next update 09:24 UTC."
        );
        let details = status_update_details(&i, &events, at(14));
        assert!(
            details.contains("- checkout: ok → degraded → down → ok\n"),
            "{details}"
        );
        assert!(details.contains("- pricing: ok → degraded\n"), "{details}");
        assert!(
            details.contains(
                "- R1 flag-off (flag=checkout-v2): succeeded, effective — errors = 0.00182, < 0.01 as wanted\n\
                 - R2 shed-load (flag=checkout-v2): running\n"
            ),
            "{details}"
        );
        assert!(!details.contains("R3"), "{details}");
    }

    #[test]
    fn a_quiet_interval_says_no_change() {
        let entries = log(vec![
            (
                0,
                Event::Opened {
                    title: "x".into(),
                    severity: Severity::Sev3,
                    summary: None,
                },
            ),
            (3, Event::StatusUpdate { text: "ok".into() }),
        ]);
        let i = Incident::fold("INC-1", &entries).unwrap();
        assert_eq!(
            status_update_draft(&i, &entries, at(13), None),
            "SEV3 x: investigating (13m in).\nImpact: none recorded.\nNext: finding the cause."
        );
        assert_eq!(
            status_update_details(&i, &entries, at(13)),
            "Details since the update at 09:03:\n- no change recorded\n"
        );
    }

    #[test]
    fn handoff_brief_names_the_state_tasks_and_hypotheses() {
        let mut entries = outage();
        entries.push(Entry {
            seq: 7,
            at: at(9),
            by: "alice".into(),
            event: Event::RoleAssigned {
                role: Role::Commander,
                person: "alice".into(),
            },
        });
        let i = Incident::fold("INC-1", &entries).unwrap();
        assert_eq!(
            handoff_summary(&i, &entries, "bob", at(70)),
            "SEV1 identified, 1h10m in; bob takes command. last update 09:04: Conditions: failing. \
             open tasks: T1 bob: check the database (due 09:10). hypotheses: pricing deploy."
        );
    }
}
