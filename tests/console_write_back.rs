//! Writing back to an alert's source from the console: the alert's details offer only what
//! its source takes (acknowledge, comment), ask for the text, confirm, and hand the work to
//! the app loop; the outcome, taken or not, reads in plain words in the log.

use crate::support;

use crossterm::event::KeyCode;
use support::console::*;
use warroom::console::action::{Action, Effect};
use warroom::console::state::{Modal, State};
use warroom::console::update::update;
use warroom::domain::{Alert, AlertBoard, AlertState, Event, WriteBack};

fn alert(fp: &str, name: &str, service: &str) -> Alert {
    Alert {
        fingerprint: fp.into(),
        labels: [
            ("alertname".to_string(), name.to_string()),
            ("service".to_string(), service.to_string()),
        ]
        .into(),
        annotations: Default::default(),
        starts_at: at(-2, 0),
        ends_at: None,
        generator_url: None,
        state: AlertState::Active,
        silenced_by: vec![],
        inhibited_by: vec![],
        sources: vec![],
    }
}

/// Leading INC-1 with two alerts: `cart` from an Alertmanager (no write-backs), `checkout`
/// from a Nagios that takes acknowledgements and comments; the alerts pane has the focus.
fn with_nagios() -> State {
    let mut s = leading();
    let mut b = AlertBoard::with_sources(["am", "nagios"]);
    b.report_ok("am", vec![alert("am1", "QueueBacklog", "cart")], at(11, 50));
    b.report_ok(
        "nagios",
        vec![alert("ng1", "checkout-db/disk", "checkout")],
        at(11, 50),
    );
    s.set_board(b);
    s.write_backs = [(
        "nagios".to_string(),
        vec![WriteBack::Acknowledge, WriteBack::Comment],
    )]
    .into();
    press(&mut s, vec![key(KeyCode::Tab)]);
    s
}

#[test]
fn acknowledging_asks_for_the_text_confirms_and_hands_it_to_the_loop() {
    let mut s = with_nagios();
    // cart first, then checkout.
    press(&mut s, vec![key(KeyCode::Down), key(KeyCode::Enter)]);
    let shown = screen(&mut s, 100, 30);
    assert!(shown.contains("a acknowledge · c comment"), "{shown}");
    press(&mut s, vec![key(KeyCode::Char('a'))]);
    assert!(
        matches!(s.modal, Some(Modal::WriteBack(_))),
        "{:?}",
        s.modal
    );
    type_text(&mut s, ", DBA on it");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(
        fx.is_empty(),
        "nothing is sent before the confirmation: {fx:?}"
    );
    let shown = screen(&mut s, 100, 30);
    assert!(
        shown.contains("Acknowledge checkout-db/disk on nagios with:")
            && shown.contains("INC-1: Checkout 500s, DBA on it"),
        "{shown}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    match fx.as_slice() {
        [
            Effect::WriteBack {
                id,
                sources,
                alert,
                kind,
                text,
            },
        ] => {
            assert_eq!(id, "INC-1");
            assert_eq!(sources, &vec!["nagios".to_string()]);
            assert_eq!(alert.fingerprint, "ng1");
            assert_eq!(*kind, WriteBack::Acknowledge);
            assert_eq!(text, "INC-1: Checkout 500s, DBA on it");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.modal.is_none());
}

#[test]
fn a_comment_can_be_edited_again_after_the_question_and_cancelled() {
    let mut s = with_nagios();
    press(
        &mut s,
        vec![
            key(KeyCode::Down),
            key(KeyCode::Enter),
            key(KeyCode::Char('c')),
        ],
    );
    type_text(&mut s, "disk grows");
    press(&mut s, vec![key(KeyCode::Enter), key(KeyCode::Char('n'))]);
    match &s.modal {
        Some(Modal::WriteBack(f)) => {
            assert!(!f.confirming);
            assert_eq!(f.kind, WriteBack::Comment);
        }
        other => panic!("{other:?}"),
    }
    let fx = press(&mut s, vec![key(KeyCode::Esc)]);
    assert!(fx.is_empty() && s.modal.is_none(), "{fx:?}");
}

#[test]
fn an_alert_whose_source_takes_nothing_offers_nothing_and_sends_nothing() {
    let mut s = with_nagios();
    press(&mut s, vec![key(KeyCode::Enter)]);
    let shown = screen(&mut s, 100, 30);
    assert!(shown.contains("Alert QueueBacklog"), "{shown}");
    assert!(
        !shown.contains("acknowledge") && !shown.contains("comment"),
        "{shown}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Char('a'))]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        matches!(s.modal, Some(Modal::AlertDetail(..))),
        "the details stay open: {:?}",
        s.modal
    );
    let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert_eq!(flash, "am takes no acknowledge from warroom");
}

#[test]
fn help_lists_the_alert_keys_only_when_a_source_takes_them() {
    let mut s = with_nagios();
    press(&mut s, vec![key(KeyCode::Char('?'))]);
    let shown = screen(&mut s, 100, 60);
    assert!(shown.contains("In an alert's details"), "{shown}");
    assert!(shown.contains("acknowledge"), "{shown}");
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('?'))]);
    let shown = screen(&mut s, 100, 60);
    assert!(!shown.contains("In an alert's details"), "{shown}");
}

