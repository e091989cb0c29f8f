//! Corrections in the console: on the selected log entry, `E` amends, `r` retracts, `V`
//! moves; on the list, `D` marks an incident a duplicate. Each asks for a reason and a
//! confirmation before anything is recorded; the log then shows the corrected view, and enter
//! on a corrected entry shows its history.

use crate::support;

use crossterm::event::KeyCode;
use support::console::*;
use warroom::console::action::{Across, Action, Effect};
use warroom::console::state::{Modal, State};
use warroom::console::update::update;
use warroom::domain::Event;

/// `k` n times: the selection moves from the newest entry back.
fn select_back(s: &mut State, n: usize) {
    press(s, (0..n).map(|_| key(KeyCode::Char('k'))).collect());
}

fn committed(s: &mut State, seq: u64, event: Event) {
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

fn flash(s: &State) -> String {
    s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default()
}

#[test]
fn amending_a_notes_time_asks_a_reason_and_confirmation_then_reorders_the_log() {
    let mut s = leading();
    select_back(&mut s, 2); // #5, carol's hypothesis at 09:03
    press(&mut s, vec![key(KeyCode::Char('E'))]);
    assert!(matches!(s.modal, Some(Modal::Correct(_))), "{:?}", s.modal);
    // The text, then the time (prefilled with 09:03:00): replace it.
    press(&mut s, vec![key(KeyCode::Tab)]);
    press(&mut s, (0..8).map(|_| key(KeyCode::Backspace)).collect());
    type_text(&mut s, "09:00:20");
    // Past the note's kind, left as it is, to the reason.
    press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Tab)]);
    // No reason: refused, nothing sent.
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(flash(&s).contains("a reason is required"), "{}", flash(&s));
    type_text(&mut s, "the deploy was seen at 09:00");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(fx.is_empty(), "nothing before the confirmation: {fx:?}");
    let shown = screen(&mut s, 80, 24);
    assert!(shown.contains("Record this amendment?"), "{shown}");
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    let sent = appends(&fx);
    assert_eq!(
        sent,
        vec![Event::Amended {
            entry: 5,
            text: None,
            kind: None,
            occurred_at: Some(at(0, 20)),
            reason: "the deploy was seen at 09:00".into()
        }]
    );
    committed(&mut s, 8, sent[0].clone());
    let shown = screen(&mut s, 80, 24);
    let row = shown
        .lines()
        .find(|l| l.contains("pricing deploy"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(row.contains("09:00:20") && row.contains("✎"), "{shown}");
    let pos = |needle: &str| {
        shown
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}: {shown}"))
    };
    assert!(
        pos("pricing deploy") < pos("5xx on /checkout"),
        "timeline order: {shown}"
    );
}

#[test]
fn amending_a_notes_kind_in_the_form_records_it_and_the_log_shows_the_new_kind() {
    let mut s = leading();
    select_back(&mut s, 2); // #5, carol's hypothesis at 09:03
    press(&mut s, vec![key(KeyCode::Char('E'))]);
    // The text, the time, then the kind: shown with the note's own kind, changed with the
    // arrows.
    press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Tab)]);
    let shown = screen(&mut s, 80, 24);
    let kind_row = |shown: &str| {
        shown
            .lines()
            .find(|l| l.contains("Kind"))
            .unwrap_or_else(|| panic!("no kind in the form: {shown}"))
            .to_string()
    };
    assert!(kind_row(&shown).contains("hypothesis"), "{shown}");
    press(&mut s, vec![key(KeyCode::Right)]);
    let shown = screen(&mut s, 80, 24);
    assert!(kind_row(&shown).contains("decision"), "{shown}");
    // Typing in the kind field changes nothing else (no text lands anywhere).
    type_text(&mut s, "x");
    // Then the reason.
    press(&mut s, vec![key(KeyCode::Tab)]);
    type_text(&mut s, "we decided it, it was no guess");
    press(&mut s, vec![key(KeyCode::Enter)]);
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    let sent = appends(&fx);
    assert_eq!(
        sent,
        vec![Event::Amended {
            entry: 5,
            text: None,
            kind: Some(warroom::domain::NoteKind::Decision),
            occurred_at: None,
            reason: "we decided it, it was no guess".into()
        }]
    );
    committed(&mut s, 8, sent[0].clone());
    let shown = screen(&mut s, 100, 24);
    let row = shown
        .lines()
        .find(|l| l.contains("pricing deploy") && !l.contains("amended"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        row.contains("✎") && row.contains("DECISION") && !row.contains("HYPOTHESIS"),
        "{shown}"
    );
    // Still selected: its history says what the kind was and became.
    press(&mut s, vec![key(KeyCode::Enter)]);
    let shown = screen(&mut s, 100, 24);
    assert!(shown.contains("hypothesis: "), "{shown}");
    assert!(shown.contains("kind decision"), "{shown}");
    // Back to the same kind: nothing changed, nothing is sent.
    press(&mut s, vec![key(KeyCode::Esc)]);
    press(
        &mut s,
        vec![
            key(KeyCode::Char('E')),
            key(KeyCode::Tab),
            key(KeyCode::Tab),
        ],
    );
    press(&mut s, vec![key(KeyCode::Left), key(KeyCode::Right)]);
    press(&mut s, vec![key(KeyCode::Tab)]);
    type_text(&mut s, "again");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(flash(&s).contains("nothing changed"), "{}", flash(&s));
}

