//! Where the store is and how to reach it: the URL (or libpq `key=value` string) parsed into a
//! `tokio_postgres::Config`, the TLS mode (rustls with ring, like the rest of warroom), the
//! password from the URL or a libpq password file, and a form of the URL safe to show.
//!
//! The password never leaves this module in a message: [`Target::shown`] has none, and every
//! error goes through [`Target::redact`].

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long the server lets a session sit inside a transaction without a word from the client
/// before ending it. warroom's own transactions never pause for longer than a network round
/// trip, so this only ends the session of a client that froze or was cut off while it held an
/// incident's head row: the other writers wait this long at most.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(5);

/// How to use TLS: libpq's modes, less `allow` and `verify-ca`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, without checking its certificate (libpq's default).
    Prefer,
    /// TLS always; the certificate is checked only against `ca_file` when one is given.
    Require,
    /// TLS always, the certificate checked against `ca_file` (or the system's roots) and the
    /// host name.
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Option<SslMode> {
        match s {
            "disable" => Some(SslMode::Disable),
            "allow" | "prefer" => Some(SslMode::Prefer),
            "require" => Some(SslMode::Require),
            "verify-ca" | "verify-full" => Some(SslMode::VerifyFull),
            _ => None,
        }
    }
}

/// What the user gave: the URL and the `[store]` TLS settings.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    pub url: String,
    /// Overrides an `sslmode` in the URL.
    pub sslmode: Option<SslMode>,
    /// PEM file of the CA certificate(s) to trust; overrides an `sslrootcert` in the URL.
    pub ca_file: Option<PathBuf>,
}

/// A store ready to be connected to.
#[derive(Clone)]
pub struct Target {
    pub(super) config: tokio_postgres::Config,
    pub(super) tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    shown: String,
    secret: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Target {
    pub fn new(options: &StoreOptions) -> Result<Target, String> {
        let secret = password_in(&options.url);
        let redact = |m: String| redact_with(&m, secret.as_deref());
        let (rest, url_mode, url_root) = split_tls_params(&options.url);
        let mut config = tokio_postgres::Config::from_str(&rest)
            .map_err(|e| redact(format!("the store URL does not read: {e}")))?;
        let mode = match (options.sslmode, url_mode.as_deref()) {
            (Some(m), _) => m,
            (None, Some(m)) => SslMode::parse(m).ok_or_else(|| {
                redact(format!(
                    "the store URL: sslmode={m} is not one of disable, prefer, require, verify-full"
                ))
            })?,
            (None, None) => SslMode::Prefer,
        };
        let ca_file = options.ca_file.clone().or(url_root.map(PathBuf::from));
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        // A database that vanishes from the network (a partition, a dead host) shows up as an
        // error within about half a minute, rather than a hang until the kernel gives up.
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(Duration::from_secs(20));
        }
        if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
            config.keepalives_idle(Duration::from_secs(10));
        }
        // The server gives up too: on a statement we stopped waiting for, and on a session
        // that sits inside a transaction without a word (a client frozen or cut off while it
        // holds an incident's head row, which every other writer waits for).
        let mut options = config.get_options().unwrap_or("").to_string();
        for (key, ms) in [
            ("statement_timeout", super::STEP_TIMEOUT.as_millis()),
            (
                "idle_in_transaction_session_timeout",
                IDLE_IN_TRANSACTION.as_millis(),
            ),
        ] {
            if !options.contains(key) {
                options = format!("{options} -c {key}={ms}").trim_start().to_string();
            }
        }
        config.options(&options);
        if config.get_application_name().is_none() {
            config.application_name("warroom");
        }
        let mut secret = secret;
        if config.get_password().is_none()
            && let Some(pw) = password_from_file(&config)
        {
            config.password(pw.as_bytes());
            secret = Some(pw);
        }
        let tls = match mode {
            SslMode::Disable => {
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                None
            }
            SslMode::Prefer | SslMode::Require => {
                config.ssl_mode(if mode == SslMode::Prefer {
                    tokio_postgres::config::SslMode::Prefer
                } else {
                    tokio_postgres::config::SslMode::Require
                });
                Some(connector(ca_file.as_deref(), false)?)
            }
            SslMode::VerifyFull => {
                config.ssl_mode(tokio_postgres::config::SslMode::Require);
                Some(connector(ca_file.as_deref(), true)?)
            }
        };
        let shown = shown(&config);
        Ok(Target {
            config,
            tls,
            shown,
            secret,
        })
    }

    /// `postgres://user@host:port/db`: where the store is, without the password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `message` with the password cut out wherever it appears.
    pub fn redact(&self, message: &str) -> String {
        redact_with(message, self.secret.as_deref())
    }
}

fn redact_with(message: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => message.replace(s, "***"),
        _ => message.to_string(),
    }
}