#[test]
fn the_outcome_reads_in_plain_words_in_the_log_taken_or_not() {
    let mut s = with_nagios();
    let wb = |ok: bool, detail: &str| Event::AlertWriteBack {
        source: "nagios".into(),
        fingerprint: "ng1".into(),
        alert: "checkout-db/disk".into(),
        action: "acknowledge".into(),
        text: "DBA on it".into(),
        ok,
        detail: detail.into(),
    };
    update(
        &mut s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![
                entry(8, at(11, 0), "alice", wb(true, "")),
                entry(9, at(11, 30), "alice", wb(false, "HTTP 500")),
            ],
            cleared_draft: false,
        },
        at(12, 0),
    );
    let shown = screen(&mut s, 160, 40);
    assert!(
        shown.contains("acknowledged checkout-db/disk on nagios: DBA on it"),
        "{shown}"
    );
    assert!(
        shown.contains("could NOT acknowledge checkout-db/disk on nagios: DBA on it (HTTP 500)"),
        "{shown}"
    );
    let i = s
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .unwrap();
    assert_eq!(i.write_backs.len(), 2);
    assert!(i.write_backs[0].ok && !i.write_backs[1].ok);
}

/// Leading INC-1 with `cart` from an Alertmanager and `web1/check-http` from a Sensu, which
/// takes silences as a write-back; the alerts pane has the focus.
fn with_sensu() -> State {
    let mut s = leading();
    let mut b = AlertBoard::with_sources(["am", "sensu"]);
    b.report_ok("am", vec![alert("am1", "QueueBacklog", "cart")], at(11, 50));
    b.report_ok(
        "sensu",
        vec![alert("se1", "web1/check-http", "checkout")],
        at(11, 50),
    );
    s.set_board(b);
    s.write_backs = [("sensu".to_string(), vec![WriteBack::Silence])].into();
    press(&mut s, vec![key(KeyCode::Tab)]);
    s
}

#[test]
fn m_on_a_sensu_alert_asks_for_the_reason_confirms_and_hands_a_silence_to_the_loop() {
    let mut s = with_sensu();
    press(&mut s, vec![key(KeyCode::Down), key(KeyCode::Char('m'))]);
    match &s.modal {
        Some(Modal::WriteBack(f)) => assert_eq!(f.kind, WriteBack::Silence),
        other => panic!("the write-back form, not {other:?}"),
    }
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(
        fx.is_empty(),
        "nothing is sent before the confirmation: {fx:?}"
    );
    let shown = screen(&mut s, 100, 30);
    assert!(
        shown.contains("Silence web1/check-http on sensu with:")
            && shown.contains("INC-1: Checkout 500s (silenced by"),
        "{shown}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    match fx.as_slice() {
        [
            Effect::WriteBack {
                sources,
                alert,
                kind,
                ..
            },
        ] => {
            assert_eq!(sources, &vec!["sensu".to_string()]);
            assert_eq!(alert.fingerprint, "se1");
            assert_eq!(*kind, WriteBack::Silence);
        }
        other => panic!("{other:?}"),
    }
    // An Alertmanager's alert still gets the matcher form of its own.
    let mut s = with_sensu();
    press(&mut s, vec![key(KeyCode::Char('m'))]);
    assert!(matches!(s.modal, Some(Modal::Silence(_))), "{:?}", s.modal);
}

