//! Long fuzz runs of the targets in `tests/fuzz_targets/`: `benches/fuzz.sh` runs each for
//! `FUZZ_SECONDS` (default 600). Usage:
//!
//! ```text
//! FUZZ_SECONDS=600 cargo run --release --example fuzz -- [TARGET…]
//! ```
//!
//! Runs batches of cases from fresh seeds until the time is up, and prints, per target, the
//! cases run (every input tried, shrinking included) and the failures found (a panic, or a
//! property that does not hold), each with the smallest input that shows it. Exit 1 when any
//! target failed.

#[path = "../tests/fuzz_targets/mod.rs"]
mod fuzz_targets;

use fuzz_targets::TARGETS;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() -> std::process::ExitCode {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let batch: u32 = std::env::var("FUZZ_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let unknown: Vec<&String> = wanted
        .iter()
        .filter(|w| !TARGETS.iter().any(|t| t.name == w.as_str()))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        eprintln!("fuzz: no target {unknown:?}; targets: {}", names.join(" "));
        return std::process::ExitCode::from(2);
    }
    // Panics are found and reported by the runner; the default hook would print each one
    // (and every shrinking step) as it happens.
    std::panic::set_hook(Box::new(|_| {}));
    let mut failed = false;
    for t in TARGETS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == t.name) {
            continue;
        }
        let tried = AtomicU64::new(0);
        let started = Instant::now();
        let mut seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        let mut failures: BTreeSet<String> = BTreeSet::new();
        let mut batches = 0u64;
        while started.elapsed() < Duration::from_secs(seconds) {
            if let Err(e) = (t.run)(batch, seed, &tried)
                && failures.insert(e.clone())
            {
                // Said at once, so a long run can be watched.
                eprintln!("{}: FAILED (seed {seed}): {e}", t.name);
            }
            batches += 1;
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
        }
        let cases = tried.load(Ordering::Relaxed);
        let took = started.elapsed().as_secs_f64();
        println!(
            "{}: {cases} cases in {took:.0} s ({:.0}/s, {batches} batches), {} failures",
            t.name,
            cases as f64 / took,
            failures.len()
        );
        for f in &failures {
            println!("  FAILED: {f}");
        }
        failed |= !failures.is_empty();
    }
    if failed {
        std::process::ExitCode::from(1)
    } else {
        std::process::ExitCode::SUCCESS
    }
}
