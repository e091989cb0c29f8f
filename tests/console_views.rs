//! What the console shows, as text snapshots of a `TestBackend` at fixed sizes and a fixed
//! clock: the screens a call leader sees, every modal, every theme.

use crate::support;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use support::console::*;
use warroom::console::action::{Action, Draft, Lead, Purpose};
use warroom::console::state::State;
use warroom::console::theme::Theme;
use warroom::console::update::update;
use warroom::console::views::render;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn draw(state: &mut State, theme: &Theme, w: u16, h: u16) -> Buffer {
    update(
        state,
        Action::Resize {
            width: w,
            height: h,
        },
        at(12, 0),
    );
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    // Twelve minutes in; the last status update was at minute 4.
    t.draw(|f| render(state, theme, at(12, 0), f)).unwrap();
    t.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
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

fn snap(name: &str, make: impl Fn() -> State) {
    let theme = Theme::built_in("default").unwrap();
    for (w, h) in SIZES {
        let mut s = make();
        let buf = draw(&mut s, &theme, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&buf));
    }
}

fn with_keys(mut s: State, keys: Vec<Action>) -> State {
    press(&mut s, keys);
    s
}

#[test]
fn incidents_screen() {
    snap("incidents", on_list);
}

#[test]
fn incidents_screen_empty() {
    snap("incidents_empty", || {
        let mut s = State::new("alice".into(), Default::default(), vec![]);
        update(&mut s, Action::Incidents(vec![]), at(0, 0));
        s
    });
}

#[test]
fn incident_screen() {
    snap("incident", leading);
}

#[test]
fn incident_screen_overdue() {
    // Nothing posted since minute 4: at minute 17 the update is 3 minutes overdue.
    let theme = Theme::built_in("default").unwrap();
    let mut s = leading();
    update(
        &mut s,
        Action::Resize {
            width: 80,
            height: 24,
        },
        at(17, 0),
    );
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| render(&s, &theme, at(17, 0), f)).unwrap();
    let screen = text(t.backend().buffer());
    assert!(screen.contains("STATUS UPDATE OVERDUE 03:00"), "{screen}");
    insta::assert_snapshot!("incident_overdue_80x24", screen);
}

#[test]
fn incident_screen_read_only() {
    snap("incident_read_only", || {
        let mut s = on_list();
        update(
            &mut s,
            Action::Opened {
                id: "INC-1".into(),
                entries: checkout_entries(),
                lead: Lead::ReadOnly {
                    holder: "bob (pid 4242 on ops-1, since 2026-11-21T09:00:00Z)".into(),
                },
                draft: None,
            },
            at(12, 0),
        );
        s
    });
}

#[test]
fn help() {
    snap("help", || {
        with_keys(leading(), vec![key(KeyCode::Char('?'))])
    });
}

#[test]
fn palette() {
    snap("palette", || {
        let mut s = with_keys(leading(), vec![key(KeyCode::Char(':'))]);
        type_text(&mut s, "st");
        s
    });
}

#[test]
fn editor() {
    snap("editor", || {
        let mut s = with_keys(leading(), vec![key(KeyCode::Char('u'))]);
        type_text(
            &mut s,
            "Conditions: checkout recovering\nActions: pricing rolled back\nNeeds: nothing",
        );
        s
    });
}

#[test]
fn pickers() {
    snap("picker_severity", || {
        with_keys(leading(), vec![key(KeyCode::Char('s'))])
    });
    snap("picker_status", || {
        with_keys(leading(), vec![key(KeyCode::Char('S'))])
    });
    snap("picker_role", || {
        with_keys(leading(), vec![key(KeyCode::Char('a'))])
    });
    snap("assign_person", || {
        let mut s = with_keys(
            leading(),
            vec![key(KeyCode::Char('a')), key(KeyCode::Enter)],
        );
        type_text(&mut s, "dave");
        s
    });
}

#[test]
fn new_incident_form() {
    snap("new_incident", || {
        let mut s = with_keys(on_list(), vec![key(KeyCode::Char('o'))]);
        type_text(&mut s, "Payments timeouts");
        s
    });
}

#[test]
fn confirmations() {
    snap("confirm_quit", || {
        with_keys(leading(), vec![key(KeyCode::Char('q'))])
    });
    snap("draft_offer", || {
        let mut s = on_list();
        update(
            &mut s,
            Action::Opened {
                id: "INC-1".into(),
                entries: checkout_entries(),
                lead: Lead::Leading,
                draft: Some(Draft {
                    purpose: Purpose::StatusUpdate,
                    text: "Conditions: half-written".into(),
                    saved_at: at(11, 0),
                }),
            },
            at(12, 0),
        );
        s
    });
}

#[test]
fn filtered_log() {
    snap("log_filtered", || {
        let mut s = with_keys(leading(), vec![key(KeyCode::Char('F'))]);
        press(&mut s, vec![key(KeyCode::Char('/'))]);
        type_text(&mut s, "pricing");
        press(&mut s, vec![key(KeyCode::Enter)]);
        s
    });
}

#[test]
fn a_tiny_terminal_asks_to_be_enlarged() {
    let theme = Theme::built_in("default").unwrap();
    for (w, h) in [(40, 10), (20, 5), (1, 1), (0, 0)] {
        let mut s = leading();
        let buf = draw(&mut s, &theme, w, h);
        if w >= 20 {
            assert!(
                text(&buf).contains("Enlarge to 60×15"),
                "{w}x{h}: {}",
                text(&buf)
            );
        }
    }
}

