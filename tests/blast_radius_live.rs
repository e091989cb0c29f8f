//! The blast radius from real servers: error ratios pushed to a Pushgateway and scraped by
//! Prometheus, an alert fired in Alertmanager. The computed states, the sparkline data and
//! the recovery recorded in the journal are what a call leader would see.

use crate::support;

use std::time::Duration;
use support::servers::{self, eventually, push};
use warroom::backends::alertmanager::{AlertFilter, Alertmanager};
use warroom::backends::http::Endpoint;
use warroom::backends::metrics;
use warroom::backends::prometheus::Prometheus;
use warroom::backends::sources::{AlertSource, poll_once};
use warroom::domain::{AlertBoard, BlastRadius, Event, ServiceState, Severity, blast_radius};
use warroom::journal::{FileStore, Journal};

const SERVICES: &str = r#"
[[service]]
name = "web"
tier = 1
customer_facing = true
depends_on = ["checkout"]

[[service]]
name = "checkout"
tier = 1
customer_facing = true
depends_on = ["payments"]
[[service.metric]]
name = "error ratio"
promql = 'max(service_error_ratio{service="checkout"})'
degraded_above = 0.01
down_above = 0.2

[[service]]
name = "payments"
tier = 1
[[service.metric]]
name = "error ratio"
promql = 'max(service_error_ratio{service="payments"})'
degraded_above = 0.01
down_above = 0.2

[[service]]
name = "search"
tier = 2
customer_facing = true
"#;

