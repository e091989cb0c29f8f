//! The Alertmanager client against real Alertmanagers (Debian's 0.25): alerts posted as a
//! Prometheus would are listed, filtered by label, grouped by the route, merged across an HA
//! pair into one entry naming both sources; a silence created from the client suppresses the
//! alert and expiring it makes it active again.

use crate::support;

use chrono::{Duration as ChronoDuration, Utc};
use serde_json::json;
use std::time::Duration;
use support::servers::{self, eventually, post_alerts};
use warroom::backends::alertmanager::{AlertFilter, Alertmanager};
use warroom::backends::{Endpoint, Matcher, http_client};
use warroom::domain::{AlertBoard, AlertState};

fn client(url: &str) -> Alertmanager {
    let http = http_client().unwrap();
    Alertmanager::new(Endpoint::new(http, url, Duration::from_secs(5)).unwrap())
}

fn alerts_json() -> serde_json::Value {
    json!([
        {
            "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
            "annotations": {"summary": "5xx above 5% on checkout"},
            "generatorURL": "http://prometheus.example/graph?g0.expr=errors"
        },
        {
            "labels": {"alertname": "SlowResponses", "service": "checkout", "severity": "warning"},
            "annotations": {"description": "p99 above 2s"}
        },
        {
            "labels": {"alertname": "DiskFilling", "service": "search", "severity": "warning"}
        }
    ])
}

#[tokio::test]
async fn posted_alerts_are_listed_filtered_grouped_and_merged_across_an_ha_pair() {
    let Some(am_a) = servers::alertmanager(None) else {
        return;
    };
    let Some(am_b) = servers::alertmanager(None) else {
        return;
    };
    post_alerts(&am_a.url, &alerts_json()).await;
    // The pair's second member only got the checkout alerts (a network blip, say).
    let both = json!([alerts_json()[0].clone(), alerts_json()[1].clone()]);
    post_alerts(&am_b.url, &both).await;

    let a = client(&am_a.url);
    let b = client(&am_b.url);
    let listed = eventually("three alerts on am-a", Duration::from_secs(20), || async {
        let l = a.alerts(&AlertFilter::default()).await.ok()?;
        (l.len() == 3).then_some(l)
    })
    .await;
    let high = listed.iter().find(|x| x.name() == "HighErrorRate").unwrap();
    assert_eq!(high.state, AlertState::Active);
    assert_eq!(high.summary(), "5xx above 5% on checkout");
    assert_eq!(high.severity().as_deref(), Some("critical"));
    assert_eq!(high.fingerprint.len(), 16, "Alertmanager's own fingerprint");
    assert_eq!(
        high.generator_url.as_deref(),
        Some("http://prometheus.example/graph?g0.expr=errors")
    );
    assert!(high.ends_at.is_some());
    let slow = listed.iter().find(|x| x.name() == "SlowResponses").unwrap();
    assert_eq!(slow.summary(), "p99 above 2s");

    // Filter by label, on the server.
    let checkout = a
        .alerts(&AlertFilter::matching(&[Matcher::parse(
            "service=\"checkout\"",
        )
        .unwrap()]))
        .await
        .unwrap();
    let mut names: Vec<&str> = checkout.iter().map(|x| x.name()).collect();
    names.sort();
    assert_eq!(names, ["HighErrorRate", "SlowResponses"]);
    let regex = a
        .alerts(&AlertFilter::matching(&[
            Matcher::parse("service=~\"check.*\"").unwrap(),
            Matcher::parse("severity!=\"warning\"").unwrap(),
        ]))
        .await
        .unwrap();
    assert_eq!(regex.len(), 1);
    assert_eq!(regex[0].name(), "HighErrorRate");

    // Grouped by the route's group_by (service).
    let groups = eventually("two groups on am-a", Duration::from_secs(20), || async {
        let g = a.alert_groups(&AlertFilter::default()).await.ok()?;
        (g.len() == 2).then_some(g)
    })
    .await;
    let g = groups
        .iter()
        .find(|g| g.labels.get("service").map(String::as_str) == Some("checkout"))
        .unwrap();
    assert_eq!(g.receiver, "null");
    assert_eq!(g.alerts.len(), 2);

    // Merged across the pair: one entry per alert; the shared ones name both sources.
    let from_b = eventually("two alerts on am-b", Duration::from_secs(20), || async {
        let l = b.alerts(&AlertFilter::default()).await.ok()?;
        (l.len() == 2).then_some(l)
    })
    .await;
    let mut board = AlertBoard::with_sources(["am-a", "am-b"]);
    board.report_ok("am-a", listed.clone(), Utc::now());
    board.report_ok("am-b", from_b, Utc::now());
    let merged = board.merged();
    assert_eq!(merged.len(), 3, "{merged:#?}");
    let high = merged.iter().find(|x| x.name() == "HighErrorRate").unwrap();
    assert_eq!(high.sources, ["am-a", "am-b"]);
    let disk = merged.iter().find(|x| x.name() == "DiskFilling").unwrap();
    assert_eq!(disk.sources, ["am-a"]);

    let status = a.status().await.unwrap();
    assert!(
        status.version.starts_with("0."),
        "version {:?}",
        status.version
    );
    assert_eq!(status.cluster, "disabled");
}

