//! The root suspects behind the most affected services are the ones the responders named: a
//! service the incident knows (its blast radius, its alerts' `service` labels) named as a word
//! in a hypothesis or decision note, a proposed decision or the resolution's summary; an
//! observation naming one does not make it a suspect. Where nobody named one, the blast
//! radius's own suspect (failing first) stands.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::BTreeMap;
use warroom::domain::{
    AlertRef, Event, NoteKind, ServiceChange, ServiceState, Severity, StatusCadence,
};
use warroom::journal::{FileStore, Journal};
use warroom::report::{Figures, Filter, read_store};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 5, 9, 0, 0).unwrap()
}

fn down(service: &str, state: ServiceState) -> Event {
    Event::BlastRadiusChanged {
        changes: vec![ServiceChange {
            service: service.into(),
            from: ServiceState::Ok,
            to: state,
            customer_facing: true,
            public_name: None,
            why: vec!["error rate 12%".into()],
            peak: None,
        }],
    }
}

fn alert(service: &str) -> Event {
    let mut labels = BTreeMap::new();
    labels.insert("service".to_string(), service.to_string());
    Event::AlertLinked {
        alert: AlertRef {
            fingerprint: format!("fp-{service}"),
            name: "HighErrorRate".into(),
            labels,
            starts_at: t0(),
            ends_at: None,
            generator_url: None,
            summary: None,
        },
        firing: true,
    }
}

fn note(kind: NoteKind, text: &str) -> Event {
    Event::Note {
        kind,
        text: text.into(),
    }
}

fn incident(store: &FileStore, n: i64, events: Vec<Event>) {
    let opened = t0() + Duration::days(n);
    let mut j = store
        .create(
            "alice",
            opened,
            &format!("incident {n}"),
            Severity::Sev2,
            None,
        )
        .unwrap();
    for (k, e) in events.into_iter().enumerate() {
        j.append("alice", opened + Duration::minutes(k as i64 + 1), e)
            .unwrap();
    }
}

#[test]
fn root_suspects_are_the_services_the_responders_named_else_the_first_failing() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    // Checkout fails first, pricing later; the hypothesis names pricing.
    incident(
        &store,
        0,
        vec![
            down("checkout", ServiceState::Down),
            down("pricing", ServiceState::Degraded),
            note(NoteKind::Observation, "checkout p99 at 4s"),
            note(NoteKind::Hypothesis, "the pricing deploy at 09:02?"),
        ],
    );
    // The same, named in the resolution's summary ("repricing" in a note is not "pricing").
    incident(
        &store,
        1,
        vec![
            down("checkout", ServiceState::Down),
            down("pricing", ServiceState::Degraded),
            note(NoteKind::Hypothesis, "the repricing job"),
            Event::Resolved {
                summary: Some("Pricing v2.31 rolled back".into()),
            },
        ],
    );
    // Checkout down, payments only an alert's label, named by a decision note; an
    // observation naming checkout does not count.
    incident(
        &store,
        2,
        vec![
            alert("payments"),
            down("checkout", ServiceState::Down),
            note(NoteKind::Observation, "checkout errors at 12%"),
            note(
                NoteKind::Decision,
                "fail over payments to the second provider",
            ),
        ],
    );
    // Nobody named a suspect: the first failing, search.
    incident(
        &store,
        3,
        vec![
            down("search", ServiceState::Down),
            down("checkout", ServiceState::Degraded),
        ],
    );
    let until = t0() + Duration::days(10);
    let mut warnings = Vec::new();
    let facts = read_store(&store, &StatusCadence::default(), until, &mut warnings).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let suspects: Vec<Vec<String>> = facts.iter().map(|f| f.root_suspects.clone()).collect();
    assert_eq!(
        suspects,
        vec![
            vec!["pricing".to_string()],
            vec!["pricing".to_string()],
            vec!["payments".to_string()],
            vec!["search".to_string()],
        ]
    );
    let f = Figures::fold(&facts, &Filter::last_days(until, 90));
    let checkout = f.services.iter().find(|s| s.service == "checkout").unwrap();
    assert_eq!(checkout.incidents, 4);
    assert_eq!(
        checkout.root_suspect_in, 0,
        "checkout was never the one named"
    );
    let behind: Vec<(&str, usize)> = checkout
        .root_suspects
        .iter()
        .map(|s| (s.service.as_str(), s.incidents))
        .collect();
    assert_eq!(behind, vec![("pricing", 2), ("payments", 1), ("search", 1)]);
    let pricing = f.services.iter().find(|s| s.service == "pricing").unwrap();
    assert_eq!((pricing.incidents, pricing.root_suspect_in), (2, 2));
}
