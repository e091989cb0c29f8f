//! Where warroom keeps things, and who is speaking.
//!
//! Data (incident journals) lives in the platform data directory for "warroom"
//! (`~/.local/share/warroom` on Linux) unless `--data-dir` / `WARROOM_DATA_DIR` says
//! otherwise; configuration in `config.toml` in the platform config directory unless
//! `--config` / `WARROOM_CONFIG` names the file. `services.toml` and `runbook.toml` sit beside
//! `config.toml`.

pub mod checklists;
mod lenient;
pub mod practice;
mod roll_call;
pub mod secrets;
pub(crate) mod services;
mod store;
pub mod url;
mod watchdog;
mod webhook;

pub use lenient::{ALERT_PARTS, BrokenPart, METRIC_PARTS, SECTIONS};

pub use checklists::{DEFAULT_CHECKLISTS, load_checklists, parse_checklists};
pub use roll_call::RollCallConfig;
pub use services::{load_services, parse_services};
pub use store::{SSLMODES, StoreConfig};
pub use watchdog::WatchdogConfig;
pub use webhook::{IrcTarget, WebhookConfig, WebhookKind};

use crate::domain::{StatusCadence, parse_duration};

mod backends;
pub(crate) mod cloudwatch;
pub mod datadog;
mod icinga;
pub mod intake;
mod nagios;
mod names;
pub(crate) mod newrelic;
mod opsgenie;
mod sensu;
pub use backends::{
    AlertmanagerConfig, AlertsConfig, CloudWatchConfig, GrafanaConfig, GraphiteConfig,
    PagerDutyConfig, PrometheusConfig, PushgatewayConfig,
};
pub use datadog::DatadogConfig;
pub use icinga::IcingaConfig;
pub use intake::{IntakeConfig, IntakeKind, JsonFields};
pub use nagios::NagiosConfig;
pub use newrelic::NewRelicConfig;
pub use opsgenie::{OpsGenieApi, OpsGenieAuth, OpsGenieConfig, ServiceField};
pub use sensu::{SensuConfig, SeyrenConfig};
use std::path::{Path, PathBuf};

/// Resolved locations for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_file: PathBuf,
}

impl Paths {
    /// Flags (already merged with their environment variables by the CLI parser) win over the
    /// platform defaults.
    pub fn resolve(data_dir: Option<PathBuf>, config: Option<PathBuf>) -> Result<Paths, String> {
        let dirs = directories::ProjectDirs::from("", "", "warroom");
        let data_dir = match data_dir {
            Some(d) => d,
            None => dirs.as_ref().map(|d| d.data_dir().to_path_buf()).ok_or(
                "no home directory to keep incidents in; set --data-dir or WARROOM_DATA_DIR",
            )?,
        };
        let config_file = match config {
            Some(f) => f,
            None => dirs
                .as_ref()
                .map(|d| d.config_dir().join("config.toml"))
                .ok_or("no home directory to read config from; set --config or WARROOM_CONFIG")?,
        };
        Ok(Paths {
            data_dir,
            config_file,
        })
    }

    /// The directory holding `config.toml`, `services.toml`, `runbook.toml` and user themes.
    pub fn config_dir(&self) -> &Path {
        self.config_file.parent().unwrap_or(Path::new("."))
    }
}

/// The author of what this run records: `--as` / `WARROOM_USER` if given, else the login name.
pub fn author(given: Option<String>) -> String {
    given
        .filter(|s| !s.trim().is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("LOGNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(login_name)
}

fn login_name() -> String {
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy the name out
    // immediately and never keep the pointer.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return "unknown".to_string();
        }
        std::ffi::CStr::from_ptr((*pw).pw_name)
            .to_string_lossy()
            .into_owned()
    }
}

