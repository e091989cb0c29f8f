//! Alerts tied to an incident, end to end inside the console's machinery: a real Alertmanager,
//! the poller's fetch, the reducer, and the journal worker. Linked alerts that resolve or fire
//! again are journaled as `alerts_changed`, exactly once each, however often they are seen.

use crate::support;

use std::time::Duration;
use support::servers;
use tokio::sync::mpsc::unbounded_channel;
use warroom::backends::alertmanager::{AlertFilter, Alertmanager};
use warroom::backends::http::Endpoint;
use warroom::backends::poller::fetch_report;
use warroom::backends::sources::AlertSource;
use warroom::console::action::{Action, Effect};
use warroom::console::keymap::Keymap;
use warroom::console::state::State;
use warroom::console::update::update;
use warroom::domain::{Event, Severity};
use warroom::journal::{FileStore, Journal};

fn alert(service: &str, ends_in: Option<i64>) -> serde_json::Value {
    let now = chrono::Utc::now();
    let mut a = serde_json::json!({
        "labels": {"alertname": "HighErrorRate", "service": service, "severity": "critical"},
        "annotations": {"summary": format!("{service} 5xx above 5%")},
        "startsAt": (now - chrono::Duration::minutes(3)).to_rfc3339(),
        "generatorURL": "http://prometheus.example/graph?g0.expr=errors"
    });
    if let Some(s) = ends_in {
        a["endsAt"] = serde_json::json!((now + chrono::Duration::seconds(s)).to_rfc3339());
    }
    serde_json::json!([a])
}

/// Drains actions from the journal worker until `want` matches one, or fails after 10 s.
pub(crate) async fn wait_for(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>,
    state: &mut State,
    want: impl Fn(&Action) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let a = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the journal worker answered in time")
            .expect("worker alive");
        let hit = want(&a);
        update(state, a, chrono::Utc::now());
        if hit {
            return;
        }
    }
}

/// One poll of the source, fed to the console like the poller does; returns what it asks
/// to record about the linked alerts (the blast radius it also updates is another test's).
async fn poll(source: &AlertSource, filter: &AlertFilter, state: &mut State) -> Vec<Effect> {
    let report = fetch_report(source, filter, Duration::from_secs(10)).await;
    assert!(report.result.is_ok(), "{:?}", report.result);
    update(state, Action::AlertReport(report), chrono::Utc::now())
        .into_iter()
        .filter(|e| matches!(e, Effect::ObserveAlerts { .. }))
        .collect()
}

