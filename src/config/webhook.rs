//! `[[webhook]]`: where status updates are posted besides the journal.
//!
//! ```toml
//! [[webhook]]
//! kind = "slack"              # or "mattermost", "json"
//! url_env = "SLACK_HOOK"      # the variable holding the URL (a secret)
//!
//! [[webhook]]
//! kind = "irc"
//! server = "irc.example.net"
//! port = 6697                 # default 6697 with TLS, 6667 without
//! tls = true
//! nick = "warroom"
//! channel = "#ops"
//! password_env = "IRC_PASS"   # optional: the server password (PASS)
//! channel_key_env = "OPS_KEY" # optional: the channel's key (+k)
//!
//! [[webhook]]
//! kind = "datadog"            # each update posted as a Datadog event
//! site = "EU"                 # US1 (default), EU, US3, US5 or AP1
//! api_key_env = "DD_API_KEY"  # the variable holding an API key
//! url = "http://127.0.0.1:8126"   # optional: instead of the site's API host
//! ```

use super::{Config, ConfigError, secrets};
use crate::domain::parse_duration;
use std::path::{Path, PathBuf};

/// Which chat or service a webhook posts to; decides the payload's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookKind {
    Slack,
    Mattermost,
    Json,
    /// A channel on an IRC server: not HTTP at all (`backends::irc`).
    Irc,
    /// Datadog's event API (`backends::datadog::events`).
    Datadog,
}

impl WebhookKind {
    pub fn label(self) -> &'static str {
        match self {
            WebhookKind::Slack => "slack",
            WebhookKind::Mattermost => "mattermost",
            WebhookKind::Json => "json",
            WebhookKind::Irc => "irc",
            WebhookKind::Datadog => "datadog",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub kind: WebhookKind,
    /// Shown in the log next to each delivery; default the kind.
    pub name: Option<String>,
    /// The URL itself; prefer `url_env`, since a webhook URL is a secret.
    pub url: Option<String>,
    /// The environment variable holding the URL.
    pub url_env: Option<String>,
    /// Per attempt; default 10s.
    pub timeout: Option<toml::Spanned<String>>,
    /// Further attempts after a failure that may pass (timeout, 5xx, 429); default 2.
    pub retries: Option<u32>,
    /// IRC: the server's host name or address.
    pub server: Option<String>,
    /// IRC: the port; default 6697 with TLS, 6667 without.
    pub port: Option<u16>,
    /// IRC: connect with TLS (the system's roots, or `ca_file`).
    pub tls: Option<bool>,
    /// IRC: a PEM file of the CA that signed the server's certificate, instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// IRC: the nickname to post as (a suffixed one is tried when it is taken).
    pub nick: Option<String>,
    /// IRC: the channel to post to, e.g. `#ops`.
    pub channel: Option<String>,
    /// IRC: the environment variable holding the server password (sent as PASS).
    pub password_env: Option<String>,
    /// IRC: the environment variable holding the channel's key.
    pub channel_key_env: Option<String>,
    /// Datadog: the site (`US1`, `EU`, `US3`, `US5`, `AP1`); `url` instead names the API host.
    pub site: Option<String>,
    /// Datadog: the environment variable holding an API key.
    pub api_key_env: Option<String>,
}

/// An IRC channel to post to, with its secrets read from the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct IrcTarget {
    pub server: String,
    pub port: u16,
    pub tls: bool,
    pub ca_file: Option<PathBuf>,
    pub nick: String,
    pub channel: String,
    pub password: Option<String>,
    pub channel_key: Option<String>,
}

impl std::fmt::Debug for IrcTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password or the key.
        write!(f, "{}", self.shown())
    }
}

impl IrcTarget {
    /// `#ops on irc.example.net:6697 (TLS)`: what a person is told, without secrets.
    pub fn shown(&self) -> String {
        format!(
            "{} on {}:{}{}",
            self.channel,
            self.server,
            self.port,
            if self.tls { " (TLS)" } else { "" }
        )
    }
}

impl WebhookConfig {
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.kind.label().to_string())
    }

    /// The URL, from the file or the environment; the error says which variable is unset.
    pub fn resolve_url(&self) -> Result<String, String> {
        let url = match (&self.url, &self.url_env) {
            (Some(u), _) => Ok(u.clone()),
            (None, Some(var)) => std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("environment variable {var} is not set")),
            (None, None) => Err("neither url nor url_env is set".into()),
        }?;
        // A webhook URL is a secret: an error that echoes it is redacted.
        secrets::remember_url(&url);
        Ok(url)
    }

    /// The IRC channel of a `kind = "irc"` webhook, its password and key read from the
    /// environment (and remembered as secrets); the error says which variable is unset.
    pub fn irc_target(&self) -> Result<IrcTarget, String> {
        let secret = |var: &Option<String>| -> Result<Option<String>, String> {
            let Some(var) = var else { return Ok(None) };
            let value = std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("environment variable {var} is not set"))?;
            secrets::remember(&value);
            Ok(Some(value))
        };
        let tls = self.tls.unwrap_or(false);
        Ok(IrcTarget {
            server: self.server.clone().ok_or("server is not set")?,
            port: self.port.unwrap_or(if tls { 6697 } else { 6667 }),
            tls,
            ca_file: self.ca_file.clone(),
            nick: self.nick.clone().ok_or("nick is not set")?,
            channel: self.channel.clone().ok_or("channel is not set")?,
            password: secret(&self.password_env)?,
            channel_key: secret(&self.channel_key_env)?,
        })
    }

    /// A `kind = "datadog"` webhook's API base URL and API key (read from the environment
    /// and remembered as a secret); the error says which variable is unset.
    pub fn datadog_target(&self) -> Result<(String, String), String> {
        let url = super::datadog::api_url(self.site.as_deref(), self.url.as_deref())?;
        let var = self
            .api_key_env
            .as_deref()
            .ok_or("api_key_env is not set")?;
        Ok((url, super::backends::env_secret(var)?))
    }

    pub fn timeout(&self) -> chrono::Duration {
        self.timeout
            .as_ref()
            .and_then(|t| parse_duration(t.get_ref()).ok())
            .unwrap_or(chrono::Duration::seconds(10))
    }

    /// The keys that belong to IRC, by name, with whether each is set.
    fn irc_keys(&self) -> [(&'static str, bool); 8] {
        [
            ("server", self.server.is_some()),
            ("port", self.port.is_some()),
            ("tls", self.tls.is_some()),
            ("ca_file", self.ca_file.is_some()),
            ("nick", self.nick.is_some()),
            ("channel", self.channel.is_some()),
            ("password_env", self.password_env.is_some()),
            ("channel_key_env", self.channel_key_env.is_some()),
        ]
    }
}

