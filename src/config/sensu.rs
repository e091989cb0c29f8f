//! `[[sensu]]` and `[[seyren]]` in `config.toml`: a Sensu Go backend whose failing events are
//! alerts (and which takes silences from the console), and a Seyren whose checks in ERROR or
//! WARN are alerts.
//!
//! ```toml
//! [[sensu]]
//! name = "sensu-eu"                     # optional; default "sensu"
//! url = "https://sensu.example:8080"    # the backend API (/api/core/v2 under it)
//! namespace = "default"                 # optional; default "default"
//! api_key_env = "SENSU_API_KEY"         # the variable holding an API key
//! silence_for = "1h"                    # optional: how long a silence from the console lasts
//!
//! [[seyren]]
//! name = "seyren"                       # optional; default "seyren"
//! url = "http://seyren.example:8080"    # /api/checks under it
//! ```

use super::{Config, ConfigError};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensuConfig {
    /// Shown as the alerts' source; default `sensu`.
    pub name: Option<Spanned<String>>,
    /// The backend API's base URL (`https://sensu:8080`).
    pub url: Spanned<String>,
    /// The namespace whose events are read; default `default`.
    pub namespace: Option<Spanned<String>>,
    /// The environment variable holding a Sensu API key (`Authorization: Key …`).
    pub api_key_env: Spanned<String>,
    /// How long a silence created from the console lasts; default 1h.
    pub silence_for: Option<Spanned<String>>,
}

impl SensuConfig {
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.get_ref().trim().to_string(),
            None => "sensu".to_string(),
        }
    }

    pub fn namespace(&self) -> &str {
        self.namespace
            .as_ref()
            .map_or("default", |n| n.get_ref().trim())
    }

    /// The API key, from the environment (remembered as a secret).
    pub fn api_key(&self) -> Result<String, String> {
        super::backends::env_secret(self.api_key_env.get_ref())
    }

    pub fn silence_for(&self) -> Duration {
        self.silence_for
            .as_ref()
            .and_then(|s| silence_duration(s.get_ref()).ok())
            .unwrap_or(Duration::from_secs(3600))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeyrenConfig {
    /// Shown as the alerts' source; default `seyren`.
    pub name: Option<Spanned<String>>,
    /// Seyren's root URL (its API is under `/api`).
    pub url: Spanned<String>,
}

impl SeyrenConfig {
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.get_ref().trim().to_string(),
            None => "seyren".to_string(),
        }
    }
}

/// A silence's length: a duration of at least a minute and at most 30 days.
fn silence_duration(s: &str) -> Result<Duration, String> {
    let d = crate::domain::parse_duration(s)?
        .to_std()
        .map_err(|_| format!("'{s}' is negative"))?;
    if d < Duration::from_secs(60) || d > Duration::from_secs(30 * 86_400) {
        return Err(format!("'{s}' is not between 1m and 30d"));
    }
    Ok(d)
}

