//! `[[opsgenie]]` in `config.toml`: an OpsGenie account (Alert API v2) or, with
//! `api = "jsm"`, Jira Service Management's operations alerts (OpsGenie's successor), read for
//! open alerts and written to for acknowledgements, notes and closes.
//!
//! ```toml
//! [[opsgenie]]
//! name = "opsgenie"                 # optional; default "opsgenie" (or "jsm")
//! region = "eu"                     # "us" (default: api.opsgenie.com) or "eu" (api.eu.opsgenie.com)
//! api_key_env = "OPSGENIE_API_KEY"  # the variable holding an API integration's key
//! query = "status:open"             # optional; OpsGenie's alert search query
//! service_field = "tag:service"     # optional; where an alert names its catalog service
//! max_pages = 10                    # optional; pages of 100 alerts read at most
//! oncall_schedules = { payments = "Payments_Schedule" }  # optional; who is on call, paging
//!
//! [[opsgenie]]
//! api = "jsm"                       # Jira Service Management operations
//! cloud_id = "8f1c…"                # the site's cloud id
//! email = "ops@example.com"         # the Atlassian account the API token belongs to
//! api_token_env = "JSM_API_TOKEN"   # the variable holding that account's API token
//! ```
//!
//! `url` replaces the host (tests, a proxy): OpsGenie's paths (`/v2/alerts`) or JSM's
//! (`/jsm/ops/api/{cloud_id}/v1/alerts`) go after it.

use super::ConfigError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsGenieConfig {
    /// Shown as the alerts' source; default `opsgenie` or `jsm`.
    pub name: Option<Spanned<String>>,
    /// `opsgenie` (the default) or `jsm`.
    pub api: Option<Spanned<String>>,
    /// OpsGenie only: `us` (default) or `eu`.
    pub region: Option<Spanned<String>>,
    /// OpsGenie only: the variable holding the API key (`Authorization: GenieKey …`).
    pub api_key_env: Option<Spanned<String>>,
    /// JSM only: the Atlassian site's cloud id.
    pub cloud_id: Option<Spanned<String>>,
    /// JSM only: the Atlassian account's email (basic authentication with the token).
    pub email: Option<Spanned<String>>,
    /// JSM only: the variable holding that account's API token.
    pub api_token_env: Option<Spanned<String>>,
    /// Instead of the vendor's host: `http(s)://host[:port][/prefix]`.
    pub url: Option<Spanned<String>>,
    /// The alert search query; default `status:open`.
    pub query: Option<Spanned<String>>,
    /// Where an alert names its catalog service (its `service` label): `tag:KEY` (a tag
    /// `KEY:VALUE`, default `tag:service`), `team` (the first team responder), `source`,
    /// `owner`, `alias`.
    pub service_field: Option<Spanned<String>>,
    /// Pages of 100 alerts read at most per poll (1–100, default 10).
    pub max_pages: Option<Spanned<u32>>,
    /// Catalog service → the schedule whose on-call answers "who is on call" and is paged
    /// (OpsGenie: the schedule's name or id; JSM: its id).
    #[serde(default)]
    pub oncall_schedules: std::collections::BTreeMap<String, Spanned<String>>,
}

/// Keys of an entry by name, for the checks of which API takes which.
type Keys<'a> = &'a [(&'a str, &'a Option<Spanned<String>>)];

/// Which of the two APIs an entry speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpsGenieApi {
    /// OpsGenie's Alert API v2, `GenieKey` authentication.
    OpsGenie,
    /// Jira Service Management's operations API for one site, basic authentication.
    Jsm { cloud_id: String },
}

/// Where an alert names its catalog service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceField {
    Tag(String),
    Team,
    Source,
    Owner,
    Alias,
}

impl ServiceField {
    fn parse(s: &str) -> Option<ServiceField> {
        Some(match s.trim() {
            "team" => ServiceField::Team,
            "source" => ServiceField::Source,
            "owner" => ServiceField::Owner,
            "alias" => ServiceField::Alias,
            t => {
                let key = t.strip_prefix("tag:")?.trim();
                if key.is_empty() {
                    return None;
                }
                ServiceField::Tag(key.to_string())
            }
        })
    }
}

