//! A real Alertmanager pushing to `warroom serve`'s intake through a webhook receiver with a
//! bearer secret: alerts fired at Alertmanager (amtool) reach the board grouped, a linked one
//! that resolves is journaled exactly once by the console's machinery (the poller's fetch of
//! the intake source, the reducer, the journal worker), and a receiver with the wrong secret
//! is refused (401) and records nothing.

use crate::alerts_in_incident::{alerts_changed, wait_for};
use crate::support;

use std::time::{Duration, Instant};
use support::intake::{Serve, alertmanager_pushing};
use support::servers;
use tokio::sync::mpsc::unbounded_channel;
use warroom::backends::alertmanager::AlertFilter;
use warroom::backends::poller::fetch_report;
use warroom::backends::sources::AlertSource;
use warroom::console::action::{Action, Effect};
use warroom::console::keymap::Keymap;
use warroom::console::state::State;
use warroom::console::update::update;
use warroom::domain::{Event, Severity};
use warroom::journal::{FileStore, Journal};

const SECRET: &str = "am-intake-secret-0123456789abcdef";

/// `amtool alert add` against `am`: fires (or, with `end`, ends) HighErrorRate for `service`.
fn amtool_alert(am: &servers::Server, service: &str, end: Option<chrono::DateTime<chrono::Utc>>) {
    let Some(amtool) = servers::require(
        "amtool (Debian package prometheus-alertmanager)",
        &["amtool"],
    ) else {
        panic!("amtool is missing beside Alertmanager");
    };
    let mut cmd = std::process::Command::new(amtool);
    cmd.arg(format!("--alertmanager.url={}", am.url))
        .args(["alert", "add", "HighErrorRate"])
        .arg(format!("service={service}"))
        .arg("severity=critical")
        .arg(format!("--annotation=summary={service} 5xx above 5%"));
    if let Some(end) = end {
        cmd.arg(format!("--end={}", end.to_rfc3339()));
    }
    let out = cmd.output().expect("run amtool");
    assert!(
        out.status.success(),
        "amtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_pushes_fire_group_and_resolve_and_a_linked_resolution_is_journaled_once() {
    let serve = Serve::start(
        "[[intake]]\nname = \"am\"\nkind = \"alertmanager\"\nsecret_env = \"AM_SECRET\"\n\n[[intake]]\nname = \"am2\"\nkind = \"alertmanager\"\nsecret_env = \"AM_SECRET\"\n",
        &[("AM_SECRET", SECRET)],
    );
    let Some(am) = alertmanager_pushing(&serve.url, SECRET) else {
        return;
    };
    let source = AlertSource::Intake {
        name: "am".into(),
        spool: serve.spool("am"),
        stale_after: None,
    };
    let filter = AlertFilter::default();

    // Two services fire: two groups, each pushed after group_wait.
    let fired = Instant::now();
    amtool_alert(&am, "checkout", None);
    amtool_alert(&am, "cart", None);
    let firing = servers::eventually(
        "both alerts reach the intake source",
        Duration::from_secs(20),
        || {
            let source = source.clone();
            let filter = filter.clone();
            async move {
                let r = fetch_report(&source, &filter, Duration::from_secs(5)).await;
                r.result.ok().filter(|a| a.len() == 2)
            }
        },
    )
    .await;
    eprintln!(
        "fired at Alertmanager -> on the board after {:?} (group_wait 1s)",
        fired.elapsed()
    );
    let mut services: Vec<_> = firing
        .iter()
        .map(|a| a.label("service").unwrap().to_string())
        .collect();
    services.sort();
    assert_eq!(services, ["cart", "checkout"]);
    assert!(
        firing
            .iter()
            .all(|a| a.name() == "HighErrorRate" && a.summary().ends_with("5xx above 5%"))
    );
    // The same board `warroom alerts` prints, marked with the source.
    let board = serve.alerts();
    assert_eq!(board["alerts"].as_array().unwrap().len(), 2, "{board}");
    assert!(
        board["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["sources"] == serde_json::json!(["am"]))
    );

    // The impostor receiver (wrong secret) got 401 and recorded nothing.
    servers::eventually(
        "Alertmanager reports the refused push",
        Duration::from_secs(20),
        || {
            let log = am.log();
            async move { (log.contains("401")).then_some(()) }
        },
    )
    .await;
    assert!(
        !serve.spool("am2").exists(),
        "a push with the wrong secret was written down"
    );

    // The console leads an incident and links the selected alert.
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
    let (tx, mut rx) = unbounded_channel();
    let (worker, _thread) =
        warroom::console::effects::spawn(store.clone(), "alice".into(), tx).unwrap();
    let mut state = State::new("alice".into(), Keymap::default(), vec![]);
    state.set_board(warroom::domain::AlertBoard::with_sources(["am"]));
    worker.send(Effect::Open { id: id.clone() }).unwrap();
    wait_for(&mut rx, &mut state, |a| matches!(a, Action::Opened { .. })).await;
    let report = fetch_report(&source, &filter, Duration::from_secs(5)).await;
    update(&mut state, Action::AlertReport(report), chrono::Utc::now());
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
        for e in fx {
            worker.send(e).unwrap();
        }
    }
    wait_for(&mut rx, &mut state, |a| {
        matches!(a, Action::Appended { .. })
    })
    .await;
    let linked = state
        .current
        .as_ref()
        .unwrap()
        .incident
        .as_ref()
        .unwrap()
        .linked_alerts
        .clone();
    assert_eq!(linked.len(), 1);
    let linked_service = linked[0].alert.labels["service"].clone();

    // Both resolve at Alertmanager; it pushes the resolutions.
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    amtool_alert(&am, "checkout", Some(past));
    amtool_alert(&am, "cart", Some(past));
    let deadline = Instant::now() + Duration::from_secs(20);
    let effects = loop {
        let report = fetch_report(&source, &filter, Duration::from_secs(5)).await;
        assert!(report.result.is_ok(), "{:?}", report.result);
        let fx: Vec<Effect> = update(&mut state, Action::AlertReport(report), chrono::Utc::now())
            .into_iter()
            .filter(|e| matches!(e, Effect::ObserveAlerts { .. }))
            .collect();
        if !fx.is_empty() {
            break fx;
        }
        assert!(
            Instant::now() < deadline,
            "the resolution never reached the board"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Asked twice (two polls before the worker answers): journaled once.
    for e in effects.iter().chain(effects.iter()) {
        worker.send(e.clone()).unwrap();
    }
    wait_for(&mut rx, &mut state, |a| matches!(a, Action::Entries { .. })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let changes = alerts_changed(&store, &id);
    assert_eq!(changes.len(), 1, "{changes:?}");
    match &changes[0] {
        Event::AlertsChanged { firing, resolved } => {
            assert!(firing.is_empty());
            assert_eq!(resolved.len(), 1);
            assert_eq!(resolved[0].labels["service"], linked_service);
        }
        other => panic!("{other:?}"),
    }
    servers::eventually("the board is empty", Duration::from_secs(20), || {
        let source = source.clone();
        let filter = filter.clone();
        async move {
            let r = fetch_report(&source, &filter, Duration::from_secs(5)).await;
            r.result.ok().filter(|a| a.is_empty())
        }
    })
    .await;
    drop(am);
}
