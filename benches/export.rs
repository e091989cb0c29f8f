//! Post-mortem export benchmark: `cargo bench --bench export`.
//!
//! A 100,000-event incident (a realistic mix: notes, status updates with deliveries, role,
//! severity and status changes, linked alerts firing and resolving, blast-radius changes,
//! compensating actions, tasks and follow-ups; every event checked against the incident as it
//! stood) is built once through the library, then:
//!
//! - `export/markdown_100k`: `postmortem::render` to Markdown from the entries and the folded
//!   incident (the pure part of an export, blameless check included);
//! - `export/json_100k`: the same to JSON;
//! - `export/open_and_markdown_100k`: what `warroom export` does before writing: open the
//!   journal (read, verify, fold), render Markdown from its records;
//! - `export/reference_journal_open_100k`: `FileStore::open` of the same journal alone, the
//!   reference measured in the same process;
//! - then the release binary itself, `warroom export ID -o FILE` against `warroom verify ID`
//!   on copies of the same journal (see [`binary`]).
//!
//! After the run, the medians and each one's ratio to the reference are printed.

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, SamplingMode};
use std::collections::BTreeMap;
use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use warroom::domain::{
    ActionOutcome, AlertRef, Entry, Event, ExportFormat, FollowUpKind, Incident, NoteKind,
    Rejected, Role, ServiceChange, ServiceState, Severity, Status, VerifyResult,
};
use warroom::journal::{FileStore, Journal};
use warroom::postmortem;

#[path = "support/mod.rs"]
mod support;
use support::{PEOPLE, Rng, loadavg, target_tmp};

const EVENTS: usize = 100_000;

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
    "|",
    "checkout",
    "page",
    "budget",
    "should",
    "have",
    "capacity",
    "bob",
    "broke",
    "forgot",
];

const SERVICES: &[&str] = &[
    "checkout",
    "pricing",
    "cart",
    "payments",
    "search",
    "auth",
    "inventory",
    "shipping",
];

fn sentence(rng: &mut Rng, min: usize, max: usize) -> String {
    let want = min + rng.below(max - min + 1);
    let mut s = String::with_capacity(max);
    while s.len() < want {
        let word = WORDS[rng.below(WORDS.len())];
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(word);
    }
    while s.len() > max {
        s.pop();
    }
    s
}

fn alert(rng: &mut Rng, n: usize, at: DateTime<Utc>) -> AlertRef {
    let service = SERVICES[n % SERVICES.len()];
    AlertRef {
        fingerprint: format!("fp{n:04}"),
        name: rng
            .pick(&["HighErrorRate", "LatencyHigh", "SaturationHigh"])
            .to_string(),
        labels: BTreeMap::from([("service".to_string(), service.to_string())]),
        starts_at: at - Duration::minutes(3),
        ends_at: None,
        generator_url: Some(format!(
            "http://prometheus.example:9090/graph?g0.expr=rate(errors{{service=\"{service}\"}}[5m])"
        )),
        summary: None,
    }
}

struct Mix {
    rng: Rng,
    alerts: Vec<AlertRef>,
    runs: u32,
}

