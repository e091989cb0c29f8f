//! Report benchmark: `cargo bench --bench report`.
//!
//! 1,000 incidents of 1,000 events each (notes, status updates, role and severity changes,
//! an alert linked and resolving, blast-radius changes, a follow-up, a review verdict, the
//! resolution) in a file store, then:
//!
//! - `report/read_and_fold_1000x1000`: what `warroom report` does before writing, each
//!   incident's facts kept beside its journal by an earlier report (`kept-report.json`): every
//!   journal's key looked at (its file and its last line), the kept facts read, the figures;
//! - `report/read_fold_markdown_1000x1000`: the same and the Markdown;
//! - `report/cold_read_and_fold_1000x1000`: the first report, no facts kept: every journal
//!   opened (read, verified, folded), each incident's facts, kept, the figures;
//! - `report/reference_open_1000x1000`: opening every journal alone, the reference measured
//!   in the same process.
//!
//! One incident is written through the journal, on tmpfs when there is one, and its journal
//! is copied to the other 999 (the chain does not name the incident, so each verifies).

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, SamplingMode};
use std::collections::BTreeMap;
use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use warroom::domain::{
    AlertRef, AlertVerdict, Event, FollowUpKind, NoteKind, Role, ServiceChange, ServiceState,
    Severity, Status, StatusCadence,
};
use warroom::journal::{FileStore, Journal, Store};
use warroom::report::{Figures, Filter, read_store};

#[path = "support/mod.rs"]
mod support;
use support::{PEOPLE, Rng, loadavg, target_tmp};

const INCIDENTS: usize = 1_000;
const EVENTS: usize = 1_000;
/// The file an earlier report keeps each incident's facts in.
const KEPT: &str = "kept-report.json";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 0, 0).unwrap()
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

/// The events after the opening, in order, with their times.
fn events(rng: &mut Rng) -> Vec<(DateTime<Utc>, &'static str, Event)> {
    let mut at = t0();
    let mut out = Vec::with_capacity(EVENTS);
    let mut step = |rng: &mut Rng| {
        at += Duration::seconds(5 + rng.below(20) as i64);
        at
    };
    let mut labels = BTreeMap::new();
    labels.insert("service".to_string(), "checkout".to_string());
    let alert = AlertRef {
        fingerprint: "fp-checkout".into(),
        name: "HighErrorRate".into(),
        labels,
        starts_at: t0() - Duration::minutes(2),
        ends_at: None,
        generator_url: None,
        summary: None,
    };
    out.push((
        step(rng),
        "warroom",
        Event::AlertLinked {
            alert: alert.clone(),
            firing: true,
        },
    ));
    out.push((
        step(rng),
        "alice",
        Event::RoleAssigned {
            role: Role::Commander,
            person: "alice".into(),
        },
    ));
    out.push((
        step(rng),
        "warroom",
        Event::BlastRadiusChanged {
            changes: vec![change("checkout", ServiceState::Ok, ServiceState::Down)],
        },
    ));
    out.push((
        step(rng),
        "alice",
        Event::SeverityChanged {
            from: Severity::Sev2,
            to: Severity::Sev1,
        },
    ));
    while out.len() < EVENTS - 6 {
        let at = step(rng);
        let by = *rng.pick(PEOPLE);
        let e = if out.len() % 20 == 0 {
            Event::StatusUpdate {
                text: "checkout errors at 12%, rolling back pricing".into(),
            }
        } else {
            Event::Note {
                kind: NoteKind::Observation,
                text: "p99 latency 4.2s on eu-west-1 after the pricing deploy".into(),
            }
        };
        out.push((at, by, e));
    }
    out.push((
        step(rng),
        "alice",
        Event::StatusChanged {
            from: Status::Investigating,
            to: Status::Monitoring,
        },
    ));
    out.push((
        step(rng),
        "warroom",
        Event::AlertsChanged {
            firing: Vec::new(),
            resolved: vec![alert],
        },
    ));
    out.push((
        step(rng),
        "warroom",
        Event::BlastRadiusChanged {
            changes: vec![change("checkout", ServiceState::Down, ServiceState::Ok)],
        },
    ));
    out.push((
        step(rng),
        "alice",
        Event::FollowUp {
            text: "alert on the pricing deploy's error budget".into(),
            kind: FollowUpKind::Prevent,
            owner: Some("bob".into()),
        },
    ));
    out.push((
        step(rng),
        "alice",
        Event::AlertReviewed {
            fingerprint: "fp-checkout".into(),
            alert: "HighErrorRate{service=checkout}".into(),
            verdict: AlertVerdict::Actionable,
        },
    ));
    out.push((
        step(rng),
        "alice",
        Event::Resolved {
            summary: Some("pricing rolled back".into()),
        },
    ));
    out
}

