//! The follower role: a console following a shared incident records nothing, whatever is
//! typed, pasted or forced into it. Every effect that comes out of the reducer in this role is
//! `Quit`, `Bell`, or `ExportCopy` (the follower's own copy of the post-mortem draft, written
//! to a local file and recorded nowhere); the help screen and the palette offer no command
//! that records, the export aside.
//!
//! Driven as pure functions with a fixed clock: every key of a broad set on every screen, every
//! command run directly, every modal forced open and submitted, alert reports, pastes, ticks,
//! and a long deterministic random key sequence.

use crate::support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use support::console::*;
use warroom::console::action::{Action, Draft, Effect, Lead, Purpose};
use warroom::console::keymap::{Command, Keymap};
use warroom::console::state::{
    FollowState, FollowViews, Link, Modal, Picker, PickerKind, State, TaskForm,
};
use warroom::console::update::{palette_matches, run, update};
use warroom::share::follower::FollowEvent;

/// A follower console before anything arrived: connecting, no incident yet.
fn connecting() -> State {
    let mut s = State::new("bob".into(), Keymap::default(), vec![]);
    s.follow = Some(FollowState {
        id: "INC-1".into(),
        source: "http://127.0.0.1:7420/v1/incidents/INC-1".into(),
        link: Link::Connecting,
        views: FollowViews::Waiting,
    });
    s
}

/// A follower console showing the checkout outage, live, with the leader's alerts.
fn following() -> State {
    let mut s = connecting();
    let fx = update(&mut s, Action::Follow(FollowEvent::Connected), at(12, 0));
    assert_forbidden_free(&fx, "connected");
    let fx = update(
        &mut s,
        Action::Follow(FollowEvent::Entries(checkout_entries())),
        at(12, 0),
    );
    assert_forbidden_free(&fx, "entries");
    let board = board_with_alerts();
    let fx = update(
        &mut s,
        Action::Follow(FollowEvent::Views {
            alerts: board.merged(),
            blast: None,
        }),
        at(12, 0),
    );
    assert_forbidden_free(&fx, "views");
    let c = s.current.as_ref().expect("the followed incident is shown");
    assert!(matches!(c.lead, Lead::Follower { .. }));
    assert_eq!(c.entries.len(), 7);
    s
}

fn allowed(e: &Effect) -> bool {
    matches!(e, Effect::Quit | Effect::Bell | Effect::ExportCopy { .. })
}

#[track_caller]
fn assert_forbidden_free(effects: &[Effect], what: &str) {
    let bad: Vec<&Effect> = effects.iter().filter(|e| !allowed(e)).collect();
    assert!(bad.is_empty(), "{what}: a follower asked for {bad:?}");
}

/// Keys a person could press: every printable ASCII character, plain, with ctrl and with
/// alt, and the named keys.
fn every_key() -> Vec<KeyEvent> {
    let mut keys = Vec::new();
    for c in (b' '..=b'~').map(char::from) {
        for mods in [
            KeyModifiers::NONE,
            KeyModifiers::CONTROL,
            KeyModifiers::ALT,
            KeyModifiers::SHIFT,
        ] {
            keys.push(KeyEvent::new(KeyCode::Char(c), mods));
        }
    }
    for code in [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Insert,
        KeyCode::F(1),
        KeyCode::F(2),
        KeyCode::F(5),
        KeyCode::F(10),
    ] {
        for mods in [KeyModifiers::NONE, KeyModifiers::CONTROL, KeyModifiers::ALT] {
            keys.push(KeyEvent::new(code, mods));
        }
    }
    keys
}

/// Is `q` (or ctrl-c …) a quit? Keys that quit end the console; we keep exploring from a
/// fresh state rather than from a console that has left.
fn quits(s: &State) -> bool {
    s.quit
}