fn shown(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            };
            let port = config
                .get_ports()
                .get(i)
                .or(config.get_ports().first())
                .copied()
                .unwrap_or(5432);
            format!("{host}:{port}")
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// Whether `url` carries a password (which `ps` would show, were it an argument).
pub fn has_password(url: &str) -> bool {
    password_in(url).is_some()
}

/// The password written in a URL (`postgres://user:PASSWORD@…`) or a `password=…` pair, as it
/// stands there (possibly percent-encoded: both forms are redacted).
fn password_in(url: &str) -> Option<String> {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        let userinfo = authority.rsplit_once('@')?.0;
        let pw = userinfo.split_once(':')?.1;
        return (!pw.is_empty()).then(|| pw.to_string());
    }
    url.split_whitespace()
        .find_map(|kv| kv.strip_prefix("password="))
        .map(|p| p.trim_matches('\'').to_string())
        .filter(|p| !p.is_empty())
}

/// Takes `sslmode` and `sslrootcert` out of the URL (tokio-postgres knows neither
/// `verify-full` nor `sslrootcert`; warroom does TLS itself).
fn split_tls_params(url: &str) -> (String, Option<String>, Option<String>) {
    let mut mode = None;
    let mut root = None;
    let mut take = |k: &str, v: &str| match k {
        "sslmode" => {
            mode = Some(v.to_string());
            true
        }
        "sslrootcert" => {
            root = Some(v.to_string());
            true
        }
        _ => false,
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_string(), None, None);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                !take(k, v)
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rest, mode, root)
    } else {
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                !take(k.trim(), v.trim().trim_matches('\''))
            })
            .collect();
        (kept.join(" "), mode, root)
    }
}

/// The password for this user, host, port and database from `PGPASSFILE` (or `~/.pgpass`),
/// as libpq reads it: `host:port:database:user:password`, `*` matching anything, `\:` and
/// `\\` escaped; a file others can read is ignored, as libpq does.
fn password_from_file(config: &tokio_postgres::Config) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first()? {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        tokio_postgres::config::Host::Unix(_) => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or(user);
    let wanted = [host.as_str(), port.as_str(), db, user];
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let fields = pgpass_fields(line);
            (fields.len() == 5
                && fields[..4]
                    .iter()
                    .zip(wanted)
                    .all(|(f, w)| f == "*" || f == w))
            .then(|| fields[4].clone())
        })
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next()
                    && let Some(last) = fields.last_mut()
                {
                    last.push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

fn connector(
    ca_file: Option<&Path>,
    verify_full: bool,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = match ca_file {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
                .and_then(|it| it.collect::<Result<_, _>>())
                .map_err(|e| format!("store.ca_file: {}: {e}", ca.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "store.ca_file: {}: no CERTIFICATE in the file",
                    ca.display()
                ));
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| format!("store.ca_file: {}: {e}", ca.display()))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None if verify_full => {
            let verifier = rustls_platform_verifier::Verifier::new(provider)
                .map_err(|e| format!("TLS: the system's certificate roots: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// `sslmode=require` without a CA: encrypted, the certificate taken as it comes (libpq's
/// meaning of `require`). Signatures are still checked, so the session key is the server's.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target, String> {
        Target::new(&StoreOptions {
            url: url.into(),
            ..StoreOptions::default()
        })
    }

    #[test]
    fn the_shown_url_has_no_password() {
        let t =
            target("postgres://alice:s3cretpw@db.example:6543/warroom?sslmode=disable").unwrap();
        assert_eq!(t.shown(), "postgres://alice@db.example:6543/warroom");
        assert_eq!(t.redact("failed for s3cretpw"), "failed for ***");
        let t = target("host=db user=bob password=kv5ecret dbname=w sslmode=disable").unwrap();
        assert_eq!(t.shown(), "postgres://bob@db:5432/w");
        assert_eq!(t.redact("x kv5ecret"), "x ***");
    }

    #[test]
    fn a_url_that_does_not_read_is_refused_without_its_password() {
        let e = target("postgres://alice:s3cretpw@db/warroom?sslmode=sometimes").unwrap_err();
        assert!(e.contains("sslmode=sometimes"), "{e}");
        assert!(!e.contains("s3cretpw"), "{e}");
        let e = target("postgres://alice:s3cretpw@db/warroom?bogus_option=1").unwrap_err();
        assert!(!e.contains("s3cretpw"), "{e}");
    }

    #[test]
    fn verify_full_in_the_url_is_taken_by_warroom() {
        let (rest, mode, root) =
            split_tls_params("postgres://a@h/d?sslmode=verify-full&sslrootcert=/ca.pem&x=1");
        assert_eq!(rest, "postgres://a@h/d?x=1");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/ca.pem"));
    }

    #[test]
    fn pgpass_lines_read_as_libpq_reads_them() {
        assert_eq!(
            pgpass_fields(r"db:5432:*:alice:pa\:ss\\word"),
            ["db", "5432", "*", "alice", r"pa:ss\word"]
        );
    }
}
