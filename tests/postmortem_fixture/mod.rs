//! The checkout outage of 21 November 2026, from its journal entries with fixed times: the
//! fixture every post-mortem test renders. It has severity changes, role changes and a
//! handoff, notes of each kind, status updates with deliveries, linked alerts firing and
//! resolving, blast-radius changes, a failed and an effective action, tasks and follow-ups.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;
use warroom::domain::{
    ActionOutcome, AlertRef, Entry, Event, ExportFormat, FollowUpKind, Incident, NoteKind, Role,
    ServiceChange, ServiceState, Severity, Status, VerifyResult,
};

/// `hh:mm:ss` on the day of the outage, UTC.
pub fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, h, m, s).unwrap()
}

/// When the draft is exported: after the incident, so `now` ends nothing.
pub fn now() -> DateTime<Utc> {
    t(11, 0, 0)
}

fn alert(name: &str, service: &str, fp: &str, starts: DateTime<Utc>, url: &str) -> AlertRef {
    AlertRef {
        fingerprint: fp.into(),
        name: name.into(),
        labels: BTreeMap::from([
            ("alertname".to_string(), name.to_string()),
            ("service".to_string(), service.to_string()),
        ]),
        starts_at: starts,
        ends_at: None,
        generator_url: Some(url.into()),
        summary: None,
    }
}

pub fn error_rate_alert() -> AlertRef {
    alert(
        "HighErrorRate",
        "checkout",
        "a1b2c3",
        t(8, 57, 30),
        "http://prometheus.example:9090/graph?g0.expr=sum(rate(http_requests_total{code=~\"5..\"}[5m]))&g0.tab=1",
    )
}

pub fn pricing_alert() -> AlertRef {
    alert(
        "PricingLatencyHigh",
        "pricing",
        "d4e5f6",
        t(9, 1, 0),
        "https://grafana.example/alerting/grafana/pricing-latency/view",
    )
}

fn change(service: &str, from: ServiceState, to: ServiceState, facing: bool) -> ServiceChange {
    ServiceChange {
        service: service.into(),
        from,
        to,
        customer_facing: facing,
        public_name: None,
        why: vec![],
        peak: None,
    }
}

fn note(kind: NoteKind, text: &str) -> Event {
    Event::Note {
        kind,
        text: text.into(),
    }
}

fn role(role: Role, person: &str) -> Event {
    Event::RoleAssigned {
        role,
        person: person.into(),
    }
}

