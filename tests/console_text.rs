//! What the console says when it cannot see, and how it shows text longer than the room it
//! has: every cut marked with "…", the whole text one `enter` away, lists that say how many
//! more they hold, help and popups sized to the screen, and a share token never cut. Drawn on
//! a `TestBackend` at 80×24 and 160×45 with a fixed clock.

use crate::support;

use crossterm::event::KeyCode;
use support::console::*;
use warroom::backends::metrics::MetricsReport;
use warroom::console::action::Action;
use warroom::console::keymap::Command;
use warroom::console::state::State;
use warroom::console::update::update;
use warroom::domain::{AlertBoard, Event, NoteKind};
use warroom::journal::Summary;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 45)];

/// The text inside the box whose top border holds `title`, row by row, borders removed.
fn boxed(screen: &str, title: &str) -> Vec<String> {
    let rows: Vec<&str> = screen.lines().collect();
    let Some(top) = rows.iter().position(|r| r.contains(title)) else {
        panic!("no box titled {title:?} on\n{screen}");
    };
    // The corner nearest before the title: boxes can stand side by side.
    let chars: Vec<char> = rows[top].chars().collect();
    let at = rows[top][..rows[top].find(title).unwrap_or(0)]
        .chars()
        .count();
    let left = chars[..at].iter().rposition(|c| *c == '┌').unwrap_or(0);
    let width = rows[top]
        .chars()
        .skip(left)
        .take_while(|c| *c != '┐')
        .count()
        + 1;
    let mut out = Vec::new();
    for r in &rows[top + 1..] {
        let cells: Vec<char> = r.chars().skip(left).take(width).collect();
        if cells.first() == Some(&'└') {
            break;
        }
        let inner: String = cells.iter().skip(1).take(width.saturating_sub(2)).collect();
        out.push(inner);
    }
    out
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Nothing on screen calls unseen things fine.
pub(crate) fn assert_never_ok(screen: &str, case: &str) {
    for line in screen.lines() {
        assert!(
            !line.contains("all ok") && !line.contains("services ok"),
            "{case}: says ok while it cannot see:\n{screen}"
        );
        assert!(
            !line.contains("nothing firing") || line.to_lowercase().contains("unknown"),
            "{case}: says nothing fires while a source is unreachable:\n{screen}"
        );
    }
}

fn metrics_down(s: &mut State) {
    s.metrics_expected = true;
    update(
        s,
        Action::Metrics(MetricsReport {
            at: at(11, 0),
            values: Default::default(),
            history: Default::default(),
            errors: vec!["prometheus: connection refused".into()],
        }),
        at(11, 0),
    );
}

/// Two Alertmanagers that never answered and Prometheus down.
fn nothing_answers() -> State {
    let mut s = leading();
    let mut b = AlertBoard::with_sources(["am-eu", "am-us"]);
    b.report_err("am-eu", "connection refused".into(), at(9, 0));
    b.report_err("am-us", "no answer within 5s".into(), at(10, 0));
    s.set_board(b);
    metrics_down(&mut s);
    s
}

/// Both Alertmanagers answered "nothing firing" at 09:05, and fail since 09:09 and 09:10.
fn answered_then_went_away() -> State {
    let mut s = leading();
    let mut b = AlertBoard::with_sources(["am-eu", "am-us"]);
    b.report_ok("am-eu", vec![], at(5, 0));
    b.report_ok("am-us", vec![], at(5, 0));
    b.report_err("am-eu", "connection refused".into(), at(9, 0));
    b.report_err("am-us", "no answer within 5s".into(), at(10, 0));
    s.set_board(b);
    s
}

/// am-eu answers (nothing firing), am-us does not.
fn half_seen() -> State {
    let mut s = leading();
    let mut b = AlertBoard::with_sources(["am-eu", "am-us"]);
    b.report_ok("am-eu", vec![], at(11, 59));
    b.report_err("am-us", "no answer within 5s".into(), at(10, 0));
    s.set_board(b);
    s
}

#[test]
fn a_console_that_cannot_see_never_says_ok() {
    for (w, h) in SIZES {
        let mut s = nothing_answers();
        let shown = screen(&mut s, w, h);
        let case = format!("nothing answers at {w}x{h}");
        assert_never_ok(&shown, &case);
        // Each source named with since when it is unreachable.
        for (name, since) in [("am-eu", "09:09"), ("am-us", "09:10"), ("metrics", "09:11")] {
            assert!(
                shown.lines().any(|l| l.contains(name) && l.contains(since)),
                "{case}: {name} unreachable since {since} not said:\n{shown}"
            );
        }
        assert!(shown.contains("UNKNOWN"), "{case}:\n{shown}");
        // The header says it too: it is the first thing read.
        let header = shown.lines().next().unwrap_or_default();
        assert!(header.contains("UNKNOWN"), "{case}: header\n{shown}");
        if w >= 100 {
            let blast = boxed(&shown, "Blast radius").join("\n");
            assert!(
                blast.contains("unreachable") && blast.contains("unknown"),
                "{case}: the blast pane does not say it cannot see:\n{shown}"
            );
        }
        insta::assert_snapshot!(format!("nothing_answers_{w}x{h}"), shown);
    }
}

#[test]
fn sources_that_went_away_are_not_called_ok() {
    for (w, h) in SIZES {
        let mut s = answered_then_went_away();
        let shown = screen(&mut s, w, h);
        let case = format!("sources went away at {w}x{h}");
        assert_never_ok(&shown, &case);
        for (name, since) in [("am-eu", "09:09"), ("am-us", "09:10")] {
            assert!(
                shown.lines().any(|l| l.contains(name) && l.contains(since)),
                "{case}: {name} unreachable since {since} not said:\n{shown}"
            );
        }
        // Tabbed to the alerts at 80 columns: the pane says so too.
        let mut s = answered_then_went_away();
        press(&mut s, vec![key(KeyCode::Tab)]);
        let shown = screen(&mut s, w, h);
        assert_never_ok(&shown, &format!("{case}, alerts pane"));
        insta::assert_snapshot!(format!("sources_went_away_alerts_{w}x{h}"), shown);
    }
}

#[test]
fn with_half_the_sources_the_unknown_half_is_named() {
    for (w, h) in SIZES {
        let mut s = half_seen();
        let shown = screen(&mut s, w, h);
        let case = format!("half seen at {w}x{h}");
        assert_never_ok(&shown, &case);
        assert!(
            shown
                .lines()
                .any(|l| l.contains("am-us") && l.contains("09:10")),
            "{case}: am-us not named as unknown:\n{shown}"
        );
        if w >= 100 {
            let blast = boxed(&shown, "Blast radius").join("\n");
            assert!(blast.contains("am-us"), "{case}:\n{shown}");
        }
        insta::assert_snapshot!(format!("half_seen_{w}x{h}"), shown);
    }
}

// ---------------------------------------------------------------------------------------------
// long text
// ---------------------------------------------------------------------------------------------

const LONG_NOTE: &str = "checkout pods in eu-west-1 restart every four minutes because the pricing \
client retries with no backoff and the connection pool to the tax service runs dry; \
the tax service itself answers within budget, so the fix is on our side of the call \
and the rollback of pricing v42 should stop it — END-OF-NOTE";

/// `leading()` plus log entries of every kind that can run long: a note, a status update
/// whose first line is long, a blast radius change over many services, a silence, an action
/// and its verification.
fn with_long_entries() -> State {
    let mut s = leading();
    let many: Vec<warroom::domain::ServiceChange> = [
        "checkout",
        "payments",
        "pricing",
        "cart",
        "web",
        "mobile-api",
        "search",
        "ledger",
    ]
    .iter()
    .map(|n| warroom::domain::ServiceChange {
        service: n.to_string(),
        from: warroom::domain::ServiceState::Ok,
        to: warroom::domain::ServiceState::Degraded,
        customer_facing: true,
        why: vec!["error ratio 0.04 over 0.01".into()],
        public_name: None,
        peak: None,
    })
    .collect();
    let events = vec![
        Event::BlastRadiusChanged { changes: many },
        Event::SilenceCreated {
            silence_id: "4f1c7d2e-9a0b-4c3d-8e7f-0123456789ab".into(),
            source: "am-eu".into(),
            matchers: vec![
                "alertname=\"CheckoutHighErrorRate\"".into(),
                "service=\"checkout\"".into(),
                "cluster=\"eu-west-1-production\"".into(),
                "namespace=\"checkout-frontend\"".into(),
            ],
            ends_at: at(72, 0),
            comment: "INC-1".into(),
        },
        Event::ActionStarted {
            run_id: "r1".into(),
            action: "rollback-pricing-to-the-last-known-good-version".into(),
            params: [
                ("version".to_string(), "v41".to_string()),
                ("region".to_string(), "eu-west-1".to_string()),
            ]
            .into(),
            dry_run: false,
            command: "kubectl -n pricing rollout undo deployment/pricing-api --to-revision=41 --context eu-west-1-production".into(),
        },
        Event::ActionVerified {
            run_id: "r1".into(),
            action: "rollback-pricing-to-the-last-known-good-version".into(),
            result: warroom::domain::VerifyResult::NotEffective,
            detail: "sum(rate(http_requests_total{service=\"checkout\",code=~\"5..\"}[5m])) / sum(rate(http_requests_total{service=\"checkout\"}[5m])) stayed at 0.31, over 0.01".into(),
        },
        Event::StatusUpdate {
            text: format!("Conditions: {LONG_NOTE}\nActions: rolled back\nNeeds: nothing"),
        },
        Event::Note {
            kind: NoteKind::Observation,
            text: LONG_NOTE.into(),
        },
    ];
    let entries = events
        .into_iter()
        .enumerate()
        .map(|(n, e)| entry(8 + n as u64, at(7 + n as i64, 0), "alice", e))
        .collect();
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries,
        },
        at(12, 0),
    );
    s
}