impl Mix {
    fn next(&mut self, incident: &Incident, at: DateTime<Utc>) -> Event {
        loop {
            let rng = &mut self.rng;
            let event = match rng.below(1000) {
                0..540 => Event::Note {
                    kind: *rng.pick(&[
                        NoteKind::Observation,
                        NoteKind::Observation,
                        NoteKind::Hypothesis,
                        NoteKind::Decision,
                    ]),
                    text: sentence(rng, 50, 300),
                },
                540..740 => Event::StatusUpdate {
                    text: sentence(rng, 80, 300),
                },
                740..790 => match incident.last_status_update_seq {
                    Some(seq) => Event::UpdateDelivered {
                        update_seq: seq,
                        target: rng.pick(&["slack #incidents", "mattermost"]).to_string(),
                        ok: rng.below(10) > 0,
                        detail: "200 OK".into(),
                        attempts: 1 + rng.below(3) as u32,
                    },
                    None => continue,
                },
                790..850 => Event::RoleAssigned {
                    role: *rng.pick(Role::ALL),
                    person: rng.pick(PEOPLE).to_string(),
                },
                850..870 => Event::SeverityChanged {
                    from: incident.severity,
                    to: *rng.pick(&[Severity::Sev1, Severity::Sev2, Severity::Sev3]),
                },
                870..890 => Event::StatusChanged {
                    from: incident.status,
                    to: *rng.pick(&[
                        Status::Investigating,
                        Status::Identified,
                        Status::Monitoring,
                    ]),
                },
                890..930 => {
                    let service = rng.pick(SERVICES).to_string();
                    let from = incident
                        .services
                        .get(&service)
                        .map_or(ServiceState::Ok, |(s, _)| *s);
                    let to = *rng.pick(&[
                        ServiceState::Down,
                        ServiceState::Degraded,
                        ServiceState::AtRisk,
                        ServiceState::Ok,
                    ]);
                    if from == to {
                        continue;
                    }
                    Event::BlastRadiusChanged {
                        changes: vec![ServiceChange {
                            service,
                            from,
                            to,
                            customer_facing: rng.below(2) == 0,
                            public_name: None,
                            why: vec!["alert HighErrorRate firing".into()],
                            peak: None,
                        }],
                    }
                }
                930..945 if self.alerts.len() < 200 => {
                    let a = alert(rng, self.alerts.len(), at);
                    self.alerts.push(a.clone());
                    Event::AlertLinked {
                        alert: a,
                        firing: true,
                    }
                }
                930..960 if !self.alerts.is_empty() => {
                    let mut a = self.alerts[rng.below(self.alerts.len())].clone();
                    if rng.below(2) == 0 {
                        a.ends_at = Some(at);
                        Event::AlertsChanged {
                            firing: vec![],
                            resolved: vec![a],
                        }
                    } else {
                        Event::AlertsChanged {
                            firing: vec![a],
                            resolved: vec![],
                        }
                    }
                }
                960..975 => match incident.action_runs.iter().find(|r| r.in_progress()) {
                    Some(r) => Event::ActionFinished {
                        run_id: r.run_id.clone(),
                        action: r.action.clone(),
                        outcome: *rng.pick(&[ActionOutcome::Succeeded, ActionOutcome::Failed]),
                        exit_code: Some(0),
                        http_status: None,
                        duration_ms: 4_000,
                        output_tail: String::new(),
                    },
                    None => {
                        self.runs += 1;
                        Event::ActionStarted {
                            run_id: format!("R{}", self.runs),
                            action: "flag-off".into(),
                            params: BTreeMap::from([("flag".into(), "new_tax_engine".into())]),
                            dry_run: false,
                            command: "flagctl set new_tax_engine off".into(),
                        }
                    }
                },
                975..985 => match incident
                    .action_runs
                    .iter()
                    .find(|r| r.finished.is_some() && r.verification.is_none())
                {
                    Some(r) => Event::ActionVerified {
                        run_id: r.run_id.clone(),
                        action: r.action.clone(),
                        result: *rng.pick(&[VerifyResult::Effective, VerifyResult::NotEffective]),
                        detail: "5xx ratio 0.4% < 1%".into(),
                    },
                    None => continue,
                },
                985..995 => Event::FollowUp {
                    text: sentence(rng, 30, 120),
                    kind: *rng.pick(FollowUpKind::ALL),
                    owner: Some(rng.pick(PEOPLE).to_string()),
                },
                _ => Event::TaskAssigned {
                    task: incident.next_task_id(),
                    person: rng.pick(PEOPLE).to_string(),
                    what: sentence(rng, 20, 80),
                    due_at: at + Duration::minutes(5),
                },
            };
            if incident.check(&event).is_ok() {
                return event;
            }
        }
    }
}