/// Every entry of the incident, in journal order.
pub fn entries() -> Vec<Entry> {
    use ServiceState::*;
    let resolved_alert = |a: AlertRef, ends: DateTime<Utc>| AlertRef {
        ends_at: Some(ends),
        ..a
    };
    let events: Vec<(DateTime<Utc>, &str, Event)> = vec![
        (
            t(9, 0, 0),
            "alice",
            Event::Opened {
                title: "Checkout 500s".into(),
                severity: Severity::Sev2,
                summary: Some("Checkout returns 500 for a share of users".into()),
            },
        ),
        (
            t(9, 0, 20),
            "alice",
            Event::AlertLinked {
                alert: error_rate_alert(),
                firing: true,
            },
        ),
        (t(9, 0, 45), "alice", role(Role::Commander, "alice")),
        (
            t(9, 1, 10),
            "bob",
            note(
                NoteKind::Observation,
                "5xx on /checkout since 08:57; the error rate is 31% and the error budget for the month is gone",
            ),
        ),
        (
            t(9, 2, 0),
            "alice",
            Event::SeverityChanged {
                from: Severity::Sev2,
                to: Severity::Sev1,
            },
        ),
        (
            t(9, 2, 30),
            "alice",
            Event::BlastRadiusChanged {
                changes: vec![
                    change("checkout", Ok, Down, true),
                    change("pricing", Ok, Degraded, false),
                ],
            },
        ),
        (
            t(9, 3, 0),
            "carol",
            note(
                NoteKind::Hypothesis,
                "the pricing deploy at 08:56 changed the tax lookup | see PR #812",
            ),
        ),
        (t(9, 3, 30), "alice", role(Role::Scribe, "carol")),
        (t(9, 3, 40), "alice", role(Role::Sme, "dan")),
        (
            t(9, 4, 0),
            "alice",
            Event::StatusUpdate {
                text: "Conditions: checkout failing for ~30% of users\nActions: rolling back pricing\nNeeds: payments on the call".into(),
            },
        ),
        (
            t(9, 4, 5),
            "alice",
            Event::UpdateDelivered {
                update_seq: 10,
                target: "slack #incidents".into(),
                ok: true,
                detail: "200 OK".into(),
                attempts: 1,
            },
        ),
        (
            t(9, 4, 40),
            "alice",
            Event::UpdateDelivered {
                update_seq: 10,
                target: "mattermost".into(),
                ok: false,
                detail: "timed out after 10s".into(),
                attempts: 3,
            },
        ),
        (
            t(9, 4, 50),
            "bob",
            Event::AlertLinked {
                alert: pricing_alert(),
                firing: true,
            },
        ),
        (
            t(9, 5, 0),
            "alice",
            note(NoteKind::Decision, "roll back pricing to v41"),
        ),
        (
            t(9, 5, 30),
            "alice",
            Event::ActionStarted {
                run_id: "R1".into(),
                action: "pricing-rollback".into(),
                params: BTreeMap::from([("version".to_string(), "v41".to_string())]),
                dry_run: false,
                command: "deployctl rollback pricing --to v41".into(),
            },
        ),
        (
            t(9, 6, 10),
            "alice",
            Event::ActionFinished {
                run_id: "R1".into(),
                action: "pricing-rollback".into(),
                outcome: ActionOutcome::Failed,
                exit_code: Some(2),
                http_status: None,
                duration_ms: 40_000,
                output_tail: "error: deploy lock held by nightly-batch".into(),
            },
        ),
        (
            t(9, 6, 30),
            "bob",
            note(
                NoteKind::Observation,
                "dan forgot to release the deploy lock after the nightly job; we should have caught this in canary",
            ),
        ),
        (
            t(9, 7, 0),
            "alice",
            Event::TaskAssigned {
                task: 1,
                person: "dan".into(),
                what: "release the deploy lock".into(),
                due_at: t(9, 12, 0),
            },
        ),
        (
            t(9, 8, 0),
            "alice",
            Event::StatusChanged {
                from: Status::Investigating,
                to: Status::Identified,
            },
        ),
        (
            t(9, 10, 0),
            "alice",
            Event::Handoff {
                from: Some("alice".into()),
                to: "bob".into(),
                summary: "SEV1 checkout; rollback blocked by the deploy lock; try the flag".into(),
            },
        ),
        (t(9, 11, 0), "dan", Event::TaskDone { task: 1 }),
        (
            t(9, 11, 30),
            "bob",
            note(
                NoteKind::Decision,
                "turn the checkout-tax-v2 flag off instead of waiting for the rollback",
            ),
        ),
        (
            t(9, 12, 0),
            "bob",
            Event::ActionStarted {
                run_id: "R2".into(),
                action: "flag-off".into(),
                params: BTreeMap::from([("flag".to_string(), "checkout-tax-v2".to_string())]),
                dry_run: false,
                command: "flagctl set checkout-tax-v2 off".into(),
            },
        ),
        (
            t(9, 12, 5),
            "bob",
            Event::ActionFinished {
                run_id: "R2".into(),
                action: "flag-off".into(),
                outcome: ActionOutcome::Succeeded,
                exit_code: Some(0),
                http_status: None,
                duration_ms: 4_800,
                output_tail: String::new(),
            },
        ),
        (
            t(9, 13, 0),
            "bob",
            Event::BlastRadiusChanged {
                changes: vec![
                    // Better: the worst the error ratio got while down, as read.
                    ServiceChange {
                        peak: Some(warroom::domain::MetricPeak {
                            metric: "error ratio".into(),
                            value: 0.31274918273645,
                            at: t(9, 8, 30),
                        }),
                        ..change("checkout", Down, Degraded, true)
                    },
                    change("pricing", Degraded, Ok, false),
                ],
            },
        ),
        (
            t(9, 14, 5),
            "bob",
            Event::ActionVerified {
                run_id: "R2".into(),
                action: "flag-off".into(),
                result: VerifyResult::Effective,
                detail: "5xx ratio 0.4% < 1% within 2m".into(),
            },
        ),
        (
            t(9, 15, 0),
            "bob",
            Event::AlertsChanged {
                firing: vec![],
                resolved: vec![resolved_alert(pricing_alert(), t(9, 14, 30))],
            },
        ),
        (
            t(9, 16, 0),
            "bob",
            Event::SeverityChanged {
                from: Severity::Sev1,
                to: Severity::Sev2,
            },
        ),
        (
            t(9, 18, 0),
            "bob",
            Event::StatusChanged {
                from: Status::Identified,
                to: Status::Monitoring,
            },
        ),
        (
            t(9, 20, 0),
            "bob",
            Event::BlastRadiusChanged {
                changes: vec![change("checkout", Degraded, Ok, true)],
            },
        ),
        (
            t(9, 20, 30),
            "bob",
            Event::AlertsChanged {
                firing: vec![],
                resolved: vec![resolved_alert(error_rate_alert(), t(9, 20, 0))],
            },
        ),
        (
            t(9, 22, 0),
            "bob",
            Event::StatusUpdate {
                text: "Checkout recovered at 09:20 after the tax flag was turned off. Monitoring."
                    .into(),
            },
        ),
        (
            t(9, 22, 3),
            "bob",
            Event::UpdateDelivered {
                update_seq: 32,
                target: "slack #incidents".into(),
                ok: true,
                detail: "200 OK".into(),
                attempts: 1,
            },
        ),
        (
            t(9, 25, 0),
            "carol",
            Event::FollowUp {
                text: "Validate the tax config in pricing CI".into(),
                kind: FollowUpKind::Prevent,
                owner: Some("carol".into()),
            },
        ),
        (
            t(9, 26, 0),
            "bob",
            Event::FollowUp {
                text: "Runbook: flag-off first for checkout 5xx".into(),
                kind: FollowUpKind::Mitigate,
                owner: Some("bob".into()),
            },
        ),
        (
            t(9, 40, 0),
            "bob",
            Event::Resolved {
                summary: Some(
                    "Checkout 5xx came from the pricing tax change; turning the checkout-tax-v2 flag off restored service."
                        .into(),
                ),
            },
        ),
        (
            t(10, 5, 0),
            "alice",
            Event::FollowUp {
                text: "Page payments on every SEV1 that touches checkout".into(),
                kind: FollowUpKind::Process,
                owner: None,
            },
        ),
        (
            t(10, 10, 0),
            "alice",
            Event::PostmortemExported {
                format: ExportFormat::Markdown,
                path: Some("INC-7-postmortem.md".into()),
            },
        ),
    ];
    events
        .into_iter()
        .enumerate()
        .map(|(n, (at, by, event))| Entry {
            seq: n as u64 + 1,
            at,
            by: by.into(),
            event,
        })
        .collect()
}

pub fn incident() -> Incident {
    Incident::fold("INC-7", &entries()).unwrap()
}
