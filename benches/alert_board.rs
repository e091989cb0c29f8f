//! The console's memory and time with 100,000 firing alerts (the aim: at most 150 MB at the
//! peak). What a leading console does on each poll, in this process: decode Alertmanager's
//! `GET /api/v2/alerts` body, feed the report to the reducer (board merge, the alerts pane's
//! rows and groups, the blast radius, what to journal), and hand the journal worker the
//! `blast_radius_changed` event. Heap bytes are counted by a global allocator: the peak over
//! the polls, and what stays live between them.
//!
//! Run: `cargo bench --bench alert_board` (writes target/criterion/alert_board/memory.json for
//! benches/run-all.sh).

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use warroom::backends::alertmanager::AlertDecoder;
use warroom::backends::poller::SourceReport;
use warroom::console::action::{Action, Effect, Lead};
use warroom::console::keymap::Keymap;
use warroom::console::state::State;
use warroom::console::update::update;
use warroom::domain::{AlertBoard, Entry, Event, Severity};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const ALERTS: usize = 100_000;
const SERVICES: usize = 200;

/// Alertmanager's answer: 100,000 alerts over 200 services, ten alert names, two
/// severities, an instance each, a summary and a runbook link each.
fn body() -> Vec<u8> {
    let alerts: Vec<serde_json::Value> = (0..ALERTS)
        .map(|n| {
            json!({
                "labels": {
                    "alertname": format!("A{}", (n / SERVICES) % 10),
                    "service": format!("svc-{:03}", n % SERVICES),
                    "severity": if n % 7 == 0 { "warning" } else { "critical" },
                    "instance": format!("10.0.{}.{}:9100", n / 250, n % 250),
                    "job": "node",
                },
                "annotations": {
                    "summary": format!("instance {n} is over its error budget"),
                    "runbook_url": "https://runbooks.example/load",
                },
                "fingerprint": format!("{n:016x}"),
                "startsAt": "2026-11-21T09:00:00.000Z",
                "updatedAt": "2026-11-21T09:00:00.000Z",
                "endsAt": "2026-11-21T10:00:00.000Z",
                "generatorURL": "http://prometheus.example/graph?g0.expr=up",
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            })
        })
        .collect();
    serde_json::to_vec(&alerts).expect("encode")
}

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let body = body();
    let mut state = State::new("alice".into(), Keymap::default(), vec![]);
    state.set_board(AlertBoard::with_sources(["am"]));
    let opened = Entry {
        seq: 1,
        at: t0,
        by: "alice".into(),
        event: Event::Opened {
            title: "Everything is down".into(),
            severity: Severity::Sev1,
            summary: None,
        },
    };
    update(
        &mut state,
        Action::Opened {
            id: "INC-1".into(),
            entries: vec![opened],
            lead: Lead::Leading,
            draft: None,
        },
        t0,
    );
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    eprintln!(
        "alert_board: {ALERTS} alerts over {SERVICES} services; the Alertmanager body is {}",
        mb(body.len())
    );
    let mut line = 0;
    // As the console's Alertmanager client: one decoder for the source, kept across polls.
    let decoder = AlertDecoder::default();
    for poll in 1..=4 {
        let at = t0 + Duration::seconds(10 * poll);
        let started = Instant::now();
        let alerts = decoder.parse(&body).expect("decode");
        let parsed = started.elapsed();
        let report = SourceReport {
            source: "am".into(),
            at,
            result: Ok(alerts),
            cut_short: None,
        };
        let effects = update(&mut state, Action::AlertReport(report), at);
        for e in &effects {
            if let Effect::ObserveBlast { id, blast } = e
                && let Some(event) = state
                    .current
                    .as_ref()
                    .filter(|c| &c.id == id)
                    .and_then(|c| c.incident.as_ref())
                    .and_then(|i| i.blast_changes(blast))
            {
                line = event.to_json().len();
            }
        }
        drop(effects);
        eprintln!(
            "alert_board: poll {poll}: {:.0} ms (decode {:.0} ms), live {} above the empty console",
            started.elapsed().as_secs_f64() * 1e3,
            parsed.as_secs_f64() * 1e3,
            mb(LIVE.load(Ordering::Relaxed).saturating_sub(before))
        );
    }
    let peak = PEAK.load(Ordering::Relaxed);
    let live = LIVE.load(Ordering::Relaxed);
    println!(
        "alert_board: 100,000 alerts: heap peak {} (aim <= 150 MB: {}), live between polls {}, \
         blast_radius_changed line {} bytes, process peak RSS {}",
        mb(peak),
        if peak <= 150_000_000 {
            "met"
        } else {
            "NOT met"
        },
        mb(live),
        line,
        vm_hwm()
    );
    assert!(state.alert_rows().len() == ALERTS);
    // For benches/run-all.sh's summary.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|t| t.join("criterion").join("alert_board"))
        .unwrap_or_else(|| "target/criterion/alert_board".into());
    let result = json!({ "peak_bytes": peak, "live_bytes": live, "line_bytes": line });
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("memory.json"), result.to_string()))
    {
        eprintln!("alert_board: cannot write {}: {e}", dir.display());
    }
}
