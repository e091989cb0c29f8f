//! The demo's HTTP server read by warroom's real clients: the Alertmanager and Prometheus
//! clients the console polls with, the metrics reader behind the blast radius, and the blast
//! radius computed from what they read with the demo's own `services.toml`. The server runs
//! on a loopback port with a hand-set clock, so each test moves scenario time itself.

use chrono::{DateTime, TimeZone, Utc};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use warroom::backends::alertmanager::{AlertFilter, Alertmanager};
use warroom::backends::http::{BackendError, Endpoint};
use warroom::backends::matcher::Matcher;
use warroom::backends::metrics;
use warroom::backends::prometheus::Prometheus;
use warroom::demo::{Server, api, files, simulator::Simulator};
use warroom::domain::{AlertState, BlastRadius, ServiceCatalog, ServiceState, blast_radius};
use warroom::drill::scenario::{self, Scenario};

/// The metric of checkout's error ratio, as the demo's scenario names it.
const ERROR_RATIO: &str = "service:http_errors:ratio_rate1m";

/// The demo's scenario: the bad deploy behind a flag.
pub(crate) fn scenario_of_demo() -> Scenario {
    scenario::demo().unwrap()
}

pub(crate) fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 10, 0, 0).unwrap()
}

/// The demo server at speed 1 with a clock the test sets (also used by `demo_drafts`).
pub(crate) struct Demo {
    clock: Arc<Mutex<DateTime<Utc>>>,
    url: String,
    client: reqwest::Client,
    _server: Server,
}

