//! Words the console offers the call leader to start from: the status-update draft in the
//! Conditions / Actions / Needs shape, and the handoff brief. Both only gather facts from the
//! log; they never invent any.

use super::cadence::{is_change, short_duration};
use super::{Entry, Event, Incident, NoteKind};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// A status update pre-filled with what changed since the last one.
pub fn status_update_draft(incident: &Incident, entries: &[Entry], now: DateTime<Utc>) -> String {
    let since_seq = incident.last_status_update_seq.unwrap_or(0);
    let recent: Vec<&Entry> = entries.iter().filter(|e| e.seq > since_seq).collect();
    let mut out = String::new();
    let _ = write!(
        out,
        "Conditions: {}, {}, {} in.",
        incident.severity.label(),
        incident.status,
        short_duration(incident.elapsed(now))
    );
    let changes: Vec<String> = recent
        .iter()
        .filter(|e| is_change(&e.event))
        .map(|e| e.event.describe())
        .collect();
    match incident.last_status_update {
        Some(at) if changes.is_empty() => {
            let _ = write!(
                out,
                " No change since the last update at {}.",
                at.format("%H:%M")
            );
        }
        Some(at) => {
            let _ = write!(
                out,
                " Since {}: {}.",
                at.format("%H:%M"),
                changes.join("; ")
            );
        }
        None if !changes.is_empty() => {
            let _ = write!(out, " So far: {}.", changes.join("; "));
        }
        None => {}
    }
    out.push('\n');
    let findings: Vec<String> = recent
        .iter()
        .filter_map(|e| match &e.event {
            Event::Note { kind, text } => Some(format!("- ({kind}) {}", first_line(text))),
            _ => None,
        })
        .collect();
    if !findings.is_empty() {
        out.push_str("Findings:\n");
        for f in findings {
            out.push_str(&f);
            out.push('\n');
        }
    }
    out.push_str("Actions:\n");
    let mut any = false;
    for r in actions_since(incident) {
        let _ = writeln!(out, "- ran {}: {}", r.label(), r.summary());
        any = true;
    }
    for e in &recent {
        if let Event::TaskDone { task } = &e.event
            && let Some(t) = incident.tasks.iter().find(|t| t.id == *task)
        {
            let _ = writeln!(out, "- done: T{} {} ({})", t.id, t.what, t.person);
            any = true;
        }
    }
    for t in incident.open_tasks() {
        let when = if t.due_at <= now {
            format!("overdue {}", short_duration(now - t.due_at))
        } else {
            format!("due in {}", short_duration(t.due_at - now))
        };
        let _ = writeln!(out, "- T{} {}: {} — {when}", t.id, t.person, t.what);
        any = true;
    }
    if !any {
        out.push_str("- \n");
    }
    out.push_str("Needs: ");
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
    fn the_draft_says_what_changed_since_the_last_update_and_what_is_open() {
        let entries = outage();
        let i = Incident::fold("INC-1", &entries).unwrap();
        let draft = status_update_draft(&i, &entries, at(14));
        assert_eq!(
            draft,
            "Conditions: SEV1, identified, 14m in. Since 09:04: severity SEV2 → SEV1; status investigating → identified.\n\
             Findings:\n\
             - (hypothesis) pricing deploy\n\
             Actions:\n\
             - T1 bob: check the database — overdue 4m\n\
             Needs: "
        );
    }

    #[test]
    fn the_draft_lists_actions_run_since_the_last_update_with_outcome_and_verification() {
        use crate::domain::{ActionOutcome, VerifyResult};
        let mut events = outage();
        let started = |run: &str, action: &str, dry_run: bool| Event::ActionStarted {
            run_id: run.into(),
            action: action.into(),
            params: [("flag".to_string(), "checkout-v2".to_string())].into(),
            dry_run,
            command: "flagctl set checkout-v2 off".into(),
        };
        let more = vec![
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
                    detail: "0.002 < 0.01".into(),
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
        let draft = status_update_draft(&i, &events, at(14));
        assert!(
            draft.contains(
                "Actions:\n- ran flag-off (flag=checkout-v2): succeeded, effective\n\
                 - ran shed-load (flag=checkout-v2): running\n- T1 bob"
            ),
            "{draft}"
        );
        assert!(!draft.contains("R3"), "{draft}");
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
        let d = status_update_draft(&i, &entries, at(13));
        assert!(d.starts_with("Conditions: SEV3, investigating, 13m in. No change since the last update at 09:03.\n"), "{d}");
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
