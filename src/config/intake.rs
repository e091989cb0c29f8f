//! `[[intake]]`: sources that push alerts to warroom (`POST /v1/intake/{name}` on the share
//! server, in `warroom serve` or the console):
//!
//! ```toml
//! [[intake]]
//! name = "am"                     # the URL's last part, and the source's name on the board
//! kind = "alertmanager"           # alertmanager | grafana | sns | json
//! secret_env = "WARROOM_INTAKE_AM"  # the variable holding its secret
//! rate = 100                      # pushes per second taken, at most; default 1000
//! stale_after = "4h"              # no push for this long: the source is stale; default never
//!
//! [[intake]]
//! name = "aws"
//! kind = "sns"
//! topics = ["arn:aws:sns:eu-west-1:123456789012:alerts"]   # confirmed and taken; no others
//!
//! [[intake]]
//! name = "hooks"
//! kind = "json"
//! secret_env = "WARROOM_INTAKE_HOOKS"
//! fields = { name = "/title", status = "/state", labels = "/tags" }
//! ```

use super::{Config, ConfigError};
use crate::domain::parse_duration;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// What a source pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntakeKind {
    /// Alertmanager's `webhook_config` (payload version 4).
    Alertmanager,
    /// Grafana's webhook contact point.
    Grafana,
    /// AWS SNS over HTTP(S): subscription confirmations and signed notifications, whose
    /// message is an Alertmanager, Grafana or generic JSON payload, or plain text.
    Sns,
    /// Any JSON, read through `fields`.
    Json,
}

impl IntakeKind {
    pub fn name(self) -> &'static str {
        match self {
            IntakeKind::Alertmanager => "alertmanager",
            IntakeKind::Grafana => "grafana",
            IntakeKind::Sns => "sns",
            IntakeKind::Json => "json",
        }
    }
}

/// One `[[intake]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeConfig {
    pub name: Spanned<String>,
    pub kind: Spanned<IntakeKind>,
    /// The environment variable holding the secret a push must carry (bearer token, basic
    /// auth password, `X-Warroom-Secret` header or `?secret=`). Required but for `sns`,
    /// whose messages are signed.
    pub secret_env: Option<Spanned<String>>,
    /// Pushes per second taken from this source (a burst of one second's worth); beyond, 429
    /// with Retry-After.
    pub rate: Option<Spanned<u32>>,
    /// No push for this long and the source shows as stale; default: never.
    pub stale_after: Option<Spanned<String>>,
    /// `sns`: the topic ARNs whose subscription is confirmed and whose messages are taken.
    #[serde(default)]
    pub topics: Vec<String>,
    /// `json`: where each part of an alert is, as JSON pointers.
    pub fields: Option<JsonFields>,
}

/// `[intake.fields]`: JSON pointers (RFC 6901, like `/alert/title`) into a generic payload.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFields {
    /// The array of alerts; absent: the body is one alert (or an array of them).
    pub alerts: Option<String>,
    /// Within an alert: its name (required).
    pub name: Option<String>,
    /// An object of labels (strings, numbers and booleans taken as text).
    pub labels: Option<String>,
    /// An object of annotations (`summary`, `description`…).
    pub annotations: Option<String>,
    /// The status: one of `resolved_values` means resolved, anything else firing.
    pub status: Option<String>,
    /// Status values that mean resolved; default `["resolved", "ok", "inactive"]`.
    pub resolved_values: Option<Vec<String>>,
    /// RFC 3339 times.
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// A stable identity; default: computed from the name and labels.
    pub fingerprint: Option<String>,
}

/// Pushes per second taken by default.
pub const DEFAULT_RATE: u32 = 1000;

impl IntakeConfig {
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }
    pub fn kind(&self) -> IntakeKind {
        *self.kind.get_ref()
    }
    pub fn rate(&self) -> u32 {
        self.rate.as_ref().map_or(DEFAULT_RATE, |r| *r.get_ref())
    }
    pub fn stale_after(&self) -> Option<std::time::Duration> {
        self.stale_after
            .as_ref()
            .and_then(|s| parse_duration(s.get_ref()).ok())
            .and_then(|d| d.to_std().ok())
    }
    /// The secret, read from its variable now (and remembered for redaction); `Ok(None)` for
    /// an `sns` source without one.
    pub fn secret(&self) -> Result<Option<String>, String> {
        let Some(var) = &self.secret_env else {
            return Ok(None);
        };
        let var = var.get_ref();
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => {
                super::secrets::remember(&v);
                Ok(Some(v.trim().to_string()))
            }
            _ => Err(format!(
                "intake {}: the environment variable {var} (secret_env) is not set",
                self.name()
            )),
        }
    }
}