#[tokio::test]
async fn a_silence_from_the_client_suppresses_and_expiring_it_reactivates() {
    let Some(am) = servers::alertmanager(None) else {
        return;
    };
    post_alerts(&am.url, &alerts_json()).await;
    let c = client(&am.url);
    let high = |filter: AlertFilter| {
        let c = c.clone();
        async move {
            c.alerts(&filter)
                .await
                .ok()?
                .into_iter()
                .find(|a| a.name() == "HighErrorRate")
        }
    };
    eventually("the alert is active", Duration::from_secs(20), || {
        high(AlertFilter::default())
    })
    .await;

    let now = Utc::now();
    let id = c
        .create_silence(
            &[
                Matcher::equal("alertname", "HighErrorRate"),
                Matcher::equal("service", "checkout"),
            ],
            now,
            now + ChronoDuration::hours(1),
            "alice",
            "INC-1: rollback in progress",
        )
        .await
        .unwrap();
    assert!(!id.is_empty());

    let silenced = eventually(
        "the alert is suppressed",
        Duration::from_secs(20),
        || async {
            high(AlertFilter::default())
                .await
                .filter(|a| a.state == AlertState::Suppressed)
        },
    )
    .await;
    assert_eq!(silenced.silenced_by, std::slice::from_ref(&id));
    // The other checkout alert is untouched.
    let slow = c
        .alerts(&AlertFilter::matching(&[Matcher::equal(
            "alertname",
            "SlowResponses",
        )]))
        .await
        .unwrap();
    assert_eq!(slow[0].state, AlertState::Active);
    // Asking for active alerts only leaves the silenced one out.
    let active_only = AlertFilter {
        silenced: false,
        ..AlertFilter::default()
    };
    assert!(high(active_only.clone()).await.is_none());

    let listed = c.silences().await.unwrap();
    let s = listed.iter().find(|s| s.id == id).unwrap();
    assert!(s.is_active());
    assert_eq!(s.created_by, "alice");
    assert_eq!(s.comment, "INC-1: rollback in progress");
    assert_eq!(s.matchers.len(), 2);

    c.expire_silence(&id).await.unwrap();
    let back = eventually(
        "the alert is active again",
        Duration::from_secs(20),
        || async {
            high(active_only.clone())
                .await
                .filter(|a| a.state == AlertState::Active)
        },
    )
    .await;
    assert!(back.silenced_by.is_empty());
    let listed = c.silences().await.unwrap();
    assert_eq!(
        listed.iter().find(|s| s.id == id).unwrap().status.state,
        "expired"
    );

    // A silence with no matcher is refused before any request; a bad ID is the server's 4xx/5xx.
    assert!(c.create_silence(&[], now, now, "alice", "x").await.is_err());
    let err = c.expire_silence("not-a-silence").await.unwrap_err();
    assert!(err.to_string().contains("HTTP"), "{err}");
}
