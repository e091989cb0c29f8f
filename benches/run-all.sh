#!/usr/bin/env bash
# Runs every benchmark of warroom and regenerates the summary at the top of
# docs/performance.md (between the run-all markers; the hand-written sections below stay).
#
#   bash benches/run-all.sh
#
# What it runs, in one go on this machine:
#   * every criterion benchmark declared in Cargo.toml (`[[bench]]` with a .rs file), each
#     reporting against a reference measured in the same process;
#   * benches/store_pg.rs among them: the journal on a throwaway PostgreSQL 15 cluster against
#     a bare INSERT+COMMIT and a bare SELECT on the same cluster (skipped without PostgreSQL);
#   * SQLite with `PRAGMA synchronous=FULL` (python3's sqlite3), one INSERT + COMMIT per
#     row in the same directory: the reference for the journal's durable append rate;
#   * benches/console-idle.sh (idle CPU and time to first frame), benches/console-memory.sh
#     (resident memory of the console on a 100,000-entry incident with 10,000 alerts, and of
#     `warroom verify`, against the console on an empty data directory), benches/share-load.sh
#     (200 followers under load against 1 in the same run, then 1,000 followers for 60 s) and benches/share-pg-load.sh (200 followers over two share
#     servers on one PostgreSQL store; skipped, saying why, without PostgreSQL 15), with
#     shorter samples than their defaults so the whole run fits in 20 minutes on 2 cores.
# Benchmarks that need a tool that is missing (amtool, tmux) are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
out=target/run-all
rm -rf "$out" && mkdir -p "$out"
rm -f target/criterion/export/binary.json  # written afresh by benches/export.rs
rm -f target/criterion/alert_board/memory.json  # written afresh by benches/alert_board.rs
say() { echo "run-all: $* (at $(( $(date +%s) - started ))s)" >&2; }

say "building the release binary"
cargo build --release --bin warroom --quiet
export WARROOM_BIN="$PWD/target/release/warroom"

benches=$(awk '/^\[\[bench\]\]/{b=1; next} b && /^name *=/{gsub(/[" ]/,"",$0); sub(/name=/,"",$0); print; b=0}' Cargo.toml)
for b in $benches; do
    if [ ! -f "benches/$b.rs" ]; then continue; fi
    # share_load is the load generator that benches/share-load.sh drives, below.
    if [ "$b" = share_load ]; then continue; fi
    say "cargo bench --bench $b"
    if ! cargo bench --quiet --bench "$b" > "$out/bench-$b.log" 2>&1; then
        echo "SKIPPED or FAILED: see $out/bench-$b.log" >> "$out/bench-$b.log"
        say "bench $b did not complete (see $out/bench-$b.log)"
    fi
done

say "SQLite synchronous=FULL reference"
mkdir -p target/tmp
python3 - "$out/sqlite.txt" <<'PY'
import os, sqlite3, statistics, sys, time
path = os.path.join("target", "tmp", "run-all-sqlite.db")
for suffix in ("", "-journal", "-wal"):
    try: os.remove(path + suffix)
    except FileNotFoundError: pass
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA journal_mode=DELETE")
db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, at TEXT, by TEXT, event TEXT, prev TEXT, hash TEXT)")
line = "x" * 113
times = []
for n in range(300):
    t = time.perf_counter_ns()
    db.execute("BEGIN")
    db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", (n, "2026-11-21T09:00:00.000Z", "alice", line, "0" * 64, "f" * 64))
    db.execute("COMMIT")
    times.append(time.perf_counter_ns() - t)
db.close()
median = statistics.median(times)
open(sys.argv[1], "w").write(f"{median/1000:.1f}\n")
print(f"sqlite synchronous=FULL insert+commit: median {median/1000:.1f} µs over {len(times)} commits")
PY

if command -v tmux >/dev/null; then
    say "console idle and first frame"
    IDLE_SECONDS=10 TTFF_RUNS=5 bash benches/console-idle.sh > "$out/console-idle.txt" 2>&1 || echo "FAILED" >> "$out/console-idle.txt"
    say "console resident memory (100,000 entries, 10,000 alerts)"
    RUNS=3 bash benches/console-memory.sh > "$out/console-memory.txt" 2>&1 || echo "FAILED" >> "$out/console-memory.txt"
