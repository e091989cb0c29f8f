//! The alerting and metrics backends in `config.toml`:
//!
//! ```toml
//! [[alertmanager]]            # one per Alertmanager (an HA pair: two entries)
//! name = "am-eu"              # optional; default host:port of the URL
//! url = "http://alertmanager.eu:9093"
//!
//! [prometheus]
//! url = "http://prometheus:9090"
//!
//! [pushgateway]               # optional: where `warroom drill live` pushes metrics
//! url = "http://pushgateway:9091"
//! drills = true               # each source a drill touches says so (also the two above)
//!
//! [graphite]                  # graphite-web: service metrics given as Graphite targets
//! url = "http://graphite:8080"
//! user = "warroom"            # optional basic auth
//! password_env = "GRAPHITE_PASSWORD"
//!
//! [grafana]
//! url = "https://grafana.example"
//! token_env = "GRAFANA_TOKEN" # the variable holding a service-account token
//! org_id = 1                  # optional
//!
//! [cloudwatch]
//! region = "eu-west-1"
//! profile = "ops"             # optional: a profile in ~/.aws/credentials
//! endpoint = "http://127.0.0.1:5000"  # optional: instead of the regional endpoint
//! alarm_prefix = "prod-"      # optional: only alarms whose name starts so
//!
//! [pagerduty]
//! token_env = "PD_TOKEN"
//! from = "ic@example.com"     # a PagerDuty user's email, required for writes
//! service_ids = ["PIJ90N7"]   # empty: every service
//! url = "https://api.pagerduty.com"   # optional
//! oncall_services = { payments = "PSVC002" }  # optional: catalog service → PagerDuty service, for who is on call
//!
//! [alerts]
//! poll_interval = "10s"
//! timeout = "5s"
//! group_by = "service"
//! ```
//!
//! Secrets are never in the file: `token_env` names an environment variable.

use super::{Config, ConfigError};
use crate::domain::parse_duration;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    /// Shown as the alert's source; default the URL's host:port.
    pub name: Option<Spanned<String>>,
    /// Where its UI is served (a path prefix is fine).
    pub url: Spanned<String>,
    /// `warroom drill live` may push synthetic alerts into it (and expire them).
    #[serde(default)]
    pub drills: bool,
}

