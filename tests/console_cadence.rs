//! The ten-minute heartbeat in the console: the prompt at zero, pre-filled; waiting (and
//! flashing) while the leader types something else; snoozes; tasks with their time boxes;
//! the handoff; and posting the update once it is committed.

use crate::support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::console::*;
use warroom::console::action::{Action, Effect, Purpose};
use warroom::console::state::{Modal, PagerDutyChoice, State};
use warroom::console::theme::Theme;
use warroom::console::update::update;
use warroom::console::views::render;
use warroom::domain::{Event, NoteKind, Role, Severity};

fn screen(s: &mut State, w: u16, h: u16, now: chrono::DateTime<chrono::Utc>) -> String {
    update(
        s,
        Action::Resize {
            width: w,
            height: h,
        },
        now,
    );
    let theme = Theme::built_in("default").unwrap();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(s, &theme, now, f)).unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn has_line(screen: &str, parts: &[&str]) -> bool {
    screen.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

fn alt(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT))
}

fn committed(s: &mut State, seq: u64, minute: i64, by: &str, event: Event) -> Vec<Effect> {
    // As the journal worker reports it: only what an editor sent clears the saved draft.
    let cleared_draft = matches!(
        event,
        Event::Note { .. } | Event::StatusUpdate { .. } | Event::Resolved { .. }
    );
    update(
        s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![entry(seq, at(minute, 0), by, event)],
            cleared_draft,
        },
        at(minute, 0),
    )
}

#[test]
fn the_header_counts_down_to_the_next_update() {
    // The last update was at minute 4: at 12:00 the next is due in 2 minutes.
    let mut s = leading();
    let text = screen(&mut s, 80, 24, at(12, 0));
    assert!(text.contains("next update in 02:00"), "{text}");
    insta::assert_snapshot!(
        "header_countdown_80x24",
        text.lines().take(2).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn at_zero_the_prompt_opens_prefilled_with_what_changed() {
    let mut s = leading();
    assert!(update(&mut s, Action::Tick, at(13, 59)).is_empty());
    assert!(s.modal.is_none());
    update(&mut s, Action::Tick, at(14, 0));
    let Some(Modal::Editor { purpose, text }) = &s.modal else {
        panic!("no prompt: {:?}", s.modal);
    };
    assert_eq!(*purpose, Purpose::StatusUpdate);
    let draft = text.lines().join("\n");
    // Short: the state now, the impact, what is next and when the next update comes.
    assert_eq!(
        draft,
        "SEV1 Checkout 500s: investigating (14m in).\n\
         Impact: none recorded.\n\
         Next: finding the cause; next update 09:24 UTC."
    );
    insta::assert_snapshot!("update_prompt_80x24", screen(&mut s, 80, 24, at(14, 0)));
    // alt-i inserts the details: here the decision recorded since the last update.
    let fx = press(&mut s, vec![alt('i')]);
    let Some(Modal::Editor { text, .. }) = &s.modal else {
        panic!("{:?}", s.modal);
    };
    let full = text.lines().join("\n");
    assert!(full.starts_with(&format!("{draft}\n\nDetails")), "{full}");
    assert!(
        full.contains("- (decision) roll back pricing to v41"),
        "{full}"
    );
    // Saved as a draft like any edit.
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SaveDraft { draft, .. } if draft.text == full)),
        "{fx:?}"
    );
}

#[test]
fn the_prompt_waits_while_an_editor_is_in_use_and_the_header_flashes() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('n'))]);
    type_text(&mut s, "half a note");
    update(&mut s, Action::Tick, at(14, 0));
    // The note editor keeps the keys.
    match &s.modal {
        Some(Modal::Editor { purpose, .. }) => assert_eq!(
            *purpose,
            Purpose::Note {
                note_kind: NoteKind::Observation
            }
        ),
        other => panic!("{other:?}"),
    }
    assert!(screen(&mut s, 80, 24, at(14, 0)).contains("STATUS UPDATE DUE"));
    // Once the note is sent and committed, the next tick opens the prompt.
    press(&mut s, vec![ctrl('s')]);
    committed(
        &mut s,
        8,
        14,
        "alice",
        Event::Note {
            kind: NoteKind::Observation,
            text: "half a note".into(),
        },
    );
    update(&mut s, Action::Tick, at(14, 1));
    assert!(matches!(
        &s.modal,
        Some(Modal::Editor {
            purpose: Purpose::StatusUpdate,
            ..
        })
    ));
}

