//! Resolving from the console: the question asked while something is still wrong (and its
//! answer in the journal), and the silences expired at resolution, recorded in the incident
//! and its post-mortem, against a real Alertmanager.

use crate::support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;
use support::console::*;
use support::servers;
use tokio::sync::mpsc::unbounded_channel;
use warroom::backends::alertmanager::Alertmanager;
use warroom::backends::http::Endpoint;
use warroom::backends::{Matcher, http_client};
use warroom::console::action::{Action, Effect};
use warroom::console::keymap::Keymap;
use warroom::console::state::{Modal, State};
use warroom::console::update::update;
use warroom::domain::{AlertRef, Event, NoteKind, Severity};
use warroom::journal::{FileStore, Journal};

fn commit(s: &mut State, id: &str, seq: u64, event: Event) {
    update(
        s,
        Action::Appended {
            id: id.into(),
            entries: vec![entry(seq, at(12, 0), "alice", event)],
            cleared_draft: false,
        },
        at(12, 0),
    );
}

fn firing_link() -> Event {
    Event::AlertLinked {
        alert: AlertRef {
            fingerprint: "a1".into(),
            name: "HighErrorRate".into(),
            labels: [("service".to_string(), "checkout".to_string())].into(),
            starts_at: at(-2, 0),
            ends_at: None,
            generator_url: None,
            summary: None,
        },
        firing: true,
    }
}

#[test]
fn resolving_while_things_are_wrong_asks_once_and_journals_the_answer() {
    let mut s = leading();
    commit(&mut s, "INC-1", 8, firing_link());
    // INC-1 has a commander (alice); its linked alert still fires.
    let fx = press(&mut s, vec![key(KeyCode::Char('R'))]);
    assert!(fx.is_empty());
    let question = match &s.modal {
        Some(Modal::ConfirmResolve { wrong, .. }) => wrong.join("\n"),
        other => panic!("R opened {other:?}"),
    };
    assert!(question.contains("HighErrorRate"), "{question}");
    assert!(!question.contains("commander"), "{question}");
    // Yes: the summary editor, and no second question on sending.
    press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert!(
        matches!(s.modal, Some(Modal::Editor { .. })),
        "{:?}",
        s.modal
    );
    type_text(&mut s, "rolled back");
    let fx = press(&mut s, vec![ctrl('s')]);
    let events = appends(&fx);
    assert_eq!(events.len(), 2, "{events:?}");
    match &events[0] {
        Event::Note {
            kind: NoteKind::Decision,
            text,
        } => {
            assert!(text.contains("Resolved although"), "{text}");
            assert!(text.contains("HighErrorRate"), "{text}");
        }
        other => panic!("the answer was not journaled first: {other:?}"),
    }
    assert_eq!(
        events[1],
        Event::Resolved {
            summary: Some("rolled back".into())
        }
    );
}

#[test]
fn answering_no_resolves_nothing_and_says_so() {
    let mut s = leading_without_commander();
    press(&mut s, vec![key(KeyCode::Char('R'))]);
    match &s.modal {
        Some(Modal::ConfirmResolve { wrong, .. }) => {
            assert!(
                wrong.iter().any(|w| w.contains("no commander")),
                "{wrong:?}"
            )
        }
        other => panic!("R opened {other:?}"),
    }
    let fx = press(&mut s, vec![key(KeyCode::Char('n'))]);
    assert!(fx.is_empty());
    assert!(s.modal.is_none());
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("not resolved"))
    );
}

#[test]
fn a_service_down_is_named_in_the_question() {
    let (catalog, board, metrics) = fifty_services();
    let mut s = leading();
    s.catalog = catalog;
    s.metrics = metrics;
    s.set_board(board);
    let down: Vec<String> = s
        .blast
        .services
        .iter()
        .filter(|x| x.state == warroom::domain::ServiceState::Down)
        .map(|x| x.name.clone())
        .collect();
    assert!(!down.is_empty(), "the fixture has a service down");
    press(&mut s, vec![key(KeyCode::Char('R'))]);
    match &s.modal {
        Some(Modal::ConfirmResolve { wrong, .. }) => {
            for d in &down {
                assert!(
                    wrong.iter().any(|w| w.contains(d.as_str())),
                    "{d}: {wrong:?}"
                );
            }
        }
        other => panic!("R opened {other:?}"),
    }
}

#[test]
fn resolving_when_all_is_well_asks_nothing() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('R'))]);
    assert!(
        matches!(s.modal, Some(Modal::Editor { .. })),
        "{:?}",
        s.modal
    );
    type_text(&mut s, "done");
    let fx = press(&mut s, vec![ctrl('s')]);
    assert_eq!(
        appends(&fx),
        vec![Event::Resolved {
            summary: Some("done".into())
        }]
    );
}

#[test]
fn a_resolve_draft_sent_later_still_asks_first() {
    // The editor reached from a kept draft skips R: the question comes on sending.
    let mut s = leading();
    commit(&mut s, "INC-1", 8, firing_link());
    s.modal = None;
    if let Some(c) = s.current.as_mut() {
        c.draft = Some(warroom::console::action::Draft {
            purpose: warroom::console::action::Purpose::Resolve,
            text: "rolled back".into(),
            saved_at: at(11, 0),
        });
    }
    s.modal = Some(Modal::DraftOffer(
        s.current.as_ref().unwrap().draft.clone().unwrap(),
    ));
    press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(matches!(s.modal, Some(Modal::Editor { .. })));
    let fx = press(&mut s, vec![ctrl('s')]);
    assert!(appends(&fx).is_empty(), "{fx:?}");
    assert!(matches!(s.modal, Some(Modal::ConfirmResolve { .. })));
    // No: back in the editor, the text kept.
    press(&mut s, vec![key(KeyCode::Char('n'))]);
    match &s.modal {
        Some(Modal::Editor { text, .. }) => assert_eq!(text.lines().join("\n"), "rolled back"),
        other => panic!("{other:?}"),
    }
    press(&mut s, vec![ctrl('s')]);
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    let events = appends(&fx);
    assert!(matches!(
        events.as_slice(),
        [Event::Note { .. }, Event::Resolved { .. }]
    ));
}