/// The log rows of entries written at minutes 7 to 12 (the long ones), as shown.
fn long_rows(shown: &str) -> Vec<String> {
    shown
        .lines()
        .filter(|l| (7..=12).any(|m| l.contains(&format!("09:{m:02}:00 alice"))))
        .map(|l| {
            // Up to the log pane's right border when panes stand beside it.
            let start = l.find("09:").unwrap_or(0);
            let rest = &l[start..];
            rest.split('│')
                .next()
                .unwrap_or(rest)
                .trim_end()
                .to_string()
        })
        .collect()
}

#[test]
fn every_cut_log_line_ends_with_an_ellipsis() {
    for (w, h) in SIZES {
        let mut s = with_long_entries();
        let shown = screen(&mut s, w, h);
        let rows = long_rows(&shown);
        assert_eq!(rows.len(), 6, "{w}x{h}: the six long entries\n{shown}");
        for r in &rows {
            assert!(r.ends_with('…'), "{w}x{h}: cut with no …: {r:?}\n{shown}");
        }
        insta::assert_snapshot!(format!("long_log_{w}x{h}"), shown);
    }
}

#[test]
fn enter_on_a_log_entry_shows_it_whole_and_wrapped() {
    for (w, h) in SIZES {
        // The newest entry (the long note) is selected: enter opens it.
        let mut s = with_long_entries();
        press(&mut s, vec![key(KeyCode::Enter)]);
        let shown = screen(&mut s, w, h);
        let inside = boxed(&shown, "NOTE by alice").join(" ");
        assert!(
            words(&inside).contains(&words(LONG_NOTE)),
            "{w}x{h}: the whole note is not on screen:\n{shown}"
        );
        insta::assert_snapshot!(format!("log_detail_{w}x{h}"), shown);
        // Up selects the entry before (the status update): its every line is shown.
        press(&mut s, vec![key(KeyCode::Esc), key(KeyCode::Up)]);
        press(&mut s, vec![key(KeyCode::Enter)]);
        let shown = screen(&mut s, w, h);
        let inside = words(&boxed(&shown, "UPDATE by alice").join(" "));
        for part in [LONG_NOTE, "Actions: rolled back", "Needs: nothing"] {
            assert!(
                inside.contains(&words(part)),
                "{w}x{h}: {part:?} missing:\n{shown}"
            );
        }
        // The verification (two up from the note) opens with its whole query.
        press(&mut s, vec![key(KeyCode::Esc), key(KeyCode::Up)]);
        press(&mut s, vec![key(KeyCode::Enter)]);
        let shown = screen(&mut s, w, h);
        let inside: String = boxed(&shown, "VERIFY by alice").concat();
        assert!(
            inside
                .split_whitespace()
                .collect::<String>()
                .contains("stayedat0.31,over0.01"),
            "{w}x{h}: the verification is cut:\n{shown}"
        );
    }
}

