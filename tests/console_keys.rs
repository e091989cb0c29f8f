//! Keys a new user presses and what they do: in popups, on a screen too small to draw on,
//! when taking command, quitting, choosing from lists; and what the footer and the palette
//! offer.

use crate::support;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::console::*;
use warroom::console::action::{Action, Effect};
use warroom::console::state::{Modal, State};
use warroom::console::theme::Theme;
use warroom::console::update::{palette_matches, update};
use warroom::console::views::render;
use warroom::domain::{Event, FollowUpKind, Role, Severity};

fn screen(state: &mut State, w: u16, h: u16) -> String {
    update(
        state,
        Action::Resize {
            width: w,
            height: h,
        },
        at(12, 0),
    );
    let theme = Theme::built_in("default").unwrap();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(state, &theme, at(12, 0), f)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn footer(state: &mut State, w: u16, h: u16) -> String {
    let s = screen(state, w, h);
    s.lines().last().unwrap_or_default().to_string()
}

/// INC-1, led here, with a committed event appended as the journal worker would.
fn commit(s: &mut State, seq: u64, event: Event) {
    update(
        s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![entry(seq, at(12, 0), "alice", event)],
            cleared_draft: false,
        },
        at(12, 0),
    );
}

#[test]
fn while_the_terminal_is_too_small_only_quit_acts() {
    // On the list at 40×10, enter would have taken the lead of an incident nobody can see.
    let mut s = on_list();
    screen(&mut s, 40, 10);
    for k in [KeyCode::Enter, KeyCode::Char('o'), KeyCode::Char('?')] {
        let fx = press(&mut s, vec![key(k)]);
        assert!(fx.is_empty(), "{k:?} asked for {fx:?}");
        assert!(s.modal.is_none(), "{k:?} opened {:?}", s.modal);
    }
    assert_eq!(press(&mut s, vec![ctrl('c')]), vec![Effect::Quit]);

    // In an incident: no editor opens, nothing is recorded, the view does not change.
    let mut s = leading();
    screen(&mut s, 40, 10);
    for k in ['n', 'R', 'a', 'C', 's', ':'] {
        let fx = press(&mut s, vec![key(KeyCode::Char(k))]);
        assert!(fx.is_empty(), "{k} asked for {fx:?}");
        assert!(s.modal.is_none(), "{k} opened {:?}", s.modal);
    }
    assert!(press(&mut s, vec![key(KeyCode::Esc)]).is_empty());
    assert!(
        s.current.is_some(),
        "esc left the incident behind the message"
    );
    // An editor open before the terminal shrank takes no typing either.
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('n'))]);
    screen(&mut s, 40, 10);
    assert!(type_text(&mut s, "x").is_empty());
    assert!(press(&mut s, vec![ctrl('s')]).is_empty());
    // q still quits, asking first as it does at full size; the question is on screen.
    let mut s = leading();
    screen(&mut s, 40, 10);
    press(&mut s, vec![key(KeyCode::Char('q'))]);
    assert!(matches!(s.modal, Some(Modal::ConfirmQuit)));
    assert!(screen(&mut s, 40, 10).contains("quit?"));
    assert_eq!(
        press(&mut s, vec![key(KeyCode::Char('y'))]),
        vec![Effect::Quit]
    );
    // Enlarged again, the keys work.
    let mut s = on_list();
    screen(&mut s, 40, 10);
    screen(&mut s, 80, 24);
    assert_eq!(
        press(&mut s, vec![key(KeyCode::Enter)]),
        vec![Effect::Open { id: "INC-1".into() }]
    );
}

