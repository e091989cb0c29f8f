//! Backends misbehaving: nothing listening, a server that accepts and never answers, HTTP 500,
//! truncated JSON, HTML instead of JSON, unexpected and missing fields (Alertmanager 0.25 and
//! newer shapes), 10,000 alerts, and the same for Nagios (refused, silent, 500, HTML,
//! truncated, its own error object, 50 MB), Icinga, CloudWatch, the intake's spool, Sensu Go
//! and Seyren, OpsGenie and Jira Service Management. Each gives data or one clear error, never a
//! panic; and a board fed by the poller keeps a failing source's last good alerts with
//! `stale_since`. New Relic's NerdGraph the same (refused, silent, 403, 429, 500, HTML,
//! truncated, 50 MB).

use crate::support;

use serde_json::{Value, json};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use support::servers::{self, eventually, post_alerts};
use tokio::sync::mpsc::unbounded_channel;
use warroom::backends::alertmanager::{AlertFilter, Alertmanager, parse_alerts};
use warroom::backends::nagios::Nagios;
use warroom::backends::poller::{self, PollSettings};
use warroom::backends::prometheus::Prometheus;
use warroom::backends::{AlertSource, BackendError, Endpoint, http_client};
use warroom::domain::{AlertBoard, AlertState};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn endpoint(url: &str, timeout: Duration) -> Endpoint {
    Endpoint::new(http_client().unwrap(), url, timeout).unwrap()
}

fn am(url: &str) -> Alertmanager {
    Alertmanager::new(endpoint(url, Duration::from_secs(5)))
}

/// A loopback URL where nothing listens.
fn refused_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

/// A server that accepts connections and never says a word.
fn mute_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    url
}

async fn serving(status: u16, body: &str, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), content_type),
        )
        .mount(&server)
        .await;
    server
}

/// One way a source fails: its name in messages, the URL the source is pointed at, how long
/// the source waits there, and what its reason must say.
struct Case {
    what: String,
    url: String,
    timeout: Duration,
    says: String,
}

/// The failures every HTTP source meets, in this order: nothing listening, a server that
/// never answers (waited for `silent` only), then the given servers (answering 500, HTML, a
/// truncated body, 50 MB), each with what its reason must say. The other cases wait
/// `timeout`.
fn standard_cases<const N: usize>(
    timeout: Duration,
    silent: Duration,
    [refused_says, silent_says]: [&str; 2],
    served: [(&str, String, &str); N],
) -> Vec<Case> {
    let case = |what: &str, url: String, timeout: Duration, says: &str| Case {
        what: what.into(),
        url,
        timeout,
        says: says.into(),
    };
    // The silent one first: it holds its port, so the refused one cannot be given it again.
    let mute = mute_server();
    let mut cases = vec![
        case("refused", refused_url(), timeout, refused_says),
        case("silent", mute, silent, silent_says),
    ];
    for (what, url, says) in served {
        cases.push(case(what, url, timeout, says));
    }
    cases
}

/// A source (`make` points it at a URL) and what every failure of it must leave on the
/// board.
/// Builds a source polling the given URL with the given timeout.
type MakeSource<'a> = dyn Fn(&str, Duration) -> AlertSource + 'a;

struct Stale<'a> {
    /// The source's name on the board.
    name: &'a str,
    make: &'a MakeSource<'a>,
    /// Where it answers well first, and the name of the one alert it lists there (kept on
    /// the board through the failure); `None`: it had answered with no alerts.
    good: Option<(String, Option<&'a str>)>,
    /// How long the poller waits for a report.
    deadline: Duration,
    /// A report comes within this, whatever the failure.
    within: Duration,
    /// Texts no reason may show (the source's secrets).
    secrets: &'a [&'a str],
    /// Whether the reason must name the URL.
    names_where: bool,
}

impl Stale<'_> {
    /// For each case: the source had answered; now it answers like this. Its report comes in
    /// time, is an error saying the case's reason without a secret, and leaves the source
    /// stale since the failure with that reason, its last good alert kept.
    async fn each(&self, cases: &[Case]) {
        for Case {
            what,
            url,
            timeout,
            says,
        } in cases
        {
            let what = format!("{} {what}", self.name);
            let mut board = AlertBoard::with_sources([self.name]);
            match &self.good {
                Some((good, _)) => {
                    let first = poller::fetch_report(
                        &(self.make)(good, *timeout),
                        &AlertFilter::default(),
                        self.deadline,
                    )
                    .await;
                    assert_eq!(first.result.as_ref().map(Vec::len), Ok(1), "{first:?}");
                    first.apply(&mut board);
                }
                None => {
                    poller::SourceReport {
                        source: self.name.into(),
                        at: chrono::Utc::now(),
                        result: Ok(vec![]),
                        cut_short: None,
                    }
                    .apply(&mut board);
                }
            }
            let started = Instant::now();
            let report = poller::fetch_report(
                &(self.make)(url, *timeout),
                &AlertFilter::default(),
                self.deadline,
            )
            .await;
            assert!(started.elapsed() < self.within, "{what}");
            let error = report.result.clone().unwrap_err();
            assert!(error.contains(says.as_str()), "{what}: {error}");
            if self.names_where {
                assert!(
                    error.contains(url.as_str()),
                    "{what}: the reason names where: {error}"
                );
            }
            for secret in self.secrets {
                assert!(!error.contains(secret), "{what}: a secret leaked: {error}");
            }
            report.apply(&mut board);
            let status = &board.sources[0];
            assert!(status.stale_since.is_some(), "{what}: {status:?}");
            assert_eq!(status.error.as_deref(), Some(error.as_str()), "{what}");
            if let Some((_, kept)) = &self.good {
                let merged = board.merged();
                assert_eq!(merged.len(), 1, "{what}: the last good alert stays");
                if let Some(kept) = kept {
                    assert_eq!(merged[0].name(), *kept, "{what}");
                }
            }
        }
    }
}