/// WCAG relative luminance of an RGB colour.
fn luminance(c: Color) -> Option<f64> {
    let (r, g, b) = match c {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Black => (0, 0, 0),
        Color::White => (255, 255, 255),
        _ => return None,
    };
    let ch = |v: u8| {
        let v = v as f64 / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    Some(0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b))
}

#[test]
fn every_theme_renders_the_incident_screen_legibly() {
    for name in ["default", "light", "high-contrast", "colorblind"] {
        let theme = Theme::built_in(name).unwrap();
        let mut s = leading();
        let buf = draw(&mut s, &theme, 120, 40);
        // The terminal's own background where the theme sets none.
        let page = if name == "light" {
            Color::White
        } else {
            Color::Black
        };
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let cell = &buf[(x, y)];
                if cell.symbol().trim().is_empty() {
                    continue;
                }
                let reversed = cell.modifier.contains(ratatui::style::Modifier::REVERSED);
                let fg = if cell.fg == Color::Reset {
                    if name == "light" {
                        Color::Black
                    } else {
                        Color::White
                    }
                } else {
                    cell.fg
                };
                let bg = if cell.bg == Color::Reset {
                    page
                } else {
                    cell.bg
                };
                let (fg, bg) = if reversed { (bg, fg) } else { (fg, bg) };
                if let (Some(a), Some(b)) = (luminance(fg), luminance(bg)) {
                    let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
                    assert!(
                        ratio >= 3.0,
                        "{name}: '{}' at {x},{y} has contrast {ratio:.2} ({fg:?} on {bg:?})",
                        cell.symbol()
                    );
                }
            }
        }
        // Severity is spelled out on screen in every theme, never carried by colour alone.
        let screen = text(&buf);
        assert!(screen.contains(" SEV1 "), "{name}: {screen}");
        insta::assert_snapshot!(format!("theme_{name}_120x40"), format!("{buf:?}"));
    }
}

#[test]
fn no_color_still_marks_the_worst_severity() {
    let theme = Theme::monochrome();
    let mut s = on_list();
    let buf = draw(&mut s, &theme, 80, 24);
    let screen = text(&buf);
    let y = (0..24)
        .find(|y| {
            screen
                .lines()
                .nth(*y as usize)
                .is_some_and(|l| l.contains("SEV1"))
        })
        .unwrap();
    let x = screen
        .lines()
        .nth(y as usize)
        .unwrap()
        .find("SEV1")
        .unwrap() as u16;
    let cell = &buf[(x, y)];
    assert_eq!(cell.fg, Color::Reset);
    assert!(
        cell.modifier.contains(ratatui::style::Modifier::REVERSED)
            || cell.modifier.contains(ratatui::style::Modifier::BOLD)
    );
}

#[test]
fn alerts_pane_grouped_with_a_stale_source() {
    snap("alerts_pane", || {
        let mut s = leading();
        s.set_board(board_with_alerts());
        press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Down)]);
        s
    });
}

/// Sixty alerts over six services, the cursor moved to the 41st: the pane scrolls so that
/// the selected alert is its last row above "+N more", under its group's header or among its
/// group's alerts, in the board's order.
#[test]
fn alerts_pane_scrolled_to_the_cursor() {
    use warroom::domain::{Alert, AlertBoard, AlertState};
    snap("alerts_pane_scrolled", || {
        let mut s = leading();
        let alerts = (0..60)
            .map(|n| Alert {
                fingerprint: format!("f{n:02}"),
                labels: [
                    ("alertname".to_string(), format!("Alert{n:02}")),
                    ("service".to_string(), format!("svc-{}", n % 6)),
                    (
                        "severity".to_string(),
                        if n % 2 == 0 { "critical" } else { "warning" }.to_string(),
                    ),
                ]
                .into(),
                annotations: [("summary".to_string(), format!("summary {n}"))].into(),
                starts_at: at(-5, 0),
                ends_at: None,
                generator_url: None,
                state: AlertState::Active,
                silenced_by: vec![],
                inhibited_by: vec![],
                sources: vec![],
            })
            .collect();
        let mut b = AlertBoard::with_sources(["am"]);
        b.report_ok("am", alerts, at(11, 50));
        s.set_board(b);
        let mut keys = vec![key(KeyCode::Tab)];
        keys.extend(std::iter::repeat_n(key(KeyCode::Down), 40));
        press(&mut s, keys);
        s
    });
}

#[test]
fn alert_detail_and_silence_form() {
    snap("alert_detail", || {
        let mut s = leading();
        s.set_board(board_with_alerts());
        press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Enter)]);
        s
    });
    snap("silence_form", || {
        let mut s = leading();
        s.set_board(board_with_alerts());
        press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Char('m'))]);
        s
    });
}

#[test]
fn blast_radius_pane_and_dependency_view_with_fifty_services() {
    for (w, h) in [(80, 24), (200, 60)] {
        let theme = Theme::built_in("default").unwrap();
        let mut s = leading_with_blast();
        // Narrow terminals show one pane at a time: tab to the blast radius.
        if w < 100 {
            press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Tab)]);
        }
        let buf = draw(&mut s, &theme, w, h);
        insta::assert_snapshot!(format!("blast_pane_{w}x{h}"), text(&buf));
        press(&mut s, vec![key(KeyCode::Char('b'))]);
        let buf = draw(&mut s, &theme, w, h);
        insta::assert_snapshot!(format!("dependency_view_{w}x{h}"), text(&buf));
    }
}
