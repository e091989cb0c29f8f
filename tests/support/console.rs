//! Fixtures for console tests: a checkout outage with a fixed clock, and key helpers.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use warroom::console::action::{Action, Effect, Lead};
use warroom::console::keymap::Keymap;
use warroom::console::state::State;
use warroom::console::update::update;
use warroom::domain::{Entry, Event, Incident, NoteKind, Role, Severity};
use warroom::journal::Summary;

/// The screen a console draws at `w`×`h` with the default theme at minute 12, as text: one
/// line per row, trailing blanks trimmed.
pub fn screen(state: &mut State, w: u16, h: u16) -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    update(
        state,
        Action::Resize {
            width: w,
            height: h,
        },
        at(12, 0),
    );
    let theme = warroom::console::theme::Theme::built_in("default").unwrap();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| warroom::console::views::render(state, &theme, at(12, 0), f))
        .unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// 09:00 UTC on the day of the outage.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

pub fn at(min: i64, sec: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::minutes(min) + chrono::Duration::seconds(sec)
}

pub fn entry(seq: u64, at: DateTime<Utc>, by: &str, event: Event) -> Entry {
    Entry {
        seq,
        at,
        by: by.into(),
        event,
    }
}

/// The checkout outage, twelve minutes in.
pub fn checkout_entries() -> Vec<Entry> {
    vec![
        entry(
            1,
            at(0, 0),
            "alice",
            Event::Opened {
                title: "Checkout 500s".into(),
                severity: Severity::Sev2,
                summary: None,
            },
        ),
        entry(
            2,
            at(0, 30),
            "alice",
            Event::RoleAssigned {
                role: Role::Commander,
                person: "alice".into(),
            },
        ),
        entry(
            3,
            at(1, 0),
            "bob",
            Event::Note {
                kind: NoteKind::Observation,
                text: "5xx on /checkout since 08:58".into(),
            },
        ),
        entry(
            4,
            at(2, 10),
            "alice",
            Event::SeverityChanged {
                from: Severity::Sev2,
                to: Severity::Sev1,
            },
        ),
        entry(
            5,
            at(3, 0),
            "carol",
            Event::Note {
                kind: NoteKind::Hypothesis,
                text: "pricing deploy at 08:57 broke tax lookup".into(),
            },
        ),
        entry(
            6,
            at(4, 0),
            "alice",
            Event::StatusUpdate {
                text: "Conditions: checkout failing for ~30% of users\nActions: rolling back pricing\nNeeds: payments on the call".into(),
            },
        ),
        entry(
            7,
            at(6, 0),
            "alice",
            Event::Note {
                kind: NoteKind::Decision,
                text: "roll back pricing to v41".into(),
            },
        ),
    ]
}

pub fn other_incidents() -> Vec<Incident> {
    let search = vec![entry(
        1,
        at(-30, 0),
        "dan",
        Event::Opened {
            title: "Search latency p99 > 2s".into(),
            severity: Severity::Sev3,
            summary: None,
        },
    )];
    vec![Incident::fold("INC-2", &search).unwrap()]
}

/// A console on the incident list, with INC-1 (the checkout outage) and INC-2.
pub fn on_list() -> State {
    let mut s = State::new("alice".into(), Keymap::default(), vec![]);
    let mut list = vec![Incident::fold("INC-1", &checkout_entries()).unwrap()];
    list.extend(other_incidents());
    let list = list.iter().map(Summary::of).collect();
    update(&mut s, Action::Incidents(list), at(12, 0));
    s
}

/// A console leading INC-1.
pub fn leading() -> State {
    let mut s = on_list();
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries: checkout_entries(),
            lead: Lead::Leading,
            draft: None,
        },
        at(12, 0),
    );
    s
}

/// A console leading INC-2, which nobody ever took command of.
pub fn leading_without_commander() -> State {
    let mut s = on_list();
    let entries = vec![entry(
        1,
        at(-30, 0),
        "dan",
        Event::Opened {
            title: "Search latency p99 > 2s".into(),
            severity: Severity::Sev3,
            summary: None,
        },
    )];
    update(
        &mut s,
        Action::Opened {
            id: "INC-2".into(),
            entries,
            lead: Lead::Leading,
            draft: None,
        },
        at(12, 0),
    );
    s
}

pub fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Types `text` key by key (newlines as Enter); returns every effect asked for.
pub fn type_text(s: &mut State, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        out.extend(update(s, key(code), at(12, 0)));
    }
    out
}

pub fn press(s: &mut State, actions: Vec<Action>) -> Vec<Effect> {
    let mut out = Vec::new();
    for a in actions {
        out.extend(update(s, a, at(12, 0)));
    }
    out
}

/// The journal appends among `effects`.
pub fn appends(effects: &[Effect]) -> Vec<Event> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Append { event, .. } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