impl Demo {
    pub(crate) fn start(at_secs: i64) -> Demo {
        let clock = Arc::new(Mutex::new(origin() + chrono::Duration::seconds(at_secs)));
        let read: api::Clock = {
            let clock = clock.clone();
            Arc::new(move || *clock.lock().unwrap())
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = Server::start(
            listener,
            api::Shared::new(
                Simulator::new(Arc::new(scenario_of_demo()), origin(), 1.0),
                read,
            ),
        )
        .unwrap();
        Demo {
            clock,
            url,
            client: warroom::backends::http_client().unwrap(),
            _server: server,
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        *self.clock.lock().unwrap()
    }

    pub(crate) fn advance(&self, secs: i64) {
        *self.clock.lock().unwrap() += chrono::Duration::seconds(secs);
    }

    pub(crate) fn endpoint(&self) -> Endpoint {
        Endpoint::new(self.client.clone(), &self.url, Duration::from_secs(5)).unwrap()
    }

    pub(crate) fn am(&self) -> Alertmanager {
        Alertmanager::new(self.endpoint())
    }

    pub(crate) fn prom(&self) -> Prometheus {
        Prometheus::new(self.endpoint())
    }

    async fn post(&self, path: &str, body: &str) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn state(&self) -> serde_json::Value {
        let r = self
            .client
            .get(format!("{}/demo/state", self.url))
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }

    pub(crate) async fn checkout_errors(&self) -> f64 {
        let q = format!("{ERROR_RATIO}{{service=\"checkout\"}}");
        let samples = self.prom().query(&q, None).await.unwrap();
        assert_eq!(samples.len(), 1, "{samples:?}");
        samples[0].value
    }

    /// What the console computes: every Alertmanager alert plus Prometheus' pending ones,
    /// the catalog's metrics, and the blast radius of both.
    pub(crate) async fn blast(&self) -> BlastRadius {
        let alerts = self.alerts().await;
        self.blast_of(&alerts).await
    }

    /// Every Alertmanager alert plus Prometheus' pending ones, as the console merges them.
    pub(crate) async fn alerts(&self) -> Vec<warroom::domain::Alert> {
        let mut alerts = self.am().alerts(&AlertFilter::default()).await.unwrap();
        let pending = self.prom().alerts().await.unwrap();
        alerts.extend(
            pending
                .into_iter()
                .filter(|a| a.state == AlertState::Pending),
        );
        alerts
    }

    /// The blast radius of `alerts` and the metrics read now, with the key metrics' peaks
    /// over their last 30 minutes, as the console computes it.
    pub(crate) async fn blast_of(&self, alerts: &[warroom::domain::Alert]) -> BlastRadius {
        let catalog = catalog();
        let report = metrics::read(&self.prom().into(), &catalog, self.now(), true).await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let mut blast = blast_radius(&catalog, alerts, &report.values);
        warroom::domain::attach_peaks(&mut blast, &report.history, self.now());
        blast
    }
}

pub(crate) fn catalog() -> ServiceCatalog {
    warroom::config::parse_services(
        Path::new("services.toml"),
        &files::services_toml(&scenario_of_demo()),
    )
    .unwrap()
}

fn state_of(b: &BlastRadius, service: &str) -> ServiceState {
    b.get(service)
        .unwrap_or_else(|| panic!("{service} not in the blast radius"))
        .state
}

#[tokio::test]
async fn at_the_peak_checkout_is_down_cart_and_payments_suffer_search_is_fine() {
    let demo = Demo::start(300);
    let am = demo.am();

    let alerts = am.alerts(&AlertFilter::default()).await.unwrap();
    let names: Vec<&str> = alerts.iter().map(|a| a.name()).collect();
    for want in [
        "CheckoutHighErrorRate",
        "CheckoutErrorBudgetBurn",
        "PricingErrorRate",
        "CartErrorRate",
        "PaymentsLatencyHigh",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let critical = alerts
        .iter()
        .find(|a| a.name() == "CheckoutHighErrorRate")
        .unwrap();
    assert_eq!(critical.state, AlertState::Active);
    assert_eq!(critical.severity().as_deref(), Some("critical"));
    assert!(critical.starts_at > origin() && critical.starts_at < demo.now());
    let mut fingerprints: Vec<&str> = alerts.iter().map(|a| a.fingerprint.as_str()).collect();
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), alerts.len(), "fingerprints are unique");

    // Filters and groups, as the API does them.
    let only = am
        .alerts(&AlertFilter::matching(&[Matcher::equal(
            "service", "checkout",
        )]))
        .await
        .unwrap();
    assert_eq!(only.len(), 2, "{only:?}");
    let groups = am.alert_groups(&AlertFilter::default()).await.unwrap();
    let checkout = groups
        .iter()
        .find(|g| g.labels.get("service").map(String::as_str) == Some("checkout"))
        .unwrap();
    assert_eq!(checkout.alerts.len(), 2);
    assert_eq!(checkout.receiver, "oncall");
    let status = am.status().await.unwrap();
    assert!(status.version.starts_with("warroom-demo"), "{status:?}");
    assert_eq!(status.cluster, "disabled");

    // Prometheus: its alerts, its rules, its build.
    let prom = demo.prom();
    let rules = prom.rules().await.unwrap();
    assert_eq!(rules.len(), scenario_of_demo().alerts.len());
    let rule = rules
        .iter()
        .find(|r| r.name == "CheckoutHighErrorRate")
        .unwrap();
    assert_eq!((rule.state.as_str(), rule.active_alerts), ("firing", 1));
    assert_eq!(rule.for_secs, 30.0);
    assert!(
        prom.build_info()
            .await
            .unwrap()
            .version
            .starts_with("warroom-demo")
    );

    // The metrics reader, history included (the sparklines' 30 minutes).
    let catalog = catalog();
    let report = metrics::read(&prom.clone().into(), &catalog, demo.now(), true).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.values.len(), scenario_of_demo().services.len());
    let checkout_errors = report.values["checkout"]["error ratio"];
    assert!(checkout_errors > 0.28, "{checkout_errors}");
    let history = &report.history["checkout"];
    assert_eq!(history.len(), 61, "30 minutes every 30 s");
    assert!(history[0].1.unwrap() < 0.005, "healthy half an hour ago");
    assert!(history[60].1.unwrap() > 0.28);

