//! `[watchdog]`: the dead man's switch, an alert that always fires (Prometheus's `Watchdog`,
//! `expr: vector(1)`), whose absence tells the console it may be blind:
//!
//! ```toml
//! [watchdog]
//! alert = "Watchdog"   # its alertname; default Watchdog
//! interval = "5m"      # absent longer than this counts; default 5m
//! ```

use super::{Config, ConfigError};
use crate::domain::{Watchdog, parse_duration};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchdogConfig {
    /// The alert's name (`alertname`); default `Watchdog`.
    pub alert: Option<Spanned<String>>,
    /// How long it may be absent before the console says it may be blind; default 5m.
    pub interval: Option<Spanned<String>>,
}

/// Its default name.
const DEFAULT_ALERT: &str = "Watchdog";

impl WatchdogConfig {
    /// The dead man's switch it describes (checked at load, so the defaults stand in only
    /// for what is left out).
    pub fn watchdog(&self) -> Watchdog {
        let alert = self
            .alert
            .as_ref()
            .map(|a| a.get_ref().trim().to_string())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| DEFAULT_ALERT.to_string());
        let interval = self
            .interval
            .as_ref()
            .and_then(|i| parse_duration(i.get_ref()).ok())
            .unwrap_or_else(|| chrono::Duration::minutes(5));
        Watchdog { alert, interval }
    }
}

impl Config {
    /// The dead man's switch, when `[watchdog]` is configured.
    pub fn watchdog(&self) -> Option<Watchdog> {
        self.watchdog.as_ref().map(WatchdogConfig::watchdog)
    }
}

/// Checks `[watchdog]`: a name that is a name, an interval of at least 1s.
pub(super) fn check(config: &Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    let Some(w) = &config.watchdog else {
        return Ok(());
    };
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    if let Some(a) = &w.alert
        && a.get_ref().trim().is_empty()
    {
        return Err(at(
            a.span(),
            "watchdog.alert: empty; name the always-firing alert (like Watchdog)".into(),
        ));
    }
    if let Some(i) = &w.interval {
        let d = parse_duration(i.get_ref())
            .map_err(|e| at(i.span(), format!("watchdog.interval: {e}")))?;
        if d < chrono::Duration::seconds(1) {
            return Err(at(
                i.span(),
                "watchdog.interval: must be at least 1s".into(),
            ));
        }
    }
    Ok(())
}