#[test]
fn every_key_on_every_screen_of_a_follower_asks_for_nothing_but_quit_or_bell() {
    let keys = every_key();
    for (name, start) in [
        ("connecting", connecting as fn() -> State),
        ("following", following),
    ] {
        // One key, then (whatever screen it opened) every key again: two levels deep.
        for first in &keys {
            let mut s = start();
            let fx = update(&mut s, Action::Key(*first), at(12, 0));
            assert_forbidden_free(&fx, &format!("{name}: {first:?}"));
            if quits(&s) {
                continue;
            }
            let opened = s.modal.is_some();
            if !opened {
                continue;
            }
            for second in &keys {
                let mut s2 = start();
                let _ = update(&mut s2, Action::Key(*first), at(12, 0));
                let fx = update(&mut s2, Action::Key(*second), at(12, 1));
                assert_forbidden_free(&fx, &format!("{name}: {first:?} then {second:?}"));
            }
        }
    }
}

#[test]
fn every_command_run_directly_in_the_follower_role_asks_for_nothing() {
    for start in [connecting as fn() -> State, following] {
        for cmd in Command::ALL.iter().copied() {
            let mut s = start();
            let fx = run(&mut s, cmd, at(12, 0));
            assert_forbidden_free(&fx, &format!("run({cmd:?})"));
            if cmd.follower_may() {
                assert!(
                    fx.iter().all(|e| matches!(e, Effect::ExportCopy { .. })),
                    "{cmd:?}: {fx:?}"
                );
            } else if cmd.mutates() {
                assert!(
                    s.modal.is_none(),
                    "{cmd:?} opened {:?} for a follower",
                    s.modal.as_ref().map(std::mem::discriminant)
                );
                assert!(fx.is_empty(), "{cmd:?}: {fx:?}");
            }
            // Whatever it opened, submitting it asks for nothing either.
            for submit in [ctrl('s'), key(KeyCode::Enter), key(KeyCode::Char('y'))] {
                let fx = update(&mut s, submit, at(12, 1));
                assert_forbidden_free(&fx, &format!("{cmd:?} then submit"));
            }
        }
    }
}

/// The modals that record something when submitted, forced open in a follower (as a bug in
/// the key handling might): submitting them is still refused.
fn forced_modals() -> Vec<(&'static str, Modal)> {
    let text = |t: &str| warroom::console::state::text_input(t, "");
    let mut v: Vec<(&'static str, Modal)> = vec![
        (
            "note editor",
            Modal::Editor {
                purpose: Purpose::Note {
                    note_kind: warroom::domain::NoteKind::Observation,
                },
                text: text("the follower writes a note"),
            },
        ),
        (
            "decision editor",
            Modal::Editor {
                purpose: Purpose::Note {
                    note_kind: warroom::domain::NoteKind::Decision,
                },
                text: text("roll back"),
            },
        ),
        (
            "status update editor",
            Modal::Editor {
                purpose: Purpose::StatusUpdate,
                text: text("Conditions: fine"),
            },
        ),
        (
            "resolve editor",
            Modal::Editor {
                purpose: Purpose::Resolve,
                text: text("fixed"),
            },
        ),
        (
            "new incident",
            Modal::NewIncident {
                title: text("a second outage"),
                severity: warroom::domain::Severity::Sev1,
            },
        ),
        (
            "assign",
            Modal::AssignPerson {
                role: warroom::domain::Role::Scribe,
                person: text("mallory"),
            },
        ),
        (
            "handoff",
            Modal::Handoff {
                person: text("mallory"),
            },
        ),
        (
            "task",
            Modal::Task(Box::new(TaskForm {
                person: text("mallory"),
                what: text("drop the tables"),
                minutes: text("5"),
                field: 2,
            })),
        ),
        (
            "share",
            Modal::Share {
                text: "INC-1 is shared".into(),
            },
        ),
        (
            "expire silences",
            Modal::ExpireSilences(vec![("am-eu".into(), "s-1".into())]),
        ),
        (
            "draft offer",
            Modal::DraftOffer(Draft {
                purpose: Purpose::Note {
                    note_kind: warroom::domain::NoteKind::Observation,
                },
                text: "left over".into(),
                saved_at: at(11, 0),
            }),
        ),
        ("confirm quit", Modal::ConfirmQuit),
    ];
    for kind in [
        PickerKind::Severity,
        PickerKind::Status,
        PickerKind::Role,
        PickerKind::Task,
        PickerKind::Snooze,
    ] {
        v.push((
            "picker",
            Modal::Picker(Picker {
                kind,
                options: vec!["sev1".into(), "T1 bob: check".into(), "2 minutes".into()],
                selected: 0,
            }),
        ));
    }
    v
}

