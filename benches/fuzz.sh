#!/usr/bin/env bash
# Fuzzes warroom's readers of outside text (journal lines and files, config.toml,
# services.toml, runbook.toml, theme files, durations) with proptest: arbitrary input and
# mutations of valid input, each target for FUZZ_SECONDS (default 600), one after the other.
# Prints, per target, the cases run and the failures found (panics, or properties that do not
# hold) with the smallest input for each. Exit 1 if any target failed. See docs/fuzzing.md.
#
#   bash benches/fuzz.sh                       # every target, 10 minutes each
#   FUZZ_SECONDS=60 bash benches/fuzz.sh duration config_toml
#
# The normal `cargo test` runs a few hundred cases of each (tests/fuzz_smoke.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
cargo build --release --quiet --example fuzz
echo "fuzz: $(nproc) cores, $(uname -srm); ${FUZZ_SECONDS} s per target; commit $(git rev-parse --short HEAD)"
exec nice -n "${FUZZ_NICE:-10}" target/release/examples/fuzz "$@"