/// Checks every `[[intake]]`: names unique among all alert sources and fit for a URL, a
/// secret variable where one is needed, a rate above 0, topics only for `sns`, fields only
/// (and a name pointer always) for `json`.
pub(super) fn check(config: &Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    let mut taken = config.alert_source_names();
    taken.extend(config.icingas.iter().map(|i| i.display_name()));
    taken.extend(config.newrelics.iter().map(|n| n.display_name()));
    for i in &config.intakes {
        let name = i.name();
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(at(
                i.name.span(),
                format!(
                    "intake.name: {name:?} must be 1 to 64 letters, digits, '-' or '_' (it is part of the URL)"
                ),
            ));
        }
        if taken.iter().any(|t| t == name) {
            return Err(at(
                i.name.span(),
                format!("intake.name: another alert source is already named {name:?}"),
            ));
        }
        taken.push(name.to_string());
        let kind = i.kind();
        match &i.secret_env {
            Some(v) if !super::backends::env_name_ok(v.get_ref()) => {
                return Err(at(
                    v.span(),
                    "intake.secret_env: name an environment variable (like WARROOM_INTAKE_AM), never the secret itself".into(),
                ));
            }
            None if kind != IntakeKind::Sns => {
                return Err(at(
                    i.name.span(),
                    format!(
                        "intake {name}: set secret_env, the variable holding the secret a {} push must carry",
                        kind.name()
                    ),
                ));
            }
            _ => {}
        }
        if let Some(r) = &i.rate
            && *r.get_ref() == 0
        {
            return Err(at(r.span(), "intake.rate: must be at least 1".into()));
        }
        if let Some(s) = &i.stale_after {
            let d = parse_duration(s.get_ref())
                .map_err(|e| at(s.span(), format!("intake.stale_after: {e}")))?;
            if d < chrono::Duration::seconds(1) {
                return Err(at(
                    s.span(),
                    "intake.stale_after: must be at least 1s".into(),
                ));
            }
        }
        match kind {
            IntakeKind::Sns => {
                if i.topics.is_empty() {
                    return Err(at(
                        i.kind.span(),
                        format!(
                            "intake {name}: an sns source needs topics, the topic ARNs to confirm and take"
                        ),
                    ));
                }
                if let Some(t) = i.topics.iter().find(|t| !t.starts_with("arn:")) {
                    return Err(at(
                        i.kind.span(),
                        format!("intake {name}: topics: {t:?} is not an ARN (arn:aws:sns:…)"),
                    ));
                }
            }
            _ if !i.topics.is_empty() => {
                return Err(at(
                    i.kind.span(),
                    format!("intake {name}: topics are for kind = \"sns\" only"),
                ));
            }
            _ => {}
        }
        match (&i.fields, kind) {
            (None, IntakeKind::Json) => {
                return Err(at(
                    i.kind.span(),
                    format!(
                        "intake {name}: a json source needs fields, at least fields.name (a JSON pointer like \"/title\")"
                    ),
                ));
            }
            (Some(f), IntakeKind::Json) => {
                if f.name.is_none() {
                    return Err(at(
                        i.kind.span(),
                        format!(
                            "intake {name}: fields.name is required (a JSON pointer like \"/title\")"
                        ),
                    ));
                }
                for (what, p) in [
                    ("alerts", &f.alerts),
                    ("name", &f.name),
                    ("labels", &f.labels),
                    ("annotations", &f.annotations),
                    ("status", &f.status),
                    ("starts_at", &f.starts_at),
                    ("ends_at", &f.ends_at),
                    ("fingerprint", &f.fingerprint),
                ] {
                    if let Some(p) = p
                        && !p.is_empty()
                        && !p.starts_with('/')
                    {
                        return Err(at(
                            i.kind.span(),
                            format!(
                                "intake {name}: fields.{what}: {p:?} is not a JSON pointer (it starts with '/', like \"/title\")"
                            ),
                        ));
                    }
                }
            }
            (Some(_), _) => {
                return Err(at(
                    i.kind.span(),
                    format!("intake {name}: fields are for kind = \"json\" only"),
                ));
            }
            (None, _) => {}
        }
    }
    Ok(())
}
