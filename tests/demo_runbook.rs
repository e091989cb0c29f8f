//! The demo's runbook: it reads as a runbook (three HTTP actions calling the simulator, with
//! checks against its Prometheus), and `warroom run` of its flag-off action, through the real
//! binary against a running demo server, turns the flag off, records the run and finds the
//! errors gone.

use crate::common;

use common::{log_json, run, warroom};
use std::path::Path;
use std::sync::Arc;
use warroom::actions::ActionKind;
use warroom::demo::{Server, api, files, simulator::Simulator};
use warroom::drill::scenario;
use warroom::journal::FileStore;

#[test]
fn the_demo_runbook_reads() {
    let text = files::runbook_toml(&scenario::demo().unwrap(), "http://127.0.0.1:9");
    let book = warroom::actions::parse_runbook(Path::new("runbook.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let names: Vec<&str> = book.actions.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["flag-off", "flag-on", "redeploy-pricing"]);
    for a in &book.actions {
        assert!(matches!(a.kind, ActionKind::Http(_)), "{}", a.name);
        assert!(a.confirm, "{} asks first", a.name);
    }
    let off = book.get("flag-off").unwrap();
    assert_eq!(off.undo.as_deref(), Some("flag-on"));
    assert!(off.verify.is_some());
    let redeploy = book.get("redeploy-pricing").unwrap();
    assert_eq!(redeploy.params.len(), 1);
    assert_eq!(redeploy.params[0].name, "version");
}

#[test]
fn warroom_run_flag_off_against_the_demo_turns_the_errors_down() {
    let dir = tempfile::tempdir().unwrap();
    let (config_dir, data) = (dir.path().join("config"), dir.path().join("data"));
    std::fs::create_dir_all(&config_dir).unwrap();
    // A minute of scenario a second: the flag drains within a second of wall time.
    let origin = chrono::Utc::now() - chrono::Duration::seconds(5);
    let demo = Arc::new(scenario::demo().unwrap());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let _server = Server::start(
        listener,
        api::Shared::new(
            Simulator::new(demo.clone(), origin, 60.0),
            Arc::new(chrono::Utc::now),
        ),
    )
    .unwrap();
    warroom::demo::write_config(&config_dir, &demo, &url, true).unwrap();
    let id = warroom::demo::open_first_incident(
        &FileStore::new(&data),
        &Simulator::new(demo.clone(), origin, 60.0),
        chrono::Utc::now(),
    )
    .unwrap()
    .unwrap();

    let ran = run({
        let mut c = warroom(&data, "alice");
        c.env("WARROOM_CONFIG", config_dir.join("config.toml"))
            .args(["run", &id, "flag-off", "--yes"])
            .timeout(std::time::Duration::from_secs(120));
        c
    });
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains("/drill/actions/flag-off"),
        "{}",
        ran.stdout
    );

    let state = get_json(&format!("{url}/demo/state"));
    assert_eq!(state["levers"]["flag"]["target"], 0.0, "{state}");
    let types: Vec<String> = log_json(&data, &id)
        .iter()
        .map(|l| l["event"]["type"].as_str().unwrap_or("").to_string())
        .collect();
    for want in ["action_started", "action_finished", "action_verified"] {
        assert!(types.iter().any(|t| t == want), "{want} missing: {types:?}");
    }
    let log = log_json(&data, &id);
    let verified = log
        .iter()
        .find(|l| l["event"]["type"] == "action_verified")
        .unwrap();
    assert!(
        verified.to_string().contains("effective"),
        "the check found the errors gone: {verified}"
    );
}

/// GET a JSON document on a throwaway runtime (the test itself is synchronous).
fn get_json(url: &str) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = warroom::backends::http_client().unwrap();
        client.get(url).send().await.unwrap().json().await.unwrap()
    })
}
