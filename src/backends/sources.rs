//! The alert sources configured in `config.toml`, each able to fetch its alerts once; and
//! [`poll_once`], which asks them all at the same time (the headless `warroom alerts`).

use super::alertmanager::{AlertFilter, Alertmanager};
use super::cloudwatch::{AwsCredentials, CloudWatch};
use super::datadog::Datadog;
use super::grafana::Grafana;
use super::http::{BackendError, Endpoint};
use super::icinga::Icinga;
use super::listing::Listing;
use super::matcher::LabelFilter;
use super::nagios::Nagios;
use super::newrelic::NewRelic;
use super::opsgenie::OpsGenie;
use super::poller::SourceReport;
use super::prometheus::Prometheus;
use super::sensu::Sensu;
use super::seyren::Seyren;
use crate::config::Config;
use crate::domain::{Alert, AlertState, WriteBack};
use std::time::Duration;

/// Where alerts come from. Each has a name, unique in one config, that the board and the
/// reports use.
#[derive(Debug, Clone)]
pub enum AlertSource {
    Alertmanager {
        name: String,
        client: Alertmanager,
    },
    /// Prometheus' own alert list. With `pending_only`, only pending alerts are reported:
    /// when an Alertmanager is configured it carries the firing ones (with their silences),
    /// and Prometheus adds the early warnings.
    Prometheus {
        name: String,
        client: Prometheus,
        pending_only: bool,
    },
    /// Grafana-managed alerts through its Alertmanager-compatible API.
    Grafana {
        name: String,
        client: Box<Grafana>,
    },
    /// A Nagios 4 through its CGIs; takes acknowledgements and comments back.
    Nagios {
        name: String,
        client: Nagios,
    },
    /// Icinga 2's problems (services not OK, hosts not UP).
    Icinga {
        name: String,
        client: Box<Icinga>,
    },
    /// CloudWatch alarms in `ALARM`.
    CloudWatch {
        name: String,
        client: Box<CloudWatch>,
    },
    /// Alerts pushed to this machine's intake (`[[intake]]`), read from their spool.
    Intake {
        name: String,
        spool: std::path::PathBuf,
        stale_after: Option<Duration>,
    },
    /// An OpsGenie account or a Jira Service Management site (`[[opsgenie]]`): its open
    /// alerts; takes acknowledgements, notes and closes back.
    OpsGenie {
        name: String,
        client: Box<OpsGenie>,
    },
    /// Datadog monitors' groups in Alert, Warn or No Data.
    Datadog {
        name: String,
        client: Box<Datadog>,
    },
    /// A Sensu Go backend's failing events; takes silences.
    Sensu {
        name: String,
        client: Box<Sensu>,
    },
    /// A Seyren's checks in ERROR or WARN.
    Seyren {
        name: String,
        client: Box<Seyren>,
    },
    /// A New Relic account's active issues, through NerdGraph; takes acknowledgements.
    NewRelic {
        name: String,
        client: Box<NewRelic>,
    },
    /// A source that cannot be set up (an unset token variable): every fetch fails with
    /// `reason`, so it shows as failing next to the others instead of stopping them.
    Broken {
        name: String,
        reason: String,
    },
}

impl AlertSource {
    pub fn name(&self) -> &str {
        match self {
            AlertSource::Alertmanager { name, .. }
            | AlertSource::Prometheus { name, .. }
            | AlertSource::Grafana { name, .. }
            | AlertSource::Nagios { name, .. }
            | AlertSource::Icinga { name, .. }
            | AlertSource::CloudWatch { name, .. }
            | AlertSource::Intake { name, .. }
            | AlertSource::OpsGenie { name, .. }
            | AlertSource::Datadog { name, .. }
            | AlertSource::Sensu { name, .. }
            | AlertSource::Seyren { name, .. }
            | AlertSource::NewRelic { name, .. }
            | AlertSource::Broken { name, .. } => name,
        }
    }

