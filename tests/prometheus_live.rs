//! The Prometheus client against a real Prometheus (Debian's 2.42) scraping a real
//! Pushgateway every second: pushed values come back from range and instant queries with the
//! right points (NaN and ±Inf included), scalar results read, bad PromQL is Prometheus' own
//! error, and an alerting rule over a pushed metric is read as pending, then firing.

use crate::support;

use chrono::{Duration as ChronoDuration, Utc};
use std::time::Duration;
use support::servers::{self, eventually, push};
use warroom::backends::prometheus::Prometheus;
use warroom::backends::{BackendError, Endpoint, http_client};
use warroom::domain::{AlertState, fingerprint_of};

const RULES: &str = r#"
groups:
  - name: checkout
    interval: 1s
    rules:
      - alert: CheckoutErrorsHigh
        expr: checkout_errors > 5
        for: 1h
        labels:
          severity: warning
        annotations:
          summary: "checkout errors at {{ $value }}"
      - alert: CheckoutDown
        expr: checkout_up == 0
        labels:
          severity: critical
        annotations:
          summary: "checkout is down"
"#;

fn client(url: &str) -> Prometheus {
    let http = http_client().unwrap();
    Prometheus::new(Endpoint::new(http, url, Duration::from_secs(5)).unwrap())
}

/// The latest value of `query`, once Prometheus has it.
async fn value_of(p: &Prometheus, query: &str) -> Option<f64> {
    p.query(query, None).await.ok()?.first().map(|s| s.value)
}

#[tokio::test]
async fn pushed_metrics_come_back_from_range_and_instant_queries() {
    let Some(pg) = servers::pushgateway() else {
        return;
    };
    let Some(prom) = servers::prometheus(&pg.addr, RULES, None) else {
        return;
    };
    let p = client(&prom.url);
    let start = Utc::now() - ChronoDuration::seconds(1);

    // Two evaluation steps of 0.25, then two of 0.5, each seen through a range query.
    let range = |want: f64| {
        let p = p.clone();
        async move {
            let series = p
                .query_range(
                    "checkout_latency_seconds",
                    start,
                    Utc::now(),
                    Duration::from_secs(1),
                )
                .await
                .ok()?;
            let n = series
                .first()?
                .points
                .iter()
                .rev()
                .take_while(|(_, v)| *v == want)
                .count();
            (n >= 2).then_some(series)
        }
    };
    push(
        &pg.url,
        "checkout",
        "checkout_latency_seconds{region=\"eu\"} 0.25\n",
    )
    .await;
    eventually("two steps of 0.25", Duration::from_secs(30), || range(0.25)).await;
    push(
        &pg.url,
        "checkout",
        "checkout_latency_seconds{region=\"eu\"} 0.5\n",
    )
    .await;
    let series = eventually("two steps of 0.5", Duration::from_secs(30), || range(0.5)).await;
    let end = Utc::now();

    assert_eq!(series.len(), 1, "{series:?}");
    let s = &series[0];
    assert_eq!(s.labels.get("region").map(String::as_str), Some("eu"));
    assert_eq!(s.labels.get("job").map(String::as_str), Some("checkout"));
    assert!(s.points.len() >= 4, "{:?}", s.points);
    // Steps of exactly one second, in order; the values are what was pushed, 0.25 then 0.5.
    for w in s.points.windows(2) {
        assert_eq!(w[1].0 - w[0].0, ChronoDuration::seconds(1));
    }
    assert!(s.points.iter().all(|(_, v)| *v == 0.25 || *v == 0.5));
    assert_eq!(s.points.first().unwrap().1, 0.25);
    assert_eq!(s.points.last().unwrap().1, 0.5);
    let switch = s.points.iter().position(|(_, v)| *v == 0.5).unwrap();
    assert!(s.points[switch..].iter().all(|(_, v)| *v == 0.5));
    assert!(s.points.iter().all(|(t, _)| *t >= start && *t <= end));

    // Instant vector with labels and time; scalar; NaN and infinities given as strings.
    let at = Utc::now();
    let v = p.query("checkout_latency_seconds", Some(at)).await.unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].value, 0.5);
    assert_eq!(v[0].at.timestamp_millis(), at.timestamp_millis());
    let scalar = p.query("scalar(vector(3)) * 2", None).await.unwrap();
    assert_eq!(scalar.len(), 1);
    assert!(scalar[0].labels.is_empty());
    assert_eq!(scalar[0].value, 6.0);
    push(
        &pg.url,
        "odd",
        "odd_ratio NaN\nodd_max +Inf\nodd_min -Inf\n",
    )
    .await;
    eventually("odd values scraped", Duration::from_secs(30), || async {
        let v = p.query("{__name__=~\"odd_.*\"}", None).await.ok()?;
        (v.len() == 3).then_some(())
    })
    .await;
    assert!(value_of(&p, "odd_ratio").await.unwrap().is_nan());
    assert_eq!(value_of(&p, "odd_max").await.unwrap(), f64::INFINITY);
    assert_eq!(value_of(&p, "odd_min").await.unwrap(), f64::NEG_INFINITY);
    assert!(
        p.query("nothing_by_this_name", None)
            .await
            .unwrap()
            .is_empty()
    );

    // Prometheus' own error (HTTP 400, status "error"), in its words.
    let err = p.query("sum(", None).await.unwrap_err();
    match &err {
        BackendError::Api { error_type, .. } => assert_eq!(error_type, "bad_data"),
        other => panic!("expected an API error, got {other:?}"),
    }
    assert!(err.to_string().contains("parse error"), "{err}");
    // A string result has no number: a clear error, not a panic.
    let err = p.query("\"text\"", None).await.unwrap_err();
    assert!(err.to_string().contains("string"), "{err}");

    let info = p.build_info().await.unwrap();
    assert!(info.version.starts_with("2."), "{info:?}");
}

