//! Follow-ups closed: `warroom followup-done ID SEQ [--note TEXT]` records `follow_up_closed`
//! (also on a resolved incident; refused, nothing recorded, for an entry that is no follow-up
//! or one closed already), the incident shows when and by whom, and the report counts open and
//! closed follow-ups with their ages from it.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{log_json, open_incident, run, warroom};
use std::path::Path;
use warroom::domain::{Event, FollowUpKind, Severity, StatusCadence};
use warroom::journal::{FileStore, Journal};
use warroom::report::{Figures, Filter, markdown, read_store};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 5, 9, 0, 0).unwrap()
}

fn cli(data: &Path, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(data, "alice");
        c.args(args);
        c
    })
}

#[test]
fn followup_done_closes_a_follow_up_once_even_after_resolution_and_refuses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev2");
    let ran = cli(
        data,
        &[
            "followup",
            &id,
            "alert on the error budget",
            "--type",
            "prevent",
        ],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let ran = cli(data, &["note", &id, "not a follow-up"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let ran = cli(data, &["resolve", &id]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let lines = log_json(data, &id);
    let seq_of = |t: &str| {
        lines
            .iter()
            .find(|l| l["event"]["type"] == t)
            .unwrap_or_else(|| panic!("no {t} in {lines:?}"))["seq"]
            .as_u64()
            .unwrap()
            .to_string()
    };
    let (follow_up, note) = (seq_of("follow_up"), seq_of("note"));
    let before = std::fs::read(common::journal_path(data, &id)).unwrap();
    for (args, says) in [
        (vec![note.as_str()], format!("has no follow-up #{note}")),
        (vec!["99"], "has no follow-up #99".to_string()),
        (
            vec![follow_up.as_str(), "--note", ""],
            "note is empty".to_string(),
        ),
    ] {
        let ran = cli(data, &[&["followup-done", id.as_str()][..], &args].concat());
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains(&says), "{args:?}: {}", ran.stderr);
        assert_eq!(
            std::fs::read(common::journal_path(data, &id)).unwrap(),
            before,
            "{args:?} recorded nothing"
        );
    }
    let ran = cli(
        data,
        &[
            "followup-done",
            &id,
            &follow_up,
            "--note",
            "done in PR 4411",
        ],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let last = log_json(data, &id).pop().unwrap();
    assert_eq!(last["event"]["type"], "follow_up_closed");
    assert_eq!(
        last["event"]["seq"].as_u64().unwrap().to_string(),
        follow_up
    );
    assert_eq!(last["event"]["note"], "done in PR 4411");
    let ran = cli(data, &["followup-done", &id, &follow_up]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("already closed"), "{}", ran.stderr);
    // The incident says when and by whom.
    let listed = cli(data, &["list", "--all", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let f = &listed[0]["follow_ups"][0];
    assert_eq!(f["closed_by"], "alice", "{f}");
    assert!(f["closed_at"].is_string(), "{f}");
    // The report counts it closed.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let ran = run({
        let mut c = warroom(data, "alice");
        c.env("WARROOM_CONFIG", &config)
            .args(["report", "--since", "30d", "--format", "json"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let fu = &report["follow_ups"];
    assert_eq!(
        (
            fu["total"].as_u64(),
            fu["open"].as_u64(),
            fu["closed"].as_u64()
        ),
        (Some(1), Some(0), Some(1)),
        "{fu}"
    );
}

#[test]
fn the_report_counts_follow_ups_closed_by_the_window_end_with_their_ages() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let mut j = store
        .create("alice", t0(), "Checkout 500s", Severity::Sev2, None)
        .unwrap();
    let mut seqs = Vec::new();
    for (n, text) in [
        "alert on the error budget",
        "canary pricing",
        "runbook for rollback",
    ]
    .into_iter()
    .enumerate()
    {
        let r = j
            .append(
                "alice",
                t0() + Duration::hours(n as i64 + 1),
                Event::FollowUp {
                    text: text.into(),
                    kind: FollowUpKind::Prevent,
                    owner: Some("bob".into()),
                },
            )
            .unwrap();
        seqs.push(r.entry.seq);
    }
    j.append(
        "alice",
        t0() + Duration::hours(4),
        Event::Resolved { summary: None },
    )
    .unwrap();
    let until = t0() + Duration::days(10);
    // The first closed 10 minutes after it was captured, the second 2 days after; the third
    // only after the window's end, so open as of then.
    for (seq, at) in [
        (seqs[0], t0() + Duration::hours(1) + Duration::minutes(10)),
        (seqs[1], t0() + Duration::hours(2) + Duration::days(2)),
        (seqs[2], until + Duration::days(1)),
    ] {
        j.append("bob", at, Event::FollowUpClosed { seq, note: None })
            .unwrap();
    }
    let mut warnings = Vec::new();
    let facts = read_store(&store, &StatusCadence::default(), until, &mut warnings).unwrap();
    let f = Figures::fold(&facts, &Filter::last_days(until, 90));
    let fu = &f.follow_ups;
    assert_eq!((fu.total, fu.open, fu.closed), (3, 1, 2));
    // Nearest rank over [600 s, 2 d]: the first.
    assert_eq!(fu.median_closed_age_seconds, Some(600));
    assert_eq!(fu.oldest_open.len(), 1);
    assert_eq!(fu.oldest_open[0].text, "runbook for rollback");
    assert_eq!(
        fu.oldest_open[0].age_seconds,
        (until - (t0() + Duration::hours(3))).num_seconds()
    );
    let md = markdown::render(&f);
    assert!(
        md.contains("3 follow-ups: 1 open, 2 closed; open ones median age"),
        "{md}"
    );
    assert!(md.contains("closed ones closed after 10m (median)"), "{md}");
    // As of a later end of window, all three are closed.
    let later = until + Duration::days(2);
    let facts = read_store(&store, &StatusCadence::default(), later, &mut warnings).unwrap();
    let f = Figures::fold(&facts, &Filter::last_days(later, 90));
    assert_eq!((f.follow_ups.open, f.follow_ups.closed), (0, 3));
    assert!(f.follow_ups.oldest_open.is_empty());
    assert!(warnings.is_empty(), "{warnings:?}");
}