/// Checks every `[[webhook]]`; an error names the webhook, the key and where it stands.
pub(super) fn check(config: &Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    for (n, w) in config.webhooks.iter().enumerate() {
        let fail = |offset: usize, reason: String| {
            ConfigError::at(path, text, offset, format!("webhook #{}: {reason}", n + 1))
        };
        let header = text
            .match_indices("[[webhook]]")
            .nth(n)
            .map_or(0, |(i, _)| i);
        if let Some(t) = &w.timeout {
            parse_duration(t.get_ref())
                .map_err(|e| fail(t.span().start, format!("timeout: {e}")))?;
        }
        if w.kind == WebhookKind::Irc {
            check_irc(w).map_err(|reason| fail(header, reason))?;
            continue;
        }
        if w.kind == WebhookKind::Datadog {
            check_datadog(w).map_err(|reason| fail(header, reason))?;
            continue;
        }
        for (key, set) in [
            ("site", w.site.is_some()),
            ("api_key_env", w.api_key_env.is_some()),
        ] {
            if set {
                return Err(fail(
                    header,
                    format!("{key} is only for kind = \"datadog\""),
                ));
            }
        }
        if let Some((key, _)) = w.irc_keys().into_iter().find(|(_, set)| *set) {
            return Err(fail(header, format!("{key} is only for kind = \"irc\"")));
        }
        if w.url.is_none() && w.url_env.is_none() {
            return Err(fail(header, "set url_env (or url)".into()));
        }
        if let Some(u) = &w.url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(fail(
                header,
                "url must start with http:// or https://".into(),
            ));
        }
    }
    Ok(())
}

/// What a Datadog webhook needs: an API key's variable, a known site or a URL, nothing of
/// IRC's.
fn check_datadog(w: &WebhookConfig) -> Result<(), String> {
    if let Some((key, _)) = w.irc_keys().into_iter().find(|(_, set)| *set) {
        return Err(format!("{key} is only for kind = \"irc\""));
    }
    if w.url_env.is_some() {
        return Err("kind = \"datadog\" takes site (or url) and api_key_env, not url_env".into());
    }
    let var = w
        .api_key_env
        .as_deref()
        .ok_or("kind = \"datadog\" needs api_key_env")?;
    if !super::backends::env_name_ok(var) {
        return Err(
            "api_key_env: name an environment variable (like DD_API_KEY), never the key itself"
                .into(),
        );
    }
    if let Some(site) = &w.site {
        super::datadog::site_url(site).map_err(|e| format!("site: {e}"))?;
    }
    if let Some(u) = &w.url {
        super::url::base_url(u).map_err(|e| format!("url: {e}"))?;
    }
    Ok(())
}

/// What an IRC webhook needs, and nothing a line of the protocol could be broken by.
fn check_irc(w: &WebhookConfig) -> Result<(), String> {
    if w.url.is_some() || w.url_env.is_some() {
        return Err("kind = \"irc\" takes server, nick and channel, not url".into());
    }
    let server = w.server.as_deref().ok_or("kind = \"irc\" needs server")?;
    if server.is_empty() || server.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "server '{}' is not a host name",
            server.escape_debug()
        ));
    }
    if w.port == Some(0) {
        return Err("port must be 1 to 65535".into());
    }
    let nick = w.nick.as_deref().ok_or("kind = \"irc\" needs nick")?;
    let nick_char = |c: char| c.is_ascii_alphanumeric() || "[]\\`_^{|}-".contains(c);
    if nick.is_empty()
        || !nick.chars().all(nick_char)
        || nick.starts_with(|c: char| c.is_ascii_digit() || c == '-')
    {
        return Err(format!(
            "nick '{}' is not an IRC nickname (letters, digits and []\\`_^{{|}}-, not starting with a digit or -)",
            nick.escape_debug()
        ));
    }
    let channel = w.channel.as_deref().ok_or("kind = \"irc\" needs channel")?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || c == ',' || c == ':';
    if channel.len() < 2 || !channel.starts_with(['#', '&', '+', '!']) || channel.chars().any(bad) {
        return Err(format!(
            "channel '{}' is not an IRC channel (e.g. \"#ops\": no spaces, commas or colons)",
            channel.escape_debug()
        ));
    }
    Ok(())
}