/// Builds the incident on tmpfs when there is one (appends cost no flush there), then copies
/// it under the target directory.
fn build(data_dir: &Path) -> String {
    let shm = Path::new("/dev/shm");
    let staging = shm
        .is_dir()
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
    let started = std::time::Instant::now();
    let store = FileStore::new(&build_dir);
    let mut at = Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap();
    let mut journal = store
        .create("alice", at, "Checkout 500s", Severity::Sev2, None)
        .expect("open the bench incident");
    let mut mix = Mix {
        rng: Rng(0x5EED_CAFE_F00D_BEEF),
        alerts: Vec::new(),
        runs: 0,
    };
    for _ in 1..EVENTS {
        at += Duration::milliseconds(500 + mix.rng.below(30_000) as i64);
        let by = *mix.rng.pick(PEOPLE);
        journal
            .append_with(by, at, &mut |incident: Option<&Incident>| {
                let incident = incident.ok_or_else(|| Rejected("no incident".into()))?;
                Ok(mix.next(incident, at))
            })
            .expect("append to the bench journal");
    }
    journal
        .append(
            "alice",
            at,
            Event::Resolved {
                summary: Some("flag off".into()),
            },
        )
        .expect("resolve");
    let id = journal.id().to_string();
    let built = journal.path().to_path_buf();
    drop(journal);
    if staging.is_some() {
        let dest = data_dir.join("incidents").join(&id);
        fs::create_dir_all(&dest).expect("create the incident dir");
        fs::copy(&built, dest.join("journal.jsonl")).expect("copy the journal");
    }
    let path = data_dir.join("incidents").join(&id).join("journal.jsonl");
    eprintln!(
        "built {} ({} bytes) in {:.1?}",
        path.display(),
        fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
        started.elapsed()
    );
    id
}

fn export(c: &mut Criterion, out: &Path) {
    let dir = tempfile::Builder::new()
        .prefix("warroom-bench-export-")
        .tempdir_in(target_tmp())
        .expect("scratch dir");
    let data = dir.path().join("data");
    let id = build(&data);
    // EXPORT_KEEP_DATA=DIR keeps a copy of the data directory, to time or profile the real
    // binary on the same incident (`WARROOM_DATA_DIR=DIR warroom export INC-1 -o /dev/null`).
    if let Some(keep) = std::env::var_os("EXPORT_KEEP_DATA") {
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(&data)
            .arg(&keep)
            .status();
        eprintln!(
            "copied the data directory to {}: {status:?}",
            Path::new(&keep).display()
        );
    }
    let store = FileStore::new(&data);
    let journal = store.open(&id).expect("open the bench journal");
    let entries: Vec<Entry> = journal.records().iter().map(|r| r.entry.clone()).collect();
    let incident = journal.incident().expect("an incident").clone();
    assert_eq!(entries.len(), EVENTS + 1);
    let now = incident.updated_at;
    let (md, findings) = postmortem::render(ExportFormat::Markdown, &entries, &incident, now);
    let (js, _) = postmortem::render(ExportFormat::Json, &entries, &incident, now);
    eprintln!(
        "markdown {} bytes, json {} bytes, {} blameless findings, {} action runs, {} follow-ups",
        md.len(),
        js.len(),
        findings.len(),
        incident.action_runs.len(),
        incident.follow_ups.len()
    );

    // One-shot split of a Markdown export, to see where the time goes.
    let timed = |what: &str, f: &mut dyn FnMut()| {
        let t = std::time::Instant::now();
        f();
        eprintln!("  {what}: {:.1?}", t.elapsed());
    };
    let mut report = None;
    timed("blameless scan", &mut || {
        black_box(postmortem::blameless::scan(&entries));
    });
    timed("Report::build (blameless scan included)", &mut || {
        report = Some(postmortem::Report::build(&entries, &incident, now));
    });
    if let Some(r) = &report {
        timed("markdown::render", &mut || {
            black_box(postmortem::markdown::render(r));
        });
        timed("json::render", &mut || {
            black_box(postmortem::json::render(r));
        });
    }

    let mut group = c.benchmark_group("export");
    // Iterations of 0.3–0.7 s: flat sampling keeps each benchmark inside its measurement time.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(12));
    group.bench_function("markdown_100k", |b| {
        b.iter(|| {
            black_box(postmortem::render(
                ExportFormat::Markdown,
                &entries,
                &incident,
                now,
            ))
        })
    });
    group.bench_function("json_100k", |b| {
        b.iter(|| {
            black_box(postmortem::render(
                ExportFormat::Json,
                &entries,
                &incident,
                now,
            ))
        })
    });
    // Freeing the journal is left outside the timing here and in the reference, as
    // `warroom export` leaves it to the process exit.
    group.bench_function("open_and_markdown_100k", |b| {
        b.iter_with_large_drop(|| {
            let j = store.open(&id).expect("open");
            let incident = j.incident().expect("an incident");
            let out = postmortem::render(ExportFormat::Markdown, j.records(), incident, now);
            (j, out)
        })
    });
    group.bench_function("reference_journal_open_100k", |b| {
        b.iter_with_large_drop(|| store.open(&id).expect("open"))
    });
    group.finish();
    binary(&data, &id, out);
}