/// [`with_nagios`] plus `payments-api down` from an OpsGenie that also takes a close.
fn with_opsgenie() -> State {
    let mut s = leading();
    let mut b = AlertBoard::with_sources(["nagios", "opsgenie"]);
    b.report_ok(
        "nagios",
        vec![alert("ng1", "checkout-db/disk", "checkout")],
        at(11, 50),
    );
    b.report_ok(
        "opsgenie",
        vec![alert("og1", "payments-api down", "payments")],
        at(11, 50),
    );
    s.set_board(b);
    s.write_backs = [
        (
            "nagios".to_string(),
            vec![WriteBack::Acknowledge, WriteBack::Comment],
        ),
        (
            "opsgenie".to_string(),
            vec![WriteBack::Acknowledge, WriteBack::Comment, WriteBack::Close],
        ),
    ]
    .into();
    press(&mut s, vec![key(KeyCode::Tab)]);
    s
}

#[test]
fn closing_is_offered_only_where_the_source_takes_it_and_is_confirmed_first() {
    let mut s = with_opsgenie();
    // checkout (nagios) first: no close offered, and C does nothing but say so.
    press(&mut s, vec![key(KeyCode::Enter)]);
    let shown = screen(&mut s, 100, 30);
    assert!(shown.contains("Alert checkout-db/disk"), "{shown}");
    assert!(shown.contains("a acknowledge · c comment"), "{shown}");
    assert!(!shown.contains("C close"), "{shown}");
    let fx = press(&mut s, vec![key(KeyCode::Char('C'))]);
    assert!(fx.is_empty(), "{fx:?}");
    let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert_eq!(flash, "nagios takes no close from warroom");
    // payments-api down (opsgenie): close offered, asked, confirmed, handed to the loop.
    press(
        &mut s,
        vec![key(KeyCode::Esc), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    let shown = screen(&mut s, 100, 30);
    assert!(
        shown.contains("a acknowledge · c comment · C close"),
        "{shown}"
    );
    press(&mut s, vec![key(KeyCode::Char('C'))]);
    type_text(&mut s, "rolled back, recovered");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(fx.is_empty(), "nothing is sent before the question: {fx:?}");
    let shown = screen(&mut s, 100, 30);
    assert!(
        shown.contains("Close payments-api down on opsgenie with:")
            && shown.contains("INC-1: rolled back, recovered"),
        "{shown}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    match fx.as_slice() {
        [
            Effect::WriteBack {
                sources,
                alert,
                kind,
                text,
                ..
            },
        ] => {
            assert_eq!(sources, &vec!["opsgenie".to_string()]);
            assert_eq!(alert.fingerprint, "og1");
            assert_eq!(*kind, WriteBack::Close);
            assert_eq!(text, "INC-1: rolled back, recovered");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_close_reads_in_plain_words_in_the_log() {
    let mut s = with_opsgenie();
    let wb = |ok: bool, detail: &str| Event::AlertWriteBack {
        source: "opsgenie".into(),
        fingerprint: "og1".into(),
        alert: "payments-api down".into(),
        action: "close".into(),
        text: "recovered".into(),
        ok,
        detail: detail.into(),
    };
    update(
        &mut s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![
                entry(8, at(11, 0), "alice", wb(true, "")),
                entry(9, at(11, 30), "alice", wb(false, "already closed")),
            ],
            cleared_draft: false,
        },
        at(12, 0),
    );
    let shown = screen(&mut s, 160, 40);
    assert!(
        shown.contains("closed payments-api down on opsgenie: recovered"),
        "{shown}"
    );
    assert!(
        shown.contains("could NOT close payments-api down on opsgenie: recovered (already closed)"),
        "{shown}"
    );
    let i = s
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .unwrap();
    assert_eq!(
        i.write_backs.len(),
        2,
        "the close is a write-back the incident keeps"
    );
}
