//! Fifty incidents written through the real file journal with a fixed clock, for the report:
//! each incident's shape is a function of its number, so every figure can be worked out from
//! the rules below.
//!
//! Incident `i` (0-based, INC-(i+1)) opens at 2026-01-05 09:00 UTC + 2i days, at
//! `SEVERITIES[i % 4]`; every fifth (i % 10 == 5) escalates to SEV1 at +5m. Unless i % 5 == 4
//! an alert `ALERTS[i % 3]` with `service=SERVICES[i % 3]` linked, started (i % 3 + 1) min
//! before the opening. Commander `COMMANDERS[i % 3]` assigned at +(i % 4 + 1) min. Status
//! updates at +8m, then +21m for i % 4 == 0 (3 min late on the 10-minute cadence), else +17m.
//! The blast radius: `SERVICES[i % 3]` down at +2m, and `web` at risk at +3m for even i.
//! Status monitoring at +(20 + i % 7) min (mitigation) for i % 2 == 0. Resolved at
//! +(30 + i) min, except the last two (still open). A follow-up on each seventh (i % 7 == 0).
//! INC-26 (i == 25) is a drill. Alerts of incidents i % 6 == 2 reviewed noise, i % 6 == 5
//! actionable; a missing alert recorded on INC-11.
#![allow(dead_code)]
// The rules read as arithmetic on the incident number.
#![allow(clippy::manual_is_multiple_of)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::BTreeMap;
use warroom::domain::{
    AlertRef, AlertVerdict, Event, FollowUpKind, Role, ServiceChange, ServiceState, Severity,
    Status,
};
use warroom::journal::{FileJournal, FileStore, Journal};

pub const N: usize = 50;
pub const SEVERITIES: [Severity; 4] = [
    Severity::Sev2,
    Severity::Sev3,
    Severity::Sev1,
    Severity::Sev4,
];
pub const ALERTS: [&str; 3] = ["HighErrorRate", "LatencyHigh", "DiskFull"];
pub const SERVICES: [&str; 3] = ["checkout", "search", "db"];
pub const COMMANDERS: [&str; 3] = ["alice", "bob", "carol"];

pub fn opened_at(i: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + Duration::days(2 * i as i64)
}

/// The end of the fixture's window: after every incident.
pub fn until() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

pub fn has_alert(i: usize) -> bool {
    i % 5 != 4
}
pub fn escalates(i: usize) -> bool {
    i % 10 == 5
}
pub fn resolved(i: usize) -> bool {
    i < N - 2
}
pub fn is_drill(i: usize) -> bool {
    i == 25
}

fn change(service: &str, from: ServiceState, to: ServiceState) -> ServiceChange {
    ServiceChange {
        service: service.into(),
        from,
        to,
        customer_facing: service == "checkout",
        public_name: None,
        why: Vec::new(),
        peak: None,
    }
}

/// Writes incident `i` into `journal` (already opened).
fn write(journal: &mut FileJournal, i: usize) {
    let t0 = opened_at(i);
    let m = |min: i64| t0 + Duration::minutes(min);
    let mut events: Vec<(DateTime<Utc>, &str, Event)> = Vec::new();
    let fingerprint = format!("fp-{}-{i}", ALERTS[i % 3]);
    if has_alert(i) {
        let mut labels = BTreeMap::new();
        labels.insert("service".to_string(), SERVICES[i % 3].to_string());
        events.push((
            m(0),
            "warroom",
            Event::AlertLinked {
                alert: AlertRef {
                    fingerprint: fingerprint.clone(),
                    name: ALERTS[i % 3].into(),
                    labels,
                    starts_at: t0 - Duration::minutes(i as i64 % 3 + 1),
                    ends_at: None,
                    generator_url: None,
                    summary: None,
                },
                firing: true,
            },
        ));
    }
    events.push((
        m(i as i64 % 4 + 1),
        "alice",
        Event::RoleAssigned {
            role: Role::Commander,
            person: COMMANDERS[i % 3].into(),
        },
    ));
    events.push((
        m(2),
        "warroom",
        Event::BlastRadiusChanged {
            changes: vec![change(
                SERVICES[i % 3],
                ServiceState::Ok,
                ServiceState::Down,
            )],
        },
    ));
    if i % 2 == 0 {
        events.push((
            m(3),
            "warroom",
            Event::BlastRadiusChanged {
                changes: vec![change("web", ServiceState::Ok, ServiceState::AtRisk)],
            },
        ));
    }
    if escalates(i) {
        events.push((
            m(5),
            "alice",
            Event::SeverityChanged {
                from: SEVERITIES[i % 4],
                to: Severity::Sev1,
            },
        ));
    }
    let by = COMMANDERS[i % 3];
    events.push((
        m(8),
        by,
        Event::StatusUpdate {
            text: "looking".into(),
        },
    ));
    let second = if i % 4 == 0 { 21 } else { 17 };
    events.push((
        m(second),
        by,
        Event::StatusUpdate {
            text: "still".into(),
        },
    ));
    if i % 2 == 0 {
        events.push((
            m(20 + i as i64 % 7),
            by,
            Event::StatusChanged {
                from: Status::Investigating,
                to: Status::Monitoring,
            },
        ));
    }
    if i % 7 == 0 {
        events.push((
            m(29),
            by,
            Event::FollowUp {
                text: format!("alert on queue depth <{i}> | *soon*"),
                kind: FollowUpKind::Prevent,
                owner: Some("dave".into()),
            },
        ));
    }
    if has_alert(i) && (i % 6 == 2 || i % 6 == 5) {
        events.push((
            m(29),
            by,
            Event::AlertReviewed {
                fingerprint: fingerprint.clone(),
                alert: format!("{}{{service={}}}", ALERTS[i % 3], SERVICES[i % 3]),
                verdict: if i % 6 == 2 {
                    AlertVerdict::Noise
                } else {
                    AlertVerdict::Actionable
                },
            },
        ));
    }
    if i == 10 {
        events.push((
            m(29),
            by,
            Event::AlertMissing {
                text: "nothing fired on the <queue> backlog".into(),
            },
        ));
    }
    if resolved(i) {
        let end = m(30 + i as i64);
        // Services recover as it resolves.
        let mut changes = vec![change(
            SERVICES[i % 3],
            ServiceState::Down,
            ServiceState::Ok,
        )];
        if i % 2 == 0 {
            changes.push(change("web", ServiceState::AtRisk, ServiceState::Ok));
        }
        events.push((end, "warroom", Event::BlastRadiusChanged { changes }));
        events.push((end, by, Event::Resolved { summary: None }));
    }
    events.sort_by_key(|(at, _, _)| *at);
    for (at, by, e) in events {
        journal.append(by, at, e).unwrap();
    }
}

/// The fifty incidents in a new file store in `data_dir`.
pub fn build(data_dir: &std::path::Path) -> FileStore {
    let store = FileStore::new(data_dir);
    for i in 0..N {
        let title = if is_drill(i) {
            format!("[DRILL] Game day {i}")
        } else {
            format!("Incident {i} <b>&amp;</b>")
        };
        let mut j = store
            .create("alice", opened_at(i), &title, SEVERITIES[i % 4], None)
            .unwrap();
        write(&mut j, i);
    }
    store
}