/// The binary as a user runs it, on copies of the same journal: `warroom export ID -o FILE`
/// (open, render, write the draft, record the export) against `warroom verify ID` (start, read
/// and check the whole journal), alternating, each on a fresh copy made outside the timing.
/// Medians go to `<criterion dir>/export/binary.json` for benches/run-all.sh.
fn binary(data: &Path, id: &str, out: &Path) {
    let bin = Path::new(env!("CARGO_BIN_EXE_warroom"));
    let runs = if std::env::args().any(|a| a == "--test") {
        1
    } else {
        7
    };
    let dir = tempfile::Builder::new()
        .prefix("warroom-bench-export-bin-")
        .tempdir_in(target_tmp())
        .expect("scratch dir");
    let time = |args: &[&str], copy: &Path| {
        let t = std::time::Instant::now();
        let status = std::process::Command::new(bin)
            .env("WARROOM_DATA_DIR", copy)
            .args(["--as", "bench"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run warroom");
        let took = t.elapsed().as_nanos() as f64;
        assert!(status.success(), "warroom {args:?} failed: {status}");
        took
    };
    let draft = dir.path().join("draft.md");
    let draft = draft.to_str().expect("a UTF-8 scratch path");
    let (mut export, mut verify) = (Vec::new(), Vec::new());
    for n in 0..runs {
        let copy = dir.path().join(format!("data-{n}"));
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(data)
            .arg(&copy)
            .status()
            .expect("cp");
        assert!(status.success(), "cp -a failed");
        export.push(time(&["export", id, "-o", draft], &copy));
        verify.push(time(&["verify", id], &copy));
        let _ = fs::remove_dir_all(&copy);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (e, v) = (median(&mut export), median(&mut verify));
    println!(
        "export: binary `warroom export {id} -o FILE` median {:.1} ms vs `warroom verify {id}` {:.1} ms → ratio {:.2}x ({runs} runs each)",
        e / 1e6,
        v / 1e6,
        e / v
    );
    let path = out.join("export").join("binary.json");
    let json = format!("{{\"export_ns\": {e:.0}, \"verify_ns\": {v:.0}, \"runs\": {runs}}}\n");
    if let Err(err) = fs::create_dir_all(out.join("export")).and_then(|()| fs::write(&path, json)) {
        eprintln!("cannot write {}: {err}", path.display());
    }
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
    export(&mut c, &out);
    c.final_summary();
    let reference = support::median_ns(&out, "export", "reference_journal_open_100k", started);
    for name in ["markdown_100k", "json_100k", "open_and_markdown_100k"] {
        if let (Some(m), Some(r)) = (support::median_ns(&out, "export", name, started), reference) {
            println!(
                "export: median {name} {:.1} ms vs reference_journal_open_100k {:.1} ms → ratio {:.2}x",
                m / 1e6,
                r / 1e6,
                m / r
            );
        }
    }
    println!("load average at end: {}", loadavg());
}
