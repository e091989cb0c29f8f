//! The post-mortem from the console: `f` adds a follow-up through a small form, `e` exports the
//! draft — asked for by the reducer as an effect, carried out by the journal worker, which
//! writes the file and appends exactly one `postmortem_exported` line.

use crate::support;

use crossterm::event::KeyCode;
use support::console::*;
use warroom::console::action::{Action, Effect, Lead};
use warroom::console::state::{KindFilter, Modal};
use warroom::console::update::update;
use warroom::domain::{Event, ExportFormat, FollowUpKind, NoteKind};
use warroom::journal::{FileStore, Journal};

#[test]
fn a_follow_up_typed_into_the_form_becomes_one_follow_up_event() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('f'))]);
    assert!(matches!(s.modal, Some(Modal::FollowUp(_))));
    type_text(&mut s, "Validate the tax config in CI");
    // Type: prevent by default; → twice makes it process, ← once mitigate… back to prevent.
    press(
        &mut s,
        vec![
            key(KeyCode::Tab),
            key(KeyCode::Right),
            key(KeyCode::Right),
            key(KeyCode::Left),
            key(KeyCode::Tab),
        ],
    );
    type_text(&mut s, "carol");
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert_eq!(
        appends(&fx),
        vec![Event::FollowUp {
            text: "Validate the tax config in CI".into(),
            kind: FollowUpKind::Process,
            owner: Some("carol".into()),
        }]
    );
    assert!(s.modal.is_none());
}

#[test]
fn an_empty_follow_up_is_refused_and_the_form_stays() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('f'))]);
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(fx.is_empty());
    assert_eq!(
        s.flash.as_ref().map(|f| f.text.as_str()),
        Some("follow-up is empty")
    );
    assert!(matches!(s.modal, Some(Modal::FollowUp(_))));
}

#[test]
fn the_kind_filter_moved_to_capital_f() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('F'))]);
    assert_eq!(s.current.as_ref().unwrap().kind_filter, KindFilter::Notes);
    assert!(s.modal.is_none());
}

/// A console leading INC-1 once it is resolved.
fn resolved() -> warroom::console::state::State {
    let mut s = leading();
    let mut entries = checkout_entries();
    entries.push(entry(
        8,
        at(30, 0),
        "alice",
        Event::Resolved {
            summary: Some("rolled back".into()),
        },
    ));
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries,
            lead: Lead::Leading,
            draft: None,
        },
        at(31, 0),
    );
    s
}

#[test]
fn e_asks_for_the_export_on_a_resolved_incident_and_f_still_works() {
    let mut s = resolved();
    s.export_dir = Some("/tmp/postmortems".into());
    let fx = press(&mut s, vec![key(KeyCode::Char('e'))]);
    assert_eq!(
        fx,
        vec![Effect::Export {
            id: "INC-1".into(),
            format: ExportFormat::Markdown,
            dir: Some("/tmp/postmortems".into()),
        }]
    );
    press(&mut s, vec![key(KeyCode::Char('f'))]);
    assert!(matches!(s.modal, Some(Modal::FollowUp(_))));
    // Other records stay closed once resolved.
    press(&mut s, vec![key(KeyCode::Esc), key(KeyCode::Char('n'))]);
    assert!(s.modal.is_none());
}

#[test]
fn a_read_only_console_neither_exports_nor_adds_follow_ups() {
    let mut s = on_list();
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries: checkout_entries(),
            lead: Lead::ReadOnly {
                holder: "bob".into(),
            },
            draft: None,
        },
        at(12, 0),
    );
    for k in ['e', 'f'] {
        let fx = press(&mut s, vec![key(KeyCode::Char(k))]);
        assert!(fx.is_empty());
        assert!(s.modal.is_none());
    }
}

/// INC-1, "Checkout 500s", opened by alice at 0:00.
fn checkout(store: &FileStore) -> warroom::journal::FileJournal {
    store
        .create(
            "alice",
            at(0, 0),
            "Checkout 500s",
            warroom::domain::Severity::Sev1,
            None,
        )
        .unwrap()
}

