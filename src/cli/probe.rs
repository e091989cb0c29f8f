//! `warroom check-config --probe`: tries each configured backend once and reports whether it
//! answers, its version, and whether the token is accepted. Exit 1 if any does not.

use super::Failure;
use crate::backends::alertmanager::{AlertFilter, Alertmanager};
use crate::backends::grafana::Grafana;
use crate::backends::graphite::{Graphite, target_paths};
use crate::backends::icinga::Icinga;
use crate::backends::pagerduty::PagerDuty;
use crate::backends::prometheus::Prometheus;
use crate::backends::{BackendError, Endpoint, http_client};
use crate::config::Config;
use crate::domain::{MetricQuery, ServiceCatalog};

/// Whether `config.toml` names the source that answers `q`.
pub fn configured(config: &Config, q: &MetricQuery) -> bool {
    match q {
        MetricQuery::Promql(_) => config.prometheus.is_some(),
        MetricQuery::Graphite(_) => config.graphite.is_some(),
        MetricQuery::CloudWatch(_) => config.cloudwatch.is_some(),
        MetricQuery::Datadog(_) => config.datadog.is_some(),
        MetricQuery::Nrql(_) => !config.newrelics.is_empty(),
    }
}

/// One line per configured backend (no network), warning about unset token variables.
pub fn describe(config: &Config) {
    for am in &config.alertmanagers {
        say!("alertmanager {}: {}", am.display_name(), am.url.get_ref());
    }
    if let Some(p) = &config.prometheus {
        say!("prometheus: {}", p.url.get_ref());
    }
    if let Some(g) = &config.graphite {
        match g.credentials() {
            Ok(Some((user, _))) => say!("graphite: {} (basic auth as {user})", g.url.get_ref()),
            Ok(None) => say!("graphite: {}", g.url.get_ref()),
            Err(e) => say!("graphite: {} WARNING: {e}", g.url.get_ref()),
        }
    }
    if let Some(g) = &config.grafana {
        match g.token() {
            Ok(_) => say!("grafana: {} (token set)", g.url.get_ref()),
            Err(e) => say!("grafana: {} WARNING: {e}", g.url.get_ref()),
        }
    }
    if let Some(cw) = &config.cloudwatch {
        let at = cw.endpoint().map_or_else(
            || crate::backends::cloudwatch::default_endpoint(cw.region()),
            str::to_string,
        );
        match crate::backends::cloudwatch::AwsCredentials::resolve(cw.profile()) {
            Ok(_) => say!(
                "cloudwatch: {at} region {} (credentials found)",
                cw.region()
            ),
            Err(e) => say!("cloudwatch: {at} region {} WARNING: {e}", cw.region()),
        }
    }
    if let Some(dd) = &config.datadog {
        match dd.url() {
            Err(e) => say!("datadog: WARNING: {e}"),
            Ok(url) => match dd.api_key().and_then(|_| dd.app_key()) {
                Ok(_) => say!("datadog: {url} (keys set)"),
                Err(e) => say!("datadog: {url} WARNING: {e}"),
            },
        }
    }
    if let Some(pd) = &config.pagerduty {
        let services = if pd.service_ids.is_empty() {
            "every service".to_string()
        } else {
            pd.service_ids.join(", ")
        };
        match pd.token() {
            Ok(_) => say!("pagerduty: {} for {services} (token set)", pd.url()),
            Err(e) => say!("pagerduty: {} for {services} WARNING: {e}", pd.url()),
        }
    }
    for nr in &config.newrelics {
        let name = nr.display_name();
        let account = nr.account_id();
        match nr.api_key() {
            Ok(_) => say!("newrelic {name}: {} account {account} (key set)", nr.url()),
            Err(e) => say!(
                "newrelic {name}: {} account {account} WARNING: {e}",
                nr.url()
            ),
        }
    }
    for ng in &config.nagios {
        match ng.credentials() {
            Ok(Some((user, _))) => say!(
                "nagios {}: {} (as {user})",
                ng.display_name(),
                ng.url.get_ref()
            ),
            Ok(None) => say!("nagios {}: {}", ng.display_name(), ng.url.get_ref()),
            Err(e) => say!(
                "nagios {}: {} WARNING: {e}",
                ng.display_name(),
                ng.url.get_ref()
            ),
        }
    }
    for ic in &config.icingas {
        let ca = ic
            .ca_file()
            .map_or_else(String::new, |c| format!(", CA {}", c.display()));
        match ic.password() {
            Ok(_) => say!(
                "icinga {}: {} as {}{ca} (password set)",
                ic.display_name(),
                ic.url.get_ref(),
                ic.user.get_ref()
            ),
            Err(e) => say!(
                "icinga {}: {} as {}{ca} WARNING: {e}",
                ic.display_name(),
                ic.url.get_ref(),
                ic.user.get_ref()
            ),
        }
    }
    for og in &config.opsgenies {
        let oncall = if og.oncall_schedules.is_empty() {
            String::new()
        } else {
            format!(
                ", on call for {}",
                og.oncall_schedules
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let vendor = opsgenie_vendor(og);
        match og.auth() {
            Ok(_) => say!(
                "opsgenie {} ({vendor}): {}{oncall} (key set)",
                og.display_name(),
                og.host()
            ),
            Err(e) => say!(
                "opsgenie {} ({vendor}): {}{oncall} WARNING: {e}",
                og.display_name(),
                og.host()
            ),
        }
    }
    if config.has_alert_sources() {
        say!(
            "alerts: every {}s, timeout {}s, grouped by {}",
            config.alerts.poll_interval().as_secs_f32(),
            config.alerts.timeout().as_secs_f32(),
            config.alerts.group_by()
        );
    }
}

pub fn run(config: &Config, catalog: &ServiceCatalog) -> Result<(), Failure> {
    let client = http_client().map_err(Failure::runtime)?;
    let timeout = config.alerts.timeout();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot probe: {e}")))?;
    let lines = runtime.block_on(probe_all(config, catalog, &client, timeout));
    if lines.is_empty() {
        say!("probe: no backends configured");
        return Ok(());
    }
    let mut failed = 0;
    for (what, r) in &lines {
        match r {
            Ok(detail) => say!("probe {what}: ok, {detail}"),
            Err(e) => {
                failed += 1;
                say!("probe {what}: FAILED: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(Failure::runtime(format!(
            "{failed} of {} backends did not answer as expected",
            lines.len()
        )));
    }
    Ok(())
}

/// Tries each configured backend once: what it is (name and URL) and what it answered, or
/// why not (secrets redacted, as from every backend error).
pub async fn probe_all(
    config: &Config,
    catalog: &ServiceCatalog,
    client: &reqwest::Client,
    timeout: std::time::Duration,
) -> Vec<(String, Result<String, String>)> {
    let mut lines: Vec<(String, Result<String, String>)> = Vec::new();
    for am in &config.alertmanagers {
        let what = format!("alertmanager {} ({})", am.display_name(), am.url.get_ref());
        let r = async {
            let am = Alertmanager::new(Endpoint::new(client.clone(), am.url.get_ref(), timeout)?);
            let s = am.status().await?;
            Ok::<_, BackendError>(format!("version {}, cluster {}", s.version, s.cluster))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    if let Some(p) = &config.prometheus {
        let what = format!("prometheus ({})", p.url.get_ref());
        let r = async {
            let p = Prometheus::new(Endpoint::new(client.clone(), p.url.get_ref(), timeout)?);
            let b = p.build_info().await?;
            Ok::<_, BackendError>(format!("version {}", b.version))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    if let Some(g) = &config.graphite {
        let what = format!("graphite ({})", g.url.get_ref());
        let r = probe_graphite(config, catalog, client, timeout).await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    if let Some(g) = &config.grafana {
        let what = format!("grafana ({})", g.url.get_ref());
        let r = async {
            let token = g.token().map_err(BackendError::Setup)?;
            let gr = Grafana::new(client.clone(), g.url.get_ref(), &token, g.org_id, timeout)?;
            let version = gr.version().await?;
            let n = gr.alerts(&AlertFilter::default()).await?.len();
            Ok::<_, BackendError>(format!("version {version}, token accepted ({n} alerts)"))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    for ng in &config.nagios {
        let what = format!("nagios {} ({})", ng.display_name(), ng.url.get_ref());
        let r = async {
            let n = crate::backends::nagios::Nagios::from_config(client, ng, timeout)?;
            let version = n.version().await?;
            let problems = n.alerts(&ng.display_name()).await?.len();
            Ok::<_, BackendError>(format!("version {version}, {problems} problems"))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    if let Some(cw) = &config.cloudwatch {
        let r = async {
            let c = crate::backends::sources::cloudwatch_from_config(cw, client, timeout)
                .map_err(|e| (format!("cloudwatch (region {})", cw.region()), e))?;
            let what = format!("cloudwatch ({} region {})", c.base_url(), cw.region());
            let n = c.alarms().await.map_err(|e| (what.clone(), e))?.len();
            Ok((what, format!("credentials accepted ({n} alarms in ALARM)")))
        }
        .await;
        lines.push(match r {
            Ok((what, detail)) => (what, Ok(detail)),
            Err((what, e)) => (what, Err(e.to_string())),
        });
    }
    for ic in &config.icingas {
        let what = format!("icinga {} ({})", ic.display_name(), ic.url.get_ref());
        let r = async {
            let c = Icinga::from_config(ic, client, timeout)?;
            let version = c.version().await?;
            let n = c.problems().await?.len();
            Ok::<_, BackendError>(format!("version {version}, user accepted ({n} problems)"))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    if let Some(dd) = &config.datadog {
        let what = format!("datadog ({})", dd.url().unwrap_or_default());
        let r = async {
            let c = crate::backends::datadog::Datadog::from_config(dd, client, timeout)?;
            let n = c.alerts().await?.len();
            Ok::<_, BackendError>(format!("keys accepted ({n} monitor groups alerting)"))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    for se in &config.sensus {
        let what = format!("sensu {} ({})", se.display_name(), se.url.get_ref());
        let r = async {
            let c = crate::backends::sensu::Sensu::from_config(client, se, timeout)?;
            let n = c.alerts(&se.display_name()).await?.len();
            Ok::<_, BackendError>(format!(
                "key accepted ({n} failing events in {})",
                se.namespace()
            ))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    for sy in &config.seyrens {
        let what = format!("seyren {} ({})", sy.display_name(), sy.url.get_ref());
        let r = async {
            let c = crate::backends::seyren::Seyren::from_config(client, sy, timeout)?;
            let n = c.alerts(&sy.display_name()).await?.len();
            Ok::<_, BackendError>(format!("{n} checks in ERROR or WARN"))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    for nr in &config.newrelics {
        let what = format!("newrelic {} ({})", nr.display_name(), nr.url());
        let r = async {
            let c = crate::backends::newrelic::NewRelic::from_config(nr, client, timeout)?;
            let n = c.issues().await?.len();
            Ok::<_, BackendError>(format!("key accepted ({n} active issues)"))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    for og in &config.opsgenies {
        let what = format!(
            "opsgenie {} ({}, {})",
            og.display_name(),
            opsgenie_vendor(og),
            og.host()
        );
        let r = async {
            let c = crate::backends::opsgenie::OpsGenie::from_config(og, client, timeout)?
                .with_max_pages(1);
            let n = c.alerts(&og.display_name()).await?.len();
            let more = if n >= crate::backends::opsgenie::PAGE {
                " or more"
            } else {
                ""
            };
            Ok::<_, BackendError>(format!("key accepted ({n}{more} alerts match the query)"))
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    if let Some(pd) = &config.pagerduty {
        let url = pd.url();
        let what = format!("pagerduty ({url})");
        let r = async {
            let token = pd.token().map_err(BackendError::Setup)?;
            let c = PagerDuty::new(client.clone(), &url, &token, pd.from.get_ref(), timeout)?;
            c.check_token().await?;
            Ok::<_, BackendError>("token accepted".to_string())
        }
        .await;
        lines.push((what, r.map_err(|e| e.to_string())));
    }
    lines
}

/// `OpsGenie` or `Jira Service Management`.
fn opsgenie_vendor(og: &crate::config::OpsGenieConfig) -> &'static str {
    match og.api() {
        crate::config::OpsGenieApi::OpsGenie => "OpsGenie",
        crate::config::OpsGenieApi::Jsm { .. } => "Jira Service Management",
    }
}

/// graphite-web's version, then every series path of every Graphite target in
/// `services.toml` looked up with `/metrics/find`: a path that matches nothing fails the probe
/// (a misspelt target would otherwise only ever read as "no data").
async fn probe_graphite(
    config: &Config,
    catalog: &ServiceCatalog,
    client: &reqwest::Client,
    timeout: std::time::Duration,
) -> Result<String, BackendError> {
    let (readers, problems) =
        crate::backends::metrics::MetricReaders::from_config(config, client, timeout);
    let Some(g): Option<Graphite> = readers.graphite else {
        return Err(BackendError::Setup(problems.join("; ")));
    };
    let version = g.version().await?;
    let mut paths: Vec<(String, String)> = Vec::new();
    for s in &catalog.services {
        for m in &s.metrics {
            if let MetricQuery::Graphite(target) = &m.query {
                for p in target_paths(target) {
                    if !paths.iter().any(|(q, _)| *q == p) {
                        paths.push((p, format!("{} {}", s.name, m.name)));
                    }
                }
            }
        }
    }
    let mut missing = Vec::new();
    for (p, used_by) in &paths {
        if g.find(p).await?.is_empty() {
            missing.push(format!("{p} ({used_by})"));
        }
    }
    if !missing.is_empty() {
        return Err(BackendError::Setup(format!(
            "version {version}, but no series match {}",
            missing.join(", ")
        )));
    }
    Ok(format!(
        "version {version}, {} series path{} of services.toml found",
        paths.len(),
        if paths.len() == 1 { "" } else { "s" }
    ))
}