#[test]
fn enter_on_a_corrected_entry_shows_its_history() {
    let mut s = leading();
    committed(
        &mut s,
        8,
        Event::Amended {
            entry: 7,
            text: Some("roll back pricing to v40".into()),
            kind: None,
            occurred_at: None,
            reason: "v41 had the bug too".into(),
        },
    );
    // The newest row is the amendment itself; #7 is one back.
    select_back(&mut s, 1);
    press(&mut s, vec![key(KeyCode::Enter)]);
    let shown = screen(&mut s, 80, 24);
    assert!(shown.contains("History:"), "{shown}");
    assert!(
        shown.contains("decision: roll back pricing to v41"),
        "{shown}"
    );
    assert!(
        shown.contains("#8 by alice: text \"roll back pricing to v40\" — v41 had the bug"),
        "{shown}"
    );
    insta::assert_snapshot!("history_popup_80x24", shown);
}

#[test]
fn a_retracted_note_stays_struck_through_with_its_reason() {
    let mut s = leading();
    select_back(&mut s, 4); // #3, bob's observation
    press(&mut s, vec![key(KeyCode::Char('r'))]);
    type_text(&mut s, "it was the staging dashboard");
    press(&mut s, vec![key(KeyCode::Enter)]);
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    let sent = appends(&fx);
    assert_eq!(
        sent,
        vec![Event::Retracted {
            entry: 3,
            reason: "it was the staging dashboard".into()
        }]
    );
    committed(&mut s, 8, sent[0].clone());
    let shown = screen(&mut s, 120, 30);
    let row = shown
        .lines()
        .find(|l| l.contains("5xx on /checkout"))
        .unwrap();
    assert!(row.contains("retracted:"), "{shown}");
    // Still selected: enter shows it whole, with why.
    press(&mut s, vec![key(KeyCode::Enter)]);
    let shown = screen(&mut s, 120, 30);
    assert!(
        shown.contains("RETRACTED: it was the staging dashboard"),
        "{shown}"
    );
}

#[test]
fn only_notes_are_retracted_or_moved_and_the_refusal_says_why() {
    let mut s = leading();
    select_back(&mut s, 1); // #6, the status update
    for k in ['r', 'V'] {
        let fx = press(&mut s, vec![key(KeyCode::Char(k))]);
        assert!(fx.is_empty() && s.modal.is_none(), "{k}: {:?}", s.modal);
        assert!(flash(&s).contains("#6 is not a note"), "{k}: {}", flash(&s));
    }
}

#[test]
fn moving_a_note_and_marking_a_duplicate_go_to_both_journals() {
    let mut s = leading();
    // #7 is the newest and selected.
    press(&mut s, vec![key(KeyCode::Char('V'))]);
    type_text(&mut s, "inc-2");
    press(&mut s, vec![key(KeyCode::Tab)]);
    type_text(&mut s, "belongs to the search outage");
    press(&mut s, vec![key(KeyCode::Enter)]);
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert_eq!(
        fx,
        vec![Effect::CorrectAcross(Across::Move {
            id: "INC-1".into(),
            seq: 7,
            to: "INC-2".into(),
            reason: "belongs to the search outage".into()
        })]
    );

    let mut s = on_list();
    press(&mut s, vec![key(KeyCode::Char('D'))]);
    type_text(&mut s, "INC-2");
    press(&mut s, vec![key(KeyCode::Tab)]);
    type_text(&mut s, "one outage");
    press(&mut s, vec![key(KeyCode::Enter)]);
    let shown = screen(&mut s, 80, 24);
    assert!(shown.contains("Close it as a duplicate"), "{shown}");
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert_eq!(fx.len(), 1, "{fx:?}");
    assert!(
        matches!(&fx[0], Effect::CorrectAcross(Across::Merge { into, reason, .. })
            if into == "INC-2" && reason == "one outage"),
        "{fx:?}"
    );
}

#[test]
fn the_keys_are_in_help_and_a_duplicate_says_where_to_go() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('?'))]);
    let shown = screen(&mut s, 160, 60);
    for k in [
        "amend the selected log entry",
        "retract the selected note",
        "move the selected note",
    ] {
        assert!(shown.contains(k), "{k}: {shown}");
    }
    let mut s = leading();
    committed(
        &mut s,
        8,
        Event::MarkedDuplicate {
            of: "INC-2".into(),
            reason: "one outage".into(),
        },
    );
    let shown = screen(&mut s, 120, 30);
    assert!(
        shown.contains("DUPLICATE — INC-1 is closed as a duplicate of INC-2: go to INC-2"),
        "{shown}"
    );
}

#[test]
fn redacting_the_selected_entry_asks_why_and_its_text_leaves_the_screen() {
    let mut s = leading();
    // #7, the newest, is selected.
    press(&mut s, vec![key(KeyCode::Char('Z'))]);
    type_text(&mut s, "pasted a customer's card number");
    press(&mut s, vec![key(KeyCode::Enter)]);
    let shown = screen(&mut s, 80, 24);
    assert!(shown.contains("Redact it?"), "{shown}");
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert_eq!(
        fx,
        vec![Effect::Redact {
            id: "INC-1".into(),
            seq: 7,
            reason: "pasted a customer's card number".into()
        }]
    );
    committed(
        &mut s,
        8,
        Event::Redacted {
            entry: 7,
            of: "note".into(),
            reason: "pasted a customer's card number".into(),
            role: None,
        },
    );
    let shown = screen(&mut s, 120, 30);
    assert!(!shown.contains("roll back pricing to v41"), "{shown}");
    assert!(shown.contains("REDACTED"), "{shown}");
}