fn payments_alert(ends_in: Option<i64>) -> serde_json::Value {
    let now = chrono::Utc::now();
    let mut a = serde_json::json!({
        "labels": {"alertname": "PaymentsTimeouts", "service": "payments", "severity": "warning"},
        "startsAt": (now - chrono::Duration::minutes(2)).to_rfc3339(),
    });
    if let Some(s) = ends_in {
        a["endsAt"] = serde_json::json!((now + chrono::Duration::seconds(s)).to_rfc3339());
    }
    serde_json::json!([a])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_errors_and_a_fired_alert_make_the_blast_radius_and_recovery_is_recorded() {
    let Some(pg) = servers::pushgateway() else {
        return;
    };
    let Some(prom) = servers::prometheus(&pg.addr, "groups: []\n", None) else {
        return;
    };
    let Some(am) = servers::alertmanager(None) else {
        return;
    };
    let catalog =
        warroom::config::parse_services(std::path::Path::new("services.toml"), SERVICES).unwrap();
    let client = warroom::backends::http_client().unwrap();
    let p =
        Prometheus::new(Endpoint::new(client.clone(), &prom.url, Duration::from_secs(5)).unwrap());
    let sources = vec![AlertSource::Alertmanager {
        name: "am".into(),
        client: Alertmanager::new(Endpoint::new(client, &am.url, Duration::from_secs(5)).unwrap()),
    }];

    push(&pg.url, "errors", "service_error_ratio{service=\"checkout\"} 0.3\nservice_error_ratio{service=\"payments\"} 0.05\n").await;
    servers::post_alerts(&am.url, &payments_alert(None)).await;

    let compute = || {
        let catalog = catalog.clone();
        let p = p.clone();
        let sources = sources.clone();
        async move {
            let now = chrono::Utc::now();
            let m = metrics::read(&p.clone().into(), &catalog, now, true).await;
            let mut board = AlertBoard::with_sources(["am"]);
            for r in poll_once(&sources, &AlertFilter::default(), Duration::from_secs(10)).await {
                r.apply(&mut board);
            }
            (blast_radius(&catalog, &board.merged(), &m.values), m)
        }
    };
    let state = |b: &BlastRadius, n: &str| b.get(n).map(|s| s.state);

    let (b, m) = eventually(
        "Prometheus has scraped the pushed ratios and the alert is listed",
        Duration::from_secs(30),
        || async {
            let (b, m) = compute().await;
            (state(&b, "checkout") == Some(ServiceState::Down)
                && state(&b, "payments") == Some(ServiceState::Degraded))
            .then_some((b, m))
        },
    )
    .await;
    assert_eq!(state(&b, "web"), Some(ServiceState::AtRisk));
    assert_eq!(state(&b, "search"), Some(ServiceState::Ok));
    assert!(b.customers_affected());
    let checkout = b.get("checkout").unwrap();
    let said: Vec<String> = checkout.evidence.iter().map(|e| e.describe()).collect();
    assert_eq!(
        said,
        vec![
            "error ratio 0.3000 > 0.2000 (down)",
            "depends on payments (degraded)"
        ]
    );
    assert!(
        !checkout.root_suspect,
        "checkout's failure may come from payments"
    );
    let payments = b.get("payments").unwrap();
    let said: Vec<String> = payments.evidence.iter().map(|e| e.describe()).collect();
    assert_eq!(
        said,
        vec![
            "alert PaymentsTimeouts (warning)",
            "error ratio 0.0500 > 0.0100 (degraded)"
        ]
    );
    assert!(payments.root_suspect);
    // The sparkline data is the pushed value as Prometheus recorded it.
    let spark = &m.history["checkout"];
    assert!(!spark.is_empty());
    assert_eq!(spark.last().unwrap().1, Some(0.3));
    assert_eq!(m.history["payments"].last().unwrap().1, Some(0.05));

    // The incident records it.
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let mut j = store
        .create(
            "alice",
            chrono::Utc::now(),
            "Checkout errors",
            Severity::Sev1,
            None,
        )
        .unwrap();
    let rec = j
        .append_if("alice", chrono::Utc::now(), &mut |i| {
            Ok(i.and_then(|i| i.blast_changes(&b)))
        })
        .unwrap();
    assert!(rec.is_some());
    // Seen again unchanged: nothing more.
    assert!(
        j.append_if("alice", chrono::Utc::now(), &mut |i| Ok(
            i.and_then(|i| i.blast_changes(&b))
        ))
        .unwrap()
        .is_none()
    );

    // Recovery: errors back to zero, the alert resolved.
    push(&pg.url, "errors", "service_error_ratio{service=\"checkout\"} 0\nservice_error_ratio{service=\"payments\"} 0\n").await;
    servers::post_alerts(&am.url, &payments_alert(Some(-1))).await;
    let b = eventually("everything recovers", Duration::from_secs(30), || async {
        let (b, _) = compute().await;
        (b.affected().count() == 0).then_some(b)
    })
    .await;
    j.append_if("alice", chrono::Utc::now(), &mut |i| {
        Ok(i.and_then(|i| i.blast_changes(&b)))
    })
    .unwrap();
    let changes: Vec<(String, &'static str)> = j
        .records()
        .iter()
        .filter_map(|r| match &r.entry.event {
            Event::BlastRadiusChanged { changes } => Some(changes.clone()),
            _ => None,
        })
        .flatten()
        .map(|c| (c.service.clone(), c.kind()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("checkout".to_string(), "first affected"),
            ("payments".into(), "first affected"),
            ("web".into(), "first affected"),
            ("checkout".into(), "recovered"),
            ("payments".into(), "recovered"),
            ("web".into(), "recovered"),
        ]
    );
    let incident = j.incident().unwrap();
    assert!(
        incident
            .services
            .values()
            .all(|(s, _)| *s == ServiceState::Ok)
    );
    assert!(incident.first_affected.contains_key("web"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warroom_blast_json_names_every_service_with_its_state_and_the_unmapped_alerts() {
    let Some(pg) = servers::pushgateway() else {
        return;
    };
    let Some(prom) = servers::prometheus(&pg.addr, "groups: []\n", None) else {
        return;
    };
    let Some(am) = servers::alertmanager(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[[alertmanager]]\nurl = \"{}\"\n\n[prometheus]\nurl = \"{}\"\n",
            am.url, prom.url
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("services.toml"), SERVICES).unwrap();
    push(&pg.url, "errors", "service_error_ratio{service=\"checkout\"} 0.3\nservice_error_ratio{service=\"payments\"} 0\n").await;
    servers::post_alerts(
        &am.url,
        &serde_json::json!([{"labels": {"alertname": "DiskFull", "instance": "db-7"}}]),
    )
    .await;
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("warroom")
            .unwrap()
            .env("WARROOM_DATA_DIR", &data)
            .env("WARROOM_CONFIG", dir.path().join("config.toml"))
            .env("WARROOM_USER", "alice")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (_, id, _) = run(&["open", "Checkout errors", "--severity", "sev1"]);
    let id = id.trim().to_string();
    let doc: serde_json::Value = eventually("checkout shows down", Duration::from_secs(30), || {
        let (code, out, err) = run(&["blast", &id, "--json"]);
        async move {
            assert_eq!(code, Some(0), "{err}");
            let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
            let down = doc["services"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "checkout" && s["state"] == "down");
            let unmapped = !doc["unmapped"].as_array().unwrap().is_empty();
            (down && unmapped).then_some(doc)
        }
    })
    .await;
    let states: Vec<(String, String)> = doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("checkout".to_string(), "down".to_string()),
            ("web".into(), "at_risk".into()),
            ("payments".into(), "ok".into()),
            ("search".into(), "ok".into()),
        ]
    );
    assert_eq!(doc["services"][0]["evidence"][0]["kind"], "metric");
    assert_eq!(doc["unmapped"][0]["name"], "DiskFull");
    assert_eq!(doc["customers_affected"], true);
    // The text form for people.
    let (code, out, _) = run(&["blast", &id]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("2 of 4 services affected — customers affected"),
        "{out}"
    );
    assert!(out.contains("down      checkout"), "{out}");
    assert!(
        out.contains("DiskFull {alertname=DiskFull, instance=db-7}"),
        "{out}"
    );
    // An unknown incident is bad input.
    assert_eq!(run(&["blast", "INC-99"]).0, Some(2));
}