#[tokio::test]
async fn alerts_of_prometheus_rules_are_read_pending_then_firing() {
    let Some(pg) = servers::pushgateway() else {
        return;
    };
    let Some(prom) = servers::prometheus(&pg.addr, RULES, None) else {
        return;
    };
    let p = client(&prom.url);
    push(&pg.url, "checkout", "checkout_errors 9\ncheckout_up 1\n").await;

    // `for: 1h`: pending, and stays so.
    let pending = eventually("a pending alert", Duration::from_secs(30), || async {
        p.alerts()
            .await
            .ok()?
            .into_iter()
            .find(|a| a.name() == "CheckoutErrorsHigh")
    })
    .await;
    assert_eq!(pending.state, AlertState::Pending);
    assert_eq!(pending.severity().as_deref(), Some("warning"));
    assert_eq!(pending.summary(), "checkout errors at 9");
    assert_eq!(pending.fingerprint, fingerprint_of(&pending.labels));
    assert!(pending.starts_at <= Utc::now());

    // No `for:`: firing as soon as the rule sees it.
    push(&pg.url, "checkout", "checkout_errors 9\ncheckout_up 0\n").await;
    let firing = eventually("a firing alert", Duration::from_secs(30), || async {
        p.alerts()
            .await
            .ok()?
            .into_iter()
            .find(|a| a.name() == "CheckoutDown")
    })
    .await;
    assert_eq!(firing.state, AlertState::Active);
    assert_eq!(firing.summary(), "checkout is down");

    let rules = p.rules().await.unwrap();
    assert_eq!(rules.len(), 2, "{rules:#?}");
    let high = rules
        .iter()
        .find(|r| r.name == "CheckoutErrorsHigh")
        .unwrap();
    assert_eq!(high.group, "checkout");
    assert_eq!(high.state, "pending");
    assert_eq!(high.for_secs, 3600.0);
    assert_eq!(high.query, "checkout_errors > 5");
    assert_eq!(high.active_alerts, 1);
    assert_eq!(high.health, "ok");
    let down = rules.iter().find(|r| r.name == "CheckoutDown").unwrap();
    assert_eq!(down.state, "firing");
}
