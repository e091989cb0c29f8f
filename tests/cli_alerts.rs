//! `warroom alerts` and `warroom check-config --probe` through the real binary, against real
//! Alertmanagers and Prometheus: the merged, de-duplicated view (one entry per alert, naming
//! every source that reported it), grouping, filters, per-source errors in the JSON, exit 1
//! only when every source failed, and config mistakes named by file and line.

use crate::support;

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::servers::{self, eventually, post_alerts};
use warroom::backends::alertmanager::{AlertFilter, Alertmanager};
use warroom::backends::{Endpoint, http_client};

struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
}

fn setup(config: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).unwrap();
    Setup { dir, config: path }
}

fn warroom(s: &Setup) -> Command {
    let mut cmd = Command::cargo_bin("warroom").unwrap();
    cmd.env("WARROOM_CONFIG", &s.config)
        .env("WARROOM_DATA_DIR", s.dir.path().join("data"))
        .env_remove("WARROOM_USER")
        .env("TZ", "UTC");
    cmd
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Posts `alerts` and waits until the Alertmanager lists `count`.
fn post(url: &str, alerts: Value, count: usize) {
    runtime().block_on(async {
        post_alerts(url, &alerts).await;
        let c = Alertmanager::new(
            Endpoint::new(http_client().unwrap(), url, Duration::from_secs(5)).unwrap(),
        );
        eventually("alerts listed", Duration::from_secs(20), || async {
            let n = c.alerts(&AlertFilter::default()).await.ok()?.len();
            (n == count).then_some(())
        })
        .await;
    });
}

fn refused_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(out));
    })
}