    // The blast radius from what was read.
    let blast = demo.blast().await;
    assert_eq!(state_of(&blast, "checkout"), ServiceState::Down);
    for hurt in ["cart", "payments"] {
        assert!(
            matches!(
                state_of(&blast, hurt),
                ServiceState::Degraded | ServiceState::AtRisk
            ),
            "{hurt}: {:?}",
            blast.get(hurt)
        );
    }
    assert_eq!(state_of(&blast, "search"), ServiceState::Ok);
    assert_eq!(state_of(&blast, "web"), ServiceState::AtRisk);
    let suspects: Vec<&str> = blast
        .services
        .iter()
        .filter(|s| s.root_suspect)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(suspects, ["pricing"]);
    assert_eq!(blast.unmapped.len(), 1, "the unrelated batch-job alert");
}

#[tokio::test]
async fn at_the_start_one_alert_fires_and_the_critical_one_is_pending_soon_after() {
    let demo = Demo::start(0);
    let firing: Vec<String> = demo
        .am()
        .alerts(&AlertFilter::default())
        .await
        .unwrap()
        .iter()
        .filter(|a| a.label("service").is_some())
        .map(|a| a.name().to_string())
        .collect();
    assert_eq!(firing, ["CheckoutErrorBudgetBurn"]);
    // Pending alerts come from Prometheus.
    demo.advance(30);
    let pending: Vec<String> = demo
        .prom()
        .alerts()
        .await
        .unwrap()
        .iter()
        .filter(|a| a.state == AlertState::Pending)
        .map(|a| a.name().to_string())
        .collect();
    assert!(
        pending.contains(&"CheckoutHighErrorRate".to_string()),
        "{pending:?}"
    );
    let blast = demo.blast().await;
    assert_eq!(state_of(&blast, "search"), ServiceState::Ok);
    assert!(state_of(&blast, "checkout").is_failing());
}

