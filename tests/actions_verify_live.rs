//! Verification against a real Prometheus scraping a real Pushgateway: an error ratio pushed
//! below the threshold after the action makes the run `effective`; one that stays high is
//! `not effective yet` once `within` runs out; a query Prometheus refuses is `failed to
//! verify`. Checked through the library and through `warroom run`, whose journal holds the
//! verdict.

use crate::common;
use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use support::servers::{self, eventually, push};
use warroom::backends::prometheus::Prometheus;
use warroom::backends::{Endpoint, http_client};
use warroom::domain::VerifyResult;

fn client(url: &str) -> Prometheus {
    Prometheus::new(Endpoint::new(http_client().unwrap(), url, Duration::from_secs(5)).unwrap())
}

async fn value_of(p: &Prometheus, query: &str) -> Option<f64> {
    p.query(query, None).await.ok()?.first().map(|s| s.value)
}

/// The `verify` of a one-action runbook.
fn spec(verify: &str) -> warroom::actions::VerifySpec {
    let text = format!(
        "[[action]]\nname = \"flag-off\"\nkind = \"exec\"\nargv = [\"true\"]\nverify = {verify}\n"
    );
    warroom::actions::parse_runbook(Path::new("runbook.toml"), &text)
        .unwrap()
        .actions
        .remove(0)
        .verify
        .unwrap()
}

/// A Pushgateway and a Prometheus scraping it, with `checkout_error_ratio` at `value`
/// already visible to queries.
async fn servers_with(value: f64) -> Option<(servers::Server, servers::Server, Prometheus)> {
    let pg = servers::pushgateway()?;
    let prom = servers::prometheus(&pg.addr, "groups: []\n", None)?;
    let p = client(&prom.url);
    push(
        &pg.url,
        "checkout",
        &format!("checkout_error_ratio {value}\n"),
    )
    .await;
    eventually(
        "the pushed ratio in Prometheus",
        Duration::from_secs(30),
        || {
            let p = p.clone();
            async move { (value_of(&p, "checkout_error_ratio").await == Some(value)).then_some(()) }
        },
    )
    .await;
    Some((pg, prom, p))
}

#[tokio::test]
async fn a_ratio_pushed_below_the_threshold_after_the_action_is_effective() {
    let Some((pg, _prom, p)) = servers_with(0.3).await else {
        return;
    };
    let s = spec(
        r#"{ promql = "checkout_error_ratio", expect = "< 0.01", within = "30s", every = "1s" }"#,
    );
    // The flag went off; a moment later the errors fall.
    let url = pg.url.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        push(&url, "checkout", "checkout_error_ratio 0.002\n").await;
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let v = warroom::actions::verify(&p.clone().into(), &s, &BTreeMap::new(), &tx).await;
    assert_eq!(v.result, VerifyResult::Effective, "{v:?}");
    assert!(
        v.detail.contains("checkout_error_ratio = 0.002"),
        "{}",
        v.detail
    );
    let mut readings = Vec::new();
    while let Ok(l) = rx.try_recv() {
        readings.push(l.text);
    }
    assert!(
        readings
            .iter()
            .any(|r| r.contains("0.3 (not yet; wanted < 0.01)")),
        "the high reading was reported first: {readings:?}"
    );
}

#[tokio::test]
async fn a_ratio_that_stays_high_is_not_effective_yet_within_a_short_window() {
    let Some((_pg, _prom, p)) = servers_with(0.3).await else {
        return;
    };
    let s = spec(
        r#"{ promql = "checkout_error_ratio", expect = "< 0.01", within = "3s", every = "1s" }"#,
    );
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let v = warroom::actions::verify(&p.clone().into(), &s, &BTreeMap::new(), &tx).await;
    assert_eq!(v.result, VerifyResult::NotEffective, "{v:?}");
    assert_eq!(
        v.detail,
        "checkout_error_ratio = 0.3 after 3.0s, wanted < 0.01"
    );
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(started.elapsed() < Duration::from_secs(10));

    // PromQL that Prometheus refuses cannot verify anything.
    let bad = spec(
        r#"{ promql = "sum(rate(checkout_error_ratio[1m]", expect = "< 0.01", within = "3s" }"#,
    );
    let v = warroom::actions::verify(&p.clone().into(), &bad, &BTreeMap::new(), &tx).await;
    assert_eq!(v.result, VerifyResult::Failed, "{v:?}");
    // And without a Prometheus there is nothing to ask.
    let v = warroom::actions::verify(&Default::default(), &s, &BTreeMap::new(), &tx).await;
    assert_eq!(v.result, VerifyResult::Failed);
}

/// `warroom run` against the same servers: the action itself marks when it ran; the ratio
/// falls only after that; the log holds `effective`. Then a run whose ratio stays high.
#[tokio::test]
async fn warroom_run_records_whether_the_action_was_effective() {
    let Some((pg, prom, _p)) = servers_with(0.3).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("config.toml"),
        format!("[prometheus]\nurl = \"{}\"\n", prom.url),
    )
    .unwrap();
    let marker = dir.path().join("flag-is-off");
    std::fs::write(
        conf.join("runbook.toml"),
        format!(
            r#"
[[action]]
name = "flag-off"
kind = "exec"
argv = ["sh", "-c", "echo checkout-v2 off; touch \"$1\"", "flag-off", {marker:?}]
verify = {{ promql = "checkout_error_ratio", expect = "< 0.01", within = "30s", every = "1s" }}

[[action]]
name = "shed-load"
kind = "exec"
argv = ["echo", "shedding 10%"]
verify = {{ promql = "checkout_error_ratio", expect = "< 0.01", within = "3s", every = "1s" }}
"#,
            marker = marker.display().to_string()
        ),
    )
    .unwrap();
    let id = common::open_incident(&data, "alice", "Checkout 500s", "sev1");
    let child = common::warroom_std(&data, "alice")
        .env("WARROOM_CONFIG", conf.join("config.toml"))
        .args(["run", &id, "flag-off", "--yes"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    eventually("the action to run", Duration::from_secs(20), || {
        let m = marker.clone();
        async move { m.exists().then_some(()) }
    })
    .await;
    push(&pg.url, "checkout", "checkout_error_ratio 0.001\n").await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("R1 flag-off: effective"), "{stdout}");

    // The errors come back; shedding load does not bring them down.
    push(&pg.url, "checkout", "checkout_error_ratio 0.3\n").await;
    let p = client(&prom.url);
    eventually("the ratio high again", Duration::from_secs(30), || {
        let p = p.clone();
        async move { (value_of(&p, "checkout_error_ratio").await == Some(0.3)).then_some(()) }
    })
    .await;
    let ran = common::run({
        let mut c = common::warroom(&data, "alice");
        c.env("WARROOM_CONFIG", conf.join("config.toml"))
            .args(["run", &id, "shed-load", "--yes"]);
        c
    });
    assert_eq!(
        ran.code,
        Some(0),
        "the action itself succeeded: {}",
        ran.stderr
    );
    assert!(
        ran.stdout.contains("R2 shed-load: not effective yet"),
        "{}",
        ran.stdout
    );

    let verdicts: Vec<(String, String)> = common::log_json(&data, &id)
        .iter()
        .filter(|l| l["event"]["type"] == "action_verified")
        .map(|l| {
            (
                l["event"]["run_id"].as_str().unwrap().to_string(),
                l["event"]["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("R1".to_string(), "effective".to_string()),
            ("R2".to_string(), "not_effective".to_string()),
        ]
    );
}