#[test]
fn a_detail_taller_than_the_screen_scrolls_to_its_end() {
    let long: String = (0..120)
        .map(|n| format!("line {n} of the investigation"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\nEND-OF-DETAIL";
    for (w, h) in SIZES {
        let mut s = leading();
        update(
            &mut s,
            Action::Entries {
                id: "INC-1".into(),
                entries: vec![entry(
                    8,
                    at(7, 0),
                    "bob",
                    Event::Note {
                        kind: NoteKind::Observation,
                        text: long.clone(),
                    },
                )],
            },
            at(12, 0),
        );
        press(&mut s, vec![key(KeyCode::Enter)]);
        let first = screen(&mut s, w, h);
        assert!(!first.contains("END-OF-DETAIL"), "{first}");
        assert!(first.contains("more"), "{w}x{h}: no hint of more:\n{first}");
        let mut seen = first.clone();
        for _ in 0..200 {
            press(&mut s, vec![key(KeyCode::Down)]);
            seen = screen(&mut s, w, h);
            if seen.contains("END-OF-DETAIL") {
                break;
            }
        }
        assert!(
            seen.contains("END-OF-DETAIL"),
            "{w}x{h}: never reached the end:\n{seen}"
        );
        // Further keys stay at the end, and up comes straight back.
        press(
            &mut s,
            vec![key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Up)],
        );
        let back = screen(&mut s, w, h);
        assert!(back.contains("line 119 of"), "{w}x{h}:\n{back}");
    }
}

fn long_alert_board() -> AlertBoard {
    use warroom::domain::{Alert, AlertState};
    let mut b = AlertBoard::with_sources(["am"]);
    b.report_ok(
        "am",
        vec![Alert {
            fingerprint: "x1".into(),
            labels: [
                ("alertname".to_string(), "CheckoutHighErrorRate".to_string()),
                ("service".to_string(), "checkout".to_string()),
                ("severity".to_string(), "critical".to_string()),
            ]
            .into(),
            annotations: [("summary".to_string(), LONG_NOTE.to_string())].into(),
            starts_at: at(1, 0),
            ends_at: None,
            generator_url: None,
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            sources: vec![],
        }],
        at(11, 59),
    );
    b
}

#[test]
fn a_long_alert_summary_is_marked_and_opens_whole() {
    for (w, h) in SIZES {
        let mut s = leading();
        s.set_board(long_alert_board());
        press(&mut s, vec![key(KeyCode::Tab)]);
        let shown = screen(&mut s, w, h);
        let row = boxed(&shown, "Alerts")
            .into_iter()
            .find(|r| r.contains("CheckoutHighErrorRate"))
            .unwrap_or_else(|| panic!("{w}x{h}: no alert row\n{shown}"));
        assert!(row.trim_end().ends_with('…'), "{w}x{h}: {row:?}\n{shown}");
        press(&mut s, vec![key(KeyCode::Enter)]);
        let shown = screen(&mut s, w, h);
        let inside = words(&boxed(&shown, "Alert CheckoutHighErrorRate").join(" "));
        assert!(inside.contains(&words(LONG_NOTE)), "{w}x{h}:\n{shown}");
    }
}

/// An alert whose annotations are taller than the screen is not cut out of reach: its popup
/// says there is more and the arrow keys scroll to the last word.
#[test]
fn an_alert_taller_than_the_screen_scrolls_to_its_end() {
    for (w, h) in SIZES {
        let mut s = leading();
        let mut board = long_alert_board();
        let mut alert = (*board.sources[0].alerts[0]).clone();
        let long = format!("{} THE-VERY-END", LONG_NOTE.repeat(12));
        alert.annotations = [("description".to_string(), long)].into();
        board.report_ok("am", vec![alert], at(11, 59));
        s.set_board(board);
        press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Enter)]);
        let shown = screen(&mut s, w, h);
        assert!(
            shown.contains("more ↓"),
            "{w}x{h}: the popup does not say there is more:\n{shown}"
        );
        let first = words(&boxed(&shown, "Alert CheckoutHighErrorRate").join(" "));
        assert!(!first.contains("THE-VERY-END"), "{w}x{h}:\n{shown}");
        press(&mut s, vec![key(KeyCode::End)]);
        let shown = screen(&mut s, w, h);
        let last = words(&boxed(&shown, "Alert CheckoutHighErrorRate").join(" "));
        assert!(
            last.contains("THE-VERY-END"),
            "{w}x{h}: the end cannot be reached:\n{shown}"
        );
        assert!(shown.contains("above"), "{w}x{h}:\n{shown}");
        // Scrolled past the end, one ↑ moves at once.
        press(
            &mut s,
            vec![key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Up)],
        );
        let up = screen(&mut s, w, h);
        assert_ne!(up, shown, "{w}x{h}: ↑ after the end did not move");
    }
}