/// Polls until the console asks for something to be recorded.
async fn poll_until_change(
    source: &AlertSource,
    filter: &AlertFilter,
    state: &mut State,
    what: &str,
) -> Vec<Effect> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let fx = poll(source, filter, state).await;
        if !fx.is_empty() {
            return fx;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 20s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) fn alerts_changed(store: &FileStore, id: &str) -> Vec<Event> {
    store
        .open(id)
        .unwrap()
        .records()
        .iter()
        .map(|r| r.entry.event.clone())
        .filter(|e| matches!(e, Event::AlertsChanged { .. }))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_alerts_resolving_and_firing_again_are_journaled_exactly_once() {
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
    let client = warroom::backends::http_client().unwrap();
    let source = AlertSource::Alertmanager {
        name: "am".into(),
        client: Alertmanager::new(Endpoint::new(client, &am.url, Duration::from_secs(5)).unwrap()),
    };
    let filter = AlertFilter::default();

    // The console, leading the incident, with its journal worker.
    let (tx, mut rx) = unbounded_channel();
    let (worker, _thread) =
        warroom::console::effects::spawn(store.clone(), "alice".into(), tx).unwrap();
    let mut state = State::new("alice".into(), Keymap::default(), vec![]);
    state.set_board(warroom::domain::AlertBoard::with_sources(["am"]));
    worker.send(Effect::Open { id: id.clone() }).unwrap();
    wait_for(&mut rx, &mut state, |a| matches!(a, Action::Opened { .. })).await;

    let send_all = |effects: Vec<Effect>| {
        for e in effects {
            worker.send(e).unwrap();
        }
    };
    // Checkout's alert fires; the leader selects it in the pane and links it.
    servers::post_alerts(&am.url, &alert("checkout", None)).await;
    servers::eventually("the alert is listed", Duration::from_secs(20), || {
        let source = source.clone();
        let filter = filter.clone();
        async move {
            let r = fetch_report(&source, &filter, Duration::from_secs(10)).await;
            r.result.ok().filter(|a| !a.is_empty())
        }
    })
    .await;
    assert!(
        poll(&source, &filter, &mut state).await.is_empty(),
        "nothing linked yet, nothing to record"
    );
    for k in [
        crossterm::event::KeyCode::Tab,
        crossterm::event::KeyCode::Char('l'),
    ] {
        let fx = update(
            &mut state,
            Action::Key(crossterm::event::KeyEvent::new(
                k,
                crossterm::event::KeyModifiers::NONE,
            )),
            chrono::Utc::now(),
        );
        send_all(fx);
    }
    wait_for(&mut rx, &mut state, |a| {
        matches!(a, Action::Appended { .. })
    })
    .await;
    let linked = &state
        .current
        .as_ref()
        .unwrap()
        .incident
        .as_ref()
        .unwrap()
        .linked_alerts;
    assert_eq!(linked.len(), 1);
    assert!(linked[0].firing);
    assert_eq!(linked[0].alert.labels["service"], "checkout");

    // Still firing: polls record nothing.
    assert!(poll(&source, &filter, &mut state).await.is_empty());

    // It resolves: the next poll asks to record it. Sent twice (two polls before the worker
    // answers), it is journaled once.
    servers::post_alerts(&am.url, &alert("checkout", Some(-1))).await;
    let fx = poll_until_change(
        &source,
        &filter,
        &mut state,
        "the alert resolves in Alertmanager",
    )
    .await;
    assert!(matches!(fx.as_slice(), [Effect::ObserveAlerts { .. }]));
    send_all(fx.clone());
    send_all(fx);
    wait_for(&mut rx, &mut state, |a| matches!(a, Action::Entries { .. })).await;
    let changes = alerts_changed(&store, &id);
    assert_eq!(changes.len(), 1, "{changes:?}");
    match &changes[0] {
        Event::AlertsChanged { firing, resolved } => {
            assert!(firing.is_empty());
            assert_eq!(resolved.len(), 1);
            assert_eq!(resolved[0].name, "HighErrorRate");
            assert!(resolved[0].ends_at.is_some());
        }
        other => panic!("{other:?}"),
    }
    // Seen again after it was recorded: nothing more.
    assert!(poll(&source, &filter, &mut state).await.is_empty());

    // It fires again: one more change, recorded once.
    servers::post_alerts(&am.url, &alert("checkout", None)).await;
    let fx = poll_until_change(&source, &filter, &mut state, "the alert fires again").await;
    send_all(fx.clone());
    send_all(fx);
    wait_for(&mut rx, &mut state, |a| matches!(a, Action::Entries { .. })).await;
    // Let the worker finish the duplicate before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let changes = alerts_changed(&store, &id);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(
        matches!(&changes[1], Event::AlertsChanged { firing, resolved } if firing.len() == 1 && resolved.is_empty())
    );
    drop(am);
}

#[test]
fn a_source_that_never_answered_does_not_resolve_anything() {
    use warroom::domain::{Alert, AlertRef, AlertState, Entry, Incident};
    let t = chrono::Utc::now();
    let a = Alert {
        fingerprint: "f1".into(),
        labels: [("alertname".to_string(), "Down".to_string())].into(),
        annotations: Default::default(),
        starts_at: t,
        ends_at: None,
        generator_url: None,
        state: AlertState::Active,
        silenced_by: vec![],
        inhibited_by: vec![],
        sources: vec![],
    };
    let entries = vec![
        Entry {
            seq: 1,
            at: t,
            by: "a".into(),
            event: Event::Opened {
                title: "x".into(),
                severity: Severity::Sev1,
                summary: None,
            },
        },
        Entry {
            seq: 2,
            at: t,
            by: "a".into(),
            event: Event::AlertLinked {
                alert: AlertRef::of(&a),
                firing: true,
            },
        },
    ];
    let mut state = support::console::leading();
    state.set_board(warroom::domain::AlertBoard::with_sources(["am-a", "am-b"]));
    update(
        &mut state,
        Action::Opened {
            id: "INC-1".into(),
            entries: entries.clone(),
            lead: warroom::console::action::Lead::Leading,
            draft: None,
        },
        t,
    );
    // am-a answers with nothing; am-b has not answered yet: the linked alert is not resolved.
    let fx = update(
        &mut state,
        Action::AlertReport(warroom::backends::poller::SourceReport {
            source: "am-a".into(),
            at: t,
            result: Ok(vec![]),
            cut_short: None,
        }),
        t,
    );
    assert!(fx.is_empty(), "{fx:?}");
    // Once am-b answers (without it either), it is.
    let fx = update(
        &mut state,
        Action::AlertReport(warroom::backends::poller::SourceReport {
            source: "am-b".into(),
            at: t,
            result: Ok(vec![]),
            cut_short: None,
        }),
        t,
    );
    assert!(matches!(fx.as_slice(), [Effect::ObserveAlerts { .. }]));
    let i = Incident::fold("INC-1", &entries).unwrap();
    assert!(matches!(
        i.alert_changes::<warroom::domain::Alert>(&[], t),
        Some(Event::AlertsChanged { .. })
    ));
}
