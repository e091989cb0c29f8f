//! HTTPS for the share server (`[share] tls_cert` / `tls_key`): with a CA and a server
//! certificate made here for 127.0.0.1, the server speaks TLS in-process and as
//! `warroom serve`, a client trusting that CA gets the page and the stream, a follower given
//! the CA (`warroom follow --ca`) follows over `https://`, and a client that does not trust it
//! is refused. Certificates that do not read are refused at start, naming the setting.

use crate::common;
use crate::share_common;

use share_common::Leader;
use std::path::{Path, PathBuf};
use std::time::Duration;
use warroom::config::ShareConfig;
use warroom::domain::Severity;
use warroom::share::follower::{self, FollowEvent, Target};
use warroom::share::server;

const QUICK: Duration = Duration::from_secs(10);

pub(crate) struct Pki {
    pub(crate) ca: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// A CA, and a certificate it signed for 127.0.0.1 and localhost, as PEM files in `dir`.
pub(crate) fn pki(dir: &Path) -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "warroom test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("share-cert.pem"),
        key: dir.join("share-key.pem"),
    };
    std::fs::write(&pki.ca, ca_cert.pem()).unwrap();
    std::fs::write(&pki.cert, cert.pem()).unwrap();
    std::fs::write(&pki.key, key.serialize_pem()).unwrap();
    pki
}

fn share_config(text: &str) -> ShareConfig {
    toml::from_str(text).expect("a [share] section")
}

/// The share server over TLS on a free loopback port, in this runtime.
async fn serve_tls(
    leader: &Leader,
    pki: &Pki,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let config = share_config(&format!(
        "listen = \"127.0.0.1:0\"\ntls_cert = {:?}\ntls_key = {:?}\n",
        pki.cert.file_name().unwrap().to_str().unwrap(),
        pki.key.file_name().unwrap().to_str().unwrap(),
    ));
    // Relative paths are read from the config directory.
    let config_dir = pki.cert.parent().unwrap();
    let (listener, tls) = server::bind(&config, config_dir)
        .await
        .unwrap_or_else(|(_, why)| panic!("bind: {why}"));
    assert!(tls.is_some(), "TLS is configured");
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve_with(
        listener,
        server::Hub::new(
            std::sync::Arc::new(leader.store.clone()),
            leader.store.data_dir(),
        ),
        tls,
        async {
            let _ = stopped.await;
        },
    ));
    (addr, stop)
}