else
    echo "SKIPPED: tmux not installed" > "$out/console-idle.txt"
    echo "SKIPPED: tmux not installed" > "$out/console-memory.txt"
fi
if [ -f benches/share-load.sh ]; then
    say "share server under load"
    FOLLOWERS=200 RATE=20 DURATION=15 bash benches/share-load.sh > "$out/share-load.txt" 2>&1 || echo "FAILED" >> "$out/share-load.txt"
    # 1,000 followers for 60 s: none missing or repeated, p99 and the server's CPU.
    say "share server under 1,000 followers for 60 s"
    FOLLOWERS=1000 RATE=20 DURATION=60 bash benches/share-load.sh > "$out/share-load-1000.txt" 2>&1 || echo "FAILED" >> "$out/share-load-1000.txt"
fi
if [ -f benches/share-pg-load.sh ]; then
    # Prints "SKIPPED: …" and exits 0 when PostgreSQL 15 is not installed.
    say "share servers on the PostgreSQL store under load"
    FOLLOWERS=200 RATE=20 SECONDS_=10 bash benches/share-pg-load.sh > "$out/share-pg-load.txt" 2>&1 || echo "FAILED" >> "$out/share-pg-load.txt"
fi

say "writing docs/performance.md"
RUN_ALL_SECONDS=$(( $(date +%s) - started )) python3 - "$out" <<'PY'
import glob, json, os, platform, subprocess, sys, time
out = sys.argv[1]
def median_ns(group, name):
    p = os.path.join("target", "criterion", group, name, "new", "estimates.json")
    try: return json.load(open(p))["median"]["point_estimate"]
    except (OSError, KeyError, ValueError): return None
def fmt(ns):
    if ns is None: return "—"
    if ns >= 1e6: return f"{ns/1e6:.2f} ms"
    if ns >= 1e3: return f"{ns/1e3:.1f} µs"
    return f"{ns:.0f} ns"
# (benchmark, its reference, aim in ns or None, what the aim is)
rows = [
    (("append", "journal_note"), ("append", "reference_write_sync_data"), None, "durable append (write + sync_data)"),
    (("replay", "journal_open_100k"), ("replay", "reference_read_parse_value_100k"), 200e6, "replay 100k events < 200 ms"),
    (("blast_radius", "2000_services_10000_alerts"), ("blast_radius", "reference_count_alerts_per_service"), 2e6, "blast radius 2,000 services, 10,000 alerts ≤ 2 ms"),
    (("blast_radius", "2000_services_10000_alerts"), ("blast_radius", "reference_clone_the_answer"), None, "blast radius against copying its finished answer (every service and line of evidence allocated anew)"),
    (("catalog_check", "cycles_10000_services"), ("catalog_check", "reference_toml_value_10000"), 100e6, "dependency cycles of 10,000 services (`check-config`) < 100 ms"),
    (("catalog_check", "10000_services"), ("catalog_check", "reference_toml_value_10000"), None, "services.toml of 10,000 services read and checked (parse, cycles, unknown dependencies)"),
    (("render_200x60", "10000_alerts_100000_log_entries"), ("render_200x60", "reference_empty_incident"), 16.7e6, "one 200×60 frame < 16.7 ms (60 Hz)"),
    (("export", "markdown_100k"), ("export", "reference_journal_open_100k"), 500e6, "post-mortem render of 100k events < 500 ms"),
    (("export", "open_and_markdown_100k"), ("export", "reference_journal_open_100k"), 500e6, "open + render of 100k events (what `warroom export` does before writing) < 500 ms"),
    (("report", "read_and_fold_1000x1000"), ("report", "reference_open_1000x1000"), 1e9, "`warroom report` figures over 1,000 incidents × 1,000 events (read, fold, figures) < 1 s"),
    (("alerts_10k", "warroom_binary_alerts_json"), ("alerts_10k", "amtool_query_json"), None, "10,000 alerts: `warroom alerts --json` vs `amtool alert query -o json`"),
]
lines = []
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines.append(f"Generated by `bash benches/run-all.sh` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit};")
lines.append(f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}. Medians; ratios against a reference measured in the same run.")
took = os.environ.get("RUN_ALL_SECONDS", "")
if took.isdigit():
    load = open("/proc/loadavg").read().split()[:3]
    lines.append(f"The whole run took {int(took) // 60} min {int(took) % 60} s, the release build included (load average at the end: {' '.join(load)}).")
