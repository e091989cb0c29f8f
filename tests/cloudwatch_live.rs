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
use warroom::domain::CloudWatchQuery;

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
    for o in [&stdout, &text, &probe] {
        assert!(!o.contains(SECRET_KEY), "the secret key shows: {o}");
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
    });
}
