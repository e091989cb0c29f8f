//! The ten-minute heartbeat, end to end in a real terminal: with a cadence of a few seconds,
//! the status-update prompt opens by itself, pre-filled; the leader adds a line and posts it;
//! a local webhook receiver gets the text, the PagerDuty incident linked to the incident gets
//! it as a note (a local server stands in for PagerDuty), and both deliveries are recorded
//! next to the update. And `P` links a PagerDuty incident picked from PagerDuty's own list.

use crate::support;

use std::time::{Duration, Instant};
use support::e2e::E2e;
use support::receiver::{Receiver, Reply};
use support::tmux::Tmux;

/// PagerDuty's answer to `GET /incidents/PT4KHLK`, shaped like its API schema.
const PD_INCIDENT: &str = r#"{"incident": {"id": "PT4KHLK", "type": "incident", "incident_number": 42,
  "title": "Checkout 5xx above 5%", "status": "acknowledged", "urgency": "high",
  "html_url": "https://acme.pagerduty.com/incidents/PT4KHLK",
  "service": {"id": "PSVC001", "type": "service_reference", "summary": "Checkout API"}}}"#;
/// PagerDuty's answer to a new note.
const PD_NOTE: &str =
    r#"{"note": {"id": "PWL7QXS", "content": "...", "created_at": "2026-11-21T09:12:00Z"}}"#;

/// The release binary on a config of the test's own, as alice, with the PagerDuty token.
fn setup(config_toml: &str) -> E2e {
    E2e::new(config_toml, &[("PD_E2E_TOKEN", "u+e2e")])
}

#[test]
fn the_prompt_opens_on_time_and_the_posted_update_reaches_the_webhook() {
    let Some(t) = Tmux::new("status", Duration::from_secs(10)) else {
        return;
    };
    let rx = Receiver::start(vec![Reply::Status(200, "ok")]);
    let pd = Receiver::start(vec![
        Reply::Status(200, PD_INCIDENT),
        Reply::Status(201, PD_NOTE),
    ]);
    let pd_base = pd.url.trim_end_matches("/hook");
    let setup = setup(&format!(
        "[status_updates]\nsev1 = \"6s\"\n\n[[webhook]]\nkind = \"json\"\nname = \"status-page\"\nurl = \"{}\"\n\n\
         [pagerduty]\ntoken_env = \"PD_E2E_TOKEN\"\nfrom = \"ic@example.com\"\nurl = \"{pd_base}\"\n",
        rx.url
    ));
    let run = |args: &[&str]| setup.run_as("alice", args);
    let id = run(&["open", "Checkout 500s", "--severity", "sev1"])
        .trim()
        .to_string();
    run(&["note", &id, "--kind", "decision", "roll back pricing"]);
    run(&["pagerduty", "link", &id, "PT4KHLK"]);

    let line = setup.console_line("alice");
    let pane = t.session("e2e", &line);
    pane.wait_for("the incident list", |s| s.contains(&id));
    pane.press(&["Enter"]);
    pane.wait_for("the incident screen", |s| {
        (s.contains("next update in") || s.contains("STATUS UPDATE")) && s.contains("PagerDuty #42")
    });
    // Nobody touches a key: at zero the prompt opens by itself, pre-filled short.
    let shown = Instant::now();
    pane.wait_within(Duration::from_secs(20), "the status-update prompt", |s| {
        s.contains("Status update") && s.contains("SEV1 Checkout 500s: investigating")
    });
    let waited = shown.elapsed();
    let screen = pane.screen();
    assert!(!screen.contains("(decision) roll back pricing"), "{screen}");
    eprintln!("the prompt opened {waited:?} after the incident screen");
    // alt-i brings in the details: the decision recorded since.
    pane.press(&["M-i"]);
    pane.wait_for("the details in the editor", |s| {
        s.contains("(decision) roll back pricing")
    });
    pane.press(&["End"]);
    pane.type_text(" Needs: payments on the call");
    pane.press(&["C-s"]);
    pane.wait_for("the update in the log", |s| s.contains("UPDATE"));
    // The receiver got the update's text as JSON.
    let body = rx.nth_body(0, Duration::from_secs(15), "the webhook received nothing");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let text = v["update"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("SEV1 Checkout 500s: investigating"),
        "{text}"
    );
    assert!(text.ends_with("Needs: payments on the call"), "{text}");
    // PagerDuty got it as a note (its second request, after the link's GET).
    let note = pd.nth_body(1, Duration::from_secs(15), "PagerDuty received no note");
    let note: serde_json::Value = serde_json::from_str(&note).unwrap();
    let content = note["note"]["content"].as_str().unwrap();
    assert!(content.contains("Needs: payments on the call"), "{content}");
    // And both deliveries are recorded next to the update (the log may cut their rows with
    // "…"; the journal below says how each went).
    pane.wait_for("both deliveries in the log", |s| {
        s.contains("to status-page: deliver") && s.contains("to pagerduty:PT4KHLK: deliver")
    });
    let events = setup.events(&id);
    let update = events
        .iter()
        .find(|e| e["type"] == "status_update")
        .expect("status_update in the log");
    assert_eq!(update["text"].as_str(), Some(text));
    let mut delivered: Vec<(String, bool)> = events
        .iter()
        .filter(|e| e["type"] == "update_delivered")
        .map(|e| (e["target"].as_str().unwrap().to_string(), e["ok"] == true))
        .collect();
    delivered.sort();
    assert_eq!(
        delivered,
        vec![
            ("pagerduty:PT4KHLK".to_string(), true),
            ("status-page".to_string(), true)
        ]
    );
    pane.press(&["q"]);
    pane.wait_for("the quit question", |s| s.contains("quit?"));
    pane.press(&["y"]);
}

