//! Journal benchmarks: `cargo bench --bench journal`.
//!
//! 1. `append/*`: one durable append (a note: write + `sync_data` under the journal's lock)
//!    through `FileStore`/`Journal`, against a bare `write_all` + `sync_data` of a line of the
//!    same size to a file in the same directory; and the same append to a journal in format 1
//!    (`journal_note_format_1`: no digest, the chain over the event's bytes), for what format 2
//!    costs.
//! 2. `replay/*`: `FileStore::open` of a 100,000-event journal (parse, hash-verify and fold
//!    every line), against reading the same file and parsing each line as a
//!    `serde_json::Value` (kept, as replay keeps its records). Both are timed up to the point
//!    where the result is ready; `journal_open_and_drop_100k` adds freeing the journal;
//!    `journal_open_100k_format_1` opens the same entries written in format 1;
//!    `reference_read_sha256_100k` is the floor: reading the file and one SHA-256 of each
//!    line (on one core; opening checks the lines on every core).
//!
//! Everything is written under the target directory (`target/tmp`), not tmpfs, so `sync_data`
//! reaches a real disk; the filesystem in use is printed first. After the run, the medians and
//! each library/reference ratio measured in this process are printed.

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, SamplingMode};
use std::fs::{self, OpenOptions};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};
use warroom::domain::{Event, Incident, NoteKind, Rejected, Role, Severity, Status};
use warroom::journal::{FileStore, Journal};

#[path = "support/mod.rs"]
mod support;
use support::{PEOPLE, Rng, filesystem, human, loadavg, median_ns, scratch, target_tmp};

/// Events in the replay journal.
const REPLAY_EVENTS: usize = 100_000;

const WORDS: &[&str] = &[
    "checkout-api",
    "p99",
    "latency",
    "is",
    "up",
    "to",
    "4.2s",
    "on",
    "eu-west-1",
    "after",
    "the",
    "deploy",
    "of",
    "pricing",
    "v2.31.0;",
    "error",
    "rate",
    "5xx",
    "at",
    "12%",
    "and",
    "climbing.",
    "Rolled",
    "back",
    "canary,",
    "waiting",
    "for",
    "metrics",
    "\"payments\"",
    "db",
    "connection",
    "pool",
    "exhausted",
    "(max=200)",
    "—",
    "suspect",
    "retry",
    "storm",
    "from",
    "cart-service.",
    "Feature",
    "flag",
    "new_tax_engine",
    "turned",
    "off",
    "customers",
    "see",
    "HTTP",
    "500",
    "on",
    "checkout",
    "page",
];

fn sentence(rng: &mut Rng, min: usize, max: usize) -> String {
    let want = min + rng.below(max - min + 1);
    let mut s = String::with_capacity(max);
    while s.len() < want {
        let word = WORDS[rng.below(WORDS.len())];
        let gap = usize::from(!s.is_empty());
        if s.len() + gap + word.len() > max {
            if s.len() >= min {
                break;
            }
            continue;
        }
        if gap == 1 {
            s.push(' ');
        }
        s.push_str(word);
    }
    s
}

/// The next event of a realistic incident: mostly notes and status updates, with role and
/// severity changes and status moves among them, each valid for `incident` as it stands.
fn next_event(rng: &mut Rng, incident: &Incident) -> Event {
    loop {
        let roll = rng.below(100);
        let event = match roll {
            0..60 => Event::Note {
                kind: *rng.pick(&[
                    NoteKind::Observation,
                    NoteKind::Observation,
                    NoteKind::Hypothesis,
                    NoteKind::Decision,
                ]),
                text: sentence(rng, 50, 300),
            },
            60..82 => Event::StatusUpdate {
                text: sentence(rng, 80, 300),
            },
            82..92 => Event::RoleAssigned {
                role: *rng.pick(&[
                    Role::Commander,
                    Role::Deputy,
                    Role::Scribe,
                    Role::Liaison,
                    Role::Sme,
                ]),
                person: rng.pick(PEOPLE).to_string(),
            },
            92..96 => Event::SeverityChanged {
                from: incident.severity,
                to: *rng.pick(&[Severity::Sev1, Severity::Sev2, Severity::Sev3]),
            },
            _ => Event::StatusChanged {
                from: incident.status,
                to: *rng.pick(&[
                    Status::Investigating,
                    Status::Identified,
                    Status::Monitoring,
                ]),
            },
        };
        if incident.check(&event).is_ok() {
            return event;
        }
    }
}

fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap()
}

