//! The console's reducer, driven key by key with a fixed clock: what a call leader types
//! becomes exactly the journal events they meant, and nothing else.

use crate::support;

use crossterm::event::KeyCode;
use support::console::*;
use warroom::console::action::{Action, Draft, Effect, Lead, Purpose};
use warroom::console::state::Modal;
use warroom::console::update::update;
use warroom::domain::{Event, NoteKind, Role, Severity, Status};

#[test]
fn opening_an_incident_from_the_list_asks_for_title_and_severity() {
    let mut s = on_list();
    press(&mut s, vec![key(KeyCode::Char('o'))]);
    type_text(&mut s, "Payments timeouts");
    // Default sev2; tab twice → sev4, shift-tab once → sev3.
    let fx = press(
        &mut s,
        vec![
            key(KeyCode::Tab),
            key(KeyCode::Tab),
            key(KeyCode::BackTab),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(
        fx,
        vec![Effect::Create {
            title: "Payments timeouts".into(),
            severity: Severity::Sev3
        }]
    );
    // The console enters it once created.
    assert_eq!(
        update(&mut s, Action::Created { id: "INC-3".into() }, at(12, 1)),
        vec![Effect::Open { id: "INC-3".into() }]
    );
}

#[test]
fn an_empty_title_opens_nothing_and_says_why() {
    let mut s = on_list();
    let fx = press(&mut s, vec![key(KeyCode::Char('o')), key(KeyCode::Enter)]);
    assert!(fx.is_empty());
    assert_eq!(
        s.flash.as_ref().map(|f| f.text.as_str()),
        Some("title is empty")
    );
    assert!(matches!(s.modal, Some(Modal::NewIncident { .. })));
}

#[test]
fn a_note_typed_and_sent_becomes_one_note_event() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('n'))]);
    let typed = type_text(&mut s, "db pool exhausted\non primary");
    // Every keystroke is saved as a draft, so a crash loses nothing.
    assert!(typed.iter().all(|e| matches!(e, Effect::SaveDraft { .. })));
    let fx = press(&mut s, vec![ctrl('s')]);
    assert_eq!(
        appends(&fx),
        vec![Event::Note {
            kind: NoteKind::Observation,
            text: "db pool exhausted\non primary".into()
        }]
    );
    assert!(matches!(
        fx[0],
        Effect::Append {
            clears_draft: true,
            ..
        }
    ));
    assert!(s.modal.is_none());
    assert_eq!(s.saving, 1, "shown as saving until committed");
}

#[test]
fn hypothesis_and_decision_keys_pick_the_note_kind() {
    for (k, kind) in [('h', NoteKind::Hypothesis), ('d', NoteKind::Decision)] {
        let mut s = leading();
        press(&mut s, vec![key(KeyCode::Char(k))]);
        type_text(&mut s, "x");
        let fx = press(&mut s, vec![ctrl('s')]);
        assert_eq!(
            appends(&fx),
            vec![Event::Note {
                kind,
                text: "x".into()
            }]
        );
    }
}

#[test]
fn a_status_update_is_sent_with_ctrl_s() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('u'))]);
    type_text(&mut s, "Conditions: recovering");
    let fx = press(&mut s, vec![ctrl('s')]);
    assert_eq!(
        appends(&fx),
        vec![Event::StatusUpdate {
            text: "Conditions: recovering".into()
        }]
    );
}

#[test]
fn a_cancelled_editor_writes_nothing_to_the_journal_but_keeps_the_draft() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('n'))]);
    type_text(&mut s, "half a thought");
    let fx = press(&mut s, vec![key(KeyCode::Esc)]);
    assert!(appends(&fx).is_empty());
    assert!(s.modal.is_none());
    let draft = s.current.as_ref().and_then(|c| c.draft.clone()).unwrap();
    assert_eq!(draft.text, "half a thought");
    // Opening the same editor again continues it.
    press(&mut s, vec![key(KeyCode::Char('n'))]);
    let fx = press(&mut s, vec![ctrl('s')]);
    assert_eq!(
        appends(&fx),
        vec![Event::Note {
            kind: NoteKind::Observation,
            text: "half a thought".into()
        }]
    );
}

