//! Icinga 2 as an alert source, against a real Icinga 2 started by the test (see
//! `support::icinga`): a check forced to CRITICAL shows in `warroom alerts` and in the blast
//! radius of its catalog service; acknowledging and commenting through warroom is visible in
//! Icinga's own REST API; a recovered check leaves the board; TLS is checked against the
//! test's CA, and a wrong CA, a wrong password or an unset password variable is a clear
//! message, never the password.

use crate::support;

use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use support::cli::{Setup, setup, stderr};
use support::icinga::{self, Icinga, USER, block};
use support::release;
use support::tmux::{Tmux, has_line, quote};
use warroom::backends::icinga::{Icinga as Client, Target};

const PASSWORD_ENV: &str = "WARROOM_TEST_ICINGA_PASSWORD";

fn config(ic: &Icinga, ca: &Path) -> String {
    format!(
        "[[icinga]]\nname = \"icinga\"\nurl = \"{}\"\nuser = \"{USER}\"\npassword_env = \"{PASSWORD_ENV}\"\nca_file = {:?}\n\n[alerts]\ntimeout = \"5s\"\n\n[status_updates]\nsev1 = \"never\"\n",
        ic.url,
        ca.display().to_string()
    )
}

fn with_catalog(s: &Setup) {
    let dir = s.config.parent().unwrap();
    std::fs::write(
        dir.join("services.toml"),
        "[[service]]\nname = \"checkout\"\ntier = 1\ncustomer_facing = true\nmatch = { host = \"web1\", service = \"http\" }\n",
    )
    .unwrap();
}