    /// What this source takes back from warroom (acknowledge, comment, silence): empty for
    /// Alertmanager and Grafana, whose silences are a form of their own, for Prometheus, for
    /// CloudWatch, whose alarms follow their metric, and for Seyren.
    pub fn write_backs(&self) -> &'static [WriteBack] {
        match self {
            AlertSource::Alertmanager { .. }
            | AlertSource::Prometheus { .. }
            | AlertSource::Grafana { .. }
            | AlertSource::CloudWatch { .. }
            | AlertSource::Intake { .. }
            | AlertSource::Datadog { .. }
            | AlertSource::Seyren { .. }
            | AlertSource::Broken { .. } => &[],
            AlertSource::Sensu { .. } => &[WriteBack::Silence],
            AlertSource::Nagios { .. } => &[WriteBack::Acknowledge, WriteBack::Comment],
            AlertSource::Icinga { .. } => &[WriteBack::Acknowledge, WriteBack::Comment],
            AlertSource::OpsGenie { .. } => {
                &[WriteBack::Acknowledge, WriteBack::Comment, WriteBack::Close]
            }
            AlertSource::NewRelic { .. } => &[WriteBack::Acknowledge],
        }
    }

    /// Writes `kind` back to this source for `alert` (one of its alerts) with `text`, as `by`.
    /// `Ok` carries one line saying what the source answered, for the journal.
    pub async fn write_back(
        &self,
        alert: &Alert,
        kind: WriteBack,
        text: &str,
        by: &str,
    ) -> Result<String, BackendError> {
        let takes_no = || {
            Err(BackendError::Setup(format!(
                "{}: this source takes no {}",
                self.name(),
                kind.name()
            )))
        };
        if !self.write_backs().contains(&kind) {
            if let AlertSource::Broken { reason, .. } = self {
                return Err(BackendError::Setup(reason.clone()));
            }
            return takes_no();
        }
        match (self, kind) {
            (AlertSource::Nagios { client, .. }, WriteBack::Acknowledge) => {
                client.acknowledge(alert, text, by).await
            }
            (AlertSource::Nagios { client, .. }, WriteBack::Comment) => {
                client.comment(alert, text, by).await
            }
            (AlertSource::Icinga { client, .. }, _) => {
                client.write_back(alert, kind, text, by).await
            }
            (AlertSource::OpsGenie { client, .. }, _) => {
                client.write_back(alert, kind, text, by).await
            }
            (AlertSource::Sensu { client, .. }, WriteBack::Silence) => {
                client.silence(alert, text, by).await
            }
            (AlertSource::NewRelic { client, .. }, WriteBack::Acknowledge) => {
                client.acknowledge(alert).await
            }
            _ => takes_no(),
        }
    }

    /// Every alert of this source whose labels pass `filter` (the filter's state flags apply
    /// to Alertmanager sources; Prometheus has no silences).
    pub async fn fetch(&self, filter: &AlertFilter) -> Result<Vec<Alert>, BackendError> {
        self.fetch_listing(filter).await.map(|l| l.alerts)
    }

    /// [`AlertSource::fetch`], saying as well whether the source's page limit cut the list
    /// short (OpsGenie's `max_pages`, Datadog's, New Relic's and CloudWatch's page bounds).
    pub async fn fetch_listing(&self, filter: &AlertFilter) -> Result<Listing, BackendError> {
        match self {
            AlertSource::Alertmanager { client, .. } => {
                return client.alerts(filter).await.map(Listing::whole);
            }
            AlertSource::Grafana { client, .. } => {
                return client.alerts(filter).await.map(Listing::whole);
            }
            AlertSource::Broken { reason, .. } => {
                return Err(BackendError::Setup(reason.clone()));
            }
            _ => {}
        }
        let labels = LabelFilter::new(&filter.matchers).map_err(BackendError::Setup)?;
        let mut listing = match self {
            AlertSource::Prometheus {
                client,
                pending_only,
                ..
            } => {
                let mut alerts = client.alerts().await?;
                if *pending_only {
                    alerts.retain(|a| a.state == AlertState::Pending);
                }
                Listing::whole(alerts)
            }
            AlertSource::CloudWatch { client, .. } => client.alarm_listing().await?,
            AlertSource::Nagios { name, client } => Listing::whole(client.alerts(name).await?),
            AlertSource::Icinga { client, .. } => Listing::whole(client.problems().await?),
            AlertSource::Intake {
                name,
                spool,
                stale_after,
            } => Listing::whole(super::intake::read(
                name,
                spool,
                *stale_after,
                chrono::Utc::now(),
            )?),
            AlertSource::OpsGenie { name, client } => client.listing(name).await?,
            AlertSource::Datadog { client, .. } => client.listing().await?,
            AlertSource::Sensu { name, client } => Listing::whole(client.alerts(name).await?),
            AlertSource::Seyren { name, client } => Listing::whole(client.alerts(name).await?),
            AlertSource::NewRelic { client, .. } => client.issue_listing().await?,
            AlertSource::Alertmanager { .. }
            | AlertSource::Grafana { .. }
            | AlertSource::Broken { .. } => Listing::default(),
        };
        listing.alerts.retain(|a| labels.matches(&a.labels));
        Ok(listing)
    }
}