impl AlertmanagerConfig {
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.get_ref().trim().to_string(),
            None => host_port(self.url.get_ref()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    pub url: Spanned<String>,
    /// `warroom drill live` may make its rules fire with pushed metrics.
    #[serde(default)]
    pub drills: bool,
}

/// `[pushgateway]`: where `warroom drill live` pushes a scenario's metrics so the team's
/// own Prometheus rules must fire; nothing else uses it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushgatewayConfig {
    pub url: Spanned<String>,
    /// Must be true: drills push and delete series only where this says so.
    #[serde(default)]
    pub drills: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphiteConfig {
    /// graphite-web's root URL (`/render` and `/metrics/find` are under it).
    pub url: Spanned<String>,
    /// Basic auth user, when graphite-web sits behind it.
    pub user: Option<Spanned<String>>,
    /// The environment variable holding that user's password.
    pub password_env: Option<Spanned<String>>,
}

impl GraphiteConfig {
    /// The basic auth credentials, when a user is configured.
    pub fn credentials(&self) -> Result<Option<(String, String)>, String> {
        let Some(user) = &self.user else {
            return Ok(None);
        };
        let password = match &self.password_env {
            Some(var) => env_secret(var.get_ref())?,
            None => String::new(),
        };
        Ok(Some((user.get_ref().clone(), password)))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaConfig {
    /// Grafana's root URL.
    pub url: Spanned<String>,
    /// The environment variable holding a service-account token.
    pub token_env: Spanned<String>,
    /// Sent as `X-Grafana-Org-Id` when set.
    pub org_id: Option<u64>,
}

impl GrafanaConfig {
    pub fn token(&self) -> Result<String, String> {
        env_secret(self.token_env.get_ref())
    }
}

/// `[cloudwatch]`: alarms in `ALARM` as alerts, and GetMetricData for `cloudwatch` metrics.
/// Credentials are never in the file: the AWS environment variables, or `profile`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchConfig {
    /// The AWS region (`eu-west-1`).
    pub region: Spanned<String>,
    /// A profile of the shared credentials file; default: the environment, then `default`.
    pub profile: Option<Spanned<String>>,
    /// Instead of `https://monitoring.<region>.amazonaws.com`.
    pub endpoint: Option<Spanned<String>>,
    /// Only alarms whose name starts with this.
    pub alarm_prefix: Option<String>,
}

impl CloudWatchConfig {
    pub fn region(&self) -> &str {
        self.region.get_ref().trim()
    }
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_ref().map(|p| p.get_ref().trim())
    }
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_ref().map(|e| e.get_ref().trim())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// The environment variable holding a REST API token.
    pub token_env: Spanned<String>,
    /// The email of the PagerDuty user acting (the `From:` header).
    pub from: Spanned<String>,
    #[serde(default)]
    pub service_ids: Vec<String>,
    /// Default `https://api.pagerduty.com`.
    pub url: Option<Spanned<String>>,
    /// Catalog service name → PagerDuty service ID, for who is on call and paging.
    #[serde(default)]
    pub oncall_services: std::collections::BTreeMap<String, Spanned<String>>,
}

impl PagerDutyConfig {
    /// `oncall_services` as catalog service name → PagerDuty service ID.
    pub fn oncall_map(&self) -> std::collections::BTreeMap<String, String> {
        self.oncall_services
            .iter()
            .map(|(k, v)| (k.clone(), v.get_ref().clone()))
            .collect()
    }
    pub fn token(&self) -> Result<String, String> {
        env_secret(self.token_env.get_ref())
    }
    pub fn url(&self) -> String {
        self.url.as_ref().map_or_else(
            || super::url::PAGERDUTY_URL.to_string(),
            |u| u.get_ref().clone(),
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// How often each source is asked; default 10s.
    pub poll_interval: Option<Spanned<String>>,
    /// Per request; default 5s.
    pub timeout: Option<Spanned<String>>,
    /// The label alerts are grouped by in `warroom alerts`; default `service`.
    pub group_by: Option<String>,
}

impl AlertsConfig {
    pub fn poll_interval(&self) -> Duration {
        duration_or(&self.poll_interval, Duration::from_secs(10))
    }
    pub fn timeout(&self) -> Duration {
        duration_or(&self.timeout, Duration::from_secs(5))
    }
    pub fn group_by(&self) -> &str {
        self.group_by
            .as_deref()
            .filter(|g| !g.trim().is_empty())
            .unwrap_or("service")
    }
}

fn duration_or(v: &Option<Spanned<String>>, default: Duration) -> Duration {
    v.as_ref()
        .and_then(|s| check_duration(s.get_ref()).ok())
        .unwrap_or(default)
}

fn check_duration(s: &str) -> Result<Duration, String> {
    if s.trim().bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' lacks a unit (write e.g. 10s, 1m)"));
    }
    let d = parse_duration(s)?
        .to_std()
        .map_err(|_| format!("'{s}' is negative"))?;
    if d < Duration::from_secs(1) {
        return Err(format!("'{s}' is shorter than 1s"));
    }
    Ok(d)
}

pub(super) fn env_secret(var: &str) -> Result<String, String> {
    let secret = std::env::var(var)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("environment variable {var} is not set"))?;
    super::secrets::remember(&secret);
    Ok(secret)
}

/// `host:port` of a URL (for a default source name), or the URL itself if it does not parse.
pub(super) fn host_port(url: &str) -> String {
    match reqwest::Url::parse(url.trim()) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => url.to_string(),
        },
        Err(_) => url.to_string(),
    }
}