#[test]
fn overdue_turns_the_header_critical_with_how_late() {
    let mut s = leading();
    let text = screen(&mut s, 120, 40, at(17, 30));
    assert!(text.contains("STATUS UPDATE OVERDUE 03:30"), "{text}");
    insta::assert_snapshot!(
        "header_overdue_120x40",
        text.lines().take(2).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_prompt_rings_the_bell_once_when_configured() {
    let mut s = leading();
    s.bell = true;
    assert_eq!(update(&mut s, Action::Tick, at(14, 0)), vec![Effect::Bell]);
    assert!(update(&mut s, Action::Tick, at(14, 1)).is_empty());
}

#[test]
fn a_snooze_from_the_prompt_is_journaled_and_keeps_the_text() {
    let mut s = leading();
    update(&mut s, Action::Tick, at(14, 0));
    type_text(&mut s, "payments ok");
    let fx = press(&mut s, vec![alt('5')]);
    assert_eq!(
        appends(&fx),
        vec![Event::StatusUpdateSnoozed { minutes: 5 }]
    );
    assert!(s.modal.is_none());
    let draft = s.current.as_ref().unwrap().draft.clone().unwrap();
    assert!(
        draft.text.ends_with("next update 09:24 UTC.payments ok"),
        "{}",
        draft.text
    );
    committed(
        &mut s,
        8,
        14,
        "alice",
        Event::StatusUpdateSnoozed { minutes: 5 },
    );
    // Due again five minutes after the snooze, and the prompt brings the kept text back.
    assert!(update(&mut s, Action::Tick, at(18, 59)).is_empty());
    assert!(s.modal.is_none());
    update(&mut s, Action::Tick, at(19, 0));
    match &s.modal {
        Some(Modal::Editor { text, .. }) => {
            assert!(
                text.lines()
                    .join("\n")
                    .ends_with("next update 09:24 UTC.payments ok")
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn snooze_from_the_z_key_offers_two_or_five_minutes() {
    let mut s = leading();
    let fx = press(
        &mut s,
        vec![key(KeyCode::Char('z')), key(KeyCode::Char('1'))],
    );
    assert_eq!(
        appends(&fx),
        vec![Event::StatusUpdateSnoozed { minutes: 2 }]
    );
}

#[test]
fn a_committed_update_of_ours_is_posted_to_the_webhooks() {
    let mut s = leading();
    let fx = committed(
        &mut s,
        8,
        12,
        "alice",
        Event::StatusUpdate {
            text: "all good".into(),
        },
    );
    match fx.as_slice() {
        [Effect::Deliver { id, message }] => {
            assert_eq!(id, "INC-1");
            assert_eq!(message.seq, 8);
            assert_eq!(message.text, "all good");
            assert_eq!(message.severity, Severity::Sev1);
        }
        other => panic!("{other:?}"),
    }
    // Someone else's update (another console, the CLI) is not posted again from here.
    let fx = update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(
                9,
                at(13, 0),
                "bob",
                Event::StatusUpdate { text: "x".into() },
            )],
        },
        at(13, 0),
    );
    assert!(fx.is_empty());
}

#[test]
fn a_linked_pagerduty_incident_is_shown_and_gets_our_updates_until_unlinked() {
    let mut s = leading();
    // Linked from the command line while this console leads.
    let linked = Event::PagerdutyLinked {
        incident: "PT4KHLK".into(),
        number: Some(42),
        title: "Checkout 5xx above 5%".into(),
        url: Some("https://acme.pagerduty.com/incidents/PT4KHLK".into()),
    };
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(8, at(12, 0), "bob", linked)],
        },
        at(12, 0),
    );
    let text = screen(&mut s, 120, 40, at(12, 0));
    assert!(text.contains("·  PagerDuty #42"), "{text}");
    assert!(
        has_line(
            &text,
            &[
                "bob",
                "PAGERDUTY",
                "PT4KHLK #42 linked: Checkout 5xx above 5%"
            ]
        ),
        "{text}"
    );
    let fx = committed(
        &mut s,
        9,
        12,
        "alice",
        Event::StatusUpdate {
            text: "rolling back".into(),
        },
    );
    match fx.as_slice() {
        [Effect::Deliver { message, .. }] => assert_eq!(message.pagerduty, vec!["PT4KHLK"]),
        other => panic!("{other:?}"),
    }
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(
                10,
                at(13, 0),
                "bob",
                Event::PagerdutyUnlinked {
                    incident: "PT4KHLK".into(),
                },
            )],
        },
        at(13, 0),
    );
    let fx = committed(
        &mut s,
        11,
        14,
        "alice",
        Event::StatusUpdate {
            text: "recovered".into(),
        },
    );
    match fx.as_slice() {
        [Effect::Deliver { message, .. }] => assert!(message.pagerduty.is_empty()),
        other => panic!("{other:?}"),
    }
    let text = screen(&mut s, 120, 40, at(14, 0));
    assert!(!text.contains("·  PagerDuty #42"), "{text}");
    assert!(
        has_line(&text, &["PAGERDUTY", "PT4KHLK unlinked"]),
        "{text}"
    );
}