lines.append("")
lines.append("| what | median | reference | median of reference | ratio | aim |")
lines.append("|---|---|---|---|---|---|")
for (g, n), (rg, rn), aim, what in rows:
    m, r = median_ns(g, n), median_ns(rg, rn)
    ratio = f"{m/r:.2f}×" if m and r else "—"
    met = "—" if aim is None or m is None else ("met" if m < aim else "NOT met")
    lines.append(f"| {what} | {fmt(m)} | `{rn}` | {fmt(r)} | {ratio} | {met} |")
try:
    b = json.load(open(os.path.join("target", "criterion", "export", "binary.json")))
    e, v = b["export_ns"], b["verify_ns"]
    met = "met" if e < 500e6 else "NOT met"
    lines.append(f"| the binary: `warroom export ID -o FILE` of 100k events (open, render, write, record), median of {b['runs']} < 500 ms | {fmt(e)} | `warroom verify ID` | {fmt(v)} | {e/v:.2f}× | {met} |")
except (OSError, KeyError, ValueError, TypeError):
    pass
try:
    b = json.load(open(os.path.join("target", "criterion", "alert_board", "memory.json")))
    p, l = b["peak_bytes"], b["live_bytes"]
    met = "met" if p <= 150e6 else "NOT met"
    lines.append(f"| console heap with 100,000 alerts, peak over four polls (`benches/alert_board.rs`) <= 150 MB | {p/1e6:.0f} MB | live between polls | {l/1e6:.0f} MB | — | {met} |")
except (OSError, KeyError, ValueError, TypeError):
    pass
try:
    sqlite_us = float(open(os.path.join(out, "sqlite.txt")).read())
    m = median_ns("append", "journal_note")
    ratio = f"{(m/1000)/sqlite_us:.2f}×" if m else "—"
    lines.append(f"| durable append vs SQLite `synchronous=FULL` insert+commit | {fmt(m)} | sqlite3 (python) | {sqlite_us:.1f} µs | {ratio} | — |")
except (OSError, ValueError):
    pass
for name, title, script in (("console-idle.txt", "Console idle CPU and first frame", "console-idle.sh"), ("console-memory.txt", "Console resident memory, 100,000 entries and 10,000 alerts", "console-memory.sh"), ("share-load.txt", "Share server under load", "share-load.sh"), ("share-load-1000.txt", "Share server, 1,000 followers for 60 s", "share-load.sh"), ("share-pg-load.txt", "Two share servers on the PostgreSQL store, 200 followers", "share-pg-load.sh")):
    p = os.path.join(out, name)
    if os.path.exists(p):
        text = open(p).read().strip().splitlines()
        lines += ["", f"**{title}** (`benches/{script}`):", "", "```"] + text[-40:] + ["```"]
p = os.path.join(out, "bench-store_pg.log")
if os.path.exists(p):
    text = [l for l in open(p).read().splitlines() if l.startswith(("|", "store_pg:", "replay:"))]
    if text:
        lines += ["", "**Shared store, PostgreSQL** (`benches/store_pg.rs`, append against a bare INSERT+COMMIT; replay of 100k entries):", ""] + text
block = "<!-- run-all:begin -->\n## Latest full run\n\n" + "\n".join(lines) + "\n<!-- run-all:end -->\n"
doc_path = os.path.join("docs", "performance.md")
doc = open(doc_path).read() if os.path.exists(doc_path) else "# Performance\n"
if "<!-- run-all:begin -->" in doc:
    a = doc.index("<!-- run-all:begin -->"); b = doc.index("<!-- run-all:end -->") + len("<!-- run-all:end -->\n")
    doc = doc[:a] + block + doc[b:]
else:
    head, _, rest = doc.partition("\n")
    doc = head + "\n\n" + block + rest
open(doc_path, "w").write(doc)
print("\n".join(lines))
PY
say "done in $(( $(date +%s) - started ))s"