#[tokio::test]
async fn the_share_server_speaks_https_to_clients_that_trust_its_ca() {
    let leader = Leader::new();
    let id = leader.open("Checkout 500s", Severity::Sev1);
    let token = leader.share(&id);
    let pki = pki(leader.dir.path());
    let (addr, _stop) = serve_tls(&leader, &pki).await;

    let trusting = follower::http_client(Some(&pki.ca)).unwrap();
    let page = trusting
        .get(format!("https://{addr}/"))
        .timeout(QUICK)
        .send()
        .await
        .expect("the page over HTTPS");
    assert_eq!(page.status(), 200);
    let resp = trusting
        .get(format!("https://{addr}/v1/incidents/{id}/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut events = share_common::SseReader::new(resp);
    let first = events.next(QUICK).await.expect("the opening entry");
    assert_eq!(
        (first.kind.as_str(), first.id.as_deref()),
        ("entry", Some("1"))
    );

    // A client with only the system's roots does not trust it.
    let err = warroom::backends::http_client()
        .unwrap()
        .get(format!("https://{addr}/"))
        .timeout(QUICK)
        .send()
        .await
        .expect_err("an untrusted certificate is refused");
    assert!(err.is_connect() || err.is_request(), "{err:?}");
    // And plain HTTP on the TLS port gets no HTTP answer.
    let got = share_common::raw(addr, &share_common::get("/", &[]), Duration::from_secs(3)).await;
    assert_eq!(got.status, None, "{:?}", got.text);
}

#[tokio::test]
async fn a_follower_given_the_ca_follows_over_https() {
    let leader = Leader::new();
    let id = leader.open("Checkout 500s", Severity::Sev1);
    let token = leader.share(&id);
    let pki = pki(leader.dir.path());
    let (addr, _stop) = serve_tls(&leader, &pki).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(follower::follow(
        follower::http_client(Some(&pki.ca)).unwrap(),
        Target::parse(&format!("https://{addr}/v1/incidents/{id}")).unwrap(),
        token,
        move |e| tx.send(e).is_ok(),
    ));
    let mut seqs = Vec::new();
    let wait = async {
        while let Some(e) = rx.recv().await {
            match e {
                FollowEvent::Entries(es) => {
                    seqs.extend(es.iter().map(|e| e.seq));
                    if seqs.len() == 1 {
                        leader.note(&id, "over TLS");
                    }
                    if seqs.len() >= 2 {
                        break;
                    }
                }
                FollowEvent::Stopped(why) => panic!("stopped: {why}"),
                _ => {}
            }
        }
    };
    tokio::time::timeout(QUICK, wait)
        .await
        .expect("two entries over HTTPS");
    assert_eq!(seqs, vec![1, 2]);
    task.abort();
}

#[tokio::test]
async fn a_follower_that_does_not_trust_the_certificate_says_why() {
    let leader = Leader::new();
    let id = leader.open("Checkout 500s", Severity::Sev1);
    let token = leader.share(&id);
    let pki = pki(leader.dir.path());
    let (addr, _stop) = serve_tls(&leader, &pki).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(follower::follow(
        warroom::backends::http_client().unwrap(),
        Target::parse(&format!("https://{addr}/v1/incidents/{id}")).unwrap(),
        token,
        move |e| tx.send(e).is_ok(),
    ));
    let reason = tokio::time::timeout(QUICK, async {
        loop {
            match rx.recv().await {
                Some(FollowEvent::Reconnecting { reason, .. }) => return reason,
                Some(FollowEvent::Entries(_)) => panic!("followed an untrusted server"),
                Some(_) => {}
                None => panic!("the follower ended"),
            }
        }
    })
    .await
    .unwrap();
    assert!(
        reason.to_lowercase().contains("certificate") || reason.contains("UnknownIssuer"),
        "the reason should name the certificate: {reason}"
    );
    task.abort();
}

#[test]
fn bad_certificate_files_are_refused_at_start_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    for (cert, key, want) in [
        (
            dir.path().join("absent.pem"),
            pki.key.clone(),
            "share.tls_cert",
        ),
        (not_pem.clone(), pki.key.clone(), "share.tls_cert"),
        (pki.cert.clone(), not_pem.clone(), "share.tls_key"),
        // A key that is not the certificate's.
        (
            pki.ca.clone(),
            pki.key.clone(),
            "share.tls_cert / share.tls_key",
        ),
    ] {
        let config = share_config(&format!(
            "listen = \"127.0.0.1:0\"\ntls_cert = {:?}\ntls_key = {:?}\n",
            cert.display().to_string(),
            key.display().to_string()
        ));
        let got = runtime.block_on(server::bind(&config, dir.path()));
        let Err((bad_config, why)) = got else {
            panic!("{} / {} accepted", cert.display(), key.display());
        };
        assert!(bad_config, "{why}");
        assert!(why.starts_with(want), "{why}");
    }
}

/// `warroom serve` with TLS configured: it says so, and answers over HTTPS.
#[test]
fn warroom_serve_serves_https_when_configured() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pki = pki(dir.path());
    let id = common::open_incident(&data, "alice", "Checkout 500s", "sev1");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[share]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"share-cert.pem\"\ntls_key = \"share-key.pem\"\n",
    )
    .unwrap();
    let mut child = common::warroom_std(&data, "alice")
        .env("WARROOM_CONFIG", &config)
        .arg("serve")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _guard = Kill(child);
    assert!(
        line.contains("https://127.0.0.1:0") && line.contains("TLS"),
        "{line}"
    );
    // "(127.0.0.1:PORT, TLS; …)": the port it really listens on.
    let addr = line
        .split('(')
        .nth(1)
        .and_then(|r| r.split(',').next())
        .expect("the address in the banner")
        .to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        follower::http_client(Some(&pki.ca))
            .unwrap()
            .get(format!("https://{addr}/v1/incidents/{id}/events"))
            .timeout(QUICK)
            .send()
            .await
            .expect("warroom serve answers over HTTPS")
            .status()
    });
    assert_eq!(status, 401, "no token: 401, over TLS");

    // A certificate that does not read: exit 2, naming the config file and the setting.
    std::fs::write(dir.path().join("share-key.pem"), "not a key").unwrap();
    let out = common::warroom_std(&data, "alice")
        .env("WARROOM_CONFIG", &config)
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&config.display().to_string()) && err.contains("share.tls_key"),
        "{err}"
    );
}