#[test]
fn a_task_is_handed_out_with_a_time_box() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('t'))]);
    type_text(&mut s, "bob");
    press(&mut s, vec![key(KeyCode::Tab)]);
    type_text(&mut s, "check the database");
    press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Backspace)]);
    type_text(&mut s, "3");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert_eq!(
        appends(&fx),
        vec![Event::TaskAssigned {
            task: 1,
            person: "bob".into(),
            what: "check the database".into(),
            due_at: at(15, 0)
        }]
    );
}

#[test]
fn an_expired_task_is_flagged_to_chase() {
    let mut s = leading();
    committed(
        &mut s,
        8,
        7,
        "alice",
        Event::TaskAssigned {
            task: 1,
            person: "bob".into(),
            what: "check the database".into(),
            due_at: at(10, 0),
        },
    );
    committed(
        &mut s,
        9,
        8,
        "alice",
        Event::TaskAssigned {
            task: 2,
            person: "carol".into(),
            what: "page payments on-call".into(),
            due_at: at(15, 0),
        },
    );
    let text = screen(&mut s, 80, 24, at(12, 0));
    assert!(
        text.contains("T1  bob: check the database  EXPIRED 02:00 ago — chase bob"),
        "{text}"
    );
    assert!(
        text.contains("T2  carol: page payments on-call  03:00 left"),
        "{text}"
    );
    insta::assert_snapshot!("tasks_expired_80x24", text);
    // Done from the picker; x cancels instead.
    let fx = press(&mut s, vec![key(KeyCode::Char('c')), key(KeyCode::Enter)]);
    assert_eq!(appends(&fx), vec![Event::TaskDone { task: 1 }]);
    let fx = press(
        &mut s,
        vec![
            key(KeyCode::Char('c')),
            key(KeyCode::Down),
            key(KeyCode::Char('x')),
        ],
    );
    assert_eq!(appends(&fx), vec![Event::TaskCancelled { task: 2 }]);
}

#[test]
fn after_an_hour_as_commander_a_handoff_is_suggested_and_recorded_with_a_brief() {
    let mut s = leading();
    let text = screen(&mut s, 120, 40, at(61, 0));
    assert!(
        text.contains("1h00m as commander — hand off? (H)"),
        "{text}"
    );
    press(&mut s, vec![key(KeyCode::Char('H'))]);
    type_text(&mut s, "bob");
    let fx = update(&mut s, key(KeyCode::Enter), at(61, 0));
    match appends(&fx).as_slice() {
        [Event::Handoff { from, to, summary }] => {
            assert_eq!(from.as_deref(), Some("alice"));
            assert_eq!(to, "bob");
            assert!(
                summary.starts_with(
                    "SEV1 investigating, 1h01m in; bob takes command. last update 09:04"
                ),
                "{summary}"
            );
            assert!(
                summary.contains("hypotheses: pricing deploy at 08:57 broke tax lookup"),
                "{summary}"
            );
            assert!(
                summary.contains("decisions: roll back pricing to v41"),
                "{summary}"
            );
        }
        other => panic!("{other:?}"),
    }
    committed(&mut s, 8, 61, "alice", appends(&fx)[0].clone());
    assert_eq!(
        s.current
            .as_ref()
            .unwrap()
            .incident
            .as_ref()
            .unwrap()
            .holder(Role::Commander),
        Some("bob")
    );
}

fn pd_choice(id: &str, number: u64, status: &str, title: &str) -> PagerDutyChoice {
    PagerDutyChoice {
        id: id.into(),
        number: Some(number),
        title: title.into(),
        status: status.into(),
        url: Some(format!("https://acme.pagerduty.com/incidents/{id}")),
    }
}

