//! A data directory of many incidents for the benchmarks that read a year of them: every
//! journal genuine (format 2, hash-chained, written through `journal::encode_line`), each of
//! `events` entries (an opening, then notes, role assignments, severity and status changes).
//! The incidents share one journal's entries (written once, copied under each ID): what is
//! measured is reading them, which does the same work for each.
#![allow(dead_code)]

use super::{PEOPLE, Rng};
use chrono::{Duration, TimeZone, Utc};
use std::fs;
use std::path::Path;
use warroom::domain::{Event, NoteKind, Role, Severity, Status};
use warroom::journal::{FORMAT, GENESIS, encode_line};

/// One incident's journal of `events` entries, as its file's bytes.
pub fn journal_bytes(events: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let mut at = Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap();
    let mut severity = Severity::Sev2;
    let mut status = Status::Investigating;
    let mut prev = GENESIS.to_string();
    let mut out = Vec::with_capacity(events * 420);
    for seq in 1..=events as u64 {
        let event = if seq == 1 {
            Event::Opened {
                title: "Checkout 500s after the pricing deploy".into(),
                severity,
                summary: Some("customers cannot pay".into()),
            }
        } else {
            match rng.below(20) {
                0 => {
                    let to = *rng.pick(&[Severity::Sev1, Severity::Sev2, Severity::Sev3]);
                    let e = Event::SeverityChanged { from: severity, to };
                    severity = to;
                    e
                }
                1 => {
                    let to = *rng.pick(&[
                        Status::Investigating,
                        Status::Identified,
                        Status::Monitoring,
                    ]);
                    let e = Event::StatusChanged { from: status, to };
                    status = to;
                    e
                }
                2 => Event::RoleAssigned {
                    role: *rng.pick(&[Role::Commander, Role::Scribe, Role::Sme]),
                    person: rng.pick(PEOPLE).to_string(),
                },
                _ => Event::Note {
                    kind: *rng.pick(&[NoteKind::Observation, NoteKind::Hypothesis]),
                    text: format!(
                        "p99 on checkout-api is {}ms since the deploy of pricing v2.{}; error rate {}% and climbing",
                        rng.below(5000),
                        rng.below(40),
                        rng.below(30)
                    ),
                },
            }
        };
        at += Duration::milliseconds(500 + rng.below(30_000) as i64);
        let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let by = *rng.pick(PEOPLE);
        let record = encode_line(FORMAT, &prev, seq, &at_text, by, &event.to_json())
            .expect("a journal line");
        out.extend_from_slice(record.line().as_bytes());
        out.push(b'\n');
        prev = record.hash().to_string();
    }
    out
}

/// `data_dir` holding incidents INC-1 to INC-`incidents`, each of `events` entries. Kept
/// between runs: a directory already holding exactly these journals is used as it is.
pub fn incidents(data_dir: &Path, incidents: usize, events: usize) {
    let bytes = journal_bytes(events, 0x5EED_CAFE_F00D_BEEF);
    let root = data_dir.join("incidents");
    let whole = |n: usize| {
        fs::metadata(root.join(format!("INC-{n}/journal.jsonl")))
            .is_ok_and(|m| m.len() == bytes.len() as u64)
    };
    let extra = root.join(format!("INC-{}", incidents + 1));
    if (1..=incidents).all(whole) && !extra.exists() {
        return;
    }
    let _ = fs::remove_dir_all(&root);
    eprintln!(
        "building {incidents} incidents of {events} events in {} …",
        data_dir.display()
    );
    for n in 1..=incidents {
        let dir = root.join(format!("INC-{n}"));
        fs::create_dir_all(&dir).expect("create an incident dir");
        fs::write(dir.join("journal.jsonl"), &bytes).expect("write a journal");
    }
}