/// Drains actions from the journal worker until `want` matches one, or fails after 10 s.
async fn wait_for(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>,
    state: &mut State,
    want: impl Fn(&Action) -> bool,
) -> Vec<Action> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let a = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("the journal worker did not answer; saw {seen:?}"))
            .expect("worker alive");
        let hit = want(&a);
        seen.push(format!("{a:?}"));
        update(state, a, chrono::Utc::now());
        if hit {
            return vec![];
        }
    }
}

fn keypress(state: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(
        state,
        Action::Key(KeyEvent::new(code, mods)),
        chrono::Utc::now(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_expired_at_resolution_are_recorded_and_the_postmortem_says_so() {
    let Some(am) = servers::alertmanager(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let id = store
        .create(
            "alice",
            chrono::Utc::now(),
            "Checkout 500s",
            Severity::Sev1,
            None,
        )
        .unwrap()
        .id()
        .to_string();
    let client = Alertmanager::new(
        Endpoint::new(http_client().unwrap(), &am.url, Duration::from_secs(5)).unwrap(),
    );

    let (tx, mut rx) = unbounded_channel();
    let (worker, _thread) =
        warroom::console::effects::spawn(store.clone(), "alice".into(), tx).unwrap();
    let mut state = State::new("alice".into(), Keymap::default(), vec![]);
    worker.send(Effect::Open { id: id.clone() }).unwrap();
    wait_for(&mut rx, &mut state, |a| matches!(a, Action::Opened { .. })).await;
    let send_all = |effects: Vec<Effect>| {
        for e in effects {
            worker.send(e).unwrap();
        }
    };

    // Take command, then a silence created in Alertmanager and recorded, as the console
    // does for `m`.
    send_all(keypress(&mut state, KeyCode::Char('C'), KeyModifiers::NONE));
    wait_for(&mut rx, &mut state, |a| {
        matches!(a, Action::Appended { .. })
    })
    .await;
    let now = chrono::Utc::now();
    let ends_at = now + chrono::Duration::hours(2);
    let silence_id = client
        .create_silence(
            &[Matcher::equal("alertname", "HighErrorRate")],
            now,
            ends_at,
            "alice",
            &format!("{id}: Checkout 500s"),
        )
        .await
        .unwrap();
    worker
        .send(Effect::Record {
            id: id.clone(),
            event: Event::SilenceCreated {
                silence_id: silence_id.clone(),
                source: "am".into(),
                matchers: vec!["alertname=\"HighErrorRate\"".into()],
                ends_at,
                comment: format!("{id}: Checkout 500s"),
            },
        })
        .unwrap();
    wait_for(&mut rx, &mut state, |a| matches!(a, Action::Entries { .. })).await;

    // R, a summary, ctrl-s: resolved; then "Expire it now?" y.
    send_all(keypress(&mut state, KeyCode::Char('R'), KeyModifiers::NONE));
    for c in "rolled back".chars() {
        send_all(keypress(&mut state, KeyCode::Char(c), KeyModifiers::NONE));
    }
    send_all(keypress(
        &mut state,
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    ));
    wait_for(&mut rx, &mut state, |a| {
        matches!(a, Action::Appended { entries, .. }
            if entries.iter().any(|e| matches!(e.event, Event::Resolved { .. })))
    })
    .await;
    assert!(
        matches!(state.modal, Some(Modal::ExpireSilences(_))),
        "{:?}",
        state.modal
    );
    let fx = keypress(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    let silences = match fx.as_slice() {
        [Effect::ExpireSilences { silences, .. }] => silences.clone(),
        other => panic!("{other:?}"),
    };
    // What the console's loop does with it: expire in Alertmanager, then record.
    for (source, sid) in silences {
        client.expire_silence(&sid).await.unwrap();
        worker
            .send(Effect::Record {
                id: id.clone(),
                event: Event::SilenceExpired {
                    silence_id: sid,
                    source,
                },
            })
            .unwrap();
    }
    let expired_in_am = client
        .silences()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id == silence_id)
        .is_some_and(|s| !s.is_active());
    assert!(expired_in_am, "Alertmanager still runs the silence");
    wait_for(&mut rx, &mut state, |a| {
        matches!(a, Action::Entries { .. } | Action::Problem(_))
    })
    .await;
    assert!(state.problems.is_empty(), "{:?}", state.problems);

    let journal = store.open(&id).unwrap();
    let events: Vec<Event> = journal
        .records()
        .iter()
        .map(|r| r.entry.event.clone())
        .collect();
    assert!(
        events.iter().any(|e| matches!(e,
            Event::SilenceExpired { silence_id: s, .. } if *s == silence_id)),
        "{events:?}"
    );
    let entries: Vec<warroom::domain::Entry> =
        journal.records().iter().map(|r| r.entry.clone()).collect();
    let incident = warroom::domain::Incident::fold(&id, &entries).unwrap();
    assert_eq!(incident.live_silences(chrono::Utc::now()).count(), 0);
    let (draft, _) = warroom::postmortem::render(
        warroom::domain::ExportFormat::Markdown,
        &entries,
        &incident,
        chrono::Utc::now(),
    );
    assert!(
        draft.contains(&format!("silence {silence_id} on am expired")),
        "{draft}"
    );
}