#[tokio::test]
async fn turning_the_flag_off_over_http_clears_checkout_within_a_minute() {
    let demo = Demo::start(200);
    assert!(demo.checkout_errors().await > 0.25);
    let (status, body) = demo.post("/drill/actions/flag-off", "{}").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("flag moves to 0"), "{body}");
    demo.advance(30);
    let half = demo.checkout_errors().await;
    assert!((0.05..0.2).contains(&half), "after 30 s: {half}");
    let state = demo.state().await;
    assert_eq!(state["levers"]["flag"]["target"], 0.0);
    assert_eq!(state["actions_run"][0]["action"], "flag-off");
    demo.advance(31);
    assert!(demo.checkout_errors().await < 0.005);
    let left: Vec<String> = demo
        .am()
        .alerts(&AlertFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|a| a.name().to_string())
        .collect();
    assert_eq!(left, ["BatchJobLate"]);
    let blast = demo.blast().await;
    for s in &scenario_of_demo().services {
        assert_eq!(state_of(&blast, &s.name), ServiceState::Ok, "{}", s.name);
    }
    // Mistakes are answered as such.
    assert_eq!(demo.post("/drill/actions/dark-mode-off", "{}").await.0, 404);
    assert_eq!(demo.post("/drill/actions/flag-off", "off").await.0, 400);
    assert_eq!(
        demo.post("/drill/actions/flag-off", r#"{"flag": "dark-mode"}"#)
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn a_redeploy_over_http_rolls_out_in_a_minute() {
    let demo = Demo::start(200);
    let (status, body) = demo
        .post("/drill/actions/redeploy-pricing", r#"{"version": "v2.30"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    let state = demo.state().await;
    assert_eq!(state["actions_run"][0]["params"]["version"], "v2.30");
    demo.advance(30);
    assert_eq!(demo.state().await["levers"]["rollout"]["level"], 0.5);
    assert!(demo.checkout_errors().await > 0.1, "half rolled out");
    demo.advance(31);
    assert!(demo.checkout_errors().await < 0.005);
    assert_eq!(
        demo.post("/drill/actions/redeploy-pricing", r#"{"version": "v9"}"#)
            .await
            .0,
        400
    );
    assert_eq!(demo.post("/drill/actions/redeploy-search", "").await.0, 404);
    // An empty body redeploys the last known-good build.
    let (status, body) = demo.post("/drill/actions/redeploy-pricing", "").await;
    assert_eq!(status, 200);
    assert!(body.contains("v2.30"), "{body}");
}

#[tokio::test]
async fn silences_round_trip_through_the_alertmanager_client() {
    let demo = Demo::start(300);
    let am = demo.am();
    let now = demo.now();
    let id = am
        .create_silence(
            &[Matcher::equal("service", "cart")],
            now,
            now + chrono::Duration::hours(1),
            "alice",
            "INC-1: cart follows checkout",
        )
        .await
        .unwrap();
    let listed = am.silences().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert!(listed[0].is_active());
    assert_eq!(listed[0].created_by, "alice");
    let cart = am
        .alerts(&AlertFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.name() == "CartErrorRate")
        .unwrap();
    assert_eq!(cart.state, AlertState::Suppressed);
    assert_eq!(cart.silenced_by, vec![id.clone()]);
    let unsilenced = AlertFilter {
        silenced: false,
        ..AlertFilter::default()
    };
    assert!(
        am.alerts(&unsilenced)
            .await
            .unwrap()
            .iter()
            .all(|a| a.name() != "CartErrorRate")
    );
    am.expire_silence(&id).await.unwrap();
    assert_eq!(am.silences().await.unwrap()[0].status.state, "expired");
    assert!(matches!(
        am.expire_silence(&id).await,
        Err(BackendError::Http { status: 500, .. })
    ));
    assert!(matches!(
        am.expire_silence("no-such-silence").await,
        Err(BackendError::Http { status: 404, .. })
    ));
    let past = am
        .create_silence(
            &[Matcher::equal("service", "cart")],
            now - chrono::Duration::hours(2),
            now - chrono::Duration::hours(1),
            "alice",
            "too late",
        )
        .await;
    assert!(
        matches!(past, Err(BackendError::Http { status: 400, .. })),
        "{past:?}"
    );
}

#[tokio::test]
async fn prometheus_answers_what_it_cannot_evaluate_with_its_own_error() {
    let demo = Demo::start(300);
    let prom = demo.prom();
    match prom.query("rate(http_requests_total[5m])", None).await {
        Err(BackendError::Api { error_type, .. }) => assert_eq!(error_type, "bad_data"),
        other => panic!("{other:?}"),
    }
    // An aggregation, at a time before the outage.
    let before = origin() - chrono::Duration::minutes(10);
    let worst = prom
        .query(&format!("max({ERROR_RATIO})"), Some(before))
        .await
        .unwrap();
    assert_eq!(worst.len(), 1);
    assert!(worst[0].labels.is_empty());
    assert!(worst[0].value < 0.005, "{worst:?}");
    assert_eq!(worst[0].at, before);
    // The flag as a metric, over a range.
    let series = prom
        .query_range(
            "feature_flag_enabled{flag=\"pricing-v2\"}",
            demo.now() - chrono::Duration::minutes(1),
            demo.now(),
            Duration::from_secs(15),
        )
        .await
        .unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].points.len(), 5);
    assert!(series[0].points.iter().all(|(_, v)| *v == 1.0));
    // Too many points, as Prometheus refuses them.
    let huge = prom
        .query_range(
            ERROR_RATIO,
            demo.now() - chrono::Duration::days(30),
            demo.now(),
            Duration::from_secs(1),
        )
        .await;
    assert!(matches!(huge, Err(BackendError::Api { .. })), "{huge:?}");
}