fn am_alert(n: usize) -> Value {
    json!({
        "annotations": {"summary": format!("alert {n}")},
        "endsAt": "2026-11-21T09:05:00.000Z",
        "fingerprint": format!("{n:016x}"),
        "receivers": [{"name": "null"}],
        "startsAt": "2026-11-21T09:00:00.000Z",
        "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
        "updatedAt": "2026-11-21T09:00:00.000Z",
        "generatorURL": "http://prometheus/graph",
        "labels": {"alertname": format!("A{n}"), "service": "checkout"}
    })
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let err = am(&refused_url())
        .alerts(&AlertFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("connection refused"), "{err}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let url = mute_server();
    let started = Instant::now();
    let c = Alertmanager::new(endpoint(&url, Duration::from_millis(500)));
    let err = c.alerts(&AlertFilter::default()).await.unwrap_err();
    assert!(matches!(err, BackendError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("no answer within 0.5s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let p = Prometheus::new(endpoint(&url, Duration::from_millis(500)));
    assert!(matches!(
        p.query("up", None).await,
        Err(BackendError::Timeout { .. })
    ));
}

#[tokio::test]
async fn http_500_truncated_json_and_html_are_clear_errors() {
    let s500 = serving(500, "runtime error: boom\n", "text/plain").await;
    let err = am(&s500.uri())
        .alerts(&AlertFilter::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}/api/v2/alerts: HTTP 500: runtime error: boom",
            s500.uri()
        )
    );
    assert!(err.is_transient());

    let full = serde_json::to_string(&json!([am_alert(1), am_alert(2)])).unwrap();
    let cut = serving(200, &full[..full.len() / 2], "application/json").await;
    let err = am(&cut.uri())
        .alerts(&AlertFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("EOF"), "{err}");

    let html = serving(200, "<html><body>Sign in</body></html>", "text/html").await;
    let err = am(&html.uri())
        .alerts(&AlertFilter::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unreadable answer"), "{err}");

    let empty = serving(200, "", "application/json").await;
    let err = am(&empty.uri()).status().await.unwrap_err();
    assert!(err.to_string().contains("empty body"), "{err}");

    // Prometheus: its error envelope on a 503, a proxy's page on a 502, a truncated answer.
    let busy = serving(
        503,
        r#"{"status":"error","errorType":"unavailable","error":"too many queries"}"#,
        "application/json",
    )
    .await;
    let p = Prometheus::new(endpoint(&busy.uri(), Duration::from_secs(5)));
    let err = p.query("up", None).await.unwrap_err();
    assert!(
        err.to_string().ends_with("unavailable: too many queries"),
        "{err}"
    );
    let proxy = serving(502, "<html>Bad Gateway</html>", "text/html").await;
    let p = Prometheus::new(endpoint(&proxy.uri(), Duration::from_secs(5)));
    assert!(
        p.alerts()
            .await
            .unwrap_err()
            .to_string()
            .contains("HTTP 502: <html>Bad Gateway</html>")
    );
    let short = serving(
        200,
        r#"{"status":"success","data":{"resultT"#,
        "application/json",
    )
    .await;
    let p = Prometheus::new(endpoint(&short.uri(), Duration::from_secs(5)));
    assert!(matches!(
        p.query("up", None).await,
        Err(BackendError::Decode { .. })
    ));
    let bad_value = serving(
        200,
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"many"]}]}}"#,
        "application/json",
    )
    .await;
    let p = Prometheus::new(endpoint(&bad_value.uri(), Duration::from_secs(5)));
    let err = p.query("up", None).await.unwrap_err();
    assert!(
        err.to_string().contains("\"many\" is not a number"),
        "{err}"
    );
}

#[test]
fn alertmanager_025_and_newer_shapes_both_read() {
    // 0.25: no mutedBy; the fields the spec requires are all there.
    let old = br#"[{"annotations":{},"endsAt":"2026-11-21T09:05:00.000Z","fingerprint":"f25c0d538f946b18",
        "receivers":[{"name":"null"}],"startsAt":"2026-11-21T09:00:00.000Z",
        "status":{"inhibitedBy":[],"silencedBy":["s1"],"state":"suppressed"},
        "updatedAt":"2026-11-21T09:00:00.000Z","labels":{"alertname":"Old"}}]"#;
    let a = parse_alerts(old).unwrap();
    assert_eq!(a[0].state, AlertState::Suppressed);
    assert_eq!(a[0].silenced_by, ["s1"]);

    // Newer: mutedBy present, extra fields everywhere, receivers and annotations absent,
    // nulls where a list was expected.
    let new = br#"[{"endsAt":"2026-11-21T09:05:00Z","fingerprint":"0123456789abcdef",
        "startsAt":"2026-11-21T09:00:00+01:00",
        "status":{"inhibitedBy":null,"silencedBy":[],"mutedBy":["weekends"],"state":"suppressed","future":1},
        "updatedAt":"2026-11-21T09:00:00Z","labels":{"alertname":"New","service":"search"},
        "routeLabels":{"service":"search"},"somethingNew":{"nested":[1,2,3]}},
        {"labels":{"alertname":"Bare"},"status":{"state":"unprocessed"}}]"#;
    let a = parse_alerts(new).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].state, AlertState::Suppressed);
    assert!(a[0].inhibited_by.is_empty());
    assert_eq!(a[0].starts_at.to_rfc3339(), "2026-11-21T08:00:00+00:00");
    assert!(a[0].annotations.is_empty());
    assert_eq!(a[1].state, AlertState::Unprocessed);
    assert!(!a[1].fingerprint.is_empty(), "computed when absent");

    // Not alerts at all: an error, not a panic.
    for bad in [
        &b"{}"[..],
        b"[1,2]",
        b"null",
        b"[{\"labels\":{\"a\":1}}]",
        b"\xff\xfe",
    ] {
        assert!(parse_alerts(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn newer_silence_shapes_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/silences"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "id": "4f8c", "status": {"state": "active"}, "updatedAt": "2026-11-21T09:00:00Z",
            "comment": "deploy", "createdBy": "bob", "endsAt": "2026-11-21T10:00:00Z",
            "startsAt": "2026-11-21T09:00:00Z",
            "matchers": [{"name": "service", "value": "checkout", "isRegex": false}],
            "annotations": {"ticket": "INC-1"}, "extra": true
        }])))
        .mount(&server)
        .await;
    let s = am(&server.uri()).silences().await.unwrap();
    assert!(s[0].is_active());
    assert!(s[0].matchers[0].is_equal, "isEqual defaults to true");
    assert_eq!(s[0].annotations.get("ticket").unwrap(), "INC-1");
}

#[tokio::test]
async fn ten_thousand_alerts_decode() {
    let many: Vec<Value> = (0..10_000).map(am_alert).collect();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(many)))
        .mount(&server)
        .await;
    let got = am(&server.uri())
        .alerts(&AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(got.len(), 10_000);
    assert_eq!(got[9_999].name(), "A9999");

    // And from a real Alertmanager, when installed.
    let Some(real) = servers::alertmanager(None) else {
        return;
    };
    let posted: Vec<Value> = (0..10_000)
        .map(|n| json!({"labels": {"alertname": format!("Load{n}"), "service": format!("svc{}", n % 50)}}))
        .collect();
    post_alerts(&real.url, &Value::Array(posted)).await;
    let c = am(&real.url);
    let all = eventually("10,000 alerts listed", Duration::from_secs(60), || async {
        let a = c.alerts(&AlertFilter::default()).await.ok()?;
        (a.len() == 10_000).then_some(a)
    })
    .await;
    let mut board = AlertBoard::with_sources(["am"]);
    board.report_ok("am", all, chrono::Utc::now());
    assert_eq!(board.merged().len(), 10_000);
}

