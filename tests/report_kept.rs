//! The report's facts kept beside each journal (`kept-report.json`) never change what
//! `warroom report` says: after any run of appends (by other handles and by other processes),
//! deleted, corrupted, cut short, stale or foreign kept facts, and reports asked with another
//! cadence or another end of window, the facts read through the store are the ones each
//! journal read whole gives, and the report's JSON and Markdown are byte for byte the same;
//! the binary keeps them and answers the same from them; a redaction takes its text out of
//! them too.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{run, warroom};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use warroom::domain::{
    AlertRef, Authority, Event, FollowUpKind, Incident, NoteKind, Role, ServiceChange,
    ServiceState, Severity, Status, StatusCadence,
};
use warroom::journal::{FileStore, Journal, Redaction};
use warroom::report::{Facts, Figures, Filter, markdown, read_store};

const KEPT: &str = "kept-report.json";

fn kept_path(data: &Path, id: &str) -> PathBuf {
    data.join("incidents").join(id).join(KEPT)
}

fn at(step: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::minutes(7 * step as i64)
}

/// Two ends of window (both after every entry) and two cadences, so kept facts are asked
/// for what they were not folded for.
fn until(k: u8) -> DateTime<Utc> {
    at(40) + Duration::hours(i64::from(k % 2) * 5)
}

fn cadence(k: u8) -> StatusCadence {
    if k & 2 == 0 {
        StatusCadence::default()
    } else {
        StatusCadence {
            per_severity: [
                Some(Duration::minutes(15)),
                Some(Duration::minutes(30)),
                Some(Duration::minutes(60)),
                None,
            ],
        }
    }
}

/// The facts through the store (kept where they may be) and the facts of every journal read
/// whole; errors as their messages.
fn facts_both_ways(store: &FileStore, k: u8) -> (Vec<Facts>, Vec<Facts>) {
    let mut warnings = Vec::new();
    let kept = read_store(store, &cadence(k), until(k), &mut warnings).unwrap();
    let mut whole = Vec::new();
    for id in store.ids().unwrap() {
        if let Ok(j) = store.open(&id)
            && let Some(i) = j.incident()
        {
            whole.push(Facts::of(j.records(), i, &cadence(k), until(k)));
        }
    }
    (kept, whole)
}

fn report_text(facts: &[Facts], k: u8) -> (String, String) {
    let filter = Filter::last_days(until(k), 90);
    let f = Figures::fold(facts, &filter);
    (f.json(), markdown::render(&f))
}

fn alert(service: &str) -> AlertRef {
    let mut labels = BTreeMap::new();
    labels.insert("service".to_string(), service.to_string());
    AlertRef {
        fingerprint: format!("fp-{service}"),
        name: "HighErrorRate".into(),
        labels,
        starts_at: at(0) - Duration::minutes(3),
        ends_at: None,
        generator_url: None,
        summary: None,
    }
}

fn change(service: &str, from: ServiceState, to: ServiceState) -> ServiceChange {
    ServiceChange {
        service: service.into(),
        from,
        to,
        customer_facing: true,
        public_name: None,
        why: vec!["error rate 12%".into()],
        peak: None,
    }
}

/// The `k`th kind of event, decided against the incident as it stands.
fn event(k: u8, i: &Incident) -> Event {
    let service = ["checkout", "payments", "search"][k as usize / 10 % 3];
    match k % 10 {
        0 => Event::SeverityChanged {
            from: i.severity,
            to: Severity::ALL[(i.severity as usize + 1 + k as usize / 10) % 4],
        },
        1 if !i.is_resolved() => Event::StatusChanged {
            from: i.status,
            to: [
                Status::Identified,
                Status::Monitoring,
                Status::Investigating,
            ][k as usize / 10 % 3],
        },
        2 => Event::RoleAssigned {
            role: Role::Commander,
            person: ["alice", "bob", "carol"][k as usize / 10 % 3].into(),
        },
        3 if !i.is_resolved() => Event::Resolved {
            summary: Some("rolled back".into()),
        },
        4 => Event::StatusUpdate {
            text: format!("update {k}"),
        },
        5 => Event::FollowUp {
            text: format!("follow-up {k}"),
            kind: FollowUpKind::Prevent,
            owner: Some("bob".into()),
        },
        6 => Event::AlertLinked {
            alert: alert(service),
            firing: true,
        },
        7 => Event::BlastRadiusChanged {
            changes: vec![change(service, ServiceState::Ok, ServiceState::Down)],
        },
        8 => Event::BlastRadiusChanged {
            changes: vec![change(service, ServiceState::Down, ServiceState::Ok)],
        },
        _ => Event::Note {
            kind: NoteKind::Observation,
            text: format!("note {k}"),
        },
    }
}

fn pick(ids: &[String], n: usize) -> &str {
    &ids[n % ids.len()]
}

