//! A real Nagios 4 (tests/support/nagios.rs): a check forced to CRITICAL through the command
//! file shows in `warroom alerts` with Nagios's words, in the console's alerts pane within a
//! poll, and in the blast radius under its catalog service; acknowledging it in the console
//! (and commenting through `warroom write-back`) is what Nagios's own statusjson then
//! reports, and the incident's log holds both; a recovered check leaves the board and the
//! pane.

use crate::support;

use serde_json::Value;
use std::time::Duration;
use support::cli::{setup, stderr};
use support::nagios;
use support::release;
use support::tmux::{Tmux, quote};

const PASSWORD: &str = "nagios-pw-7f3a1c";

fn alerts(s: &support::cli::Setup) -> Value {
    let out = s.run(&["alerts", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_critical_check_is_an_alert_acknowledged_through_warroom_and_gone_once_it_recovers() {
    let Some(tmux) = Tmux::new("nagios", Duration::from_secs(20)) else {
        return;
    };
    let Some(ng) = nagios::start() else {
        return;
    };
    let config = format!(
        "[alerts]\npoll_interval = \"1s\"\n\n[[nagios]]\nname = \"nagios-dc1\"\nurl = \"{}\"\nuser = \"{}\"\npassword_env = \"WARROOM_TEST_NAGIOS_PASSWORD\"\n",
        ng.url,
        nagios::USER
    );
    let s = setup(&config, &[("WARROOM_TEST_NAGIOS_PASSWORD", PASSWORD)]);
    std::fs::write(
        s.config.with_file_name("services.toml"),
        "[[service]]\nname = \"checkout\"\ntier = 1\nmatch = { host = \"checkout-db\" }\n\n[[service]]\nname = \"search\"\n",
    )
    .unwrap();

    // Nothing wrong yet: no alerts, and the source answers.
    let board = alerts(&s);
    assert_eq!(board["alerts"], serde_json::json!([]), "{board}");
    assert_eq!(board["sources"][0]["name"], "nagios-dc1");
    assert_eq!(board["sources"][0]["ok"], true, "{board}");

    // The console leads the incident, its alerts pane polling Nagios every second.
    let pane = tmux.shell(
        "lead",
        &format!(
            "exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} WARROOM_CONFIG={} WARROOM_TEST_NAGIOS_PASSWORD={PASSWORD}",
            quote(&s.data.display().to_string()),
            quote(&s.config.display().to_string()),
        ),
    );
    pane.run_line(&format!(
        "{} --as alice; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
    pane.wait_for("the incident list", |x| x.contains("Checkout 500s"));
    pane.press(&["Enter"]);
    pane.wait_for("the incident, Nagios answering with nothing firing", |x| {
        x.contains("INC-1") && x.contains("nothing firing")
    });

    ng.set_service("disk", 2, "DISK CRITICAL - /var 98% full");
    // The console polls every second; the wait is the pane's usual one, since a loaded
    // machine (a whole suite in parallel) can hold a poll back for seconds.
    pane.wait_for("the alert in the pane", |x| {
        x.contains("CRIT checkout-db/disk")
    });
    ng.set_service("load", 0, "OK - load average 0.10");
    let board = alerts(&s);
    let list = board["alerts"].as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "only the critical check is a problem: {board}"
    );
    let a = &list[0];
    assert_eq!(a["labels"]["alertname"], "checkout-db/disk");
    assert_eq!(a["labels"]["host"], "checkout-db");
    assert_eq!(a["labels"]["service"], "disk");
    assert_eq!(a["labels"]["state"], "CRITICAL");
    assert_eq!(a["labels"]["severity"], "critical");
    assert_eq!(a["labels"]["nagios"], "nagios-dc1");
    assert_eq!(a["annotations"]["summary"], "DISK CRITICAL - /var 98% full");
    assert_eq!(a["sources"], serde_json::json!(["nagios-dc1"]));
    let changed = ng.service("disk")["last_state_change"].as_i64().unwrap();
    let starts = chrono::DateTime::parse_from_rfc3339(a["starts_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        starts.timestamp_millis(),
        changed,
        "starts when Nagios saw it change"
    );
    let fingerprint = a["fingerprint"].as_str().unwrap().to_string();

    // The text view says it in Nagios's words too.
    let out = s.run(&["alerts"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("checkout-db/disk") && text.contains("DISK CRITICAL - /var 98% full"),
        "{text}"
    );
    assert!(text.contains("nagios-dc1 ok (1)"), "{text}");

    // Mapped to its catalog service by the host label.
    let out = s.run(&["blast", &s.id, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let blast: Value = serde_json::from_slice(&out.stdout).unwrap();
    let service = |name: &str| {
        blast["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_ne!(service("checkout")["state"], "ok", "{blast}");
    assert_ne!(service("checkout")["state"], Value::Null, "{blast}");
    assert_eq!(blast["unmapped"], serde_json::json!([]), "{blast}");

    // Acknowledged in the console, from the alert's details: Nagios says so, the log says so.
    assert_eq!(ng.service("disk")["problem_has_been_acknowledged"], false);
    pane.press(&["Tab"]);
    pane.press(&["Enter"]);
    pane.wait_for("the details offering acknowledge and comment", |x| {
        x.contains("Alert checkout-db/disk") && x.contains("a acknowledge · c comment")
    });
    pane.press(&["a"]);
    pane.wait_for("the text, prefilled", |x| {
        x.contains("INC-1: Checkout 500s")
    });
    pane.type_text(" - DBA on it");
    pane.press(&["Enter"]);
    pane.wait_for("the question", |x| {
        x.contains("Acknowledge checkout-db/disk on nagios-dc1 with:")
    });
    pane.press(&["y"]);
    ng.wait_for("the acknowledgement", || {
        ng.service("disk")["problem_has_been_acknowledged"] == true
    });
    pane.wait_for("the outcome in the log", |x| {
        // Cut at the pane's width: "acknowledged checkout-db/disk on nagios-…".
        x.contains("ALERT      acknowledged checkout-db/disk on")
    });
    // By the fingerprint as well: a comment, which Nagios lists with its text.
    let out = s.run(&[
        "write-back",
        &s.id,
        &fingerprint,
        "comment",
        "disk grows 1 GB/h",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    ng.wait_for("the comment", || {
        ng.get_json("/cgi-bin/nagios4/statusjson.cgi?query=commentlist&details=true")
            .is_some_and(|j| {
                j.to_string()
                    .contains("disk grows 1 GB/h (alice via warroom)")
            })
    });
    let events = s.of_type("alert_write_back");
    assert_eq!(events.len(), 2, "{events:?}");
    for (e, action, text) in [
        (
            &events[0],
            "acknowledge",
            "INC-1: Checkout 500s - DBA on it",
        ),
        (&events[1], "comment", "disk grows 1 GB/h"),
    ] {
        assert_eq!(e["source"], "nagios-dc1");
        assert_eq!(e["fingerprint"], fingerprint.as_str());
        assert_eq!(e["alert"], "checkout-db/disk");
        assert_eq!(e["action"], action);
        assert_eq!(e["text"], text);
        assert_eq!(e["ok"], true, "{e}");
    }
    // The password went nowhere a person or a file sees.
    let log = s.run(&["log", &s.id]);
    assert!(!String::from_utf8_lossy(&log.stdout).contains(PASSWORD));
    let journal =
        std::fs::read_to_string(s.data.join("incidents").join(&s.id).join("journal.jsonl"))
            .unwrap();
    assert!(!journal.contains(PASSWORD));

    // An alert no source has: nothing sent, nothing recorded, exit 2.
    let out = s.run(&["write-back", &s.id, "checkout-db/nope", "acknowledge", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(s.of_type("alert_write_back").len(), 2);

    // Recovered: off the board, and off the pane at its next poll.
    ng.set_service("disk", 0, "DISK OK - /var 40% full");
    let board = alerts(&s);
    assert_eq!(board["alerts"], serde_json::json!([]), "{board}");
    assert_eq!(board["sources"][0]["ok"], true, "{board}");
    pane.wait_for("the alert gone from the pane", |x| {
        !x.contains("CRIT checkout-db/disk")
    });
    pane.press(&["q"]);
    pane.wait_for("the quit question", |x| x.contains("quit?"));
    pane.press(&["y"]);
    pane.wait_for("the console to exit with status 0", |x| {
        x.contains("warroom-exit-0")
    });
}
