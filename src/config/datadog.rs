//! `[datadog]` in `config.toml`: monitors in Alert, Warn or No Data as alerts, and the v1
//! metrics query for `datadog = "…"` service metrics and verifications.
//!
//! ```toml
//! [datadog]
//! site = "EU"                         # US1 (default), EU, US3, US5 or AP1
//! api_key_env = "DD_API_KEY"          # the variable holding an API key
//! app_key_env = "DD_APP_KEY"          # the variable holding an application key
//! monitor_tags = "team:payments"      # optional: only monitors with these tags
//! url = "http://127.0.0.1:8126"       # optional: instead of the site's API host
//! ```
//!
//! Status updates are posted as Datadog events by a `[[webhook]]` of `kind = "datadog"`
//! (see [`super::webhook`]), which takes the same `site`, `url` and `api_key_env`.

use super::ConfigError;
use super::names::{Regions, env_name};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// The Datadog sites warroom knows, as written in `site`, and their API hosts; US1 the
/// default.
pub const SITES: Regions = Regions {
    what: "a Datadog site",
    hosts: &[
        ("US1", "https://api.datadoghq.com"),
        ("EU", "https://api.datadoghq.eu"),
        ("US3", "https://api.us3.datadoghq.com"),
        ("US5", "https://api.us5.datadoghq.com"),
        ("AP1", "https://api.ap1.datadoghq.com"),
    ],
};

/// The API base URL of `site` (any case), or why not.
pub fn site_url(site: &str) -> Result<&'static str, String> {
    SITES.host(Some(site))
}

