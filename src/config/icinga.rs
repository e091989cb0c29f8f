//! `[[icinga]]` in `config.toml`: an Icinga 2 whose REST API is read for problems and
//! written to for acknowledgements and comments.
//!
//! ```toml
//! [[icinga]]
//! name = "icinga-eu"                  # optional; default host:port of the URL
//! url = "https://icinga.eu:5665"
//! user = "warroom"                    # an ApiUser
//! password_env = "ICINGA_PASSWORD"    # the variable holding its password
//! ca_file = "icinga-ca.crt"           # optional; relative to config.toml's directory
//! ```

use super::ConfigError;
use super::names::{Names, env_name};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcingaConfig {
    /// Shown as the alerts' source; default the URL's host:port.
    pub name: Option<Spanned<String>>,
    /// The API's base URL, `https://host:5665`.
    pub url: Spanned<String>,
    /// The ApiUser warroom logs in as (HTTP basic authentication).
    pub user: Spanned<String>,
    /// The environment variable holding that user's password.
    pub password_env: Spanned<String>,
    /// PEM file of the CA that signed Icinga's certificate (Icinga's own CA, `ca.crt`):
    /// only that CA is trusted. Without it, the system's roots.
    pub ca_file: Option<Spanned<PathBuf>>,
}

impl IcingaConfig {
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.get_ref().trim().to_string(),
            None => super::backends::host_port(self.url.get_ref()),
        }
    }

    /// The password, from the environment (remembered as a secret).
    pub fn password(&self) -> Result<String, String> {
        super::backends::env_secret(self.password_env.get_ref())
    }

    /// The CA file, resolved against the config file's directory at load.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_ref().map(|c| c.get_ref().as_path())
    }
}

/// Checks every `[[icinga]]` (URL, user, variable name, a name no other source has) and makes
/// a relative `ca_file` relative to `path`'s directory. `taken` are the names of the other
/// alert sources.
pub(super) fn check(
    entries: &mut [IcingaConfig],
    taken: &[String],
    path: &Path,
    text: &str,
) -> Result<(), ConfigError> {
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    let mut names = Names::taken(taken);
    for (n, e) in entries.iter_mut().enumerate() {
        let which = format!("icinga #{}", n + 1);
        if let Err(why) = super::url::base_url(e.url.get_ref()) {
            return Err(at(e.url.span(), format!("{which} url: {why}")));
        }
        if e.user.get_ref().trim().is_empty() {
            return Err(at(e.user.span(), format!("{which} user: empty")));
        }
        env_name(
            &format!("{which} password_env"),
            e.password_env.get_ref(),
            "ICINGA_PASSWORD",
            "password",
        )
        .map_err(|why| at(e.password_env.span(), why))?;
        let name = e.display_name();
        let span = e.name.as_ref().map_or(e.url.span(), |s| s.span());
        names.take(&which, name).map_err(|why| at(span, why))?;
        if let Some(ca) = &mut e.ca_file
            && ca.get_ref().is_relative()
        {
            let dir = path.parent().unwrap_or(Path::new("."));
            let span = ca.span();
            *ca = Spanned::new(span, dir.join(ca.get_ref()));
        }
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
    fn an_entry_reads_and_its_ca_file_is_relative_to_the_config() {
        let c = parse(
            "[[icinga]]\nurl = \"https://icinga:5665\"\nuser = \"warroom\"\npassword_env = \"ICINGA_PW\"\nca_file = \"icinga-ca.crt\"\n",
        )
        .unwrap();
        let ic = &c.icingas[0];
        assert_eq!(ic.display_name(), "icinga:5665");
        assert_eq!(ic.ca_file(), Some(Path::new("/etc/warroom/icinga-ca.crt")));
        assert!(c.has_alert_sources());
    }

    #[test]
    fn every_mistake_names_the_field_and_its_line() {
        let base = "[alerts]\ntimeout = \"5s\"\n\n";
        for (entry, line, says) in [
            (
                "[[icinga]]\nurl = \"icinga:5665\"\nuser = \"w\"\npassword_env = \"P\"\n",
                5,
                "icinga #1 url",
            ),
            (
                "[[icinga]]\nurl = \"https://i:5665\"\nuser = \"w\"\npassword_env = \"hunter2 secret\"\n",
                7,
                "icinga #1 password_env: name an environment variable",
            ),
            (
                "[[icinga]]\nurl = \"https://i:5665\"\nuser = \" \"\npassword_env = \"P\"\n",
                6,
                "icinga #1 user: empty",
            ),
            (
                "[[icinga]]\nurl = \"https://i:5665\"\npassword_env = \"P\"\n",
                4,
                "missing field `user`",
            ),
            (
                "[[icinga]]\nurl = \"https://i:5665\"\nuser = \"w\"\npassword_env = \"P\"\npassword = \"x\"\n",
                8,
                "unknown field `password`",
            ),
            (
                "[[alertmanager]]\nname = \"mon\"\nurl = \"http://am:9093\"\n[[icinga]]\nname = \"mon\"\nurl = \"https://i:5665\"\nuser = \"w\"\npassword_env = \"P\"\n",
                8,
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