#[test]
fn the_alert_popup_links_and_silences_with_the_keys_it_shows() {
    let mut s = leading();
    s.set_board(board_with_alerts());
    press(
        &mut s,
        vec![key(KeyCode::Tab), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    assert!(matches!(s.modal, Some(Modal::AlertDetail(..))));
    let shown = screen(&mut s, 100, 30);
    assert!(shown.contains("l link"), "{shown}");
    assert!(shown.contains("m silence"), "{shown}");
    let fx = press(&mut s, vec![key(KeyCode::Char('l'))]);
    match appends(&fx).as_slice() {
        [Event::AlertLinked { alert, .. }] => assert_eq!(alert.name, "HighErrorRate"),
        other => panic!("l in the popup recorded {other:?}"),
    }
    press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(matches!(s.modal, Some(Modal::AlertDetail(..))));
    press(&mut s, vec![key(KeyCode::Char('m'))]);
    match &s.modal {
        Some(Modal::Silence(form)) => assert!(
            form.matchers.lines().join(" ").contains("HighErrorRate"),
            "{:?}",
            form.matchers.lines()
        ),
        other => panic!("m in the popup opened {other:?}"),
    }
}

#[test]
fn the_alert_popup_shows_and_obeys_overridden_keys() {
    let overrides = std::collections::BTreeMap::from([(
        "incident".to_string(),
        std::collections::BTreeMap::from([
            ("L".to_string(), "link-alert".to_string()),
            ("l".to_string(), "none".to_string()),
        ]),
    )]);
    let (keymap, problems) = warroom::console::keymap::Keymap::with_overrides(&overrides);
    assert!(problems.is_empty());
    let mut s = leading();
    s.keymap = keymap;
    s.set_board(board_with_alerts());
    press(
        &mut s,
        vec![key(KeyCode::Tab), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    let shown = screen(&mut s, 100, 30);
    assert!(shown.contains("L link"), "{shown}");
    assert!(press(&mut s, vec![key(KeyCode::Char('l'))]).is_empty());
    let fx = press(&mut s, vec![key(KeyCode::Char('L'))]);
    assert!(matches!(
        appends(&fx).as_slice(),
        [Event::AlertLinked { .. }]
    ));
}

#[test]
fn taking_command_is_one_key_and_assigning_offers_me() {
    // INC-2 has no commander yet.
    let mut s = leading_without_commander();
    let fx = press(&mut s, vec![key(KeyCode::Char('C'))]);
    assert_eq!(
        appends(&fx),
        vec![Event::RoleAssigned {
            role: Role::Commander,
            person: "alice".into()
        }]
    );
    // The key is in help and in the palette, named for what it does.
    assert!(
        palette_matches(&s, "take")
            .iter()
            .any(|c| c.name() == "take-command")
    );
    // a → role → enter, with nothing typed: the role goes to whoever is at this console.
    let fx = press(
        &mut s,
        vec![
            key(KeyCode::Char('a')),
            key(KeyCode::Down),
            key(KeyCode::Enter),
        ],
    );
    assert!(fx.is_empty());
    let shown = screen(&mut s, 80, 24);
    let field = shown
        .lines()
        .skip_while(|l| !l.contains("Who is deputy?"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        field.contains("alice"),
        "the name field offers no one:\n{shown}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert_eq!(
        appends(&fx),
        vec![Event::RoleAssigned {
            role: Role::Deputy,
            person: "alice".into()
        }]
    );
}

#[test]
fn taking_command_when_already_commander_says_so_and_records_nothing() {
    let mut s = leading();
    let fx = press(&mut s, vec![key(KeyCode::Char('C'))]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("already commander")),
        "{:?}",
        s.flash
    );
}

#[test]
fn the_chosen_follow_up_type_is_marked_not_only_coloured() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('f'))]);
    let shown = screen(&mut s, 80, 24);
    let row = shown
        .lines()
        .find(|l| l.contains("Type"))
        .unwrap_or_default()
        .to_string();
    let marked = |row: &str, kind: FollowUpKind| {
        let name = kind.to_string();
        row.contains(&format!("◉ {name}")) || row.contains(&format!("(•) {name}"))
    };
    assert!(marked(&row, FollowUpKind::Prevent), "{row}");
    assert!(!marked(&row, FollowUpKind::Process), "{row}");
    press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Right)]);
    let shown = screen(&mut s, 80, 24);
    let row = shown
        .lines()
        .find(|l| l.contains("Type"))
        .unwrap_or_default();
    assert!(marked(row, FollowUpKind::Process), "{row}");
    assert!(!marked(row, FollowUpKind::Prevent), "{row}");
}

