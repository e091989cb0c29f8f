//! Drawing one 200×60 frame of the incident screen with 10,000 alerts and 100,000 log
//! entries, against the 16.7 ms budget of a 60 Hz terminal; with the same frame on an empty
//! incident as the in-process reference.
//!
//! Run: `cargo bench --bench render`
//!
//! Counting instructions instead of timing (repeatable on a busy machine): with
//! `WARROOM_RENDER_FRAMES=<full|empty>:<n>` the binary only draws that frame n times, in
//! `draw_frames`, and exits. Build with `cargo bench --bench render --no-run`, then
//! `WARROOM_RENDER_FRAMES=full:50 valgrind --tool=callgrind --toggle-collect='*draw_frames*'
//! target/release/deps/render-<hash>` and `callgrind_annotate --inclusive=yes`.

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use warroom::console::action::{Action, Lead};
use warroom::console::keymap::Keymap;
use warroom::console::state::State;
use warroom::console::theme::Theme;
use warroom::console::update::update;
use warroom::console::views::render;
use warroom::domain::{Alert, AlertBoard, AlertState, Entry, Event, Labels, NoteKind, Severity};

fn state(entries: usize, alerts: usize) -> State {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let mut log = vec![Entry {
        seq: 1,
        at: t0,
        by: "alice".into(),
        event: Event::Opened {
            title: "Checkout 500s".into(),
            severity: Severity::Sev1,
            summary: None,
        },
    }];
    for n in 1..entries {
        log.push(Entry {
            seq: n as u64 + 1,
            at: t0 + Duration::milliseconds(n as i64 * 50),
            by: ["alice", "bob", "carol"][n % 3].into(),
            event: if n % 10 == 0 {
                Event::StatusUpdate {
                    text: format!("Conditions: update {n}\nActions: rolling back\nNeeds: none"),
                }
            } else {
                Event::Note {
                    kind: NoteKind::Observation,
                    text: format!(
                        "observation number {n} about the checkout service and its errors"
                    ),
                }
            },
        });
    }
    let mut s = State::new("alice".into(), Keymap::default(), vec![]);
    let now = t0 + Duration::hours(2);
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries: log,
            lead: Lead::Leading,
            draft: None,
        },
        now,
    );
    let mut board = AlertBoard::with_sources(["am"]);
    board.report_ok(
        "am",
        (0..alerts)
            .map(|n| Alert {
                fingerprint: format!("{n:016x}"),
                labels: Labels::from([
                    ("alertname".to_string(), format!("Alert{}", n % 50)),
                    ("service".to_string(), format!("svc-{}", n % 200)),
                    (
                        "severity".to_string(),
                        if n % 3 == 0 { "critical" } else { "warning" }.to_string(),
                    ),
                ]),
                annotations: Labels::from([(
                    "summary".to_string(),
                    format!("summary of alert {n}"),
                )]),
                starts_at: t0,
                ends_at: None,
                generator_url: None,
                state: AlertState::Active,
                silenced_by: vec![],
                inhibited_by: vec![],
                sources: vec![],
            })
            .collect(),
        now,
    );
    s.set_board(board);
    s.recompute_blast();
    update(
        &mut s,
        Action::Resize {
            width: 200,
            height: 60,
        },
        now,
    );
    s
}

/// Draws `state` `n` times: the one function the instruction count looks at.
#[inline(never)]
fn draw_frames(
    terminal: &mut Terminal<TestBackend>,
    state: &State,
    theme: &Theme,
    now: chrono::DateTime<Utc>,
    n: usize,
) {
    for _ in 0..n {
        terminal
            .draw(|f| render(black_box(state), theme, now, f))
            .map(|_| ())
            .expect("draw");
    }
}

/// `WARROOM_RENDER_FRAMES=<full|empty>:<n>`: draw that frame n times and nothing else.
fn count_only(spec: &str) {
    let (which, n) = spec.split_once(':').unwrap_or((spec, "1"));
    let n: usize = n.parse().expect("WARROOM_RENDER_FRAMES=<full|empty>:<n>");
    let theme = Theme::built_in("default").expect("built-in theme");
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 11, 0, 0).unwrap();
    let state = match which {
        "full" => state(100_000, 10_000),
        "empty" => state(1, 0),
        other => panic!("WARROOM_RENDER_FRAMES: {other}? full or empty"),
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    draw_frames(&mut terminal, &state, &theme, now, n);
}

fn bench(c: &mut Criterion) {
    let theme = Theme::built_in("default").expect("built-in theme");
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 11, 0, 0).unwrap();
    let full = state(100_000, 10_000);
    let empty = state(1, 0);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    let mut g = c.benchmark_group("render_200x60");
    g.bench_function("10000_alerts_100000_log_entries", |b| {
        b.iter(|| {
            terminal
                .draw(|f| render(black_box(&full), &theme, now, f))
                .map(|_| ())
                .expect("draw")
        })
    });
    g.bench_function("reference_empty_incident", |b| {
        b.iter(|| {
            terminal
                .draw(|f| render(black_box(&empty), &theme, now, f))
                .map(|_| ())
                .expect("draw")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var("WARROOM_RENDER_FRAMES") {
        count_only(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