#[test]
fn alerts_merges_an_ha_pair_reports_a_dead_source_and_filters() {
    let Some(a) = servers::alertmanager(None) else {
        return;
    };
    let Some(b) = servers::alertmanager(None) else {
        return;
    };
    let high = json!({"labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
                      "annotations": {"summary": "5xx above 5%"}});
    let slow =
        json!({"labels": {"alertname": "SlowSearch", "service": "search", "severity": "warning"}});
    let bare = json!({"labels": {"alertname": "Watchdog"}});
    post(&a.url, json!([high, slow, bare]), 3);
    post(&b.url, json!([high]), 1);
    let down = refused_url();
    let s = setup(&format!(
        "[[alertmanager]]\nname = \"am-a\"\nurl = \"{}\"\n\n[[alertmanager]]\nname = \"am-b\"\nurl = \"{}\"\n\n[[alertmanager]]\nname = \"am-down\"\nurl = \"{down}\"\n\n[alerts]\ntimeout = \"2s\"\n",
        a.url, b.url
    ));

    let out = warroom(&s).args(["alerts", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out.stdout);
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 3, "{v:#}");
    let high = alerts
        .iter()
        .find(|x| x["labels"]["alertname"] == "HighErrorRate")
        .unwrap();
    assert_eq!(high["sources"], json!(["am-a", "am-b"]));
    assert_eq!(high["state"], "active");
    assert_eq!(high["annotations"]["summary"], "5xx above 5%");
    assert_eq!(high["fingerprint"].as_str().unwrap().len(), 16);
    let sources = v["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3);
    assert_eq!(
        sources[0],
        json!({"name": "am-a", "ok": true, "alerts": 3, "error": null, "cut_short": null})
    );
    assert_eq!(sources[1]["alerts"], 1);
    assert_eq!(sources[2]["name"], "am-down");
    assert_eq!(sources[2]["ok"], false);
    assert!(
        sources[2]["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{v:#}"
    );
    // The same question twice gives the same bytes (stable order).
    let again = warroom(&s).args(["alerts", "--json"]).output().unwrap();
    assert_eq!(again.stdout, out.stdout);

    // Filters, repeated: all must match.
    let out = warroom(&s)
        .args([
            "alerts",
            "--json",
            "--filter",
            "service=~\"check.*|search\"",
        ])
        .args(["--filter", "severity=\"critical\""])
        .output()
        .unwrap();
    let v = json_of(&out.stdout);
    let names: Vec<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["labels"]["alertname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["HighErrorRate"]);

    // Text: grouped by service; the alert without one comes last; sources summarised.
    let out = warroom(&s).arg("alerts").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let checkout = text.find("service=checkout  (1 alert)").expect(&text);
    let search = text.find("service=search  (1 alert)").expect(&text);
    let none = text.find("(no service)  (1 alert)").expect(&text);
    assert!(checkout < search && search < none, "{text}");
    assert!(text.contains("FIRING   critical  HighErrorRate"), "{text}");
    assert!(text.contains("am-a, am-b"), "{text}");
    assert!(
        text.contains("sources: am-a ok (3); am-b ok (1); am-down FAILED:"),
        "{text}"
    );

    // Grouped by another label when configured.
    std::fs::write(
        &s.config,
        format!(
            "[[alertmanager]]\nurl = \"{}\"\n[alerts]\ngroup_by = \"severity\"\n",
            a.url
        ),
    )
    .unwrap();
    let out = warroom(&s).arg("alerts").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("severity=warning  (1 alert)"), "{text}");
    assert!(text.contains("(no severity)  (1 alert)"), "{text}");
    // The default name is the URL's host:port.
    assert!(
        text.contains(&format!("sources: {} ok (3)", a.addr)),
        "{text}"
    );
}

#[test]
fn every_source_failing_is_exit_1_with_the_reasons() {
    let s = setup(&format!(
        "[[alertmanager]]\nname = \"a\"\nurl = \"{}\"\n[prometheus]\nurl = \"{}\"\n",
        refused_url(),
        refused_url()
    ));
    let out = warroom(&s).args(["alerts", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out.stdout);
    assert_eq!(v["alerts"], json!([]));
    assert_eq!(v["sources"].as_array().unwrap().len(), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("every alert source failed"), "{err}");
    assert!(err.contains("connection refused"), "{err}");

    // A token variable that is not set: that source fails, named, without stopping others.
    let s = setup(
        "[grafana]\nurl = \"http://127.0.0.1:1\"\ntoken_env = \"WARROOM_TEST_UNSET_TOKEN\"\n",
    );
    let out = warroom(&s)
        .env_remove("WARROOM_TEST_UNSET_TOKEN")
        .args(["alerts", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out.stdout);
    assert!(
        v["sources"][0]["error"]
            .as_str()
            .unwrap()
            .contains("WARROOM_TEST_UNSET_TOKEN is not set")
    );
}

#[test]
fn no_sources_or_a_bad_filter_is_bad_input() {
    let s = setup("");
    let out = warroom(&s).arg("alerts").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no alert source configured"));
    let s = setup("[[alertmanager]]\nurl = \"http://127.0.0.1:9\"\n");
    let out = warroom(&s)
        .args(["alerts", "--filter", "service"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--filter"));
}

fn config_error(config: &str) -> String {
    let s = setup(config);
    let out = warroom(&s).arg("check-config").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    let name = s.config.display().to_string();
    err.trim()
        .strip_prefix("warroom: ")
        .and_then(|e| e.strip_prefix(name.as_str()))
        .unwrap_or_else(|| panic!("no file name in {err}"))
        .to_string()
}

#[test]
fn backend_config_mistakes_name_file_line_and_column() {
    let cases = [
        (
            "[[alertmanager]]\nurl = \"localhost:9093\"\n",
            ":2:7: alertmanager #1 url:",
        ),
        (
            "[[alertmanager]]\nurl = \"http://a:9093\"\nport = 1\n",
            ":3:1: unknown field `port`",
        ),
        (
            "[[alertmanager]]\nurl = \"http://a:9093\"\n[[alertmanager]]\nurl = \"http://a:9093/\"\n",
            ":4:7: alertmanager #2: a source named \"a:9093\" is already configured",
        ),
        (
            "[prometheus]\nurl = \"ftp://p\"\n",
            ":2:7: prometheus.url: must start with http:// or https://",
        ),
        (
            "[grafana]\nurl = \"https://g\"\ntoken_env = \"glsa_abc-123\"\n",
            ":3:13: grafana.token_env: name an environment variable",
        ),
        (
            "[pagerduty]\ntoken_env = \"PD_TOKEN\"\nfrom = \"alice\"\n",
            ":3:8: pagerduty.from:",
        ),
        (
            "[pagerduty]\ntoken_env = \"PD_TOKEN\"\nfrom = \"a@b.c\"\ntoken = \"x\"\n",
            ":4:1: unknown field `token`",
        ),
        (
            "[alerts]\npoll_interval = \"soon\"\n",
            ":2:17: alerts.poll_interval:",
        ),
        ("[alerts]\ntimeout = \"500ms\"\n", ":2:11: alerts.timeout:"),
        (
            "[alerts]\ntimeout = \"10\"\n",
            ":2:11: alerts.timeout: '10' lacks a unit",
        ),
    ];
    for (config, want) in cases {
        let got = config_error(config);
        assert!(
            got.starts_with(want),
            "{config:?}\n  got: {got}\n want: {want}"
        );
    }
}

#[test]
fn check_config_probe_reports_reachability_and_versions() {
    let Some(am) = servers::alertmanager(None) else {
        return;
    };
    let Some(pg) = servers::pushgateway() else {
        return;
    };
    let Some(prom) = servers::prometheus(&pg.addr, "groups: []\n", None) else {
        return;
    };
    let s = setup(&format!(
        "[[alertmanager]]\nname = \"am\"\nurl = \"{}\"\n[prometheus]\nurl = \"{}\"\n",
        am.url, prom.url
    ));
    let out = warroom(&s)
        .args(["check-config", "--probe"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!(
            "probe alertmanager am ({}): ok, version 0.",
            am.url
        )),
        "{text}"
    );
    assert!(text.contains("cluster disabled"), "{text}");
    assert!(
        text.contains(&format!("probe prometheus ({}): ok, version 2.", prom.url)),
        "{text}"
    );
    // Without --probe, nothing is asked; the backends are only listed.
    let out = warroom(&s).arg("check-config").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains(&format!("alertmanager am: {}", am.url)),
        "{text}"
    );
    assert!(!text.contains("probe"), "{text}");

    let down = refused_url();
    let s = setup(&format!(
        "[[alertmanager]]\nname = \"am\"\nurl = \"{}\"\n[[alertmanager]]\nname = \"gone\"\nurl = \"{down}\"\n",
        am.url
    ));
    let out = warroom(&s)
        .args(["check-config", "--probe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("probe alertmanager am ("), "{text}");
    assert!(
        text.contains(&format!(
            "probe alertmanager gone ({down}): FAILED: {down}/api/v2/status: connection refused"
        )),
        "{text}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 of 2 backends"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = Path::new("");
}