#[test]
fn an_empty_editor_closed_writes_nothing_and_leaves_no_draft() {
    let mut s = leading();
    let fx = press(&mut s, vec![key(KeyCode::Char('u')), key(KeyCode::Esc)]);
    assert!(fx.is_empty());
    // Sending an empty update is refused on the spot, the editor stays open.
    let fx = press(&mut s, vec![key(KeyCode::Char('u')), ctrl('s')]);
    assert!(fx.is_empty());
    assert!(matches!(s.modal, Some(Modal::Editor { .. })));
    assert_eq!(
        s.flash.as_ref().map(|f| f.text.as_str()),
        Some("status update is empty")
    );
}

#[test]
fn severity_picker_records_the_change_from_the_current_severity() {
    let mut s = leading();
    let fx = press(
        &mut s,
        vec![key(KeyCode::Char('s')), key(KeyCode::Char('3'))],
    );
    assert_eq!(
        appends(&fx),
        vec![Event::SeverityChanged {
            from: Severity::Sev1,
            to: Severity::Sev3
        }]
    );
    // Picking the severity it already has writes nothing.
    let fx = press(
        &mut s,
        vec![key(KeyCode::Char('s')), key(KeyCode::Char('1'))],
    );
    assert!(appends(&fx).is_empty());
}

#[test]
fn status_picker_moves_with_arrows_and_enter() {
    let mut s = leading();
    let fx = press(
        &mut s,
        vec![
            key(KeyCode::Char('S')),
            key(KeyCode::Down),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(
        appends(&fx),
        vec![Event::StatusChanged {
            from: Status::Investigating,
            to: Status::Identified
        }]
    );
}

#[test]
fn assigning_a_role_asks_for_the_person() {
    let mut s = leading();
    press(
        &mut s,
        vec![key(KeyCode::Char('a')), key(KeyCode::Char('3'))],
    );
    type_text(&mut s, "dave");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert_eq!(
        appends(&fx),
        vec![Event::RoleAssigned {
            role: Role::Scribe,
            person: "dave".into()
        }]
    );
}

#[test]
fn resolving_takes_an_optional_summary() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('R'))]);
    type_text(&mut s, "rolled back pricing");
    let fx = press(&mut s, vec![ctrl('s')]);
    assert_eq!(
        appends(&fx),
        vec![Event::Resolved {
            summary: Some("rolled back pricing".into())
        }]
    );
    let mut s = leading();
    let fx = press(&mut s, vec![key(KeyCode::Char('R')), ctrl('s')]);
    assert_eq!(appends(&fx), vec![Event::Resolved { summary: None }]);
}

#[test]
fn nothing_is_shown_as_done_before_it_is_committed() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('n'))]);
    type_text(&mut s, "cache cold");
    press(&mut s, vec![ctrl('s')]);
    let before = s.current.as_ref().unwrap().entries.len();
    assert_eq!(before, 7);
    let committed = entry(
        8,
        at(12, 0),
        "alice",
        Event::Note {
            kind: NoteKind::Observation,
            text: "cache cold".into(),
        },
    );
    update(
        &mut s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![committed],
            cleared_draft: true,
        },
        at(12, 1),
    );
    let c = s.current.as_ref().unwrap();
    assert_eq!(c.entries.len(), 8);
    assert_eq!(c.incident.as_ref().unwrap().notes, 4);
    assert_eq!(s.saving, 0);
}

#[test]
fn a_refused_append_is_reported_and_the_draft_kept() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('n'))]);
    type_text(&mut s, "keep me");
    press(&mut s, vec![ctrl('s')]);
    update(
        &mut s,
        Action::AppendFailed {
            id: "INC-1".into(),
            reason: "disk full".into(),
        },
        at(12, 1),
    );
    let flash = s.flash.clone().unwrap();
    assert!(flash.error);
    assert!(flash.text.contains("disk full"), "{}", flash.text);
    assert!(flash.text.contains("kept as a draft"), "{}", flash.text);
    assert_eq!(
        s.current.as_ref().unwrap().draft.as_ref().unwrap().text,
        "keep me"
    );
}

/// INC-1 opened in a console while bob leads it elsewhere.
fn read_only() -> warroom::console::state::State {
    let mut s = on_list();
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries: checkout_entries(),
            lead: Lead::ReadOnly {
                holder: "bob (pid 7 on host, since 2026-11-21T09:00:00Z)".into(),
            },
            draft: None,
        },
        at(12, 0),
    );
    s
}

