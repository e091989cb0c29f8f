//! `[practice]`: the call leader's rhythms that are not the status update — how long the call
//! has to object to a proposed decision, and the executive summary's own cadence and
//! channels.

use super::ConfigError;
use chrono::Duration;
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeConfig {
    /// How long objections are taken after `D` proposes a decision; default "60s".
    #[serde(default)]
    pub objection_window: Option<toml::Spanned<String>>,
    /// How often the executive summary is owed: "30m" (the default), "1h", or "never".
    #[serde(default)]
    pub executive_summary: Option<toml::Spanned<String>>,
    /// The `[[webhook]]` names the executive summary goes to; none: only the journal.
    #[serde(default)]
    pub executive_channels: Vec<toml::Spanned<String>>,
}

impl PracticeConfig {
    /// The objection window (checked at load).
    pub fn objection_window(&self) -> Duration {
        self.objection_window
            .as_ref()
            .and_then(|v| crate::domain::parse_duration(v.get_ref()).ok())
            .unwrap_or(crate::domain::practice::DEFAULT_OBJECTION_WINDOW)
    }

    /// The executive summary's cadence; `None` for "never".
    pub fn executive_every(&self) -> Option<Duration> {
        match &self.executive_summary {
            None => Some(Duration::minutes(30)),
            Some(v) if v.get_ref().trim() == "never" => None,
            Some(v) => crate::domain::parse_duration(v.get_ref()).ok(),
        }
    }

    pub fn channels(&self) -> Vec<String> {
        self.executive_channels
            .iter()
            .map(|c| c.get_ref().clone())
            .collect()
    }
}

/// Checks `[practice]`: durations that read, channels that name a `[[webhook]]`.
pub(super) fn check(config: &super::Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    let p = &config.practice;
    for (key, v) in [
        ("objection_window", &p.objection_window),
        ("executive_summary", &p.executive_summary),
    ] {
        let Some(v) = v else { continue };
        if key == "executive_summary" && v.get_ref().trim() == "never" {
            continue;
        }
        match crate::domain::parse_duration(v.get_ref()) {
            Ok(d) if d >= Duration::seconds(1) => {}
            Ok(_) => {
                return Err(ConfigError::at(
                    path,
                    text,
                    v.span().start,
                    format!("practice.{key}: must be at least 1s"),
                ));
            }
            Err(e) => {
                return Err(ConfigError::at(
                    path,
                    text,
                    v.span().start,
                    format!("practice.{key}: {e}"),
                ));
            }
        }
    }
    for c in &p.executive_channels {
        if !config
            .webhooks
            .iter()
            .any(|w| w.display_name() == *c.get_ref())
        {
            return Err(ConfigError::at(
                path,
                text,
                c.span().start,
                format!(
                    "practice.executive_channels: no [[webhook]] is named '{}'",
                    c.get_ref()
                ),
            ));
        }
    }
    Ok(())
}