pub(super) fn env_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks the backend sections; the first problem names file, line and column.
pub(super) fn check(config: &Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    let url = |what: &str, u: &Spanned<String>| {
        super::url::base_url(u.get_ref())
            .map(|_| ())
            .map_err(|reason| at(u.span(), format!("{what}: {reason}")))
    };
    let env = |what: &str, v: &Spanned<String>| {
        if env_name_ok(v.get_ref()) {
            Ok(())
        } else {
            Err(at(
                v.span(),
                format!(
                    "{what}: name an environment variable (like PD_TOKEN), never the secret itself"
                ),
            ))
        }
    };
    let mut names: Vec<String> = Vec::new();
    for (n, am) in config.alertmanagers.iter().enumerate() {
        url(&format!("alertmanager #{} url", n + 1), &am.url)?;
        let name = am.display_name();
        if let Some(given) = &am.name
            && name.is_empty()
        {
            return Err(at(
                given.span(),
                format!("alertmanager #{}: empty name", n + 1),
            ));
        }
        if names.contains(&name) {
            let span = am.name.as_ref().map_or(am.url.span(), |s| s.span());
            return Err(at(
                span,
                format!(
                    "alertmanager #{}: a source named {name:?} is already configured; give each a distinct name",
                    n + 1
                ),
            ));
        }
        names.push(name);
    }
    for (taken, span) in [
        (
            "prometheus",
            config.prometheus.as_ref().map(|p| p.url.span()),
        ),
        ("grafana", config.grafana.as_ref().map(|g| g.url.span())),
        (
            "cloudwatch",
            config.cloudwatch.as_ref().map(|c| c.region.span()),
        ),
        (
            "datadog",
            config.datadog.as_ref().map(|d| d.api_key_env.span()),
        ),
    ] {
        if let Some(span) = span
            && names.iter().any(|n| n == taken)
        {
            return Err(at(
                span,
                format!("an alertmanager is already named {taken:?}; rename it"),
            ));
        }
    }
    if let Some(p) = &config.prometheus {
        url("prometheus.url", &p.url)?;
    }
    if let Some(g) = &config.graphite {
        url("graphite.url", &g.url)?;
        if let Some(v) = &g.password_env {
            env("graphite.password_env", v)?;
            if g.user.is_none() {
                return Err(at(
                    v.span(),
                    "graphite.password_env: needs graphite.user beside it".into(),
                ));
            }
        }
        if let Some(u) = &g.user
            && (u.get_ref().is_empty() || u.get_ref().contains(':'))
        {
            return Err(at(
                u.span(),
                "graphite.user: must not be empty or hold ':'".into(),
            ));
        }
    }
    if let Some(g) = &config.grafana {
        url("grafana.url", &g.url)?;
        env("grafana.token_env", &g.token_env)?;
    }
    if let Some(cw) = &config.cloudwatch {
        let region = cw.region();
        let region_ok = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(at(
                cw.region.span(),
                format!("cloudwatch.region: {region:?} is not an AWS region (like eu-west-1)"),
            ));
        }
        if let Some(p) = &cw.profile
            && p.get_ref().trim().is_empty()
        {
            return Err(at(
                p.span(),
                "cloudwatch.profile: empty; leave it out to use the environment".into(),
            ));
        }
        if let Some(e) = &cw.endpoint {
            url("cloudwatch.endpoint", e)?;
        }
    }
    if let Some(pd) = &config.pagerduty {
        env("pagerduty.token_env", &pd.token_env)?;
        if !pd.from.get_ref().contains('@') {
            return Err(at(
                pd.from.span(),
                "pagerduty.from: the email of a PagerDuty user".into(),
            ));
        }
        if let Some(u) = &pd.url {
            url("pagerduty.url", u)?;
        }
        for (service, id) in &pd.oncall_services {
            let v = id.get_ref();
            if v.is_empty() || v.len() > 64 || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(at(
                    id.span(),
                    format!(
                        "pagerduty.oncall_services.{service}: {v:?} is not a PagerDuty service ID (letters and digits, like PIJ90N7)"
                    ),
                ));
            }
        }
    }
    let a = &config.alerts;
    for (what, v) in [("poll_interval", &a.poll_interval), ("timeout", &a.timeout)] {
        if let Some(v) = v {
            check_duration(v.get_ref()).map_err(|e| at(v.span(), format!("alerts.{what}: {e}")))?;
        }
    }
    Ok(())
}

impl Config {
    /// The names of the alert sources configured before `[[icinga]]`: each
    /// `[[alertmanager]]`, then `grafana`, `prometheus` and `cloudwatch` when configured, each
    /// `[[nagios]]`, each `[[sensu]]`, each `[[seyren]]` (these two last: `sensu::check`).
    pub(super) fn alert_source_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .alertmanagers
            .iter()
            .map(AlertmanagerConfig::display_name)
            .collect();
        if self.grafana.is_some() {
            names.push("grafana".into());
        }
        if self.prometheus.is_some() {
            names.push("prometheus".into());
        }
        if self.cloudwatch.is_some() {
            names.push("cloudwatch".into());
        }
        if self.datadog.is_some() {
            names.push("datadog".into());
        }
        names.extend(self.nagios.iter().map(|n| n.display_name()));
        names.extend(self.sensus.iter().map(|s| s.display_name()));
        names.extend(self.seyrens.iter().map(|s| s.display_name()));
        names
    }

    /// Whether any alert source is configured.
    pub fn has_alert_sources(&self) -> bool {
        !self.alert_source_names().is_empty()
            || !self.icingas.is_empty()
            || !self.opsgenies.is_empty()
            || !self.intakes.is_empty()
            || !self.newrelics.is_empty()
    }
}