/// Writes a genuine `REPLAY_EVENTS`-event journal through the library into `data_dir`.
/// Appends go to tmpfs when there is one (fsync is free there), and the finished file is
/// copied into `data_dir`; otherwise they go straight to `data_dir`, which takes a while.
fn build_replay_journal(data_dir: &Path) -> u64 {
    let shm = Path::new("/dev/shm");
    let staging = (shm.is_dir() && filesystem(shm).starts_with("tmpfs"))
        .then(|| {
            tempfile::Builder::new()
                .prefix("warroom-bench-")
                .tempdir_in(shm)
                .ok()
        })
        .flatten();
    let build_dir = staging
        .as_ref()
        .map(|d| d.path().to_path_buf())
        .unwrap_or_else(|| data_dir.to_path_buf());
    eprintln!(
        "building a {REPLAY_EVENTS}-event journal in {} [{}] …",
        build_dir.display(),
        filesystem(&build_dir)
    );
    let started = std::time::Instant::now();
    let store = FileStore::new(&build_dir);
    let mut at = start_time();
    let mut journal = store
        .create(
            "alice",
            at,
            "Checkout 500s",
            Severity::Sev1,
            Some("customers cannot pay"),
        )
        .expect("open the bench incident");
    let mut rng = Rng(0x5EED_CAFE_F00D_BEEF);
    for _ in 1..REPLAY_EVENTS {
        at += Duration::milliseconds(500 + rng.below(30_000) as i64);
        let by = *rng.pick(PEOPLE);
        journal
            .append_with(by, at, &mut |incident: Option<&Incident>| {
                let incident = incident.ok_or_else(|| Rejected("no incident".into()))?;
                Ok(next_event(&mut rng, incident))
            })
            .expect("append to the bench journal");
    }
    let id = journal.id().to_string();
    let built = journal.path().to_path_buf();
    drop(journal);
    if staging.is_some() {
        let dest = data_dir.join("incidents").join(&id);
        fs::create_dir_all(&dest).expect("create the incident dir");
        fs::copy(&built, dest.join("journal.jsonl")).expect("copy the journal");
    }
    let path = data_dir.join("incidents").join(&id).join("journal.jsonl");
    let bytes = fs::metadata(&path).expect("journal written").len();
    eprintln!(
        "built {} ({bytes} bytes) in {:.1?}",
        path.display(),
        started.elapsed()
    );
    bytes
}

/// Writes `records` anew in journal format 1 (the chain over each event's bytes, no digests)
/// as `path`: the same entries, as a journal from before format 2 holds them.
fn write_format_1(records: &[warroom::journal::Record], path: &Path) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("create the v1 incident");
    let mut v1 = String::new();
    let mut prev = warroom::journal::GENESIS.to_string();
    for r in records {
        let at = r
            .entry
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let json = r.entry.event.to_json();
        let line = warroom::journal::encode_line(1, &prev, r.entry.seq, &at, &r.entry.by, &json)
            .expect("a format-1 line");
        v1.push_str(line.line());
        v1.push('\n');
        prev = line.hash().to_string();
    }
    fs::write(path, v1).expect("write the v1 journal");
}

fn append(c: &mut Criterion) {
    let dir = scratch("warroom-bench-append-");
    eprintln!(
        "append: {} [{}]",
        dir.path().display(),
        filesystem(dir.path())
    );
    let store = FileStore::new(dir.path().join("data"));
    let mut journal = store
        .create("alice", Utc::now(), "Checkout 500s", Severity::Sev1, None)
        .expect("open the bench incident");
    let text = "p99 latency on checkout-api is 4.2s since the pricing deploy; rolling back the \
                canary and watching the error rate"
        .to_string();
    let note = || Event::Note {
        kind: NoteKind::Observation,
        text: text.clone(),
    };
    // The reference writes a line exactly as long as the library's.
    let sample = journal
        .append("alice", Utc::now(), note())
        .expect("append a note");
    let line_len = sample.to_line().len() + 1;
    let mut reference_line = vec![b'x'; line_len];
    reference_line[line_len - 1] = b'\n';
    eprintln!("append: one note line is {line_len} bytes");
    // The same incident in format 1, which keeps appending format-1 lines.
    let v1_store = FileStore::new(dir.path().join("data-format-1"));
    write_format_1(
        journal.records(),
        &dir.path()
            .join("data-format-1/incidents/INC-1/journal.jsonl"),
    );
    let mut v1 = v1_store.open("INC-1").expect("open the format-1 incident");
    let v1_line = v1
        .append("alice", Utc::now(), note())
        .expect("append a note in format 1")
        .to_line();
    assert!(v1_line.starts_with("{\"seq\""), "not format 1: {v1_line}");
    eprintln!(
        "append: one note line is {} bytes in format 1",
        v1_line.len() + 1
    );

    let mut group = c.benchmark_group("append");
    group.sample_size(50);
    group.measurement_time(std::time::Duration::from_secs(10));
    group.bench_function("journal_note", |b| {
        b.iter(|| {
            black_box(
                journal
                    .append("alice", Utc::now(), note())
                    .expect("append a note"),
            )
        })
    });
    group.bench_function("journal_note_format_1", |b| {
        b.iter(|| {
            black_box(
                v1.append("alice", Utc::now(), note())
                    .expect("append a note in format 1"),
            )
        })
    });
    let reference_path = dir.path().join("reference.jsonl");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&reference_path)
        .expect("open the reference file");
    group.bench_function("reference_write_sync_data", |b| {
        b.iter(|| {
            file.write_all(black_box(&reference_line))
                .and_then(|()| file.sync_data())
                .expect("write the reference line")
        })
    });
    group.finish();
}