#[tokio::test]
async fn the_poller_keeps_last_good_alerts_of_a_failing_source_and_says_since_when() {
    let Some(mut real) = servers::alertmanager(None) else {
        return;
    };
    post_alerts(
        &real.url,
        &json!([{"labels": {"alertname": "HighErrorRate", "service": "checkout"}}]),
    )
    .await;
    let settings = PollSettings {
        interval: Duration::from_millis(200),
        timeout: Duration::from_millis(500),
        max_backoff: Duration::from_millis(400),
        ..PollSettings::default()
    };
    let sources = vec![
        AlertSource::Alertmanager {
            name: "am".into(),
            client: Alertmanager::new(endpoint(&real.url, settings.timeout)),
        },
        AlertSource::Alertmanager {
            name: "mute".into(),
            client: Alertmanager::new(endpoint(&mute_server(), settings.timeout)),
        },
    ];
    let (tx, mut rx) = unbounded_channel();
    let tasks = poller::spawn_all(sources, settings, tx);
    let mut board = AlertBoard::with_sources(["am", "mute"]);

    // Fed until the real source has reported its alert and the mute one has timed out.
    let deadline = Instant::now() + Duration::from_secs(30);
    while board.merged().is_empty() || board.stale().all(|s| s.name != "mute") {
        assert!(Instant::now() < deadline, "{board:#?}");
        let r = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        r.apply(&mut board);
    }
    let mute = board.sources.iter().find(|s| s.name == "mute").unwrap();
    assert!(
        mute.error.as_deref().unwrap().contains("no answer within"),
        "{mute:?}"
    );
    assert!(board.sources[0].last_ok.is_some());

    // The real one goes away: its alert stays on the board, marked stale since the failure.
    real.kill();
    loop {
        assert!(Instant::now() < deadline, "{board:#?}");
        let r = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        let failed_am = r.source == "am" && r.result.is_err();
        r.apply(&mut board);
        if failed_am {
            break;
        }
    }
    let am_status = board.sources.iter().find(|s| s.name == "am").unwrap();
    assert!(am_status.stale_since.is_some());
    assert!(am_status.stale_since >= am_status.last_ok);
    assert!(
        am_status
            .error
            .as_deref()
            .unwrap()
            .contains("connection refused")
    );
    let merged = board.merged();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].name(), "HighErrorRate");

    // Dropping the receiver stops every task.
    drop(rx);
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .expect("the poller stops once nobody listens")
            .unwrap();
    }
}

/// One Graphite metric read the way the console's metrics poller reads it.
async fn graphite_round(url: &str, timeout: Duration) -> warroom::backends::metrics::MetricsReport {
    use warroom::backends::metrics::{MetricReaders, read};
    let catalog = warroom::config::parse_services(
        std::path::Path::new("services.toml"),
        "[[service]]\nname = \"checkout\"\n[[service.metric]]\nname = \"errors/s\"\ngraphite = \"sumSeries(stats.checkout.errors)\"\ndown_above = 5\n",
    )
    .unwrap();
    let readers = MetricReaders::from(warroom::backends::graphite::Graphite::new(endpoint(
        url, timeout,
    )));
    read(&readers, &catalog, chrono::Utc::now(), true).await
}

/// The one reason a failed round gives, checked to be a clear line: no value was made up
/// and no history drawn from a broken answer.
fn graphite_failure(report: &warroom::backends::metrics::MetricsReport) -> String {
    assert!(report.values.is_empty(), "{report:?}");
    assert!(report.history.is_empty(), "{report:?}");
    assert_eq!(
        report.errors.len(),
        2,
        "value and history: {:?}",
        report.errors
    );
    assert!(
        report.errors[0].starts_with("checkout errors/s: "),
        "{:?}",
        report.errors
    );
    assert!(!report.errors[0].contains('\n'), "{:?}", report.errors);
    report.errors[0].clone()
}