/// [`sources_from_config`] and, after them, each `[[intake]]`: the alerts pushed to this
/// machine, kept under `data_dir`.
pub fn sources_with_intake(
    config: &Config,
    client: &reqwest::Client,
    timeout: Duration,
    data_dir: &std::path::Path,
) -> Vec<AlertSource> {
    let mut out = sources_from_config(config, client, timeout);
    out.extend(config.intakes.iter().map(|i| AlertSource::Intake {
        name: i.name().to_string(),
        spool: super::intake::spool_path(data_dir, i.name()),
        stale_after: i.stale_after(),
    }));
    out
}

/// The alert sources of `config`, in order: each `[[alertmanager]]`, `[grafana]`, each
/// `[[nagios]]`, `[prometheus]`, `[cloudwatch]`, each `[[icinga]]`, `[datadog]`, each `[[sensu]]`,
/// each `[[seyren]]`, each `[[opsgenie]]`, each `[[newrelic]]`. `timeout` applies to every request.
/// PagerDuty is not an alert source (its
/// incidents are not alerts); see [`super::pagerduty`].
pub fn sources_from_config(
    config: &Config,
    client: &reqwest::Client,
    timeout: Duration,
) -> Vec<AlertSource> {
    let mut out = Vec::new();
    let broken = |name: &str, e: BackendError| AlertSource::Broken {
        name: name.to_string(),
        reason: e.to_string(),
    };
    for am in &config.alertmanagers {
        let name = am.display_name();
        out.push(
            match Endpoint::new(client.clone(), am.url.get_ref(), timeout) {
                Ok(e) => AlertSource::Alertmanager {
                    name,
                    client: Alertmanager::new(e),
                },
                Err(e) => broken(&name, e),
            },
        );
    }
    if let Some(g) = &config.grafana {
        let name = "grafana";
        out.push(match g.token() {
            Err(reason) => AlertSource::Broken {
                name: name.into(),
                reason: format!("grafana: {reason}"),
            },
            Ok(token) => {
                match Grafana::new(client.clone(), g.url.get_ref(), &token, g.org_id, timeout) {
                    Ok(client) => AlertSource::Grafana {
                        name: name.into(),
                        client: Box::new(client),
                    },
                    Err(e) => broken(name, e),
                }
            }
        });
    }
    for ng in &config.nagios {
        let name = ng.display_name();
        out.push(match Nagios::from_config(client, ng, timeout) {
            Ok(client) => AlertSource::Nagios { name, client },
            Err(e) => broken(&name, e),
        });
    }
    if let Some(p) = &config.prometheus {
        let name = "prometheus";
        out.push(
            match Endpoint::new(client.clone(), p.url.get_ref(), timeout) {
                Ok(e) => AlertSource::Prometheus {
                    name: name.into(),
                    client: Prometheus::new(e),
                    pending_only: !config.alertmanagers.is_empty(),
                },
                Err(e) => broken(name, e),
            },
        );
    }
    if let Some(cw) = &config.cloudwatch {
        out.push(match cloudwatch_from_config(cw, client, timeout) {
            Ok(client) => AlertSource::CloudWatch {
                name: "cloudwatch".into(),
                client: Box::new(client),
            },
            Err(e) => broken("cloudwatch", e),
        });
    }
    for ic in &config.icingas {
        let name = ic.display_name();
        out.push(match Icinga::from_config(ic, client, timeout) {
            Ok(c) => AlertSource::Icinga {
                name,
                client: Box::new(c),
            },
            Err(e) => broken(&name, e),
        });
    }
    for og in &config.opsgenies {
        let name = og.display_name();
        out.push(match OpsGenie::from_config(og, client, timeout) {
            Ok(c) => AlertSource::OpsGenie {
                name,
                client: Box::new(c),
            },
            Err(e) => broken(&name, e),
        });
    }
    if let Some(dd) = &config.datadog {
        out.push(match Datadog::from_config(dd, client, timeout) {
            Ok(c) => AlertSource::Datadog {
                name: "datadog".into(),
                client: Box::new(c),
            },
            Err(e) => broken("datadog", e),
        });
    }
    for se in &config.sensus {
        let name = se.display_name();
        out.push(match Sensu::from_config(client, se, timeout) {
            Ok(c) => AlertSource::Sensu {
                name,
                client: Box::new(c),
            },
            Err(e) => broken(&name, e),
        });
    }
    for sy in &config.seyrens {
        let name = sy.display_name();
        out.push(match Seyren::from_config(client, sy, timeout) {
            Ok(c) => AlertSource::Seyren {
                name,
                client: Box::new(c),
            },
            Err(e) => broken(&name, e),
        });
    }
    for nr in &config.newrelics {
        let name = nr.display_name();
        out.push(match NewRelic::from_config(nr, client, timeout) {
            Ok(c) => AlertSource::NewRelic {
                name,
                client: Box::new(c),
            },
            Err(e) => broken(&name, e),
        });
    }
    out
}

