//! `[[newrelic]]` in `config.toml`: a New Relic account read through NerdGraph, its active
//! issues as alerts (acknowledged from the console) and NRQL as a metrics source.
//!
//! ```toml
//! [[newrelic]]
//! name = "newrelic"                   # optional; default "newrelic"
//! account_id = 1234567
//! region = "eu"                       # "us" (default) or "eu"
//! api_key_env = "NEW_RELIC_API_KEY"   # the variable holding a user key (NRAK-…)
//! url = "http://127.0.0.1:8080"       # optional: instead of the region's host
//! services = { "checkout-prod" = "checkout" }  # optional: entity name → catalog service
//! ```
//!
//! NRQL metrics (`nrql = "…"` in `services.toml` and in a runbook's `verify`) are asked of the
//! first entry.

use super::ConfigError;
use super::names::{Names, Regions, env_name};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// NerdGraph's host in each of New Relic's regions, US the default.
pub const REGIONS: Regions = Regions {
    what: "a New Relic region",
    hosts: &[
        ("us", "https://api.newrelic.com"),
        ("eu", "https://api.eu.newrelic.com"),
    ],
};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRelicConfig {
    /// Shown as the alerts' source; default `newrelic`.
    pub name: Option<Spanned<String>>,
    /// The account whose issues are read and acknowledged, and NRQL asked.
    pub account_id: Spanned<i64>,
    /// `us` (default) or `eu`: which NerdGraph host.
    pub region: Option<Spanned<String>>,
    /// The environment variable holding a user key, sent as `API-Key`.
    pub api_key_env: Spanned<String>,
    /// Instead of the region's host (`/graphql` is asked under it).
    pub url: Option<Spanned<String>>,
    /// Entity name → catalog service, for entities not named as their service.
    #[serde(default)]
    pub services: BTreeMap<String, String>,
}

impl NewRelicConfig {
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.get_ref().trim().to_string(),
            None => "newrelic".to_string(),
        }
    }

    /// The user key, from the environment (remembered as a secret).
    pub fn api_key(&self) -> Result<String, String> {
        super::backends::env_secret(self.api_key_env.get_ref())
    }

    /// The account id (checked at load to fit GraphQL's `Int`).
    pub fn account_id(&self) -> i64 {
        *self.account_id.get_ref()
    }

    /// The NerdGraph host: `url` when given, else the region's.
    pub fn url(&self) -> String {
        if let Some(u) = &self.url {
            return u.get_ref().trim().to_string();
        }
        let region = self.region.as_ref().map(|r| r.get_ref().as_str());
        REGIONS
            .host(region)
            .unwrap_or(REGIONS.default_host())
            .to_string()
    }
}

/// Checks every `[[newrelic]]`: the account id, the region, the URL, the variable's name and
/// a source name no other source has. `taken` are the other alert sources' names.
pub(super) fn check(
    entries: &[NewRelicConfig],
    taken: &[String],
    path: &Path,
    text: &str,
) -> Result<(), ConfigError> {
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    let mut names = Names::taken(taken);
    for (n, e) in entries.iter().enumerate() {
        let which = format!("newrelic #{}", n + 1);
        let id = *e.account_id.get_ref();
        if id <= 0 || id > i64::from(i32::MAX) {
            return Err(at(
                e.account_id.span(),
                format!("{which} account_id: {id} is not a New Relic account id"),
            ));
        }
        if let Some(r) = &e.region {
            REGIONS
                .host(Some(r.get_ref()))
                .map_err(|why| at(r.span(), format!("{which} region: {why}")))?;
        }
        if let Some(u) = &e.url
            && let Err(why) = super::url::base_url(u.get_ref())
        {
            return Err(at(u.span(), format!("{which} url: {why}")));
        }
        env_name(
            &format!("{which} api_key_env"),
            e.api_key_env.get_ref(),
            "NEW_RELIC_API_KEY",
            "key",
        )
        .map_err(|why| at(e.api_key_env.span(), why))?;
        let name = e.display_name();
        let span = e.name.as_ref().map_or(e.account_id.span(), |s| s.span());
        names.take(&which, name).map_err(|why| at(span, why))?;
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
    fn an_entry_reads_with_its_region_and_mapping() {
        let c = parse(
            "[[newrelic]]\naccount_id = 1234567\nregion = \"eu\"\napi_key_env = \"NR_KEY\"\nservices = { \"checkout-prod\" = \"checkout\" }\n",
        )
        .unwrap();
        let nr = &c.newrelics[0];
        assert_eq!(nr.display_name(), "newrelic");
        assert_eq!(nr.url(), "https://api.eu.newrelic.com");
        assert_eq!(nr.services["checkout-prod"], "checkout");
        assert!(c.has_alert_sources());
        let us = parse("[[newrelic]]\naccount_id = 1\napi_key_env = \"NR_KEY\"\n").unwrap();
        assert_eq!(us.newrelics[0].url(), "https://api.newrelic.com");
    }

    #[test]
    fn every_mistake_names_the_field_and_its_line() {
        let base = "[alerts]\ntimeout = \"5s\"\n\n";
        for (entry, line, says) in [
            (
                "[[newrelic]]\naccount_id = 0\napi_key_env = \"K\"\n",
                5,
                "newrelic #1 account_id",
            ),
            (
                "[[newrelic]]\naccount_id = 1\nregion = \"ap\"\napi_key_env = \"K\"\n",
                6,
                "newrelic #1 region",
            ),
            (
                "[[newrelic]]\naccount_id = 1\napi_key_env = \"NRAK-123 secret\"\n",
                6,
                "newrelic #1 api_key_env: name an environment variable",
            ),
            (
                "[[newrelic]]\naccount_id = 1\napi_key_env = \"K\"\nurl = \"api.newrelic.com\"\n",
                7,
                "newrelic #1 url",
            ),
            (
                "[[newrelic]]\naccount_id = 1\napi_key = \"x\"\n",
                6,
                "unknown field `api_key`",
            ),
            (
                "[[alertmanager]]\nname = \"newrelic\"\nurl = \"http://am:9093\"\n[[newrelic]]\naccount_id = 1\napi_key_env = \"K\"\n",
                8,
                "already configured",
            ),
            (
                "[[newrelic]]\naccount_id = 1\napi_key_env = \"K\"\n[[intake]]\nname = \"newrelic\"\nkind = \"alertmanager\"\nsecret_env = \"S\"\n",
                8,
                "another alert source is already named \"newrelic\"",
            ),
        ] {
            let err = parse(&format!("{base}{entry}")).unwrap_err();
            assert!(
                err.contains(&format!("config.toml:{line}:")) && err.contains(says),
                "{entry}: {err}"
            );
        }
    }
}
