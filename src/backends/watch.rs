//! Looking along the alerting chain for the console and `warroom doctor`: Prometheus's rule
//! groups and what fires in it, and whether the dead man's switch (`[watchdog]`) has arrived
//! at each Alertmanager. What the looks mean is judged in `domain::ChainWatch`; this only
//! asks.

use super::alertmanager::{AlertFilter, Alertmanager};
use super::http::Endpoint;
use super::matcher::Matcher;
use super::prometheus::Prometheus;
use crate::config::Config;
use crate::domain::{AlertState, ChainLook, PrometheusLook};
use chrono::Utc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

/// The parts of the chain `config.toml` names, ready to be asked.
#[derive(Debug, Clone)]
pub struct ChainWatcher {
    /// `prometheus` and its client, or why it cannot be set up.
    prometheus: Option<(String, Result<Prometheus, String>)>,
    alertmanagers: Vec<(String, Result<Alertmanager, String>)>,
    /// The dead man's switch's alert name.
    alert: Option<String>,
}

impl ChainWatcher {
    /// `None` when there is nothing to watch: no Prometheus and no Alertmanager.
    pub fn from_config(
        config: &Config,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> Option<ChainWatcher> {
        if config.prometheus.is_none() && config.alertmanagers.is_empty() {
            return None;
        }
        let endpoint =
            |url: &str| Endpoint::new(client.clone(), url, timeout).map_err(|e| e.to_string());
        Some(ChainWatcher {
            prometheus: config.prometheus.as_ref().map(|p| {
                (
                    "prometheus".to_string(),
                    endpoint(p.url.get_ref()).map(Prometheus::new),
                )
            }),
            alertmanagers: config
                .alertmanagers
                .iter()
                .map(|am| {
                    (
                        am.display_name(),
                        endpoint(am.url.get_ref()).map(Alertmanager::new),
                    )
                })
                .collect(),
            alert: config.watchdog().map(|w| w.alert),
        })
    }

    /// One look, every part asked at the same time.
    pub async fn look(&self) -> ChainLook {
        let prometheus = async {
            let (name, p) = self.prometheus.as_ref()?;
            let r = match p {
                Ok(p) => look_at_prometheus(p).await,
                Err(e) => Err(e.clone()),
            };
            Some((name.clone(), r))
        };
        let filter = self
            .alert
            .as_ref()
            .map(|a| AlertFilter::matching(&[Matcher::equal("alertname", a.as_str())]));
        let alertmanagers =
            futures::future::join_all(self.alertmanagers.iter().map(|(name, am)| {
                let filter = filter.clone();
                async move {
                    let r = match (am, filter) {
                        (Err(e), _) => Err(e.clone()),
                        (Ok(am), Some(f)) => am
                            .alerts(&f)
                            .await
                            .map(|a| !a.is_empty())
                            .map_err(|e| e.to_string()),
                        // No dead man's switch configured: only whether it answers.
                        (Ok(am), None) => {
                            am.status().await.map(|_| false).map_err(|e| e.to_string())
                        }
                    };
                    (name.clone(), r)
                }
            }));
        let (prometheus, alertmanagers) = futures::join!(prometheus, alertmanagers);
        ChainLook {
            at: Utc::now(),
            prometheus,
            alertmanagers,
        }
    }
}

async fn look_at_prometheus(p: &Prometheus) -> Result<PrometheusLook, String> {
    let (groups, alerts) = futures::join!(p.rule_groups(), p.alerts());
    let groups = groups.map_err(|e| e.to_string())?;
    let firing = alerts
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|a| a.state == AlertState::Active)
        .map(|a| a.name().to_string())
        .collect();
    Ok(PrometheusLook { groups, firing })
}

/// Looks every `interval` until `tx`'s receiver is dropped; each look is sent.
pub fn spawn(
    watcher: ChainWatcher,
    interval: Duration,
    tx: UnboundedSender<ChainLook>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let look = tokio::select! {
                l = watcher.look() => l,
                _ = tx.closed() => return,
            };
            if tx.send(look).is_err() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = tx.closed() => return,
            }
        }
    })
}
