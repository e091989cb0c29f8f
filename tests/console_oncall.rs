//! `W` in the console: who is on call for the most affected service the on-call source knows,
//! enter on a person asks "page them?", `y` pages; the `paged` outcome shows in the log and
//! keeps the person on the work board until they check in.

use crate::support;

use crossterm::event::KeyCode;
use support::console::*;
use warroom::backends::oncall::OnCallPerson;
use warroom::console::action::{Action, Effect};
use warroom::console::state::{Modal, State};
use warroom::console::update::update;
use warroom::domain::Event;

fn person(name: &str, handle: &str, level: u32) -> OnCallPerson {
    OnCallPerson {
        name: name.into(),
        handle: handle.into(),
        level,
        until: Some(at(300, 0)),
        id: format!("P{}", name.len()),
        via: "Payments primary".into(),
    }
}

fn answer(s: &mut State, id: &str, result: Result<Vec<OnCallPerson>, String>) {
    update(
        s,
        Action::OnCallListed {
            id: id.into(),
            service: "payments".into(),
            result,
        },
        at(12, 0),
    );
}

fn press_w(s: &mut State) -> Vec<Effect> {
    s.modal = None;
    press(s, vec![key(KeyCode::Char('W'))])
}

#[test]
fn w_without_an_on_call_source_says_what_to_configure() {
    let mut s = leading_with_blast();
    let fx = press_w(&mut s);
    assert!(fx.is_empty(), "{fx:?}");
    let text = screen(&mut s, 140, 40);
    assert!(text.contains("set [pagerduty] oncall_services"), "{text}");
    // Known services, none of them affected: said, nothing asked.
    s.oncall_services = vec!["ledger".into()];
    assert!(press_w(&mut s).is_empty());
    let text = screen(&mut s, 140, 40);
    assert!(
        text.contains("no affected service with an on-call mapping (known: ledger)"),
        "{text}"
    );
}

#[test]
fn w_offers_who_is_on_call_and_pages_only_once_confirmed() {
    let mut s = leading_with_blast();
    s.oncall_services = vec!["payments".into(), "search".into()];
    let fx = press_w(&mut s);
    assert!(
        matches!(fx.as_slice(), [Effect::ListOnCall { id, service }] if id == "INC-1" && service == "payments"),
        "payments is the most affected service with an on-call mapping: {fx:?}"
    );
    // An answer for another incident opens nothing; a failure is said.
    answer(
        &mut s,
        "INC-2",
        Ok(vec![person("Kim Park", "kim@example.com", 1)]),
    );
    assert!(s.modal.is_none());
    answer(
        &mut s,
        "INC-1",
        Err("PagerDuty on-call for payments: token rejected (HTTP 401)".into()),
    );
    assert!(s.modal.is_none());
    assert!(screen(&mut s, 140, 40).contains("token rejected (HTTP 401)"));

    let people = vec![
        person("Kim Park", "kim@example.com", 1),
        person("Lee Turner", "lee@example.com", 1),
        person("Dana Ode", "dana@example.com", 2),
    ];
    press_w(&mut s);
    answer(&mut s, "INC-1", Ok(people.clone()));
    let text = screen(&mut s, 140, 40);
    assert!(text.contains("Who is on call (enter pages)"), "{text}");
    assert!(
        text.contains(
            "payments: L1  Lee Turner <lee@example.com>  until 14:00Z 21 Nov  (Payments primary)"
        ),
        "{text}"
    );
    assert!(
        text.contains("payments: L2  Dana Ode <dana@example.com>"),
        "{text}"
    );
    // Enter asks first; any key but y pages nobody.
    let fx = press(&mut s, vec![key(KeyCode::Down), key(KeyCode::Enter)]);
    assert!(fx.is_empty(), "{fx:?}");
    let text = screen(&mut s, 140, 40);
    assert!(
        text.contains("Page Lee Turner <lee@example.com>?")
            && text.contains("On call for payments (level 1); asked to join."),
        "{text}"
    );
    let fx = press(&mut s, vec![key(KeyCode::Char('n'))]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(s.modal.is_none());

    press_w(&mut s);
    answer(&mut s, "INC-1", Ok(people));
    let fx = press(
        &mut s,
        vec![
            key(KeyCode::Down),
            key(KeyCode::Enter),
            key(KeyCode::Char('y')),
        ],
    );
    match fx.as_slice() {
        [
            Effect::Page {
                id,
                service,
                person,
                message,
                linked,
            },
        ] => {
            assert_eq!((id.as_str(), service.as_str()), ("INC-1", "payments"));
            assert_eq!(person.name, "Lee Turner");
            assert!(message.starts_with("INC-1 SEV1: "), "{message}");
            assert!(
                message.ends_with("please join the incident (paged by alice)"),
                "{message}"
            );
            assert!(linked.is_empty());
        }
        other => panic!("one page expected: {other:?}"),
    }
    assert!(screen(&mut s, 140, 40).contains("paging Lee Turner…"));
}

#[test]
fn a_paged_person_shows_in_the_log_and_on_the_work_board_until_they_check_in() {
    let mut s = leading();
    let last = s
        .current
        .as_ref()
        .unwrap()
        .incident
        .as_ref()
        .unwrap()
        .last_seq;
    let paged = Event::Paged {
        person: "Lee Turner".into(),
        handle: "lee@example.com".into(),
        service: "payments".into(),
        via: "PagerDuty".into(),
        message: "join".into(),
        ok: true,
        detail: "responder request sent to Lee Turner on PagerDuty incident PT4KHLK".into(),
    };
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(last + 1, at(12, 0), "alice", paged)],
        },
        at(12, 0),
    );
    let text = screen(&mut s, 160, 40);
    assert!(
        text.lines().any(|l| l.contains("PAGED")
            && l.contains("paged Lee Turner <lee@example.com> for payments via PagerDuty")),
        "{text}"
    );
    press(&mut s, vec![key(KeyCode::Char('w')), key(KeyCode::Tab)]);
    let text = screen(&mut s, 160, 40);
    assert!(
        text.contains(
            "Lee Turner <lee@example.com>  paged 09:12Z via PagerDuty for payments — not checked in"
        ),
        "{text}"
    );
    s.modal = None;
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(
                last + 2,
                at(13, 0),
                "lee",
                Event::CheckIn {
                    conditions: "on the bridge".into(),
                    actions: None,
                    needs: None,
                },
            )],
        },
        at(13, 0),
    );
    press(&mut s, vec![key(KeyCode::Char('w')), key(KeyCode::Tab)]);
    let text = screen(&mut s, 160, 40);
    assert!(!text.contains("not checked in"), "{text}");
    assert!(matches!(s.modal, Some(Modal::Board { work: true, .. })));
}