#[test]
fn the_worker_writes_the_draft_and_journals_one_export_line_only() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let store = FileStore::new(data.path());
    let mut journal = checkout(&store);
    for (m, e) in [
        (
            1,
            Event::Note {
                kind: NoteKind::Observation,
                text: "alice forgot the canary".into(),
            },
        ),
        (2, Event::Resolved { summary: None }),
    ] {
        journal.append("alice", at(m, 0), e).unwrap();
    }
    let entries: Vec<_> = journal.records().iter().map(|r| r.entry.clone()).collect();
    let path = journal.path().to_path_buf();
    drop(journal);
    let before = std::fs::read(&path).unwrap();

    // The reducer asks…
    let mut s = on_list();
    s.export_dir = Some(out.path().to_path_buf());
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries,
            lead: Lead::Leading,
            draft: None,
        },
        at(5, 0),
    );
    let fx = press(&mut s, vec![key(KeyCode::Char('e'))]);
    assert_eq!(fx.len(), 1);

    // …the worker carries it out and answers.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (worker, handle) =
        warroom::console::effects::spawn(store.clone(), "alice".into(), tx).unwrap();
    // As in the console, the worker has the incident open (and leads it).
    worker.send(Effect::Open { id: "INC-1".into() }).unwrap();
    for e in fx {
        worker.send(e).unwrap();
    }
    let written = loop {
        let a = rx.blocking_recv().expect("the worker answers");
        let done = match &a {
            Action::Exported { path, .. } => Some(path.clone()),
            Action::AppendFailed { reason, .. } => panic!("{reason}"),
            _ => None,
        };
        update(&mut s, a, at(5, 0));
        if let Some(p) = done {
            break p;
        }
    };
    drop(worker);
    handle.join().unwrap();

    let expected = out.path().join("INC-1-postmortem.md");
    assert_eq!(written, expected.display().to_string());
    let draft = std::fs::read_to_string(&expected).unwrap();
    assert!(draft.starts_with("# INC-1 post-mortem: Checkout 500s"));
    assert!(draft.contains("\"alice forgot\""));
    let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert!(
        flash.starts_with(&format!(
            "Post-mortem draft written to {}",
            expected.display()
        )) && flash.ends_with("1 phrase to review before sharing"),
        "{flash}"
    );
    assert_eq!(s.saving, 0);

    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    let added = std::str::from_utf8(&after[before.len()..]).unwrap();
    assert_eq!(added.matches('\n').count(), 1);
    let line: serde_json::Value = serde_json::from_str(added.trim_end()).unwrap();
    assert_eq!(line["event"]["type"], "postmortem_exported");
    assert_eq!(line["event"]["format"], "markdown");
    assert_eq!(line["event"]["path"], expected.display().to_string());
    // The console shows the new entry like any other.
    let shown = s.current.as_ref().unwrap().entries.last().unwrap();
    assert_eq!(shown.event.type_name(), "postmortem_exported");
}

#[test]
fn neither_the_console_nor_a_follower_writes_its_draft_inside_the_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let store = FileStore::new(data.path());
    let mut journal = checkout(&store);
    journal
        .append("alice", at(1, 0), Event::Resolved { summary: None })
        .unwrap();
    let entries: Vec<_> = journal.records().iter().map(|r| r.entry.clone()).collect();
    let incident_dir = journal.path().parent().unwrap().to_path_buf();
    drop(journal);
    let before = crate::common::snapshot_without_kept(data.path());

    // The leader's `e`, with `[postmortem] dir` pointing into the data directory.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (worker, handle) =
        warroom::console::effects::spawn(store.clone(), "alice".into(), tx).unwrap();
    worker.send(Effect::Open { id: "INC-1".into() }).unwrap();
    for dir in [incident_dir.clone(), data.path().to_path_buf()] {
        worker
            .send(Effect::Export {
                id: "INC-1".into(),
                format: ExportFormat::Markdown,
                dir: Some(dir.clone()),
            })
            .unwrap();
        let reason = loop {
            match rx.blocking_recv().expect("the worker answers") {
                Action::AppendFailed { reason, .. } => break reason,
                Action::Exported { path, .. } => panic!("the draft was written to {path}"),
                _ => {}
            }
        };
        let target = dir.join("INC-1-postmortem.md");
        assert!(
            reason.contains(&target.display().to_string()) && reason.contains("data directory"),
            "{reason}"
        );
    }
    drop(worker);
    handle.join().unwrap();
    // The lead lock the worker took, and the summaries the console keeps, may differ.
    let mut after = crate::common::snapshot_without_kept(data.path());
    after.retain(|p, _| !p.ends_with("journal.lock"));
    assert_eq!(
        after, before,
        "the console's export changed the data directory"
    );

    // A follower's copy, into its own data directory.
    for dir in [incident_dir.clone(), data.path().to_path_buf()] {
        let answer = warroom::console::effects::export_copy(
            "INC-1".into(),
            &entries,
            Some(dir.clone()),
            data.path(),
        );
        match answer {
            Action::ExportFailed { reason, .. } => assert!(
                reason.contains(&dir.join("INC-1-postmortem.md").display().to_string())
                    && reason.contains("data directory"),
                "{reason}"
            ),
            other => panic!("the follower's copy was written: {other:?}"),
        }
    }
    // The lead lock the worker took, and the summaries the console keeps, may differ.
    let mut after = crate::common::snapshot_without_kept(data.path());
    after.retain(|p, _| !p.ends_with("journal.lock"));
    assert_eq!(
        after, before,
        "the follower's export changed the data directory"
    );
}

