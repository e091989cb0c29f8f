//! `warroom drill live` against a real Prometheus, Pushgateway and Alertmanager started here:
//! the bad deploy's metrics pushed through the Pushgateway make the team's own rules fire and
//! each expected alert comes back through warroom's sources with its latency; with one rule
//! removed from Prometheus's rule file, the missing alert is the drill's finding (exit 1);
//! the synthetic alerts posted straight into the Alertmanager come back too; afterwards the
//! Alertmanager and the Pushgateway hold nothing of the drill; and a source without
//! `drills = true` is refused (exit 2, naming the table and the file).

use crate::support;

use serde_json::Value;
use std::time::Duration;
use support::servers::{self, Server, set_rules};

/// The team's rules for the scenario's alerts (the fault's metrics cross each of them).
fn rules(without: Option<&str>) -> String {
    let all = [
        (
            "CheckoutErrorBudgetBurn",
            "service:http_errors:ratio_rate1m{service=\"checkout\"} > 0.02",
        ),
        (
            "CheckoutHighErrorRate",
            "service:http_errors:ratio_rate1m{service=\"checkout\"} > 0.10",
        ),
        (
            "PricingErrorRate",
            "service:http_errors:ratio_rate1m{service=\"pricing\"} > 0.03",
        ),
        (
            "CartErrorRate",
            "service:http_errors:ratio_rate1m{service=\"cart\"} > 0.03",
        ),
        (
            "PaymentsLatencyHigh",
            "service:http_latency_p99:seconds{service=\"payments\"} > 1",
        ),
    ];
    let mut out = String::from("groups:\n  - name: shop\n    rules:\n");
    for (name, expr) in all.iter().filter(|(n, _)| Some(*n) != without) {
        out.push_str(&format!(
            "      - alert: {name}\n        expr: '{expr}'\n        labels:\n          severity: warning\n"
        ));
    }
    out
}

fn config(am: &Server, prom: &Server, pg: &Server, marks: [bool; 3]) -> String {
    format!(
        "[[alertmanager]]\nname = \"am\"\nurl = \"{}\"\ndrills = {}\n\n[prometheus]\nurl = \"{}\"\ndrills = {}\n\n[pushgateway]\nurl = \"{}\"\ndrills = {}\n\n[alerts]\npoll_interval = \"1s\"\ntimeout = \"3s\"\n",
        am.url, marks[0], prom.url, marks[1], pg.url, marks[2]
    )
}

fn get(url: &str) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = warroom::backends::http_client().expect("http client");
        match client
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => r.json::<Value>().await.unwrap_or(Value::Null),
            _ => Value::Null,
        }
    })
}

/// Nothing of any drill in the Alertmanager or the Pushgateway.
fn nothing_left(am: &Server, pg: &Server) {
    let alerts = get(&format!("{}/api/v2/alerts", am.url));
    let drill: Vec<&Value> = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["labels"]["drill"] == "true")
        .collect();
    assert!(
        drill.is_empty(),
        "drill alerts left in the Alertmanager: {drill:?}"
    );
    let groups = get(&format!("{}/api/v1/metrics", pg.url));
    let drill: Vec<&Value> = groups["data"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["labels"].get("drill_run").is_some())
        .collect();
    assert!(
        drill.is_empty(),
        "drill series left on the Pushgateway: {drill:?}"
    );
}

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    support::cli::warroom(&dir.join("data"), &dir.join("config.toml"), &[])
        .args(args)
        .output()
        .unwrap()
}

fn arrivals(out: &std::process::Output) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["arrivals"].as_array().unwrap().clone()
}

#[test]
fn a_live_drill_measures_the_pipeline_reports_the_missing_alert_and_leaves_nothing() {
    let Some(am) = servers::alertmanager(None) else {
        return;
    };
    let Some(pg) = servers::pushgateway() else {
        return;
    };
    let Some(prom) = servers::prometheus_pipeline(&pg.addr, &rules(None), &am.addr) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        config(&am, &prom, &pg, [true; 3]),
    )
    .unwrap();

    // Every rule in place: each expected alert comes back, with its latency.
    let out = run(
        dir.path(),
        &["drill", "live", "bad-deploy", "--wait", "60s", "--json"],
    );
    let got = arrivals(&out);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<&str> = got.iter().map(|a| a["alert"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "CheckoutErrorBudgetBurn",
            "CheckoutHighErrorRate",
            "PricingErrorRate",
            "CartErrorRate",
            "PaymentsLatencyHigh"
        ]
    );
    for a in &got {
        let l = a["latency_secs"].as_f64().unwrap_or_else(|| panic!("{a}"));
        assert!(l > 0.0 && l < 60.0, "{a}");
        assert!(a["source"].is_string(), "{a}");
    }
    nothing_left(&am, &pg);

    // The team's PricingErrorRate rule removed: its alert is the finding.
    set_rules(&prom, &rules(Some("PricingErrorRate")));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(&format!("{}/api/v1/rules", prom.url));
        if !r.to_string().contains("PricingErrorRate") && r != Value::Null {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "rules not reloaded");
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = run(
        dir.path(),
        &["drill", "live", "bad-deploy", "--wait", "15s", "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing: Vec<&str> = v["arrivals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["latency_secs"].is_null())
        .map(|a| a["alert"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["PricingErrorRate"]);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0]
            .as_str()
            .unwrap()
            .starts_with("PricingErrorRate{service=pricing} never came back")
    );
    nothing_left(&am, &pg);
    // The text says it too.
    let out = run(
        dir.path(),
        &["drill", "live", "bad-deploy", "--wait", "10s"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PricingErrorRate{service=pricing}"), "{text}");
    assert!(text.contains("NEVER came back within 10s"), "{text}");
    assert!(text.contains("came back after"), "{text}");
    nothing_left(&am, &pg);

    // Straight into the Alertmanager: its alerts come back, and are expired at the end.
    let out = run(
        dir.path(),
        &[
            "drill",
            "live",
            "bad-deploy",
            "--via",
            "alertmanager",
            "--wait",
            "30s",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let got = arrivals(&out);
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|a| a["source"] == "am"), "{got:?}");
    nothing_left(&am, &pg);

    // A source not marked for drills is refused, by table and file, before anything is pushed.
    for (marks, table) in [
        ([true, true, false], "[pushgateway]"),
        ([true, false, true], "[prometheus]"),
        ([false, true, true], "[[alertmanager]] \"am\""),
    ] {
        std::fs::write(
            dir.path().join("config.toml"),
            config(&am, &prom, &pg, marks),
        )
        .unwrap();
        let out = run(dir.path(), &["drill", "live", "bad-deploy", "--wait", "5s"]);
        assert_eq!(out.status.code(), Some(2), "{table}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(table), "{table}: {err}");
        assert!(err.contains("config.toml"), "{err}");
        assert!(err.contains("drills = true"), "{err}");
        nothing_left(&am, &pg);
    }
}