/// The API base URL: `url` when given, else the site's host (US1 when no site is given).
pub fn api_url(site: Option<&str>, url: Option<&str>) -> Result<String, String> {
    match url {
        Some(u) => Ok(u.trim().to_string()),
        None => site_url(site.unwrap_or("US1")).map(str::to_string),
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatadogConfig {
    /// `US1` (default), `EU`, `US3`, `US5` or `AP1`.
    pub site: Option<Spanned<String>>,
    /// Instead of the site's API host (a proxy, a test server).
    pub url: Option<Spanned<String>>,
    /// The environment variable holding an API key (`DD-API-KEY`).
    pub api_key_env: Spanned<String>,
    /// The environment variable holding an application key (`DD-APPLICATION-KEY`).
    pub app_key_env: Spanned<String>,
    /// Only monitors with these tags (Datadog's `monitor_tags`, comma separated).
    pub monitor_tags: Option<String>,
}

impl DatadogConfig {
    /// The API base URL.
    pub fn url(&self) -> Result<String, String> {
        api_url(
            self.site.as_ref().map(|s| s.get_ref().as_str()),
            self.url.as_ref().map(|u| u.get_ref().as_str()),
        )
    }

    /// The API key, from the environment (remembered as a secret).
    pub fn api_key(&self) -> Result<String, String> {
        super::backends::env_secret(self.api_key_env.get_ref())
    }

    /// The application key, from the environment (remembered as a secret).
    pub fn app_key(&self) -> Result<String, String> {
        super::backends::env_secret(self.app_key_env.get_ref())
    }
}

/// Checks `[datadog]`: the site, the URL, the variable names.
pub(super) fn check(
    dd: Option<&DatadogConfig>,
    path: &Path,
    text: &str,
) -> Result<(), ConfigError> {
    let Some(dd) = dd else { return Ok(()) };
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    if let Some(s) = &dd.site {
        site_url(s.get_ref()).map_err(|why| at(s.span(), format!("datadog.site: {why}")))?;
    }
    if let Some(u) = &dd.url {
        super::url::base_url(u.get_ref())
            .map_err(|why| at(u.span(), format!("datadog.url: {why}")))?;
    }
    for (key, v) in [
        ("api_key_env", &dd.api_key_env),
        ("app_key_env", &dd.app_key_env),
    ] {
        env_name(&format!("datadog.{key}"), v.get_ref(), "DD_API_KEY", "key")
            .map_err(|why| at(v.span(), why))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("/etc/warroom/config.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn each_site_has_its_host_and_url_wins() {
        for (site, host) in [
            ("US1", "https://api.datadoghq.com"),
            ("eu", "https://api.datadoghq.eu"),
            ("US3", "https://api.us3.datadoghq.com"),
            ("US5", "https://api.us5.datadoghq.com"),
            ("AP1", "https://api.ap1.datadoghq.com"),
        ] {
            let c = parse(&format!(
                "[datadog]\nsite = \"{site}\"\napi_key_env = \"DD_API\"\napp_key_env = \"DD_APP\"\n"
            ))
            .unwrap();
            assert_eq!(c.datadog.unwrap().url().unwrap(), host, "{site}");
        }
        let c = parse("[datadog]\napi_key_env = \"A\"\napp_key_env = \"B\"\n").unwrap();
        let dd = c.datadog.as_ref().unwrap();
        assert_eq!(dd.url().unwrap(), "https://api.datadoghq.com");
        assert!(c.has_alert_sources());
        let c = parse(
            "[datadog]\nsite = \"EU\"\nurl = \"http://127.0.0.1:9\"\napi_key_env = \"A\"\napp_key_env = \"B\"\n",
        )
        .unwrap();
        assert_eq!(c.datadog.unwrap().url().unwrap(), "http://127.0.0.1:9");
    }

    #[test]
    fn every_mistake_names_the_field_and_its_line() {
        let base = "[alerts]\ntimeout = \"5s\"\n\n";
        for (entry, line, says) in [
            (
                "[datadog]\nsite = \"US2\"\napi_key_env = \"A\"\napp_key_env = \"B\"\n",
                5,
                "datadog.site: \"US2\" is not a Datadog site; one of US1, EU, US3, US5, AP1",
            ),
            (
                "[datadog]\nurl = \"api.datadoghq.com\"\napi_key_env = \"A\"\napp_key_env = \"B\"\n",
                5,
                "datadog.url",
            ),
            (
                "[datadog]\napi_key_env = \"0123456789abcdef\"\napp_key_env = \"B\"\n",
                5,
                "datadog.api_key_env: name an environment variable",
            ),
            (
                "[datadog]\napi_key_env = \"A\"\napp_key_env = \"my key\"\n",
                6,
                "datadog.app_key_env: name an environment variable",
            ),
            (
                "[datadog]\napi_key_env = \"A\"\n",
                4,
                "missing field `app_key_env`",
            ),
            (
                "[datadog]\napi_key_env = \"A\"\napp_key_env = \"B\"\napi_key = \"x\"\n",
                7,
                "unknown field `api_key`",
            ),
        ] {
            let err = parse(&format!("{base}{entry}")).unwrap_err();
            assert!(
                err.contains(&format!("config.toml:{line}:")) && err.contains(says),
                "{entry}: {err}"
            );
        }
    }

    #[test]
    fn a_datadog_webhook_takes_a_site_or_url_and_a_key_variable_only() {
        let c =
            parse("[[webhook]]\nkind = \"datadog\"\nsite = \"AP1\"\napi_key_env = \"DD_API\"\n")
                .unwrap();
        assert_eq!(c.webhooks[0].display_name(), "datadog");
        let base = "[alerts]\ntimeout = \"5s\"\n\n";
        for (entry, says) in [
            (
                "kind = \"datadog\"\n",
                "webhook #1: kind = \"datadog\" needs api_key_env",
            ),
            (
                "kind = \"datadog\"\napi_key_env = \"a key\"\n",
                "webhook #1: api_key_env: name an environment variable",
            ),
            (
                "kind = \"datadog\"\napi_key_env = \"K\"\nsite = \"US9\"\n",
                "webhook #1: site: \"US9\" is not a Datadog site",
            ),
            (
                "kind = \"datadog\"\napi_key_env = \"K\"\nurl_env = \"U\"\n",
                "not url_env",
            ),
            (
                "kind = \"datadog\"\napi_key_env = \"K\"\nurl = \"api.datadoghq.com\"\n",
                "webhook #1: url:",
            ),
            (
                "kind = \"datadog\"\napi_key_env = \"K\"\nchannel = \"#ops\"\n",
                "channel is only for kind = \"irc\"",
            ),
            (
                "kind = \"slack\"\nurl_env = \"U\"\nsite = \"EU\"\n",
                "site is only for kind = \"datadog\"",
            ),
        ] {
            let err = parse(&format!("{base}[[webhook]]\n{entry}")).unwrap_err();
            assert!(
                err.contains("config.toml:4:") && err.contains(says),
                "{entry}: {err}"
            );
        }
    }
}