#[test]
fn modals_forced_open_in_a_follower_submit_nothing() {
    let submits = [
        ctrl('s'),
        key(KeyCode::Enter),
        key(KeyCode::Char('y')),
        key(KeyCode::Char('r')),
        key(KeyCode::Char('x')),
        key(KeyCode::Char('1')),
        key(KeyCode::Esc),
        Action::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT)),
        Action::Key(KeyEvent::new(KeyCode::Char('5'), KeyModifiers::ALT)),
        Action::Paste("pasted text".into()),
    ];
    for (name, _) in forced_modals() {
        for submit in &submits {
            // A fresh modal each time (the enum is not Clone: rebuild the list).
            let modal = forced_modals()
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(_, m)| m)
                .unwrap();
            let mut s = following();
            s.modal = Some(modal);
            let fx = update(&mut s, submit.clone(), at(12, 0));
            assert_forbidden_free(&fx, &format!("{name} + {submit:?}"));
            // Typing more, then sending, likewise.
            let mut fx = type_text(&mut s, "more");
            fx.extend(update(&mut s, ctrl('s'), at(12, 1)));
            assert_forbidden_free(&fx, &format!("{name} + {submit:?} + typing"));
        }
    }
    // Every choice of every picker.
    for (_, modal) in forced_modals() {
        let Modal::Picker(picker) = modal else {
            continue;
        };
        for n in 0..picker.options.len() {
            let mut s = following();
            s.modal = Some(Modal::Picker(picker.clone()));
            let mut fx = Vec::new();
            for _ in 0..n {
                fx.extend(update(&mut s, key(KeyCode::Down), at(12, 0)));
            }
            fx.extend(update(&mut s, key(KeyCode::Enter), at(12, 0)));
            assert_forbidden_free(&fx, &format!("{:?} choice {n}", picker.kind));
        }
    }
}

#[test]
fn alert_reports_pastes_ticks_and_old_actions_ask_for_nothing_in_a_follower() {
    use warroom::backends::poller::SourceReport;
    let mut s = following();
    let board = board_with_alerts();
    let alerts = board.merged();
    let mut fx = Vec::new();
    // A report (no follower polls, but a stray one must not make it journal alerts_changed).
    fx.extend(update(
        &mut s,
        Action::AlertReport(SourceReport {
            source: "am-eu".into(),
            at: at(12, 0),
            result: Ok(alerts),
            cut_short: None,
        }),
        at(12, 0),
    ));
    fx.extend(update(
        &mut s,
        Action::Paste("pasted note".into()),
        at(12, 0),
    ));
    // Ticks far past the status-update due time: a bell at most, never an append.
    for minute in [12, 15, 30, 60, 120] {
        fx.extend(update(&mut s, Action::Tick, at(minute, 0)));
    }
    // Actions a follower never gets, forced anyway.
    fx.extend(update(
        &mut s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![entry(
                8,
                at(12, 0),
                "bob",
                warroom::domain::Event::StatusUpdate {
                    text: "Conditions: x".into(),
                },
            )],
            cleared_draft: true,
        },
        at(12, 0),
    ));
    fx.extend(update(
        &mut s,
        Action::Created { id: "INC-9".into() },
        at(12, 0),
    ));
    fx.extend(update(
        &mut s,
        Action::Shared {
            id: "INC-1".into(),
            text: "shared".into(),
        },
        at(12, 0),
    ));
    fx.extend(press(
        &mut s,
        vec![key(KeyCode::Char('r')), key(KeyCode::Char('x'))],
    ));
    assert_forbidden_free(&fx, "reports, pastes, ticks");
}