/// A problem or a message in the status lines is wrapped, never cut: at 80 columns the whole
/// text can be read where it stands.
#[test]
fn status_lines_wrap_instead_of_cutting() {
    for (w, h) in SIZES {
        let mut s = leading();
        let long = format!(
            "demo: outage simulated at 127.0.0.1:46679; deleted on quit: {} THE-VERY-END",
            "/tmp/tmp.Y46ffiCXbb/warroom-demo-c5ea76ac/data ".repeat(3)
        );
        s.problems.push(long.clone());
        let shown = screen(&mut s, w, h);
        assert!(
            words(&shown).contains(&words(&long)),
            "{w}x{h}: the problem is not shown whole:\n{shown}"
        );
    }
}

/// The affected services listed in the blast pane as shown.
fn blast_services(shown: &str) -> Vec<String> {
    boxed(shown, "Blast radius")
        .iter()
        .filter_map(|r| {
            let r = r.trim_start();
            ["✖ DOWN", "▲ DEGR", "◆ RISK"]
                .iter()
                .find_map(|t| r.strip_prefix(t))
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn the_blast_pane_says_how_many_more_and_scrolls_to_them() {
    for (w, h) in SIZES {
        let mut s = leading_with_blast();
        // Twenty-five batch jobs down as well: more than either screen holds, one row each.
        let (_, mut board, _) = fifty_services();
        let mut more: Vec<warroom::domain::Alert> = board.sources[0]
            .alerts
            .iter()
            .map(|a| (**a).clone())
            .collect();
        for n in 0..25 {
            let mut a = more[0].clone();
            a.fingerprint = format!("b{n}");
            let mut labels = a.labels.to_map();
            labels.insert("service".into(), format!("batch-{n:02}"));
            a.labels = labels.into();
            more.push(a);
        }
        board.report_ok("am", more, at(11, 55));
        s.set_board(board);
        // Tab to the blast pane (at 80 columns it is then the pane on screen).
        press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Tab)]);
        let affected = s.blast.affected().count();
        let shown = screen(&mut s, w, h);
        let first = blast_services(&shown);
        assert!(
            first.len() < affected,
            "{w}x{h}: the fixture must overflow the pane ({affected})\n{shown}"
        );
        let hidden = affected - first.len();
        assert!(
            shown.contains(&format!("+{hidden} more")),
            "{w}x{h}: {affected} affected, {} shown, no \"+{hidden} more\":\n{shown}",
            first.len()
        );
        insta::assert_snapshot!(format!("blast_more_{w}x{h}"), shown);
        let mut all: Vec<String> = first;
        for _ in 0..affected {
            press(&mut s, vec![key(KeyCode::Down)]);
            for name in blast_services(&screen(&mut s, w, h)) {
                if !all.contains(&name) {
                    all.push(name);
                }
            }
        }
        assert_eq!(all.len(), affected, "{w}x{h}: scrolling showed {all:?}");
    }
}

