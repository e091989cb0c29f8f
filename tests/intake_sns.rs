//! AWS SNS pushing to the intake: a subscription confirmation for a configured topic is
//! confirmed (its SubscribeURL fetched once), one for any other topic is not; notifications
//! signed with SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA) are taken, a bad
//! signature or a signing certificate off the trusted host is refused and records nothing.
//!
//! The test signs with its own RSA key (made by `openssl`) and stands in for AWS with an HTTPS
//! server on loopback serving the signing certificate; the intake trusts that host and its CA
//! through `sns::Trust::for_tests`, which only code linking the library can reach.

use crate::share_tls::pki;
use crate::support;

use axum::Router;
use axum::routing::get;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use warroom::intake::sns::Trust;
use warroom::share::server;

const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:alerts";
const OTHER: &str = "arn:aws:sns:eu-west-1:123456789012:someone-else";

/// The stand-in for AWS: serves the signing certificate and counts confirmations.
struct FakeAws {
    host: String,
    hits: Arc<Mutex<Vec<String>>>,
    key: std::path::PathBuf,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn fake_aws(dir: &Path) -> (FakeAws, reqwest::Client) {
    let tls = pki(dir);
    // The signing key and its certificate, as SNS has them.
    let key = dir.join("signing-key.pem");
    let cert = dir.join("signing-cert.pem");
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=sns.test",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (Debian package openssl) makes the test's signing key");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = std::fs::read_to_string(&cert).unwrap();
    let hits = Arc::new(Mutex::new(Vec::new()));
    let seen = hits.clone();
    let app = Router::new()
        .route(
            "/SimpleNotificationService-test.pem",
            get(move || async move { pem }),
        )
        .fallback(move |uri: axum::http::Uri| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(uri.to_string());
                "<ConfirmSubscriptionResponse/>"
            }
        });
    let config: warroom::config::ShareConfig = toml::from_str(&format!(
        "listen = \"127.0.0.1:0\"\ntls_cert = {:?}\ntls_key = {:?}\n",
        tls.cert.display().to_string(),
        tls.key.display().to_string()
    ))
    .unwrap();
    let (listener, acceptor) = server::bind(&config, dir)
        .await
        .unwrap_or_else(|(_, w)| panic!("{w}"));
    let acceptor = acceptor.expect("TLS");
    let host = listener.local_addr().unwrap().to_string();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                a = listener.accept() => a.unwrap(),
                _ = &mut stopped => return,
            };
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                if let Ok(stream) = acceptor.accept(stream).await {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(
                            hyper_util::rt::TokioIo::new(stream),
                            hyper_util::service::TowerToHyperService::new(app),
                        )
                        .await;
                }
            });
        }
    });
    let client = warroom::backends::http_client_trusting(&tls.ca, "test CA").unwrap();
    (
        FakeAws {
            host,
            hits,
            key,
            _stop: stop,
        },
        client,
    )
}

/// The intake (one `sns` source for [`TOPIC`]) served on loopback, trusting `aws`.
async fn intake(
    aws: &FakeAws,
    client: reqwest::Client,
    data: &Path,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let text = format!("[[intake]]\nname = \"aws\"\nkind = \"sns\"\ntopics = [\"{TOPIC}\"]\n");
    let config = warroom::config::Config::parse(Path::new("config.toml"), &text).unwrap();
    let (intake, problems) = warroom::intake::Intake::from_config(&config, data).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let intake = intake.with_sns_trust(Trust::for_tests(&aws.host, client));
    let store = warroom::journal::FileStore::new(data);
    let hub = server::Hub::new(Arc::new(store), data);
    hub.set_intake(Arc::new(intake));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/intake/aws", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, hub, async {
        let _ = stopped.await;
    }));
    (url, stop)
}