/// The peak a post-mortem's impact shows comes from what the console read: a service that
/// gets better records the highest value its key metric reached (its history and the value
/// now), here 0.31 half an hour of history ago rather than the 0.25 it had when it went down.
#[test]
fn a_service_that_gets_better_records_the_peak_the_console_read() {
    use warroom::backends::metrics::MetricsReport;
    use warroom::domain::{Service, ServiceCatalog, ServiceMetric, ServiceState};
    let mut s = leading();
    let mut checkout = Service::discovered("checkout");
    checkout.metrics = vec![ServiceMetric {
        name: "error ratio".into(),
        query: warroom::domain::MetricQuery::Promql("errors".into()),
        bands: warroom::domain::Bands {
            degraded_above: Some(0.02),
            down_above: Some(0.2),
            ..Default::default()
        },
    }];
    s.catalog = ServiceCatalog {
        services: vec![checkout],
    };
    s.metrics_expected = true;
    let mut seq = 100;
    let mut read = |s: &mut warroom::console::state::State, minute: i64, value: f64| {
        let report = MetricsReport {
            at: at(minute, 0),
            values: [(
                "checkout".to_string(),
                [("error ratio".to_string(), value)].into(),
            )]
            .into(),
            history: [(
                "checkout".to_string(),
                vec![
                    (at(minute - 2, 0), Some(0.24)),
                    (at(minute - 1, 30), Some(0.31)),
                ],
            )]
            .into(),
            errors: vec![],
        };
        let fx = update(s, Action::Metrics(report), at(minute, 0));
        let blast = fx
            .iter()
            .find_map(|e| match e {
                Effect::ObserveBlast { blast, .. } => Some(blast.clone()),
                _ => None,
            })
            .expect("the blast radius is observed");
        // As the journal worker decides and commits it.
        let i = s.current.as_ref().unwrap().incident.clone().unwrap();
        let event = i.blast_changes(&blast).expect("a change");
        seq += 1;
        update(
            s,
            Action::Appended {
                id: "INC-1".into(),
                entries: vec![entry(seq, at(minute, 0), "alice", event.clone())],
                cleared_draft: false,
            },
            at(minute, 0),
        );
        event
    };
    let Event::BlastRadiusChanged { changes } = read(&mut s, 20, 0.25) else {
        panic!()
    };
    assert_eq!(changes[0].to, ServiceState::Down);
    assert_eq!(changes[0].peak, None, "worse: no period ended");
    let Event::BlastRadiusChanged { changes } = read(&mut s, 22, 0.001) else {
        panic!()
    };
    assert_eq!(changes[0].to, ServiceState::Ok);
    let peak = changes[0]
        .peak
        .clone()
        .expect("the peak of the period it ends");
    assert_eq!((peak.metric.as_str(), peak.value), ("error ratio", 0.31));
    assert_eq!(peak.at, at(21, 30));
}