#[test]
fn help_uses_the_width_it_has_and_cuts_no_word() {
    for (w, h) in SIZES {
        let mut s = leading();
        press(&mut s, vec![key(KeyCode::Char('?'))]);
        let mut pages = Vec::new();
        let mut shown = screen(&mut s, w, h);
        let width = shown
            .lines()
            .find(|l| l.contains("Keys"))
            .map(|l| l.chars().filter(|c| *c == '─').count() + 10)
            .unwrap_or(0);
        assert!(
            width >= usize::from(w) * 3 / 4,
            "{w}x{h}: help is {width} wide:\n{shown}"
        );
        if w == 160 {
            insta::assert_snapshot!("help_160x45", shown.clone());
        }
        for _ in 0..100 {
            pages.push(boxed(&shown, "Keys (").join(" "));
            press(&mut s, vec![key(KeyCode::Down)]);
            let next = screen(&mut s, w, h);
            if next == shown {
                break;
            }
            shown = next;
        }
        let all = words(&pages.join(" "));
        for cmd in Command::ALL {
            if s.keymap.key_for(s.mode(), *cmd).is_none() {
                continue;
            }
            assert!(
                all.contains(&words(cmd.description())),
                "{w}x{h}: {:?} is cut or missing from help",
                cmd.description()
            );
        }
    }
}