/// `text` signed with the test's key: SHA1 for version 1, SHA256 for 2; base64.
fn sign(key: &Path, version: &str, text: &str) -> String {
    use std::io::Write;
    let digest = if version == "1" { "-sha1" } else { "-sha256" };
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", digest, "-sign"])
        .arg(key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(out.stdout)
}

/// An SNS message of `kind` for `topic`, signed as SNS documents (the canonical string).
fn message(
    aws: &FakeAws,
    kind: &str,
    topic: &str,
    subject: Option<&str>,
    text: &str,
    version: &str,
) -> serde_json::Value {
    let id = format!("{:x}", rand_id());
    let ts = "2026-01-01T10:00:00.000Z";
    let cert_url = format!("https://{}/SimpleNotificationService-test.pem", aws.host);
    let subscribe = format!(
        "https://{}/?Action=ConfirmSubscription&TopicArn={topic}&Token=tok{id}",
        aws.host
    );
    let mut m = serde_json::json!({
        "Type": kind, "MessageId": id, "TopicArn": topic, "Message": text, "Timestamp": ts,
        "SignatureVersion": version, "SigningCertURL": cert_url,
    });
    let canonical = if kind == "Notification" {
        if let Some(s) = subject {
            m["Subject"] = s.into();
        }
        let subject = subject
            .map(|s| format!("Subject\n{s}\n"))
            .unwrap_or_default();
        format!(
            "Message\n{text}\nMessageId\n{id}\n{subject}Timestamp\n{ts}\nTopicArn\n{topic}\nType\n{kind}\n"
        )
    } else {
        m["Token"] = format!("tok{id}").into();
        m["SubscribeURL"] = subscribe.clone().into();
        format!(
            "Message\n{text}\nMessageId\n{id}\nSubscribeURL\n{subscribe}\nTimestamp\n{ts}\nToken\ntok{id}\nTopicArn\n{topic}\nType\n{kind}\n"
        )
    };
    m["Signature"] = sign(&aws.key, version, &canonical).into();
    m
}

fn rand_id() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn post(url: &str, body: &serde_json::Value) -> (u16, String) {
    let resp = warroom::backends::http_client()
        .unwrap()
        .post(url)
        .header(
            "x-amz-sns-message-type",
            body["Type"].as_str().unwrap_or(""),
        )
        .header("content-type", "text/plain; charset=UTF-8")
        .timeout(Duration::from_secs(10))
        .body(body.to_string())
        .send()
        .await
        .expect("post");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

fn firing(data: &Path) -> Vec<String> {
    warroom::backends::intake::read(
        "aws",
        &warroom::backends::intake::spool_path(data, "aws"),
        None,
        chrono::Utc::now(),
    )
    .unwrap()
    .iter()
    .map(|a| a.name().to_string())
    .collect()
}

async fn settle() {
    // The spool is written within 100 ms of a push.
    tokio::time::sleep(Duration::from_millis(400)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_is_confirmed_only_for_a_configured_topic() {
    if support::servers::require("openssl (Debian package openssl)", &["openssl"]).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (aws, client) = fake_aws(dir.path()).await;
    let (url, _stop) = intake(&aws, client, &dir.path().join("data")).await;

    let other = message(
        &aws,
        "SubscriptionConfirmation",
        OTHER,
        None,
        "You have chosen to subscribe",
        "1",
    );
    let (status, text) = post(&url, &other).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("not one of this source's topics"), "{text}");
    assert!(
        aws.hits.lock().unwrap().is_empty(),
        "another topic's subscription was confirmed"
    );

    let ours = message(
        &aws,
        "SubscriptionConfirmation",
        TOPIC,
        None,
        "You have chosen to subscribe",
        "2",
    );
    let (status, text) = post(&url, &ours).await;
    assert_eq!(status, 200, "{text}");
    let hits = aws.hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(
        hits[0].contains("Action=ConfirmSubscription")
            && hits[0].contains(&format!("TopicArn={TOPIC}")),
        "{hits:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_notifications_are_taken_and_bad_signatures_or_foreign_certificates_refused() {
    if support::servers::require("openssl (Debian package openssl)", &["openssl"]).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (aws, client) = fake_aws(dir.path()).await;
    let (url, _stop) = intake(&aws, client, &data).await;

    // A bad signature: the message changed after signing.
    let mut forged = message(
        &aws,
        "Notification",
        TOPIC,
        Some("Forged"),
        "all is well",
        "2",
    );
    forged["Message"] = "rm -rf".into();
    let (status, text) = post(&url, &forged).await;
    assert_eq!(
        (status, text.trim()),
        (403, "the signature does not verify")
    );
    // A signing certificate anywhere but the trusted host (here: plain HTTP, another port).
    for cert_url in [
        format!("http://{}/SimpleNotificationService-test.pem", aws.host),
        "https://127.0.0.1:1/SimpleNotificationService-test.pem".to_string(),
        format!("https://{}/not-a-certificate", aws.host),
    ] {
        let mut m = message(&aws, "Notification", TOPIC, Some("Elsewhere"), "x", "1");
        m["SigningCertURL"] = cert_url.clone().into();
        let (status, text) = post(&url, &m).await;
        assert_eq!(status, 403, "{cert_url}: {text}");
        assert!(text.contains("SigningCertURL is not"), "{text}");
    }
    // Another topic's notification, however well signed.
    let (status, _) = post(
        &url,
        &message(&aws, "Notification", OTHER, Some("Theirs"), "x", "1"),
    )
    .await;
    assert_eq!(status, 403);
    settle().await;
    assert_eq!(
        firing(&data),
        Vec::<String>::new(),
        "a refused message was recorded"
    );

    // Version 1 and version 2, a plain-text message and a CloudWatch alarm.
    let (status, text) = post(
        &url,
        &message(
            &aws,
            "Notification",
            TOPIC,
            Some("Queue backlog"),
            "orders queue 10k deep",
            "1",
        ),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let alarm = r#"{"AlarmName":"checkout-5xx","AlarmDescription":"checkout 5xx above 5%","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed","Region":"EU (Ireland)"}"#;
    let (status, text) = post(
        &url,
        &message(
            &aws,
            "Notification",
            TOPIC,
            Some("ALARM: checkout-5xx"),
            alarm,
            "2",
        ),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    settle().await;
    let mut names = firing(&data);
    names.sort();
    assert_eq!(names, ["Queue backlog", "checkout-5xx"]);
    // The alarm goes back to OK: resolved.
    let ok = alarm.replace("\"ALARM\"", "\"OK\"");
    let (status, _) = post(
        &url,
        &message(
            &aws,
            "Notification",
            TOPIC,
            Some("OK: checkout-5xx"),
            &ok,
            "2",
        ),
    )
    .await;
    assert_eq!(status, 200);
    settle().await;
    assert_eq!(firing(&data), ["Queue backlog"]);
}
