//! `[store]`: where incidents are kept when they are shared between machines (PostgreSQL).
//! Without it, the file journal in the data directory, as always.

use super::ConfigError;
use std::path::{Path, PathBuf};

/// `[store]`: the shared PostgreSQL store. The URL may carry a password, so it is best given
/// by an environment variable (`url_env`) or without one, with the password in a libpq
/// password file (`PGPASSFILE`).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The environment variable holding the URL (default `WARROOM_STORE_URL`).
    pub url_env: Option<String>,
    /// The URL itself, `postgres://user@host:port/database` or libpq's `key=value` form.
    pub url: Option<toml::Spanned<String>>,
    /// PEM file of the CA certificate(s) to trust, relative to config.toml's directory.
    pub ca_file: Option<PathBuf>,
    /// `disable`, `prefer` (the default, as libpq), `require` or `verify-full`.
    pub sslmode: Option<toml::Spanned<String>>,
}

/// The values `sslmode` may take.
pub const SSLMODES: [&str; 4] = ["disable", "prefer", "require", "verify-full"];

/// Checks `[store]`; errors name the key and its place in the file, never the URL itself
/// (it may carry a password).
pub(super) fn check(store: &StoreConfig, path: &Path, text: &str) -> Result<(), ConfigError> {
    if let Some(mode) = &store.sslmode
        && !SSLMODES.contains(&mode.get_ref().as_str())
    {
        return Err(ConfigError::at(
            path,
            text,
            mode.span().start,
            format!(
                "store.sslmode: '{}' is not one of {}",
                mode.get_ref().escape_debug(),
                SSLMODES.join(", ")
            ),
        ));
    }
    if let Some(url) = &store.url {
        let u = url.get_ref();
        if !(u.starts_with("postgres://") || u.starts_with("postgresql://") || u.contains('=')) {
            return Err(ConfigError::at(
                path,
                text,
                url.span().start,
                "store.url: not a PostgreSQL URL (postgres://user@host:port/database) \
                 nor key=value settings"
                    .into(),
            ));
        }
    }
    if let Some(var) = &store.url_env
        && (var.is_empty() || var.contains('=') || var.contains('\0'))
    {
        return Err(ConfigError::at(
            path,
            text,
            text.find("url_env").unwrap_or(0),
            "store.url_env: not an environment variable name".into(),
        ));
    }
    Ok(())
}