/// PagerDuty's answer to `GET /incidents?statuses[]=triggered&statuses[]=acknowledged`.
const PD_OPEN: &str = r#"{"incidents": [
  {"id": "PT4KHLK", "type": "incident", "incident_number": 42, "title": "Checkout 5xx above 5%",
   "status": "acknowledged", "urgency": "high", "created_at": "2026-11-21T09:01:00Z",
   "html_url": "https://acme.pagerduty.com/incidents/PT4KHLK",
   "service": {"id": "PSVC001", "type": "service_reference", "summary": "Checkout API"}},
  {"id": "PQ2W3E4", "type": "incident", "incident_number": 43, "title": "Cart latency",
   "status": "triggered", "urgency": "low", "created_at": "2026-11-21T09:05:00Z",
   "html_url": "https://acme.pagerduty.com/incidents/PQ2W3E4",
   "service": {"id": "PSVC002", "type": "service_reference", "summary": "Cart"}}],
  "limit": 25, "offset": 0, "more": false, "total": null}"#;

#[test]
fn p_in_the_console_lists_pagerdutys_open_incidents_and_links_the_chosen_one() {
    let Some(t) = Tmux::new("pdlink", Duration::from_secs(10)) else {
        return;
    };
    let pd = Receiver::start(vec![Reply::Status(200, PD_OPEN)]);
    let pd_base = pd.url.trim_end_matches("/hook");
    let setup = setup(&format!(
        "[pagerduty]\ntoken_env = \"PD_E2E_TOKEN\"\nfrom = \"ic@example.com\"\nurl = \"{pd_base}\"\n"
    ));
    let id = setup
        .run_as("alice", &["open", "Checkout 500s", "--severity", "sev2"])
        .trim()
        .to_string();
    let line = setup.console_line("alice");
    let pane = t.session("e2e", &line);
    pane.wait_for("the incident list", |s| s.contains(&id));
    pane.press(&["Enter"]);
    // The list names the incident too: wait for the incident screen's own clock.
    pane.wait_for("the incident screen", |s| s.contains("next update in"));
    pane.press(&["P"]);
    // Newest first, as PagerDuty lists them for the call leader to pick.
    pane.wait_for("PagerDuty's incidents in the picker", |s| {
        s.contains("PQ2W3E4 #43 [triggered] Cart latency")
            && s.contains("PT4KHLK #42 [acknowledged] Checkout 5xx above 5%")
    });
    pane.press(&["Down", "Enter"]);
    pane.wait_for("the link in the header and the log", |s| {
        s.contains("PagerDuty #42") && s.contains("PT4KHLK #42 linked")
    });
    let linked: Vec<serde_json::Value> = setup
        .events(&id)
        .into_iter()
        .filter(|e| e["type"] == "pagerduty_linked")
        .collect();
    assert_eq!(linked.len(), 1, "{linked:?}");
    assert_eq!(linked[0]["incident"], "PT4KHLK");
    assert_eq!(linked[0]["number"], 42);
    assert_eq!(linked[0]["title"], "Checkout 5xx above 5%");
    assert_eq!(
        linked[0]["url"],
        "https://acme.pagerduty.com/incidents/PT4KHLK"
    );
    pane.press(&["q"]);
    pane.wait_for("the quit question", |s| s.contains("quit?"));
    pane.press(&["y"]);
}
