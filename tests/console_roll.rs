//! Roll call in the console, with a fixed clock: `i` checks in through the CAN form, `K` calls
//! the roll once confirmed, `w` shows who answered since and whose report is stale, then the
//! work board; the practice's notices show once on the leader's console and `esc` dismisses
//! each (journaled); a follower sees the roll and the board and records nothing. Snapshots of
//! both views at 80×24 and 120×40 in every built-in theme.

use crate::support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::console::*;
use warroom::console::action::{Action, Effect};
use warroom::console::state::{FollowState, FollowViews, Link, Modal, State};
use warroom::console::theme::{BUILT_IN, Theme};
use warroom::console::update::update;
use warroom::console::views::render;
use warroom::domain::{Event, Role};

fn draw(
    s: &mut State,
    theme: &Theme,
    w: u16,
    h: u16,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    update(
        s,
        Action::Resize {
            width: w,
            height: h,
        },
        now,
    );
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(s, theme, now, f)).unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn text(s: &mut State, w: u16, h: u16, minute: i64) -> String {
    draw(s, &Theme::built_in("default").unwrap(), w, h, at(minute, 0))
}

/// The screen's words in reading order, borders dropped: what a wrapped text says.
fn words(screen: &str) -> String {
    screen
        .replace(['│', '┌', '┐', '└', '┘', '─'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn has_line(screen: &str, parts: &[&str]) -> bool {
    screen.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

fn committed(s: &mut State, seq: u64, minute: i64, by: &str, event: Event) -> Vec<Effect> {
    update(
        s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![entry(seq, at(minute, 0), by, event)],
            cleared_draft: false,
        },
        at(minute, 0),
    )
}

fn char_key(c: char) -> Action {
    key(KeyCode::Char(c))
}

fn check_in(c: &str, a: Option<&str>, n: Option<&str>) -> Event {
    Event::CheckIn {
        conditions: c.into(),
        actions: a.map(Into::into),
        needs: n.map(Into::into),
    }
}

/// The checkout outage at minute 12, with a roll called at minute 8: bob answered with a full
/// CAN report, carol's only report (minute 1) is stale, dana was added and never wrote; bob
/// and carol hold tasks (carol's overdue); team Alpha (lead erin, frank) fails over the DB.
fn roll_called() -> State {
    let mut s = leading();
    let events = vec![
        (
            1,
            "carol",
            check_in("tax lookups time out since 08:57", None, None),
        ),
        (
            7,
            "alice",
            Event::TaskAssigned {
                task: 1,
                person: "bob".into(),
                what: "check the primary DB".into(),
                due_at: at(15, 0),
            },
        ),
        (
            7,
            "alice",
            Event::TaskAssigned {
                task: 2,
                person: "carol".into(),
                what: "roll back pricing".into(),
                due_at: at(10, 0),
            },
        ),
        (
            7,
            "alice",
            Event::RollAdded {
                person: "dana".into(),
            },
        ),
        (
            7,
            "alice",
            Event::TeamFormed {
                team: "Alpha".into(),
                lead: "erin".into(),
                goal: "fail over the primary DB".into(),
                members: vec!["frank".into()],
                until: at(37, 0),
            },
        ),
        (8, "alice", Event::RollCalled {}),
        (
            9,
            "bob",
            check_in(
                "replication lag 40s on the primary",
                Some("failing over to the replica"),
                Some("a DBA"),
            ),
        ),
    ];
    for (n, (minute, by, event)) in events.into_iter().enumerate() {
        assert!(committed(&mut s, 8 + n as u64, minute, by, event).is_empty());
    }
    s
}

#[test]
fn i_opens_the_can_form_and_checks_in_with_what_was_typed() {
    let mut s = leading();
    press(&mut s, vec![char_key('i')]);
    assert!(matches!(s.modal, Some(Modal::CheckIn(_))));
    type_text(&mut s, "lag 40s on the primary");
    press(&mut s, vec![key(KeyCode::Tab)]);
    type_text(&mut s, "failing over");
    let fx = press(&mut s, vec![ctrl('s')]);
    assert_eq!(
        appends(&fx),
        [check_in(
            "lag 40s on the primary",
            Some("failing over"),
            None
        )]
    );
    assert!(s.modal.is_none());
    // Enter walks the three parts, and on Needs checks in.
    press(&mut s, vec![char_key('i')]);
    type_text(&mut s, "all quiet\n\nnothing");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert_eq!(appends(&fx), [check_in("all quiet", None, Some("nothing"))]);
}

#[test]
fn a_check_in_without_conditions_is_refused_and_the_form_stays() {
    let mut s = leading();
    press(&mut s, vec![char_key('i'), key(KeyCode::Tab)]);
    type_text(&mut s, "restarting pods");
    let fx = press(&mut s, vec![ctrl('s')]);
    assert!(appends(&fx).is_empty());
    assert!(
        matches!(s.modal, Some(Modal::CheckIn(_))),
        "the typed text stays"
    );
    assert_eq!(s.flash.as_ref().unwrap().text, "conditions is empty");
    // Esc cancels: nothing recorded.
    let fx = press(&mut s, vec![key(KeyCode::Esc)]);
    assert!(appends(&fx).is_empty());
    assert!(s.modal.is_none());
}

#[test]
fn k_calls_the_roll_only_once_confirmed_and_shows_the_answers() {
    let mut s = leading();
    let fx = press(&mut s, vec![char_key('K')]);
    assert!(fx.is_empty());
    assert!(matches!(s.modal, Some(Modal::ConfirmRollCall)));
    let screen = text(&mut s, 80, 24, 12);
    assert!(
        screen.contains("Call the roll? The 3 on it are asked"),
        "{screen}"
    );
    let fx = press(&mut s, vec![char_key('n')]);
    assert!(fx.is_empty() && s.modal.is_none());
    let fx = press(&mut s, vec![char_key('K'), char_key('y')]);
    assert_eq!(appends(&fx), [Event::RollCalled {}]);
    assert!(matches!(s.modal, Some(Modal::Board { work: false, .. })));
    committed(&mut s, 8, 12, "alice", Event::RollCalled {});
    committed(&mut s, 9, 13, "bob", check_in("lag back to 2s", None, None));
    let screen = text(&mut s, 80, 24, 14);
    assert!(
        words(&screen).contains("1 of 3 answered; waiting for alice, carol"),
        "{screen}"
    );
    assert!(
        has_line(&screen, &["bob", "answered", "1m ago  C: lag back to 2s"]),
        "{screen}"
    );
    assert!(
        has_line(&screen, &["carol", "waiting", "no check-in"]),
        "{screen}"
    );
}

#[test]
fn the_roll_call_view_shows_who_answered_and_whose_report_is_stale() {
    let mut s = roll_called();
    press(&mut s, vec![char_key('w')]);
    let screen = text(&mut s, 120, 40, 12);
    assert!(screen.contains("Roll call — INC-1"), "{screen}");
    assert!(
        screen.contains("1 of 6 answered; waiting for alice, carol, dana, erin, frank"),
        "{screen}"
    );
    assert!(
        has_line(
            &screen,
            &[
                "bob",
                "answered",
                "3m ago  C: replication lag 40s on the primary"
            ]
        ),
        "{screen}"
    );
    // Actions and Needs wrap under the report rather than being cut.
    assert!(
        words(&screen).contains(
            "3m ago C: replication lag 40s on the primary · A: failing over to the replica · N: a DBA"
        ),
        "{screen}"
    );
    assert!(
        has_line(&screen, &["carol", "waiting", "STALE 11m  C: tax lookups"]),
        "{screen}"
    );
    assert!(
        has_line(&screen, &["alice", "commander", "waiting", "no check-in"]),
        "{screen}"
    );
    // Tab: the work board, one line per person reporting directly, one per team.
    press(&mut s, vec![key(KeyCode::Tab)]);
    let screen = text(&mut s, 120, 40, 12);
    assert!(screen.contains("Work board — INC-1"), "{screen}");
    assert!(
        has_line(&screen, &["bob", "on 11m", "T1 check the primary DB 03:00"]),
        "{screen}"
    );
    assert!(
        has_line(
            &screen,
            &["carol", "T2 roll back pricing overdue 02:00", "STALE 11m"]
        ),
        "{screen}"
    );
    assert!(
        has_line(
            &screen,
            &[
                "team Alpha (lead erin, 1 member)",
                "25:00",
                "fail over the primary DB"
            ]
        ),
        "{screen}"
    );
    assert!(
        !has_line(&screen, &["frank"]),
        "frank reports to Alpha's lead: {screen}"
    );
    // alice (commander) aside: bob, carol, dana, erin (for Alpha) and two tasks.
    assert!(
        screen.contains("6 workstreams tracked directly (at most 7)"),
        "{screen}"
    );
    // esc closes the view; nothing is recorded by looking.
    let fx = press(&mut s, vec![key(KeyCode::Esc)]);
    assert!(fx.is_empty() && s.modal.is_none());
}

#[test]
fn span_of_control_is_said_once_and_esc_dismisses_it_for_good() {
    let mut s = roll_called();
    let before = text(&mut s, 120, 40, 12);
    assert!(!before.contains("⚑"), "{before}");
    committed(
        &mut s,
        15,
        12,
        "alice",
        Event::TaskAssigned {
            task: 3,
            person: "dana".into(),
            what: "watch the queue".into(),
            due_at: at(20, 0),
        },
    );
    committed(
        &mut s,
        16,
        12,
        "gina",
        check_in("support queue growing", None, None),
    );
    let screen = text(&mut s, 120, 40, 12);
    assert!(
        screen.contains("⚑ you track 8 workstreams directly (more than 7): name a deputy"),
        "{screen}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Esc)]);
    assert_eq!(
        appends(&fx),
        [Event::NoticeDismissed {
            notice: "span_of_control".into()
        }]
    );
    assert!(
        s.current.is_some(),
        "esc dismissed the notice, it did not leave"
    );
    // Gone at once, before the journal answers; and once committed, for good.
    assert!(!text(&mut s, 120, 40, 12).contains("⚑"));
    committed(
        &mut s,
        17,
        12,
        "alice",
        Event::NoticeDismissed {
            notice: "span_of_control".into(),
        },
    );
    committed(&mut s, 18, 12, "hank", check_in("here", None, None));
    assert!(!text(&mut s, 120, 40, 12).contains("⚑"));
    // With no notice left, esc goes back as always.
    let fx = press(&mut s, vec![key(KeyCode::Esc)]);
    assert!(appends(&fx).is_empty());
    assert!(s.current.is_none());
}

#[test]
fn the_leader_running_an_action_is_reminded_once_and_relief_comes_after_three_hours() {
    let mut s = leading();
    committed(
        &mut s,
        8,
        12,
        "alice",
        Event::ActionStarted {
            run_id: "r1".into(),
            action: "rollback".into(),
            params: Default::default(),
            dry_run: false,
            command: "deploy rollback pricing".into(),
        },
    );
    let screen = text(&mut s, 80, 24, 12);
    assert!(
        screen.contains("alice leads the call and runs actions too"),
        "{screen}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Esc)]);
    assert_eq!(
        appends(&fx),
        [Event::NoticeDismissed {
            notice: "resolver:alice".into()
        }]
    );
    committed(
        &mut s,
        9,
        12,
        "alice",
        Event::NoticeDismissed {
            notice: "resolver:alice".into(),
        },
    );
    assert!(!text(&mut s, 80, 24, 12).contains("⚑"));
    // Three hours on: relief for the commander, as a handoff.
    let screen = text(&mut s, 120, 40, 181);
    assert!(
        screen.contains("⚑ alice has led for 3h01m: time for relief — hand off command"),
        "{screen}"
    );
    // A read-only console is shown no notice: it could not dismiss it.
    let mut follower = following();
    let screen = text(&mut follower, 120, 40, 181);
    assert!(!screen.contains("⚑"), "{screen}");
}

/// A follower console showing the checkout outage with a roll called.
fn following() -> State {
    let mut s = State::new(
        "zoe".into(),
        warroom::console::keymap::Keymap::default(),
        vec![],
    );
    s.follow = Some(FollowState {
        id: "INC-1".into(),
        source: "http://127.0.0.1:7420/v1/incidents/INC-1".into(),
        link: Link::Live,
        views: FollowViews::NotShared,
    });
    let mut entries = checkout_entries();
    entries.push(entry(8, at(8, 0), "alice", Event::RollCalled {}));
    entries.push(entry(9, at(9, 0), "bob", check_in("lag 40s", None, None)));
    update(
        &mut s,
        Action::Follow(warroom::share::follower::FollowEvent::Entries(entries)),
        at(12, 0),
    );
    s
}

#[test]
fn a_follower_sees_the_roll_and_the_board_and_records_nothing() {
    let mut s = following();
    let fx = press(&mut s, vec![char_key('w')]);
    assert!(fx.is_empty());
    let screen = text(&mut s, 80, 24, 12);
    assert!(
        words(&screen).contains("1 of 3 answered; waiting for alice, carol"),
        "{screen}"
    );
    assert!(
        !screen.contains("call the roll"),
        "no recording keys: {screen}"
    );
    for k in ['i', 'K'] {
        let fx = press(&mut s, vec![char_key(k)]);
        assert!(appends(&fx).is_empty(), "{k}");
        assert!(!matches!(
            s.modal,
            Some(Modal::CheckIn(_) | Modal::ConfirmRollCall)
        ));
    }
    press(&mut s, vec![key(KeyCode::Esc)]);
    for k in ['i', 'K'] {
        let fx = press(&mut s, vec![char_key(k)]);
        assert!(appends(&fx).is_empty(), "{k}");
        assert!(s.modal.is_none(), "{k}");
    }
}

#[test]
fn help_lists_the_roll_call_keys() {
    let mut s = leading();
    press(&mut s, vec![char_key('?')]);
    let screen = text(&mut s, 120, 60, 12);
    for (k, what) in [
        ("i", "check in: Conditions, Actions, Needs"),
        ("K", "call the roll: everyone on it checks in"),
        ("w", "the roll call and the work board"),
    ] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(what) && l.split_whitespace().any(|w| w == k)),
            "{k}: {screen}"
        );
    }
}

#[test]
fn the_roll_call_and_the_work_board_in_every_theme() {
    for (name, _) in BUILT_IN {
        let theme = Theme::built_in(name).unwrap();
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            for work in [false, true] {
                let mut s = roll_called();
                update(
                    &mut s,
                    Action::Key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::NONE)),
                    at(12, 0),
                );
                if work {
                    press(&mut s, vec![key(KeyCode::Tab)]);
                }
                update(
                    &mut s,
                    Action::Resize {
                        width: w,
                        height: h,
                    },
                    at(12, 0),
                );
                let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
                t.draw(|f| render(&s, &theme, at(12, 0), f)).unwrap();
                let view = if work { "board" } else { "roll" };
                insta::assert_snapshot!(
                    format!("{view}_{name}_{w}x{h}"),
                    format!("{:?}", t.backend().buffer())
                );
            }
        }
    }
}

#[test]
fn roles_show_on_both_views() {
    let mut s = roll_called();
    committed(
        &mut s,
        15,
        12,
        "alice",
        Event::RoleAssigned {
            role: Role::Scribe,
            person: "dana".into(),
        },
    );
    press(&mut s, vec![char_key('w')]);
    let screen = text(&mut s, 80, 24, 12);
    assert!(
        has_line(&screen, &["dana", "scribe", "waiting"]),
        "{screen}"
    );
    press(&mut s, vec![key(KeyCode::Tab)]);
    let screen = text(&mut s, 80, 24, 12);
    assert!(has_line(&screen, &["dana", "scribe", "on 5m"]), "{screen}");
}