#[test]
fn pickers_and_lists_mark_the_selected_line_with_a_symbol() {
    // The severity picker: sev1 is current and selected; one line marked, and only one.
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('s')), key(KeyCode::Down)]);
    let shown = screen(&mut s, 80, 24);
    let marked: Vec<&str> = shown.lines().filter(|l| l.contains('›')).collect();
    assert_eq!(marked.len(), 1, "{shown}");
    assert!(marked[0].contains(Severity::Sev2.as_str()), "{shown}");
    // The incident list.
    let mut s = on_list();
    press(&mut s, vec![key(KeyCode::Down)]);
    let shown = screen(&mut s, 80, 24);
    let marked: Vec<&str> = shown.lines().filter(|l| l.contains('›')).collect();
    assert_eq!(marked.len(), 1, "{shown}");
    assert!(marked[0].contains("INC-2"), "{shown}");
    // The alerts pane, once it has the focus.
    let mut s = leading();
    s.set_board(board_with_alerts());
    press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Down)]);
    let shown = screen(&mut s, 160, 45);
    let marked: Vec<&str> = shown.lines().filter(|l| l.contains('›')).collect();
    assert_eq!(marked.len(), 1, "{shown}");
    assert!(marked[0].contains("HighErrorRate"), "{shown}");
    // The palette.
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char(':')), key(KeyCode::Down)]);
    let shown = screen(&mut s, 80, 24);
    let marked: Vec<&str> = shown.lines().filter(|l| l.contains('›')).collect();
    assert_eq!(marked.len(), 1, "{shown}");
}

#[test]
fn the_palette_lists_commands_alphabetically_best_match_first() {
    let s = leading();
    let all: Vec<&str> = palette_matches(&s, "").iter().map(|c| c.name()).collect();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    // Typing still puts the exact name, then names starting with it, first.
    let st: Vec<&str> = palette_matches(&s, "st").iter().map(|c| c.name()).collect();
    assert_eq!(&st[..2], &["status", "status-update"], "{st:?}");
}

#[test]
fn the_footer_offers_the_incident_keys_the_width_allows() {
    let mut s = leading();
    let wide = footer(&mut s, 160, 45);
    for (k, what) in [
        ("b", "blast"),
        ("A", "actions"),
        ("p", "share"),
        ("f", "follow-up"),
    ] {
        assert!(wide.contains(&format!("{k} {what}")), "{k}: {wide}");
    }
    // Resolved: the post-mortem's keys, not the ones that no longer record.
    commit(&mut s, 8, Event::Resolved { summary: None });
    s.modal = None;
    let after = footer(&mut s, 80, 24);
    assert!(after.contains("e export"), "{after}");
    assert!(after.contains("f follow-up"), "{after}");
    assert!(!after.contains("n note"), "{after}");
}

#[test]
fn quitting_a_resolved_incident_asks_nothing_about_leading_it() {
    let mut s = leading();
    commit(&mut s, 8, Event::Resolved { summary: None });
    s.modal = None;
    assert_eq!(
        press(&mut s, vec![key(KeyCode::Char('q'))]),
        vec![Effect::Quit]
    );
}

#[test]
fn the_demo_key_hints_fit_an_80_column_screen() {
    let mut s = on_list();
    s.problems = warroom::demo::key_hints(Some("INC-1"));
    let shown = screen(&mut s, 80, 24);
    for k in [
        "enter opens INC-1",
        "C take command",
        "u update",
        "b blast radius",
        "A actions",
        "R resolve",
        "? keys",
    ] {
        assert!(shown.contains(k), "{k} cut off:\n{shown}");
    }
}