#[tokio::test]
async fn graphite_failures_are_one_clear_reason_per_round() {
    let t = Duration::from_secs(5);
    let e = graphite_failure(&graphite_round(&refused_url(), t).await);
    assert!(e.contains("/render: connection refused"), "{e}");

    let started = Instant::now();
    let e = graphite_failure(&graphite_round(&mute_server(), Duration::from_millis(500)).await);
    assert!(e.contains("no answer within 0.5s"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let s500 = serving(
        500,
        "Traceback (most recent call last): boom\n",
        "text/html",
    )
    .await;
    let e = graphite_failure(&graphite_round(&s500.uri(), t).await);
    assert!(
        e.ends_with("/render: HTTP 500: Traceback (most recent call last): boom"),
        "{e}"
    );

    let html = serving(200, "<html><body>Sign in</body></html>", "text/html").await;
    let e = graphite_failure(&graphite_round(&html.uri(), t).await);
    assert!(e.contains("/render: unreadable answer"), "{e}");

    let full = r#"[{"target": "stats.checkout.errors", "datapoints": [[1.0, 1796400000], [null, 1796400001]]}]"#;
    let cut = serving(200, &full[..full.len() / 2], "application/json").await;
    let e = graphite_failure(&graphite_round(&cut.uri(), t).await);
    assert!(e.contains("unreadable answer") && e.contains("EOF"), "{e}");

    let shape = serving(200, r#"{"error": "no such function"}"#, "application/json").await;
    let e = graphite_failure(&graphite_round(&shape.uri(), t).await);
    assert!(e.contains("unreadable answer"), "{e}");
}

#[tokio::test]
async fn a_50_mb_graphite_answer_is_read_within_bounds_or_refused() {
    // 50 MB of datapoints inside the body cap: read (one series, its newest value), not a
    // crash; and 50 MB of something that is not JSON: one clear reason.
    let mut big = String::from(r#"[{"target": "stats.checkout.errors", "datapoints": ["#);
    let mut t: u64 = 1_700_000_000;
    while big.len() < 50_000_000 {
        big.push_str(&format!("[null, {t}], [7.0, {}], ", t + 1));
        t += 2;
    }
    big.push_str(&format!("[9.0, {t}]]}}]"));
    let server = serving(200, &big, "application/json").await;
    drop(big);
    let report = graphite_round(&server.uri(), Duration::from_secs(30)).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.values["checkout"]["errors/s"], 9.0);

    let junk = "<html>".repeat(50_000_000 / 6);
    let server = serving(200, &junk, "text/html").await;
    drop(junk);
    let e = graphite_failure(&graphite_round(&server.uri(), Duration::from_secs(30)).await);
    assert!(e.contains("unreadable answer"), "{e}");
    assert!(
        e.len() < 1_000,
        "the reason is a line, not the body: {} bytes",
        e.len()
    );
}

#[tokio::test]
async fn graphite_basic_auth_is_sent_and_its_password_never_shown() {
    use wiremock::matchers::header;
    let server = MockServer::start().await;
    // "graphite-reader:s3cret-graphite-pw" in base64.
    Mock::given(method("GET"))
        .and(path("/render"))
        .and(header(
            "authorization",
            "Basic Z3JhcGhpdGUtcmVhZGVyOnMzY3JldC1ncmFwaGl0ZS1wdw==",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"[{"target": "stats.checkout.errors", "datapoints": [[3.0, 1796400000], [null, 1796400001]]}]"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    // Anything else: a proxy that echoes what it was sent.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string("bad credentials: graphite-reader:s3cret-graphite-pw"),
        )
        .mount(&server)
        .await;
    let good = endpoint(&server.uri(), Duration::from_secs(5))
        .with_basic("graphite-reader", "s3cret-graphite-pw")
        .unwrap();
    assert!(!format!("{good:?}").contains("Z3JhcGhpdGUt"), "{good:?}");
    let g = warroom::backends::graphite::Graphite::new(good);
    let series = g
        .render(
            "stats.checkout.errors",
            chrono::Utc::now(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        series[0].points.iter().map(|p| p.1).collect::<Vec<_>>(),
        vec![Some(3.0), None]
    );
    let wrong = endpoint(&server.uri(), Duration::from_secs(5))
        .with_basic("graphite-reader", "another-wrong-pw")
        .unwrap();
    let err = warroom::backends::graphite::Graphite::new(wrong)
        .render(
            "stats.checkout.errors",
            chrono::Utc::now(),
            chrono::Utc::now(),
        )
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, BackendError::Unauthorized { .. }), "{err:?}");
    assert!(!shown.contains("s3cret-graphite-pw"), "{shown}");
    assert!(shown.contains("bad credentials"), "{shown}");
}

/// A CloudWatch endpoint answering every request with `status`, `body`.
async fn cloudwatch_serving(status: u16, body: Vec<u8>, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(&server)
        .await;
    server
}

const CLOUDWATCH_ALARM: &str = r#"<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
<DescribeAlarmsResult><MetricAlarms><member><AlarmName>checkout-5xx</AlarmName>
<StateValue>ALARM</StateValue><StateReason>Threshold Crossed</StateReason>
<Dimensions><member><Name>service</Name><Value>checkout</Value></member></Dimensions>
</member></MetricAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>"#;

#[tokio::test]
async fn cloudwatch_refused_silent_500_html_truncated_and_huge_go_stale_with_a_reason() {
    use support::moto;
    use warroom::backends::cloudwatch::MAX_PAGE_BYTES;
    use warroom::domain::CloudWatchQuery;

    let good = cloudwatch_serving(200, CLOUDWATCH_ALARM.into(), "text/xml").await;
    let s500 = cloudwatch_serving(
        500,
        b"<ErrorResponse><Error><Code>InternalFailure</Code><Message>boom</Message></Error></ErrorResponse>".to_vec(),
        "text/xml",
    )
    .await;
    let html = cloudwatch_serving(
        200,
        b"<html><body>Sign in</body></html>".to_vec(),
        "text/html",
    )
    .await;
    let cut = cloudwatch_serving(
        200,
        CLOUDWATCH_ALARM.as_bytes()[..CLOUDWATCH_ALARM.len() / 2].to_vec(),
        "text/xml",
    )
    .await;
    // 50 MB of alarms: refused once past a page's cap, never read whole.
    let mut huge = String::from("<DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms>");
    let member = "<member><AlarmName>a</AlarmName><StateValue>ALARM</StateValue></member>";
    while huge.len() < 50_000_000 {
        huge.push_str(member);
    }
    huge.push_str("</MetricAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>");
    let huge = cloudwatch_serving(200, huge.into_bytes(), "text/xml").await;
    // Short for the silent one; long enough for the others on a loaded machine, so each
    // fails for its own reason.
    let cases = standard_cases(
        Duration::from_secs(5),
        Duration::from_millis(500),
        ["connection refused", "no answer within"],
        [
            ("500", s500.uri(), "HTTP 500: InternalFailure: boom"),
            ("html", html.uri(), "unreadable answer: DescribeAlarms"),
            ("truncated", cut.uri(), "unreadable answer: DescribeAlarms"),
            (
                "50 MB",
                huge.uri(),
                &format!("answer larger than {MAX_PAGE_BYTES} bytes"),
            ),
        ],
    );
    let make = |url: &str, timeout: Duration| AlertSource::CloudWatch {
        name: "cloudwatch".into(),
        client: Box::new(moto::client(url, timeout)),
    };
    Stale {
        name: "cloudwatch",
        make: &make,
        good: Some((good.uri(), Some("checkout-5xx"))),
        deadline: Duration::from_secs(10),
        within: Duration::from_secs(15),
        secrets: &[moto::SECRET_KEY],
        names_where: false,
    }
    .each(&cases)
    .await;
    let query = CloudWatchQuery {
        namespace: "Checkout/Web".into(),
        metric: "Errors".into(),
        dimensions: Default::default(),
        stat: "Average".into(),
        period_secs: 60,
    };
    for Case {
        what, url, timeout, ..
    } in &cases
    {
        // GetMetricData from the same server: an error, never a panic or made-up points.
        let now = chrono::Utc::now();
        let m = moto::client(url, *timeout)
            .get_metric_data(
                &query,
                now - chrono::Duration::minutes(30),
                now,
                Duration::from_secs(60),
            )
            .await;
        assert!(m.is_err(), "{what}: {m:?}");
    }
}

fn nagios(url: &str, timeout: Duration) -> AlertSource {
    AlertSource::Nagios {
        name: "nagios".into(),
        client: Nagios::new(endpoint(url, timeout)),
    }
}

/// statusjson.cgi answering `hostlist` with nothing down and `servicelist` with `body`.
async fn statusjson(services: &str) -> MockServer {
    let server = MockServer::start().await;
    let head = r#"{"format_version":0,"result":{"query_time":1796402516000,"type_code":0,"type_text":"Success","message":""},"data":"#;
    Mock::given(method("GET"))
        .and(path("/statusjson.cgi"))
        .and(query_param("query", "hostlist"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{head}{{"hostlist":{{}}}}}}"#).into_bytes(),
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/statusjson.cgi"))
        .and(query_param("query", "servicelist"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!("{head}{services}}}").into_bytes(),
            "application/json",
        ))
        .mount(&server)
        .await;
    server
}

// ---------------------------------------------------------------------------------------------
// Icinga 2
// ---------------------------------------------------------------------------------------------

/// An Icinga source at `url` (plain HTTP: these servers stand in for a broken one).
fn icinga_source(url: &str, timeout: Duration) -> AlertSource {
    let client = warroom::backends::icinga::Icinga::new(
        http_client().unwrap(),
        url,
        "warroom",
        "pw-x1",
        timeout,
    )
    .unwrap();
    AlertSource::Icinga {
        name: "icinga".into(),
        client: Box::new(client),
    }
}

/// Answers every request (Icinga lists objects with POST) with `status` and `body`.
async fn icinga_serving(status: u16, body: Vec<u8>, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn nagios_refused_silent_500_html_truncated_and_50_mb_leave_it_stale_with_a_reason() {
    let good = statusjson(
        r#"{"servicelist":{"checkout-db":{"disk":{"status":16,"plugin_output":"DISK CRITICAL","last_state_change":1796402513000,"problem_has_been_acknowledged":false}}}}"#,
    )
    .await;
    let deadline = Duration::from_secs(10);
    let s500 = serving(500, "Internal Server Error\n", "text/html").await;
    let html = serving(200, "<html><body>Sign in</body></html>", "text/html").await;
    let cut = serving(
        200,
        r#"{"format_version":0,"result":{"type_code":0},"data":{"servicelist":{"checkout-db":{"di"#,
        "application/json",
    )
    .await;
    let refused_by_nagios = serving(
        200,
        r#"{"format_version":0,"result":{"type_code":4,"type_text":"Option Missing","message":"The hostname option must be specified"},"data":{}}"#,
        "application/json",
    )
    .await;
    // 50 MB that starts as an answer and never ends as one.
    let mut huge = String::from(r#"{"result":{"type_code":0},"data":{"servicelist":{"h":{"#);
    while huge.len() < 50 << 20 {
        huge.push_str(r#""svc":{"status":16,"plugin_output":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},"#);
    }
    let big = serving(200, &huge, "application/json").await;
    drop(huge);
    let mut cases = standard_cases(
        Duration::from_secs(5),
        Duration::from_millis(500),
        ["connection refused", "no answer within 0.5s"],
        [
            ("500", s500.uri(), "HTTP 500: Internal Server Error"),
            ("html", html.uri(), "unreadable answer"),
            ("truncated", cut.uri(), "EOF"),
            ("50 MB", big.uri(), "unreadable answer"),
        ],
    );
    cases.push(Case {
        what: "refused by Nagios".into(),
        url: refused_by_nagios.uri(),
        timeout: Duration::from_secs(5),
        says: "Option Missing: The hostname option must be specified".into(),
    });
    Stale {
        name: "nagios",
        make: &nagios,
        good: Some((good.uri(), Some("checkout-db/disk"))),
        deadline,
        within: deadline + Duration::from_secs(1),
        secrets: &[],
        names_where: true,
    }
    .each(&cases)
    .await;
}

#[tokio::test]
async fn a_nagios_write_back_refused_or_unreachable_is_journaled_as_not_taken() {
    use warroom::backends::sources::write_back_event;
    use warroom::domain::{Event, WriteBack};
    let good = statusjson(
        r#"{"servicelist":{"checkout-db":{"disk":{"status":16,"plugin_output":"DISK CRITICAL","last_state_change":1796402513000}}}}"#,
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/cmd.cgi"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "Set-Cookie",
                    "NagFormId=0a1b2c3d; SameSite=Strict; HttpOnly",
                )
                .set_body_raw(b"<form></form>".to_vec(), "text/html"),
        )
        .mount(&good)
        .await;
    Mock::given(method("POST"))
        .and(path("/cmd.cgi"))
        .and(header("Cookie", "NagFormId=0a1b2c3d"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            b"<html><div class='errorMessage'>Sorry, but you are not authorized to commit the specified command.</div></html>".to_vec(),
            "text/html",
        ))
        .mount(&good)
        .await;
    let source = nagios(&good.uri(), Duration::from_secs(5));
    let alert = source
        .fetch(&AlertFilter::default())
        .await
        .unwrap()
        .remove(0);
    match write_back_event(&source, &alert, WriteBack::Acknowledge, "on it", "alice").await {
        Event::AlertWriteBack {
            ok, detail, action, ..
        } => {
            assert!(!ok);
            assert_eq!(action, "acknowledge");
            assert!(
                detail.ends_with(
                    "Sorry, but you are not authorized to commit the specified command."
                ),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
    let gone = nagios(&refused_url(), Duration::from_secs(5));
    match write_back_event(&gone, &alert, WriteBack::Comment, "on it", "alice").await {
        Event::AlertWriteBack { ok, detail, .. } => {
            assert!(!ok);
            assert!(detail.contains("connection refused"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

fn icinga_problem(output: &str) -> Value {
    json!({"results": [{"attrs": {"name": "http", "host_name": "web1", "state": 2,
        "last_state_change": 1796402018.5, "last_check_result": {"output": output}},
        "name": "web1!http", "type": "Service"}]})
}

#[tokio::test]
async fn icinga_refused_silent_500_html_truncated_and_huge_answers_leave_it_stale_with_a_reason() {
    let timeout = Duration::from_millis(500);
    let deadline = timeout + Duration::from_millis(500);
    let full = serde_json::to_vec(&icinga_problem("HTTP CRITICAL")).unwrap();
    let s500 = icinga_serving(
        500,
        b"{\"error\":500,\"status\":\"boom\"}".to_vec(),
        "application/json",
    )
    .await;
    let html = icinga_serving(
        200,
        b"<html><body>Sign in</body></html>".to_vec(),
        "text/html",
    )
    .await;
    let cut = icinga_serving(200, full[..full.len() / 2].to_vec(), "application/json").await;
    let cases = standard_cases(
        timeout,
        timeout,
        ["connection refused", "no answer within"],
        [
            ("500", s500.uri(), "HTTP 500"),
            ("html", html.uri(), "unreadable answer"),
            ("truncated", cut.uri(), "EOF"),
        ],
    );
    Stale {
        name: "icinga",
        make: &icinga_source,
        good: None,
        deadline,
        within: Duration::from_secs(5),
        secrets: &["pw-x1"],
        names_where: false,
    }
    .each(&cases)
    .await;

    // 50 MB of plugin output: one alert, its text cut, the process fine.
    let huge = serde_json::to_vec(&icinga_problem(&"x".repeat(50 << 20))).unwrap();
    assert!(huge.len() > 50 << 20);
    let big = MockServer::start().await;
    Mock::given(path("/v1/objects/services"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "application/json"))
        .mount(&big)
        .await;
    Mock::given(path("/v1/objects/hosts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
        .mount(&big)
        .await;
    let source = icinga_source(&big.uri(), Duration::from_secs(30));
    let alerts = source.fetch(&AlertFilter::default()).await.unwrap();
    assert_eq!(alerts.len(), 1);
    let description = alerts[0].annotations.get("description").unwrap();
    assert!(description.len() <= 2_000, "{}", description.len());

    // Past the body limit: refused before it is all read.
    let over = icinga_serving(200, vec![b' '; 65 << 20], "application/json").await;
    let source = icinga_source(&over.uri(), Duration::from_secs(30));
    let err = source.fetch(&AlertFilter::default()).await.unwrap_err();
    assert!(matches!(err, BackendError::TooLarge { .. }), "{err:?}");
}

/// The intake's spool (what pushed alerts are read from): missing, truncated, not JSON, or
/// past its size cap. Each is one clear reason naming the file; the board keeps the source's
/// last good alerts, marked stale; a 70 MB spool is refused by its size, never read.
#[tokio::test]
async fn an_intake_spool_missing_truncated_garbage_or_huge_leaves_it_stale_with_a_reason() {
    use warroom::backends::intake::{Spool, spool_path, store};
    let dir = tempfile::tempdir().unwrap();
    let path = spool_path(dir.path(), "am");
    let source = AlertSource::Intake {
        name: "am".into(),
        spool: path.clone(),
        stale_after: None,
    };
    let fetch = || async {
        poller::fetch_report(&source, &AlertFilter::default(), Duration::from_secs(5)).await
    };
    let mut board = AlertBoard::with_sources(["am"]);
    // Nothing pushed yet: no alerts, no error.
    let r = fetch().await;
    assert_eq!(r.result, Ok(vec![]));
    let mut alerts =
        warroom::backends::alertmanager::parse_alerts(json!([am_alert(1)]).to_string().as_bytes())
            .unwrap();
    // Still firing: no end.
    alerts[0].ends_at = None;
    store(
        &path,
        &Spool {
            last_push: Some(chrono::Utc::now()),
            alerts,
        },
    )
    .unwrap();
    fetch().await.apply(&mut board);
    assert_eq!(board.merged().len(), 1);
    let good = std::fs::read(&path).unwrap();
    let huge = {
        let mut v = b"{\"alerts\":[".to_vec();
        v.resize(70 * 1024 * 1024, b' ');
        v
    };
    for (what, bytes, says) in [
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "cannot be read",
        ),
        ("garbage", b"<html>oops</html>".to_vec(), "cannot be read"),
        ("huge", huge, "larger than 64 MB"),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let r = fetch().await;
        let err = r.result.clone().unwrap_err();
        assert!(
            err.contains(says) && err.contains("am.json"),
            "{what}: {err}"
        );
        r.apply(&mut board);
        let s = &board.sources[0];
        assert!(s.stale_since.is_some(), "{what}");
        assert_eq!(board.merged().len(), 1, "{what}: the last good alerts stay");
    }
}

/// A Datadog API answering every request with `status`, `body`.
async fn datadog_serving(status: u16, body: Vec<u8>, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(&server)
        .await;
    server
}

fn datadog_source(url: &str, timeout: Duration) -> AlertSource {
    use support::datadog::{API_KEY, APP_KEY};
    AlertSource::Datadog {
        name: "datadog".into(),
        client: Box::new(
            warroom::backends::datadog::Datadog::new(
                http_client().unwrap(),
                url,
                API_KEY,
                Some(APP_KEY),
                timeout,
            )
            .unwrap(),
        ),
    }
}

/// Datadog's monitors and its metrics query against refused, silent, 500, HTML, truncated JSON
/// and a 50 MB answer: the board keeps the last good alerts, stale with one clear reason;
/// the query is an error, never made-up points; no key ever shows.
#[tokio::test]
async fn datadog_refused_silent_500_html_truncated_and_huge_go_stale_with_a_reason() {
    use support::datadog::{API_KEY, APP_KEY, monitor};
    use warroom::backends::datadog::MAX_PAGE_BYTES;
    use warroom::backends::metrics::MetricReaders;
    use warroom::domain::MetricQuery;

    let good_body = json!([monitor(
        1,
        "Checkout errors",
        &[],
        Some(1),
        &[("service:checkout", "Alert")]
    )])
    .to_string();
    let good = datadog_serving(200, good_body.clone().into_bytes(), "application/json").await;
    let s500 = datadog_serving(
        500,
        json!({"errors": ["Internal Server Error"]})
            .to_string()
            .into_bytes(),
        "application/json",
    )
    .await;
    let html = datadog_serving(
        200,
        b"<html><body>Sign in</body></html>".to_vec(),
        "text/html",
    )
    .await;
    let cut = datadog_serving(
        200,
        good_body.as_bytes()[..good_body.len() / 2].to_vec(),
        "application/json",
    )
    .await;
    // 50 MB of monitors: refused once past a page's cap, never read whole.
    let one = monitor(2, "m", &[], None, &[("service:x", "Alert")]).to_string();
    let mut huge = String::from("[");
    while huge.len() < 50_000_000 {
        huge.push_str(&one);
        huge.push(',');
    }
    huge.push_str(&one);
    huge.push(']');
    let huge = datadog_serving(200, huge.into_bytes(), "application/json").await;
    // Short for the silent one; long enough for the others on a loaded machine, so each
    // fails for its own reason.
    let cases = standard_cases(
        Duration::from_secs(10),
        Duration::from_millis(500),
        ["connection refused", "no answer within 0.5s"],
        [
            ("500", s500.uri(), "HTTP 500: Internal Server Error"),
            ("html", html.uri(), "unreadable answer"),
            ("truncated", cut.uri(), "unreadable answer"),
            (
                "50 MB",
                huge.uri(),
                &format!("answer larger than {MAX_PAGE_BYTES} bytes"),
            ),
        ],
    );
    Stale {
        name: "datadog",
        make: &datadog_source,
        good: Some((good.uri(), Some("Checkout errors"))),
        deadline: Duration::from_secs(5),
        within: Duration::from_secs(10),
        secrets: &[API_KEY, APP_KEY],
        names_where: false,
    }
    .each(&cases)
    .await;
    for Case {
        what, url, timeout, ..
    } in &cases
    {
        // The metrics query from the same server: an error, never a value.
        let AlertSource::Datadog { client, .. } = datadog_source(url, *timeout) else {
            unreachable!()
        };
        let readers = MetricReaders::from(*client);
        let q = MetricQuery::Datadog("avg:trace.http.request.errors{service:checkout}".into());
        let got = readers.instant(&q, chrono::Utc::now()).await;
        assert!(got.is_err(), "{what}: {got:?}");
    }
}

/// Who is on call from a PagerDuty that is refused, silent, failing, answering HTML, a cut
/// body or 50 MB: one clear reason naming the service, never a panic or made-up people, the
/// token never shown; and a page to it is an outcome saying it was not sent.
#[tokio::test]
async fn oncall_refused_silent_500_html_truncated_and_50_mb_give_a_clear_reason() {
    use std::collections::BTreeMap;
    use warroom::backends::oncall::pagerduty::PagerDutyOnCall;
    use warroom::backends::oncall::{OnCall, OnCallPerson, PageRequest};
    use warroom::backends::pagerduty::PagerDuty;

    let service = r#"{"service": {"id": "PSVC002", "type": "service", "escalation_policy":
        {"id": "PT20YPA", "type": "escalation_policy_reference"}}}"#;
    let s500 = serving(
        500,
        r#"{"error": {"message": "Internal Server Error", "code": 2000}}"#,
        "application/json",
    )
    .await;
    let html = serving(200, "<html><body>Sign in</body></html>", "text/html").await;
    let cut = serving(200, &service[..service.len() / 2], "application/json").await;
    let mut huge = String::from(r#"{"oncalls": ["#);
    while huge.len() < 50_000_000 {
        huge.push_str(r#"{"escalation_level": 1},"#);
    }
    huge.push_str(r#"{}], "more": false}"#);
    let big = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/services/PSVC002"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(service, "application/json"))
        .mount(&big)
        .await;
    Mock::given(method("GET"))
        .and(path("/oncalls"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "application/json"))
        .mount(&big)
        .await;
    let mute = mute_server();
    let refused = refused_url();
    let cases = [
        (refused, "connection refused"),
        (mute, "no answer within"),
        (s500.uri(), "HTTP 500: Internal Server Error"),
        (html.uri(), "unreadable answer"),
        (cut.uri(), "unreadable answer"),
        (big.uri(), "larger than"),
    ];
    let token = "u+secrettoken";
    for (url, reason) in cases {
        let pd = PagerDuty::new(
            http_client().unwrap(),
            &url,
            token,
            "ic@example.com",
            // Only the silent server needs the short wait; the others answer, and a loaded
            // machine must not turn a slow answer into a timeout.
            if reason == "no answer within" {
                Duration::from_millis(500)
            } else {
                Duration::from_secs(5)
            },
        )
        .unwrap();
        let oncall = OnCall::PagerDuty(PagerDutyOnCall::new(
            pd,
            BTreeMap::from([("payments".to_string(), "PSVC002".to_string())]),
        ));
        let err = oncall.who("payments").await.unwrap_err();
        assert!(
            err.starts_with("PagerDuty on-call for payments: "),
            "{url}: {err}"
        );
        assert!(err.contains(reason), "{url}: {err}");
        assert!(!err.contains(token), "{err}");
        let person = OnCallPerson {
            name: "Lee Turner".into(),
            handle: "lee@example.com".into(),
            level: 1,
            until: None,
            id: "PL7A2O4".into(),
            via: String::new(),
        };
        let linked = vec!["PT4KHLK".to_string()];
        let outcome = oncall
            .page(&PageRequest {
                service: "payments",
                person: &person,
                message: "join",
                linked: &linked,
            })
            .await;
        assert!(!outcome.ok, "{url}: {outcome:?}");
        assert!(
            outcome.detail.starts_with("PagerDuty incident PT4KHLK: "),
            "{outcome:?}"
        );
        assert!(!outcome.detail.contains(token), "{outcome:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Sensu Go and Seyren
// ---------------------------------------------------------------------------------------------

fn sensu_source(url: &str, timeout: Duration) -> AlertSource {
    let api = endpoint(url, timeout)
        .with_authorization("Key sensu-key-x1")
        .unwrap();
    AlertSource::Sensu {
        name: "sensu".into(),
        client: Box::new(warroom::backends::sensu::Sensu::new(
            api,
            "default",
            Duration::from_secs(3600),
        )),
    }
}

fn seyren_source(url: &str, timeout: Duration) -> AlertSource {
    AlertSource::Seyren {
        name: "seyren".into(),
        client: Box::new(warroom::backends::seyren::Seyren::new(endpoint(
            url, timeout,
        ))),
    }
}

/// Refused, silent, 500, HTML, truncated JSON and a 50 MB answer, for a Sensu and a Seyren:
/// each one clear reason naming where, the source stale with its last good alerts, nothing
/// read past the size cap, no key shown.
#[tokio::test]
async fn sensu_and_seyren_refused_silent_500_html_truncated_and_50_mb_go_stale_with_a_reason() {
    let timeout = Duration::from_millis(500);
    let sensu_event = r#"[{"check":{"metadata":{"name":"check-http"},"status":2,"output":"CRITICAL"},"entity":{"metadata":{"name":"web1"}},"timestamp":1796400066}]"#;
    let seyren_checks = r#"{"values":[{"id":"a1","name":"checkout latency","target":"stats.checkout","state":"ERROR","enabled":true}],"items":0,"start":0,"total":1}"#;
    // 50 MB that starts as an answer and never ends as one.
    let mut huge = String::from("[");
    while huge.len() < 50 << 20 {
        huge.push_str(r#"{"check":{"metadata":{"name":"c"},"status":2,"output":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}},"#);
    }
    type Make = fn(&str, Duration) -> AlertSource;
    for (name, make, good_body, cut_at, big_says) in [
        // Sensu refuses a page past its 32 MiB cap; Seyren reads it and finds no end.
        (
            "sensu",
            sensu_source as Make,
            sensu_event,
            60,
            "answer larger than",
        ),
        (
            "seyren",
            seyren_source as Make,
            seyren_checks,
            60,
            "unreadable answer",
        ),
    ] {
        let good = serving(200, good_body, "application/json").await;
        let s500 = serving(500, "Internal Server Error\n", "text/plain").await;
        let html = serving(200, "<html><body>Sign in</body></html>", "text/html").await;
        let cut = serving(200, &good_body[..cut_at], "application/json").await;
        let big = serving(200, &huge, "application/json").await;
        let mut cases = standard_cases(
            timeout,
            timeout,
            ["connection refused", "no answer within 0.5s"],
            [
                ("500", s500.uri(), "HTTP 500: Internal Server Error"),
                ("html", html.uri(), "unreadable answer"),
                ("truncated", cut.uri(), "EOF"),
                ("50 MB", big.uri(), big_says),
            ],
        );
        if let Some(big) = cases.last_mut() {
            big.timeout = Duration::from_secs(30);
        }
        Stale {
            name,
            make: &make,
            good: Some((good.uri(), None)),
            deadline: Duration::from_secs(40),
            within: Duration::from_secs(35),
            secrets: &["sensu-key-x1"],
            names_where: true,
        }
        .each(&cases)
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// OpsGenie and Jira Service Management
// ---------------------------------------------------------------------------------------------

/// An OpsGenie source (or, with `jsm`, a Jira Service Management one) at `url`.
fn opsgenie_source(url: &str, jsm: bool, timeout: Duration) -> AlertSource {
    use warroom::backends::opsgenie::{Dialect, OpsGenie};
    use warroom::config::OpsGenieAuth;
    let (dialect, auth) = if jsm {
        (
            Dialect::Jsm {
                cloud_id: "c-1".into(),
            },
            OpsGenieAuth::Basic {
                email: "ops@example.com".into(),
                token: "jsm-tok-q7".into(),
            },
        )
    } else {
        (
            Dialect::OpsGenie,
            OpsGenieAuth::GenieKey("og-key-q7".into()),
        )
    };
    let client = OpsGenie::new(http_client().unwrap(), url, dialect, &auth, timeout).unwrap();
    AlertSource::OpsGenie {
        name: if jsm { "jsm" } else { "opsgenie" }.into(),
        client: Box::new(client),
    }
}

#[tokio::test]
async fn opsgenie_and_jsm_refused_silent_500_html_truncated_and_50_mb_leave_them_stale_with_a_reason()
 {
    // Long enough that a loaded machine still reads the 50 MB answer's first 8 MiB.
    let timeout = Duration::from_secs(2);
    let deadline = timeout + Duration::from_millis(500);
    let s500 = serving(
        500,
        r#"{"message":"Internal Server Error","took":0.0,"requestId":"r"}"#,
        "application/json",
    )
    .await;
    let html = serving(200, "<html><body>Sign in</body></html>", "text/html").await;
    let full = r#"{"data":[{"id":"a-1","message":"m","priority":"P1"}],"values":[{"id":"a-1","message":"m","priority":"P1"}],"took":0.1,"requestId":"r"}"#;
    let cut = serving(200, &full[..full.len() / 2], "application/json").await;
    let huge = MockServer::start().await;
    let mut body = b"{\"data\":[".to_vec();
    body.resize(50 << 20, b' ');
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&huge)
        .await;
    for jsm in [false, true] {
        let cases = standard_cases(
            timeout,
            timeout,
            ["connection refused", "no answer within"],
            [
                ("500", s500.uri(), "HTTP 500: Internal Server Error"),
                ("html", html.uri(), "unreadable answer"),
                ("truncated", cut.uri(), "EOF"),
                ("50 MB", huge.uri(), "refusing to read it all"),
            ],
        );
        let make = |url: &str, timeout: Duration| opsgenie_source(url, jsm, timeout);
        Stale {
            name: if jsm { "jsm" } else { "opsgenie" },
            make: &make,
            good: None,
            deadline,
            within: Duration::from_secs(10),
            secrets: &["og-key-q7", "jsm-tok-q7"],
            names_where: false,
        }
        .each(&cases)
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// New Relic (NerdGraph)
// ---------------------------------------------------------------------------------------------

/// A New Relic source at `url` (plain HTTP: these servers stand in for a broken NerdGraph).
fn newrelic_source(url: &str, timeout: Duration) -> AlertSource {
    AlertSource::NewRelic {
        name: "newrelic".into(),
        client: Box::new(
            warroom::backends::newrelic::NewRelic::new(
                http_client().unwrap(),
                url,
                support::newrelic::KEY,
                support::newrelic::ACCOUNT,
                Default::default(),
                timeout,
            )
            .unwrap(),
        ),
    }
}

/// Answers every request with `status` and `body`.
async fn newrelic_serving(status: u16, body: Vec<u8>, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn newrelic_refused_silent_403_429_500_html_truncated_and_50_mb_leave_it_stale_with_a_reason()
{
    use support::newrelic as nr;
    let timeout = Duration::from_millis(500);
    let page = serde_json::to_vec(&nr::issues_page(
        vec![nr::issue(
            "iss-1",
            "Checkout error rate",
            "CRITICAL",
            &["checkout"],
        )],
        None,
    ))
    .unwrap();
    let good = newrelic_serving(200, page.clone(), "application/json").await;
    let s500 = newrelic_serving(
        500,
        b"{\"errors\":[{\"message\":\"Internal Server Error\"}]}".to_vec(),
        "application/json",
    )
    .await;
    let html = newrelic_serving(
        200,
        b"<html><body>Sign in</body></html>".to_vec(),
        "text/html",
    )
    .await;
    let cut = newrelic_serving(200, page[..page.len() / 2].to_vec(), "application/json").await;
    let s403 = newrelic_serving(
        403,
        b"{\"errors\":[{\"message\":\"Forbidden\"}]}".to_vec(),
        "application/json",
    )
    .await;
    let s429 = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_raw(b"Too many requests".to_vec(), "text/plain"),
        )
        .mount(&s429)
        .await;
    let mut huge =
        b"{\"data\":{\"actor\":{\"account\":{\"aiIssues\":{\"issues\":{\"issues\":[".to_vec();
    huge.resize(50 << 20, b' ');
    let huge = newrelic_serving(200, huge, "application/json").await;
    // Short for the silent one; long enough for the others on a loaded machine, so each
    // fails for its own reason.
    let cases = standard_cases(
        Duration::from_secs(5),
        timeout,
        ["connection refused", "no answer within"],
        [
            (
                "500",
                s500.uri(),
                "HTTP 500: {\"errors\":[{\"message\":\"Internal Server Error\"}]}",
            ),
            ("403", s403.uri(), "token rejected (HTTP 403)"),
            ("429", s429.uri(), "429"),
            ("html", html.uri(), "unreadable answer: expected value"),
            ("truncated", cut.uri(), "unreadable answer: EOF"),
            ("50 MB", huge.uri(), "answer larger than"),
        ],
    );
    Stale {
        name: "newrelic",
        make: &newrelic_source,
        good: Some((good.uri(), Some("Checkout error rate"))),
        deadline: Duration::from_secs(10),
        within: Duration::from_secs(10),
        secrets: &[support::newrelic::KEY],
        names_where: false,
    }
    .each(&cases)
    .await;
    for Case {
        what, url, timeout, ..
    } in &cases
    {
        // NRQL from the same server: an error, never a panic or made-up points.
        let reader = warroom::backends::metrics::MetricReaders::from(
            warroom::backends::newrelic::NewRelic::new(
                http_client().unwrap(),
                url,
                support::newrelic::KEY,
                support::newrelic::ACCOUNT,
                Default::default(),
                *timeout,
            )
            .unwrap(),
        );
        let now = chrono::Utc::now();
        let q = warroom::domain::MetricQuery::Nrql("SELECT count(*) FROM Transaction".into());
        let m = reader
            .range(
                &q,
                now - chrono::Duration::minutes(30),
                now,
                Duration::from_secs(30),
            )
            .await;
        assert!(m.is_err(), "{what}: {m:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Refusals of the hosted sources: 401, 403, and a 429 that lasts
// ---------------------------------------------------------------------------------------------

/// Answers every request, whatever its method, with `status` (and `Retry-After: 1` when
/// `retry_after`), with a small JSON error body.
async fn refusing(status: u16, retry_after: bool) -> MockServer {
    let server = MockServer::start().await;
    let mut answer = ResponseTemplate::new(status).set_body_raw(
        r#"{"message": "refused", "errors": ["refused"]}"#,
        "application/json",
    );
    if retry_after {
        answer = answer.insert_header("Retry-After", "1");
    }
    Mock::given(wiremock::matchers::any())
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// Every hosted source told 401 (a key refused), 403 (a key without the right) and a 429 that
/// lasts (its `Retry-After` waited out, then given up): each goes stale with a reason naming
/// the status, in time, without its secret.
#[tokio::test]
async fn hosted_sources_refused_401_403_and_a_lasting_429_go_stale_saying_so() {
    use support::datadog::{API_KEY, APP_KEY};
    let timeout = Duration::from_secs(5);
    let s401 = refusing(401, false).await;
    let s403 = refusing(403, false).await;
    let s429 = refusing(429, true).await;
    let cases = || {
        [
            ("401", s401.uri(), "401"),
            ("403", s403.uri(), "403"),
            ("429", s429.uri(), "429"),
        ]
        .into_iter()
        .map(|(what, url, says)| Case {
            what: what.into(),
            url,
            timeout,
            says: says.into(),
        })
        .collect::<Vec<_>>()
    };
    let opsgenie = |url: &str, timeout: Duration| opsgenie_source(url, false, timeout);
    let jsm = |url: &str, timeout: Duration| opsgenie_source(url, true, timeout);
    let sources: [(&str, &MakeSource<'_>, &[&str]); 6] = [
        ("opsgenie", &opsgenie, &["og-key-q7"]),
        ("jsm", &jsm, &["jsm-tok-q7"]),
        ("datadog", &datadog_source, &[API_KEY, APP_KEY]),
        ("newrelic", &newrelic_source, &[support::newrelic::KEY]),
        ("sensu", &sensu_source, &["sensu-key-x1"]),
        ("seyren", &seyren_source, &[]),
    ];
    for (name, make, secrets) in sources {
        Stale {
            name,
            make,
            good: None,
            deadline: Duration::from_secs(40),
            within: Duration::from_secs(40),
            secrets,
            names_where: false,
        }
        .each(&cases())
        .await;
    }
}