/// Alerts as two sources report them: checkout and cart firing, one of them suppressed.
pub fn board_with_alerts() -> warroom::domain::AlertBoard {
    use warroom::domain::{Alert, AlertBoard, AlertState};
    let mk =
        |fp: &str, name: &str, service: &str, severity: &str, state: AlertState, min: i64| Alert {
            fingerprint: fp.into(),
            labels: [
                ("alertname".to_string(), name.to_string()),
                ("service".to_string(), service.to_string()),
                ("severity".to_string(), severity.to_string()),
                ("instance".to_string(), format!("{service}-1:9100")),
            ]
            .into(),
            annotations: [("summary".to_string(), format!("{service}: {name}"))].into(),
            starts_at: at(min, 0),
            ends_at: None,
            generator_url: Some("http://prometheus:9090/graph?g0.expr=x".into()),
            state,
            silenced_by: vec![],
            inhibited_by: vec![],
            sources: vec![],
        };
    let mut b = AlertBoard::with_sources(["am-eu", "am-us"]);
    b.report_ok(
        "am-eu",
        vec![
            mk(
                "a1",
                "HighErrorRate",
                "checkout",
                "critical",
                AlertState::Active,
                -2,
            ),
            mk(
                "a2",
                "LatencyP99High",
                "checkout",
                "warning",
                AlertState::Active,
                1,
            ),
            mk(
                "a3",
                "QueueBacklog",
                "cart",
                "warning",
                AlertState::Suppressed,
                3,
            ),
        ],
        at(11, 50),
    );
    b.report_ok(
        "am-us",
        vec![mk(
            "a1",
            "HighErrorRate",
            "checkout",
            "critical",
            AlertState::Active,
            -2,
        )],
        at(11, 0),
    );
    b.report_err("am-us", "connection refused".into(), at(11, 30));
    b
}

/// A catalog of 50 services: a web front and a mobile API over checkout, cart, search and
/// payments, then a long tail; with checkout's errors high and payments degraded.
pub fn fifty_services() -> (
    warroom::domain::ServiceCatalog,
    warroom::domain::AlertBoard,
    warroom::domain::MetricValues,
) {
    use warroom::domain::{
        Alert, AlertBoard, AlertState, MetricValues, Service, ServiceCatalog, ServiceMetric,
    };
    let mut services = Vec::new();
    let mut svc = |name: &str, tier: u8, cf: bool, deps: &[&str]| {
        let mut s = Service::discovered(name);
        s.tier = tier;
        s.customer_facing = cf;
        s.depends_on = deps.iter().map(|d| d.to_string()).collect();
        s.metrics = vec![ServiceMetric {
            name: "error ratio".into(),
            query: warroom::domain::MetricQuery::Promql(format!("errors{{service=\"{name}\"}}")),
            bands: warroom::domain::Bands {
                degraded_above: Some(0.01),
                down_above: Some(0.2),
                ..Default::default()
            },
        }];
        services.push(s);
    };
    svc("web", 1, true, &["checkout", "cart", "search"]);
    svc("mobile-api", 1, true, &["checkout", "cart"]);
    svc("checkout", 1, true, &["payments", "pricing"]);
    svc("cart", 1, true, &["pricing"]);
    svc("search", 2, true, &["catalog"]);
    svc("payments", 1, false, &["ledger"]);
    svc("pricing", 2, false, &[]);
    svc("catalog", 2, false, &[]);
    svc("ledger", 2, false, &[]);
    for n in 0..41 {
        svc(&format!("batch-{n:02}"), 3, false, &[]);
    }
    let catalog = ServiceCatalog { services };
    let mut board = AlertBoard::with_sources(["am"]);
    board.report_ok(
        "am",
        vec![Alert {
            fingerprint: "p1".into(),
            labels: [
                ("alertname".to_string(), "PricingErrors".to_string()),
                ("service".to_string(), "pricing".to_string()),
                ("severity".to_string(), "critical".to_string()),
            ]
            .into(),
            annotations: Default::default(),
            starts_at: at(-1, 0),
            ends_at: None,
            generator_url: None,
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            sources: vec![],
        }],
        at(11, 50),
    );
    let mut m = MetricValues::new();
    m.insert(
        "checkout".into(),
        [("error ratio".to_string(), 0.31)].into(),
    );
    m.insert(
        "payments".into(),
        [("error ratio".to_string(), 0.04)].into(),
    );
    m.insert("search".into(), [("error ratio".to_string(), 0.001)].into());
    (catalog, board, m)
}

/// `leading()` with the fifty-service outage loaded and its history recorded.
pub fn leading_with_blast() -> State {
    use warroom::backends::metrics::MetricsReport;
    let (catalog, board, metrics) = fifty_services();
    let mut s = leading();
    s.catalog = catalog;
    s.set_board(board);
    s.metrics_expected = true;
    let history = ["checkout", "payments", "pricing"]
        .iter()
        .map(|name| {
            let pts: Vec<_> = (0..60)
                .map(|i| {
                    (
                        at(i / 2 - 18, (i % 2) * 30),
                        Some(if i > 48 {
                            0.03 * (i - 48) as f64
                        } else {
                            0.001
                        }),
                    )
                })
                .collect();
            (name.to_string(), pts)
        })
        .collect();
    update(
        &mut s,
        Action::Metrics(MetricsReport {
            at: at(11, 55),
            values: metrics,
            history,
            errors: vec![],
        }),
        at(12, 0),
    );
    // Checkout was recorded as first affected at minute 5.
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(
                8,
                at(5, 0),
                "alice",
                Event::BlastRadiusChanged {
                    changes: vec![warroom::domain::ServiceChange {
                        service: "checkout".into(),
                        from: warroom::domain::ServiceState::Ok,
                        to: warroom::domain::ServiceState::Down,
                        customer_facing: true,
                        public_name: None,
                        why: vec![],
                        peak: None,
                    }],
                },
            )],
        },
        at(12, 0),
    );
    s
}