/// The store of 1,000 incidents under `data_dir`.
fn build(data_dir: &Path) {
    let started = std::time::Instant::now();
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
        .unwrap_or_else(|| target_tmp().join("report-build"));
    let store = FileStore::new(&build_dir);
    let mut j = store
        .create("alice", t0(), "Checkout 500s", Severity::Sev2, None)
        .expect("open the bench incident");
    let mut rng = Rng(0x5EED_CAFE_F00D_BEEF);
    for (at, by, e) in events(&mut rng) {
        j.append(by, at, e).expect("append to the bench journal");
    }
    assert_eq!(j.records().len(), EVENTS + 1, "the opening and the events");
    let built = j.path().to_path_buf();
    drop(j);
    for n in 1..=INCIDENTS {
        let dest = data_dir.join("incidents").join(format!("INC-{n}"));
        fs::create_dir_all(&dest).expect("create the incident dir");
        fs::copy(&built, dest.join("journal.jsonl")).expect("copy the journal");
    }
    eprintln!(
        "built {INCIDENTS} incidents of {EVENTS} events in {:.1?}",
        started.elapsed()
    );
}

fn until() -> DateTime<Utc> {
    t0() + Duration::days(30)
}

fn report(c: &mut Criterion) {
    let dir = tempfile::Builder::new()
        .prefix("warroom-bench-report-")
        .tempdir_in(target_tmp())
        .expect("scratch dir");
    let data = dir.path().join("data");
    build(&data);
    let store = FileStore::new(&data);
    let filter = Filter::last_days(until(), 90);
    let cadence = StatusCadence::default();
    let figures = || {
        let mut warnings = Vec::new();
        let facts = read_store(&store, &cadence, filter.until, &mut warnings).expect("read");
        assert!(warnings.is_empty(), "{warnings:?}");
        Figures::fold(&facts, &filter)
    };
    let f = figures();
    assert_eq!(f.incidents, INCIDENTS);
    assert!(
        data.join("incidents/INC-1").join(KEPT).is_file(),
        "the first report keeps each incident's facts"
    );
    eprintln!(
        "{} incidents, {} status updates due, markdown {} bytes",
        f.incidents,
        f.punctuality.due,
        warroom::report::markdown::render(&f).len()
    );

    let mut group = c.benchmark_group("report");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(20));
    group.bench_function("read_and_fold_1000x1000", |b| {
        b.iter(|| black_box(figures()))
    });
    group.bench_function("read_fold_markdown_1000x1000", |b| {
        b.iter(|| black_box(warroom::report::markdown::render(&figures())))
    });
    group.bench_function("cold_read_and_fold_1000x1000", |b| {
        b.iter_batched(
            || {
                for id in Store::ids(&store).expect("ids") {
                    let _ = fs::remove_file(data.join("incidents").join(id).join(KEPT));
                }
            },
            |()| black_box(figures()),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("reference_open_1000x1000", |b| {
        b.iter(|| {
            let mut n = 0;
            for id in Store::ids(&store).expect("ids") {
                let j = Store::open(&store, &id).expect("open");
                n += j.records().len();
            }
            black_box(n)
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
    report(&mut c);
    c.final_summary();
    let reference = support::median_ns(&out, "report", "reference_open_1000x1000", started);
    for name in [
        "read_and_fold_1000x1000",
        "read_fold_markdown_1000x1000",
        "cold_read_and_fold_1000x1000",
    ] {
        if let (Some(m), Some(r)) = (support::median_ns(&out, "report", name, started), reference) {
            println!(
                "report: median {name} {:.1} ms vs reference_open_1000x1000 {:.1} ms → ratio {:.2}x",
                m / 1e6,
                r / 1e6,
                m / r
            );
        }
    }
    println!("load average at end: {}", loadavg());
}
