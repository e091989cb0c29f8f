//! `[[nagios]]` in `config.toml`: a Nagios 4 whose problems are alerts, read through its
//! CGIs, and which takes acknowledgements and comments back.
//!
//! ```toml
//! [[nagios]]
//! name = "nagios-dc1"                       # optional; default "nagios"
//! url = "http://nagios.example/nagios4/cgi-bin"
//! user = "warroom"                          # optional: basic authentication
//! password_env = "NAGIOS_PASSWORD"          # the variable holding its password
//! ```

use super::{Config, ConfigError};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NagiosConfig {
    /// Shown as the alerts' source; default `nagios`.
    pub name: Option<Spanned<String>>,
    /// Where its CGIs are served (`statusjson.cgi`, `cmd.cgi` under it).
    pub url: Spanned<String>,
    /// The user the web server knows (basic authentication); Nagios acts as this user.
    pub user: Option<Spanned<String>>,
    /// The environment variable holding the user's password.
    pub password_env: Option<Spanned<String>>,
}

impl NagiosConfig {
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.get_ref().trim().to_string(),
            None => "nagios".to_string(),
        }
    }

    /// The user and password for basic authentication, when a user is configured.
    pub fn credentials(&self) -> Result<Option<(String, String)>, String> {
        let Some(user) = &self.user else {
            return Ok(None);
        };
        let password = match &self.password_env {
            Some(var) => super::backends::env_secret(var.get_ref())?,
            None => String::new(),
        };
        Ok(Some((user.get_ref().clone(), password)))
    }
}

/// Checks every `[[nagios]]`: its URL, the password's variable name, and a name no other
/// alert source has.
pub(super) fn check(config: &Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    let mut taken: Vec<String> = config
        .alertmanagers
        .iter()
        .map(|a| a.display_name())
        .collect();
    for (given, name) in [
        (config.prometheus.is_some(), "prometheus"),
        (config.grafana.is_some(), "grafana"),
        (config.cloudwatch.is_some(), "cloudwatch"),
    ] {
        if given {
            taken.push(name.into());
        }
    }
    let mut names = super::names::Names::taken(&taken);
    for (n, ng) in config.nagios.iter().enumerate() {
        let what = format!("nagios #{}", n + 1);
        if let Err(reason) = super::url::base_url(ng.url.get_ref()) {
            return Err(at(ng.url.span(), format!("{what} url: {reason}")));
        }
        let name = ng.display_name();
        let name_span = ng.name.as_ref().map_or(ng.url.span(), |s| s.span());
        names.take(&what, name).map_err(|why| at(name_span, why))?;
        if let Some(v) = &ng.password_env {
            super::names::env_name(
                &format!("{what} password_env"),
                v.get_ref(),
                "NAGIOS_PASSWORD",
                "secret",
            )
            .map_err(|why| at(v.span(), why))?;
            if ng.user.is_none() {
                return Err(at(
                    v.span(),
                    format!("{what}: password_env needs a user to go with it"),
                ));
            }
        }
        if let Some(u) = &ng.user
            && (u.get_ref().trim().is_empty() || u.get_ref().contains(':'))
        {
            return Err(at(
                u.span(),
                format!("{what} user: a user name, without ':'"),
            ));
        }
    }
    Ok(())
}
