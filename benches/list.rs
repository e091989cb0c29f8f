//! Listing a year of incidents: `cargo bench --bench list`.
//!
//! `warroom list --all` (the release binary, its output to /dev/null) on a data directory of
//! 1,000 incidents of 1,000 events each (`support::corpus`), against the same on one incident
//! of 1,000 events, in the same run:
//!
//! - `list/all_1000x1000`: the summaries kept beside the journals are the journals' (the
//!   steady state: any earlier `list` kept them);
//! - `list/all_1000x1000_rebuilt`: no summary kept (each run deletes them first, outside the
//!   timing): every journal read whole, as before summaries were kept, and kept anew;
//! - `list/all_1x1000` (the reference).
//!
//! And the console's first frame on the same data directories, in process: the journal
//! worker started on the data directory (`console::effects::spawn`) until its first incident
//! list has come back and been drawn as the list screen (200×60, `TestBackend`):
//!
//! - `console/first_frame_1000x1000`: the summaries kept (the worker reads them, opens no
//!   journal);
//! - `console/first_frame_1x1000` (the reference).
//!
//! The corpus is kept under target/tmp between runs (about 400 MB). The medians and ratios
//! are printed after the run, with the load average.

use criterion::{Criterion, SamplingMode};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

#[path = "support/mod.rs"]
mod support;
use support::{corpus, filesystem, human, loadavg, median_ns, target_tmp};

const EVENTS: usize = 1_000;

fn list_all(data: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["list", "--all"])
        .env("WARROOM_DATA_DIR", data)
        .env("WARROOM_USER", "bench")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .expect("run warroom list");
    assert!(status.success(), "warroom list --all failed");
}

fn remove_summaries(data: &Path, incidents: usize) {
    for n in 1..=incidents {
        let dir = data.join(format!("incidents/INC-{n}"));
        let _ = std::fs::remove_file(dir.join(warroom::journal::SUMMARY));
        let _ = std::fs::remove_file(dir.join(warroom::journal::SUMMARY_JSON));
    }
}

fn list(c: &mut Criterion) {
    let many = target_tmp().join("warroom-bench-list-1000");
    let one = target_tmp().join("warroom-bench-list-1");
    corpus::incidents(&many, 1_000, EVENTS);
    corpus::incidents(&one, 1, EVENTS);
    eprintln!("list: {} [{}]", many.display(), filesystem(&many));
    // Once, untimed: the output is the 1,000 incidents.
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["list", "--all"])
        .env("WARROOM_DATA_DIR", &many)
        .output()
        .expect("run warroom list");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1_001);

    let mut group = c.benchmark_group("list");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("all_1000x1000", |b| b.iter(|| list_all(&many)));
    group.bench_function("all_1x1000", |b| b.iter(|| list_all(&one)));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("all_1000x1000_rebuilt", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                remove_summaries(&many, 1_000);
                let started = Instant::now();
                list_all(&many);
                timed += started.elapsed();
            }
            timed
        })
    });
    group.finish();
}

/// The console's first frame on `data`: the journal worker started, its first incident list
/// received and drawn; returns how long that took and the number of rows listed (the worker
/// is stopped outside the timing).
fn first_frame(data: &Path) -> (Duration, usize) {
    use warroom::console::action::Action;
    let started = Instant::now();
    let (tx, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let store = warroom::journal::FileStore::new(data);
    let (effects, handle) =
        warroom::console::effects::spawn(store, "bench".into(), tx).expect("journal worker");
    let list = loop {
        match answers.blocking_recv() {
            Some(Action::Incidents(list)) => break list,
            Some(_) => {}
            None => panic!("the journal worker stopped before listing"),
        }
    };
    let n = list.len();
    let keymap = warroom::console::keymap::Keymap::default();
    let mut state = warroom::console::state::State::new("bench".into(), keymap, vec![]);
    let now = chrono::Utc::now();
    warroom::console::update::update(&mut state, Action::Incidents(list), now);
    warroom::console::update::update(
        &mut state,
        Action::Resize {
            width: 200,
            height: 60,
        },
        now,
    );
    let theme = warroom::console::theme::Theme::built_in("default").expect("default theme");
    let backend = ratatui::backend::TestBackend::new(200, 60);
    let mut terminal = ratatui::Terminal::new(backend).expect("terminal");
    terminal
        .draw(|f| warroom::console::views::render(&state, &theme, now, f))
        .expect("draw");
    let took = started.elapsed();
    drop(effects);
    let _ = handle.join();
    (took, n)
}

fn console(c: &mut Criterion) {
    let many = target_tmp().join("warroom-bench-list-1000");
    let one = target_tmp().join("warroom-bench-list-1");
    // Once, untimed: every incident is listed (and their summaries kept, as any `list` does).
    list_all(&many);
    assert_eq!(first_frame(&many).1, 1_000);
    let mut group = c.benchmark_group("console");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for (name, data) in [
        ("first_frame_1000x1000", &many),
        ("first_frame_1x1000", &one),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| first_frame(data).0).sum())
        });
    }
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
    list(&mut c);
    console(&mut c);
    c.final_summary();
    for (group, lib, reference) in [
        ("list", "all_1000x1000", "all_1x1000"),
        ("list", "all_1000x1000_rebuilt", "all_1x1000"),
        ("list", "all_1000x1000_rebuilt", "all_1000x1000"),
        ("console", "first_frame_1000x1000", "first_frame_1x1000"),
    ] {
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