/// `config.toml`. Every section is optional; an absent file means all defaults.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Theme name: a built-in (`default`, `light`, `high-contrast`, `colorblind`) or a file
    /// `themes/<name>.toml` in the config directory.
    #[serde(default)]
    pub theme: Option<toml::Spanned<String>>,
    /// Key overrides per mode (`global`, `list`, `incident`): `"ctrl-n" = "note"`.
    #[serde(default)]
    pub keys: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// `[status_updates]`: cadence per severity and the overdue bell.
    #[serde(default)]
    pub status_updates: StatusUpdates,
    /// `[[webhook]]`: where status updates are posted besides the journal.
    #[serde(default, rename = "webhook")]
    pub webhooks: Vec<WebhookConfig>,
    /// `[[alertmanager]]`: Alertmanagers to read alerts from (an HA pair: two entries).
    #[serde(default, rename = "alertmanager")]
    pub alertmanagers: Vec<AlertmanagerConfig>,
    /// `[prometheus]`: metrics, and its pending alerts.
    #[serde(default)]
    pub prometheus: Option<PrometheusConfig>,
    /// `[pushgateway]`: where `warroom drill live` pushes a scenario's metrics.
    #[serde(default)]
    pub pushgateway: Option<PushgatewayConfig>,
    /// `[[icinga]]`: Icinga 2 instances to read problems from and acknowledge them in.
    #[serde(default, rename = "icinga")]
    pub icingas: Vec<IcingaConfig>,
    /// `[[opsgenie]]`: OpsGenie accounts or Jira Service Management sites whose open alerts
    /// are read, and acknowledged, noted and closed there.
    #[serde(default, rename = "opsgenie")]
    pub opsgenies: Vec<OpsGenieConfig>,
    /// `[graphite]`: service metrics given as Graphite targets.
    #[serde(default)]
    pub graphite: Option<GraphiteConfig>,
    /// `[grafana]`: Grafana-managed alerts.
    #[serde(default)]
    pub grafana: Option<GrafanaConfig>,
    /// `[[nagios]]`: Nagios 4 servers whose problems are alerts.
    #[serde(default, rename = "nagios")]
    pub nagios: Vec<NagiosConfig>,
    /// `[cloudwatch]`: CloudWatch alarms and metrics.
    #[serde(default)]
    pub cloudwatch: Option<CloudWatchConfig>,
    /// `[datadog]`: monitors as alerts, and the v1 metrics query.
    #[serde(default)]
    pub datadog: Option<DatadogConfig>,
    /// `[pagerduty]`: incidents to acknowledge, resolve and annotate.
    #[serde(default)]
    pub pagerduty: Option<PagerDutyConfig>,
    /// `[[sensu]]`: Sensu Go backends whose failing events are alerts.
    #[serde(default, rename = "sensu")]
    pub sensus: Vec<SensuConfig>,
    /// `[[seyren]]`: Seyren instances whose checks in ERROR or WARN are alerts.
    #[serde(default, rename = "seyren")]
    pub seyrens: Vec<SeyrenConfig>,
    /// `[[intake]]`: sources that push alerts to the share server.
    #[serde(default, rename = "intake")]
    pub intakes: Vec<IntakeConfig>,
    /// `[[newrelic]]`: New Relic accounts (issues as alerts, NRQL metrics) through NerdGraph.
    #[serde(default, rename = "newrelic")]
    pub newrelics: Vec<NewRelicConfig>,
    /// `[alerts]`: polling interval, timeout, grouping.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// `[watchdog]`: the dead man's switch the console watches for.
    #[serde(default)]
    pub watchdog: Option<WatchdogConfig>,
    /// `[share]`: where the read-only share server listens.
    #[serde(default)]
    pub share: Option<ShareConfig>,
    /// `[postmortem]`: where the console writes post-mortem drafts.
    #[serde(default)]
    pub postmortem: PostmortemConfig,
    /// `[store]`: the shared PostgreSQL store.
    #[serde(default)]
    pub store: Option<StoreConfig>,
    /// `[roll_call]`: when a check-in is stale, when relief is suggested.
    #[serde(default)]
    pub roll_call: RollCallConfig,
    /// `[practice]`: the objection window and the executive summary's cadence and channels.
    #[serde(default)]
    pub practice: practice::PracticeConfig,
    /// `[journal]`: who may redact an entry besides the leader.
    #[serde(default)]
    pub journal: JournalConfig,
    /// The cadence read from `[status_updates]`, checked at load.
    #[serde(skip)]
    pub cadence: StatusCadence,
    /// The rules read from `[roll_call]`, checked at load.
    #[serde(skip)]
    pub roll_rules: crate::domain::PracticeRules,
    /// Where the theme and the key overrides stand in the file, for the checks made where
    /// they are used (the theme's name, the keys' chords and commands).
    #[serde(skip)]
    pub places: Places,
}

/// Where `config.toml` gave the values checked only where they are used, so that those
/// checks too name file, line and column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Places {
    file: String,
    theme: Option<(usize, usize)>,
    /// (mode, key) → where the key is written and where its command is; the key `""` is the
    /// mode's own name.
    keys: std::collections::BTreeMap<(String, String), (LineColumn, LineColumn)>,
}