/// PagerDuty's answer to `P` on incident `id`, as the console's runtime delivers it.
fn pagerduty_answers(s: &mut State, id: &str, result: Result<Vec<PagerDutyChoice>, String>) {
    update(
        s,
        Action::PagerDutyListed {
            id: id.into(),
            result,
        },
        at(12, 0),
    );
}

#[test]
fn p_offers_pagerdutys_open_incidents_and_links_or_unlinks_the_chosen_one() {
    let mut s = leading();
    // Without [pagerduty] nothing is asked, and the leader is told what is missing.
    let fx = press(&mut s, vec![key(KeyCode::Char('P'))]);
    assert!(fx.is_empty(), "{fx:?}");
    let text = screen(&mut s, 120, 40, at(12, 0));
    assert!(text.contains("no [pagerduty] in config.toml"), "{text}");

    s.pagerduty_configured = true;
    let fx = press(&mut s, vec![key(KeyCode::Char('P'))]);
    assert!(
        matches!(fx.as_slice(), [Effect::ListPagerDuty { id }] if id == "INC-1"),
        "{fx:?}"
    );
    // An answer for another incident (the leader moved on) opens nothing.
    pagerduty_answers(
        &mut s,
        "INC-2",
        Ok(vec![pd_choice("PT4KHLK", 42, "triggered", "Checkout 5xx")]),
    );
    assert!(s.modal.is_none());
    pagerduty_answers(
        &mut s,
        "INC-1",
        Ok(vec![
            pd_choice("PT4KHLK", 42, "triggered", "Checkout 5xx above 5%"),
            pd_choice("PXYZ123", 43, "acknowledged", "Cart latency"),
        ]),
    );
    let text = screen(&mut s, 120, 40, at(12, 0));
    assert!(
        text.contains("PagerDuty incident (enter links or unlinks)"),
        "{text}"
    );
    assert!(
        text.contains("PT4KHLK #42 [triggered] Checkout 5xx above 5%"),
        "{text}"
    );
    assert!(
        text.contains("PXYZ123 #43 [acknowledged] Cart latency"),
        "{text}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Down), key(KeyCode::Enter)]);
    assert_eq!(
        appends(&fx),
        vec![Event::PagerdutyLinked {
            incident: "PXYZ123".into(),
            number: Some(43),
            title: "Cart latency".into(),
            url: Some("https://acme.pagerduty.com/incidents/PXYZ123".into()),
        }]
    );
    committed(
        &mut s,
        8,
        12,
        "alice",
        Event::PagerdutyLinked {
            incident: "PXYZ123".into(),
            number: Some(43),
            title: "Cart latency".into(),
            url: None,
        },
    );
    let text = screen(&mut s, 120, 40, at(12, 0));
    assert!(text.contains("PagerDuty #43"), "{text}");

    // PagerDuty no longer lists it (resolved there): it is still offered, as linked, and
    // choosing it unlinks it.
    press(&mut s, vec![key(KeyCode::Char('P'))]);
    pagerduty_answers(&mut s, "INC-1", Ok(vec![]));
    let text = screen(&mut s, 120, 40, at(12, 0));
    assert!(text.contains("PXYZ123 #43 [linked] Cart latency"), "{text}");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert_eq!(
        appends(&fx),
        vec![Event::PagerdutyUnlinked {
            incident: "PXYZ123".into()
        }]
    );
    committed(
        &mut s,
        9,
        12,
        "alice",
        Event::PagerdutyUnlinked {
            incident: "PXYZ123".into(),
        },
    );

    // Nothing to offer, or PagerDuty failing: said, and no picker.
    press(&mut s, vec![key(KeyCode::Char('P'))]);
    pagerduty_answers(&mut s, "INC-1", Ok(vec![]));
    assert!(s.modal.is_none());
    let text = screen(&mut s, 120, 40, at(12, 0));
    assert!(
        text.contains("PagerDuty lists no triggered or acknowledged incident"),
        "{text}"
    );
    press(&mut s, vec![key(KeyCode::Char('P'))]);
    pagerduty_answers(&mut s, "INC-1", Err("token rejected (401)".into()));
    assert!(s.modal.is_none());
    let text = screen(&mut s, 120, 40, at(12, 0));
    assert!(text.contains("PagerDuty: token rejected (401)"), "{text}");
}
