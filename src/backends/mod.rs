//! Clients for the services warroom talks to. Every request has a timeout; every response is
//! read leniently and a failure becomes a message, never a panic.

pub mod alertmanager;
pub mod cloudwatch;
pub mod datadog;
pub mod grafana;
pub mod graphite;
pub mod http;
pub mod icinga;
pub mod intake;
pub mod irc;
pub mod listing;
pub mod matcher;
pub mod metrics;
pub mod nagios;
pub mod newrelic;
pub mod oncall;
pub mod opsgenie;
pub mod pagerduty;
pub mod poller;
pub mod prometheus;
pub mod pushgateway;
pub mod sensu;
pub mod seyren;
pub mod sources;
pub mod watch;
pub mod webhook;

pub use http::{BackendError, Endpoint};
pub use matcher::Matcher;
pub use poller::{PollSettings, SourceReport};
pub use sources::{AlertSource, poll_once, sources_from_config, sources_with_intake};

/// The HTTP client every backend shares: rustls with the ring provider, no proxy surprises.
pub fn http_client() -> Result<reqwest::Client, String> {
    // Installing the provider twice is harmless; the first one wins.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot set up HTTP: {e}"))
}

/// [`http_client`] trusting only the CA certificates in the PEM file `ca` (a server with its
/// own CA: a share server's self-signed certificate, Icinga 2's CA). `what` names the setting
/// in messages (`--ca`, `icinga.ca_file`).
pub fn http_client_trusting(ca: &std::path::Path, what: &str) -> Result<reqwest::Client, String> {
    let pem = std::fs::read(ca).map_err(|e| format!("{what} {}: {e}", ca.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{what} {}: not a PEM certificate file: {e}", ca.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {}: no CERTIFICATE in the file",
            ca.display()
        ));
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(5))
        .tls_certs_only(certs)
        .build()
        .map_err(|e| format!("cannot set up HTTPS with {what} {}: {e}", ca.display()))
}