/// 1-based line and column.
type LineColumn = (usize, usize);

/// Which part of a key override a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPart {
    /// The mode (`[keys.MODE]`).
    Mode,
    /// The key sequence (`"ctrl-n" = …`).
    Key,
    /// The command it names (`… = "note"`).
    Command,
}

impl Config {
    /// The theme config.toml names, if any.
    pub fn theme_name(&self) -> Option<&str> {
        self.theme.as_ref().map(|t| t.get_ref().as_str())
    }

    /// An error about the theme config.toml names, at its place in the file.
    pub fn theme_error(&self, reason: String) -> ConfigError {
        let (line, column) = self.places.theme.unwrap_or((1, 1));
        ConfigError {
            file: self.places.file.clone(),
            line,
            column,
            reason,
        }
    }

    /// An error about key override `keys.MODE."KEY"` (key `""`: the mode itself), at the
    /// place in the file of the `part` it is about.
    pub fn key_error(&self, mode: &str, key: &str, part: KeyPart, reason: String) -> ConfigError {
        let found = self.places.keys.get(&(mode.to_string(), key.to_string()));
        let (line, column) = match (found, part) {
            (Some((_, value)), KeyPart::Command) => *value,
            (Some((key, _)), _) => *key,
            (None, _) => (1, 1),
        };
        ConfigError {
            file: self.places.file.clone(),
            line,
            column,
            reason,
        }
    }
}

/// The key overrides again, with where each is written.
#[derive(serde::Deserialize)]
struct KeyPlaces {
    #[serde(default)]
    keys: SpannedKeys,
}

type SpannedKeys = std::collections::BTreeMap<
    toml::Spanned<String>,
    std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>,
>;

/// `[postmortem]`: where `e` in the console writes `INC-N-postmortem.md`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostmortemConfig {
    /// A directory, absolute or relative to where warroom was started; default: there.
    pub dir: Option<PathBuf>,
}

/// `[journal]`: the incidents' journals.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// Roles whose holder may redact an entry (`warroom redact --role`) besides the leader.
    #[serde(default)]
    pub redact_roles: Vec<crate::domain::Role>,
}

/// `[share]`: the read-only share server (in the leader's console, or `warroom serve`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareConfig {
    /// `host:port` to listen on, e.g. `127.0.0.1:7420` (reach it through SSH port forwarding)
    /// or `0.0.0.0:7420` behind TLS.
    pub listen: toml::Spanned<String>,
    /// The URL followers use, when it differs from `http://<listen>` (a proxy, a tunnel).
    pub public_url: Option<String>,
    /// PEM certificate chain and private key: serve HTTPS instead of HTTP.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

impl ShareConfig {
    /// The base URL followers are given.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => {
                let scheme = if self.tls_cert.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{}", self.listen.get_ref())
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusUpdates {
    /// `"10m"`, `"30m"`, `"never"`… per severity; default 10 minutes each.
    pub sev1: Option<toml::Spanned<String>>,
    pub sev2: Option<toml::Spanned<String>>,
    pub sev3: Option<toml::Spanned<String>>,
    pub sev4: Option<toml::Spanned<String>>,
    /// Ring the terminal bell when an update becomes overdue.
    #[serde(default)]
    pub bell: bool,
}

/// A config file that cannot be used; the message names file, line, column and field. Line
/// 0 means no place in a file: the whole file (it cannot be read) or a command-line option
/// (`--theme`), and the message then names only that.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

impl Config {
    /// Reads `path`; a missing file is the default config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        load_or_default(path, Config::parse)
    }
}