/// Tiny deterministic generator: the same sequence on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn twenty_thousand_random_keys_in_a_follower_ask_for_nothing() {
    let keys = every_key();
    let mut rng = Lcg(0x5eed_f011_0e55);
    let mut s = following();
    let mut restarts = 0;
    for i in 0..20_000 {
        let k = keys[rng.next(keys.len())];
        let fx = update(&mut s, Action::Key(k), at(12, (i % 60) as i64));
        assert_forbidden_free(&fx, &format!("random key #{i}: {k:?}"));
        if s.quit {
            s = following();
            restarts += 1;
        }
    }
    assert!(
        restarts > 0,
        "the sequence never quit: it did not reach much"
    );
}

/// What help shows for `cmd`: its description (cut to what surely fits the help box).
fn help_text(cmd: Command) -> String {
    cmd.description().chars().take(24).collect()
}

#[test]
fn help_and_palette_offer_a_follower_no_command_that_records() {
    for (name, start) in [
        ("connecting", connecting as fn() -> State),
        ("following", following),
    ] {
        let mut s = start();
        let fx = update(&mut s, key(KeyCode::Char('?')), at(12, 0));
        assert_forbidden_free(&fx, "help");
        assert!(
            matches!(s.modal, Some(Modal::Help { .. })),
            "{name}: ? opens help"
        );
        let shown = screen(&mut s, 120, 60);
        assert!(
            shown.contains(&help_text(Command::Help)),
            "{name}:\n{shown}"
        );
        for cmd in Command::ALL
            .iter()
            .copied()
            .filter(|c| c.mutates() && !c.follower_may())
        {
            assert!(
                !shown.contains(&help_text(cmd)),
                "{name}: help offers {cmd:?} to a follower:\n{shown}"
            );
        }
        let offered = palette_matches(&s, "");
        assert!(offered.contains(&Command::Help));
        let recording: Vec<Command> = offered
            .into_iter()
            .filter(|c| c.mutates() && !c.follower_may())
            .collect();
        assert!(
            recording.is_empty(),
            "{name}: the palette offers {recording:?}"
        );
        // Typed by name in the palette and run: nothing.
        for cmd in Command::ALL.iter().copied().filter(|c| c.mutates()) {
            let mut s = start();
            let mut fx = update(&mut s, key(KeyCode::Char(':')), at(12, 0));
            fx.extend(type_text(&mut s, cmd.name()));
            fx.extend(update(&mut s, key(KeyCode::Enter), at(12, 0)));
            fx.extend(update(&mut s, ctrl('s'), at(12, 0)));
            assert_forbidden_free(&fx, &format!("{name}: palette {}", cmd.name()));
        }
    }
}

#[test]
fn the_follower_screen_says_whose_incident_it_is_and_that_it_is_read_only() {
    let mut s = following();
    let shown = screen(&mut s, 120, 40);
    assert!(shown.contains("Checkout 500s"), "{shown}");
    assert!(shown.contains("SEV1"), "{shown}");
    assert!(
        shown.contains("READ-ONLY — following http://127.0.0.1:7420/v1/incidents/INC-1"),
        "{shown}"
    );
    // The footer offers no key that records.
    let footer = shown.lines().last().unwrap_or_default();
    for word in ["note", "update", "resolve", "severity", "assign"] {
        assert!(!footer.contains(word), "the footer offers {word}: {footer}");
    }
}

#[test]
fn a_follower_waiting_for_its_incident_says_how_the_link_is_doing() {
    let mut s = connecting();
    let shown = screen(&mut s, 100, 30);
    assert!(
        shown.contains("Following INC-1 at http://127.0.0.1:7420/v1/incidents/INC-1"),
        "{shown}"
    );
    assert!(shown.contains("connecting"), "{shown}");
    let footer = shown.lines().last().unwrap_or_default().to_string();
    assert!(
        !footer.contains("new"),
        "the footer offers a new incident: {footer}"
    );
    // A refused token is said plainly, not shown as an endless wait.
    update(
        &mut s,
        Action::Follow(FollowEvent::Stopped(
            "the share token was refused (HTTP 403)".into(),
        )),
        at(12, 0),
    );
    let shown = screen(&mut s, 100, 30);
    assert!(
        shown.contains("stopped: the share token was refused (HTTP 403)"),
        "{shown}"
    );
}

