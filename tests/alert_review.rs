//! The per-alert review round trip: keys in the console (`y`, `N` in an alert's details, `M`
//! on the incident) → the real journal → the post-mortem's alert review → the report's
//! signal and noise. And `warroom review-alert` on the command line.

use crate::support;

use crossterm::event::KeyCode;
use support::console::*;
use warroom::console::action::{Action, Effect};
use warroom::console::state::{Modal, State};
use warroom::console::update::update;
use warroom::domain::{AlertVerdict, ExportFormat, Severity, StatusCadence};
use warroom::journal::{FileJournal, FileStore, Journal};
use warroom::report::{Facts, Figures, Filter};

/// Appends what the keys asked for to the journal and hands the committed entries back to the
/// console, as the journal worker does.
fn commit(s: &mut State, j: &mut FileJournal, fx: &[Effect]) -> usize {
    let events = appends(fx);
    for e in &events {
        let r = j.append("alice", at(40, 0), e.clone()).unwrap();
        update(
            s,
            Action::Appended {
                id: j.id().to_string(),
                entries: vec![r.entry.clone()],
                cleared_draft: true,
            },
            at(40, 0),
        );
    }
    events.len()
}

fn open_details(s: &mut State) {
    if s.modal.is_none() {
        press(s, vec![key(KeyCode::Enter)]);
    }
    assert!(
        matches!(s.modal, Some(Modal::AlertDetail(..))),
        "{:?}",
        s.modal
    );
}

#[test]
fn keys_record_the_review_and_the_post_mortem_and_report_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let mut j = store
        .create("alice", at(-5, 0), "Checkout 500s", Severity::Sev1, None)
        .unwrap();
    let mut s = on_list();
    update(
        &mut s,
        Action::Opened {
            id: j.id().to_string(),
            entries: j.records().iter().map(|r| r.entry.clone()).collect(),
            lead: warroom::console::action::Lead::Leading,
            draft: None,
        },
        at(12, 0),
    );
    s.set_board(board_with_alerts());
    press(
        &mut s,
        vec![key(KeyCode::Tab), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    open_details(&mut s);

    // Not linked yet: the review is refused, saying why; nothing recorded.
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert!(appends(&fx).is_empty(), "{fx:?}");
    assert!(
        s.flash
            .as_ref()
            .unwrap()
            .text
            .contains("only its linked alerts")
    );
    open_details(&mut s);
    let fx = press(&mut s, vec![key(KeyCode::Char('l'))]);
    assert_eq!(commit(&mut s, &mut j, &fx), 1);

    // N: noise, then y: actionable; the newest verdict stands. The details stay open.
    open_details(&mut s);
    let fx = press(&mut s, vec![key(KeyCode::Char('N'))]);
    assert_eq!(commit(&mut s, &mut j, &fx), 1);
    assert!(matches!(s.modal, Some(Modal::AlertDetail(..))));
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert_eq!(commit(&mut s, &mut j, &fx), 1);

    // M on the incident: the missing alert's form.
    press(&mut s, vec![key(KeyCode::Esc)]);
    assert!(s.modal.is_none());
    press(&mut s, vec![key(KeyCode::Char('M'))]);
    assert!(
        matches!(s.modal, Some(Modal::Editor { .. })),
        "{:?}",
        s.modal
    );
    let mut fx = type_text(&mut s, "no alert on the <payments> queue");
    fx.extend(press(&mut s, vec![ctrl('s')]));
    assert_eq!(commit(&mut s, &mut j, &fx), 1);

    // The journal, read again from disk.
    let j = store.open(j.id()).unwrap();
    let incident = j.incident().unwrap();
    let review = &incident.alert_review;
    assert_eq!(review.verdicts.len(), 1);
    assert_eq!(review.verdicts[0].verdict, AlertVerdict::Actionable);
    assert_eq!(review.missing[0].text, "no alert on the <payments> queue");

    let (md, _) =
        warroom::postmortem::render(ExportFormat::Markdown, j.records(), incident, at(60, 0));
    assert!(md.contains("## Alert review"), "{md}");
    assert!(md.contains("| actionable | alice,"), "{md}");
    assert!(md.contains(r"no alert on the \<payments> queue"), "{md}");
    let (json, _) =
        warroom::postmortem::render(ExportFormat::Json, j.records(), incident, at(60, 0));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["alert_review"]["verdicts"][0]["verdict"], "actionable");

    let facts = Facts::of(j.records(), incident, &StatusCadence::default(), at(60, 0));
    let f = Figures::fold([&facts], &Filter::last_days(at(60, 0), 90));
    assert_eq!(f.alerts.len(), 1);
    let a = &f.alerts[0];
    assert_eq!((a.actionable, a.noise, a.reviewed), (1, 0, 1));
    assert_eq!(f.missing_alerts[0].text, "no alert on the <payments> queue");
}

#[test]
fn an_incident_without_a_review_exports_without_the_section() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let j = store
        .create("alice", at(-5, 0), "Checkout 500s", Severity::Sev1, None)
        .unwrap();
    let incident = j.incident().unwrap();
    let (md, _) =
        warroom::postmortem::render(ExportFormat::Markdown, j.records(), incident, at(60, 0));
    assert!(!md.contains("Alert review"));
    let (json, _) =
        warroom::postmortem::render(ExportFormat::Json, j.records(), incident, at(60, 0));
    assert!(!json.contains("alert_review"));
}

#[test]
fn the_cli_reviews_a_linked_alert_and_records_a_missing_one() {
    let s = support::cli::setup("", &[]);
    let out = s.run(&["review-alert", &s.id, "HighErrorRate", "noise"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::cli::stderr(&out));
    assert!(support::cli::stderr(&out).contains("only its linked alerts"));
    let out = s.run(&["review-alert", &s.id, "HighErrorRate", "maybe"]);
    assert_eq!(out.status.code(), Some(2));
    let out = s.run(&["review-alert", &s.id]);
    assert_eq!(out.status.code(), Some(2));
    let out = s.run(&["review-alert", &s.id, "--missing", "nothing on queue depth"]);
    assert!(out.status.success(), "{}", support::cli::stderr(&out));
    let missing = s.of_type("alert_missing");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["text"], "nothing on queue depth");
}