#[test]
fn a_read_only_console_refuses_what_only_the_leader_records() {
    let mut s = read_only();
    for k in [
        'd', 's', 'S', 'a', 'C', 'R', 't', 'H', 'z', 'A', 'p', 'e', 'f',
    ] {
        let fx = press(&mut s, vec![key(KeyCode::Char(k))]);
        assert!(fx.is_empty(), "key {k} asked for {fx:?}");
        assert!(s.modal.is_none(), "key {k} opened {:?}", s.modal);
        let said = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
        assert!(
            said.contains("INC-1 is read-only here (led by bob"),
            "key {k}: {said}"
        );
    }
    // Quitting a read-only view needs no confirmation: nothing is led.
    assert_eq!(
        press(&mut s, vec![key(KeyCode::Char('q'))]),
        vec![Effect::Quit]
    );
}

/// Whoever does not lead still writes observations, hypotheses and status updates, each
/// under their own name (the journal worker appends them as this console's user).
#[test]
fn a_read_only_console_records_notes_hypotheses_and_status_updates() {
    for (k, text, want) in [
        (
            'n',
            "pool exhausted on db-2",
            Event::Note {
                kind: NoteKind::Observation,
                text: "pool exhausted on db-2".into(),
            },
        ),
        (
            'h',
            "a bad deploy",
            Event::Note {
                kind: NoteKind::Hypothesis,
                text: "a bad deploy".into(),
            },
        ),
        (
            'u',
            "Checkout failing for 30%",
            Event::StatusUpdate {
                text: "Checkout failing for 30%".into(),
            },
        ),
    ] {
        let mut s = read_only();
        press(&mut s, vec![key(KeyCode::Char(k))]);
        assert!(
            matches!(s.modal, Some(Modal::Editor { .. })),
            "key {k}: {:?}",
            s.flash
        );
        let mut fx = type_text(&mut s, text);
        fx.extend(press(&mut s, vec![ctrl('s')]));
        assert_eq!(appends(&fx), vec![want], "key {k}");
    }
}

#[test]
fn quitting_while_leading_asks_first() {
    let mut s = leading();
    assert!(press(&mut s, vec![key(KeyCode::Char('q'))]).is_empty());
    assert!(matches!(s.modal, Some(Modal::ConfirmQuit)));
    assert!(press(&mut s, vec![key(KeyCode::Char('n'))]).is_empty());
    assert!(!s.quit);
    press(&mut s, vec![key(KeyCode::Char('q'))]);
    assert_eq!(
        press(&mut s, vec![key(KeyCode::Char('y'))]),
        vec![Effect::Quit]
    );
    assert!(s.quit);
}

#[test]
fn a_saved_draft_is_offered_back_on_entering_the_incident() {
    let mut s = on_list();
    let draft = Draft {
        purpose: Purpose::StatusUpdate,
        text: "Conditions: half-written".into(),
        saved_at: at(11, 0),
    };
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries: checkout_entries(),
            lead: Lead::Leading,
            draft: Some(draft),
        },
        at(12, 0),
    );
    assert!(matches!(s.modal, Some(Modal::DraftOffer(_))));
    press(&mut s, vec![key(KeyCode::Enter)]);
    type_text(&mut s, " done");
    let fx = press(&mut s, vec![ctrl('s')]);
    assert_eq!(
        appends(&fx),
        vec![Event::StatusUpdate {
            text: "Conditions: half-written done".into()
        }]
    );
}

#[test]
fn the_palette_completes_and_runs_commands_by_name() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char(':'))]);
    type_text(&mut s, "stat");
    // "status" and "status-update" both start with it; tab completes to the first.
    press(&mut s, vec![key(KeyCode::Tab)]);
    match &s.modal {
        Some(Modal::Palette { query, .. }) => assert_eq!(query, "status"),
        other => panic!("palette closed: {other:?}"),
    }
    press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(matches!(s.modal, Some(Modal::Picker(_))));
}