#[derive(Debug, Clone)]
enum Op {
    /// A new incident, opened by another handle.
    Open(Severity),
    /// An event appended by another handle to incident `n` (modulo how many there are).
    Append(usize, u8),
    /// A note appended by another process (`warroom note`).
    AppendByProcess(usize),
    Delete(usize),
    /// One byte of the kept facts changed.
    Corrupt(usize, usize, u8),
    /// The kept facts cut to a fraction of their length.
    Truncate(usize, u8),
    /// The kept facts saved now, to be put back later (then stale).
    Save(usize),
    Restore(usize),
    /// Incident `a`'s kept facts put in place of `b`'s.
    Swap(usize, usize),
    /// A report asked with the `k`th end of window and cadence.
    Report(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let sev = prop::sample::select(Severity::ALL.to_vec());
    prop_oneof![
        1 => sev.prop_map(Op::Open),
        6 => (any::<usize>(), any::<u8>()).prop_map(|(n, k)| Op::Append(n, k)),
        1 => any::<usize>().prop_map(Op::AppendByProcess),
        1 => any::<usize>().prop_map(Op::Delete),
        2 => (any::<usize>(), any::<usize>(), any::<u8>()).prop_map(|(n, at, b)| Op::Corrupt(n, at, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(n, f)| Op::Truncate(n, f)),
        1 => any::<usize>().prop_map(Op::Save),
        2 => any::<usize>().prop_map(Op::Restore),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Swap(a, b)),
        2 => any::<u8>().prop_map(Op::Report),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn the_report_through_kept_facts_is_the_report_of_every_journal_read_whole(
        ops in prop::collection::vec(op(), 1..16)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        let store = FileStore::new(data);
        store.create("alice", at(0), "Checkout 500s", Severity::Sev2, None).unwrap();
        let mut saved: std::collections::HashMap<String, Vec<u8>> = Default::default();
        let mut k = 0u8;
        for (step, op) in ops.into_iter().enumerate() {
            let ids = store.ids().unwrap();
            match op {
                Op::Open(sev) => {
                    store.create("bob", at(step), &format!("incident {step}"), sev, None).unwrap();
                }
                Op::Append(n, e) => {
                    let mut other = store.open(pick(&ids, n)).unwrap();
                    let _ = other.append_if("carol", at(step), &mut |i| {
                        Ok(i.map(|i| event(e, i)).filter(|e| i.is_some_and(|i| i.check(e).is_ok())))
                    });
                }
                Op::AppendByProcess(n) => {
                    let ran = run({
                        let mut c = warroom(data, "dave");
                        c.args(["note", pick(&ids, n), &format!("from another process {step}")]);
                        c
                    });
                    prop_assert!(
                        ran.code == Some(0) || ran.stderr.contains("is resolved"),
                        "{}",
                        ran.stderr
                    );
                }
                Op::Delete(n) => {
                    let _ = std::fs::remove_file(kept_path(data, pick(&ids, n)));
                }
                Op::Corrupt(n, at, byte) => {
                    let path = kept_path(data, pick(&ids, n));
                    if let Ok(mut bytes) = std::fs::read(&path)
                        && !bytes.is_empty()
                    {
                        let at = at % bytes.len();
                        bytes[at] = byte;
                        std::fs::write(&path, bytes).unwrap();
                    }
                }
                Op::Truncate(n, fraction) => {
                    let path = kept_path(data, pick(&ids, n));
                    if let Ok(bytes) = std::fs::read(&path) {
                        let keep = bytes.len() * fraction as usize / 256;
                        std::fs::write(&path, &bytes[..keep]).unwrap();
                    }
                }
                Op::Save(n) => {
                    let id = pick(&ids, n);
                    if let Ok(bytes) = std::fs::read(kept_path(data, id)) {
                        saved.insert(id.to_string(), bytes);
                    }
                }
                Op::Restore(n) => {
                    let id = pick(&ids, n);
                    if let Some(bytes) = saved.get(id) {
                        std::fs::write(kept_path(data, id), bytes).unwrap();
                    }
                }
                Op::Swap(a, b) => {
                    let (a, b) = (pick(&ids, a), pick(&ids, b));
                    if let Ok(bytes) = std::fs::read(kept_path(data, a)) {
                        std::fs::write(kept_path(data, b), bytes).unwrap();
                    }
                }
                Op::Report(asked) => k = asked,
            }
            let (kept, whole) = facts_both_ways(&store, k);
            prop_assert_eq!(&kept, &whole, "after step {}", step);
            prop_assert_eq!(report_text(&kept, k), report_text(&whole, k), "after step {}", step);
            // Asked again, now that every incident's facts were kept anew: still the same.
            let (again, _) = facts_both_ways(&store, k);
            prop_assert_eq!(again, whole, "again after step {}", step);
        }
    }
}

fn report_cli(data: &Path, config: &Path, args: &[&str]) -> String {
    let ran = run({
        let mut c = warroom(data, "carol");
        c.env("WARROOM_CONFIG", config);
        c.arg("report").args(args);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    ran.stdout
}

/// Three resolved incidents and one still open, each with a follow-up and a blast radius.
fn incidents(store: &FileStore) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..4usize {
        let mut j = store
            .create(
                "alice",
                at(n),
                &format!("incident {n}"),
                Severity::Sev2,
                None,
            )
            .unwrap();
        let events = [
            Event::AlertLinked {
                alert: alert("checkout"),
                firing: true,
            },
            Event::BlastRadiusChanged {
                changes: vec![change("checkout", ServiceState::Ok, ServiceState::Down)],
            },
            Event::StatusUpdate {
                text: "rolling back".into(),
            },
            Event::FollowUp {
                text: format!("the follow-up of incident {n}"),
                kind: FollowUpKind::Prevent,
                owner: Some("bob".into()),
            },
        ];
        for (s, e) in events.into_iter().enumerate() {
            j.append("alice", at(n) + Duration::minutes(s as i64 + 1), e)
                .unwrap();
        }
        if n < 3 {
            j.append(
                "alice",
                at(n) + Duration::minutes(30),
                Event::Resolved { summary: None },
            )
            .unwrap();
        }
        ids.push(j.id().to_string());
    }
    ids
}

#[test]
fn the_binary_keeps_each_incidents_facts_and_reports_the_same_from_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let store = FileStore::new(&data);
    let ids = incidents(&store);
    let window = ["--since", "2026-11-01", "--until", "2026-12-01"];
    let json = [&window[..], &["--format", "json"]].concat();

    let first = report_cli(&data, &config, &json);
    assert!(first.contains("the follow-up of incident 3"), "{first}");
    for id in &ids {
        let kept = std::fs::read_to_string(kept_path(&data, id))
            .unwrap_or_else(|e| panic!("{id}'s facts kept after a report: {e}"));
        assert!(kept.contains("the follow-up of incident"), "{kept}");
    }
    // From the kept facts, the same bytes; in Markdown too.
    assert_eq!(report_cli(&data, &config, &json), first);
    let markdown = report_cli(&data, &config, &window);
    assert_eq!(report_cli(&data, &config, &window), markdown);
    // Every kept file corrupted: ignored, the same report again.
    for id in &ids {
        let path = kept_path(&data, id);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("follow-up of", "follow-up 0f")).unwrap();
    }
    assert_eq!(report_cli(&data, &config, &json), first);
    assert!(
        std::fs::read_to_string(kept_path(&data, &ids[0]))
            .unwrap()
            .contains("follow-up of"),
        "kept again from the journal"
    );
    // An append shows at once, though facts were kept before it.
    let mut j = store.open(&ids[3]).unwrap();
    j.append(
        "alice",
        at(3) + Duration::minutes(40),
        Event::FollowUp {
            text: "a later follow-up".into(),
            kind: FollowUpKind::Mitigate,
            owner: None,
        },
    )
    .unwrap();
    let after = report_cli(&data, &config, &json);
    assert!(after.contains("a later follow-up"), "{after}");
    // Another end of window: the open incident is folded for it, the resolved ones are not
    // changed by it.
    let later = [
        "--since",
        "2026-11-01",
        "--until",
        "2026-12-02",
        "--format",
        "json",
    ];
    let later_kept = report_cli(&data, &config, &later);
    for id in &ids {
        let _ = std::fs::remove_file(kept_path(&data, id));
    }
    assert_eq!(report_cli(&data, &config, &later), later_kept);
}

#[test]
fn a_redaction_takes_its_text_out_of_the_kept_facts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = FileStore::new(&data);
    let mut j = store
        .create("alice", at(0), "Checkout 500s", Severity::Sev2, None)
        .unwrap();
    let record = j
        .append(
            "alice",
            at(1),
            Event::FollowUp {
                text: "rotate the password Tr0ub4dor&3".into(),
                kind: FollowUpKind::Prevent,
                owner: None,
            },
        )
        .unwrap();
    let id = j.id().to_string();
    let mut warnings = Vec::new();
    let facts = read_store(&store, &StatusCadence::default(), at(9), &mut warnings).unwrap();
    assert_eq!(facts[0].follow_ups.len(), 1);
    assert!(
        std::fs::read_to_string(kept_path(&data, &id))
            .unwrap()
            .contains("Tr0ub4dor")
    );
    j.redact(
        "alice",
        at(2),
        &Redaction {
            seq: record.entry.seq,
            reason: "a pasted password",
            authority: Authority::Lead,
            allowed: &[],
        },
    )
    .unwrap();
    for entry in std::fs::read_dir(data.join("incidents").join(&id)).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains("Tr0ub4dor"),
                "{} holds the redacted text",
                path.display()
            );
        }
    }
    let facts = read_store(&store, &StatusCadence::default(), at(9), &mut warnings).unwrap();
    assert!(facts[0].follow_ups.is_empty(), "{:?}", facts[0].follow_ups);
}
