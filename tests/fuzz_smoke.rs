//! The fuzz targets of `tests/fuzz_targets/` with a few hundred cases each, from a fixed seed
//! (so a failure here repeats): the long runs are `benches/fuzz.sh` (see docs/fuzzing.md).

use crate::fuzz_targets::TARGETS;
use std::sync::atomic::{AtomicU64, Ordering};

/// Cases per target in the normal suite; `FUZZ_CASES` raises it.
fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn target(name: &str) {
    let t = TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"));
    let tried = AtomicU64::new(0);
    if let Err(e) = (t.run)(cases(), 20261204, &tried) {
        panic!("{name}: {e}");
    }
    assert!(tried.load(Ordering::Relaxed) >= u64::from(cases()));
}

#[test]
fn journal_line() {
    target("journal_line");
}

#[test]
fn journal_file() {
    target("journal_file");
}

#[test]
fn config_toml() {
    target("config_toml");
}

#[test]
fn services_toml() {
    target("services_toml");
}

#[test]
fn runbook_toml() {
    target("runbook_toml");
}

#[test]
fn theme_toml() {
    target("theme_toml");
}

#[test]
fn duration() {
    target("duration");
}

#[test]
fn every_target_has_a_test_here() {
    let me = include_str!("fuzz_smoke.rs");
    for t in TARGETS {
        assert!(
            me.contains(&format!("target(\"{}\")", t.name)),
            "{} has no test",
            t.name
        );
    }
}
