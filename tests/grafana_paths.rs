//! The Grafana client reads Grafana-managed alerts where Grafana serves them: a real
//! Alertmanager run under `/api/alertmanager/grafana` and a real Prometheus under
//! `/api/prometheus/grafana` stand in for Grafana's compatible APIs. A recording server checks
//! that the bearer token and `X-Grafana-Org-Id` go with every request.

use crate::support;

use serde_json::json;
use std::time::Duration;
use support::servers::{self, eventually, post_alerts, push};
use warroom::backends::alertmanager::AlertFilter;
use warroom::backends::grafana::Grafana;
use warroom::backends::http_client;
use warroom::domain::AlertState;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The root URL of a server run with a route prefix: scheme, host and port only.
fn root(server: &servers::Server) -> String {
    format!("http://{}", server.addr)
}

fn grafana(url: &str, org: Option<u64>) -> Grafana {
    Grafana::new(
        http_client().unwrap(),
        url,
        "glsa_test_token",
        org,
        Duration::from_secs(5),
    )
    .unwrap()
}

#[tokio::test]
async fn grafana_paths_reach_alertmanager_and_prometheus_compatible_apis() {
    let Some(am) = servers::alertmanager(Some("/api/alertmanager/grafana")) else {
        return;
    };
    let Some(pg) = servers::pushgateway() else {
        return;
    };
    let rules = "groups:\n  - name: grafana\n    interval: 1s\n    rules:\n      - alert: QueueBacklog\n        expr: queue_depth > 100\n        for: 1h\n        labels:\n          service: orders\n";
    let Some(prom) = servers::prometheus(&pg.addr, rules, Some("/api/prometheus/grafana")) else {
        return;
    };
    // The servers answer only under their prefix, as Grafana does.
    assert_eq!(servers::http_status(&am.addr, "/api/v2/status"), Some(404));

    post_alerts(
        &am.url,
        &json!([{"labels": {"alertname": "GrafanaRule", "service": "orders", "grafana_folder": "ops"}}]),
    )
    .await;
    let g = grafana(&root(&am), Some(1));
    let alerts = eventually(
        "a Grafana-managed alert",
        Duration::from_secs(20),
        || async {
            let a = g.alerts(&AlertFilter::default()).await.ok()?;
            (!a.is_empty()).then_some(a)
        },
    )
    .await;
    assert_eq!(alerts[0].name(), "GrafanaRule");
    assert_eq!(alerts[0].state, AlertState::Active);
    let status = g.alertmanager().status().await.unwrap();
    assert!(status.version.starts_with("0."));

    push(&pg.url, "orders", "queue_depth 250\n").await;
    let gp = grafana(&root(&prom), None);
    let pending = eventually(
        "a pending Grafana rule",
        Duration::from_secs(30),
        || async {
            let a = gp.prometheus().alerts().await.ok()?;
            a.into_iter().find(|a| a.name() == "QueueBacklog")
        },
    )
    .await;
    assert_eq!(pending.state, AlertState::Pending);
    let rules = gp.prometheus().rules().await.unwrap();
    assert_eq!(rules[0].name, "QueueBacklog");
    assert!(
        gp.prometheus()
            .build_info()
            .await
            .unwrap()
            .version
            .starts_with("2.")
    );
}

#[tokio::test]
async fn bearer_token_and_org_header_go_with_every_request() {
    let server = MockServer::start().await;
    for p in [
        "/api/alertmanager/grafana/api/v2/alerts",
        "/api/prometheus/grafana/api/v1/rules",
        "/api/health",
    ] {
        let body = match p {
            "/api/health" => json!({"database": "ok", "version": "11.2.0"}),
            "/api/prometheus/grafana/api/v1/rules" => {
                json!({"status": "success", "data": {"groups": []}})
            }
            _ => json!([]),
        };
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("authorization", "Bearer glsa_test_token"))
            .and(header("x-grafana-org-id", "7"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let g = grafana(&format!("{}/", server.uri()), Some(7));
    assert!(g.alerts(&AlertFilter::default()).await.unwrap().is_empty());
    assert!(g.prometheus().rules().await.unwrap().is_empty());
    assert_eq!(g.version().await.unwrap(), "11.2.0");

    // Without the org header the same mocks do not match: the header is really required above.
    let no_org = grafana(&server.uri(), None);
    assert!(no_org.alerts(&AlertFilter::default()).await.is_err());
    // The token never shows in debug output.
    let shown = format!("{g:?}");
    assert!(!shown.contains("glsa_test_token"), "{shown}");
    server.verify().await;
}