fn replay(c: &mut Criterion) {
    let dir = scratch("warroom-bench-replay-");
    let data_dir = dir.path().join("data");
    eprintln!(
        "replay: {} [{}]",
        data_dir.display(),
        filesystem(dir.path())
    );
    build_replay_journal(&data_dir);
    let store = FileStore::new(&data_dir);
    let path = data_dir.join("incidents/INC-1/journal.jsonl");

    // Check once, outside the timed loop, that the journal is whole and genuine.
    let journal = store.open("INC-1").expect("replay the bench journal");
    assert_eq!(journal.records().len(), REPLAY_EVENTS);
    assert!(journal.incident().is_some());
    drop(journal);

    // The same entries in journal format 1 (the chain over each event's bytes, no digests),
    // to measure what format 2 costs.
    let v1_dir = dir.path().join("data-format-1");
    let v1_path = v1_dir.join("incidents/INC-1/journal.jsonl");
    write_format_1(store.open("INC-1").expect("replay").records(), &v1_path);
    let v1_store = FileStore::new(&v1_dir);
    assert_eq!(
        v1_store.open("INC-1").expect("v1").records().len(),
        REPLAY_EVENTS
    );

    let mut group = c.benchmark_group("replay");
    // Each iteration takes ~0.2 s: flat sampling (the same count per sample) keeps the
    // group inside its measurement time, where linear sampling would need 210 iterations.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(10));
    // What the aim is about: the time until the incident is replayed and ready. Dropping the
    // 100k records afterwards is timed apart, below.
    group.bench_function("journal_open_100k", |b| {
        b.iter_custom(|iters| {
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let journal = store.open("INC-1").expect("replay the bench journal");
                black_box(journal.incident().map(|i| i.last_seq));
                timed += started.elapsed();
                drop(journal);
            }
            timed
        })
    });
    // The reference keeps every parsed line, as replay keeps every record, and its values are
    // likewise dropped outside the timing.
    group.bench_function("reference_read_parse_value_100k", |b| {
        b.iter_custom(|iters| {
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let text = fs::read_to_string(&path).expect("read the journal");
                let values: Vec<serde_json::Value> = text
                    .lines()
                    .map(|line| serde_json::from_str(line).expect("a JSON line"))
                    .collect();
                black_box(&values);
                timed += started.elapsed();
                assert_eq!(values.len(), REPLAY_EVENTS);
                drop(values);
            }
            timed
        })
    });
    // The floor: reading the file and one SHA-256 over each line, all that checking the
    // chain cannot do without (on one core).
    group.bench_function("reference_read_sha256_100k", |b| {
        use sha2::{Digest, Sha256};
        b.iter(|| {
            let bytes = fs::read(&path).expect("read the journal");
            let mut lines = 0;
            for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                black_box(Sha256::digest(line));
                lines += 1;
            }
            assert_eq!(lines, REPLAY_EVENTS);
        })
    });
    group.bench_function("journal_open_100k_format_1", |b| {
        b.iter_custom(|iters| {
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let journal = v1_store.open("INC-1").expect("replay the v1 journal");
                black_box(journal.incident().map(|i| i.last_seq));
                timed += started.elapsed();
                drop(journal);
            }
            timed
        })
    });
    group.bench_function("journal_open_and_drop_100k", |b| {
        b.iter(|| {
            let journal = store.open("INC-1").expect("replay the bench journal");
            black_box(journal.incident().map(|i| i.last_seq))
        })
    });
    group.finish();
}

fn main() {
    let started = SystemTime::now();
    eprintln!("load average at start: {}", loadavg());
    let out = target_tmp()
        .parent()
        .map(|t| t.join("criterion"))
        .unwrap_or_else(|| PathBuf::from("target/criterion"));
    let mut c = Criterion::default()
        .output_directory(&out)
        .configure_from_args();
    append(&mut c);
    replay(&mut c);
    c.final_summary();

    let pairs = [
        ("append", "journal_note", "reference_write_sync_data"),
        (
            "replay",
            "journal_open_100k",
            "reference_read_parse_value_100k",
        ),
        ("replay", "journal_open_100k", "reference_read_sha256_100k"),
        // What format 2 (the digest chain) costs over format 1, in the same run.
        ("append", "journal_note", "journal_note_format_1"),
        ("replay", "journal_open_100k", "journal_open_100k_format_1"),
    ];
    for (group, lib, reference) in pairs {
        let (Some(l), Some(r)) = (
            median_ns(&out, group, lib, started),
            median_ns(&out, group, reference, started),
        ) else {
            continue;
        };
        println!(
            "{group}: median {lib} {} vs {reference} {} → ratio {:.2}x",
            human(l),
            human(r),
            l / r
        );
    }
    println!("load average at end: {}", loadavg());
}