#[test]
fn a_follower_writes_its_own_copy_of_the_draft_from_what_it_received() {
    let mut s = following();
    let received = s.current.as_ref().unwrap().entries.clone();
    let fx = update(&mut s, key(KeyCode::Char('e')), at(12, 0));
    match fx.as_slice() {
        [Effect::ExportCopy { id, entries, dir }] => {
            assert_eq!(id, "INC-1");
            assert_eq!(entries, &received);
            assert_eq!(dir, &None);
        }
        other => panic!("{other:?}"),
    }
    // The help screen offers it, as what it is.
    update(&mut s, key(KeyCode::Char('?')), at(12, 0));
    let shown = screen(&mut s, 120, 60);
    assert!(shown.contains(&help_text(Command::Export)), "{shown}");
    update(&mut s, key(KeyCode::Esc), at(12, 0));
    // Once written, the flash says whose copy it is.
    update(
        &mut s,
        Action::Exported {
            id: "INC-1".into(),
            path: "/tmp/INC-1-postmortem.md".into(),
            findings: 0,
            still_open: true,
        },
        at(12, 1),
    );
    let shown = screen(&mut s, 120, 40);
    assert!(
        shown.contains("Post-mortem draft written to /tmp/INC-1-postmortem.md (your copy"),
        "{shown}"
    );
}

/// Lines of `screen` that mention `needle`, for failure messages.
fn lines_with<'a>(screen: &'a str, needle: &str) -> Vec<&'a str> {
    screen.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn before_the_leaders_view_arrives_a_follower_says_it_is_waiting_and_offers_no_runbook_hint() {
    let mut s = connecting();
    update(&mut s, Action::Follow(FollowEvent::Connected), at(12, 0));
    update(
        &mut s,
        Action::Follow(FollowEvent::Entries(checkout_entries())),
        at(12, 0),
    );
    for (w, h) in [(80, 24), (160, 45)] {
        let shown = screen(&mut s, w, h);
        assert!(
            shown.contains("waiting for the leader"),
            "{w}x{h}: says it waits for the leader's view:\n{shown}"
        );
        assert!(
            shown.contains("Actions: none running") || shown.contains("no action running"),
            "{w}x{h}: the actions are the leader's runs:\n{shown}"
        );
        for wrong in ["not connected", "runbook", "no alerts shared"] {
            assert!(
                !shown.contains(wrong),
                "{w}x{h}: {wrong:?} means nothing to a follower: {:?}\n{shown}",
                lines_with(&shown, wrong)
            );
        }
    }
    // The leader's console has no view to share: said, not waited for.
    update(&mut s, Action::Follow(FollowEvent::NoViews), at(12, 0));
    for (w, h) in [(80, 24), (160, 45)] {
        let shown = screen(&mut s, w, h);
        assert!(
            shown.contains("the leader") && shown.contains("shares no"),
            "{w}x{h}: says the leader shares no view:\n{shown}"
        );
        for wrong in ["waiting for the leader", "not connected", "runbook"] {
            assert!(!shown.contains(wrong), "{w}x{h}: {wrong:?}\n{shown}");
        }
    }
}

#[test]
fn once_the_leaders_view_arrives_a_follower_shows_it_and_still_no_runbook_hint() {
    let mut s = following();
    let shown = screen(&mut s, 160, 45);
    assert!(shown.contains("firing"), "the leader's alerts:\n{shown}");
    for wrong in ["waiting for the leader", "not connected", "runbook"] {
        assert!(!shown.contains(wrong), "{wrong:?}\n{shown}");
    }
}