#[test]
fn the_share_token_is_never_cut() {
    let token = "Zq3_vK9mXw-Lr8TbN2cYpH5sJd7fGa1E";
    for (w, h) in SIZES {
        let mut s = leading();
        s.share_base = Some("http://127.0.0.1:47420".into());
        update(
            &mut s,
            Action::Shared {
                id: "INC-1".into(),
                text: format!(
                    "Paste in chat — read-only, live:\n\n{}\n\nr new link (the old one stops working) · x stop sharing · esc close",
                    warroom::share::follow_lines("http://127.0.0.1:47420", "INC-1", token)
                ),
            },
            at(12, 0),
        );
        let shown = screen(&mut s, w, h);
        // Rows read as a shell reads them: a row ending in "\" goes on with the next.
        let inside: String = boxed(&shown, "Share read-only")
            .iter()
            .map(|r| {
                let r = r.trim_end();
                r.strip_suffix('\\').unwrap_or(r).to_string()
            })
            .collect::<String>()
            .split_whitespace()
            .collect();
        assert!(
            inside.contains(&format!("--token={token}"))
                || inside.contains(&format!("--token{token}")),
            "{w}x{h}: the token cannot be read off the screen:\n{shown}"
        );
        assert!(
            inside.contains(&format!("#INC-1:{token}")),
            "{w}x{h}: the status page link is cut:\n{shown}"
        );
        insta::assert_snapshot!(format!("share_{w}x{h}"), shown);
    }
}

#[test]
fn the_incident_list_marks_a_cut_title() {
    use warroom::domain::{Incident, Severity};
    for (w, h) in SIZES {
        let mut s = on_list();
        let title = format!("Payments declined for every card issued in the EU {LONG_NOTE}");
        let long = vec![entry(
            1,
            at(-5, 0),
            "erin",
            Event::Opened {
                title: title.clone(),
                severity: Severity::Sev1,
                summary: None,
            },
        )];
        let mut list = s.incidents.clone();
        list.push(Summary::of(&Incident::fold("INC-3", &long).unwrap()));
        update(&mut s, Action::Incidents(list), at(12, 0));
        let shown = screen(&mut s, w, h);
        let row = shown
            .lines()
            .find(|l| l.contains("INC-3"))
            .unwrap_or_else(|| panic!("{w}x{h}: no INC-3\n{shown}"));
        assert!(
            row.contains("Payments") && row.contains('…'),
            "{w}x{h}: the title is cut with no …: {row:?}\n{shown}"
        );
        insta::assert_snapshot!(format!("list_long_title_{w}x{h}"), shown);
    }
}
