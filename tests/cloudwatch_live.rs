//! CloudWatch against moto's server on loopback (the one stand-in: CloudWatch cannot run
//! here): an alarm set to `ALARM` shows in `warroom alerts` (text and JSON) and in
//! `check-config --probe`, mapped to its service by its dimensions, and an alarm left `OK`
//! does not; values put with PutMetricData come back through GetMetricData; no credential
//! ever shows. Every request, the test's own included, is SigV4-signed by warroom's signer.

use crate::support;

use chrono::{Duration as Minutes, DurationRound, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use support::moto::{self, ACCESS_KEY, REGION, SECRET_KEY};
use warroom::backends::metrics::MetricReaders;
use warroom::domain::{CloudWatchQuery, MetricQuery};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn config(url: &str) -> String {
    format!("[cloudwatch]\nregion = \"{REGION}\"\nendpoint = \"{url}\"\n")
}

fn aws_env() -> [(&'static str, &'static str); 2] {
    [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ]
}

#[test]
fn an_alarm_in_alarm_shows_as_an_alert_of_its_service() {
    let Some(server) = moto::moto() else {
        return;
    };
    let cw = moto::client(&server.url, Duration::from_secs(10));
    runtime().block_on(async {
        moto::raise_alarm(
            &cw,
            "checkout-5xx",
            "Checkout/Web",
            "Errors5xx",
            &[("service", "checkout"), ("env", "prod")],
            "Threshold Crossed: 1 datapoint [12.0] was greater than 5.0",
        )
        .await;
        // An alarm that is not in ALARM stays off the board.
        cw.call(
            "PutMetricAlarm",
            &[
                ("AlarmName", "search-latency"),
                ("Namespace", "Search/Web"),
                ("MetricName", "Latency"),
                ("Statistic", "Average"),
                ("Period", "60"),
                ("EvaluationPeriods", "1"),
                ("Threshold", "1"),
                ("ComparisonOperator", "GreaterThanThreshold"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        )
        .await
        .unwrap();
    });

    let s = support::cli::setup(&config(&server.url), &aws_env());
    let out = s.run(&["alerts", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}{stdout}",
        support::cli::stderr(&out)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{stdout}");
    let a = &alerts[0];
    assert_eq!(a["labels"]["alertname"], "checkout-5xx");
    assert_eq!(a["labels"]["service"], "checkout");
    assert_eq!(a["labels"]["env"], "prod");
    assert_eq!(a["labels"]["namespace"], "Checkout/Web");
    assert_eq!(a["labels"]["metric"], "Errors5xx");
    assert_eq!(
        a["annotations"]["summary"],
        "Threshold Crossed: 1 datapoint [12.0] was greater than 5.0"
    );
    assert_eq!(a["sources"], serde_json::json!(["cloudwatch"]));
    let since = chrono::DateTime::parse_from_rfc3339(a["starts_at"].as_str().unwrap()).unwrap();
    assert!(
        (Utc::now() - since.to_utc()).num_minutes().abs() < 10,
        "the time the alarm entered ALARM: {since}"
    );
    assert_eq!(v["sources"][0]["name"], "cloudwatch");
    assert_eq!(v["sources"][0]["ok"], true);

    // As text: under its service, named, with its reason.
    let out = s.run(&["alerts"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("checkout"), "{text}");
    assert!(text.contains("checkout-5xx"), "{text}");
    assert!(!text.contains("search-latency"), "{text}");

    // The probe reaches it and says the credentials were accepted.
    let out = s.run(&["check-config", "--probe"]);
    let probe = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{probe}{}",
        support::cli::stderr(&out)
    );
    assert!(
        probe.contains("probe cloudwatch (")
            && probe.contains("ok, credentials accepted (1 alarms in ALARM)"),
        "{probe}"
    );
    // Without --probe: where, and whether credentials were found; without them, why not.
    let out = s.run(&["check-config"]);
    let described = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        described.contains(&format!(
            "cloudwatch: {} region {REGION} (credentials found)",
            server.url
        )),
        "{described}"
    );
    let out = s
        .command()
        .args(["check-config"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            s.config.with_file_name("no-credentials"),
        )
        .output()
        .unwrap();
    let missing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        missing.contains(
            "WARNING: no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
        ),
        "{missing}"
    );
    for o in [&stdout, &text, &probe, &described] {
        assert!(!o.contains(SECRET_KEY), "the secret key shows: {o}");
        assert!(!o.contains(ACCESS_KEY), "the access key shows: {o}");
    }
}

#[test]
fn values_put_with_put_metric_data_come_back_through_get_metric_data() {
    let Some(server) = moto::moto() else {
        return;
    };
    let cw = moto::client(&server.url, Duration::from_secs(10));
    let minute = Utc::now().duration_trunc(Minutes::minutes(1)).unwrap();
    let dims = [("service", "checkout")];
    let put = [(4, 1.0), (3, 7.5), (2, 12.0)];
    runtime().block_on(async {
        for (ago, value) in put {
            moto::put_metric(
                &cw,
                "Checkout/Web",
                "ErrorRate",
                &dims,
                value,
                minute - Minutes::minutes(ago),
            )
            .await;
        }
        // The same metric of another service is not mixed in.
        moto::put_metric(
            &cw,
            "Checkout/Web",
            "ErrorRate",
            &[("service", "search")],
            99.0,
            minute - Minutes::minutes(3),
        )
        .await;
        let query = CloudWatchQuery {
            namespace: "Checkout/Web".into(),
            metric: "ErrorRate".into(),
            dimensions: BTreeMap::from([("service".to_string(), "checkout".to_string())]),
            stat: "Average".into(),
            period_secs: 60,
        };
        let points = cw
            .get_metric_data(
                &query,
                minute - Minutes::minutes(10),
                minute + Minutes::minutes(1),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        let expected: Vec<_> = put
            .iter()
            .map(|(ago, v)| (minute - Minutes::minutes(*ago), *v))
            .collect();
        assert_eq!(points, expected);

        // Through the metrics seam, as the console's poller and `warroom blast` read it: the
        // history has the same points, the value now is the newest.
        let readers = MetricReaders::from(cw.clone());
        let q = MetricQuery::CloudWatch(query);
        let history = readers
            .range(
                &q,
                minute - Minutes::minutes(10),
                minute + Minutes::minutes(1),
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        let expected: Vec<_> = expected.into_iter().map(|(t, v)| (t, Some(v))).collect();
        assert_eq!(history, expected);
        assert_eq!(
            readers
                .instant(&q, minute + Minutes::minutes(1))
                .await
                .unwrap(),
            Some(12.0)
        );
    });
}

const SERVICES: &str = r#"
[[service]]
name = "checkout"
tier = 1
customer_facing = true
[[service.metric]]
name = "error rate"
cloudwatch = { namespace = "Checkout/Web", metric = "ErrorRate", dimensions = { service = "checkout" }, stat = "Average", period = "60s" }
degraded_above = 5
down_above = 10

[[service]]
name = "search"
tier = 2
[[service.metric]]
name = "latency ms"
cloudwatch = { namespace = "Search/Web", metric = "Latency", period = "1m" }
degraded_above = 500

[[service]]
name = "payments"
tier = 1
"#;

#[test]
fn metrics_and_alarms_reach_the_blast_radius() {
    let Some(server) = moto::moto() else {
        return;
    };
    let cw = moto::client(&server.url, Duration::from_secs(10));
    let now = Utc::now();
    runtime().block_on(async {
        for ago in [1, 2] {
            let at = now - Minutes::minutes(ago);
            moto::put_metric(
                &cw,
                "Checkout/Web",
                "ErrorRate",
                &[("service", "checkout")],
                12.0,
                at,
            )
            .await;
            moto::put_metric(&cw, "Search/Web", "Latency", &[], 120.0, at).await;
        }
        moto::raise_alarm(
            &cw,
            "payments-timeouts",
            "Payments/Api",
            "Timeouts",
            &[("service", "payments")],
            "Threshold Crossed",
        )
        .await;
    });
    let s = support::cli::setup(&config(&server.url), &aws_env());
    std::fs::write(s.config.parent().unwrap().join("services.toml"), SERVICES).unwrap();
    let out = s.run(&["blast", &s.id, "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = support::cli::stderr(&out);
    assert!(out.status.success(), "{stderr}{stdout}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let service = |name: &str| {
        v["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
    };
    let checkout = service("checkout");
    assert_eq!(checkout["state"], "down", "{checkout}");
    assert_eq!(checkout["key_metric"]["name"], "error rate");
    assert_eq!(checkout["key_metric"]["value"], 12.0);
    let search = service("search");
    assert_eq!(search["state"], "ok", "{search}");
    assert_eq!(search["key_metric"]["value"], 120.0);
    let payments = service("payments");
    assert_ne!(payments["state"], "ok", "{payments}");
    assert!(
        payments["evidence"]
            .to_string()
            .contains("payments-timeouts"),
        "{payments}"
    );
    assert!(!stdout.contains(SECRET_KEY) && !stderr.contains(SECRET_KEY));
}