/// The credentials an entry's variables hold.
#[derive(Debug, Clone)]
pub enum OpsGenieAuth {
    GenieKey(String),
    Basic { email: String, token: String },
}

impl OpsGenieConfig {
    pub fn api(&self) -> OpsGenieApi {
        match self.api.as_ref().map(|a| a.get_ref().trim()) {
            Some("jsm") => OpsGenieApi::Jsm {
                cloud_id: self
                    .cloud_id
                    .as_ref()
                    .map(|c| c.get_ref().trim().to_string())
                    .unwrap_or_default(),
            },
            _ => OpsGenieApi::OpsGenie,
        }
    }

    pub fn display_name(&self) -> String {
        match (&self.name, self.api()) {
            (Some(n), _) => n.get_ref().trim().to_string(),
            (None, OpsGenieApi::OpsGenie) => "opsgenie".into(),
            (None, OpsGenieApi::Jsm { .. }) => "jsm".into(),
        }
    }

    /// The host requests go to: `url`, or the vendor's (by region for OpsGenie).
    pub fn host(&self) -> String {
        if let Some(u) = &self.url {
            return u.get_ref().trim().trim_end_matches('/').to_string();
        }
        match (self.api(), self.region.as_ref().map(|r| r.get_ref().trim())) {
            (OpsGenieApi::Jsm { .. }, _) => "https://api.atlassian.com".into(),
            (OpsGenieApi::OpsGenie, Some("eu")) => "https://api.eu.opsgenie.com".into(),
            (OpsGenieApi::OpsGenie, _) => "https://api.opsgenie.com".into(),
        }
    }

    pub fn query(&self) -> String {
        self.query
            .as_ref()
            .map(|q| q.get_ref().trim().to_string())
            .filter(|q| !q.is_empty())
            .unwrap_or_else(|| "status:open".into())
    }

    pub fn service_field(&self) -> ServiceField {
        self.service_field
            .as_ref()
            .and_then(|f| ServiceField::parse(f.get_ref()))
            .unwrap_or_else(|| ServiceField::Tag("service".into()))
    }

    /// `oncall_schedules` as catalog service → schedule.
    pub fn oncall_map(&self) -> std::collections::BTreeMap<String, String> {
        self.oncall_schedules
            .iter()
            .map(|(k, v)| (k.clone(), v.get_ref().trim().to_string()))
            .collect()
    }

    pub fn max_pages(&self) -> u32 {
        self.max_pages.as_ref().map_or(10, |m| *m.get_ref())
    }

    /// Where the entry's first key is, for a message about the entry as a whole.
    fn first_span(&self) -> std::ops::Range<usize> {
        [
            &self.name,
            &self.api,
            &self.region,
            &self.api_key_env,
            &self.cloud_id,
            &self.email,
            &self.api_token_env,
            &self.url,
            &self.query,
            &self.service_field,
        ]
        .into_iter()
        .flatten()
        .map(|s| s.span())
        .chain(self.max_pages.as_ref().map(|m| m.span()))
        .min_by_key(|s| s.start)
        .unwrap_or(0..0)
    }

    /// The key or token from its variable (remembered as a secret).
    pub fn auth(&self) -> Result<OpsGenieAuth, String> {
        let var = |v: &Option<Spanned<String>>| {
            v.as_ref()
                .map(|v| v.get_ref().trim().to_string())
                .unwrap_or_default()
        };
        match self.api() {
            OpsGenieApi::OpsGenie => Ok(OpsGenieAuth::GenieKey(super::backends::env_secret(
                &var(&self.api_key_env),
            )?)),
            OpsGenieApi::Jsm { .. } => Ok(OpsGenieAuth::Basic {
                email: var(&self.email),
                token: super::backends::env_secret(&var(&self.api_token_env))?,
            }),
        }
    }
}