fn alerts_json(s: &Setup) -> (Value, std::process::Output) {
    let out = s.run(&["alerts", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("alerts --json: {e}: {}", stderr(&out)));
    (v, out)
}

fn lib_client(ic: &Icinga) -> Client {
    let client = warroom::backends::http_client_trusting(&ic.ca, "test CA").unwrap();
    Client::new(client, &ic.url, USER, &ic.password, Duration::from_secs(5)).unwrap()
}

const ACK: &str = "DBA on it";
const COMMENT: &str = "rolled back 4f2a";

/// The console on the incident, as alice: the alert's details, `a` with a text, confirmed;
/// then `c` likewise; quits once both outcomes are in the log. False when tmux is missing
/// outside CI (skipped).
fn console_acknowledges_and_comments(s: &Setup, ic: &Icinga) -> bool {
    let Some(tmux) = Tmux::new("icinga-ack", Duration::from_secs(15)) else {
        return false;
    };
    let env = format!(
        "exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} WARROOM_CONFIG={} {PASSWORD_ENV}={}",
        quote(&s.data.display().to_string()),
        quote(&s.config.display().to_string()),
        quote(&ic.password),
    );
    let pane = tmux.shell("lead", &env);
    pane.run_line(&format!(
        "{} --as alice; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
    pane.wait_line("the incident in the list", &[&s.id, "Checkout 500s"]);
    pane.press(&["Enter"]);
    pane.wait_for("the Icinga alert in the alerts pane", |sc| {
        sc.contains("CRITICAL: HTTP CRITICAL")
    });
    // The alerts pane takes the keys.
    pane.press(&["Tab"]);
    for (key, text, done) in [("a", ACK, "acknowledged"), ("c", COMMENT, "commented on")] {
        pane.press(&["Enter"]);
        pane.wait_for("the alert's details offering the write-backs", |sc| {
            sc.contains("a acknowledge") && sc.contains("c comment")
        });
        pane.press(&[key]);
        pane.wait_for("the write-back's text", |sc| sc.contains("Checkout 500s"));
        pane.type_text(&format!(", {text}"));
        pane.press(&["Enter"]);
        pane.wait_for("the confirmation", |sc| sc.contains("on icinga with:"));
        pane.press(&["y"]);
        pane.wait_for("the outcome in the log", |sc| {
            has_line(sc, &[done, "http", "on icinga"])
        });
    }
    pane.press(&["q"]);
    pane.wait_for("the quit question", |sc| sc.contains("quit?"));
    pane.press(&["y"]);
    pane.wait_for("the console to exit", |sc| sc.contains("warroom-exit-0"));
    true
}

#[test]
fn a_critical_check_shows_is_acknowledged_and_commented_and_leaves_when_it_recovers() {
    let Some(ic) = icinga::start() else {
        return;
    };
    let s = setup(&config(&ic, &ic.ca), &[(PASSWORD_ENV, &ic.password)]);
    with_catalog(&s);

    // Nothing checked yet: no problems, the source answers.
    let (v, out) = alerts_json(&s);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(v["alerts"], Value::Array(vec![]), "{v:#}");
    assert_eq!(v["sources"][0]["name"], "icinga");
    assert_eq!(v["sources"][0]["ok"], true, "{v:#}");

    // CRITICAL: one alert with host, service, state and the plugin's output.
    ic.set_state("web1!http", 2, "HTTP CRITICAL - 500 Internal Server Error");
    let (v, _) = alerts_json(&s);
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{v:#}");
    let a = &alerts[0];
    assert_eq!(a["labels"]["host"], "web1");
    assert_eq!(a["labels"]["service"], "http");
    assert_eq!(a["labels"]["state"], "CRITICAL");
    assert_eq!(a["labels"]["severity"], "critical");
    assert_eq!(
        a["labels"]["team"], "payments",
        "custom variables are labels"
    );
    assert_eq!(
        a["annotations"]["summary"],
        "CRITICAL: HTTP CRITICAL - 500 Internal Server Error"
    );
    assert_eq!(a["sources"], serde_json::json!(["icinga"]));
    assert_eq!(a["state"], "active");
    let since = ic.object("services/web1!http")["last_state_change"]
        .as_f64()
        .unwrap();
    let starts: chrono::DateTime<chrono::Utc> = a["starts_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(starts.timestamp(), since as i64, "the last state change");
    let text = s.run(&["alerts"]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains("FIRING") && text.contains("HTTP CRITICAL - 500"),
        "{text}"
    );

    // Mapped to its catalog service: checkout is down in the blast radius.
    let out = s.run(&["blast", &s.id, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let blast: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checkout = blast["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "checkout")
        .unwrap_or_else(|| panic!("{blast:#}"));
    assert_eq!(checkout["state"], "down", "{blast:#}");
    assert!(
        blast["unmapped"].as_array().unwrap().is_empty(),
        "{blast:#}"
    );

    // Acknowledge and comment from the console (the alert's details): Icinga's own API
    // shows both, and the journal keeps both write-backs.
    if !console_acknowledges_and_comments(&s, &ic) {
        return;
    }
    let attrs = ic.object("services/web1!http");
    assert_eq!(attrs["acknowledgement"].as_f64(), Some(1.0), "{attrs:#}");
    let comments = ic.comments();
    let texts: Vec<(&str, &str)> = comments
        .iter()
        .filter(|c| c["service_name"] == "http" && c["host_name"] == "web1")
        .map(|c| (c["author"].as_str().unwrap(), c["text"].as_str().unwrap()))
        .collect();
    // What the console sent is what it journaled, and what Icinga keeps.
    let write_backs = s.of_type("alert_write_back");
    let got: Vec<(&str, &str, bool)> = write_backs
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![("icinga", "acknowledge", true), ("icinga", "comment", true)],
        "{write_backs:#?}"
    );
    let ack_text = write_backs[0]["text"].as_str().unwrap();
    let comment_text = write_backs[1]["text"].as_str().unwrap();
    assert_eq!(ack_text, format!("{}: Checkout 500s, {ACK}", s.id));
    assert!(comment_text.ends_with(COMMENT), "{comment_text}");
    assert!(texts.contains(&("alice", ack_text)), "{texts:?}");
    assert!(texts.contains(&("alice", comment_text)), "{texts:?}");
    assert!(
        write_backs[0]["detail"]
            .as_str()
            .unwrap()
            .contains("Successfully acknowledged problem for object 'web1!http'"),
        "{write_backs:#?}"
    );
    let (v, _) = alerts_json(&s);
    assert_eq!(v["alerts"][0]["state"], "suppressed", "acknowledged: {v:#}");

    // A write-back to an object that is not a problem is Icinga's refusal, named.
    let disk = Target::Service {
        host: "web1".into(),
        service: "nope".into(),
    };
    let err = block(lib_client(&ic).acknowledge(&disk, "alice", "x")).unwrap_err();
    assert!(err.to_string().contains("No objects found"), "{err}");

    // A host down is an alert too; recovered checks leave the board.
    ic.set_state("web1", 1, "PING CRITICAL - Packet loss = 100%");
    let (v, _) = alerts_json(&s);
    let names: Vec<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["alertname"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"host down"), "{v:#}");
    ic.set_state("web1!http", 0, "HTTP OK");
    ic.set_state("web1", 0, "PING OK");
    let (v, out) = alerts_json(&s);
    assert!(out.status.success());
    assert_eq!(v["alerts"], Value::Array(vec![]), "{v:#}");

    // The password was never printed.
    for args in [&["alerts"][..], &["check-config", "--probe"]] {
        let out = s.run(args);
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(!all.contains(&ic.password), "{args:?}: {all}");
    }
}

#[test]
fn tls_is_checked_against_the_configured_ca_and_every_refusal_is_clear() {
    let Some(ic) = icinga::start() else {
        return;
    };
    // The probe names the version and counts the problems.
    let s = setup(&config(&ic, &ic.ca), &[(PASSWORD_ENV, &ic.password)]);
    let out = s.run(&["check-config", "--probe"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(
        text.contains("probe icinga icinga (") && text.contains("ok, version r2."),
        "{text}"
    );

    // Another CA: refused, and the message says it is the certificate.
    let other = ic.dir.path().join("other-ca.pem");
    std::fs::write(&other, other_ca_pem()).unwrap();
    let s = setup(&config(&ic, &other), &[(PASSWORD_ENV, &ic.password)]);
    let (v, out) = alerts_json(&s);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let error = v["sources"][0]["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("certificate") && error.contains("UnknownIssuer"),
        "{error}"
    );
    assert!(!error.contains("connection refused"), "{error}");
    let out = s.run(&["check-config", "--probe"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains("FAILED") && text.contains("certificate"),
        "{text}"
    );

    // No CA file at all, a wrong password, an unset variable: each named, none a crash.
    let s = setup(
        &config(&ic, &ic.dir.path().join("missing.pem")),
        &[(PASSWORD_ENV, &ic.password)],
    );
    let (v, _) = alerts_json(&s);
    let error = v["sources"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("icinga.ca_file") && error.contains("missing.pem"),
        "{error}"
    );
    let s = setup(&config(&ic, &ic.ca), &[(PASSWORD_ENV, "wrong-password")]);
    let (v, _) = alerts_json(&s);
    let error = v["sources"][0]["error"].as_str().unwrap();
    assert!(error.contains("HTTP 401"), "{error}");
    let s = setup(&config(&ic, &ic.ca), &[]);
    let (v, _) = alerts_json(&s);
    let error = v["sources"][0]["error"].as_str().unwrap();
    assert!(
        error.contains(PASSWORD_ENV) && error.contains("not set"),
        "{error}"
    );
}

/// A CA that signed nothing Icinga has.
fn other_ca_pem() -> String {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "not Icinga's CA");
    params.self_signed(&key).unwrap().pem()
}