impl Config {
    /// Parses and checks a config file's text; every error names file, line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut config: Config = parse_toml(path, text)?;
        let at = |span: std::ops::Range<usize>, reason: String| {
            ConfigError::at(path, text, span.start, reason)
        };
        config.places.file = path.display().to_string();
        config.places.theme = config
            .theme
            .as_ref()
            .map(|t| line_col(text, t.span().start));
        if !config.keys.is_empty() {
            let spans: KeyPlaces = parse_toml(path, text)?;
            for (mode, keys) in spans.keys {
                let here = line_col(text, mode.span().start);
                let mode = mode.into_inner();
                config
                    .places
                    .keys
                    .insert((mode.clone(), String::new()), (here, here));
                for (key, command) in keys {
                    let places = (
                        line_col(text, key.span().start),
                        line_col(text, command.span().start),
                    );
                    config
                        .places
                        .keys
                        .insert((mode.clone(), key.into_inner()), places);
                }
            }
        }
        let su = &config.status_updates;
        for (n, v) in [&su.sev1, &su.sev2, &su.sev3, &su.sev4]
            .into_iter()
            .enumerate()
        {
            let Some(v) = v else { continue };
            let value = v.get_ref().trim();
            config.cadence.per_severity[n] = if value == "never" {
                None
            } else {
                let d = parse_duration(value)
                    .map_err(|e| at(v.span(), format!("status_updates.sev{}: {e}", n + 1)))?;
                if d < chrono::Duration::seconds(1) {
                    return Err(at(
                        v.span(),
                        format!(
                            "status_updates.sev{}: must be at least 1s, or \"never\"",
                            n + 1
                        ),
                    ));
                }
                Some(d)
            };
        }
        config.roll_rules = roll_call::rules(&config.roll_call, path, text)?;
        webhook::check(&config, path, text)?;
        practice::check(&config, path, text)?;
        backends::check(&config, path, text)?;
        nagios::check(&config, path, text)?;
        watchdog::check(&config, path, text)?;
        let taken = config.alert_source_names();
        icinga::check(&mut config.icingas, &taken, path, text)?;
        sensu::check(&config, path, text)?;
        let mut taken = taken;
        taken.extend(config.icingas.iter().map(IcingaConfig::display_name));
        opsgenie::check(&config.opsgenies, &taken, path, text)?;
        newrelic::check(&config.newrelics, &taken, path, text)?;
        intake::check(&config, path, text)?;
        datadog::check(config.datadog.as_ref(), path, text)?;
        if let Some(store) = &config.store {
            store::check(store, path, text)?;
        }
        if let Some(share) = &config.share {
            if let Err(why) = check_listen(share.listen.get_ref()) {
                return Err(at(share.listen.span(), format!("share.listen: {why}")));
            }
            if share.tls_cert.is_some() != share.tls_key.is_some() {
                return Err(at(
                    share.listen.span(),
                    "share: set both tls_cert and tls_key, or neither".into(),
                ));
            }
        }
        Ok(config)
    }
}

/// `host:port` with an IP address (`127.0.0.1:7420`, `[::1]:7420`); the error says which
/// part is wrong.
fn check_listen(listen: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(a) = listen.parse::<std::net::SocketAddr>() {
        return Ok(a);
    }
    let example = "e.g. 127.0.0.1:7420";
    let Some((host, port)) = listen.rsplit_once(':') else {
        return Err(format!("'{listen}' is not host:port, {example}"));
    };
    let host_ok = host.parse::<std::net::Ipv4Addr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok());
    if !host_ok {
        return Err(format!(
            "'{host}' is not an IP address (a host name is not resolved here), {example}"
        ));
    }
    match port.parse::<u64>() {
        Ok(p) => Err(format!("port {p} is out of range (0 to 65535)")),
        Err(_) => Err(format!("'{port}' is not a port number, {example}")),
    }
}

/// Reads `path` and parses it with `parse`; a missing file is `T::default()`, any other
/// read error names the file.
pub fn load_or_default<T: Default>(
    path: &Path,
    parse: impl FnOnce(&Path, &str) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    match read_text(path)? {
        Some(text) => parse(path, &text),
        None => Ok(T::default()),
    }
}

/// A config file's text; `None` when there is no such file. Bytes that are not UTF-8 are
/// named by line, column and byte offset; any other read error names the file.
pub fn read_text(path: &Path) -> Result<Option<String>, ConfigError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConfigError {
                file: path.display().to_string(),
                line: 0,
                column: 0,
                reason: format!("cannot read: {e}"),
            });
        }
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
        ConfigError::at(
            path,
            &valid,
            offset,
            format!("not valid UTF-8 (byte {offset}); save the file as UTF-8"),
        )
    })
}

impl ConfigError {
    fn message(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.reason)
        } else {
            format!(
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.reason
            )
        }
    }

    /// An error about what stands at byte `offset` of `text`, read from `path`.
    pub fn at(path: &Path, text: &str, offset: usize, reason: String) -> ConfigError {
        let (line, column) = line_col(text, offset);
        ConfigError {
            file: path.display().to_string(),
            line,
            column,
            reason,
        }
    }
}

pub fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError {
            file: path.display().to_string(),
            line,
            column,
            reason: e.message().trim().to_string(),
        }
    })
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