/// The CloudWatch client `[cloudwatch]` describes, its credentials resolved now.
pub fn cloudwatch_from_config(
    cw: &crate::config::CloudWatchConfig,
    client: &reqwest::Client,
    timeout: Duration,
) -> Result<CloudWatch, BackendError> {
    let credentials = AwsCredentials::resolve(cw.profile())
        .map_err(|e| BackendError::Setup(format!("cloudwatch: {e}")))?;
    Ok(CloudWatch::new(
        client.clone(),
        cw.region(),
        cw.endpoint(),
        credentials,
        timeout,
    )?
    .with_alarm_prefix(cw.alarm_prefix.as_deref()))
}

/// Writes `kind` back to `source` for `alert` and says how it went, as the journal keeps it:
/// taken or not, the outcome is an `alert_write_back` event (secrets redacted from the
/// detail, as from every backend error).
pub async fn write_back_event(
    source: &AlertSource,
    alert: &Alert,
    kind: WriteBack,
    text: &str,
    by: &str,
) -> crate::domain::Event {
    let (ok, detail) = match source.write_back(alert, kind, text, by).await {
        Ok(d) => (true, d),
        Err(e) => (false, e.to_string()),
    };
    crate::domain::Event::AlertWriteBack {
        source: source.name().to_string(),
        fingerprint: alert.fingerprint.clone(),
        alert: alert.name().to_string(),
        action: kind.name().to_string(),
        text: text.to_string(),
        ok,
        detail: crate::config::secrets::redact(&detail),
    }
}

/// Asks every source once, all at the same time; each answer (or failure) within `deadline`.
/// Reports come back in the sources' order.
pub async fn poll_once(
    sources: &[AlertSource],
    filter: &AlertFilter,
    deadline: Duration,
) -> Vec<SourceReport> {
    futures::future::join_all(
        sources
            .iter()
            .map(|s| super::poller::fetch_report(s, filter, deadline)),
    )
    .await
}
