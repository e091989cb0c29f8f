//! The store over TLS (rustls), against a real PostgreSQL that lets warroom in over TLS only:
//! `verify-full` with the team's CA connects and is encrypted, a certificate from another CA is
//! refused saying so, `require` encrypts without checking, `disable` is turned away by the
//! server, and none of the messages carries the password.

use crate::share_tls::pki;
use crate::support::postgres;
use std::path::PathBuf;
use warroom::journal::{PgStore, SslMode, StoreOptions};

fn connect(url: &str, sslmode: SslMode, ca_file: Option<PathBuf>) -> Result<PgStore, String> {
    PgStore::connect(&StoreOptions {
        url: url.to_string(),
        sslmode: Some(sslmode),
        ca_file,
    })
    .map_err(|e| e.to_string())
}

#[test]
fn the_store_speaks_tls_and_checks_the_certificate_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let ours = pki(&mkdir(dir.path().join("ours")));
    let theirs = pki(&mkdir(dir.path().join("theirs")));
    let Some(cluster) = postgres::start_tls(&ours.cert, &ours.key) else {
        return;
    };
    let url = format!(
        "postgres://warroom:{}@127.0.0.1:{}/warroom",
        cluster.password, cluster.port
    );
    let encrypted = || {
        cluster.admin(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE application_name = 'warroom' AND ssl",
        )[0][0]
            .clone()
    };

    let store = connect(&url, SslMode::VerifyFull, Some(ours.ca.clone())).unwrap();
    assert_eq!(store.ids().unwrap(), Vec::<String>::new());
    assert_eq!(encrypted().as_deref(), Some("1"));
    drop(store);

    let err = connect(&url, SslMode::VerifyFull, Some(theirs.ca.clone())).unwrap_err();
    assert!(err.contains("certificate"), "{err}");
    assert!(!err.contains(&cluster.password), "{err}");

    // Without a CA, verify-full trusts only the system's roots, which never signed this one.
    let err = connect(&url, SslMode::VerifyFull, None).unwrap_err();
    assert!(err.contains("certificate"), "{err}");

    let store = connect(&url, SslMode::Require, None).unwrap();
    assert!(store.ids().is_ok());
    drop(store);
    // `require` with a CA checks the certificate too.
    let err = connect(&url, SslMode::Require, Some(theirs.ca.clone())).unwrap_err();
    assert!(err.contains("certificate"), "{err}");

    let err = connect(&url, SslMode::Disable, None).unwrap_err();
    assert!(
        err.contains("no encryption") || err.contains("pg_hba"),
        "{err}"
    );
    assert!(!err.contains(&cluster.password), "{err}");

    let missing = dir.path().join("nowhere.pem");
    let err = connect(&url, SslMode::VerifyFull, Some(missing)).unwrap_err();
    assert!(
        err.contains("store.ca_file") && err.contains("nowhere.pem"),
        "{err}"
    );
}

fn mkdir(path: PathBuf) -> PathBuf {
    std::fs::create_dir_all(&path).unwrap();
    path
}
