//! A drill is never taken for a real incident: its journal says so from the start (the
//! `drill` entry right after `opened`), every delivered status update is prefixed `[DRILL]`
//! (a local webhook receiver checks it), PagerDuty is sent nothing unless the scenario
//! enables write-backs, `warroom list` marks it, and the console's header says DRILL.

use crate::support;

use crate::pagerduty_link::{pagerduty, pd_config};
use std::sync::Arc;
use support::cli::{Setup, stderr};
use support::console::{at, checkout_entries, entry, on_list, screen};
use support::receiver::{Receiver, Reply};
use warroom::console::action::{Action, Lead};
use warroom::console::update::update;
use warroom::demo::simulator::Simulator;
use warroom::domain::Event;
use warroom::journal::{FileStore, Journal};

fn setup(config: &str) -> Setup {
    support::cli::setup(config, &[("PD_TEST_TOKEN", "u+testtoken")])
}

/// Marks the setup's incident as a drill, as `warroom drill run` does right after opening.
fn mark_as_drill(s: &Setup, write_backs: bool) {
    let mut j = FileStore::new(&s.data).open(&s.id).unwrap();
    j.append(
        "alice",
        chrono::Utc::now(),
        Event::Drill {
            scenario: "bad-deploy".into(),
            write_backs,
        },
    )
    .unwrap();
}

fn webhook(url: &str) -> String {
    format!("[[webhook]]\nkind = \"json\"\nname = \"status-page\"\nurl = \"{url}\"\n")
}

#[test]
fn a_drill_is_marked_from_its_first_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let mut scenario = warroom::drill::scenario::builtin("dns-cache").unwrap();
    scenario.write_backs = false;
    let now = chrono::Utc::now();
    let sim = Simulator::new(Arc::new(scenario), now, 1.0);
    let id = warroom::demo::open_incident(&store, &sim, now, true)
        .unwrap()
        .unwrap();
    let j = store.open(&id).unwrap();
    let records = j.records();
    assert!(matches!(records[0].as_ref().event, Event::Opened { .. }));
    assert_eq!(
        records[1].as_ref().event,
        Event::Drill {
            scenario: "dns-cache".into(),
            write_backs: false
        }
    );
    let incident = j.incident().unwrap();
    assert!(incident.is_drill());
    assert!(!incident.write_backs_allowed());
    // The demo is no drill.
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let sim = Simulator::new(
        Arc::new(warroom::drill::scenario::demo().unwrap()),
        now,
        1.0,
    );
    let id = warroom::demo::open_first_incident(&store, &sim, now)
        .unwrap()
        .unwrap();
    assert!(!store.open(&id).unwrap().incident().unwrap().is_drill());
}

#[test]
fn every_update_a_drill_delivers_is_prefixed_drill() {
    let rx = Receiver::start(vec![Reply::Status(200, "ok"); 4]);
    let s = setup(&webhook(&rx.url));
    mark_as_drill(&s, false);
    for text in [
        "Conditions: checkout failing",
        "Actions: flag off",
        "recovering",
    ] {
        let out = s.run(&["update", &s.id, text]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let bodies = rx.received();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    for b in &bodies {
        let v: serde_json::Value = serde_json::from_str(b).unwrap();
        let text = v["update"]["text"].as_str().unwrap_or_default();
        assert!(text.starts_with("[DRILL] "), "{b}");
    }
    // The journal keeps what was typed; only deliveries carry the prefix.
    let updates = s.of_type("status_update");
    assert_eq!(updates[0]["text"], "Conditions: checkout failing");
}

#[test]
fn a_real_incident_is_delivered_without_the_prefix() {
    let rx = Receiver::start(vec![Reply::Status(200, "ok")]);
    let s = setup(&webhook(&rx.url));
    let out = s.run(&["update", &s.id, "Conditions: checkout failing"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bodies = rx.received();
    assert_eq!(bodies.len(), 1);
    assert!(!bodies[0].contains("[DRILL]"), "{}", bodies[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_sends_pagerduty_nothing_unless_its_scenario_enables_write_backs() {
    for write_backs in [false, true] {
        let server = pagerduty().await;
        let s = setup(&pd_config(&server));
        let s = tokio::task::spawn_blocking(move || {
            let link = s.run(&["pagerduty", "link", &s.id, "PT4KHLK"]);
            assert!(link.status.success(), "{}", stderr(&link));
            mark_as_drill(&s, write_backs);
            let out = s.run(&["update", &s.id, "Conditions: checkout failing"]);
            assert!(out.status.success(), "{}", stderr(&out));
            s
        })
        .await
        .unwrap();
        let posts: Vec<String> = server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.method.as_str() == "POST")
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect();
        if write_backs {
            assert_eq!(posts.len(), 1, "{posts:?}");
            assert!(posts[0].contains("[DRILL] Conditions"), "{}", posts[0]);
        } else {
            assert!(posts.is_empty(), "PagerDuty was written to: {posts:?}");
            let delivered = s.of_type("update_delivered");
            assert!(
                delivered.iter().all(|d| d["target"] != "pagerduty:PT4KHLK"),
                "{delivered:?}"
            );
        }
    }
}

#[test]
fn list_marks_a_drill() {
    let s = setup("");
    let out = s.run(&["open", "Checkout 500s", "--severity", "sev2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    mark_as_drill(&s, false);
    let out = s.run(&["list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("INC-")).collect();
    assert_eq!(rows.len(), 2, "{text}");
    let drill = rows.iter().find(|l| l.starts_with("INC-1 ")).unwrap();
    let real = rows.iter().find(|l| l.starts_with("INC-2 ")).unwrap();
    assert!(drill.contains("[DRILL] Checkout 500s"), "{text}");
    assert!(!real.contains("DRILL"), "{text}");
    let json = s.run(&["list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let drills: Vec<&serde_json::Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["drill"].is_null())
        .collect();
    assert_eq!(drills.len(), 1);
    assert_eq!(drills[0]["drill"]["scenario"], "bad-deploy");
}

#[test]
fn the_console_header_says_drill_for_the_leader_and_a_follower() {
    let mut entries = checkout_entries();
    let next = entries.len() as u64 + 1;
    entries.push(entry(
        next,
        at(0, 1),
        "alice",
        Event::Drill {
            scenario: "bad-deploy".into(),
            write_backs: false,
        },
    ));
    for lead in [Lead::Leading, Lead::Unled] {
        let mut s = on_list();
        update(
            &mut s,
            Action::Opened {
                id: "INC-1".into(),
                entries: entries.clone(),
                lead,
                draft: None,
            },
            at(12, 0),
        );
        let shown = screen(&mut s, 80, 24);
        let first = shown.lines().next().unwrap_or_default();
        assert!(first.contains("DRILL — not a real outage"), "{shown}");
    }
    let mut real = on_list();
    update(
        &mut real,
        Action::Opened {
            id: "INC-1".into(),
            entries: checkout_entries(),
            lead: Lead::Leading,
            draft: None,
        },
        at(12, 0),
    );
    assert!(!screen(&mut real, 80, 24).contains("DRILL"));
}