/// Checks every `[[sensu]]` and `[[seyren]]`: URL, namespace, the key's variable name, the
/// silence's length, and a name no other alert source has.
pub(super) fn check(config: &Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    // `alert_source_names` ends with the Sensu, then the Seyren names: each must differ from
    // every name before it.
    let all = config.alert_source_names();
    let first = all.len() - config.sensus.len() - config.seyrens.len();
    let spans = config
        .sensus
        .iter()
        .enumerate()
        .map(|(n, s)| {
            (
                format!("sensu #{}", n + 1),
                &s.url,
                s.name.as_ref().map_or(s.url.span(), |s| s.span()),
            )
        })
        .chain(config.seyrens.iter().enumerate().map(|(n, s)| {
            (
                format!("seyren #{}", n + 1),
                &s.url,
                s.name.as_ref().map_or(s.url.span(), |s| s.span()),
            )
        }));
    for (i, (what, url, name_span)) in spans.enumerate() {
        if let Err(why) = super::url::base_url(url.get_ref()) {
            return Err(at(url.span(), format!("{what} url: {why}")));
        }
        let name = &all[first + i];
        if name.is_empty() {
            return Err(at(name_span, format!("{what}: empty name")));
        }
        if all[..first + i].contains(name) {
            return Err(at(
                name_span,
                format!(
                    "{what}: a source named {name:?} is already configured; give each a distinct name"
                ),
            ));
        }
    }
    for (n, s) in config.sensus.iter().enumerate() {
        let what = format!("sensu #{}", n + 1);
        if !super::backends::env_name_ok(s.api_key_env.get_ref()) {
            return Err(at(
                s.api_key_env.span(),
                format!(
                    "{what} api_key_env: name an environment variable (like SENSU_API_KEY), never the key itself"
                ),
            ));
        }
        if let Some(ns) = &s.namespace {
            let v = ns.get_ref().trim();
            let ok = !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !ok {
                return Err(at(
                    ns.span(),
                    format!("{what} namespace: {v:?} is not a Sensu namespace name"),
                ));
            }
        }
        if let Some(d) = &s.silence_for {
            silence_duration(d.get_ref())
                .map_err(|e| at(d.span(), format!("{what} silence_for: {e}")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;
    use std::time::Duration;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("/etc/warroom/config.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn entries_read_with_their_defaults() {
        let c = parse(
            "[[sensu]]\nurl = \"https://sensu:8080\"\napi_key_env = \"SENSU_KEY\"\n\n[[seyren]]\nurl = \"http://seyren:8080\"\n",
        )
        .unwrap();
        assert_eq!(c.sensus[0].display_name(), "sensu");
        assert_eq!(c.sensus[0].namespace(), "default");
        assert_eq!(c.sensus[0].silence_for(), Duration::from_secs(3600));
        assert_eq!(c.seyrens[0].display_name(), "seyren");
        assert!(c.has_alert_sources());
    }

    #[test]
    fn every_mistake_names_the_field_and_its_line() {
        for (entry, line, says) in [
            (
                "[[sensu]]\nurl = \"sensu:8080\"\napi_key_env = \"K\"\n",
                2,
                "sensu #1 url",
            ),
            (
                "[[sensu]]\nurl = \"http://s:8080\"\napi_key_env = \"0123-secret key\"\n",
                3,
                "sensu #1 api_key_env: name an environment variable",
            ),
            (
                "[[sensu]]\nurl = \"http://s:8080\"\napi_key_env = \"K\"\nnamespace = \"a/b\"\n",
                4,
                "sensu #1 namespace",
            ),
            (
                "[[sensu]]\nurl = \"http://s:8080\"\napi_key_env = \"K\"\nsilence_for = \"10s\"\n",
                4,
                "sensu #1 silence_for: '10s' is not between 1m and 30d",
            ),
            (
                "[[sensu]]\nurl = \"http://s:8080\"\n",
                1,
                "missing field `api_key_env`",
            ),
            ("[[seyren]]\nurl = \"ftp://s\"\n", 2, "seyren #1 url"),
            (
                "[[nagios]]\nurl = \"http://n/cgi-bin\"\n\n[[seyren]]\nname = \"nagios\"\nurl = \"http://s:8080\"\n",
                5,
                "seyren #1: a source named \"nagios\" is already configured",
            ),
            (
                "[[sensu]]\nurl = \"http://s:8080\"\napi_key_env = \"K\"\n\n[[seyren]]\nname = \"sensu\"\nurl = \"http://s:8080\"\n",
                6,
                "seyren #1: a source named \"sensu\" is already configured",
            ),
        ] {
            let err = parse(entry).unwrap_err();
            assert!(
                err.contains(&format!("config.toml:{line}:")),
                "{entry}: {err}"
            );
            assert!(err.contains(says), "{entry}: {err}");
        }
    }
}