/// Checks every `[[opsgenie]]`: the API and the keys it takes, the variables' names, the
/// region, the service field, the page bound, a name no other source has. `taken` are the
/// names of the other alert sources.
pub(super) fn check(
    entries: &[OpsGenieConfig],
    taken: &[String],
    path: &Path,
    text: &str,
) -> Result<(), ConfigError> {
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    let mut names: Vec<String> = taken.to_vec();
    for (n, e) in entries.iter().enumerate() {
        let which = format!("opsgenie #{}", n + 1);
        let jsm = match e.api.as_ref() {
            None => false,
            Some(a) => match a.get_ref().trim() {
                "opsgenie" => false,
                "jsm" => true,
                other => {
                    return Err(at(
                        a.span(),
                        format!("{which} api: {other:?} is not \"opsgenie\" or \"jsm\""),
                    ));
                }
            },
        };
        let first_span = e.first_span();
        let (needed, foreign): (Keys<'_>, Keys<'_>) = if jsm {
            (
                &[
                    ("cloud_id", &e.cloud_id),
                    ("email", &e.email),
                    ("api_token_env", &e.api_token_env),
                ],
                &[("region", &e.region), ("api_key_env", &e.api_key_env)],
            )
        } else {
            (
                &[("api_key_env", &e.api_key_env)],
                &[
                    ("cloud_id", &e.cloud_id),
                    ("email", &e.email),
                    ("api_token_env", &e.api_token_env),
                ],
            )
        };
        let api_name = if jsm { "jsm" } else { "opsgenie" };
        for (key, v) in needed {
            match v {
                None => {
                    return Err(at(
                        first_span.clone(),
                        format!("{which}: {key} is required with api = \"{api_name}\""),
                    ));
                }
                Some(v) if v.get_ref().trim().is_empty() => {
                    return Err(at(v.span(), format!("{which} {key}: empty")));
                }
                Some(_) => {}
            }
        }
        for (key, v) in foreign {
            if let Some(v) = v {
                return Err(at(
                    v.span(),
                    format!("{which} {key}: not a key of api = \"{api_name}\""),
                ));
            }
        }
        for (key, v) in [
            ("api_key_env", &e.api_key_env),
            ("api_token_env", &e.api_token_env),
        ] {
            if let Some(v) = v
                && !super::backends::env_name_ok(v.get_ref().trim())
            {
                return Err(at(
                    v.span(),
                    format!(
                        "{which} {key}: name an environment variable (like OPSGENIE_API_KEY), never the key itself"
                    ),
                ));
            }
        }
        if let Some(r) = &e.region
            && !matches!(r.get_ref().trim(), "us" | "eu")
        {
            return Err(at(
                r.span(),
                format!("{which} region: {:?} is not \"us\" or \"eu\"", r.get_ref()),
            ));
        }
        if let Some(c) = &e.cloud_id
            && !c
                .get_ref()
                .trim()
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        {
            return Err(at(
                c.span(),
                format!("{which} cloud_id: letters, digits and '-' only (a UUID)"),
            ));
        }
        if let Some(m) = &e.email
            && !m.get_ref().contains('@')
        {
            return Err(at(
                m.span(),
                format!("{which} email: the Atlassian account's email"),
            ));
        }
        if let Some(u) = &e.url
            && let Err(why) = super::url::base_url(u.get_ref())
        {
            return Err(at(u.span(), format!("{which} url: {why}")));
        }
        if let Some(f) = &e.service_field
            && ServiceField::parse(f.get_ref()).is_none()
        {
            return Err(at(
                f.span(),
                format!(
                    "{which} service_field: {:?} is not tag:KEY, team, source, owner or alias",
                    f.get_ref()
                ),
            ));
        }
        if let Some(m) = &e.max_pages
            && !(1..=100).contains(m.get_ref())
        {
            return Err(at(m.span(), format!("{which} max_pages: 1 to 100")));
        }
        for (service, schedule) in &e.oncall_schedules {
            let v = schedule.get_ref().trim();
            if v.is_empty() || v.len() > 200 || v.chars().any(char::is_control) {
                return Err(at(
                    schedule.span(),
                    format!(
                        "{which} oncall_schedules.{service}: {:?} is not a schedule (its name or id, one line)",
                        schedule.get_ref()
                    ),
                ));
            }
        }
        let name = e.display_name();
        let span = e.name.as_ref().map_or(first_span.clone(), |s| s.span());
        if name.is_empty() {
            return Err(at(span, format!("{which}: empty name")));
        }
        if names.contains(&name) {
            return Err(at(
                span,
                format!(
                    "{which}: a source named {name:?} is already configured; give each a distinct name"
                ),
            ));
        }
        names.push(name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("/etc/warroom/config.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn both_apis_read_with_their_hosts_and_defaults() {
        let c = parse(
            "[[opsgenie]]\nregion = \"eu\"\napi_key_env = \"OG_KEY\"\n\n[[opsgenie]]\napi = \"jsm\"\ncloud_id = \"8f1c-22\"\nemail = \"ops@example.com\"\napi_token_env = \"JSM_TOKEN\"\nservice_field = \"team\"\n",
        )
        .unwrap();
        let (og, jsm) = (&c.opsgenies[0], &c.opsgenies[1]);
        assert_eq!(og.display_name(), "opsgenie");
        assert_eq!(og.host(), "https://api.eu.opsgenie.com");
        assert_eq!(og.api(), OpsGenieApi::OpsGenie);
        assert_eq!(og.query(), "status:open");
        assert_eq!(og.service_field(), ServiceField::Tag("service".into()));
        assert_eq!(og.max_pages(), 10);
        assert_eq!(jsm.display_name(), "jsm");
        assert_eq!(jsm.host(), "https://api.atlassian.com");
        assert_eq!(
            jsm.api(),
            OpsGenieApi::Jsm {
                cloud_id: "8f1c-22".into()
            }
        );
        assert_eq!(jsm.service_field(), ServiceField::Team);
        assert!(c.has_alert_sources());
        let us = parse("[[opsgenie]]\napi_key_env = \"K\"\n").unwrap();
        assert_eq!(us.opsgenies[0].host(), "https://api.opsgenie.com");
    }

    #[test]
    fn every_mistake_names_the_field_and_its_line() {
        let base = "[alerts]\ntimeout = \"5s\"\n\n";
        for (entry, line, says) in [
            (
                "[[opsgenie]]\nregion = \"us\"\n",
                5,
                "api_key_env is required",
            ),
            (
                "[[opsgenie]]\napi_key_env = \"abc def-123\"\n",
                5,
                "api_key_env: name an environment variable",
            ),
            (
                "[[opsgenie]]\napi_key_env = \"K\"\nregion = \"ap\"\n",
                6,
                "region: \"ap\" is not",
            ),
            (
                "[[opsgenie]]\napi = \"pagerduty\"\napi_key_env = \"K\"\n",
                5,
                "api: \"pagerduty\" is not",
            ),
            (
                "[[opsgenie]]\napi = \"jsm\"\ncloud_id = \"c\"\nemail = \"a@b\"\n",
                5,
                "api_token_env is required with api = \"jsm\"",
            ),
            (
                "[[opsgenie]]\napi = \"jsm\"\ncloud_id = \"c\"\nemail = \"a@b\"\napi_token_env = \"T\"\nregion = \"eu\"\n",
                9,
                "region: not a key of api = \"jsm\"",
            ),
            (
                "[[opsgenie]]\napi = \"jsm\"\ncloud_id = \"c/../x\"\nemail = \"a@b\"\napi_token_env = \"T\"\n",
                6,
                "cloud_id: letters, digits",
            ),
            (
                "[[opsgenie]]\napi_key_env = \"K\"\nservice_field = \"details.service\"\n",
                6,
                "service_field",
            ),
            (
                "[[opsgenie]]\napi_key_env = \"K\"\nmax_pages = 0\n",
                6,
                "max_pages: 1 to 100",
            ),
            (
                "[[opsgenie]]\napi_key_env = \"K\"\nurl = \"api.opsgenie.com\"\n",
                6,
                "url",
            ),
            (
                "[[opsgenie]]\napi_key_env = \"K\"\noncall_schedules = { payments = \"\" }\n",
                6,
                "oncall_schedules.payments: \"\" is not a schedule",
            ),
            (
                "[[opsgenie]]\napi_key_env = \"K\"\napi_key = \"x\"\n",
                6,
                "unknown field `api_key`",
            ),
            (
                "[[opsgenie]]\napi_key_env = \"K\"\n[[opsgenie]]\napi_key_env = \"L\"\n",
                7,
                "already configured",
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
