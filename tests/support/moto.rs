//! moto's server (`moto_server`, PyPI `moto[server]`) standing in for CloudWatch on a free
//! loopback port, killed when dropped; and a signed Query API client for the test's own
//! requests (PutMetricAlarm, SetAlarmState, PutMetricData), through warroom's own signer.
//!
//! Missing `moto_server`: a loud SKIPPED outside CI, a failure under `CI=true`.
#![allow(dead_code)]

use super::servers::{Server, free_port, require, start};
use std::time::Duration;
use warroom::backends::cloudwatch::{AwsCredentials, CloudWatch};

/// The region every test uses.
pub const REGION: &str = "eu-west-1";
/// moto accepts any key; these are made up.
pub const ACCESS_KEY: &str = "AKIDWARROOMTEST";
pub const SECRET_KEY: &str = "warroom-test-secret-key-0123456789";

/// moto_server on loopback, its working files in a temp dir.
pub fn moto() -> Option<Server> {
    let bin = require("moto (PyPI moto[server])", &["moto_server"])?;
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let args = vec![
        "-H".to_string(),
        "127.0.0.1".to_string(),
        "-p".to_string(),
        port.to_string(),
    ];
    let url = format!("http://{addr}");
    Some(start(
        "moto_server",
        &bin,
        args,
        dir,
        addr,
        url,
        "/moto-api/",
    ))
}

pub fn credentials() -> AwsCredentials {
    AwsCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET_KEY.into(),
        session_token: None,
    }
}

/// A client for `url` (moto, or a misbehaving server) with the test credentials.
pub fn client(url: &str, timeout: Duration) -> CloudWatch {
    CloudWatch::new(
        warroom::backends::http_client().unwrap(),
        REGION,
        Some(url),
        credentials(),
        timeout,
    )
    .unwrap()
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An alarm on `namespace`/`metric` with `dimensions`, then set to `ALARM` with `reason`.
pub async fn raise_alarm(
    cw: &CloudWatch,
    name: &str,
    namespace: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
    reason: &str,
) {
    let mut p = params(&[
        ("AlarmName", name),
        ("Namespace", namespace),
        ("MetricName", metric),
        ("Statistic", "Average"),
        ("Period", "60"),
        ("EvaluationPeriods", "1"),
        ("Threshold", "5"),
        ("ComparisonOperator", "GreaterThanThreshold"),
        ("AlarmDescription", "raised by the test"),
    ]);
    for (n, (k, v)) in dimensions.iter().enumerate() {
        p.push((format!("Dimensions.member.{}.Name", n + 1), k.to_string()));
        p.push((format!("Dimensions.member.{}.Value", n + 1), v.to_string()));
    }
    cw.call("PutMetricAlarm", &p).await.unwrap();
    cw.call(
        "SetAlarmState",
        &params(&[
            ("AlarmName", name),
            ("StateValue", "ALARM"),
            ("StateReason", reason),
        ]),
    )
    .await
    .unwrap();
}

/// Puts `value` for `namespace`/`metric` with `dimensions` at `at`.
pub async fn put_metric(
    cw: &CloudWatch,
    namespace: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
    value: f64,
    at: chrono::DateTime<chrono::Utc>,
) {
    let m = "MetricData.member.1";
    let mut p = vec![
        ("Namespace".to_string(), namespace.to_string()),
        (format!("{m}.MetricName"), metric.to_string()),
        (format!("{m}.Value"), value.to_string()),
        (
            format!("{m}.Timestamp"),
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
    ];
    for (n, (k, v)) in dimensions.iter().enumerate() {
        p.push((
            format!("{m}.Dimensions.member.{}.Name", n + 1),
            k.to_string(),
        ));
        p.push((
            format!("{m}.Dimensions.member.{}.Value", n + 1),
            v.to_string(),
        ));
    }
    cw.call("PutMetricData", &p).await.unwrap();
}