#[test]
fn g_g_jumps_to_the_oldest_entry_and_shift_g_back_to_the_newest() {
    let mut s = leading();
    press(
        &mut s,
        vec![key(KeyCode::Char('g')), key(KeyCode::Char('g'))],
    );
    assert_eq!(s.current.as_ref().unwrap().scroll, 6);
    press(&mut s, vec![key(KeyCode::Char('G'))]);
    assert_eq!(s.current.as_ref().unwrap().scroll, 0);
}

#[test]
fn entries_from_another_process_appear_and_fold() {
    let mut s = leading();
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(
                8,
                at(12, 0),
                "bob",
                Event::SeverityChanged {
                    from: Severity::Sev1,
                    to: Severity::Sev2,
                },
            )],
        },
        at(12, 0),
    );
    let c = s.current.as_ref().unwrap();
    assert_eq!(c.incident.as_ref().unwrap().severity, Severity::Sev2);
    let again = c.entries[7].clone();
    // The same entry delivered twice is shown once.
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![again],
        },
        at(12, 0),
    );
    assert_eq!(s.current.as_ref().unwrap().entries.len(), 8);
}

#[test]
fn linking_the_selected_alert_records_it_and_pressing_again_unlinks() {
    let mut s = leading();
    s.set_board(board_with_alerts());
    // The pane lists cart first (sorted by service), then checkout's two alerts.
    let fx = press(
        &mut s,
        vec![
            key(KeyCode::Tab),
            key(KeyCode::Down),
            key(KeyCode::Char('l')),
        ],
    );
    match appends(&fx).as_slice() {
        [Event::AlertLinked { alert, firing }] => {
            assert_eq!(alert.name, "HighErrorRate");
            assert_eq!(alert.labels["service"], "checkout");
            assert!(*firing);
        }
        other => panic!("{other:?}"),
    }
    let linked = fx.iter().find_map(|e| match e {
        Effect::Append { event, .. } => Some(event.clone()),
        _ => None,
    });
    update(
        &mut s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![entry(8, at(12, 0), "alice", linked.unwrap())],
            cleared_draft: false,
        },
        at(12, 0),
    );
    let fx = press(&mut s, vec![key(KeyCode::Char('l'))]);
    assert_eq!(
        appends(&fx),
        vec![Event::AlertUnlinked {
            fingerprint: "a1".into()
        }]
    );
}

#[test]
fn a_silence_is_prefilled_from_the_alert_and_names_the_incident() {
    let mut s = leading();
    s.set_board(board_with_alerts());
    press(
        &mut s,
        vec![
            key(KeyCode::Tab),
            key(KeyCode::Down),
            key(KeyCode::Char('m')),
        ],
    );
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    match fx.as_slice() {
        [
            Effect::CreateSilence {
                id,
                sources,
                matchers,
                ends_at,
                comment,
            },
        ] => {
            assert_eq!(id, "INC-1");
            // Both Alertmanagers report it, so both get the silence.
            assert_eq!(sources, &vec!["am-eu".to_string(), "am-us".to_string()]);
            assert_eq!(
                matchers,
                &vec![
                    "alertname=\"HighErrorRate\"".to_string(),
                    "service=\"checkout\"".to_string(),
                    "instance=\"checkout-1:9100\"".to_string()
                ]
            );
            assert_eq!(*ends_at, at(72, 0), "an hour from now");
            assert_eq!(comment, "INC-1: Checkout 500s (silenced by alice)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn resolving_offers_to_expire_the_silences_created_during_the_incident() {
    let mut s = leading();
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(
                8,
                at(8, 0),
                "alice",
                Event::SilenceCreated {
                    silence_id: "s-1".into(),
                    source: "am-eu".into(),
                    matchers: vec!["alertname=\"HighErrorRate\"".into()],
                    ends_at: at(68, 0),
                    comment: "INC-1".into(),
                },
            )],
        },
        at(12, 0),
    );
    update(
        &mut s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![entry(
                9,
                at(12, 0),
                "alice",
                Event::Resolved { summary: None },
            )],
            cleared_draft: true,
        },
        at(12, 0),
    );
    assert!(matches!(s.modal, Some(Modal::ExpireSilences(_))));
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert_eq!(
        fx,
        vec![Effect::ExpireSilences {
            id: "INC-1".into(),
            silences: vec![("am-eu".into(), "s-1".into())]
        }]
    );
}
