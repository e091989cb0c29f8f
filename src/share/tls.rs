//! HTTPS for the share server, when `[share]` names `tls_cert` and `tls_key` (PEM files):
//! the certificate chain and private key are read once at start, and every accepted
//! connection is wrapped in TLS (1.2 or 1.3, rustls with the ring provider) before HTTP.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// The acceptor `[share]` asks for: `None` for plain HTTP. Relative paths are taken from
/// `config_dir`, where config.toml is, not from wherever warroom was started.
pub fn from_config(
    config: &crate::config::ShareConfig,
    config_dir: &Path,
) -> Result<Option<tokio_rustls::TlsAcceptor>, String> {
    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            acceptor(&config_dir.join(cert), &config_dir.join(key)).map(Some)
        }
        _ => Ok(None),
    }
}

/// The acceptor for a certificate chain and key, or a message naming the file at fault.
pub fn acceptor(cert: &Path, key_file: &Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("share.tls_cert: {}: {}", cert.display(), pem_error(&e)))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("share.tls_cert: {}: {}", cert.display(), pem_error(&e)))?;
    if chain.is_empty() {
        return Err(format!(
            "share.tls_cert: {}: no CERTIFICATE in the file",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("share.tls_key: {}: {}", key_file.display(), pem_error(&e)))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            format!(
                "share.tls_cert / share.tls_key: {} and {} do not make a usable pair: {e}",
                cert.display(),
                key_file.display()
            )
        })?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

fn pem_error(e: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match e {
        Error::Io(io) => io.to_string(),
        Error::NoItemsFound => "no PEM item of the expected kind in the file".into(),
        other => format!("not a valid PEM file ({other:?})"),
    }
}
